/* cmd-convert.c -- mbox2cyrus convert: move the mail named in a manifest into Cyrus.
 *
 *   mbox2cyrus convert --method spool --manifest mailboxes.tsv --cyrus-conf imapd.conf
 *                      --password-file F [--jobs N] [--state DIR] [--report R.json] ...
 *
 * Exit status: 0 every user done; 1 some users or mailboxes failed (listed; a rerun
 * retries them); 64 usage; 65 a bad manifest (FILE:LINE) or a damaged journal;
 * 69 the server could not be reached, or the method is not built; 75 a temporary
 * failure (safe to rerun); 78 configuration (not root, no Cyrus tools, wrong
 * separator).
 */
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
#include "message-fix.h"

#define PROG "mbox2cyrus convert"

/* convert's own options; the ones it shares with verify and backout are cli-server.h's */
typedef struct {
	CliServer server;
	char *method;
	char *cyrus_bin;
	char *cyrus_user;
	int reconstruct_jobs;
	int batch_users;
	gint64 quota;
	char *partition;
	char *state;
	gboolean dry_run;
	char *fsync;
	char **no_fix;
	char *state_dir_resolved;   /* --state, or MANIFEST.state */
	int batch_messages;
	gint64 batch_bytes;
	char *lmtp;
	char *deliver;
	gboolean ignore_quota;
	char *duplicate_ids;
} ConvertConfig;

/* --dry-run: what would be done, from the sources alone, opened as convert opens them. */
static int
dry_run(const ConvertContext *ctx, GPtrArray *work, Report *report)
{
	guint64 all_messages = 0;
	gint64 all_bytes = 0;
	guint mailboxes = 0;

	printf("user\tmailbox\tsource\tmessages\tbytes\n");
	for (guint i = 0; i < work->len; i++) {
		UserWork *w = g_ptr_array_index(work, i);
		g_autoptr(GError) user_error = NULL;
		g_autoptr(UserAccess) access = convert_user_access(ctx, w->user, &user_error);
		for (guint k = 0; k < w->rows->len; k++) {
			ManifestRow *row = g_ptr_array_index(w->rows, k);
			g_autofree char *path = row->source ? g_strndup(g_bytes_get_data(row->source, NULL),
			                                                g_bytes_get_size(row->source)) : NULL;
			g_autoptr(GError) error = NULL;
			guint64 n = 0;
			gint64 bytes = 0;
			mailboxes++;
			if (path != NULL && access == NULL)
				error = g_error_copy(user_error);
			else if (path != NULL) {
				g_autoptr(MboxReader) r = convert_open_source(ctx, access, path, NULL, &error);
				MboxMessage *m;
				while (r != NULL && (m = mbox_reader_next(r, &error)) != NULL) {
					n++;
					mbox_message_free(m);
				}
				if (r != NULL)
					bytes = mbox_reader_summary(r)->size;
			}
			if (error != NULL)
				report_at(report, REPORT_FAILED, path, 0, -1, "%s \"%s\": %s", w->user,
				          row->mailbox, error->message);
			printf("%s\t%s\t%s\t%" G_GUINT64_FORMAT "\t%" G_GINT64_FORMAT "\n", w->user,
			       row->mailbox, path ? path : "-", n, bytes);
			all_messages += n;
			all_bytes += bytes;
		}
	}
	printf("# plan: %u users, %u mailboxes, %" G_GUINT64_FORMAT " messages, %.1f MB%s; "
	       "nothing was changed\n", work->len, mailboxes, all_messages, all_bytes / 1e6,
	       report_worst(report) >= REPORT_FAILED ? " (some sources unreadable: see above)" : "");
	return report_exit_status(report);
}

