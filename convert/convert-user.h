/* convert-user.h -- one user through convert, by any method (method.h); the order of
 * the steps is at the top of convert-user.c.  Users run in parallel in a thread pool
 * (convert-run.c): everything here is per user except what ConvertContext shares,
 * which is safe to share. */
#ifndef M2C_CONVERT_USER_H
#define M2C_CONVERT_USER_H

#include <glib.h>

#include "cli-server.h"
#include "convert-results.h"
#include "mailbox-name.h"
#include "manifest.h"
#include "mbox-reader.h"
#include "method.h"
#include "progress.h"
#include "report.h"
#include "user-access.h"

typedef struct {
	/* server: host, admin, password, naming; the reader's settings (cli-server.h) */
	const CliServer *server;
	/* NULL: convert, which logs in as the admin, and as each user through the admin.
	 * Else upload: the one user's own login name, server->password being theirs.  One
	 * session, LOGIN as that name, does all (job_owner_session() is the same one);
	 * mailboxes are CREATEd by the user's own names, and `partition` and `quota_kb`
	 * must be NULL and < 0 (no SETQUOTA: only an admin may). */
	const char *own_login;
	const char *partition;       /* NULL: Cyrus's default */
	gint64 quota_kb;             /* < 0: none */
	/* the method, and its state for the run */
	const ConvertMethod *method;
	MethodRun *method_run;
	/* files */
	const char *state_dir;
	const ManifestSettings *manifest;   /* how mapnames found the sources */
	/* shared, thread-safe */
	Report *report;
	Progress *progress;
	ConvertResults *results;
	gint stopped;                /* atomic: a run-scope failure; start no more users */
} ConvertContext;

/* Convert the `n` users of `users` (ManifestUser *: a user and its rows, not skips)
 * as a group: each user's steps in order, its own journal, its own results; between
 * them, what the method can do once for all (method.h: prepare_many, finish_many),
 * and one admin session.  Problems go to the report and the results. */
void convert_group(ConvertContext *ctx, ManifestUser *const *users, guint n);

/* Who `user` is, for opening their files: the manifest's settings say where the home
 * is and whether files must be the user's (user-file.h).  New, or NULL with an error. */
UserAccess *convert_user_access(const ConvertContext *ctx, const char *user, GError **error);

/* Open the source `path` for reading as mapnames checked it, on the descriptor then
 * read: no link followed out of the home or the inbox files' directory, a regular file with
 * one link, owned by the user and readable by them.  `*identity_out` (may be NULL)
 * gets what tells this version of the file from another (inode, size,
 * modification time), new.  A new reader, or NULL with an error: a G_FILE_ERROR whose
 * message is the reason alone (user-access.h), or the reader's (mbox-reader.h). */
MboxReader *convert_open_source(const ConvertContext *ctx, const UserAccess *access,
                                const char *path, char **identity_out, GError **error);

#endif
