/* line-reader.h -- lines of a byte range of a file, through a fixed window.
 *
 * Memory is the window, whatever the file's or the line's length: a line longer
 * than the window is handed out in pieces (is_partial on all but the last piece,
 * is_continuation on all but the first).  A piece never ends between the CR and the
 * LF of a CRLF.  Reads use pread(), so several readers may share one descriptor.
 */
#ifndef M2C_LINE_READER_H
#define M2C_LINE_READER_H

#include <glib.h>

typedef struct {
	const char *data;         /* the bytes, without the line ending; valid until the next call */
	gsize len;
	gsize ending_len;         /* 0 (last line without one, or a partial piece), 1, or 2 (CRLF) */
	gint64 offset;            /* file offset of data[0] */
	gboolean is_continuation; /* not the start of a line */
	gboolean is_partial;      /* the line goes on in the next piece */
} Line;

typedef struct LineReader LineReader;

/* Lines of [start, end) of `fd` (not owned; must stay open).  `terminator` is '\n'
 * (LF and CRLF files: a CR before the LF is part of the ending) or '\r' (CR-only
 * files).  `window` bytes are allocated once. */
LineReader *line_reader_new(int fd, gint64 start, gint64 end, char terminator, gsize window);
void line_reader_free(LineReader *reader);

/* Lines of `len` bytes at `data`, which are the file's bytes from `offset` (as
 * Line.offset reports them).  Never reads: `data` is not copied and must stay
 * unchanged while the reader is used.  Lines come whole, however long. */
LineReader *line_reader_new_for_memory(const char *data, gsize len, gint64 offset,
                                       char terminator);

/* What the window holds now: the file's bytes [*offset_out, *offset_out + *len_out)
 * at *data_out (owned by the reader), valid until the next call on it. */
void line_reader_get_window(LineReader *reader, const char **data_out, gint64 *offset_out,
                            gsize *len_out);

/* Read at most `max_read` bytes per pread (0: as much as fits).  For tests: with 1,
 * input arrives one byte at a time, as short reads on NFS or a slow disk would. */
void line_reader_set_max_read(LineReader *reader, gsize max_read);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LineReader, line_reader_free)

/* The next line or piece.  FALSE at the end with `*error` unset, or FALSE with a
 * G_IO_ERROR when pread failed or the file is shorter than `end`. */
gboolean line_reader_next(LineReader *reader, Line *line_out, GError **error);

/* Skip whole lines whose first byte is not one of `stops` (a short string, kept by the
 * caller for the reader's life: the reader caches a table for it), so that the next
 * line_reader_next() returns the first line that starts with one of them (or the end).  Must be called at the start of a line.  Lines longer than the window
 * are not skipped (line_reader_next() hands them out in pieces).  `*skipped_out` is
 * TRUE when at least one line was skipped; when `nul_out` is not NULL it is set TRUE if a NUL byte
 * was among the skipped bytes.  FALSE with a G_IO_ERROR when a read failed. */
gboolean line_reader_skip(LineReader *reader, const char *stops, gboolean *skipped_out,
                          gboolean *nul_out, GError **error);

/* The longest run of complete lines from here that is in the window now, none of them
 * starting with one of `stops` ("" for none), for callers that treat such lines in
 * bulk.  `*len_out` 0 means: the next line starts with a stop byte, or is longer than
 * the window, or is the last line without an ending: take it with
 * line_reader_next().  FALSE at the end (error unset) or with a G_IO_ERROR.  The
 * bytes stay valid until the next call. */
gboolean line_reader_next_run(LineReader *reader, const char *stops, const char **data_out,
                              gsize *len_out, GError **error);

#endif
