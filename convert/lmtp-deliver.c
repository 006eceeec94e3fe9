/* lmtp-deliver.c -- one source into one mailbox through LMTP (method-lmtp.c has the
 * records and the contract; deliver-program.c runs Cyrus's deliver instead).
 *
 * Each message, in source order:
 *   1. made acceptable as for --method imap (message-fix.h: NUL, a header line
 *      without a colon or with a bare CR, raw 8-bit header bytes; the date Cyrus can
 *      keep); the delivery header (lmtp-trace.h) goes first: its date is what Cyrus
 *      takes for the INTERNALDATE, its comment names this delivery's key and the
 *      message's number, so it can be found in the mailbox again;
 *   2. routed: LMTP, except what LMTP would change or lose, which is APPENDed as the
 *      owner with the same bytes: a message whose header has no empty line after it
 *      or whose last line has no line end (lmtpd refuses the first and would add
 *      CRLF to the second), and -- when the server suppresses duplicates and
 *      --duplicate-ids append is given -- one whose Message-ID the mailbox got
 *      already (lmtpd would answer 250 and drop it);
 *   3. sent: LMTP transactions pipelined (lmtp-client.h), one round trip each.  A
 *      message refused for good (5xx) goes to the quarantine with the server's
 *      words; 452 (over quota) and other 4xx fail the mailbox (temporary).
 * Every --batch-messages messages (and at the end) the mailbox is asked which of
 * them it holds, by their delivery headers (one UID FETCH of that field from the
 * first new UID on), and the part is journaled.  A message that got its 250 but is
 * not there was dropped by the server (duplicate suppression): it is APPENDed then,
 * and the report says so.
 *
 * Resume: the mailbox is read for delivery headers with this delivery's key (a hash
 * of the state directory's secret, the mailbox, the source and the UIDVALIDITY: the
 * same in every run): a message found is not sent again (its reply was lost to a
 * kill, or the journal forgot what a failed try stored); a journaled message not
 * found is APPENDed. */
#include "lmtp-deliver-private.h"

#include <string.h>

#include <gio/gio.h>

#include "fault.h"
#include "method-records.h"

/* ---- the parts ---- */

/* Everything sent is answered; find the batch's messages in the mailbox; APPEND the
 * ones the server dropped; journal messages part_first..seen. */
static gboolean
checkpoint(Ctx *c, GError **error)
{
	if (c->seen < c->part_first)
		return TRUE;
	if (!lmtp_drain(c, error))
		return FALSE;
	if (c->batch->len > 0 && !lmtp_scan(c, error))
		return FALSE;
	g_autoptr(GArray) missing = g_array_new(FALSE, FALSE, sizeof(guint64));
	for (guint i = 0; i < c->batch->len; i++) {
		Msg *g = g_ptr_array_index(c->batch, i);
		if (!g_hash_table_contains(c->where, GSIZE_TO_POINTER((gsize)g->m->number)))
			g_array_append_val(missing, g->m->number);
	}
	guint moved = 0;
	if (missing->len > 0 && (!lmtp_rescue_from_inbox(c, missing, &moved, error) ||
	                         (moved > 0 && !lmtp_scan(c, error))))
		return FALSE;
	for (guint i = 0; i < c->batch->len; i++) {
		Msg *g = g_ptr_array_index(c->batch, i);
		gpointer uid;
		if (g_hash_table_lookup_extended(c->where, GSIZE_TO_POINTER((gsize)g->m->number), NULL, &uid)) {
			if (moved > 0 && g_array_index(missing, guint64, 0) <= g->m->number) {
				gboolean was_missing = FALSE;
				for (guint k = 0; k < missing->len; k++)
					was_missing |= g_array_index(missing, guint64, k) == g->m->number;
				if (was_missing)
					lmtp_report(c, g->m, TRUE, "lmtpd filed it into the INBOX (it could not "
					            "file it into the folder): moved into the folder");
			}
			lmtp_stored(c, g, GPOINTER_TO_UINT(uid), TRUE);
			continue;
		}
		c->dropped++;
		if (!lmtp_append(c, g, "LMTP accepted it but the server did not store it (duplicate "
		            "suppression: its Message-ID was delivered to this mailbox before): "
		            "APPENDed instead, after the messages sent with it", error))
			return FALSE;
	}
	g_ptr_array_set_size(c->batch, 0);
	gint64 qz = 0;
	if (!quarantine_size(c->mu->quarantine, &qz, error))
		return FALSE;
	g_autofree char *part = lmtp_part_format(c->part_first, c->seen, c->part_q, qz);
	if (!c->t->checkpoint(c->t->data, part, error))
		return FALSE;
	g_array_set_size(c->part_q, 0);
	c->part_first = c->seen + 1;
	return TRUE;
}

