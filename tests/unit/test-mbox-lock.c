/* test-mbox-lock.c -- lib/mbox-lock.c: a lock taken and given back leaves the file as
 * it was and no lock file behind; each kind of holder (a dotlock, an fcntl lock and a
 * flock lock of another process, a symlink planted as NAME.lock) makes BUSY after the
 * timeout, naming the holder; NAME as a symlink or a FIFO is NOT_FILE at once; a
 * missing NAME is locked by its dotlock alone.  Other processes are forked children
 * that say through a pipe when they hold their lock. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mbox-lock.h"

#define TIMEOUT_MS 300

typedef struct {
	char *dir;
	int dirfd;
	char *mbox;      /* DIR/inbox */
} Fixture;

static const char content[] = "From a@b Wed Mar  5 14:45:12 2003\nSubject: x\n\nbody\n\n";

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	(void)data;
	f->dir = g_dir_make_tmp("m2c-lock-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_assert_cmpint(f->dirfd, >=, 0);
	f->mbox = g_build_filename(f->dir, "inbox", NULL);
	g_assert_true(g_file_set_contents(f->mbox, content, -1, NULL));
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
	const char *name;
	(void)data;
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(f->dir, name, NULL);
		g_unlink(p);
	}
	close(f->dirfd);
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->mbox);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The directory's names, sorted, space-separated. */
static char *
listing(const Fixture *f)
{
	g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

static void
assert_content(const char *path, const char *expected)
{
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, expected);
}

static void
test_lock_release(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	struct stat a, b;
	(void)data;

	MboxLock *lock = mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error);
	g_assert_no_error(error);
	g_assert_nonnull(lock);
	g_autofree char *during = listing(f);
	g_assert_cmpstr(during, ==, "inbox inbox.lock");
	g_autofree char *lock_path = g_build_filename(f->dir, "inbox.lock", NULL);
	g_autofree char *pid = g_strdup_printf("%d\nmbox2cyrus %s\n", (int)getpid(), g_get_host_name());
	assert_content(lock_path, pid);
	g_assert_cmpint(fstat(mbox_lock_fd(lock), &a), ==, 0);
	g_assert_cmpint(stat(f->mbox, &b), ==, 0);
	g_assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	g_assert_cmpint(fcntl(mbox_lock_fd(lock), F_GETFL) & O_ACCMODE, ==, O_RDWR);
	mbox_lock_release(lock);
	g_autofree char *after = listing(f);
	g_assert_cmpstr(after, ==, "inbox");
	assert_content(f->mbox, content);

	/* again, now that it is free */
	lock = mbox_lock_acquire(f->dirfd, "inbox", 0, &error);
	g_assert_no_error(error);
	mbox_lock_release(lock);
	mbox_lock_release(NULL);
}

static void
test_missing(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	(void)data;

	MboxLock *lock = mbox_lock_acquire(f->dirfd, "new", TIMEOUT_MS, &error);
	g_assert_no_error(error);
	g_assert_cmpint(mbox_lock_fd(lock), ==, -1);
	g_autofree char *during = listing(f);
	g_assert_cmpstr(during, ==, "inbox new.lock");
	mbox_lock_release(lock);
	g_autofree char *after = listing(f);
	g_assert_cmpstr(after, ==, "inbox");
}

/* A dotlock left by someone else: never broken, named with its pid. */
static void
test_dotlock_held(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *lock_path = g_build_filename(f->dir, "inbox.lock", NULL);
	(void)data;

	g_assert_true(g_file_set_contents(lock_path, "4711\n", -1, NULL));
	gint64 start = g_get_monotonic_time();
	MboxLock *lock = mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error);
	gint64 waited_ms = (g_get_monotonic_time() - start) / 1000;
	g_assert_null(lock);
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "inbox.lock held for "));
	g_assert_nonnull(strstr(error->message, " s by pid 4711"));
	g_assert_cmpint(waited_ms, >=, TIMEOUT_MS);
	g_assert_cmpint(waited_ms, <, TIMEOUT_MS + 2000);
	assert_content(lock_path, "4711\n");
	g_autofree char *after = listing(f);
	g_assert_cmpstr(after, ==, "inbox inbox.lock");

	/* a lock file without a pid: its age only */
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(lock_path, "", -1, NULL));
	g_assert_null(mbox_lock_acquire(f->dirfd, "inbox", 0, &error));
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	g_assert_nonnull(strstr(error->message, "inbox.lock held for "));
	g_assert_null(strstr(error->message, "pid"));
}

