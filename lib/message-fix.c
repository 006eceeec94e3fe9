/* message-fix.c -- the stream of message-fix.h.
 *
 * Order of operations on each piece:
 *  1. while in the header block: NUL bytes dropped (when that fix is on) as the piece
 *     is appended to the held block, line by line, watching for the empty line and
 *     for max_header_bytes;
 *  2. at the empty line (or past the limit, or at the end of the message): the block
 *     goes through message_fix_header_block() and is written on in one piece; what
 *     follows in the piece goes to 3;
 *  3. body: spans without NUL are written on as they came (memchr finds the next
 *     NUL); a bare CR in the body stays (Cyrus stores it). */
#include "message-fix-private.h"

#include <string.h>

#define DEFAULT_MAX_HEADER_BYTES ((gsize)1 << 20)

const MessageFixSettings message_fix_defaults = { .enabled = MESSAGE_FIX_ALL };

guint
message_fix_kind_from_name(const char *name)
{
	static const struct {
		const char *name;
		guint kind;
	} kinds[] = {
		{ "8bit-headers", MESSAGE_FIX_8BIT_HEADERS }, { "nul", MESSAGE_FIX_NUL },
		{ "bare-cr", MESSAGE_FIX_BARE_CR }, { "bad-header", MESSAGE_FIX_BAD_HEADER },
		{ "all", MESSAGE_FIX_ALL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].kind;
	return 0;
}

void
message_fix_settings_init(MessageFixSettings *settings)
{
	settings->enabled = MESSAGE_FIX_ALL;
	settings->header_charset = NULL;
	settings->max_header_bytes = 0;
}

gboolean
message_fix_settings_check(const MessageFixSettings *settings, GError **error)
{
	if (settings->header_charset == NULL)
		return TRUE;
	GIConv cd = g_iconv_open("UTF-8", settings->header_charset);
	if (cd == (GIConv)-1) {
		g_set_error(error, G_CONVERT_ERROR, G_CONVERT_ERROR_NO_CONVERSION,
		            "unknown header charset \"%s\"", settings->header_charset);
		return FALSE;
	}
	g_iconv_close(cd);
	return TRUE;
}

gboolean
message_fix_is_needed(const MessageFixSettings *settings, const MboxMessage *message)
{
	guint on = settings->enabled;
	if (on & (MESSAGE_FIX_BARE_CR | MESSAGE_FIX_BAD_HEADER | MESSAGE_FIX_ISO_2022_JP))
		return TRUE;
	return ((on & MESSAGE_FIX_NUL) && message->has_nul) ||
	       ((on & MESSAGE_FIX_8BIT_HEADERS) && message->has_8bit_header);
}

MessageFix *
message_fix_new(const MessageFixSettings *settings, MboxWriteFunc write, gpointer user_data)
{
	MessageFix *fix = g_new0(MessageFix, 1);
	fix->enabled = settings->enabled;
	fix->header_charset = g_strdup(settings->header_charset);
	fix->max_header_bytes = settings->max_header_bytes > 0 ? settings->max_header_bytes
	                                                        : DEFAULT_MAX_HEADER_BYTES;
	fix->write = write;
	fix->write_data = user_data;
	fix->in_header = TRUE;
	fix->header = g_string_new(NULL);
	fix->notes = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(fix->notes, NULL);
	return fix;
}

void
message_fix_free(MessageFix *fix)
{
	if (fix == NULL)
		return;
	g_free(fix->header_charset);
	g_string_free(fix->header, TRUE);
	g_ptr_array_free(fix->notes, TRUE);
	g_free(fix);
}

void
message_fix_add_note(MessageFix *fix, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	char *note = g_strdup_vprintf(format, args);
	va_end(args);
	fix->notes->pdata[fix->notes->len - 1] = note;   /* in place of the NULL */
	g_ptr_array_add(fix->notes, NULL);
}

guint
message_fix_applied(const MessageFix *fix)
{
	return fix->applied;
}

const char *const *
message_fix_notes(const MessageFix *fix)
{
	return (const char *const *)fix->notes->pdata;
}

gint64
message_fix_out_bytes(const MessageFix *fix)
{
	return fix->out_bytes;
}

static gboolean
emit(MessageFix *fix, const char *data, gsize len, GError **error)
{
	if (len == 0)
		return TRUE;
	fix->out_bytes += (gint64)len;
	return fix->write(data, len, fix->write_data, error);
}

/* 3. Body bytes: only NUL bytes go.  A bare CR stays: Cyrus 3.6 stores it in a body
 * (measured: APPEND of "bo\rdy" answered OK), and a byte added is a byte changed. */
static gboolean
body_write(MessageFix *fix, const char *data, gsize len, GError **error)
{
	const char *p = data, *end = data + len, *nul;

	if (!(fix->enabled & MESSAGE_FIX_NUL))
		return emit(fix, data, len, error);
	while ((nul = memchr(p, '\0', (gsize)(end - p))) != NULL) {
		if (!emit(fix, p, (gsize)(nul - p), error))
			return FALSE;
		fix->nul_bytes++;
		p = nul + 1;
	}
	return emit(fix, p, (gsize)(end - p), error);
}

/* 2. The header block is complete: its first `len` bytes are header, then come
 * `terminator_len` bytes of its empty line, and what is left is body. */
static gboolean
header_flush(MessageFix *fix, gsize len, gsize terminator_len, GError **error)
{
	g_autoptr(GString) out = g_string_sized_new(len + terminator_len + 64);

	message_fix_header_block(fix, fix->header->str, len, out);
	if (fix->enabled & MESSAGE_FIX_8BIT_HEADERS) {
		/* what no field's encoding took (a line that starts no field): APPEND would
		 * make it X, so it is made X here (message-fix-header.c: why) */
		guint64 made_x = 0;
		for (gsize i = 0; i < out->len; i++)
			if ((guchar)out->str[i] >= 0x80) {
				out->str[i] = 'X';
				made_x++;
			}
		if (made_x > 0) {
			fix->applied |= MESSAGE_FIX_8BIT_HEADERS;
			message_fix_add_note(fix, "%" G_GUINT64_FORMAT " 8-bit header byte%s outside any "
			                     "field made X (as APPEND would make each)", made_x,
			                     made_x == 1 ? "" : "s");
		}
	}
	g_string_append_len(out, fix->header->str + len, (gssize)terminator_len);
	fix->in_header = FALSE;
	if (!emit(fix, out->str, out->len, error))
		return FALSE;
	gsize rest = fix->header->len - len - terminator_len;
	g_autoptr(GString) held = g_steal_pointer(&fix->header);
	fix->header = g_string_new(NULL);
	return body_write(fix, held->str + len + terminator_len, rest, error);
}

static gboolean
header_over_limit(MessageFix *fix, GError **error)
{
	message_fix_add_note(fix, "header block longer than %zu bytes: after byte %zu it is "
	                     "treated as body", fix->max_header_bytes, fix->cut);
	return header_flush(fix, fix->cut, 0, error);
}

/* Append `len` bytes to the held block, without their NUL bytes when that fix is on. */
static void
header_append(MessageFix *fix, const char *data, gsize len)
{
	if (!(fix->enabled & MESSAGE_FIX_NUL)) {
		g_string_append_len(fix->header, data, (gssize)len);
		return;
	}
	const char *end = data + len, *nul;
	while ((nul = memchr(data, '\0', (gsize)(end - data))) != NULL) {
		g_string_append_len(fix->header, data, nul - data);
		fix->nul_bytes++;
		data = nul + 1;
	}
	g_string_append_len(fix->header, data, end - data);
}

/* 1. */
static gboolean
header_write(MessageFix *fix, const char *data, gsize len, GError **error)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *lf = memchr(p, '\n', (gsize)(end - p));
		const char *segment_end = lf != NULL ? lf + 1 : end;
		header_append(fix, p, (gsize)(segment_end - p));
		p = segment_end;
		if (lf != NULL) {
			gsize line_end = fix->header->len, line_start = fix->line_start;
			fix->line_start = line_end;
			if (line_end - line_start == 2 && fix->header->str[line_start] == '\r' &&
			    line_end <= fix->max_header_bytes) {
				g_string_append_len(fix->header, p, end - p);
				return header_flush(fix, line_start, 2, error);
			}
			if (line_end <= fix->max_header_bytes)
				fix->cut = line_end;
		}
		if (fix->header->len > fix->max_header_bytes) {
			g_string_append_len(fix->header, p, end - p);
			return header_over_limit(fix, error);
		}
	}
	return TRUE;
}

