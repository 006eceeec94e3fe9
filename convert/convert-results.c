/* convert-results.c -- see convert-results.h. */
#include "convert-results.h"

#include "tsv.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct MailboxResult {
	char *mailbox;
	char *source;
	char *error;
	guint64 messages, written, existed;
	gint64 bytes;
	gboolean x_uid;
	gboolean done;       /* every step of it recorded */
	GString *problems;   /* JSON objects, comma-separated */
	guint n_problems;
};

typedef struct {
	char *user;
	UserStatus status;
	char *error;
	GPtrArray *mailboxes;   /* MailboxResult* */
	gboolean final;         /* convert_results_user() said its outcome */
} UserResult;

/* What the summary needs of the users written out and let go. */
typedef struct {
	guint users_done, users_failed, users_not_started, mailboxes_failed, problems;
	guint64 messages;
	gint64 bytes;
} Totals;

struct ConvertResults {
	GMutex lock;
	char *method;
	/* Users are kept only until they are final and every user begun before them is:
	 * then written to the report (in the order they were begun) and let go, so that
	 * memory holds the users in progress, not the run's. */
	GQueue users;           /* UserResult*, in first-use order, not yet let go */
	GHashTable *by_user;    /* the same, by name */
	Totals done;            /* of the users let go */
	char *report_path;      /* NULL: no report */
	char *partial_path;     /* the report being written: REPORT.partial-XXXXXX */
	FILE *partial;
	guint written;          /* users written to it */
	int write_errno;        /* 0, or the first write's failure */
	double finish_seconds;
	double wall_seconds;
};

static void
mailbox_result_free(MailboxResult *mr)
{
	g_free(mr->mailbox);
	g_free(mr->source);
	g_free(mr->error);
	g_string_free(mr->problems, TRUE);
	g_free(mr);
}

static void
user_result_free(UserResult *ur)
{
	g_free(ur->user);
	g_free(ur->error);
	g_ptr_array_unref(ur->mailboxes);
	g_free(ur);
}

ConvertResults *
convert_results_new(const char *method, const char *report_path, GError **error)
{
	g_autoptr(ConvertResults) r = g_new0(ConvertResults, 1);
	g_mutex_init(&r->lock);
	r->method = g_strdup(method);
	g_queue_init(&r->users);
	r->by_user = g_hash_table_new(g_str_hash, g_str_equal);
	if (report_path != NULL) {
		r->report_path = g_strdup(report_path);
		/* a new file of our own (O_EXCL), never one a link names, nor another run's */
		r->partial_path = g_strconcat(report_path, ".partial-XXXXXX", NULL);
		int fd = g_mkstemp_full(r->partial_path, O_RDWR | O_CLOEXEC, 0644);
		if (fd < 0 || (r->partial = fdopen(fd, "w")) == NULL) {
			int errsv = errno;
			if (fd >= 0) {
				close(fd);
				unlink(r->partial_path);
			}
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv), "--report: %s: %s",
			            r->partial_path, g_strerror(errsv));
			return NULL;
		}
		g_autoptr(GString) head = g_string_new("{\"tool\":\"mbox2cyrus " M2C_VERSION " convert\",\"method\":");
		json_escape_append(head, method);
		g_string_append(head, ",\"users\":[");
		if (fputs(head->str, r->partial) == EOF)
			r->write_errno = errno;
	}
	return g_steal_pointer(&r);
}

void
convert_results_free(ConvertResults *results)
{
	if (results == NULL)
		return;
	g_hash_table_unref(results->by_user);
	g_queue_clear_full(&results->users, (GDestroyNotify)user_result_free);
	if (results->partial != NULL) {   /* not written whole: no report */
		fclose(results->partial);
		unlink(results->partial_path);
	}
	g_free(results->report_path);
	g_free(results->partial_path);
	g_free(results->method);
	g_mutex_clear(&results->lock);
	g_free(results);
}

static void let_go_locked(ConvertResults *r, gboolean all);

static UserResult *
user_locked(ConvertResults *r, const char *user)
{
	UserResult *ur = g_hash_table_lookup(r->by_user, user);
	if (ur == NULL) {
		ur = g_new0(UserResult, 1);
		ur->user = g_strdup(user);
		ur->mailboxes = g_ptr_array_new_with_free_func((GDestroyNotify)mailbox_result_free);
		g_queue_push_tail(&r->users, ur);
		g_hash_table_insert(r->by_user, ur->user, ur);
	}
	return ur;
}

