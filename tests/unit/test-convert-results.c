/* test-convert-results.c -- convert/convert-results.c: the JSON of --report, read back
 * by a small strict JSON parser written here (RFC 8259: no trailing commas, no raw
 * control characters or invalid UTF-8 in strings, no lone surrogates, no leading
 * zeros, no duplicate keys, nothing after the document) and checked value by value;
 * hostile names and errors (quotes, backslashes, newlines, control characters, bytes
 * that are not UTF-8) decode to the code points tsv.h promises; the totals; and
 * problems added by several threads at once, none lost. */
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "convert-results.h"

/* ---- a strict JSON parser ---- */

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } JType;

typedef struct JValue JValue;
struct JValue {
	JType type;
	gboolean boolean;
	char *text;          /* J_NUMBER: as written; J_STRING: the code points as UTF-8 */
	GPtrArray *items;    /* J_ARRAY: JValue*; J_OBJECT: the values */
	GPtrArray *keys;     /* J_OBJECT: char*, in order */
};

static void
jvalue_free(JValue *v)
{
	if (v == NULL)
		return;
	g_free(v->text);
	if (v->items != NULL)
		g_ptr_array_unref(v->items);
	if (v->keys != NULL)
		g_ptr_array_unref(v->keys);
	g_free(v);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JValue, jvalue_free)

typedef struct {
	const char *p, *start, *end;
	char *error;   /* the first error, with its offset */
	guint depth;
} JParser;

static gboolean
jfail(JParser *jp, const char *what)
{
	if (jp->error == NULL)
		jp->error = g_strdup_printf("offset %td: %s", jp->p - jp->start, what);
	return FALSE;
}

