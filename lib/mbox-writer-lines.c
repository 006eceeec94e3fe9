/* mbox-writer-lines.c -- the lines mbox-writer.c makes itself: the From_ line's
 * sender and date, the Status/X-Status/X-Keywords/X-UID lines, and UW-IMAP's
 * FOLDER INTERNAL DATA pseudo-message. */
#include "mbox-writer-private.h"

#include <string.h>

#include "mbox-meta.h"

static const char *const weekday_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static const char pseudo_body[] =
	"This text is part of the internal format of your mail folder, and is not\n"
	"a real message.  It is created automatically by the mail system software.\n"
	"If deleted, important folder data will be lost, and it will be re-created\n"
	"with the data reset to initial values.\n";

/* A sender for the From_ line: one word of visible ASCII ("a b" would let the date
 * parser take part of it for a date): trimmed, then blanks and controls become '_';
 * empty: MAILER-DAEMON. */
char *
mbox_writer_safe_sender(const char *text, gsize len)
{
	GString *s = g_string_sized_new(len);
	while (len > 0 && g_ascii_isspace(*text))
		text++, len--;
	while (len > 0 && g_ascii_isspace(text[len - 1]))
		len--;
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar)text[i];
		g_string_append_c(s, c <= ' ' || c == 0x7f ? '_' : (char)c);
	}
	if (s->len == 0)
		g_string_append(s, "MAILER-DAEMON");
	return g_string_free(s, FALSE);
}

/* The address of a Return-Path value: "<a@b>" -> a@b, "<>" -> MAILER-DAEMON, a bare
 * address -> its first word. */
char *
mbox_writer_return_path_sender(const GString *value)
{
	const char *p = value->str, *end = value->str + value->len;
	const char *lt = memchr(p, '<', value->len);

	if (lt != NULL) {
		const char *gt = memchr(lt + 1, '>', (gsize)(end - lt - 1));
		p = lt + 1;
		end = gt != NULL ? gt : end;
	}
	while (p < end && g_ascii_isspace(*p))
		p++;
	const char *e = p;
	while (e < end && !g_ascii_isspace(*e))
		e++;
	return mbox_writer_safe_sender(p, (gsize)(e - p));
}

/* "Wed Mar  5 14:45:12 2003" in English whatever the locale (g_date_time_format's
 * %a and %b are not). */
void
mbox_writer_append_asctime(GString *s, GDateTime *dt)
{
	g_string_append_printf(s, "%s %s %2d %02d:%02d:%02d %d",
	                       weekday_names[g_date_time_get_day_of_week(dt) - 1],
	                       month_names[g_date_time_get_month(dt) - 1],
	                       g_date_time_get_day_of_month(dt), g_date_time_get_hour(dt),
	                       g_date_time_get_minute(dt), g_date_time_get_second(dt),
	                       g_date_time_get_year(dt));
}

/* Keywords of `flags` that may go into X-Keywords / X-IMAP, each once. */
GPtrArray *
mbox_writer_valid_keywords(const char *const *flags)
{
	GPtrArray *out = g_ptr_array_new();
	for (gsize i = 0; flags != NULL && flags[i] != NULL; i++) {
		gboolean seen = FALSE;
		if (!mbox_meta_is_valid_keyword(flags[i]))
			continue;   /* system flags start with '\' */
		for (guint j = 0; j < out->len && !seen; j++)
			seen = g_ascii_strcasecmp(g_ptr_array_index(out, j), flags[i]) == 0;
		if (!seen)
			g_ptr_array_add(out, (gpointer)flags[i]);
	}
	return out;
}

void
mbox_writer_added_lines(GString *s, const char *const *flags, guint32 uid)
{
	static const struct { const char *name; char letter; } x_status[] = {
		{ "\\Deleted", 'D' }, { "\\Flagged", 'F' }, { "\\Answered", 'A' }, { "\\Draft", 'T' },
	};
	g_autoptr(GPtrArray) keywords = mbox_writer_valid_keywords(flags);
	gboolean seen = FALSE;
	char letters[G_N_ELEMENTS(x_status) + 1];
	gsize n = 0;

	for (gsize i = 0; flags != NULL && flags[i] != NULL; i++)
		seen = seen || g_ascii_strcasecmp(flags[i], "\\Seen") == 0;
	for (gsize k = 0; k < G_N_ELEMENTS(x_status); k++)
		for (gsize i = 0; flags != NULL && flags[i] != NULL; i++)
			if (g_ascii_strcasecmp(flags[i], x_status[k].name) == 0) {
				letters[n++] = x_status[k].letter;
				break;
			}
	letters[n] = '\0';
	g_string_append(s, seen ? "Status: RO\n" : "Status: O\n");
	if (n > 0)
		g_string_append_printf(s, "X-Status: %s\n", letters);
	if (keywords->len > 0) {
		g_string_append(s, "X-Keywords:");
		for (guint i = 0; i < keywords->len; i++)
			g_string_append_printf(s, " %s", (const char *)g_ptr_array_index(keywords, i));
		g_string_append_c(s, '\n');
	}
	if (uid != 0)
		g_string_append_printf(s, "X-UID: %" G_GUINT32_FORMAT "\n", uid);
}

/* c-client's unix_pseudo() (UW-IMAP 2007f, src/osdep/unix/unix.c) writes
 * "X-IMAP: %010lu %010lu" and rfc822_fixed_date(). */
void
mbox_writer_folder_text(GString *s, GDateTime *dt, guint32 uidvalidity, guint32 last_uid,
                        const char *const *keywords, gint64 now, const char *host)
{
	g_autoptr(GPtrArray) valid = mbox_writer_valid_keywords(keywords);

	gint64 offset = g_date_time_get_utc_offset(dt) / G_TIME_SPAN_MINUTE;

	g_string_append(s, "From MAILER-DAEMON ");
	mbox_writer_append_asctime(s, dt);
	/* rfc822_fixed_date(): "23 Nov 2005 11:38:42 +0100" */
	g_string_append_printf(s, "\nDate: %d %s %d %02d:%02d:%02d %c%02d%02d\n",
	                       g_date_time_get_day_of_month(dt),
	                       month_names[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt),
	                       g_date_time_get_hour(dt), g_date_time_get_minute(dt),
	                       g_date_time_get_second(dt), offset < 0 ? '-' : '+',
	                       (int)(ABS(offset) / 60), (int)(ABS(offset) % 60));
	g_string_append_printf(s, "From: Mail System Internal Data <MAILER-DAEMON@%s>\n"
	                       "Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n"
	                       "Message-ID: <%" G_GINT64_FORMAT "@%s>\n"
	                       "X-IMAP: %010" G_GUINT32_FORMAT " %010" G_GUINT32_FORMAT,
	                       host, now, host, uidvalidity, last_uid);
	for (guint i = 0; i < valid->len; i++)
		g_string_append_printf(s, " %s", (const char *)g_ptr_array_index(valid, i));
	g_string_append_printf(s, "\nStatus: RO\n\n%s\n", pseudo_body);
}
