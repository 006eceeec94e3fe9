/* convert-run.c -- see convert-run.h. */
#include "convert-run.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gint64
source_size(const ManifestRow *row)
{
	struct stat st;
	if (row->source == NULL)
		return 0;
	g_autofree char *path = g_strndup(g_bytes_get_data(row->source, NULL), g_bytes_get_size(row->source));
	return lstat(path, &st) == 0 ? st.st_size : 0;
}

static void
run_user(gpointer data, gpointer user_data)
{
	UserWork *w = data;
	ConvertContext *ctx = user_data;
	if (g_atomic_int_get(&ctx->stopped)) {
		convert_results_user(ctx->results, w->user, USER_NOT_STARTED,
		                     "the run stopped before this user (see the run's failure)");
		progress_user_done(ctx->progress);
		return;
	}
	convert_user(ctx, w->user, w->rows);
}

int
convert_run(ConvertContext *ctx, GPtrArray *work, guint jobs, gboolean verbose,
            const char *report_path)
{
	g_autoptr(GError) error = NULL;
	gint64 total_bytes = 0;
	gint64 started = g_get_monotonic_time();
	guint users_done, users_failed, users_not_started, mailboxes_failed, problems;
	guint64 messages;
	gint64 bytes;

	for (guint i = 0; i < work->len; i++) {
		UserWork *w = g_ptr_array_index(work, i);
		for (guint k = 0; k < w->rows->len; k++)
			total_bytes += source_size(g_ptr_array_index(w->rows, k));
	}
	ctx->progress = progress_new(stderr, isatty(STDERR_FILENO) && !verbose, work->len, total_bytes);
	report_set_line_prefix(ctx->report, progress_line_prefix(ctx->progress));

	GThreadPool *pool = g_thread_pool_new(run_user, ctx, jobs > 0 ? (int)jobs
	                                      : (int)g_get_num_processors(), FALSE, NULL);
	for (guint i = 0; i < work->len; i++)
		g_thread_pool_push(pool, g_ptr_array_index(work, i), NULL);
	g_thread_pool_free(pool, FALSE, TRUE);

	g_clear_pointer(&ctx->progress, progress_free);
	report_set_line_prefix(ctx->report, "");

	double secs = (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;
	convert_results_set_wall_time(ctx->results, secs);
	if (report_path != NULL && !convert_results_write_json(ctx->results, report_path, &error))
		report_msg(ctx->report, REPORT_FAILED, "--report: %s", error->message);
	convert_results_totals(ctx->results, &users_done, &users_failed, &users_not_started,
	                       &mailboxes_failed, &messages, &bytes, &problems);
	if (users_not_started > 0)
		report_msg(ctx->report, REPORT_TEMPFAIL, "the run stopped after a failure of the whole "
		           "run (above): %u user%s not started; rerun when it is fixed",
		           users_not_started, users_not_started == 1 ? "" : "s");
	g_autofree char *not_started = users_not_started ?
		g_strdup_printf(", %u not started", users_not_started) : g_strdup("");
	g_autofree char *what = g_strdup_printf(
		"%u user%s converted, %u failed (%u mailbox%s failed)%s; %" G_GUINT64_FORMAT " messages, "
		"%.1f MB in %.1f s; %u message problem%s%s%s", users_done, users_done == 1 ? "" : "s",
		users_failed, mailboxes_failed, mailboxes_failed == 1 ? "" : "es",
		not_started, messages, bytes / 1e6,
		secs, problems, problems == 1 ? "" : "s", report_path ? "; report in " : "",
		report_path ? report_path : "");
	return report_summary(ctx->report, what);
}
