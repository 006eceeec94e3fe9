/* method.h -- the contract between convert and a delivery method.  A new method reads
 * this header and nothing else.
 *
 * convert (convert-user.c) owns the per-user order and everything that is the same
 * for every method: the journal, CREATE and SETQUOTA, opening each source safely and
 * reading it, the check that each mailbox holds what was delivered, flags and
 * keywords, subscriptions, results, progress, the report.  A method owns only how
 * messages get into a mailbox:
 *
 *   run_new        once per run: check the settings, find the tools.
 *   user_check     (may be NULL) before anything is done for a user: refuse the user
 *                  when the method cannot carry all of its mailboxes (lmtp: a folder
 *                  LMTP cannot address), so that nothing is half done.
 *   user_new       once per user, after the user's mailboxes exist.
 *   recall         for each source delivered by an earlier run, in manifest order:
 *                  take back its journal detail (so numbering can go on).
 *   deliver        for each source not yet delivered, in manifest order: every
 *                  message of the reader into the mailbox.  A method whose unit of
 *                  storing is smaller than a source (imap: one APPEND command)
 *                  records each unit stored with DeliveryTarget.checkpoint; a rerun
 *                  hands them back in DeliveryTarget.checkpoints, to deliver() and to
 *                  recall().
 *   finish         (may be NULL: visible once delivered, as an APPEND or an LMTP
 *                  reply) after the deliveries: make what was delivered visible in
 *                  the named mailboxes (spool: reconstruct).  convert then counts each
 *                  mailbox through IMAP: it must hold its messages from before plus
 *                  Delivery.stored of each source.
 *   uid_of         the UID a delivered message has, for the flags step (also after a
 *                  rerun, from a recalled delivery).
 *   prepare_many,  (both may be NULL) the same work for a group of users at once
 *   finish_many    (convert --batch-users): before the group's user_new calls, and
 *                  instead of each user's finish(), so that a tool whose start-up
 *                  costs more than a small user runs once per group (spool: one
 *                  mbpath, one reconstruct).  Journals stay per user; a group call
 *                  that fails costs no one: convert falls back to the per-user calls.
 *   user_free, run_free.
 *
 * Idempotence: the unit the journal records for a method is one source's delivery,
 * with the detail string deliver() returns.  A crash can come anywhere inside
 * deliver(); the rerun calls deliver() again for that source, so deliver() must
 * finish the job without storing a message twice (spool: an existing N. file is
 * never rewritten; IMAP: an APPENDUID range; LMTP: one delivered message).  finish()
 * may be called again for a mailbox it already finished.
 *
 * Ownership: what convert passes in stays convert's and is valid for the call only;
 * what a method returns is new and the caller's, except where a function says.
 *
 * Errors: any domain; convert sorts them with failure_classify() (failure.h) at the
 * scope named at each function: a failure of deliver() costs that source (mailbox
 * scope) unless its error says more (a lost connection: the user; a full disk: the
 * run).  Problems with single messages are not errors: they go to
 * DeliveryTarget.problem and the delivery goes on.
 *
 * Threads: one MethodRun is shared by the users running at once (its functions must
 * be thread-safe); a MethodUser is used by one thread.
 */
#ifndef M2C_METHOD_H
#define M2C_METHOD_H

#include <glib.h>

#include "mbox-reader.h"

