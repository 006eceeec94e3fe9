/* convert-user.c -- one user through convert, by any method (method.h): the order of
 * the steps, written once.  Flags and subscriptions are in convert-flags.c, the
 * journal's records in convert-state.c.
 *
 * The steps, in order; the journal step that records each is in capitals.  A step
 * recorded is passed over by a rerun; one not recorded is done again, so each is
 * safe to redo:
 *   0. read the user's journal: what earlier runs did, and what failed; the method
 *      may refuse the user here, with nothing done (method.h: user_check).
 *   1. CREATE each mailbox not CREATED, the INBOX first (Cyrus makes folders only
 *      below it), on --partition; SETQUOTA the INBOX (upload: the user CREATEs by
 *      their own names, no partition, no quota).  A mailbox that exists already is
 *      counted: its messages are its baseline (refused when the method needs an
 *      empty mailbox).
 *   2. the method starts on the user (e.g. finds the mailboxes' directories).
 *   3. each source in manifest order: DELIVERED by an earlier run, the method
 *      recalls it; else the source is opened as mapnames checked it, and the method
 *      delivers it.  Messages that could not be stored are recorded (PROBLEM) and
 *      reported again by every rerun.
 *   4. each mailbox whose sources are all delivered and that was not FINISHED since
 *      its last delivery: the method finishes it (e.g. has them indexed), then the
 *      owner's STATUS must count its baseline plus what each source stored.
 *   5-6. flags and keywords (FLAGGED), subscriptions (SUBSCRIBED): convert-flags.c.
 *   7. DONE, when nothing failed.
 * A failure is journaled (FAILED) with its scope and whether it is temporary
 * (failure.h); the unit's own step stays unrecorded, so a rerun tries it again, and
 * the user is never DONE while a failure is left.
 */
#include "convert-user-private.h"

#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "fault.h"
#include "user-access.h"

static void
source_free(Source *s)
{
	g_clear_pointer(&s->flag_groups, g_hash_table_unref);
	g_clear_pointer(&s->problems, g_ptr_array_unref);
	g_clear_pointer(&s->old_problems, g_ptr_array_unref);
	g_clear_pointer(&s->warnings, g_ptr_array_unref);
	g_clear_pointer(&s->old_warnings, g_ptr_array_unref);
	g_clear_pointer(&s->old_seen, g_hash_table_unref);
	g_clear_pointer(&s->checkpoints, g_ptr_array_unref);
	g_free(s->path);
	g_free(s->key);
	g_free(s);
}

static void
mailbox_free(Mailbox *mb)
{
	g_ptr_array_unref(mb->sources);
	g_free(mb);
}

static gboolean
source_is_delivered(const Source *s)
{
	return s->path == NULL || s->delivered_line > 0;
}

/* The journal line of the mailbox's last delivery (0: none). */
static guint
last_delivery(const Mailbox *mb)
{
	guint last = 0;
	for (guint i = 0; i < mb->sources->len; i++)
		last = MAX(last, ((Source *)g_ptr_array_index(mb->sources, i))->delivered_line);
	return last;
}

static gboolean
mailbox_is_finished(const Mailbox *mb)
{
	return mb->finished_line > 0 && mb->finished_line > last_delivery(mb);
}

/* A session logged in as `login` with the run's password: the admin's, or with
 * own_login the user's own.  NULL with NETWORK or AUTH. */
static ImapSession *
login_session(ConvertContext *ctx, const char *login, GError **error)
{
	g_autoptr(ImapSession) session = imap_session_open(&ctx->server->endpoint, error);
	if (session == NULL || !imap_session_login(session, login, ctx->server->password, error))
		return NULL;
	return g_steal_pointer(&session);
}

/* The session as the user (SASL PLAIN authzid): only the owner may read a user's
 * mailboxes in Cyrus -- the admin's STATUS on them is "Permission denied" (measured).
 * upload (own_login) has logged in as the user: its one session is the owner's. */
