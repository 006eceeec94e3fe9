/* cmd-convert.c -- mbox2cyrus convert: move the mail named in a manifest into Cyrus.
 *
 *   mbox2cyrus convert --method spool --manifest mailboxes.tsv --cyrus-conf imapd.conf
 *                      --password-file F [--jobs N] [--state DIR] [--report R.json] ...
 *
 * Exit status: 0 every user done; 1 some users or mailboxes failed (listed; a rerun
 * retries them); 64 usage; 65 a bad manifest; 69 the server could not be reached;
 * 75 a temporary failure (rerun); 78 configuration (not root, no Cyrus tools, wrong
 * separator).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <gio/gio.h>

#include "cli.h"
#include "commands.h"
#include "convert-user.h"
#include "cyrus-conf.h"
#include "imap-session.h"
#include "manifest.h"

typedef struct {
	char *method;
	char *manifest;
	char *cyrus_conf;
	char *cyrus_bin;
	char *cyrus_user;
	char *host;
	int port;
	char *admin;
	char *password_file;
	int jobs;
	int reconstruct_jobs;
	gint64 quota;
	char *partition;
	char *state;
	gboolean dry_run;
	char *report;
	char *fsync;
	char *source_tz;
	char *from_quoting;
	char **only_users;
	gboolean verbose;
} ConvertConfig;

typedef struct {
	char *user;
	GPtrArray *rows;      /* ManifestRow*, borrowed from the manifest */
} UserWork;

static void
user_work_free(UserWork *w)
{
	g_free(w->user);
	g_ptr_array_unref(w->rows);
	g_free(w);
}

/* The manifest's rows grouped by user, skips left out, --user applied. */
static GPtrArray *
group_by_user(GPtrArray *rows, char **only)
{
	GPtrArray *work = g_ptr_array_new_with_free_func((GDestroyNotify)user_work_free);
	g_autoptr(GHashTable) by_user = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *row = g_ptr_array_index(rows, i);
		if (row->action == MANIFEST_SKIP)
			continue;
		if (only != NULL && !g_strv_contains((const char *const *)only, row->user))
			continue;
		UserWork *w = g_hash_table_lookup(by_user, row->user);
		if (w == NULL) {
			w = g_new0(UserWork, 1);
			w->user = g_strdup(row->user);
			w->rows = g_ptr_array_new();
			g_hash_table_insert(by_user, w->user, w);
			g_ptr_array_add(work, w);
		}
		g_ptr_array_add(w->rows, row);
	}
	return work;
}

static gint64
source_size(const ManifestRow *row)
{
	struct stat st;
	if (row->source == NULL)
		return 0;
	g_autofree char *path = g_strndup(g_bytes_get_data(row->source, NULL), g_bytes_get_size(row->source));
	return lstat(path, &st) == 0 ? st.st_size : 0;
}

/* --dry-run: what would be done, from the sources alone. */
static int
dry_run(GPtrArray *work, const MboxReaderSettings *reader)
{
	guint64 all_messages = 0;
	gint64 all_bytes = 0;
	guint mailboxes = 0, unreadable = 0;

	printf("user\tmailbox\tsource\tmessages\tbytes\n");
	for (guint i = 0; i < work->len; i++) {
		UserWork *w = g_ptr_array_index(work, i);
		for (guint k = 0; k < w->rows->len; k++) {
			ManifestRow *row = g_ptr_array_index(w->rows, k);
			g_autofree char *path = row->source ? g_strndup(g_bytes_get_data(row->source, NULL),
			                                                g_bytes_get_size(row->source)) : NULL;
			g_autoptr(GError) error = NULL;
			guint64 n = 0;
			gint64 bytes = 0;
			mailboxes++;
			if (path != NULL) {
				g_autoptr(MboxReader) r = mbox_reader_open(path, reader, &error);
				MboxMessage *m;
				while (r != NULL && (m = mbox_reader_next(r, &error)) != NULL) {
					n++;
					mbox_message_free(m);
				}
				if (r != NULL)
					bytes = mbox_reader_summary(r)->size;
			}
			if (error != NULL) {
				unreadable++;
				fprintf(stderr, "mbox2cyrus convert: %s\n", error->message);
			}
			printf("%s\t%s\t%s\t%" G_GUINT64_FORMAT "\t%" G_GINT64_FORMAT "\n", w->user,
			       row->mailbox, path ? path : "-", n, bytes);
			all_messages += n;
			all_bytes += bytes;
		}
	}
	printf("# plan: %u users, %u mailboxes, %" G_GUINT64_FORMAT " messages, %.1f MB%s; "
	       "nothing was changed\n", work->len, mailboxes, all_messages, all_bytes / 1e6,
	       unreadable ? " (some sources unreadable: see above)" : "");
	return unreadable ? 1 : EX_OK;
}

