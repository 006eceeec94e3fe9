/* backout-target-private.h -- a target's state, shared by backout-target.c (opening,
 * writing, replacing) and backout-append.c (MERGE: the locked append and its
 * recovery). */
#ifndef M2C_BACKOUT_TARGET_PRIVATE_H
#define M2C_BACKOUT_TARGET_PRIVATE_H

#include <sys/types.h>

#include "backout-target.h"
#include "mbox-lock.h"

#define BUFFER (256 * 1024)

struct BackoutTarget {
	BackoutMode mode;
	const char *backup_suffix;
	char *path;
	char *name;          /* the last component */
	char *temp;          /* the temporary file's name in the directory (MERGE: the
	                      * messages to append, staged) */
	int dirfd;
	int fd;              /* the temporary file */
	MboxLock *lock;
	char *earlier_backup; /* IN_PLACE: the backup an earlier try made, or NULL */
	dev_t dev;           /* the old file, when there was one */
	ino_t ino;
	gboolean had_file;
	gboolean have_owner;
	uid_t uid;
	gid_t gid;
	char *buf;
	gsize buffered;
	guint64 written;     /* bytes in the file (not counting the buffer) */
	gboolean committed;
};

/* FALSE, with a G_FILE_ERROR that keeps errno (failure.h), "WHAT: strerror". */
gboolean target_errno(GError **error, const char *what);

/* FALSE, with G_FILE_ERROR_PERM (a refusal: permanent). */
gboolean target_refuse(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Write out what is buffered. */
gboolean target_flush(BackoutTarget *t, GError **error);

/* backout-append.c: MERGE.  Before the staging file is made: an append an earlier try
 * journaled but did not finish (`pending`) is found complete, or cut back when the
 * bytes after its offset are a prefix of what it meant to append, or refused. */
gboolean target_recover_append(BackoutTarget *t, const BackoutAppend *pending, GError **error);

/* Append the staged messages to the locked file (a new file: the staging file renamed
 * into place, it holds the folder data too); `check` after it, undone when it fails. */
gboolean target_append(BackoutTarget *t, BackoutAppendFunc appending, BackoutAppendFunc check,
                       gpointer data, GError **error);

#endif
