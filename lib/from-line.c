/* from-line.c -- see from-line.h. */
#include "from-line.h"

#include <string.h>

#define MAX_TOKENS 64

typedef struct {
	const char *start;
	gsize len;
} Token;

static const char *const weekdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static const struct {
	const char *name;
	int hours_east;  /* in minutes would be nicer; every zone here is whole hours */
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 }, { "WET", 0 },
	{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
	{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	{ "MET", 1 }, { "CET", 1 }, { "BST", 1 }, { "WEST", 1 }, { "WETDST", 1 },
	{ "MEST", 2 }, { "CEST", 2 }, { "MET DST", 2 }, { "METDST", 2 }, { "EET", 2 },
	{ "EEST", 3 }, { "JST", 9 },
};

gboolean
from_line_zone_offset(const char *name, gsize len, int *seconds_out)
{
	for (gsize i = 0; i < G_N_ELEMENTS(zones); i++)
		if (strlen(zones[i].name) == len && g_ascii_strncasecmp(name, zones[i].name, len) == 0) {
			*seconds_out = zones[i].hours_east * 3600;
			return TRUE;
		}
	return FALSE;
}

static gboolean
token_is(const Token *t, const char *word)
{
	return t->len == strlen(word) && g_ascii_strncasecmp(t->start, word, t->len) == 0;
}

static int
lookup(const Token *t, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (token_is(t, names[i]))
			return i;
	return -1;
}

static gboolean
is_digits(const char *s, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
	return TRUE;
}

static int
number(const char *s, gsize len)
{
	int n = 0;
	for (gsize i = 0; i < len; i++)
		n = n * 10 + (s[i] - '0');
	return n;
}

/* HH:MM or HH:MM:SS, two-digit fields */
static gboolean
parse_time(const Token *t, int *h, int *m, int *s)
{
	const char *p = t->start;
	if ((t->len != 5 && t->len != 8) || !is_digits(p, 2) || p[2] != ':' || !is_digits(p + 3, 2))
		return FALSE;
	*h = number(p, 2);
	*m = number(p + 3, 2);
	*s = 0;
	if (t->len == 8) {
		if (p[5] != ':' || !is_digits(p + 6, 2))
			return FALSE;
		*s = number(p + 6, 2);
	}
	return *h < 24 && *m < 60 && *s < 61;
}

static gboolean
parse_year(const Token *t, int *year)
{
	if (t->len == 4 && is_digits(t->start, 4)) {
		*year = number(t->start, 4);
		return TRUE;
	}
	if (t->len == 2 && is_digits(t->start, 2)) {
		int y = number(t->start, 2);
		*year = y < 70 ? 2000 + y : 1900 + y;
		return TRUE;
	}
	return FALSE;
}

static gboolean
parse_numeric_zone(const Token *t, int *seconds)
{
	const char *p = t->start;
	if (t->len != 5 || (p[0] != '+' && p[0] != '-') || !is_digits(p + 1, 4))
		return FALSE;
	int hh = number(p + 1, 2), mm = number(p + 3, 2);
	if (hh > 14 || mm > 59)
		return FALSE;
	*seconds = (hh * 3600 + mm * 60) * (p[0] == '-' ? -1 : 1);
	return TRUE;
}

static gboolean
is_zone_name(const Token *t)
{
	if (t->len == 0 || t->len > 6)
		return FALSE;
	for (gsize i = 0; i < t->len; i++)
		if (!g_ascii_isalpha(t->start[i]))
			return FALSE;
	return TRUE;
}

typedef struct {
	int year, month, day, hour, minute, second;
	gboolean has_zone;
	int zone_seconds;
} Stamp;

/* Zone tokens at tokens[*i...]: a numeric zone, or one or two zone names.  Takes
 * what it recognises; an unknown name is consumed but leaves the zone unset. */
static void
take_zone(const Token *tokens, int n, int *i, Stamp *st)
{
	int seconds;

	if (*i < n && parse_numeric_zone(&tokens[*i], &seconds)) {
		st->has_zone = TRUE;
		st->zone_seconds = seconds;
		(*i)++;
		return;
	}
	if (*i < n && is_zone_name(&tokens[*i]) && !parse_year(&tokens[*i], &seconds)) {
		/* "MET DST": two words */
		if (*i + 1 < n && token_is(&tokens[*i + 1], "DST")) {
			g_autofree char *two = g_strdup_printf("%.*s DST", (int)tokens[*i].len, tokens[*i].start);
			if (from_line_zone_offset(two, strlen(two), &seconds)) {
				st->has_zone = TRUE;
				st->zone_seconds = seconds;
			}
			*i += 2;
			return;
		}
		if (from_line_zone_offset(tokens[*i].start, tokens[*i].len, &seconds)) {
			st->has_zone = TRUE;
			st->zone_seconds = seconds;
		}
		(*i)++;
	}
}

/* After the date: nothing, or "remote from HOST" (UUCP). */
static gboolean
only_trailer(const Token *tokens, int n, int i)
{
	if (i == n)
		return TRUE;
	return i + 1 < n && token_is(&tokens[i], "remote") && token_is(&tokens[i + 1], "from");
}

/* asctime: Wkd Mon DD HH:MM[:SS] [ZONE] YYYY [ZONE] */
static gboolean
parse_asctime(const Token *tokens, int n, int i, Stamp *st)
{
	if (i + 4 > n || (st->month = lookup(&tokens[i + 1], months, 12)) < 0)
		return FALSE;
	const Token *day = &tokens[i + 2];
	if (day->len > 2 || !is_digits(day->start, day->len))
		return FALSE;
	st->day = number(day->start, day->len);
	if (!parse_time(&tokens[i + 3], &st->hour, &st->minute, &st->second))
		return FALSE;
	int k = i + 4;
	take_zone(tokens, n, &k, st);
	if (k >= n || !parse_year(&tokens[k], &st->year))
		return FALSE;
	k++;
	/* a zone after the year too ("UTC 1970 +0000"): a numeric one is the more exact */
	Stamp after = { 0 };
	take_zone(tokens, n, &k, &after);
	if (after.has_zone && (!st->has_zone || tokens[k - 1].start[0] == '+' ||
	                       tokens[k - 1].start[0] == '-')) {
		st->has_zone = TRUE;
		st->zone_seconds = after.zone_seconds;
	}
	return only_trailer(tokens, n, k);
}

/* RFC 822: [Wkd,] DD Mon YYYY HH:MM[:SS] [ZONE]; tokens[d] is the day.  With
 * `lenient`, anything after the zone (a comment such as "(CET)") is ignored. */
static gboolean
parse_rfc822_at(const Token *tokens, int n, int d, Stamp *st, gboolean lenient)
{
	int i = d - 1;
	if (i + 5 > n)
		return FALSE;
	const Token *day = &tokens[i + 1];
	if (day->len > 2 || !is_digits(day->start, day->len))
		return FALSE;
	st->day = number(day->start, day->len);
	if ((st->month = lookup(&tokens[i + 2], months, 12)) < 0 ||
	    !parse_year(&tokens[i + 3], &st->year) ||
	    !parse_time(&tokens[i + 4], &st->hour, &st->minute, &st->second))
		return FALSE;
	int k = i + 5;
	take_zone(tokens, n, &k, st);
	return lenient || only_trailer(tokens, n, k);
}

static GDateTime *
stamp_to_date(const Stamp *st, GTimeZone *default_tz)
{
	g_autoptr(GTimeZone) zone = st->has_zone ? g_time_zone_new_offset(st->zone_seconds)
	                                         : g_time_zone_ref(default_tz);
	/* NULL for dates that do not exist (Feb 30) */
	return g_date_time_new(zone, st->year, st->month + 1, st->day, st->hour, st->minute,
	                       st->second);
}

static int
tokenize(const char *text, gsize len, Token *tokens)
{
	int n = 0;
	gsize p = 0;

	while (p < len && n < MAX_TOKENS) {
		while (p < len && (text[p] == ' ' || text[p] == '\t'))
			p++;
		if (p == len)
			break;
		gsize start = p;
		while (p < len && text[p] != ' ' && text[p] != '\t')
			p++;
		tokens[n].start = text + start;
		tokens[n].len = p - start;
		n++;
	}
	return n;
}

gboolean
from_line_parse(const char *text, gsize len, GTimeZone *source_tz, char **sender_out,
                GDateTime **date_out)
{
	Token tokens[MAX_TOKENS];
	int n = tokenize(text, len, tokens);

	for (int i = 0; i < n; i++) {
		Token wkd = tokens[i];
		gboolean comma = wkd.len == 4 && wkd.start[3] == ',';
		Stamp st = { 0 };

		if (comma)
			wkd.len = 3;
		if (lookup(&wkd, weekdays, 7) < 0)
			continue;
		if (!(comma ? parse_rfc822_at(tokens, n, i + 1, &st, FALSE)
		            : parse_asctime(tokens, n, i, &st)))
			continue;

		GDateTime *date = stamp_to_date(&st, source_tz);
		if (date == NULL)
			return FALSE;   /* Feb 30 and the like */
		if (sender_out != NULL) {
			gsize sender_len = (gsize)(tokens[i].start - text);
			while (sender_len > 0 && (text[sender_len - 1] == ' ' || text[sender_len - 1] == '\t'))
				sender_len--;
			*sender_out = g_strndup(text, sender_len);
		}
		if (date_out != NULL)
			*date_out = date;
		else
			g_date_time_unref(date);
		return TRUE;
	}
	return FALSE;
}

gboolean
from_line_is_bare(const char *text, gsize len)
{
	gsize p = 0;
	while (p < len && (text[p] == ' ' || text[p] == '\t'))
		p++;
	if (p < len && text[p] == '-')
		p++;
	while (p < len && (text[p] == ' ' || text[p] == '\t'))
		p++;
	return p == len;
}

GDateTime *
from_line_parse_date(const char *text, gsize len, GTimeZone *default_tz)
{
	Token tokens[MAX_TOKENS];
	int n = tokenize(text, len, tokens);
	Stamp st = { 0 };
	gboolean ok = FALSE;

	if (n == 0)
		return NULL;
	Token wkd = tokens[0];
	if (wkd.len == 4 && wkd.start[3] == ',')
		wkd.len = 3;
	if (lookup(&wkd, weekdays, 7) >= 0) {
		ok = parse_rfc822_at(tokens, n, 1, &st, TRUE);
		if (!ok) {
			memset(&st, 0, sizeof st);
			ok = parse_asctime(tokens, n, 0, &st);
		}
	} else {
		ok = parse_rfc822_at(tokens, n, 0, &st, TRUE);
	}
	return ok ? stamp_to_date(&st, default_tz) : NULL;
}
