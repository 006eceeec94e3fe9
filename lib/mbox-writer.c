/* mbox-writer.c -- see mbox-writer.h.
 *
 * The bytes of one message pass through one scanner (feed) that turns CRLF into LF
 * (a CR and its LF may come in different pieces: cr_pending) and hands the rest to
 * two line machines, as content runs and line ends:
 *   headers: each line's first bytes wait in `lead` until its field name is known
 *            (the colon, or LEAD_MAX bytes); then the line is dropped (an internal
 *            field, and its continuation lines) or goes to `held`; the first
 *            Return-Path's value is kept for the From_ line.  The empty line writes
 *            From_, held, the added lines, "\n".  Past max_header_bytes, held is
 *            written at once (From_, complete lines, added lines, the line begun)
 *            and the rest streams.
 *   body:    a line's first bytes are matched against ^>*From  (a count of '>', then
 *            up to 5 bytes), so a line of any length is never held.
 *
 * The reader's copy (mbox-copy.c) undoes quoting of every header line it keeps (a
 * message with no header block, corpus mail-parser-rs, is all "header"), so a header
 * line that starts ^>*From  -- with a colon further on or not -- is quoted here too,
 * while it is held (found by the fuzzer, tests/fuzz/fuzz-backout.c).  Past
 * max_header_bytes it is not: nothing that long is known to exist, and holding it
 * would break the bound. */
#include "mbox-writer.h"

#include <string.h>

#include <gio/gio.h>

#include "mbox-meta.h"
#include "mbox-writer-private.h"

#define OUT_BUFFER (64 * 1024)
#define LEAD_MAX 64              /* longest field name we decide on, with blanks */
#define RETURN_PATH_MAX 998      /* RFC 5322 line limit: enough for an address */
#define DEFAULT_MAX_HEADER (1024 * 1024)

static const char quotes[] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";

typedef enum {
	LINE_START,   /* nothing of the line yet */
	LINE_LEAD,    /* its first bytes are in lead */
	LINE_PASS,    /* kept */
	LINE_DROP,    /* an internal field or its continuation */
} LineState;

struct MboxWriter {
	MboxQuoting quoting;
	GTimeZone *tz;
	gsize max_header_bytes;
	char *hostname;
	MboxWriteFunc write;
	gpointer write_data;
	guint64 bytes;
	guint64 messages;
	GString *out;              /* not yet handed to write */

	/* the message begun */
	gboolean in_message;
	gboolean failed;           /* the write function failed: only abort helps */
	guint64 bytes_at_begin;
	char *sender;              /* the caller's, made safe; NULL: Return-Path */
	gint64 date;
	GString *added;            /* Status: ... X-UID: lines */
	guint8 mark[20];           /* mbox_writer_mark(), for the next message */
	MboxQuoting mark_quoting;
	gboolean has_mark;
	gboolean cr_pending;
	gboolean in_headers;
	gboolean header_written;   /* From_, held and added are out (past the limit) */
	GString *held;
	gsize line_start;          /* the current line's offset in held */
	LineState state;
	char lead[LEAD_MAX];
	gsize lead_len;
	gboolean is_continuation;
	gboolean field_dropped;
	gboolean capturing_return_path;
	GString *return_path;      /* the first Return-Path's value, or NULL */
	gboolean at_line_start;    /* body */
	gboolean in_prefix;        /* body: matching ^>*From  */
	gsize quote_count;         /* its '>' */
	gsize from_matched;        /* its bytes of "From " */
};

MboxWriter *
mbox_writer_new(const MboxWriterSettings *settings, MboxWriteFunc write, gpointer write_data)
{
	MboxWriter *w = g_new0(MboxWriter, 1);

	w->quoting = settings != NULL && settings->quoting == MBOX_QUOTING_MBOXO
	             ? MBOX_QUOTING_MBOXO : MBOX_QUOTING_MBOXRD;
	w->tz = settings != NULL && settings->tz != NULL ? g_time_zone_ref(settings->tz)
	                                                 : g_time_zone_new_utc();
	w->max_header_bytes = settings != NULL && settings->max_header_bytes > 0
	                      ? settings->max_header_bytes : DEFAULT_MAX_HEADER;
	w->hostname = g_strdup(settings != NULL && settings->hostname != NULL
	                       ? settings->hostname : g_get_host_name());
	w->write = write;
	w->write_data = write_data;
	w->out = g_string_sized_new(OUT_BUFFER);
	w->added = g_string_new(NULL);
	w->held = g_string_new(NULL);
	return w;
}

