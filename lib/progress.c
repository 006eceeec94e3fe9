/* progress.c -- see progress.h. */
#include "progress.h"

struct Progress {
	FILE *out;
	gboolean show;
	guint total_users;
	gint64 total_bytes;
	gint users;          /* atomics */
	gint64 messages;
	gint64 bytes;
	gint64 started;      /* monotonic, microseconds */
	GMutex lock;
	GCond cond;
	gboolean stopping;
	GThread *thread;
};

static void
draw(Progress *p)
{
	gint64 now = g_get_monotonic_time();
	double secs = (double)(now - p->started) / G_USEC_PER_SEC;
	gint64 msgs = __atomic_load_n(&p->messages, __ATOMIC_RELAXED);
	gint64 bytes = __atomic_load_n(&p->bytes, __ATOMIC_RELAXED);
	double mb = (double)bytes / 1e6;
	char eta[32] = "-";

	if (secs > 1 && bytes > 0 && p->total_bytes > bytes) {
		gint64 left = (gint64)((double)(p->total_bytes - bytes) / ((double)bytes / secs));
		g_snprintf(eta, sizeof eta, "%" G_GINT64_FORMAT ":%02d:%02d", left / 3600,
		           (int)(left / 60 % 60), (int)(left % 60));
	}
	fprintf(p->out, "\r\033[Kusers %d/%u  messages %" G_GINT64_FORMAT " (%.0f/s)  %.1f MB "
	        "(%.1f MB/s)  ETA %s", g_atomic_int_get(&p->users), p->total_users, msgs,
	        secs > 0 ? msgs / secs : 0.0, mb, secs > 0 ? mb / secs : 0.0, eta);
	fflush(p->out);
}

static gpointer
run(gpointer data)
{
	Progress *p = data;
	g_mutex_lock(&p->lock);
	while (!p->stopping) {
		gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
		g_cond_wait_until(&p->cond, &p->lock, until);
		if (!p->stopping)
			draw(p);
	}
	g_mutex_unlock(&p->lock);
	return NULL;
}

Progress *
progress_new(FILE *out, gboolean show, guint total_users, gint64 total_bytes)
{
	Progress *p = g_new0(Progress, 1);
	p->out = out;
	p->show = show;
	p->total_users = total_users;
	p->total_bytes = total_bytes;
	p->started = g_get_monotonic_time();
	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	if (show)
		p->thread = g_thread_new("progress", run, p);
	return p;
}

void
progress_add(Progress *progress, guint64 messages, gint64 bytes)
{
	__atomic_add_fetch(&progress->messages, (gint64)messages, __ATOMIC_RELAXED);
	__atomic_add_fetch(&progress->bytes, bytes, __ATOMIC_RELAXED);
}

void
progress_user_done(Progress *progress)
{
	g_atomic_int_inc(&progress->users);
}

const char *
progress_line_prefix(const Progress *progress)
{
	return progress != NULL && progress->show ? "\r\033[K" : "";
}

void
progress_free(Progress *progress)
{
	if (progress == NULL)
		return;
	if (progress->thread != NULL) {
		g_mutex_lock(&progress->lock);
		progress->stopping = TRUE;
		g_cond_signal(&progress->cond);
		g_mutex_unlock(&progress->lock);
		g_thread_join(progress->thread);
		draw(progress);
		fputs("\n", progress->out);
		fflush(progress->out);
	}
	g_mutex_clear(&progress->lock);
	g_cond_clear(&progress->cond);
	g_free(progress);
}
