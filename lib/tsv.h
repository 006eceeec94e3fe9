/* tsv.h -- the escaping of the plain files stages write (scan output, the manifest,
 * the JSON of scan --format json and convert --report).
 *
 * A field keeps valid UTF-8 as it is, except:  TAB -> \t, LF -> \n, CR -> \r,
 * backslash -> \\, and every other control character (0x00-0x1f, 0x7f) and every
 * byte that is not part of valid UTF-8 -> \xHH (two lower-case hex digits).
 * So any byte string survives tsv_escape() then tsv_unescape() unchanged, and an
 * escaped field never holds a TAB or a newline.
 */
#ifndef M2C_TSV_H
#define M2C_TSV_H

#include <glib.h>

/* Append the escaped form of `len` bytes of `data` to `out`. */
void tsv_escape_append(GString *out, const char *data, gsize len);

/* `len` bytes of `data` for an error message: escaped, cut after `max` bytes with
 * "..." added; new. */
char *tsv_escape_cut(const char *data, gsize len, gsize max);

/* The escaped form of the NUL-terminated `text`, new. */
char *tsv_escape(const char *text);

/* Undo tsv_escape on `len` bytes; returns a new GBytes, or NULL with `*error` set
 * (G_IO_ERROR_INVALID_DATA) on a bad escape, naming its position. */
GBytes *tsv_unescape(const char *field, gsize len, GError **error);

/* Undo tsv_escape on `len` bytes into a NUL-terminated string (new; "" for an empty
 * field), or NULL with G_IO_ERROR_INVALID_DATA on a bad escape or an escaped NUL. */
char *tsv_unescape_string(const char *field, gsize len, GError **error);

/* The decimal number in the NUL-terminated `text`: digits only (no sign, no blank,
 * not empty), at most `max`.  TRUE and `*out`, or FALSE.  Not g_ascii_string_to_unsigned:
 * in GLib 2.74 its first calls from two threads at once fail now and then on "0"
 * (measured: 5 runs in 200), which made a sound journal look damaged. */
gboolean tsv_parse_number(const char *text, guint64 max, guint64 *out);

/* Append `text` as a JSON string (with its quotes) to `out`.  Bytes that are not
 * UTF-8 (file names, senders) become the code points U+0080..U+00FF of the same
 * value, since JSON cannot carry raw bytes.  Not lossless: the byte 0xE9 and a UTF-8
 * "é" come out alike (the manifest's TSV is the lossless record).  NULL is written as "". */
void json_escape_append(GString *out, const char *text);

/* The same, but NULL is written as JSON's null. */
void json_string_or_null(GString *out, const char *text);

#endif
