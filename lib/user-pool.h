/* user-pool.h -- one function per user of a manifest, on a pool of threads (verify,
 * backout): every user once, the results kept in manifest order. */
#ifndef M2C_USER_POOL_H
#define M2C_USER_POOL_H

#include <glib.h>

/* The work for one user (`rows`: the user's manifest rows); returns its result. */
typedef gpointer (*UserPoolFunc)(gpointer ctx, const char *user, GPtrArray *rows);

/* Call `func` for each ManifestUser of `work` (manifest.h) on `jobs` threads (0: one
 * per processor); returns when all are done.  A new array (g_free) of the `work->len`
 * results, in `work`'s order. */
gpointer *user_pool_run(GPtrArray *work, guint jobs, UserPoolFunc func, gpointer ctx);

#endif
