/* lmtp-trace.h -- the delivery header: the one line convert --method lmtp puts first
 * in each message it sends, and how to take off again what Cyrus added on delivery,
 * so that verify and backout see the original message (formatting: convert; undoing:
 * verify, backout).
 *
 * The line, CRLF-terminated, before the message's own first header line:
 *     X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus 0123456789abcdef.7 +message-id +date)
 *   - the date is always "Ddd, DD Mon YYYY HH:MM:SS +0000" (English names, UTC);
 *     Cyrus takes its instant as the INTERNALDATE (the comment is accepted);
 *   - 0123456789abcdef: KEY, 16 lowercase hex digits; 7: N, the message's number in
 *     its source file (decimal, 1..2^32-1, no leading zero);
 *   - " +message-id": the message sent had no Message-ID field, so Cyrus appends one;
 *     " +date": likewise for Date; in that order; neither: Cyrus appends nothing.
 *   After the line come exactly the bytes convert --method imap would APPEND (the
 *   message-fix.h-fixed CRLF form: source-digest.h's fixed_sha1, or sha1).
 *
 * What Cyrus 3.6's lmtpd stores (measured; "..." the original's header lines):
 *     Return-Path: <>\r\n
 *     Received: from me ([unix socket])\r\n
 *     \t (authenticated user=alice bits=0)\r\n
 *     \t by vm (Cyrus 3.6.1-Debian-3.6.1-4+deb12u5) with LMTPA;\r\n
 *     \t Mon, 30 Nov 2026 14:02:14 +0000\r\n
 *     X-Cyrus-Session-Id: vm-1796047334-4212-2-3397850947087895665\r\n
 *     X-Sieve: CMU Sieve 3.0\r\n
 *     X-DeliveredInternalDate: ... (mbox2cyrus KEY.N +message-id +date)\r\n   <- ours
 *     ...                                                                     <- head
 *     Message-ID: <cmu-lmtpd-4212-1796047334-0@vm>\r\n      (with +message-id)
 *     Date: Mon, 30 Nov 2026 14:02:14 +0000\r\n             (with +date)
 *     \r\n                                                                    <- body
 *     the body
 * The original is stored[head_start, head_end) + stored[body_start, len).  A message
 * that went in over IMAP APPEND instead carries the same line first with neither flag
 * and nothing prepended.
 *
 * The rules of lmtp_trace_find(), strictly:
 *   - the header block is everything up to the first empty line ("\r\n" or "\n");
 *     without one, the whole message (body_start = len);
 *   - the delivery header is the FIRST line of the block that starts
 *     "X-DeliveredInternalDate:" (any case); it must be exactly the form above (the
 *     weekday right for the date), end in a line end, and have no continuation line;
 *   - every line before it must be a header field line or a continuation (Cyrus's
 *     prepended fields; the first not a continuation); they and it are dropped;
 *   - with +date the block's last line must be a "Date:" field, with +message-id the
 *     last (or the one before the Date line) a "Message-ID:" field, both after the
 *     delivery header: those are dropped;
 *   - otherwise FALSE.  Nothing here asserts on input.
 */
#ifndef M2C_LMTP_TRACE_H
#define M2C_LMTP_TRACE_H

#include <glib.h>

enum { LMTP_TRACE_ADDS_MESSAGE_ID = 1, LMTP_TRACE_ADDS_DATE = 2 };

/* The delivery header line for `unix_time` (seconds, UTC; must be in the years 1 to
 * 9999), `key` (16 lowercase hex digits), `number` (1..2^32-1) and `adds` (the
 * LMTP_TRACE_ADDS_* bits), CRLF-terminated; new, the caller frees it. */
char *lmtp_trace_format(gint64 unix_time, const char *key, guint64 number, guint adds);

/* Where the original lies in a stored message (offsets into it). */
typedef struct {
	char key[17];            /* KEY, NUL-terminated */
	guint64 number;          /* N */
	gint64 date;             /* the line's date, seconds since the epoch */
	guint adds;              /* LMTP_TRACE_ADDS_* */
	gsize head_start, head_end;  /* the original's header: stored[head_start, head_end) */
	gsize body_start;        /* ... followed by stored[body_start, len): the empty line
	                          * and the body */
} LmtpTrace;

