/* convert-user.c -- convert --method spool for one user: steps 1-4 and the order of
 * all of them; steps 5-6 (flags, subscriptions) are in convert-flags.c.
 *
 * The steps, in order; each is recorded in the user's journal when it is done and
 * passed over on a rerun, and each is safe to redo when a crash came before its
 * record (journal.h):
 *   1. CREATE the INBOX (on --partition), SETQUOTA (--quota), then each folder, as the
 *      admin.  A mailbox that already holds messages this tool did not write fails:
 *      files added beside them would collide with their UIDs.
 *   2. mbpath: the directory of each mailbox (never computed: UUID directories).
 *   3. each source's messages as N. files (spool-writer.c); a mailbox fed by several
 *      sources numbers them on from the previous one.
 *   4. reconstruct -r for the user (a bounded number at once), then STATUS each
 *      mailbox: it must hold exactly the files written.
 *   5. log in as the user through the admin (SASL PLAIN authzid) and UID STORE the
 *      flags and keywords, grouped by flag set (\Seen lands in the user's seen state).
 *   6. SUBSCRIBE the mailboxes the user had subscribed to.
 */
#include "convert-user-private.h"

#include <string.h>

#include "fault.h"
#include "imap-session.h"
#include "journal.h"
#include "manifest.h"

static void
box_free(Box *b)
{
	g_clear_pointer(&b->flag_groups, g_hash_table_unref);
	g_free(b->source);
	g_free(b->key);
	g_free(b->dir);
	g_free(b);
}

void
box_fail(Job *job, Box *b, const char *text)
{
	convert_results_mailbox_failed(job->ctx->results, b->result, text);
	report_at(job->ctx->report, REPORT_FAILED, b->source, 0, -1, "%s \"%s\": %s", job->user,
	          b->row->mailbox, text);
}

gboolean
box_failed(Job *job, Box *b)
{
	return convert_results_mailbox_is_failed(job->ctx->results, b->result);
}

/* Fail every source that feeds `mailbox`. */
static void
mailbox_fail(Job *job, const char *mailbox, const char *text)
{
	for (guint i = 0; i < job->boxes->len; i++) {
		Box *b = g_ptr_array_index(job->boxes, i);
		if (strcmp(b->row->mailbox, mailbox) == 0)
			box_fail(job, b, text);
	}
}

static gboolean
mailbox_failed(Job *job, const char *mailbox)
{
	for (guint i = 0; i < job->boxes->len; i++) {
		Box *b = g_ptr_array_index(job->boxes, i);
		if (strcmp(b->row->mailbox, mailbox) == 0 && box_failed(job, b))
			return TRUE;
	}
	return FALSE;
}

static void
problem(const char *file, guint64 msgno, gint64 offset, gboolean skipped, const char *text,
        gpointer data)
{
	Box *b = ((gpointer *)data)[0];
	Job *job = ((gpointer *)data)[1];
	convert_results_problem(job->ctx->results, b->result, file, msgno, offset, skipped, text);
	report_at(job->ctx->report, skipped ? REPORT_FAILED : REPORT_WARNING, file, msgno, offset,
	          "%s%s", skipped ? "not stored: " : "", text);
}

/* The session as the user (SASL PLAIN authzid): only the owner may read a user's
 * mailboxes in Cyrus -- the admin's STATUS on them is "Permission denied" (measured). */
ImapSession *
owner(Job *job, GError **error)
{
	ConvertContext *ctx = job->ctx;
	if (job->owner == NULL) {
		job->owner = imap_session_connect(ctx->host, ctx->port, ctx->timeout, error);
		if (job->owner != NULL &&
		    !imap_session_login_as(job->owner, job->user, ctx->admin, ctx->password, error))
			g_clear_pointer(&job->owner, imap_session_free);
	}
	return job->owner;
}

char *
personal_name(Job *job, const char *mailbox)
{
	return mailbox_name_personal(&job->ctx->naming, job->ctx->altnamespace, job->prefix,
	                             job->domain, mailbox);
}

