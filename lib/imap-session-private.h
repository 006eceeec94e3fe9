/* imap-session-private.h -- the session's state, shared by imap-connect.c (connecting,
 * TLS, compression), imap-session.c (the commands libetpan parses) and imap-raw.c (the
 * ones it cannot: DIGEST.SHA1, and bodies streamed in pieces). */
#ifndef M2C_IMAP_SESSION_PRIVATE_H
#define M2C_IMAP_SESSION_PRIVATE_H

#include <libetpan/libetpan.h>

#include "imap-session.h"

struct ImapSession {
	mailimap *imap;
	char *host;      /* for SASL's server name and for messages */
	gboolean broken; /* after a network or parse error: no more commands */
	ImapTls tls;     /* in effect */
	gboolean verified;       /* the certificate was verified */
	gboolean want_compress;  /* the endpoint asked for COMPRESS=DEFLATE at login */
	ImapCompress compress;
};

/* Turn libetpan's result `r` of the command described by `what` into a GError (the
 * codes of imap-session.h; a network or parse error marks the session broken).
 * Always returns FALSE, so callers can `return imap_session_fail(...)`. */
gboolean imap_session_fail(ImapSession *session, int r, const char *what, GError **error);

/* FALSE with NETWORK when the session is broken. */
gboolean imap_session_check_usable(ImapSession *session, const char *what, GError **error);

/* imap-raw.c: the raw reading that the commands libetpan cannot parse share.
 * Read the next response line (libetpan's buffer holds it: `*line`, `*len`).  1: an
 * untagged one (or a literal's rest, or a "+"), 0: the tagged answer to `tag` ("N "),
 * -1: the connection failed (error set). */
int imap_raw_next_line(ImapSession *session, const char *command, const char *tag,
                       const char **line, gsize *len, GError **error);

/* A response that makes no sense here: the session is marked unusable; PROTOCOL.
 * Always FALSE. */
gboolean imap_raw_broken(ImapSession *session, const char *command, const char *why,
                         GError **error);

/* The error of a tagged answer that is not OK; `text` is what follows the tag
 * ("NO [OVERQUOTA] Over quota"). */
void imap_raw_tagged_error(ImapSession *session, const char *command, const char *text,
                           GError **error);

/* imap-session.c: the error code of a NO with response code `code` (NULL: none) and
 * `text`: Cyrus 3.6 answers an APPEND over quota with a bare "NO Over quota". */
M2cImapError imap_error_from_code(const char *code, const char *text);

/* After a successful login: COMPRESS DEFLATE when `want_compress` and the server
 * offers it (imap-session.h, imap_session_login).  FALSE only with NETWORK or
 * PROTOCOL; a server that does not offer it leaves IMAP_COMPRESS_NOT_OFFERED. */
gboolean imap_session_start_compress(ImapSession *session, GError **error);

/* TCP_QUICKACK on the session's socket, once, right after a command is sent whose
 * answer the server may write in several pieces: Nagle's algorithm on the server
 * holds each piece after the first until our ACK, which Linux delays by 40 ms
 * (imap-connect.c says where it was measured). */
void imap_session_ack_at_once(ImapSession *session);

#endif
