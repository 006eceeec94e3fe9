/* user-mailboxes.h -- a user's manifest rows as mailboxes, each with its sources in
 * the order convert stores them: the INBOX first (the inbox row, when there is one),
 * then every other mailbox in manifest order.  verify compares, backout rebuilds, in
 * this order. */
#ifndef M2C_USER_MAILBOXES_H
#define M2C_USER_MAILBOXES_H

#include <glib.h>

typedef struct {
	const char *name;       /* the admin's name, borrowed from a row */
	GPtrArray *sources;     /* char * paths, new; NULL entries are rows without a source */
} UserMailbox;

/* `rows` (ManifestRow *, inbox and folder rows of one user): a new array of
 * UserMailbox * (free function set); `rows` must outlive it. */
GPtrArray *user_mailboxes(GPtrArray *rows);

#endif