static void
jskip_ws(JParser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

static int
jhex4(JParser *jp)
{
	int v = 0;
	if (jp->end - jp->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(jp->p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	jp->p += 4;
	return v;
}

/* A string at jp->p (its opening quote): its code points, as UTF-8, new. */
static char *
jparse_string(JParser *jp)
{
	g_autoptr(GString) out = g_string_new(NULL);
	jp->p++;
	for (;;) {
		if (jp->p >= jp->end) {
			jfail(jp, "unterminated string");
			return NULL;
		}
		unsigned char c = (unsigned char)*jp->p;
		gunichar cp;
		if (c == '"') {
			jp->p++;
			return g_string_free(g_steal_pointer(&out), FALSE);
		}
		if (c < 0x20) {
			jfail(jp, "raw control character in a string");
			return NULL;
		}
		if (c == '\\') {
			jp->p++;
			if (jp->p >= jp->end) {
				jfail(jp, "unterminated escape");
				return NULL;
			}
			char e = *jp->p++;
			switch (e) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u': {
				int v = jhex4(jp);
				if (v < 0) {
					jfail(jp, "bad \\u escape");
					return NULL;
				}
				if (v >= 0xdc00 && v <= 0xdfff) {
					jfail(jp, "lone low surrogate");
					return NULL;
				}
				if (v >= 0xd800 && v <= 0xdbff) {
					int lo;
					if (jp->end - jp->p < 2 || jp->p[0] != '\\' || jp->p[1] != 'u') {
						jfail(jp, "lone high surrogate");
						return NULL;
					}
					jp->p += 2;
					lo = jhex4(jp);
					if (lo < 0xdc00 || lo > 0xdfff) {
						jfail(jp, "high surrogate without its low one");
						return NULL;
					}
					v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (v == 0) {
					jfail(jp, "U+0000 (cannot be compared as a C string here)");
					return NULL;
				}
				cp = (gunichar)v;
				break;
			}
			default:
				jp->p--;
				jfail(jp, "unknown escape");
				return NULL;
			}
		} else {
			cp = g_utf8_get_char_validated(jp->p, jp->end - jp->p);
			if (cp == (gunichar)-1 || cp == (gunichar)-2) {
				jfail(jp, "invalid UTF-8 in a string");
				return NULL;
			}
			jp->p = g_utf8_next_char(jp->p);
		}
		g_string_append_unichar(out, cp);
	}
}

static gboolean
jdigits(JParser *jp)
{
	const char *s = jp->p;
	while (jp->p < jp->end && g_ascii_isdigit(*jp->p))
		jp->p++;
	return jp->p > s;
}

static JValue *jparse_value(JParser *jp);

static JValue *
jnew(JType type)
{
	JValue *v = g_new0(JValue, 1);
	v->type = type;
	return v;
}

static JValue *
jparse_value(JParser *jp)
{
	jskip_ws(jp);
	if (jp->p >= jp->end) {
		jfail(jp, "a value expected");
		return NULL;
	}
	if (++jp->depth > 64) {
		jfail(jp, "too deep");
		return NULL;
	}
	char c = *jp->p;
	g_autoptr(JValue) v = NULL;
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		v = jnew(c == '{' ? J_OBJECT : J_ARRAY);
		v->items = g_ptr_array_new_with_free_func((GDestroyNotify)jvalue_free);
		if (c == '{')
			v->keys = g_ptr_array_new_with_free_func(g_free);
		jp->p++;
		jskip_ws(jp);
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			jp->depth--;
			return g_steal_pointer(&v);
		}
		for (;;) {
			if (c == '{') {
				jskip_ws(jp);
				if (jp->p >= jp->end || *jp->p != '"') {
					jfail(jp, "a key expected");
					return NULL;
				}
				char *key = jparse_string(jp);
				if (key == NULL)
					return NULL;
				for (guint i = 0; i < v->keys->len; i++)
					if (strcmp(g_ptr_array_index(v->keys, i), key) == 0) {
						g_free(key);
						jfail(jp, "duplicate key");
						return NULL;
					}
				g_ptr_array_add(v->keys, key);
				jskip_ws(jp);
				if (jp->p >= jp->end || *jp->p != ':') {
					jfail(jp, "':' expected");
					return NULL;
				}
				jp->p++;
			}
			JValue *item = jparse_value(jp);
			if (item == NULL)
				return NULL;
			g_ptr_array_add(v->items, item);
			jskip_ws(jp);
			if (jp->p < jp->end && *jp->p == ',') {
				jp->p++;
				continue;
			}
			if (jp->p < jp->end && *jp->p == close) {
				jp->p++;
				break;
			}
			jfail(jp, "',' or a closing bracket expected");
			return NULL;
		}
	} else if (c == '"') {
		v = jnew(J_STRING);
		if ((v->text = jparse_string(jp)) == NULL)
			return NULL;
	} else if (c == '-' || g_ascii_isdigit(c)) {
		const char *s = jp->p;
		v = jnew(J_NUMBER);
		if (c == '-')
			jp->p++;
		if (jp->p < jp->end && *jp->p == '0')
			jp->p++;
		else if (!jdigits(jp)) {
			jfail(jp, "bad number");
			return NULL;
		}
		if (jp->p < jp->end && *jp->p == '.') {
			jp->p++;
			if (!jdigits(jp)) {
				jfail(jp, "bad fraction");
				return NULL;
			}
		}
		if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
			jp->p++;
			if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
				jp->p++;
			if (!jdigits(jp)) {
				jfail(jp, "bad exponent");
				return NULL;
			}
		}
		v->text = g_strndup(s, (gsize)(jp->p - s));
	} else {
		static const struct { const char *word; JType type; gboolean b; } words[] = {
			{ "true", J_BOOL, TRUE }, { "false", J_BOOL, FALSE }, { "null", J_NULL, FALSE },
		};
		for (gsize i = 0; i < G_N_ELEMENTS(words) && v == NULL; i++) {
			gsize n = strlen(words[i].word);
			if ((gsize)(jp->end - jp->p) >= n && memcmp(jp->p, words[i].word, n) == 0) {
				v = jnew(words[i].type);
				v->boolean = words[i].b;
				jp->p += n;
			}
		}
		if (v == NULL) {
			jfail(jp, "not a value");
			return NULL;
		}
	}
	jp->depth--;
	return g_steal_pointer(&v);
}

/* The document `text`: NULL with `*error_out` (new) when it is not strict JSON. */
static JValue *
json_parse(const char *text, gsize len, char **error_out)
{
	JParser jp = { .p = text, .start = text, .end = text + len };
	JValue *v = jparse_value(&jp);
	if (v != NULL) {
		jskip_ws(&jp);
		if (jp.p != jp.end) {
			jfail(&jp, "text after the document");
			jvalue_free(v);
			v = NULL;
		}
	}
	*error_out = jp.error;
	return v;
}

/* ---- reading values back ---- */

