/* backout.c -- see backout.h for the rule; here, one user's steps:
 *   backout_user     who the user is, the journal, the source's session, each mailbox
 *   backout_mailbox  list, read the sources, assign each message to a file (assign),
 *                    each file written by backout-write.c */
#include <string.h>

#include <gio/gio.h>

#include "backout-private.h"
#include "fault.h"
#include "imap-session.h"
#include "mailbox-name.h"
#include "manifest-source.h"
#include "source-digest.h"
#include "tsv.h"
#include "user-mailboxes.h"

static const char *const steps[] = { "backup", "appending", "written", "quoting", "done", "failed",
                                      NULL };

static void
failure_free(BackoutFailure *f)
{
	g_free(f->mailbox);
	g_free(f->path);
	g_free(f->reason);
	g_free(f);
}

void
backout_user_free(BackoutUser *result)
{
	if (result == NULL)
		return;
	g_free(result->user);
	g_ptr_array_unref(result->failures);
	g_free(result);
}

void
backout_fail(Job *job, FailureScope where, const char *path, guint32 uid, const GError *error)
{
	BackoutContext *ctx = job->ctx;
	Failure f = failure_classify(error, where);
	ReportSeverity severity = f.temporary ? REPORT_TEMPFAIL : REPORT_FAILED;
	BackoutFailure *bf = g_new0(BackoutFailure, 1);

	if (g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH) ||
	    g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS))
		severity = REPORT_CONFIG;
	else if (g_error_matches(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED))
		severity = REPORT_DATAERR;
	bf->mailbox = g_strdup(job->mailbox);
	bf->path = g_strdup(path);
	bf->uid = uid;
	bf->scope = f.scope;
	bf->temporary = f.temporary;
	bf->reason = g_strdup(error->message);
	g_ptr_array_add(job->result->failures, bf);
	if (severity > job->result->worst)
		job->result->worst = severity;
	if (f.scope == FAILURE_RUN)
		g_atomic_int_set(&ctx->stop, 1);

	g_autofree char *file = path ? tsv_escape_cut(path, strlen(path), 300) : NULL;
	g_autofree char *uid_text = uid ? g_strdup_printf("UID %u: ", uid) : g_strdup("");
	const char *why = f.temporary ? " (temporary: safe to rerun)" : "";
	if (job->mailbox != NULL)
		report_at(ctx->report, severity, file, 0, -1, "%s \"%s\": %snot written: %s%s",
		          job->result->user, job->mailbox, uid_text, error->message, why);
	else
		report_at(ctx->report, severity, file, 0, -1, "%s: not backed out: %s%s",
		          job->result->user, error->message, why);
	if (job->journal != NULL) {
		g_autofree char *detail = g_strdup_printf("%s %s %s%s", failure_scope_name(f.scope),
		                                          f.temporary ? "temporary" : "permanent",
		                                          uid_text, error->message);
		(void)journal_append(job->journal, "failed", job->mailbox ? job->mailbox : "-", detail, NULL);
	}
}

static guint
sha1_hash(gconstpointer key)
{
	guint h;
	memcpy(&h, key, sizeof h);
	return h;
}

static gboolean
sha1_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, 20) == 0;
}

static void
held_list_free(gpointer list)
{
	g_slist_free(list);
}

HeldSet *
backout_held_new(void)
{
	HeldSet *held = g_new0(HeldSet, 1);
	held->by_sha1 = g_hash_table_new_full(sha1_hash, sha1_equal, NULL, held_list_free);
	held->all = g_ptr_array_new_with_free_func(g_free);
	return held;
}

void
backout_held_free(HeldSet *held)
{
	if (held == NULL)
		return;
	g_hash_table_unref(held->by_sha1);
	g_ptr_array_unref(held->all);
	g_free(held);
}