/* ---- one message ---- */

static gboolean
one_message(Ctx *c, MboxMessage *m, const LmtpRecords *r, GError **error)
{
	Msg *g = g_new0(Msg, 1);
	gpointer uid;
	g->m = m;
	c->d->messages++;
	c->seen = m->number;
	if (m->number > c->uids->len)
		g_array_set_size(c->uids, (guint)m->number);
	if (m->number <= r->last && g_hash_table_contains(r->quarantined, GSIZE_TO_POINTER((gsize)m->number))) {
		lmtp_msg_free(g);
		return TRUE;
	}
	if (!lmtp_prepare(c, g, m->number > r->last, error)) {
		lmtp_msg_free(g);
		return FALSE;
	}
	lmtp_set_trace(c, g);
	if (g_hash_table_lookup_extended(c->where, GSIZE_TO_POINTER((gsize)m->number), NULL, &uid)) {
		lmtp_stored(c, g, GPOINTER_TO_UINT(uid), FALSE);
		if (m->number > r->last)
			c->found_again++;
		lmtp_msg_free(g);
		return TRUE;
	}
	const char *why = NULL;
	if (m->number <= r->last)
		why = "an earlier run delivered it, but it is not in the mailbox (the server dropped "
		      "it): APPENDed";
	else if (g->route == ROUTE_APPEND)
		why = g->separator ? "its last line has no line end, which LMTP would add: APPENDed "
		                     "as it is" : "no empty line ends its header, which LMTP refuses: "
		                     "APPENDed as it is";
	else if (c->mu->run->dupsuppression && g->message_id != NULL &&
	         g_hash_table_contains(c->ids, g->message_id))
		why = "its Message-ID was delivered to this mailbox before, and the server's duplicate "
		      "suppression would drop it: APPENDed";
	if (why != NULL) {
		gboolean ok = lmtp_drain(c, error) && lmtp_append(c, g, why, error);
		lmtp_msg_free(g);
		return ok;
	}
	if (g->message_id != NULL)   /* the next message with this ID is routed above */
		g_hash_table_add(c->ids, g_strdup(g->message_id));
	return c->mu->run->deliver ? lmtp_send_program(c, g, error) : lmtp_send(c, g, error);
}

/* --duplicate-ids refuse: before anything of the source is sent, the Message-IDs it
 * repeats (with what the mailbox got before).  NULL when none; else the first, new. */
static char *
repeated_id(Ctx *c, guint64 *number_out, gint64 *offset_out, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *found = NULL;
	MboxMessage *m;
	while (found == NULL && (m = mbox_reader_next(c->reader, error)) != NULL) {
		Msg *g = g_new0(Msg, 1);
		g->m = m;
		if (!lmtp_prepare(c, g, FALSE, error)) {
			lmtp_msg_free(g);
			return NULL;
		}
		if (g->message_id != NULL && g->route == ROUTE_LMTP) {
			if (g_hash_table_contains(seen, g->message_id) || g_hash_table_contains(c->ids, g->message_id)) {
				found = g_strdup(g->message_id);
				*number_out = m->number;
				*offset_out = m->from_offset;
			} else {
				g_hash_table_add(seen, g_strdup(g->message_id));
			}
		}
		lmtp_msg_free(g);
	}
	mbox_reader_rewind(c->reader);
	return found;
}

/* ---- the source ---- */

