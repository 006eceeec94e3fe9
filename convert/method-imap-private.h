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
	Quarantine *quarantine;
};

void imap_user_free(MethodUser *mu);

/* The checkpoints of one delivery, read back. */
typedef struct {
	gboolean begun;              /* a begin record */
	guint32 uidvalidity, uidnext;
	guint64 last;                /* the last message number a part covers (0: none) */
	guint64 stored;              /* messages the parts say are stored */
	gint64 qz;                   /* the quarantine's size at the last record */
	GArray *uids;                /* guint32 by message number - 1; 0: not stored */
	GHashTable *quarantined;     /* message numbers (GSIZE_TO_POINTER) in quarantine */
} ImapRecords;

gboolean imap_records_parse(const char *const *checkpoints, ImapRecords *records, GError **error);
void imap_records_clear(ImapRecords *records);
char *imap_begin_format(guint32 uidvalidity, guint32 uidnext, gint64 qz);
/* `uids`: guint32, the stored ones in order; `quarantined`: guint64 message numbers */
char *imap_part_format(guint64 first, guint64 last, const GArray *uids, const GArray *quarantined,
                       gint64 qz);

/* imap-deliver.c: deliver every message of `reader` to `target` (method.h's
 * deliver), or go on from the checkpoints of an earlier run.  `delivery->uids` is a
 * GArray as ImapRecords.uids. */
gboolean imap_deliver_source(MethodUser *mu, const DeliveryTarget *target, MboxReader *reader,
                             Delivery *delivery, guint32 *uidvalidity_out, GError **error);

#endif