static void
reset_message(MboxWriter *w)
{
	w->in_message = FALSE;
	w->failed = FALSE;
	g_clear_pointer(&w->sender, g_free);
	g_string_truncate(w->added, 0);
	if (w->held->allocated_len > 64 * 1024) {
		g_string_free(w->held, TRUE);   /* a large header block does not stay */
		w->held = g_string_new(NULL);
	}
	g_string_truncate(w->held, 0);
	if (w->return_path != NULL)
		g_string_free(g_steal_pointer(&w->return_path), TRUE);
	g_string_truncate(w->out, 0);
}

void
mbox_writer_free(MboxWriter *writer)
{
	if (writer == NULL)
		return;
	reset_message(writer);
	g_time_zone_unref(writer->tz);
	g_free(writer->hostname);
	g_string_free(writer->out, TRUE);
	g_string_free(writer->added, TRUE);
	g_string_free(writer->held, TRUE);
	g_free(writer);
}

guint64
mbox_writer_bytes(const MboxWriter *writer)
{
	return writer->bytes;
}

/* ---- output ---- */

static gboolean
out_flush(MboxWriter *w, GError **error)
{
	if (w->out->len == 0)
		return TRUE;
	if (!w->write(w->out->str, w->out->len, w->write_data, error)) {
		w->failed = TRUE;
		return FALSE;
	}
	w->bytes += w->out->len;
	g_string_truncate(w->out, 0);
	return TRUE;
}

static gboolean
out_put(MboxWriter *w, const char *data, gsize len, GError **error)
{
	if (w->out->len + len > OUT_BUFFER) {
		if (!out_flush(w, error))
			return FALSE;
		if (len > OUT_BUFFER) {
			if (!w->write(data, len, w->write_data, error)) {
				w->failed = TRUE;
				return FALSE;
			}
			w->bytes += len;
			return TRUE;
		}
	}
	g_string_append_len(w->out, data, (gssize)len);
	return TRUE;
}

static gboolean
out_quotes(MboxWriter *w, gsize count, GError **error)
{
	while (count > 0) {
		gsize n = MIN(count, sizeof quotes - 1);
		if (!out_put(w, quotes, n, error))
			return FALSE;
		count -= n;
	}
	return TRUE;
}

/* ---- the From_ line and the added lines ---- */

static GDateTime *
date_in_zone(MboxWriter *w, gint64 when, GError **error)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(when);
	if (utc == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "date %" G_GINT64_FORMAT " is out of range", when);
		return NULL;
	}
	return g_date_time_to_timezone(utc, w->tz);
}

static gboolean
write_from_line(MboxWriter *w, gboolean use_return_path, GError **error)
{
	g_autoptr(GDateTime) dt = date_in_zone(w, w->date, error);
	g_autofree char *sender = w->sender != NULL ? g_strdup(w->sender)
	                          : use_return_path && w->return_path != NULL
	                          ? mbox_writer_return_path_sender(w->return_path) : g_strdup("MAILER-DAEMON");
	g_autoptr(GString) line = g_string_new("From ");

	g_assert(dt != NULL);   /* checked by begin */
	g_string_append_printf(line, "%s ", sender);
	mbox_writer_append_asctime(line, dt);
	g_string_append_c(line, '\n');
	return out_put(w, line->str, line->len, error);
}

/* ---- headers ---- */

/* Past max_header_bytes: From_ (without Return-Path: it may not have come yet), the
 * complete lines held, the added lines, the line begun; the rest streams. */
