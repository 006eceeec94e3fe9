/* TEMPORARY STUB */
#include "message-fix.h"
struct MessageFix { char *notes[1]; };
guint message_fix_applied(const MessageFix *fix) { (void)fix; return 0; }
const char *const *message_fix_notes(const MessageFix *fix) { return (const char *const *)fix->notes; }
void message_fix_free(MessageFix *fix) { g_free(fix); }
gboolean message_fix_copy(MboxReader *r, const MboxMessage *m, const MessageFixSettings *s,
                          MboxWriteFunc write, gpointer data, MessageFix **fix_out, GError **error)
{
	(void)s;
	if (fix_out) *fix_out = g_new0(MessageFix, 1);
	return mbox_reader_copy_message(r, m, MBOX_COPY_CRLF, write, data, error);
}
#include <string.h>
#include <iconv.h>
guint message_fix_kind_from_name(const char *name)
{
	static const struct { const char *name; guint kind; } kinds[] = {
		{ "8bit-headers", MESSAGE_FIX_8BIT_HEADERS }, { "nul", MESSAGE_FIX_NUL },
		{ "bare-cr", MESSAGE_FIX_BARE_CR }, { "bad-header", MESSAGE_FIX_BAD_HEADER },
		{ "all", MESSAGE_FIX_ALL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].kind;
	return 0;
}
gboolean message_fix_charset_known(const char *charset)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return FALSE;
	iconv_close(cd);
	return TRUE;
}
