/* manifest-source.h -- opening a manifest row's source as mapnames checked it, for
 * every command that reads one (convert: delivery, flags after a rerun, --dry-run;
 * verify).  The manifest's settings line (manifest.h) says where homes are, where the
 * inbox files live and whether files must be the user's; user-access.h does the
 * opening.
 *
 * Thread safety: nothing is kept between calls; the settings are only read. */
#ifndef M2C_MANIFEST_SOURCE_H
#define M2C_MANIFEST_SOURCE_H

#include <glib.h>

#include "manifest.h"
#include "mbox-reader.h"
#include "user-access.h"

/* Who `user` is, for opening their files: `settings` say where the home is (the
 * home template with %u replaced, or the password database) and whether files must
 * be the user's.  New, or NULL with an M2C_USER_ACCESS_ERROR (user-access.h). */
UserAccess *manifest_source_user_access(const ManifestSettings *settings, const char *user,
                                        GError **error);

/* Open the source `path` for reading as mapnames checked it, on the descriptor then
 * read: no link followed out of the home or the inbox files' directory, a regular file
 * with one link, owned by the user and readable by them.  `*identity_out` (may be
 * NULL) gets what tells this version of the file from another (inode, size,
 * modification time), new.  A new reader with `reader_settings` (which must outlive
 * it), or NULL with an error: a G_FILE_ERROR whose message is the reason alone
 * (user-access.h), or the reader's (mbox-reader.h). */
MboxReader *manifest_source_open(const ManifestSettings *settings,
                                 const MboxReaderSettings *reader_settings,
                                 const UserAccess *access, const char *path,
                                 char **identity_out, GError **error);

/* Open the directory `path` (absolute) as manifest_source_open() opens a source's
 * way: from the trusted directory down, no link followed out of the home, every
 * directory one the user could search.  backout writes the files it rebuilds there.
 * The descriptor (O_DIRECTORY; the caller closes it), or -1 with a G_FILE_ERROR. */
int manifest_source_open_directory(const ManifestSettings *settings, const UserAccess *access,
                                   const char *path, GError **error);

#endif
