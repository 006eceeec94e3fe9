/* imap-deliver-private.h -- what imap-deliver.c (the order, the commands, the journal)
 * and imap-prepare.c (each message made ready to send, and its literal) share. */
#ifndef M2C_IMAP_DELIVER_PRIVATE_H
#define M2C_IMAP_DELIVER_PRIVATE_H

#include "method-imap-private.h"

#define HOLD_MAX (1024 * 1024)        /* literals held in memory up to this size */
#define MAX_KEYWORDS 100              /* Cyrus: "Too many user flags in mailbox" */
#define SYNC_ABOVE (4 * 1024 * 1024)  /* larger literals wait for the server's "+" */

typedef struct {
	MboxMessage *m;
	guint64 size;
	GByteArray *bytes;       /* the literal when held */
	GDateTime *date;
	GPtrArray *flags;        /* as sent, NULL-terminated */
	GChecksum *sum;          /* while preparing, when a digest is wanted */
	guint8 sha1[20];
} Prepared;

typedef struct {
	MethodUser *mu;
	const DeliveryTarget *t;
	MboxReader *reader;
	Delivery *d;
	char *personal;
	guint32 uidvalidity;
	GHashTable *keywords;    /* the mailbox's, borrowed from mu->keywords */
	GArray *uids;            /* guint32 by message number - 1 */
	/* the part not yet journaled: messages part_first..seen */
	guint64 part_first, seen;
	gint64 qz_journaled;     /* the quarantine's size the last record says; -1: none */
	GArray *part_uids;       /* guint32 */
	GArray *part_q;          /* guint64 */
	/* the APPEND command being sent */
	ImapAppend *cmd;
	GPtrArray *batch;        /* Prepared *, in order */
	guint64 batch_bytes;
	MessageFixSettings fix;  /* the run's, or those the delivery began with */
	/* what the mailbox holds already (imap-resume.c); NULL when it was empty */
	ImapResume *resume;
	gboolean adopting;       /* until the first message is appended */
} Ctx;

/* The producer of a message's literal (imap-append.h): the held bytes, or the reader
 * again. */
typedef struct {
	Ctx *c;
	Prepared *p;
} Produce;

void imap_prepared_free(Prepared *p);

/* Say `text` of message `m` (stored or not) through the target. */
void imap_report(Ctx *c, const MboxMessage *m, gboolean stored, const char *text);

/* Make `p` (whose message is set) ready to send: flags, date, the fixed bytes (held
 * up to HOLD_MAX, else counted), its SHA-1 when `want_digest`; `say`: report what was
 * changed (the first time only).  FALSE with the reader's error. */
gboolean imap_prepare(Ctx *c, Prepared *p, gboolean want_digest, gboolean say, GError **error);

/* ImapLiteralProducer for a Produce. */
gboolean imap_produce(gpointer data, ImapLiteralWrite write, gpointer write_data, GError **error);

/* No bytes, or only empty lines. */
gboolean imap_prepared_is_empty(const Prepared *p);

/* The keywords of the mailbox just selected, kept across the user's deliveries. */
GHashTable *imap_mailbox_keywords(Ctx *c);

#endif
