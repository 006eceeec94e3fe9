/* test-mbox-writer.c -- lib/mbox-writer.c: the bytes written for each kind of message,
 * spelled out; the same bytes whatever the pieces the message arrives in (one byte,
 * a CR apart from its LF, every size); and what this project's reader makes of them:
 * the message as stored (CRLF), its flags, UID and date, and the UW-IMAP pseudo-
 * message's folder data.  Lines longer than any buffer are not held. */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mbox-reader.h"
#include "mbox-writer.h"

#define DATE 1046875512   /* Wed Mar  5 14:45:12 2003 UTC */

static gboolean
append_out(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)error;
	g_string_append_len(user_data, data, (gssize)len);
	return TRUE;
}

typedef struct {
	const char *name;
	const char *sender;
	const char *const *flags;
	guint32 uid;
	const char *input;
	const char *mboxrd;      /* expected output */
	const char *mboxo;       /* NULL: same as mboxrd */
} Vector;

static const char *const all_flags[] = { "\\Seen", "\\Flagged", "\\Answered", "\\Draft",
	"\\Deleted", "\\Recent", "$Label1", "bad keyword", "\\Unknown", "$label1", "Junk", NULL };
static const char *const seen[] = { "\\Seen", NULL };

static const Vector vectors[] = {
	{ "flags, keywords, UID, Return-Path, CRLF, quoting", NULL, all_flags, 42,
	  "Return-Path: <alice@example.org>\r\nSubject: hi\r\n\r\nFrom here\r\n>From there\r\n"
	  ">>From deep\r\nFrom\r\n>From\r\nbye\r\n",
	  "From alice@example.org Wed Mar  5 14:45:12 2003\n"
	  "Return-Path: <alice@example.org>\nSubject: hi\n"
	  "Status: RO\nX-Status: DFAT\nX-Keywords: $Label1 Junk\nX-UID: 42\n\n"
	  ">From here\n>>From there\n>>>From deep\nFrom\n>From\nbye\n\n",
	  "From alice@example.org Wed Mar  5 14:45:12 2003\n"
	  "Return-Path: <alice@example.org>\nSubject: hi\n"
	  "Status: RO\nX-Status: DFAT\nX-Keywords: $Label1 Junk\nX-UID: 42\n\n"
	  ">From here\n>From there\n>>From deep\nFrom\n>From\nbye\n\n" },
	{ "Return-Path <>", NULL, seen, 0,
	  "Return-Path: <>\nSubject: bounce\n\nbody\n",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  "Return-Path: <>\nSubject: bounce\nStatus: RO\n\nbody\n\n", NULL },
	{ "no sender at all", NULL, NULL, 0,
	  "Subject: anon\n\nbody\n",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  "Subject: anon\nStatus: O\n\nbody\n\n", NULL },
	{ "the caller's sender, made one word", "bob @example.net\n", NULL, 7,
	  "Return-Path: <alice@example.org>\n\nbody\n",
	  "From bob_@example.net Wed Mar  5 14:45:12 2003\n"
	  "Return-Path: <alice@example.org>\nStatus: O\nX-UID: 7\n\nbody\n\n", NULL },
	{ "Return-Path folded, the second one ignored", NULL, NULL, 0,
	  "Received: x\r\nreturn-path:\r\n  <carol@example.com> (comment)\r\n"
	  "Return-Path: <dave@example.com>\r\n\r\nbody\r\n",
	  "From carol@example.com Wed Mar  5 14:45:12 2003\n"
	  "Received: x\nreturn-path:\n  <carol@example.com> (comment)\n"
	  "Return-Path: <dave@example.com>\nStatus: O\n\nbody\n\n", NULL },
	{ "no final newline", NULL, NULL, 0,
	  "Subject: x\r\n\r\nlast line",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  "Subject: x\nStatus: O\n\nlast line\n\n", NULL },
	{ "no header/body separator", NULL, seen, 3,
	  "Subject: only\r\nX-Other: y\r\n",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  "Subject: only\nX-Other: y\nStatus: RO\nX-UID: 3\n\n", NULL },
	{ "empty message", NULL, NULL, 0, "",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\nStatus: O\n\n", NULL },
	{ "internal headers planted by a sender", NULL, NULL, 0,
	  "Status: RO\r\nX-Status: F\r\nX-Keywords: evil\r\n more\r\n\tmore\r\nX-UID: 99\r\n"
	  "Content-Length: 5\r\nX-IMAP: 1 2\r\nsubject: ok\r\n  folded\r\nX-IMAPbase: 1 2\r\n"
	  "X-Mozilla-Status: 0001\r\nX-Mozilla-Keys: evil\r\nStatus : R\r\n\tcont\r\n"
	  "X-Status-Not: kept\r\n\r\nStatus: R in the body\r\n",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  "subject: ok\n  folded\nX-Status-Not: kept\nStatus: O\n\nStatus: R in the body\n\n", NULL },
	{ "no header block: From lines with no colon quoted", NULL, NULL, 0,
	  ">From the archive\nFrom me\n\nFrom you\n",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  ">>From the archive\n>From me\nStatus: O\n\n>From you\n\n",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  ">From the archive\n>From me\nStatus: O\n\n>From you\n\n" },
	{ "CR alone, CR last", NULL, NULL, 0,
	  "Subject: a\rb\r\n\r\nx\ry\r\r\nend\r",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  "Subject: a\rb\nStatus: O\n\nx\ry\r\nend\n\n", NULL },
	{ "empty lines at the end stay", NULL, NULL, 0,
	  "Subject: e\n\nbody\n\n\n",
	  "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	  "Subject: e\nStatus: O\n\nbody\n\n\n\n", NULL },
};

/* The message written in pieces of `piece` bytes (0: one piece). */
static char *
write_vector(const Vector *v, MboxQuoting quoting, gsize piece, gsize max_header_bytes)
{
	g_autoptr(GString) out = g_string_new(NULL);
	MboxWriterSettings settings = { .quoting = quoting, .max_header_bytes = max_header_bytes };
	g_autoptr(MboxWriter) w = mbox_writer_new(&settings, append_out, out);
	g_autoptr(GError) error = NULL;
	gsize len = strlen(v->input);

	g_assert_true(mbox_writer_begin(w, v->sender, DATE, v->flags, v->uid, &error));
	for (gsize at = 0; at < len || (at == 0 && len == 0); ) {
		gsize n = piece == 0 ? len : MIN(piece, len - at);
		g_assert_true(mbox_writer_write(w, v->input + at, n, &error));
		g_assert_no_error(error);
		at += n;
		if (n == 0)
			break;
	}
	g_assert_true(mbox_writer_end(w, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(mbox_writer_bytes(w), ==, out->len);
	return g_strdup(out->str);
}

static void
test_vectors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		const Vector *v = &vectors[i];
		g_test_message("%s", v->name);
		g_autofree char *rd = write_vector(v, MBOX_QUOTING_MBOXRD, 0, 0);
		g_autofree char *o = write_vector(v, MBOX_QUOTING_MBOXO, 0, 0);
		g_autofree char *auto_ = write_vector(v, MBOX_QUOTING_AUTO, 0, 0);
		g_assert_cmpstr(rd, ==, v->mboxrd);
		g_assert_cmpstr(o, ==, v->mboxo != NULL ? v->mboxo : v->mboxrd);
		g_assert_cmpstr(auto_, ==, v->mboxrd);
	}
}

/* Every piece size gives the same bytes: a CR and its LF apart, a field name cut
 * anywhere, "From " cut anywhere; also past a small max_header_bytes. */
static void
test_piece_sizes(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		const Vector *v = &vectors[i];
		gsize len = strlen(v->input);
		for (gsize max_header = 0; max_header <= 48; max_header += 16) {
			g_autofree char *whole = write_vector(v, MBOX_QUOTING_MBOXRD, 0, max_header);
			g_autofree char *whole_o = write_vector(v, MBOX_QUOTING_MBOXO, 0, max_header);
			for (gsize piece = 1; piece <= len; piece++) {
				g_autofree char *rd = write_vector(v, MBOX_QUOTING_MBOXRD, piece, max_header);
				g_autofree char *o = write_vector(v, MBOX_QUOTING_MBOXO, piece, max_header);
				g_assert_cmpstr(rd, ==, whole);
				g_assert_cmpstr(o, ==, whole_o);
			}
		}
	}
}

/* Past max_header_bytes: From_ without the Return-Path (it may come later), the
 * complete lines held, the added lines, the rest as it comes (internal fields still
 * left out). */
static void
test_header_limit(void)
{
	static const Vector v = { "limit", NULL, seen, 9,
		"Return-Path: <a@b>\r\nSubject: 0123456789\r\nX-UID: 1\r\nX-Long: abc\r\n\r\nbody\r\n",
		"From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
		"Return-Path: <a@b>\nStatus: RO\nX-UID: 9\nSubject: 0123456789\nX-Long: abc\n\n"
		"body\n\n", NULL };
	for (gsize piece = 0; piece <= strlen(v.input); piece++) {
		g_autofree char *out = write_vector(&v, MBOX_QUOTING_MBOXRD, piece, 30);
		g_assert_cmpstr(out, ==, v.mboxrd);
	}
	/* exactly at the limit (51 bytes held): still held */
	g_autofree char *at = write_vector(&v, MBOX_QUOTING_MBOXRD, 0, 51);
	g_assert_true(g_str_has_prefix(at, "From a@b "));
}

static void
test_zone(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("-05:00");
	MboxWriterSettings settings = { .tz = tz };
	g_autoptr(MboxWriter) w = mbox_writer_new(&settings, append_out, out);
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(tz);
	g_assert_true(mbox_writer_begin(w, "x@y", 1000000000, NULL, 0, &error));  /* 2001-09-09 01:46:40 UTC */
	g_assert_true(mbox_writer_end(w, &error));
	g_assert_cmpstr(out->str, ==, "From x@y Sat Sep  8 20:46:40 2001\nStatus: O\n\n");
}

static void
test_folder_data(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GTimeZone) tz = g_time_zone_new_identifier("+01:00");
	MboxWriterSettings settings = { .tz = tz, .hostname = "mail.example.org" };
	g_autoptr(MboxWriter) w = mbox_writer_new(&settings, append_out, out);
	g_autoptr(GError) error = NULL;
	static const char *const keywords[] = { "$Label1", "not valid", "Junk", "$label1", NULL };

	g_assert_true(mbox_writer_folder_data(w, 1132742306, 1, keywords, 1132742322, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(out->str, ==,
		"From MAILER-DAEMON Wed Nov 23 11:38:42 2005\n"
		"Date: 23 Nov 2005 11:38:42 +0100\n"
		"From: Mail System Internal Data <MAILER-DAEMON@mail.example.org>\n"
		"Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n"
		"Message-ID: <1132742322@mail.example.org>\n"
		"X-IMAP: 1132742306 0000000001 $Label1 Junk\n"
		"Status: RO\n"
		"\n"
		"This text is part of the internal format of your mail folder, and is not\n"
		"a real message.  It is created automatically by the mail system software.\n"
		"If deleted, important folder data will be lost, and it will be re-created\n"
		"with the data reset to initial values.\n"
		"\n");
	g_assert_cmpuint(mbox_writer_bytes(w), ==, out->len);
}

/* A marked message: the mark is written, a planted one dropped, and the reader gives
 * the mark back without it being part of the message. */
static void
test_mark(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(MboxWriter) w = mbox_writer_new(NULL, append_out, out);
	g_autoptr(GError) error = NULL;
	guint8 sha1[20];
	for (int i = 0; i < 20; i++)
		sha1[i] = (guint8)(i * 13);
	mbox_writer_mark(w, sha1, MBOX_QUOTING_NONE);
	g_assert_true(mbox_writer_begin(w, "a@b", DATE, NULL, 3, &error));
	const char *first = "X-Mbox2cyrus-SHA1: planted\r\nSubject: s\r\n\r\nbody\r\n";
	g_assert_true(mbox_writer_write(w, first, strlen(first), &error));
	g_assert_true(mbox_writer_end(w, &error));
	g_assert_cmpstr(out->str, ==, "From a@b Wed Mar  5 14:45:12 2003\nSubject: s\nStatus: O\nX-UID: 3\n"
	                "X-Mbox2cyrus-SHA1: 000d1a2734414e5b6875828f9ca9b6c3d0ddeaf7 file-quoting=none\n\nbody\n\n");
	/* the next message is not marked */
	g_assert_true(mbox_writer_begin(w, "a@b", DATE, NULL, 0, &error));
	const char *second = "Subject: t\r\n\r\nx\r\n";
	g_assert_true(mbox_writer_write(w, second, strlen(second), &error));
	g_assert_true(mbox_writer_end(w, &error));
	g_assert_null(strstr(strstr(out->str, "Subject: t"), "X-Mbox2cyrus"));

	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("m2c-mark-XXXXXX", &path, &error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, out->str, out->len), ==, (gssize)out->len);
	close(fd);
	g_autoptr(MboxReader) reader = mbox_reader_open(path, NULL, &error);
	g_assert_no_error(error);
	g_autoptr(MboxMessage) m = mbox_reader_next(reader, &error);
	g_assert_nonnull(m);
	g_assert_true(m->has_backout_sha1);
	g_assert_true(memcmp(m->backout_sha1, sha1, 20) == 0);
	g_assert_cmpint(m->backout_quoting, ==, MBOX_QUOTING_NONE);
	g_autoptr(GString) copy = g_string_new(NULL);
	g_assert_true(mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, append_out, copy, &error));
	g_assert_cmpstr(copy->str, ==, "Subject: s\r\n\r\nbody\r\n");
	g_autoptr(MboxMessage) m2 = mbox_reader_next(reader, &error);
	g_assert_nonnull(m2);
	g_assert_false(m2->has_backout_sha1);
	g_unlink(path);
}