/* STATUS MESSAGES of `mailbox` as the owner: TRUE and `*messages_out`, or FALSE with
 * NO when it does not exist (or the owner cannot see it). */
static gboolean
owner_status(Job *job, const char *mailbox, guint32 *messages_out, GError **error)
{
	g_autofree char *personal = personal_name(job, mailbox);
	ImapSession *s = owner(job, error);
	if (s == NULL)
		return FALSE;
	if (personal == NULL) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO, "\"%s\" is not a mailbox of %s",
		            mailbox, job->user);
		return FALSE;
	}
	return imap_session_status(s, personal, messages_out, NULL, error);
}

/* SpoolStoredFunc: remember each stored message's flags for step 5. */
static void
stored(const MboxMessage *m, guint32 uid, gpointer data)
{
	Box *b = ((gpointer *)data)[0];
	flag_groups_add(b->flag_groups, m, uid);
}

/* Step 1. */
static gboolean
create_mailboxes(Job *job, GError **error)
{
	ConvertContext *ctx = job->ctx;

	for (guint i = 0; i < job->mailboxes->len; i++) {
		const char *mb = g_ptr_array_index(job->mailboxes, i);
		g_autoptr(GError) local = NULL;
		guint32 messages = 0;
		gboolean is_inbox = strcmp(mb, job->inbox) == 0;

		if (journal_has(job->journal, mb, JOURNAL_CREATED))
			continue;
		gboolean created;
		if (ctx->partition != NULL) {
			/* Cyrus 3.6 takes RFC 4466's form with the partition as an atom:
			 * "CREATE name partition" and a quoted partition are BAD (measured);
			 * cmd-convert.c let only atoms through */
			g_autofree char *q = imap_quote(mb);
			g_autofree char *cmd = g_strdup_printf("CREATE %s (PARTITION %s)", q, ctx->partition);
			created = imap_session_command(job->admin, cmd, &local);
		} else {
			created = imap_session_create(job->admin, mb, &local);
		}
		if (!created) {
			g_autoptr(GError) status_error = NULL;
			if (local->code == M2C_IMAP_ERROR_NETWORK || local->code == M2C_IMAP_ERROR_PROTOCOL) {
				g_propagate_error(error, g_steal_pointer(&local));
				return FALSE;
			}
			/* refused: does it exist already (an earlier run, or mail delivered)? */
			if (!owner_status(job, mb, &messages, &status_error)) {
				if (status_error->code == M2C_IMAP_ERROR_NETWORK ||
				    status_error->code == M2C_IMAP_ERROR_AUTH) {
					g_propagate_error(error, g_steal_pointer(&status_error));
					return FALSE;
				}
				mailbox_fail(job, mb, local->message);   /* CREATE's own reason */
				if (is_inbox)
					return TRUE;   /* the folders cannot go in either */
				continue;
			}
			if (messages > 0) {
				g_autofree char *text = g_strdup_printf("already holds %u message%s that this "
				                "tool did not write: not touched (empty it, or use "
				                "--method imap)", messages, messages == 1 ? "" : "s");
				mailbox_fail(job, mb, text);
				if (is_inbox)
					return TRUE;
				continue;
			}
			g_clear_error(&local);
		}
		if (is_inbox && ctx->quota_kb >= 0) {
			g_autofree char *q = imap_quote(mb);
			g_autofree char *cmd = g_strdup_printf("SETQUOTA %s (STORAGE %" G_GINT64_FORMAT ")",
			                                       q, ctx->quota_kb);
			if (!imap_session_command(job->admin, cmd, &local)) {
				report_msg(ctx->report, REPORT_WARNING, "%s: %s", job->user, local->message);
				g_clear_error(&local);
			}
		}
		if (!journal_record(job->journal, mb, JOURNAL_CREATED, NULL, error))
			return FALSE;
		fault_point("create");
	}
	return TRUE;
}

