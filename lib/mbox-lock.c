/* mbox-lock.c -- see mbox-lock.h.
 *
 * Order: NAME checked (lstat: a regular file or absent), the dotlock, NAME opened and
 * checked again on the descriptor (same inode as the lstat), fcntl, flock.  Each
 * step that finds a holder sleeps 100 ms and tries again until the deadline; then the
 * steps already taken are undone and BUSY names the holder of the step that waited.
 *
 * The dotlock is made the way c-client's dotlock_lock() and liblockfile do it on NFS:
 * link(2) is atomic on the server, and when its reply is lost the unique file's link
 * count (2) tells that it succeeded.  link() never follows a symlink at its target
 * name, so a NAME.lock planted as a symlink is only a lock held, never written
 * through.  Release unlinks NAME.lock only when it is still the inode we linked. */
#include "mbox-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failure.h"

G_DEFINE_QUARK(m2c-mbox-lock-error-quark, m2c_mbox_lock_error)

#define RETRY_INTERVAL_US (100 * 1000)

struct MboxLock {
	int dirfd;            /* our duplicate */
	char *name;
	char *lock_name;      /* NAME.lock */
	gboolean has_dotlock;
	dev_t lock_dev;       /* the dotlock we made */
	ino_t lock_ino;
	int fd;               /* NAME, locked; -1 when absent */
};

typedef enum { STEP_TAKEN, STEP_BUSY, STEP_FAILED } StepResult;

