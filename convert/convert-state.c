/* convert-state.c -- what convert remembers of a user: the journal's steps (journal.h
 * is the generic log), the details of the shared steps with their writers and parsers
 * side by side, the reading of a user's journal into the job, and the failures of this
 * run (reported, kept in the results, journaled).  A method's delivery detail is the
 * method's own (method.h: recall). */
#include "convert-user-private.h"

#include <string.h>

#include <gio/gio.h>

#include "tsv.h"

const char *const convert_journal_steps[] = {
	STEP_CREATED, STEP_READ, STEP_DELIVERED, STEP_FINISHED, STEP_FLAGGED, STEP_SUBSCRIBED,
	STEP_PROBLEM, STEP_FAILED, STEP_DONE, STEP_CHECKPOINT, STEP_WARNING, NULL
};

gboolean
source_is_unchanged(Job *job, Source *s, const char *identity, GError **error)
{
	const JournalRecord *r = journal_find(job->journal, STEP_READ, s->key);
	if (r == NULL || strcmp(r->detail, READ_NOTHING_STORED) == 0 || strcmp(r->detail, identity) == 0)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
	            "changed since an earlier run began to deliver it (%s:%u: %s; now %s): what "
	            "is stored may not match it; put the file back as it was, or delete the "
	            "mailbox in Cyrus and its lines and this source's from the journal, then rerun",
	            journal_path(job->journal), r->line, r->detail, identity);
	return FALSE;
}

char *
count_detail_format(guint32 messages)
{
	return g_strdup_printf("messages=%u", messages);
}

/* The number in [start, end): decimal digits only (no sign, no blanks), at most `max`.
 * Not sscanf: its %u takes "-1" and wraps, and cuts 4294967296 to 0 without a word. */
static gboolean
parse_decimal(const char *start, const char *end, guint64 max, guint64 *out)
{
	g_autofree char *digits = g_strndup(start, (gsize)(end - start));
	return tsv_parse_number(digits, max, out);
}

gboolean
count_detail_parse(const char *detail, guint32 *messages_out)
{
	guint64 n;
	if (!g_str_has_prefix(detail, "messages=") ||
	    !parse_decimal(detail + strlen("messages="), detail + strlen(detail), G_MAXUINT32, &n))
		return FALSE;
	*messages_out = (guint32)n;
	return TRUE;
}

char *
problem_detail_format(guint64 msgno, gint64 offset, const char *text)
{
	return g_strdup_printf("msg=%" G_GUINT64_FORMAT " offset=%" G_GINT64_FORMAT " %s", msgno,
	                       offset, text);
}

/* Exactly what the writer writes: one space after each number, the text after the
 * second kept whole (a text may start with blanks); a file offset is never negative. */
gboolean
problem_detail_parse(const char *detail, guint64 *msgno_out, gint64 *offset_out,
                     const char **text_out)
{
	const char *sp1 = strchr(detail, ' ');
	const char *sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	guint64 n, off;
	if (sp2 == NULL || !g_str_has_prefix(detail, "msg=") || !g_str_has_prefix(sp1 + 1, "offset=") ||
	    !parse_decimal(detail + strlen("msg="), sp1, G_MAXUINT64, &n) ||
	    !parse_decimal(sp1 + 1 + strlen("offset="), sp2, G_MAXINT64, &off))
		return FALSE;
	*msgno_out = n;
	*offset_out = (gint64)off;
	*text_out = sp2 + 1;
	return TRUE;
}

char *
failure_detail_format(Failure failure, const char *text)
{
	return g_strdup_printf("%s %s %s", failure_scope_name(failure.scope),
	                       failure.temporary ? "temporary" : "permanent", text);
}

gboolean
failure_detail_parse(const char *detail, Failure *failure_out, const char **text_out)
{
	const char *sp1 = strchr(detail, ' ');
	const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp2 == NULL)
		return FALSE;
	g_autofree char *scope = g_strndup(detail, (gsize)(sp1 - detail));
	g_autofree char *kind = g_strndup(sp1 + 1, (gsize)(sp2 - sp1 - 1));
	if (!failure_scope_from_name(scope, &failure_out->scope))
		return FALSE;
	if (strcmp(kind, "temporary") == 0)
		failure_out->temporary = TRUE;
	else if (strcmp(kind, "permanent") == 0)
		failure_out->temporary = FALSE;
	else
		return FALSE;
	*text_out = sp2 + 1;
	return TRUE;
}

