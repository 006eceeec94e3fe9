/* mbox-reader.c -- phase 1 of the reader: split the file into messages and read
 * each one's metadata.  See mbox-reader.h for the rules.
 *
 * Order of operations for one message (read_message):
 *   1. the pending From_ line gives the envelope sender and date;
 *   2. header lines up to the first empty line: the fields we need are kept (bounded);
 *   3. Content-Length, if any, is checked against the bytes at its end (pread);
 *   4. body lines: look for the next separator, count quoting evidence, follow MIME
 *      part headers so that a From_ line inside an attached mailbox does not split;
 *   5. metadata: flags, UID, date fallbacks, the UW-IMAP pseudo-message.
 * Steps 2 and 5 (what the header fields say) live in mbox-headers.c.
 */
#include "mbox-reader-private.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "from-line.h"

G_DEFINE_QUARK(m2c-mbox-error-quark, m2c_mbox_error)

/* Body lines that can matter start with one of these: a From_ line, a quoted
 * ">From", a MIME boundary "--", or an empty line (LF, CRLF, CR). */
static const char body_stops[] = "F>-\n\r";

void
mbox_reader_settings_init(MboxReaderSettings *settings)
{
	memset(settings, 0, sizeof *settings);
	settings->quoting = MBOX_QUOTING_AUTO;
	settings->use_content_length = TRUE;
	settings->max_header_bytes = 1024 * 1024;
}

void
mbox_message_free(MboxMessage *message)
{
	if (message == NULL)
		return;
	g_free(message->sender);
	g_clear_pointer(&message->date, g_date_time_unref);
	g_strfreev(message->flags);
	g_strfreev(message->warnings);
	g_free(message);
}

const char *
mbox_date_source_name(MboxDateSource source)
{
	static const char *const names[] = { "from-line", "date-header", "received", "mtime" };
	g_assert((gsize)source < G_N_ELEMENTS(names));
	return names[source];
}

const char *
mbox_quoting_name(MboxQuoting quoting)
{
	static const char *const names[] = { "auto", "mboxrd", "mboxo", "none" };
	g_assert((gsize)quoting < G_N_ELEMENTS(names));
	return names[quoting];
}

gboolean
mbox_quoting_from_name(const char *name, MboxQuoting *quoting_out)
{
	for (MboxQuoting q = MBOX_QUOTING_AUTO; q <= MBOX_QUOTING_NONE; q++)
		if (g_ascii_strcasecmp(name, mbox_quoting_name(q)) == 0) {
			*quoting_out = q;
			return TRUE;
		}
	return FALSE;
}

const MboxSummary *
mbox_reader_summary(MboxReader *reader)
{
	g_strfreev(reader->summary.warnings);
	g_ptr_array_add(reader->file_warnings, NULL);
	reader->summary.warnings = g_strdupv((char **)reader->file_warnings->pdata);
	g_ptr_array_remove_index(reader->file_warnings, reader->file_warnings->len - 1);
	reader->summary.quoting = reader->quoting;
	return &reader->summary;
}

static gboolean
starts_with_from(const char *data, gsize len)
{
	return len >= 5 && memcmp(data, "From ", 5) == 0;
}

/* A "From " line that may start a message: it parses, or it is a bare "From ". */
static gboolean
is_from_line(MboxReader *reader, const char *data, gsize len)
{
	if (!starts_with_from(data, len))
		return FALSE;
	data += 5;
	len -= 5;
	if (len > MBOX_FROM_LINE_MAX)
		len = MBOX_FROM_LINE_MAX;
	return from_line_is_bare(data, len) ||
	       from_line_parse(data, len, reader->settings.source_tz, NULL, NULL);
}

/* Does the line after `line` look like a header field ("Name: value")?  One small
 * pread, done only for "From " lines that could start a message. */
static gboolean
next_line_is_header(MboxReader *reader, const Line *line)
{
	char peek[128];
	gint64 at = line->offset + (gint64)(line->len + line->ending_len);
	ssize_t got = at < reader->size ? pread(reader->fd, peek, sizeof peek, at) : 0;
	gssize i = 0;

	/* field-name = 1*(printable ASCII except ':'), RFC 5322 3.6.8 */
	while (i < got && i < 78 && peek[i] > ' ' && peek[i] < 0x7f && peek[i] != ':')
		i++;
	if (i == 0)
		return FALSE;
	while (i < got && (peek[i] == ' ' || peek[i] == '\t'))
		i++;   /* "Subject :" */
	return i < got && peek[i] == ':';
}