/* "NAME.lock held for 12 s by pid 4711" (what the dotlock's content and age say). */
static char *
describe_dotlock(const MboxLock *lock)
{
	struct stat st;
	char text[64];
	ssize_t got = 0;
	GString *out = g_string_new(lock->lock_name);

	if (fstatat(lock->dirfd, lock->lock_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		g_string_append(out, " held (gone now)");
		return g_string_free(out, FALSE);
	}
	if (S_ISLNK(st.st_mode)) {
		g_string_append(out, " exists as a symbolic link (not ours to follow or remove)");
		return g_string_free(out, FALSE);
	}
	g_string_append_printf(out, " held for %" G_GINT64_FORMAT " s",
	                       MAX((gint64)0, g_get_real_time() / G_USEC_PER_SEC - (gint64)st.st_mtime));
	int fd = S_ISREG(st.st_mode)
	         ? openat(lock->dirfd, lock->lock_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
	         : -1;
	if (fd >= 0) {
		got = read(fd, text, sizeof text - 1);
		close(fd);
	}
	if (got > 0) {
		char *end;
		text[got] = '\0';
		char *nl = strchr(text, '\n');
		if (nl != NULL)
			*nl = '\0';   /* the pid is the first line */
		guint64 pid = g_ascii_strtoull(g_strstrip(text), &end, 10);
		if (end != text && *end == '\0' && pid > 0 && pid <= G_MAXINT) {
			g_string_append_printf(out, " by pid %" G_GUINT64_FORMAT, pid);
			if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
				g_string_append(out, " (no such process on this host)");
		}
	}
	return g_string_free(out, FALSE);
}

/* What our dotlocks hold: the pid (the first line, as c-client and liblockfile write
 * it), then a line that says whose it is. */
static char *
own_content(void)
{
	return g_strdup_printf("%d\nmbox2cyrus %s\n", (int)getpid(), g_get_host_name());
}

/* NAME.lock is one of ours, made on this host by a process that is gone (a run killed
 * with -9): removed, TRUE.  Anything else is left alone. */
static gboolean
remove_own_stale(MboxLock *lock)
{
	char text[512];
	struct stat st, again;
	int fd = openat(lock->dirfd, lock->lock_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	ssize_t got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, text, sizeof text - 1) : -1;
	close(fd);
	if (got <= 0)
		return FALSE;
	text[got] = '\0';
	char *nl = strchr(text, '\n');
	g_autofree char *mark = g_strdup_printf("mbox2cyrus %s\n", g_get_host_name());
	if (nl == NULL || strcmp(nl + 1, mark) != 0)
		return FALSE;
	*nl = '\0';
	char *end;
	guint64 pid = g_ascii_strtoull(text, &end, 10);
	if (end == text || *end != '\0' || pid == 0 || pid > G_MAXINT ||
	    !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
		return FALSE;
	/* still the file read: not one made meanwhile */
	if (fstatat(lock->dirfd, lock->lock_name, &again, AT_SYMLINK_NOFOLLOW) != 0 ||
	    again.st_dev != st.st_dev || again.st_ino != st.st_ino)
		return FALSE;
	return unlinkat(lock->dirfd, lock->lock_name, 0) == 0;
}

static StepResult
try_dotlock(MboxLock *lock, GError **error)
{
	g_autofree char *unique = g_strdup_printf("%s.%s.%d.%08x", lock->lock_name,
	                                          g_get_host_name(), (int)getpid(), g_random_int());
	g_autofree char *pid = own_content();
	struct stat st;
	int fd;

	/* a host name with a '/' cannot be part of a file name */
	g_strdelimit(unique + strlen(lock->lock_name), "/", '_');
	fd = openat(lock->dirfd, unique, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		failure_set_errno(error, errno, "cannot create the lock file \"%s\"", unique);
		return STEP_FAILED;
	}
	gsize len = strlen(pid);
	ssize_t w = write(fd, pid, len);
	int errsv = w < 0 ? errno : ENOSPC;
	if (close(fd) != 0 || w != (ssize_t)len) {
		unlinkat(lock->dirfd, unique, 0);
		failure_set_errno(error, errsv, "cannot write the lock file \"%s\"", unique);
		return STEP_FAILED;
	}
	gboolean taken = linkat(lock->dirfd, unique, lock->dirfd, lock->lock_name, 0) == 0;
	errsv = errno;
	/* NFS: the link may have been made although its reply was lost */
	if (fstatat(lock->dirfd, unique, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		taken = taken || st.st_nlink == 2;
	} else if (taken && fstatat(lock->dirfd, lock->lock_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		memset(&st, 0, sizeof st);   /* cannot tell: release will leave it */
	}
	unlinkat(lock->dirfd, unique, 0);
	if (taken) {
		lock->has_dotlock = TRUE;
		lock->lock_dev = st.st_dev;
		lock->lock_ino = st.st_ino;
		return STEP_TAKEN;
	}
	if (errsv == EEXIST)
		return remove_own_stale(lock) ? try_dotlock(lock, error) : STEP_BUSY;
	failure_set_errno(error, errsv, "cannot make the lock file \"%s\"", lock->lock_name);
	return STEP_FAILED;
}

static StepResult
try_fcntl(MboxLock *lock, GError **error)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	/* an open file description lock: POSIX F_SETLK locks are all dropped when the
	 * process closes any descriptor of the file -- backout reads the file through
	 * another one while it holds the lock.  The two kinds conflict with each other,
	 * so mail programs taking F_SETLK still wait for it. */
	if (fcntl(lock->fd, F_OFD_SETLK, &fl) == 0)
		return STEP_TAKEN;
	if (errno == EACCES || errno == EAGAIN)
		return STEP_BUSY;
	failure_set_errno(error, errno, "cannot lock \"%s\" (fcntl)", lock->name);
	return STEP_FAILED;
}

static char *
describe_fcntl(const MboxLock *lock)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(lock->fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
		return g_strdup_printf("an fcntl lock held by pid %d", (int)fl.l_pid);
	return g_strdup("an fcntl lock");
}

static StepResult
try_flock(MboxLock *lock, GError **error)
{
	if (flock(lock->fd, LOCK_EX | LOCK_NB) == 0)
		return STEP_TAKEN;
	if (errno == EWOULDBLOCK)
		return STEP_BUSY;
	failure_set_errno(error, errno, "cannot lock \"%s\" (flock)", lock->name);
	return STEP_FAILED;
}

static char *
describe_flock(const MboxLock *lock)
{
	(void)lock;
	return g_strdup("a flock lock");
}

/* Run `step` until it is taken or `deadline` (monotonic) has passed. */
static gboolean
retry(MboxLock *lock, StepResult (*step)(MboxLock *, GError **),
      char *(*describe)(const MboxLock *), gint64 deadline, guint timeout_ms, GError **error)
{
	for (;;) {
		StepResult r = step(lock, error);
		if (r == STEP_TAKEN)
			return TRUE;
		if (r == STEP_FAILED)
			return FALSE;
		gint64 now = g_get_monotonic_time();
		if (now >= deadline) {
			g_autofree char *holder = describe(lock);
			g_set_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY,
			            "cannot lock \"%s\" in %u ms: %s", lock->name, timeout_ms, holder);
			return FALSE;
		}
		g_usleep((gulong)MIN(deadline - now, RETRY_INTERVAL_US));
	}
}

static void
set_not_file(GError **error, const char *name, mode_t mode)
{
	g_set_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_NOT_FILE,
	            "not a regular file: \"%s\" is %s", name,
	            S_ISLNK(mode) ? "a symbolic link" : S_ISFIFO(mode) ? "a FIFO"
	            : S_ISDIR(mode) ? "a directory" : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
	            : S_ISSOCK(mode) ? "a socket" : "not a regular file");
}

/* NAME as lstat sees it: absent (*exists_out FALSE), a regular file, or NOT_FILE. */
static gboolean
check_name(const MboxLock *lock, gboolean *exists_out, struct stat *st, GError **error)
{
	if (fstatat(lock->dirfd, lock->name, st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT) {
			failure_set_errno(error, errno, "cannot stat \"%s\"", lock->name);
			return FALSE;
		}
		*exists_out = FALSE;
		return TRUE;
	}
	if (!S_ISREG(st->st_mode)) {
		set_not_file(error, lock->name, st->st_mode);
		return FALSE;
	}
	*exists_out = TRUE;
	return TRUE;
}

/* Open NAME (it was a regular file a moment ago): the same inode, still regular. */
static gboolean
open_name(MboxLock *lock, const struct stat *expected, GError **error)
{
	struct stat st;

	lock->fd = openat(lock->dirfd, lock->name,
	                  O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (lock->fd < 0) {
		if (errno == ELOOP) {
			set_not_file(error, lock->name, S_IFLNK);
			return FALSE;
		}
		if (errno == ENOENT)
			return TRUE;   /* gone meanwhile: locked while absent */
		failure_set_errno(error, errno, "cannot open \"%s\"", lock->name);
		return FALSE;
	}
	if (fstat(lock->fd, &st) != 0) {
		failure_set_errno(error, errno, "cannot stat \"%s\"", lock->name);
		return FALSE;
	}
	if (!S_ISREG(st.st_mode)) {
		set_not_file(error, lock->name, st.st_mode);
		return FALSE;
	}
	if (expected != NULL && (st.st_dev != expected->st_dev || st.st_ino != expected->st_ino)) {
		g_set_error(error, M2C_MBOX_LOCK_ERROR, M2C_MBOX_LOCK_ERROR_BUSY,
		            "\"%s\" was replaced while being locked", lock->name);
		return FALSE;
	}
	/* back to blocking I/O for the caller's reads and writes */
	int flags = fcntl(lock->fd, F_GETFL);
	if (flags < 0 || fcntl(lock->fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		failure_set_errno(error, errno, "cannot set up \"%s\"", lock->name);
		return FALSE;
	}
	return TRUE;
}

MboxLock *
mbox_lock_acquire(int dirfd, const char *name, guint timeout_ms, GError **error)
{
	g_autoptr(MboxLock) lock = g_new0(MboxLock, 1);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	struct stat st;
	gboolean exists = FALSE;

	g_assert(name != NULL && *name != '\0' && strchr(name, '/') == NULL);
	lock->fd = -1;
	lock->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	lock->name = g_strdup(name);
	lock->lock_name = g_strconcat(name, ".lock", NULL);
	if (lock->dirfd < 0) {
		failure_set_errno(error, errno, "cannot lock \"%s\"", name);
		return NULL;
	}
	if (!check_name(lock, &exists, &st, error) ||
	    !retry(lock, try_dotlock, describe_dotlock, deadline, timeout_ms, error) ||
	    (exists && !open_name(lock, &st, error)))
		return NULL;
	if (!exists && !check_name(lock, &exists, &st, error))
		return NULL;
	if (exists && lock->fd < 0 && !open_name(lock, &st, error))
		return NULL;   /* created while we made the dotlock */
	if (lock->fd >= 0 &&
	    (!retry(lock, try_fcntl, describe_fcntl, deadline, timeout_ms, error) ||
	     !retry(lock, try_flock, describe_flock, deadline, timeout_ms, error)))
		return NULL;
	return g_steal_pointer(&lock);
}

int
mbox_lock_fd(const MboxLock *lock)
{
	return lock->fd;
}

void
mbox_lock_release(MboxLock *lock)
{
	struct stat st;

	if (lock == NULL)
		return;
	if (lock->fd >= 0) {
		struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
		flock(lock->fd, LOCK_UN);
		fcntl(lock->fd, F_OFD_SETLK, &fl);
		close(lock->fd);
	}
	/* only our own dotlock: never one that somebody put in its place */
	if (lock->has_dotlock &&
	    fstatat(lock->dirfd, lock->lock_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == lock->lock_dev && st.st_ino == lock->lock_ino)
		unlinkat(lock->dirfd, lock->lock_name, 0);
	if (lock->dirfd >= 0)
		close(lock->dirfd);
	g_free(lock->name);
	g_free(lock->lock_name);
	g_free(lock);
}
