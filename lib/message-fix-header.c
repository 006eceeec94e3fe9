/* message-fix-header.c -- the header block of message-fix.h: rules 1, 2's charset,
 * 3 and 5's header half.
 *
 * Order: bare CRs become spaces (in a copy of the block); then line by line, each
 * line that starts a field is checked and, when it must be, repaired or rewritten;
 * the field with its continuation lines is then written out, through
 * message_fix_encode_field() when it holds raw bytes. */
#include "message-fix-private.h"

#include <string.h>

#include "tsv.h"

#define INVALID_HEADER_NAME "X-Mbox2cyrus-Invalid-Header"

/* Notes of one kind are given up to MESSAGE_FIX_NOTES_PER_KIND, then counted in one
 * last note, "N more WHAT". */
typedef struct {
	guint count;
	const char *what;
} NoteCounter;

static gboolean
note_counts(NoteCounter *counter)
{
	return ++counter->count <= MESSAGE_FIX_NOTES_PER_KIND;
}

static void
note_summary(MessageFix *fix, const NoteCounter *counter)
{
	if (counter->count > MESSAGE_FIX_NOTES_PER_KIND)
		message_fix_add_note(fix, "%u more %s", counter->count - MESSAGE_FIX_NOTES_PER_KIND,
		                     counter->what);
}

static const char *const address_fields[] = {
	"From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Return-Path", "Delivered-To",
	"Errors-To", "Apparently-To", "Mail-Followup-To", "Mail-Reply-To",
	"Disposition-Notification-To", "Message-ID", "References", "In-Reply-To", "Content-ID",
};

static FieldKind
field_kind(const char *name, gsize len)
{
	for (gsize i = 0; i < G_N_ELEMENTS(address_fields); i++)
		if (strlen(address_fields[i]) == len && g_ascii_strncasecmp(name, address_fields[i], len) == 0)
			return FIELD_ADDRESS;
	if (len > 7 && g_ascii_strncasecmp(name, "Resent-", 7) == 0)
		return FIELD_ADDRESS;
	if (len > 8 && g_ascii_strncasecmp(name, "Content-", 8) == 0)
		return FIELD_MIME;
	return FIELD_UNSTRUCTURED;
}

char *
message_fix_to_utf8(const char *bytes, gsize len, const char *charset, gsize *utf8_len_out)
{
	gsize read = 0, written = 0;
	char *utf8;

	/* by hand where that is trivial: glibc loads and unloads a gconv module for each
	 * iconv_open() of a charset after others (measured: 250 us a message with an
	 * 8-bit Subject when every conversion went through iconv) */
	if (g_ascii_strcasecmp(charset, "UTF-8") == 0) {
		if (!g_utf8_validate_len(bytes, len, NULL))
			return NULL;
		utf8 = g_strndup(bytes, len);
		written = len;
	} else if (g_ascii_strcasecmp(charset, "ISO-8859-1") == 0) {
		GString *text = g_string_sized_new(len * 2);
		for (gsize i = 0; i < len; i++)
			g_string_append_unichar(text, (guchar)bytes[i]);
		written = text->len;
		utf8 = g_string_free(text, FALSE);
	} else {
		/* given `bytes_read`, g_convert() takes a character cut at the end for a success */
		utf8 = g_convert(bytes, (gssize)len, "UTF-8", charset, &read, &written, NULL);
		if (utf8 != NULL && read != len)
			g_clear_pointer(&utf8, g_free);
	}
	if (utf8_len_out != NULL)
		*utf8_len_out = written;
	return utf8;
}

static char *
to_utf8(const char *bytes, gsize len, const char *charset)
{
	return message_fix_to_utf8(bytes, len, charset, NULL);
}

/* Do the 8-bit bytes fall into EUC-JP's sequences (0x8E and one byte, 0x8F and two,
 * or two of 0xA1..0xFE)?  Then iconv is asked; Latin-1 text seldom gets that far. */
static gboolean
may_be_euc_jp(const guchar *b, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (b[i] < 0x80)
			continue;
		gsize trail = b[i] == 0x8f ? 2 : b[i] == 0x8e || (b[i] >= 0xa1 && b[i] <= 0xfe) ? 1 : 0;
		if (trail == 0 || i + trail >= len)
			return FALSE;
		for (gsize t = 1; t <= trail; t++)
			if (b[i + t] < 0xa1 || b[i + t] > 0xfe)
				return FALSE;
		i += trail;
	}
	return TRUE;
}

