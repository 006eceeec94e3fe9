/* mailbox-name.h -- Berkeley folder paths to the Cyrus mailbox names an admin sees.
 *
 * The rules, in order, for each path component (file or directory name), measured
 * against Cyrus 3.6 CREATE (tests/t0410):
 *  1. bytes to Unicode: the file system's charset (UTF-8 by default), else the
 *     fallback charset (e.g. EUC-JP, ISO-8859-1); a byte neither can read becomes
 *     U+F700 + byte (Private Use Area, reversible);
 *  2. NFC normalisation (Cyrus normalises names to NFC itself);
 *  3. characters Cyrus refuses become their fullwidth forms, which read the same in
 *     any mail client:  ! " % / ; < > \ ` { | }  ->  ！ ＂ ％ ／ ； ＜ ＞ ＼ ｀ ｛ ｜ ｝
 *     and so do the separator inside a name ('.' -> '．' with the '.' separator),
 *     '^' with the '/' separator ('^' -> '＾': Cyrus keeps '.' as '^' then), and a
 *     leading '.' or '~', and '@' with virtual domains ('@' -> '＠': Cyrus takes
 *     what follows the last '@' of a name as its domain);  control characters
 *     U+0001..U+001F, U+007F become the Control Pictures U+2401..U+241F, U+2421;
 *     '&' stays ('&-' in modified UTF-7);
 *  4. the components are joined with the separator under the user's prefix; a name
 *     that equals one given out before, compared after NFC and case folding, gets
 *     "~2", "~3", ... on its last component;
 *  5. a name longer than 490 bytes (Cyrus's limit, encoded) has its last component
 *     cut and "~" plus 8 hex digits of a hash of the full name appended;
 *  6. modified UTF-7.
 * Every name made here passes mailbox_name_check(); a file whose name cannot be made
 * to (the levels above it alone pass 490 bytes) gets no name (mailbox_name_set_add).
 * Users: "user" SEP name; with the '.' separator a '.' in the user name is '^'
 * (john.doe -> user.john^doe); with virtual domains "alice@example.com" gives
 * user.alice@example.com and user.alice.Sent@example.com.
 */
#ifndef M2C_MAILBOX_NAME_H
#define M2C_MAILBOX_NAME_H

#include <glib.h>

#define M2C_NAME_ERROR (m2c_name_error_quark())
GQuark m2c_name_error_quark(void);

typedef enum {
	M2C_NAME_ERROR_BAD_USER,    /* a user name Cyrus cannot take */
	M2C_NAME_ERROR_CHARSET,     /* an unknown charset name */
	M2C_NAME_ERROR_BAD_NAME,    /* a mailbox name Cyrus 3.6 would refuse */
} M2cNameError;

#define MAILBOX_NAME_MAX 490

typedef struct {
	char separator;             /* '.' (unixhierarchysep: no) or '/' */
	gboolean virtdomains;       /* user@domain users */
	char *fs_charset;           /* charset of file names; NULL = UTF-8 */
	char *fs_charset_fallback;  /* for names not valid in fs_charset; NULL = none */
} MailboxNaming;

typedef struct CyrusConf CyrusConf;

/* The separator and virtdomains of the server whose imapd.conf is `conf`
 * (unixhierarchysep: Debian ships "no", Cyrus's own default is "yes").  Other fields
 * of `naming` are left alone. */
void mailbox_naming_from_conf(MailboxNaming *naming, const CyrusConf *conf);

/* Check that the charsets exist (iconv knows them).  FALSE with CHARSET otherwise. */
gboolean mailbox_naming_check(const MailboxNaming *naming, GError **error);

/* Step 1-3 for one component of `len` bytes: new UTF-8, never NULL.  Appends to
 * `notes` (may be NULL) what was changed: "charset EUC-JP", "mapped !", ... */
char *mailbox_name_map_component(const MailboxNaming *naming, const char *bytes, gsize len,
                                 GString *notes);

/* Whether Cyrus 3.6 CREATE takes the admin's name `mailbox` on a server with
 * `naming`'s separator and virtdomains (measured: DESIGN.md, tests/t0410).  The
 * rules, each a reason for FALSE with BAD_NAME (the message quotes the name, escaped
 * as tsv.h says, and says which rule):
 *  - empty, or more than MAILBOX_NAME_MAX (490) bytes;
 *  - a byte that is not 7-bit, or a control character (0x00-0x1f, 0x7f);
 *  - one of  ! " % / ; < > \ ` { | }  ('/' is the separator with '/', refused inside a
 *    part with '.');  '^' with the '/' separator (Cyrus stores '.' as '^' then);
 *  - an empty part: "a..b", a leading or trailing separator (Cyrus would silently
 *    collapse it into another name);
 *  - '&' other than in canonical modified UTF-7 ("&-", "&AOQ-"; not "&AOQ",
 *    "&AOQ-&AOQ-", "&AGE-");
 *  - with virtual domains: more than one '@', or nothing after it.  Cyrus takes what
 *    follows the last '@' as the domain, so an '@' in a folder of a user without a
 *    domain would move the folder to another domain (measured: CREATE
 *    user.alice.foo@bar is "Permission denied"); none is allowed in a folder.
 * Taken, for example: '*', '~', '$', spaces, "user.alice.&AOQ-".  Checks the name only,
 * not whose it is: see mailbox_name_user() for the prefix of a user's names. */
gboolean mailbox_name_check(const MailboxNaming *naming, const char *mailbox, GError **error);

/* The admin's name prefix of `user`'s mailboxes ("user.alice", "user/john.doe",
 * "user.john^doe") and the domain suffix ("@example.com" or ""), both new.  FALSE with
 * BAD_USER for a user name Cyrus refuses (8-bit, control, refused characters, '&', a
 * space, the separator '/' with the '/' separator, an '@' without virtual domains,
 * "anyone" and "anonymous", an INBOX name mailbox_name_check() refuses). */
gboolean mailbox_name_user(const MailboxNaming *naming, const char *user, char **prefix_out,
                           char **domain_out, GError **error);

/* The name the user sees for the admin's `mailbox` of the user with `prefix` and
 * `domain`: "INBOX" for the user's top, "INBOX.Sent" (or just "Sent" with
 * `altnamespace`) for user.alice.Sent.  New, or NULL when `mailbox` is not the user's. */
char *mailbox_name_personal(const MailboxNaming *naming, gboolean altnamespace,
                            const char *prefix, const char *domain, const char *mailbox);

/* The names given out so far on one server: steps 4-6. */
typedef struct MailboxNameSet MailboxNameSet;

MailboxNameSet *mailbox_name_set_new(const MailboxNaming *naming);
void mailbox_name_set_free(MailboxNameSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MailboxNameSet, mailbox_name_set_free)

/* Reserve the INBOX name `prefix` + `domain` (so no folder can take it). */
void mailbox_name_set_add_inbox(MailboxNameSet *set, const char *prefix, const char *domain);

/* The unique modified UTF-7 admin name for folder `components` (UTF-8, from
 * mailbox_name_map_component; at least one) of the user with `prefix` and `domain`
 * (from mailbox_name_user); new, and it passes mailbox_name_check().  Appends to
 * `notes` what steps 4-5 changed.  NULL with BAD_NAME when no name fits (the levels
 * above the file alone take more than 490 bytes); nothing is reserved then.
 * Deterministic: the same calls in the same order give the same names, so callers
 * add folders in a fixed order. */
char *mailbox_name_set_add(MailboxNameSet *set, const char *prefix, const char *domain,
                           char *const *components, GString *notes, GError **error);

#endif
