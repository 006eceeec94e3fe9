/* test-backout-target.c -- backout/backout-target.c: writing a rebuilt mbox file as
 * root over a user's files.  Whole or not at all (temp + rename, a killed run's temp
 * removed), the user's with mode 0600, never through a symbolic link (at the file or on
 * the way), never over a file with several links, the old file kept (--in-place, a
 * backup name someone else holds never taken), the old bytes kept (--merge).
 *
 * Runs as root (skips otherwise).  The user is the system account "nobody", with a
 * home made here. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "backout-target.h"
#include "mbox-lock.h"

#define USER "nobody"

typedef struct {
	char *dir;
	char *home;        /* DIR/home/nobody */
	char *mail;        /* HOME/Mail */
	char *into;        /* DIR/into */
	uid_t uid;
	gid_t gid;
	ManifestSettings manifest;
	UserAccess *access;
} Fixture;

static gboolean
need_root(void)
{
	if (geteuid() == 0)
		return TRUE;
	g_test_skip("not root: cannot give files to another user");
	return FALSE;
}

static void
put(const char *path, const char *text, uid_t uid, mode_t mode)
{
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(chown(path, uid, (gid_t)-1), ==, 0);
	g_assert_cmpint(chmod(path, mode), ==, 0);
}

static char *
get(const char *path)
{
	char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

static void
setup(Fixture *f, gconstpointer data)
{
	struct passwd *pw = getpwnam(USER);
	(void)data;
	if (geteuid() != 0 || pw == NULL)
		return;
	f->uid = pw->pw_uid;
	f->gid = pw->pw_gid;
	f->dir = g_dir_make_tmp("m2c-target.XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	g_assert_cmpint(chmod(f->dir, 0755), ==, 0);
	f->home = g_build_filename(f->dir, "home", USER, NULL);
	f->mail = g_build_filename(f->home, "Mail", NULL);
	f->into = g_build_filename(f->dir, "into", NULL);
	g_assert_cmpint(g_mkdir_with_parents(f->mail, 0700), ==, 0);
	g_assert_cmpint(chown(f->home, f->uid, f->gid), ==, 0);
	g_assert_cmpint(chown(f->mail, f->uid, f->gid), ==, 0);
	manifest_settings_init(&f->manifest);
	f->manifest.inbox_dir = g_build_filename(f->dir, "spool", NULL);
	f->access = user_access_new(USER, f->home, TRUE, NULL);
	g_assert_nonnull(f->access);
}

static void
teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	if (f->dir == NULL)
		return;
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	user_access_free(f->access);
	manifest_settings_clear(&f->manifest);
	g_free(f->dir);
	g_free(f->home);
	g_free(f->mail);
	g_free(f->into);
}

static BackoutTarget *
open_target(Fixture *f, BackoutMode mode, const char *source, GError **error)
{
	BackoutTargetSettings s = { .mode = mode, .into = f->into, .lock_timeout_ms = 200 };
	return backout_target_open(&s, &f->manifest, f->access, source, NULL, error);
}

static gboolean
write_text(BackoutTarget *t, const char *text)
{
	return backout_target_write(text, strlen(text), t, NULL);
}

static gboolean
record_backup(const char *backup, gpointer data, GError **error)
{
	(void)error;
	*(char **)data = g_strdup(backup);
	return TRUE;
}

static gboolean
record_append(const BackoutAppend *append, gpointer data, GError **error)
{
	(void)error;
	*(BackoutAppend *)data = *append;
	return TRUE;
}

static void
test_into(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *source = g_build_filename(f->mail, "Sent", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(BackoutTarget) t = open_target(f, BACKOUT_INTO, source, &error);
	g_assert_no_error(error);
	g_autofree char *want = g_strconcat(f->into, source, NULL);
	g_assert_cmpstr(backout_target_path(t), ==, want);
	g_assert_true(write_text(t, "From a Tue Mar  4 10:00:00 2003\nhello\n\n"));
	g_assert_true(write_text(t, "dropped"));
	g_assert_true(backout_target_truncate(t, strlen("From a Tue Mar  4 10:00:00 2003\nhello\n\n"), NULL));
	g_assert_true(backout_target_commit(t, NULL, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	g_autofree char *text = get(want);
	g_assert_cmpstr(text, ==, "From a Tue Mar  4 10:00:00 2003\nhello\n\n");
	struct stat st;
	g_assert_cmpint(lstat(want, &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, f->uid);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
	/* the temporary file is gone, and the source was not touched */
	g_autofree char *dir = g_path_get_dirname(want);
	g_autofree char *temp = g_build_filename(dir, ".Sent.m2c-backout", NULL);
	g_assert_false(g_file_test(temp, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(source, G_FILE_TEST_EXISTS));
}

static void
test_into_symlinks(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *victim = g_build_filename(f->dir, "victim", NULL);
	put(victim, "not yours\n", 0, 0644);
	/* at the file's place */
	g_autofree char *source = g_build_filename(f->mail, "Sent", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(BackoutTarget) t = open_target(f, BACKOUT_INTO, source, &error);
	g_assert_no_error(error);
	g_clear_pointer(&t, backout_target_free);
	g_autofree char *place = g_strconcat(f->into, source, NULL);
	g_assert_cmpint(symlink(victim, place), ==, 0);
	t = open_target(f, BACKOUT_INTO, source, &error);
	g_assert_null(t);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
	g_assert_nonnull(strstr(error->message, "symbolic link"));
	g_clear_error(&error);
	/* on the way: INTO/.../home/nobody/Mail a link to elsewhere */
	g_autofree char *source2 = g_build_filename(f->home, "Other", "box", NULL);
	g_autofree char *way = g_strconcat(f->into, f->home, "/Other", NULL);
	g_autofree char *elsewhere = g_build_filename(f->dir, "elsewhere", NULL);
	g_assert_cmpint(g_mkdir(elsewhere, 0755), ==, 0);
	g_assert_cmpint(symlink(elsewhere, way), ==, 0);
	t = open_target(f, BACKOUT_INTO, source2, &error);
	g_assert_null(t);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
	g_clear_error(&error);
	g_autofree char *text = get(victim);
	g_assert_cmpstr(text, ==, "not yours\n");
	GDir *d = g_dir_open(elsewhere, 0, NULL);
	g_assert_null(g_dir_read_name(d));
	g_dir_close(d);
}

static void
test_in_place(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *source = g_build_filename(f->mail, "box", NULL);
	g_autofree char *backup = g_strconcat(source, ".pre-backout", NULL);
	g_autofree char *made = NULL;
	g_autoptr(GError) error = NULL;
	put(source, "old\n", f->uid, 0644);
	/* a file of the user's already has the backup's name: never taken */
	put(backup, "the user's own\n", f->uid, 0600);
	g_autoptr(BackoutTarget) t = open_target(f, BACKOUT_IN_PLACE, source, &error);
	g_assert_no_error(error);
	/* locked meanwhile: another locker waits */
	g_autofree char *dir = g_path_get_dirname(source);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	g_autoptr(GError) busy = NULL;
	MboxLock *other = mbox_lock_acquire(dirfd, "box", 100, &busy);
	g_assert_null(other);
	g_assert_error(busy, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	g_assert_true(write_text(t, "new\n"));
	g_assert_true(backout_target_commit(t, record_backup, NULL, NULL, &made, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(made, ==, "box.pre-backout.1");
	g_clear_pointer(&t, backout_target_free);
	g_autofree char *text = get(source);
	g_assert_cmpstr(text, ==, "new\n");
	g_autofree char *kept = g_strconcat(source, ".pre-backout.1", NULL);
	g_autofree char *old = get(kept);
	g_assert_cmpstr(old, ==, "old\n");
	g_autofree char *own = get(backup);
	g_assert_cmpstr(own, ==, "the user's own\n");
	/* unlocked now */
	other = mbox_lock_acquire(dirfd, "box", 100, &error);
	g_assert_no_error(error);
	mbox_lock_release(other);
	/* a rerun after a try that made the backup and died before its rename: NAME has
	 * two links, the second the backup; it is kept, not made again */
	g_clear_pointer(&made, g_free);
	g_autofree char *orig = g_strconcat(source, ".orig", NULL);
	g_assert_cmpint(rename(source, orig), ==, 0);
	g_assert_cmpint(link(kept, source), ==, 0);
	BackoutTargetSettings s = { .mode = BACKOUT_IN_PLACE, .lock_timeout_ms = 200 };
	BackoutResume resume = { .earlier_backup = "box.pre-backout.1" };
	t = backout_target_open(&s, &f->manifest, f->access, source, &resume, &error);
	g_assert_no_error(error);
	g_assert_true(write_text(t, "newer\n"));
	g_assert_true(backout_target_commit(t, record_backup, NULL, NULL, &made, &error));
	g_assert_no_error(error);
	g_assert_null(made);
	g_autofree char *still = get(kept);
	g_assert_cmpstr(still, ==, "old\n");
	g_autofree char *newer = get(source);
	g_assert_cmpstr(newer, ==, "newer\n");
	/* without the journal's word, the second link is somebody's: refused */
	g_clear_pointer(&t, backout_target_free);
	g_assert_cmpint(unlink(source), ==, 0);
	g_assert_cmpint(link(kept, source), ==, 0);
	t = backout_target_open(&s, &f->manifest, f->access, source, NULL, &error);
	g_assert_null(t);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
	close(dirfd);
}

static void
test_refused(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *source = g_build_filename(f->mail, "linked", NULL);
	g_autofree char *other = g_build_filename(f->mail, "other-name", NULL);
	g_autoptr(GError) error = NULL;
	put(source, "two names\n", f->uid, 0600);
	g_assert_cmpint(link(source, other), ==, 0);
	g_autoptr(BackoutTarget) t = open_target(f, BACKOUT_IN_PLACE, source, &error);
	g_assert_null(t);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
	g_assert_nonnull(strstr(error->message, "hard links"));
	g_clear_error(&error);
	/* a symlink at the file: the lock refuses it (not a regular file) */
	g_autofree char *victim = g_build_filename(f->dir, "victim", NULL);
	g_autofree char *planted = g_build_filename(f->mail, "planted", NULL);
	put(victim, "root's\n", 0, 0600);
	g_assert_cmpint(symlink(victim, planted), ==, 0);
	t = open_target(f, BACKOUT_MERGE, planted, &error);
	g_assert_null(t);
	g_assert_nonnull(error);
	g_clear_error(&error);
	g_autofree char *text = get(victim);
	g_assert_cmpstr(text, ==, "root's\n");
	g_autofree char *temp = g_build_filename(f->mail, ".planted.m2c-backout", NULL);
	g_assert_false(g_file_test(temp, G_FILE_TEST_EXISTS));
}

static void
test_merge(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	static const struct { const char *old, *want; } cases[] = {
		{ "From a Tue Mar  4 10:00:00 2003\nx\n\n", "From a Tue Mar  4 10:00:00 2003\nx\n\nNEW" },
		{ "From a Tue Mar  4 10:00:00 2003\nx\n", "From a Tue Mar  4 10:00:00 2003\nx\n\nNEW" },
		{ "From a Tue Mar  4 10:00:00 2003\nx", "From a Tue Mar  4 10:00:00 2003\nx\n\nNEW" },
		{ "", "NEW" },
	};
	g_autofree char *source = g_build_filename(f->mail, "inbox", NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		put(source, cases[i].old, f->uid, 0660);
		/* a killed run's temporary file is removed first */
		g_autofree char *temp = g_build_filename(f->mail, ".inbox.m2c-backout", NULL);
		put(temp, "left by a killed run", 0, 0600);
		g_autoptr(BackoutTarget) t = open_target(f, BACKOUT_MERGE, source, &error);
		g_assert_no_error(error);
		g_assert_true(backout_target_had_file(t));
		g_assert_true(write_text(t, "NEW"));
		g_assert_true(backout_target_commit(t, NULL, NULL, NULL, NULL, &error));
		g_assert_no_error(error);
		g_autofree char *text = get(source);
		g_assert_cmpstr(text, ==, cases[i].want);
		/* appended in place: the file keeps its owner and mode (a spool's 0660 for
		 * its delivery agent's group) */
		struct stat st;
		g_assert_cmpint(stat(source, &st), ==, 0);
		g_assert_cmpuint(st.st_mode & 07777, ==, 0660);
		g_assert_cmpuint(st.st_uid, ==, f->uid);
	}
}

/* MERGE after a kill in the middle of an append: complete (kept), cut short with
 * nothing after it (cut back), cut short with other bytes after it (refused). */
static void
test_merge_recovery(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *source = g_build_filename(f->mail, "inbox", NULL);
	g_autofree char *staged = g_build_filename(f->mail, ".inbox.m2c-backout", NULL);
	const char *old = "From a Tue Mar  4 10:00:00 2003\nold\n";
	const char *add = "From b Tue Mar  4 10:00:00 2003\nnew message\n\n";
	BackoutAppend a = { 0 };
	g_autoptr(GError) error = NULL;

	/* one append, journaled (record_append) */
	put(source, old, f->uid, 0600);
	g_autoptr(BackoutTarget) t = open_target(f, BACKOUT_MERGE, source, &error);
	g_assert_true(write_text(t, add));
	g_assert_true(backout_target_commit(t, NULL, record_append, NULL, &a, &error));
	g_assert_no_error(error);
	g_clear_pointer(&t, backout_target_free);
	g_autofree char *full = g_strconcat(old, "\n", add, NULL);
	g_autofree char *text = get(source);
	g_assert_cmpstr(text, ==, full);
	g_assert_cmpuint(a.at, ==, strlen(old));
	g_assert_cmpuint(a.sep, ==, 1);
	g_assert_cmpuint(a.length, ==, strlen(add));
	g_autofree char *line = backout_append_format(&a);
	BackoutAppend back;
	g_assert_true(backout_append_parse(line, &back));
	g_assert_true(back.ino == a.ino && back.at == a.at && back.sep == a.sep &&
	              back.length == a.length && memcmp(back.sha1, a.sha1, 20) == 0);
	g_assert_false(backout_append_parse("ino=1 at=2 sep=3 length=4 sha1=00", &back));

	BackoutTargetSettings s = { .mode = BACKOUT_MERGE, .lock_timeout_ms = 200 };
	BackoutResume resume = { .pending = &a };
	struct stat st;
	/* the journal said "appending", not "written": complete, so kept as it is */
	t = backout_target_open(&s, &f->manifest, f->access, source, &resume, &error);
	g_assert_no_error(error);
	g_clear_pointer(&t, backout_target_free);
	g_autofree char *kept = get(source);
	g_assert_cmpstr(kept, ==, full);

	/* cut short after 10 bytes of the message, the staging file still there */
	g_assert_cmpint(truncate(source, (off_t)(a.at + a.sep + 10)), ==, 0);
	g_assert_cmpint(stat(source, &st), ==, 0);
	a.ino = st.st_ino;
	put(staged, add, 0, 0600);
	t = backout_target_open(&s, &f->manifest, f->access, source, &resume, &error);
	g_assert_no_error(error);
	g_clear_pointer(&t, backout_target_free);
	g_autofree char *cut = get(source);
	g_assert_cmpstr(cut, ==, old);

	/* cut short, then somebody else's mail after it: refused, left alone */
	g_autofree char *mixed = g_strconcat(old, "\nFrom b Tue", "\n\nFrom c Wed Mar  5 10:00:00 2003\nx\n", NULL);
	put(source, mixed, f->uid, 0600);
	g_assert_cmpint(stat(source, &st), ==, 0);
	a.ino = st.st_ino;
	put(staged, add, 0, 0600);
	t = backout_target_open(&s, &f->manifest, f->access, source, &resume, &error);
	g_assert_null(t);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
	g_assert_nonnull(strstr(error->message, "offset"));
	g_autofree char *left = get(source);
	g_assert_cmpstr(left, ==, mixed);
}

/* IN_PLACE: a backup journaled by a try that died before its link is made now. */
static void
test_backup_journaled_not_made(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *source = g_build_filename(f->mail, "box", NULL);
	g_autofree char *backup = g_strconcat(source, ".pre-backout", NULL);
	g_autoptr(GError) error = NULL;
	put(source, "old\n", f->uid, 0600);
	BackoutTargetSettings s = { .mode = BACKOUT_IN_PLACE, .lock_timeout_ms = 200 };
	BackoutResume resume = { .earlier_backup = "box.pre-backout" };
	g_autoptr(BackoutTarget) t = backout_target_open(&s, &f->manifest, f->access, source, &resume, &error);
	g_assert_no_error(error);
	g_assert_true(write_text(t, "new\n"));
	g_assert_true(backout_target_commit(t, NULL, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	g_autofree char *kept = get(backup);
	g_assert_cmpstr(kept, ==, "old\n");
	g_autofree char *now = get(source);
	g_assert_cmpstr(now, ==, "new\n");
}

/* IN_PLACE, MERGE: another user's file, or a new file in a directory the user could
 * not write, is not theirs to have written. */
static void
test_not_theirs(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autoptr(GError) error = NULL;
	g_autofree char *rootdir = g_build_filename(f->home, "root-owned", NULL);
	g_assert_cmpint(g_mkdir(rootdir, 0755), ==, 0);
	g_autofree char *roots = g_build_filename(rootdir, "box", NULL);
	put(roots, "root's\n", 0, 0644);
	BackoutTarget *t = open_target(f, BACKOUT_IN_PLACE, roots, &error);
	g_assert_null(t);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
	g_clear_error(&error);
	g_autofree char *fresh = g_build_filename(rootdir, "new", NULL);
	t = open_target(f, BACKOUT_MERGE, fresh, &error);
	g_assert_null(t);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM);
	g_assert_false(g_file_test(fresh, G_FILE_TEST_EXISTS));
	g_autofree char *text = get(roots);
	g_assert_cmpstr(text, ==, "root's\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/backout-target/into", Fixture, NULL, setup, test_into, teardown);
	g_test_add("/backout-target/into-symlinks", Fixture, NULL, setup, test_into_symlinks, teardown);
	g_test_add("/backout-target/in-place", Fixture, NULL, setup, test_in_place, teardown);
	g_test_add("/backout-target/refused", Fixture, NULL, setup, test_refused, teardown);
	g_test_add("/backout-target/merge", Fixture, NULL, setup, test_merge, teardown);
	g_test_add("/backout-target/merge-recovery", Fixture, NULL, setup, test_merge_recovery, teardown);
	g_test_add("/backout-target/backup-journaled-not-made", Fixture, NULL, setup,
	           test_backup_journaled_not_made, teardown);
	g_test_add("/backout-target/not-theirs", Fixture, NULL, setup, test_not_theirs, teardown);
	return g_test_run();
}
