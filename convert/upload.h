/* upload.h -- what `mbox2cyrus upload` adds to convert's pipeline: one user, as
 * themselves, names from the server, and the files to move.
 *
 * upload runs convert (convert-user.h) for the invoking user, with the imap method
 * and the user's own login (ConvertContext.own_login), on manifest rows made here in
 * memory exactly as mapnames would write them (admin names, "user.alice.Sent", which
 * convert maps to the user's own, "INBOX.Sent" or "Sent"):
 *
 *   upload                 the user's inbox and folders, found and named by map_user()
 *                          (map-user.h) as mapnames finds and names them
 *   upload FILE...         each FILE one folder, named by its base name (a
 *                          compression suffix, then .mbox or .mbx, dropped; special
 *                          use applied; mapped as mapnames maps a component),
 *                          subscribed
 *   upload --into FOLDER   either of them moved under FOLDER: the old inbox becomes
 *                          FOLDER itself and each folder F becomes FOLDER.F, as
 *                          they stood under INBOX
 *
 * The user cannot read the server's imapd.conf: the separator and altnamespace come
 * from NAMESPACE instead (upload_naming_from_namespace).
 *
 * Errors: M2C_UPLOAD_ERROR, codes below; and the errors of what is called (named at
 * each function).
 */
#ifndef M2C_UPLOAD_H
#define M2C_UPLOAD_H

#include <glib.h>

#include "mailbox-name.h"
#include "map-user.h"
#include "report.h"

#define M2C_UPLOAD_ERROR (m2c_upload_error_quark())
GQuark m2c_upload_error_quark(void);

typedef enum {
	M2C_UPLOAD_ERROR_NAMESPACE,  /* the server's personal namespace is not one Cyrus has */
	M2C_UPLOAD_ERROR_FILE,       /* a FILE argument that cannot be uploaded */
	M2C_UPLOAD_ERROR_FOLDER,     /* an --into FOLDER that cannot be a folder */
} M2cUploadError;

/* The naming of the server whose first personal namespace (imap_session_namespace)
 * has `prefix` and `delimiter`, as Cyrus 3.6 shows them (measured):
 *     "INBOX." '.'   separator '.', altnamespace off (Debian's imapd.conf)
 *     "INBOX/" '/'   separator '/', altnamespace off
 *     ""       '.'   separator '.', altnamespace on;  "" '/' likewise
 * Sets `naming->separator` and `naming->virtdomains` (TRUE: upload cannot tell, and an
 * '@' in a folder name would be read as a domain by a server with virtual domains;
 * mapped to '＠' it reads the same anywhere) and `*altnamespace_out`; leaves the
 * charsets alone.  FALSE with NAMESPACE for anything else. */
gboolean upload_naming_from_namespace(const char *prefix, char delimiter, MailboxNaming *naming,
                                      gboolean *altnamespace_out, GError **error);

/* One FILE argument, checked: `given` as the user typed it, `path` its real path
 * (symbolic links resolved: the user names the file, and reads it as themselves). */
typedef struct {
	char *given;
	char *path;
} UploadFile;

void upload_file_free(UploadFile *file);

/* Check the FILE arguments `files` (NULL-terminated) before anything is touched:
 * each must exist and be a regular file (after links), "-" is refused (the journal
 * needs a file to come back to), and no file twice.  A new array of UploadFile *
 * (free function set), or NULL with FILE ("FILE: why") or a G_FILE_ERROR. */
GPtrArray *upload_files_check(char *const *files, GError **error);

/* Append to `rows` one folder row (ManifestRow *, subscribed) of `user` for each of
 * `files` (UploadFile *), in order, named as the top of this file says, unique among
 * them ("~2" on a clash).  FALSE with an M2C_NAME_ERROR when `user` cannot be a
 * Cyrus user, or when no name fits a file (its base name alone passes 490 bytes). */
gboolean upload_rows_from_files(const MapUserSettings *settings, const char *user,
                                GPtrArray *files, GPtrArray *rows, GError **error);

/* Move `user`'s rows (not skips) under the folder `into`: levels separated by '/' or
 * the server's separator, each mapped as a folder name; a leading "INBOX" level is
 * dropped ("INBOX.Imported" is "Imported").  A row whose name would pass 490 bytes
 * there becomes a skip row, reported as an error through `report`.  FALSE with FOLDER
 * (nothing changed) when `into` names no folder ("", "INBOX", an empty level). */
gboolean upload_rows_into(const MapUserSettings *settings, const char *user, const char *into,
                          GPtrArray *rows, Report *report, GError **error);

/* Where upload keeps its journal by default:
 * $XDG_STATE_HOME/mbox2cyrus/upload/HOST-PORT-LOGIN (XDG_STATE_HOME defaults to
 * ~/.local/state), one directory per server and login; characters other than
 * letters, digits and . _ @ + - become '_'.  New. */
char *upload_state_dir(const char *host, guint16 port, const char *login);

#endif