ImapSession *
job_owner_session(Job *job, GError **error)
{
	ConvertContext *ctx = job->ctx;
	if (ctx->own_login != NULL) {
		if (job->admin == NULL)
			job->admin = login_session(ctx, ctx->own_login, error);
		return job->admin;
	}
	if (job->owner == NULL) {
		job->owner = imap_session_open(&ctx->server->endpoint, error);
		if (job->owner != NULL &&
		    !imap_session_login_as(job->owner, job->user, ctx->server->admin, ctx->server->password, error))
			g_clear_pointer(&job->owner, imap_session_free);
	}
	return job->owner;
}

char *
job_personal_name(Job *job, const char *mailbox)
{
	return mailbox_name_personal(&job->ctx->server->naming, job->ctx->server->altnamespace, job->prefix,
	                             job->domain, mailbox);
}

/* STATUS MESSAGES of `mailbox` as the owner: TRUE and `*messages_out`, or FALSE with
 * NO when it does not exist (or the owner cannot see it). */
static gboolean
owner_status(Job *job, const char *mailbox, guint32 *messages_out, GError **error)
{
	g_autofree char *personal = job_personal_name(job, mailbox);
	ImapSession *s = job_owner_session(job, error);
	if (s == NULL)
		return FALSE;
	if (personal == NULL) {   /* manifest_validate() lets no such row through */
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO, "\"%s\" is not a mailbox of %s",
		            mailbox, job->user);
		return FALSE;
	}
	return imap_session_status(s, personal, messages_out, NULL, error);
}

static gboolean
is_session_error(const GError *error)
{
	return g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK) ||
	       g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL) ||
	       g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH) ||
	       g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS);
}

/* Step 1 for one mailbox.  FALSE with an error only for failures of the user. */
static gboolean
create_mailbox(Job *job, Mailbox *mb, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GError) local = NULL;
	guint32 messages = 0;
	gboolean created;

	if (ctx->own_login != NULL) {
		/* upload: the user creates their own mailboxes by their own names (Cyrus 3.6
		 * lets a user CREATE their INBOX too: measured) */
		g_autofree char *personal = job_personal_name(job, mb->name);
		g_assert(personal != NULL && ctx->partition == NULL && ctx->quota_kb < 0);
		created = imap_session_create(job->admin, personal, &local);
	} else if (ctx->partition != NULL) {
		/* Cyrus 3.6 takes RFC 4466's form with the partition as an atom: "CREATE name
		 * partition" and a quoted partition are BAD (measured); cmd-convert.c lets
		 * only atoms through */
		g_autofree char *q = imap_quote(mb->name);
		g_autofree char *cmd = g_strdup_printf("CREATE %s (PARTITION %s)", q, ctx->partition);
		created = imap_session_command(job->admin, cmd, &local);
	} else {
		created = imap_session_create(job->admin, mb->name, &local);
	}
	if (!created) {
		g_autoptr(GError) status_error = NULL;
		if (is_session_error(local)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* refused: does it exist already (an earlier run, or mail delivered)? */
		if (!owner_status(job, mb->name, &messages, &status_error)) {
			if (is_session_error(status_error)) {
				g_propagate_error(error, g_steal_pointer(&status_error));
				return FALSE;
			}
			job_fail(job, mb->name, FAILURE_MAILBOX, local);   /* CREATE's own reason */
			return TRUE;
		}
		if (messages > 0 && ctx->method->needs_empty_mailbox) {
			g_autofree char *text = g_strdup_printf("already holds %u message%s that this tool "
			                "did not deliver: not touched (empty it, or use another method)",
			                messages, messages == 1 ? "" : "s");
			mailbox_fail(job, mb, text);
			return TRUE;
		}
		g_clear_error(&local);
	}
	if (mb == g_ptr_array_index(job->mailboxes, 0) && ctx->quota_kb >= 0) {
		g_autofree char *q = imap_quote(mb->name);
		g_autofree char *cmd = g_strdup_printf("SETQUOTA %s (STORAGE %" G_GINT64_FORMAT ")",
		                                       q, ctx->quota_kb);
		if (!imap_session_command(job->admin, cmd, &local)) {
			report_msg(ctx->report, REPORT_WARNING, "%s: %s", job->user, local->message);
			g_clear_error(&local);
		}
	}
	g_autofree char *detail = count_detail_format(messages);
	if (!journal_append(job->journal, STEP_CREATED, mb->name, detail, error))
		return FALSE;
	mb->created = mb->created_now = TRUE;
	mb->baseline = messages;
	fault_point("create");
	return TRUE;
}

