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

/* A group of users for a worker: `n` of the run's users from `first`. */
typedef struct {
	UserWork *const *first;
	guint n;
} Group;

static void
run_group(gpointer data, gpointer user_data)
{
	Group *g = data;
	convert_group(user_data, g->first, g->n);
}

/* Users per group: `batch_users`, or when 0 as many as keep every worker busy (a
 * quarter of a worker's share) up to 64; 1 when the method has nothing to share. */
static guint
group_size(const ConvertContext *ctx, guint users, guint jobs, guint batch_users)
{
	if ((ctx->method->prepare_many == NULL && ctx->method->finish_many == NULL) ||
	    ctx->own_login != NULL)
		return 1;
	if (batch_users > 0)
		return batch_users;
	return CLAMP(users / (4 * jobs), 1, 64);
}

int
convert_run(ConvertContext *ctx, GPtrArray *work, guint jobs, guint batch_users,
            gboolean verbose, const char *report_path)
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

	if (jobs == 0)
		jobs = g_get_num_processors();
	guint size = group_size(ctx, work->len, jobs, batch_users);
	g_autofree Group *groups = g_new0(Group, work->len / size + 1);
	GThreadPool *pool = g_thread_pool_new(run_group, ctx, (int)jobs, FALSE, NULL);
	for (guint i = 0, k = 0; i < work->len; i += size, k++) {
		groups[k].first = (UserWork *const *)work->pdata + i;
		groups[k].n = MIN(size, work->len - i);
		g_thread_pool_push(pool, &groups[k], NULL);
	}
	g_thread_pool_free(pool, FALSE, TRUE);

	g_clear_pointer(&ctx->progress, progress_free);
	report_set_line_prefix(ctx->report, "");

	double secs = (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;
	convert_results_set_wall_time(ctx->results, secs);
	if (!convert_results_write_json(ctx->results, &error))
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
