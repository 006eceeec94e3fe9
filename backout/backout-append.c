/* backout-append.c -- MERGE's write: the staged messages appended to the locked
 * mailbox file in place, journaled first, rolled back on an error, recovered after a
 * kill (see backout-target.h).  In place, not temp + rename: a mail program that
 * opened the file before it waited for our lock (mutt's order: open, then fcntl) would
 * otherwise append to the inode we renamed away, and its message would be lost. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "backout-target-private.h"
#include "fault.h"
#include "fd-io.h"
#include "imap-digest.h"
#include "tsv.h"

#define PIECE (64 * 1024)

char *
backout_append_format(const BackoutAppend *a)
{
	char hex[41];
	imap_digest_hex(a->sha1, hex);
	return g_strdup_printf("ino=%" G_GUINT64_FORMAT " at=%" G_GUINT64_FORMAT " sep=%u length=%"
	                       G_GUINT64_FORMAT " sha1=%s", a->ino, a->at, a->sep, a->length, hex);
}

gboolean
backout_append_parse(const char *text, BackoutAppend *out)
{
	g_auto(GStrv) parts = g_strsplit(text, " ", -1);
	static const char *const keys[] = { "ino=", "at=", "sep=", "length=", "sha1=" };
	guint64 v[4];

	if (g_strv_length(parts) != G_N_ELEMENTS(keys))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!g_str_has_prefix(parts[i], keys[i]))
			return FALSE;
	for (guint i = 0; i < 4; i++)
		if (!tsv_parse_number(parts[i] + strlen(keys[i]), G_MAXUINT64, &v[i]))
			return FALSE;
	const char *hex = parts[4] + strlen("sha1=");
	if (strlen(hex) != 40 || v[2] > 2)
		return FALSE;
	for (guint i = 0; i < 20; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return FALSE;
		out->sha1[i] = (guint8)(hi << 4 | lo);
	}
	out->ino = v[0];
	out->at = v[1];
	out->sep = (guint)v[2];
	out->length = v[3];
	return TRUE;
}

/* SHA-1 of `len` bytes of `fd` from `at`. */
static gboolean
hash_range(int fd, guint64 at, guint64 len, guint8 out[20], GError **error)
{
	g_autofree char *buf = g_malloc(PIECE);
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	unsigned int n = 0;
	gboolean ok = sha != NULL && EVP_DigestInit_ex(sha, EVP_sha1(), NULL) == 1;
	while (ok && len > 0) {
		gsize take = (gsize)MIN(len, (guint64)PIECE);
		ok = fd_pread_all(fd, buf, take, at, "read", error) && EVP_DigestUpdate(sha, buf, take) == 1;
		at += take;
		len -= take;
	}
	ok = ok && EVP_DigestFinal_ex(sha, out, &n) == 1 && n == 20;
	EVP_MD_CTX_free(sha);
	if (!ok && error != NULL && *error == NULL)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
	return ok;
}

/* Are the file's bytes from `p->at` to `size` the start of what `p` meant to append
 * (its separator, then the staging file's bytes)? */
