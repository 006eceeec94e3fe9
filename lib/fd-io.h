/* fd-io.h -- whole reads and writes on a descriptor: short transfers continued, EINTR
 * retried, and a failure as failure_set_errno() makes it (failure.h: errno kept, so a
 * full disk is a run-wide, temporary failure), "WHAT: strerror". */
#ifndef M2C_FD_IO_H
#define M2C_FD_IO_H

#include <glib.h>

gboolean fd_write_all(int fd, const void *data, gsize len, const char *what, GError **error);
gboolean fd_pwrite_all(int fd, const void *data, gsize len, guint64 at, const char *what,
                       GError **error);

/* All `len` bytes from `at`; the file ending first is G_FILE_ERROR_FAILED, "WHAT: the file
 * ends before its byte AT+LEN". */
gboolean fd_pread_all(int fd, void *buf, gsize len, guint64 at, const char *what, GError **error);

#endif