gboolean
lmtp_deliver_source(MethodUser *mu, const DeliveryTarget *t, MboxReader *reader,
                    Delivery *d, guint32 *uidvalidity_out, GError **error)
{
	Ctx c = { .mu = mu, .t = t, .reader = reader, .d = d, .fix = mu->run->fix };
	LmtpRecords r;
	gboolean ok = FALSE;
	g_autofree char *why = NULL;

	if (!lmtp_records_parse(t->checkpoints, &r, error)) {
		lmtp_records_clear(&r);
		return FALSE;
	}
	if (!mu->quarantine_checked) {
		gint64 last = records_last_qz(t->user_checkpoints);
		if (last >= 0 && !quarantine_truncate(mu->quarantine, last, error))
			goto out;
		mu->quarantine_checked = TRUE;
	}
	c.personal = mu->personal(mu->personal_data, t->mailbox);
	c.address = lmtp_address(mu->run, mu->user, t->mailbox, &why);
	c.folder = lmtp_folder(mu->run, mu->user, t->mailbox);
	if (c.address == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "LMTP cannot address it: %s", why);
		goto out;
	}
	c.ids = g_hash_table_lookup(mu->ids, t->mailbox);
	if (c.ids == NULL) {
		c.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(mu->ids, g_strdup(t->mailbox), c.ids);
	}
	c.where = g_hash_table_new(g_direct_hash, g_direct_equal);
	c.uids = g_array_new(FALSE, TRUE, sizeof(guint32));
	c.batch = g_ptr_array_new_with_free_func((GDestroyNotify)lmtp_msg_free);
	c.part_q = g_array_new(FALSE, FALSE, sizeof(guint64));
	c.part_first = r.last + 1;
	if (mu->run->dupsuppression && !mu->run->duplicates_append && r.last == 0) {
		guint64 number = 0;
		gint64 offset = 0;
		g_autofree char *id = repeated_id(&c, &number, &offset, error);
		if (id != NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "refused before anything of "
			            "it was delivered: message %" G_GUINT64_FORMAT " (offset %" G_GINT64_FORMAT
			            ") repeats the Message-ID %.200s, and the server suppresses duplicates "
			            "(duplicatesuppression in imapd.conf): LMTP would drop it without a word.  "
			            "Rerun with --duplicate-ids append (such messages are APPENDed), or use "
			            "--method imap", number, offset, id);
			goto out;
		}
		if (error != NULL && *error != NULL)
			goto out;
	}
	if (!lmtp_mailbox_begin(&c, &r, error))
		goto out;
	fault_pause("lmtp-begun");
	MboxMessage *m;
	while ((m = mbox_reader_next(reader, error)) != NULL) {
		if (!one_message(&c, m, &r, error))
			goto out;
		if (c.seen - c.part_first + 1 >= mu->run->checkpoint_messages && !checkpoint(&c, error))
			goto out;
	}
	if (error != NULL && *error != NULL)
		goto out;
	if (!checkpoint(&c, error))
		goto out;
	if (c.dropped > 0 && t->note != NULL) {
		g_autofree char *text = g_strdup_printf("%s: %" G_GUINT64_FORMAT " message(s) accepted by "
		                                        "LMTP were not stored (duplicate suppression): "
		                                        "APPENDed", t->mailbox, c.dropped);
		t->note(t->data, text);
	}
	if (c.found_again > 0 && t->note != NULL) {
		g_autofree char *text = g_strdup_printf("%s: found %" G_GUINT64_FORMAT " message(s) an "
		                                        "interrupted run had delivered: not delivered again",
		                                        t->mailbox, c.found_again);
		t->note(t->data, text);
	}
	*uidvalidity_out = c.uidvalidity;
	d->uids = g_steal_pointer(&c.uids);
	ok = TRUE;
out:
	if (c.pending != NULL && mu->lmtp != NULL)
		g_clear_pointer(&mu->lmtp, lmtp_free);   /* a reply not read: the session is spent */
	lmtp_msg_free(c.pending);
	g_free(c.personal);
	g_free(c.address);
	g_free(c.folder);
	if (c.where)
		g_hash_table_unref(c.where);
	if (c.uids)
		g_array_unref(c.uids);
	if (c.batch)
		g_ptr_array_unref(c.batch);
	if (c.part_q)
		g_array_unref(c.part_q);
	lmtp_records_clear(&r);
	return ok;
}
