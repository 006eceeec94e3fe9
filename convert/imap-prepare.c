/* imap-prepare.c -- each message of a source made ready for APPEND (imap-deliver.c
 * has the order): message-fix.h's fixes, the date and keywords Cyrus can take, the
 * literal held or counted; and the literal's producer. */
#include "imap-deliver-private.h"

#include <string.h>

#include <gio/gio.h>

#include "fault.h"

void
imap_prepared_free(Prepared *p)
{
	if (p == NULL)
		return;
	mbox_message_free(p->m);
	if (p->bytes != NULL)
		g_byte_array_unref(p->bytes);
	if (p->date != NULL)
		g_date_time_unref(p->date);
	if (p->flags != NULL)
		g_ptr_array_unref(p->flags);
	if (p->sum != NULL)
		g_checksum_free(p->sum);
	g_free(p);
}

/* ---- 1. prepare ---- */

static gboolean
prepare_write(const char *data, gsize len, gpointer pp, GError **error)
{
	Prepared *p = pp;
	(void)error;
	p->size += len;
	if (p->bytes != NULL && p->size <= HOLD_MAX)
		g_byte_array_append(p->bytes, (const guint8 *)data, (guint)len);
	else
		g_clear_pointer(&p->bytes, g_byte_array_unref);
	if (p->sum != NULL)
		g_checksum_update(p->sum, (const guchar *)data, len);
	return TRUE;
}

void
imap_report(Ctx *c, const MboxMessage *m, gboolean stored, const char *text)
{
	if (c->t->problem != NULL)
		c->t->problem(c->t->data, m, stored, text);
}

/* The flags to send: \Recent never; a keyword the mailbox cannot take left off. */
static GPtrArray *
flags_to_send(Ctx *c, const MboxMessage *m, gboolean say)
{
	GPtrArray *flags = g_ptr_array_new();
	for (char **f = m->flags; f != NULL && *f != NULL; f++) {
		if (g_ascii_strcasecmp(*f, "\\Recent") == 0)
			continue;
		if (**f != '\\' && !g_hash_table_contains(c->keywords, *f)) {
			if (g_hash_table_size(c->keywords) >= MAX_KEYWORDS) {
				if (say) {
					g_autofree char *text = g_strdup_printf("keyword %s not stored: the mailbox "
					                                        "holds Cyrus's limit of %d keywords",
					                                        *f, MAX_KEYWORDS);
					imap_report(c, m, TRUE, text);
				}
				continue;
			}
			g_hash_table_add(c->keywords, g_strdup(*f));
		}
		g_ptr_array_add(flags, *f);
	}
	g_ptr_array_add(flags, NULL);
	return flags;
}

/* Make `p` (whose message is set) ready to send; `say`: report what was changed (the
 * first time only).  FALSE with the reader's error. */
gboolean
imap_prepare(Ctx *c, Prepared *p, gboolean want_digest, gboolean say, GError **error)
{
	const MboxMessage *m = p->m;
	MessageFix *fix = NULL;

	p->size = 0;
	g_clear_pointer(&p->bytes, g_byte_array_unref);
	p->bytes = g_byte_array_new();
	g_clear_pointer(&p->flags, g_ptr_array_unref);
	p->flags = flags_to_send(c, m, say);
	g_clear_pointer(&p->date, g_date_time_unref);
	const char *date_note = NULL;
	gint64 date = message_fix_internaldate(g_date_time_to_unix(m->date), &date_note);
	p->date = date_note ? g_date_time_new_from_unix_utc(date) : g_date_time_ref(m->date);
	if (say && date_note != NULL)
		imap_report(c, m, TRUE, date_note);
	if (want_digest)
		p->sum = g_checksum_new(G_CHECKSUM_SHA1);
	if (!message_fix_copy(c->reader, m, &c->fix, prepare_write, p, &fix, error)) {
		message_fix_free(fix);
		return FALSE;
	}
	if (say)
		for (const char *const *n = message_fix_notes(fix); n != NULL && *n != NULL; n++)
			imap_report(c, m, TRUE, *n);
	message_fix_free(fix);
	if (p->sum != NULL) {
		gsize len = sizeof p->sha1;
		g_checksum_get_digest(p->sum, p->sha1, &len);
		g_clear_pointer(&p->sum, g_checksum_free);
	}
	return TRUE;
}

/* ---- sending ---- */

/* ImapLiteralProducer: the literal, held or read again; half of it, then the fault
 * point "literal" (a kill in the middle of a literal), then the rest. */
gboolean
imap_produce(gpointer data, ImapLiteralWrite write, gpointer write_data, GError **error)
{
	Produce *pr = data;
	Prepared *p = pr->p;
	if (p->bytes != NULL) {
		gsize half = p->bytes->len / 2;
		if (!write((const char *)p->bytes->data, half, write_data, error))
			return FALSE;
		fault_point("literal");
		return write((const char *)p->bytes->data + half, p->bytes->len - half, write_data, error);
	}
	return message_fix_copy_exact(pr->c->reader, p->m, &pr->c->fix, p->size, (MboxWriteFunc)write,
	                              write_data, error);
}

GHashTable *
imap_mailbox_keywords(Ctx *c)
{
	GHashTable *set = g_hash_table_lookup(c->mu->keywords, c->t->mailbox);
	if (set == NULL) {
		set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(c->mu->keywords, g_strdup(c->t->mailbox), set);
	}
	g_auto(GStrv) now = imap_session_selected_keywords(c->mu->session);
	for (guint i = 0; now != NULL && now[i] != NULL; i++)
		if (!g_hash_table_contains(set, now[i]))
			g_hash_table_add(set, g_strdup(now[i]));
	return set;
}

/* No bytes, or only empty lines (the reader gives the last message of a file, "From
 * ...\n\n", as one empty line): nothing Cyrus would store. */
gboolean
imap_prepared_is_empty(const Prepared *p)
{
	if (p->size == 0)
		return TRUE;
	if (p->bytes == NULL || p->bytes->len != p->size)
		return FALSE;   /* over 1 MiB: not empty */
	for (guint i = 0; i < p->bytes->len; i++)
		if (p->bytes->data[i] != '\r' && p->bytes->data[i] != '\n')
			return FALSE;
	return TRUE;
}
