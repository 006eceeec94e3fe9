/* lmtp-deliver-private.h -- what the files of one source's LMTP delivery share:
 * lmtp-deliver.c (the order, the parts, the source), lmtp-prepare.c (each message made
 * ready, and what becomes of it: stored, quarantined, APPENDed), lmtp-send.c (the
 * mailbox read for delivery headers; LMTP; Cyrus's deliver). */
#ifndef M2C_LMTP_DELIVER_PRIVATE_H
#define M2C_LMTP_DELIVER_PRIVATE_H

#include "method-lmtp-private.h"

#define HOLD_MAX (1024 * 1024)
#define HEADER_MAX (256 * 1024)
#define SYNC_ABOVE (4 * 1024 * 1024)

typedef struct {
	MboxMessage *m;
	guint64 size;            /* the fixed message's bytes */
	GByteArray *bytes;       /* ... held when small */
	GByteArray *header;      /* its header block (up to HEADER_MAX) */
	gboolean header_done, separator, last_lf, has_nul;
	gsize line_len;
	char *message_id;        /* whitespace removed; NULL when none */
	gint64 date;
	char *trace;             /* the delivery header line */
	Route route;
} Msg;

typedef struct {
	MethodUser *mu;
	const DeliveryTarget *t;
	MboxReader *reader;
	Delivery *d;
	MessageFixSettings fix;
	char *personal, *address, *folder;
	char key[17];
	guint32 uidvalidity;
	guint32 scanned;             /* UIDs below this were read for delivery headers */
	GHashTable *where;           /* message number -> UID (found by delivery header) */
	GArray *uids;                /* guint32 by message number - 1 */
	GHashTable *ids;             /* the mailbox's Message-IDs so far (borrowed) */
	GPtrArray *batch;            /* Msg *, sent by LMTP since the last part, waiting */
	GArray *part_q;              /* guint64 */
	guint64 part_first, seen;
	Msg *pending;                /* its body sent, its reply not read */
	guint64 dropped;
	guint64 found_again;         /* delivered by an earlier run the journal did not hear
	                              * of: stored, not sent again (not Delivery.found: they
	                              * came after the baseline was counted) */
	guint64 foreign;             /* delivery headers with a key not this run's (see scan_end) */
} Ctx;


/* lmtp-prepare.c */
void lmtp_msg_free(Msg *g);
/* `g` is sent and waits in the batch for its UID (its held bytes are let go) */
void lmtp_batch_add(Ctx *c, Msg *g);
/* say `text` of message `m` (stored or not) through the target */
void lmtp_report(Ctx *c, const MboxMessage *m, gboolean stored, const char *text);
/* make `g` ready (fixes, date, Message-ID, route); `say`: report the fixes */
gboolean lmtp_prepare(Ctx *c, Msg *g, gboolean say, GError **error);
/* `g`'s delivery header, for its route */
void lmtp_set_trace(Ctx *c, Msg *g);
/* `g`'s bytes as sent (the delivery header, then the message: held or read again) */
gboolean lmtp_produce(Ctx *c, Msg *g, MboxWriteFunc write, gpointer data, GError **error);
/* `g` is in the mailbox as `uid` (`now`: delivered by this run) */
void lmtp_stored(Ctx *c, Msg *g, guint32 uid, gboolean now);
/* `g` to the user's quarantine, `why` in the report */
gboolean lmtp_quarantine(Ctx *c, Msg *g, const char *why, GError **error);
/* APPEND `g` as the owner (stored, or quarantined when refused); `why` reported */
gboolean lmtp_append(Ctx *c, Msg *g, const char *why, GError **error);

/* lmtp-send.c */
/* read the delivery headers of the UIDs from c->scanned on into c->where */
gboolean lmtp_scan(Ctx *c, GError **error);
/* the mailbox selected, checked, its begin record, what it holds of this source */
gboolean lmtp_mailbox_begin(Ctx *c, LmtpRecords *r, GError **error);
/* send `g` (taken) over LMTP, pipelined: its reply is read with the next or drain */
gboolean lmtp_send(Ctx *c, Msg *g, GError **error);
/* read the reply of the message sent last, if any */
gboolean lmtp_drain(Ctx *c, GError **error);
/* messages `missing` (guint64 numbers) lmtpd filed into the INBOX: moved into the folder */
gboolean lmtp_rescue_from_inbox(Ctx *c, const GArray *missing, guint *moved_out, GError **error);
/* run the deliver program for `g` (taken) */
gboolean lmtp_send_program(Ctx *c, Msg *g, GError **error);

#endif
