/* verify.h -- does Cyrus hold what the manifest's sources hold?  One user at a time
 * (users run in parallel in cmd-verify.c's thread pool); everything here is per user
 * except what VerifyContext shares, which is read-only or thread-safe.
 *
 * For each of the user's mailboxes (the INBOX first, then in manifest order), the
 * messages of its sources in manifest order and file order -- the order convert
 * stores them in -- are compared with the mailbox's messages in UID order, without
 * fetching a body:
 *   source side   each message copied as convert stores it (mbox_reader_copy_message,
 *                 MBOX_COPY_CRLF) into a SHA-1; its flags, its date (the instant
 *                 convert gave the message: spool mtime = INTERNALDATE).
 *   Cyrus side    as the owner (proxy login), EXAMINE, then one UID FETCH 1:* (UID
 *                 FLAGS INTERNALDATE RFC822.SIZE DIGEST.SHA1): Cyrus's SHA-1 of the
 *                 stored message (imap-session.h); a message that carries
 *                 convert --method lmtp's delivery header (found by one UID SEARCH
 *                 HEADER, its body streamed) counts with the digest and size of
 *                 the original, what lmtpd added taken off (lmtp-trace.h).
 * Alignment (the rule that tells "content" from "missing" + "extra"):
 *  1. messages with the same digest are paired, in order: the k-th source message
 *     with a digest and the k-th Cyrus message (by UID) with it;
 *  2. of the pairs, the longest run that is in the same order on both sides (longest
 *     increasing subsequence of the Cyrus positions in source order) is in order;
 *     every other pair is an `order` difference (the message is there, elsewhere);
 *  3. between two consecutive in-order pairs (or before the first, after the last),
 *     the unpaired source messages and the unpaired Cyrus messages in that gap: when
 *     there are as many of each, they are the same messages with other bytes
 *     (`content`, paired one to one); otherwise each source one is `missing` and each
 *     Cyrus one `extra`;
 *  4. for each pair by digest: `flags` when the sets differ (\Recent left out; names
 *     compared without regard to case, RFC 3501 2.3.2), `date` when INTERNALDATE is
 *     not the source date to the second.
 * UIDs are not compared: when convert kept X-UIDs the manifest cannot tell (order is).
 * An empty message (0 bytes as stored) is `not-stored`: convert's spool method cannot
 * store it (reconstruct deletes empty files) and says so; verify counts it as a
 * difference too, so the run says 1 and the message is named, not silently passed. */
#ifndef M2C_VERIFY_H
#define M2C_VERIFY_H

#include <glib.h>

#include "cli-server.h"
#include "mailbox-name.h"
#include "manifest.h"
#include "mbox-reader.h"
#include "report.h"

typedef struct {
	/* server: host, admin, password, naming; the reader's settings (cli-server.h) */
	const CliServer *server;
	/* sources */
	const ManifestSettings *manifest;
	/* shared, thread-safe */
	Report *report;
} VerifyContext;

typedef enum {
	VERIFY_MISSING,     /* a source message with no match in Cyrus */
	VERIFY_EXTRA,       /* a Cyrus message not in the sources */
	VERIFY_CONTENT,     /* at a source message's place, a message with other bytes */
	VERIFY_FLAGS,
	VERIFY_DATE,
	VERIFY_ORDER,
	VERIFY_NOT_STORED,  /* an empty message: the spool method cannot store it */
} VerifyKind;

/* "missing", "extra", "content", "flags", "date", "order", "not-stored"; static. */
const char *verify_kind_name(VerifyKind kind);

typedef struct {
	VerifyKind kind;
	char *mailbox;    /* the admin's name */
	char *source;     /* the source file; NULL for extra */
	guint64 message;  /* its number in the source (1, 2, ...); 0 for extra */
	gint64 offset;    /* its From_ line; -1 for extra */
	guint32 uid;      /* the Cyrus message's UID; 0 for missing and not-stored */
	char *detail;     /* what differs, for a person */
} VerifyDifference;

typedef struct {
	char *user;
	guint mailboxes;          /* compared */
	guint mailboxes_failed;   /* not compared: a source or the mailbox could not be read */
	guint64 messages;         /* source messages compared */
	guint64 bytes;            /* their bytes as stored */
	GPtrArray *differences;   /* VerifyDifference *, in the order found */
	guint fixed;              /* messages that match as convert --method imap fixed them */
	guint delivered;          /* Cyrus's messages that carry convert --method lmtp's
	                           * delivery header, compared as their originals */
	ReportSeverity worst;     /* of the failures (not the differences); REPORT_INFO: none */
} VerifyUser;

void verify_user_free(VerifyUser *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VerifyUser, verify_user_free)

/* Verify `user`, whose manifest rows (ManifestRow *, inbox and folder rows) are
 * `rows`.  Each difference and each failure is reported (ctx->report) as it is found:
 * a difference as REPORT_FAILED at the source file, message number and offset; a
 * failure with the severity of its scope (a source or mailbox that cannot be read:
 * REPORT_FAILED; the server unreachable: REPORT_UNAVAILABLE; the admin refused:
 * REPORT_CONFIG; a connection lost: REPORT_TEMPFAIL).  Returns the result, new. */
VerifyUser *verify_user(const VerifyContext *ctx, const char *user, GPtrArray *rows);

#endif
