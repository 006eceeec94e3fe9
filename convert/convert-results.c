/* convert-results.c -- see convert-results.h. */
#include "convert-results.h"

#include "tsv.h"

#include <string.h>

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
} UserResult;

struct ConvertResults {
	GMutex lock;
	char *method;
	GPtrArray *users;       /* UserResult*, in first-use order */
	GHashTable *by_user;
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
convert_results_new(const char *method)
{
	ConvertResults *r = g_new0(ConvertResults, 1);
	g_mutex_init(&r->lock);
	r->method = g_strdup(method);
	r->users = g_ptr_array_new_with_free_func((GDestroyNotify)user_result_free);
	r->by_user = g_hash_table_new(g_str_hash, g_str_equal);
	return r;
}

void
convert_results_free(ConvertResults *results)
{
	if (results == NULL)
		return;
	g_hash_table_unref(results->by_user);
	g_ptr_array_unref(results->users);
	g_free(results->method);
	g_mutex_clear(&results->lock);
	g_free(results);
}

static UserResult *
user_locked(ConvertResults *r, const char *user)
{
	UserResult *ur = g_hash_table_lookup(r->by_user, user);
	if (ur == NULL) {
		ur = g_new0(UserResult, 1);
		ur->user = g_strdup(user);
		ur->mailboxes = g_ptr_array_new_with_free_func((GDestroyNotify)mailbox_result_free);
		g_ptr_array_add(r->users, ur);
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
	g_mutex_unlock(&results->lock);
}

void
convert_results_totals(ConvertResults *results, guint *users_done, guint *users_failed,
                       guint *users_not_started, guint *mailboxes_failed, guint64 *messages,
                       gint64 *bytes, guint *problems)
{
	*users_done = *users_failed = *users_not_started = *mailboxes_failed = *problems = 0;
	*messages = 0;
	*bytes = 0;
	g_mutex_lock(&results->lock);
	for (guint i = 0; i < results->users->len; i++) {
		UserResult *ur = g_ptr_array_index(results->users, i);
		if (ur->status == USER_FAILED)
			(*users_failed)++;
		else if (ur->status == USER_NOT_STARTED)
			(*users_not_started)++;
		else
			(*users_done)++;
		for (guint k = 0; k < ur->mailboxes->len; k++) {
			MailboxResult *mr = g_ptr_array_index(ur->mailboxes, k);
			gboolean counted = FALSE;   /* a mailbox fed by several sources fails once */
			for (guint j = 0; mr->error != NULL && j < k && !counted; j++) {
				MailboxResult *earlier = g_ptr_array_index(ur->mailboxes, j);
				counted = earlier->error != NULL && strcmp(earlier->mailbox, mr->mailbox) == 0;
			}
			*mailboxes_failed += mr->error != NULL && !counted;
			*messages += mr->messages;
			/* a journal says how many bytes each delivery had: never overflow */
			*bytes = mr->bytes > G_MAXINT64 - *bytes ? G_MAXINT64 : *bytes + mr->bytes;
			*problems += mr->n_problems;
		}
	}
	g_mutex_unlock(&results->lock);
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
convert_results_write_json(ConvertResults *results, const char *path, GError **error)
{
	g_autoptr(GString) out = g_string_new("{\"tool\":\"mbox2cyrus " M2C_VERSION " convert\",\"method\":");
	json_escape_append(out, results->method);
	g_mutex_lock(&results->lock);
	g_string_append_printf(out, ",\"seconds\":%.3f,\"finish_seconds\":%.3f,\"users\":[",
	                       results->wall_seconds, results->finish_seconds);
	for (guint i = 0; i < results->users->len; i++) {
		UserResult *ur = g_ptr_array_index(results->users, i);
		g_string_append(out, i ? ",\n{\"user\":" : "\n{\"user\":");
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
	g_mutex_unlock(&results->lock);
	g_string_append(out, "\n]}\n");
	return g_file_set_contents(path, out->str, (gssize)out->len, error);
}
