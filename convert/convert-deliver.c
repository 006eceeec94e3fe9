/* convert-deliver.c -- step 3 of convert (convert-user.c has the order): each
 * source delivered by the method in manifest order, or, when an earlier run delivered
 * it, recalled from the journal; the DeliveryTarget a method reports to (method.h):
 * problems of single messages, messages stored, notes, checkpoints journaled at once. */
#include "convert-user-private.h"

#include <string.h>

typedef struct {
	Job *job;
	Source *source;
} TargetData;

/* DeliveryTarget.problem */
static void
problem(gpointer data, const MboxMessage *m, gboolean stored, const char *text)
{
	TargetData *td = data;
	ConvertContext *ctx = td->job->ctx;
	Source *s = td->source;
	convert_results_problem(ctx->results, s->result, s->path, m->number, m->from_offset, !stored, text);
	report_at(ctx->report, stored ? REPORT_WARNING : REPORT_FAILED, s->path, m->number,
	          m->from_offset, "%s%s", stored ? "" : "not stored: ", text);
	g_ptr_array_add(stored ? s->warnings : s->problems,
	                problem_detail_format(m->number, m->from_offset, text));
}

/* DeliveryTarget.stored: remember each message's flags for step 5. */
static void
stored(gpointer data, const MboxMessage *m, guint32 uid)
{
	TargetData *td = data;
	td->source->stored_now++;
	flag_groups_add(td->source->flag_groups, m, uid);
}

/* Problems and warnings reported so far by this delivery: journaled, each kind in
 * one write (a rerun says them again). */
static gboolean
journal_problems(Job *job, Source *s, GError **error)
{
	if (!journal_append_many(job->journal, STEP_PROBLEM, s->key, (const char *const *)s->problems->pdata,
	                         s->problems->len, error) ||
	    !journal_append_many(job->journal, STEP_WARNING, s->key, (const char *const *)s->warnings->pdata,
	                         s->warnings->len, error))
		return FALSE;
	s->kept_out_now += s->problems->len;
	g_ptr_array_set_size(s->problems, 0);
	g_ptr_array_set_size(s->warnings, 0);
	return TRUE;
}

/* DeliveryTarget.note */
static void
note(gpointer data, const char *text)
{
	TargetData *td = data;
	report_msg(td->job->ctx->report, REPORT_INFO, "%s: %s: %s", td->job->user, td->source->path, text);
}

/* DeliveryTarget.checkpoint */
static gboolean
checkpoint(gpointer data, const char *detail, GError **error)
{
	TargetData *td = data;
	return journal_problems(td->job, td->source, error) &&
	       journal_append(td->job->journal, STEP_CHECKPOINT, td->source->key, detail, error);
}

/* The source's checkpoints, NULL-terminated (an empty array may have no pdata). */
static const char *const *
source_checkpoints(const Source *s)
{
	static const char *const none[] = { NULL };
	return s->checkpoints->len > 0 ? (const char *const *)s->checkpoints->pdata : none;
}

static guint
sources_with_files(const Mailbox *mb)
{
	guint n = 0;
	for (guint i = 0; i < mb->sources->len; i++)
		n += ((Source *)g_ptr_array_index(mb->sources, i))->path != NULL;
	return n;
}

static void
count_delivery(Job *job, Source *s)
{
	ConvertContext *ctx = job->ctx;
	const Delivery *d = &s->delivery;
	convert_results_counts(ctx->results, s->result, d->messages, d->bytes, d->written,
	                       d->stored - d->written, d->x_uid);
	progress_add(ctx->progress, d->messages, d->bytes);
}

/* What an earlier run could not store of this source: said again, never forgotten. */
static void
report_old_problems(Job *job, Source *s)
{
	ConvertContext *ctx = job->ctx;
	for (guint i = 0; i < s->old_problems->len; i++) {
		guint64 msgno;
		gint64 offset;
		const char *text;
		if (!problem_detail_parse(g_ptr_array_index(s->old_problems, i), &msgno, &offset, &text))
			continue;   /* job_load_journal() checked them */
		convert_results_problem(ctx->results, s->result, s->path, msgno, offset, TRUE, text);
		report_at(ctx->report, REPORT_FAILED, s->path, msgno, offset, "not stored (an earlier "
		          "run): %s", text);
	}
	for (guint i = 0; i < s->old_warnings->len; i++) {
		guint64 msgno;
		gint64 offset;
		const char *text;
		if (!problem_detail_parse(g_ptr_array_index(s->old_warnings, i), &msgno, &offset, &text))
			continue;
		convert_results_problem(ctx->results, s->result, s->path, msgno, offset, FALSE, text);
		report_at(ctx->report, REPORT_WARNING, s->path, msgno, offset, "(an earlier run) %s", text);
	}
}

/* An earlier run's delivery of `s`: the method takes its detail back. */
static gboolean
recall(Job *job, Source *s, const DeliveryTarget *target, GError **error)
{
	const JournalRecord *r = journal_find(job->journal, STEP_DELIVERED, s->key);
	g_autoptr(GError) local = NULL;

	if (!job->ctx->method->recall(job->method_user, target, r->detail, &s->delivery, &local)) {
		g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED,
		            "%s:%u: damaged journal line: %s", journal_path(job->journal), r->line,
		            local->message);
		return FALSE;
	}
	count_delivery(job, s);
	report_old_problems(job, s);
	return TRUE;
}

