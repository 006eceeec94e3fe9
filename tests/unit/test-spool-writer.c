/* test-spool-writer.c -- convert/spool-writer.c: the N. files a folder becomes, byte
 * for byte (CRLF, the mailbox-internal headers gone, mboxrd quoting undone), mode
 * 0600, owned as asked, mtime the From_ line's date; N the X-UID when every message
 * of the mailbox's only source has a rising one, else uid_base + 1, 2, 3 ...; an N.
 * that exists is never rewritten (and a rerun after a crash ends with the same
 * directory); an empty message is not stored; counts exact; errors keep their errno.
 * The expected bytes are written out here by hand, never computed by the reader. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "failure.h"
#include "spool-writer.h"

/* ---- three folders and what each message must become ---- */

/* Rising X-UIDs 10, 20, 35; every internal header, a continuation of one, a
 * Content-Length that fits, mboxrd quoting. */
static const char xuid_mbox[] =
	"From alice@example.org Wed Jul  1 13:17:17 1998\n"
	"Status: RO\n"
	"X-Status: AF\n"
	"X-Keywords: $Label1\n"
	"X-UID: 10\n"
	"Subject: one\n"
	"X-UID-Note: kept, not an internal field\n"
	"\n"
	"body one\n"
	">From quoted once\n"
	">>From quoted twice\n"
	"\n"
	"From bob@example.org Sat Sep  1 20:58:00 2001\n"
	"X-UID: 20\n"
	"Content-Length: 6\n"
	"Subject: two\n"
	"\n"
	"hello\n"
	"\n"
	"From carol@example.org Mon Jan  5 08:50:15 2004\n"
	"Subject: three\n"
	" continued\n"
	"X-UID: 35\n"
	"X-Status: A\n"
	"\tcontinued internal\n"
	"Date: not looked at\n"
	"\n"
	"last line\n";

static const char *const xuid_files[] = {
	"Subject: one\r\nX-UID-Note: kept, not an internal field\r\n\r\n"
	"body one\r\nFrom quoted once\r\n>From quoted twice\r\n",
	"Subject: two\r\n\r\nhello\r\n",
	"Subject: three\r\n continued\r\nDate: not looked at\r\n\r\nlast line\r\n",
};
static const guint32 xuid_uids[] = { 10, 20, 35 };

/* No X-UIDs; three plain messages, the last without a final newline. */
static const char plain_mbox[] =
	"From a@example.org Fri Feb 14 10:00:00 2020\n"
	"Subject: a\n"
	"\n"
	"alpha\n"
	"\n"
	"From b@example.org Sat Feb 15 11:30:05 2020\n"
	"Subject: b\n"
	"\n"
	"beta\n"
	"\n"
	"\n"
	"From c@example.org Sun Feb 16 23:59:59 2020\n"
	"Subject: c\n"
	"\n"
	"no final newline";

static const char *const plain_files[] = {
	"Subject: a\r\n\r\nalpha\r\n",
	"Subject: b\r\n\r\nbeta\r\n\r\n",   /* the second empty line is the message's */
	"Subject: c\r\n\r\nno final newline",
};

/* Message 2 is empty (reconstruct would delete its file); message 3 holds a NUL. */
static const char problem_mbox[] =
	"From a@example.org Fri Feb 14 10:00:00 2020\n"
	"Subject: a\n"
	"\n"
	"alpha\n"
	"\n"
	"From empty@example.org Sat Feb 15 11:30:05 2020\n"
	"\n"
	"From nul@example.org Sun Feb 16 23:59:59 2020\n"
	"Subject: nul\n"
	"\n"
	"a\0b\n"
	"\n"
	"From d@example.org Mon Feb 17 00:00:00 2020\n"
	"Subject: d\n"
	"\n"
	"delta\n";

/* What problem_mbox's stored messages become, as files 1., 3. and 4. */
static const char problem_file_1[] = "Subject: a\r\n\r\nalpha\r\n";
static const char problem_file_3[] = "Subject: nul\r\n\r\na\0b\r\n";
static const char problem_file_4[] = "Subject: d\r\n\r\ndelta\r\n";
#define PROBLEM_BYTES (sizeof problem_file_1 - 1 + sizeof problem_file_3 - 1 + sizeof problem_file_4 - 1)

