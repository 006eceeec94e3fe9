/* mbox-lock.h -- lock a mailbox file the way the programs that deliver to it and read
 * it do, before writing it as root: UW-IMAP (c-client's dotlock + flock), procmail
 * and mail.local (dotlock + fcntl), mutt (fcntl, dotlock through mutt_dotlock).
 *
 *   1. the dotlock NAME.lock in the same directory, made the NFS-safe way: a unique
 *      file NAME.lock.HOST.PID.N created O_EXCL | O_NOFOLLOW, mode 0644, holding our
 *      pid, linked to NAME.lock, and taken when the link succeeded (or the unique
 *      file's link count became 2); the unique file removed;
 *   2. when NAME exists: opened O_RDWR | O_NOFOLLOW | O_NONBLOCK (never a FIFO or a
 *      device: it must be a regular file), then an fcntl write lock on the
 *      whole file and flock(LOCK_EX | LOCK_NB) -- Linux keeps the two apart, and each
 *      kind of reader honours one.  The fcntl lock is an open file description lock
 *      (F_OFD_SETLK): it conflicts with the F_SETLK locks mail programs take, but,
 *      unlike one, it is not dropped when the process closes another descriptor of
 *      the file (backout reads the file it holds locked through another one).
 * Each step is retried every 100 ms until `timeout_ms` has passed.  A dotlock is never
 * broken, however old: the report names it with its age and pid so that a person
 * decides (a stale lock of a crashed client vs. a mail reader still writing).  The one
 * exception is our own: a dotlock holds "PID\nmbox2cyrus HOST\n", and one that says
 * this host and a pid that no longer runs (a backout killed with -9) is removed.
 *
 * Release (mbox_lock_release) undoes both in reverse order; it is also what freeing
 * does.  The lock belongs to the name: after the caller renames a new file over NAME
 * (the old one is still the one locked), releasing is still right.
 *
 * Errors: M2C_MBOX_LOCK_ERROR_BUSY (temporary: somebody holds a lock; the message
 * names which: "NAME.lock held for 12 s by pid 4711", "an fcntl lock held by pid
 * 4711", "a flock lock"), or a G_FILE_ERROR from a system call (EACCES, EROFS, ENOSPC
 * keep their errno, see failure.h), or M2C_MBOX_LOCK_ERROR_NOT_FILE when NAME is not a
 * regular file (a symlink, a FIFO...). */
#ifndef M2C_MBOX_LOCK_H
#define M2C_MBOX_LOCK_H

#include <glib.h>

#define M2C_MBOX_LOCK_ERROR (m2c_mbox_lock_error_quark())
GQuark m2c_mbox_lock_error_quark(void);

typedef enum {
	M2C_MBOX_LOCK_ERROR_BUSY,
	M2C_MBOX_LOCK_ERROR_NOT_FILE,
} M2cMboxLockError;

typedef struct MboxLock MboxLock;

/* Lock `name` (one path component) in the directory `dirfd`. */
MboxLock *mbox_lock_acquire(int dirfd, const char *name, guint timeout_ms, GError **error);

/* The descriptor of the locked file (O_RDWR, owned by the lock), or -1 when NAME did
 * not exist when it was locked. */
int mbox_lock_fd(const MboxLock *lock);

/* Unlock and free.  NULL is allowed. */
void mbox_lock_release(MboxLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MboxLock, mbox_lock_release)

#endif