/* Does this "From " line start a new message?  (The file's first line always does.)
 *   dated From_ line: after an empty line, or when a header field follows
 *                     (writers that append without the empty line: go-mbox, git
 *                     format-patch, UW-IMAP and mutt read them this way);
 *   bare "From " / "From -": when a header field follows (old Netscape/Thunderbird;
 *                     git's mboxrd test keeps "From \n>From \n" as body text);
 *   any other "From ": after an empty line and when a header field follows
 *                     (Gmail exports "From 1844347792267117879@xxx"). */
static gboolean
starts_message(MboxReader *reader, const Line *line, gboolean after_empty)
{
	const char *text = line->data + 5;
	gsize len = MIN(line->len - 5, (gsize)MBOX_FROM_LINE_MAX);

	if (from_line_parse(text, len, reader->settings.source_tz, NULL, NULL))
		return after_empty || next_line_is_header(reader, line);
	if (!after_empty && !from_line_is_bare(text, len))
		return FALSE;
	return next_line_is_header(reader, line);
}

static void
set_pending(MboxReader *reader, const Line *line)
{
	gsize keep = MIN(line->len - 5, MBOX_FROM_LINE_MAX);
	g_free(reader->pending_text);
	reader->pending_text = g_strndup(line->data + 5, keep);
	reader->pending_len = keep;
	reader->pending_offset = line->offset;
	reader->pending_full_len = line->len + line->ending_len;
}

/* Skip leading empty/blank lines; the first other line must be a "From " line. */
static gboolean
start(MboxReader *reader, GError **error)
{
	Line line;
	guint blank = 0;
	g_autoptr(GError) local = NULL;

	reader->started = TRUE;
	while (line_reader_next(reader->lines, &line, &local)) {
		mbox_quoting_evidence_add(&reader->evidence, &line);
		gboolean is_blank = !line.is_partial;
		for (gsize i = 0; i < line.len && is_blank; i++)
			is_blank = line.data[i] == ' ' || line.data[i] == '\t';
		if (is_blank) {
			blank++;
			continue;
		}
		if (!starts_with_from(line.data, line.len) || line.is_continuation) {
			g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_NOT_MBOX,
			            "%s: offset %" G_GINT64_FORMAT ": not an mbox: the first line "
			            "is not a \"From \" line", reader->name, line.offset);
			reader->finished = TRUE;
			return FALSE;
		}
		if (blank > 0)
			g_ptr_array_add(reader->file_warnings, g_strdup_printf(
				"%u blank line%s before the first From_ line skipped", blank,
				blank == 1 ? "" : "s"));
		set_pending(reader, &line);
		return TRUE;
	}
	if (local != NULL) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: %s", reader->name,
		            local->message);
		reader->finished = TRUE;
		return FALSE;
	}
	/* an empty file (or only blank lines) is an empty mbox */
	if (blank > 0)
		g_ptr_array_add(reader->file_warnings,
		                g_strdup_printf("only %u blank line%s, no message", blank,
		                                blank == 1 ? "" : "s"));
	reader->finished = TRUE;
	return TRUE;
}

/* "--boundary" (a part starts: TRUE) for one of `boundaries`; the closing
 * "--boundary--" starts no part (FALSE). */
static gboolean
is_part_start(GPtrArray *boundaries, const char *data, gsize len)
{
	if (len < 3 || data[0] != '-' || data[1] != '-')
		return FALSE;
	for (guint i = 0; i < boundaries->len; i++) {
		const char *b = g_ptr_array_index(boundaries, i);
		gsize blen = strlen(b);
		if (len >= 2 + blen && memcmp(data + 2, b, blen) == 0)
			return !(len >= 4 + blen && data[2 + blen] == '-' && data[3 + blen] == '-');
	}
	return FALSE;
}

/* "--boundary--": the end of the outermost multipart. */
static gboolean
is_closing_boundary(const char *boundary, const char *data, gsize len)
{
	gsize blen = strlen(boundary);
	return len >= 4 + blen && data[0] == '-' && data[1] == '-' &&
	       memcmp(data + 2, boundary, blen) == 0 && data[2 + blen] == '-' && data[3 + blen] == '-';
}

/* Where does a Content-Length of `length` from `body_offset` end?  Returns the end
 * when it is the end of the file (give or take one empty line) or a From_ line (after
 * at most one empty line); -1 otherwise. */