/* The method found a checkpoint of `s` it did not write: the journal's FILE:LINE. */
static gboolean
damaged_checkpoint(Job *job, Source *s, const GError *local, GError **error)
{
	guint line = 0;
	for (guint i = 0; i < journal_n_records(job->journal) && line == 0; i++) {
		const JournalRecord *r = journal_record_at(job->journal, i);
		if (strcmp(r->step, STEP_CHECKPOINT) != 0 || strcmp(r->key, s->key) != 0)
			continue;
		g_autofree char *shown = g_strndup(r->detail, 80);   /* as the method quotes it */
		if (strstr(local->message, shown) != NULL)
			line = r->line;
	}
	g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED, "%s:%u: damaged journal "
	            "line: %s", journal_path(job->journal), line, local->message);
	return FALSE;
}

/* Step 3 for one source not delivered before.  FALSE with an error only for failures
 * wider than its mailbox. */
static gboolean
deliver(Job *job, Source *s, const DeliveryTarget *target, GError **error)
{
	ConvertContext *ctx = job->ctx;
	g_autoptr(GError) local = NULL;
	g_autofree char *detail = NULL;
	g_autofree char *identity = NULL;
	g_autoptr(MboxReader) reader = convert_open_source(ctx, job->access, s->path, &identity, &local);

	s->flag_groups = flag_groups_new();
	/* a delivery redone after a crash must read the file the first one read: an
	 * existing message file stands for the message of the same number */
	if (reader != NULL && !source_is_unchanged(job, s, identity, &local))
		g_clear_pointer(&reader, mbox_reader_free);
	const JournalRecord *read = journal_find(job->journal, STEP_READ, s->key);
	gboolean first = read == NULL || strcmp(read->detail, READ_NOTHING_STORED) == 0;
	DeliveryTarget fresh = *target;
	if (!first && s->checkpoints->len > 0)
		report_old_problems(job, s);   /* journaled with the parts stored before */
	if (reader != NULL && first) {
		if (!journal_append(job->journal, STEP_READ, s->key, identity, error))
			return FALSE;
		/* a delivery begins on a file: what an earlier try that stored nothing
		 * checkpointed is forgotten, as job_load_journal() forgets it on a rerun */
		g_ptr_array_set_size(s->checkpoints, 0);
		fresh.checkpoints = source_checkpoints(s);
	}
	if (reader == NULL ||
	    !ctx->method->deliver(job->method_user, &fresh, reader, &s->delivery, &detail, &local)) {
		/* nothing of it stored, nor journaled as kept out, by a first try: the next
		 * try may read another file */
		if (g_error_matches(local, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED))
			return damaged_checkpoint(job, s, local, error);
		if (reader != NULL && first && s->stored_now == 0 && s->kept_out_now == 0 &&
		    !journal_append(job->journal, STEP_READ, s->key, READ_NOTHING_STORED, error))
			return FALSE;
		if (failure_classify(local, FAILURE_MAILBOX).scope > FAILURE_MAILBOX) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		job_fail(job, s->key, FAILURE_MAILBOX, local);
		return TRUE;
	}
	if (!journal_problems(job, s, error) ||
	    !journal_append(job->journal, STEP_DELIVERED, s->key, detail, error))
		return FALSE;
	s->delivered_line = journal_find(job->journal, STEP_DELIVERED, s->key)->line;
	count_delivery(job, s);
	return TRUE;
}

/* Every checkpoint of the user's journal, in order (borrowed), NULL-terminated. */
static GPtrArray *
user_checkpoints(Job *job)
{
	GPtrArray *all = g_ptr_array_new_null_terminated(0, NULL, TRUE);
	for (guint i = 0; i < journal_n_records(job->journal); i++) {
		const JournalRecord *r = journal_record_at(job->journal, i);
		if (strcmp(r->step, STEP_CHECKPOINT) == 0)
			g_ptr_array_add(all, (gpointer)r->detail);
	}
	g_ptr_array_add(all, NULL);   /* pdata even when empty */
	g_ptr_array_set_size(all, all->len - 1);
	return all;
}

gboolean
job_deliver_sources(Job *job, GError **error)
{
	g_autoptr(GPtrArray) all = user_checkpoints(job);
	for (guint i = 0; i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		TargetData td = { job, s };
		DeliveryTarget target = {
			.mailbox = s->mailbox->name, .source = s->path,
			.n_sources = sources_with_files(s->mailbox),
			.problem = problem, .stored = stored, .note = note, .checkpoint = checkpoint,
			.checkpoints = source_checkpoints(s),
			.user_checkpoints = (const char *const *)all->pdata, .data = &td,
		};
		if (s->path == NULL || s->mailbox->failed)
			continue;
		if (s->delivered_line > 0 ? !recall(job, s, &target, error) : !deliver(job, s, &target, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
job_recall_sources(Job *job, GError **error)
{
	for (guint i = 0; i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		DeliveryTarget target = { .mailbox = s->mailbox->name, .source = s->path,
		                          .n_sources = sources_with_files(s->mailbox),
		                          .checkpoints = source_checkpoints(s) };
		if (s->path != NULL && !recall(job, s, &target, error))
			return FALSE;
	}
	return TRUE;
}
