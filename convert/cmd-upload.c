/* cmd-upload.c -- mbox2cyrus upload: one user moves their own mail into Cyrus over
 * IMAP, with their own password.
 *
 *   mbox2cyrus upload [--host H] [--port P] [--login NAME] [--password-file F]
 *                     [--into FOLDER] [--state DIR] [--report R.json] [FILE...]
 *
 * The user is whoever runs it (root and the cyrus user are refused: 77).  The order:
 * the password (a file, else asked on the terminal), one login to learn the server's
 * naming (NAMESPACE; a missing INBOX is created first, as Cyrus lists no personal
 * namespace without one), the rows (upload.h: the user's files found as mapnames
 * finds them, or FILE...; --into), then convert's pipeline for that one user with
 * the imap method and the user's own login (convert-user.h: own_login), journaled
 * under --state.
 *
 * Exit status: 0 done; 1 some folders failed (listed; a rerun retries them); 64
 * usage; 65 a damaged journal; 66 a FILE that does not exist; 69 the server could not
 * be reached; 75 a temporary failure (rerun); 77 run as root or as the cyrus user,
 * or the login refused; 78 configuration (a server whose namespace is not Cyrus's, a
 * state directory that cannot be made).
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <gio/gio.h>

#include "cli.h"
#include "cli-server.h"
#include "commands.h"
#include "convert-run.h"
#include "imap-session.h"
#include "manifest.h"
#include "map-user.h"
#include "message-fix.h"
#include "upload.h"

#define PROG "mbox2cyrus upload"

typedef struct {
	CliServer server;            /* options.host, .port, .password_file, .report,
	                              * .source_tz, .from_quoting are upload's own options */
	char *login;
	char *into;
	char *state;
	char *spool_dir;
	char *folder_dirs;
	char *fs_charset;
	char *fs_charset_fallback;
	gboolean special_use;
	gboolean include_empty;
	char *cyrus_user;
	char **no_fix;
	char *header_charset;
	/* resolved */
	char *user;                  /* the invoking unix user */
	guint fixes;
	GPtrArray *files;            /* UploadFile *, or NULL: discover */
	char *state_dir;
} UploadConfig;