static void
run_user(gpointer data, gpointer user_data)
{
	UserWork *w = data;
	convert_user_spool(user_data, w->user, w->rows);
}

/* Settings that can only be wrong: say so before any user is touched. */
static int
configure(ConvertConfig *config, ConvertContext *ctx, char **password_out)
{
	const char *prog = "mbox2cyrus convert";
	g_autoptr(GError) error = NULL;
	g_autoptr(CyrusConf) conf = NULL;

	if (config->method == NULL || config->manifest == NULL)
		return cli_usage_error(prog, "--method and --manifest are needed");
	if (strcmp(config->method, "lmtp") == 0 || strcmp(config->method, "imap") == 0) {
		fprintf(stderr, "%s: --method %s: not built yet (use --method spool)\n", prog, config->method);
		return EX_UNAVAILABLE;
	}
	if (strcmp(config->method, "spool") != 0)
		return cli_usage_error(prog, "--method must be spool, lmtp or imap");
	if (config->cyrus_conf == NULL)
		return cli_usage_error(prog, "--method spool needs --cyrus-conf (the server's imapd.conf)");
	conf = cyrus_conf_load(config->cyrus_conf, &error);
	if (conf == NULL) {
		fprintf(stderr, "%s: --cyrus-conf: %s\n", prog, error->message);
		return EX_CONFIG;
	}
	mailbox_naming_from_conf(&ctx->naming, conf);
	ctx->altnamespace = cyrus_conf_get_bool(conf, "altnamespace", TRUE);
	mbox_reader_settings_init(&ctx->reader);
	if (config->from_quoting != NULL && !mbox_quoting_from_name(config->from_quoting, &ctx->reader.quoting))
		return cli_usage_error(prog, "--from-quoting: unknown value '%s'", config->from_quoting);
	if (config->source_tz != NULL &&
	    (ctx->reader.source_tz = g_time_zone_new_identifier(config->source_tz)) == NULL)
		return cli_usage_error(prog, "--source-tz: unknown zone '%s'", config->source_tz);
	ctx->spool.reader = &ctx->reader;
	ctx->spool.fsync = SPOOL_FSYNC_BATCH;
	if (config->fsync != NULL) {
		if (strcmp(config->fsync, "none") == 0)
			ctx->spool.fsync = SPOOL_FSYNC_NONE;
		else if (strcmp(config->fsync, "each") == 0)
			ctx->spool.fsync = SPOOL_FSYNC_EACH;
		else if (strcmp(config->fsync, "batch") != 0)
			return cli_usage_error(prog, "--fsync must be none, batch or each");
	}
	if (config->dry_run)
		return 0;
	if (geteuid() != 0) {
		fprintf(stderr, "%s: --method spool writes into Cyrus's spool: run it as root on the "
		        "Cyrus host\n", prog);
		return EX_CONFIG;
	}
	if (!cyrus_tools_init(&ctx->tools, config->cyrus_bin ? config->cyrus_bin : "/usr/lib/cyrus/bin",
	                      config->cyrus_conf, config->cyrus_user ? config->cyrus_user : "cyrus", &error)) {
		fprintf(stderr, "%s: %s\n", prog, error->message);
		return EX_CONFIG;
	}
	ctx->spool.uid = ctx->tools.uid;
	ctx->spool.gid = ctx->tools.gid;
	if (config->password_file == NULL)
		return cli_usage_error(prog, "--password-file is needed (the admin's password)");
	if (!g_file_get_contents(config->password_file, password_out, NULL, &error)) {
		fprintf(stderr, "%s: --password-file: %s\n", prog, error->message);
		return EX_CONFIG;
	}
	g_strchomp(*password_out);
	ctx->host = config->host ? config->host : "127.0.0.1";
	ctx->port = (guint16)(config->port > 0 ? config->port : 143);
	ctx->admin = config->admin ? config->admin : "cyrus";
	ctx->password = *password_out;
	ctx->timeout = 300;
	ctx->partition = config->partition;
	for (const char *c = config->partition; c != NULL && *c != '\0'; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
			return cli_usage_error(prog, "--partition: \"%s\" is not a Cyrus partition name",
			                       config->partition);
	ctx->quota_kb = config->quota > 0 ? config->quota : -1;
	ctx->reconstruct_slots = config->reconstruct_jobs > 0 ? (guint)config->reconstruct_jobs : 1;
	return 0;
}

/* Every row's mailbox must be a name on this server: the separator decides. */
static int
check_names(GPtrArray *work, const MailboxNaming *naming)
{
	for (guint i = 0; i < work->len; i++) {
		UserWork *w = g_ptr_array_index(work, i);
		for (guint k = 0; k < w->rows->len; k++) {
			ManifestRow *row = g_ptr_array_index(w->rows, k);
			if (strncmp(row->mailbox, "user", 4) != 0 || row->mailbox[4] != naming->separator) {
				fprintf(stderr, "mbox2cyrus convert: %s: line %u: \"%s\" is not a name for a server "
				        "with the '%c' separator (run mapnames with --cyrus-conf)\n", w->user,
				        row->line, row->mailbox, naming->separator);
				return EX_CONFIG;
			}
		}
	}
	return 0;
}

static int
convert(ConvertConfig *config, ConvertContext *ctx, GPtrArray *work)
{
	g_autoptr(GError) error = NULL;
	gint64 total_bytes = 0;
	gint64 started = g_get_monotonic_time();
	guint users_done, users_failed, mailboxes_failed, problems;
	guint64 messages;
	gint64 bytes;

	for (guint i = 0; i < work->len; i++) {
		UserWork *w = g_ptr_array_index(work, i);
		for (guint k = 0; k < w->rows->len; k++)
			total_bytes += source_size(g_ptr_array_index(w->rows, k));
	}
	ctx->progress = progress_new(stderr, isatty(STDERR_FILENO) && !config->verbose, work->len,
	                             total_bytes);
	report_set_line_prefix(ctx->report, progress_line_prefix(ctx->progress));
	g_mutex_init(&ctx->reconstruct_lock);
	g_cond_init(&ctx->reconstruct_cond);

	GThreadPool *pool = g_thread_pool_new(run_user, ctx, config->jobs > 0 ? config->jobs
	                                      : (int)g_get_num_processors(), FALSE, NULL);
	for (guint i = 0; i < work->len; i++)
		g_thread_pool_push(pool, g_ptr_array_index(work, i), NULL);
	g_thread_pool_free(pool, FALSE, TRUE);

	g_clear_pointer(&ctx->progress, progress_free);
	report_set_line_prefix(ctx->report, "");
	g_mutex_clear(&ctx->reconstruct_lock);
	g_cond_clear(&ctx->reconstruct_cond);

	convert_results_set_wall_time(ctx->results, (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC);
	if (config->report != NULL && !convert_results_write_json(ctx->results, config->report, &error))
		report_msg(ctx->report, REPORT_FAILED, "--report: %s", error->message);
	convert_results_totals(ctx->results, &users_done, &users_failed, &mailboxes_failed,
	                       &messages, &bytes, &problems);
	double secs = (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;
	g_autofree char *what = g_strdup_printf(
		"%u user%s converted, %u failed (%u mailbox%s); %" G_GUINT64_FORMAT " messages, "
		"%.1f MB in %.1f s; %u message problem%s%s%s", users_done, users_done == 1 ? "" : "s",
		users_failed, mailboxes_failed, mailboxes_failed == 1 ? "" : "es", messages, bytes / 1e6,
		secs, problems, problems == 1 ? "" : "s", config->report ? "; report in " : "",
		config->report ? config->report : "");
	return report_summary(ctx->report, what);
}

int
cmd_convert(int argc, char **argv)
{
	ConvertConfig config = { .quota = -1 };
	GOptionEntry entries[] = {
		{ "method", 0, 0, G_OPTION_ARG_STRING, &config.method, "spool (lmtp and imap: not built yet)", "M" },
		{ "manifest", 0, 0, G_OPTION_ARG_FILENAME, &config.manifest, "the manifest from mapnames", "FILE" },
		{ "cyrus-conf", 0, 0, G_OPTION_ARG_FILENAME, &config.cyrus_conf, "the server's imapd.conf", "FILE" },
		{ "cyrus-bin", 0, 0, G_OPTION_ARG_FILENAME, &config.cyrus_bin, "Cyrus's tools (default /usr/lib/cyrus/bin)", "DIR" },
		{ "cyrus-user", 0, 0, G_OPTION_ARG_STRING, &config.cyrus_user, "the user Cyrus runs as (default cyrus)", "NAME" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &config.host, "IMAP server (default 127.0.0.1)", "HOST" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &config.port, "IMAP port (default 143)", "PORT" },
		{ "admin", 0, 0, G_OPTION_ARG_STRING, &config.admin, "Cyrus admin (default cyrus)", "NAME" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &config.password_file, "the admin's password", "FILE" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &config.jobs, "users at once (default: the number of cores)", "N" },
		{ "reconstruct-jobs", 0, 0, G_OPTION_ARG_INT, &config.reconstruct_jobs, "reconstructs at once (default 1)", "N" },
		{ "quota", 0, 0, G_OPTION_ARG_INT64, &config.quota, "storage quota of each user", "KB" },
		{ "partition", 0, 0, G_OPTION_ARG_STRING, &config.partition, "create mailboxes on this partition", "NAME" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &config.state, "journal directory (default MANIFEST.state)", "DIR" },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &config.dry_run, "print the plan; change nothing", NULL },
		{ "report", 0, 0, G_OPTION_ARG_FILENAME, &config.report, "write a JSON report", "FILE" },
		{ "fsync", 0, 0, G_OPTION_ARG_STRING, &config.fsync, "none, batch (default: per mailbox) or each", "WHEN" },
		{ "source-tz", 0, 0, G_OPTION_ARG_STRING, &config.source_tz, "the old host's zone (default: local)", "TZ" },
		{ "from-quoting", 0, 0, G_OPTION_ARG_STRING, &config.from_quoting, "auto, mboxrd, mboxo, none", "Q" },
		{ "user", 'u', 0, G_OPTION_ARG_STRING_ARRAY, &config.only_users, "only this user (repeatable)", "USER" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &config.verbose, "a line for every user and step", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("");
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GPtrArray) work = NULL;
	g_autofree char *password = NULL;
	g_autofree char *state = NULL;
	ConvertContext ctx = { 0 };
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_summary(context,
		"Move the mail named in a manifest into Cyrus.  --method spool writes message files\n"
		"into the Cyrus spool and runs reconstruct: for a batch cutover, as root on the\n"
		"Cyrus host.  Interrupted runs resume from the journal in --state.");
	g_option_context_set_description(context, "See mbox2cyrus-convert(1).");
	if ((status = cli_parse(context, "mbox2cyrus convert", &argc, &argv)) != 0 ||
	    (status = configure(&config, &ctx, &password)) != 0)
		goto out;
	rows = manifest_read(config.manifest, NULL, &error);
	if (rows == NULL) {
		fprintf(stderr, "mbox2cyrus convert: %s\n", error->message);
		status = g_error_matches(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO) ? EX_NOINPUT : EX_DATAERR;
		goto out;
	}
	work = group_by_user(rows, config.only_users);
	if ((status = check_names(work, &ctx.naming)) != 0)
		goto out;
	if (config.dry_run) {
		status = dry_run(work, &ctx.reader);
		goto out;
	}
	state = config.state ? g_strdup(config.state) : g_strconcat(config.manifest, ".state", NULL);
	ctx.state_dir = state;
	ctx.report = report_new("mbox2cyrus convert", stderr, config.verbose);
	ctx.results = convert_results_new(config.method);
	status = convert(&config, &ctx, work);
out:
	if (ctx.reader.source_tz != NULL)
		g_time_zone_unref(ctx.reader.source_tz);
	cyrus_tools_clear(&ctx.tools);
	g_clear_pointer(&ctx.results, convert_results_free);
	g_clear_pointer(&ctx.report, report_free);
	g_free(config.method);
	g_free(config.manifest);
	g_free(config.cyrus_conf);
	g_free(config.cyrus_bin);
	g_free(config.cyrus_user);
	g_free(config.host);
	g_free(config.admin);
	g_free(config.password_file);
	g_free(config.partition);
	g_free(config.state);
	g_free(config.report);
	g_free(config.fsync);
	g_free(config.source_tz);
	g_free(config.from_quoting);
	g_strfreev(config.only_users);
	return status;
}
