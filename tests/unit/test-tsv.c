/* test-tsv.c -- lib/tsv.c: tsv_escape_append, tsv_unescape and tsv_unescape_string
 * round-trip every byte, alone, in runs and among valid UTF-8; the escaped form is
 * the one tsv.h specifies and never holds a TAB, a newline or a control byte; bad
 * escapes and escaped NULs are refused; json_escape_append writes JSON strings that
 * parse, to what tsv.h says they hold.
 *
 * Failed checks compare printable forms (hex, or the escaped text) with
 * g_assert_cmpstr, so the output shows both values. */
#include <string.h>

#include <gio/gio.h>

#include "tsv.h"

/* "41 09 ff": the bytes, readable in a failure message. */
static char *
hex(const char *data, gsize len)
{
	GString *out = g_string_new(NULL);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(out, "%s%02x", i ? " " : "", (guint8)data[i]);
	return g_string_free(out, FALSE);
}

/* The escaped form of `len` bytes, appended after a prefix that must stay. */
static char *
escape(const char *data, gsize len)
{
	g_autoptr(GString) out = g_string_new("keep|");
	tsv_escape_append(out, data, len);
	g_assert_true(g_str_has_prefix(out->str, "keep|"));
	return g_strdup(out->str + 5);
}

/* tsv.h for one byte on its own (a lone byte >= 0x80 is never valid UTF-8). */
static char *
spec_escape_byte(guint8 b)
{
	switch (b) {
	case '\t': return g_strdup("\\t");
	case '\n': return g_strdup("\\n");
	case '\r': return g_strdup("\\r");
	case '\\': return g_strdup("\\\\");
	default:
		if (b < 0x20 || b >= 0x7f)
			return g_strdup_printf("\\x%02x", b);
		return g_strdup_printf("%c", b);
	}
}

/* The field in a heap block of exactly `len` bytes, no NUL after it, so that
 * AddressSanitizer (make SANITIZE=1) sees a read past the end. */
static GBytes *
unescape_exact(const char *field, gsize len, GError **error)
{
	g_autofree char *copy = g_memdup2(field, len);
	return tsv_unescape(copy, len, error);
}

static char *
unescape_string_exact(const char *field, gsize len, GError **error)
{
	g_autofree char *copy = g_memdup2(field, len);
	return tsv_unescape_string(copy, len, error);
}

/* An escaped field: valid UTF-8, no TAB, LF, CR or other control byte. */
static void
assert_clean(const char *escaped)
{
	g_assert_true(g_utf8_validate(escaped, -1, NULL));
	for (const char *p = escaped; *p != '\0'; p++)
		if ((guint8)*p < 0x20 || (guint8)*p == 0x7f) {
			g_autofree char *h = hex(escaped, strlen(escaped));
			g_assert_cmpstr(h, ==, "(no control byte)");
			return;
		}
}

/* escape, check the escaped form, unescape both ways, compare. */
static void
assert_round_trip(const char *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *escaped = escape(data, len);
	g_autofree char *want = hex(data, len);

	assert_clean(escaped);
	g_autoptr(GBytes) back = unescape_exact(escaped, strlen(escaped), &error);
	g_assert_no_error(error);
	g_clear_error(&error);   /* the assertions do not stop the test */
	g_assert_nonnull(back);
	if (back != NULL) {
		gsize n;
		const char *got = g_bytes_get_data(back, &n);
		g_autofree char *got_hex = hex(got, n);
		g_assert_cmpstr(got_hex, ==, want);
	}
	g_autofree char *text = unescape_string_exact(escaped, strlen(escaped), &error);
	if (memchr(data, '\0', len) != NULL) {   /* a C string cannot hold it */
		g_assert_null(text);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		g_clear_error(&error);
	} else {
		g_assert_no_error(error);
		g_assert_nonnull(text);
		if (text != NULL) {
			g_autofree char *got_hex = hex(text, strlen(text));
			g_assert_cmpstr(got_hex, ==, want);
		}
	}
}

/* Every byte alone, in a run of three, between ASCII and UTF-8, and all 256 in a
 * row, each escaped as tsv.h says. */