/* Before step 1: may the method carry every mailbox of the user? */
static gboolean
check_user(Job *job, GError **error)
{
	const ConvertMethod *method = job->ctx->method;
	if (method->user_check == NULL)
		return TRUE;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	for (guint i = 0; i < job->mailboxes->len; i++)
		g_ptr_array_add(names, (gpointer)((Mailbox *)g_ptr_array_index(job->mailboxes, i))->name);
	g_ptr_array_add(names, NULL);
	return method->user_check(job->ctx->method_run, job->user, (const char *const *)names->pdata,
	                          error);
}

/* Step 1. */
static gboolean
create_mailboxes(Job *job, GError **error)
{
	Mailbox *inbox = g_ptr_array_index(job->mailboxes, 0);
	for (guint i = 0; i < job->mailboxes->len; i++) {
		Mailbox *mb = g_ptr_array_index(job->mailboxes, i);
		if (mb->created || mb->failed)
			continue;
		if (inbox->failed) {
			mailbox_fail(job, mb, "not created: the user's INBOX failed");
			continue;
		}
		if (!create_mailbox(job, mb, error))
			return FALSE;
	}
	return TRUE;
}

/* Step 1, on a rerun: a mailbox an earlier run created and nothing was delivered to
 * yet must still hold only what it held then.  Mail that arrived in it meanwhile
 * would take the UIDs of the files a method that needs an empty mailbox writes. */
static gboolean
check_untouched(Job *job, GError **error)
{
	if (!job->ctx->method->needs_empty_mailbox)
		return TRUE;
	for (guint i = 0; i < job->mailboxes->len; i++) {
		Mailbox *mb = g_ptr_array_index(job->mailboxes, i);
		g_autoptr(GError) local = NULL;
		gboolean begun = mb->created_now || mb->failed || !mb->created;
		guint32 messages = 0;
		for (guint k = 0; !begun && k < mb->sources->len; k++) {
			Source *s = g_ptr_array_index(mb->sources, k);
			const JournalRecord *r = journal_find(job->journal, STEP_READ, s->key);
			begun = r != NULL && strcmp(r->detail, READ_NOTHING_STORED) != 0;
		}
		if (begun)
			continue;
		if (!owner_status(job, mb->name, &messages, &local)) {
			if (is_session_error(local)) {
				g_propagate_error(error, g_steal_pointer(&local));
				return FALSE;
			}
			job_fail(job, mb->name, FAILURE_MAILBOX, local);
			continue;
		}
		if (messages != mb->baseline) {
			g_autofree char *text = g_strdup_printf("holds %u message%s, %u when an earlier run "
			                "created it: mail arrived since; not touched (empty it, or use "
			                "another method)", messages, messages == 1 ? "" : "s", mb->baseline);
			mailbox_fail(job, mb, text);
		}
	}
	return TRUE;
}

static char *
personal_name(gpointer data, const char *mailbox)
{
	return job_personal_name(data, mailbox);
}

static gboolean
method_user_new(Job *job, const char *const *mailboxes, GError **error)
{
	const ConvertMethod *method = job->ctx->method;
	ImapSession *session = NULL;
	if (method->needs_session && (session = job_owner_session(job, error)) == NULL)
		return FALSE;
	job->method_user = method->user_new(job->ctx->method_run, job->user, mailboxes, session,
	                                    personal_name, job, error);
	return job->method_user != NULL;
}

/* Step 2. */
static gboolean
start_method(Job *job, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	job_created_mailboxes(job, names);
	g_ptr_array_add(names, NULL);
	return method_user_new(job, (const char *const *)names->pdata, error);
}

/* The mailboxes step 4 finishes now: created, not failed, not finished since their
 * last delivery, every source delivered.  Added to `mailboxes` (Mailbox *). */
static void
ready_mailboxes(Job *job, GPtrArray *mailboxes)
{
	for (guint i = 0; i < job->mailboxes->len; i++) {
		Mailbox *mb = g_ptr_array_index(job->mailboxes, i);
		gboolean ready = mb->created && !mb->failed && !mailbox_is_finished(mb);
		for (guint k = 0; ready && k < mb->sources->len; k++)
			ready = source_is_delivered(g_ptr_array_index(mb->sources, k));
		if (ready)
			g_ptr_array_add(mailboxes, mb);
	}
}

