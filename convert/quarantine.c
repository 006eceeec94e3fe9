/* quarantine.c -- see quarantine.h. */
#include "quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-io.h"
#include "mbox-writer.h"

struct Quarantine {
	char *dir;
	char *path;
	int fd;
};

Quarantine *
quarantine_new(const char *state_dir, const char *user)
{
	Quarantine *q = g_new0(Quarantine, 1);
	q->dir = g_build_filename(state_dir, "quarantine", NULL);
	g_autofree char *name = g_strconcat(user, ".mbox", NULL);
	q->path = g_build_filename(q->dir, name, NULL);
	q->fd = -1;
	return q;
}

void
quarantine_free(Quarantine *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0)
		close(q->fd);
	g_free(q->dir);
	g_free(q->path);
	g_free(q);
}

const char *
quarantine_path(const Quarantine *q)
{
	return q->path;
}

static gboolean
file_error(const Quarantine *q, const char *what, GError **error)
{
	int e = errno;
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "quarantine %s: %s: %s",
	            q->path, what, g_strerror(e));
	return FALSE;
}

/* Open (or create) the file: never through a link, only ever ours (0600). */
static gboolean
open_file(Quarantine *q, gboolean create, GError **error)
{
	if (q->fd >= 0)
		return TRUE;
	if (create && g_mkdir_with_parents(q->dir, 0700) != 0)
		return file_error(q, "cannot create its directory", error);
	q->fd = open(q->path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (q->fd < 0 && !create && errno == ENOENT)
		return TRUE;
	if (q->fd < 0)
		return file_error(q, "cannot open", error);
	return TRUE;
}

gboolean
quarantine_size(Quarantine *q, gint64 *size_out, GError **error)
{
	struct stat st;
	if (!open_file(q, FALSE, error))
		return FALSE;
	*size_out = 0;
	if (q->fd < 0)
		return TRUE;
	if (fstat(q->fd, &st) != 0)
		return file_error(q, "fstat", error);
	*size_out = st.st_size;
	return TRUE;
}

gboolean
quarantine_truncate(Quarantine *q, gint64 size, GError **error)
{
	gint64 now;
	if (!quarantine_size(q, &now, error))
		return FALSE;
	if (now <= size)
		return TRUE;
	if (ftruncate(q->fd, size) != 0 || fsync(q->fd) != 0)
		return file_error(q, "cannot cut back", error);
	return TRUE;
}

static gboolean
write_fd(const char *data, gsize len, gpointer qp, GError **error)
{
	Quarantine *q = qp;
	return fd_write_all(q->fd, data, len, q->path, error);
}

static gboolean
write_writer(const char *data, gsize len, gpointer writer, GError **error)
{
	return mbox_writer_write(writer, data, len, error);
}

gboolean
quarantine_add(Quarantine *q, MboxReader *reader, const MboxMessage *m, gint64 *size_out,
               GError **error)
{
	MboxWriterSettings settings = { .quoting = MBOX_QUOTING_MBOXRD };
	gint64 before;

	if (!open_file(q, TRUE, error) || !quarantine_size(q, &before, error))
		return FALSE;
	g_autoptr(MboxWriter) w = mbox_writer_new(&settings, write_fd, q);
	if (!mbox_writer_begin(w, m->sender[0] ? m->sender : NULL, g_date_time_to_unix(m->date),
	                       (const char *const *)m->flags, 0, error) ||
	    !mbox_reader_copy_message(reader, m, 0, write_writer, w, error) ||
	    !mbox_writer_end(w, error) ||
	    (fsync(q->fd) != 0 && !file_error(q, "fsync", error))) {
		if (ftruncate(q->fd, before) != 0)
			g_warning("quarantine %s: cannot cut back: %s", q->path, g_strerror(errno));
		return FALSE;
	}
	if (size_out != NULL)
		return quarantine_size(q, size_out, error);
	return TRUE;
}