static void
test_every_byte(void)
{
	GString *all = g_string_new(NULL), *all_want = g_string_new(NULL);

	for (guint b = 0; b < 256; b++) {
		char one = (char)b, run[3] = { (char)b, (char)b, (char)b };
		char mixed[] = { 'a', (char)b, '\xc3', '\xa9' };   /* a, b, é */
		g_autofree char *want = spec_escape_byte((guint8)b);
		g_autofree char *want_run = g_strconcat(want, want, want, NULL);
		g_autofree char *want_mixed = g_strconcat("a", want, "\xc3\xa9", NULL);
		g_autofree char *got = escape(&one, 1);
		g_autofree char *got_run = escape(run, 3);
		g_autofree char *got_mixed = escape(mixed, 4);

		g_assert_cmpstr(got, ==, want);
		g_assert_cmpstr(got_run, ==, want_run);
		/* a lead or continuation byte before é's lead byte is invalid on its own */
		g_assert_cmpstr(got_mixed, ==, want_mixed);
		assert_round_trip(&one, 1);
		assert_round_trip(run, 3);
		assert_round_trip(mixed, 4);
		g_string_append_c(all, (char)b);
		g_string_append(all_want, want);
	}
	/* 0x80.. in a row: each is followed by a byte that cannot continue it */
	g_autofree char *got_all = escape(all->str, all->len);
	g_assert_cmpstr(got_all, ==, all_want->str);
	assert_round_trip(all->str, all->len);
	for (gsize i = 0; i < all->len / 2; i++) {   /* and backwards */
		char c = all->str[i];
		all->str[i] = all->str[all->len - 1 - i];
		all->str[all->len - 1 - i] = c;
	}
	assert_round_trip(all->str, all->len);
	g_string_free(all, TRUE);
	g_string_free(all_want, TRUE);
}

/* Vectors: the bytes, the escaped field tsv.h specifies. */
static const struct {
	const char *data;
	gsize len;
	const char *escaped;
} vectors[] = {
#define V(data, escaped) { data, sizeof data - 1, escaped }
	V("", ""),
	V("plain ASCII ~!", "plain ASCII ~!"),
	V("tab\there", "tab\\there"),
	V("a\nb\r\n", "a\\nb\\r\\n"),
	V("back\\slash", "back\\\\slash"),
	V("\\x41\\t", "\\\\x41\\\\t"),                      /* escapes in the data stay data */
	V("\\", "\\\\"),
	V("\x00", "\\x00"),
	V("a\x00" "b", "a\\x00b"),
	V("\x1b[31m", "\\x1b[31m"),
	V("del\x7f", "del\\x7f"),
	V("caf\xc3\xa9", "caf\xc3\xa9"),                    /* é: valid UTF-8 kept */
	V("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"),   /* 日本 */
	V("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"),          /* U+1F600, 4 bytes */
	V("\xc2\x80\xc2\x9f", "\xc2\x80\xc2\x9f"),          /* C1 controls are valid UTF-8 */
	V("\xef\xbb\xbf", "\xef\xbb\xbf"),                  /* a UTF-8 BOM */
	V("\xef\xbf\xbf", "\xef\xbf\xbf"),                  /* U+FFFF */
	V("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"),          /* U+10FFFF, the last */
	V("\xc3\xa9\x00\xc3\xa9", "\xc3\xa9\\x00\xc3\xa9"), /* NUL between valid runs */
	V("caf\xe9", "caf\\xe9"),                           /* Latin-1 é */
	V("\xc0\xaf", "\\xc0\\xaf"),                        /* overlong "/" */
	V("\xe0\x80\xaf", "\\xe0\\x80\\xaf"),               /* overlong, 3 bytes */
	V("\xed\xa0\x80", "\\xed\\xa0\\x80"),               /* a UTF-16 surrogate */
	V("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"),      /* beyond U+10FFFF */
	V("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80"),   /* 5-byte form */
	V("\xe6\x97", "\\xe6\\x97"),                        /* cut short at the end */
	V("\xe6\x97" "A", "\\xe6\\x97A"),                   /* cut short by ASCII */
	V("\xc3\xc3\xa9", "\\xc3\xc3\xa9"),                 /* a stray lead byte, then é */
	V("\xa9\xc3\xa9", "\\xa9\xc3\xa9"),                 /* a stray continuation byte */
	V("\xff\xfe" "a\x00", "\\xff\\xfea\\x00"),          /* UTF-16LE BOM */
	V("\xe9\t\xe9", "\\xe9\\t\\xe9"),
#undef V
};

static void
test_vectors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		g_autofree char *got = escape(vectors[i].data, vectors[i].len);
		g_assert_cmpstr(got, ==, vectors[i].escaped);
		assert_round_trip(vectors[i].data, vectors[i].len);
		if (memchr(vectors[i].data, '\0', vectors[i].len) == NULL) {
			g_autofree char *whole = tsv_escape(vectors[i].data);
			g_assert_cmpstr(whole, ==, vectors[i].escaped);
		}
	}
}

