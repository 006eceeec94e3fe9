/* mbox-copy.c -- phase 2 of the reader: stream one message out, filtered.
 *
 * The filters, in one pass over [header_offset, end_offset):
 *   - header fields that only the mailbox needed (mbox_meta_is_internal_field) are
 *     left out with their continuation lines, unless KEEP_INTERNAL;
 *   - body lines ">From " (mboxo) or ">>..From " (mboxrd) lose one '>', unless the
 *     message's extent came from Content-Length (mboxcl2 does not quote);
 *   - every line ending becomes CRLF or LF.
 * The bytes come from phase 1's window when it still holds the whole message (the
 * usual case right after mbox_reader_next()), else from the file again with pread.
 * The body goes in runs of complete lines (line_reader_next_run), each line seen once
 * by out_run(); header lines, and lines longer than the window, one by one.
 */
#include "mbox-reader-private.h"

#include <string.h>
#include <unistd.h>

#include "mbox-meta.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#define OUT_BUFFER (64 * 1024)
#define FAST_ROOM 256  /* out_run's fast path wants this much room in the buffer */

typedef struct {
	MboxWriteFunc write;
	gpointer user_data;
	char buf[OUT_BUFFER];
	gsize len;
	gboolean unquoted;   /* a line lost a '>' */
} Out;

static gboolean
out_flush(Out *out, GError **error)
{
	if (out->len == 0)
		return TRUE;
	if (!out->write(out->buf, out->len, out->user_data, error))
		return FALSE;
	out->len = 0;
	return TRUE;
}

static gboolean
out_put(Out *out, const char *data, gsize len, GError **error)
{
	if (out->len + len > sizeof out->buf) {
		if (!out_flush(out, error))
			return FALSE;
		if (len > sizeof out->buf)
			return out->write(data, len, out->user_data, error);
	}
	memcpy(out->buf + out->len, data, len);
	out->len += len;
	return TRUE;
}

/* The number of '>' to drop from a body line: one for ">From " (mboxo) or, with
 * MBOXRD, for ">>..From ".  Lines of 5 bytes or less are never quoted. */
static inline gsize
quote_drop(const char *data, gsize len, MboxQuoting quoting)
{
	gsize n = 1;

	if (quoting == MBOX_QUOTING_NONE || len <= 5 || data[0] != '>')
		return 0;
	while (n < len && data[n] == '>')
		n++;
	return len - n >= 5 && memcmp(data + n, "From ", 5) == 0 &&
	       (n == 1 || quoting == MBOX_QUOTING_MBOXRD);
}

#ifdef HAVE_AVX2_PATH
/* out_run()'s fast path for LF and CRLF files made CRLF: lines from `*p` (a line
 * start) towards `end` into `o`, 64 bytes at a time.  The block is stored as it is;
 * then for each LF without a CR before it, a CR goes in its place and the rest of the
 * block is stored again one byte further on (so a mispredicted branch costs once per
 * LF, not per 32 bytes).  Stops before a line that starts with '>' when `check_quote`
 * (quote_drop() decides that one), when fewer than 128 bytes are left, or when `o`
 * comes within FAST_ROOM of `o_end`; always at a line start: a line cut off is taken
 * up again from its start.  The caller must not start it at a '>' line.  Returns the
 * new end of the output; `*p` is moved on. */
