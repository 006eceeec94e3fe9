/* imap-digest.c -- see imap-digest.h. */
#include "imap-digest.h"

#include <string.h>

#include "imap-session.h"

void
imap_digest_free(ImapDigest *digest)
{
	if (digest == NULL)
		return;
	g_strfreev(digest->flags);
	g_free(digest);
}

void
imap_digest_hex(const guint8 sha1[20], char hex_out[41])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 20; i++) {
		hex_out[2 * i] = digits[sha1[i] >> 4];
		hex_out[2 * i + 1] = digits[sha1[i] & 15];
	}
	hex_out[40] = '\0';
}

typedef struct {
	const char *p;
	const char *end;
} Cursor;

static gboolean
take(Cursor *c, const char *word)
{
	gsize n = strlen(word);
	if ((gsize)(c->end - c->p) < n || g_ascii_strncasecmp(c->p, word, n) != 0)
		return FALSE;
	c->p += n;
	return TRUE;
}

/* 1..`max` in decimal, no sign, no leading zero beyond "0". */
static gboolean
take_number(Cursor *c, guint64 max, guint64 *out)
{
	guint64 v = 0;
	const char *start = c->p;
	while (c->p < c->end && g_ascii_isdigit(*c->p)) {
		guint d = (guint)(*c->p - '0');
		if (v > (max - d) / 10)
			return FALSE;
		v = v * 10 + d;
		c->p++;
	}
	if (c->p == start || (*start == '0' && c->p - start > 1))
		return FALSE;
	*out = v;
	return TRUE;
}