static gboolean
write_held_now(MboxWriter *w, GError **error)
{
	w->header_written = TRUE;
	if (!write_from_line(w, FALSE, error) ||
	    !out_put(w, w->held->str, w->line_start, error) ||
	    !out_put(w, w->added->str, w->added->len, error) ||
	    !out_put(w, w->held->str + w->line_start, w->held->len - w->line_start, error))
		return FALSE;
	g_string_truncate(w->held, 0);
	w->line_start = 0;
	return TRUE;
}

static gboolean
header_emit(MboxWriter *w, const char *data, gsize len, GError **error)
{
	if (!w->header_written && w->held->len + len > w->max_header_bytes &&
	    !write_held_now(w, error))
		return FALSE;
	if (w->header_written)
		return out_put(w, data, len, error);
	g_string_append_len(w->held, data, (gssize)len);
	return TRUE;
}

static void
capture_return_path(MboxWriter *w, const char *data, gsize len)
{
	if (w->capturing_return_path && w->return_path->len < RETURN_PATH_MAX)
		g_string_append_len(w->return_path, data,
		                    (gssize)MIN(len, RETURN_PATH_MAX - w->return_path->len));
}

/* The field name is known (the colon is the lead's last byte), or never will be. */
static gboolean
decide_field(MboxWriter *w, gboolean has_colon, GError **error)
{
	gsize name_len = has_colon ? w->lead_len - 1 : 0;
	while (name_len > 0 && (w->lead[name_len - 1] == ' ' || w->lead[name_len - 1] == '\t'))
		name_len--;   /* "Status :" */
	if (has_colon && mbox_meta_is_internal_field(w->lead, name_len)) {
		w->state = LINE_DROP;
		w->field_dropped = TRUE;
		return TRUE;
	}
	w->state = LINE_PASS;
	if (has_colon && w->return_path == NULL && !w->header_written && name_len == 11 &&
	    g_ascii_strncasecmp(w->lead, "Return-Path", 11) == 0) {
		w->return_path = g_string_new(NULL);
		w->capturing_return_path = TRUE;
	}
	return header_emit(w, w->lead, w->lead_len, error);
}

static gboolean
header_content(MboxWriter *w, const char *data, gsize len, GError **error)
{
	while (len > 0) {
		switch (w->state) {
		case LINE_START:
			w->line_start = w->held->len;
			w->is_continuation = data[0] == ' ' || data[0] == '\t';
			if (w->is_continuation) {
				w->state = w->field_dropped ? LINE_DROP : LINE_PASS;
			} else {
				w->state = LINE_LEAD;
				w->lead_len = 0;
				w->field_dropped = FALSE;
				w->capturing_return_path = FALSE;
			}
			break;
		case LINE_LEAD: {
			gsize take = MIN(len, LEAD_MAX - w->lead_len);
			const char *colon = memchr(data, ':', take);
			if (colon != NULL)
				take = (gsize)(colon - data) + 1;
			memcpy(w->lead + w->lead_len, data, take);
			w->lead_len += take;
			data += take;
			len -= take;
			if ((colon != NULL || w->lead_len == LEAD_MAX) &&
			    !decide_field(w, colon != NULL, error))
				return FALSE;
			break;
		}
		case LINE_PASS:
			capture_return_path(w, data, len);
			return header_emit(w, data, len, error);
		case LINE_DROP:
			return TRUE;
		}
	}
	return TRUE;
}

/* A held header line that reads ^>*From  is quoted as a body line would be (see the
 * top of this file). */
static void
quote_held_line(MboxWriter *w)
{
	const char *line = w->held->str + w->line_start;
	gsize len = w->held->len - w->line_start, n = 0;

	while (n < len && line[n] == '>')
		n++;
	if (len - n >= 5 && memcmp(line + n, "From ", 5) == 0 &&
	    (n == 0 || w->quoting == MBOX_QUOTING_MBOXRD))
		g_string_insert_c(w->held, (gssize)w->line_start, '>');
}

