/* user-pool.c -- see user-pool.h. */
#include "user-pool.h"

#include <openssl/crypto.h>

#include "manifest.h"

typedef struct {
	UserPoolFunc func;
	gpointer ctx;
	gpointer *results;
	ManifestUser **users;
} Pool;

static void
run_one(gpointer data, gpointer user_data)
{
	Pool *pool = user_data;
	guint i = GPOINTER_TO_UINT(data) - 1;
	pool->results[i] = pool->func(pool->ctx, pool->users[i]->user, pool->users[i]->rows);
	/* the thread's OpenSSL state (its error queue, 904 bytes, made when a digest is
	 * first fetched) freed now: GLib keeps idle pool threads alive past the end of the
	 * run, and LeakSanitizer then reported it as lost (1 run in about 10) */
	OPENSSL_thread_stop();
}

gpointer *
user_pool_run(GPtrArray *work, guint jobs, UserPoolFunc func, gpointer ctx)
{
	Pool pool = { .func = func, .ctx = ctx, .results = g_new0(gpointer, work->len + 1),
	              .users = (ManifestUser **)work->pdata };
	GThreadPool *threads = g_thread_pool_new(run_one, &pool, jobs > 0 ? (int)jobs
	                                         : (int)g_get_num_processors(), FALSE, NULL);
	for (guint i = 0; i < work->len; i++)
		g_thread_pool_push(threads, GUINT_TO_POINTER(i + 1), NULL);
	g_thread_pool_free(threads, FALSE, TRUE);
	return pool.results;
}