/* ---- round trip through the reader ---- */

typedef struct {
	const char *input;        /* CRLF, as Cyrus stores it */
	const char *read_back;    /* NULL: the input */
	const char *const *flags;
	const char *const *flags_read;  /* NULL: none */
	guint32 uid;
	gint64 date;
	gboolean bad_header;      /* the reader warns of a header line without a colon */
} Trip;

static const char *const trip_flags[] = { "\\Draft", "\\Seen", "\\Recent", "$Forwarded",
                                          "\\Answered", "\\Deleted", "\\Flagged", NULL };
static const char *const trip_flags_read[] = { "\\Seen", "\\Answered", "\\Flagged",
                                               "\\Deleted", "\\Draft", "$Forwarded", NULL };
static const char *const trip_kw[] = { "NonJunk", NULL };

static const Trip trips[] = {
	{ "Return-Path: <a@example.org>\r\nSubject: one\r\n\r\nFrom the start\r\n>From\r\n"
	  ">From quoted\r\n>>>From deep\r\n\r\nFrom after an empty line\r\n", NULL,
	  trip_flags, trip_flags_read, 17, 1046875512, FALSE },
	{ "Subject: only headers\r\nX-UID: 5\r\n", "Subject: only headers\r\n",
	  NULL, NULL, 18, 946684800, FALSE },
	{ "Subject: no final newline\r\n\r\nlast", "Subject: no final newline\r\n\r\nlast\r\n",
	  trip_kw, trip_kw, 0, 1, FALSE },
	{ "Status: RO\r\nX-Keywords: planted\r\nSubject: planted\r\n\r\nbody\r\n\r\n\r\n",
	  "Subject: planted\r\n\r\nbody\r\n\r\n\r\n", NULL, NULL, 20, 1700000000, FALSE },
	{ ">From no headers\r\nFrom me\r\n\r\nbody\r\n", NULL, NULL, NULL, 21, 1200000000, TRUE },
	{ "Subject: empty body\r\n\r\n", NULL, NULL, NULL, 22, 1300000000, FALSE },
	{ "Subject: last\r\n\r\n>From x\r\n", NULL, trip_kw, trip_kw, 4294967295u, 1400000000, FALSE },
};

