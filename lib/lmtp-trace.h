/* lmtp-trace.h -- TEMPORARY: replaced by the verify/backout work's version. */
#ifndef M2C_LMTP_TRACE_H
#define M2C_LMTP_TRACE_H

#include <glib.h>

enum { LMTP_TRACE_ADDS_MESSAGE_ID = 1, LMTP_TRACE_ADDS_DATE = 2 };
char *lmtp_trace_format(gint64 unix_time, const char *key, guint64 number, guint adds);
gboolean lmtp_trace_has_field(const char *data, gsize len, const char *name);

#endif
