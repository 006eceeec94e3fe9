/* test-upload.c -- convert/upload.c: the server's naming from NAMESPACE (Cyrus's four
 * forms taken, anything else refused), FILE arguments checked and named, and --into
 * moving rows under one folder (with the names it must refuse). */
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "manifest.h"
#include "upload.h"

static void
test_naming(void)
{
	static const struct {
		const char *prefix;
		char delimiter;
		gboolean ok;
		char separator;
		gboolean altnamespace;
	} vectors[] = {
		{ "INBOX.", '.', TRUE, '.', FALSE },
		{ "INBOX/", '/', TRUE, '/', FALSE },
		{ "inbox.", '.', TRUE, '.', FALSE },
		{ "", '.', TRUE, '.', TRUE },
		{ "", '/', TRUE, '/', TRUE },
		/* refused */
		{ "INBOX.", '/', FALSE, 0, FALSE },
		{ "INBOX", '.', FALSE, 0, FALSE },
		{ "Mail/", '/', FALSE, 0, FALSE },
		{ "", 0, FALSE, 0, FALSE },
		{ "INBOX|", '|', FALSE, 0, FALSE },
		{ "INBOX.x.", '.', FALSE, 0, FALSE },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		MailboxNaming naming = { 0 };
		gboolean alt = 99;
		g_autoptr(GError) error = NULL;
		gboolean ok = upload_naming_from_namespace(vectors[i].prefix, vectors[i].delimiter, &naming,
		                                           &alt, &error);
		g_test_message("\"%s\" %d", vectors[i].prefix, vectors[i].delimiter);
		g_assert_cmpint(ok, ==, vectors[i].ok);
		if (!ok) {
			g_assert_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_NAMESPACE);
			g_assert_cmpint(naming.separator, ==, 0);
			continue;
		}
		g_assert_no_error(error);
		g_assert_cmpint(naming.separator, ==, vectors[i].separator);
		g_assert_cmpint(alt, ==, vectors[i].altnamespace);
		g_assert_true(naming.virtdomains);
	}
}

typedef struct {
	char *dir;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	(void)data;
	f->dir = g_dir_make_tmp("m2c-upload-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	(void)data;
	g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
	const char *name;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(f->dir, name, NULL);
		if (g_remove(p) != 0)
			g_rmdir(p);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
}

static char *
make_file(Fixture *f, const char *name)
{
	char *path = g_build_filename(f->dir, name, NULL);
	g_assert_true(g_file_set_contents(path, "From a@b Mon Jan  5 10:00:00 2004\n\nx\n", -1, NULL));
	return path;
}

static void
test_files(Fixture *f, gconstpointer data)
{
	(void)data;
	g_autofree char *a = make_file(f, "Project X.mbox");
	g_autofree char *b = make_file(f, "old.gz");
	g_autofree char *c = make_file(f, "sent-mail");
	g_autofree char *sub = g_build_filename(f->dir, "sub", NULL);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_autofree char *d = make_file(f, "sub/Project X");
	g_autofree char *link = g_build_filename(f->dir, "link", NULL);
	g_assert_cmpint(symlink(a, link), ==, 0);
	g_autofree char *missing = g_build_filename(f->dir, "missing", NULL);
	g_autoptr(GError) error = NULL;

	/* refused: "-", a missing file, a directory, one file twice (through a link) */
	char *dash[] = { a, "-", NULL };
	g_assert_null(upload_files_check(dash, &error));
	g_assert_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FILE);
	g_clear_error(&error);
	char *gone[] = { missing, NULL };
	g_assert_null(upload_files_check(gone, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&error);
	char *dir[] = { sub, NULL };
	g_assert_null(upload_files_check(dir, &error));
	g_assert_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FILE);
	g_assert_nonnull(strstr(error->message, "a directory"));
	g_clear_error(&error);
	char *twice[] = { a, link, NULL };
	g_assert_null(upload_files_check(twice, &error));
	g_assert_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FILE);
	g_clear_error(&error);

	/* named by the base name: .mbox and a compression suffix dropped, special use,
	 * the separator inside a name made fullwidth, a clash made unique */
	char *good[] = { a, b, c, d, NULL };
	g_autoptr(GPtrArray) files = upload_files_check(good, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 4);
	MailboxNaming naming = { .separator = '.', .virtdomains = TRUE };
	MapUserSettings settings = { .naming = &naming, .special_use = TRUE };
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_assert_true(upload_rows_from_files(&settings, "alice", files, rows, &error));
	g_assert_no_error(error);
	const char *names[] = { "user.alice.Project X", "user.alice.old", "user.alice.Sent",
	                        "user.alice.Project X~2" };
	g_assert_cmpuint(rows->len, ==, G_N_ELEMENTS(names));
	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *row = g_ptr_array_index(rows, i);
		UploadFile *uf = g_ptr_array_index(files, i);
		g_assert_cmpstr(row->mailbox, ==, names[i]);
		g_assert_cmpint(row->action, ==, MANIFEST_FOLDER);
		g_assert_cmpint(row->subscribed, ==, 1);
		g_assert_cmpmem(g_bytes_get_data(row->source, NULL), g_bytes_get_size(row->source),
		                uf->path, strlen(uf->path));
	}
	g_assert_true(g_path_is_absolute(((UploadFile *)g_ptr_array_index(files, 0))->path));
}

