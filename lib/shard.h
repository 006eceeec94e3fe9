/* shard.h -- one slice of a migration's users, for running it on N hosts (or N job
 * array tasks) at once: --shard K/N takes the users whose stable hash falls in slice
 * K, so the N slices are disjoint and together every user, whatever order or host.
 *
 * The hash (the contract, so that a script can compute it too): FNV-1a, 64 bits, of
 * the user name's bytes as the manifest spells it; slice = hash mod N + 1.
 *     offset basis 14695981039346656037, prime 1099511628211 (mod 2^64). */
#ifndef M2C_SHARD_H
#define M2C_SHARD_H

#include <glib.h>

typedef struct {
	guint k, n;          /* 1 <= k <= n; n == 0: every user */
} Shard;

/* "K/N" (decimal, 1 <= K <= N <= 100000).  FALSE when it is not. */
gboolean shard_parse(const char *text, Shard *out);

/* Is `user` in the slice?  (Always, for n == 0.) */
gboolean shard_has(const Shard *shard, const char *user);

/* The slice `user` falls in, of `n`. */
guint shard_of(const char *user, guint n);

#endif
