/* spool-writer.h -- write a folder's messages as Cyrus message files ("N.") into a
 * mailbox directory, for reconstruct to index (DESIGN.md, Cyrus 3.6 facts):
 *   - CRLF line endings (LF files are indexed wrongly), mailbox-internal headers
 *     removed, From quoting undone: what mbox_reader_copy_message(MBOX_COPY_CRLF) gives;
 *   - owned by the cyrus user, mode 0600, mtime = the message's date (reconstruct
 *     takes INTERNALDATE from it);
 *   - N = the UID: the folder's X-UIDs when every message has one and they rise
 *     strictly, else 1, 2, 3 ... in source order;
 *   - each file appears whole or not at all: written as an unnamed O_TMPFILE, then
 *     linked in; an N. that exists is never overwritten (EEXIST: it is counted as
 *     written by an earlier run, since the same source gives the same N.);
 *   - an empty message is not stored (reconstruct deletes empty files): reported.
 */
#ifndef M2C_SPOOL_WRITER_H
#define M2C_SPOOL_WRITER_H

#include <sys/types.h>

#include <glib.h>

#include "mbox-reader.h"

typedef enum {
	SPOOL_FSYNC_NONE,   /* leave it to the kernel: fastest; a crash may lose files */
	SPOOL_FSYNC_BATCH,  /* one syncfs per mailbox, before it is recorded as written */
	SPOOL_FSYNC_EACH,   /* fsync every file before it is linked in */
} SpoolFsync;

typedef struct {
	uid_t uid;                          /* owner of the files: cyrus */
	gid_t gid;
	SpoolFsync fsync;
	const MboxReaderSettings *reader;
} SpoolSettings;

typedef struct {
	guint64 messages;   /* messages read from the source */
	guint64 written;    /* files written by this call */
	guint64 existed;    /* files already there (an earlier run) */
	guint64 skipped;    /* messages that could not be stored */
	gint64 bytes;       /* bytes of the files written or found */
	gboolean kept_x_uid;
} SpoolCounts;

/* One problem with one message: `skipped` TRUE when it was not stored. */
typedef void (*SpoolProblemFunc)(const char *file, guint64 msgno, gint64 offset,
                                 gboolean skipped, const char *text, gpointer data);

/* Called for each message stored (or found stored) with its UID. */
typedef void (*SpoolStoredFunc)(const MboxMessage *message, guint32 uid, gpointer data);

/* Decide the UIDs of the messages of the just opened `reader` (a read up to the first
 * message without an X-UID, no copies), then rewind it: `*keep_x_uid_out` TRUE when
 * the X-UIDs are used. */
gboolean spool_plan_uids(MboxReader *reader, gboolean *keep_x_uid_out, GError **error);

/* The UID of `message` under that plan: its X-UID, or `base` + its number. */
guint32 spool_uid_of(const MboxMessage *message, gboolean keep_x_uid, guint32 base);

/* Write every message of `source` into the mailbox directory `dir`, with UIDs after
 * `uid_base` (for a second source into the same mailbox), X-UIDs kept only when
 * `allow_x_uid` and the plan allows.  Problems with single messages go to `problem`
 * and do not stop it; FALSE with an error when the source cannot be read
 * (M2C_MBOX_ERROR, G_FILE_ERROR: this source failed) or the directory not written
 * (G_IO_ERROR). */
gboolean spool_write_mailbox_from(const SpoolSettings *settings, const char *source,
                                  const char *dir, guint32 uid_base, gboolean allow_x_uid,
                                  SpoolCounts *counts, SpoolProblemFunc problem,
                                  SpoolStoredFunc stored, gpointer data, GError **error);

#endif
