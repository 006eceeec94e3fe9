/* line-reader.c -- see line-reader.h. */
#include "line-reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

struct LineReader {
	int fd;
	gint64 next_read;   /* file offset of the next pread */
	gint64 end;
	char terminator;
	char *buf;          /* ours, or the caller's (line_reader_new_for_memory) */
	gboolean owns_buf;
	gsize cap;
	gsize pos;          /* first byte not yet handed out */
	gsize fill;         /* bytes valid in buf */
	gint64 buf_offset;  /* file offset of buf[0] */
	gboolean in_line;   /* the last piece was partial */
	gsize max_read;
	const char *stop_table_for;   /* line_reader_skip(): the stops the table is for */
	guint8 stop_table[256];
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
	reader->owns_buf = TRUE;
	return reader;
}

LineReader *
line_reader_new_for_memory(const char *data, gsize len, gint64 offset, char terminator)
{
	LineReader *reader = g_new0(LineReader, 1);

	g_assert(terminator == '\n' || terminator == '\r');
	reader->fd = -1;
	reader->next_read = offset + (gint64)len;   /* all read: refill() is never called */
	reader->buf_offset = offset;
	reader->end = reader->next_read;
	reader->terminator = terminator;
	reader->cap = len;
	reader->fill = len;
	reader->buf = (char *)data;                  /* only read: see refill() */
	return reader;
}

void
line_reader_get_window(LineReader *reader, const char **data_out, gint64 *offset_out,
                       gsize *len_out)
{
	*data_out = reader->buf;
	*offset_out = reader->buf_offset;
	*len_out = reader->fill;
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
	if (reader->owns_buf)
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

	/* every caller stops at next_read == end first: a memory reader is never moved */
	g_assert(reader->owns_buf);
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

/* The index of the first line start in buf[from, fill) whose first byte is marked in
 * `stop`; -1 when none is complete in the buffer (then *resume is where to go on
 * scanning after a refill: a terminator whose next byte is not read yet, or fill).
 * The hot loop of the reader: 64 bytes per step, one 64-bit mask of terminators. */
static inline gboolean
stop_has(const char *stops, gsize n_stops, char c)
{
	return memchr(stops, c, n_stops) != NULL;
}

#ifdef HAVE_AVX2_PATH
/* Stop candidates 64 bytes at a time with AVX2: a byte that is one of `stops` right
 * after a terminator, found with vector compares only, so ordinary lines cost no
 * branch at all.  NUL bytes are looked for in the same pass.  Returns the index of the
 * first candidate, or -1 with *resume, as find_stop(); -2 when fewer than 64 bytes
 * are left (then *next_out is where the portable loop goes on, *carry_out whether
 * the byte before it is a terminator). */
__attribute__((target("avx2"))) static gssize
find_stop_avx2(const char *buf, gsize i, gsize fill, char term, const char *stops,
               gsize n_stops, gsize *resume, gsize *next_out, gboolean *nul_out)
{
	const __m256i want = _mm256_set1_epi8(term), zero = _mm256_setzero_si256();
	guint64 carry = 0;

	while (i + 64 <= fill) {
		__m256i lo = _mm256_loadu_si256((const __m256i *)(buf + i));
		__m256i hi = _mm256_loadu_si256((const __m256i *)(buf + i + 32));
		__m256i slo = _mm256_setzero_si256(), shi = _mm256_setzero_si256();
		for (gsize k = 0; k < n_stops; k++) {
			__m256i c = _mm256_set1_epi8(stops[k]);
			slo = _mm256_or_si256(slo, _mm256_cmpeq_epi8(lo, c));
			shi = _mm256_or_si256(shi, _mm256_cmpeq_epi8(hi, c));
		}
		guint64 nl = (guint64)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, want)) |
		             (guint64)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, want)) << 32;
		guint64 st = (guint64)(unsigned)_mm256_movemask_epi8(slo) |
		             (guint64)(unsigned)_mm256_movemask_epi8(shi) << 32;
		guint64 nul = (guint64)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, zero)) |
		              (guint64)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, zero)) << 32;
		guint64 cand = ((nl << 1) | carry) & st;
		if (cand != 0) {
			gsize at = i + (gsize)__builtin_ctzll(cand);
			if (nul & ((G_GUINT64_CONSTANT(1) << (at - i)) - 1))
				*nul_out = TRUE;
			return (gssize)at;
		}
		if (nul != 0)
			*nul_out = TRUE;
		carry = nl >> 63;
		i += 64;
	}
	if (carry && i == fill) {
		*resume = i - 1;   /* a terminator is the last byte: its next byte is unread */
		return -1;
	}
	if (carry && stop_has(stops, n_stops, buf[i])) {
		return (gssize)i;
	}
	*next_out = i;
	return -2;
}
#endif

