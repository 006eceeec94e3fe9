/* test-mbox-reader.c -- lib/mbox-reader: the same answers whatever the line endings,
 * the window, and however the input arrives (one byte per read). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mbox-reader.h"

/* Every variant the reader must take apart, in one LF file. */
static const char tricky[] =
	"From alice@example.org Wed Jul  1 13:17:17 1998\n"
	"Status: RO\n"
	"X-Status: AF\n"
	"X-Keywords: $Label1\n"
	"X-UID: 7\n"
	"Subject: first\n"
	"\n"
	"body line\n"
	">From quoted once\n"
	">>From quoted twice\n"
	"\n"
	"From bob@example.org  Sat Sep  1 20:58 EDT 2001\n"
	"Content-Length: 23\n"
	"Subject: cl2\n"
	"\n"
	"x\n"
	"\n"
	"From inside cl body\n"
	"\n"
	"From - Tue Oct 02 00:26:47 2007\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\n"
	"Subject: attached mailbox\n"
	"\n"
	"--b1\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From someone@x Fri Jul 10 18:59:26 1998\n"
	"Subject: inner\n"
	"\n"
	"inner body\n"
	"--b1--\n"
	"\n"
	"From this is not a separator\n"
	"\n"
	"From carol@example.org Mon Jan  5 08:50:15 +0100 2004\n"
	"Subject: no date here but From_\n"
	"Content-Length: 999\n"
	"\n"
	"the Content-Length above lies\n"
	"From dave@example.org Thu Jul 12 12:30:05 2001 -0400\n"
	"Subject: appended without an empty line\n"
	"\n"
	"last line without a newline";

typedef struct {
	GString *meta;     /* one line per message */
	GString *copy_lf;
	GString *copy_crlf;
	guint messages;
} Result;

static gboolean
append(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)error;
	g_string_append_len(user_data, data, (gssize)len);
	return TRUE;
}

static char *
write_temp(const char *data, gsize len)
{
	char *path = NULL;
	int fd = g_file_open_tmp("m2c-reader-XXXXXX", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, data, len), ==, (gssize)len);
	close(fd);
	return path;
}

static void
result_clear(Result *r)
{
	g_string_free(r->meta, TRUE);
	g_string_free(r->copy_lf, TRUE);
	g_string_free(r->copy_crlf, TRUE);
}

static void
read_all(const char *path, gsize window, gsize max_read, Result *r)
{
	MboxReaderSettings settings;
	g_autoptr(GError) error = NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	MboxMessage *m;

	mbox_reader_settings_init(&settings);
	settings.window = window;
	settings.max_read = max_read;
	settings.source_tz = utc;
	g_autoptr(MboxReader) reader = mbox_reader_open(path, &settings, &error);
	g_assert_no_error(error);
	r->meta = g_string_new(NULL);
	r->copy_lf = g_string_new(NULL);
	r->copy_crlf = g_string_new(NULL);
	r->messages = 0;
	while ((m = mbox_reader_next(reader, &error)) != NULL) {
		g_autofree char *flags = g_strjoinv(" ", m->flags);
		g_autofree char *warnings = g_strjoinv("; ", m->warnings);
		g_string_append_printf(r->meta, "%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %"
		                       G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
		                       " %" G_GINT64_FORMAT " <%s> %" G_GINT64_FORMAT " %d [%s] %u %d {%s}\n",
		                       m->number, m->from_offset, m->header_offset, m->body_offset,
		                       m->end_offset, m->next_offset, m->sender,
		                       g_date_time_to_unix(m->date), m->date_source, flags, m->uid,
		                       m->content_length_used, warnings);
		g_assert_true(mbox_reader_copy_message(reader, m, 0, append, r->copy_lf, &error));
		g_assert_true(mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, append,
		                                       r->copy_crlf, &error));
		g_string_append(r->copy_lf, "\n=====\n");
		g_string_append(r->copy_crlf, "\r\n=====\r\n");
		r->messages++;
		mbox_message_free(m);
	}
	g_assert_no_error(error);
}