/* A pid that ran and is gone: a child that has exited and been reaped. */
static pid_t
dead_pid(void)
{
	pid_t child = fork();
	g_assert_cmpint(child, >=, 0);
	if (child == 0)
		_exit(0);
	g_assert_cmpint(waitpid(child, NULL, 0), ==, child);
	return child;
}

/* Our own dotlock left by a run killed with -9 (this host, its pid gone) is removed;
 * somebody else's with a dead pid, or ours with a live pid, is not. */
static void
test_dotlock_own_stale(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *lock_path = g_build_filename(f->dir, "inbox.lock", NULL);
	pid_t dead = dead_pid();
	(void)data;

	g_autofree char *ours = g_strdup_printf("%d\nmbox2cyrus %s\n", (int)dead, g_get_host_name());
	g_assert_true(g_file_set_contents(lock_path, ours, -1, NULL));
	MboxLock *lock = mbox_lock_acquire(f->dirfd, "inbox", 0, &error);
	g_assert_no_error(error);
	g_assert_nonnull(lock);
	mbox_lock_release(lock);
	g_assert_false(g_file_test(lock_path, G_FILE_TEST_EXISTS));

	static const char *const others[] = { "%d\n", "%d\nmbox2cyrus another-host\n",
	                                      "%d\nprocmail\n" };
	for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
		g_autofree char *text = g_strdup_printf(others[i], (int)dead);
		g_assert_true(g_file_set_contents(lock_path, text, -1, NULL));
		g_assert_null(mbox_lock_acquire(f->dirfd, "inbox", 0, &error));
		g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
		g_assert_nonnull(strstr(error->message, "no such process"));
		g_clear_error(&error);
		assert_content(lock_path, text);
	}
	/* ours, but the process still runs (this one) */
	g_autofree char *live = g_strdup_printf("%d\nmbox2cyrus %s\n", (int)getpid(), g_get_host_name());
	g_assert_true(g_file_set_contents(lock_path, live, -1, NULL));
	g_assert_null(mbox_lock_acquire(f->dirfd, "inbox", 0, &error));
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	assert_content(lock_path, live);
}

/* A symlink planted as NAME.lock: held, never written through, left alone. */
static void
test_dotlock_symlink(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *lock_path = g_build_filename(f->dir, "inbox.lock", NULL);
	g_autofree char *target = g_build_filename(f->dir, "target", NULL);
	g_autofree char *absent = g_build_filename(f->dir, "absent", NULL);
	(void)data;

	g_assert_true(g_file_set_contents(target, "precious\n", -1, NULL));
	g_assert_cmpint(symlink(target, lock_path), ==, 0);
	g_assert_null(mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error));
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	g_assert_nonnull(strstr(error->message, "inbox.lock"));
	assert_content(target, "precious\n");
	g_autofree char *link = g_file_read_link(lock_path, NULL);
	g_assert_cmpstr(link, ==, target);

	/* dangling: nothing is created at its target */
	g_clear_error(&error);
	g_unlink(lock_path);
	g_assert_cmpint(symlink(absent, lock_path), ==, 0);
	g_assert_null(mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error));
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	g_assert_false(g_file_test(absent, G_FILE_TEST_EXISTS));
	g_autofree char *after = listing(f);
	g_assert_cmpstr(after, ==, "inbox inbox.lock target");
}

static void
test_name_symlink(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *link_path = g_build_filename(f->dir, "link", NULL);
	struct stat before, after;
	(void)data;

	g_assert_cmpint(symlink(f->mbox, link_path), ==, 0);
	g_assert_cmpint(stat(f->mbox, &before), ==, 0);
	g_assert_null(mbox_lock_acquire(f->dirfd, "link", TIMEOUT_MS, &error));
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_NOT_FILE);
	g_assert_nonnull(strstr(error->message, "symbolic link"));
	g_assert_cmpint(stat(f->mbox, &after), ==, 0);
	g_assert_cmpint(before.st_mtime, ==, after.st_mtime);
	assert_content(f->mbox, content);
	g_autofree char *names = listing(f);
	g_assert_cmpstr(names, ==, "inbox link");
	/* and nobody holds a lock on the target */
	int fd = open(f->mbox, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	g_assert_cmpint(fcntl(fd, F_GETLK, &fl), ==, 0);
	g_assert_cmpint(fl.l_type, ==, F_UNLCK);
	close(fd);
}

