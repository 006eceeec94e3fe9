/* backout-target.c -- see backout-target.h. */
#include "backout-target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failure.h"
#include "fd-io.h"
#include "manifest-source.h"
#include "backout-target-private.h"
#include "mbox-lock.h"

gboolean
target_errno(GError **error, const char *what)
{
	int saved = errno;
	failure_set_errno(error, saved, "%s", what);
	return FALSE;
}

gboolean
target_refuse(GError **error, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	g_autofree char *text = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_PERM, text);
	return FALSE;
}

/* IN_PLACE after a try that died between the backup and the rename: NAME's second
 * link is that backup. */
static gboolean
is_earlier_backup(const BackoutTarget *t, const struct stat *st)
{
	struct stat b;
	return t->earlier_backup != NULL && st->st_nlink == 2 &&
	       fstatat(t->dirfd, t->earlier_backup, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       b.st_dev == st->st_dev && b.st_ino == st->st_ino;
}

/* NAME, if it exists, may be replaced: a regular file with one link (or two, the
 * second our backup). */
static gboolean
check_name(BackoutTarget *t, struct stat *st, gboolean *exists, GError **error)
{
	if (fstatat(t->dirfd, t->name, st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT)
			return target_errno(error, "lstat");
		*exists = FALSE;
		return TRUE;
	}
	*exists = TRUE;
	if (S_ISLNK(st->st_mode))
		return target_refuse(error, "a symbolic link is where the file goes: not written through");
	if (!S_ISREG(st->st_mode))
		return target_refuse(error, "not a regular file (mode %06o): not replaced", (unsigned)st->st_mode);
	if (st->st_nlink > 1 && !is_earlier_backup(t, st))
		return target_refuse(error, "a file with %ju hard links: not replaced", (uintmax_t)st->st_nlink);
	return TRUE;
}

/* INTO: DIR, then each directory of `source` below it, made and entered without
 * following a link. */
static int
open_into_dir(const char *into, const char *source, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(source);
	g_auto(GStrv) parts = g_strsplit(dir, "/", -1);
	int fd;

	if (mkdir(into, 0700) != 0 && errno != EEXIST) {
		target_errno(error, "mkdir --into");
		return -1;
	}
	fd = open(into, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		target_errno(error, "--into");
		return -1;
	}
	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] == '\0')
			continue;
		if (mkdirat(fd, parts[i], 0700) != 0 && errno != EEXIST) {
			target_errno(error, "mkdir");
			close(fd);
			return -1;
		}
		int next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int saved = errno;
			close(fd);
			if (saved == ELOOP || saved == ENOTDIR) {
				target_refuse(error, "\"%s\" on the way is not a directory (a link?): not followed",
				       parts[i]);
				return -1;
			}
			errno = saved;
			target_errno(error, "open directory");
			return -1;
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* IN_PLACE, MERGE: the file is the user's to have rewritten (see the header). */
static gboolean
check_whose(BackoutTarget *t, const ManifestSettings *manifest, const UserAccess *access,
            const struct stat *st, gboolean exists, GError **error)
{
	struct stat dir, inbox;
	if (exists) {
		g_autofree char *why = user_access_refusal(access, st);
		if (why != NULL && !is_earlier_backup(t, st))
			return target_refuse(error, "%s: not the user's to replace", why);
		return TRUE;
	}
	if (fstat(t->dirfd, &dir) != 0)
		return target_errno(error, "fstat the directory");
	const char *inbox_dir = manifest->inbox_dir ? manifest->inbox_dir : "/var/mail";
	if (stat(inbox_dir, &inbox) == 0 && inbox.st_dev == dir.st_dev && inbox.st_ino == dir.st_ino)
		return TRUE;
	uid_t uid;
	gid_t gid;
	if ((user_access_get_ids(access, &uid, &gid) && dir.st_uid == uid) ||
	    user_access_may_write(access, &dir))
		return TRUE;
	return target_refuse(error, "the user could not make a file in its directory (mode %04o, "
	                     "owner uid %u): not made for them", (unsigned)(dir.st_mode & 07777),
	                     (unsigned)dir.st_uid);
}

