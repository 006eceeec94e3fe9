/* user-mailboxes.h -- a user's manifest rows as mailboxes, each with its sources in
 * the order convert stores them: the INBOX first (the inbox row, when there is one),
 * then every other mailbox in manifest order.  verify compares, backout rebuilds, in
 * this order. */
#ifndef M2C_USER_MAILBOXES_H
#define M2C_USER_MAILBOXES_H

#include <glib.h>

typedef struct {
	const char *name;       /* the admin's name, borrowed from a row (or `owned`) */
	GPtrArray *sources;     /* char * paths, new; NULL entries are rows without a source */
	char *owned;            /* the name when no row gave it (user_mailboxes_add_inbox) */
} UserMailbox;

/* `rows` (ManifestRow *, inbox and folder rows of one user): a new array of
 * UserMailbox * (free function set); `rows` must outlive it. */
GPtrArray *user_mailboxes(GPtrArray *rows);

/* When no row gives the INBOX `inbox` (admin name) a source file, give it `source`
 * (put first, the mailbox made when no row names it): mapnames writes an inbox row
 * without a source ("-"), or none, for an inbox file that was empty or missing at the
 * cutover, and backout must still bring back the mail that came to Cyrus after it.
 * TRUE when `source` was added. */
gboolean user_mailboxes_add_inbox(GPtrArray *mailboxes, const char *inbox, const char *source);

#endif