static void
test_name_fifo(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *fifo = g_build_filename(f->dir, "fifo", NULL);
	(void)data;

	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	gint64 start = g_get_monotonic_time();
	g_assert_null(mbox_lock_acquire(f->dirfd, "fifo", 5000, &error));
	g_assert_cmpint(g_get_monotonic_time() - start, <, 1000 * 1000);
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_NOT_FILE);
	g_assert_nonnull(strstr(error->message, "FIFO"));
	g_autofree char *names = listing(f);
	g_assert_cmpstr(names, ==, "fifo inbox");
}

typedef enum { HOLD_FCNTL, HOLD_FLOCK } HoldKind;

/* A child holding a lock on `path` until its stdin pipe closes; returns its pid once
 * it says (through a pipe) that it holds the lock. */
static pid_t
spawn_holder(const char *path, HoldKind kind, int *release_fd_out)
{
	int ready[2], release[2];
	char byte;

	g_assert_cmpint(pipe(ready), ==, 0);
	g_assert_cmpint(pipe(release), ==, 0);
	pid_t pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		close(ready[0]);
		close(release[1]);
		int fd = open(path, O_RDWR);
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int ok = fd >= 0 && (kind == HOLD_FCNTL ? fcntl(fd, F_SETLK, &fl) == 0
		                                        : flock(fd, LOCK_EX | LOCK_NB) == 0);
		byte = ok ? 'y' : 'n';
		if (write(ready[1], &byte, 1) != 1)
			_exit(2);
		while (read(release[0], &byte, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	g_assert_cmpint(read(ready[0], &byte, 1), ==, 1);
	g_assert_cmpint(byte, ==, 'y');
	close(ready[0]);
	*release_fd_out = release[1];
	return pid;
}

static void
end_holder(pid_t pid, int release_fd)
{
	int status;
	close(release_fd);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_fcntl_held(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	int release;
	(void)data;

	pid_t pid = spawn_holder(f->mbox, HOLD_FCNTL, &release);
	g_assert_null(mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error));
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	g_test_message("%s", error->message);
	g_autofree char *expected = g_strdup_printf("an fcntl lock held by pid %d", (int)pid);
	g_assert_nonnull(strstr(error->message, expected));
	g_autofree char *names = listing(f);
	g_assert_cmpstr(names, ==, "inbox");   /* the dotlock taken meanwhile is gone */
	end_holder(pid, release);

	g_clear_error(&error);
	MboxLock *lock = mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error);
	g_assert_no_error(error);
	mbox_lock_release(lock);
}

static void
test_flock_held(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	int release;
	(void)data;

	pid_t pid = spawn_holder(f->mbox, HOLD_FLOCK, &release);
	g_assert_null(mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error));
	g_assert_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "a flock lock"));
	g_autofree char *names = listing(f);
	g_assert_cmpstr(names, ==, "inbox");
	end_holder(pid, release);
	assert_content(f->mbox, content);
}

/* Our own lock shuts out another process: each of the three kinds. */
static void
test_excludes_others(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	int status;
	(void)data;

	MboxLock *lock = mbox_lock_acquire(f->dirfd, "inbox", TIMEOUT_MS, &error);
	g_assert_no_error(error);
	pid_t pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		int fd = open(f->mbox, O_RDWR);
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int lock_fd = openat(f->dirfd, "inbox.lock", O_WRONLY | O_CREAT | O_EXCL, 0644);
		gboolean fcntl_busy = fcntl(fd, F_SETLK, &fl) != 0;
		gboolean flock_busy = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
		_exit(lock_fd < 0 && fcntl_busy && flock_busy ? 0 : 1);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	mbox_lock_release(lock);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD("/mbox-lock/dotlock-own-stale", test_dotlock_own_stale);
	ADD("/mbox-lock/lock-release", test_lock_release);
	ADD("/mbox-lock/missing", test_missing);
	ADD("/mbox-lock/dotlock-held", test_dotlock_held);
	ADD("/mbox-lock/dotlock-symlink", test_dotlock_symlink);
	ADD("/mbox-lock/name-symlink", test_name_symlink);
	ADD("/mbox-lock/name-fifo", test_name_fifo);
	ADD("/mbox-lock/fcntl-held", test_fcntl_held);
	ADD("/mbox-lock/flock-held", test_flock_held);
	ADD("/mbox-lock/excludes-others", test_excludes_others);
	return g_test_run();
}