BackoutTarget *
backout_target_open(const BackoutTargetSettings *settings, const ManifestSettings *manifest,
                    const UserAccess *access, const char *source, const BackoutResume *resume,
                    GError **error)
{
	g_autoptr(BackoutTarget) t = g_new0(BackoutTarget, 1);
	g_autofree char *dir = g_path_get_dirname(source);
	struct stat st;
	gboolean exists = FALSE;

	t->dirfd = t->fd = -1;
	t->mode = settings->mode;
	t->backup_suffix = settings->backup_suffix ? settings->backup_suffix : ".pre-backout";
	t->name = g_path_get_basename(source);
	if (settings->mode == BACKOUT_IN_PLACE && resume != NULL)
		t->earlier_backup = g_strdup(resume->earlier_backup);
	t->temp = g_strdup_printf(".%.200s.m2c-backout", t->name);
	t->buf = g_malloc(BUFFER);
	if (settings->mode == BACKOUT_INTO) {
		t->path = g_build_filename(settings->into, source, NULL);
		t->dirfd = open_into_dir(settings->into, source, error);
	} else {
		t->path = g_strdup(source);
		t->dirfd = manifest_source_open_directory(manifest, access, dir, error);
	}
	if (t->dirfd < 0)
		return NULL;
	if (settings->mode != BACKOUT_INTO) {
		t->lock = mbox_lock_acquire(t->dirfd, t->name, settings->lock_timeout_ms, error);
		if (t->lock == NULL)
			return NULL;
	}
	if (!check_name(t, &st, &exists, error) ||
	    (settings->mode != BACKOUT_INTO && !check_whose(t, manifest, access, &st, exists, error)))
		return NULL;
	t->have_owner = user_access_get_ids(access, &t->uid, &t->gid);
	if (exists) {
		t->had_file = TRUE;
		t->dev = st.st_dev;
		t->ino = st.st_ino;
		if (settings->mode != BACKOUT_INTO) {
			if (!t->have_owner)
				t->uid = st.st_uid;
			t->gid = st.st_gid;
			t->have_owner = TRUE;
		}
	}
	if (settings->mode == BACKOUT_MERGE && resume != NULL && resume->pending != NULL &&
	    !target_recover_append(t, resume->pending, error))
		return NULL;
	if (unlinkat(t->dirfd, t->temp, 0) != 0 && errno != ENOENT) {
		target_errno(error, "remove an earlier temporary file");
		return NULL;
	}
	t->fd = openat(t->dirfd, t->temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->fd < 0) {
		target_errno(error, "create the temporary file");
		return NULL;
	}
	return g_steal_pointer(&t);
}

const char *
backout_target_path(const BackoutTarget *target)
{
	return target->path;
}

gboolean
backout_target_had_file(const BackoutTarget *target)
{
	return target->had_file;
}

gboolean
target_flush(BackoutTarget *t, GError **error)
{
	if (!fd_write_all(t->fd, t->buf, t->buffered, "write", error))
		return FALSE;
	t->written += t->buffered;
	t->buffered = 0;
	return TRUE;
}

gboolean
backout_target_write(const char *data, gsize len, gpointer user_data, GError **error)
{
	BackoutTarget *t = user_data;
	while (len > 0) {
		if (t->buffered == BUFFER && !target_flush(t, error))
			return FALSE;
		gsize n = MIN(len, BUFFER - t->buffered);
		memcpy(t->buf + t->buffered, data, n);
		t->buffered += n;
		data += n;
		len -= n;
	}
	return TRUE;
}

guint64
backout_target_offset(const BackoutTarget *target)
{
	return target->written + target->buffered;
}

