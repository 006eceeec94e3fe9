/* forward-install.h -- put a user's Sieve script (forward-format.h) where Cyrus runs it.
 *
 * Two ways:
 *  - directly, when we are root, `cyrus_conf` is given and `port` is 0: the script is
 *    compiled with Cyrus's sievec into the server's sievedir (imapd.conf "sievedir",
 *    default /usr/sieve), in Cyrus 3.6's layout without fulldirhash:
 *        SIEVEDIR/U/USER/NAME.script   the source
 *        SIEVEDIR/U/USER/NAME.bc       sievec's bytecode
 *        SIEVEDIR/U/USER/defaultbc     a symbolic link to NAME.bc: the active script
 *    where U is the user's first letter in lower case, or 'q' when it is no letter
 *    (Cyrus's dir_hash_c); the files are given to the "cyrus" account when it exists.
 *  - otherwise over ManageSieve (managesieve.h) to `host`:`port` as `admin`.
 *
 * Errors: G_IO_ERROR or G_FILE_ERROR from the way taken; G_SPAWN_ERROR when sievec
 * cannot be run; G_IO_ERROR_FAILED with sievec's own words when it refuses the script.
 */
#ifndef M2C_FORWARD_INSTALL_H
#define M2C_FORWARD_INSTALL_H

#include <glib.h>

typedef struct {
	const char *cyrus_conf;   /* imapd.conf, or NULL */
	const char *cyrus_bin;    /* where sievec is: "/usr/lib/cyrus/bin" */
	const char *host;         /* ManageSieve: the server */
	guint16 port;             /* 0: not given (direct install when possible), else 4190... */
	const char *admin;
	const char *password;
} ForwardInstall;

/* Install `script` for `user` as `script_name` and make it active.  TRUE on success;
 * FALSE with an error as above.  Nothing is kept. */
gboolean forward_install_sieve(const ForwardInstall *how, const char *user,
                               const char *script_name, const char *script, GError **error);

#endif