/* `h` found by `key` too. */
static void
held_index(HeldSet *held, const guint8 *key, Held *h)
{
	/* appended in place: the table keeps the list's head (replacing it would free the
	 * list it is given back, as the value's destroy) */
	GSList *l = g_hash_table_lookup(held->by_sha1, key);
	if (l == NULL)
		g_hash_table_insert(held->by_sha1, (gpointer)key, g_slist_append(NULL, h));
	else if (g_slist_append(l, h) != l)
		g_assert_not_reached();   /* a non-empty list keeps its head */
}

void
backout_held_add(HeldSet *held, GArray *digests, guint file)
{
	for (guint i = 0; i < digests->len; i++) {
		SourceDigest *s = &g_array_index(digests, SourceDigest, i);
		Held *h = g_new0(Held, 1);
		h->file = file;
		h->digest = s;
		g_ptr_array_add(held->all, h);
		held_index(held, s->sha1, h);
		if (s->has_mark && memcmp(s->mark, s->sha1, 20) != 0)
			held_index(held, s->mark, h);
		/* convert --method imap stored it fixed (message-fix.h) */
		if (s->has_fixed)
			held_index(held, s->fixed_sha1, h);
	}
}

Held *
backout_held_claim(HeldSet *held, const guint8 *sha1)
{
	for (GSList *l = g_hash_table_lookup(held->by_sha1, sha1); l != NULL; l = l->next) {
		Held *h = l->data;
		if (!h->claimed) {
			h->claimed = TRUE;
			return h;
		}
	}
	return NULL;
}

void
backout_file_work_clear(FileWork *fw)
{
	g_ptr_array_unref(fw->messages);
	g_ptr_array_unref(fw->senders);
}

char *
backout_target_key(const BackoutContext *ctx, const char *source)
{
	return ctx->target.mode == BACKOUT_INTO ? g_build_filename(ctx->target.into, source, NULL)
	                                        : g_strdup(source);
}

void
backout_resume_of(Job *job, const char *key, BackoutResume *resume, BackoutAppend *append)
{
	const JournalRecord *backup = journal_find(job->journal, "backup", key);
	const JournalRecord *app = journal_find(job->journal, "appending", key);
	const JournalRecord *written = journal_find(job->journal, "written", key);
	memset(resume, 0, sizeof *resume);
	resume->earlier_backup = backup ? backup->detail : NULL;
	if (app != NULL && (written == NULL || written->line < app->line) &&
	    backout_append_parse(app->detail, append))
		resume->pending = append;
}

/* The quoting the first mark in `digests` says the file is read with (AUTO: none). */
static MboxQuoting
marked_quoting(GArray *digests)
{
	for (guint i = 0; i < digests->len; i++) {
		const SourceDigest *s = &g_array_index(digests, SourceDigest, i);
		if (s->has_mark && s->mark_quoting != MBOX_QUOTING_AUTO)
			return s->mark_quoting;
	}
	return MBOX_QUOTING_AUTO;
}

/* The index in the mailbox's sources of its first source file (G_MAXUINT: none). */
static guint
first_index(const UserMailbox *mb)
{
	for (guint k = 0; k < mb->sources->len; k++)
		if (g_ptr_array_index(mb->sources, k) != NULL)
			return k;
	return G_MAXUINT;
}

/* Step 2: each listed message to the file it goes to.  FALSE when MERGE cannot read a
 * source (it must know what the file holds). */