gboolean
message_fix_write(const char *data, gsize len, gpointer fix_pointer, GError **error)
{
	MessageFix *fix = fix_pointer;
	g_assert(!fix->ended);
	if (fix->in_header)
		return header_write(fix, data, len, error);
	return body_write(fix, data, len, error);
}

gboolean
message_fix_end(MessageFix *fix, GError **error)
{
	g_assert(!fix->ended);
	if (fix->in_header && !header_flush(fix, fix->header->len, 0, error))
		return FALSE;
	fix->ended = TRUE;
	if (fix->nul_bytes > 0) {
		fix->applied |= MESSAGE_FIX_NUL;
		message_fix_add_note(fix, "%" G_GUINT64_FORMAT " NUL byte%s removed", fix->nul_bytes,
		                     fix->nul_bytes == 1 ? "" : "s");
	}
	return TRUE;
}

gboolean
message_fix_copy(MboxReader *reader, const MboxMessage *message,
                 const MessageFixSettings *settings, MboxWriteFunc write, gpointer user_data,
                 MessageFix **fix_out, GError **error)
{
	g_autoptr(MessageFix) fix = message_fix_new(settings, write, user_data);
	gboolean ok = mbox_reader_copy_message(reader, message, MBOX_COPY_CRLF,
	                                       message_fix_write, fix, error) &&
	              message_fix_end(fix, error);
	if (fix_out != NULL)
		*fix_out = g_steal_pointer(&fix);
	return ok;
}

