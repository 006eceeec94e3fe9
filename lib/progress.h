/* progress.h -- the progress display of a long run, for the operator at a terminal:
 *     users 12/500  messages 48,213 (2,310/s)  1,024.5 MB (48.2 MB/s)  ETA 0:41:10
 * redrawn in place twice a second on a terminal; off otherwise (then the report's
 * per-user lines are the log).  Counters may be added to from any thread. */
#ifndef M2C_PROGRESS_H
#define M2C_PROGRESS_H

#include <stdio.h>

#include <glib.h>

typedef struct Progress Progress;

/* Start showing progress on `out` when `show` (a terminal); `total_users` and
 * `total_bytes` (of the sources) give the ETA.  Never NULL. */
Progress *progress_new(FILE *out, gboolean show, guint total_users, gint64 total_bytes);

/* Count `messages` and `bytes` done. */
void progress_add(Progress *progress, guint64 messages, gint64 bytes);

/* Count one user done. */
void progress_user_done(Progress *progress);

/* Stop, clear the line, free.  NULL is allowed. */
void progress_free(Progress *progress);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Progress, progress_free)

/* What to print before a report line so it does not land on the progress line:
 * "\r\033[K" while showing, "" otherwise.  Static storage. */
const char *progress_line_prefix(const Progress *progress);

#endif
