/* test-message-fix.c -- lib/message-fix: every rule of message-fix.h, each input fed
 * whole, in two pieces cut at every offset, one byte at a time and in random pieces
 * (fixed seeds), which must all give the same bytes; clean messages pass unchanged;
 * 8-bit subjects in EUC-JP, Shift_JIS, CP932, ISO-8859-1, WINDOWS-1252, KOI8-R and
 * UTF-8 decode back (with the small RFC 2047 decoder below) to the text they were made
 * from; random hostile messages come out as Cyrus's message_copy_strict() takes them,
 * and a second run of the filter changes nothing. */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "message-fix.h"

/* ---- running the filter ---- */

typedef struct {
	GString *out;
	gboolean fail;     /* the downstream write fails */
} Sink;

static gboolean
sink_write(const char *data, gsize len, gpointer user_data, GError **error)
{
	Sink *sink = user_data;
	g_assert_cmpuint(len, >, 0);   /* the filter never writes nothing */
	if (sink->fail) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full");
		return FALSE;
	}
	g_string_append_len(sink->out, data, (gssize)len);
	return TRUE;
}

typedef struct {
	GString *out;
	guint applied;
	char *notes;       /* joined by "\n" */
} Result;

static void
result_clear(Result *r)
{
	g_string_free(r->out, TRUE);
	g_free(r->notes);
}

/* Feed `input` cut at the offsets in `cuts` (ascending, ending with `len`). */
static Result
run_cuts(const MessageFixSettings *settings, const char *input, gsize len, const gsize *cuts,
         gsize n_cuts)
{
	Sink sink = { g_string_new(NULL), FALSE };
	g_autoptr(GError) error = NULL;
	g_autoptr(MessageFix) fix = message_fix_new(settings, sink_write, &sink);
	gsize at = 0;
	g_assert_cmpuint(n_cuts > 0 ? cuts[n_cuts - 1] : 0, ==, len);
	for (gsize i = 0; i < n_cuts; i++) {
		g_assert_true(message_fix_write(input + at, cuts[i] - at, fix, &error));
		at = cuts[i];
	}
	g_assert_true(message_fix_end(fix, &error));
	g_assert_no_error(error);
	g_assert_cmpint(message_fix_out_bytes(fix), ==, (gint64)sink.out->len);
	Result r = { sink.out, message_fix_applied(fix),
	             g_strjoinv("\n", (char **)message_fix_notes(fix)) };
	return r;
}

static Result
run_whole(const MessageFixSettings *settings, const char *input, gsize len)
{
	gsize cut = len;
	return run_cuts(settings, input, len, &cut, 1);
}

/* The output for the whole input; fails when any other cutting gives other bytes. */
static Result
run_all_cuts(const MessageFixSettings *settings, const char *input, gsize len)
{
	Result whole = run_whole(settings, input, len);
	g_autofree gsize *cuts = g_new(gsize, len + 1);
	g_autoptr(GRand) rand = g_rand_new_with_seed(20240601);

	for (gsize k = 0; k <= len; k++) {
		gsize two[2] = { k, len };
		Result r = run_cuts(settings, input, len, two, 2);
		if (g_strcmp0(r.out->str, whole.out->str) != 0 || r.out->len != whole.out->len) {
			g_test_message("cut at %zu gives other bytes", k);
			g_assert_cmpstr(r.out->str, ==, whole.out->str);
		}
		g_assert_cmpuint(r.applied, ==, whole.applied);
		g_assert_cmpstr(r.notes, ==, whole.notes);
		result_clear(&r);
	}
	for (gsize k = 0; k < len; k++)
		cuts[k] = k + 1;
	Result bytes = run_cuts(settings, input, len, cuts, len);
	g_assert_cmpstr(bytes.out->str, ==, whole.out->str);
	g_assert_cmpuint(bytes.out->len, ==, whole.out->len);
	g_assert_cmpstr(bytes.notes, ==, whole.notes);
	result_clear(&bytes);
	for (int round = 0; round < 20; round++) {
		gsize n = 0, at = 0;
		while (at < len) {
			at += (gsize)g_rand_int_range(rand, 1, 9) * (round % 2 ? 1 : 7);
			cuts[n++] = MIN(at, len);
		}
		Result r = run_cuts(settings, input, len, cuts, n);
		g_assert_cmpstr(r.out->str, ==, whole.out->str);
		g_assert_cmpuint(r.out->len, ==, whole.out->len);
		result_clear(&r);
	}
	return whole;
}

static MessageFixSettings
settings_with(guint enabled)
{
	MessageFixSettings s;
	message_fix_settings_init(&s);
	s.enabled = enabled;
	return s;
}

/* ---- a small RFC 2047 decoder, for B and Q encoded-words ---- */

/* The value of header field `name` in `message` (first one), unfolded. */
static char *
field_value(const char *message, const char *name)
{
	gsize name_len = strlen(name);
	const char *p = message;
	for (;;) {
		if (g_ascii_strncasecmp(p, name, name_len) == 0 && p[name_len] == ':') {
			GString *v = g_string_new(NULL);
			const char *q = p + name_len + 1;
			for (;;) {
				const char *eol = strstr(q, "\r\n");
				if (eol == NULL) {
					g_string_append(v, q);
					break;
				}
				g_string_append_len(v, q, eol - q);
				if (eol[2] != ' ' && eol[2] != '\t')
					break;
				q = eol + 2;
			}
			return g_string_free(v, FALSE);
		}
		const char *eol = strstr(p, "\r\n");
		if (eol == NULL || eol == p)
			return NULL;
		p = eol + 2;
	}
}