static gboolean
end_header_block(MboxWriter *w, GError **error)
{
	if (!w->header_written &&
	    (!write_from_line(w, TRUE, error) ||
	     !out_put(w, w->held->str, w->held->len, error) ||
	     !out_put(w, w->added->str, w->added->len, error)))
		return FALSE;
	w->header_written = TRUE;
	w->in_headers = FALSE;
	w->at_line_start = TRUE;
	return out_put(w, "\n", 1, error);
}

static gboolean
header_line_end(MboxWriter *w, GError **error)
{
	switch (w->state) {
	case LINE_START:
		return end_header_block(w, error);
	case LINE_LEAD:
		if (!decide_field(w, FALSE, error))
			return FALSE;
		break;
	case LINE_PASS:
	case LINE_DROP:
		break;
	}
	gboolean dropped = w->state == LINE_DROP;
	w->state = LINE_START;
	if (dropped)
		return TRUE;
	if (!w->is_continuation && !w->header_written)
		quote_held_line(w);
	return header_emit(w, "\n", 1, error);
}

/* ---- body ---- */

/* The line did not turn out to be ^>*From : its bytes matched so far go out as they were. */
static gboolean
body_prefix_flush(MboxWriter *w, GError **error)
{
	w->in_prefix = FALSE;
	return out_quotes(w, w->quote_count, error) &&
	       out_put(w, "From ", w->from_matched, error);
}

static gboolean
body_content(MboxWriter *w, const char *data, gsize len, GError **error)
{
	if (w->at_line_start && len > 0) {
		w->at_line_start = FALSE;
		w->in_prefix = TRUE;
		w->quote_count = 0;
		w->from_matched = 0;
	}
	while (w->in_prefix && len > 0) {
		if (w->from_matched == 0 && *data == '>') {
			w->quote_count++;
		} else if (*data == "From "[w->from_matched]) {
			if (++w->from_matched == 5) {
				gboolean quote = w->quote_count == 0 || w->quoting == MBOX_QUOTING_MBOXRD;
				w->in_prefix = FALSE;
				if ((quote && !out_put(w, ">", 1, error)) ||
				    !out_quotes(w, w->quote_count, error) || !out_put(w, "From ", 5, error))
					return FALSE;
			}
		} else {
			if (!body_prefix_flush(w, error))
				return FALSE;
			break;   /* this byte is ordinary content */
		}
		data++;
		len--;
	}
	return len == 0 || out_put(w, data, len, error);
}

static gboolean
body_line_end(MboxWriter *w, GError **error)
{
	if (w->in_prefix && !body_prefix_flush(w, error))
		return FALSE;
	w->at_line_start = TRUE;
	return out_put(w, "\n", 1, error);
}

/* ---- the scanner ---- */

static gboolean
content(MboxWriter *w, const char *data, gsize len, GError **error)
{
	if (len == 0)
		return TRUE;
	return w->in_headers ? header_content(w, data, len, error) : body_content(w, data, len, error);
}

static gboolean
line_end(MboxWriter *w, GError **error)
{
	return w->in_headers ? header_line_end(w, error) : body_line_end(w, error);
}

static gboolean
feed(MboxWriter *w, const char *data, gsize len, GError **error)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		if (w->cr_pending) {
			w->cr_pending = FALSE;
			if (*p == '\n') {
				if (!line_end(w, error))
					return FALSE;
				p++;
				continue;
			}
			if (!content(w, "\r", 1, error))   /* a CR alone is a byte of the line */
				return FALSE;
		}
		const char *q = p;
		while (q < end && *q != '\n' && *q != '\r')
			q++;
		if (!content(w, p, (gsize)(q - p), error))
			return FALSE;
		if (q == end)
			break;
		if (*q == '\r' && q + 1 == end) {
			w->cr_pending = TRUE;
			break;
		}
		if (*q == '\r' && q[1] != '\n') {
			if (!content(w, "\r", 1, error))
				return FALSE;
			p = q + 1;
			continue;
		}
		if (!line_end(w, error))
			return FALSE;
		p = q + (*q == '\r' ? 2 : 1);
	}
	return TRUE;
}

/* ---- the API ---- */

static gboolean
check_failed(MboxWriter *w, GError **error)
{
	if (!w->failed)
		return TRUE;
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
	                    "an earlier write of this message failed");
	return FALSE;
}

