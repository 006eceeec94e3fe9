/* convert-results.h -- what a convert run did, per user and mailbox, for the summary
 * and for --report FILE.json:
 *   {"tool": "...", "method": "spool",
 *    "users": [
 *     {"user": "alice", "status": "done" | "failed" | "already done" | "not started",
 *      "error": "...",
 *      "mailboxes": [{"mailbox": "user.alice.Sent", "source": "/home/alice/Mail/sent",
 *        "status": "done" | "failed" | "not done", "error": "...",
 *        "messages": 12, "bytes": 34567,
 *        "written": 12, "existed": 0, "uids": "x-uid" | "sequence",
 *        "problems": [{"file": "...", "msg": 3, "offset": 4096, "skipped": false,
 *                      "text": "..."}]}]}],
 *    "seconds": 12.3, "finish_seconds": 4.5}
 * The users in the order they were begun.  Safe to use from several threads. */
#ifndef M2C_CONVERT_RESULTS_H
#define M2C_CONVERT_RESULTS_H

#include <glib.h>

typedef enum {
	USER_NOT_STARTED,    /* the run stopped before it (a run-scope failure) */
	USER_DONE,
	USER_ALREADY_DONE,   /* by an earlier run */
	USER_FAILED,         /* something failed: the report says what; a rerun retries */
} UserStatus;

/* "not started", "done", "already done", "failed"; static storage. */
const char *user_status_name(UserStatus status);

typedef struct ConvertResults ConvertResults;
typedef struct MailboxResult MailboxResult;

/* The results of a run by `method`.  With `report_path`, the report is written as the
 * users finish, into a new REPORT.partial-XXXXXX, renamed into place by
 * convert_results_write_json() (a run killed leaves it: what was done so far);
 * NULL with an error when it cannot be created.  A user is let go once it is final
 * (convert_results_user) and every user begun before it is: memory holds the users in
 * progress, not the whole run. */
ConvertResults *convert_results_new(const char *method, const char *report_path,
                                    GError **error);
void convert_results_free(ConvertResults *results);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConvertResults, convert_results_free)

/* The record of `mailbox` of `user` (made on first use; owned by `results`). */
MailboxResult *convert_results_mailbox(ConvertResults *results, const char *user,
                                       const char *mailbox, const char *source);

void convert_results_problem(ConvertResults *results, MailboxResult *mr, const char *file,
                             guint64 msgno, gint64 offset, gboolean skipped, const char *text);
void convert_results_counts(ConvertResults *results, MailboxResult *mr, guint64 messages,
                            gint64 bytes, guint64 written, guint64 existed, gboolean x_uid);
void convert_results_mailbox_failed(ConvertResults *results, MailboxResult *mr, const char *error);
/* Every step of the mailbox's source is done (its status "done"; until then, and
 * unless it failed, "not done"). */
void convert_results_mailbox_done(ConvertResults *results, MailboxResult *mr);
gboolean convert_results_mailbox_is_failed(ConvertResults *results, MailboxResult *mr);

/* The user's outcome; `error` may be NULL. */
void convert_results_user(ConvertResults *results, const char *user, UserStatus status,
                          const char *error);

/* Totals over the run. */
void convert_results_totals(ConvertResults *results, guint *users_done, guint *users_failed,
                            guint *users_not_started, guint *mailboxes_failed, guint64 *messages,
                            gint64 *bytes, guint *problems);

/* Time spent in the method's finish (spool: reconstruct), summed over users, and the
 * run's wall time, seconds. */
void convert_results_add_finish_time(ConvertResults *results, double seconds);
void convert_results_set_wall_time(ConvertResults *results, double seconds);

/* End the report (every user not let go yet is written as it stands) and put it in
 * place; TRUE when there is none.  FALSE with a G_FILE_ERROR when any write failed. */
gboolean convert_results_write_json(ConvertResults *results, GError **error);

#endif
