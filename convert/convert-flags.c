/* convert-flags.c -- steps 5 and 6 of convert --method spool (convert-user.c has the
 * order): flags and keywords with UID STORE as the user, grouped by flag set, then
 * the subscriptions.  Both are safe to redo: +FLAGS and SUBSCRIBE change nothing the
 * second time. */
#include "convert-user-private.h"

#include <string.h>

#include "fault.h"

GHashTable *
flag_groups_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
}

void
flag_groups_add(GHashTable *groups, const MboxMessage *m, guint32 uid)
{
	if (m->flags[0] == NULL)
		return;
	g_autofree char *key = g_strjoinv(" ", m->flags);
	GArray *uids = g_hash_table_lookup(groups, key);
	if (uids == NULL) {
		uids = g_array_new(FALSE, FALSE, sizeof(guint32));
		g_hash_table_insert(groups, g_steal_pointer(&key), uids);
	}
	g_array_append_val(uids, uid);
}

/* Step 5 for one source: the flag groups from the write pass (or, after a resume, read
 * again from the source), one UID STORE per group. */
static gboolean
store_flags(Job *job, Box *b, ImapSession *user_session, const char *personal, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GError) local = NULL;
	GHashTable *groups = b->flag_groups;

	if (groups == NULL) {
		g_autoptr(MboxReader) reader = mbox_reader_open(b->source, &ctx->reader, &local);
		MboxMessage *m;
		if (reader == NULL) {
			box_fail(job, b, local->message);
			return TRUE;
		}
		groups = b->flag_groups = flag_groups_new();
		while ((m = mbox_reader_next(reader, &local)) != NULL) {
			flag_groups_add(groups, m, spool_uid_of(m, b->keep_x_uid, b->uid_base));
			mbox_message_free(m);
		}
		if (local != NULL) {
			box_fail(job, b, local->message);
			return TRUE;
		}
	}
	if (g_hash_table_size(groups) == 0)
		return TRUE;
	if (!imap_session_select(user_session, personal, FALSE, NULL, NULL, error))
		return FALSE;
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, groups);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		GArray *uids = value;
		g_auto(GStrv) flags = g_strsplit(key, " ", -1);
		if (imap_session_add_flags(user_session, (guint32 *)uids->data, uids->len,
		                           (const char *const *)flags, &local)) {
			fault_point("store");
			continue;
		}
		if (local->code == M2C_IMAP_ERROR_NETWORK || local->code == M2C_IMAP_ERROR_PROTOCOL) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* e.g. more than 100 keywords in one mailbox: keep the system flags at least */
		g_autoptr(GPtrArray) system = g_ptr_array_new();
		for (char **f = flags; *f != NULL; f++)
			if (**f == '\\')
				g_ptr_array_add(system, *f);
		g_ptr_array_add(system, NULL);
		g_autofree char *text = g_strdup_printf("flags \"%s\" on %u message%s not stored: %s%s",
		                                        (char *)key, uids->len, uids->len == 1 ? "" : "s",
		                                        local->message,
		                                        system->len > 1 ? " (system flags stored alone)" : "");
		convert_results_problem(ctx->results, b->result, b->source, 0, -1, FALSE, text);
		report_at(ctx->report, REPORT_WARNING, b->source, 0, -1, "%s", text);
		g_clear_error(&local);
		if (system->len > 1 &&
		    !imap_session_add_flags(user_session, (guint32 *)uids->data, uids->len,
		                            (const char *const *)system->pdata, error))
			return FALSE;
	}
	return TRUE;
}

/* Steps 5 and 6. */
gboolean
restore_user_state(Job *job, GError **error)
{
	for (guint i = 0; i < job->boxes->len; i++) {
		Box *b = g_ptr_array_index(job->boxes, i);
		if (box_failed(job, b) ||
		    (journal_has(job->journal, b->key, JOURNAL_FLAGGED) &&
		     journal_has(job->journal, b->key, JOURNAL_SUBSCRIBED)))
			continue;
		g_autofree char *personal = personal_name(job, b->row->mailbox);
		if (personal == NULL) {
			box_fail(job, b, "not a mailbox of this user (check the manifest)");
			continue;
		}
		ImapSession *s = owner(job, error);
		if (s == NULL)
			return FALSE;
		if (!journal_has(job->journal, b->key, JOURNAL_FLAGGED)) {
			if (b->source != NULL && !store_flags(job, b, s, personal, error))
				return FALSE;
			if (!journal_record(job->journal, b->key, JOURNAL_FLAGGED, NULL, error))
				return FALSE;
		}
		if (b->row->subscribed == 1 && !imap_session_subscribe(s, personal, error))
			return FALSE;
		if (!journal_record(job->journal, b->key, JOURNAL_SUBSCRIBED, NULL, error))
			return FALSE;
	}
	return TRUE;
}