/* Print why upload will not run for this user or login; EX_NOPERM. */
static int G_GNUC_PRINTF(1, 2)
refuse(const char *format, ...)
{
	va_list ap;
	g_autofree char *text = NULL;
	va_start(ap, format);
	text = g_strdup_vprintf(format, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", PROG, text);
	return EX_NOPERM;
}

/* Who runs us: the user whose mail it is.  Never root (root could read anyone's
 * files and would journal as root; an administrator moving users' mail has convert,
 * which logs in as each of them), never the user Cyrus runs as (it owns the spool,
 * and has no mail of its own to move). */
static int
find_user(UploadConfig *config)
{
	const char *cyrus = config->cyrus_user ? config->cyrus_user : "cyrus";
	if (getuid() == 0 || geteuid() == 0)
		return refuse("refusing to run as root: upload moves your own mail with your own "
		              "password; as root use `mbox2cyrus convert --method imap`, which logs in "
		              "as each user through the admin");
	struct passwd *pw = getpwuid(getuid());
	if (pw == NULL)
		return refuse("refusing to run: uid %u is not in the password database (upload finds "
		              "your mail through your home directory)", (unsigned)getuid());
	config->user = g_strdup(pw->pw_name);
	struct passwd *cy = getpwnam(cyrus);
	if (strcmp(config->user, cyrus) == 0 || (cy != NULL && cy->pw_uid == getuid()))
		return refuse("refusing to run as the Cyrus user \"%s\": upload moves a user's own mail "
		              "with their own password; run it as that user (the administrator has "
		              "`mbox2cyrus convert`)", cyrus);
	return 0;
}

/* Settings that can only be wrong, and the FILE arguments: said before the password
 * is asked for. */
static int
configure(UploadConfig *config, char **files, Report *report)
{
	CliServer *server = &config->server;
	const CliServerOptions *o = &server->options;
	g_autoptr(GError) error = NULL;
	int status;

	mbox_reader_settings_init(&server->reader);
	if (o->from_quoting != NULL && !mbox_quoting_from_name(o->from_quoting, &server->reader.quoting))
		return cli_usage_error(PROG, "--from-quoting: unknown value '%s'", o->from_quoting);
	if (o->source_tz != NULL &&
	    (server->reader.source_tz = g_time_zone_new_identifier(o->source_tz)) == NULL)
		return cli_usage_error(PROG, "--source-tz: unknown zone '%s'", o->source_tz);
	config->fixes = MESSAGE_FIX_ALL;
	for (guint i = 0; config->no_fix != NULL && config->no_fix[i] != NULL; i++) {
		guint kind = message_fix_kind_from_name(config->no_fix[i]);
		if (kind == 0)
			return cli_usage_error(PROG, "--no-fix: \"%s\" is not one of %s", config->no_fix[i],
			                       MESSAGE_FIX_NAMES);
		config->fixes &= ~kind;
	}
	MessageFixSettings check = { .enabled = config->fixes, .header_charset = config->header_charset };
	if (!message_fix_settings_check(&check, &error))
		return cli_usage_error(PROG, "--header-charset: %s", error->message);
	MailboxNaming charsets = { .separator = '.', .fs_charset = config->fs_charset,
	                           .fs_charset_fallback = config->fs_charset_fallback };
	if (!mailbox_naming_check(&charsets, &error))
		return cli_usage_error(PROG, "%s", error->message);
	if (config->spool_dir != NULL) {
		char *abs = g_canonicalize_filename(config->spool_dir, NULL);
		g_free(config->spool_dir);
		config->spool_dir = abs;
	}
	server->host = o->host ? o->host : "127.0.0.1";
	server->admin = config->login ? config->login : config->user;
	server->timeout = 300;
	/* a password crosses the wire: TLS by default, also on the loopback */
	if ((status = cli_server_configure_endpoint(server, PROG, TRUE, report)) != 0)
		return status;
	/* the rest of --into's checks need the server's separator (make_rows) */
	if (config->into != NULL && (*config->into == '\0' || g_ascii_strcasecmp(config->into, "INBOX") == 0))
		return cli_usage_error(PROG, "--into \"%s\": name a folder (without --into the mail goes "
		                       "into INBOX and its folders)", config->into);
	if (files != NULL && files[0] != NULL) {
		config->files = upload_files_check(files, &error);
		if (config->files == NULL && g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			fprintf(stderr, "%s: %s\n", PROG, error->message);
			return EX_NOINPUT;
		}
		if (config->files == NULL)
			return cli_usage_error(PROG, "%s", error->message);
	}
	config->state_dir = config->state ? g_strdup(config->state)
	                    : upload_state_dir(server->host, server->port, server->admin);
	return 0;
}

/* The password: --password-file, else the terminal.  Never an option's value. */
static int
read_password(UploadConfig *config)
{
	CliServer *server = &config->server;
	g_autoptr(GError) error = NULL;

	if (server->options.password_file != NULL) {
		server->password = cli_password_from_file(server->options.password_file, &error);
		if (server->password == NULL) {
			fprintf(stderr, "%s: --password-file: %s\n", PROG, error->message);
			return EX_CONFIG;
		}
		return 0;
	}
	g_autofree char *prompt = g_strdup_printf("IMAP password for %s at %s: ", server->admin,
	                                          server->host);
	server->password = cli_ask_password(prompt, &error);
	if (server->password == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
		return cli_usage_error(PROG, "%s: give --password-file FILE", error->message);
	if (server->password == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, error->message);
		return EX_USAGE;
	}
	return 0;
}

/* Every connection upload itself makes: here, once (convert-user.c makes convert's). */
static ImapSession *
upload_connect(const CliServer *server, GError **error)
{
	g_autoptr(ImapSession) session = imap_session_open(&server->endpoint, error);
	if (session == NULL || !imap_session_login(session, server->admin, server->password, error))
		return NULL;
	return g_steal_pointer(&session);
}

/* Log in once: the password checked before any work, and the server's naming asked
 * (the user cannot read its imapd.conf).  Returns 0 or the exit status. */
static int
learn_naming(UploadConfig *config, Report *report)
{
	CliServer *server = &config->server;
	g_autoptr(GError) error = NULL;
	g_autofree char *prefix = NULL;
	char delimiter = 0;

	g_autoptr(ImapSession) session = upload_connect(server, &error);
	if (session == NULL && g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH))
		return refuse("%s port %u refused the login \"%s\": %s (a wrong password? --login NAME "
		              "if your IMAP login is not \"%s\")", server->host, server->port, server->admin,
		              error->message, config->user);
	if (session == NULL && g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS)) {
		report_msg(report, REPORT_CONFIG, "%s", error->message);
		return EX_CONFIG;
	}
	if (session == NULL) {
		report_msg(report, REPORT_UNAVAILABLE, "%s", error->message);
		return EX_UNAVAILABLE;
	}
	if (!imap_session_namespace(session, &prefix, &delimiter, &error)) {
		report_msg(report, REPORT_CONFIG, "%s", error->message);
		return EX_CONFIG;
	}
	if (prefix == NULL) {
		/* Cyrus 3.6 lists no personal namespace until the INBOX exists, and lets the
		 * user create it (measured): convert would CREATE it first anyway */
		if (!imap_session_create(session, "INBOX", &error))
			return refuse("your INBOX does not exist on %s and could not be created: %s (ask "
			              "the server's administrator to create your mailbox)", server->host,
			              error->message);
		if (!imap_session_namespace(session, &prefix, &delimiter, &error)) {
			report_msg(report, REPORT_CONFIG, "%s", error->message);
			return EX_CONFIG;
		}
		if (prefix == NULL) {
			report_msg(report, REPORT_CONFIG, "%s lists no personal namespace, even with your "
			           "INBOX: not a Cyrus this tool knows", server->host);
			return EX_CONFIG;
		}
	}
	server->naming.fs_charset = config->fs_charset;
	server->naming.fs_charset_fallback = config->fs_charset_fallback;
	if (!upload_naming_from_namespace(prefix, delimiter, &server->naming, &server->altnamespace,
	                                  &error)) {
		report_msg(report, REPORT_CONFIG, "%s", error->message);
		return EX_CONFIG;
	}
	return 0;
}