gboolean
mbox_writer_begin(MboxWriter *writer, const char *sender, gint64 date,
                  const char *const *flags, guint32 uid, GError **error)
{
	g_autoptr(GDateTime) dt = NULL;

	g_assert(!writer->in_message);
	if ((dt = date_in_zone(writer, date, error)) == NULL)
		return FALSE;
	reset_message(writer);
	writer->in_message = TRUE;
	writer->bytes_at_begin = writer->bytes;
	writer->sender = sender != NULL ? mbox_writer_safe_sender(sender, strlen(sender)) : NULL;
	writer->date = date;
	mbox_writer_added_lines(writer->added, flags, uid);
	if (writer->has_mark) {
		char hex[41];
		for (int i = 0; i < 20; i++)
			g_snprintf(hex + 2 * i, 3, "%02x", writer->mark[i]);
		g_string_append_printf(writer->added, "X-Mbox2cyrus-SHA1: %s file-quoting=%s\n", hex,
		                       mbox_quoting_name(writer->mark_quoting));
		writer->has_mark = FALSE;
	}
	writer->cr_pending = FALSE;
	writer->in_headers = TRUE;
	writer->header_written = FALSE;
	writer->line_start = 0;
	writer->state = LINE_START;
	writer->lead_len = 0;
	writer->is_continuation = FALSE;
	writer->field_dropped = FALSE;
	writer->capturing_return_path = FALSE;
	writer->in_prefix = FALSE;
	return TRUE;
}

void
mbox_writer_mark(MboxWriter *writer, const guint8 sha1[20], MboxQuoting file_quoting)
{
	memcpy(writer->mark, sha1, 20);
	writer->mark_quoting = file_quoting;
	writer->has_mark = TRUE;
}

gboolean
mbox_writer_write(MboxWriter *writer, const char *data, gsize len, GError **error)
{
	g_assert(writer->in_message);
	return check_failed(writer, error) && feed(writer, data, len, error);
}

gboolean
mbox_writer_end(MboxWriter *writer, GError **error)
{
	gboolean ok;

	g_assert(writer->in_message);
	ok = check_failed(writer, error);
	/* a CR at the very end ends the line (a lone CR kept would make "\r\n" of it) */
	if (ok && writer->cr_pending) {
		writer->cr_pending = FALSE;
		ok = line_end(writer, error);
	}
	if (ok && writer->in_headers) {
		/* all header: the last line ends, and the empty line that ends the header
		 * block is also the separator (the reader gives the message back as it was) */
		if (writer->state != LINE_START)
			ok = header_line_end(writer, error);
		ok = ok && end_header_block(writer, error);
	} else if (ok) {
		if (!writer->at_line_start)
			ok = body_line_end(writer, error);
		ok = ok && out_put(writer, "\n", 1, error);
	}
	ok = ok && out_flush(writer, error);
	if (ok) {
		writer->messages++;
		reset_message(writer);
	}
	return ok;
}

void
mbox_writer_abort(MboxWriter *writer)
{
	if (!writer->in_message)
		return;
	writer->bytes = writer->bytes_at_begin;
	reset_message(writer);
}

gboolean
mbox_writer_folder_data(MboxWriter *writer, guint32 uidvalidity, guint32 last_uid,
                        const char *const *keywords, gint64 now, GError **error)
{
	g_autoptr(GDateTime) dt = NULL;
	g_autofree char *host = mbox_writer_safe_sender(writer->hostname, strlen(writer->hostname));
	g_autoptr(GString) s = g_string_new(NULL);

	g_assert(!writer->in_message && writer->messages == 0);
	if ((dt = date_in_zone(writer, now, error)) == NULL)
		return FALSE;
	mbox_writer_folder_text(s, dt, uidvalidity, last_uid, keywords, now, host);
	if (!out_put(writer, s->str, s->len, error) || !out_flush(writer, error)) {
		writer->failed = FALSE;
		g_string_truncate(writer->out, 0);
		return FALSE;
	}
	return TRUE;
}