static JValue *
jget(const JValue *obj, const char *key)
{
	if (obj == NULL || obj->type != J_OBJECT)
		return NULL;
	for (guint i = 0; i < obj->keys->len; i++)
		if (strcmp(g_ptr_array_index(obj->keys, i), key) == 0)
			return g_ptr_array_index(obj->items, i);
	return NULL;
}

static JValue *
jat(const JValue *arr, guint i)
{
	if (arr == NULL || arr->type != J_ARRAY || i >= arr->items->len)
		return NULL;
	return g_ptr_array_index(arr->items, i);
}

static guint
jlen(const JValue *arr)
{
	return arr != NULL && arr->type == J_ARRAY ? arr->items->len : G_MAXUINT;
}

/* A string's text; "(not a string)" otherwise, so that a comparison fails. */
static const char *
jstr(const JValue *v)
{
	return v != NULL && v->type == J_STRING ? v->text : "(not a string)";
}

/* An integer written as one (no fraction, no exponent); G_MININT64 otherwise. */
static gint64
jint(const JValue *v)
{
	gint64 n;
	if (v == NULL || v->type != J_NUMBER ||
	    !g_ascii_string_to_signed(v->text, 10, G_MININT64 + 1, G_MAXINT64, &n, NULL))
		return G_MININT64;
	return n;
}

static double
jdouble(const JValue *v)
{
	return v != NULL && v->type == J_NUMBER ? g_ascii_strtod(v->text, NULL) : -1e300;
}

/* "TRUE", "FALSE" or what it is instead. */
static const char *
jbool(const JValue *v)
{
	return v == NULL ? "(missing)" : v->type != J_BOOL ? "(not a boolean)" : v->boolean ? "TRUE" : "FALSE";
}

/* The object's keys, comma-separated, in order. */
static char *
jkeys(const JValue *obj)
{
	if (obj == NULL || obj->type != J_OBJECT)
		return g_strdup("(not an object)");
	g_autoptr(GString) s = g_string_new(NULL);
	for (guint i = 0; i < obj->keys->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", (const char *)g_ptr_array_index(obj->keys, i));
	return g_string_free(g_steal_pointer(&s), FALSE);
}

#define assert_keys(obj, want) do { \
		g_autofree char *keys_ = jkeys(obj); \
		g_assert_cmpstr(keys_, ==, want); \
	} while (0)

/* ---- helpers ---- */

static char *
temp_dir(void)
{
	char *dir = g_dir_make_tmp("m2c-results-XXXXXX", NULL);
	g_assert_nonnull(dir);
	return dir;
}

static void
remove_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);
		g_unlink(p);
	}
	g_rmdir(dir);
}

/* Where each results object of these tests writes its report. */
static GHashTable *report_paths;   /* ConvertResults* -> path (new) */

