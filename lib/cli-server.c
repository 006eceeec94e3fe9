/* cli-server.c -- see cli-server.h. */
#include "cli-server.h"

#include "lmtp-trace.h"

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
		{ "port", 0, 0, G_OPTION_ARG_INT, &o->port, "IMAP port (default 143; 993 with --tls imaps)", "PORT" },
		{ "admin", 0, 0, G_OPTION_ARG_STRING, &o->admin, "Cyrus admin (default cyrus)", "NAME" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &o->password_file, "the admin's password", "FILE" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs, "users at once (default: the number of cores)", "N" },
		{ "report", 0, 0, G_OPTION_ARG_FILENAME, &o->report, "write a JSON report", "FILE" },
		{ "source-tz", 0, 0, G_OPTION_ARG_STRING, &o->source_tz, "the old host's zone (default: local)", "TZ" },
		{ "from-quoting", 0, 0, G_OPTION_ARG_STRING, &o->from_quoting, "auto, mboxrd, mboxo, none", "Q" },
		{ "header-charset", 0, 0, G_OPTION_ARG_STRING, &o->header_charset, "the charset of raw 8-bit header bytes, for the imap method's RFC 2047 fix (default: detected)", "CHARSET" },
		{ "user", 'u', 0, G_OPTION_ARG_STRING_ARRAY, &o->only_users, "only this user (repeatable)", "USER" },
		{ "server", 0, 0, G_OPTION_ARG_STRING, &o->server, "only the users the manifest's server column sends to this Cyrus Murder backend", "NAME" },
		{ "shard", 0, 0, G_OPTION_ARG_STRING, &o->shard, "only the users of slice K of N (a stable hash of the user name: N hosts or job array tasks take one slice each)", "K/N" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, verbose_help, NULL },
		{ "tls", 0, 0, G_OPTION_ARG_STRING, &o->tls, "none, starttls or imaps (default: none for 127.0.0.1, ::1 and localhost, else starttls)", "HOW" },
		{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &o->ca_file, "trust the CAs in this PEM file, not the system's", "FILE" },
		{ "insecure", 0, 0, G_OPTION_ARG_NONE, &o->insecure, "do not verify the server's certificate", NULL },
		{ "compress", 0, 0, G_OPTION_ARG_NONE, &o->compress, "COMPRESS=DEFLATE when the server offers it", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_option_context_add_main_entries(context, entries, NULL);
}

/* Nothing sent to these leaves the host: plain text is the default there. */
static gboolean
is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
	       g_ascii_strcasecmp(host, "localhost") == 0;
}

int
cli_server_configure_endpoint(CliServer *server, const char *prog, gboolean tls_always,
                              Report *report)
{
	const CliServerOptions *o = &server->options;
	ImapEndpoint *ep = &server->endpoint;
	g_autoptr(GError) error = NULL;

	ep->tls = is_loopback(server->host) && !tls_always ? IMAP_TLS_NONE : IMAP_TLS_STARTTLS;
	if (o->tls != NULL && !imap_tls_from_name(o->tls, &ep->tls))
		return cli_usage_error(prog, "--tls must be none, starttls or imaps");
	if (o->port < 0 || o->port > 65535)
		return cli_usage_error(prog, "--port: %d is not a port", o->port);
	if (ep->tls == IMAP_TLS_NONE && (o->ca_file != NULL || o->insecure))
		return cli_usage_error(prog, "%s: the connection to %s is in plain text (--tls none%s): "
		                       "give --tls starttls or imaps", o->ca_file ? "--ca-file" : "--insecure",
		                       server->host, o->tls ? "" : ", the default for the loopback");
	if (o->ca_file != NULL && o->insecure)
		return cli_usage_error(prog, "--ca-file and --insecure: verify, or do not");
	server->port = (guint16)(o->port > 0 ? o->port : ep->tls == IMAP_TLS_IMAPS ? 993 : 143);
	ep->host = server->host;
	ep->port = server->port;
	ep->timeout_s = server->timeout;
	ep->ca_file = o->ca_file;
	ep->insecure = o->insecure;
	ep->compress = o->compress;
	if (ep->tls != IMAP_TLS_NONE && !o->insecure) {
		/* once for the run: the system store costs about 8 ms to load (tls-verify.h) */
		server->trust = tls_trust_new(o->ca_file, &error);
		if (server->trust == NULL) {
			report_msg(report, REPORT_CONFIG, "%s: %s", o->ca_file ? "--ca-file" : "--tls",
			           error->message);
			return EX_CONFIG;
		}
		ep->trust = server->trust;
	}
	if (o->insecure)
		report_msg(report, REPORT_WARNING, "certificate of %s not verified (--insecure)",
		           server->host);
	return 0;
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
	if (o->shard != NULL && !shard_parse(o->shard, &server->shard))
		return cli_usage_error(prog, "--shard: \"%s\" is not K/N with 1 <= K <= N", o->shard);
	mbox_reader_settings_init(&server->reader);
	if (o->from_quoting != NULL && !mbox_quoting_from_name(o->from_quoting, &server->reader.quoting))
		return cli_usage_error(prog, "--from-quoting: unknown value '%s'", o->from_quoting);
	if (o->source_tz != NULL &&
	    (server->reader.source_tz = g_time_zone_new_identifier(o->source_tz)) == NULL)
		return cli_usage_error(prog, "--source-tz: unknown zone '%s'", o->source_tz);
	message_fix_settings_init(&server->fix);
	server->fix.header_charset = o->header_charset;
	if (!message_fix_settings_check(&server->fix, &error))
		return cli_usage_error(prog, "--header-charset: %s", error->message);
	conf = cyrus_conf_load(o->cyrus_conf, &error);
	if (conf == NULL) {
		report_msg(report, REPORT_CONFIG, "--cyrus-conf: %s", error->message);
		return EX_CONFIG;
	}
	mailbox_naming_from_conf(&server->naming, conf);
	server->altnamespace = cyrus_conf_get_bool(conf, "altnamespace", TRUE);
	server->host = o->host ? o->host : "127.0.0.1";
	server->admin = o->admin ? o->admin : "cyrus";
	server->timeout = 300;
	g_autofree char *state = o->convert_state ? g_strdup(o->convert_state)
	                                          : g_strconcat(o->manifest, ".state", NULL);
	g_clear_error(&error);
	server->has_lmtp_secret = lmtp_trace_secret(state, FALSE, server->lmtp_secret, &error);
	if (!server->has_lmtp_secret && !g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		report_msg(report, REPORT_CONFIG, "--convert-state: %s", error->message);
		return EX_CONFIG;
	}
	return cli_server_configure_endpoint(server, prog, FALSE, report);
}