__attribute__((target("avx2"))) static char *
crlf_lines_avx2(const char **p, const char *end, char *o, const char *o_end,
                gboolean check_quote)
{
	const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
	const __m256i gt = _mm256_set1_epi8('>');
	const char *in = *p, *line_start = in;
	char *line_out = o;
	guint64 cr_carry = 0;   /* the byte before `in` is a CR (never the run's first) */
	guint64 lf_carry = 1;   /* `in` starts a line */

#define MASK64(a, b, c) ((guint64)(guint32)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, c)) | \
                         (guint64)(guint32)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, c)) << 32)
	while (in + 128 <= end && o + FAST_ROOM <= o_end) {
		__m256i lo = _mm256_loadu_si256((const __m256i *)in);
		__m256i hi = _mm256_loadu_si256((const __m256i *)(in + 32));
		guint64 lfs = MASK64(lo, hi, lf);
		guint64 need_cr = lfs & ~((MASK64(lo, hi, cr) << 1) | cr_carry);
		guint64 stop = check_quote ? ((lfs << 1) | lf_carry) & MASK64(lo, hi, gt) : 0;
		guint shift = 0;

		_mm256_storeu_si256((__m256i *)o, lo);
		_mm256_storeu_si256((__m256i *)(o + 32), hi);
		if (stop != 0) {
			guint at = (guint)__builtin_ctzll(stop);
			need_cr &= (G_GUINT64_CONSTANT(1) << at) - 1;
		}
		while (need_cr != 0) {
			guint k = (guint)__builtin_ctzll(need_cr);
			char *put = o + k + shift;
			need_cr &= need_cr - 1;
			*put = '\r';
			_mm256_storeu_si256((__m256i *)(put + 1), _mm256_loadu_si256((const __m256i *)(in + k)));
			_mm256_storeu_si256((__m256i *)(put + 33),
			                    _mm256_loadu_si256((const __m256i *)(in + k + 32)));
			shift++;
		}
		if (stop != 0) {
			guint at = (guint)__builtin_ctzll(stop);
			*p = in + at;
			return o + at + shift;
		}
		if (lfs != 0) {
			guint last = 63 - (guint)__builtin_clzll(lfs);
			line_start = in + last + 1;
			line_out = o + last + 1 + shift;
		}
		cr_carry = (MASK64(lo, hi, cr) >> 63) & 1;
		lf_carry = lfs >> 63;
		o += 64 + shift;
		in += 64;
	}
#undef MASK64
	*p = line_start;
	return line_out;
}
#endif

/* Copy `len` bytes of complete body lines (a run: each starts a line, none is a
 * continuation), each line's ending (LF, CRLF, or CR in a CR-only file) written as
 * CRLF or LF, quoting undone as `quoting` says.  The hot loop of a copy: lines in
 * bulk into the buffer (crlf_lines_avx2), or one memchr per line. */
static gboolean
out_run(Out *out, const char *data, gsize len, char terminator, gboolean crlf,
        MboxQuoting quoting, GError **error)
{
	const char *p = data, *end = data + len;
#ifdef HAVE_AVX2_PATH
	gboolean fast = crlf && terminator == '\n' && __builtin_cpu_supports("avx2");
#endif

	while (p < end) {
#ifdef HAVE_AVX2_PATH
		if (fast && end - p >= 128 && !(*p == '>' && quoting != MBOX_QUOTING_NONE)) {
			if (out->len + FAST_ROOM > sizeof out->buf && !out_flush(out, error))
				return FALSE;
			char *o = crlf_lines_avx2(&p, end, out->buf + out->len, out->buf + sizeof out->buf,
			                          quoting != MBOX_QUOTING_NONE);
			out->len = (gsize)(o - out->buf);
			if (p >= end)
				break;
		}
#endif
		const char *t = memchr(p, terminator, (gsize)(end - p));
		const char *line_end;
		gsize n;
		g_assert(t != NULL);   /* a run holds complete lines only */
		line_end = t;
		if (terminator == '\n' && line_end > p && line_end[-1] == '\r')
			line_end--;
		if (*p == '>' && quote_drop(p, (gsize)(line_end - p), quoting)) {
			p++;
			out->unquoted = TRUE;
		}
		n = (gsize)(line_end - p);
		if (G_UNLIKELY(out->len + n + 2 > sizeof out->buf)) {
			if (!out_put(out, p, n, error) || !out_put(out, crlf ? "\r\n" : "\n", crlf ? 2 : 1, error))
				return FALSE;
		} else {
			char *o = out->buf + out->len;
			memcpy(o, p, n);
			o += n;
			if (crlf)
				*o++ = '\r';
			*o++ = '\n';
			out->len = (gsize)(o - out->buf);
		}
		p = t + 1;
	}
	return TRUE;
}

void
mbox_quoting_evidence_add(QuotingEvidence *evidence, const Line *line)
{
	if (line->is_continuation)
		return;
	if (line->len >= 5 && memcmp(line->data, "From ", 5) == 0 && evidence->after_nonempty)
		evidence->unquoted++;
	else if (line->len > 5 && line->data[0] == '>') {
		gsize n = 1;
		while (n < line->len && line->data[n] == '>')
			n++;
		if (line->len - n >= 5 && memcmp(line->data + n, "From ", 5) == 0)
			(*(n == 1 ? &evidence->quoted : &evidence->deep))++;
	}
	evidence->after_nonempty = !(line->len == 0 && !line->is_partial);
}

