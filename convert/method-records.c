/* method-records.c -- see method-records.h. */
#include "method-records.h"

#include <string.h>

#include "journal.h"
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

char *
record_numbers_format(const GArray *numbers)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; numbers != NULL && i < numbers->len; i++)
		g_string_append_printf(s, "%s%" G_GUINT64_FORMAT, i ? "," : "",
		                       g_array_index(numbers, guint64, i));
	if (s->len == 0)
		g_string_append_c(s, '-');
	return g_string_free(s, FALSE);
}

gboolean
record_numbers_parse(const char *text, guint64 lo, guint64 hi, GHashTable *set, guint64 *count_out)
{
	*count_out = 0;
	if (strcmp(text, "-") == 0)
		return TRUE;
	g_auto(GStrv) parts = g_strsplit(text, ",", -1);
	for (guint k = 0; parts[k] != NULL; k++) {
		guint64 m;
		if (!tsv_parse_number(parts[k], hi, &m) || m < lo ||
		    !g_hash_table_add(set, GSIZE_TO_POINTER((gsize)m)))
			return FALSE;
		(*count_out)++;
	}
	return TRUE;
}

gboolean
record_field(const char *f, const char *key, const char **value)
{
	gsize n = strlen(key);
	if (strncmp(f, key, n) != 0 || f[n] != '=')
		return FALSE;
	*value = f + n + 1;
	return TRUE;
}

gint64
records_last_qz(const char *const *checkpoints)
{
	gint64 last = -1;
	for (guint i = 0; checkpoints != NULL && checkpoints[i] != NULL; i++) {
		const char *q = strstr(checkpoints[i], " qz=");
		guint64 n;
		if (q == NULL)
			continue;
		g_autofree char *digits = g_strndup(q + 4, strcspn(q + 4, " "));
		if (tsv_parse_number(digits, G_MAXINT64 >> 1, &n))
			last = MAX(last, (gint64)n);
	}
	return last;
}

gboolean
record_damaged(const char *method, const char *detail, GError **error)
{
	g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED,
	            "not an %s checkpoint: \"%.80s\"", method, detail);
	return FALSE;
}

guint32
method_uids_of(const Delivery *delivery, const MboxMessage *message)
{
	const GArray *uids = delivery->uids;
	if (uids == NULL || message->number == 0 || message->number > uids->len)
		return 0;
	return g_array_index(uids, guint32, message->number - 1);
}

void
method_uids_free(gpointer uids)
{
	if (uids != NULL)
		g_array_unref(uids);
}

char *
delivery_detail_format(guint32 uidvalidity, const Delivery *d)
{
	return g_strdup_printf("v=%u messages=%" G_GUINT64_FORMAT " stored=%" G_GUINT64_FORMAT
	                       " found=%" G_GUINT64_FORMAT " bytes=%" G_GINT64_FORMAT, uidvalidity,
	                       d->messages, d->stored, d->found, d->bytes);
}

gboolean
delivery_detail_parse(char *const *f, Delivery *d, guint32 *uidvalidity_out)
{
	guint64 v, m, s, found, b;
	const char *x;
	memset(d, 0, sizeof *d);
	for (guint i = 0; i < 5; i++)
		if (f[i] == NULL)
			return FALSE;
	if (!record_field(f[0], "v", &x) || !tsv_parse_number(x, G_MAXUINT32, &v) ||
	    !record_field(f[1], "messages", &x) || !tsv_parse_number(x, G_MAXUINT32, &m) ||
	    !record_field(f[2], "stored", &x) || !tsv_parse_number(x, m, &s) ||
	    !record_field(f[3], "found", &x) || !tsv_parse_number(x, s, &found) ||
	    !record_field(f[4], "bytes", &x) || !tsv_parse_number(x, G_MAXINT64 >> 16, &b))
		return FALSE;
	*uidvalidity_out = (guint32)v;
	d->messages = m;
	d->stored = s;
	d->found = found;
	d->bytes = (gint64)b;
	return TRUE;
}