/* The answers about `text`, the same with every window and read size. */
static void
check_invariance(const char *text, gsize len, Result *baseline)
{
	g_autofree char *path = write_temp(text, len);
	static const gsize windows[] = { 0, 8192, 9000 };
	static const gsize reads[] = { 0, 1, 7, 4096 };

	read_all(path, 0, 0, baseline);
	for (gsize w = 0; w < G_N_ELEMENTS(windows); w++)
		for (gsize k = 0; k < G_N_ELEMENTS(reads); k++) {
			Result r;
			read_all(path, windows[w], reads[k], &r);
			g_assert_cmpstr(r.meta->str, ==, baseline->meta->str);
			g_assert_cmpstr(r.copy_lf->str, ==, baseline->copy_lf->str);
			g_assert_cmpstr(r.copy_crlf->str, ==, baseline->copy_crlf->str);
			result_clear(&r);
		}
	g_unlink(path);
}

static char *
convert_endings(const char *text, const char *ending)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	return g_strjoinv(ending, lines);
}

static void
test_tricky(void)
{
	Result r;

	check_invariance(tricky, strlen(tricky), &r);
	g_assert_cmpuint(r.messages, ==, 5);
	/* message 1: flags, UID, quoting undone, separator line left out */
	g_assert_nonnull(strstr(r.meta->str, "1 0 48 "));
	g_assert_nonnull(strstr(r.meta->str, "[\\Seen \\Answered \\Flagged $Label1] 7 0"));
	g_assert_true(g_str_has_prefix(r.copy_lf->str,
		"Subject: first\n\nbody line\nFrom quoted once\n>From quoted twice\n\n=====\n"));
	/* message 2: Content-Length 23 lands on the From_ line after one empty line */
	g_assert_nonnull(strstr(r.meta->str, "] 0 1 {}"));
	g_assert_nonnull(strstr(r.copy_lf->str, "Subject: cl2\n\nx\n\nFrom inside cl body\n\n=====\n"));
	/* message 3: the From_ line inside the attached mailbox stays, and so does the
	 * "From this is not a separator" line */
	g_assert_nonnull(strstr(r.copy_lf->str, "\nFrom someone@x Fri Jul 10 18:59:26 1998\nSubject: inner\n"));
	g_assert_nonnull(strstr(r.copy_lf->str, "--b1--\n\nFrom this is not a separator\n\n=====\n"));
	/* message 4: the lying Content-Length is ignored, with a warning; message 5 was
	 * appended without an empty line and has no final newline */
	g_assert_nonnull(strstr(r.meta->str, "{Content-Length 999 does not end on a From_ line"));
	g_assert_true(g_str_has_suffix(r.copy_lf->str,
		"Subject: appended without an empty line\n\nlast line without a newline\n=====\n"));
	/* EDT is -4, +0100 and -0400 numeric */
	g_assert_nonnull(strstr(r.meta->str, " 999392280 0 "));
	result_clear(&r);
}

static void
test_line_endings(void)
{
	Result lf, other;

	check_invariance(tricky, strlen(tricky), &lf);
	for (int v = 0; v < 2; v++) {
		g_autofree char *text = convert_endings(tricky, v == 0 ? "\r\n" : "\r");
		check_invariance(text, strlen(text), &other);
		/* same messages, flags and dates; copies identical after conversion */
		g_assert_cmpuint(other.messages, ==, lf.messages);
		g_assert_cmpstr(other.copy_lf->str, ==, lf.copy_lf->str);
		g_assert_cmpstr(other.copy_crlf->str, ==, lf.copy_crlf->str);
		result_clear(&other);
	}
	result_clear(&lf);
}

static void
test_long_line(void)
{
	g_autoptr(GString) text = g_string_new("From a@b Mon Jan  1 00:00:00 2001\nSubject: long\n\n");
	Result r;

	for (int i = 0; i < 100000; i++)
		g_string_append_c(text, (char)('a' + i % 26));
	g_string_append(text, "\r\nFrom b@c Mon Jan  1 00:00:01 2001\n\nsecond\n");
	check_invariance(text->str, text->len, &r);
	g_assert_cmpuint(r.messages, ==, 1);   /* no empty line, no header after the From line */
	g_assert_cmpuint(r.copy_lf->len, ==, strlen("Subject: long\n\n") + 100000 + 1 +
	                 strlen("From b@c Mon Jan  1 00:00:01 2001\n\nsecond\n") + strlen("\n=====\n"));
	result_clear(&r);
}