static gint64
utc(int y, int mo, int d, int h, int mi, int s)
{
	g_autoptr(GDateTime) t = g_date_time_new_utc(y, mo, d, h, mi, s);
	return g_date_time_to_unix(t);
}

/* ---- helpers ---- */

static void
remove_tree(const char *path)
{
	GStatBuf st;
	if (g_lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
		const char *name;
		while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(path, name, NULL);
			remove_tree(p);
		}
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

typedef struct {
	char *root;     /* the temporary directory */
	char *spool;    /* root/spool: the mailbox directory */
} Fixture;

static void
fixture_init(Fixture *f)
{
	f->root = g_dir_make_tmp("m2c-spool-XXXXXX", NULL);
	g_assert_nonnull(f->root);
	f->spool = g_build_filename(f->root, "spool", NULL);
	g_assert_cmpint(g_mkdir(f->spool, 0700), ==, 0);
}

static void
fixture_clear(Fixture *f)
{
	remove_tree(f->root);
	g_free(f->root);
	g_free(f->spool);
}

static char *
write_source(Fixture *f, const char *name, const char *data, gsize len)
{
	char *path = g_build_filename(f->root, name, NULL);
	g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
	return path;
}

static MboxReader *
open_source(const char *path)
{
	MboxReaderSettings settings;
	g_autoptr(GTimeZone) tz = g_time_zone_new_utc();
	g_autoptr(GError) error = NULL;

	mbox_reader_settings_init(&settings);
	settings.source_tz = tz;   /* the reader takes its own reference */
	MboxReader *reader = mbox_reader_open(path, &settings, &error);
	g_assert_no_error(error);
	g_assert_nonnull(reader);
	return reader;
}

/* What the target's callbacks heard, in order, one line each. */
typedef struct {
	GPtrArray *events;   /* "stored MSG UID" or "problem MSG stored=0|1 TEXT" */
} Heard;

static void
on_problem(gpointer data, const MboxMessage *m, gboolean stored, const char *text)
{
	Heard *h = data;
	g_ptr_array_add(h->events, g_strdup_printf("problem %" G_GUINT64_FORMAT " stored=%d %s",
	                                           m->number, stored ? 1 : 0, text));
}

static void
on_stored(gpointer data, const MboxMessage *m, guint32 uid)
{
	Heard *h = data;
	g_ptr_array_add(h->events, g_strdup_printf("stored %" G_GUINT64_FORMAT " %u", m->number, uid));
}

/* Write the folder at `source` into `dir`. */
static gboolean
spool(const char *source, const char *dir, guint n_sources, guint32 base, SpoolCounts *counts,
      Heard *heard, GError **error)
{
	SpoolSettings settings = { .uid = getuid(), .gid = getgid(), .fsync = SPOOL_FSYNC_BATCH };
	DeliveryTarget target = {
		.mailbox = "user.test", .source = source, .n_sources = n_sources,
		.problem = on_problem, .stored = on_stored, .data = heard,
	};
	g_autoptr(MboxReader) reader = open_source(source);
	heard->events = g_ptr_array_new_with_free_func(g_free);
	memset(counts, 0xa5, sizeof *counts);   /* the call must set every count */
	return spool_write_messages(&settings, reader, &target, dir, base, counts, error);
}

static void
heard_clear(Heard *h)
{
	g_clear_pointer(&h->events, g_ptr_array_unref);
}

/* The events heard, one per line, for one comparison that shows them all. */
static char *
heard_text(const Heard *h)
{
	g_autoptr(GString) s = g_string_new(NULL);
	for (guint i = 0; i < h->events->len; i++)
		g_string_append_printf(s, "%s\n", (const char *)g_ptr_array_index(h->events, i));
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The names in `dir`, sorted numerically, space-separated. */
static gint
by_number(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	guint64 nx = g_ascii_strtoull(x, NULL, 10), ny = g_ascii_strtoull(y, NULL, 10);
	return nx < ny ? -1 : nx > ny ? 1 : strcmp(x, y);
}

static char *
dir_listing(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	g_assert_nonnull(d);
	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, by_number);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

/* `dir`/`name` holds exactly `want`, mode 0600, ours, mtime `mtime`. */
static void
check_file(const char *dir, const char *name, const char *want, gsize want_len, gint64 mtime)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *got = NULL;
	gsize got_len = 0;
	struct stat st;

	g_test_message("checking %s", path);
	g_assert_true(g_file_get_contents(path, &got, &got_len, NULL));
	g_assert_cmpmem(got, got_len, want, want_len);
	g_assert_cmpint(lstat(path, &st), ==, 0);
	g_assert_true(S_ISREG(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	g_assert_cmpint(st.st_uid, ==, getuid());
	g_assert_cmpint(st.st_gid, ==, getgid());
	g_assert_cmpint(st.st_mtime, ==, mtime);
	g_assert_cmpint(st.st_nlink, ==, 1);
}

static gint64
sum_lengths(const char *const *files, gsize n)
{
	gint64 total = 0;
	for (gsize i = 0; i < n; i++)
		total += (gint64)strlen(files[i]);
	return total;
}

/* ---- the tests ---- */

/* The mailbox's only source, with rising X-UIDs: the files are named by them. */
static void
test_x_uids_kept(void)
{
	Fixture f;
	fixture_init(&f);
	g_autofree char *src = write_source(&f, "sent", xuid_mbox, sizeof xuid_mbox - 1);
	g_autoptr(GError) error = NULL;
	SpoolCounts c;
	Heard h;
	const gint64 dates[] = { utc(1998, 7, 1, 13, 17, 17), utc(2001, 9, 1, 20, 58, 0),
	                         utc(2004, 1, 5, 8, 50, 15) };

	g_assert_true(spool(src, f.spool, 1, 0, &c, &h, &error));
	g_assert_no_error(error);
	g_autofree char *listing = dir_listing(f.spool);
	g_assert_cmpstr(listing, ==, "10. 20. 35.");
	for (gsize i = 0; i < G_N_ELEMENTS(xuid_files); i++) {
		char name[16];
		g_snprintf(name, sizeof name, "%u.", xuid_uids[i]);
		check_file(f.spool, name, xuid_files[i], strlen(xuid_files[i]), dates[i]);
	}
	g_assert_cmpuint(c.messages, ==, 3);
	g_assert_cmpuint(c.written, ==, 3);
	g_assert_cmpuint(c.existed, ==, 0);
	g_assert_cmpuint(c.skipped, ==, 0);
	g_assert_cmpint(c.bytes, ==, sum_lengths(xuid_files, 3));
	g_assert_true(c.kept_x_uid);
	g_autofree char *events = heard_text(&h);
	g_assert_cmpstr(events, ==, "stored 1 10\nstored 2 20\nstored 3 35\n");
	heard_clear(&h);
	fixture_clear(&f);
}

/* The same folder as one of two sources of its mailbox: numbered on from uid_base,
 * the X-UIDs ignored (they could collide with the other source's). */
static void
test_x_uids_not_kept_for_two_sources(void)
{
	Fixture f;
	fixture_init(&f);
	g_autofree char *src = write_source(&f, "sent", xuid_mbox, sizeof xuid_mbox - 1);
	g_autoptr(GError) error = NULL;
	SpoolCounts c;
	Heard h;

	g_assert_true(spool(src, f.spool, 2, 7, &c, &h, &error));
	g_assert_no_error(error);
	g_autofree char *listing = dir_listing(f.spool);
	g_assert_cmpstr(listing, ==, "8. 9. 10.");
	check_file(f.spool, "8.", xuid_files[0], strlen(xuid_files[0]), utc(1998, 7, 1, 13, 17, 17));
	check_file(f.spool, "9.", xuid_files[1], strlen(xuid_files[1]), utc(2001, 9, 1, 20, 58, 0));
	check_file(f.spool, "10.", xuid_files[2], strlen(xuid_files[2]), utc(2004, 1, 5, 8, 50, 15));
	g_assert_false(c.kept_x_uid);
	g_assert_cmpuint(c.messages, ==, 3);
	g_assert_cmpuint(c.written, ==, 3);
	g_assert_cmpint(c.bytes, ==, sum_lengths(xuid_files, 3));
	g_autofree char *events = heard_text(&h);
	g_assert_cmpstr(events, ==, "stored 1 8\nstored 2 9\nstored 3 10\n");
	heard_clear(&h);
	fixture_clear(&f);
}

/* No X-UIDs: 1, 2, 3 in source order; after uid_base when one is given.  A CRLF
 * source gives the same files. */
static void
test_sequence(void)
{
	g_autoptr(GString) crlf = g_string_new(NULL);
	for (const char *p = plain_mbox; *p != '\0'; p++)
		g_string_append(crlf, *p == '\n' ? "\r\n" : (char[]){ *p, 0 });
	const struct {
		const char *text;
		gsize len;
		guint32 base;
		const char *listing, *events;
	} cases[] = {
		{ plain_mbox, sizeof plain_mbox - 1, 0, "1. 2. 3.", "stored 1 1\nstored 2 2\nstored 3 3\n" },
		{ crlf->str, crlf->len, 0, "1. 2. 3.", "stored 1 1\nstored 2 2\nstored 3 3\n" },
		{ plain_mbox, sizeof plain_mbox - 1, 41, "42. 43. 44.",
		  "stored 1 42\nstored 2 43\nstored 3 44\n" },
	};
	const gint64 dates[] = { utc(2020, 2, 14, 10, 0, 0), utc(2020, 2, 15, 11, 30, 5),
	                         utc(2020, 2, 16, 23, 59, 59) };

	for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
		Fixture f;
		fixture_init(&f);
		g_autofree char *src = write_source(&f, "inbox", cases[k].text, cases[k].len);
		g_autoptr(GError) error = NULL;
		SpoolCounts c;
		Heard h;

		g_test_message("case %zu", k);
		g_assert_true(spool(src, f.spool, 1, cases[k].base, &c, &h, &error));
		g_assert_no_error(error);
		g_autofree char *listing = dir_listing(f.spool);
		g_assert_cmpstr(listing, ==, cases[k].listing);
		for (guint i = 0; i < 3; i++) {
			char name[16];
			g_snprintf(name, sizeof name, "%u.", cases[k].base + i + 1);
			check_file(f.spool, name, plain_files[i], strlen(plain_files[i]), dates[i]);
		}
		g_assert_false(c.kept_x_uid);
		g_assert_cmpuint(c.messages, ==, 3);
		g_assert_cmpuint(c.written, ==, 3);
		g_assert_cmpuint(c.existed, ==, 0);
		g_assert_cmpuint(c.skipped, ==, 0);
		g_assert_cmpint(c.bytes, ==, sum_lengths(plain_files, 3));
		g_autofree char *events = heard_text(&h);
		g_assert_cmpstr(events, ==, cases[k].events);
		heard_clear(&h);
		fixture_clear(&f);
	}
}

/* spool_plan_uids: X-UIDs only when every message has one and they rise strictly;
 * the reader is rewound either way.  spool_uid_of: the X-UID or base + number. */
static void
test_plan_uids(void)
{
	static const struct {
		const char *uids;   /* X-UID values, "-" for none */
		gboolean keep;
	} cases[] = {
		{ "1 2 3", TRUE },
		{ "5 900 4294967295", TRUE },
		{ "7", TRUE },
		{ "- - -", FALSE },
		{ "1 - 3", FALSE },
		{ "1 2 -", FALSE },          /* the last one missing */
		{ "3 2 5", FALSE },          /* falls */
		{ "2 2 3", FALSE },          /* equal is not rising */
		{ "0 1 2", FALSE },          /* X-UID 0 is no UID */
		{ "1 2 4294967296", FALSE }, /* not a 32-bit UID */
		{ "1 2 x", FALSE },
		{ "", FALSE },               /* no messages: nothing to keep */
	};
	for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
		Fixture f;
		fixture_init(&f);
		g_auto(GStrv) uids = g_strsplit(cases[k].uids, " ", -1);
		g_autoptr(GString) text = g_string_new(NULL);
		g_autoptr(GError) error = NULL;
		gboolean keep = !cases[k].keep;
		guint n = g_strv_length(uids);

		for (guint i = 0; i < n; i++) {
			g_string_append_printf(text, "From x@example.org Mon Jan  1 00:00:0%u 2001\n", i);
			if (strcmp(uids[i], "-") != 0)
				g_string_append_printf(text, "X-UID: %s\n", uids[i]);
			g_string_append_printf(text, "Subject: %u\n\nbody\n\n", i + 1);
		}
		g_autofree char *src = write_source(&f, "box", text->str, text->len);
		g_autoptr(MboxReader) reader = open_source(src);

		g_test_message("case %zu: X-UIDs %s", k, cases[k].uids);
		g_assert_true(spool_plan_uids(reader, &keep, &error));
		g_assert_no_error(error);
		g_assert_cmpint(keep, ==, cases[k].keep);
		/* rewound: every message again, from the first */
		MboxMessage *m;
		guint64 seen = 0;
		while ((m = mbox_reader_next(reader, &error)) != NULL) {
			g_assert_cmpuint(m->number, ==, ++seen);
			guint32 want = keep ? (guint32)g_ascii_strtoull(uids[seen - 1], NULL, 10)
			                    : 100 + (guint32)seen;
			g_assert_cmpuint(spool_uid_of(m, keep, 100), ==, want);
			mbox_message_free(m);
		}
		g_assert_no_error(error);
		g_assert_cmpuint(seen, ==, n);
		fixture_clear(&f);
	}

	/* spool_uid_of on its own */
	MboxMessage m = { .number = 3, .uid = 77 };
	g_assert_cmpuint(spool_uid_of(&m, TRUE, 1000), ==, 77);
	g_assert_cmpuint(spool_uid_of(&m, FALSE, 1000), ==, 1003);
	g_assert_cmpuint(spool_uid_of(&m, FALSE, 0), ==, 3);
}

/* An empty file is an empty folder: nothing written, every count 0, and no X-UIDs
 * said to be kept. */
static void
test_empty_source(void)
{
	Fixture f;
	fixture_init(&f);
	g_autofree char *src = write_source(&f, "empty", "", 0);
	g_autoptr(GError) error = NULL;
	SpoolCounts c;
	Heard h;

	g_assert_true(spool(src, f.spool, 1, 5, &c, &h, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(c.messages, ==, 0);
	g_assert_cmpuint(c.written, ==, 0);
	g_assert_cmpuint(c.existed, ==, 0);
	g_assert_cmpuint(c.skipped, ==, 0);
	g_assert_cmpint(c.bytes, ==, 0);
	g_assert_false(c.kept_x_uid);
	g_assert_cmpuint(h.events->len, ==, 0);
	g_autofree char *listing = dir_listing(f.spool);
	g_assert_cmpstr(listing, ==, "");
	heard_clear(&h);
	fixture_clear(&f);
}

/* An N. that is there is never rewritten: it stays as it was, counts as existed, and
 * its message is reported stored under that UID. */
static void
test_existing_file_kept(void)
{
	static const char other[] = "not what the folder says\r\n";
	Fixture f;
	fixture_init(&f);
	g_autofree char *src = write_source(&f, "inbox", plain_mbox, sizeof plain_mbox - 1);
	g_autofree char *two = g_build_filename(f.spool, "2.", NULL);
	g_autoptr(GError) error = NULL;
	struct timespec old[2] = { { .tv_sec = 1000000 }, { .tv_sec = 1000000 } };
	SpoolCounts c;
	Heard h;

	g_assert_true(g_file_set_contents(two, other, -1, NULL));
	g_assert_cmpint(chmod(two, 0644), ==, 0);
	g_assert_cmpint(utimensat(AT_FDCWD, two, old, 0), ==, 0);

	g_assert_true(spool(src, f.spool, 1, 0, &c, &h, &error));
	g_assert_no_error(error);
	g_autofree char *listing = dir_listing(f.spool);
	g_assert_cmpstr(listing, ==, "1. 2. 3.");
	check_file(f.spool, "1.", plain_files[0], strlen(plain_files[0]), utc(2020, 2, 14, 10, 0, 0));
	check_file(f.spool, "3.", plain_files[2], strlen(plain_files[2]), utc(2020, 2, 16, 23, 59, 59));
	g_autofree char *got = NULL;
	struct stat st;
	g_assert_true(g_file_get_contents(two, &got, NULL, NULL));
	g_assert_cmpstr(got, ==, other);
	g_assert_cmpint(stat(two, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0644);
	g_assert_cmpint(st.st_mtime, ==, 1000000);

	g_assert_cmpuint(c.messages, ==, 3);
	g_assert_cmpuint(c.written, ==, 2);
	g_assert_cmpuint(c.existed, ==, 1);
	g_assert_cmpuint(c.skipped, ==, 0);
	/* the bytes found count as they are, not as the folder would have them */
	g_assert_cmpint(c.bytes, ==, (gint64)(strlen(plain_files[0]) + strlen(other) +
	                                      strlen(plain_files[2])));
	g_autofree char *events = heard_text(&h);
	g_assert_cmpstr(events, ==, "stored 1 1\nstored 2 2\nstored 3 3\n");
	heard_clear(&h);
	fixture_clear(&f);
}

/* An empty message is not stored (problem, stored=FALSE, no file, its UID unused); a
 * NUL byte is a warning about a message that is stored (problem, stored=TRUE). */
static void
test_problems(void)
{
	Fixture f;
	fixture_init(&f);
	g_autofree char *src = write_source(&f, "inbox", problem_mbox, sizeof problem_mbox - 1);
	g_autoptr(GError) error = NULL;
	SpoolCounts c;
	Heard h;

	g_assert_true(spool(src, f.spool, 1, 0, &c, &h, &error));
	g_assert_no_error(error);
	g_autofree char *listing = dir_listing(f.spool);
	g_assert_cmpstr(listing, ==, "1. 3. 4.");
	check_file(f.spool, "1.", problem_file_1, sizeof problem_file_1 - 1, utc(2020, 2, 14, 10, 0, 0));
	check_file(f.spool, "3.", problem_file_3, sizeof problem_file_3 - 1, utc(2020, 2, 16, 23, 59, 59));
	check_file(f.spool, "4.", problem_file_4, sizeof problem_file_4 - 1, utc(2020, 2, 17, 0, 0, 0));
	g_assert_cmpuint(c.messages, ==, 4);
	g_assert_cmpuint(c.written, ==, 3);
	g_assert_cmpuint(c.existed, ==, 0);
	g_assert_cmpuint(c.skipped, ==, 1);
	g_assert_cmpint(c.bytes, ==, (gint64)PROBLEM_BYTES);

	g_autofree char *events = heard_text(&h);
	g_test_message("heard:\n%s", events);
	g_assert_cmpuint(h.events->len, ==, 5);
	if (h.events->len == 5) {
		const char *const *e = (const char *const *)h.events->pdata;
		g_assert_cmpstr(e[0], ==, "stored 1 1");
		g_assert_true(g_str_has_prefix(e[1], "problem 2 stored=0 an empty message"));
		g_assert_true(g_str_has_prefix(e[2], "problem 3 stored=1 contains a NUL byte"));
		g_assert_cmpstr(e[3], ==, "stored 3 3");
		g_assert_cmpstr(e[4], ==, "stored 4 4");
	}
	heard_clear(&h);
	fixture_clear(&f);
}

/* A crash part way through, then the same call again: the directory ends as one
 * uninterrupted call leaves it, every message counted once, as written or existed. */
typedef struct {
	char *name;
	GBytes *bytes;
	guint mode;
	gint64 mtime;
} Snap;

static GPtrArray *
snapshot(const char *dir)
{
	g_autofree char *listing = dir_listing(dir);
	g_auto(GStrv) names = g_strsplit(listing, " ", -1);
	GPtrArray *snaps = g_ptr_array_new();
	for (char **n = names; *n != NULL && **n != '\0'; n++) {
		g_autofree char *path = g_build_filename(dir, *n, NULL);
		Snap *s = g_new0(Snap, 1);
		struct stat st;
		char *data = NULL;
		gsize len = 0;
		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		g_assert_cmpint(stat(path, &st), ==, 0);
		s->name = g_strdup(*n);
		s->bytes = g_bytes_new_take(data, len);
		s->mode = st.st_mode & 07777;
		s->mtime = st.st_mtime;
		g_ptr_array_add(snaps, s);
	}
	return snaps;
}

static void
snapshot_free(GPtrArray *snaps)
{
	for (guint i = 0; i < snaps->len; i++) {
		Snap *s = g_ptr_array_index(snaps, i);
		g_free(s->name);
		g_bytes_unref(s->bytes);
		g_free(s);
	}
	g_ptr_array_unref(snaps);
}

static void
check_same(GPtrArray *a, GPtrArray *b)
{
	g_assert_cmpuint(a->len, ==, b->len);
	for (guint i = 0; i < MIN(a->len, b->len); i++) {
		Snap *x = g_ptr_array_index(a, i), *y = g_ptr_array_index(b, i);
		g_assert_cmpstr(x->name, ==, y->name);
		g_assert_true(g_bytes_equal(x->bytes, y->bytes));
		g_assert_cmpuint(x->mode, ==, y->mode);
		g_assert_cmpint(x->mtime, ==, y->mtime);
	}
}

static void
test_rerun_after_crash(void)
{
	Fixture f;
	fixture_init(&f);
	g_autofree char *src = write_source(&f, "inbox", problem_mbox, sizeof problem_mbox - 1);
	SpoolCounts c;
	Heard h;

	g_assert_true(spool(src, f.spool, 1, 0, &c, &h, NULL));
	g_autofree char *first_events = heard_text(&h);
	heard_clear(&h);
	GPtrArray *whole = snapshot(f.spool);
	g_assert_cmpuint(whole->len, ==, 3);

	/* as if killed after 0, 1, 2 or all 3 files were linked in (the unnamed
	 * O_TMPFILE of the one being written vanishes with the process) */
	for (guint kept = 0; kept <= 3; kept++) {
		static const char *const names[] = { "1.", "3.", "4." };
		for (guint i = kept; i < 3; i++) {
			g_autofree char *p = g_build_filename(f.spool, names[i], NULL);
			g_unlink(p);
		}
		g_autoptr(GError) error = NULL;
		g_test_message("rerun with %u of 3 files there", kept);
		g_assert_true(spool(src, f.spool, 1, 0, &c, &h, &error));
		g_assert_no_error(error);
		GPtrArray *again = snapshot(f.spool);
		check_same(whole, again);
		snapshot_free(again);
		g_assert_cmpuint(c.messages, ==, 4);
		g_assert_cmpuint(c.existed, ==, kept);
		g_assert_cmpuint(c.written, ==, 3 - kept);
		g_assert_cmpuint(c.written + c.existed + c.skipped, ==, c.messages);
		g_assert_cmpuint(c.skipped, ==, 1);
		g_assert_cmpint(c.bytes, ==, (gint64)PROBLEM_BYTES);
		/* the same messages reported, under the same UIDs */
		g_autofree char *events = heard_text(&h);
		g_assert_cmpstr(events, ==, first_events);
		heard_clear(&h);
	}
	snapshot_free(whole);
	fixture_clear(&f);
}

/* The directory cannot be used: a G_FILE_ERROR with the errno's code, so that
 * failure_classify sees it; nothing is reported stored.  A source that is not an mbox:
 * M2C_MBOX_ERROR, nothing written. */
static void
test_errors(void)
{
	Fixture f;
	fixture_init(&f);
	g_autofree char *src = write_source(&f, "inbox", plain_mbox, sizeof plain_mbox - 1);
	g_autofree char *missing = g_build_filename(f.root, "no-such-dir", NULL);
	g_autofree char *junk = write_source(&f, "junk", "Subject: no From_ line\n\nbody\n", 29);
	SpoolCounts c;
	Heard h;

	for (guint n_sources = 1; n_sources <= 2; n_sources++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(spool(src, missing, n_sources, 0, &c, &h, &error));
		g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
		if (error != NULL) {
			g_assert_nonnull(strstr(error->message, missing));
			Failure fl = failure_classify(error, FAILURE_MAILBOX);
			g_assert_cmpint(fl.scope, ==, FAILURE_MAILBOX);
			g_assert_false(fl.temporary);
		}
		g_assert_cmpuint(h.events->len, ==, 0);
		heard_clear(&h);
		g_clear_error(&error);

		/* a file where the directory should be */
		g_assert_false(spool(src, src, n_sources, 0, &c, &h, &error));
		g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
		heard_clear(&h);
		g_clear_error(&error);

		g_assert_false(spool(junk, f.spool, n_sources, 0, &c, &h, &error));
		g_assert_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_NOT_MBOX);
		g_assert_cmpuint(h.events->len, ==, 0);
		heard_clear(&h);
		g_autofree char *listing = dir_listing(f.spool);
		g_assert_cmpstr(listing, ==, "");
	}
	fixture_clear(&f);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/spool-writer/x-uids-kept", test_x_uids_kept);
	g_test_add_func("/spool-writer/x-uids-not-kept-for-two-sources",
	                test_x_uids_not_kept_for_two_sources);
	g_test_add_func("/spool-writer/sequence", test_sequence);
	g_test_add_func("/spool-writer/plan-uids", test_plan_uids);
	g_test_add_func("/spool-writer/empty-source", test_empty_source);
	g_test_add_func("/spool-writer/existing-file-kept", test_existing_file_kept);
	g_test_add_func("/spool-writer/problems", test_problems);
	g_test_add_func("/spool-writer/rerun-after-crash", test_rerun_after_crash);
	g_test_add_func("/spool-writer/errors", test_errors);
	return g_test_run();
}