gboolean
backout_target_truncate(BackoutTarget *t, guint64 offset, GError **error)
{
	if (offset >= t->written) {
		t->buffered = MIN(t->buffered, offset - t->written);
		return TRUE;
	}
	t->buffered = 0;
	if (ftruncate(t->fd, (off_t)offset) != 0 || lseek(t->fd, (off_t)offset, SEEK_SET) < 0)
		return target_errno(error, "truncate");
	t->written = offset;
	return TRUE;
}

/* IN_PLACE: the old file hard-linked to NAME + suffix (or ".1" ... ".99" after it
 * when that name is taken by something not ours), unless an earlier try made it.
 * The name is journaled (`made`) before the link, so that a kill between the two
 * leaves a backup the next try knows for its own. */
static gboolean
keep_backup(BackoutTarget *t, BackoutBackupFunc made, gpointer data, GError **error)
{
	const char *earlier = t->earlier_backup;
	struct stat st;
	if (earlier != NULL) {
		if (fstatat(t->dirfd, earlier, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISREG(st.st_mode))
				return TRUE;
			return target_refuse(error, "the backup an earlier try made, \"%s\", is not a "
			                     "file now: not replacing the file without one", earlier);
		}
		if (errno != ENOENT)
			return target_errno(error, "lstat the backup");
		/* journaled, not made: the try died before its link */
		if (linkat(t->dirfd, t->name, t->dirfd, earlier, 0) == 0)
			return TRUE;
		if (errno != EEXIST)
			return target_errno(error, "keep the backup");
	}
	for (int k = 0; k < 100; k++) {
		g_autofree char *backup = k == 0 ? g_strconcat(t->name, t->backup_suffix, NULL)
		                                 : g_strdup_printf("%s%s.%d", t->name, t->backup_suffix, k);
		if (fstatat(t->dirfd, backup, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			continue;
		if (made != NULL && !made(backup, data, error))
			return FALSE;
		if (linkat(t->dirfd, t->name, t->dirfd, backup, 0) == 0)
			return TRUE;
		if (errno != EEXIST)
			return target_errno(error, "keep the backup");
	}
	return target_refuse(error, "no free name for the backup (%s%s to .99 are taken)", t->name,
	                     t->backup_suffix);
}

gboolean
backout_target_commit(BackoutTarget *t, BackoutBackupFunc made, BackoutAppendFunc appending,
                      BackoutAppendFunc check, gpointer data, GError **error)
{
	struct stat st;
	gboolean exists = FALSE;

	if (t->mode == BACKOUT_MERGE)
		return target_append(t, appending, check, data, error);
	if (!target_flush(t, error))
		return FALSE;
	if (fsync(t->fd) != 0)
		return target_errno(error, "fsync");
	if (t->have_owner && geteuid() == 0 && fchown(t->fd, t->uid, t->gid) != 0)
		return target_errno(error, "chown");
	if (fchmod(t->fd, 0600) != 0)
		return target_errno(error, "chmod");
	if (!check_name(t, &st, &exists, error))
		return FALSE;
	if (t->mode != BACKOUT_INTO && exists != t->had_file)
		return target_refuse(error, "the file %s while it was locked", exists ? "appeared" : "vanished");
	if (t->mode != BACKOUT_INTO && exists && (st.st_dev != t->dev || st.st_ino != t->ino))
		return target_refuse(error, "the file was replaced while it was locked");
	if (t->mode == BACKOUT_IN_PLACE && exists && !keep_backup(t, made, data, error))
		return FALSE;
	if (renameat(t->dirfd, t->temp, t->dirfd, t->name) != 0)
		return target_errno(error, "rename");
	t->committed = TRUE;
	if (fsync(t->dirfd) != 0)
		return target_errno(error, "fsync the directory");
	return TRUE;
}

void
backout_target_free(BackoutTarget *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->fd >= 0 && !t->committed)
		(void)unlinkat(t->dirfd, t->temp, 0);
	mbox_lock_release(t->lock);
	if (t->dirfd >= 0)
		close(t->dirfd);
	g_free(t->path);
	g_free(t->name);
	g_free(t->temp);
	g_free(t->earlier_backup);
	g_free(t->buf);
	g_free(t);
}
