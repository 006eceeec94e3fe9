/* backout.c -- see backout.h for the rule; here, one user's steps:
 *   backout_user     who the user is, the journal, the source's session, each mailbox
 *   backout_mailbox  list, read the sources, assign each message to a file (assign)
 *   write_file       one file: target, writer, the bodies streamed through (the
 *                    handler), commit, journal */
#include "backout.h"

#include <string.h>

#include <openssl/evp.h>

#include "fault.h"
#include "imap-session.h"
#include "journal.h"
#include "mailbox-name.h"
#include "manifest-source.h"
#include "source-digest.h"
#include "tsv.h"
#include "user-mailboxes.h"

static const char *const steps[] = { "backup", "written", "done", "failed", NULL };

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

typedef struct {
	BackoutContext *ctx;
	BackoutUser *result;
	Journal *journal;
	const UserAccess *access;
	BackoutSourceUser *src;
	const char *mailbox;      /* the one being written, or NULL */
} Job;

/* Report, record and journal a failure of scope at least `where`. */
static void
fail(Job *job, FailureScope where, const char *path, guint32 uid, const GError *error)
{
	BackoutContext *ctx = job->ctx;
	Failure f = failure_classify(error, where);
	ReportSeverity severity = f.temporary ? REPORT_TEMPFAIL : REPORT_FAILED;
	BackoutFailure *bf = g_new0(BackoutFailure, 1);

	if (g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH) ||
	    g_error_matches(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED))
		severity = g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH) ? REPORT_CONFIG
		                                                                       : REPORT_DATAERR;
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

/* One source's messages by digest, so that each Cyrus message finds the file it came
 * from (the first unclaimed message with its digest, sources in order). */
typedef struct {
	guint file;               /* index into the mailbox's sources */
	const SourceDigest *digest;
	gboolean claimed;
} Held;

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

/* The first unclaimed message with digest `sha1`, claimed; NULL when none. */
static Held *
claim(GHashTable *held, const guint8 *sha1)
{
	for (GSList *l = g_hash_table_lookup(held, sha1); l != NULL; l = l->next) {
		Held *h = l->data;
		if (!h->claimed) {
			h->claimed = TRUE;
			return h;
		}
	}
	return NULL;
}

/* One file's work. */
typedef struct {
	const char *path;          /* the source's path */
	GPtrArray *messages;       /* const ImapDigest *, ascending UID */
	GPtrArray *senders;        /* const char * (or NULL), parallel */
} FileWork;

static void
file_work_clear(FileWork *fw)
{
	g_ptr_array_unref(fw->messages);
	g_ptr_array_unref(fw->senders);
}

/* Between write_file and the source's fetch: the message being written. */
typedef struct {
	Job *job;
	FileWork *fw;
	BackoutTarget *target;
	MboxWriter *writer;
	GHashTable *held;          /* MERGE: what the old file holds */
	EVP_MD_CTX *sha;           /* MERGE: the bytes with a line end added, see end */
	guint next;                /* index into fw->messages */
	guint64 start;             /* the target's offset where the message began */
	char last;                 /* the last byte of the body so far */
	guint64 messages, bytes, held_count;
	guint failed;
} Writing;

static gboolean
on_begin(const ImapDigest *message, gpointer data, GError **error)
{
	Writing *w = data;
	const char *sender = NULL;
	gboolean merge = w->job->ctx->target.mode == BACKOUT_MERGE;

	while (w->next < w->fw->messages->len && g_ptr_array_index(w->fw->messages, w->next) != message)
		w->next++;
	if (w->next < w->fw->senders->len)
		sender = g_ptr_array_index(w->fw->senders, w->next);
	w->start = backout_target_offset(w->target);
	w->last = '\n';
	if (merge && EVP_DigestInit_ex(w->sha, EVP_sha1(), NULL) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 unavailable");
		return FALSE;
	}
	return mbox_writer_begin(w->writer, sender, message->internaldate,
	                         (const char *const *)message->flags, merge ? 0 : message->uid, error);
}

static gboolean
on_body(const char *bytes, gsize len, gpointer data, GError **error)
{
	Writing *w = data;
	if (len == 0)
		return TRUE;
	w->last = bytes[len - 1];
	if (w->job->ctx->target.mode == BACKOUT_MERGE && EVP_DigestUpdate(w->sha, bytes, len) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
		return FALSE;
	}
	return mbox_writer_write(w->writer, bytes, len, error);
}

/* Leave the message out: the file back to where it began. */
static gboolean
roll_back(Writing *w, GError **error)
{
	mbox_writer_abort(w->writer);
	return backout_target_truncate(w->target, w->start, error);
}

static gboolean
on_error(const ImapDigest *message, const GError *why, gpointer data, GError **error)
{
	Writing *w = data;
	w->failed++;
	fail(w->job, FAILURE_MESSAGE, backout_target_path(w->target), message->uid, why);
	return roll_back(w, error);
}

