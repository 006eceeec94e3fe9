/* sieve-probe -- drive lib/managesieve.c from the end-to-end tests.
 *
 *   sieve-probe --port P [--host H] --admin A --password-file F --user U --name N SCRIPT
 *        managesieve_install(): store the file SCRIPT as U's script N, make it active
 * Exit 0 when it worked; 1 with "sieve-probe: CODE: message" on stderr, CODE being
 * the M2cManagesieveError name, so the tests can check classification and text;
 * 64 for bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "managesieve.h"

static const char *
code_name(const GError *error)
{
	static const char *const names[] = { "NETWORK", "PROTOCOL", "AUTH", "NO" };
	if (error->domain == M2C_MANAGESIEVE_ERROR && error->code >= 0 &&
	    (gsize)error->code < G_N_ELEMENTS(names))
		return names[error->code];
	return "OTHER";
}

int
main(int argc, char **argv)
{
	g_autofree char *host = g_strdup("127.0.0.1"), *admin = NULL, *password_file = NULL;
	g_autofree char *user = NULL, *name = NULL, *password = NULL, *script = NULL;
	gint port = 0;
	GOptionEntry entries[] = {
		{ "host", 0, 0, G_OPTION_ARG_STRING, &host, "server", "H" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &port, "ManageSieve port", "P" },
		{ "admin", 0, 0, G_OPTION_ARG_STRING, &admin, "admin", "A" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "admin's password", "F" },
		{ "user", 0, 0, G_OPTION_ARG_STRING, &user, "user", "U" },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name, "script name", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("SCRIPT");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 2 || port <= 0 ||
	    port > 65535 || !admin || !password_file || !user || !name) {
		fprintf(stderr, "sieve-probe: %s\n", error ? error->message : "usage: see the source");
		return 64;
	}
	if (!g_file_get_contents(password_file, &password, NULL, &error) ||
	    !g_file_get_contents(argv[1], &script, NULL, &error)) {
		fprintf(stderr, "sieve-probe: OTHER: %s\n", error->message);
		return 1;
	}
	g_strchomp(password);
	if (!managesieve_install(host, (guint16)port, admin, password, user, name, script, &error)) {
		fprintf(stderr, "sieve-probe: %s: %s\n", code_name(error), error->message);
		return 1;
	}
	printf("installed %s for %s\n", name, user);
	return 0;
}