static char *
decode_words(const char *value)
{
	GString *out = g_string_new(NULL);
	const char *p = value;
	gsize blank_start = 0;       /* in out: blanks after the last encoded-word */
	gboolean after_word = FALSE;

	while (*p != '\0') {
		const char *q1, *q2, *end;
		if (p[0] == '=' && p[1] == '?' && (q1 = strchr(p + 2, '?')) != NULL && q1[1] != '\0' &&
		    q1[2] == '?' && (end = strstr(q1 + 3, "?=")) != NULL) {
			g_autofree char *charset = g_strndup(p + 2, q1 - p - 2);
			g_autofree char *text = g_strndup(q1 + 3, end - q1 - 3);
			GString *raw = g_string_new(NULL);
			q2 = q1 + 1;
			if (*q2 == 'B' || *q2 == 'b') {
				gsize n;
				g_autofree guchar *bytes = g_base64_decode(text, &n);
				g_string_append_len(raw, (char *)bytes, (gssize)n);
			} else {
				for (const char *t = text; *t; t++)
					if (*t == '_')
						g_string_append_c(raw, ' ');
					else if (*t == '=' && g_ascii_isxdigit(t[1]) && g_ascii_isxdigit(t[2])) {
						g_string_append_c(raw, (char)(g_ascii_xdigit_value(t[1]) * 16 +
						                              g_ascii_xdigit_value(t[2])));
						t += 2;
					} else
						g_string_append_c(raw, *t);
			}
			g_autofree char *utf8 = g_convert(raw->str, (gssize)raw->len, "UTF-8", charset,
			                                  NULL, NULL, NULL);
			g_string_free(raw, TRUE);
			g_assert_nonnull(utf8);
			if (after_word)
				g_string_truncate(out, blank_start);   /* blanks between words drop */
			g_string_append(out, utf8 != NULL ? utf8 : "?");
			p = end + 2;
			after_word = TRUE;
			blank_start = out->len;
			continue;
		}
		if (*p != ' ' && *p != '\t')
			after_word = FALSE;
		g_string_append_c(out, *p++);
	}
	return g_string_free(out, FALSE);
}

/* Every encoded-word at most 75 characters; with `check_lines`, every line of the
 * header block at most 78 and 7-bit. */
static void
check_shape(const char *message, gboolean check_lines)
{
	const char *end = strstr(message, "\r\n\r\n");
	gsize header_len = end != NULL ? (gsize)(end - message) + 2 : strlen(message);
	g_autofree char *header = g_strndup(message, header_len);
	g_auto(GStrv) lines = g_strsplit(header, "\r\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		if (check_lines && strlen(*l) > 78)
			g_test_message("long line: %s", *l);
		if (check_lines)
			g_assert_cmpuint(strlen(*l), <=, 78);
		for (const char *w = strstr(*l, "=?"); w != NULL; w = strstr(w + 2, "=?")) {
			const char *e = strstr(w + 2, "?=");
			if (e != NULL && (gsize)(e + 2 - w) > 10)
				g_assert_cmpuint((gsize)(e + 2 - w), <=, 75);
		}
		for (const char *c = *l; check_lines && *c; c++)
			g_assert_cmpuint((guchar)*c, <, 0x80);
	}
}

/* ---- tests ---- */

static const char *const clean[] = {
	"Subject: hello\r\nFrom: a@b\r\n\r\nbody\r\nline two\r\n",
	"Subject: no body\r\n",
	"Subject: no body, no line end",
	"\r\nbody only, the header block is the empty line\r\n",
	"",
	"X-Long: " "0123456789012345678901234567890123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789\r\n"
	"\tcontinued\r\n"
	" again\r\n"
	"Subject: =?UTF-8?B?w6lsw6h2ZQ==?=\r\n"
	"From: \"Doe, John\" <john@example.com> (comment)\r\n"
	"\r\n"
	"body with 8-bit \xe9\xe8 bytes and \xff\r\n"
	"\r\n"
	"and an empty line\r\n\r\n\r\n",
	" first line is a continuation\r\nSubject: x\r\n\r\nb\r\n",
	"Subject: x\r\n\r\n\r\n\r\n",
	"A:\r\n\r\nheader with an empty value\r\nbody ends with CR LF split? no\r\n",
};

static void
test_pass_through(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL | MESSAGE_FIX_ISO_2022_JP);
	for (gsize i = 0; i < G_N_ELEMENTS(clean); i++) {
		Result r = run_all_cuts(&s, clean[i], strlen(clean[i]));
		g_assert_cmpstr(r.out->str, ==, clean[i]);
		g_assert_cmpuint(r.applied, ==, 0);
		g_assert_cmpstr(r.notes, ==, "");
		result_clear(&r);
	}
}

