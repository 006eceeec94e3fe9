/* forward-install.c -- see forward-install.h. */
#include "forward-install.h"

#include "managesieve.h"

gboolean
forward_install_sieve(const ForwardInstall *how, const char *user, const char *script_name,
                      const char *script, GError **error)
{
	if (managesieve_install(how->host ? how->host : "127.0.0.1", how->port ? how->port : 4190,
	                        how->admin, how->password, user, script_name, script, error))
		return TRUE;
	g_prefix_error(error, "(has %s a mailbox in Cyrus yet? timsieved refuses the login of a user "
	               "without one: convert first) ", user);
	return FALSE;
}