static gboolean
assign(Job *job, const UserMailbox *mb, const BackoutMailbox *list, GArray *files,
       GPtrArray *digests, HeldSet *held)
{
	BackoutContext *ctx = job->ctx;
	gboolean merge = ctx->target.mode == BACKOUT_MERGE;
	guint first = G_MAXUINT, first_k = first_index(mb);

	for (guint k = 0; k < mb->sources->len; k++) {
		const char *path = g_ptr_array_index(mb->sources, k);
		g_autoptr(GError) error = NULL;
		if (path == NULL)
			continue;
		FileWork fw = { .path = path, .messages = g_ptr_array_new(), .senders = g_ptr_array_new() };
		g_array_append_val(files, fw);
		if (first == G_MAXUINT)
			first = files->len - 1;
		GArray *d = g_array_new(FALSE, TRUE, sizeof(SourceDigest));
		g_array_set_clear_func(d, source_digest_clear);
		g_ptr_array_add(digests, d);
		/* MERGE: the file appended to is read as the first merge read it: how AUTO
		 * decided its quoting then is pinned in the journal, so that what later
		 * merges append cannot change how its old messages read */
		MboxReaderSettings rs = ctx->server->reader;
		g_autofree char *key = backout_target_key(ctx, path);
		const JournalRecord *pin = merge && k == first_k ?
		                           journal_find(job->journal, "quoting", key) : NULL;
		if (pin != NULL && !mbox_quoting_from_name(pin->detail, &rs.quoting))
			pin = NULL;
		MboxQuoting decided = rs.quoting;
		if (!source_digests_read(ctx->manifest, &rs, &ctx->server->fix, job->access, path, d, NULL, NULL, &decided,
		                         &error)) {
			gboolean gone = g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
			if (merge && !gone) {
				g_prefix_error(&error, "cannot tell which messages it holds: ");
				backout_fail(job, FAILURE_MAILBOX, path, 0, error);
				return FALSE;
			}
			/* without it: every message goes to the first file, with Return-Path */
			g_array_set_size(d, 0);
			if (!gone)
				report_at(ctx->report, REPORT_WARNING, path, 0, -1, "%s \"%s\": source not read "
				          "(%s): its messages are told apart by nothing; senders from Return-Path",
				          job->result->user, mb->name, error->message);
			g_clear_error(&error);
		} else if (merge && k == first_k && pin == NULL) {
			/* no pin (the journal lost): the file says how a merge read it, in its marks */
			MboxQuoting said = marked_quoting(d);
			if (said != MBOX_QUOTING_AUTO && said != decided) {
				g_array_set_size(d, 0);
				rs.quoting = said;
				if (!source_digests_read(ctx->manifest, &rs, &ctx->server->fix, job->access, path, d, NULL, NULL,
				                         &decided, &error)) {
					backout_fail(job, FAILURE_MAILBOX, path, 0, error);
					return FALSE;
				}
			}
		}
		backout_held_add(held, d, files->len - 1);
		FileWork *added = &g_array_index(files, FileWork, files->len - 1);
		added->quoting = decided == MBOX_QUOTING_AUTO ? MBOX_QUOTING_MBOXRD : decided;
		added->old = d;
		if (merge && k == first_k && pin == NULL &&
		    !journal_append(job->journal, "quoting", key, mbox_quoting_name(added->quoting), &error)) {
			backout_fail(job, FAILURE_MAILBOX, path, 0, error);
			return FALSE;
		}
	}
	if (first == G_MAXUINT) {
		g_autoptr(GError) error = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT,
		                                      "no source file in the manifest for it: its %u "
		                                      "messages have nowhere to go", list->messages->len);
		backout_fail(job, FAILURE_MAILBOX, NULL, 0, error);
		return FALSE;
	}
	for (guint i = 0; i < list->messages->len; i++) {
		const ImapDigest *m = g_ptr_array_index(list->messages, i);
		/* delivered by convert --method lmtp: by what was sent (backout-delivered.c) */
		Held *h = backout_held_claim(held, backout_original_sha1(list, m));
		if (h != NULL && merge) {
			job->result->held++;
			continue;
		}
		FileWork *fw = &g_array_index(files, FileWork, h ? h->file : first);
		g_ptr_array_add(fw->messages, (gpointer)m);
		g_ptr_array_add(fw->senders, h && h->digest->sender[0] ? h->digest->sender : NULL);
	}
	return TRUE;
}

static void
digests_free(gpointer array)
{
	g_array_unref(array);
}

/* The journal's key of a mailbox done: where it went too, so that a backout --into
 * one tree does not count for --in-place or for another tree. */