/* New results whose report goes to a file of a new temporary directory. */
static ConvertResults *
results_new(const char *method)
{
	g_autofree char *dir = temp_dir();
	char *path = g_build_filename(dir, "report.json", NULL);
	g_autoptr(GError) error = NULL;
	ConvertResults *r = convert_results_new(method, path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(r);
	if (report_paths == NULL)
		report_paths = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	g_hash_table_insert(report_paths, r, path);
	return r;
}

/* The report being written next to `path` (REPORT.partial-XXXXXX), or NULL. */
static char *
partial_of(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *prefix = g_strconcat(base, ".partial-", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		if (g_str_has_prefix(name, prefix))
			return g_build_filename(dir, name, NULL);
	return NULL;
}

/* Write `results` as JSON and parse it back; NULL (a failed check) when it is not
 * strict JSON. */
static JValue *
write_and_parse(ConvertResults *results, char **text_out)
{
	const char *path = g_hash_table_lookup(report_paths, results);
	g_autofree char *dir = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL, *perr = NULL, *partial = NULL;
	gsize len = 0;

	g_assert_true(convert_results_write_json(results, &error));
	g_assert_no_error(error);
	partial = partial_of(path);
	g_assert_null(partial);   /* renamed into place */
	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	remove_dir(dir);
	if (text == NULL)
		return NULL;
	JValue *v = json_parse(text, len, &perr);
	if (v == NULL)
		g_test_message("not JSON: %s\n%s", perr, text);
	g_assert_null(perr);
	g_assert_nonnull(v);
	if (text_out != NULL)
		*text_out = g_steal_pointer(&text);
	return v;
}

/* ---- the tests ---- */

/* The parser itself: what it must take and what it must refuse, or the checks below
 * would prove nothing. */
static void
test_parser(void)
{
	static const struct {
		const char *text;
		const char *utf8;   /* for a string document: its value */
	} good[] = {
		{ "{}", NULL }, { " [ ] ", NULL }, { "[1,-0,0.5,-1.5e+3,2E-2,true,false,null]", NULL },
		{ "{\"a\":{\"b\":[{}]},\"c\":\"\"}", NULL },
		{ "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u00FF\"", "a\"\\/\b\f\n\r\t\xc3\xa9\xc3\xbf" },
		{ "\"\\ud83d\\ude00 \xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80" },
	};
	static const char *const bad[] = {
		"", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":1,\"a\":2}",
		"[1 2]", "01", "-", "1.", ".5", "1e", "+1", "tru", "nul", "True", "[1]]", "{} {}",
		"\"abc", "\"a\tb\"", "\"a\nb\"", "\"\x01\"", "\"\\q\"", "\"\\u12\"", "\"\\u12g4\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\xff\"", "\"\xc3\"",
		"\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "'a'", "[\"a\",]",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autofree char *err = NULL;
		g_autoptr(JValue) v = json_parse(good[i].text, strlen(good[i].text), &err);
		g_autofree char *shown = g_strescape(good[i].text, NULL);
		g_test_message("good %zu: %s", i, shown);
		g_assert_null(err);
		g_assert_nonnull(v);
		if (good[i].utf8 != NULL)
			g_assert_cmpstr(jstr(v), ==, good[i].utf8);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *err = NULL;
		g_autoptr(JValue) v = json_parse(bad[i], strlen(bad[i]), &err);
		g_autofree char *shown = g_strescape(bad[i], NULL);
		g_test_message("bad %zu: %s -> %s", i, shown, err ? err : "(taken)");
		g_assert_null(v);
		g_assert_nonnull(err);
	}
}

/* Two users with mailboxes, one never started, one done by an earlier run: every
 * value where the header says, and nothing else. */
static void
test_report(void)
{
	g_autoptr(ConvertResults) r = results_new("spool");
	const gint64 big = G_GINT64_CONSTANT(12345678901);   /* more than 32 bits */

	MailboxResult *a1 = convert_results_mailbox(r, "alice", "user.alice", "/var/mail/alice");
	MailboxResult *a2 = convert_results_mailbox(r, "alice", "user.alice.Sent", "/home/alice/Mail/sent");
	g_assert_true(a1 != a2);
	/* the same mailbox and source: the same record; another source: another */
	g_assert_true(convert_results_mailbox(r, "alice", "user.alice", "/var/mail/alice") == a1);
	MailboxResult *a3 = convert_results_mailbox(r, "alice", "user.alice.Sent", "/home/alice/Mail/sent2");
	g_assert_true(a3 != a2);
	convert_results_counts(r, a1, 3, 3000, 2, 1, TRUE);
	convert_results_problem(r, a1, "/var/mail/alice", 2, 4096, FALSE, "an empty message");
	convert_results_problem(r, a1, "/var/mail/alice", 3, 8192, TRUE, "contains a NUL byte");
	convert_results_counts(r, a2, 10, big, 10, 0, FALSE);
	convert_results_counts(r, a3, 1, 1, 0, 1, FALSE);
	convert_results_mailbox_done(r, a1);
	convert_results_mailbox_done(r, a2);
	convert_results_mailbox_done(r, a3);
	convert_results_user(r, "alice", USER_DONE, NULL);

	MailboxResult *b1 = convert_results_mailbox(r, "bob", "user.bob", NULL);
	MailboxResult *b2 = convert_results_mailbox(r, "bob", "user.bob.Trash", "/home/bob/mail/trash");
	convert_results_counts(r, b2, 4, 400, 1, 0, FALSE);
	g_assert_false(convert_results_mailbox_is_failed(r, b2));
	convert_results_mailbox_failed(r, b2, "cannot link 2.: No space left on device");
	convert_results_mailbox_failed(r, b2, "a later error, not kept");
	g_assert_true(convert_results_mailbox_is_failed(r, b2));
	g_assert_false(convert_results_mailbox_is_failed(r, b1));
	convert_results_problem(r, b2, "/home/bob/mail/trash", 1, 0, TRUE, "From_ line has no date");
	convert_results_user(r, "bob", USER_FAILED, "connection lost");

	convert_results_user(r, "carol", USER_NOT_STARTED, NULL);
	convert_results_user(r, "dave", USER_ALREADY_DONE, NULL);
	convert_results_add_finish_time(r, 1.25);
	convert_results_add_finish_time(r, 2.5);
	convert_results_set_wall_time(r, 12.5);

	guint done, failed, not_started, mb_failed, problems;
	guint64 messages;
	gint64 bytes;
	convert_results_totals(r, &done, &failed, &not_started, &mb_failed, &messages, &bytes, &problems);
	g_assert_cmpuint(done, ==, 2);          /* alice, and dave done before */
	g_assert_cmpuint(failed, ==, 1);
	g_assert_cmpuint(not_started, ==, 1);
	g_assert_cmpuint(mb_failed, ==, 1);
	g_assert_cmpuint(messages, ==, 3 + 10 + 1 + 0 + 4);
	g_assert_cmpint(bytes, ==, 3000 + big + 1 + 0 + 400);
	g_assert_cmpuint(problems, ==, 3);

	g_autofree char *text = NULL;
	g_autoptr(JValue) doc = write_and_parse(r, &text);
	g_test_message("%s", text);
	assert_keys(doc, "tool,method,users,seconds,finish_seconds");
	g_assert_true(g_str_has_prefix(jstr(jget(doc, "tool")), "mbox2cyrus "));
	g_assert_true(g_str_has_suffix(jstr(jget(doc, "tool")), " convert"));
	g_assert_cmpstr(jstr(jget(doc, "method")), ==, "spool");
	g_assert_cmpfloat_with_epsilon(jdouble(jget(doc, "seconds")), 12.5, 1e-9);
	g_assert_cmpfloat_with_epsilon(jdouble(jget(doc, "finish_seconds")), 3.75, 1e-9);

	JValue *users = jget(doc, "users");
	g_assert_cmpuint(jlen(users), ==, 4);

	/* alice: done, three records */
	JValue *u = jat(users, 0);
	assert_keys(u, "user,status,mailboxes");
	g_assert_cmpstr(jstr(jget(u, "user")), ==, "alice");
	g_assert_cmpstr(jstr(jget(u, "status")), ==, "done");
	JValue *mbs = jget(u, "mailboxes");
	g_assert_cmpuint(jlen(mbs), ==, 3);
	JValue *m = jat(mbs, 0);
	assert_keys(m, "mailbox,source,status,messages,bytes,written,existed,uids,problems");
	g_assert_cmpstr(jstr(jget(m, "mailbox")), ==, "user.alice");
	g_assert_cmpstr(jstr(jget(m, "source")), ==, "/var/mail/alice");
	g_assert_cmpstr(jstr(jget(m, "status")), ==, "done");
	g_assert_cmpint(jint(jget(m, "messages")), ==, 3);
	g_assert_cmpint(jint(jget(m, "bytes")), ==, 3000);
	g_assert_cmpint(jint(jget(m, "written")), ==, 2);
	g_assert_cmpint(jint(jget(m, "existed")), ==, 1);
	g_assert_cmpstr(jstr(jget(m, "uids")), ==, "x-uid");
	JValue *ps = jget(m, "problems");
	g_assert_cmpuint(jlen(ps), ==, 2);
	JValue *p = jat(ps, 0);
	assert_keys(p, "file,msg,offset,skipped,text");
	g_assert_cmpstr(jstr(jget(p, "file")), ==, "/var/mail/alice");
	g_assert_cmpint(jint(jget(p, "msg")), ==, 2);
	g_assert_cmpint(jint(jget(p, "offset")), ==, 4096);
	g_assert_cmpstr(jbool(jget(p, "skipped")), ==, "FALSE");
	g_assert_cmpstr(jstr(jget(p, "text")), ==, "an empty message");
	p = jat(ps, 1);
	g_assert_cmpint(jint(jget(p, "msg")), ==, 3);
	g_assert_cmpint(jint(jget(p, "offset")), ==, 8192);
	g_assert_cmpstr(jbool(jget(p, "skipped")), ==, "TRUE");
	g_assert_cmpstr(jstr(jget(p, "text")), ==, "contains a NUL byte");
	m = jat(mbs, 1);
	g_assert_cmpstr(jstr(jget(m, "mailbox")), ==, "user.alice.Sent");
	g_assert_cmpstr(jstr(jget(m, "source")), ==, "/home/alice/Mail/sent");
	g_assert_cmpint(jint(jget(m, "messages")), ==, 10);
	g_assert_cmpint(jint(jget(m, "bytes")), ==, big);
	g_assert_cmpstr(jstr(jget(m, "uids")), ==, "sequence");
	g_assert_cmpuint(jlen(jget(m, "problems")), ==, 0);
	m = jat(mbs, 2);
	g_assert_cmpstr(jstr(jget(m, "source")), ==, "/home/alice/Mail/sent2");
	g_assert_cmpint(jint(jget(m, "existed")), ==, 1);

	/* bob: failed, with his error; a mailbox without a source; one failed */
	u = jat(users, 1);
	assert_keys(u, "user,status,error,mailboxes");
	g_assert_cmpstr(jstr(jget(u, "user")), ==, "bob");
	g_assert_cmpstr(jstr(jget(u, "status")), ==, "failed");
	g_assert_cmpstr(jstr(jget(u, "error")), ==, "connection lost");
	mbs = jget(u, "mailboxes");
	g_assert_cmpuint(jlen(mbs), ==, 2);
	m = jat(mbs, 0);
	g_assert_cmpstr(jstr(jget(m, "mailbox")), ==, "user.bob");
	g_assert_true(jget(m, "source") != NULL && jget(m, "source")->type == J_NULL);
	/* the user failed before this mailbox was done: never "done" */
	g_assert_cmpstr(jstr(jget(m, "status")), ==, "not done");
	g_assert_cmpint(jint(jget(m, "messages")), ==, 0);
	m = jat(mbs, 1);
	assert_keys(m, "mailbox,source,status,error,messages,bytes,written,existed,uids,problems");
	g_assert_cmpstr(jstr(jget(m, "status")), ==, "failed");
	g_assert_cmpstr(jstr(jget(m, "error")), ==, "cannot link 2.: No space left on device");
	g_assert_cmpint(jint(jget(m, "messages")), ==, 4);
	g_assert_cmpint(jint(jget(m, "bytes")), ==, 400);
	g_assert_cmpint(jint(jget(m, "written")), ==, 1);
	g_assert_cmpint(jint(jget(m, "existed")), ==, 0);
	g_assert_cmpuint(jlen(jget(m, "problems")), ==, 1);
	g_assert_cmpint(jint(jget(jat(jget(m, "problems"), 0), "offset")), ==, 0);

	/* carol never started; dave was done before */
	u = jat(users, 2);
	assert_keys(u, "user,status,mailboxes");
	g_assert_cmpstr(jstr(jget(u, "user")), ==, "carol");
	g_assert_cmpstr(jstr(jget(u, "status")), ==, "not started");
	g_assert_cmpuint(jlen(jget(u, "mailboxes")), ==, 0);
	u = jat(users, 3);
	g_assert_cmpstr(jstr(jget(u, "user")), ==, "dave");
	g_assert_cmpstr(jstr(jget(u, "status")), ==, "already done");

	/* an empty run is a document too */
	g_autoptr(ConvertResults) empty = results_new("spool");
	g_autoptr(JValue) edoc = write_and_parse(empty, NULL);
	g_assert_cmpuint(jlen(jget(edoc, "users")), ==, 0);
	convert_results_totals(empty, &done, &failed, &not_started, &mb_failed, &messages, &bytes, &problems);
	g_assert_cmpuint(done + failed + not_started + mb_failed + problems, ==, 0);
	g_assert_cmpuint(messages, ==, 0);
	g_assert_cmpint(bytes, ==, 0);

	/* a report that cannot be written is an error, said before the run, not a crash */
	g_autoptr(GError) error = NULL;
	g_assert_null(convert_results_new("spool", "/nonexistent-m2c-dir/report.json", &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "/nonexistent-m2c-dir/report.json.partial-"));
}

/* Users that end out of order are written in the order they were begun, each once;
 * a user let go is no longer held (the report file has it before the run ends). */
static void
test_order(void)
{
	g_autoptr(ConvertResults) r = results_new("spool");
	const char *path = g_hash_table_lookup(report_paths, r);
	g_autofree char *partial = partial_of(path);
	g_autofree char *text = NULL;

	convert_results_counts(r, convert_results_mailbox(r, "u1", "user.u1", "/a"), 1, 10, 1, 0, FALSE);
	convert_results_counts(r, convert_results_mailbox(r, "u2", "user.u2", "/b"), 2, 20, 2, 0, FALSE);
	convert_results_counts(r, convert_results_mailbox(r, "u3", "user.u3", "/c"), 4, 40, 4, 0, FALSE);
	convert_results_user(r, "u3", USER_DONE, NULL);
	convert_results_user(r, "u2", USER_FAILED, "x");
	/* u1 is in progress: nothing written yet, since u2 and u3 came after it */
	g_assert_true(g_file_get_contents(partial, &text, NULL, NULL));
	g_assert_null(strstr(text, "\"u2\""));
	g_clear_pointer(&text, g_free);
	convert_results_user(r, "u1", USER_DONE, NULL);
	g_assert_true(g_file_get_contents(partial, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "\"u3\""));   /* all three let go */

	guint done, failed, not_started, mb_failed, problems;
	guint64 messages;
	gint64 bytes;
	convert_results_totals(r, &done, &failed, &not_started, &mb_failed, &messages, &bytes, &problems);
	g_assert_cmpuint(done, ==, 2);
	g_assert_cmpuint(failed, ==, 1);
	g_assert_cmpuint(messages, ==, 7);
	g_assert_cmpint(bytes, ==, 70);

	g_autoptr(JValue) doc = write_and_parse(r, NULL);
	JValue *users = jget(doc, "users");
	g_assert_cmpuint(jlen(users), ==, 3);
	g_assert_cmpstr(jstr(jget(jat(users, 0), "user")), ==, "u1");
	g_assert_cmpstr(jstr(jget(jat(users, 1), "user")), ==, "u2");
	g_assert_cmpstr(jstr(jget(jat(users, 2), "user")), ==, "u3");
	g_assert_cmpstr(jstr(jget(jat(users, 1), "error")), ==, "x");
}

/* Every string the report carries, hostile: valid JSON whose strings decode to the
 * code points tsv.h's json_escape_append promises -- valid UTF-8 as it is, each other
 * byte as U+0080..U+00FF of its value. */
static void
test_escapes(void)
{
	static const char nasty[] =
		"q\"b\\n\nt\tc\x01\x1f\r d\x7f e\xff f\xc3\xa9 g\xe2\x82 h\xf0\x9f\x98\x80 "
		"\xed\xa0\x80 \xc0\xaf \\u0041/";
	/* what it must decode to, code point by code point */
	static const gunichar want_cp[] = {
		'q', '"', 'b', '\\', 'n', '\n', 't', '\t', 'c', 0x01, 0x1f, '\r', ' ', 'd', 0x7f, ' ',
		'e', 0xff, ' ', 'f', 0xe9, ' ', 'g', 0xe2, 0x82, ' ', 'h', 0x1f600, ' ',
		0xed, 0xa0, 0x80, ' ', 0xc0, 0xaf, ' ', '\\', 'u', '0', '0', '4', '1', '/',
	};
	g_autofree char *want = g_ucs4_to_utf8(want_cp, G_N_ELEMENTS(want_cp), NULL, NULL, NULL);
	g_autofree char *want_x = g_strconcat(want, "x", NULL);
	g_autofree char *nasty_x = g_strconcat(nasty, "x", NULL);
	g_autoptr(ConvertResults) r = results_new(nasty);

	g_assert_nonnull(want);
	MailboxResult *mr = convert_results_mailbox(r, nasty, nasty, nasty);
	convert_results_mailbox_failed(r, mr, nasty);
	convert_results_problem(r, mr, nasty, 1, 2, TRUE, nasty_x);
	convert_results_user(r, nasty, USER_FAILED, nasty);

	g_autofree char *text = NULL;
	g_autoptr(JValue) doc = write_and_parse(r, &text);
	g_test_message("%s", text);
	/* the file is UTF-8 and its only raw control characters are line breaks */
	g_assert_true(g_utf8_validate(text, -1, NULL));
	for (const char *c = text; c != NULL && *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 && *c != '\n')
			g_assert_cmpint(*c, ==, '\n');
	g_assert_cmpstr(jstr(jget(doc, "method")), ==, want);
	JValue *u = jat(jget(doc, "users"), 0);
	g_assert_cmpstr(jstr(jget(u, "user")), ==, want);
	g_assert_cmpstr(jstr(jget(u, "error")), ==, want);
	JValue *m = jat(jget(u, "mailboxes"), 0);
	g_assert_cmpstr(jstr(jget(m, "mailbox")), ==, want);
	g_assert_cmpstr(jstr(jget(m, "source")), ==, want);
	g_assert_cmpstr(jstr(jget(m, "error")), ==, want);
	JValue *p = jat(jget(m, "problems"), 0);
	g_assert_cmpstr(jstr(jget(p, "file")), ==, want);
	g_assert_cmpstr(jstr(jget(p, "text")), ==, want_x);
}

/* Problems from several threads into one mailbox's record: every one kept, whole. */
#define THREADS 4
#define PER_THREAD 500

typedef struct {
	ConvertResults *results;
	guint id;
	MailboxResult *mr;   /* what this thread was given */
} Worker;

static gpointer
worker(gpointer data)
{
	Worker *w = data;
	g_autofree char *user = g_strdup_printf("user%u", w->id);
	w->mr = convert_results_mailbox(w->results, "shared", "user.shared", "/src/shared");
	for (guint i = 0; i < PER_THREAD; i++) {
		g_autofree char *text = g_strdup_printf("thread %u problem %u", w->id, i);
		convert_results_problem(w->results, w->mr, "/src/shared", w->id * 100000 + i, i,
		                        i % 2 == 0, text);
		if (i % 50 == 0)   /* other records change meanwhile */
			convert_results_user(w->results, user, USER_DONE, NULL);
	}
	return NULL;
}

static void
test_threads(void)
{
	g_autoptr(ConvertResults) r = results_new("spool");
	Worker workers[THREADS];
	GThread *threads[THREADS];

	for (guint t = 0; t < THREADS; t++) {
		workers[t] = (Worker){ .results = r, .id = t };
		threads[t] = g_thread_new("worker", worker, &workers[t]);
	}
	for (guint t = 0; t < THREADS; t++)
		g_thread_join(threads[t]);
	for (guint t = 1; t < THREADS; t++)
		g_assert_true(workers[t].mr == workers[0].mr);

	guint done, failed, not_started, mb_failed, problems;
	guint64 messages;
	gint64 bytes;
	convert_results_totals(r, &done, &failed, &not_started, &mb_failed, &messages, &bytes, &problems);
	g_assert_cmpuint(problems, ==, THREADS * PER_THREAD);
	g_assert_cmpuint(done, ==, THREADS);
	g_assert_cmpuint(not_started, ==, 1);   /* "shared": mailboxes but no outcome yet */

	g_autoptr(JValue) doc = write_and_parse(r, NULL);
	JValue *users = jget(doc, "users");
	g_assert_cmpuint(jlen(users), ==, THREADS + 1);
	JValue *shared = jat(users, 0);
	g_assert_cmpstr(jstr(jget(shared, "user")), ==, "shared");
	g_assert_cmpuint(jlen(jget(shared, "mailboxes")), ==, 1);
	JValue *ps = jget(jat(jget(shared, "mailboxes"), 0), "problems");
	g_assert_cmpuint(jlen(ps), ==, THREADS * PER_THREAD);
	/* each problem once, its fields from one call */
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < jlen(ps) && i < THREADS * PER_THREAD; i++) {
		JValue *p = jat(ps, i);
		guint t = 0, k = 0;
		g_assert_cmpint(sscanf(jstr(jget(p, "text")), "thread %u problem %u", &t, &k), ==, 2);
		g_assert_cmpint(jint(jget(p, "msg")), ==, t * 100000 + k);
		g_assert_cmpint(jint(jget(p, "offset")), ==, k);
		g_assert_cmpstr(jbool(jget(p, "skipped")), ==, k % 2 == 0 ? "TRUE" : "FALSE");
		g_assert_true(g_hash_table_add(seen, g_strdup(jstr(jget(p, "text")))));
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, THREADS * PER_THREAD);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/convert-results/json-parser", test_parser);
	g_test_add_func("/convert-results/report", test_report);
	g_test_add_func("/convert-results/escapes", test_escapes);
	g_test_add_func("/convert-results/threads", test_threads);
	g_test_add_func("/convert-results/order", test_order);
	return g_test_run();
}
