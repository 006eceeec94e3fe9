/* imap-deliver.c -- one source into one mailbox by IMAP APPEND (method-imap.c has the
 * records and the contract).
 *
 * Each message, in source order:
 *   1. made acceptable (prepare): message-fix.h's fixes; an INTERNALDATE at or
 *      before the epoch becomes 1970-01-01 00:00:01 UTC (Cyrus stores the time of
 *      delivery for 0 and answers BAD before 1970: measured), one after 2^32 - 1
 *      seconds 2106-02-07 06:28:15 UTC (Cyrus stores it wrapped); a keyword beyond
 *      Cyrus's 100 per mailbox is left off; each change reported for the message.
 *      Its literal is held when small (<= 1 MiB), else counted now and streamed from
 *      the reader again when sent;
 *   2. an empty message, or one over the server's APPENDLIMIT: to the quarantine;
 *   3. on a rerun, a message that an APPEND whose answer was lost had stored already
 *      (same digest, at the next UID after what the journal knows) is taken as is;
 *   4. else added to the APPEND command being sent (imap-append.h); a full command
 *      is ended, its answer read, and its UIDs journaled (a part) before the next.
 * Step 1 and the literal's producer are in imap-prepare.c.
 * A refused command stores nothing (Cyrus: atomic): its messages are sent again one
 * by one, in order; one still refused goes to the quarantine with the server's
 * words.  Over quota and a mailbox that is gone fail the mailbox (a rerun goes on
 * after the last part).
 */
#include "imap-deliver-private.h"

#include <string.h>

#include <gio/gio.h>

#include "fault.h"
#include "method-records.h"

static gboolean
is_session_error(const GError *e)
{
	return e->domain != M2C_IMAP_ERROR || e->code == M2C_IMAP_ERROR_NETWORK ||
	       e->code == M2C_IMAP_ERROR_PROTOCOL;
}

/* A refusal that no message of the command is to blame for: the mailbox fails. */
static gboolean
is_mailbox_refusal(const GError *e)
{
	return e->domain == M2C_IMAP_ERROR &&
	       (e->code == M2C_IMAP_ERROR_OVERQUOTA || e->code == M2C_IMAP_ERROR_TRYCREATE);
}

/* ---- 2. the quarantine ---- */