/* The rows of the user's mail, as mapnames would write them.  Returns 0 or the exit
 * status. */
static int
make_rows(UploadConfig *config, const ManifestSettings *manifest, Report *report, GPtrArray *rows)
{
	const MailboxNaming *naming = &config->server.naming;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) folder_dirs = g_strsplit(config->folder_dirs ? config->folder_dirs : "Mail,mail", ",", -1);
	DiscoverSettings ds = {
		.folder_dirs = folder_dirs, .spool_dir = manifest->inbox_dir,
		.check_owner = manifest->check_owner,
		.follow_links_inside_home = manifest->follow_links_inside_home,
		.include_empty = config->include_empty, .max_depth = 20,
	};
	MapUserSettings map = { .discover = &ds, .naming = naming, .special_use = config->special_use };

	if (config->files != NULL) {
		if (!upload_rows_from_files(&map, config->user, config->files, rows, &error)) {
			report_msg(report, REPORT_DATAERR, "%s", error->message);
			return EX_DATAERR;
		}
	} else {
		g_autoptr(MailboxNameSet) names = mailbox_name_set_new(naming);
		g_autoptr(GHashTable) sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		map_user(&map, names, sources, config->user, rows, report);
	}
	if (config->into != NULL &&
	    !upload_rows_into(&map, config->user, config->into, rows, report, &error))
		return cli_usage_error(PROG, "%s", error->message);
	/* what convert checks of a manifest; only a bug breaks it here */
	if (!manifest_validate("(upload's rows)", rows, naming, &error)) {
		report_msg(report, REPORT_DATAERR, "%s", error->message);
		return EX_DATAERR;
	}
	return 0;
}