/* Settings that can only be wrong: say so before any user is touched. */
static int
configure(ConvertConfig *config, ConvertContext *ctx, Report *report)
{
	g_autoptr(GError) error = NULL;
	int status;

	if (config->method == NULL)
		return cli_usage_error(PROG, "--method is needed");
	ctx->method = convert_method_find(config->method);
	if (ctx->method == NULL)
		return cli_usage_error(PROG, "--method must be spool, lmtp or imap");
	if ((status = cli_server_configure(&config->server, PROG, report)) != 0)
		return status;
	ctx->server = &config->server;
	if (config->batch_users < 0 || config->batch_users > 10000)
		return cli_usage_error(PROG, "--batch-users must be 1 to 10000");
	if (config->fsync != NULL && strcmp(config->fsync, "none") != 0 &&
	    strcmp(config->fsync, "batch") != 0 && strcmp(config->fsync, "each") != 0)
		return cli_usage_error(PROG, "--fsync must be none, batch or each");
	for (const char *c = config->partition; c != NULL && *c != '\0'; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
			return cli_usage_error(PROG, "--partition: \"%s\" is not a Cyrus partition name",
			                       config->partition);
	guint fixes = MESSAGE_FIX_ALL;
	for (guint i = 0; config->no_fix != NULL && config->no_fix[i] != NULL; i++) {
		guint kind = message_fix_kind_from_name(config->no_fix[i]);
		if (kind == 0)
			return cli_usage_error(PROG, "--no-fix: \"%s\" is not one of %s", config->no_fix[i],
			                       MESSAGE_FIX_NAMES);
		fixes &= ~kind;
	}
	if (config->batch_messages < 0 || config->batch_bytes < 0)
		return cli_usage_error(PROG, "--batch-messages and --batch-bytes must be positive");
	if ((config->lmtp || config->deliver || config->ignore_quota || config->duplicate_ids) &&
	    strcmp(config->method, "lmtp") != 0)
		return cli_usage_error(PROG, "--lmtp, --deliver, --ignore-quota and --duplicate-ids are "
		                       "for --method lmtp");
	if (config->lmtp && config->deliver)
		return cli_usage_error(PROG, "--lmtp or --deliver, not both");
	if (config->duplicate_ids && strcmp(config->duplicate_ids, "refuse") != 0 &&
	    strcmp(config->duplicate_ids, "append") != 0)
		return cli_usage_error(PROG, "--duplicate-ids must be refuse or append");
	if (config->dry_run)
		return 0;
	if ((status = cli_server_read_password(&config->server, PROG, report)) != 0)
		return status;
	MethodSettings ms = {
		.state_dir = config->state_dir_resolved, .fixes = fixes,
		.header_charset = config->server.options.header_charset, .batch_messages = (guint)config->batch_messages,
		.batch_bytes = (guint64)config->batch_bytes,
		.cyrus_conf = config->server.options.cyrus_conf, .cyrus_bin = config->cyrus_bin,
		.cyrus_user = config->cyrus_user, .fsync = config->fsync, .reader = &config->server.reader,
		.finish_jobs = config->reconstruct_jobs > 0 ? (guint)config->reconstruct_jobs : 1,
		.lmtp = config->lmtp, .deliver_program = config->deliver,
		.ignore_quota = config->ignore_quota,
		.duplicates_append = config->duplicate_ids && strcmp(config->duplicate_ids, "append") == 0,
		.admin = config->server.admin, .admin_password = config->server.password,
	};
	ctx->method_run = ctx->method->run_new(&ms, &error);
	if (ctx->method_run == NULL) {
		report_msg(report, REPORT_CONFIG, "%s", error->message);
		return EX_CONFIG;
	}
	ctx->partition = config->partition;
	ctx->quota_kb = config->quota > 0 ? config->quota : -1;
	return 0;
}

static void
config_clear(ConvertConfig *config)
{
	cli_server_clear(&config->server);
	g_free(config->method);
	g_free(config->cyrus_bin);
	g_free(config->cyrus_user);
	g_free(config->partition);
	g_free(config->state);
	g_free(config->fsync);
	g_strfreev(config->no_fix);
	g_free(config->state_dir_resolved);
	g_free(config->lmtp);
	g_free(config->deliver);
	g_free(config->duplicate_ids);
}

int
cmd_convert(int argc, char **argv)
{
	ConvertConfig config = { .quota = -1 };
	GOptionEntry entries[] = {
		{ "method", 0, 0, G_OPTION_ARG_STRING, &config.method, "spool, imap or lmtp", "M" },
		{ "cyrus-bin", 0, 0, G_OPTION_ARG_FILENAME, &config.cyrus_bin, "Cyrus's tools (default /usr/lib/cyrus/bin)", "DIR" },
		{ "cyrus-user", 0, 0, G_OPTION_ARG_STRING, &config.cyrus_user, "the user Cyrus runs as (default cyrus)", "NAME" },
		{ "reconstruct-jobs", 0, 0, G_OPTION_ARG_INT, &config.reconstruct_jobs, "reconstructs at once (default 1)", "N" },
		{ "batch-users", 0, 0, G_OPTION_ARG_INT, &config.batch_users, "spool: users that share one mbpath and one reconstruct (default: from the number of users, at most 64)", "N" },
		{ "quota", 0, 0, G_OPTION_ARG_INT64, &config.quota, "storage quota of each user", "KB" },
		{ "partition", 0, 0, G_OPTION_ARG_STRING, &config.partition, "create mailboxes on this partition", "NAME" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &config.state, "journal directory (default MANIFEST.state)", "DIR" },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &config.dry_run, "print the plan; change nothing", NULL },
		{ "fsync", 0, 0, G_OPTION_ARG_STRING, &config.fsync, "none, batch (default: per mailbox) or each", "WHEN" },
		{ "lmtp", 0, 0, G_OPTION_ARG_STRING, &config.lmtp, "lmtp: where lmtpd listens (default: imapd.conf's lmtpsocket)", "unix:PATH|HOST:PORT" },
		{ "deliver", 0, 0, G_OPTION_ARG_FILENAME, &config.deliver, "lmtp: run this Cyrus deliver once per message instead", "PATH" },
		{ "ignore-quota", 0, 0, G_OPTION_ARG_NONE, &config.ignore_quota, "lmtp: deliver over quota (IGNOREQUOTA, deliver -q)", NULL },
		{ "duplicate-ids", 0, 0, G_OPTION_ARG_STRING, &config.duplicate_ids, "lmtp, when the server drops repeated Message-IDs: refuse such a folder (default) or append those messages over IMAP", "refuse|append" },
		{ "no-fix", 0, 0, G_OPTION_ARG_STRING_ARRAY, &config.no_fix, "imap, lmtp: leave this kind of message as it is (" MESSAGE_FIX_NAMES "; repeatable)", "KIND" },
		{ "batch-messages", 0, 0, G_OPTION_ARG_INT, &config.batch_messages, "imap: messages per APPEND command (default 500)", "N" },
		{ "batch-bytes", 0, 0, G_OPTION_ARG_INT64, &config.batch_bytes, "imap: bytes per APPEND command (default 32 MiB)", "BYTES" },
		G_OPTION_ENTRY_NULL
	};
	const CliServerOptions *o = &config.server.options;
	g_autoptr(GOptionContext) context = g_option_context_new("");
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GPtrArray) work = NULL;
	ManifestSettings settings = { 0 };
	ConvertContext ctx = { 0 };
	g_autoptr(GError) report_error = NULL;
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	cli_server_add_entries(context, &config.server, "the manifest from mapnames",
	                       "a line for every user and step");
	g_option_context_set_summary(context,
		"Move the mail named in a manifest into Cyrus.  --method spool writes message files\n"
		"into the Cyrus spool and runs reconstruct: for a batch cutover, as root on the\n"
		"Cyrus host.  --method imap APPENDs every message as its owner (the admin's proxy\n"
		"login): for a Cyrus whose disks are out of reach.  --method lmtp delivers every\n"
		"message through lmtpd (or Cyrus's deliver) as its owner.  Interrupted runs\n"
		"resume from the journal in --state.");
	g_option_context_set_description(context, "See mbox2cyrus-convert(1).");
	if ((status = cli_parse(context, PROG, &argc, &argv)) != 0)
		goto out;
	/* a server that drops the connection must cost a user (temporary), not kill the
	 * run before its report is written: writes to the socket then fail with EPIPE */
	signal(SIGPIPE, SIG_IGN);
	ctx.report = report_new(PROG, stderr, o->verbose);
	config.state_dir_resolved = config.state ? g_strdup(config.state)
	                          : o->manifest ? g_strconcat(o->manifest, ".state", NULL) : NULL;
	if ((status = configure(&config, &ctx, ctx.report)) != 0 ||
	    (status = cli_server_load_manifest(&config.server, ctx.report, &settings, &rows)) != 0)
		goto out;
	ctx.manifest = &settings;
	work = cli_server_users(&config.server, rows);
	if (config.dry_run) {
		status = dry_run(&ctx, work, ctx.report);
		goto out;
	}
	if ((status = cli_server_check_connection(&config.server, ctx.report)) != 0)
		goto out;
	ctx.state_dir = config.state_dir_resolved;
	ctx.results = convert_results_new(config.method, o->report, &report_error);
	if (ctx.results == NULL) {   /* before any user is touched */
		report_msg(ctx.report, REPORT_FAILED, "%s", report_error->message);
		status = EX_CANTCREAT;
		goto out;
	}
	status = convert_run(&ctx, work, o->jobs > 0 ? (guint)o->jobs : 0,
	                     config.batch_users > 0 ? (guint)config.batch_users : 0, o->verbose,
	                     o->report);
out:
	if (ctx.method_run != NULL)
		ctx.method->run_free(ctx.method_run);
	g_clear_pointer(&ctx.results, convert_results_free);
	g_clear_pointer(&ctx.report, report_free);
	manifest_settings_clear(&settings);
	config_clear(&config);
	return status;
}