MailboxResult *
convert_results_mailbox(ConvertResults *results, const char *user, const char *mailbox,
                        const char *source)
{
	MailboxResult *mr;
	g_mutex_lock(&results->lock);
	UserResult *ur = user_locked(results, user);
	for (guint i = 0; i < ur->mailboxes->len; i++) {
		mr = g_ptr_array_index(ur->mailboxes, i);
		if (strcmp(mr->mailbox, mailbox) == 0 && g_strcmp0(mr->source, source) == 0)
			goto out;
	}
	mr = g_new0(MailboxResult, 1);
	mr->mailbox = g_strdup(mailbox);
	mr->source = g_strdup(source);
	mr->problems = g_string_new(NULL);
	g_ptr_array_add(ur->mailboxes, mr);
out:
	g_mutex_unlock(&results->lock);
	return mr;
}


void
convert_results_problem(ConvertResults *results, MailboxResult *mr, const char *file,
                        guint64 msgno, gint64 offset, gboolean skipped, const char *text)
{
	g_mutex_lock(&results->lock);
	if (mr->n_problems++ > 0)
		g_string_append_c(mr->problems, ',');
	g_string_append(mr->problems, "{\"file\":");
	json_escape_append(mr->problems, file);
	g_string_append_printf(mr->problems, ",\"msg\":%" G_GUINT64_FORMAT ",\"offset\":%"
	                       G_GINT64_FORMAT ",\"skipped\":%s,\"text\":", msgno, offset,
	                       skipped ? "true" : "false");
	json_escape_append(mr->problems, text);
	g_string_append_c(mr->problems, '}');
	g_mutex_unlock(&results->lock);
}

void
convert_results_counts(ConvertResults *results, MailboxResult *mr, guint64 messages, gint64 bytes,
                       guint64 written, guint64 existed, gboolean x_uid)
{
	g_mutex_lock(&results->lock);
	mr->messages = messages;
	mr->bytes = bytes;
	mr->written = written;
	mr->existed = existed;
	mr->x_uid = x_uid;
	g_mutex_unlock(&results->lock);
}

void
convert_results_mailbox_failed(ConvertResults *results, MailboxResult *mr, const char *error)
{
	g_mutex_lock(&results->lock);
	if (mr->error == NULL)
		mr->error = g_strdup(error);
	g_mutex_unlock(&results->lock);
}

void
convert_results_mailbox_done(ConvertResults *results, MailboxResult *mr)
{
	g_mutex_lock(&results->lock);
	mr->done = TRUE;
	g_mutex_unlock(&results->lock);
}

gboolean
convert_results_mailbox_is_failed(ConvertResults *results, MailboxResult *mr)
{
	g_mutex_lock(&results->lock);
	gboolean failed = mr->error != NULL;
	g_mutex_unlock(&results->lock);
	return failed;
}

const char *
user_status_name(UserStatus status)
{
	static const char *const names[] = { "not started", "done", "already done", "failed" };
	g_assert((gsize)status < G_N_ELEMENTS(names));
	return names[status];
}

void
convert_results_user(ConvertResults *results, const char *user, UserStatus status,
                     const char *error)
{
	g_mutex_lock(&results->lock);
	UserResult *ur = user_locked(results, user);
	g_free(ur->error);
	ur->status = status;
	ur->error = g_strdup(error);
	ur->final = TRUE;
	let_go_locked(results, FALSE);
	g_mutex_unlock(&results->lock);
}

/* Add what `ur` amounts to into `t`. */
static void
add_totals(Totals *t, const UserResult *ur)
{
	if (ur->status == USER_FAILED)
		t->users_failed++;
	else if (ur->status == USER_NOT_STARTED)
		t->users_not_started++;
	else
		t->users_done++;
	for (guint k = 0; k < ur->mailboxes->len; k++) {
		MailboxResult *mr = g_ptr_array_index(ur->mailboxes, k);
		gboolean counted = FALSE;   /* a mailbox fed by several sources fails once */
		for (guint j = 0; mr->error != NULL && j < k && !counted; j++) {
			MailboxResult *earlier = g_ptr_array_index(ur->mailboxes, j);
			counted = earlier->error != NULL && strcmp(earlier->mailbox, mr->mailbox) == 0;
		}
		t->mailboxes_failed += mr->error != NULL && !counted;
		t->messages += mr->messages;
		/* a journal says how many bytes each delivery had: never overflow */
		t->bytes = mr->bytes > G_MAXINT64 - t->bytes ? G_MAXINT64 : t->bytes + mr->bytes;
		t->problems += mr->n_problems;
	}
}

