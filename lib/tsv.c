/* tsv.c -- see tsv.h. */
#include "tsv.h"

#include <gio/gio.h>

void
tsv_escape_append(GString *out, const char *data, gsize len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *valid_end;
		/* the longest valid UTF-8 run from p */
		g_utf8_validate_len(p, (gsize)(end - p), &valid_end);
		for (; p < valid_end; p++) {
			unsigned char c = (unsigned char)*p;
			switch (c) {
			case '\t': g_string_append(out, "\\t"); break;
			case '\n': g_string_append(out, "\\n"); break;
			case '\r': g_string_append(out, "\\r"); break;
			case '\\': g_string_append(out, "\\\\"); break;
			default:
				if (c < 0x20 || c == 0x7f)
					g_string_append_printf(out, "\\x%02x", c);
				else
					g_string_append_c(out, (char)c);
			}
		}
		if (p < end)   /* a byte that does not start valid UTF-8 */
			g_string_append_printf(out, "\\x%02x", (unsigned char)*p++);
	}
}

char *
tsv_escape(const char *text)
{
	GString *out = g_string_new(NULL);
	tsv_escape_append(out, text, strlen(text));
	return g_string_free(out, FALSE);
}

GBytes *
tsv_unescape(const char *field, gsize len, GError **error)
{
	g_autoptr(GByteArray) out = g_byte_array_sized_new((guint)len);

	for (gsize i = 0; i < len; i++) {
		guint8 c = (guint8)field[i];
		if (c != '\\') {
			g_byte_array_append(out, &c, 1);
			continue;
		}
		if (i + 1 >= len)
			goto bad;
		switch (field[++i]) {
		case 't': c = '\t'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case '\\': c = '\\'; break;
		case 'x':
			if (i + 2 >= len || !g_ascii_isxdigit(field[i + 1]) || !g_ascii_isxdigit(field[i + 2]))
				goto bad;
			c = (guint8)(g_ascii_xdigit_value(field[i + 1]) * 16 + g_ascii_xdigit_value(field[i + 2]));
			i += 2;
			break;
		default:
			goto bad;
		}
		g_byte_array_append(out, &c, 1);
		continue;
bad:
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            "bad escape at character %zu of \"%.*s\"", i + 1, (int)MIN(len, 60), field);
		return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

char *
tsv_unescape_string(const char *field, gsize len, GError **error)
{
	g_autoptr(GBytes) bytes = tsv_unescape(field, len, error);
	gsize n;
	const char *data;

	if (bytes == NULL)
		return NULL;
	data = g_bytes_get_data(bytes, &n);   /* NULL when empty */
	if (n > 0 && memchr(data, '\0', n) != NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a NUL byte in \"%.*s\"",
		            (int)MIN(len, 60), field);
		return NULL;
	}
	return n > 0 ? g_strndup(data, n) : g_strdup("");
}

void
json_escape_append(GString *out, const char *text)
{
	const char *p = text != NULL ? text : "", *end = p + strlen(p);

	g_string_append_c(out, '"');
	while (p < end) {
		const char *valid_end;
		g_utf8_validate_len(p, (gsize)(end - p), &valid_end);
		for (; p < valid_end; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '"' || c == '\\')
				g_string_append_printf(out, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_c(out, (char)c);
		}
		if (p < end)
			g_string_append_printf(out, "\\u%04x", (unsigned char)*p++);
	}
	g_string_append_c(out, '"');
}

gboolean
tsv_parse_number(const char *text, guint64 max, guint64 *out)
{
	guint64 n = 0;
	if (*text == '\0')
		return FALSE;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return FALSE;
		guint d = (guint)(*p - '0');
		if (d > max || n > (max - d) / 10)
			return FALSE;
		n = n * 10 + d;
	}
	*out = n;
	return TRUE;
}

char *
tsv_escape_cut(const char *data, gsize len, gsize max)
{
	GString *out = g_string_new(NULL);
	tsv_escape_append(out, data, MIN(len, max));
	if (len > max)
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

void
json_string_or_null(GString *out, const char *text)
{
	if (text == NULL)
		g_string_append(out, "null");
	else
		json_escape_append(out, text);
}
