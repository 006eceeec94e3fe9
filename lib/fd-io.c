/* fd-io.c -- see fd-io.h. */
#include "fd-io.h"

#include <errno.h>
#include <unistd.h>

#include "failure.h"

gboolean
fd_write_all(int fd, const void *data, gsize len, const char *what, GError **error)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			failure_set_errno(error, errno, "%s", what);
			return FALSE;
		}
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

gboolean
fd_pwrite_all(int fd, const void *data, gsize len, guint64 at, const char *what, GError **error)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			failure_set_errno(error, errno, "%s", what);
			return FALSE;
		}
		p += n;
		len -= (gsize)n;
		at += (guint64)n;
	}
	return TRUE;
}

gboolean
fd_pread_all(int fd, void *buf, gsize len, guint64 at, const char *what, GError **error)
{
	char *p = buf;
	guint64 end = at + len;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			failure_set_errno(error, errno, "%s", what);
			return FALSE;
		}
		if (n == 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			            "%s: the file ends before its byte %" G_GUINT64_FORMAT, what, end);
			return FALSE;
		}
		p += n;
		len -= (gsize)n;
		at += (guint64)n;
	}
	return TRUE;
}