static gboolean
is_our_prefix(BackoutTarget *t, int fd, const BackoutAppend *p, guint64 size)
{
	g_autofree char *a = g_malloc(PIECE), *b = g_malloc(PIECE);
	guint64 at = p->at, staged_at = 0;
	int staging = openat(t->dirfd, t->temp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	gboolean same = staging >= 0 && fstat(staging, &st) == 0 && S_ISREG(st.st_mode) &&
	                (guint64)st.st_size == p->length;

	for (guint k = 0; same && k < p->sep && at < size; k++, at++)
		same = fd_pread_all(fd, a, 1, at, "read", NULL) && a[0] == '\n';
	while (same && at < size) {
		gsize take = (gsize)MIN(size - at, (guint64)PIECE);
		same = fd_pread_all(fd, a, take, at, "read", NULL) &&
		       fd_pread_all(staging, b, take, staged_at, "read", NULL) &&
		       memcmp(a, b, take) == 0;
		at += take;
		staged_at += take;
	}
	if (staging >= 0)
		close(staging);
	return same;
}

gboolean
target_recover_append(BackoutTarget *t, const BackoutAppend *p, GError **error)
{
	int fd = mbox_lock_fd(t->lock);
	struct stat st;
	guint8 sha1[20];

	if (fd < 0)
		return TRUE;                      /* the file is gone: nothing of ours in it */
	if (fstat(fd, &st) != 0)
		return target_errno(error, "fstat");
	guint64 size = (guint64)st.st_size, end = p->at + p->sep + p->length;
	if ((guint64)st.st_ino != p->ino || size <= p->at)
		return TRUE;                      /* another file now, or nothing was appended */
	if (size >= end) {
		char sep[2] = { 0, 0 };
		if (fd_pread_all(fd, sep, p->sep, p->at, "read", NULL) && memchr(sep, 0, p->sep) == NULL &&
		    hash_range(fd, p->at + p->sep, p->length, sha1, NULL) && memcmp(sha1, p->sha1, 20) == 0)
			return TRUE;                  /* it was all written */
	} else if (is_our_prefix(t, fd, p, size)) {
		/* cut short by the kill, nothing after it: cut back */
		if (ftruncate(fd, (off_t)p->at) != 0 || fsync(fd) != 0)
			return target_errno(error, "cut back an interrupted append");
		return TRUE;
	}
	/* the staging file removed by hand says the file is settled: merge by content */
	struct stat staged;
	if (fstatat(t->dirfd, t->temp, &staged, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
		return TRUE;
	return target_refuse(error, "an earlier try's append at offset %" G_GUINT64_FORMAT " (%"
	                     G_GUINT64_FORMAT " bytes) was cut short, and the file holds other bytes "
	                     "there now: left as it is; look at it from that offset (what it meant to "
	                     "append is in %s next to it; remove that file once the mailbox is set "
	                     "right, and the next --merge adds what is missing)", p->at,
	                     (guint64)p->sep + p->length, t->temp);
}

/* Owner, group, mode 0600 for a file we make. */
static gboolean
give_to_user(BackoutTarget *t, int fd, GError **error)
{
	if (t->have_owner && geteuid() == 0 && fchown(fd, t->uid, t->gid) != 0)
		return target_errno(error, "chown");
	if (fchmod(fd, 0600) != 0)
		return target_errno(error, "chmod");
	return TRUE;
}

gboolean
target_append(BackoutTarget *t, BackoutAppendFunc appending, BackoutAppendFunc check,
              gpointer data, GError **error)
{
	int fd = mbox_lock_fd(t->lock);
	struct stat st;
	char tail[3] = { 0, 0, 0 };       /* the old file's last three bytes */
	BackoutAppend a = { 0 };

	if (!target_flush(t, error))
		return FALSE;
	if (t->written == 0)
		return TRUE;                      /* nothing to add */
	if (fsync(t->fd) != 0)
		return target_errno(error, "fsync");
	if (!t->had_file) {
		/* a new file: the staging file (folder data first) renamed into place */
		if (!give_to_user(t, t->fd, error))
			return FALSE;
		if (fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return target_refuse(error, "the file appeared while it was locked");
		if (renameat(t->dirfd, t->temp, t->dirfd, t->name) != 0)
			return target_errno(error, "rename");
		t->committed = TRUE;
		return fsync(t->dirfd) == 0 || target_errno(error, "fsync the directory");
	}
	if (fd < 0 || fstat(fd, &st) != 0)
		return target_refuse(error, "the locked file cannot be looked at");
	if (st.st_dev != t->dev || st.st_ino != t->ino)
		return target_refuse(error, "the file was replaced while it was locked");
	a.ino = (guint64)st.st_ino;
	a.at = (guint64)st.st_size;
	a.length = t->written;
	gsize got = (gsize)MIN(a.at, (guint64)3);
	if (got > 0 && !fd_pread_all(fd, tail + 3 - got, got, a.at - got, "read the file's end", error))
		return FALSE;
	/* an empty line must come before our From_ line: the file ends with one already
	 * ("\n\n", or a CRLF file's "\n\r\n"), or with a line end (one more), or in
	 * the middle of a line (two) */
	if (a.at == 0 || (tail[2] == '\n' && (tail[1] == '\n' || (tail[1] == '\r' && tail[0] == '\n'))))
		a.sep = 0;
	else
		a.sep = tail[2] == '\n' ? 1 : 2;
	if (!hash_range(t->fd, 0, a.length, a.sha1, error) ||
	    (appending != NULL && !appending(&a, data, error)))
		return FALSE;

	/* the append: the separator, then the staged bytes in pieces; undone on an error */
	g_autofree char *buf = g_malloc(PIECE);
	guint64 at = a.at, from = 0;
	gboolean ok = fd_pwrite_all(fd, "\n\n", a.sep, at, "append", error);
	at += a.sep;
	while (ok && from < a.length) {
		gsize take = (gsize)MIN(a.length - from, (guint64)PIECE);
		ok = fd_pread_all(t->fd, buf, take, from, "read the staged messages", error) &&
		     fd_pwrite_all(fd, buf, take, at, "append", error);
		from += take;
		at += take;
		if (ok && from < a.length)
			fault_point("backout-append");   /* tests: a kill in the middle */
	}
	if (ok && fsync(fd) != 0)
		ok = target_errno(error, "fsync");
	/* the file as the next merge will read it: the old messages as they were, ours
	 * after them -- else undone (a Content-Length that now fits, a quoting decision
	 * that flips, would make old messages read otherwise, and come back twice) */
	if (ok && check != NULL)
		ok = check(&a, data, error);
	if (!ok) {
		int saved = errno;
		if (ftruncate(fd, (off_t)a.at) == 0)
			(void)fsync(fd);
		errno = saved;
		return FALSE;
	}
	(void)unlinkat(t->dirfd, t->temp, 0);
	t->committed = TRUE;
	return TRUE;
}