GPtrArray *
cli_server_users(const CliServer *server, GPtrArray *rows)
{
	GPtrArray *users = manifest_group_by_user(rows, server->options.only_users);
	const char *backend = server->options.server;
	for (guint i = users->len; i-- > 0;) {
		ManifestUser *u = g_ptr_array_index(users, i);
		gboolean keep = shard_has(&server->shard, u->user);
		if (keep && backend != NULL) {
			keep = FALSE;
			for (guint k = 0; k < u->rows->len; k++) {
				const ManifestRow *row = g_ptr_array_index(u->rows, k);
				keep |= row->server != NULL && strcmp(row->server, backend) == 0;
			}
		}
		if (!keep)
			g_ptr_array_remove_index(users, i);
	}
	return users;
}

void
cli_server_add_convert_state(GOptionContext *context, CliServer *server)
{
	GOptionEntry entries[] = {
		{ "convert-state", 0, 0, G_OPTION_ARG_FILENAME, &server->options.convert_state,
		  "convert's journal directory, if not MANIFEST.state (its lmtp.secret tells "
		  "convert --method lmtp's delivery headers)", "DIR" },
		G_OPTION_ENTRY_NULL
	};
	g_option_context_add_main_entries(context, entries, NULL);
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
cli_server_check_connection(CliServer *server, Report *report)
{
	const ImapEndpoint *ep = &server->endpoint;
	g_autoptr(GError) error = NULL;
	g_autoptr(ImapSession) session = NULL;
	g_autofree char *how = NULL;

	if (ep->tls == IMAP_TLS_NONE && !ep->compress)
		return 0;
	session = imap_session_open(ep, &error);
	if (session != NULL && ep->compress &&
	    !imap_session_login(session, server->admin, server->password, &error))
		g_clear_pointer(&session, imap_session_free);
	if (session == NULL) {
		if (!g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS) &&
		    !g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH))
			return 0;
		report_msg(report, REPORT_CONFIG, "the run stops: %s", error->message);
		return EX_CONFIG;
	}
	how = imap_session_describe(session);
	report_msg(report, REPORT_INFO, "connection to %s port %u: %s", ep->host, ep->port, how);
	if (imap_session_get_compress(session) == IMAP_COMPRESS_NOT_OFFERED)
		report_msg(report, REPORT_WARNING, "%s does not offer COMPRESS=DEFLATE: the sessions "
		           "go on uncompressed", ep->host);
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
	tls_trust_free(server->trust);
	g_free(server->password);
	g_free(o->manifest);
	g_free(o->cyrus_conf);
	g_free(o->host);
	g_free(o->admin);
	g_free(o->password_file);
	g_free(o->report);
	g_free(o->source_tz);
	g_free(o->from_quoting);
	g_free(o->header_charset);
	g_free(o->convert_state);
	g_free(o->shard);
	g_free(o->server);
	memset(server->lmtp_secret, 0, sizeof server->lmtp_secret);
	g_strfreev(o->only_users);
	g_free(o->tls);
	g_free(o->ca_file);
	memset(server, 0, sizeof *server);
}
