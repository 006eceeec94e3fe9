/* managesieve.h -- install a Sieve script on a server over ManageSieve (RFC 5804).
 *
 * Errors: G_IO_ERROR codes.  (This build has a placeholder that always fails with
 * G_IO_ERROR_NOT_SUPPORTED, "ManageSieve not built yet"; the client replaces it.)
 */
#ifndef M2C_MANAGESIEVE_H
#define M2C_MANAGESIEVE_H

#include <glib.h>

/* Log in to `host`:`port` as `admin` with `password`, authorising as `user`, put
 * `script` (a Sieve script, UTF-8) under `name` and make it the active one.  TRUE when
 * the server took it; FALSE with a G_IO_ERROR otherwise.  Nothing is kept. */
gboolean managesieve_install(const char *host, guint16 port, const char *admin, const char *password, const char *user, const char *name, const char *script, GError **error);

#endif