/* Set reader->quoting from the counts. */
static void
settle_quoting(MboxReader *reader, guint quoted, guint deep, guint unquoted)
{
	/* mboxrd undoes every line mboxo could have quoted too; only a file that
	 * shows a writer which never quotes, and no deeper quoting, is left alone */
	reader->quoting = deep == 0 && quoted > 0 && unquoted > 0 ? MBOX_QUOTING_NONE
	                                                          : MBOX_QUOTING_MBOXRD;
	if (reader->quoting == MBOX_QUOTING_NONE)
		g_ptr_array_add(reader->file_warnings, g_strdup_printf(
			"%u unquoted and %u quoted From lines in bodies: the writer did not quote, "
			"so \">From\" lines are kept as they are (--from-quoting to choose)",
			unquoted, quoted));
	reader->quoting_decided = TRUE;
}

/* Evidence from phase 1 if it saw the whole file, else a quick look at every line
 * start: ">From", ">>From", and "From " lines not after an empty line
 * (mbox_quoting_evidence_add, which phase 1 also feeds, for
 * mbox_reader_final_quoting). */
gboolean
mbox_reader_decide_quoting(MboxReader *reader, GError **error)
{
	if (!reader->finished) {
		g_autoptr(LineReader) lines = line_reader_new(reader->fd, reader->start, reader->size,
		                                              reader->terminator, MBOX_COPY_WINDOW);
		QuotingEvidence evidence = { 0 };
		Line line;
		g_autoptr(GError) local = NULL;

		for (;;) {
			gboolean skipped = FALSE;
			/* only lines starting "F", ">" or empty can matter: pass the rest by */
			if (!line_reader_skip(lines, "F>\n\r", &skipped, NULL, &local))
				break;
			if (skipped)
				evidence.after_nonempty = TRUE;
			if (!line_reader_next(lines, &line, &local))
				break;
			mbox_quoting_evidence_add(&evidence, &line);
			/* skip() must start at a line's start */
			while (line.is_partial && line_reader_next(lines, &line, &local))
				;
		}
		if (local != NULL) {
			g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: %s", reader->name,
			            local->message);
			return FALSE;
		}
		settle_quoting(reader, evidence.quoted, evidence.deep, evidence.unquoted);
		return TRUE;
	}
	settle_quoting(reader, reader->summary.quoted_from_lines,
	               reader->summary.deep_quoted_from_lines, reader->summary.unquoted_from_lines);
	return TRUE;
}

MboxQuoting
mbox_reader_final_quoting(MboxReader *reader, GError **error)
{
	if (!reader->quoting_decided) {
		if (reader->provisional && reader->finished)
			settle_quoting(reader, reader->evidence.quoted, reader->evidence.deep,
			               reader->evidence.unquoted);
		else if (!mbox_reader_decide_quoting(reader, error))
			return MBOX_QUOTING_AUTO;
	}
	return reader->quoting;
}

/* The copy, with quoting undone as `reader_quoting` says (NONE for a body that
 * Content-Length delimited); `*unquoted_out` (may be NULL) is set when a line lost a
 * '>'. */
