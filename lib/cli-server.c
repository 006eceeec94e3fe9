/* cli-server.c -- see cli-server.h. */
#include "cli-server.h"

#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "cyrus-conf.h"

void
cli_server_add_entries(GOptionContext *context, CliServer *server, const char *manifest_help,
                       const char *verbose_help)
{
	CliServerOptions *o = &server->options;
	const GOptionEntry entries[] = {
		{ "manifest", 0, 0, G_OPTION_ARG_FILENAME, &o->manifest, manifest_help, "FILE" },
		{ "cyrus-conf", 0, 0, G_OPTION_ARG_FILENAME, &o->cyrus_conf, "the server's imapd.conf", "FILE" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &o->host, "IMAP server (default 127.0.0.1)", "HOST" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &o->port, "IMAP port (default 143)", "PORT" },
		{ "admin", 0, 0, G_OPTION_ARG_STRING, &o->admin, "Cyrus admin (default cyrus)", "NAME" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &o->password_file, "the admin's password", "FILE" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs, "users at once (default: the number of cores)", "N" },
		{ "report", 0, 0, G_OPTION_ARG_FILENAME, &o->report, "write a JSON report", "FILE" },
		{ "source-tz", 0, 0, G_OPTION_ARG_STRING, &o->source_tz, "the old host's zone (default: local)", "TZ" },
		{ "from-quoting", 0, 0, G_OPTION_ARG_STRING, &o->from_quoting, "auto, mboxrd, mboxo, none", "Q" },
		{ "user", 'u', 0, G_OPTION_ARG_STRING_ARRAY, &o->only_users, "only this user (repeatable)", "USER" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, verbose_help, NULL },
		G_OPTION_ENTRY_NULL
	};
	g_option_context_add_main_entries(context, entries, NULL);
}

int
cli_server_configure(CliServer *server, const char *prog, Report *report)
{
	const CliServerOptions *o = &server->options;
	g_autoptr(GError) error = NULL;
	g_autoptr(CyrusConf) conf = NULL;

	if (o->manifest == NULL)
		return cli_usage_error(prog, "--manifest is needed");
	if (o->cyrus_conf == NULL)
		return cli_usage_error(prog, "--cyrus-conf is needed (the server's imapd.conf)");
	mbox_reader_settings_init(&server->reader);
	if (o->from_quoting != NULL && !mbox_quoting_from_name(o->from_quoting, &server->reader.quoting))
		return cli_usage_error(prog, "--from-quoting: unknown value '%s'", o->from_quoting);
	if (o->source_tz != NULL &&
	    (server->reader.source_tz = g_time_zone_new_identifier(o->source_tz)) == NULL)
		return cli_usage_error(prog, "--source-tz: unknown zone '%s'", o->source_tz);
	conf = cyrus_conf_load(o->cyrus_conf, &error);
	if (conf == NULL) {
		report_msg(report, REPORT_CONFIG, "--cyrus-conf: %s", error->message);
		return EX_CONFIG;
	}
	mailbox_naming_from_conf(&server->naming, conf);
	server->altnamespace = cyrus_conf_get_bool(conf, "altnamespace", TRUE);
	server->host = o->host ? o->host : "127.0.0.1";
	server->port = (guint16)(o->port > 0 ? o->port : 143);
	server->admin = o->admin ? o->admin : "cyrus";
	server->timeout = 300;
	return 0;
}

/* The admin's password: after the settings that can only be wrong, so that a dry run
 * needs none. */
int
cli_server_read_password(CliServer *server, const char *prog, Report *report)
{
	g_autoptr(GError) error = NULL;

	if (server->options.password_file == NULL)
		return cli_usage_error(prog, "--password-file is needed (the admin's password)");
	if (!g_file_get_contents(server->options.password_file, &server->password, NULL, &error)) {
		report_msg(report, REPORT_CONFIG, "--password-file: %s", error->message);
		return EX_CONFIG;
	}
	g_strchomp(server->password);
	return 0;
}

int
cli_server_load_manifest(CliServer *server, Report *report, ManifestSettings *settings,
                         GPtrArray **rows_out)
{
	g_autoptr(GError) error = NULL;

	*rows_out = manifest_load(server->options.manifest, &server->naming, settings, &error);
	if (*rows_out != NULL)
		return 0;
	gboolean other_server = g_error_matches(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SEPARATOR);
	report_msg(report, other_server ? REPORT_CONFIG : REPORT_DATAERR, "%s", error->message);
	if (g_error_matches(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO))
		return EX_NOINPUT;
	return other_server ? EX_CONFIG : EX_DATAERR;
}

void
cli_server_clear(CliServer *server)
{
	CliServerOptions *o = &server->options;
	if (server->reader.source_tz != NULL)
		g_time_zone_unref(server->reader.source_tz);
	g_free(server->password);
	g_free(o->manifest);
	g_free(o->cyrus_conf);
	g_free(o->host);
	g_free(o->admin);
	g_free(o->password_file);
	g_free(o->report);
	g_free(o->source_tz);
	g_free(o->from_quoting);
	g_strfreev(o->only_users);
	memset(server, 0, sizeof *server);
}
