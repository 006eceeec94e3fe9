/* mutf7.h -- IMAP modified UTF-7 (RFC 3501 section 5.1.3), through iconv.
 *
 * glibc's "UTF-7-IMAP" converter encodes canonically, but its decoder also takes
 * non-canonical input: an unterminated "&AOQ", or "&AGE-" for a plain "a" (DESIGN.md;
 * measured).  Cyrus refuses both in CREATE.  So decoding here is strict: the decoded
 * text must encode back to exactly the input.
 */
#ifndef M2C_MUTF7_H
#define M2C_MUTF7_H

#include <glib.h>

/* Encode the valid UTF-8 `utf8` ("Grüße" -> "Gr&APwA3w-e", "a&b" -> "a&-b").
 * Returns a new string, or NULL with a G_CONVERT_ERROR when `utf8` is not valid UTF-8. */
char *mutf7_encode(const char *utf8, GError **error);

/* Decode canonical modified UTF-7.  Returns new UTF-8, or NULL with a G_CONVERT_ERROR
 * (G_CONVERT_ERROR_ILLEGAL_SEQUENCE) when `mutf7` is not canonical modified UTF-7. */
char *mutf7_decode(const char *mutf7, GError **error);

/* TRUE when `mutf7` is canonical modified UTF-7 (what Cyrus accepts). */
gboolean mutf7_is_canonical(const char *mutf7);

#endif