static GPtrArray *
site_rows(void)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	ManifestRow *inbox = manifest_row_new("alice", "user.alice", "/var/mail/alice", 15,
	                                      MANIFEST_INBOX, NULL);
	inbox->subscribed = 1;
	g_ptr_array_add(rows, inbox);
	g_ptr_array_add(rows, manifest_row_new("alice", "user.alice.Sent", "/h/Mail/Sent", 12,
	                                       MANIFEST_FOLDER, NULL));
	g_ptr_array_add(rows, manifest_row_new("alice", "user.alice.lists.cyrus", "/h/Mail/lists/cyrus",
	                                       19, MANIFEST_FOLDER, NULL));
	g_ptr_array_add(rows, manifest_row_new("alice", NULL, "/h/Mail/notes", 13, MANIFEST_SKIP,
	                                       "not an mbox"));
	return rows;
}

static void
test_into(void)
{
	MailboxNaming naming = { .separator = '.', .virtdomains = TRUE };
	MapUserSettings settings = { .naming = &naming };
	g_autoptr(Report) report = report_new("test", stderr, FALSE);
	static const struct {
		const char *into;
		const char *top;     /* NULL: refused */
	} vectors[] = {
		{ "Imported", "user.alice.Imported" },
		{ "INBOX.Imported", "user.alice.Imported" },
		{ "inbox/Imported", "user.alice.Imported" },
		{ "Old mail/2004", "user.alice.Old mail.2004" },
		{ "Old.2004", "user.alice.Old.2004" },
		{ "Gr\xc3\xbc\xc3\x9f" "e", "user.alice.Gr&APwA3w-e" },
		{ "a@b", "user.alice.a&,yA-b" },
		/* refused */
		{ "", NULL }, { "INBOX", NULL }, { "a//b", NULL }, { "a.", NULL }, { "/a", NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		g_autoptr(GPtrArray) rows = site_rows();
		g_autoptr(GError) error = NULL;
		g_test_message("--into \"%s\"", vectors[i].into);
		gboolean ok = upload_rows_into(&settings, "alice", vectors[i].into, rows, report, &error);
		if (vectors[i].top == NULL) {
			g_assert_false(ok);
			g_assert_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FOLDER);
			g_assert_cmpstr(((ManifestRow *)g_ptr_array_index(rows, 0))->mailbox, ==, "user.alice");
			continue;
		}
		g_assert_true(ok);
		g_assert_no_error(error);
		ManifestRow *r0 = g_ptr_array_index(rows, 0), *r1 = g_ptr_array_index(rows, 1),
		            *r2 = g_ptr_array_index(rows, 2), *r3 = g_ptr_array_index(rows, 3);
		g_autofree char *sent = g_strconcat(vectors[i].top, ".Sent", NULL);
		g_autofree char *cyrus = g_strconcat(vectors[i].top, ".lists.cyrus", NULL);
		g_assert_cmpstr(r0->mailbox, ==, vectors[i].top);
		g_assert_cmpint(r0->action, ==, MANIFEST_FOLDER);   /* the old inbox: a folder now */
		g_assert_cmpint(r0->subscribed, ==, 1);
		g_assert_cmpstr(r1->mailbox, ==, sent);
		g_assert_cmpstr(r2->mailbox, ==, cyrus);
		g_assert_null(r3->mailbox);
		g_assert_cmpint(r3->action, ==, MANIFEST_SKIP);
		g_assert_true(manifest_validate("(test)", rows, &naming, &error));
		g_assert_no_error(error);
	}

	/* a row that no longer fits 490 bytes becomes a skip, said as an error */
	g_autoptr(GPtrArray) rows = site_rows();
	g_autofree char *deep = g_strnfill(475, 'x');
	g_autofree char *name = g_strconcat("user.alice.", deep, NULL);
	g_ptr_array_add(rows, manifest_row_new("alice", name, "/h/Mail/deep", 12, MANIFEST_FOLDER, NULL));
	g_autoptr(GError) error = NULL;
	guint errors = report_count(report, REPORT_FAILED);
	g_assert_true(upload_rows_into(&settings, "alice", "Imported", rows, report, &error));
	ManifestRow *last = g_ptr_array_index(rows, rows->len - 1);
	g_assert_cmpint(last->action, ==, MANIFEST_SKIP);
	g_assert_null(last->mailbox);
	g_assert_nonnull(strstr(last->note, "no mailbox name fits under --into"));
	g_assert_cmpuint(report_count(report, REPORT_FAILED), ==, errors + 1);
}

static void
test_state_dir(void)
{
	g_autofree char *dir = upload_state_dir("mail.example.org", 143, "alice/../x y");
	g_autofree char *want = g_build_filename(g_get_user_state_dir(), "mbox2cyrus", "upload",
	                                         "mail.example.org-143-alice_.._x_y", NULL);
	g_assert_cmpstr(dir, ==, want);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/upload/naming", test_naming);
	g_test_add("/upload/files", Fixture, NULL, fixture_set_up, test_files, fixture_tear_down);
	g_test_add_func("/upload/into", test_into);
	g_test_add_func("/upload/state-dir", test_state_dir);
	return g_test_run();
}