/* Random hostile strings (a fixed seed: the same strings every run), whole and
 * escaped in two pieces cut anywhere, even inside a UTF-8 character: the pieces'
 * escapes, joined, still unescape to the whole. */
static void
test_random(void)
{
	static const char *const pieces[] = {
		"\\", "\\x", "\\x4", "\\t", "x41", "\t", "\n", "\r", "\r\n", "\"", "#", "-",
		"\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xc2\x85", "\xe2\x80\xa8",
	};
	g_autoptr(GRand) rand = g_rand_new_with_seed(4155);

	for (guint round = 0; round < 2000; round++) {
		g_autoptr(GString) data = g_string_new(NULL);
		guint n = (guint)g_rand_int_range(rand, 0, 24);
		for (guint k = 0; k < n; k++) {
			if (g_rand_boolean(rand))
				g_string_append_c(data, (char)g_rand_int_range(rand, 0, 256));
			else
				g_string_append(data, pieces[g_rand_int_range(rand, 0, G_N_ELEMENTS(pieces))]);
		}
		assert_round_trip(data->str, data->len);

		gsize cut = data->len ? (gsize)g_rand_int_range(rand, 0, (gint32)data->len + 1) : 0;
		g_autoptr(GString) joined = g_string_new(NULL);
		g_autoptr(GError) error = NULL;
		tsv_escape_append(joined, data->str, cut);
		tsv_escape_append(joined, data->str + cut, data->len - cut);
		assert_clean(joined->str);
		g_autoptr(GBytes) back = unescape_exact(joined->str, joined->len, &error);
		g_assert_no_error(error);
		if (back != NULL) {
			gsize len;
			const char *got = g_bytes_get_data(back, &len);
			g_autofree char *got_hex = hex(got, len), *want_hex = hex(data->str, data->len);
			g_assert_cmpstr(got_hex, ==, want_hex);
		}
	}
}