/* Random clean messages: valid header lines, then any bytes but NUL and bare CR. */
static void
test_pass_through_random(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	g_autoptr(GRand) rand = g_rand_new_with_seed(4155);

	for (int m = 0; m < 200; m++) {
		g_autoptr(GString) msg = g_string_new(NULL);
		int fields = g_rand_int_range(rand, 0, 8);
		for (int f = 0; f < fields; f++) {
			g_string_append_printf(msg, "X-Field-%d:", f);
			int words = g_rand_int_range(rand, 0, 30);
			for (int w = 0; w < words; w++) {
				g_string_append_c(msg, g_rand_boolean(rand) ? ' ' : '\t');
				for (int c = g_rand_int_range(rand, 1, 12); c > 0; c--)
					g_string_append_c(msg, (char)g_rand_int_range(rand, 33, 127));
				if (g_rand_int_range(rand, 0, 10) == 0)
					g_string_append(msg, "\r\n");
			}
			g_string_append(msg, "\r\n");
		}
		gboolean has_body = g_rand_boolean(rand);
		if (has_body)
			g_string_append(msg, "\r\n");
		for (int b = has_body ? g_rand_int_range(rand, 0, 400) : 0; b > 0; b--) {
			char c = (char)g_rand_int_range(rand, 1, 256);
			if (c == '\r')
				g_string_append(msg, "\r\n");
			else
				g_string_append_c(msg, c);
		}
		gsize cuts[64], n = 0, at = 0;
		while (at < msg->len && n < 63) {
			at += (gsize)g_rand_int_range(rand, 1, 40);
			cuts[n++] = MIN(at, msg->len);
		}
		cuts[n++] = msg->len;
		Result r = run_cuts(&s, msg->str, msg->len, cuts, n);
		g_assert_cmpuint(r.out->len, ==, msg->len);
		g_assert_true(memcmp(r.out->str, msg->str, msg->len) == 0);
		g_assert_cmpuint(r.applied, ==, 0);
		result_clear(&r);
	}
}

/* Would message_copy_strict() of Cyrus 3.6 (imap/message.c) take `m`?  No NUL, every
 * CR followed by LF, each header line a continuation or a name of bytes > ' ' and a
 * colon.  (Bare LF, which it refuses too, is not made by the inputs here.) */
static gboolean
cyrus_accepts(const char *m, gsize len)
{
	gsize body = len;   /* where the body begins: a bare CR is refused only before */
	for (gsize at = 0; at < len;) {
		const char *lf = memchr(m + at, '\n', len - at);
		gsize end = lf != NULL ? (gsize)(lf - m) + 1 : len;
		if (m[at] == '\r' && at + 1 < len && m[at + 1] == '\n') {
			body = at;
			break;   /* the empty line */
		}
		if (m[at] != ' ' && m[at] != '\t') {
			gsize i = at;
			while (i < end && m[i] != ':' && (guchar)m[i] > ' ')
				i++;
			if (i == at || i == end || m[i] != ':')
				return FALSE;
		}
		at = end;
	}
	for (gsize i = 0; i < len; i++)
		if (m[i] == '\0' || (i < body && m[i] == '\r' && (i + 1 == len || m[i + 1] != '\n')))
			return FALSE;
	return TRUE;
}

/* Random hostile messages: NUL, CR, 8-bit, ESC, quotes, parentheses, brackets.  Any
 * cutting gives the same bytes; with every fix on, the result is one APPEND takes,
 * and the filter changes it no further. */
static void
test_random_hostile(void)
{
	static const char alphabet[] = "ab :;,<>()\"\\@=\t\r\r\n\n\x1b$B(\x80\xa4\xe9\xff\xc0\x95\x5c";
	g_autoptr(GRand) rand = g_rand_new_with_seed(2047);

	for (int m = 0; m < 300; m++) {
		g_autoptr(GString) msg = g_string_new(NULL);
		for (int b = g_rand_int_range(rand, 0, 300); b > 0; b--) {
			char c = alphabet[g_rand_int_range(rand, 0, sizeof alphabet)];   /* '\0' too */
			if (c == '\n' && (msg->len == 0 || msg->str[msg->len - 1] != '\r'))
				g_string_append_c(msg, '\r');   /* no bare LF */
			g_string_append_c(msg, c);
		}
		guint enabled = (guint)g_rand_int_range(rand, 0, 32);
		if (m % 2 == 0)
			enabled = MESSAGE_FIX_ALL | MESSAGE_FIX_ISO_2022_JP;
		MessageFixSettings s = settings_with(enabled);
		Result whole = run_whole(&s, msg->str, msg->len);
		gsize cuts[400], n = 0, at = 0;
		while (at < msg->len) {
			at += (gsize)g_rand_int_range(rand, 1, 6);
			cuts[n++] = MIN(at, msg->len);
		}
		Result r = run_cuts(&s, msg->str, msg->len, cuts, n);
		g_assert_cmpuint(r.out->len, ==, whole.out->len);
		g_assert_true(memcmp(r.out->str, whole.out->str, whole.out->len) == 0);
		g_assert_cmpstr(r.notes, ==, whole.notes);
		if (enabled == (MESSAGE_FIX_ALL | MESSAGE_FIX_ISO_2022_JP)) {
			if (!cyrus_accepts(whole.out->str, whole.out->len))
				g_test_message("refused: %s", g_strescape(whole.out->str, ""));
			g_assert_true(cyrus_accepts(whole.out->str, whole.out->len));
			Result again = run_whole(&s, whole.out->str, whole.out->len);
			g_assert_cmpuint(again.out->len, ==, whole.out->len);
			g_assert_true(memcmp(again.out->str, whole.out->str, whole.out->len) == 0);
			g_assert_cmpuint(again.applied, ==, 0);
			result_clear(&again);
		}
		result_clear(&r);
		result_clear(&whole);
	}
}