static gboolean
append_fd(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)error;
	g_assert_cmpint(write(GPOINTER_TO_INT(user_data), data, len), ==, (gssize)len);
	return TRUE;
}

static void
round_trip(const char *zone, MboxQuoting quoting, gsize piece)
{
	g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(zone);
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	int fd = g_file_open_tmp("m2c-writer-XXXXXX", &path, &error);
	MboxWriterSettings settings = { .quoting = quoting, .tz = tz };
	static const char *const folder_keywords[] = { "$Label1", "NonJunk", NULL };

	g_assert_no_error(error);
	g_assert_nonnull(tz);
	{
		g_autoptr(MboxWriter) w = mbox_writer_new(&settings, append_fd, GINT_TO_POINTER(fd));
		g_assert_true(mbox_writer_folder_data(w, 1234567890, 4294967295u, folder_keywords,
		                                      1046875512, &error));
		for (gsize i = 0; i < G_N_ELEMENTS(trips); i++) {
			const Trip *t = &trips[i];
			gsize len = strlen(t->input);
			g_assert_true(mbox_writer_begin(w, NULL, t->date, t->flags, t->uid, &error));
			for (gsize at = 0; at < len; at += MIN(piece, len - at))
				g_assert_true(mbox_writer_write(w, t->input + at, MIN(piece, len - at), &error));
			g_assert_true(mbox_writer_end(w, &error));
			g_assert_no_error(error);
		}
	}
	close(fd);

	MboxReaderSettings rs;
	mbox_reader_settings_init(&rs);
	rs.source_tz = tz;
	rs.quoting = quoting == MBOX_QUOTING_MBOXO ? MBOX_QUOTING_MBOXO : MBOX_QUOTING_AUTO;
	g_autoptr(MboxReader) reader = mbox_reader_open(path, &rs, &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(trips); i++) {
		const Trip *t = &trips[i];
		g_autoptr(MboxMessage) m = mbox_reader_next(reader, &error);
		g_autoptr(GString) copy = g_string_new(NULL);
		static const char *const none[] = { NULL };
		g_assert_no_error(error);
		g_assert_nonnull(m);
		if (!t->bad_header)
			g_assert_cmpstrv(m->warnings, none);
		g_assert_cmpint(m->has_bad_header_line, ==, t->bad_header);
		g_assert_true(mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, append_out, copy,
		                                       &error));
		g_assert_cmpstr(copy->str, ==, t->read_back != NULL ? t->read_back : t->input);
		g_assert_cmpstrv(m->flags, t->flags_read != NULL ? t->flags_read : none);
		g_assert_cmpuint(m->uid, ==, t->uid);
		g_assert_cmpint(m->date_source, ==, MBOX_DATE_FROM_LINE);
		g_assert_cmpint(g_date_time_to_unix(m->date), ==, t->date);
	}
	g_assert_null(mbox_reader_next(reader, &error));
	g_assert_no_error(error);
	const MboxSummary *s = mbox_reader_summary(reader);
	g_assert_true(s->has_internal_data);
	g_assert_cmpuint(s->uidvalidity, ==, 1234567890);
	g_assert_cmpuint(s->last_uid, ==, 4294967295u);
	g_assert_cmpstrv(s->keywords, folder_keywords);
	g_assert_cmpuint(s->messages, ==, G_N_ELEMENTS(trips));
	g_unlink(path);
}

