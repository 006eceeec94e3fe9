/* discover.h -- find one user's mail files, safely, as root.
 *
 * What is looked at: the spool file SPOOL_DIR/USER (the INBOX), ~/mbox (its own
 * folder "mbox"), and every file under each folder directory (~/Mail, ~/mail by
 * default), recursively; a sub-directory is a level of hierarchy.  Every file passed
 * over gets a reason.
 *
 * Safety (we run as root over files users control; the rules for one file are
 * user-access.h's, which convert applies again when it opens the file):
 *  - every directory and file is opened relative to its parent with O_NOFOLLOW, so a
 *    symbolic link is never followed (with follow_links_inside_home, a link whose
 *    target lies inside the home is followed, and checked again after opening);
 *  - a file or directory is used only when the user could read it themselves (owner,
 *    group membership and mode bits, as the kernel would check them);
 *  - FIFOs, sockets and devices are never opened; a regular file is opened with
 *    O_NONBLOCK, and only its first 4 KiB are read;
 *  - files owned by someone else are skipped (unless check_owner is off), and so are
 *    files with more than one hard link that the user does not own;
 *  - sparse files (far fewer blocks on disk than their size) are not read.
 */
#ifndef M2C_DISCOVER_H
#define M2C_DISCOVER_H

#include <glib.h>

#include "manifest.h"

typedef struct {
	char **folder_dirs;          /* relative to the home: "Mail", "mail" */
	const char *spool_dir;       /* "/var/mail" */
	const char *home_template;   /* "/export/home/%u", or NULL: the password database */
	gboolean check_owner;        /* files must belong to the user (default TRUE) */
	gboolean follow_links_inside_home;
	gboolean include_empty;      /* an empty file becomes an empty folder */
	guint max_depth;             /* directory levels below a folder directory */
} DiscoverSettings;

typedef struct {
	char *path;                  /* absolute; NULL for an INBOX without a spool file */
	ManifestAction action;
	char **components;           /* folders: the raw names below the folder directory,
	                              * the file's last (a compression suffix removed) */
	char *relative;              /* path relative to the home ("Mail/sent-mail"), or NULL */
	char *note;                  /* the reason for a skip, or a remark; NULL for none */
} Found;

void found_free(Found *found);

/* Add everything found for `user` to `found` (Found *, in path order).  A missing or
 * unreadable home is a skip row (the INBOX is still looked for).  Returns FALSE with
 * an M2C_USER_ACCESS_ERROR when the user is unknown (and owner checks are on), has no
 * home known, or the password database failed (user_access_new). */
gboolean discover_user(const DiscoverSettings *settings, const char *user, GPtrArray *found,
                       char **home_out, GError **error);

/* Folder paths relative to the home that the user subscribed to: UW-IMAP's
 * ~/.mailboxlist and Pine's incoming-folders in ~/.pinerc.  A new set of strings;
 * empty when there are none. */
GHashTable *discover_subscriptions(const DiscoverSettings *settings, const char *user,
                                   const char *home);

#endif