/* NUL bytes are found wherever they are: in a header, in a line the body scan
 * skips, on a line it stops at, in the last line; and only in their own message. */
static void
test_nul(void)
{
	static const char text[] =
		"From a@b Mon Jan  1 00:00:00 2001\nSubject: 1\n\nclean\n\n"
		"From a@b Mon Jan  1 00:00:01 2001\nSubject: 2\n\nplain text line with a \0 in the middle of it, long enough for a vector\n\n"
		"From a@b Mon Jan  1 00:00:02 2001\nSubject: 3\n\nclean again, a long line of text to be skipped by the fast path xxxxx\n\n"
		"From a@b Mon Jan  1 00:00:03 2001\nX-Bad: \0\n\nheader NUL\n\n"
		"From a@b Mon Jan  1 00:00:04 2001\nSubject: 5\n\n>From line \0 stopped at\n\n"
		"From a@b Mon Jan  1 00:00:05 2001\nSubject: 6\n\nclean\n\n"
		"From a@b Mon Jan  1 00:00:06 2001\nSubject: 7\n\nlast line \0 no newline";
	static const gboolean want[] = { FALSE, TRUE, FALSE, TRUE, TRUE, FALSE, TRUE };
	static const gsize windows[] = { 0, 8192 };
	static const gsize reads[] = { 0, 1, 5 };
	g_autofree char *path = write_temp(text, sizeof text - 1);

	for (gsize w = 0; w < G_N_ELEMENTS(windows); w++)
		for (gsize k = 0; k < G_N_ELEMENTS(reads); k++) {
			MboxReaderSettings settings;
			g_autoptr(GError) error = NULL;
			MboxMessage *m;
			guint n = 0;

			mbox_reader_settings_init(&settings);
			settings.window = windows[w];
			settings.max_read = reads[k];
			g_autoptr(MboxReader) reader = mbox_reader_open(path, &settings, &error);
			while ((m = mbox_reader_next(reader, &error)) != NULL) {
				g_assert_cmpuint(n, <, G_N_ELEMENTS(want));
				g_assert_cmpint(m->has_nul, ==, want[n]);
				n++;
				mbox_message_free(m);
			}
			g_assert_no_error(error);
			g_assert_cmpuint(n, ==, G_N_ELEMENTS(want));
		}
	g_unlink(path);
}

/* The internal headers go, with their continuation lines; the empty line after them
 * (when one of them was the last header) stays. */
static void
test_internal_headers(void)
{
	static const char text[] =
		"From a@b Mon Jan  1 00:00:00 2001\n"
		"Subject: keep\n"
		"X-Keywords: one\n"
		"\ttwo\n"
		"Received: keep too\n"
		"Status: RO\n"
		"X-UID: 5\n"
		"\n"
		"body\n";
	g_autofree char *path = write_temp(text, sizeof text - 1);
	Result r;
	read_all(path, 0, 0, &r);
	g_assert_cmpstr(r.copy_lf->str, ==, "Subject: keep\nReceived: keep too\n\nbody\n\n=====\n");
	g_assert_cmpstr(r.copy_crlf->str, ==, "Subject: keep\r\nReceived: keep too\r\n\r\nbody\r\n\r\n=====\r\n");
	result_clear(&r);
	g_unlink(path);
}

/* After a rewind, phase 1 says the same again, whatever it had read; a BOM warning
 * from opening stays. */
