/* journal.h -- what a convert run has done, per user and mailbox, so that a rerun
 * after an interruption (kill -9 included) does only what is left.
 *
 * One file per user, STATE_DIR/USER.journal, append-only: a line per finished step,
 *     STEP <TAB> MAILBOX <TAB> DETAIL
 * each written and fsynced before the next step starts.  A step recorded is done;
 * a step not recorded is redone, so every step must be safe to redo (creating an
 * existing mailbox, writing a file that exists, reconstructing, storing flags).  A
 * last line without its newline (the crash came mid-write) is ignored.
 */
#ifndef M2C_JOURNAL_H
#define M2C_JOURNAL_H

#include <glib.h>

typedef enum {
	JOURNAL_CREATED = 1 << 0,        /* the mailbox exists in Cyrus */
	JOURNAL_WRITTEN = 1 << 1,        /* its message files are on disk (detail: counts) */
	JOURNAL_RECONSTRUCTED = 1 << 2,  /* reconstruct indexed them */
	JOURNAL_FLAGGED = 1 << 3,        /* flags and keywords stored */
	JOURNAL_SUBSCRIBED = 1 << 4,     /* subscribed, or nothing to subscribe */
	JOURNAL_DONE = 1 << 5,           /* the whole user (mailbox "") */
} JournalStep;

typedef struct Journal Journal;

/* Open (and read) the journal of `user` in `state_dir`, creating the directory.
 * NULL with a G_FILE_ERROR when it cannot be read or created. */
Journal *journal_open(const char *state_dir, const char *user, GError **error);
void journal_free(Journal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Journal, journal_free)

/* Has `step` been recorded for `mailbox` ("" for the user as a whole)? */
gboolean journal_has(const Journal *journal, const char *mailbox, JournalStep step);

/* The detail recorded with `step` for `mailbox`, or NULL (owned by the journal). */
const char *journal_detail(const Journal *journal, const char *mailbox, JournalStep step);

/* Record `step` for `mailbox` with `detail` (may be NULL): append, fsync.  FALSE with
 * a G_IO_ERROR when it could not be written: then the run must not go on for the user. */
gboolean journal_record(Journal *journal, const char *mailbox, JournalStep step,
                        const char *detail, GError **error);

/* TRUE when the journal file existed with at least one step in it. */
gboolean journal_is_resumed(const Journal *journal);

#endif
