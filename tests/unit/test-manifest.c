/* test-manifest.c -- lib/manifest.c: what manifest_write writes, manifest_read reads
 * back, for hostile names (tabs, newlines, backslashes, 8-bit and control bytes);
 * sorted, deterministic output; and errors that name the file and line. */
#include <string.h>

#include <glib/gstdio.h>

#include "manifest.h"

static char *
temp_path(void)
{
	g_autofree char *dir = g_dir_make_tmp("m2c-manifest-XXXXXX", NULL);
	return g_build_filename(dir, "mailboxes.tsv", NULL);
}

static void
remove_temp(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_unlink(path);
	g_rmdir(dir);
}

static void
test_round_trip(void)
{
	static const char hostile[] = "/home/al ice/Mail/tab\there\nnew\\line\x01\x7f\xff\xfe\xc3\xa9";
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autofree char *path = temp_path();
	g_autoptr(GError) error = NULL;
	ManifestRow *r;

	r = manifest_row_new("alice", "user.alice.tab&-", hostile, sizeof hostile - 1,
	                     MANIFEST_FOLDER, "note\twith\ttabs");
	r->messages = 12;
	r->bytes = 3456;
	r->subscribed = 1;
	g_ptr_array_add(rows, r);
	g_ptr_array_add(rows, manifest_row_new("alice", "user.alice", "/var/mail/alice", 15,
	                                       MANIFEST_INBOX, NULL));
	g_ptr_array_add(rows, manifest_row_new("alice", NULL, "/home/alice/Mail/.hidden", 24,
	                                       MANIFEST_SKIP, "a hidden file"));
	g_ptr_array_add(rows, manifest_row_new("aaron", "user.aaron", NULL, 0, MANIFEST_INBOX,
	                                       "no spool file"));
	const char *comments[] = { "test manifest", "second\nline", NULL };
	g_assert_true(manifest_write(path, comments, rows, &error));
	g_assert_no_error(error);

	g_autoptr(GPtrArray) back = manifest_read(path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(back->len, ==, 4);
	/* sorted: aaron; then alice's inbox, folder, skip */
	ManifestRow *b0 = g_ptr_array_index(back, 0), *b1 = g_ptr_array_index(back, 1);
	ManifestRow *b2 = g_ptr_array_index(back, 2), *b3 = g_ptr_array_index(back, 3);
	g_assert_cmpstr(b0->user, ==, "aaron");
	g_assert_null(b0->source);
	g_assert_cmpint(b1->action, ==, MANIFEST_INBOX);
	g_assert_cmpint(b2->action, ==, MANIFEST_FOLDER);
	g_assert_cmpint(b3->action, ==, MANIFEST_SKIP);
	gsize len;
	const char *src = g_bytes_get_data(b2->source, &len);
	g_assert_cmpmem(src, len, hostile, sizeof hostile - 1);
	g_assert_cmpstr(b2->note, ==, "note\twith\ttabs");
	g_assert_cmpint(b2->messages, ==, 12);
	g_assert_cmpint(b2->bytes, ==, 3456);
	g_assert_cmpint(b2->subscribed, ==, 1);
	g_assert_null(b3->mailbox);
	g_assert_cmpint(b3->subscribed, ==, -1);

	/* the same rows give the same bytes; no TAB or newline escapes the fields */
	g_autofree char *text1 = NULL, *text2 = NULL;
	g_assert_true(g_file_get_contents(path, &text1, NULL, NULL));
	g_assert_true(manifest_write(path, comments, back, &error));
	g_assert_true(g_file_get_contents(path, &text2, NULL, NULL));
	g_assert_cmpstr(text1, ==, text2);
	g_auto(GStrv) lines = g_strsplit(text1, "\n", -1);
	guint data_lines = 0;
	for (char **l = lines; *l != NULL; l++)
		if (**l != '\0' && **l != '#') {
			g_auto(GStrv) f = g_strsplit(*l, "\t", -1);
			g_assert_cmpuint(g_strv_length(f), ==, 8);
			data_lines++;
		}
	g_assert_cmpuint(data_lines, ==, 5);   /* header + 4 */
	g_assert_true(g_str_has_prefix(text1, "# test manifest\n# second\n# line\nuser\tmailbox\t"));
	remove_temp(path);
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "not a header\n", ":1: " },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tmove\t-\t-\tyes\t-\n", ":2: action \"move\"" },
		{ "# c\nuser\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\\q\tinbox\t-\t-\tyes\t-\n", ":3: source: bad escape" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\t-\t/x\tfolder\t-\t-\tno\t-\n", ":2: an folder row needs a mailbox" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tinbox\tmany\t-\tyes\t-\n", ":2: messages and bytes" },
		{ "# only comments\n", "no header row" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "\tuser.alice\t/x\tinbox\t-\t-\tyes\t-\n", ":2: an empty field" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tinbox\t-\t-\tyes\tnul \\x00 here\n", ":2: a NUL byte" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *path = temp_path();
		g_autoptr(GError) error = NULL;
		g_assert_true(g_file_set_contents(path, bad[i].text, -1, NULL));
		g_autoptr(GPtrArray) rows = manifest_read(path, &error);
		g_assert_null(rows);
		g_assert_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX);
		g_assert_nonnull(strstr(error->message, path));
		g_assert_nonnull(strstr(error->message, bad[i].want));
		remove_temp(path);
	}
}

/* A failed write leaves the old file as it was. */
static void
test_atomic(void)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autoptr(GError) error = NULL;
	g_assert_false(manifest_write("/nonexistent-dir/mailboxes.tsv", NULL, rows, &error));
	g_assert_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/manifest/round-trip", test_round_trip);
	g_test_add_func("/manifest/errors", test_errors);
	g_test_add_func("/manifest/atomic", test_atomic);
	return g_test_run();
}