/* What the command line says that a method may need; NULL or 0 for "not given". */
typedef struct {
	const char *cyrus_conf;      /* the server's imapd.conf */
	const char *cyrus_bin;       /* Cyrus's tools (default /usr/lib/cyrus/bin) */
	const char *cyrus_user;      /* the user Cyrus runs as (default cyrus) */
	guint finish_jobs;           /* finish() calls at once over the run (default 1) */
	const char *fsync;           /* none, batch, each (default: the method's) */
	const MboxReaderSettings *reader;
	const char *state_dir;       /* convert's state directory (journals, quarantine) */
	guint fixes;                 /* MessageFixKind bits to apply (message-fix.h) */
	const char *header_charset;  /* charset of raw 8-bit header bytes; NULL: detect */
	guint batch_messages;        /* messages per APPEND command (0: the method's) */
	guint64 batch_bytes;         /* bytes per APPEND command (0: the method's) */
	const char *lmtp;            /* lmtp: unix:PATH, /PATH or HOST:PORT (NULL: lmtpsocket) */
	const char *deliver_program; /* lmtp: run this deliver per message instead of LMTP */
	gboolean ignore_quota;       /* lmtp: IGNOREQUOTA (deliver -q) */
	gboolean duplicates_append;  /* lmtp: APPEND what duplicate suppression would drop,
	                              * instead of refusing the mailbox */
	const char *admin;           /* the admin's name and password (an LMTP over TCP */
	const char *admin_password;  /* logs in with them) */
} MethodSettings;

struct ImapSession;                     /* imap-session.h */
typedef struct MethodRun MethodRun;     /* a method's state for the run */
typedef struct MethodUser MethodUser;   /* a method's state for one user */

/* What one source's delivery amounts to.  deliver() and recall() fill it; convert
 * keeps it for uid_of() and frees `uids` with free_uids(). */
typedef struct {
	guint64 messages;    /* messages read from the source */
	guint64 stored;      /* of them, in the mailbox now (this call or an earlier run) */
	guint64 written;     /* of them, stored by this call */
	guint64 found;       /* of `stored`, messages that were in the mailbox before this
	                      * tool's journal knew it (its baseline): found, not stored */
	gint64 bytes;        /* bytes of the stored messages, as stored */
	gboolean x_uid;      /* their UIDs are the source's X-UIDs */
	gpointer uids;       /* the method's own record of the UIDs given (may be NULL) */
} Delivery;

/* Where one source goes, and where to say what happens to its messages. */
typedef struct {
	const char *mailbox;   /* the admin's name: user.alice.Sent */
	const char *source;    /* the source's path, for messages */
	guint n_sources;       /* sources in the manifest that feed this mailbox */
	/* a message with a problem: `stored` FALSE when it is not in the mailbox */
	void (*problem)(gpointer data, const MboxMessage *message, gboolean stored,
	                const char *text);
	/* a message is in the mailbox as `uid` (stored now, or found from an earlier run) */
	void (*stored)(gpointer data, const MboxMessage *message, guint32 uid);
	/* say `text` about the delivery (not a problem: a line of the run's log) */
	void (*note)(gpointer data, const char *text);
	/* journal `detail` (one line, no TAB) before going on: a unit of this delivery is
	 * stored.  The problems reported so far are journaled with it.  FALSE with an
	 * error when the journal cannot be written (stop: run scope). */
	gboolean (*checkpoint)(gpointer data, const char *detail, GError **error);
	/* what checkpoint() recorded for this source in earlier runs, in order, since its
	 * delivery last began on a file (NULL-terminated; empty when none) */
	const char *const *checkpoints;
	/* ... and for every source of the user, in journal order (a method's state that
	 * spans its sources: the imap method's quarantine) */
	const char *const *user_checkpoints;
	gpointer data;
} DeliveryTarget;