static gboolean
has_sources(GPtrArray *rows)
{
	for (guint i = 0; i < rows->len; i++) {
		const ManifestRow *row = g_ptr_array_index(rows, i);
		if (row->action != MANIFEST_SKIP && row->source != NULL)
			return TRUE;
	}
	return FALSE;
}

/* convert's pipeline for the one user.  Returns the exit status. */
static int
run(UploadConfig *config, const ManifestSettings *manifest, GPtrArray *rows, Report *report)
{
	g_autoptr(GError) error = NULL;
	ConvertContext ctx = {
		.server = &config->server, .own_login = config->server.admin, .quota_kb = -1,
		.method = &convert_method_imap, .state_dir = config->state_dir, .manifest = manifest,
		.report = report,
	};
	MethodSettings ms = {
		.state_dir = config->state_dir, .fixes = config->fixes,
		.header_charset = config->header_charset, .reader = &config->server.reader,
	};

	/* the journal and the quarantine: the user's alone (journal_open makes it so too) */
	if (g_mkdir_with_parents(config->state_dir, 0700) != 0) {
		report_msg(report, REPORT_CONFIG, "cannot create the state directory %s: %s",
		           config->state_dir, g_strerror(errno));
		return EX_CONFIG;
	}
	ctx.method_run = ctx.method->run_new(&ms, &error);
	if (ctx.method_run == NULL) {
		report_msg(report, REPORT_CONFIG, "%s", error->message);
		return EX_CONFIG;
	}
	ctx.results = convert_results_new("imap", config->server.options.report, &error);
	if (ctx.results == NULL) {
		report_msg(report, REPORT_FAILED, "%s", error->message);
		ctx.method->run_free(ctx.method_run);
		return EX_CANTCREAT;
	}
	g_autoptr(GPtrArray) work = manifest_group_by_user(rows, NULL);
	int status = convert_run(&ctx, work, 1, 1, FALSE, config->server.options.report);
	ctx.method->run_free(ctx.method_run);
	convert_results_free(ctx.results);
	return status;
}

static void
config_clear(UploadConfig *config)
{
	if (config->server.password != NULL)
		explicit_bzero(config->server.password, strlen(config->server.password));
	cli_server_clear(&config->server);
	g_free(config->login);
	g_free(config->into);
	g_free(config->state);
	g_free(config->spool_dir);
	g_free(config->folder_dirs);
	g_free(config->fs_charset);
	g_free(config->fs_charset_fallback);
	g_free(config->cyrus_user);
	g_strfreev(config->no_fix);
	g_free(config->header_charset);
	g_free(config->user);
	g_clear_pointer(&config->files, g_ptr_array_unref);
	g_free(config->state_dir);
}

