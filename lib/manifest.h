/* manifest.h -- the manifest: the one record that ties a Berkeley path to its Cyrus
 * mailbox name.  Written by mapnames, read by convert, verify and backout, and
 * reviewed (and edited) by an administrator in between.  Writer and reader live here
 * together, so that what one writes the other reads (STYLE.md 7).
 *
 * Format: TSV, lines end in LF (a CR before it is dropped: an editor's CRLF).  Lines
 * starting with '#' are comments, one of which may be the settings line (below).  The
 * first other line is the header row
 *     user  mailbox  source  action  messages  bytes  subscribed  note
 * (a reader ignores columns after these).  Then one row per file:
 *     action     inbox | folder | skip
 *     mailbox    the admin's name (user.alice.Sent), "-" for skip
 *     source     absolute path, escaped as tsv.h says ("-" when there is none)
 *     messages, bytes   numbers, or "-" when not counted
 *     subscribed yes | no | -
 *     note       free text, escaped; "-" when empty
 * and, only when some row has one, a ninth column
 *     server     the Cyrus Murder backend the user's mail goes to (from mapnames's
 *                --users file: "user server"), escaped; "-" when none
 * No field is empty ("-" is none; a value "-" is written \x2d), and none but the
 * source may hold an escaped NUL; a raw NUL byte anywhere is refused.  Rows are
 * sorted: by user, then inbox, folders, skips, then mailbox, then source.
 *
 * The settings line records how mapnames found the files, which convert needs to open
 * them as safely:
 *     # settings: separator=. spool-dir=/var/mail homes=passwd owner-check=yes
 *       follow-links-inside-home=no virtdomains=no fs-charset=UTF-8 ...
 * (one line), KEY=VALUE words split at spaces, in no particular order.  A value is
 * escaped as tsv.h says, and a space in it is written \x20 ("/srv/my\x20homes/%u"), so
 * a value without a space, backslash or control character reads as it is written.
 * The reader knows separator (. or /), spool-dir and homes (absolute paths with no
 * empty, "." or ".." part; homes=passwd: the password database), owner-check and
 * follow-links-inside-home (yes or no); it ignores other keys.
 *
 * What a row must be to be used: manifest_validate().
 */
#ifndef M2C_MANIFEST_H
#define M2C_MANIFEST_H

#include <glib.h>

#include "mailbox-name.h"

#define M2C_MANIFEST_ERROR (m2c_manifest_error_quark())
GQuark m2c_manifest_error_quark(void);

typedef enum {
	M2C_MANIFEST_ERROR_IO,      /* cannot read or write the file */
	M2C_MANIFEST_ERROR_SYNTAX,  /* a line that is not a manifest row, a bad settings
	                             * line; "FILE:LINE: what is wrong" */
	M2C_MANIFEST_ERROR_INVALID, /* rows that must not be used (manifest_validate);
	                             * "FILE:LINE: what is wrong" */
	M2C_MANIFEST_ERROR_SEPARATOR, /* made for a server with the other hierarchy
	                               * separator (manifest_load): configuration */
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
	char *server;         /* the user's backend; NULL for "-" */
	guint line;           /* the line read from (0 when made in memory) */
} ManifestRow;

/* A new row; strings and `source` (`source_len` bytes, NULL for none) are copied. */
ManifestRow *manifest_row_new(const char *user, const char *mailbox, const char *source,
                              gsize source_len, ManifestAction action, const char *note);
void manifest_row_free(ManifestRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ManifestRow, manifest_row_free)

const char *manifest_action_name(ManifestAction action);

/* One user's rows, for the commands that work user by user (convert, verify). */
typedef struct {
	char *user;
	GPtrArray *rows;      /* ManifestRow *, borrowed from the manifest's array */
} ManifestUser;

/* `rows` grouped by user in manifest order, skips left out; only the users in `only`
 * (NULL-terminated) when it is not NULL.  A new array of ManifestUser (free function
 * set); `rows` must outlive it. */
GPtrArray *manifest_group_by_user(GPtrArray *rows, char *const *only);

/* Sort `rows` (ManifestRow *) into manifest order. */
void manifest_sort(GPtrArray *rows);

/* The manifest text for `rows` and `comments` (as manifest_write takes them), new.
 * `rows` are sorted here, and each row's `line` set to the line it is written on. */
char *manifest_format(const char *const *comments, GPtrArray *rows);

/* manifest_format in parts, for a writer that streams its rows (mapnames): the
 * comment lines and the header row, with the ninth column when `servers`; returns the
 * header row's line number (the first row is on the next line). */
guint manifest_format_head(GString *out, const char *const *comments, gboolean servers);

/* Append one row's line (with the ninth column when `servers`) to `out`.  Neither
 * sorts nor numbers: the caller writes rows in manifest order (manifest_sort). */
void manifest_format_row(GString *out, const ManifestRow *row, gboolean servers);

/* A manifest written atomically in pieces: a temporary file in the directory of
 * `path` (new), data appended, then commit: fsync, rename onto `path`.  On any
 * failure: FALSE (or NULL) with IO, "cannot write PATH: ...", the temporary file
 * removed and the writer freed; `path` is then untouched.  abort: the same, no error
 * (NULL is passed over).  manifest_write is new, append, commit. */