/* Step 2. */
static gboolean
find_directories(Job *job, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	for (guint i = 0; i < job->mailboxes->len; i++)
		if (!mailbox_failed(job, g_ptr_array_index(job->mailboxes, i)))
			g_ptr_array_add(names, g_ptr_array_index(job->mailboxes, i));
	if (names->len == 0)
		return TRUE;
	g_ptr_array_add(names, NULL);
	g_auto(GStrv) dirs = cyrus_tools_mbpath(&job->ctx->tools, (char **)names->pdata, error);
	if (dirs == NULL)
		return FALSE;
	for (guint i = 0; i < job->boxes->len; i++) {
		Box *b = g_ptr_array_index(job->boxes, i);
		for (guint k = 0; names->pdata[k] != NULL; k++)
			if (strcmp(b->row->mailbox, names->pdata[k]) == 0)
				b->dir = g_strdup(dirs[k]);
	}
	return TRUE;
}

static void
parse_written(const char *detail, guint64 *files, gboolean *x_uid, guint32 *base, guint64 *messages,
              gint64 *bytes)
{
	guint64 f = 0, m = 0;
	gint64 by = 0;
	guint b = 0, keep = 0;
	if (detail != NULL)
		sscanf(detail, "files=%" G_GUINT64_FORMAT " x_uid=%u base=%u messages=%" G_GUINT64_FORMAT
		       " bytes=%" G_GINT64_FORMAT, &f, &keep, &b, &m, &by);
	*files = f;
	*x_uid = keep != 0;
	*base = b;
	*messages = m;
	*bytes = by;
}

/* Step 3. */
static gboolean
write_messages(Job *job, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GHashTable) next_uid = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) sources = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < job->boxes->len; i++) {
		Box *b = g_ptr_array_index(job->boxes, i);
		if (b->source != NULL)
			g_hash_table_replace(sources, b->row->mailbox,
			    GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(sources, b->row->mailbox)) + 1));
	}
	for (guint i = 0; i < job->boxes->len; i++) {
		Box *b = g_ptr_array_index(job->boxes, i);
		guint32 base = GPOINTER_TO_UINT(g_hash_table_lookup(next_uid, b->row->mailbox));
		gboolean shared = GPOINTER_TO_UINT(g_hash_table_lookup(sources, b->row->mailbox)) > 1;
		g_autoptr(GError) local = NULL;
		SpoolCounts counts;
		guint64 files = 0, messages = 0;
		gint64 bytes = 0;

		if (b->source == NULL || box_failed(job, b))
			continue;
		if (journal_has(job->journal, b->key, JOURNAL_WRITTEN)) {
			parse_written(journal_detail(job->journal, b->key, JOURNAL_WRITTEN), &files,
			              &b->keep_x_uid, &b->uid_base, &messages, &bytes);
			convert_results_counts(ctx->results, b->result, messages, bytes, 0, files, b->keep_x_uid);
			g_hash_table_replace(next_uid, b->row->mailbox, GUINT_TO_POINTER(b->uid_base + messages));
			progress_add(ctx->progress, messages, bytes);
			continue;
		}
		/* several sources into one mailbox: numbered on, never by X-UID */
		SpoolSettings spool = ctx->spool;
		gpointer data[2] = { b, job };
		b->uid_base = base;
		b->flag_groups = flag_groups_new();
		if (!spool_write_mailbox_from(&spool, b->source, b->dir, base, !shared, &counts,
		                              problem, stored, data, &local)) {
			if (local->domain == M2C_MBOX_ERROR || local->domain == G_FILE_ERROR) {
				box_fail(job, b, local->message);   /* this source only */
				continue;
			}
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		b->keep_x_uid = counts.kept_x_uid;
		convert_results_counts(ctx->results, b->result, counts.messages, counts.bytes,
		                       counts.written, counts.existed, counts.kept_x_uid);
		progress_add(ctx->progress, counts.messages, counts.bytes);
		g_hash_table_replace(next_uid, b->row->mailbox, GUINT_TO_POINTER(base + counts.messages));
		g_autofree char *detail = g_strdup_printf("files=%" G_GUINT64_FORMAT " x_uid=%d base=%u "
		                                          "messages=%" G_GUINT64_FORMAT " bytes=%"
		                                          G_GINT64_FORMAT, counts.written + counts.existed,
		                                          counts.kept_x_uid, base, counts.messages,
		                                          counts.bytes);
		if (!journal_record(job->journal, b->key, JOURNAL_WRITTEN, detail, error))
			return FALSE;
	}
	return TRUE;
}

