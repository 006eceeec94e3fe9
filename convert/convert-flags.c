/* convert-flags.c -- steps 5 and 6 of convert (convert-user.c has the order), the same
 * for every method: flags and keywords with UID STORE as the user, grouped by flag
 * set, then the subscriptions.  The UIDs are the method's answer (method.h: uid_of):
 * kept from the delivery, or asked again after a rerun.  Both steps are safe to redo:
 * +FLAGS and SUBSCRIBE change nothing the second time. */
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

/* After a rerun: the flag groups of a delivered source, read again from it with the
 * UIDs the method gave.  FALSE with an error when the source cannot be read. */
static gboolean
read_flag_groups(Job *job, Source *s, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GError) local = NULL;
	g_autofree char *identity = NULL;
	g_autoptr(MboxReader) reader = convert_open_source(ctx, job->access, s->path, &identity, error);
	guint64 unknown = 0;
	MboxMessage *m;

	/* the UIDs were given to the messages of the file as it was delivered */
	if (reader == NULL || !source_is_unchanged(job, s, identity, error))
		return FALSE;
	s->flag_groups = flag_groups_new();
	while ((m = mbox_reader_next(reader, &local)) != NULL) {
		guint32 uid = ctx->method->uid_of(&s->delivery, m);
		if (uid != 0)
			flag_groups_add(s->flag_groups, m, uid);
		else
			unknown += m->flags[0] != NULL;
		mbox_message_free(m);
	}
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (unknown > 0)
		report_at(ctx->report, REPORT_WARNING, s->path, 0, -1, "the flags of %" G_GUINT64_FORMAT
		          " message%s were not restored: %s cannot say their UIDs", unknown,
		          unknown == 1 ? "" : "s", ctx->method->name);
	return TRUE;
}

/* Step 5 for one source: one UID STORE per flag group. */
static gboolean
store_flags(Job *job, Source *s, ImapSession *user_session, const char *personal, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GError) local = NULL;

	if (ctx->method->flags_in_delivery)
		return TRUE;   /* stored with each message */
	if (s->flag_groups == NULL && !read_flag_groups(job, s, &local)) {
		job_fail(job, s->key, FAILURE_MAILBOX, local);
		return TRUE;
	}
	if (g_hash_table_size(s->flag_groups) == 0)
		return TRUE;
	if (!imap_session_select(user_session, personal, FALSE, NULL, NULL, error))
		return FALSE;
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, s->flag_groups);
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
		convert_results_problem(ctx->results, s->result, s->path, 0, -1, FALSE, text);
		report_at(ctx->report, REPORT_WARNING, s->path, 0, -1, "%s", text);
		g_clear_error(&local);
		if (system->len > 1 &&
		    !imap_session_add_flags(user_session, (guint32 *)uids->data, uids->len,
		                            (const char *const *)system->pdata, error))
			return FALSE;
	}
	return TRUE;
}

/* Steps 5 and 6, for the sources of mailboxes that hold what was delivered. */
gboolean
job_restore_user_state(Job *job, GError **error)
{
	for (guint i = 0; i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		Mailbox *mb = s->mailbox;
		if (s->failed || mb->failed || mb->finished_line == 0 ||
		    mb->finished_line < s->delivered_line || (s->flagged && s->subscribed))
			continue;
		g_autofree char *personal = job_personal_name(job, mb->name);
		if (personal == NULL) {   /* manifest_validate() lets no such row through */
			source_fail(job, s, "not a mailbox of this user (check the manifest)");
			continue;
		}
		ImapSession *session = job_owner_session(job, error);
		if (session == NULL)
			return FALSE;
		if (!s->flagged) {
			if (s->path != NULL && !store_flags(job, s, session, personal, error))
				return FALSE;
			if (s->failed)
				continue;
			if (!journal_append(job->journal, STEP_FLAGGED, s->key, NULL, error))
				return FALSE;
			s->flagged = TRUE;
			fault_point("flagged");
		}
		if (s->row->subscribed == 1 && !imap_session_subscribe(session, personal, error))
			return FALSE;
		if (!journal_append(job->journal, STEP_SUBSCRIBED, s->key, NULL, error))
			return FALSE;
		s->subscribed = TRUE;
	}
	return TRUE;
}
