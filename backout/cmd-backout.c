/* cmd-backout.c -- mbox2cyrus backout: rebuild the mbox files of a manifest from
 * Cyrus, for the night the cutover must be undone.
 *
 *   mbox2cyrus backout --manifest mailboxes.tsv --cyrus-conf imapd.conf
 *                      [--from imap|spool] [--into DIR | --in-place | --merge]
 *                      [--password-file F] [--jobs N] [--user U] [--report R.json] ...
 *
 * Prints a line per user (mailboxes, files, messages, failures) on stdout, each
 * failure on stderr (report.h), and a summary.  The rule is in backout.h.  Exit
 * status, as convert's: 0 everything written; 1 a message, mailbox or user failed
 * (listed); 64 usage; 65 a bad manifest or a damaged journal; 69 the server could not
 * be reached; 75 temporary (a lock held, a connection lost, a full disk: rerun); 78
 * configuration (imapd.conf, the admin refused, Cyrus's tools missing).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "backout.h"
#include "cli.h"
#include "cli-server.h"
#include "commands.h"
#include "cyrus-tools.h"
#include "manifest.h"
#include "tsv.h"
#include "user-pool.h"

#define PROG "mbox2cyrus backout"

static gpointer
run_user(gpointer ctx, const char *user, GPtrArray *rows)
{
	return backout_user(ctx, user, rows);
}

static gboolean
write_json(const char *path, const BackoutContext *ctx, BackoutUser **results, guint n, double seconds,
           GError **error)
{
	static const char *const modes[] = { "into", "in-place", "merge" };
	g_autoptr(GString) out = g_string_new("{\"tool\":\"mbox2cyrus " M2C_VERSION " backout\"");
	g_string_append_printf(out, ",\"from\":\"%s\",\"mode\":\"%s\",\"seconds\":%.3f,\"users\":[",
	                       ctx->source->name, modes[ctx->target.mode], seconds);
	for (guint i = 0; i < n; i++) {
		BackoutUser *r = results[i];
		g_string_append(out, i ? ",\n{\"user\":" : "\n{\"user\":");
		json_escape_append(out, r->user);
		g_string_append_printf(out, ",\"status\":\"%s\",\"mailboxes\":%u,\"mailboxes_failed\":%u,"
		                       "\"mailboxes_resumed\":%u,\"files\":%u,\"messages\":%" G_GUINT64_FORMAT
		                       ",\"bytes\":%" G_GUINT64_FORMAT ",\"already_held\":%" G_GUINT64_FORMAT
		                       ",\"failures\":%u}",
		                       !r->started ? "not started" : r->failures->len ? "failed" : "done",
		                       r->mailboxes, r->mailboxes_failed, r->mailboxes_resumed, r->files,
		                       r->messages, r->bytes, r->held, r->failures->len);
	}
	g_string_append(out, "\n],\"failures\":[");
	gboolean first = TRUE;
	for (guint i = 0; i < n; i++) {
		BackoutUser *r = results[i];
		for (guint k = 0; k < r->failures->len; k++) {
			BackoutFailure *f = g_ptr_array_index(r->failures, k);
			g_string_append(out, first ? "\n{\"user\":" : ",\n{\"user\":");
			first = FALSE;
			json_escape_append(out, r->user);
			g_string_append(out, ",\"mailbox\":");
			json_string_or_null(out, f->mailbox);
			g_string_append(out, ",\"file\":");
			json_string_or_null(out, f->path);
			if (f->uid)
				g_string_append_printf(out, ",\"uid\":%u", f->uid);
			else
				g_string_append(out, ",\"uid\":null");
			g_string_append_printf(out, ",\"scope\":\"%s\",\"temporary\":%s,\"reason\":",
			                       failure_scope_name(f->scope), f->temporary ? "true" : "false");
			json_escape_append(out, f->reason);
			g_string_append_c(out, '}');
		}
	}
	g_string_append(out, "\n]}\n");
	return g_file_set_contents(path, out->str, (gssize)out->len, error);
}

static int
backout_run(BackoutContext *ctx, GPtrArray *work, guint jobs, gboolean verbose,
            const char *report_path)
{
	g_autofree BackoutUser **results = NULL;
	gint64 started = g_get_monotonic_time();
	guint files = 0, failed_users = 0, not_started = 0, resumed = 0;
	guint64 messages = 0, bytes = 0, held = 0;

	ctx->progress = progress_new(stderr, isatty(STDERR_FILENO) && !verbose, work->len, 0);
	report_set_line_prefix(ctx->report, progress_line_prefix(ctx->progress));
	results = (BackoutUser **)user_pool_run(work, jobs, run_user, ctx);
	g_clear_pointer(&ctx->progress, progress_free);
	report_set_line_prefix(ctx->report, "");
	double secs = (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;

	printf("user\tmailboxes\tfiles\tmessages\tfailures\n");
	for (guint i = 0; i < work->len; i++) {
		BackoutUser *r = results[i];
		g_autofree char *user = tsv_escape(r->user);
		if (!r->started) {
			printf("%s\tnot started\t-\t-\t-\n", user);
			not_started++;
			continue;
		}
		printf("%s\t%u%s\t%u\t%" G_GUINT64_FORMAT "\t%u\n", user, r->mailboxes,
		       r->mailboxes_failed ? " (+ failed)" : "", r->files, r->messages, r->failures->len);
		files += r->files;
		messages += r->messages;
		bytes += r->bytes;
		held += r->held;
		resumed += r->mailboxes_resumed;
		failed_users += r->failures->len > 0;
	}
	fflush(stdout);
	if (not_started > 0)
		report_msg(ctx->report, REPORT_TEMPFAIL, "the run stopped after a failure of the whole "
		           "run (above): %u user%s not started; rerun when it is fixed",
		           not_started, not_started == 1 ? "" : "s");
	if (report_path != NULL) {
		g_autoptr(GError) error = NULL;
		if (!write_json(report_path, ctx, results, work->len, secs, &error))
			report_msg(ctx->report, REPORT_FAILED, "--report: %s", error->message);
	}
	g_autofree char *not_started_text = not_started ?
		g_strdup_printf(", %u not started", not_started) : g_strdup("");
	g_autofree char *held_text = ctx->target.mode == BACKOUT_MERGE ?
		g_strdup_printf(", %" G_GUINT64_FORMAT " already there", held) : g_strdup("");
	g_autofree char *resumed_text = resumed ? g_strdup_printf(
		"; %u mailbox%s written by an earlier run", resumed, resumed == 1 ? "" : "es") : g_strdup("");
	g_autofree char *what = g_strdup_printf(
		"%u user%s, %u with failures%s; %u file%s, %" G_GUINT64_FORMAT " messages (%.1f MB) "
		"written in %.1f s%s%s%s%s", work->len, work->len == 1 ? "" : "s", failed_users,
		not_started_text,
		files, files == 1 ? "" : "s", messages, bytes / 1e6, secs, held_text, resumed_text,
		report_path ? "; report in " : "", report_path ? report_path : "");
	for (guint i = 0; i < work->len; i++)
		backout_user_free(results[i]);
	return report_summary(ctx->report, what);
}

/* --from spool: Cyrus's tools must be there, and imapd.conf given, before any user. */
static int
check_tools(const BackoutContext *ctx)
{
	const BackoutSourceSettings *s = &ctx->source_settings;
	g_autoptr(GError) error = NULL;
	CyrusTools tools = { 0 };
	if (s->server->options.cyrus_conf == NULL) {
		report_msg(ctx->report, REPORT_USAGE, "--from spool needs --cyrus-conf (the server's imapd.conf)");
		return EX_USAGE;
	}
	if (!cyrus_tools_init(&tools, s->cyrus_bin ? s->cyrus_bin : "/usr/lib/cyrus/bin",
	                      s->server->options.cyrus_conf, s->cyrus_user ? s->cyrus_user : "cyrus",
	                      &error)) {
		report_msg(ctx->report, REPORT_CONFIG, "--from spool: %s", error->message);
		return EX_CONFIG;
	}
	cyrus_tools_clear(&tools);
	return 0;
}