static void
test_round_trip(void)
{
	static const char *const zones[] = { "UTC", "+01:00", "-09:30" };
	for (gsize z = 0; z < G_N_ELEMENTS(zones); z++)
		for (gsize piece = 1; piece <= 7; piece += 3) {
			round_trip(zones[z], MBOX_QUOTING_MBOXRD, piece);
			round_trip(zones[z], MBOX_QUOTING_MBOXRD, 1 << 20);
		}
}

/* mboxo cannot keep ">From" lines; everything else comes back. */
static void
test_round_trip_mboxo(void)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	int fd = g_file_open_tmp("m2c-writer-XXXXXX", &path, &error);
	static const char input[] = "Subject: o\r\n\r\nFrom here\r\n>>From kept? no\r\nx\r\n";
	static const char expected[] = "Subject: o\r\n\r\nFrom here\r\n>>From kept? no\r\nx\r\n";
	MboxWriterSettings settings = { .quoting = MBOX_QUOTING_MBOXO };
	{
		g_autoptr(MboxWriter) w = mbox_writer_new(&settings, append_fd, GINT_TO_POINTER(fd));
		g_assert_true(mbox_writer_begin(w, NULL, DATE, NULL, 0, &error));
		g_assert_true(mbox_writer_write(w, input, strlen(input), &error));
		g_assert_true(mbox_writer_end(w, &error));
	}
	close(fd);
	MboxReaderSettings rs;
	mbox_reader_settings_init(&rs);
	rs.quoting = MBOX_QUOTING_MBOXO;
	g_autoptr(MboxReader) reader = mbox_reader_open(path, &rs, &error);
	g_assert_no_error(error);
	g_autoptr(MboxMessage) m = mbox_reader_next(reader, &error);
	g_autoptr(GString) copy = g_string_new(NULL);
	g_assert_nonnull(m);
	g_assert_true(mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, append_out, copy, &error));
	g_assert_cmpstr(copy->str, ==, expected);
	g_unlink(path);
}