/* The same for Shift_JIS and CP932: a lead byte 0x81..0x9F or 0xE0..0xFC and a trail
 * byte 0x40..0xFC but 0x7F, or a half-width katakana 0xA1..0xDF. */
static gboolean
may_be_sjis(const guchar *b, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (b[i] < 0x80 || (b[i] >= 0xa1 && b[i] <= 0xdf))
			continue;
		if (!((b[i] >= 0x81 && b[i] <= 0x9f) || (b[i] >= 0xe0 && b[i] <= 0xfc)) || i + 1 >= len ||
		    b[i + 1] < 0x40 || b[i + 1] > 0xfc || b[i + 1] == 0x7f)
			return FALSE;
		i++;
	}
	return TRUE;
}

/* Has `utf8` kana or CJK punctuation (U+3000..U+30FF)?  Japanese text nearly always
 * has some, Cyrillic or Latin text read as EUC-JP or Shift_JIS never (KOI8-R bytes are
 * rows 0x30.. of JIS X 0208: kanji).  `*odd_out`: a character that no Japanese text
 * has, but a misreading gives: a C1 control (glibc's EUC-JP takes 0x80..0x9F, the
 * smart quotes of WINDOWS-1252, as those) or a private-use character (CP932's
 * user-defined rows, 0xF0..0xF9, take Latin-1 "\xF1o" of "Se\xF1or"). */
static gboolean
has_kana(const char *utf8, gboolean *odd_out)
{
	gboolean kana = FALSE;
	*odd_out = FALSE;
	for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c >= 0x3000 && c <= 0x30ff)
			kana = TRUE;
		if ((c >= 0x80 && c <= 0x9f) || (c >= 0xe000 && c <= 0xf8ff))
			*odd_out = TRUE;
	}
	return kana;
}

/* rule 2d: Cyrillic words have no Latin letters, Latin-1 words have some */
static gboolean
looks_koi8r(const guchar *b, gsize len)
{
	gsize high = 0, high_in_word = 0, ascii_letters_in_word = 0, in_pure = 0, in_mixed = 0;
	for (gsize i = 0; i <= len; i++) {
		if (i == len || b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			if (ascii_letters_in_word == 0)
				in_pure += high_in_word;
			else
				in_mixed += high_in_word;
			high_in_word = ascii_letters_in_word = 0;
			continue;
		}
		if (b[i] >= 0x80) {
			if (b[i] < 0xc0 && b[i] != 0xa3 && b[i] != 0xb3)
				return FALSE;
			high++;
			high_in_word++;
		} else if (g_ascii_isalpha(b[i])) {
			ascii_letters_in_word++;
		}
	}
	return high >= 2 && in_pure > in_mixed;
}

/* Rule 2's charset of a field value holding 8-bit bytes; static string. */
static const char *
detect_charset(const char *bytes, gsize len)
{
	const guchar *b = (const guchar *)bytes;
	gboolean odd;

	if (g_utf8_validate_len(bytes, len, NULL))
		return "UTF-8";
	g_autofree char *euc = may_be_euc_jp(b, len) ? to_utf8(bytes, len, "EUC-JP") : NULL;
	if (euc != NULL) {
		gboolean kana = has_kana(euc, &odd);
		if (!odd && (kana || !looks_koi8r(b, len)))
			return "EUC-JP";
	}
	const char *sjis_name = "SHIFT_JIS";
	g_autofree char *sjis = may_be_sjis(b, len) ? to_utf8(bytes, len, sjis_name) : NULL;
	if (sjis == NULL && may_be_sjis(b, len))
		sjis = to_utf8(bytes, len, sjis_name = "CP932");
	if (sjis != NULL && has_kana(sjis, &odd) && !odd)
		return sjis_name;
	if (looks_koi8r(b, len))
		return "KOI8-R";
	for (gsize i = 0; i < len; i++)
		if (b[i] >= 0x80 && b[i] <= 0x9f) {
			g_autofree char *cp1252 = to_utf8(bytes, len, "WINDOWS-1252");
			if (cp1252 != NULL)
				return "WINDOWS-1252";
			break;
		}
	return "ISO-8859-1";
}

static gboolean
has_8bit(const char *p, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if ((guchar)p[i] >= 0x80)
			return TRUE;
	return FALSE;
}

static gboolean
has_iso_2022_jp(const char *p, gsize len)
{
	for (gsize i = 0; i + 2 < len; i++)
		if (p[i] == '\x1b' && p[i + 1] == '$' && (p[i + 2] == 'B' || p[i + 2] == '@'))
			return TRUE;
	return FALSE;
}