void
job_ready_mailboxes(Job *job, GPtrArray *names)
{
	g_autoptr(GPtrArray) ready = g_ptr_array_new();
	ready_mailboxes(job, ready);
	for (guint i = 0; i < ready->len; i++)
		g_ptr_array_add(names, (gpointer)((Mailbox *)ready->pdata[i])->name);
}

gboolean
job_is_whole(Job *job)
{
	gboolean any = FALSE;
	/* a mailbox an earlier run created whose row has left the manifest may hold
	 * message files nobody asked for any more: reconstruct -u would show them */
	for (guint i = 0; i < journal_n_records(job->journal); i++) {
		const JournalRecord *r = journal_record_at(job->journal, i);
		if (strcmp(r->step, STEP_CREATED) == 0 && mailbox_of_name(job, r->key) == NULL)
			return FALSE;
	}
	for (guint i = 0; i < job->mailboxes->len; i++) {
		Mailbox *mb = g_ptr_array_index(job->mailboxes, i);
		if (!mb->created || mb->failed)
			return FALSE;
		for (guint k = 0; k < mb->sources->len; k++)
			if (!source_is_delivered(g_ptr_array_index(mb->sources, k)))
				return FALSE;
		any = any || !mailbox_is_finished(mb);
	}
	return any;
}

/* The mailboxes step 2 starts the method on (created, not failed), added to `names`. */
void
job_created_mailboxes(Job *job, GPtrArray *names)
{
	for (guint i = 0; i < job->mailboxes->len; i++) {
		Mailbox *mb = g_ptr_array_index(job->mailboxes, i);
		if (mb->created && !mb->failed)
			g_ptr_array_add(names, (gpointer)mb->name);
	}
}

