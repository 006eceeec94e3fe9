/* message-fix-private.h -- what the three files of the filter share:
 * message-fix.c (the stream: NUL bytes, bare CRs, holding the header block, notes),
 * message-fix-header.c (the header block: lines, field names, charsets) and
 * message-fix-rfc2047.c (one field's value as encoded-words, folded). */
#ifndef M2C_MESSAGE_FIX_PRIVATE_H
#define M2C_MESSAGE_FIX_PRIVATE_H

#include "message-fix.h"

/* notes of one kind (a header line, a field) given one by one, then summed up */
#define MESSAGE_FIX_NOTES_PER_KIND 10

struct MessageFix {
	guint enabled;
	char *header_charset;
	gsize max_header_bytes;
	MboxWriteFunc write;
	gpointer write_data;

	gboolean in_header;
	GString *header;         /* the header block so far, NUL bytes removed when that fix is on */
	gsize line_start;        /* where its current line starts */
	gsize cut;               /* end of its last whole line within max_header_bytes */
	gboolean ended;

	guint64 nul_bytes;
	guint applied;
	GPtrArray *notes;        /* char *, NULL-terminated */
	gint64 out_bytes;
};

void message_fix_add_note(MessageFix *fix, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* message-fix-header.c: append the fixed form of the complete header block `block`
 * (without its empty line) to `out`, adding applied bits and notes to `fix`. */
void message_fix_header_block(MessageFix *fix, const char *block, gsize len, GString *out);

/* `len` bytes in `charset` as UTF-8 (new, NUL-terminated, its length in
 * `*utf8_len_out` unless NULL), or NULL when they do not convert, a character cut at
 * the end included. */
char *message_fix_to_utf8(const char *bytes, gsize len, const char *charset, gsize *utf8_len_out);

/* message-fix-rfc2047.c */
typedef enum {
	FIELD_UNSTRUCTURED,
	FIELD_ADDRESS,       /* also message-id fields: nothing inside <...> */
	FIELD_MIME,          /* encoded-words inside double quotes */
} FieldKind;

/* Append `field` -- its name, colon at `colon`, value with continuation lines, without
 * its last line ending -- to `out`, the value's words holding raw bytes (>= 0x80, and
 * ESC for ISO-2022-JP or when `escape_is_raw`) turned into encoded-words of their text
 * in `charset`, folded (message-fix.h rule 2).  `*raw_left_out`: raw bytes left as
 * they were (inside <...>, in a word with '@').  Returns TRUE when something was
 * encoded; else the field was appended as it is. */
gboolean message_fix_encode_field(GString *out, const char *field, gsize len, gsize colon,
                                  FieldKind kind, const char *charset, gboolean escape_is_raw,
                                  gsize *raw_left_out);

#endif