typedef struct {
	MessageFix *fix;
	GString *out;
	NoteCounter encoded, left_raw;
} BlockState;

/* Write one field: `field` without its last line ending, then `ending`.  `colon` is the
 * position of the name's colon, or -1 for lines that start no field. */
static void
write_field(BlockState *st, const char *field, gsize len, gssize colon, const char *ending,
            gsize ending_len)
{
	MessageFix *fix = st->fix;
	const char *value = field + colon + 1;
	gsize value_len = colon >= 0 ? len - (gsize)colon - 1 : 0;
	const char *charset = NULL, *given_failed = NULL;
	guint bit = MESSAGE_FIX_8BIT_HEADERS;

	if (colon >= 0 && (fix->enabled & MESSAGE_FIX_8BIT_HEADERS) && has_8bit(value, value_len)) {
		charset = fix->header_charset;
		if (charset != NULL) {
			g_autofree char *check = to_utf8(value, value_len, charset);
			if (check == NULL) {
				given_failed = charset;
				charset = NULL;
			}
		}
		if (charset == NULL)
			charset = detect_charset(value, value_len);
	} else if (colon >= 0 && (fix->enabled & MESSAGE_FIX_ISO_2022_JP) &&
	           !has_8bit(value, value_len) && has_iso_2022_jp(value, value_len)) {
		charset = "ISO-2022-JP";
		bit = MESSAGE_FIX_ISO_2022_JP;
	}
	if (charset == NULL) {
		g_string_append_len(st->out, field, (gssize)len);
		g_string_append_len(st->out, ending, (gssize)ending_len);
		return;
	}

	gsize raw_left = 0, start = st->out->len;
	g_autofree char *name = tsv_escape_cut(field, (gsize)colon, 40);
	/* with ISO-2022-JP on, its escapes in a field of another charset are encoded too,
	 * or the next run of the filter would find them */
	gboolean encoded = message_fix_encode_field(st->out, field, len, (gsize)colon,
	                                            field_kind(field, (gsize)colon), charset,
	                                            (fix->enabled & MESSAGE_FIX_ISO_2022_JP) != 0,
	                                            &raw_left);
	/* 8-bit bytes left inside an address: made X here, as APPEND would make them --
	 * sent as Cyrus stores them, the message keeps the digest (DIGEST.SHA1) that a
	 * resume and verify look for */
	gsize made_x = 0;
	for (gsize i = start; i < st->out->len; i++)
		if ((guchar)st->out->str[i] >= 0x80) {
			st->out->str[i] = 'X';
			made_x++;
		}
	if (made_x > 0)
		fix->applied |= MESSAGE_FIX_8BIT_HEADERS;
	if (encoded) {
		fix->applied |= bit;
		if (note_counts(&st->encoded)) {
			if (given_failed != NULL)
				message_fix_add_note(fix, "%s: 8-bit header bytes encoded as RFC 2047 (%s: "
				                     "they are not %s)", name, charset, given_failed);
			else
				message_fix_add_note(fix, "%s: %s header bytes encoded as RFC 2047 (%s)", name,
				                     bit == MESSAGE_FIX_ISO_2022_JP ? "ISO-2022-JP" : "8-bit",
				                     charset);
		}
	}
	if (made_x > 0 && note_counts(&st->left_raw))
		message_fix_add_note(fix, "%s: %zu 8-bit byte%s inside an address made X (as APPEND "
		                     "would make each)", name, made_x, made_x == 1 ? "" : "s");
	g_string_append_len(st->out, ending, (gssize)ending_len);
}

/* Write out the field held in `field` and empty it. */
static void
flush_field(BlockState *st, GString *field, gssize colon)
{
	gsize ending = 0;
	if (field->len >= 1 && field->str[field->len - 1] == '\n')
		ending = field->len >= 2 && field->str[field->len - 2] == '\r' ? 2 : 1;
	if (field->len > 0)
		write_field(st, field->str, field->len - ending, colon, field->str + field->len - ending,
		            ending);
	g_string_truncate(field, 0);
}

/* Rule 1: the length of the field name before the colon, and in `*blanks_out` the
 * blanks between the two; -1 when the line starts no valid field. */
static gssize
field_name_length(const char *line, gsize len, gsize *blanks_out)
{
	gsize i = 0, j;
	*blanks_out = 0;
	while (i < len && (guchar)line[i] >= 33 && (guchar)line[i] <= 126 && line[i] != ':')
		i++;
	for (j = i; j < len && (line[j] == ' ' || line[j] == '\t'); j++)
		;
	if (i == 0 || j == len || line[j] != ':')
		return -1;
	*blanks_out = j - i;
	return (gssize)i;
}

