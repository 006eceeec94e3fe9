/* test-source-digest.c -- backout/source-digest: each message's SHA-1 and size are
 * those of the bytes convert stores (CRLF, the mailbox-internal headers gone, mboxrd
 * quoting undone), whatever the line endings of the source; number, offset, date,
 * flags and envelope sender as the reader gave them; an empty message goes to the
 * callback, not into the array; a missing source is an error naming it; a file whose
 * writer never quoted keeps its ">From" lines (AUTO decides that only at its end).
 * The expected bytes are written out here by hand and hashed with GChecksum, never
 * computed by the reader. */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "source-digest.h"

/* LF; a message with CRLF lines; quoting and every internal header; an empty one;
 * a window-sized body so the hash sees more than one piece. */
static const char head_mbox[] =
	"From alice@example.org Wed Jul  1 13:17:17 1998\n"
	"Subject: lf\n"
	"\n"
	"plain body\n"
	"\n"
	"From bob@example.org Sat Sep  1 20:58:00 2001\r\n"
	"Subject: crlf\r\n"
	"Content-Length: 999999\r\n"
	"\r\n"
	"crlf body\r\n"
	"second line\r\n"
	"\r\n"
	"From carol@example.org Mon Jan  5 08:50:15 2004\n"
	"Status: RO\n"
	"X-Status: AF\n"
	"X-Keywords: $Label1\n"
	"X-UID: 35\n"
	"Subject: quoted\n"
	" continued\n"
	"X-IMAP-Note: kept, not an internal field\n"
	"\n"
	"before\n"
	">From quoted once\n"
	">>From quoted twice\n"
	"From the text, not a separator (no empty line before it)\n"
	"after\n"
	"\n"
	"From empty@example.org Sat Feb 15 11:30:05 2020\n"
	"\n"
	"From dave@example.org Sun Feb 16 23:59:59 2020\n"
	"Subject: big\n"
	"\n";

static const char *const expected[] = {
	"Subject: lf\r\n\r\nplain body\r\n",
	"Subject: crlf\r\n\r\ncrlf body\r\nsecond line\r\n",
	"Subject: quoted\r\n continued\r\nX-IMAP-Note: kept, not an internal field\r\n\r\n"
	"before\r\nFrom quoted once\r\n>From quoted twice\r\n"
	"From the text, not a separator (no empty line before it)\r\nafter\r\n",
};
static const char *const senders[] = { "alice@example.org", "bob@example.org",
                                       "carol@example.org", "dave@example.org" };
static const guint64 numbers[] = { 1, 2, 3, 5 };

#define BIG_LINES 20000   /* "line NNNNN ...\n": about 600 KB, past every window */

static void
big_body(GString *mbox, GString *stored)
{
	g_string_append(stored, "Subject: big\r\n\r\n");
	for (guint i = 0; i < BIG_LINES; i++) {
		char line[64];
		int n = g_snprintf(line, sizeof line, "line %05u of a longer body%s", i,
		                   i % 97 == 0 ? " >From not at the start" : "");
		g_string_append_len(mbox, line, n);
		g_string_append_c(mbox, '\n');
		g_string_append_len(stored, line, n);
		g_string_append(stored, "\r\n");
	}
}

static void
sha1_of(const char *data, gsize len, guint8 out[20])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
	gsize n = 20;
	g_checksum_update(sum, (const guchar *)data, len);
	g_checksum_get_digest(sum, out, &n);
	g_assert_cmpuint(n, ==, 20);
}

typedef struct {
	GString *events;
} Heard;

static void
heard_empty(const char *path, guint64 number, gint64 offset, gpointer data)
{
	Heard *h = data;
	g_string_append_printf(h->events, "empty %s %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n",
	                       strrchr(path, '/') + 1, number, offset);
}

static UserAccess *
access_for(const char *home)
{
	g_autoptr(GError) error = NULL;
	UserAccess *access = user_access_new(g_get_user_name(), home, FALSE, &error);
	g_assert_no_error(error);
	return access;
}

/* A new temporary home (`*home_out`) and the path of an mbox in it. */
static char *
temp_mbox_path(char **home_out)
{
	g_autoptr(GError) error = NULL;
	*home_out = g_dir_make_tmp("m2c-digest-XXXXXX", &error);
	g_assert_no_error(error);
	return g_build_filename(*home_out, "mbox", NULL);
}

