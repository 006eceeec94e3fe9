/* failure.h -- what a failure costs and whether a rerun may cure it.
 *
 * Every failure convert meets has a scope -- the unit of work it spoils -- and is
 * temporary or permanent (isync's DRV_MSG_BAD/BOX_BAD/STORE_BAD and FAIL_TEMP/FINAL;
 * qmail's 111 and 100).  The scope decides what stops: a message failure costs that
 * message, a mailbox failure that mailbox (its sources), a user failure the rest of
 * that user, and only a run failure stops the run.  Temporary means "safe to rerun":
 * the journal keeps the failure, a rerun retries it, and the exit status is 75.
 *
 * One function, failure_classify(), maps an error to that pair, so every stage
 * agrees: examples
 *     ENOSPC, EDQUOT writing a file        run,     temporary  (the disk is full for all)
 *     EIO reading or writing               mailbox, temporary
 *     a source that changed while read     mailbox, temporary
 *     connection lost, timeout             user,    temporary  (the session is gone)
 *     an unparseable response              user,    temporary  (mostly a connection cut
 *                                                              mid-response)
 *     NO [OVERQUOTA]                       user,    temporary  (raise the quota, rerun)
 *     login refused                        user,    permanent
 *     certificate not verified, no STARTTLS run,     permanent  (configuration: --ca-file, --tls)
 *     NO / BAD to a command                where it happened, permanent
 *     a mailbox file locked by another     where it happened, temporary
 *     ENOENT, EACCES, not an mbox          where it happened, permanent
 */
#ifndef M2C_FAILURE_H
#define M2C_FAILURE_H

#include <glib.h>

/* An error whose maker knows its scope (a program's exit status: Cyrus's deliver):
 * classified as its code says. */
#define M2C_FAILURE_ERROR (m2c_failure_error_quark())
GQuark m2c_failure_error_quark(void);
typedef enum {
	M2C_FAILURE_USER_PERMANENT,
	M2C_FAILURE_USER_TEMPORARY,
	M2C_FAILURE_RUN_TEMPORARY,
} M2cFailureError;

/* Ordered from narrowest to widest. */
typedef enum {
	FAILURE_MESSAGE,
	FAILURE_MAILBOX,
	FAILURE_USER,
	FAILURE_RUN,
} FailureScope;

typedef struct {
	FailureScope scope;
	gboolean temporary;
} Failure;

/* The scope and kind of `error`, which happened while working on a unit of scope
 * `where`: the scope is `where`, widened when the error spoils more than that (a lost
 * connection spoils the user, a full disk the run).  Errors of domains this module
 * does not know are permanent, of scope `where`. */
Failure failure_classify(const GError *error, FailureScope where);

/* The same for an errno value. */
Failure failure_classify_errno(int errsv, FailureScope where);

/* "message", "mailbox", "user", "run"; static storage. */
const char *failure_scope_name(FailureScope scope);

/* The scope named `name`: FALSE when it is not one of failure_scope_name()'s words. */
gboolean failure_scope_from_name(const char *name, FailureScope *scope_out);

/* Set a G_FILE_ERROR for `errsv` that keeps what classification needs (GIO's
 * g_io_error_from_errno turns EIO and EDQUOT into G_IO_ERROR_FAILED; EDQUOT becomes
 * G_FILE_ERROR_NOSPC here), with the message `format` ": " strerror. */
void failure_set_errno(GError **error, int errsv, const char *format, ...) G_GNUC_PRINTF(3, 4);

#endif
