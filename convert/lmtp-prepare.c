/* lmtp-prepare.c -- each message of a source made ready for LMTP (lmtp-deliver.c has
 * the order), and what becomes of it: stored, quarantined, or APPENDed as the owner. */
#include "lmtp-deliver-private.h"

#include <string.h>

#include <gio/gio.h>

#include "lmtp-trace.h"

void
lmtp_msg_free(Msg *g)
{
	if (g == NULL)
		return;
	mbox_message_free(g->m);
	if (g->bytes)
		g_byte_array_unref(g->bytes);
	g_byte_array_unref(g->header);
	g_free(g->message_id);
	g_free(g->trace);
	g_free(g);
}

/* `g` is sent and waits in the batch for its UID: what it held is read again if it
 * must be APPENDed after all (the batch stays small however large its messages). */
void
lmtp_batch_add(Ctx *c, Msg *g)
{
	g_clear_pointer(&g->bytes, g_byte_array_unref);
	g_byte_array_set_size(g->header, 0);
	g_ptr_array_add(c->batch, g);
}

void
lmtp_report(Ctx *c, const MboxMessage *m, gboolean stored, const char *text)
{
	if (c->t->problem != NULL)
		c->t->problem(c->t->data, m, stored, text);
}

/* ---- 1. prepare ---- */

static gboolean
collect(const char *data, gsize len, gpointer gp, GError **error)
{
	Msg *g = gp;
	(void)error;
	g->size += len;
	if (g->bytes != NULL && g->size <= HOLD_MAX)
		g_byte_array_append(g->bytes, (const guint8 *)data, (guint)len);
	else
		g_clear_pointer(&g->bytes, g_byte_array_unref);
	for (gsize i = 0; i < len && !g->header_done; i++) {
		if (g->header->len < HEADER_MAX)
			g_byte_array_append(g->header, (const guint8 *)data + i, 1);
		if (data[i] == '\n') {
			if (g->line_len == 0)
				g->header_done = g->separator = TRUE;
			g->line_len = 0;
		} else if (data[i] != '\r') {
			g->line_len++;
		}
	}
	if (memchr(data, '\0', len) != NULL)
		g->has_nul = TRUE;
	if (len > 0)
		g->last_lf = data[len - 1] == '\n';
	return TRUE;
}

/* The first Message-ID field's value without its blanks and line ends. */
static char *
message_id(const GByteArray *header)
{
	const char *p = (const char *)header->data, *end = p + header->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *eol = nl ? nl + 1 : end;
		if (eol - p > 11 && g_ascii_strncasecmp(p, "Message-ID:", 11) == 0) {
			GString *v = g_string_new(NULL);
			for (const char *q = p + 11;; ) {
				for (; q < eol; q++)
					if (!g_ascii_isspace(*q))
						g_string_append_c(v, *q);
				if (eol >= end || (*eol != ' ' && *eol != '\t'))
					break;
				q = eol;
				nl = memchr(q, '\n', (gsize)(end - q));
				eol = nl ? nl + 1 : end;
			}
			if (v->len == 0) {
				g_string_free(v, TRUE);
				return NULL;
			}
			return g_string_free(v, FALSE);
		}
		p = eol;
	}
	return NULL;
}

gboolean
lmtp_prepare(Ctx *c, Msg *g, gboolean say, GError **error)
{
	MessageFix *fix = NULL;
	const char *date_note = NULL;

	g->bytes = g_byte_array_new();
	g->header = g_byte_array_new();
	if (!message_fix_copy(c->reader, g->m, &c->fix, collect, g, &fix, error)) {
		message_fix_free(fix);
		return FALSE;
	}
	if (say)
		for (const char *const *n = message_fix_notes(fix); n != NULL && *n != NULL; n++)
			lmtp_report(c, g->m, TRUE, *n);
	message_fix_free(fix);
	g->date = message_fix_internaldate(g_date_time_to_unix(g->m->date), &date_note);
	if (say && date_note != NULL)
		lmtp_report(c, g->m, TRUE, date_note);
	g->message_id = message_id(g->header);
	g->route = g->separator && g->last_lf ? ROUTE_LMTP : ROUTE_APPEND;
	return TRUE;
}

