/* mutf7.c -- see mutf7.h. */
#include "mutf7.h"

#include <string.h>

char *
mutf7_encode(const char *utf8, GError **error)
{
	if (!g_utf8_validate(utf8, -1, NULL)) {
		g_set_error(error, G_CONVERT_ERROR, G_CONVERT_ERROR_ILLEGAL_SEQUENCE,
		            "not valid UTF-8: cannot encode as modified UTF-7");
		return NULL;
	}
	return g_convert(utf8, -1, "UTF-7-IMAP", "UTF-8", NULL, NULL, error);
}

char *
mutf7_decode(const char *mutf7, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *utf8 = NULL;
	g_autofree char *again = NULL;

	/* printable US-ASCII only (RFC 3501: 8-bit and controls never appear) */
	for (const char *p = mutf7; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			g_set_error(error, G_CONVERT_ERROR, G_CONVERT_ERROR_ILLEGAL_SEQUENCE,
			            "\"%s\" is not modified UTF-7: byte 0x%02x", mutf7, (unsigned char)*p);
			return NULL;
		}
	utf8 = g_convert(mutf7, -1, "UTF-8", "UTF-7-IMAP", NULL, NULL, &local);
	if (utf8 != NULL)
		again = g_convert(utf8, -1, "UTF-7-IMAP", "UTF-8", NULL, NULL, NULL);
	if (utf8 == NULL || again == NULL || strcmp(again, mutf7) != 0) {
		g_set_error(error, G_CONVERT_ERROR, G_CONVERT_ERROR_ILLEGAL_SEQUENCE,
		            "\"%s\" is not canonical modified UTF-7", mutf7);
		return NULL;
	}
	return g_steal_pointer(&utf8);
}

gboolean
mutf7_is_canonical(const char *mutf7)
{
	g_autofree char *utf8 = mutf7_decode(mutf7, NULL);
	return utf8 != NULL;
}