/* Step 4; `finished`: the group's finish_many() did the method's part already. */
static gboolean
finish_mailboxes(Job *job, gboolean finished, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GPtrArray) todo = g_ptr_array_new();

	ready_mailboxes(job, todo);
	if (todo->len == 0)
		return TRUE;
	if (!finished && ctx->method->finish != NULL) {
		g_autoptr(GPtrArray) names = g_ptr_array_new();
		job_ready_mailboxes(job, names);
		g_ptr_array_add(names, NULL);
		gint64 t0 = g_get_monotonic_time();
		if (!job_sync(job, error) ||
		    !ctx->method->finish(job->method_user, (const char *const *)names->pdata, error))
			return FALSE;
		convert_results_add_finish_time(ctx->results,
		                                (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	}
	/* every mailbox must hold what it held before and what was delivered to it */
	for (guint i = 0; i < todo->len; i++) {
		Mailbox *mb = g_ptr_array_index(todo, i);
		g_autoptr(GError) local = NULL;
		guint64 delivered = 0;
		guint32 have = 0;
		/* what a delivery found in the mailbox is in its baseline already */
		for (guint k = 0; k < mb->sources->len; k++) {
			const Delivery *d = &((Source *)g_ptr_array_index(mb->sources, k))->delivery;
			delivered += d->stored - MIN(d->found, d->stored);
		}
		if (!owner_status(job, mb->name, &have, &local)) {
			if (is_session_error(local)) {
				g_propagate_error(error, g_steal_pointer(&local));
				return FALSE;
			}
			job_fail(job, mb->name, FAILURE_MAILBOX, local);
			continue;
		}
		if (have != mb->baseline + delivered) {
			g_autofree char *text = g_strdup_printf("holds %u message%s after %s, %" G_GUINT64_FORMAT
			                                        " expected (%u before, %" G_GUINT64_FORMAT
			                                        " delivered)", have, have == 1 ? "" : "s",
			                                        ctx->method->name, mb->baseline + delivered,
			                                        mb->baseline, delivered);
			mailbox_fail(job, mb, text);
			continue;
		}
		g_autofree char *detail = count_detail_format(have);
		if (!journal_append(job->journal, STEP_FINISHED, mb->name, detail, error))
			return FALSE;
		mb->finished_line = journal_find(job->journal, STEP_FINISHED, mb->name)->line;
	}
	return TRUE;
}

static void
job_clear(Job *job)
{
	if (job->method_user != NULL)
		job->ctx->method->user_free(job->method_user);
	for (guint i = 0; job->sources != NULL && i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		if (s->delivery.uids != NULL)
			job->ctx->method->free_uids(s->delivery.uids);
	}
	g_free(job->prefix);
	g_free(job->domain);
	g_free(job->inbox);
	g_clear_pointer(&job->sources, g_ptr_array_unref);
	g_clear_pointer(&job->mailboxes, g_ptr_array_unref);
	g_clear_pointer(&job->journal, journal_free);
	if (job->admin_borrowed)
		job->admin = NULL;
	g_clear_pointer(&job->admin, imap_session_free);
	g_clear_pointer(&job->owner, imap_session_free);
	g_clear_pointer(&job->access, user_access_free);
}

static Mailbox *
add_mailbox(Job *job, const char *name)
{
	Mailbox *mb = mailbox_of_name(job, name);
	if (mb != NULL)
		return mb;
	mb = g_new0(Mailbox, 1);
	mb->name = name;
	mb->sources = g_ptr_array_new();
	g_ptr_array_add(job->mailboxes, mb);
	return mb;
}

/* Step 0. */
static gboolean
prepare(Job *job, GPtrArray *rows, GError **error)
{
	ConvertContext *ctx = job->ctx;

	job->sources = g_ptr_array_new_with_free_func((GDestroyNotify)source_free);
	job->mailboxes = g_ptr_array_new_with_free_func((GDestroyNotify)mailbox_free);
	if (!mailbox_name_user(&ctx->server->naming, job->user, &job->prefix, &job->domain, error))
		return FALSE;
	job->inbox = g_strconcat(job->prefix, job->domain, NULL);
	add_mailbox(job, job->inbox);   /* the INBOX first */
	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *row = g_ptr_array_index(rows, i);
		Source *s = g_new0(Source, 1);
		s->row = row;
		if (row->source != NULL)
			s->path = g_strndup(g_bytes_get_data(row->source, NULL), g_bytes_get_size(row->source));
		s->key = g_strdup_printf("%s\t%s", row->mailbox, s->path ? s->path : "-");
		s->mailbox = add_mailbox(job, row->mailbox);
		s->result = convert_results_mailbox(ctx->results, job->user, row->mailbox, s->path);
		s->problems = g_ptr_array_new_with_free_func(g_free);
		s->old_problems = g_ptr_array_new();
		s->warnings = g_ptr_array_new_with_free_func(g_free);
		s->old_warnings = g_ptr_array_new();
		s->old_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		s->checkpoints = g_ptr_array_new_null_terminated(0, NULL, TRUE);
		g_ptr_array_add(s->mailbox->sources, s);
		g_ptr_array_add(job->sources, s);
	}
	job->journal = journal_open(ctx->state_dir, job->user, convert_journal_steps, error);
	if (job->journal == NULL || !job_load_journal(job, error))
		return FALSE;
	/* a few fsyncs per user (job_sync), not one per record (method.h) */
	if (ctx->method->visible_at_finish)
		journal_defer_sync(job->journal);
	job->access = convert_user_access(ctx, job->user, error);
	return job->access != NULL;
}

/* Is every step of every source and mailbox recorded in the journal? */
static gboolean
all_recorded(Job *job)
{
	for (guint i = 0; i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		if (!source_is_delivered(s) || !s->flagged || !s->subscribed)
			return FALSE;
	}
	for (guint i = 0; i < job->mailboxes->len; i++)
		if (!mailbox_is_finished(g_ptr_array_index(job->mailboxes, i)))
			return FALSE;
	return TRUE;
}

/* A user an earlier run finished: its counts and its problems, for a true report. */
static gboolean
recall_done_user(Job *job, GError **error)
{
	const char *none[] = { NULL };
	if (!method_user_new(job, none, error))
		return FALSE;
	return job_recall_sources(job, error);
}

/* The admin's session (upload: the user's own): `*shared` when a group lends one
 * (then a new one is made for the group when it has none).  When the server cannot be
 * reached or refuses the login, no user can go on: a failure of the run (69 or 78),
 * and the users not started yet are not started (a refused login costs 3 s each:
 * never try it once per user). */