static void
test_rewind(void)
{
	g_autoptr(GString) text = g_string_new("\xef\xbb\xbf");
	g_string_append(text, tricky);
	g_autofree char *path = write_temp(text->str, text->len);
	g_autoptr(GString) first = g_string_new(NULL), second = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(MboxReader) reader = mbox_reader_open(path, NULL, &error);
	MboxMessage *m;

	g_assert_no_error(error);
	m = mbox_reader_next(reader, &error);   /* part way */
	mbox_message_free(m);
	mbox_reader_rewind(reader);
	for (int pass = 0; pass < 2; pass++) {
		GString *out = pass == 0 ? first : second;
		while ((m = mbox_reader_next(reader, &error)) != NULL) {
			g_string_append_printf(out, "%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " ", m->number,
			                       m->end_offset);
			g_assert_true(mbox_reader_copy_message(reader, m, 0, append, out, &error));
			mbox_message_free(m);
		}
		g_assert_no_error(error);
		const MboxSummary *s = mbox_reader_summary(reader);
		g_string_append_printf(out, "| %" G_GUINT64_FORMAT " %u %u %s", s->messages,
		                       s->quoted_from_lines, g_strv_length(s->warnings), s->warnings[0]);
		mbox_reader_rewind(reader);
	}
	g_assert_cmpstr(first->str, ==, second->str);
	g_assert_nonnull(strstr(first->str, "| 5 1 1 UTF-8 byte order mark skipped"));
	g_unlink(path);
}

static void
test_not_an_mbox(void)
{
	static const char *const bad[] = { "Subject: hi\n\nbody\n", "\n\nFrom: x@y\n\n", "From:x\n" };
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *path = write_temp(bad[i], strlen(bad[i]));
		g_autoptr(GError) error = NULL;
		g_autoptr(MboxReader) reader = mbox_reader_open(path, NULL, &error);
		g_assert_no_error(error);
		g_assert_null(mbox_reader_next(reader, &error));
		g_assert_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_NOT_MBOX);
		g_assert_nonnull(strstr(error->message, path));
		g_assert_nonnull(strstr(error->message, "offset "));
		g_unlink(path);
	}
}

static void
test_not_regular(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MboxReader) reader = mbox_reader_open(g_get_tmp_dir(), NULL, &error);
	g_assert_null(reader);
	g_assert_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_NOT_REGULAR);
}

/* Every mbox in the corpus: the same answers with one byte per read. */
static void
test_corpus_byte_at_a_time(void)
{
	const char *corpus = g_getenv("M2C_CORPUS");
	g_autofree char *index_path = NULL;
	g_autofree char *index = NULL;
	guint files = 0;

	if (corpus == NULL) {
		g_test_skip("M2C_CORPUS not set");
		return;
	}
	index_path = g_build_filename(corpus, "INDEX.md", NULL);
	if (!g_file_get_contents(index_path, &index, NULL, NULL)) {
		g_test_skip("corpus absent");
		return;
	}
	g_auto(GStrv) lines = g_strsplit(index, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		/* rows: | `path` | size | ... | yes | */
		if (!g_str_has_prefix(*l, "| `") || !g_str_has_suffix(*l, "| yes |"))
			continue;
		g_autofree char *rel = g_strndup(*l + 3, strcspn(*l + 3, "`"));
		g_autofree char *path = g_build_filename(corpus, rel, NULL);
		Result base, slow;
		struct stat st;
		if (g_stat(path, &st) != 0 || st.st_size > 256 * 1024)
			continue;
		read_all(path, 0, 0, &base);
		read_all(path, 8192, 1, &slow);
		g_assert_cmpstr(slow.meta->str, ==, base.meta->str);
		g_assert_cmpstr(slow.copy_crlf->str, ==, base.copy_crlf->str);
		result_clear(&base);
		result_clear(&slow);
		files++;
	}
	g_test_message("%u corpus files read one byte at a time", files);
	g_assert_cmpuint(files, >, 100);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/mbox-reader/tricky", test_tricky);
	g_test_add_func("/mbox-reader/line-endings", test_line_endings);
	g_test_add_func("/mbox-reader/long-line", test_long_line);
	g_test_add_func("/mbox-reader/nul", test_nul);
	g_test_add_func("/mbox-reader/internal-headers", test_internal_headers);
	g_test_add_func("/mbox-reader/rewind", test_rewind);
	g_test_add_func("/mbox-reader/not-an-mbox", test_not_an_mbox);
	g_test_add_func("/mbox-reader/not-regular", test_not_regular);
	g_test_add_func("/mbox-reader/corpus-byte-at-a-time", test_corpus_byte_at_a_time);
	return g_test_run();
}