static void
acquire_slot(ConvertContext *ctx)
{
	g_mutex_lock(&ctx->reconstruct_lock);
	while (ctx->reconstruct_slots == 0)
		g_cond_wait(&ctx->reconstruct_cond, &ctx->reconstruct_lock);
	ctx->reconstruct_slots--;
	g_mutex_unlock(&ctx->reconstruct_lock);
}

static void
release_slot(ConvertContext *ctx)
{
	g_mutex_lock(&ctx->reconstruct_lock);
	ctx->reconstruct_slots++;
	g_cond_signal(&ctx->reconstruct_cond);
	g_mutex_unlock(&ctx->reconstruct_lock);
}

/* Step 4. */
static gboolean
reconstruct(Job *job, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autofree char *output = NULL;
	gboolean ok;

	if (journal_has(job->journal, "", JOURNAL_RECONSTRUCTED))
		return TRUE;
	acquire_slot(ctx);
	gint64 t0 = g_get_monotonic_time();
	ok = cyrus_tools_reconstruct(&ctx->tools, job->inbox, &output, error);
	convert_results_add_reconstruct_time(ctx->results,
	                                     (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	release_slot(ctx);
	if (!ok)
		return FALSE;
	fault_point("reconstruct");
	report_msg(ctx->report, REPORT_INFO, "%s: reconstruct: %s", job->user, g_strstrip(output));
	/* every mailbox must hold exactly the files written for it */
	for (guint i = 0; i < job->mailboxes->len; i++) {
		const char *mb = g_ptr_array_index(job->mailboxes, i);
		guint64 want = 0;
		guint32 have = 0;
		if (mailbox_failed(job, mb))
			continue;
		for (guint k = 0; k < job->boxes->len; k++) {
			Box *b = g_ptr_array_index(job->boxes, k);
			guint64 files = 0, messages = 0;
			gint64 bytes;
			gboolean x;
			guint32 base;
			if (strcmp(b->row->mailbox, mb) != 0 || b->source == NULL)
				continue;
			parse_written(journal_detail(job->journal, b->key, JOURNAL_WRITTEN), &files, &x,
			              &base, &messages, &bytes);
			want += files;
		}
		if (!owner_status(job, mb, &have, error))
			return FALSE;
		if (have != want) {
			g_autofree char *text = g_strdup_printf("reconstruct indexed %u message%s, %"
			                                        G_GUINT64_FORMAT " files were written",
			                                        have, have == 1 ? "" : "s", want);
			mailbox_fail(job, mb, text);
		}
	}
	return journal_record(job->journal, "", JOURNAL_RECONSTRUCTED, NULL, error);
}

static void
job_clear(Job *job)
{
	g_free(job->prefix);
	g_free(job->domain);
	g_free(job->inbox);
	g_clear_pointer(&job->journal, journal_free);
	g_clear_pointer(&job->boxes, g_ptr_array_unref);
	g_clear_pointer(&job->mailboxes, g_ptr_array_unref);
	g_clear_pointer(&job->admin, imap_session_free);
	g_clear_pointer(&job->owner, imap_session_free);
}

static gboolean
prepare(Job *job, GPtrArray *rows, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	if (!mailbox_name_user(&ctx->naming, job->user, &job->prefix, &job->domain, error))
		return FALSE;
	job->inbox = g_strconcat(job->prefix, job->domain, NULL);
	job->journal = journal_open(ctx->state_dir, job->user, error);
	if (job->journal == NULL)
		return FALSE;
	job->boxes = g_ptr_array_new_with_free_func((GDestroyNotify)box_free);
	job->mailboxes = g_ptr_array_new();
	/* the INBOX first: Cyrus makes a user's folders only below an existing INBOX */
	g_ptr_array_add(job->mailboxes, job->inbox);
	g_hash_table_add(seen, job->inbox);
	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *row = g_ptr_array_index(rows, i);
		Box *b = g_new0(Box, 1);
		gsize len;
		b->row = row;
		if (row->source != NULL) {
			const char *data = g_bytes_get_data(row->source, &len);
			b->source = g_strndup(data, len);
		}
		b->key = g_strdup_printf("%s\t%s", row->mailbox, b->source ? b->source : "-");
		b->result = convert_results_mailbox(ctx->results, job->user, row->mailbox, b->source);
		g_ptr_array_add(job->boxes, b);
		if (g_hash_table_add(seen, row->mailbox))
			g_ptr_array_add(job->mailboxes, row->mailbox);
	}
	return TRUE;
}

gboolean
convert_user_spool(ConvertContext *ctx, const char *user, GPtrArray *rows)
{
	Job job = { .ctx = ctx, .user = user };
	g_autoptr(GError) error = NULL;
	gboolean ok = FALSE;

	if (!prepare(&job, rows, &error))
		goto out;
	if (journal_has(job.journal, "", JOURNAL_DONE)) {
		for (guint i = 0; i < job.boxes->len; i++) {
			Box *b = g_ptr_array_index(job.boxes, i);
			guint64 files, messages;
			gint64 bytes;
			parse_written(journal_detail(job.journal, b->key, JOURNAL_WRITTEN), &files,
			              &b->keep_x_uid, &b->uid_base, &messages, &bytes);
			convert_results_counts(ctx->results, b->result, messages, bytes, 0, files, b->keep_x_uid);
		}
		convert_results_user(ctx->results, user, "already done", NULL);
		report_msg(ctx->report, REPORT_INFO, "%s: already converted by an earlier run: nothing "
		           "to do", user);
		progress_user_done(ctx->progress);
		job_clear(&job);
		return TRUE;
	}
	if (journal_is_resumed(job.journal))
		report_msg(ctx->report, REPORT_INFO, "%s: resuming an interrupted run", user);
	job.admin = imap_session_connect(ctx->host, ctx->port, ctx->timeout, &error);
	if (job.admin == NULL || !imap_session_login(job.admin, ctx->admin, ctx->password, &error) ||
	    !create_mailboxes(&job, &error) || !find_directories(&job, &error) ||
	    !write_messages(&job, &error) || !reconstruct(&job, &error) ||
	    !restore_user_state(&job, &error))
		goto out;
	ok = TRUE;
	for (guint i = 0; i < job.boxes->len; i++)
		ok &= !box_failed(&job, g_ptr_array_index(job.boxes, i));
	if (ok && !journal_record(job.journal, "", JOURNAL_DONE, NULL, &error))
		ok = FALSE;
out:
	if (error != NULL) {
		ReportSeverity sev = imap_error_is_temporary(error) ? REPORT_TEMPFAIL : REPORT_FAILED;
		report_msg(ctx->report, sev, "%s: %s", user, error->message);
		convert_results_user(ctx->results, user, "failed", error->message);
	} else {
		convert_results_user(ctx->results, user, ok ? "done" : "failed",
		                     ok ? NULL : "some mailboxes failed (see them)");
		if (ok)
			report_msg(ctx->report, REPORT_INFO, "%s: done", user);
	}
	progress_user_done(ctx->progress);
	job_clear(&job);
	return ok;
}