static gboolean
copy_message(MboxReader *reader, const MboxMessage *message, MboxCopyFlags flags,
             MboxQuoting reader_quoting, MboxWriteFunc write, gpointer user_data,
             gboolean *unquoted_out, GError **error)
{
	g_autoptr(LineReader) lines = NULL;
	g_autofree Out *out = g_new(Out, 1);
	g_autoptr(GError) local = NULL;
	const char *ending = (flags & MBOX_COPY_CRLF) ? "\r\n" : "\n";
	gsize ending_len = (flags & MBOX_COPY_CRLF) ? 2 : 1;
	gboolean in_headers = message->body_offset > message->header_offset;
	gboolean dropping = FALSE;
	MboxQuoting quoting;
	Line line;

	quoting = message->content_length_used ? MBOX_QUOTING_NONE : reader_quoting;
	out->write = write;
	out->user_data = user_data;
	out->len = 0;
	out->unquoted = FALSE;
	/* right after mbox_reader_next() the message is usually still in phase 1's
	 * window: read it from there (not with tiny test reads, which phase 2 must see) */
	if (reader->settings.max_read == 0) {
		const char *window;
		gint64 window_offset;
		gsize window_len;
		line_reader_get_window(reader->lines, &window, &window_offset, &window_len);
		if (message->header_offset >= window_offset &&
		    message->end_offset <= window_offset + (gint64)window_len &&
		    message->header_offset <= message->end_offset)
			lines = line_reader_new_for_memory(window + (message->header_offset - window_offset),
			                                   (gsize)(message->end_offset - message->header_offset),
			                                   message->header_offset, reader->terminator);
	}
	if (lines == NULL) {
		lines = line_reader_new(reader->fd, message->header_offset, message->end_offset,
		                        reader->terminator, reader->settings.window > 0
		                        ? MIN(reader->settings.window, MBOX_COPY_WINDOW) : MBOX_COPY_WINDOW);
		line_reader_set_max_read(lines, reader->settings.max_read);
	}
	for (;;) {
		/* the body in bulk: runs of lines that need nothing but their endings */
		if (!in_headers) {
			const char *run;
			gsize run_len;
			if (!line_reader_next_run(lines, "", &run, &run_len, &local))
				break;
			if (run_len > 0) {
				if (!out_run(out, run, run_len, reader->terminator, (flags & MBOX_COPY_CRLF) != 0,
				             quoting, error))
					goto write_failed;
				continue;
			}
		}
		if (!line_reader_next(lines, &line, &local))
			break;
		const char *data = line.data;
		gsize len = line.len;

		if (in_headers && line.offset >= message->body_offset)
			in_headers = FALSE;
		/* a quoted From line is never a header field: in a message with no header
		 * block at all (corpus mail-parser-rs) it is body text and is unquoted */
		if (in_headers && !line.is_continuation && len > 5 && data[0] == '>' &&
		    memchr(data, ':', len) == NULL)
			dropping = FALSE;
		else if (in_headers && !line.is_continuation && len == 0) {
			dropping = FALSE;   /* the empty line that ends the headers is always kept */
		} else if (in_headers) {
			if (!line.is_continuation && len > 0 && data[0] != ' ' && data[0] != '\t') {
				const char *colon = memchr(data, ':', len);
				gsize name_len = colon != NULL ? (gsize)(colon - data) : 0;
				while (name_len > 0 && (data[name_len - 1] == ' ' || data[name_len - 1] == '\t'))
					name_len--;
				dropping = !(flags & MBOX_COPY_KEEP_INTERNAL) && colon != NULL &&
				           mbox_meta_is_internal_field(data, name_len);
			}
			if (dropping)
				continue;
		}
		if ((!in_headers || !dropping) && !line.is_continuation) {
			gsize drop = quote_drop(data, len, quoting);
			data += drop;
			len -= drop;
			if (drop > 0)
				out->unquoted = TRUE;
		}
		if (!out_put(out, data, len, error))
			goto write_failed;
		if (line.ending_len > 0 && !out_put(out, ending, ending_len, error))
			goto write_failed;
	}
	if (local != NULL) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: msg %" G_GUINT64_FORMAT
		            ": offset %" G_GINT64_FORMAT ": %s", reader->name, message->number,
		            message->from_offset, local->message);
		return FALSE;
	}
	if (unquoted_out != NULL)
		*unquoted_out = out->unquoted;
	if (out_flush(out, error))
		return TRUE;
write_failed:
	g_prefix_error(error, "%s: msg %" G_GUINT64_FORMAT ": ", reader->name, message->number);
	return FALSE;
}

gboolean
mbox_reader_copy_message(MboxReader *reader, const MboxMessage *message, MboxCopyFlags flags,
                         MboxWriteFunc write, gpointer user_data, GError **error)
{
	if (!reader->quoting_decided && !mbox_reader_decide_quoting(reader, error))
		return FALSE;
	return copy_message(reader, message, flags, reader->quoting, write, user_data, NULL, error);
}

gboolean
mbox_reader_copy_message_provisional(MboxReader *reader, const MboxMessage *message,
                                     MboxCopyFlags flags, MboxWriteFunc write,
                                     gpointer user_data, gboolean *depends_out, GError **error)
{
	*depends_out = FALSE;
	/* decided, or nothing to wait for: phase 1 has seen the whole file, and a plain
	 * copy would decide from its evidence now */
	if (reader->quoting_decided || (reader->finished && !reader->provisional))
		return mbox_reader_copy_message(reader, message, flags, write, user_data, error);
	reader->provisional = TRUE;
	return copy_message(reader, message, flags, MBOX_QUOTING_MBOXRD, write, user_data,
	                    depends_out, error);
}