int
cmd_backout(int argc, char **argv)
{
	CliServer server = { 0 };
	const CliServerOptions *o = &server.options;
	g_autofree char *from = NULL, *into = NULL, *state = NULL, *backup_suffix = NULL;
	g_autofree char *cyrus_bin = NULL, *cyrus_user = NULL;
	gboolean in_place = FALSE, merge = FALSE;
	int lock_timeout = 30;
	GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from, "imap (default: as each owner) or spool (imapd down: the N. files and mbexamine)", "WHERE" },
		{ "into", 0, 0, G_OPTION_ARG_FILENAME, &into, "write each file at DIR followed by its source's path (the default: MANIFEST.backout)", "DIR" },
		{ "in-place", 0, 0, G_OPTION_ARG_NONE, &in_place, "replace each source file, keeping the old one next to it", NULL },
		{ "merge", 0, 0, G_OPTION_ARG_NONE, &merge, "append to each source file the messages it does not hold", NULL },
		{ "backup-suffix", 0, 0, G_OPTION_ARG_STRING, &backup_suffix, "--in-place: the backup's name is the file's and this (default .pre-backout)", "S" },
		{ "lock-timeout", 0, 0, G_OPTION_ARG_INT, &lock_timeout, "seconds to wait for a mailbox file's lock (default 30)", "S" },
		{ "cyrus-bin", 0, 0, G_OPTION_ARG_FILENAME, &cyrus_bin, "--from spool: Cyrus's tools (default /usr/lib/cyrus/bin)", "DIR" },
		{ "cyrus-user", 0, 0, G_OPTION_ARG_STRING, &cyrus_user, "--from spool: the user Cyrus runs as (default cyrus)", "NAME" },
		{ "state", 0, 0, G_OPTION_ARG_FILENAME, &state, "journal directory (default MANIFEST.backout-state)", "DIR" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("");
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GPtrArray) work = NULL;
	g_autoptr(GTimeZone) local = NULL;
	ManifestSettings settings = { 0 };
	BackoutContext ctx = { .server = &server };
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	cli_server_add_convert_state(context, &server);
	cli_server_add_entries(context, &server, "the manifest convert used", "a line for every user");
	g_option_context_set_summary(context,
		"Rebuild the mbox files of a manifest from Cyrus: each message with its flags,\n"
		"date, UID and envelope sender, in Berkeley mbox form that UW-IMAP, mutt and\n"
		"procmail read.  Give the --source-tz and --from-quoting of the old site.");
	g_option_context_set_description(context, "See mbox2cyrus-backout(1).");
	if ((status = cli_parse(context, PROG, &argc, &argv)) != 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	ctx.report = report_new(PROG, stderr, o->verbose);
	if ((in_place + merge + (into != NULL)) > 1) {
		status = cli_usage_error(PROG, "give one of --into, --in-place and --merge");
		goto out;
	}
	if (from == NULL || strcmp(from, "imap") == 0)
		ctx.source = &backout_source_imap;
	else if (strcmp(from, "spool") == 0)
		ctx.source = &backout_source_spool;
	else {
		status = cli_usage_error(PROG, "--from must be imap or spool");
		goto out;
	}
	if (lock_timeout < 0) {
		status = cli_usage_error(PROG, "--lock-timeout must be 0 or more seconds");
		goto out;
	}
	if ((status = cli_server_configure(&server, PROG, ctx.report)) != 0 ||
	    (ctx.source == &backout_source_imap &&
	     (status = cli_server_read_password(&server, PROG, ctx.report)) != 0) ||
	    (status = cli_server_load_manifest(&server, ctx.report, &settings, &rows)) != 0 ||
	    (ctx.source == &backout_source_imap &&
	     (status = cli_server_check_connection(&server, ctx.report)) != 0))
		goto out;
	ctx.manifest = &settings;
	ctx.source_settings = (BackoutSourceSettings){ .server = &server, .cyrus_bin = cyrus_bin,
	                                               .cyrus_user = cyrus_user };
	if (ctx.source == &backout_source_spool && (status = check_tools(&ctx)) != 0)
		goto out;
	ctx.target.mode = in_place ? BACKOUT_IN_PLACE : merge ? BACKOUT_MERGE : BACKOUT_INTO;
	if (ctx.target.mode == BACKOUT_INTO && into == NULL)
		into = g_strconcat(o->manifest, ".backout", NULL);
	ctx.target.into = into;
	ctx.target.backup_suffix = backup_suffix;
	ctx.target.lock_timeout_ms = (guint)MIN(lock_timeout, 86400) * 1000;
	local = g_time_zone_new_local();
	ctx.writer.quoting = server.reader.quoting == MBOX_QUOTING_MBOXO ? MBOX_QUOTING_MBOXO
	                                                                  : MBOX_QUOTING_MBOXRD;
	/* the zone convert read dates without one in: the From_ lines are written in it */
	ctx.writer.tz = server.reader.source_tz ? server.reader.source_tz : local;
	if (state == NULL)
		state = g_strconcat(o->manifest, ".backout-state", NULL);
	ctx.state_dir = state;
	work = cli_server_users(&server, rows);
	status = backout_run(&ctx, work, o->jobs > 0 ? (guint)o->jobs : 0, o->verbose, o->report);
out:
	g_clear_pointer(&ctx.report, report_free);
	manifest_settings_clear(&settings);
	cli_server_clear(&server);
	return status;
}
