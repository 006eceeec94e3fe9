/* backout-source.c -- what the sources share (backout-source.h). */
#include "backout-source.h"

/* `messages` owns its entries: each source makes it with imap_digest_free as its
 * free function. */
void
backout_mailbox_clear(BackoutMailbox *mailbox)
{
	g_clear_pointer(&mailbox->messages, g_ptr_array_unref);
	g_clear_pointer(&mailbox->keywords, g_strfreev);
	g_clear_pointer(&mailbox->delivered, g_hash_table_unref);
	mailbox->uidvalidity = 0;
	mailbox->uidnext = 0;
}