static void
test_digests(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *home = NULL;
	g_autofree char *path = temp_mbox_path(&home);
	g_autoptr(GString) mbox = g_string_new_len(head_mbox, sizeof head_mbox - 1);
	g_autoptr(GString) big = g_string_new(NULL);
	big_body(mbox, big);
	g_assert_true(g_file_set_contents(path, mbox->str, (gssize)mbox->len, &error));

	g_auto(ManifestSettings) manifest;
	manifest_settings_init(&manifest);
	manifest.check_owner = FALSE;
	MboxReaderSettings reader;
	mbox_reader_settings_init(&reader);
	reader.source_tz = g_time_zone_new_utc();
	g_autoptr(UserAccess) access = access_for(home);
	g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(SourceDigest));
	g_array_set_clear_func(out, source_digest_clear);
	Heard h = { g_string_new(NULL) };

	g_assert_true(source_digests_read(&manifest, &reader, NULL, access, path, out, heard_empty, &h, NULL,
	                                  &error));
	g_assert_no_error(error);
	g_assert_cmpuint(out->len, ==, 4);
	const char *empty_at = strstr(mbox->str, "From empty@");
	g_autofree char *want_events = g_strdup_printf("empty mbox 4 %td\n", empty_at - mbox->str);
	g_assert_cmpstr(h.events->str, ==, want_events);

	for (guint i = 0; i < out->len; i++) {
		SourceDigest *d = &g_array_index(out, SourceDigest, i);
		const char *bytes = i < 3 ? expected[i] : big->str;
		gsize len = i < 3 ? strlen(expected[i]) : big->len;
		guint8 want[20];
		sha1_of(bytes, len, want);
		g_test_message("message %u: %" G_GUINT64_FORMAT " bytes", i + 1, d->size);
		g_assert_cmpuint(d->size, ==, len);
		g_assert_cmpmem(d->sha1, 20, want, 20);
		g_assert_cmpuint(d->number, ==, numbers[i]);
		g_assert_cmpstr(d->sender, ==, senders[i]);
		g_assert_true(d->source == path);
		g_autofree char *from = g_strdup_printf("From %s ", senders[i]);
		g_assert_cmpint(d->offset, ==, strstr(mbox->str, from) - mbox->str);
	}
	SourceDigest *third = &g_array_index(out, SourceDigest, 2);
	g_autofree char *flags = g_strjoinv(" ", third->flags);
	g_assert_cmpstr(flags, ==, "\\Seen \\Answered \\Flagged $Label1");
	g_assert_cmpint(g_array_index(out, SourceDigest, 0).date, ==, 899299037);   /* 1998-07-01 13:17:17 UTC */

	/* the same folder with CRLF everywhere: the same digests */
	g_autoptr(GString) crlf = g_string_new(NULL);
	for (gsize i = 0; i < mbox->len; i++) {
		if (mbox->str[i] == '\n' && (i == 0 || mbox->str[i - 1] != '\r'))
			g_string_append_c(crlf, '\r');
		g_string_append_c(crlf, mbox->str[i]);
	}
	g_autofree char *crlf_path = g_build_filename(home, "crlf", NULL);
	g_assert_true(g_file_set_contents(crlf_path, crlf->str, (gssize)crlf->len, &error));
	g_autoptr(GArray) again = g_array_new(FALSE, TRUE, sizeof(SourceDigest));
	g_array_set_clear_func(again, source_digest_clear);
	g_assert_true(source_digests_read(&manifest, &reader, NULL, access, crlf_path, again, NULL, NULL, NULL,
	                                  &error));
	g_assert_no_error(error);
	g_assert_cmpuint(again->len, ==, out->len);
	for (guint i = 0; i < out->len; i++)
		g_assert_cmpmem(g_array_index(again, SourceDigest, i).sha1, 20,
		                g_array_index(out, SourceDigest, i).sha1, 20);

	/* a source that is not there: an error naming it, nothing appended */
	g_autofree char *missing = g_build_filename(home, "missing", NULL);
	g_assert_false(source_digests_read(&manifest, &reader, NULL, access, missing, again, NULL, NULL, NULL,
	                                   &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, missing));
	g_assert_cmpuint(again->len, ==, out->len);

	g_string_free(h.events, TRUE);
	g_time_zone_unref(reader.source_tz);
	g_unlink(path);
	g_unlink(crlf_path);
	g_rmdir(home);
}

/* A writer that never quoted: ">From" and an unquoted "From " in a body, no ">>From".
 * AUTO decides NONE only at the end of the file, after message 1 was hashed as MBOXRD
 * would store it: it must be hashed again, with its '>'. */
