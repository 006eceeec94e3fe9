/* map-user.h -- one user's mail files, found and named: the discovery (discover.h)
 * and the naming (mailbox-name.h) that mapnames writes into the manifest, written once
 * so that upload, which moves one user's files as that user, finds and names them
 * exactly as mapnames would.
 *
 * For each file discover_user() finds, in its order:
 *   the spool file              an inbox row: the user's INBOX (user.alice)
 *   ~/mbox, ~/Mail/a/b          a folder row: each path component mapped
 *                               (mailbox_name_map_component), then given a unique
 *                               name in `names` (user.alice.a.b, "~2" on a clash)
 *   anything passed over        a skip row with the reason
 * With special_use, a top-level folder of a conventional name gets the conventional
 * one (the table is in map-user.c): sent-mail -> Sent, postponed-msgs -> Drafts.
 * Inbox rows are subscribed; folder rows when ~/.mailboxlist or ~/.pinerc name them.
 */
#ifndef M2C_MAP_USER_H
#define M2C_MAP_USER_H

#include <glib.h>

#include "discover.h"
#include "mailbox-name.h"
#include "mbox-reader.h"
#include "report.h"

typedef struct {
	const DiscoverSettings *discover;
	const MailboxNaming *naming;
	gboolean special_use;                /* sent-mail -> Sent, ... */
	const MboxReaderSettings *scan;      /* count each file's messages and bytes with
	                                      * this reader (mapnames --scan); NULL: not */
} MapUserSettings;

/* Find `user`'s files and append a ManifestRow (manifest.h) for each to `rows`, in
 * discovery order: names as above, reserved in `names` (shared by every user of one
 * server).  `sources` maps each path given out so far to its user (new strings); a
 * file already given to another user (one home, --no-owner-check) becomes a skip row
 * here, never a second delivery.  Every skip is said through `report` (a warning, or
 * info for files that hold no mail); a user who cannot be looked at (unknown, a name
 * Cyrus refuses) is one skip row and an error.  Never fails otherwise. */
void map_user(const MapUserSettings *settings, MailboxNameSet *names, GHashTable *sources,
              const char *user, GPtrArray *rows, Report *report);

/* One raw folder path component (file or directory name, `len` bytes) as map_user
 * maps it: the special-use name when `settings` ask for it and the component is a
 * top-level folder (`top_level`), then mailbox_name_map_component().  New UTF-8;
 * appends to `notes` (may be NULL) what was changed. */
char *map_user_component(const MapUserSettings *settings, const char *bytes, gsize len,
                         gboolean top_level, GString *notes);

/* The users of `users_file` (one per line; blank lines and # comments passed over;
 * NULL: none), then `args` (NULL-terminated, may be NULL); each once, in the order
 * first named.  A line may name a second word after a blank, the Cyrus Murder
 * backend the user's mail goes to: put in `servers` (user -> server; may be NULL).
 * A new array of new strings, or NULL with a G_FILE_ERROR. */
GPtrArray *map_read_users(const char *users_file, char **args, GHashTable *servers,
                          GError **error);

#endif
