/* cmd-verify.c -- mbox2cyrus verify: does Cyrus hold what the manifest's sources hold?
 *
 *   mbox2cyrus verify --manifest mailboxes.tsv --cyrus-conf imapd.conf --password-file F
 *                     [--jobs N] [--user U] [--report R.json] [--source-tz TZ] ...
 *
 * Prints a line per user (mailboxes, messages, differences) on stdout, each
 * difference and failure on stderr (report.h), and a summary.  The rule is in
 * verify.h.  Exit status: 0 every message agrees; 1 some differ or a source or mailbox
 * could not be compared (listed); 64 usage; 65 a bad manifest; 69 the server could not
 * be reached; 75 a connection lost (rerun); 78 configuration (imapd.conf, the admin
 * refused, a manifest for the other separator).
 */
#include <signal.h>
#include <stdio.h>
#include <sysexits.h>

#include <gio/gio.h>

#include "cli.h"
#include "cli-server.h"
#include "commands.h"
#include "manifest.h"
#include "tsv.h"
#include "user-pool.h"
#include "verify.h"

#define PROG "mbox2cyrus verify"

static gpointer
run_user(gpointer ctx, const char *user, GPtrArray *rows)
{
	return verify_user(ctx, user, rows);
}

static gboolean
write_json(const char *path, VerifyUser **results, guint n, double seconds, GError **error)
{
	g_autoptr(GString) out = g_string_new("{\"tool\":\"mbox2cyrus " M2C_VERSION " verify\"");
	g_string_append_printf(out, ",\"seconds\":%.3f,\"users\":[", seconds);
	for (guint i = 0; i < n; i++) {
		VerifyUser *r = results[i];
		g_string_append(out, i ? ",\n{\"user\":" : "\n{\"user\":");
		json_escape_append(out, r->user);
		g_string_append_printf(out, ",\"mailboxes\":%u,\"mailboxes_failed\":%u,\"messages\":%"
		                       G_GUINT64_FORMAT ",\"bytes\":%" G_GUINT64_FORMAT
		                       ",\"differences\":%u,\"fixed\":%u,\"delivered\":%u}", r->mailboxes,
		                       r->mailboxes_failed, r->messages, r->bytes, r->differences->len, r->fixed,
		                       r->delivered);
	}
	g_string_append(out, "\n],\"differences\":[");
	gboolean first = TRUE;
	for (guint i = 0; i < n; i++) {
		VerifyUser *r = results[i];
		for (guint k = 0; k < r->differences->len; k++) {
			VerifyDifference *d = g_ptr_array_index(r->differences, k);
			g_string_append(out, first ? "\n{\"user\":" : ",\n{\"user\":");
			first = FALSE;
			json_escape_append(out, r->user);
			g_string_append(out, ",\"mailbox\":");
			json_escape_append(out, d->mailbox);
			g_string_append(out, ",\"source\":");
			json_string_or_null(out, d->source);
			if (d->message > 0)
				g_string_append_printf(out, ",\"message\":%" G_GUINT64_FORMAT ",\"offset\":%"
				                       G_GINT64_FORMAT, d->message, d->offset);
			else
				g_string_append(out, ",\"message\":null,\"offset\":null");
			if (d->uid > 0)
				g_string_append_printf(out, ",\"uid\":%u", d->uid);
			else
				g_string_append(out, ",\"uid\":null");
			g_string_append(out, ",\"kind\":");
			json_escape_append(out, verify_kind_name(d->kind));
			g_string_append(out, ",\"detail\":");
			json_escape_append(out, d->detail);
			g_string_append_c(out, '}');
		}
	}
	g_string_append(out, "\n]}\n");
	return g_file_set_contents(path, out->str, (gssize)out->len, error);
}

