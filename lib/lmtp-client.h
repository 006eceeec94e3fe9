/* lmtp-client.h -- a pipelined LMTP client (RFC 2033 over RFC 2920 PIPELINING) for
 * Cyrus's lmtpd: one transaction per message, one recipient each.
 *
 * The caller's loop, one round trip per message:
 *     lmtp_begin(c, rcpt...)            MAIL, RCPT, DATA are queued, not sent
 *     lmtp_read_final(c, &r)            (the message before: flushes the queue, reads
 *                                       its end-of-data reply)
 *     lmtp_read_begin(c, &r)            the three replies to MAIL, RCPT, DATA
 *     lmtp_body_write(c, ...)...        the message, dot-stuffed as it goes
 *     lmtp_body_end(c)                  ".", queued with the next lmtp_begin()
 * so the body of one message, its "." and the next MAIL/RCPT/DATA leave in one write
 * and the answers to all of them come back together.  RFC 2033: after the "." the
 * server answers once per accepted recipient (one here).
 *
 * Replies are read whole (multi-line "250-..." joined); a reply's code decides:
 * 2xx done, 354 go on, 4xx temporary, 5xx permanent.  A connection that fails, times
 * out or answers out of turn is NETWORK or PROTOCOL in M2C_IMAP_ERROR's domain, so
 * failure.h classes it as IMAP's (the user, temporary); after it the client is
 * unusable.
 *
 * Measured against Cyrus 3.6 (lmtpd on its unix socket): LHLO lists PIPELINING,
 * 8BITMIME, ENHANCEDSTATUSCODES, SIZE, AUTH EXTERNAL, IGNOREQUOTA; the unix socket
 * counts as authenticated, so "MAIL FROM:<> AUTH=<owner>" delivers with the owner's
 * rights (needed for a folder: without it "owner+Folder" lands in the INBOX).  A
 * folder over quota: RCPT "452 4.2.2 Over quota"; NUL: "554 5.6.0 Message contains
 * NUL characters"; a header line without a colon or with a bare CR: "554 5.6.0
 * Message contains invalid header"; no empty line: "554 5.6.0 Message has no
 * header/body separator". */
#ifndef M2C_LMTP_CLIENT_H
#define M2C_LMTP_CLIENT_H

#include <glib.h>

typedef struct LmtpClient LmtpClient;

typedef struct {
	gboolean pipelining;
	gboolean ignorequota;
	gboolean auth_plain;
	guint64 size_max;        /* SIZE n; 0 when none said */
} LmtpCaps;

typedef struct {
	int code;                /* 250, 354, 452, ... */
	char *text;              /* the reply, lines joined by " / ", without CRLF */
} LmtpReply;

void lmtp_reply_clear(LmtpReply *reply);

/* Connect to `where`: "unix:PATH", a path starting with '/', or "HOST:PORT" (TCP),
 * read the greeting and send LHLO.  `timeout_s` bounds every wait.  NULL with NETWORK
 * (cannot connect: nothing listens) or PROTOCOL. */
LmtpClient *lmtp_connect(const char *where, guint timeout_s, GError **error);

/* QUIT (not waited for) and close. */
void lmtp_free(LmtpClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LmtpClient, lmtp_free)

const LmtpCaps *lmtp_caps(const LmtpClient *c);

/* AUTH PLAIN as `authcid` with `password` (authzid empty): what a TCP lmtpd needs
 * before it takes "AUTH=<owner>".  FALSE with AUTH when refused. */
gboolean lmtp_auth_plain(LmtpClient *c, const char *authcid, const char *password,
                         GError **error);

/* Queue MAIL FROM:<from> [AUTH=<auth>], RCPT TO:<rcpt> [IGNOREQUOTA], DATA. */
void lmtp_begin(LmtpClient *c, const char *from, const char *auth, const char *rcpt,
                gboolean ignore_quota);

/* Read the replies to what lmtp_begin() queued (flushing the queue first).  TRUE with
 * `*go` TRUE when DATA got 354; TRUE with `*go` FALSE and `refused` set (the first
 * reply that was not 2xx/354) when the server will not take the message: the client
 * is ready for the next lmtp_begin().  FALSE with NETWORK or PROTOCOL. */
gboolean lmtp_read_begin(LmtpClient *c, gboolean *go, LmtpReply *refused, GError **error);

/* The message's bytes, CRLF line endings, in pieces cut anywhere; dot-stuffed here.
 * FALSE with NETWORK. */
gboolean lmtp_body_write(LmtpClient *c, const char *data, gsize len, GError **error);

/* End the message (it must have ended with CRLF): "." is queued. */
void lmtp_body_end(LmtpClient *c);

/* Read the reply to the last message's "." (flushing the queue first).  FALSE with
 * NETWORK or PROTOCOL. */
gboolean lmtp_read_final(LmtpClient *c, LmtpReply *reply, GError **error);

/* Send RSET and read its reply (after a refused lmtp_read_begin() nothing is needed:
 * Cyrus resets itself when DATA fails; this is for a caller that stops mid-way). */
gboolean lmtp_rset(LmtpClient *c, GError **error);

#endif