static gboolean
on_end(const ImapDigest *message, const guint8 sha1[20], gpointer data, GError **error)
{
	Writing *w = data;

	if (memcmp(sha1, message->sha1, 20) != 0) {
		char want[41], got[41];
		imap_digest_hex(message->sha1, want);
		imap_digest_hex(sha1, got);
		g_autoptr(GError) why = g_error_new(G_FILE_ERROR, G_FILE_ERROR_FAILED,
		                                    "its bytes (SHA-1 %s) are not what Cyrus's index "
		                                    "says (%s): a damaged message file", got, want);
		return on_error(message, why, data, error);
	}
	/* MERGE: a message without a last line end gets one in the mbox, so a file merged
	 * before holds it with "\r\n" added: that is the digest to look for too */
	if (w->held != NULL && w->last != '\n') {
		guint8 with_end[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		if (EVP_DigestUpdate(w->sha, "\r\n", 2) == 1 &&
		    EVP_DigestFinal_ex(w->sha, with_end, &n) == 1 && n == 20 &&
		    claim(w->held, with_end) != NULL) {
			w->held_count++;
			return roll_back(w, error);
		}
	}
	if (!mbox_writer_end(w->writer, error))
		return FALSE;
	fault_point("backout-message");
	w->messages++;
	w->bytes += message->size;
	progress_add(w->job->ctx->progress, 1, (gint64)message->size);
	return TRUE;
}

static gboolean
backup_made(const char *backup, gpointer data, GError **error)
{
	Writing *w = data;
	if (!journal_append(w->job->journal, "backup", backout_target_path(w->target), backup, error))
		return FALSE;
	fault_point("backout-backup");
	return TRUE;
}

/* The journal's key of a file: where it is written (backout_target_path). */
static char *
target_key(const BackoutContext *ctx, const char *source)
{
	return ctx->target.mode == BACKOUT_INTO ? g_build_filename(ctx->target.into, source, NULL)
	                                        : g_strdup(source);
}

static gboolean
journal_written(Journal *journal, const char *path, guint64 messages, guint64 bytes, GError **error)
{
	g_autofree char *detail = g_strdup_printf("messages=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT,
	                                          messages, bytes);
	return journal_append(journal, "written", path, detail, error);
}

/* Step 3: one file.  TRUE when every message is in it and it is journaled. */
static gboolean
write_file(Job *job, const BackoutMailbox *list, FileWork *fw, GHashTable *held)
{
	static const BackoutBodyHandler handler = { on_begin, on_body, on_end, on_error };
	BackoutContext *ctx = job->ctx;
	g_autoptr(GError) error = NULL;
	g_autofree char *key = target_key(ctx, fw->path);
	const JournalRecord *rec = journal_find(job->journal, "backup", key);
	g_autoptr(BackoutTarget) target = backout_target_open(&ctx->target, ctx->manifest, job->access,
	                                                      fw->path, rec ? rec->detail : NULL, &error);
	g_autoptr(MboxWriter) writer = NULL;
	Writing w = { .job = job, .fw = fw, .target = target, .held = held };
	const char *path = key;

	if (target == NULL)
		goto failed;
	writer = w.writer = mbox_writer_new(&ctx->writer, backout_target_write, target);
	if ((ctx->target.mode != BACKOUT_MERGE || !backout_target_had_file(target)) &&
	    !mbox_writer_folder_data(writer, list->uidvalidity, list->uidnext - 1,
	                             (const char *const *)list->keywords, g_get_real_time() / G_USEC_PER_SEC,
	                             &error))
		goto failed;
	if (fw->messages->len > 0) {
		w.sha = EVP_MD_CTX_new();
		gboolean ok = w.sha != NULL &&
		              ctx->source->fetch(job->src, (const ImapDigest *const *)fw->messages->pdata,
		                                 fw->messages->len, &handler, &w, &error);
		EVP_MD_CTX_free(w.sha);
		if (!ok) {
			if (error == NULL)
				g_set_error(&error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "no memory for a SHA-1");
			goto failed;
		}
	}
	if (ctx->target.mode == BACKOUT_MERGE && w.messages == 0 && w.failed == 0 &&
	    backout_target_had_file(target)) {
		job->result->held += w.held_count;   /* nothing to add: the file stays as it is */
		return TRUE;
	}
	if (!backout_target_commit(target, backup_made, &w, &error))
		goto failed;
	fault_point("backout-commit");
	job->result->files++;
	job->result->messages += w.messages;
	job->result->bytes += w.bytes;
	job->result->held += w.held_count;
	if (w.failed > 0)
		return FALSE;
	if (journal_written(job->journal, path, w.messages, w.bytes, &error))
		return TRUE;
failed:
	fail(job, FAILURE_MAILBOX, path, 0, error);
	return FALSE;
}

/* Step 2: each listed message to the file it goes to.  FALSE when MERGE cannot read a
 * source (it must know what the file holds). */
static gboolean
assign(Job *job, const UserMailbox *mb, const BackoutMailbox *list, GArray *files,
       GPtrArray *digests, GHashTable *held)
{
	BackoutContext *ctx = job->ctx;
	gboolean merge = ctx->target.mode == BACKOUT_MERGE;
	guint first = G_MAXUINT;

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
		if (!source_digests_read(ctx->manifest, &ctx->server->reader, job->access, path, d, NULL,
		                         NULL, &error)) {
			gboolean gone = g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
			if (merge && !gone) {
				g_prefix_error(&error, "cannot tell which messages it holds: ");
				fail(job, FAILURE_MAILBOX, path, 0, error);
				return FALSE;
			}
			/* without it: every message goes to the first file, with Return-Path */
			g_array_set_size(d, 0);
			if (!gone)
				report_at(ctx->report, REPORT_WARNING, path, 0, -1, "%s \"%s\": source not read "
				          "(%s): its messages are told apart by nothing; senders from Return-Path",
				          job->result->user, mb->name, error->message);
		}
		for (guint i = 0; i < d->len; i++) {
			SourceDigest *s = &g_array_index(d, SourceDigest, i);
			Held *h = g_new0(Held, 1);
			h->file = files->len - 1;
			h->digest = s;
			GSList *l = g_hash_table_lookup(held, s->sha1);
			g_hash_table_replace(held, s->sha1, g_slist_append(l, h));
		}
	}
	if (first == G_MAXUINT) {
		g_autoptr(GError) error = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT,
		                                      "no source file in the manifest for it: its %u "
		                                      "messages have nowhere to go", list->messages->len);
		fail(job, FAILURE_MAILBOX, NULL, 0, error);
		return FALSE;
	}
	for (guint i = 0; i < list->messages->len; i++) {
		const ImapDigest *m = g_ptr_array_index(list->messages, i);
		Held *h = claim(held, m->sha1);
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
held_list_free(gpointer list)
{
	g_slist_free_full(list, g_free);
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

/* Steps 1-4 for one mailbox. */
static void
backout_mailbox(Job *job, const UserMailbox *mb, const char *prefix, const char *domain)
{
	BackoutContext *ctx = job->ctx;
	gboolean merge = ctx->target.mode == BACKOUT_MERGE;
	BackoutMailbox list = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) files = g_array_new(FALSE, TRUE, sizeof(FileWork));
	g_autoptr(GPtrArray) digests = g_ptr_array_new_with_free_func(digests_free);
	g_autoptr(GHashTable) held = g_hash_table_new_full(sha1_hash, sha1_equal, NULL, held_list_free);
	g_autofree char *personal = mailbox_name_personal(&ctx->server->naming, ctx->server->altnamespace,
	                                                  prefix, domain, mb->name);
	gboolean all = TRUE;

	g_array_set_clear_func(files, (GDestroyNotify)file_work_clear);
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
	if (error != NULL) {
		fail(job, FAILURE_MAILBOX, NULL, 0, error);
		job->result->mailboxes_failed++;
		backout_mailbox_clear(&list);
		return;
	}
	if (!assign(job, mb, &list, files, digests, held)) {
		job->result->mailboxes_failed++;
		backout_mailbox_clear(&list);
		return;
	}
	for (guint k = 0; k < files->len && !g_atomic_int_get(&ctx->stop); k++) {
		FileWork *fw = &g_array_index(files, FileWork, k);
		g_autofree char *key = target_key(ctx, fw->path);
		if (!merge && journal_find(job->journal, "written", key) != NULL)
			continue;
		if (merge && fw->messages->len == 0)
			continue;
		all &= write_file(job, &list, fw, merge ? held : NULL);
	}
	backout_mailbox_clear(&list);
	if (!all || g_atomic_int_get(&ctx->stop)) {
		job->result->mailboxes_failed++;
		return;
	}
	job->result->mailboxes++;
	if (!journal_append(job->journal, "done", done, NULL, &error))
		fail(job, FAILURE_MAILBOX, NULL, 0, error);
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
			fail(&job, FAILURE_USER, NULL, 0, error);
			if (result->worst == REPORT_CONFIG)
				g_atomic_int_set(&ctx->stop, 1);
		}
		result->mailboxes_failed = mailboxes->len;
		return result;
	}
	for (guint k = 0; k < mailboxes->len; k++) {
		if (g_atomic_int_get(&ctx->stop)) {
			result->mailboxes_failed += mailboxes->len - k;
			break;
		}
		backout_mailbox(&job, g_ptr_array_index(mailboxes, k), prefix, domain);
	}
	job.mailbox = NULL;
	ctx->source->user_close(job.src);
	progress_user_done(ctx->progress);
	return result;
}
