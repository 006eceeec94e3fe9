/* TEMPORARY */
#include "lmtp-trace.h"

#include <string.h>

char *
lmtp_trace_format(gint64 unix_time, const char *key, guint64 number, guint adds)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(unix_time);
	g_autofree char *date = g_date_time_format(d, "%a, %d %b %Y %H:%M:%S +0000");
	return g_strdup_printf("X-DeliveredInternalDate: %s (mbox2cyrus %s.%" G_GUINT64_FORMAT "%s%s)\r\n",
	                       date, key, number, adds & LMTP_TRACE_ADDS_MESSAGE_ID ? " +message-id" : "",
	                       adds & LMTP_TRACE_ADDS_DATE ? " +date" : "");
}

gboolean
lmtp_trace_has_field(const char *data, gsize len, const char *name)
{
	gsize n = strlen(name);
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		gsize l = nl ? (gsize)(nl - p) : (gsize)(end - p);
		if (l == 0 || (l == 1 && p[0] == '\r'))
			return FALSE;
		if (l > n && g_ascii_strncasecmp(p, name, n) == 0 && p[n] == ':')
			return TRUE;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return FALSE;
}
