/* uid-set.c -- see uid-set.h. */
#include "uid-set.h"

#include <string.h>

#include "tsv.h"

char *
uid_set_format(const guint32 *uids, guint n)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < n;) {
		guint j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		g_string_append_printf(s, "%s%u", s->len ? "," : "", uids[i]);
		if (j > i)
			g_string_append_printf(s, ":%u", uids[j]);
		i = j + 1;
	}
	if (s->len == 0)
		g_string_append_c(s, '-');
	return g_string_free(s, FALSE);
}

gboolean
uid_set_parse(const char *text, guint64 limit, GArray *out)
{
	if (strcmp(text, "-") == 0)
		return TRUE;
	g_auto(GStrv) ranges = g_strsplit(text, ",", -1);
	for (guint i = 0; ranges[i] != NULL; i++) {
		g_auto(GStrv) ends = g_strsplit(ranges[i], ":", 3);
		guint64 a, b;
		if (ends[0] == NULL || !tsv_parse_number(ends[0], G_MAXUINT32, &a) || a == 0)
			return FALSE;
		b = a;
		if (ends[1] != NULL && (ends[2] != NULL || !tsv_parse_number(ends[1], G_MAXUINT32, &b) || b < a))
			return FALSE;
		if (out->len + (b - a + 1) > limit)
			return FALSE;
		for (guint64 u = a; u <= b; u++) {
			guint32 v = (guint32)u;
			g_array_append_val(out, v);
		}
	}
	return TRUE;
}