/* ---- long lines, abort, write errors ---- */

typedef struct {
	guint64 total;
	gsize largest;
	guint64 prefix_ok;   /* bytes checked against the expected pattern */
} Counter;

static gboolean
count_out(const char *data, gsize len, gpointer user_data, GError **error)
{
	Counter *c = user_data;
	(void)error;
	(void)data;
	c->total += len;
	c->largest = MAX(c->largest, len);
	return TRUE;
}

static void
test_long_lines(void)
{
	Counter c = { 0 };
	g_autoptr(MboxWriter) w = mbox_writer_new(NULL, count_out, &c);
	g_autoptr(GError) error = NULL;
	g_autofree char *piece = g_malloc(64 * 1024);
	const gsize total = 10 * 1024 * 1024;

	/* a 10 MB body line: handed on while it comes */
	g_assert_true(mbox_writer_begin(w, NULL, DATE, NULL, 0, &error));
	g_assert_true(mbox_writer_write(w, "Subject: big\n\n", 14, &error));
	memset(piece, 'x', 64 * 1024);
	for (gsize at = 0; at < total; at += 64 * 1024)
		g_assert_true(mbox_writer_write(w, piece, 64 * 1024, &error));
	g_assert_cmpuint(mbox_writer_bytes(w), >, total - 128 * 1024);
	g_assert_true(mbox_writer_end(w, &error));
	g_assert_cmpuint(c.largest, <=, 128 * 1024);

	/* a 10 MB header line with the default 1 MiB limit: handed on too */
	guint64 before = mbox_writer_bytes(w);
	g_assert_true(mbox_writer_begin(w, NULL, DATE, NULL, 0, &error));
	g_assert_true(mbox_writer_write(w, "X-Big: ", 7, &error));
	for (gsize at = 0; at < total; at += 64 * 1024)
		g_assert_true(mbox_writer_write(w, piece, 64 * 1024, &error));
	g_assert_cmpuint(mbox_writer_bytes(w) - before, >, total - 1024 * 1024);
	g_assert_true(mbox_writer_write(w, "\n\nbody\n", 7, &error));
	g_assert_true(mbox_writer_end(w, &error));
	g_assert_no_error(error);

	/* a 1 MB run of '>' before "From ": counted, not held, quoted */
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(MboxWriter) w2 = mbox_writer_new(NULL, append_out, out);
	memset(piece, '>', 64 * 1024);
	g_assert_true(mbox_writer_begin(w2, "a@b", DATE, NULL, 0, &error));
	g_assert_true(mbox_writer_write(w2, "\n", 1, &error));
	for (int i = 0; i < 16; i++)
		g_assert_true(mbox_writer_write(w2, piece, 64 * 1024, &error));
	g_assert_true(mbox_writer_write(w2, "From x\n>>", 9, &error));
	g_assert_true(mbox_writer_end(w2, &error));
	static const char head[] = "From a@b Wed Mar  5 14:45:12 2003\nStatus: O\n\n";
	g_assert_cmpuint(out->len, ==, strlen(head) + 1 + 16 * 64 * 1024 + 7 + 3 + 1);
	g_assert_true(g_str_has_prefix(out->str, head));
	g_assert_true(g_str_has_suffix(out->str, ">>From x\n>>\n\n"));
	for (gsize i = strlen(head); i < out->len - 12; i++)
		if (out->str[i] != '>')
			g_assert_cmpint(out->str[i], ==, '>');
}

