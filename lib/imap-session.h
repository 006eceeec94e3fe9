/* imap-session.h -- one IMAP connection to Cyrus, on libetpan.
 *
 * What every stage that talks IMAP needs: connect (in plain text, STARTTLS or imaps,
 * the server's certificate verified by us: tls-verify.h), log in (as the admin, as a
 * user with a password, or as a user through the admin: SASL PLAIN with an
 * authorization id), COMPRESS=DEFLATE, CREATE, APPEND with flags and an internal
 * date, SELECT, FETCH, LOGOUT.
 *
 * Mailbox names are passed through as given: the caller hands them over in the form
 * the server expects (modified UTF-7, the server's separator, as the logged-in user
 * sees them).  Nothing here encodes or maps names.
 *
 * Errors: every function that takes a GError sets one from M2C_IMAP_ERROR exactly
 * when it returns FALSE or NULL.  The message names the command and the mailbox and
 * carries the server's own text and response code, e.g.
 *     CREATE "user.alice": server said NO: Mailbox already exists
 *     APPEND to "INBOX.NoSuch": server said NO: [TRYCREATE] Mailbox does not exist
 * After an M2C_IMAP_ERROR_NETWORK or M2C_IMAP_ERROR_PROTOCOL error the session is
 * unusable (every later call fails with NETWORK at once): free it and reconnect.
 *
 * A session is used by one thread at a time.
 */
#ifndef M2C_IMAP_SESSION_H
#define M2C_IMAP_SESSION_H

#include <glib.h>

#include "imap-digest.h"
#include "tls-verify.h"

#define M2C_IMAP_ERROR (m2c_imap_error_quark())
GQuark m2c_imap_error_quark(void);

typedef enum {
	M2C_IMAP_ERROR_NETWORK,    /* connect failed, timeout, connection lost: temporary */
	M2C_IMAP_ERROR_PROTOCOL,   /* unparseable or unexpected server response */
	M2C_IMAP_ERROR_AUTH,       /* login or AUTHENTICATE refused: configuration */
	M2C_IMAP_ERROR_NO,         /* the server said NO to the command: permanent */
	M2C_IMAP_ERROR_BAD,        /* the server said BAD: permanent, a bug or a bad name */
	M2C_IMAP_ERROR_OVERQUOTA,  /* NO [OVERQUOTA]: temporary once the quota is raised */
	M2C_IMAP_ERROR_TRYCREATE,  /* NO [TRYCREATE]: the mailbox does not exist */
	M2C_IMAP_ERROR_TOOBIG,     /* NO [TOOBIG]: a message over the server's limit */
	M2C_IMAP_ERROR_TLS,        /* the certificate did not verify, no STARTTLS offered, the
	                            * handshake or STARTTLS failed: configuration, permanent */
} M2cImapError;

/* TRUE for the codes after which a rerun may succeed (NETWORK, OVERQUOTA). */
gboolean imap_error_is_temporary(const GError *error);

typedef struct ImapSession ImapSession;

/* How the connection is protected. */
typedef enum {
	IMAP_TLS_NONE,      /* plain text */
	IMAP_TLS_STARTTLS,  /* plain text until STARTTLS (RFC 3501 §6.2.1), then TLS */
	IMAP_TLS_IMAPS,     /* TLS from the first byte (imaps, port 993) */
} ImapTls;

/* "none", "starttls", "imaps"; static storage. */
const char *imap_tls_name(ImapTls tls);

/* The ImapTls named `name` (one of imap_tls_name()'s words): FALSE when none is. */
gboolean imap_tls_from_name(const char *name, ImapTls *tls_out);

/* Where a session goes and how.  The strings and `trust` stay the caller's and must
 * outlive the call to imap_session_open() (not the session). */
typedef struct {
	const char *host;      /* a DNS name or an IP literal; the certificate must be for it */
	guint16 port;          /* 0: 993 with IMAP_TLS_IMAPS, else 143 */
	guint timeout_s;       /* bounds every network wait; 0: libetpan's 300 s */
	ImapTls tls;
	const char *ca_file;   /* PEM CA bundle to trust instead of the system store;
	                        * NULL: system store */
	gboolean insecure;     /* skip certificate verification (the caller warns) */
	gboolean compress;     /* COMPRESS=DEFLATE after login when the server offers it */
	TlsTrust *trust;       /* the CAs of ca_file (or the system's), loaded once for many
	                        * sessions (tls_trust_new); NULL: each session loads them */
} ImapEndpoint;

