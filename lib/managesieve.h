/* managesieve.h -- install a user's Sieve script through ManageSieve (RFC 5804), as
 * the admin acting for the user.  A client for exactly one job, `forwards --install`.
 *
 * Plain TCP only for now (no STARTTLS: Cyrus 3.6's timsieved offers it only when
 * tls_server_cert is set; it would reuse lib/tls-verify.h).  The admin's password
 * therefore crosses the network in clear: use it on the loopback or a trusted link.
 *
 * Cyrus 3.6 facts this relies on (measured against timsieved 3.6.1, Debian 12):
 *  - AUTHENTICATE "PLAIN" with authorization id = the user and authentication id =
 *    an admin (`admins:` in imapd.conf) logs in as the user; no proxyservers needed;
 *  - client literals must be non-synchronising, {n+} (RFC 5804 §4's only client
 *    form): a plain {n} gets NO "Did not specify legal script data length";
 *  - the user must have a mailbox (user.alice): for one without, AUTHENTICATE gets
 *    the same NO "Authentication Error" as a wrong password;
 *  - a script that does not compile gets NO with the compiler's lines, sent as a
 *    literal: NO {57} "line 2: address 'x': syntax error\r\nline 3: ...";
 *  - the source is kept in the user's #sieve mailbox (user.alice.#sieve), the
 *    bytecode in sievedir/uuid/X/Y/<mailbox id>/NAME.bc with defaultbc -> NAME.bc
 *    marking the active one (mailbox_legacy_dirs: no).
 *
 * Errors: M2C_MANAGESIEVE_ERROR, codes below.  Every message names the host and
 * port, the user and the step, and gives the server's own words, e.g.
 *     sieve script "forward" of user "alice" refused by 127.0.0.1 port 4190 at
 *     PUTSCRIPT: NO: line 2: address 'x': syntax error
 */
#ifndef M2C_MANAGESIEVE_H
#define M2C_MANAGESIEVE_H

#include <glib.h>

#define M2C_MANAGESIEVE_ERROR (m2c_managesieve_error_quark())
GQuark m2c_managesieve_error_quark(void);

typedef enum {
	M2C_MANAGESIEVE_ERROR_NETWORK,  /* cannot connect, or the connection failed or
	                                 * closed (BYE included): temporary, retry */
	M2C_MANAGESIEVE_ERROR_PROTOCOL, /* an answer we cannot parse, one over a limit,
	                                 * or no SASL PLAIN offered */
	M2C_MANAGESIEVE_ERROR_AUTH,     /* AUTHENTICATE refused: wrong admin password,
	                                 * not an admin, or a user without a mailbox
	                                 * (timsieved 3.6: NO "Authentication Error"
	                                 * for all of them) */
	M2C_MANAGESIEVE_ERROR_NO,       /* PUTSCRIPT or SETACTIVE refused (a script that
	                                 * does not compile, over quota, ...): permanent
	                                 * unless the server's code was TRYLATER */
} M2cManagesieveError;

/* Connect to `host`:`port`, log in as `user` through `admin` and `password` (SASL
 * PLAIN, authorization id `user`), store `script` under `name` (replacing a script of
 * that name) and make it the user's active script, then LOGOUT.
 *
 * Returns TRUE when the server said OK to both PUTSCRIPT and SETACTIVE; FALSE with
 * `error` set otherwise (nothing is undone: a script stored but not made active
 * stays stored).  Every argument is the caller's and is only read; `script` is
 * UTF-8 text (RFC 5804 §1.6) and may hold any bytes but NUL; `name` must be
 * non-empty and hold no CR, LF or NUL.  Blocks (60 s timeout per read). */
gboolean managesieve_install(const char *host, guint16 port, const char *admin,
                             const char *password, const char *user, const char *name,
                             const char *script, GError **error);

#endif
