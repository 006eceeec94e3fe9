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
#include "method.h"

typedef enum {
	SPOOL_FSYNC_NONE,   /* leave it to the kernel: fastest; a crash may lose files */
	SPOOL_FSYNC_BATCH,  /* one syncfs per mailbox, before it is recorded as written */
	SPOOL_FSYNC_EACH,   /* fsync every file before it is linked in */
} SpoolFsync;

typedef struct {
	uid_t uid;                          /* owner of the files: cyrus */
	gid_t gid;
	SpoolFsync fsync;
} SpoolSettings;

typedef struct {
	guint64 messages;   /* messages read from the source */
	guint64 written;    /* files written by this call */
	guint64 existed;    /* files already there (an earlier run) */
	guint64 skipped;    /* messages that could not be stored */
	gint64 bytes;       /* bytes of the files written or found */
	gboolean kept_x_uid;
} SpoolCounts;

/* Decide the UIDs of the messages of the just opened `reader` (a read up to the first
 * message without an X-UID, no copies), then rewind it: `*keep_x_uid_out` TRUE when
 * the X-UIDs are used. */
gboolean spool_plan_uids(MboxReader *reader, gboolean *keep_x_uid_out, GError **error);

/* The UID of `message` under that plan: its X-UID, or `base` + its number. */
guint32 spool_uid_of(const MboxMessage *message, gboolean keep_x_uid, guint32 base);

/* Write every message of `reader` (just opened) into the mailbox directory `dir`, with
 * UIDs after `uid_base` (for a second source into the same mailbox), X-UIDs kept only
 * when `target` is the mailbox's only source and the plan allows.  Problems with
 * single messages go to target->problem and do not stop it; each message in the
 * mailbox afterwards goes to target->stored.  FALSE with an error when the source
 * cannot be read (M2C_MBOX_ERROR) or the directory not written (a G_FILE_ERROR that
 * keeps its errno: failure.h). */
gboolean spool_write_messages(const SpoolSettings *settings, MboxReader *reader,
                              const DeliveryTarget *target, const char *dir, guint32 uid_base,
                              SpoolCounts *counts, GError **error);

#endif