/* The index of the first line start in buf[from, fill) whose first byte is one of
 * `stops`; -1 when none is complete in the buffer (then *resume is where to go on
 * scanning after a refill: a terminator whose next byte is not read yet, or fill).
 * Sets *nul_out when a NUL byte lies in what was scanned before that point. */
static gssize
find_stop(LineReader *reader, gsize from, const char *stops, gsize *resume, gboolean *nul_out)
{
	const char *buf = reader->buf;
	const char term = reader->terminator;
	const gsize fill = reader->fill;
	const gsize n_stops = strlen(stops);
	gsize i = from;
	gssize found;

#ifdef HAVE_AVX2_PATH
	if (__builtin_cpu_supports("avx2")) {
		found = find_stop_avx2(buf, i, fill, term, stops, n_stops, resume, &i, nul_out);
		if (found != -2)
			return found;
	}
#endif
	if (reader->stop_table_for != stops) {
		memset(reader->stop_table, 0, sizeof reader->stop_table);
		for (gsize k = 0; k < n_stops; k++)
			reader->stop_table[(guint8)stops[k]] = 1;
		reader->stop_table_for = stops;
	}
	gsize tail_from = i;
	found = -1;
	*resume = fill;
	for (; i < fill; i++) {
		if (buf[i] != term)
			continue;
		if (i + 1 >= fill) {
			*resume = i;
			break;
		}
		if (reader->stop_table[(guint8)buf[i + 1]]) {
			found = (gssize)(i + 1);
			break;
		}
	}
	gsize scanned_to = found >= 0 ? (gsize)found : *resume;
	if (!*nul_out && scanned_to > tail_from && memchr(buf + tail_from, '\0', scanned_to - tail_from))
		*nul_out = TRUE;
	return found;
}

gboolean
line_reader_skip(LineReader *reader, const char *stops, gboolean *skipped_out,
                 gboolean *nul_out, GError **error)
{
	gint64 start = reader->buf_offset + (gint64)reader->pos;
	gsize scan = reader->pos;
	gboolean nul = FALSE;

	g_assert(!reader->in_line);
	for (;;) {
		gsize resume = 0;
		/* the line at pos is skipped only if its first byte is not a stop byte */
		if (scan == reader->pos && reader->pos < reader->fill &&
		    strchr(stops, reader->buf[reader->pos]) != NULL && reader->buf[reader->pos] != '\0')
			break;
		gssize at = find_stop(reader, scan, stops, &resume, &nul);
		if (at >= 0) {
			reader->pos = (gsize)at;
			break;
		}
		/* no stop in the buffer: drop the complete lines scanned so far, refill */
		gsize last_start = reader->pos;
		for (gsize k = resume; k > reader->pos; k--)
			if (reader->buf[k - 1] == reader->terminator) {
				last_start = k;
				break;
			}
		reader->pos = last_start;
		gsize scanned = resume - reader->pos;   /* bytes of the current line seen */
		if (reader->next_read == reader->end ||
		    (reader->pos == 0 && reader->fill == reader->cap))
			break;   /* the end, or a line longer than the window: next() has it */
		if (refill(reader, error) < 0)
			return FALSE;
		scan = reader->pos + scanned;
	}
	*skipped_out = reader->buf_offset + (gint64)reader->pos != start;
	if (nul_out != NULL && nul)
		*nul_out = TRUE;
	return TRUE;
}

gboolean
line_reader_next_run(LineReader *reader, const char *stops, const char **data_out,
                     gsize *len_out, GError **error)
{
	*len_out = 0;
	*data_out = reader->buf + reader->pos;
	if (reader->in_line)
		return TRUE;
	/* at least one complete line in the window, unless it cannot hold one */
	while (memchr(reader->buf + reader->pos, reader->terminator, reader->fill - reader->pos) == NULL) {
		if (reader->next_read == reader->end)
			return reader->pos < reader->fill;   /* a last line without an ending */
		if (reader->pos == 0 && reader->fill == reader->cap)
			return TRUE;                         /* longer than the window */
		if (refill(reader, error) < 0)
			return FALSE;
	}
	*data_out = reader->buf + reader->pos;
	if (*stops != '\0' && strchr(stops, reader->buf[reader->pos]) != NULL)
		return TRUE;
	gsize end;
	gssize at = -1;
	if (*stops != '\0') {
		gsize resume = 0;
		gboolean nul = FALSE;
		at = find_stop(reader, reader->pos, stops, &resume, &nul);
	}
	if (at >= 0) {
		end = (gsize)at;
	} else {
		const char *last = memrchr(reader->buf + reader->pos, reader->terminator,
		                           reader->fill - reader->pos);
		end = (gsize)(last - reader->buf) + 1;
	}
	*len_out = end - reader->pos;
	reader->pos = end;
	return TRUE;
}