/* Connect to `ep` and read the greeting; with TLS, make it secure before returning:
 *   IMAP_TLS_IMAPS     the TLS handshake first (SNI: the host, unless an IP literal);
 *   IMAP_TLS_STARTTLS  the server must advertise STARTTLS -- else the connection is
 *                      closed and this fails: never a fallback to plain text; after it
 *                      the capabilities are read again (RFC 3501 §6.2.1);
 * then the chain the server sent is verified for `ep->host` against `ep->trust` (or
 * `ep->ca_file`, or the system store), unless `ep->insecure`.  Nothing is sent before
 * the certificate is verified but STARTTLS and CAPABILITY; on a failure the connection
 * is closed without LOGOUT.  TCP_NODELAY is set: without it a command written in two
 * parts waits for the peer's delayed ACK.  `ep->compress` is acted on at login
 * (imap_session_login, imap_session_login_as).
 * Returns a new session (free with imap_session_free), or NULL with NETWORK (cannot
 * connect, no greeting) or TLS (no CA to trust, the handshake failed, STARTTLS not
 * offered or refused, the certificate did not verify: the message names the host and
 * why, and suggests --ca-file or --insecure). */
ImapSession *imap_session_open(const ImapEndpoint *ep, GError **error);

/* imap_session_open() of `host`:`port` in plain text, without compression. */
ImapSession *imap_session_connect(const char *host, guint16 port, guint timeout_s,
                                  GError **error);

/* The TLS in effect (what the endpoint asked for, once the session is open). */
ImapTls imap_session_get_tls(const ImapSession *session);

/* TRUE when the session is in TLS and the server's certificate was verified (FALSE in
 * plain text, and with `insecure`). */
gboolean imap_session_is_verified(const ImapSession *session);

/* Whether COMPRESS=DEFLATE is in effect. */
typedef enum {
	IMAP_COMPRESS_OFF,          /* not asked for, or not logged in yet */
	IMAP_COMPRESS_ON,           /* in effect since the login */
	IMAP_COMPRESS_NOT_OFFERED,  /* asked for, but the server does not advertise it after
	                             * login (or said NO): the session goes on uncompressed */
} ImapCompress;

ImapCompress imap_session_get_compress(const ImapSession *session);

/* Bytes through the compression layer both ways: `plain_*` as the commands and
 * answers are, `wire_*` as deflated on the connection. */
typedef struct {
	guint64 plain_out, wire_out;
	guint64 plain_in, wire_in;
} ImapCompressStats;

/* TRUE and `*stats_out` when compression is on; FALSE otherwise. */
gboolean imap_session_compress_stats(ImapSession *session, ImapCompressStats *stats_out);

/* The session's security in words, new: e.g. "STARTTLS, certificate verified,
 * COMPRESS=DEFLATE", "imaps, certificate NOT verified (--insecure)", "plain text,
 * uncompressed (the server does not offer COMPRESS=DEFLATE)". */
char *imap_session_describe(const ImapSession *session);

/* Send LOGOUT if the session is still usable (else close at once: no LOGOUT after a
 * failure, nor to a server whose certificate did not verify), close, free.  NULL is
 * allowed. */
void imap_session_free(ImapSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapSession, imap_session_free)

/* LOGIN `user` `password`.  AUTH when refused.  Then, when the endpoint asked for it,
 * COMPRESS DEFLATE if the capabilities (read again after login) list COMPRESS=DEFLATE;
 * if not, or if the server says NO, the session goes on uncompressed and
 * imap_session_get_compress() says IMAP_COMPRESS_NOT_OFFERED (not an error).  NETWORK
 * when the connection fails on the way. */
gboolean imap_session_login(ImapSession *session, const char *user, const char *password,
                            GError **error);

/* AUTHENTICATE PLAIN as `user`, authenticated as `admin` with the admin's
 * `password` (sends "user\0admin\0password").  Cyrus lets its admins do this without
 * a proxyservers setting (DESIGN.md); the session then acts as `user`: INBOX is the
 * user's, and \Seen lands in the user's seen state.  AUTH when refused.  Compression
 * as with imap_session_login(). */