typedef struct {
	const char *name;              /* --method NAME */
	/* TRUE when a mailbox must hold no messages before the first delivery (spool:
	 * files beside foreign messages would collide with their UIDs) */
	gboolean needs_empty_mailbox;
	/* TRUE when deliver() stores each message with its flags and keywords (imap):
	 * convert's flag step then has nothing to store */
	gboolean flags_in_delivery;
	/* TRUE when user_new() wants the user's IMAP session */
	gboolean needs_session;
	/* TRUE when nothing deliver() stores is seen in the mailbox before finish() (spool:
	 * files reconstruct has not indexed yet).  Then convert need not fsync the user's
	 * journal after each record, only before finish(): a crash of the machine can lose
	 * records only of work nobody can see yet, which the rerun redoes. */
	gboolean visible_at_finish;

	/* NULL with an error when the method cannot run with these settings (a
	 * configuration error: the run stops before any user is touched). */
	MethodRun *(*run_new)(const MethodSettings *settings, GError **error);
	void (*run_free)(MethodRun *run);

	/* May be NULL.  Called for `user` before any of its mailboxes is created, with
	 * all of them (admin names, the INBOX first, NULL-terminated): FALSE with an error
	 * refuses the user (permanent, user scope) with nothing done. */
	gboolean (*user_check)(MethodRun *run, const char *user, const char *const *mailboxes,
	                       GError **error);

	/* Start on `user`, whose mailboxes (admin names, NULL-terminated) exist.
	 * `session` is the user's own IMAP session (convert's, valid until user_free) when
	 * the method asked for it (needs_session), else NULL; `personal` maps an admin
	 * name to the user's own name of it (new string).  NULL with an error of user
	 * scope. */
	MethodUser *(*user_new)(MethodRun *run, const char *user, const char *const *mailboxes,
	                        struct ImapSession *session,
	                        char *(*personal)(gpointer data, const char *mailbox),
	                        gpointer personal_data, GError **error);
	void (*user_free)(MethodUser *user);

	/* A delivery of `target` recorded by an earlier run with `detail`: fill
	 * `delivery` from it.  FALSE with an error when the detail is not one this method
	 * wrote (a damaged journal: convert names the file and line). */
	gboolean (*recall)(MethodUser *user, const DeliveryTarget *target, const char *detail,
	                   Delivery *delivery, GError **error);

	/* Deliver every message of `reader` (open, at its first message) to `target`:
	 * fill `delivery` and `*detail_out` (new; what recall() will be given).  FALSE
	 * with an error when the source or the mailbox failed (mailbox scope); with
	 * M2C_JOURNAL_ERROR_DAMAGED when a checkpoint is not one this method wrote
	 * (convert names the file and line, and stops the user: exit 65). */
	gboolean (*deliver)(MethodUser *user, const DeliveryTarget *target, MboxReader *reader,
	                    Delivery *delivery, char **detail_out, GError **error);

	/* May be NULL (nothing to do).  Make the deliveries to `mailboxes` (NULL-terminated)
	 * visible.  FALSE with an error of user scope. */
	gboolean (*finish)(MethodUser *user, const char *const *mailboxes, GError **error);

	/* May be NULL.  Before user_new() for each user of a group: every mailbox of the
	 * group that exists (NULL-terminated).  The method may do now, once, what
	 * user_new() would do per user; when it cannot, it does nothing (user_new() will). */
	void (*prepare_many)(MethodRun *run, const char *const *mailboxes);
	/* May be NULL.  finish() for many users at once: every mailbox of each of `users`
	 * (NULL-terminated; users none of whose mailboxes failed or waits for a source:
	 * the method may finish whatever mailboxes the server has for them), and the
	 * `mailboxes` of other users (NULL-terminated, admin names).  TRUE when all are
	 * finished.  FALSE with an error: convert then calls finish() for each user, so
	 * that a failure costs only the user it belongs to. */
	gboolean (*finish_many)(MethodRun *run, const char *const *users,
	                        const char *const *mailboxes, GError **error);

	/* The UID `message` of the delivery has in its mailbox; 0 when not known (then
	 * its flags cannot be restored, and convert says so). */
	guint32 (*uid_of)(const Delivery *delivery, const MboxMessage *message);
	void (*free_uids)(gpointer uids);
} ConvertMethod;

/* The methods built: "spool", "imap", "lmtp".  NULL when `name` is not one. */
const ConvertMethod *convert_method_find(const char *name);

extern const ConvertMethod convert_method_spool;
extern const ConvertMethod convert_method_imap;
extern const ConvertMethod convert_method_lmtp;

#endif
