/* imap-resume.c -- what a mailbox holds already, for a delivery that must not append
 * a message twice (method-imap-private.h: ImapResume).
 *
 * Asked when the delivery has checkpoints of an earlier run, or when the mailbox is
 * not empty: one UID FETCH 1:* (DIGEST.SHA1) as the owner.  Then
 *  - every UID a part of the journal claims must be there, holding the digest of the
 *    message the part says it is (imap_resume_claimed);
 *  - the other messages of the mailbox -- but those that other sources of the user
 *    stored there -- are candidates: a message of the source whose digest one of them
 *    has is taken as stored, not appended (imap_resume_adopt).  They are an APPEND
 *    whose answer a kill lost, or a run whose journal is not this one (another
 *    --state, a state directory deleted, upload naming the server otherwise).  Each
 *    candidate is taken once (a source may hold the same message twice), in UID
 *    order; a message that is the same bytes as mail that came another way is taken
 *    too (and said: it is there once, as it would be).
 */
#include "method-imap-private.h"

#include <string.h>

#include <gio/gio.h>

struct ImapResume {
	GPtrArray *digests;      /* ImapDigest *, the mailbox's, by UID */
	GHashTable *by_uid;      /* uid -> ImapDigest * */
	GHashTable *candidates;  /* GBytes sha1 -> GQueue of ImapDigest *, UID order */
	guint adopted;
	guint32 first_adopted, last_adopted;
};

void
imap_resume_free(ImapResume *rs)
{
	if (rs == NULL)
		return;
	g_clear_pointer(&rs->candidates, g_hash_table_unref);
	g_clear_pointer(&rs->by_uid, g_hash_table_unref);
	g_clear_pointer(&rs->digests, g_ptr_array_unref);
	g_free(rs);
}

ImapResume *
imap_resume_new(ImapSession *session, const ImapRecords *r, GHashTable *others, GError **error)
{
	ImapResume *rs = g_new0(ImapResume, 1);
	g_autoptr(GHashTable) claimed = g_hash_table_new(g_direct_hash, g_direct_equal);

	if (!imap_session_fetch_digests(session, &rs->digests, error)) {
		imap_resume_free(rs);
		return NULL;
	}
	rs->by_uid = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < rs->digests->len; i++) {
		ImapDigest *dg = g_ptr_array_index(rs->digests, i);
		g_hash_table_insert(rs->by_uid, GUINT_TO_POINTER(dg->uid), dg);
	}
	for (guint i = 0; r->uids != NULL && i < r->uids->len; i++) {
		guint32 uid = g_array_index(r->uids, guint32, i);
		if (uid == 0)
			continue;
		if (!g_hash_table_contains(rs->by_uid, GUINT_TO_POINTER(uid))) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the journal says message %u is "
			            "UID %u, which the mailbox does not hold (expunged since?): not appended "
			            "again without a word; see the journal", i + 1, uid);
			imap_resume_free(rs);
			return NULL;
		}
		g_hash_table_add(claimed, GUINT_TO_POINTER(uid));
	}
	rs->candidates = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref,
	                                       (GDestroyNotify)g_queue_free);
	for (guint i = 0; i < rs->digests->len; i++) {
		ImapDigest *dg = g_ptr_array_index(rs->digests, i);
		gpointer key = GUINT_TO_POINTER(dg->uid);
		if (g_hash_table_contains(claimed, key) || (others != NULL && g_hash_table_contains(others, key)))
			continue;
		GBytes *sha = g_bytes_new(dg->sha1, 20);
		GQueue *q = g_hash_table_lookup(rs->candidates, sha);
		if (q == NULL) {
			q = g_queue_new();
			g_hash_table_insert(rs->candidates, g_bytes_ref(sha), q);
		}
		g_queue_push_tail(q, dg);
		g_bytes_unref(sha);
	}
	return rs;
}

gboolean
imap_resume_has_candidates(const ImapResume *rs)
{
	return rs != NULL && g_hash_table_size(rs->candidates) > 0;
}

gboolean
imap_resume_claimed(ImapResume *rs, guint64 number, guint32 uid, const guint8 sha1[20],
                    GError **error)
{
	const ImapDigest *dg = g_hash_table_lookup(rs->by_uid, GUINT_TO_POINTER(uid));
	if (dg != NULL && memcmp(dg->sha1, sha1, 20) == 0)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "message %" G_GUINT64_FORMAT " of the "
	            "source is not the message UID %u holds, which the journal says it is: not "
	            "appended again without a word; see the journal", number, uid);
	return FALSE;
}

guint32
imap_resume_adopt(ImapResume *rs, const guint8 sha1[20])
{
	if (rs == NULL)
		return 0;
	g_autoptr(GBytes) key = g_bytes_new_static(sha1, 20);
	GQueue *q = g_hash_table_lookup(rs->candidates, key);
	if (q == NULL || g_queue_is_empty(q))
		return 0;
	const ImapDigest *dg = g_queue_pop_head(q);
	if (g_queue_is_empty(q))
		g_hash_table_remove(rs->candidates, key);
	if (rs->adopted++ == 0)
		rs->first_adopted = dg->uid;
	rs->last_adopted = MAX(rs->last_adopted, dg->uid);
	return dg->uid;
}

char *
imap_resume_note(const ImapResume *rs, const char *mailbox)
{
	if (rs == NULL || rs->adopted == 0)
		return NULL;
	return g_strdup_printf("found %u message%s of the source in \"%s\" already (UIDs %u to %u; "
	                       "by digest): taken as they are, not appended again -- an APPEND "
	                       "whose answer a kill lost, or an earlier run with another journal",
	                       rs->adopted, rs->adopted == 1 ? "" : "s", mailbox,
	                       rs->first_adopted, rs->last_adopted);
}