static Source *
source_of_key(Job *job, const char *key)
{
	for (guint i = 0; i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		if (strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

Mailbox *
mailbox_of_name(Job *job, const char *name)
{
	for (guint i = 0; i < job->mailboxes->len; i++) {
		Mailbox *mb = g_ptr_array_index(job->mailboxes, i);
		if (strcmp(mb->name, name) == 0)
			return mb;
	}
	return NULL;
}

static gboolean
damaged(Job *job, const JournalRecord *r, const char *what, GError **error)
{
	g_autofree char *shown = tsv_escape_cut(r->detail, strlen(r->detail), 80);
	g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED,
	            "%s:%u: damaged journal line: %s %s: \"%s\"", journal_path(job->journal),
	            r->line, r->step, what, shown);
	return FALSE;
}

/* A unit's failures are open until a later record says the unit's work was done. */
typedef struct {
	const char *key;
	guint line;
} OpenFailure;

gboolean
job_load_journal(Job *job, GError **error)
{
	g_autoptr(GArray) open_failures = g_array_new(FALSE, FALSE, sizeof(OpenFailure));

	for (guint i = 0; i < journal_n_records(job->journal); i++) {
		const JournalRecord *r = journal_record_at(job->journal, i);
		Source *s = NULL;
		Mailbox *mb = NULL;
		guint32 n;

		if (strcmp(r->step, STEP_CREATED) == 0 || strcmp(r->step, STEP_FINISHED) == 0) {
			if (!count_detail_parse(r->detail, &n))
				return damaged(job, r, "not messages=N", error);
			if ((mb = mailbox_of_name(job, r->key)) == NULL)
				continue;   /* no longer in the manifest */
			if (strcmp(r->step, STEP_CREATED) == 0) {
				mb->created = TRUE;
				mb->baseline = n;
			} else {
				mb->finished_line = r->line;
			}
		} else if (strcmp(r->step, STEP_DELIVERED) == 0) {
			if ((s = source_of_key(job, r->key)) != NULL)
				s->delivered_line = r->line;   /* the detail is the method's: recall */
		} else if (strcmp(r->step, STEP_READ) == 0) {
			/* a delivery begins on a file: what was checkpointed before is of another */
			if ((s = source_of_key(job, r->key)) != NULL && strcmp(r->detail, READ_NOTHING_STORED) != 0) {
				g_ptr_array_set_size(s->checkpoints, 0);
				g_ptr_array_set_size(s->old_warnings, 0);   /* of the messages stored then */
			}
		} else if (strcmp(r->step, STEP_CHECKPOINT) == 0) {
			if ((s = source_of_key(job, r->key)) != NULL)
				g_ptr_array_add(s->checkpoints, (gpointer)r->detail);   /* the method's */
		} else if (strcmp(r->step, STEP_FLAGGED) == 0 || strcmp(r->step, STEP_SUBSCRIBED) == 0) {
			if ((s = source_of_key(job, r->key)) == NULL)
				continue;
			if (strcmp(r->step, STEP_FLAGGED) == 0)
				s->flagged = TRUE;
			else
				s->subscribed = TRUE;
		} else if (strcmp(r->step, STEP_PROBLEM) == 0 || strcmp(r->step, STEP_WARNING) == 0) {
			gboolean warning = strcmp(r->step, STEP_WARNING) == 0;
			guint64 msgno;
			gint64 offset;
			const char *text;
			if (!problem_detail_parse(r->detail, &msgno, &offset, &text))
				return damaged(job, r, "not a message problem", error);
			if ((s = source_of_key(job, r->key)) == NULL)
				continue;
			/* a delivery redone after a crash journals its problems again */
			char *seen = g_strconcat(warning ? "W" : "P", r->detail, NULL);
			if (g_hash_table_add(s->old_seen, seen))
				g_ptr_array_add(warning ? s->old_warnings : s->old_problems, (gpointer)r->detail);
		} else if (strcmp(r->step, STEP_FAILED) == 0) {
			Failure f;
			const char *text;
			if (!failure_detail_parse(r->detail, &f, &text))
				return damaged(job, r, "not a failure record", error);
			OpenFailure of = { r->key, r->line };
			g_array_append_val(open_failures, of);
		} else if (strcmp(r->step, STEP_DONE) == 0) {
			job->done_before = TRUE;
		}
	}
	/* a failure is closed by a later record of its unit's work */
	for (guint i = 0; i < open_failures->len; i++) {
		OpenFailure *of = &g_array_index(open_failures, OpenFailure, i);
		Source *s = source_of_key(job, of->key);
		Mailbox *mb = mailbox_of_name(job, of->key);
		gboolean closed = FALSE;
		if (s != NULL)
			closed = s->delivered_line > of->line && s->mailbox->finished_line > of->line;
		else if (mb != NULL)
			closed = mb->finished_line > of->line;
		const JournalRecord *done = journal_find(job->journal, STEP_DONE, "");
		if (done != NULL && done->line > of->line)
			closed = TRUE;
		/* A mailbox that did not count what was delivered is finished and counted
		 * again by the rerun, never delivered again: once Cyrus has indexed it, a
		 * message file written again under a known UID is given a new UID by
		 * reconstruct -- a copy on every rerun (measured). */
		job->failures_before += !closed;
	}
	return TRUE;
}

/* Mark what `key` names failed in this run: a source (and its mailbox), a mailbox
 * (and its sources), or nothing more for the user (""). */
static void
mark_failed(Job *job, const char *key, const char *text)
{
	ConvertResults *results = job->ctx->results;
	for (guint i = 0; i < job->sources->len; i++) {
		Source *s = g_ptr_array_index(job->sources, i);
		if (strcmp(s->key, key) == 0 || strcmp(s->mailbox->name, key) == 0) {
			s->failed = s->mailbox->failed = TRUE;
			convert_results_mailbox_failed(results, s->result, text);
		}
	}
	for (guint i = 0; i < job->mailboxes->len; i++) {
		Mailbox *mb = g_ptr_array_index(job->mailboxes, i);
		if (strcmp(mb->name, key) == 0)
			mb->failed = TRUE;
	}
}

Failure
job_fail(Job *job, const char *key, FailureScope where, const GError *error)
{
	ConvertContext *ctx = job->ctx;
	Failure f = failure_classify(error, where);
	ReportSeverity severity = f.temporary ? REPORT_TEMPFAIL : REPORT_FAILED;
	const char *tab = strchr(key, '\t');
	const char *why = f.temporary ? " (temporary: safe to rerun)" : "";

	if (g_error_matches(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED))
		severity = REPORT_DATAERR;
	if (tab != NULL) {
		g_autofree char *mailbox = g_strndup(key, (gsize)(tab - key));
		report_at(ctx->report, severity, tab + 1, 0, -1, "%s \"%s\": %s%s", job->user, mailbox,
		          error->message, why);
	} else if (*key != '\0') {
		report_msg(ctx->report, severity, "%s \"%s\": %s%s", job->user, key, error->message, why);
	} else {
		report_msg(ctx->report, severity, "%s: %s%s", job->user, error->message, why);
	}
	mark_failed(job, key, error->message);
	job->failures++;
	if (job->journal != NULL) {
		g_autofree char *detail = failure_detail_format(f, error->message);
		(void)journal_append(job->journal, STEP_FAILED, key, detail, NULL);   /* reported above */
	}
	if (f.scope == FAILURE_RUN)
		g_atomic_int_set(&ctx->stopped, 1);
	return f;
}

void
source_fail(Job *job, Source *s, const char *text)
{
	g_autoptr(GError) error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, text);
	job_fail(job, s->key, FAILURE_MAILBOX, error);
}

void
mailbox_fail(Job *job, Mailbox *mb, const char *text)
{
	g_autoptr(GError) error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, text);
	job_fail(job, mb->name, FAILURE_MAILBOX, error);
}