static char *
done_key(const BackoutContext *ctx, const char *mailbox)
{
	if (ctx->target.mode == BACKOUT_INTO)
		return g_strdup_printf("%s into %s", mailbox, ctx->target.into);
	return g_strdup_printf("%s %s", mailbox, ctx->target.mode == BACKOUT_IN_PLACE ? "in-place" : "merge");
}

/* The target of the file that rebuilds `source`, with what an earlier try left;
 * NULL after reporting why not. */
static BackoutTarget *
open_target(Job *job, const char *source)
{
	g_autofree char *key = backout_target_key(job->ctx, source);
	g_autoptr(GError) error = NULL;
	BackoutResume resume;
	BackoutAppend append;
	backout_resume_of(job, key, &resume, &append);
	BackoutTarget *target = backout_target_open(&job->ctx->target, job->ctx->manifest, job->access,
	                                            source, &resume, &error);
	/* an interrupted append found complete, cut back or settled by hand: said so, so
	 * that a later kill cannot bring it back */
	if (target != NULL && resume.pending != NULL &&
	    !journal_append(job->journal, "written", key, "an interrupted append settled", &error)) {
		backout_target_free(target);
		target = NULL;
	}
	if (target == NULL)
		backout_fail(job, FAILURE_MAILBOX, key, 0, error);
	return target;
}

/* The mailbox's first source file (where MERGE puts new mail), or NULL. */
static const char *
first_source(const UserMailbox *mb)
{
	guint k = first_index(mb);
	return k == G_MAXUINT ? NULL : g_ptr_array_index(mb->sources, k);
}

/* Steps 1-4 for one mailbox. */
static void
backout_mailbox(Job *job, const UserMailbox *mb, const char *prefix, const char *domain,
                gboolean no_row)
{
	BackoutContext *ctx = job->ctx;
	gboolean merge = ctx->target.mode == BACKOUT_MERGE;
	BackoutMailbox list = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) files = g_array_new(FALSE, TRUE, sizeof(FileWork));
	g_autoptr(GPtrArray) digests = g_ptr_array_new_with_free_func(digests_free);
	g_autoptr(HeldSet) held = backout_held_new();
	g_autofree char *personal = mailbox_name_personal(&ctx->server->naming, ctx->server->altnamespace,
	                                                  prefix, domain, mb->name);
	gboolean all = TRUE;

	g_array_set_clear_func(files, (GDestroyNotify)backout_file_work_clear);
	job->mailbox = mb->name;
	g_autofree char *done = done_key(ctx, mb->name);
	if (!merge && journal_find(job->journal, "done", done) != NULL) {
		job->result->mailboxes++;
		job->result->mailboxes_resumed++;
		return;
	}
	if (personal == NULL)   /* manifest_validate() lets no such row through */
		g_set_error(&error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO, "not a mailbox of %s", job->result->user);
	else
		ctx->source->mailbox_open(job->src, mb->name, personal, &list, &error);
	if (error != NULL && no_row && (g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO) ||
	                                g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))) {
		backout_mailbox_clear(&list);   /* no row, no INBOX in Cyrus either: nothing to do */
		return;
	}
	if (error != NULL) {
		backout_fail(job, FAILURE_MAILBOX, NULL, 0, error);
		job->result->mailboxes_failed++;
		backout_mailbox_clear(&list);
		return;
	}
	if (!backout_delivered_find(job, &list, mb->sources, &error)) {
		backout_fail(job, FAILURE_MAILBOX, NULL, 0, error);
		job->result->mailboxes_failed++;
		backout_mailbox_clear(&list);
		return;
	}
	fault_pause("backout-listed");
	/* MERGE: the file new mail goes to is locked before it is read (assign), so that
	 * what it holds cannot change until the append */
	BackoutTarget *merge_target = NULL;
	if (merge && first_source(mb) != NULL &&
	    (merge_target = open_target(job, first_source(mb))) == NULL) {
		job->result->mailboxes_failed++;
		backout_mailbox_clear(&list);
		return;
	}
	if (!assign(job, mb, &list, files, digests, held)) {
		backout_target_free(merge_target);
		job->result->mailboxes_failed++;
		backout_mailbox_clear(&list);
		return;
	}
	for (guint k = 0; k < files->len && !g_atomic_int_get(&ctx->stop); k++) {
		FileWork *fw = &g_array_index(files, FileWork, k);
		g_autofree char *key = backout_target_key(ctx, fw->path);
		BackoutTarget *target = NULL;
		if (merge) {
			if (k == 0)
				all &= backout_write_file(job, &list, fw, held, g_steal_pointer(&merge_target));
			continue;   /* new mail goes to the first file only */
		}
		if (journal_find(job->journal, "written", key) != NULL)
			continue;
		if ((target = open_target(job, fw->path)) == NULL)
			all = FALSE;
		else
			all &= backout_write_file(job, &list, fw, NULL, target);
	}
	backout_target_free(merge_target);
	backout_mailbox_clear(&list);
	if (!all || g_atomic_int_get(&ctx->stop)) {
		job->result->mailboxes_failed++;
		return;
	}
	job->result->mailboxes++;
	if (!journal_append(job->journal, "done", done, NULL, &error))
		backout_fail(job, FAILURE_MAILBOX, NULL, 0, error);
}

