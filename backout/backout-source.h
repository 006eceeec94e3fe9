/* backout-source.h -- where backout reads a user's mailboxes from: the contract of a
 * source, and its two implementations.
 *
 *   imap   (backout-source-imap.c)  as the owner through proxy login, EXAMINE; one
 *          UID FETCH (UID FLAGS INTERNALDATE RFC822.SIZE DIGEST.SHA1) lists the
 *          messages; one UID FETCH set (BODY.PEEK[]) streams the bodies, each literal
 *          read off libetpan's stream in pieces (imap-fetch.h).  imapd must run.
 *   spool  (backout-source-spool.c)  imapd down, the spool and databases intact:
 *          `mbexamine -C imapd.conf MAILBOX` as the cyrus user lists the messages
 *          (UID, INT_DATE, SYSTEMFLAGS, USERFLAGS over the "User Flags" list, GUID) and
 *          the mailbox's directory ("Path to mailbox"); each body is the file UID. in
 *          it, read in pieces.
 *
 * The order of calls, per user, on one thread:
 *     user_open -> (mailbox_open -> fetch*)* -> user_close
 * A mailbox listing is a snapshot: fetch() asks only for UIDs it listed, in ascending
 * order, and a message gone since (expunged meanwhile) is a message-scope error for
 * that UID, the others go on (the handler's `error` is called).
 *
 * No message is ever held whole: bodies reach the handler in pieces of at most
 * BACKOUT_PIECE bytes, as they come off the wire or the disk.
 *
 * Failures carry their scope through the GError (failure.h classifies them):
 * user_open: the server unreachable (run: 69), the admin refused (run: 78), the tools
 * missing (run: 78); mailbox_open: the mailbox absent or unreadable (mailbox);
 * fetch: a connection lost (user, temporary), a spool file unreadable (message). */
#ifndef M2C_BACKOUT_SOURCE_H
#define M2C_BACKOUT_SOURCE_H

#include <glib.h>

#include "cli-server.h"
#include "imap-digest.h"
#include "lmtp-trace.h"

#define BACKOUT_PIECE (256 * 1024)
#define SPOOL_DELIVERED_HEAD (64 * 1024)

/* One mailbox as listed. */
typedef struct {
	guint32 uidvalidity;
	guint32 uidnext;         /* the next UID Cyrus would give (last UID + 1) */
	GPtrArray *messages;     /* ImapDigest * (imap-digest.h), ascending UID; seq unused
	                          * by the spool source; flags without \Recent */
	char **keywords;         /* the mailbox's keyword list ("User Flags" / PERMANENTFLAGS
	                          * minus system flags), NULL-terminated, may be empty */
	GHashTable *delivered;   /* UID -> BackoutDelivered *: the messages that carry
	                          * convert --method lmtp's delivery header (backout.c fills
	                          * it after the listing; NULL: none) */
} BackoutMailbox;

/* A message delivered by convert --method lmtp: where its original lies in the stored
 * bytes, and the original's digest and size (lmtp-trace.h). */
typedef struct {
	LmtpTrace trace;
	guint8 sha1[20];
	guint64 size;
} BackoutDelivered;

void backout_mailbox_clear(BackoutMailbox *mailbox);

/* What fetch() calls, per message, in the order asked for:
 *   begin(message)            the listing's entry for the UID
 *   body(data, len)*          the stored bytes, in order, pieces of any size
 *   end(message)              all bytes given; `sha1` is the SHA-1 of them, computed
 *                             while they went by (the caller compares it with
 *                             message->sha1: a spool file that is not what the
 *                             index says is named, never written as if it were)
 * or, instead of end (possibly after some body pieces):
 *   error(message, error)     this message could not be read (message scope)
 * A callback returning FALSE (with its own error set) stops fetch(), which then
 * returns FALSE with that error. */
typedef struct {
	gboolean (*begin)(const ImapDigest *message, gpointer data, GError **error);
	gboolean (*body)(const char *bytes, gsize len, gpointer data, GError **error);
	gboolean (*end)(const ImapDigest *message, const guint8 sha1[20], gpointer data,
	                GError **error);
	gboolean (*error)(const ImapDigest *message, const GError *why, gpointer data,
	                  GError **error);
} BackoutBodyHandler;

typedef struct BackoutSourceUser BackoutSourceUser;

typedef struct {
	const CliServer *server;   /* imap: host, port, admin, password, timeout;
	                            * spool: options.cyrus_conf */
	const char *cyrus_bin;     /* spool: Cyrus's tools; NULL: /usr/lib/cyrus/bin */
	const char *cyrus_user;    /* spool: the user they run as; NULL: cyrus */
} BackoutSourceSettings;

typedef struct {
	const char *name;        /* "imap", "spool" */
	/* Open `user`'s view. */
	BackoutSourceUser *(*user_open)(const BackoutSourceSettings *settings, const char *user,
	                                GError **error);
	void (*user_close)(BackoutSourceUser *source);
	/* List the mailbox: `admin_name` as the admin spells it (spool: mbexamine),
	 * `user_name` as the owner sees it (imap: EXAMINE).  Fills `*out`. */
	gboolean (*mailbox_open)(BackoutSourceUser *source, const char *admin_name,
	                         const char *user_name, BackoutMailbox *out, GError **error);
	/* Stream the `n` messages `messages` (entries of the last mailbox_open's listing,
	 * ascending UID) through `handler`. */
	gboolean (*fetch)(BackoutSourceUser *source, const ImapDigest *const *messages, guint n,
	                  const BackoutBodyHandler *handler, gpointer data, GError **error);
	/* The UIDs of the last listing that may carry the delivery header (lmtp-trace.h),
	 * cheaply: a superset of those that do (each is read whole to be sure), ascending;
	 * `*uids_out` a new GArray of guint32.  imap: UID SEARCH HEADER
	 * X-DeliveredInternalDate "mbox2cyrus"; spool: the field's name in the header
	 * block's first SPOOL_DELIVERED_HEAD bytes of each file (Cyrus prepends four
	 * short fields before it). */
	gboolean (*delivered)(BackoutSourceUser *source, const BackoutMailbox *listed,
	                      GArray **uids_out, GError **error);
} BackoutSource;

extern const BackoutSource backout_source_imap;
extern const BackoutSource backout_source_spool;

#endif
