/* method-lmtp-private.h -- what method-lmtp.c (the contract, the checks, the records),
 * lmtp-deliver.c (one source's delivery) and deliver-program.c (Cyrus's deliver run
 * per message) share. */
#ifndef M2C_METHOD_LMTP_PRIVATE_H
#define M2C_METHOD_LMTP_PRIVATE_H

#include "imap-append.h"
#include "imap-session.h"
#include "lmtp-client.h"
#include "message-fix.h"
#include "method.h"
#include "quarantine.h"

struct MethodRun {
	char *state_dir;
	MessageFixSettings fix;
	char *header_charset;
	char *lmtp;                  /* where lmtpd listens (NULL with --deliver) */
	char *deliver;               /* --deliver PATH */
	char *cyrus_conf;
	char *sievedir;              /* from imapd.conf (NULL: not known) */
	char sep;                    /* the hierarchy separator: '.' or '/' */
	gboolean virtdomains;
	gboolean dupsuppression;     /* imapd.conf duplicatesuppression (default on) */
	gboolean duplicates_append;
	gboolean ignore_quota;
	char *admin, *admin_password;
	guint checkpoint_messages;   /* a part journaled at least every this many */
	guint retry_ms;              /* deliver: the first wait after a temporary exit */
	guchar secret[32];           /* STATE/lmtp.secret: makes delivery keys unguessable */
};

struct MethodUser {
	MethodRun *run;
	char *user;
	ImapSession *session;        /* the owner's (convert's): finds UIDs, APPENDs */
	ImapAppendCaps caps;
	char *(*personal)(gpointer data, const char *mailbox);
	gpointer personal_data;
	LmtpClient *lmtp;            /* opened at the first message */
	Quarantine *quarantine;
	gboolean quarantine_checked;
	GHashTable *ids;             /* admin mailbox name -> set of Message-IDs delivered */
	GHashTable *keys;            /* the delivery keys this run made for the user */
};

/* How a message goes in. */
typedef enum {
	ROUTE_LMTP,                  /* LMTP, or the deliver program */
	ROUTE_APPEND,                /* IMAP APPEND as the owner: what LMTP would drop or
	                              * change (a repeated Message-ID, no empty line after
	                              * the header, no line end at the end) */
} Route;

/* The checkpoints of one delivery, read back. */
typedef struct {
	gboolean begun;
	guint32 uidvalidity, uidnext;
	char key[17];                /* what the begin record says (for the administrator) */
	guint fixes;
	char *header_charset;
	guint64 last;                /* the last message number a part covers (0: none) */
	gint64 qz;
	GHashTable *quarantined;     /* message numbers (GSIZE_TO_POINTER) */
} LmtpRecords;

gboolean lmtp_records_parse(const char *const *checkpoints, LmtpRecords *r, GError **error);
void lmtp_records_clear(LmtpRecords *r);
char *lmtp_begin_format(guint32 uidvalidity, guint32 uidnext, const char *key, gint64 qz,
                        const MessageFixSettings *fix);
char *lmtp_part_format(guint64 first, guint64 last, const GArray *quarantined, gint64 qz);

/* The address LMTP delivers `mailbox` (admin name) of `user` to: "user" for the INBOX,
 * "user+Folder.Sub" for a folder (domain kept: "user+F@dom").  NULL with the reason
 * (new) in `*why` when LMTP cannot address it. */
char *lmtp_address(const MethodRun *run, const char *user, const char *mailbox, char **why);
/* The folder part of that address (for deliver -m), or NULL for the INBOX. */
char *lmtp_folder(const MethodRun *run, const char *user, const char *mailbox);

/* lmtp-deliver.c: method.h's deliver.  `delivery->uids`: GArray of guint32 by
 * message number - 1 (0: not stored). */
gboolean lmtp_deliver_source(MethodUser *mu, const DeliveryTarget *target, MboxReader *reader,
                             Delivery *delivery, guint32 *uidvalidity_out, GError **error);

/* deliver-program.c: run the deliver program once for one message of `len` bytes
 * (`write_message` writes them to `fd`): TRUE when it exited 0; FALSE with an error:
 * its exit status mapped as M2C_IMAP_ERROR_OVERQUOTA (75) or NETWORK (78, 69, other
 * temporary sysexits) after retrying with backoff, else NO (permanent: 65 and the
 * rest), the program's words in the message. */
typedef gboolean (*DeliverWrite)(int fd, gpointer data, GError **error);
gboolean deliver_program_run(const MethodRun *run, const char *user, const char *folder,
                             DeliverWrite write_message, gpointer data, GError **error);

#endif