static gboolean
admin_session(Job *job, ImapSession **shared)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GError) error = NULL;

	if (ctx->own_login != NULL)
		(void)job_owner_session(job, &error);
	else if (shared != NULL && *shared != NULL)
		job->admin = *shared;
	else
		job->admin = login_session(ctx, ctx->server->admin, &error);
	if (job->admin != NULL) {
		if (shared != NULL && ctx->own_login == NULL) {
			*shared = job->admin;
			job->admin_borrowed = TRUE;
		}
		return TRUE;
	}
	gboolean refused = g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH) ||
	                   g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS);
	if (!g_atomic_int_exchange(&ctx->stopped, 1))
		report_msg(ctx->report, refused ? REPORT_CONFIG : REPORT_UNAVAILABLE, "%s: the run "
		           "stops: %s", job->user, error->message);
	return FALSE;
}

gboolean
job_begin(Job *job, ConvertContext *ctx, const char *user, GPtrArray *rows, ImapSession **admin)
{
	memset(job, 0, sizeof *job);
	job->ctx = ctx;
	job->user = user;
	job->status = USER_FAILED;
	if (!prepare(job, rows, &job->error))
		return job_end(job, FALSE);
	/* done by earlier runs, and nothing added to the manifest since */
	if (job->done_before && all_recorded(job)) {
		if (recall_done_user(job, &job->error)) {
			job->status = USER_ALREADY_DONE;
			report_msg(ctx->report, REPORT_INFO, "%s: already converted by an earlier run: "
			           "nothing to do", user);
		}
		return job_end(job, FALSE);
	}
	if (journal_is_resumed(job->journal))
		report_msg(ctx->report, REPORT_INFO, "%s: resuming an interrupted run%s", user,
		           job->failures_before ? "; retrying what failed before" : "");
	if (!check_user(job, &job->error))
		return job_end(job, FALSE);
	if (!admin_session(job, admin)) {
		job->status = USER_NOT_STARTED;
		return job_end(job, FALSE);
	}
	if (!create_mailboxes(job, &job->error) || !check_untouched(job, &job->error))
		return job_end(job, FALSE);
	if (job->admin_borrowed) {   /* the admin's part is over: the group may close it */
		job->admin = NULL;
		job->admin_borrowed = FALSE;
	}
	return TRUE;
}

gboolean
job_sync(Job *job, GError **error)
{
	return journal_sync(job->journal, error);
}

gboolean
job_deliver(Job *job)
{
	if (!start_method(job, &job->error) || !job_deliver_sources(job, &job->error))
		return job_end(job, FALSE);
	return TRUE;
}

gboolean
job_end(Job *job, gboolean finished)
{
	ConvertContext *ctx = job->ctx;

	if (job->status == USER_FAILED && job->error == NULL && job->method_user != NULL &&
	    finish_mailboxes(job, finished, &job->error) && job_restore_user_state(job, &job->error) &&
	    job->failures == 0 && all_recorded(job) &&
	    journal_append(job->journal, STEP_DONE, "", NULL, &job->error))
		job->status = USER_DONE;
	if (job->journal != NULL && job->error == NULL && !journal_sync(job->journal, &job->error))
		job->status = USER_FAILED;
	if (job->error != NULL)
		job_fail(job, "", FAILURE_USER, job->error);
	for (guint i = 0; job->sources != NULL && i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		if (!s->failed && source_is_delivered(s) && s->flagged && s->subscribed &&
		    mailbox_is_finished(s->mailbox))
			convert_results_mailbox_done(ctx->results, s->result);
	}
	convert_results_user(ctx->results, job->user, job->status,
	                     job->error ? job->error->message : job->status == USER_FAILED ?
	                     "some mailboxes failed (see them)" : job->status == USER_NOT_STARTED ?
	                     "the run stopped before this user (see the run's failure)" : NULL);
	if (job->status == USER_DONE)
		report_msg(ctx->report, REPORT_INFO, "%s: done", job->user);
	progress_user_done(ctx->progress);
	if (job->journal != NULL)
		(void)journal_sync(job->journal, NULL);   /* the failure records, best effort */
	g_clear_error(&job->error);
	job_clear(job);
	return FALSE;
}
