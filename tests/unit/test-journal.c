/* test-journal.c -- lib/journal.c: records written are read back, keys with any byte
 * survive, a torn last line is cut off (and the next record starts a line of its
 * own), a damaged line is an error naming FILE:LINE (never a resume from zero), and
 * a journal behind a symbolic link is refused. */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "journal.h"

static const char *const steps[] = { "created", "delivered", "done", NULL };

static char *
temp_dir(void)
{
	return g_dir_make_tmp("m2c-journal-XXXXXX", NULL);
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

static char *
journal_text(const char *dir, const char *file)
{
	g_autofree char *path = g_build_filename(dir, file, NULL);
	char *text = NULL;
	g_file_get_contents(path, &text, NULL, NULL);
	return text;
}

static void
test_round_trip(void)
{
	g_autofree char *dir = temp_dir();
	g_autoptr(GError) error = NULL;
	static const char key[] = "user.alice.a\tb\\c\n\x01\xff/x";

	Journal *j = journal_open(dir, "alice", steps, &error);
	g_assert_no_error(error);
	g_assert_false(journal_is_resumed(j));
	g_assert_true(journal_append(j, "created", "user.alice", "messages=0", &error));
	g_assert_true(journal_append(j, "delivered", key, "files=3 with\ttab", &error));
	g_assert_true(journal_append(j, "created", "user.alice", "messages=5", &error));
	g_assert_true(journal_append(j, "done", "", NULL, &error));
	g_assert_no_error(error);
	journal_free(j);

	j = journal_open(dir, "alice", steps, &error);
	g_assert_no_error(error);
	g_assert_true(journal_is_resumed(j));
	g_assert_cmpuint(journal_n_records(j), ==, 4);
	const JournalRecord *r = journal_find(j, "delivered", key);
	g_assert_nonnull(r);
	g_assert_cmpstr(r->detail, ==, "files=3 with\ttab");
	g_assert_cmpuint(r->line, ==, 2);
	r = journal_find(j, "created", "user.alice");   /* the last one counts */
	g_assert_cmpstr(r->detail, ==, "messages=5");
	g_assert_cmpuint(r->line, ==, 3);
	g_assert_cmpstr(journal_find(j, "done", "")->detail, ==, "");
	g_assert_null(journal_find(j, "delivered", "user.alice"));
	g_assert_cmpstr(journal_record_at(j, 0)->step, ==, "created");
	journal_free(j);
	remove_dir(dir);
}

static void
test_torn_last_line(void)
{
	g_autofree char *dir = temp_dir();
	g_autofree char *path = g_build_filename(dir, "bob.journal", NULL);
	g_autoptr(GError) error = NULL;

	/* a crash in the middle of the second record */
	g_assert_true(g_file_set_contents(path, "created\tuser.bob\tmessages=0\ndeliv", -1, NULL));
	Journal *j = journal_open(dir, "bob", steps, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(journal_n_records(j), ==, 1);
	g_assert_true(journal_append(j, "done", "", NULL, &error));
	journal_free(j);
	g_autofree char *text = journal_text(dir, "bob.journal");
	g_assert_cmpstr(text, ==, "created\tuser.bob\tmessages=0\ndone\t\t\n");
	/* and it reads again */
	j = journal_open(dir, "bob", steps, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(journal_n_records(j), ==, 2);
	journal_free(j);
	remove_dir(dir);
}

static void
test_damaged(void)
{
	static const struct {
		const char *text;
		guint line;
		const char *why;
	} cases[] = {
		{ "created\tuser.c\tmessages=0\ncreated user.c\n", 2, "not three fields" },
		{ "created\tuser.c\tmessages=0\n\n", 2, "not three fields" },
		{ "frobbed\tuser.c\t\n", 1, "unknown step" },
		{ "created\tuser.c\tx\ty\n", 1, "not three fields" },
		{ "created\tuser.c\\q\t\n", 1, "damaged journal line" },
		{ "created\tuser.c\\x00\t\n", 1, "damaged journal line" },
		{ "created\tuser.c\tbad\\\n", 1, "damaged journal line" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = temp_dir();
		g_autofree char *path = g_build_filename(dir, "carol.journal", NULL);
		g_autoptr(GError) error = NULL;
		g_assert_true(g_file_set_contents(path, cases[i].text, -1, NULL));
		Journal *j = journal_open(dir, "carol", steps, &error);
		g_assert_null(j);
		g_assert_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED);
		g_autofree char *where = g_strdup_printf("%s:%u: ", path, cases[i].line);
		if (error != NULL) {
			g_test_message("case %zu: %s", i, error->message);
			g_assert_true(g_str_has_prefix(error->message, where));
			g_assert_nonnull(strstr(error->message, cases[i].why));
		}
		/* the damaged file is left as it was, for the admin to look at */
		g_autofree char *text = journal_text(dir, "carol.journal");
		g_assert_cmpstr(text, ==, cases[i].text);
		remove_dir(dir);
	}
}

static void
test_names_and_links(void)
{
	g_autofree char *dir = temp_dir();
	g_autoptr(GError) error = NULL;

	/* any user name becomes one file name inside the state directory */
	Journal *j = journal_open(dir, "../etc/passwd", steps, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(journal_path(j), dir));
	g_assert_null(strchr(journal_path(j) + strlen(dir) + 1, '/'));
	journal_free(j);
	j = journal_open(dir, ".hidden", steps, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_suffix(journal_path(j), "/%2E.hidden.journal"));
	journal_free(j);

	/* never through a link */
	g_autofree char *target = g_build_filename(dir, "elsewhere", NULL);
	g_autofree char *link = g_build_filename(dir, "dave.journal", NULL);
	g_assert_true(g_file_set_contents(target, "", -1, NULL));
	g_assert_cmpint(symlink(target, link), ==, 0);
	j = journal_open(dir, "dave", steps, &error);
	g_assert_null(j);
	g_assert_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_IO);
	remove_dir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/journal/round-trip", test_round_trip);
	g_test_add_func("/journal/torn-last-line", test_torn_last_line);
	g_test_add_func("/journal/damaged", test_damaged);
	g_test_add_func("/journal/names-and-links", test_names_and_links);
	return g_test_run();
}