/* TRUE and `*trace_out` filled when `data` (`len` bytes: a message as Cyrus stores it)
 * carries the delivery header and what Cyrus added can be taken off exactly (the
 * rules above); FALSE otherwise (`*trace_out` then undefined). */
gboolean lmtp_trace_find(const char *data, gsize len, LmtpTrace *trace_out);

/* Whether the header block of `data` (`len` bytes: the message as it will be sent,
 * without the delivery header) has a field named `name` ("Message-ID", "Date"; any
 * case, blanks before the colon allowed as Cyrus allows them): for convert's `adds`. */
gboolean lmtp_trace_has_field(const char *data, gsize len, const char *name);

/* What lmtp_trace_copy() hands the original's bytes to.  FALSE with `error` set stops. */
typedef gboolean (*LmtpTraceWriteFunc)(const char *data, gsize len, gpointer user_data,
                                       GError **error);

/* Streaming: `len` stored bytes found at offset `at` of the stored message; the parts
 * of them that belong to the original (by `trace`) go to `write`, in order.  Called
 * piece by piece, consecutive pieces give the original whole.  FALSE when `write`
 * failed (its error). */
gboolean lmtp_trace_copy(const LmtpTrace *trace, guint64 at, const char *data, gsize len,
                         LmtpTraceWriteFunc write, gpointer user_data, GError **error);

/* The original's SHA-1 and size, computed as a stored message streams by in pieces of
 * any size.  Only the header block is held (up to `header_limit` bytes; a block
 * longer than that is taken as no delivery header); the body is hashed as it passes. */
typedef struct LmtpTraceDigest LmtpTraceDigest;

#define LMTP_TRACE_HEADER_LIMIT (1024 * 1024)

/* New (free with lmtp_trace_digest_free), ready for a message.  `header_limit` 0:
 * LMTP_TRACE_HEADER_LIMIT. */
LmtpTraceDigest *lmtp_trace_digest_new(gsize header_limit);
void lmtp_trace_digest_free(LmtpTraceDigest *digest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LmtpTraceDigest, lmtp_trace_digest_free)

/* Start again for the next message. */
void lmtp_trace_digest_reset(LmtpTraceDigest *digest);

/* The next `len` bytes of the stored message. */
void lmtp_trace_digest_feed(LmtpTraceDigest *digest, const char *data, gsize len);

/* All bytes fed: TRUE when the message carries the delivery header (as
 * lmtp_trace_find() would say of it whole), with `*trace_out`, the original's
 * `sha1_out` and `*size_out`; FALSE when not (nothing filled).  Reset afterwards
 * before feeding the next message. */
gboolean lmtp_trace_digest_finish(LmtpTraceDigest *digest, LmtpTrace *trace_out,
                                  guint8 sha1_out[20], guint64 *size_out);

/* The secret that makes delivery keys unguessable: STATE/lmtp.secret, 32 random bytes
 * made by the first convert --method lmtp (mode 0600) when `create`, read by later
 * runs and by verify and backout.  FALSE with a G_FILE_ERROR (NOENT: there is none
 * and `create` is FALSE). */
gboolean lmtp_trace_secret(const char *state_dir, gboolean create, guchar secret[32],
                           GError **error);

/* The KEY of the delivery headers of messages from `source` (the manifest's path)
 * delivered into `mailbox` (the admin's name) of UIDVALIDITY `uidvalidity`: the first
 * 16 hex digits of SHA-256(secret, mailbox, NUL, source, NUL, uidvalidity in decimal).
 * The same in every run; verify and backout take a delivery header as convert's only
 * when its KEY is one of its mailbox's (a source message may carry a forged one). */
void lmtp_trace_key(const guchar secret[32], const char *mailbox, const char *source,
                    guint32 uidvalidity, char key_out[17]);

/* The keys of every source of `mailbox` (`sources`: char * paths, NULL entries passed
 * over): a new set of strings. */
GHashTable *lmtp_trace_keys(const guchar secret[32], const char *mailbox, const GPtrArray *sources,
                            guint32 uidvalidity);

#endif