static gint64
check_content_length(MboxReader *reader, gint64 body_offset, guint64 length)
{
	char peek[MBOX_FROM_LINE_MAX + 8];
	gint64 end = body_offset + (gint64)length;
	gsize skip = 0;
	ssize_t got;

	if (length > (guint64)G_MAXINT64 / 2 || end > reader->size)
		return -1;
	if (end == reader->size)
		return end;
	got = pread(reader->fd, peek, sizeof peek, end);
	if (got <= 0)
		return -1;
	/* never between the CR and the LF of a CRLF */
	if (peek[0] == '\n' && reader->terminator == '\n' && end > 0) {
		char before;
		if (pread(reader->fd, &before, 1, end - 1) == 1 && before == '\r')
			return -1;
	}
	/* one optional empty line */
	if (peek[0] == '\n' || (peek[0] == '\r' && reader->terminator == '\r'))
		skip = 1;
	else if (got >= 2 && peek[0] == '\r' && peek[1] == '\n')
		skip = 2;
	if (end + (gint64)skip == reader->size)
		return end;
	const char *line = peek + skip;
	const char *eol = memchr(line, reader->terminator, (gsize)got - skip);
	gsize line_len = eol != NULL ? (gsize)(eol - line) : (gsize)got - skip;
	if (line_len > 0 && line[line_len - 1] == '\r')
		line_len--;
	return is_from_line(reader, line, line_len) ? end : -1;
}

/* Steps 1-4 for the message whose From_ line is pending.  Returns NULL with an
 * error only for read errors. */
