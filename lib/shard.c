/* shard.c -- see shard.h. */
#include "shard.h"

#include <string.h>

#include "tsv.h"

guint
shard_of(const char *user, guint n)
{
	guint64 h = G_GUINT64_CONSTANT(14695981039346656037);
	for (const guchar *p = (const guchar *)user; *p; p++) {
		h ^= *p;
		h *= G_GUINT64_CONSTANT(1099511628211);
	}
	return (guint)(h % n) + 1;
}

gboolean
shard_parse(const char *text, Shard *out)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	guint64 k, n;
	if (slash == NULL)
		return FALSE;
	g_autofree char *left = g_strndup(text, (gsize)(slash - text));
	if (!tsv_parse_number(left, 100000, &k) || !tsv_parse_number(slash + 1, 100000, &n) ||
	    k < 1 || n < 1 || k > n)
		return FALSE;
	out->k = (guint)k;
	out->n = (guint)n;
	return TRUE;
}

gboolean
shard_has(const Shard *shard, const char *user)
{
	return shard == NULL || shard->n == 0 || shard_of(user, shard->n) == shard->k;
}