static void
check_fix(const MessageFixSettings *s, const char *input, gsize len, const char *expected,
          guint applied, const char *notes)
{
	Result r = run_all_cuts(s, input, len);
	g_assert_cmpstr(r.out->str, ==, expected);
	g_assert_cmpuint(r.out->len, ==, strlen(expected));
	g_assert_cmpuint(r.applied, ==, applied);
	if (notes != NULL)
		g_assert_cmpstr(r.notes, ==, notes);
	result_clear(&r);
}

static void
test_nul(void)
{
	static const char in[] = "Sub\0ject: a\0b\r\n\r\nbo\0dy\r\0\nend\0";
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	check_fix(&s, in, sizeof in - 1, "Subject: ab\r\n\r\nbody\r\nend", MESSAGE_FIX_NUL,
	          "5 NUL bytes removed");
	/* a NUL in the empty line: once removed, the line ends the header block */
	static const char in2[] = "A: b\r\n\0\r\nx\rx";
	check_fix(&s, in2, sizeof in2 - 1, "A: b\r\n\r\nx\rx", MESSAGE_FIX_NUL,
	          "1 NUL byte removed");
	/* disabled: the bytes stay */
	s = settings_with(MESSAGE_FIX_ALL & ~MESSAGE_FIX_NUL);
	static const char in3[] = "A: b\r\n\r\nbo\0dy\r\n";
	Result r = run_all_cuts(&s, in3, sizeof in3 - 1);
	g_assert_cmpuint(r.out->len, ==, sizeof in3 - 1);
	g_assert_true(memcmp(r.out->str, in3, sizeof in3 - 1) == 0);
	result_clear(&r);
}

static void
test_bare_cr(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	check_fix(&s, "Subject: a\rb\r\nX: \r\r\n\r\nbody\rmore\r\r\nlast\r", 0 + strlen(
	          "Subject: a\rb\r\nX: \r\r\n\r\nbody\rmore\r\r\nlast\r"),
	          "Subject: a b\r\nX:  \r\n\r\nbody\rmore\r\r\nlast\r", MESSAGE_FIX_BARE_CR,
	          "2 bare CRs in the header block made spaces");
	/* a header-only message ending in CR */
	check_fix(&s, "Subject: a\r", strlen("Subject: a\r"), "Subject: a ", MESSAGE_FIX_BARE_CR,
	          "1 bare CR in the header block made spaces");
	/* CRLF CR LF: not bare; the CR of a split CRLF is not bare either (run_all_cuts) */
	check_fix(&s, "A: b\r\n\r\nx\r\n\r\n", strlen("A: b\r\n\r\nx\r\n\r\n"), "A: b\r\n\r\nx\r\n\r\n", 0, "");
	s = settings_with(MESSAGE_FIX_ALL & ~MESSAGE_FIX_BARE_CR);
	check_fix(&s, "Subject: a\rb\r\n\r\nbody\rmore\r", strlen("Subject: a\rb\r\n\r\nbody\rmore\r"),
	          "Subject: a\rb\r\n\r\nbody\rmore\r", 0, "");
}

static void
test_bad_header(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	static const char in[] =
		"From foo@bar Mon Jan  1 00:00:00 2001\r\n"
		"Subject : kept\r\n"
		"Subject foo\r\n"
		" continued\r\n"
		": empty name\r\n"
		"To: a@b\r\n"
		"\r\n"
		"From body lines are body\r\n";
	check_fix(&s, in, sizeof in - 1,
	          "X-Mbox2cyrus-Invalid-Header: From foo@bar Mon Jan  1 00:00:00 2001\r\n"
	          "Subject: kept\r\n"
	          "X-Mbox2cyrus-Invalid-Header: Subject foo\r\n"
	          " continued\r\n"
	          "X-Mbox2cyrus-Invalid-Header: : empty name\r\n"
	          "To: a@b\r\n"
	          "\r\n"
	          "From body lines are body\r\n",
	          MESSAGE_FIX_BAD_HEADER,
	          "header line 1 has no colon: made X-Mbox2cyrus-Invalid-Header: From foo@bar Mon "
	          "Jan  1 00:00:00 2001\n"
	          "header line 2 has blanks before its colon: removed (Subject)\n"
	          "header line 3 has no colon: made X-Mbox2cyrus-Invalid-Header: Subject foo\n"
	          "header line 5 has no colon: made X-Mbox2cyrus-Invalid-Header: : empty name");
	/* a name with an 8-bit byte: rewritten, then the 8-bit bytes encoded */
	static const char in2[] = "S\xfc" "bject: x\r\n\r\n";
	Result r = run_all_cuts(&s, in2, sizeof in2 - 1);
	g_assert_cmpstr(r.out->str, ==, "X-Mbox2cyrus-Invalid-Header: =?UTF-8?B?U8O8YmplY3Q6?= x\r\n\r\n");
	g_assert_cmpuint(r.applied, ==, MESSAGE_FIX_BAD_HEADER | MESSAGE_FIX_8BIT_HEADERS);
	result_clear(&r);
	/* a control character before the colon, the last line without its ending */
	check_fix(&s, "A\x01: b\r\nC d", strlen("A\x01: b\r\nC d"),
	          "X-Mbox2cyrus-Invalid-Header: A\x01: b\r\nX-Mbox2cyrus-Invalid-Header: C d",
	          MESSAGE_FIX_BAD_HEADER, NULL);
	/* disabled */
	s = settings_with(MESSAGE_FIX_ALL & ~MESSAGE_FIX_BAD_HEADER);
	check_fix(&s, in, sizeof in - 1, in, 0, "");
}

