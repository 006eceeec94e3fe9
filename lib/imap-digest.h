/* imap-digest.h -- one untagged FETCH line of
 *     UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE DIGEST.SHA1)
 * read raw off the wire, because libetpan cannot parse the DIGEST.SHA1 item
 * (imap_session_fetch_digests() in imap-session.h sends the command and reads the
 * lines; this is the parser, apart so a unit test can feed it hostile lines).
 *
 * What Cyrus 3.6 sent (measured on the test server, python imaplib by hand):
 *     * 1 FETCH (FLAGS (\Recent \Seen $Label1) UID 1 DIGEST.SHA1 6f89a01803b8215fdb5eea1d3a780d3e456e1be2 INTERNALDATE " 5-Mar-2003 14:45:12 +0000" RFC822.SIZE 21)
 * -- its own item order, not the order asked for; the digest is the SHA-1 of the
 * stored message (its GUID), 40 lowercase hex digits; INTERNALDATE in the server's
 * zone (the instant is what was given: DESIGN.md).
 *
 * Accepted, strictly: "* " SEQ " FETCH (" items ")" with the five items each exactly
 * once in any order, single spaces, a flag list of atoms and \System flags, hex in
 * either case.  Refused: a literal ({n}) anywhere, a missing, repeated or unknown
 * item, numbers out of range (SEQ and UID 1..2^32-1), a date that is not
 * "dd-Mon-yyyy hh:mm:ss +zzzz", a digest that is not 40 hex digits, anything after
 * the ")" but the line end (CRLF or LF, optional).  Nothing here asserts on input.
 *
 * Errors: M2C_IMAP_ERROR (imap-session.h), code M2C_IMAP_ERROR_PROTOCOL, with the
 * reason and a cut copy of the line.
 */
#ifndef M2C_IMAP_DIGEST_H
#define M2C_IMAP_DIGEST_H

#include <glib.h>

/* One message's line. */
typedef struct {
	guint32 seq;
	guint32 uid;
	char **flags;          /* NULL-terminated; as sent, \Recent included */
	gint64 internaldate;   /* seconds since the epoch (the instant) */
	guint64 size;          /* RFC822.SIZE */
	guint8 sha1[20];
} ImapDigest;

void imap_digest_free(ImapDigest *digest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapDigest, imap_digest_free)

/* The kind of an untagged line `line` (`len` bytes, need not end in NUL): TRUE when
 * it starts "* N FETCH " (case-insensitive), the only ones imap_digest_parse() takes;
 * other untagged responses (EXISTS, RECENT, OK ...) are for the caller to pass over. */
gboolean imap_digest_is_fetch(const char *line, gsize len);

/* Parse one FETCH line as above.  A new ImapDigest (the caller frees it), or NULL
 * with PROTOCOL. */
ImapDigest *imap_digest_parse(const char *line, gsize len, GError **error);

/* `sha1` as 40 lowercase hex digits into `hex_out` (41 bytes, NUL-terminated). */
void imap_digest_hex(const guint8 sha1[20], char hex_out[41]);

#endif