int
cmd_upload(int argc, char **argv)
{
	UploadConfig config = { 0 };
	CliServerOptions *o = &config.server.options;
	GOptionEntry entries[] = {
		{ "host", 0, 0, G_OPTION_ARG_STRING, &o->host, "IMAP server (default 127.0.0.1)", "HOST" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &o->port, "IMAP port (default 143; 993 with --tls imaps)", "PORT" },
		{ "tls", 0, 0, G_OPTION_ARG_STRING, &o->tls, "starttls (default), imaps or none", "HOW" },
		{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &o->ca_file, "trust the CAs in this PEM file, not the system's", "FILE" },
		{ "insecure", 0, 0, G_OPTION_ARG_NONE, &o->insecure, "do not verify the server's certificate", NULL },
		{ "compress", 0, 0, G_OPTION_ARG_NONE, &o->compress, "COMPRESS=DEFLATE when the server offers it", NULL },
		{ "login", 0, 0, G_OPTION_ARG_STRING, &config.login, "IMAP login name (default: your user name)", "NAME" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &o->password_file, "your IMAP password, on its first line (default: asked on the terminal)", "FILE" },
		{ "into", 0, 0, G_OPTION_ARG_STRING, &config.into, "put everything under this folder (the old inbox becomes FOLDER)", "FOLDER" },
		{ "special-use", 0, 0, G_OPTION_ARG_NONE, &config.special_use, "sent-mail -> Sent, postponed-msgs -> Drafts, ...", NULL },
		{ "spool-dir", 0, 0, G_OPTION_ARG_FILENAME, &config.spool_dir, "your inbox is DIR/USER (default /var/mail)", "DIR" },
		{ "folder-dirs", 0, 0, G_OPTION_ARG_STRING, &config.folder_dirs, "folder directories in your home (default Mail,mail)", "LIST" },
		{ "include-empty", 0, 0, G_OPTION_ARG_NONE, &config.include_empty, "empty files become empty folders", NULL },
		{ "fs-charset", 0, 0, G_OPTION_ARG_STRING, &config.fs_charset, "charset of file names (default UTF-8)", "CS" },
		{ "fs-charset-fallback", 0, 0, G_OPTION_ARG_STRING, &config.fs_charset_fallback, "for names not valid in it, e.g. EUC-JP, ISO-8859-1", "CS" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &config.state, "journal directory (default $XDG_STATE_HOME/mbox2cyrus/upload/HOST-PORT-LOGIN)", "DIR" },
		{ "report", 0, 0, G_OPTION_ARG_FILENAME, &o->report, "write a JSON report", "FILE" },
		{ "source-tz", 0, 0, G_OPTION_ARG_STRING, &o->source_tz, "the old host's zone (default: local)", "TZ" },
		{ "from-quoting", 0, 0, G_OPTION_ARG_STRING, &o->from_quoting, "auto, mboxrd, mboxo, none", "Q" },
		{ "no-fix", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config.no_fix, "leave this kind of message as it is (" MESSAGE_FIX_NAMES "; repeatable)", "KIND" },
		{ "header-charset", 0, 0, G_OPTION_ARG_STRING, &config.header_charset, "the charset of raw 8-bit header bytes (default: detected)", "CHARSET" },
		{ "cyrus-user", 0, 0, G_OPTION_ARG_STRING, &config.cyrus_user, "the user Cyrus runs as, refused (default cyrus)", "NAME" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("[FILE...]");
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autoptr(Report) report = NULL;
	g_auto(ManifestSettings) manifest = { 0 };
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_summary(context,
		"Upload your own mail into Cyrus over IMAP, logged in with your own password: your\n"
		"inbox (/var/mail/USER) and the folders under ~/Mail and ~/mail, found and named as\n"
		"mapnames finds them, or the mbox FILEs given (each one folder).  Interrupted runs\n"
		"resume from the journal in --state; a rerun after success changes nothing.");
	g_option_context_set_description(context, "See mbox2cyrus-upload(1).");
	if ((status = cli_parse(context, PROG, &argc, &argv)) != 0)
		goto out;
	/* a server that drops the connection must fail the user, not kill the run before
	 * its report is written */
	signal(SIGPIPE, SIG_IGN);
	report = report_new(PROG, stderr, TRUE);
	if ((status = find_user(&config)) != 0 || (status = configure(&config, argv + 1, report)) != 0 ||
	    (status = read_password(&config)) != 0)
		goto out;
	if ((status = learn_naming(&config, report)) != 0)
		goto out;
	manifest_settings_init(&manifest);
	manifest.separator = config.server.naming.separator;
	manifest.inbox_dir = g_strdup(config.spool_dir ? config.spool_dir : "/var/mail");
	if ((status = make_rows(&config, &manifest, report, rows)) != 0)
		goto out;
	if (!has_sources(rows)) {
		g_auto(GStrv) dirs = g_strsplit(config.folder_dirs ? config.folder_dirs : "Mail,mail", ",", -1);
		g_autofree char *where = g_strjoinv(", ~/", dirs);
		report_msg(report, REPORT_WARNING, "found no mail to upload: no %s/%s, no mail folders "
		           "in ~/%s", manifest.inbox_dir, config.user, where);
		status = report_summary(report, "nothing uploaded");
		goto out;
	}
	status = run(&config, &manifest, rows, report);
out:
	config_clear(&config);
	return status;
}