static void
test_many_bad_lines(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	g_autoptr(GString) in = g_string_new(NULL);
	for (int i = 0; i < 25; i++)
		g_string_append_printf(in, "junk %d\r\n", i);
	Result r = run_whole(&s, in->str, in->len);
	g_auto(GStrv) notes = g_strsplit(r.notes, "\n", -1);
	g_assert_cmpuint(g_strv_length(notes), ==, 11);
	g_assert_cmpstr(notes[10], ==, "15 more header lines fixed (rule 1)");
	result_clear(&r);
}

typedef struct {
	const char *utf8;          /* the subject's text */
	const char *charset;       /* its bytes in the mbox */
	const char *detected;      /* the charset the note names */
} SubjectCase;

static const SubjectCase subjects[] = {
	{ "日本語のテスト", "EUC-JP", "EUC-JP" },
	{ "Re: 日本語のテスト です", "SHIFT_JIS", "SHIFT_JIS" },
	{ "表示のテスト \"引用\"", "SHIFT_JIS", "SHIFT_JIS" },  /* 表 = 0x95 0x5C */
	{ "①の件について", "CP932", "CP932" },                  /* ① is not in Shift_JIS */
	{ "Grüße aus Köln", "ISO-8859-1", "ISO-8859-1" },
	{ "Señor", "ISO-8859-1", "ISO-8859-1" },                /* CP932 decodes it, no kana */
	{ "“Smart” quotes – and €", "WINDOWS-1252", "WINDOWS-1252" },
	{ "Привет, мир", "KOI8-R", "KOI8-R" },
	{ "Привет", "KOI8-R", "KOI8-R" },                      /* also valid EUC-JP */
	{ "Ünïcödé ✓ and 日本", "UTF-8", "UTF-8" },
	{ "Re: [list]   two  spaces  stay", "ISO-8859-1", NULL }, /* all ASCII: untouched */
};

static void
test_subject_charsets(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	for (gsize i = 0; i < G_N_ELEMENTS(subjects); i++) {
		g_autofree char *raw = g_convert(subjects[i].utf8, -1, subjects[i].charset, "UTF-8",
		                                 NULL, NULL, NULL);
		g_assert_nonnull(raw);
		g_autofree char *msg = g_strdup_printf("From: a@b\r\nSubject: %s\r\n\r\nbody\r\n", raw);
		Result r = run_all_cuts(&s, msg, strlen(msg));
		check_shape(r.out->str, TRUE);
		g_autofree char *value = field_value(r.out->str, "Subject");
		g_autofree char *decoded = decode_words(value);
		g_autofree char *expected = g_strconcat(" ", subjects[i].utf8, NULL);
		g_test_message("%s -> %s", subjects[i].charset, value);
		g_assert_cmpstr(decoded, ==, expected);
		if (subjects[i].detected != NULL) {
			g_autofree char *note = g_strdup_printf("Subject: 8-bit header bytes encoded as "
			                                        "RFC 2047 (%s)", subjects[i].detected);
			g_assert_cmpstr(r.notes, ==, note);
			g_assert_cmpuint(r.applied, ==, MESSAGE_FIX_8BIT_HEADERS);
		} else {
			g_assert_cmpstr(r.out->str, ==, msg);
		}
		g_assert_true(g_str_has_suffix(r.out->str, "\r\n\r\nbody\r\n"));
		g_assert_true(g_str_has_prefix(r.out->str, "From: a@b\r\nSubject:"));
		result_clear(&r);
	}
}

