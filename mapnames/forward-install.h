/* forward-install.h -- put a user's Sieve script (forward-format.h) where Cyrus runs
 * it: over ManageSieve (managesieve.h) as the admin for that user, then active.
 *
 * Only ManageSieve: Cyrus 3.6 keeps a user's scripts as messages of the mailbox
 * user.X.#sieve and only their bytecode in the sievedir (measured: sievedir/uuid/..
 * /NAME.bc and a defaultbc link); scripts compiled into the sievedir behind its back
 * would not be listed, fetched or replaced by ManageSieve.  The user must have a
 * mailbox in Cyrus (timsieved refuses the login otherwise): run convert first.
 *
 * Errors: managesieve.h's. */
#ifndef M2C_FORWARD_INSTALL_H
#define M2C_FORWARD_INSTALL_H

#include <glib.h>

typedef struct {
	const char *host;         /* the ManageSieve server (default 127.0.0.1) */
	guint16 port;             /* its port (default 4190) */
	const char *admin;
	const char *password;
} ForwardInstall;

/* Install `script` for `user` as `script_name` and make it active.  TRUE on success;
 * FALSE with an error naming the server, the user and the step. */
gboolean forward_install_sieve(const ForwardInstall *how, const char *user,
                               const char *script_name, const char *script, GError **error);

#endif
