/* method-imap-private.h -- what method-imap.c (the contract, the records) and
 * imap-deliver.c (one source's delivery, the resume check) share. */
#ifndef M2C_METHOD_IMAP_PRIVATE_H
#define M2C_METHOD_IMAP_PRIVATE_H

#include "imap-append.h"
#include "imap-session.h"
#include "message-fix.h"
#include "method.h"
#include "quarantine.h"

struct MethodRun {
	char *state_dir;
	MessageFixSettings fix;
	char *header_charset;
	guint batch_messages;        /* messages per APPEND command */
	guint64 batch_bytes;         /* bytes per APPEND command */
};

struct MethodUser {
	MethodRun *run;
	char *user;
	ImapSession *session;        /* the user's own (convert's) */
	ImapAppendCaps caps;
	char *(*personal)(gpointer data, const char *mailbox);
	gpointer personal_data;
	GHashTable *keywords;        /* admin mailbox name -> set of its keywords */
	GHashTable *claimed;         /* admin mailbox name -> set of UIDs its sources stored */
	Quarantine *quarantine;
	gboolean quarantine_checked; /* cut back to the journal's last word (imap_deliver_source) */
};

/* The UIDs of `uids` (GArray of guint32 by message, 0: none) as stored by a source
 * into `mailbox`: other sources do not take them for theirs (imap-resume.c). */
void imap_user_claim(MethodUser *mu, const char *mailbox, const GArray *uids);

void imap_user_free(MethodUser *mu);

/* A part claiming more messages than this is damaged: read before an allocation it
 * would ask for (2^24 messages, 64 MiB of UIDs: an mbox of several hundred GB). */
#define IMAP_MAX_MESSAGES (1u << 24)

/* The checkpoints of one delivery, read back. */
typedef struct {
	gboolean begun;              /* a begin record */
	guint32 uidvalidity, uidnext;
	guint fixes;                 /* the fixes the delivery began with (MessageFixKind) */
	char *header_charset;        /* ... and its --header-charset (NULL: detected) */
	guint64 last;                /* the last message number a part covers (0: none) */
	guint64 stored;              /* messages the parts say are stored */
	gint64 qz;                   /* the quarantine's size at the last record */
	GArray *uids;                /* guint32 by message number - 1; 0: not stored */
	GHashTable *quarantined;     /* message numbers (GSIZE_TO_POINTER) in quarantine */
} ImapRecords;

gboolean imap_records_parse(const char *const *checkpoints, ImapRecords *records, GError **error);
void imap_records_clear(ImapRecords *records);
char *imap_begin_format(guint32 uidvalidity, guint32 uidnext, gint64 qz,
                        const MessageFixSettings *fix);
/* `uids`: guint32, the stored ones in order; `quarantined`: guint64 message numbers */
char *imap_part_format(guint64 first, guint64 last, const GArray *uids, const GArray *quarantined,
                       gint64 qz);

/* imap-resume.c: what the mailbox (selected) holds already, for a delivery with
 * the records `r` (maybe none): the UIDs the records claim must be there, and the
 * other messages but those in `others` (UIDs other sources stored; may be NULL) are
 * candidates to take a message of the source as stored.  NULL with an error. */
typedef struct ImapResume ImapResume;
ImapResume *imap_resume_new(ImapSession *session, const ImapRecords *r, GHashTable *others,
                            GError **error);
void imap_resume_free(ImapResume *rs);
gboolean imap_resume_has_candidates(const ImapResume *rs);
/* Message `number`, whose digest is `sha1`, is UID `uid`, its part says: TRUE when the
 * mailbox agrees, else FALSE with an error (permanent). */
gboolean imap_resume_claimed(ImapResume *rs, guint64 number, guint32 uid, const guint8 sha1[20],
                             GError **error);
/* The UID of a candidate holding `sha1`, taken (0: none; `rs` may be NULL). */
guint32 imap_resume_adopt(ImapResume *rs, const guint8 sha1[20]);
/* What was taken, in words (new), or NULL when nothing was. */
char *imap_resume_note(const ImapResume *rs, const char *mailbox);

/* imap-deliver.c: deliver every message of `reader` to `target` (method.h's
 * deliver), or go on from the checkpoints of an earlier run.  `delivery->uids` is a
 * GArray as ImapRecords.uids. */
gboolean imap_deliver_source(MethodUser *mu, const DeliveryTarget *target, MboxReader *reader,
                             Delivery *delivery, guint32 *uidvalidity_out, GError **error);

#endif