/* Fields tsv_escape never writes, and the bytes a reader makes of them. */
static void
test_unescape_accepts(void)
{
	static const struct {
		const char *field, *bytes;
	} rows[] = {
		{ "\\x41\\x4a\\x4A", "AJJ" },          /* escaped printable ASCII; upper-case hex */
		{ "\\xc3\\xa9", "\xc3\xa9" },         /* valid UTF-8, escaped byte by byte */
		{ "\\xC3\xa9", "\xc3\xa9" },          /* half escaped */
		{ "\\\\x41", "\\x41" },
		{ "\\\\\\t", "\\\t" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *text = unescape_string_exact(rows[i].field, strlen(rows[i].field), &error);
		g_assert_no_error(error);
		g_assert_cmpstr(text, ==, rows[i].bytes);
	}
}

/* Fields that must be refused, by both readers, naming the place. */
static void
test_unescape_rejects(void)
{
	static const char *const bad[] = {
		"\\",            /* a backslash at the end */
		"abc\\",
		"\\\\\\",        /* an escaped backslash, then a lone one */
		"\\q", "\\T", "\\N", "\\0", "\\ ", "\\\"", "\\u0041", "\\X41",
		"\\x", "\\x4", "ab\\x4", "\\xZZ", "\\x4g", "\\xg4", "\\x-1", "\\x 4",
		"\\t\\q",        /* a bad escape after a good one */
		"\xc3\xa9\\\xc3\xa9",   /* a backslash before a multibyte character */
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL, error2 = NULL;
		g_autoptr(GBytes) bytes = unescape_exact(bad[i], strlen(bad[i]), &error);
		g_autofree char *text = unescape_string_exact(bad[i], strlen(bad[i]), &error2);
		g_autofree char *label = tsv_escape(bad[i]);   /* says which row failed */

		g_assert_null(bytes);
		g_assert_null(text);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		g_assert_error(error2, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		if (error == NULL)
			continue;
		g_autofree char *context = g_strdup_printf("%s: %s", label, error->message);
		g_assert_true(strstr(context, "bad escape at character ") != NULL);
	}
	/* the length is the end: an escape cut by it is bad, even with more after */
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) cut = tsv_unescape("\\x41", 3, &error);
	g_assert_null(cut);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_clear_error(&error);
	g_autoptr(GBytes) cut2 = tsv_unescape("a\\tb", 2, &error);
	g_assert_null(cut2);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_clear_error(&error);
	g_autofree char *part = tsv_unescape_string("a\\tbc", 3, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(part, ==, "a\t");
}

/* tsv_unescape keeps an escaped NUL; tsv_unescape_string cannot, and refuses it. */
static void
test_escaped_nul(void)
{
	static const struct {
		const char *field;
		gsize len;
		const char *bytes;
	} rows[] = {
		{ "\\x00", 1, "\0" },
		{ "a\\x00", 2, "a\0" },
		{ "\\x00b", 2, "\0b" },
		{ "\xc3\xa9\\x00\\x00", 4, "\xc3\xa9\0\0" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) bytes = unescape_exact(rows[i].field, strlen(rows[i].field), &error);
		g_assert_no_error(error);
		g_clear_error(&error);
		if (bytes != NULL) {
			gsize n;
			const char *got = g_bytes_get_data(bytes, &n);
			g_autofree char *got_hex = hex(got, n), *want_hex = hex(rows[i].bytes, rows[i].len);
			g_assert_cmpstr(got_hex, ==, want_hex);
		}
		g_autofree char *text = unescape_string_exact(rows[i].field, strlen(rows[i].field), &error);
		g_assert_null(text);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		g_assert_true(error != NULL && strstr(error->message, "NUL") != NULL);
	}
}

/* The empty field: nothing written, and an empty (not NULL) result back. */
static void
test_empty(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *escaped = tsv_escape("");
	g_autoptr(GString) out = g_string_new("x");

	g_assert_cmpstr(escaped, ==, "");
	tsv_escape_append(out, "ignored", 0);
	g_assert_cmpstr(out->str, ==, "x");
	g_autoptr(GBytes) bytes = tsv_unescape("ignored", 0, &error);
	g_assert_no_error(error);
	g_clear_error(&error);
	g_assert_nonnull(bytes);
	g_assert_cmpuint(bytes ? g_bytes_get_size(bytes) : 1, ==, 0);
	g_autofree char *text = tsv_unescape_string("ignored", 0, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(text, ==, "");
}

/* A JSON string (RFC 8259 section 7) decoded: the UTF-8 it stands for, or NULL when
 * `json` is not exactly one well-formed string, in UTF-8, with no lone surrogate. */
static char *
json_string_decode(const char *json)
{
	g_autoptr(GString) out = g_string_new(NULL);
	const char *p = json;

	if (!g_utf8_validate(json, -1, NULL) || *p++ != '"')
		return NULL;
	while (*p != '"') {
		guint8 c = (guint8)*p;
		if (c == '\0' || c < 0x20)
			return NULL;
		if (c != '\\') {
			g_string_append_c(out, *p++);
			continue;
		}
		p++;
		switch (*p++) {
		case '"': g_string_append_c(out, '"'); break;
		case '\\': g_string_append_c(out, '\\'); break;
		case '/': g_string_append_c(out, '/'); break;
		case 'b': g_string_append_c(out, '\b'); break;
		case 'f': g_string_append_c(out, '\f'); break;
		case 'n': g_string_append_c(out, '\n'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'u': {
			gunichar u = 0;
			for (int k = 0; k < 4; k++, p++) {
				if (!g_ascii_isxdigit(*p))
					return NULL;
				u = u * 16 + (gunichar)g_ascii_xdigit_value(*p);
			}
			if (u >= 0xd800 && u <= 0xdfff)   /* pairs are not ours to write */
				return NULL;
			g_string_append_unichar(out, u);
			break;
		}
		default:
			return NULL;
		}
	}
	if (p[1] != '\0')
		return NULL;
	return g_strdup(out->str);
}

static char *
json(const char *text)
{
	g_autoptr(GString) out = g_string_new("[");
	json_escape_append(out, text);
	g_assert_true(g_str_has_prefix(out->str, "["));
	return g_strdup(out->str + 1);
}

static void
test_json(void)
{
	static const struct {
		const char *text, *json, *decoded;
	} rows[] = {
		{ NULL, "\"\"", "" },
		{ "", "\"\"", "" },
		{ "plain /path", "\"plain /path\"", "plain /path" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"", "say \"hi\"" },
		{ "C:\\dir\\", "\"C:\\\\dir\\\\\"", "C:\\dir\\" },
		{ "\t\n\r", "\"\\u0009\\u000a\\u000d\"", "\t\n\r" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "\x01\x1f\x7f" },
		{ "\x1b[0m", "\"\\u001b[0m\"", "\x1b[0m" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", "caf\xc3\xa9" },              /* UTF-8 kept */
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80" },
		{ "\xc2\x80\xe2\x80\xa8", "\"\xc2\x80\xe2\x80\xa8\"", "\xc2\x80\xe2\x80\xa8" },
		/* bytes that are not UTF-8: U+0080..U+00FF of the same value */
		{ "caf\xe9", "\"caf\\u00e9\"", "caf\xc3\xa9" },
		{ "\xff\xfe", "\"\\u00ff\\u00fe\"", "\xc3\xbf\xc3\xbe" },
		{ "\x80", "\"\\u0080\"", "\xc2\x80" },
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"", "\xc3\xad\xc2\xa0\xc2\x80" },   /* surrogate */
		{ "\xe6\x97" "A\"", "\"\\u00e6\\u0097A\\\"\"", "\xc3\xa6\xc2\x97" "A\"" },   /* cut short */
		{ "\xc3\xc3\xa9", "\"\\u00c3\xc3\xa9\"", "\xc3\x83\xc3\xa9" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *got = json(rows[i].text);
		g_autofree char *decoded = json_string_decode(got);
		g_assert_cmpstr(got, ==, rows[i].json);
		g_assert_cmpstr(decoded, ==, rows[i].decoded);
	}

	/* every byte alone (but NUL, which ends the C string) */
	for (guint b = 1; b < 256; b++) {
		char text[2] = { (char)b, '\0' };
		g_autofree char *got = json(text);
		g_autofree char *decoded = json_string_decode(got);
		g_autofree char *want = NULL;
		if (b < 0x80) {
			want = g_strdup(text);
		} else {
			want = g_malloc0(8);
			g_unichar_to_utf8(b, want);
		}
		g_assert_cmpstr(decoded, ==, want);
		/* no raw control byte, DEL included */
		for (const char *p = got; *p != '\0'; p++)
			g_assert_cmpuint((guint8)*p >= 0x20 && (guint8)*p != 0x7f, ==, TRUE);
	}

	/* Pinned, though tsv.h calls it lossless: a valid é and a Latin-1 byte 0xe9
	 * come out as the same JSON string, so a reader cannot tell which the file
	 * held.  Whoever changes this must change the readers of scan --format json
	 * and convert --report too. */
	g_autofree char *valid_json = json("\xc3\xa9"), *latin1_json = json("\xe9");
	g_autofree char *valid = json_string_decode(valid_json);
	g_autofree char *latin1 = json_string_decode(latin1_json);
	g_assert_cmpstr(valid_json, !=, latin1_json);
	g_assert_cmpstr(valid, ==, latin1);
}

/* tsv_parse_number: digits only, within the limit, never wrapped; and the same from
 * two threads at once (GLib 2.74's g_ascii_string_to_unsigned is not). */
static void
test_parse_number(void)
{
	static const struct {
		const char *text;
		guint64 max;
		gboolean ok;
		guint64 value;
	} cases[] = {
		{ "0", 100, TRUE, 0 }, { "007", 100, TRUE, 7 }, { "100", 100, TRUE, 100 },
		{ "101", 100, FALSE, 0 }, { "1", 1, TRUE, 1 }, { "2", 1, FALSE, 0 }, { "9", 0, FALSE, 0 },
		{ "0", 0, TRUE, 0 }, { "4294967295", G_MAXUINT32, TRUE, G_MAXUINT32 },
		{ "4294967296", G_MAXUINT32, FALSE, 0 },
		{ "18446744073709551615", G_MAXUINT64, TRUE, G_MAXUINT64 },
		{ "18446744073709551616", G_MAXUINT64, FALSE, 0 },
		{ "99999999999999999999999", G_MAXUINT64, FALSE, 0 },
		{ "", 100, FALSE, 0 }, { "-1", 100, FALSE, 0 }, { "+1", 100, FALSE, 0 },
		{ " 1", 100, FALSE, 0 }, { "1 ", 100, FALSE, 0 }, { "0x10", 100, FALSE, 0 },
		{ "1a", 100, FALSE, 0 }, { "\xd9\xa3", 100, FALSE, 0 },   /* an Arabic-Indic digit */
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint64 out = 12345;
		gboolean ok = tsv_parse_number(cases[i].text, cases[i].max, &out);
		g_test_message("\"%s\" max %" G_GUINT64_FORMAT, cases[i].text, cases[i].max);
		g_assert_cmpint(ok, ==, cases[i].ok);
		g_assert_cmpuint(out, ==, cases[i].ok ? cases[i].value : 12345);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/tsv/every-byte", test_every_byte);
	g_test_add_func("/tsv/vectors", test_vectors);
	g_test_add_func("/tsv/random", test_random);
	g_test_add_func("/tsv/unescape-accepts", test_unescape_accepts);
	g_test_add_func("/tsv/unescape-rejects", test_unescape_rejects);
	g_test_add_func("/tsv/escaped-nul", test_escaped_nul);
	g_test_add_func("/tsv/empty", test_empty);
	g_test_add_func("/tsv/json", test_json);
	g_test_add_func("/tsv/parse-number", test_parse_number);
	return g_test_run();
}
