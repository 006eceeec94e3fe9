/* quarantine.h -- the messages a method could not store, kept for the administrator:
 * one mbox per user, STATE/quarantine/USER.mbox, written as backout writes mail
 * (mbox-writer.h: mboxrd, the message's envelope sender, date and flags).  Nothing is
 * dropped without a word: each message put here is also a problem in the report,
 * which names this file.
 *
 * Each message is appended whole and the file synced before the caller journals that
 * it is here; a rerun that resumes from the journal cuts the file back to the size the
 * journal recorded (quarantine_truncate), so a message is never kept twice. */
#ifndef M2C_QUARANTINE_H
#define M2C_QUARANTINE_H

#include <glib.h>

#include "mbox-reader.h"

typedef struct Quarantine Quarantine;

/* The quarantine of `user` under `state_dir` (nothing is created before the first
 * message).  Never fails. */
Quarantine *quarantine_new(const char *state_dir, const char *user);
void quarantine_free(Quarantine *q);

const char *quarantine_path(const Quarantine *q);

/* Its size now (0 when it does not exist).  FALSE with a G_FILE_ERROR. */
gboolean quarantine_size(Quarantine *q, gint64 *size_out, GError **error);

/* Cut it back to `size` bytes when it is longer (a rerun: what was written after the
 * last record).  FALSE with a G_FILE_ERROR. */
gboolean quarantine_truncate(Quarantine *q, gint64 size, GError **error);

/* Append `message` of `reader`, then fsync.  `*size_out` (may be NULL) is the size of
 * the file after it.  FALSE with a G_FILE_ERROR (the file is cut back) or the
 * reader's error. */
gboolean quarantine_add(Quarantine *q, MboxReader *reader, const MboxMessage *message,
                        gint64 *size_out, GError **error);

#endif