static MboxMessage *
read_message(MboxReader *reader, gboolean *is_internal_out, GError **error)
{
	g_autoptr(MboxMessage) msg = g_new0(MboxMessage, 1);
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) boundaries = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) local = NULL;
	Headers h = { .current = -1 };
	gboolean in_headers = TRUE, prev_blank = FALSE, separator = FALSE;
	gboolean from_line_had_date, part_header = FALSE, part_body_start = FALSE;
	gboolean mime_closed = FALSE, may_skip = FALSE;
	gint64 prev_blank_offset = -1, cl_end = -1;
	Line line;

	/* 1. the From_ line */
	msg->from_offset = reader->pending_offset;
	msg->header_offset = reader->pending_offset + (gint64)reader->pending_full_len;
	msg->body_offset = -1;
	from_line_had_date = from_line_parse(reader->pending_text, reader->pending_len,
	                                     reader->settings.source_tz, &msg->sender, &msg->date);
	if (!from_line_had_date) {
		const char *t = reader->pending_text;
		gsize n = reader->pending_len;
		while (n > 0 && *t == ' ')
			t++, n--;
		msg->sender = g_strndup(t, strcspn(t, " \t"));
		from_line_had_date = !from_line_is_bare(reader->pending_text, reader->pending_len);
	}

	for (;;) {
		/* body lines that cannot matter are passed over at memchr speed */
		if (may_skip) {
			gboolean skipped = FALSE;
			if (!line_reader_skip(reader->lines, body_stops, &skipped,
			                      msg->has_nul ? NULL : &msg->has_nul, &local))
				break;
			if (skipped) {
				reader->evidence.after_nonempty = TRUE;
				prev_blank = FALSE;
				part_body_start = FALSE;
			}
			may_skip = FALSE;
		}
		if (!line_reader_next(reader->lines, &line, &local))
			break;
		mbox_quoting_evidence_add(&reader->evidence, &line);
		if (!msg->has_nul && memchr(line.data, '\0', line.len) != NULL)
			msg->has_nul = TRUE;
		/* 2. headers */
		if (in_headers) {
			if (line.len == 0 && !line.is_continuation && !line.is_partial) {
				const char *v;
				in_headers = FALSE;
				msg->body_offset = line.offset + (gint64)line.ending_len;
				/* 3. Content-Length */
				if (reader->settings.use_content_length &&
				    (v = mbox_headers_value(&h, F_CONTENT_LENGTH)) != NULL) {
					g_autofree char *copy = g_strstrip(g_strdup(v));
					char *end;
					guint64 n = g_ascii_strtoull(copy, &end, 10);
					if (end != copy && *end == '\0')
						cl_end = check_content_length(reader, msg->body_offset, n);
					if (cl_end < 0) {
						reader->summary.content_length_ignored++;
						g_ptr_array_add(warnings, g_strdup_printf("Content-Length %s does "
						                "not end on a From_ line or the end of the file, "
						                "ignored", copy));
					}
				}
				if ((v = mbox_headers_value(&h, F_CONTENT_TYPE)) != NULL) {
					char *b = mbox_headers_find_boundary(v, strlen(v));
					if (b != NULL)
						g_ptr_array_add(boundaries, b);
				}
				/* the header/body separator counts as an empty line */
				prev_blank = TRUE;
				prev_blank_offset = line.offset;
				may_skip = TRUE;
				continue;
			}
			mbox_headers_add_line(&h, msg, warnings, &line, reader->settings.max_header_bytes);
			continue;
		}
		/* 4. body */
		if (line.is_continuation) {
			prev_blank = FALSE;
			may_skip = !line.is_partial && !part_header;
			continue;
		}
		if (cl_end >= 0 && line.offset < cl_end) {
			prev_blank = line.len == 0 && !line.is_partial;
			if (prev_blank)
				prev_blank_offset = line.offset;
			may_skip = !line.is_partial;
			continue;
		}
		if (line.len > 0 && line.data[0] == 'F' && starts_with_from(line.data, line.len)) {
			if (!part_body_start &&
			    starts_message(reader, &line, prev_blank || line.offset == cl_end)) {
				if (boundaries->len > 0 && !mime_closed)
					g_ptr_array_add(warnings, g_strdup_printf("ends inside its MIME "
					                "multipart (no closing boundary) at the From_ line at "
					                "offset %" G_GINT64_FORMAT ": an attached mailbox? "
					                "check this message", line.offset));
				set_pending(reader, &line);
				separator = TRUE;
				break;
			}
			reader->summary.unquoted_from_lines++;
		} else if (line.len > 0 && line.data[0] == '>') {
			gsize n = 1;
			while (n < line.len && line.data[n] == '>')
				n++;
			if (starts_with_from(line.data + n, line.len - n)) {
				if (n == 1)
					reader->summary.quoted_from_lines++;
				else
					reader->summary.deep_quoted_from_lines++;
			}
		}
		/* MIME: after "--boundary" come the part's headers, then an empty line; a
		 * From_ line right after that empty line is the part's content */
		part_body_start = FALSE;
		if (boundaries->len > 0) {
			if (is_closing_boundary(g_ptr_array_index(boundaries, 0), line.data, line.len)) {
				mime_closed = TRUE;
				part_header = FALSE;
			} else if (is_part_start(boundaries, line.data, line.len)) {
				part_header = TRUE;
			} else if (part_header) {
				if (line.len == 0) {
					part_header = FALSE;
					part_body_start = TRUE;
				} else {
					char *b = mbox_headers_find_boundary(line.data, line.len);
					if (b != NULL)
						g_ptr_array_add(boundaries, b);
				}
			}
		}
		prev_blank = line.len == 0 && !line.is_partial;
		if (prev_blank)
			prev_blank_offset = line.offset;
		may_skip = !line.is_partial && !part_header;
	}
	if (local != NULL) {
		mbox_headers_clear(&h);
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: msg %" G_GUINT64_FORMAT
		            ": %s", reader->name, reader->next_number, local->message);
		return NULL;
	}

	if (separator) {
		msg->next_offset = reader->pending_offset;
		msg->end_offset = prev_blank && prev_blank_offset >= msg->header_offset
		                  ? prev_blank_offset : reader->pending_offset;
	} else {
		reader->finished = TRUE;
		msg->next_offset = reader->size;
		msg->end_offset = reader->size;
		if (cl_end >= 0)
			msg->end_offset = cl_end;
		else if (prev_blank && !in_headers && prev_blank_offset >= msg->body_offset)
			msg->end_offset = prev_blank_offset;   /* the separator's empty line */
	}
	if (cl_end >= 0) {
		msg->end_offset = cl_end;
		msg->content_length_used = TRUE;
		reader->summary.content_length_used++;
	}
	if (msg->body_offset < 0 || msg->body_offset > msg->end_offset)
		msg->body_offset = msg->end_offset;

	if (msg->has_nul)
		g_ptr_array_add(warnings, g_strdup("contains a NUL byte (IMAP APPEND refuses this "
		                                   "message; LMTP would cut it there)"));
	/* 5. metadata */
	*is_internal_out = mbox_headers_take_metadata(reader, msg, &h, warnings);
	mbox_headers_take_date(reader, msg, &h, warnings, from_line_had_date);
	mbox_headers_clear(&h);
	g_ptr_array_add(warnings, NULL);
	msg->warnings = (char **)g_ptr_array_free(g_steal_pointer(&warnings), FALSE);
	return g_steal_pointer(&msg);
}

MboxMessage *
mbox_reader_next(MboxReader *reader, GError **error)
{
	if (!reader->started && !start(reader, error))
		return NULL;
	while (!reader->finished) {
		gboolean is_internal = FALSE;
		MboxMessage *msg = read_message(reader, &is_internal, error);
		if (msg == NULL) {
			reader->finished = TRUE;
			return NULL;
		}
		if (is_internal) {
			mbox_message_free(msg);
			continue;
		}
		msg->number = reader->next_number++;
		reader->summary.messages++;
		return msg;
	}
	return NULL;
}
