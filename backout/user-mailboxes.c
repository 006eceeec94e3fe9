/* user-mailboxes.c -- see user-mailboxes.h. */
#include "user-mailboxes.h"

#include <string.h>

#include "manifest.h"

static void
user_mailbox_free(UserMailbox *mailbox)
{
	g_ptr_array_unref(mailbox->sources);
	g_free(mailbox->owned);
	g_free(mailbox);
}

GPtrArray *
user_mailboxes(GPtrArray *rows)
{
	GPtrArray *mailboxes = g_ptr_array_new_with_free_func((GDestroyNotify)user_mailbox_free);
	for (int pass = 0; pass < 2; pass++)
		for (guint i = 0; i < rows->len; i++) {
			ManifestRow *row = g_ptr_array_index(rows, i);
			if ((pass == 0) != (row->action == MANIFEST_INBOX) || row->mailbox == NULL)
				continue;
			UserMailbox *mb = NULL;
			for (guint k = 0; k < mailboxes->len && mb == NULL; k++)
				if (strcmp(((UserMailbox *)g_ptr_array_index(mailboxes, k))->name, row->mailbox) == 0)
					mb = g_ptr_array_index(mailboxes, k);
			if (mb == NULL) {
				mb = g_new0(UserMailbox, 1);
				mb->name = row->mailbox;
				mb->sources = g_ptr_array_new_with_free_func(g_free);
				g_ptr_array_add(mailboxes, mb);
			}
			g_ptr_array_add(mb->sources, row->source ? g_strndup(g_bytes_get_data(row->source, NULL),
			                                                     g_bytes_get_size(row->source)) : NULL);
		}
	return mailboxes;
}

gboolean
user_mailboxes_add_inbox(GPtrArray *mailboxes, const char *inbox, const char *source)
{
	UserMailbox *mb = NULL;
	for (guint k = 0; k < mailboxes->len && mb == NULL; k++)
		if (strcmp(((UserMailbox *)g_ptr_array_index(mailboxes, k))->name, inbox) == 0)
			mb = g_ptr_array_index(mailboxes, k);
	if (mb != NULL) {
		for (guint i = 0; i < mb->sources->len; i++)
			if (g_ptr_array_index(mb->sources, i) != NULL)
				return FALSE;   /* it has a file */
		g_ptr_array_insert(mb->sources, 0, g_strdup(source));
		return TRUE;
	}
	mb = g_new0(UserMailbox, 1);
	mb->name = mb->owned = g_strdup(inbox);
	mb->sources = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(mb->sources, g_strdup(source));
	g_ptr_array_insert(mailboxes, 0, mb);
	return TRUE;
}
