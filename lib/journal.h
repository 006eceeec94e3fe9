/* journal.h -- an append-only log of finished work, so that a rerun after an
 * interruption (kill -9 included) does only what is left.  Generic: the caller names
 * its steps and owns the meaning of keys and details (convert's are in
 * convert/convert-state.h).
 *
 * One file per unit of work (convert: per user), STATE_DIR/NAME.journal, a line per
 * record:
 *     STEP <TAB> KEY <TAB> DETAIL
 * KEY and DETAIL escaped as tsv.h says; STEP one of the names given to journal_open().
 * Each line is written with one write() and fsynced before journal_append() returns.
 * A last line without its newline (the crash came mid-write) is not a record: it is
 * cut off when the journal is opened, so the next record starts on a line of its own.
 * Any other line that is not a record is damage: journal_open() fails naming FILE:LINE
 * (never a silent resume from zero, which would redo or skip work blindly).
 *
 * A journal is open in one run at a time (an exclusive flock(2) on the file, held until
 * journal_free()): two runs that read it at once would both do what is left.
 *
 * Errors: M2C_JOURNAL_ERROR_IO (cannot read or create), _DAMAGED (FILE:LINE),
 * G_IO_ERROR_BUSY (another run has it open: temporary); an append
 * that fails sets a G_FILE_ERROR that keeps its errno (failure.h: a full disk is
 * temporary and stops the run).
 */
#ifndef M2C_JOURNAL_H
#define M2C_JOURNAL_H

#include <glib.h>

#define M2C_JOURNAL_ERROR (m2c_journal_error_quark())
GQuark m2c_journal_error_quark(void);

typedef enum {
	M2C_JOURNAL_ERROR_IO,
	M2C_JOURNAL_ERROR_DAMAGED,
} M2cJournalError;

typedef struct {
	const char *step;    /* one of the names given to journal_open() */
	const char *key;
	const char *detail;  /* "" when none */
	guint line;          /* 1-based line in the file */
} JournalRecord;

typedef struct Journal Journal;

/* Open (and read) the journal `name` in `state_dir` (created, mode 0700, when
 * missing); `name` may hold any byte (it is escaped into a file name).  `steps` is the
 * NULL-terminated list of step names a record may have; it must outlive the journal.
 * NULL with IO or DAMAGED. */
Journal *journal_open(const char *state_dir, const char *name, const char *const *steps,
                      GError **error);
void journal_free(Journal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Journal, journal_free)

/* The path of the journal file (owned by the journal). */
const char *journal_path(const Journal *journal);

/* The last record of `step` for `key`, or NULL.  Owned by the journal; valid until
 * it is freed. */
const JournalRecord *journal_find(const Journal *journal, const char *step, const char *key);

/* Every record, in file order (owned by the journal; grows with journal_append). */
guint journal_n_records(const Journal *journal);
const JournalRecord *journal_record_at(const Journal *journal, guint index);

/* Append a record (`detail` may be NULL) and fsync it (unless journal_defer_sync).  FALSE with a G_FILE_ERROR when
 * it could not be written: then the work it records must be treated as not done. */
gboolean journal_append(Journal *journal, const char *step, const char *key,
                        const char *detail, GError **error);

/* `n` records of `step` for `key` at once: one write, one fsync (many small notes
 * cost one sync).  As journal_append otherwise. */
gboolean journal_append_many(Journal *journal, const char *step, const char *key,
                             const char *const *details, guint n, GError **error);

/* From now on, journal_append() writes each record at once (a kill of the process
 * cannot lose it) but leaves the fsync to journal_sync(): many records, one sync.
 * Only a crash of the machine can then lose records, those since the last sync; the
 * caller syncs before any step that would make their loss unsafe (convert: before
 * what was delivered becomes visible). */
void journal_defer_sync(Journal *journal);

/* fsync what was appended since the last sync.  FALSE with a G_FILE_ERROR (errno
 * kept) when it could not be synced: the records since may be lost in a crash. */
gboolean journal_sync(Journal *journal, GError **error);

/* TRUE when the journal held at least one record when it was opened. */
gboolean journal_is_resumed(const Journal *journal);

#endif