void
message_fix_header_block(MessageFix *fix, const char *block, gsize len, GString *out)
{
	BlockState st = {
		.fix = fix, .out = out,
		.encoded = { 0, "header fields encoded as RFC 2047" },
		.left_raw = { 0, "header fields with 8-bit bytes left in addresses" },
	};
	NoteCounter bad_lines = { 0, "header lines fixed (rule 1)" };
	g_autoptr(GString) text = g_string_new_len(block, (gssize)len);
	g_autoptr(GString) field = g_string_new(NULL);
	gssize colon = -1;
	guint bare_crs = 0, line_number = 0;
	gsize out_start = out->len;

	/* rule 5, header half */
	if (fix->enabled & MESSAGE_FIX_BARE_CR)
		for (gsize i = 0; i < len; i++)
			if (text->str[i] == '\r' && (i + 1 == len || text->str[i + 1] != '\n')) {
				text->str[i] = ' ';
				bare_crs++;
			}

	for (gsize start = 0; start < len;) {
		const char *line = text->str + start;
		const char *lf = memchr(line, '\n', len - start);
		gsize line_len = lf != NULL ? (gsize)(lf - line) + 1 : len - start;
		gsize content_len = line_len;   /* without the line ending */
		if (content_len > 0 && line[content_len - 1] == '\n')
			content_len--;
		if (content_len > 0 && line[content_len - 1] == '\r')
			content_len--;
		start += line_len;
		line_number++;

		if (line_len > 0 && (line[0] == ' ' || line[0] == '\t')) {
			g_string_append_len(field, line, (gssize)line_len);   /* continuation */
			continue;
		}
		/* a new field: write out the one before, its last line ending apart */
		flush_field(&st, field, colon);
		gsize blanks;
		gssize name_len = field_name_length(line, content_len, &blanks);
		colon = name_len >= 0 ? name_len + (gssize)blanks : -1;
		if (name_len >= 0 && blanks > 0 && (fix->enabled & MESSAGE_FIX_BAD_HEADER)) {
			colon = name_len;
			fix->applied |= MESSAGE_FIX_BAD_HEADER;
			g_autofree char *name = tsv_escape_cut(line, (gsize)name_len, 40);
			if (note_counts(&bad_lines))
				message_fix_add_note(fix, "header line %u has blanks before its colon: "
				                     "removed (%s)", line_number, name);
			g_string_append_len(field, line, name_len);
			g_string_append_len(field, line + name_len + blanks, (gssize)(line_len - (gsize)name_len - blanks));
		} else if (name_len < 0 && (fix->enabled & MESSAGE_FIX_BAD_HEADER)) {
			fix->applied |= MESSAGE_FIX_BAD_HEADER;
			g_autofree char *shown = tsv_escape_cut(line, content_len, 40);
			if (note_counts(&bad_lines))
				message_fix_add_note(fix, "header line %u has no colon: made "
				                     INVALID_HEADER_NAME ": %s", line_number, shown);
			g_string_append(field, INVALID_HEADER_NAME ": ");
			colon = (gssize)strlen(INVALID_HEADER_NAME);
			g_string_append_len(field, line, (gssize)line_len);
		} else {
			g_string_append_len(field, line, (gssize)line_len);
		}
	}
	flush_field(&st, field, colon);
	note_summary(fix, &bad_lines);
	note_summary(fix, &st.encoded);
	note_summary(fix, &st.left_raw);
	if (bare_crs > 0) {
		fix->applied |= MESSAGE_FIX_BARE_CR;
		message_fix_add_note(fix, "%u bare CR%s in the header block made spaces", bare_crs,
		                     bare_crs == 1 ? "" : "s");
	}
	/* 8-bit headers not encoded (--no-fix 8bit-headers): made X here, as APPEND makes
	 * them, so that what is sent is what Cyrus stores and its digest is known */
	if (!(fix->enabled & MESSAGE_FIX_8BIT_HEADERS)) {
		guint made_x = 0;
		for (gsize i = out_start; i < out->len; i++)
			if ((guchar)out->str[i] >= 0x80) {
				out->str[i] = 'X';
				made_x++;
			}
		if (made_x > 0) {
			fix->applied |= MESSAGE_FIX_8BIT_HEADERS;
			message_fix_add_note(fix, "%u 8-bit header byte%s made X, as Cyrus makes them "
			                     "(8-bit headers not encoded)", made_x, made_x == 1 ? "" : "s");
		}
	}
}