/* exact bytes: ASCII words and blanks stay, a run's own blanks go inside */
static void
test_exact_encoding(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	/* "Re:  été  à Paris" in Latin-1: "été  à" is one run with its two blanks */
	check_fix(&s, "Subject: Re:  \xe9t\xe9  \xe0 Paris\r\n\r\n",
	          strlen("Subject: Re:  \xe9t\xe9  \xe0 Paris\r\n\r\n"),
	          "Subject: Re:  =?UTF-8?B?w6l0w6kgIMOg?= Paris\r\n\r\n", MESSAGE_FIX_8BIT_HEADERS,
	          "Subject: 8-bit header bytes encoded as RFC 2047 (ISO-8859-1)");
	/* next to an existing encoded-word the blank goes inside, so "café été" stays */
	static const char in[] = "Subject: =?ISO-8859-1?Q?caf=E9?= \xe9t\xe9\r\n\r\n";
	Result r = run_all_cuts(&s, in, sizeof in - 1);
	g_assert_cmpstr(r.out->str, ==, "Subject: =?ISO-8859-1?Q?caf=E9?= =?UTF-8?B?IMOpdMOp?=\r\n\r\n");
	g_autofree char *v = field_value(r.out->str, "Subject");
	g_autofree char *d = decode_words(v);
	g_assert_cmpstr(d, ==, " café été");
	result_clear(&r);
	/* a folded run: the line break is unfolded into the text */
	check_fix(&s, "Subject: \xe9t\xe9\r\n \xe9t\xe9\r\n\r\n", strlen("Subject: \xe9t\xe9\r\n \xe9t\xe9\r\n\r\n"),
	          "Subject: =?UTF-8?B?w6l0w6kgw6l0w6k=?=\r\n\r\n", MESSAGE_FIX_8BIT_HEADERS, NULL);
	/* the given charset, and one that does not decode the bytes */
	s.header_charset = "ISO-8859-15";
	check_fix(&s, "Subject: \xa4\r\n\r\n", strlen("Subject: \xa4\r\n\r\n"),
	          "Subject: =?UTF-8?B?4oKs?=\r\n\r\n", MESSAGE_FIX_8BIT_HEADERS,
	          "Subject: 8-bit header bytes encoded as RFC 2047 (ISO-8859-15)");
	s.header_charset = "UTF-8";
	check_fix(&s, "Subject: \xa4\r\n\r\n", strlen("Subject: \xa4\r\n\r\n"),
	          "Subject: =?UTF-8?B?wqQ=?=\r\n\r\n", MESSAGE_FIX_8BIT_HEADERS,
	          "Subject: 8-bit header bytes encoded as RFC 2047 (ISO-8859-1: they are not UTF-8)");
	/* disabled: each 8-bit byte made X, as APPEND would make it (what is sent is what
	 * Cyrus stores); the body's stay */
	s = settings_with(MESSAGE_FIX_ALL & ~MESSAGE_FIX_8BIT_HEADERS);
	check_fix(&s, "Subject: \xe9\xe9\r\n\r\nb\xe9\r\n", strlen("Subject: \xe9\xe9\r\n\r\nb\xe9\r\n"),
	          "Subject: XX\r\n\r\nb\xe9\r\n", MESSAGE_FIX_8BIT_HEADERS,
	          "2 8-bit header bytes made X, as Cyrus makes them (8-bit headers not encoded)");
}

static void
test_folding(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	g_autoptr(GString) text = g_string_new("Re: [a-rather-long-list-name] ");
	for (int i = 0; i < 12; i++)
		g_string_append(text, "日本語のテストです、長い件名。");
	g_string_append(text, " (ascii tail words here) and more ascii text to fold over the line");
	g_autofree char *raw = g_convert(text->str, -1, "EUC-JP", "UTF-8", NULL, NULL, NULL);
	g_autofree char *msg = g_strdup_printf("Subject: %s\r\nTo: x@y\r\n\r\nb", raw);
	Result r = run_all_cuts(&s, msg, strlen(msg));
	check_shape(r.out->str, TRUE);
	g_autofree char *value = field_value(r.out->str, "Subject");
	g_autofree char *decoded = decode_words(value);
	g_autofree char *expected = g_strconcat(" ", text->str, NULL);
	g_assert_cmpstr(decoded, ==, expected);
	g_assert_true(g_str_has_suffix(r.out->str, "\r\nTo: x@y\r\n\r\nb"));
	result_clear(&r);

	/* a run of long words: every encoded-word holds whole characters (the decoder
	 * converts each word alone, so a cut character fails it) */
	g_autoptr(GString) words = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append(words, i % 3 ? "Grüße " : "ÄÖÜäöüß ");
	g_autofree char *utf8_msg = g_strdup_printf("Comments: %s\r\n\r\n", words->str);
	r = run_whole(&s, utf8_msg, strlen(utf8_msg));
	check_shape(r.out->str, TRUE);
	g_autofree char *v2 = field_value(r.out->str, "Comments");
	g_autofree char *d2 = decode_words(v2);
	g_autofree char *e2 = g_strconcat(" ", words->str, NULL);
	g_assert_cmpstr(d2, ==, e2);
	result_clear(&r);
}