static const char never_quoted_mbox[] =
	"From a@example.org Fri Feb 14 10:00:00 2020\n"
	"Subject: kept\n"
	"\n"
	"text\n"
	">From the writer's own text, kept\n"
	"end\n"
	"\n"
	"From b@example.org Sat Feb 15 11:30:05 2020\n"
	"Subject: plain\n"
	"\n"
	"plain\n"
	"From here on, not a separator\n";

static void
test_never_quoted(void)
{
	static const char *const as_none[] = {
		"Subject: kept\r\n\r\ntext\r\n>From the writer's own text, kept\r\nend\r\n",
		"Subject: plain\r\n\r\nplain\r\nFrom here on, not a separator\r\n",
	};
	static const char *const as_mboxrd[] = {
		"Subject: kept\r\n\r\ntext\r\nFrom the writer's own text, kept\r\nend\r\n",
		"Subject: plain\r\n\r\nplain\r\nFrom here on, not a separator\r\n",
	};
	g_autoptr(GError) error = NULL;
	g_autofree char *home = NULL;
	g_autofree char *path = temp_mbox_path(&home);
	g_assert_true(g_file_set_contents(path, never_quoted_mbox, sizeof never_quoted_mbox - 1,
	                                  &error));
	g_auto(ManifestSettings) manifest;
	manifest_settings_init(&manifest);
	manifest.check_owner = FALSE;
	g_autoptr(UserAccess) access = access_for(home);

	for (int pass = 0; pass < 2; pass++) {
		MboxReaderSettings reader;
		mbox_reader_settings_init(&reader);   /* AUTO, then MBOXRD as asked */
		if (pass == 1)
			reader.quoting = MBOX_QUOTING_MBOXRD;
		const char *const *want = pass == 0 ? as_none : as_mboxrd;
		g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(SourceDigest));
		g_array_set_clear_func(out, source_digest_clear);
		g_assert_true(source_digests_read(&manifest, &reader, NULL, access, path, out, NULL, NULL, NULL,
		                                  &error));
		g_assert_no_error(error);
		g_assert_cmpuint(out->len, ==, 2);
		for (guint i = 0; i < 2; i++) {
			SourceDigest *d = &g_array_index(out, SourceDigest, i);
			guint8 sha1[20];
			sha1_of(want[i], strlen(want[i]), sha1);
			g_assert_cmpuint(d->size, ==, strlen(want[i]));
			g_assert_cmpmem(d->sha1, 20, sha1, 20);
		}
	}
	g_unlink(path);
	g_rmdir(home);
}

/* A bare CR in the header block (which the imap method's fixes make a space) is found
 * wherever it falls in the 32-byte steps of has_bare_cr(); CRLF alone is not one. */
static void
test_bare_cr(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *home = NULL;
	g_autofree char *path = temp_mbox_path(&home);
	g_autoptr(GString) mbox = g_string_new(NULL);
	enum { N = 80 };
	for (int k = 0; k < N; k++) {
		g_string_append(mbox, "From a@example.org Sat Mar  1 10:00:00 2003\nSubject: ");
		for (int i = 0; i < k; i++)
			g_string_append_c(mbox, 'x');
		/* even k: a bare CR; odd k: CRLF, no bare CR */
		g_string_append(mbox, k % 2 == 0 ? "\rb\n" : "\r\n");
		g_string_append(mbox, "X-Long: 0123456789012345678901234567890123456789012345678901234567890\n\nbody\n\n");
	}
	g_assert_true(g_file_set_contents(path, mbox->str, (gssize)mbox->len, &error));
	g_auto(ManifestSettings) manifest;
	manifest_settings_init(&manifest);
	manifest.check_owner = FALSE;
	MboxReaderSettings reader;
	mbox_reader_settings_init(&reader);
	reader.source_tz = g_time_zone_new_utc();
	MessageFixSettings fix;
	message_fix_settings_init(&fix);
	g_autoptr(UserAccess) access = access_for(home);
	g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(SourceDigest));
	g_array_set_clear_func(out, source_digest_clear);
	g_assert_true(source_digests_read(&manifest, &reader, &fix, access, path, out, NULL, NULL, NULL,
	                                  &error));
	g_assert_no_error(error);
	g_assert_cmpuint(out->len, ==, N);
	for (guint k = 0; k < N; k++)
		g_assert_cmpint(g_array_index(out, SourceDigest, k).has_fixed, ==, k % 2 == 0);
	g_time_zone_unref(reader.source_tz);
	g_unlink(path);
	g_rmdir(home);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/source-digest/digests", test_digests);
	g_test_add_func("/source-digest/never-quoted", test_never_quoted);
	g_test_add_func("/source-digest/bare-cr", test_bare_cr);
	return g_test_run();
}