typedef struct ManifestWriter ManifestWriter;
ManifestWriter *manifest_writer_new(const char *path, GError **error);
gboolean manifest_writer_append(ManifestWriter *writer, const char *data, gsize len,
                                GError **error);
gboolean manifest_writer_commit(ManifestWriter *writer, GError **error);
void manifest_writer_abort(ManifestWriter *writer);

/* Write `rows` (sorted and numbered as manifest_format does) to `path` atomically: a temporary file in the same
 * directory, fsync, rename.  `comments` (NULL-terminated, may be NULL) become "# "
 * lines at the top.  FALSE with IO on failure; `path` is then untouched. */
gboolean manifest_write(const char *path, const char *const *comments, GPtrArray *rows,
                        GError **error);

/* What the settings line says (see the top of this file). */
typedef struct {
	char separator;                    /* '.' or '/'; 0: not recorded */
	gboolean check_owner;              /* owner-check; TRUE when not recorded */
	gboolean follow_links_inside_home; /* FALSE when not recorded */
	char *inbox_dir;                   /* the inbox files' directory ("spool-dir=",
	                                    * /var/mail); NULL: not recorded */
	char *home_template;               /* "/home/%u"; NULL: the password database
	                                    * ("homes=passwd", or not recorded) */
} ManifestSettings;

/* Fill `settings` with the defaults (what a manifest without a settings line says). */
void manifest_settings_init(ManifestSettings *settings);

/* Free what `settings` holds and leave it at the defaults. */
void manifest_settings_clear(ManifestSettings *settings);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ManifestSettings, manifest_settings_clear)

/* The settings line for manifest_write's `comments` ("settings: separator=. ..."),
 * new: the fields of `settings` that are recorded, then `more`, pairs of key and
 * value (NULL-terminated, may be NULL) the reader ignores but an administrator wants
 * to see.  Keys are words of [a-z0-9-]; values may be any string. */
char *manifest_settings_format(const ManifestSettings *settings, const char *const *more);

/* Parse `len` bytes of manifest `text` (need not end in NUL); `name` names it in
 * errors.  Returns a new array of ManifestRow (free function set, rows in text
 * order), or NULL with SYNTAX ("NAME:LINE: what is wrong", or "NAME: ..." when the
 * header row is missing).  With `settings_out` (may be NULL), which the caller has
 * not initialised: on success, what the settings line says, to be freed with
 * manifest_settings_clear(); on failure, the defaults (nothing to free).  Safe on any
 * bytes: a bad manifest is an error, never a crash or an assertion. */
GPtrArray *manifest_parse(const char *name, const char *text, gsize len,
                          ManifestSettings *settings_out, GError **error);

/* Read `path` and parse it as manifest_parse() does, `path` naming it in errors.
 * NULL with IO when it cannot be read, or with SYNTAX. */
GPtrArray *manifest_read(const char *path, ManifestSettings *settings_out, GError **error);

/* Check that `rows` (from manifest_read of `path`) can be used on a server named by
 * `naming` (separator, virtdomains; the charsets are not used): returns TRUE, or
 * FALSE with INVALID, "PATH:LINE: what is wrong" for the first row (in array order)
 * that breaks a rule; for a pair of rows the message names the earlier row's line
 * too ("m.tsv:7: the same row as line 5").  The rules, for every row:
 *  - no control character (0x00-0x1f, 0x7f) in the user, mailbox or note, and no NUL
 *    in the source (a file name may hold any other byte: mapnames writes it escaped);
 * and for inbox and folder rows (skip rows are never used, and mapnames writes one
 * for a user Cyrus cannot take, to say why):
 *  - the source, when there is one, is an absolute path with no empty, "." or ".."
 *    part ("/home/alice/Mail/x"), as mapnames writes it, so one file is one string;
 *  - the user is one Cyrus can take (mailbox_name_user());
 *  - the mailbox is one Cyrus takes (mailbox_name_check()) and is the user's: an inbox
 *    row's is the user's INBOX (user.alice, user.alice@example.com); a folder row's
 *    is the INBOX (~/mbox merged into it) or below it (user.alice.Sent,
 *    user.alice.Sent@example.com);
 *  - no two rows with the same user, mailbox and source;
 *  - no source in two of these rows, whoever's and wherever to (its mail would be
 *    delivered twice);
 *  - at most one inbox row per user. */
gboolean manifest_validate(const char *path, GPtrArray *rows, const MailboxNaming *naming,
                           GError **error);   /* in manifest-validate.c; `rows` unchanged */

/* What every command that uses a manifest does at its boundary: manifest_read() of
 * `path` (IO, SYNTAX), then the separator its settings line records, when it records
 * one, must be `naming`'s (else SEPARATOR, "PATH: made for a server with the '/'
 * separator, this one has '.' ..."), then manifest_validate() (INVALID).  The rows and
 * `*settings_out` as manifest_read() gives them (the settings are the defaults, with
 * nothing to free, on failure).  In manifest-validate.c. */
GPtrArray *manifest_load(const char *path, const MailboxNaming *naming,
                         ManifestSettings *settings_out, GError **error);

#endif