/* The user's object in the report. */
static void
user_json(GString *out, const UserResult *ur)
{
	g_string_append(out, "\n{\"user\":");
	json_escape_append(out, ur->user);
	g_string_append(out, ",\"status\":");
	json_escape_append(out, user_status_name(ur->status));
	if (ur->error != NULL) {
		g_string_append(out, ",\"error\":");
		json_escape_append(out, ur->error);
	}
	g_string_append(out, ",\"mailboxes\":[");
	for (guint k = 0; k < ur->mailboxes->len; k++) {
		MailboxResult *mr = g_ptr_array_index(ur->mailboxes, k);
		g_string_append(out, k ? ",{\"mailbox\":" : "{\"mailbox\":");
		json_escape_append(out, mr->mailbox);
		g_string_append(out, ",\"source\":");
		json_string_or_null(out, mr->source);
		g_string_append(out, ",\"status\":");
		json_escape_append(out, mr->error ? "failed" : mr->done ? "done" : "not done");
		if (mr->error != NULL) {
			g_string_append(out, ",\"error\":");
			json_escape_append(out, mr->error);
		}
		g_string_append_printf(out, ",\"messages\":%" G_GUINT64_FORMAT ",\"bytes\":%"
		                       G_GINT64_FORMAT ",\"written\":%" G_GUINT64_FORMAT
		                       ",\"existed\":%" G_GUINT64_FORMAT ",\"uids\":\"%s\","
		                       "\"problems\":[%s]}", mr->messages, mr->bytes, mr->written,
		                       mr->existed, mr->x_uid ? "x-uid" : "sequence", mr->problems->str);
	}
	g_string_append(out, "]}");
}

/* Write out and let go the users at the head of the queue that are final (`all`: every
 * user, final or not).  Lock held. */
static void
let_go_locked(ConvertResults *r, gboolean all)
{
	UserResult *ur;
	while ((ur = g_queue_peek_head(&r->users)) != NULL && (ur->final || all)) {
		g_queue_pop_head(&r->users);
		g_hash_table_remove(r->by_user, ur->user);
		add_totals(&r->done, ur);
		if (r->partial != NULL && r->write_errno == 0) {
			g_autoptr(GString) out = g_string_new(r->written++ ? "," : "");
			user_json(out, ur);
			/* out of the buffer at once: the file shows the users done so far */
			if (fwrite(out->str, 1, out->len, r->partial) != out->len || fflush(r->partial) != 0)
				r->write_errno = errno ? errno : EIO;
		}
		user_result_free(ur);
	}
}

void
convert_results_totals(ConvertResults *results, guint *users_done, guint *users_failed,
                       guint *users_not_started, guint *mailboxes_failed, guint64 *messages,
                       gint64 *bytes, guint *problems)
{
	g_mutex_lock(&results->lock);
	Totals t = results->done;
	for (GList *l = results->users.head; l != NULL; l = l->next)
		add_totals(&t, l->data);
	g_mutex_unlock(&results->lock);
	*users_done = t.users_done;
	*users_failed = t.users_failed;
	*users_not_started = t.users_not_started;
	*mailboxes_failed = t.mailboxes_failed;
	*messages = t.messages;
	*bytes = t.bytes;
	*problems = t.problems;
}

void
convert_results_add_finish_time(ConvertResults *results, double seconds)
{
	g_mutex_lock(&results->lock);
	results->finish_seconds += seconds;
	g_mutex_unlock(&results->lock);
}

void
convert_results_set_wall_time(ConvertResults *results, double seconds)
{
	g_mutex_lock(&results->lock);
	results->wall_seconds = seconds;
	g_mutex_unlock(&results->lock);
}

gboolean
convert_results_write_json(ConvertResults *results, GError **error)
{
	ConvertResults *r = results;
	int errsv;

	if (r->partial == NULL)
		return TRUE;
	g_mutex_lock(&r->lock);
	let_go_locked(r, TRUE);
	if (r->write_errno == 0 &&
	    fprintf(r->partial, "\n],\"seconds\":%.3f,\"finish_seconds\":%.3f}\n",
	            r->wall_seconds, r->finish_seconds) < 0)
		r->write_errno = errno ? errno : EIO;
	if ((fflush(r->partial) != 0 || fsync(fileno(r->partial)) != 0) && r->write_errno == 0)
		r->write_errno = errno ? errno : EIO;
	if (fclose(r->partial) != 0 && r->write_errno == 0)
		r->write_errno = errno ? errno : EIO;
	r->partial = NULL;
	if (r->write_errno == 0 && rename(r->partial_path, r->report_path) != 0)
		r->write_errno = errno;
	errsv = r->write_errno;
	g_mutex_unlock(&r->lock);
	if (errsv != 0) {
		unlink(r->partial_path);
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv), "%s: %s",
		            r->report_path, g_strerror(errsv));
		return FALSE;
	}
	return TRUE;
}
