/* convert-user-private.h -- what convert-user.c (steps 1-4) and convert-flags.c
 * (steps 5-6) share about the user being converted. */
#ifndef M2C_CONVERT_USER_PRIVATE_H
#define M2C_CONVERT_USER_PRIVATE_H

#include "convert-user.h"
#include "imap-session.h"
#include "journal.h"
#include "manifest.h"

typedef struct {
	ManifestRow *row;
	char *source;            /* NULL: no source (an empty INBOX) */
	char *key;               /* journal key of the source: mailbox TAB source */
	char *dir;               /* the mailbox directory, from mbpath */
	MailboxResult *result;
	guint32 uid_base;        /* UIDs of this source start after this */
	gboolean keep_x_uid;
	GHashTable *flag_groups; /* "\\Seen $Label1" -> GArray of UIDs, from the write pass;
	                          * NULL after a resume (then read again) */
} Box;

typedef struct {
	ConvertContext *ctx;
	const char *user;
	char *prefix, *domain, *inbox;
	Journal *journal;
	GPtrArray *boxes;        /* Box*, manifest order: the INBOX first */
	GPtrArray *mailboxes;    /* distinct mailbox names, in that order */
	ImapSession *admin;
	ImapSession *owner;      /* logged in as the user through the admin; made on demand */
} Job;

/* Mark the source `b` failed: results and report. */
void box_fail(Job *job, Box *b, const char *text);
gboolean box_failed(Job *job, Box *b);

/* The session as the user (made on the first call; owned by the job). */
ImapSession *owner(Job *job, GError **error);

/* The user's own name of the admin's `mailbox` (new), NULL when not the user's. */
char *personal_name(Job *job, const char *mailbox);

/* Flag groups: "\\Seen $Label1" -> GArray of guint32 UIDs. */
GHashTable *flag_groups_new(void);
void flag_groups_add(GHashTable *groups, const MboxMessage *m, guint32 uid);

/* Steps 5 and 6 for every source of the job.  FALSE with an error for failures of the
 * whole user (the connection); single sources fail with box_fail(). */
gboolean restore_user_state(Job *job, GError **error);

#endif