gboolean imap_session_login_as(ImapSession *session, const char *user, const char *admin,
                               const char *password, GError **error);

/* CREATE `mailbox`.  NO when it exists or the name is refused. */
gboolean imap_session_create(ImapSession *session, const char *mailbox, GError **error);

/* APPEND `len` bytes of `message` (CRLF line endings expected by the server) to
 * `mailbox`, with `flags` (NULL or a NULL-terminated list of "\\Seen"-style system
 * flags and keywords; "\\Recent" may not be given) and `internaldate` (NULL: the
 * server's clock; its UTC offset is sent as given, seconds are kept, sub-seconds
 * dropped).  On success `*uid_out` (may be NULL) is the new UID from APPENDUID, 0 when
 * the server did not send one. */
gboolean imap_session_append(ImapSession *session, const char *mailbox,
                             const char *const *flags, GDateTime *internaldate,
                             const char *message, gsize len, guint32 *uid_out,
                             GError **error);

/* SELECT `mailbox` (EXAMINE when `read_only`).  `*exists_out` and `*uidvalidity_out`
 * may be NULL. */
gboolean imap_session_select(ImapSession *session, const char *mailbox, gboolean read_only,
                             guint32 *exists_out, guint32 *uidvalidity_out, GError **error);

/* STATUS `mailbox` (MESSAGES UIDNEXT).  Either out pointer may be NULL.  NO when
 * the mailbox does not exist (or is not visible to the logged-in user). */
gboolean imap_session_status(ImapSession *session, const char *mailbox, guint32 *messages_out,
                             guint32 *uidnext_out, GError **error);

/* UID STORE +FLAGS.SILENT `flags` (as in imap_session_append) on the `n_uids` UIDs in
 * `uids` (ascending) of the selected mailbox; sent as ranges ("1:5,9"), at most
 * about 8 KiB of set per command. */
gboolean imap_session_add_flags(ImapSession *session, const guint32 *uids, gsize n_uids,
                                const char *const *flags, GError **error);

/* NAMESPACE (RFC 2342): the first personal namespace, as the logged-in user sees it.
 * TRUE with `*prefix_out` (new; "INBOX." or "" on Cyrus, as altnamespace is off or
 * on) and `*delimiter_out` ('.' or '/'; 0 when the server sent NIL), or TRUE with
 * `*prefix_out` NULL when the server lists no personal namespace: Cyrus 3.6 answers
 * NIL for a user whose INBOX does not exist yet (measured).  FALSE with an error
 * (NO, BAD when the server has no NAMESPACE). */
gboolean imap_session_namespace(ImapSession *session, char **prefix_out, char *delimiter_out,
                                GError **error);

/* SUBSCRIBE `mailbox`. */
gboolean imap_session_subscribe(ImapSession *session, const char *mailbox, GError **error);

/* Send `command` (without tag and CRLF; the caller quotes its arguments, see
 * imap_quote) and wait for its tagged answer.  For SETQUOTA and "CREATE name
 * (PARTITION p)", which libetpan has no call for, and CAPABILITY (libetpan keeps the
 * capabilities it sees in any answer). */
gboolean imap_session_command(ImapSession *session, const char *command, GError **error);

/* `text` as an IMAP quoted string ("a \"b\""), new.  `text` must not hold CR, LF or
 * NUL (mailbox names never do). */
char *imap_quote(const char *text);

/* One message as FETCH returned it. */
typedef struct {
	guint32 uid;
	char **flags;            /* NULL-terminated; "\\Seen" etc. and keywords, \Recent too */
	GDateTime *internaldate; /* with the offset the server sent */
	GBytes *body;            /* BODY.PEEK[]: the whole message, byte for byte */
} ImapMessage;

void imap_message_free(ImapMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapMessage, imap_message_free)

/* UID FETCH `uid` (FLAGS INTERNALDATE BODY.PEEK[]) in the selected mailbox.  Returns
 * a new ImapMessage (the caller frees it), or NULL with NO when there is no such UID. */
ImapMessage *imap_session_fetch_uid(ImapSession *session, guint32 uid, GError **error);

/* UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE DIGEST.SHA1) in the selected
 * mailbox: every message's UID, flags, date, size and the SHA-1 Cyrus keeps of it
 * (DIGEST=SHA1, DESIGN.md), without fetching a byte of a body.  libetpan cannot parse
 * the DIGEST.SHA1 item, so the command goes out on libetpan's stream and the untagged
 * lines are read raw and parsed by imap_digest_parse() (its header shows what Cyrus
 * sends); other untagged lines (EXISTS, RECENT, OK) are passed over.  On success
 * `*digests_out` is a new array of ImapDigest *, sorted by UID (empty for an empty
 * mailbox).  FALSE with PROTOCOL (the session is then unusable) for a line that is
 * not as expected, NO or BAD for the server's refusal, NETWORK. */
gboolean imap_session_fetch_digests(ImapSession *session, GPtrArray **digests_out,
                                    GError **error);

/* What imap_session_fetch_bodies() calls, per message: begin (with the literal's
 * size), body (pieces, in order), end.  A call that fails (FALSE with `error` set)
 * stops the calls, not the reading: the answer is read to its end, so that the
 * session stays usable, and the error is returned. */
typedef struct {
	gboolean (*begin)(guint32 uid, guint64 size, gpointer data, GError **error);
	gboolean (*body)(const char *bytes, gsize len, gpointer data, GError **error);
	gboolean (*end)(guint32 uid, gpointer data, GError **error);
} ImapBodySink;

/* UID FETCH set (UID BODY.PEEK[]) for the `n` UIDs `uids` (ascending) in the selected
 * mailbox, in commands of at most 500 ranges: each body's literal is read off the
 * stream in pieces of at most `piece` bytes (0: 256 KiB) and handed to `sink` -- no
 * message is held whole (libetpan's parser would hold it).  Cyrus answers "* N FETCH
 * (UID u BODY[] {size}" (measured); any other literal is PROTOCOL.  A UID the server
 * does not answer for (expunged meanwhile) is simply not called for. */
gboolean imap_session_fetch_bodies(ImapSession *session, const guint32 *uids, gsize n,
                                   const ImapBodySink *sink, gpointer data, gsize piece,
                                   GError **error);

/* UID FETCH `set` (UID BODY.PEEK[HEADER.FIELDS (`fields`)]) in the selected mailbox
 * ("5:*", "1,3"): each message's lines of those fields (then an empty line), handed
 * to `sink` as imap_session_fetch_bodies() does. */
gboolean imap_session_fetch_header_fields(ImapSession *session, const char *set,
                                          const char *fields, const ImapBodySink *sink,
                                          gpointer data, GError **error);

/* STATUS `mailbox` (MAILBOXID) (RFC 8474): `*id_out` its id (new; NULL when the
 * server did not say).  FALSE with NO when the mailbox does not exist. */
gboolean imap_session_mailboxid(ImapSession *session, const char *mailbox, char **id_out,
                                GError **error);

/* MYRIGHTS `mailbox` (RFC 4314): `*rights_out` the rights the session's user has on it
 * ("lrswipkxtecdan"; new).  FALSE with NO when the mailbox does not exist. */
gboolean imap_session_myrights(ImapSession *session, const char *mailbox, char **rights_out,
                               GError **error);

/* GETQUOTAROOT `mailbox` (RFC 9208): `*roots_out` a new NULL-terminated array of the
 * quota roots the server names in its QUOTA answers, each as sent (an atom or a
 * quoted string, quotes kept); empty when no quota applies.  FALSE with NO when the
 * mailbox does not exist or the server has no QUOTA. */
gboolean imap_session_quota_roots(ImapSession *session, const char *mailbox, char ***roots_out,
                                  GError **error);

/* UID SEARCH HEADER `field` `value` in the selected mailbox (RFC 3501 6.4.4: the
 * messages with a `field` header whose text holds `value`, any case; "" matches every
 * one that has the field).  `field` and `value` are atoms or quoted strings' text: no
 * CR, LF, NUL, '"' or '\\'.  `*uids_out`: a new GArray of guint32, ascending. */
gboolean imap_session_search_header(ImapSession *session, const char *field, const char *value,
                                    GArray **uids_out, GError **error);

/* UIDNEXT of the mailbox last selected (0 when the server did not say). */
guint32 imap_session_selected_uidnext(ImapSession *session);

/* The keywords of the mailbox last selected, from its FLAGS response, in the server's
 * order (Cyrus: its "User Flags" list), new, NULL-terminated. */
char **imap_session_selected_keywords(ImapSession *session);

#endif