static void
test_address_fields(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	static const char in[] =
		"From: \"Jos\xe9 Garc\xed" "a, Jr.\" <jose@example.com>\r\n"
		"To: J\xf6rg M\xfcller <j@x.de>, plain@x.de (Sch\xf6n sch\xf6n), <b\xe4r@x.de>\r\n"
		"Cc: k\xe4se@x.de\r\n"
		"\r\n";
	Result r = run_all_cuts(&s, in, sizeof in - 1);
	check_shape(r.out->str, FALSE);
	g_autofree char *from = field_value(r.out->str, "From");
	g_autofree char *to = field_value(r.out->str, "To");
	g_autofree char *cc = field_value(r.out->str, "Cc");
	g_autofree char *from_d = decode_words(from);
	g_autofree char *to_d = decode_words(to);
	g_assert_cmpstr(from_d, ==, " José García, Jr. <jose@example.com>");
	g_assert_true(g_str_has_suffix(from, " <jose@example.com>"));
	g_assert_cmpstr(to_d, ==, " Jörg Müller <j@x.de>, plain@x.de (Schön schön), <bXr@x.de>");
	g_assert_true(g_str_has_suffix(to, "<bXr@x.de>"));
	g_assert_cmpstr(cc, ==, " kXse@x.de");
	g_assert_true(strstr(r.out->str, "\r\nCc: kXse@x.de\r\n") != NULL);
	g_assert_cmpuint(r.applied, ==, MESSAGE_FIX_8BIT_HEADERS);
	g_assert_cmpstr(r.notes, ==,
	                "From: 8-bit header bytes encoded as RFC 2047 (ISO-8859-1)\n"
	                "To: 8-bit header bytes encoded as RFC 2047 (ISO-8859-1)\n"
	                "To: 1 8-bit byte inside an address made X (as APPEND would make each)\n"
	                "Cc: 1 8-bit byte inside an address made X (as APPEND would make each)");
	result_clear(&r);

	/* only raw bytes in an address: made X as APPEND would; the field is not folded */
	static const char long_to[] =
		"To: aaaaaaaaaaaaaaaaaaaa@example.com, bbbbbbbbbbbbbbbbbbbbbbbbbbb@example.com, "
		"<c\xe7@example.com>\r\n\r\n";
	static const char long_to_x[] =
		"To: aaaaaaaaaaaaaaaaaaaa@example.com, bbbbbbbbbbbbbbbbbbbbbbbbbbb@example.com, "
		"<cX@example.com>\r\n\r\n";
	check_fix(&s, long_to, sizeof long_to - 1, long_to_x, MESSAGE_FIX_8BIT_HEADERS,
	          "To: 1 8-bit byte inside an address made X (as APPEND would make each)");

	/* Shift_JIS: the trail byte 0x5C of 表 is no backslash, 0x8140 (ideographic space)
	 * no '@' */
	g_autofree char *raw = g_convert("\"表示　太郎\" <taro@example.jp>", -1, "SHIFT_JIS", "UTF-8",
	                                 NULL, NULL, NULL);
	g_autofree char *msg = g_strdup_printf("From: %s\r\n\r\n", raw);
	r = run_all_cuts(&s, msg, strlen(msg));
	g_autofree char *from2 = field_value(r.out->str, "From");
	g_autofree char *from2_d = decode_words(from2);
	g_assert_cmpstr(from2_d, ==, " 表示　太郎 <taro@example.jp>");
	result_clear(&r);
}

static void
test_mime_fields(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	static const char in[] =
		"Content-Type: application/pdf; name=\"\xe9t\xe9 2024.pdf\"\r\n"
		"Content-Disposition: attachment; filename=\xe9t\xe9.pdf\r\n"
		"\r\n";
	check_fix(&s, in, sizeof in - 1,
	          "Content-Type: application/pdf; name=\"=?UTF-8?B?w6l0w6kgMjAyNC5wZGY=?=\"\r\n"
	          "Content-Disposition: attachment; filename=\"=?UTF-8?B?w6l0w6kucGRm?=\"\r\n"
	          "\r\n", MESSAGE_FIX_8BIT_HEADERS, NULL);
}

static void
test_iso_2022_jp(void)
{
	g_autofree char *raw = g_convert("日本語のテスト", -1, "ISO-2022-JP", "UTF-8", NULL, NULL, NULL);
	g_autofree char *msg = g_strdup_printf("Subject: Re: %s\r\nFrom: %s <a@b>\r\n\r\nx", raw, raw);
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	Result r = run_all_cuts(&s, msg, strlen(msg));
	g_assert_cmpstr(r.out->str, ==, msg);   /* opt-in */
	result_clear(&r);

	s.enabled |= MESSAGE_FIX_ISO_2022_JP;
	r = run_all_cuts(&s, msg, strlen(msg));
	check_shape(r.out->str, TRUE);
	g_autofree char *subject = field_value(r.out->str, "Subject");
	g_autofree char *subject_d = decode_words(subject);
	g_assert_cmpstr(subject_d, ==, " Re: 日本語のテスト");
	g_autofree char *from = field_value(r.out->str, "From");
	g_autofree char *from_d = decode_words(from);
	g_assert_cmpstr(from_d, ==, " 日本語のテスト <a@b>");
	g_assert_cmpuint(r.applied, ==, MESSAGE_FIX_ISO_2022_JP);
	g_assert_cmpstr(r.notes, ==,
	                "Subject: ISO-2022-JP header bytes encoded as RFC 2047 (ISO-2022-JP)\n"
	                "From: ISO-2022-JP header bytes encoded as RFC 2047 (ISO-2022-JP)");
	result_clear(&r);
}

static void
test_max_header_bytes(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	s.max_header_bytes = 24;
	/* line 1 (12 bytes) and 2 (12 bytes) fit; line 3 does not: from there on body */
	static const char in[] = "A: \xe9\r23456\r\nB: 4567890\r\nbad line \xe9\rx\r\n\r\nbody\r";
	check_fix(&s, in, sizeof in - 1,
	          "A: =?UTF-8?B?w6k=?= 23456\r\nB: 4567890\r\nbad line \xe9\rx\r\n\r\nbody\r",
	          MESSAGE_FIX_8BIT_HEADERS | MESSAGE_FIX_BARE_CR,
	          "header block longer than 24 bytes: after byte 24 it is treated as body\n"
	          "A: 8-bit header bytes encoded as RFC 2047 (ISO-8859-1)\n"
	          "1 bare CR in the header block made spaces");
	/* the empty line just fits, or just does not */
	s.max_header_bytes = 8;
	check_fix(&s, "A: b\r\n\r\nc", 9, "A: b\r\n\r\nc", 0, "");
	s.max_header_bytes = 7;
	check_fix(&s, "A: b\r\n\r\nc", 9, "A: b\r\n\r\nc", 0,
	          "header block longer than 7 bytes: after byte 6 it is treated as body");
	/* one line longer than the limit: all body */
	s.max_header_bytes = 4;
	check_fix(&s, "Subject x\r\n\r\n", 13, "Subject x\r\n\r\n", 0,
	          "header block longer than 4 bytes: after byte 0 it is treated as body");
}

