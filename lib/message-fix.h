/* TEMPORARY STUB (replaced by the real filter) */
#ifndef M2C_MESSAGE_FIX_H
#define M2C_MESSAGE_FIX_H
#include <glib.h>
#include "mbox-reader.h"
typedef enum {
	MESSAGE_FIX_8BIT_HEADERS = 1 << 0, MESSAGE_FIX_NUL = 1 << 1, MESSAGE_FIX_BARE_CR = 1 << 2,
	MESSAGE_FIX_BAD_HEADER = 1 << 3, MESSAGE_FIX_ALL = 0xf,
} MessageFixKind;
typedef struct { guint enabled; const char *header_charset; gsize max_header_bytes; } MessageFixSettings;
typedef struct MessageFix MessageFix;
guint message_fix_applied(const MessageFix *fix);
const char *const *message_fix_notes(const MessageFix *fix);
void message_fix_free(MessageFix *fix);
gboolean message_fix_copy(MboxReader *r, const MboxMessage *m, const MessageFixSettings *s,
                          MboxWriteFunc write, gpointer data, MessageFix **fix_out, GError **error);

#define MESSAGE_FIX_NAMES "8bit-headers, nul, bare-cr, bad-header, all"
guint message_fix_kind_from_name(const char *name);
gboolean message_fix_charset_known(const char *charset);
#endif