gint64
message_fix_internaldate(gint64 t, const char **note_out)
{
	const char *note = NULL;
	if (t <= 0) {
		note = "a date at or before 1970-01-01 00:00:00 UTC, which Cyrus replaces by the "
		       "time of delivery: stored as 1970-01-01 00:00:01 UTC";
		t = 1;
	} else if (t > G_MAXUINT32) {
		note = "a date after 2106-02-07 06:28:15 UTC, which Cyrus cannot keep (it would "
		       "store it wrapped): stored as 2106-02-07 06:28:15 UTC";
		t = G_MAXUINT32;
	}
	if (note_out != NULL)
		*note_out = note;
	return t;
}

typedef struct {
	MboxWriteFunc write;
	gpointer data;
	guint64 left;
} Counted;

static gboolean
counted_write(const char *data, gsize len, gpointer cp, GError **error)
{
	Counted *k = cp;
	if (len > k->left) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "the message grew while it was "
		            "sent (the file changed?)");
		return FALSE;
	}
	k->left -= len;
	return k->write(data, len, k->data, error);
}

gboolean
message_fix_copy_exact(MboxReader *reader, const MboxMessage *message,
                       const MessageFixSettings *settings, guint64 size, MboxWriteFunc write,
                       gpointer user_data, GError **error)
{
	Counted k = { write, user_data, size };
	if (!message_fix_copy(reader, message, settings, counted_write, &k, NULL, error))
		return FALSE;
	if (k.left != 0) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "the message shrank while it "
		            "was sent (the file changed?)");
		return FALSE;
	}
	return TRUE;
}