static void
test_is_needed(void)
{
	MboxMessage m = { 0 };
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	g_assert_true(message_fix_is_needed(&s, &m));     /* bare CR: never flagged */
	s.enabled = MESSAGE_FIX_NUL | MESSAGE_FIX_8BIT_HEADERS;
	g_assert_false(message_fix_is_needed(&s, &m));
	m.has_nul = TRUE;
	g_assert_true(message_fix_is_needed(&s, &m));
	m.has_nul = FALSE;
	m.has_8bit_header = TRUE;
	g_assert_true(message_fix_is_needed(&s, &m));
	s.enabled = MESSAGE_FIX_NUL;
	g_assert_false(message_fix_is_needed(&s, &m));
	s.enabled = MESSAGE_FIX_BAD_HEADER;
	g_assert_true(message_fix_is_needed(&s, &m));
}

static void
test_settings_check(void)
{
	g_autoptr(GError) error = NULL;
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	g_assert_true(message_fix_settings_check(&s, &error));
	s.header_charset = "EUC-JP";
	g_assert_true(message_fix_settings_check(&s, &error));
	s.header_charset = "NO-SUCH-CHARSET-42";
	g_assert_false(message_fix_settings_check(&s, &error));
	g_assert_error(error, G_CONVERT_ERROR, G_CONVERT_ERROR_NO_CONVERSION);
}

static void
test_write_error(void)
{
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	Sink sink = { g_string_new(NULL), TRUE };
	g_autoptr(GError) error = NULL;
	g_autoptr(MessageFix) fix = message_fix_new(&s, sink_write, &sink);
	g_assert_true(message_fix_write("A: b\r\n", 6, fix, &error));   /* held */
	g_assert_false(message_fix_write("\r\nbody", 6, fix, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_string_free(sink.out, TRUE);
}

/* message_fix_copy() through the reader: the same bytes as feeding the copy by hand */
static void
test_copy(void)
{
	static const char mbox[] =
		"From a@b Mon Jan  1 00:00:00 2001\n"
		"Subject: caf\xe9\n"
		"Status: RO\n"
		"\n"
		"body \r with a bare CR\n"
		"\n"
		"From c@d Mon Jan  1 00:00:00 2001\n"
		"Subject: clean\n"
		"\n"
		"clean body\n";
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("m2c-fix-XXXXXX", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, mbox, sizeof mbox - 1), ==, (gssize)(sizeof mbox - 1));
	close(fd);
	g_autoptr(GError) error = NULL;
	g_autoptr(MboxReader) reader = mbox_reader_open(path, NULL, &error);
	g_assert_no_error(error);
	MessageFixSettings s = settings_with(MESSAGE_FIX_ALL);
	const char *expected[] = {
		"Subject: =?UTF-8?B?Y2Fmw6k=?=\r\n\r\nbody \r with a bare CR\r\n",
		"Subject: clean\r\n\r\nclean body\r\n",
	};
	for (int i = 0; i < 2; i++) {
		g_autoptr(MboxMessage) m = mbox_reader_next(reader, &error);
		g_assert_no_error(error);
		g_assert_nonnull(m);
		if (m == NULL)
			break;
		Sink sink = { g_string_new(NULL), FALSE };
		MessageFix *fix = NULL;
		g_assert_true(message_fix_copy(reader, m, &s, sink_write, &sink, &fix, &error));
		g_assert_no_error(error);
		g_assert_cmpstr(sink.out->str, ==, expected[i]);
		g_assert_cmpuint(message_fix_applied(fix), ==,
		                 i == 0 ? MESSAGE_FIX_8BIT_HEADERS : 0);
		message_fix_free(fix);
		g_string_free(sink.out, TRUE);
	}
	g_unlink(path);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/message-fix/pass-through", test_pass_through);
	g_test_add_func("/message-fix/pass-through-random", test_pass_through_random);
	g_test_add_func("/message-fix/random-hostile", test_random_hostile);
	g_test_add_func("/message-fix/nul", test_nul);
	g_test_add_func("/message-fix/bare-cr", test_bare_cr);
	g_test_add_func("/message-fix/bad-header", test_bad_header);
	g_test_add_func("/message-fix/many-bad-lines", test_many_bad_lines);
	g_test_add_func("/message-fix/subject-charsets", test_subject_charsets);
	g_test_add_func("/message-fix/exact-encoding", test_exact_encoding);
	g_test_add_func("/message-fix/folding", test_folding);
	g_test_add_func("/message-fix/address-fields", test_address_fields);
	g_test_add_func("/message-fix/mime-fields", test_mime_fields);
	g_test_add_func("/message-fix/iso-2022-jp", test_iso_2022_jp);
	g_test_add_func("/message-fix/max-header-bytes", test_max_header_bytes);
	g_test_add_func("/message-fix/is-needed", test_is_needed);
	g_test_add_func("/message-fix/settings-check", test_settings_check);
	g_test_add_func("/message-fix/write-error", test_write_error);
	g_test_add_func("/message-fix/copy", test_copy);
	return g_test_run();
}
