/* managesieve.c -- placeholder until the ManageSieve client lands (managesieve.h). */
#include <gio/gio.h>

#include "managesieve.h"

gboolean
managesieve_install(const char *host, guint16 port, const char *admin, const char *password,
                    const char *user, const char *name, const char *script, GError **error)
{
	(void)host, (void)port, (void)admin, (void)password, (void)user, (void)name, (void)script;
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "ManageSieve not built yet");
	return FALSE;
}
