/* line-reader.c -- see line-reader.h. */
#include "line-reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

struct LineReader {
	int fd;
	gint64 next_read;   /* file offset of the next pread */
	gint64 end;
	char terminator;
	char *buf;
	gsize cap;
	gsize pos;          /* first byte not yet handed out */
	gsize fill;         /* bytes valid in buf */
	gint64 buf_offset;  /* file offset of buf[0] */
	gboolean in_line;   /* the last piece was partial */
	gsize max_read;
};

LineReader *
line_reader_new(int fd, gint64 start, gint64 end, char terminator, gsize window)
{
	LineReader *reader = g_new0(LineReader, 1);

	g_assert(terminator == '\n' || terminator == '\r');
	g_assert(window >= 16);
	reader->fd = fd;
	reader->next_read = start;
	reader->buf_offset = start;
	reader->end = end;
	reader->terminator = terminator;
	reader->cap = window;
	reader->buf = g_malloc(window);
	return reader;
}

void
line_reader_set_max_read(LineReader *reader, gsize max_read)
{
	reader->max_read = max_read;
}

void
line_reader_free(LineReader *reader)
{
	if (reader == NULL)
		return;
	g_free(reader->buf);
	g_free(reader);
}

/* Move what is left to the front and read more.  Returns the bytes read (0 at end). */
static gssize
refill(LineReader *reader, GError **error)
{
	gsize left = reader->fill - reader->pos;
	gsize want;
	ssize_t got;

	if (reader->pos > 0) {
		memmove(reader->buf, reader->buf + reader->pos, left);
		reader->buf_offset += (gint64)reader->pos;
		reader->pos = 0;
		reader->fill = left;
	}
	want = reader->cap - reader->fill;
	if ((gint64)want > reader->end - reader->next_read)
		want = (gsize)(reader->end - reader->next_read);
	if (reader->max_read > 0 && want > reader->max_read)
		want = reader->max_read;
	if (want == 0)
		return 0;
	do
		got = pread(reader->fd, reader->buf + reader->fill, want, reader->next_read);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		int saved = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "read failed at offset %"
		            G_GINT64_FORMAT ": %s", reader->next_read, g_strerror(saved));
		return -1;
	}
	if (got == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "file ends at offset %" G_GINT64_FORMAT
		            ", before %" G_GINT64_FORMAT ": it shrank while being read",
		            reader->next_read, reader->end);
		return -1;
	}
	reader->fill += (gsize)got;
	reader->next_read += got;
	return got;
}

gboolean
line_reader_next(LineReader *reader, Line *line, GError **error)
{
	const char *found;

	for (;;) {
		char *start = reader->buf + reader->pos;
		gsize avail = reader->fill - reader->pos;

		found = avail > 0 ? memchr(start, reader->terminator, avail) : NULL;
		if (found != NULL)
			break;
		if (reader->fill - reader->pos == reader->cap || reader->next_read == reader->end) {
			/* window full, or end of range: hand out what there is */
			if (avail == 0)
				return FALSE;
			gsize take = avail;
			gboolean partial = reader->next_read < reader->end;
			/* never split a CRLF: keep a trailing CR for the next piece */
			if (partial && reader->terminator == '\n' && start[take - 1] == '\r' && take > 1)
				take--;
			line->data = start;
			line->len = take;
			line->ending_len = 0;
			line->offset = reader->buf_offset + (gint64)reader->pos;
			line->is_continuation = reader->in_line;
			line->is_partial = partial;
			reader->in_line = partial;
			reader->pos += take;
			return TRUE;
		}
		gssize got = refill(reader, error);
		if (got < 0)
			return FALSE;
	}

	char *start = reader->buf + reader->pos;
	gsize len = (gsize)(found - start);
	gsize ending = 1;
	if (reader->terminator == '\n' && len > 0 && start[len - 1] == '\r') {
		len--;
		ending = 2;
	}
	line->data = start;
	line->len = len;
	line->ending_len = ending;
	line->offset = reader->buf_offset + (gint64)reader->pos;
	line->is_continuation = reader->in_line;
	line->is_partial = FALSE;
	reader->in_line = FALSE;
	reader->pos += len + ending;
	return TRUE;
}