static gboolean
fail_out(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)data;
	(void)len;
	(void)user_data;
	g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full");
	return FALSE;
}

static void
test_abort_and_errors(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(MboxWriter) w = mbox_writer_new(NULL, append_out, out);
	g_autoptr(GError) error = NULL;

	g_assert_true(mbox_writer_begin(w, NULL, DATE, NULL, 0, &error));
	g_assert_true(mbox_writer_write(w, "Subject: a\n\nbody\n", 17, &error));
	mbox_writer_abort(w);
	g_assert_cmpuint(mbox_writer_bytes(w), ==, 0);
	g_assert_cmpuint(out->len, ==, 0);
	g_assert_true(mbox_writer_begin(w, NULL, DATE, NULL, 0, &error));
	g_assert_true(mbox_writer_write(w, "Subject: b\n\nbody\n", 17, &error));
	g_assert_true(mbox_writer_end(w, &error));
	g_assert_cmpstr(out->str, ==, "From MAILER-DAEMON Wed Mar  5 14:45:12 2003\n"
	                              "Subject: b\nStatus: O\n\nbody\n\n");

	/* the write function's error comes back; abort makes the writer usable again */
	g_autoptr(MboxWriter) bad = mbox_writer_new(NULL, fail_out, NULL);
	g_assert_true(mbox_writer_begin(bad, NULL, DATE, NULL, 0, &error));
	g_assert_true(mbox_writer_write(bad, "Subject: c\n\nbody\n", 17, &error));
	g_assert_false(mbox_writer_end(bad, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_clear_error(&error);
	mbox_writer_abort(bad);
	g_assert_cmpuint(mbox_writer_bytes(bad), ==, 0);
	g_assert_true(mbox_writer_begin(bad, NULL, DATE, NULL, 0, &error));
	mbox_writer_abort(bad);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mbox-writer/vectors", test_vectors);
	g_test_add_func("/mbox-writer/piece-sizes", test_piece_sizes);
	g_test_add_func("/mbox-writer/header-limit", test_header_limit);
	g_test_add_func("/mbox-writer/zone", test_zone);
	g_test_add_func("/mbox-writer/folder-data", test_folder_data);
	g_test_add_func("/mbox-writer/mark", test_mark);
	g_test_add_func("/mbox-writer/round-trip", test_round_trip);
	g_test_add_func("/mbox-writer/round-trip-mboxo", test_round_trip_mboxo);
	g_test_add_func("/mbox-writer/long-lines", test_long_lines);
	g_test_add_func("/mbox-writer/abort-and-errors", test_abort_and_errors);
	return g_test_run();
}
