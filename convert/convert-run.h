/* convert-run.h -- a whole convert run: the manifest's rows grouped by user, the users
 * in a thread pool (convert-user.c does one), and the closing summary.  A run-scope
 * failure (failure.h: a full disk) stops it: users not started yet are reported as
 * not started, and the exit status says "temporary: rerun". */
#ifndef M2C_CONVERT_RUN_H
#define M2C_CONVERT_RUN_H

#include <glib.h>

#include "convert-user.h"

/* A user's share of the run (manifest_group_by_user). */
typedef ManifestUser UserWork;

/* Convert every user of `work` with `jobs` groups of users at once (0: one per core),
 * `batch_users` users to a group (convert-group.c; 0: chosen from the number of users,
 * at most 64; always 1 for a method with nothing to share), then write the JSON report
 * to `report_path` (may be NULL) and print the summary.  `ctx` is filled but for
 * progress.  Returns the exit status (report.h). */
int convert_run(ConvertContext *ctx, GPtrArray *work, guint jobs, guint batch_users,
                gboolean verbose, const char *report_path);

#endif
