/* mbox-meta.h -- what mail programs keep inside mbox files about each message and
 * the folder, read into IMAP terms.
 *
 *   Status: R -> \Seen; O -> (old: not \Recent, nothing to set); D -> \Deleted
 *   X-Status: A -> \Answered, F -> \Flagged, T -> \Draft, D -> \Deleted  (UW-IMAP, Pine)
 *   X-Keywords: space- or comma-separated keywords                         (UW-IMAP, Dovecot)
 *   X-Mozilla-Status: hex; 0x1 \Seen, 0x2 \Answered, 0x4 \Flagged, 0x8 \Deleted,
 *                     0x1000 $Forwarded                                     (Netscape, Thunderbird)
 *   X-Mozilla-Keys: space-separated keywords                               (Thunderbird)
 *   X-IMAP / X-IMAPbase: "UIDVALIDITY LAST-UID [keyword ...]"              (UW-IMAP)
 * The letter table follows CPython's mailbox.mboxMessage (corpus mbox-flag-vectors).
 */
#ifndef M2C_MBOX_META_H
#define M2C_MBOX_META_H

#include <glib.h>

/* Collects flags from header fields; deduplicates; knows the canonical order. */
typedef struct MboxFlagSet MboxFlagSet;

MboxFlagSet *mbox_flag_set_new(void);
void mbox_flag_set_free(MboxFlagSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MboxFlagSet, mbox_flag_set_free)

/* Add what header field `name` (case-insensitive) with `value` says.  Fields other
 * than those listed above are ignored.  A keyword that is not a valid IMAP atom is
 * not added; a message about it is appended to `warnings` (may be NULL). */
void mbox_flag_set_add_field(MboxFlagSet *set, const char *name, const char *value,
                             GPtrArray *warnings);

/* The flags as a new NULL-terminated list: \Seen \Answered \Flagged \Deleted \Draft
 * (those present, in that order), then keywords in the order first seen. */
char **mbox_flag_set_to_strv(const MboxFlagSet *set);

/* TRUE when `name` is one of the mailbox-internal header fields that copies leave
 * out: Status, X-Status, X-Keywords, X-UID, X-IMAP, X-IMAPbase, Content-Length,
 * X-Mozilla-Status, X-Mozilla-Status2, X-Mozilla-Keys.  `len` bytes, no colon. */
gboolean mbox_meta_is_internal_field(const char *name, gsize len);

/* Parse an X-IMAP or X-IMAPbase value.  Returns FALSE when the two numbers are not
 * there.  `*keywords_out` (may be NULL) gets the keyword list (new, maybe empty). */
gboolean mbox_meta_parse_imapbase(const char *value, guint32 *uidvalidity_out,
                                  guint32 *last_uid_out, char ***keywords_out);

/* TRUE when `keyword` may be an IMAP keyword (an atom, not starting with '\'). */
gboolean mbox_meta_is_valid_keyword(const char *keyword);

#endif