void
lmtp_set_trace(Ctx *c, Msg *g)
{
	guint adds = 0;
	if (g->route == ROUTE_LMTP) {
		const char *h = (const char *)g->header->data;
		if (!lmtp_trace_has_field(h, g->header->len, "Message-ID"))
			adds |= LMTP_TRACE_ADDS_MESSAGE_ID;
		if (!lmtp_trace_has_field(h, g->header->len, "Date"))
			adds |= LMTP_TRACE_ADDS_DATE;
	}
	g_free(g->trace);
	g->trace = lmtp_trace_format(g->date, c->key, g->m->number, adds);
}


gboolean
lmtp_produce(Ctx *c, Msg *g, MboxWriteFunc write, gpointer data, GError **error)
{
	if (!write(g->trace, strlen(g->trace), data, error))
		return FALSE;
	if (g->bytes != NULL)
		return write((const char *)g->bytes->data, g->bytes->len, data, error);
	return message_fix_copy_exact(c->reader, g->m, &c->fix, g->size, write, data, error);
}

/* ---- the outcome of each message ---- */

void
lmtp_stored(Ctx *c, Msg *g, guint32 uid, gboolean now)
{
	g_array_index(c->uids, guint32, g->m->number - 1) = uid;
	c->d->stored++;
	c->d->written += now;
	c->d->bytes += (gint64)(g->size + strlen(g->trace));
	if (g->message_id != NULL)
		if (!g_hash_table_contains(c->ids, g->message_id))   /* added when sent */
			g_hash_table_add(c->ids, g_strdup(g->message_id));
	if (c->t->stored != NULL)
		c->t->stored(c->t->data, g->m, uid);
}

gboolean
lmtp_quarantine(Ctx *c, Msg *g, const char *why, GError **error)
{
	g_autoptr(GError) local = NULL;
	if (!quarantine_add(c->mu->quarantine, c->reader, g->m, NULL, &local)) {
		g_autofree char *text = g_strdup_printf("%s; and it could not be put in the quarantine: %s",
		                                        why, local->message);
		lmtp_report(c, g->m, FALSE, text);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree char *text = g_strdup_printf("%s: kept in %s", why, quarantine_path(c->mu->quarantine));
	lmtp_report(c, g->m, FALSE, text);
	g_array_append_val(c->part_q, g->m->number);
	return TRUE;
}

/* ---- APPEND ---- */

typedef struct {
	Ctx *c;
	Msg *g;
} Produce;

static gboolean
append_produce(gpointer data, ImapLiteralWrite write, gpointer write_data, GError **error)
{
	Produce *pr = data;
	return lmtp_produce(pr->c, pr->g, (MboxWriteFunc)write, write_data, error);
}

/* APPEND `g` as the owner: stored, or quarantined when the server refuses it. */
gboolean
lmtp_append(Ctx *c, Msg *g, const char *why, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc(g->date);
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 v = 0;
	Produce pr = { c, g };

	g->route = ROUTE_APPEND;
	lmtp_set_trace(c, g);
	g_autoptr(ImapAppend) a = imap_append_new(c->mu->session, c->personal, &c->mu->caps, SYNC_ABOVE);
	if (imap_append_add(a, NULL, date, g->size + strlen(g->trace), append_produce, &pr, &local) &&
	    imap_append_finish(a, &v, uids, &local) && uids->len == 1) {
		if (why != NULL)
			lmtp_report(c, g->m, TRUE, why);
		lmtp_stored(c, g, g_array_index(uids, guint32, 0), TRUE);
		return TRUE;
	}
	if (local == NULL)
		g_set_error(&local, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL, "APPEND gave no UID");
	if (local->domain != M2C_IMAP_ERROR || local->code == M2C_IMAP_ERROR_NETWORK ||
	    local->code == M2C_IMAP_ERROR_PROTOCOL || local->code == M2C_IMAP_ERROR_OVERQUOTA ||
	    local->code == M2C_IMAP_ERROR_TRYCREATE) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree char *text = g_strdup_printf("refused by the server (APPEND): %s", local->message);
	return lmtp_quarantine(c, g, text, error);
}
