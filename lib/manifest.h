/* manifest.h -- the manifest: the one record that ties a Berkeley path to its Cyrus
 * mailbox name.  Written by mapnames, read by convert, verify and backout, and
 * reviewed (and edited) by an administrator in between.  Writer and reader live here
 * together, so that what one writes the other reads (STYLE.md 7).
 *
 * Format: TSV.  Lines starting with '#' are comments.  The first other line is the
 * header row
 *     user  mailbox  source  action  messages  bytes  subscribed  note
 * (a reader ignores columns after these).  Then one row per file:
 *     action     inbox | folder | skip
 *     mailbox    the admin's name (user.alice.Sent), "-" for skip
 *     source     absolute path, escaped as tsv.h says ("-" when there is none)
 *     messages, bytes   numbers, or "-" when not counted
 *     subscribed yes | no | -
 *     note       free text, escaped; "-" when empty
 * Rows are sorted: by user, then inbox, folders, skips, then mailbox, then source.
 */
#ifndef M2C_MANIFEST_H
#define M2C_MANIFEST_H

#include <glib.h>

#define M2C_MANIFEST_ERROR (m2c_manifest_error_quark())
GQuark m2c_manifest_error_quark(void);

typedef enum {
	M2C_MANIFEST_ERROR_IO,      /* cannot read or write the file */
	M2C_MANIFEST_ERROR_SYNTAX,  /* a line that is not a manifest row; FILE:LINE given */
} M2cManifestError;

typedef enum {
	MANIFEST_INBOX,
	MANIFEST_FOLDER,
	MANIFEST_SKIP,
} ManifestAction;

typedef struct {
	char *user;
	char *mailbox;        /* NULL for "-" */
	GBytes *source;       /* the path's bytes; NULL for "-" */
	ManifestAction action;
	gint64 messages;      /* -1 for "-" */
	gint64 bytes;         /* -1 for "-" */
	int subscribed;       /* 1 yes, 0 no, -1 "-" */
	char *note;           /* NULL for "-" */
	guint line;           /* the line read from (0 when made in memory) */
} ManifestRow;

/* A new row; strings and `source` (`source_len` bytes, NULL for none) are copied. */
ManifestRow *manifest_row_new(const char *user, const char *mailbox, const char *source,
                              gsize source_len, ManifestAction action, const char *note);
void manifest_row_free(ManifestRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ManifestRow, manifest_row_free)

const char *manifest_action_name(ManifestAction action);

/* Sort `rows` (ManifestRow *) into manifest order. */
void manifest_sort(GPtrArray *rows);

/* The manifest text for `rows` (sorted here) and `comments`, new. */
char *manifest_format(const char *const *comments, GPtrArray *rows);

/* Write `rows` (sorted here) to `path` atomically: a temporary file in the same
 * directory, fsync, rename.  `comments` (NULL-terminated, may be NULL) become "# "
 * lines at the top.  FALSE with IO on failure; `path` is then untouched. */
gboolean manifest_write(const char *path, const char *const *comments, GPtrArray *rows,
                        GError **error);

/* Read `path`.  Returns a new array of ManifestRow (free function set), or NULL with
 * IO or SYNTAX ("FILE:LINE: what is wrong"). */
GPtrArray *manifest_read(const char *path, GError **error);

#endif