static gboolean
quarantine(Ctx *c, Prepared *p, const char *why, GError **error)
{
	g_autoptr(GError) local = NULL;
	if (!quarantine_add(c->mu->quarantine, c->reader, p->m, NULL, &local)) {
		g_autofree char *text = g_strdup_printf("%s; and it could not be put in the quarantine: %s",
		                                        why, local->message);
		imap_report(c, p->m, FALSE, text);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree char *text = g_strdup_printf("%s: kept in %s", why, quarantine_path(c->mu->quarantine));
	imap_report(c, p->m, FALSE, text);
	g_array_append_val(c->part_q, p->m->number);
	return TRUE;
}

/* ---- the journal ---- */

/* `p` is in the mailbox as `uid`: appended by this run (`now`), or found. */
static void
stored(Ctx *c, Prepared *p, guint32 uid, gboolean now)
{
	g_array_index(c->uids, guint32, p->m->number - 1) = uid;
	g_array_append_val(c->part_uids, uid);
	c->d->stored++;
	c->d->written += now;
	c->d->bytes += (gint64)p->size;
	if (c->t->stored != NULL)
		c->t->stored(c->t->data, p->m, uid);
}

/* Journal messages part_first..last: every message before them is journaled, and
 * the quarantine holds no message after `last` (one_message() ends the command being
 * sent before it quarantines a message), so its size now is the part's qz. */
static gboolean
record_part(Ctx *c, guint64 last, GError **error)
{
	gint64 qz;
	if (last < c->part_first)
		return TRUE;
	if (!quarantine_size(c->mu->quarantine, &qz, error))
		return FALSE;
	g_autofree char *detail = imap_part_format(c->part_first, last, c->part_uids, c->part_q, qz);
	if (!c->t->checkpoint(c->t->data, detail, error))
		return FALSE;
	c->qz_journaled = qz;
	c->part_first = last + 1;
	g_array_set_size(c->part_uids, 0);
	g_array_set_size(c->part_q, 0);
	return TRUE;
}

/* Send `p` alone, in a command of its own: TRUE and stored, or quarantined with the
 * server's refusal; FALSE for the mailbox's or the session's failure. */
static gboolean
append_alone(Ctx *c, Prepared *p, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(ImapAppend) one = imap_append_new(c->mu->session, c->personal, &c->mu->caps, SYNC_ABOVE);
	Produce pr = { c, p };
	guint32 v;

	if (p->bytes == NULL && p->size <= HOLD_MAX && !imap_prepare(c, p, FALSE, FALSE, error))
		return FALSE;
	if (imap_append_add(one, (const char *const *)p->flags->pdata, p->date, p->size, imap_produce,
	                    &pr, &local) &&
	    imap_append_finish(one, &v, uids, &local)) {
		stored(c, p, g_array_index(uids, guint32, 0), TRUE);
		return TRUE;
	}
	if (is_session_error(local) || is_mailbox_refusal(local)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree char *why = g_strdup_printf("refused by the server (%s)", local->message);
	return quarantine(c, p, why, error);
}

/* End the command being sent and read its answer: its messages stored, or, when it
 * was refused, sent again one by one, each journaled as soon as it is stored or
 * quarantined (a rerun finds an unjournaled message by its digest only while no
 * refused one lies between it and the journal's last part).  Then journal the part. */
static gboolean
flush(Ctx *c, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 v = 0;
	gboolean ok = TRUE;

	if (c->cmd != NULL) {
		ok = imap_append_finish(c->cmd, &v, uids, &local);
		g_clear_pointer(&c->cmd, imap_append_free);
	}
	if (ok && uids->len == c->batch->len) {
		for (guint i = 0; i < c->batch->len; i++)
			stored(c, g_ptr_array_index(c->batch, i), g_array_index(uids, guint32, i), TRUE);
		if (c->batch->len > 0)
			fault_point("appended");
	} else if (ok) {
		g_set_error(&local, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL, "APPEND to \"%s\": %u "
		            "UIDs for %u messages", c->personal, uids->len, c->batch->len);
		ok = FALSE;
	}
	if (!ok && (is_session_error(local) || is_mailbox_refusal(local))) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	for (guint i = 0; !ok && i < c->batch->len; i++) {
		Prepared *p = g_ptr_array_index(c->batch, i);
		if (!append_alone(c, p, error) || !record_part(c, p->m->number, error))
			return FALSE;
	}
	g_ptr_array_set_size(c->batch, 0);
	c->batch_bytes = 0;
	return record_part(c, c->seen, error);
}

/* 4: add `p` (owned from now on) to the command being sent. */
static gboolean
send(Ctx *c, Prepared *p, GError **error)
{
	MethodRun *run = c->mu->run;
	g_autoptr(GError) local = NULL;
	Produce pr = { c, p };

	if (c->cmd != NULL && (c->batch->len >= run->batch_messages || !c->mu->caps.multiappend ||
	                       c->batch_bytes + p->size > run->batch_bytes) && !flush(c, error)) {
		imap_prepared_free(p);
		return FALSE;
	}
	if (c->cmd == NULL)
		c->cmd = imap_append_new(c->mu->session, c->personal, &c->mu->caps, SYNC_ABOVE);
	g_ptr_array_add(c->batch, p);
	c->batch_bytes += p->size;
	gboolean added = imap_append_add(c->cmd, (const char *const *)p->flags->pdata, p->date,
	                                 p->size, imap_produce, &pr, &local);
	g_clear_pointer(&p->bytes, g_byte_array_unref);   /* sent: read again if refused */
	c->seen = p->m->number;
	if (added)
		return TRUE;
	if (is_session_error(local)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return flush(c, error);   /* refused before a literal: the answer says so again */
}

/* ---- 3. what the mailbox holds already ---- */

/* A message a part of the journal says is UID `uid`: the mailbox must agree.  What
 * was fixed in it was journaled with its part, and convert says it again. */
static gboolean
check_claimed(Ctx *c, Prepared *p, guint32 uid, GError **error)
{
	if (!imap_prepare(c, p, TRUE, FALSE, error) ||
	    !imap_resume_claimed(c->resume, p->m->number, uid, p->sha1, error))
		return FALSE;
	c->d->stored++;
	c->d->bytes += (gint64)p->size;
	if (c->t->stored != NULL)
		c->t->stored(c->t->data, p->m, uid);
	return TRUE;
}

/* Is `p` in the mailbox already (imap-resume.c)?  Then it is taken as stored. */
static gboolean
adopt(Ctx *c, Prepared *p)
{
	guint32 uid = c->adopting ? imap_resume_adopt(c->resume, p->sha1) : 0;
	if (uid == 0)
		return FALSE;
	stored(c, p, uid, FALSE);
	c->seen = p->m->number;
	return TRUE;
}

/* ---- the source ---- */
static gboolean
one_message(Ctx *c, const ImapRecords *r, MboxMessage *m, GError **error)
{
	Prepared *p = g_new0(Prepared, 1);
	guint64 limit = c->mu->caps.append_limit;
	gboolean ok;

	p->m = m;
	c->d->messages++;
	if (m->number > IMAP_MAX_MESSAGES) {
		imap_prepared_free(p);
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_NOT_MBOX, "more than %u messages in "
		            "one file: split it (formail -s, or git mailsplit) and give each part a row",
		            IMAP_MAX_MESSAGES);
		return FALSE;
	}
	if (m->number > c->uids->len)
		g_array_set_size(c->uids, (guint)m->number);
	if (m->number <= r->last) {   /* a part of an earlier run covers it */
		guint32 uid = g_array_index(r->uids, guint32, m->number - 1);
		c->seen = m->number;
		ok = uid == 0 || check_claimed(c, p, uid, error);
		imap_prepared_free(p);
		return ok;
	}
	if (!imap_prepare(c, p, c->adopting, TRUE, error)) {
		imap_prepared_free(p);
		return FALSE;
	}
	if (imap_prepared_is_empty(p) || (limit > 0 && p->size > limit)) {
		/* the quarantine in message order: the command being sent is ended first */
		if (c->cmd != NULL && !flush(c, error)) {
			imap_prepared_free(p);
			return FALSE;
		}
		g_autofree char *why = imap_prepared_is_empty(p) ?
			g_strdup("an empty message, which Cyrus refuses (\"Zero-length message literal\")") :
			g_strdup_printf("%" G_GUINT64_FORMAT " bytes, over the server's APPENDLIMIT of %"
			                G_GUINT64_FORMAT, p->size, limit);
		ok = quarantine(c, p, why, error);
		c->seen = m->number;
		imap_prepared_free(p);
		return ok;
	}
	if (adopt(c, p)) {
		imap_prepared_free(p);
		return TRUE;
	}
	c->adopting = FALSE;
	return send(c, p, error);
}

/* The quarantine as the journal last spoke of it: what a killed run wrote after its
 * last record goes (that run's rerun puts it there again).  Once per user, before its
 * first delivery: a source's own records would cut what a later source kept. */
static gboolean
check_quarantine(MethodUser *mu, const DeliveryTarget *t, GError **error)
{
	if (mu->quarantine_checked)
		return TRUE;
	gint64 last = records_last_qz(t->user_checkpoints);
	if (last >= 0 && !quarantine_truncate(mu->quarantine, last, error))
		return FALSE;
	mu->quarantine_checked = TRUE;
	return TRUE;
}

/* The fixes a delivery goes on with: those it began with (the digests of what it
 * stored depend on them), said when they are not this run's. */
static void
resume_fixes(Ctx *c, const ImapRecords *r)
{
	const MessageFixSettings *now = &c->mu->run->fix;
	c->fix.enabled = r->fixes;
	c->fix.header_charset = r->header_charset;
	if (r->fixes == now->enabled &&
	    g_strcmp0(r->header_charset, now->header_charset) == 0)
		return;
	if (c->t->note != NULL) {
		g_autofree char *text = g_strdup_printf("goes on with the fixes its delivery began "
		                "with (fix=%u, --header-charset %s), not this run's: the messages "
		                "stored so far were sent so", r->fixes,
		                r->header_charset ? r->header_charset : "detected");
		c->t->note(c->t->data, text);
	}
}

gboolean
imap_deliver_source(MethodUser *mu, const DeliveryTarget *t, MboxReader *reader,
                    Delivery *d, guint32 *uidvalidity_out, GError **error)
{
	Ctx c = { .mu = mu, .t = t, .reader = reader, .d = d, .part_first = 1, .qz_journaled = -1,
	          .fix = mu->run->fix };
	ImapRecords r;
	gboolean ok = FALSE;
	guint32 uidnext, exists = 0;
	g_autofree char *note = NULL;
	MboxMessage *m;

	if (!imap_records_parse(t->checkpoints, &r, error))
		goto out;
	c.personal = mu->personal(mu->personal_data, t->mailbox);
	c.uids = g_array_copy(r.uids);
	c.part_uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	c.part_q = g_array_new(FALSE, FALSE, sizeof(guint64));
	c.batch = g_ptr_array_new_with_free_func((GDestroyNotify)imap_prepared_free);
	if (c.personal == NULL) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO, "\"%s\" is not a mailbox of %s",
		            t->mailbox, mu->user);
		goto out;
	}
	if (!check_quarantine(mu, t, error) ||
	    !imap_session_select(mu->session, c.personal, TRUE, &exists, &c.uidvalidity, error))
		goto out;
	uidnext = imap_session_selected_uidnext(mu->session);
	c.keywords = imap_mailbox_keywords(&c);
	if (r.begun) {
		if (r.uidvalidity != c.uidvalidity) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "its UIDVALIDITY is %u, %u when "
			            "an earlier run began to append to it: the mailbox was made again "
			            "meanwhile; what the journal says is stored is not known to be there "
			            "(delete the mailbox and this source's lines from the journal, then "
			            "rerun)", c.uidvalidity, r.uidvalidity);
			goto out;
		}
		resume_fixes(&c, &r);
		c.qz_journaled = r.qz;
		c.part_first = r.last + 1;
	} else {
		gint64 qz;
		if (!quarantine_size(mu->quarantine, &qz, error))
			goto out;
		g_autofree char *begin = imap_begin_format(c.uidvalidity, uidnext, qz, &c.fix);
		if (!t->checkpoint(t->data, begin, error))
			goto out;
		c.qz_journaled = qz;
	}
	/* what the mailbox holds may be this source's already: never appended twice */
	if (r.begun || exists > 0) {
		c.resume = imap_resume_new(mu->session, &r, g_hash_table_lookup(mu->claimed, t->mailbox),
		                           error);
		if (c.resume == NULL)
			goto out;
		c.adopting = imap_resume_has_candidates(c.resume);
	}
	c.seen = c.part_first - 1;
	while ((m = mbox_reader_next(reader, error)) != NULL)
		if (!one_message(&c, &r, m, error))
			goto out;
	if (error != NULL && *error != NULL)
		goto out;
	ok = flush(&c, error);
	*uidvalidity_out = c.uidvalidity;
	note = imap_resume_note(c.resume, c.personal);
	if (note != NULL && t->note != NULL)
		t->note(t->data, note);
	if (ok) {
		/* found: in the mailbox before this delivery began (convert's baseline) */
		guint32 began = r.begun ? r.uidnext : uidnext;
		for (guint i = 0; i < c.uids->len; i++) {
			guint32 uid = g_array_index(c.uids, guint32, i);
			d->found += uid != 0 && uid < began;
		}
		imap_user_claim(mu, t->mailbox, c.uids);
		d->uids = g_steal_pointer(&c.uids);
	}
out:
	/* a failed delivery leaves in the quarantine only what its records say is there:
	 * the next source of the user appends after it, and a rerun does the rest again */
	if (!ok && c.qz_journaled >= 0)
		(void)quarantine_truncate(mu->quarantine, c.qz_journaled, NULL);
	g_clear_pointer(&c.cmd, imap_append_free);
	if (c.batch != NULL)
		g_ptr_array_unref(c.batch);
	g_clear_pointer(&c.uids, g_array_unref);
	g_clear_pointer(&c.part_uids, g_array_unref);
	g_clear_pointer(&c.part_q, g_array_unref);
	g_clear_pointer(&c.resume, imap_resume_free);
	g_free(c.personal);
	imap_records_clear(&r);
	return ok;
}
