/* backout-target.h -- writing one rebuilt mbox file safely, as root, over files and
 * directories users control.  INTO and IN_PLACE never write in place: the new content
 * goes to a temporary file in the same directory, ".NAME.m2c-backout" (one left by a killed
 * run is removed first), which is flushed, fsynced, given to the user (owner from the
 * password database, group the old file's or the user's, mode 0600) and renamed over
 * NAME; the directory is fsynced.  A kill at any point leaves NAME as it was or as it
 * is meant to be, never half-written.  (MERGE appends to an existing file instead,
 * see below, which keeps its owner and mode.)
 *
 * Where (BackoutMode):
 *   INTO      DIR followed by the source's absolute path; the directories below DIR
 *             are made (mode 0700, root's) one at a time without following a link;
 *             no lock (the tree is the administrator's).
 *   IN_PLACE  the source's own path, its directory walked as the user could
 *             (manifest_source_open_directory); the file locked as mail programs lock
 *             it (mbox-lock.h) from open to commit; before the rename the old file is
 *             hard-linked to a backup next to it (backout_target_commit).
 *   MERGE     as IN_PLACE, without a backup, and not replaced: the messages are staged
 *             in the temporary file, then appended to the locked file in place
 *             (backout-append.c) -- a mail program that opened the file before it
 *             waited for our lock appends after them, to the same file, and nothing of
 *             its is lost.  The append is journaled first (BackoutAppend: where, how
 *             much, its SHA-1) and rolled back on an error; after a kill -9 the next
 *             try finds it complete, or cuts it back when nothing came after it, or
 *             refuses the file naming the offset.  A file that does not exist yet is
 *             the staging file renamed into place.
 * Whose files (IN_PLACE, MERGE): an existing file must be one the user may read as
 * user-access.h says (owner, links, mode); a new one is made only in the inbox files'
 * directory or one the user owns or could write.
 * Refused (G_FILE_ERROR_PERM, permanent, the file left alone): NAME is a symbolic
 * link, a FIFO or anything but a regular file; NAME has more than one hard link; a
 * directory on the way is a link.  Locks held by others: M2C_MBOX_LOCK_ERROR_BUSY
 * after the timeout (temporary).  Write errors keep their errno (failure.h: ENOSPC
 * stops the run). */
#ifndef M2C_BACKOUT_TARGET_H
#define M2C_BACKOUT_TARGET_H

#include <glib.h>

#include "manifest.h"
#include "user-access.h"

typedef enum {
	BACKOUT_INTO,
	BACKOUT_IN_PLACE,
	BACKOUT_MERGE,
} BackoutMode;

typedef struct {
	BackoutMode mode;
	const char *into;            /* INTO: the tree's root (made when missing, 0700) */
	const char *backup_suffix;   /* IN_PLACE: ".pre-backout" */
	guint lock_timeout_ms;
} BackoutTargetSettings;

typedef struct BackoutTarget BackoutTarget;

/* MERGE: an append, as journaled before it is made. */
typedef struct {
	guint64 ino;         /* the file's inode */
	guint64 at;          /* its size before: where the append starts */
	guint sep;           /* "\n" bytes written first (0..2): an empty line before From_ */
	guint64 length;      /* the staged bytes after them */
	guint8 sha1[20];     /* of those */
} BackoutAppend;

/* "ino=I at=S sep=K length=L sha1=HEX", new; and back (FALSE when it is not that). */
char *backout_append_format(const BackoutAppend *append);
gboolean backout_append_parse(const char *text, BackoutAppend *out);

/* What an earlier try of the same file left, from the journal. */
typedef struct {
	const char *earlier_backup;        /* IN_PLACE: the backup it journaled, or NULL */
	const BackoutAppend *pending;      /* MERGE: an append journaled, its end not; or NULL */
} BackoutResume;

/* Open the file that rebuilds the source `source` (absolute) and its temporary file.
 * `resume` (may be NULL): IN_PLACE, the backup an earlier try journaled (one
 * component, in the file's directory) is kept -- it may be NAME's second link (the
 * try died before its rename), or not made yet (it died before the link); MERGE, an
 * unfinished append is recovered first.  NULL with an error that names neither file
 * (the caller adds the path). */
BackoutTarget *backout_target_open(const BackoutTargetSettings *settings,
                                   const ManifestSettings *manifest, const UserAccess *access,
                                   const char *source, const BackoutResume *resume,
                                   GError **error);

/* The path the file will have (INTO: under DIR). */
const char *backout_target_path(const BackoutTarget *target);

/* IN_PLACE, MERGE: TRUE when the old file existed. */
gboolean backout_target_had_file(const BackoutTarget *target);

/* An MboxWriteFunc (mbox-reader.h): `user_data` is the target.  Buffered. */
gboolean backout_target_write(const char *data, gsize len, gpointer user_data, GError **error);

/* Bytes in the temporary file so far (written or buffered). */
guint64 backout_target_offset(const BackoutTarget *target);

/* Cut the temporary file back to `offset` (a message that could not be read). */
gboolean backout_target_truncate(BackoutTarget *target, guint64 offset, GError **error);

/* IN_PLACE: a backup is about to be made, named `backup` (one component, in the
 * file's directory); the caller journals it before the link is made. */
typedef gboolean (*BackoutBackupFunc)(const char *backup, gpointer data, GError **error);

/* MERGE: an append is about to be made; the caller journals it first. */
typedef gboolean (*BackoutAppendFunc)(const BackoutAppend *append, gpointer data,
                                      GError **error);

/* Flush, fsync, chown/chmod, check NAME again, keep the backup (IN_PLACE), rename,
 * fsync the directory; MERGE: append (`appending` called first, `check` after it, on the
 * file as it now is, still locked: its FALSE undoes the append), nothing when nothing
 * was staged.  IN_PLACE without an earlier backup: `made` is called, then the old file
 * is hard-linked to NAME + suffix (".1" ... ".99" appended when that name is taken: a
 * file already there is never taken for ours).  After a failure the target is still
 * to be freed. */
gboolean backout_target_commit(BackoutTarget *target, BackoutBackupFunc made,
                               BackoutAppendFunc appending, BackoutAppendFunc check,
                               gpointer data, GError **error);

/* Remove the temporary file unless committed, unlock, free.  NULL is allowed. */
void backout_target_free(BackoutTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BackoutTarget, backout_target_free)

#endif