static int
verify_run(VerifyContext *ctx, GPtrArray *work, guint jobs, const char *report_path)
{
	g_autofree VerifyUser **results = NULL;
	gint64 started = g_get_monotonic_time();
	guint mailboxes = 0, failed = 0, differences = 0, users_differ = 0, fixed = 0, delivered = 0;
	guint64 messages = 0, bytes = 0;

	results = (VerifyUser **)user_pool_run(work, jobs, run_user, ctx);
	double secs = (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;

	printf("user\tmailboxes\tmessages\tdifferences\n");
	for (guint i = 0; i < work->len; i++) {
		VerifyUser *r = results[i];
		g_autofree char *user = tsv_escape(r->user);
		printf("%s\t%u%s\t%" G_GUINT64_FORMAT "\t%u\n", user, r->mailboxes,
		       r->mailboxes_failed ? " (+ not verified)" : "", r->messages, r->differences->len);
		mailboxes += r->mailboxes;
		failed += r->mailboxes_failed;
		messages += r->messages;
		bytes += r->bytes;
		differences += r->differences->len;
		users_differ += r->differences->len > 0;
		fixed += r->fixed;
		delivered += r->delivered;
	}
	fflush(stdout);
	if (report_path != NULL) {
		g_autoptr(GError) error = NULL;
		if (!write_json(report_path, results, work->len, secs, &error))
			report_msg(ctx->report, REPORT_FAILED, "--report: %s", error->message);
	}
	g_autofree char *not_verified = failed ? g_strdup_printf("; %u mailbox%s not verified", failed,
	                                                         failed == 1 ? "" : "es") : g_strdup("");
	g_autofree char *fixed_text = fixed ? g_strdup_printf("; %u message%s as the imap method "
	                                                      "fixed %s (-v names them)", fixed,
	                                                      fixed == 1 ? "" : "s",
	                                                      fixed == 1 ? "it" : "them") : g_strdup("");
	g_autofree char *delivered_text = delivered ? g_strdup_printf("; %u delivered by LMTP (delivery "
	                                                              "header taken off)", delivered)
	                                            : g_strdup("");
	g_autofree char *what = g_strdup_printf(
		"%u user%s, %u mailbox%s, %" G_GUINT64_FORMAT " messages (%.1f MB) verified in %.1f s; "
		"%u difference%s (%u user%s)%s%s%s%s%s", work->len, work->len == 1 ? "" : "s",
		mailboxes, mailboxes == 1 ? "" : "es", messages, bytes / 1e6, secs, differences,
		differences == 1 ? "" : "s", users_differ, users_differ == 1 ? "" : "s",
		fixed_text, delivered_text, not_verified,
		report_path ? "; report in " : "", report_path ? report_path : "");
	for (guint i = 0; i < work->len; i++)
		verify_user_free(results[i]);
	return report_summary(ctx->report, what);
}

int
cmd_verify(int argc, char **argv)
{
	CliServer server = { 0 };
	const CliServerOptions *o = &server.options;
	g_autoptr(GOptionContext) context = g_option_context_new("");
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GPtrArray) work = NULL;
	ManifestSettings settings = { 0 };
	VerifyContext ctx = { .server = &server };
	int status;

	cli_server_add_convert_state(context, &server);
	cli_server_add_entries(context, &server, "the manifest convert used", "more detail");
	g_option_context_set_summary(context,
		"Compare each source of a manifest with its Cyrus mailbox, message by message:\n"
		"bytes (Cyrus's SHA-1 of each message, no body fetched), flags, dates, order.\n"
		"Give the --source-tz and --from-quoting convert was given.");
	g_option_context_set_description(context, "See mbox2cyrus-verify(1).");
	if ((status = cli_parse(context, PROG, &argc, &argv)) != 0)
		goto out;
	/* a server that drops the connection costs a user, not the run and its report */
	signal(SIGPIPE, SIG_IGN);
	ctx.report = report_new(PROG, stderr, o->verbose);
	if ((status = cli_server_configure(&server, PROG, ctx.report)) != 0 ||
	    (status = cli_server_read_password(&server, PROG, ctx.report)) != 0 ||
	    (status = cli_server_load_manifest(&server, ctx.report, &settings, &rows)) != 0 ||
	    (status = cli_server_check_connection(&server, ctx.report)) != 0)
		goto out;
	ctx.manifest = &settings;
	work = cli_server_users(&server, rows);
	/* by default twice the cores: a user's thread waits for Cyrus (login, EXAMINE,
	 * FETCH) about as long as it hashes, and another user's hashing fills that wait
	 * (measured on 2 cores: 15 % less time than one per core) */
	status = verify_run(&ctx, work, o->jobs > 0 ? (guint)o->jobs : 2 * g_get_num_processors(),
	                    o->report);
out:
	g_clear_pointer(&ctx.report, report_free);
	manifest_settings_clear(&settings);
	cli_server_clear(&server);
	return status;
}