BackoutUser *
backout_user(BackoutContext *ctx, const char *user, GPtrArray *rows)
{
	BackoutUser *result = g_new0(BackoutUser, 1);
	g_autoptr(GPtrArray) mailboxes = user_mailboxes(rows);
	g_autoptr(GError) error = NULL;
	g_autoptr(UserAccess) access = NULL;
	g_autoptr(Journal) journal = NULL;
	g_autofree char *prefix = NULL;
	g_autofree char *domain = NULL;
	Job job = { .ctx = ctx, .result = result };

	result->user = g_strdup(user);
	result->failures = g_ptr_array_new_with_free_func((GDestroyNotify)failure_free);
	result->worst = REPORT_INFO;
	if (g_atomic_int_get(&ctx->stop))
		return result;
	result->started = TRUE;

	if (mailbox_name_user(&ctx->server->naming, user, &prefix, &domain, &error) &&
	    (access = manifest_source_user_access(ctx->manifest, user, &error)) != NULL &&
	    (journal = journal_open(ctx->state_dir, user, steps, &error)) != NULL) {
		job.access = access;
		job.journal = journal;
		job.src = ctx->source->user_open(&ctx->source_settings, user, &error);
	}
	if (job.src == NULL) {
		/* connecting: an unreachable server stops the run (every user would fail) */
		if (g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK)) {
			report_msg(ctx->report, REPORT_UNAVAILABLE, "%s: %s", user, error->message);
			g_atomic_int_set(&ctx->stop, 1);
			result->worst = REPORT_UNAVAILABLE;
		} else {
			backout_fail(&job, FAILURE_USER, NULL, 0, error);
			if (result->worst == REPORT_CONFIG)
				g_atomic_int_set(&ctx->stop, 1);
		}
		result->mailboxes_failed = mailboxes->len;
		return result;
	}
	/* no inbox file in the manifest (one empty at the cutover): it is still where the
	 * mail that came to Cyrus since goes back to */
	g_autofree char *inbox = g_strconcat(prefix, domain, NULL);
	g_autofree char *inbox_file = g_build_filename(ctx->manifest->inbox_dir ? ctx->manifest->inbox_dir
	                                               : "/var/mail", user, NULL);
	gboolean added = user_mailboxes_add_inbox(mailboxes, inbox, inbox_file);
	for (guint k = 0; k < mailboxes->len; k++) {
		if (g_atomic_int_get(&ctx->stop)) {
			result->mailboxes_failed += mailboxes->len - k;
			break;
		}
		backout_mailbox(&job, g_ptr_array_index(mailboxes, k), prefix, domain, added && k == 0);
	}
	job.mailbox = NULL;
	ctx->source->user_close(job.src);
	progress_user_done(ctx->progress);
	return result;
}
