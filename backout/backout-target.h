/* backout-target.h -- writing one rebuilt mbox file safely, as root, over files and
 * directories users control.  Nothing is ever written in place: the new content goes
 * to a temporary file in the same directory, ".NAME.m2c-backout" (one left by a killed
 * run is removed first), which is flushed, fsynced, given to the user (owner from the
 * password database, group the old file's or the user's, mode 0600) and renamed over
 * NAME; the directory is fsynced.  A kill at any point leaves NAME as it was or as it
 * is meant to be, never half-written.
 *
 * Where (BackoutMode):
 *   INTO      DIR followed by the source's absolute path; the directories below DIR
 *             are made (mode 0700, root's) one at a time without following a link;
 *             no lock (the tree is the administrator's).
 *   IN_PLACE  the source's own path, its directory walked as the user could
 *             (manifest_source_open_directory); the file locked as mail programs lock
 *             it (mbox-lock.h) from open to commit; before the rename the old file is
 *             hard-linked to a backup next to it (backout_target_commit).
 *   MERGE     as IN_PLACE, without a backup; the temporary file starts with the old
 *             file's bytes (and the empty line a From_ line needs before it), so the
 *             caller appends.
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

/* Open the file that rebuilds the source `source` (absolute) and its temporary file.
 * IN_PLACE: `earlier_backup` (may be NULL) is the backup an earlier try journaled (one
 * component, in the file's directory): kept, it must still be a regular file, and it
 * may be NAME's second link (the try died before its rename).  NULL with an error
 * that names neither file (the caller adds the path). */
BackoutTarget *backout_target_open(const BackoutTargetSettings *settings,
                                   const ManifestSettings *manifest, const UserAccess *access,
                                   const char *source, const char *earlier_backup,
                                   GError **error);

/* The path the file will have (INTO: under DIR). */
const char *backout_target_path(const BackoutTarget *target);

/* MERGE: TRUE when the old file existed (its bytes are in the temporary file). */
gboolean backout_target_had_file(const BackoutTarget *target);

/* An MboxWriteFunc (mbox-reader.h): `user_data` is the target.  Buffered. */
gboolean backout_target_write(const char *data, gsize len, gpointer user_data, GError **error);

/* Bytes in the temporary file so far (written or buffered). */
guint64 backout_target_offset(const BackoutTarget *target);

/* Cut the temporary file back to `offset` (a message that could not be read). */
gboolean backout_target_truncate(BackoutTarget *target, guint64 offset, GError **error);

/* IN_PLACE: a backup was made, named `backup` (one component, in the file's
 * directory); the caller journals it before the rename goes ahead. */
typedef gboolean (*BackoutBackupFunc)(const char *backup, gpointer data, GError **error);

/* Flush, fsync, chown/chmod, check NAME again, keep the backup (IN_PLACE), rename,
 * fsync the directory.  IN_PLACE without an earlier backup: the old file is
 * hard-linked to NAME + suffix (".1" ... ".99" appended when that name is taken: a
 * file already there is never taken for ours) and `made` is called before the rename.
 * After a failure the target is still to be freed. */
gboolean backout_target_commit(BackoutTarget *target, BackoutBackupFunc made, gpointer data,
                               GError **error);

/* Remove the temporary file unless committed, unlock, free.  NULL is allowed. */
void backout_target_free(BackoutTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BackoutTarget, backout_target_free)

#endif