static gboolean
take_digits(Cursor *c, int n, int *out)
{
	int v = 0;
	if (c->end - c->p < n)
		return FALSE;
	for (int i = 0; i < n; i++) {
		if (!g_ascii_isdigit(c->p[i]))
			return FALSE;
		v = v * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*out = v;
	return TRUE;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static gint64
days_from_civil(gint64 y, int m, int d)
{
	y -= m <= 2;
	gint64 era = (y >= 0 ? y : y - 399) / 400;
	gint64 yoe = y - era * 400;
	gint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "dd-Mon-yyyy hh:mm:ss +zzzz" with its quotes; dd may be " 5" (RFC 3501 date-day-fixed). */
static gboolean
take_date(Cursor *c, gint64 *out)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const int month_days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int day, month = -1, year, hour, minute, second, zh, zm, sign;

	if (!take(c, "\""))
		return FALSE;
	if (c->p < c->end && *c->p == ' ') {
		c->p++;
		if (!take_digits(c, 1, &day))
			return FALSE;
	} else if (!take_digits(c, 2, &day))
		return FALSE;
	if (!take(c, "-") || c->end - c->p < 3)
		return FALSE;
	for (int i = 0; i < 12; i++)
		if (g_ascii_strncasecmp(c->p, months[i], 3) == 0)
			month = i;
	if (month < 0)
		return FALSE;
	c->p += 3;
	if (!take(c, "-") || !take_digits(c, 4, &year) || !take(c, " ") ||
	    !take_digits(c, 2, &hour) || !take(c, ":") || !take_digits(c, 2, &minute) ||
	    !take(c, ":") || !take_digits(c, 2, &second) || !take(c, " ") || c->p >= c->end)
		return FALSE;
	if (*c->p == '+')
		sign = 1;
	else if (*c->p == '-')
		sign = -1;
	else
		return FALSE;
	c->p++;
	if (!take_digits(c, 2, &zh) || !take_digits(c, 2, &zm) || !take(c, "\""))
		return FALSE;
	if (day < 1 || day > month_days[month] || hour > 23 || minute > 59 || second > 60 ||
	    zh > 23 || zm > 59)
		return FALSE;
	*out = days_from_civil(year, month + 1, day) * 86400 + hour * 3600 + minute * 60 + second -
	       sign * (zh * 3600 + zm * 60);
	return TRUE;
}

static gboolean
is_flag_char(char ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("(){%*\"\\]", ch) == NULL;
}

/* "(" flag *(SP flag) ")" or "()"; flag = ["\"] 1*ATOM-CHAR. */
static gboolean
take_flags(Cursor *c, char ***out)
{
	g_autoptr(GPtrArray) flags = g_ptr_array_new_with_free_func(g_free);
	if (!take(c, "("))
		return FALSE;
	while (c->p < c->end && *c->p != ')') {
		if (flags->len > 0 && !take(c, " "))
			return FALSE;
		const char *start = c->p;
		if (c->p < c->end && *c->p == '\\')
			c->p++;
		const char *atom = c->p;
		while (c->p < c->end && is_flag_char(*c->p))
			c->p++;
		if (c->p == atom)
			return FALSE;
		g_ptr_array_add(flags, g_strndup(start, (gsize)(c->p - start)));
	}
	if (!take(c, ")"))
		return FALSE;
	g_ptr_array_add(flags, NULL);
	*out = (char **)g_ptr_array_free(g_steal_pointer(&flags), FALSE);
	return TRUE;
}

static gboolean
take_sha1(Cursor *c, guint8 sha1[20])
{
	if (c->end - c->p < 40)
		return FALSE;
	for (int i = 0; i < 40; i++)
		if (!g_ascii_isxdigit(c->p[i]))
			return FALSE;
	if (c->end - c->p > 40 && g_ascii_isxdigit(c->p[40]))
		return FALSE;
	for (int i = 0; i < 20; i++)
		sha1[i] = (guint8)(g_ascii_xdigit_value(c->p[2 * i]) << 4 |
		                   g_ascii_xdigit_value(c->p[2 * i + 1]));
	c->p += 40;
	return TRUE;
}

gboolean
imap_digest_is_fetch(const char *line, gsize len)
{
	Cursor c = { line, line + len };
	guint64 seq;
	return take(&c, "* ") && take_number(&c, G_MAXUINT32, &seq) && take(&c, " FETCH ");
}

static void
refuse(GError **error, const char *line, gsize len, const char *why)
{
	g_autoptr(GString) shown = g_string_new(NULL);
	for (gsize i = 0; i < len && i < 160; i++) {
		guchar ch = (guchar)line[i];
		if (ch == '\r' || ch == '\n')
			break;
		if (ch < 0x20 || ch >= 0x7f)
			g_string_append_printf(shown, "\\x%02x", ch);
		else
			g_string_append_c(shown, (char)ch);
	}
	g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL,
	            "unexpected FETCH response (%s): %s%s", why, shown->str, len > 160 ? "..." : "");
}

enum { ITEM_UID = 1, ITEM_FLAGS = 2, ITEM_DATE = 4, ITEM_SIZE = 8, ITEM_DIGEST = 16, ITEM_ALL = 31 };

ImapDigest *
imap_digest_parse(const char *line, gsize len, GError **error)
{
	g_autoptr(ImapDigest) d = g_new0(ImapDigest, 1);
	Cursor c = { line, line + len };
	guint64 n;
	unsigned seen = 0;

	/* the line end, if any, is not part of the response */
	if (c.end > c.p && c.end[-1] == '\n')
		c.end--;
	if (c.end > c.p && c.end[-1] == '\r')
		c.end--;
	if (memchr(c.p, '{', (gsize)(c.end - c.p)) != NULL) {
		refuse(error, line, len, "a literal");
		return NULL;
	}
	if (!take(&c, "* ") || !take_number(&c, G_MAXUINT32, &n) || n == 0 || !take(&c, " FETCH (")) {
		refuse(error, line, len, "not \"* N FETCH (\"");
		return NULL;
	}
	d->seq = (guint32)n;
	while (seen != ITEM_ALL) {
		unsigned item;
		gboolean ok;
		if (seen != 0 && !take(&c, " ")) {
			refuse(error, line, len, "an item missing");
			return NULL;
		}
		if (take(&c, "UID ")) {
			item = ITEM_UID;
			ok = take_number(&c, G_MAXUINT32, &n) && n > 0;
			d->uid = (guint32)n;
		} else if (take(&c, "FLAGS ")) {
			item = ITEM_FLAGS;
			ok = !(seen & ITEM_FLAGS) && take_flags(&c, &d->flags);
		} else if (take(&c, "INTERNALDATE ")) {
			item = ITEM_DATE;
			ok = take_date(&c, &d->internaldate);
		} else if (take(&c, "RFC822.SIZE ")) {
			item = ITEM_SIZE;
			ok = take_number(&c, G_MAXUINT64, &d->size);
		} else if (take(&c, "DIGEST.SHA1 ")) {
			item = ITEM_DIGEST;
			ok = take_sha1(&c, d->sha1);
		} else {
			refuse(error, line, len, "an unknown or missing item");
			return NULL;
		}
		if (seen & item) {
			refuse(error, line, len, "an item twice");
			return NULL;
		}
		if (!ok) {
			refuse(error, line, len, "a bad value");
			return NULL;
		}
		seen |= item;
	}
	if (!take(&c, ")") || c.p != c.end) {
		refuse(error, line, len, "more than asked for");
		return NULL;
	}
	return g_steal_pointer(&d);
}
