/* convert-user-private.h -- what convert-user.c (the order, creation, delivery,
 * finishing), convert-state.c (the journal) and convert-flags.c (flags,
 * subscriptions) share about the user being converted. */
#ifndef M2C_CONVERT_USER_PRIVATE_H
#define M2C_CONVERT_USER_PRIVATE_H

#include "convert-user.h"
#include "failure.h"
#include "imap-session.h"
#include "journal.h"
#include "manifest.h"

/* One source row of the manifest: a file whose mail goes into `mailbox`. */
typedef struct Mailbox Mailbox;
typedef struct {
	ManifestRow *row;
	Mailbox *mailbox;
	char *path;              /* NULL: no source (an INBOX without a mail file) */
	char *key;               /* journal key: mailbox TAB source */
	MailboxResult *result;
	Delivery delivery;
	guint delivered_line;    /* journal line of its delivery; 0: not delivered */
	gboolean flagged, subscribed;
	gboolean failed;         /* this run */
	guint64 stored_now;      /* messages its delivery in this run found or put in place */
	guint64 kept_out_now;    /* messages not stored that its delivery in this run
	                          * journaled (PROBLEM: a method's quarantine) */
	GHashTable *flag_groups; /* "\\Seen $Label1" -> GArray of UIDs, from the delivery;
	                          * NULL after a resume (then read again) */
	GPtrArray *problems;     /* details of messages not stored, to journal before the
	                          * delivery record (new strings) */
	GPtrArray *old_problems; /* the same, from an earlier run's journal (borrowed) */
	GPtrArray *warnings;     /* details of stored messages changed or short of something
	                          * (a fix, a keyword left off), to journal with the next
	                          * checkpoint or the delivery record (new strings) */
	GPtrArray *old_warnings; /* the same, from the journal (borrowed) */
	GHashTable *old_seen;    /* "P"/"W" + detail: what is in old_problems/old_warnings */
	GPtrArray *checkpoints;  /* the method's CHECKPOINT details since the last READ
	                          * (borrowed from the journal) */
} Source;

/* One mailbox of the user, fed by zero or more sources. */
struct Mailbox {
	const char *name;        /* the admin's name (the manifest's) */
	GPtrArray *sources;      /* Source*, borrowed, manifest order */
	gboolean created;
	gboolean created_now;    /* by this run */
	guint32 baseline;        /* messages it held before this tool delivered to it */
	guint finished_line;     /* journal line of its last check; 0: never */
	gboolean failed;         /* this run */
};

typedef struct {
	ConvertContext *ctx;
	const char *user;
	char *prefix, *domain, *inbox;
	Journal *journal;
	GPtrArray *sources;      /* Source*, manifest order */
	GPtrArray *mailboxes;    /* Mailbox*, the INBOX first */
	gboolean done_before;    /* the journal says the user was done */
	guint failures_before;   /* failures an earlier run recorded and left open */
	guint failures;          /* failures this run */
	ImapSession *admin;      /* the admin's; with ctx->own_login, the user's own */
	ImapSession *owner;      /* logged in as the user through the admin; made on demand
	                          * (never with ctx->own_login: `admin` is the owner's) */
	gboolean admin_borrowed; /* `admin` is the group's (convert-group.c), not freed */
	MethodUser *method_user;
	UserAccess *access;      /* who the user is, to open their files */
	UserStatus status;       /* so far: USER_FAILED until DONE (or set otherwise) */
	GError *error;           /* what ended the user early (user scope) */
} Job;

/* convert-user.c: the steps of one user in three parts, so that a group of users can
 * share a call of the method between them (convert-group.c).  Each part returns FALSE
 * when the user has ended (job_end() was called: results in, job cleared).
 *   job_begin    steps 0-1 (the journal read, the mailboxes CREATEd); `admin` (may be
 *                NULL) is a session the group lends: used when set, else made and
 *                lent back;
 *   job_deliver  steps 2-3 (the method started, the sources delivered);
 *   job_end      steps 4-7, `finished` when the group's finish_many() has done the
 *                method's part of step 4; then the results, and the job cleared. */
gboolean job_begin(Job *job, ConvertContext *ctx, const char *user, GPtrArray *rows,
                   ImapSession **admin);
gboolean job_deliver(Job *job);
gboolean job_end(Job *job, gboolean finished);

/* fsync the user's journal (before finish(): method.h visible_at_finish).  FALSE with
 * a G_FILE_ERROR: then nothing may be finished for the user. */
gboolean job_sync(Job *job, GError **error);

/* The mailboxes step 2 starts the method on, and those step 4 would finish now, added
 * to `names` (borrowed from the job). */
void job_created_mailboxes(Job *job, GPtrArray *names);
void job_ready_mailboxes(Job *job, GPtrArray *names);

/* TRUE when every mailbox of the user is ready for step 4 or finished already (none
 * failed, none waits for a source), one at least is ready, and the journal knows of
 * no mailbox this tool created that the manifest has dropped since: the method may
 * finish the user whole (method.h: finish_many). */
gboolean job_is_whole(Job *job);

/* The job's mailbox named `name`, or NULL. */
Mailbox *mailbox_of_name(Job *job, const char *name);

/* convert-state.c: the journal's steps, convert's own words. */
extern const char *const convert_journal_steps[];
#define STEP_CREATED    "created"      /* key: mailbox; detail: messages=N (held before) */
#define STEP_READ       "read"         /* key: source key; detail: the identity of the
                                        * file delivery began on (convert_open_source),
                                        * or READ_NOTHING_STORED */
#define READ_NOTHING_STORED "-"        /* that delivery failed before storing anything */
#define STEP_DELIVERED  "delivered"    /* key: source key; detail: the method's */
#define STEP_FINISHED   "finished"     /* key: mailbox; detail: messages=N (counted) */
#define STEP_FLAGGED    "flagged"      /* key: source key */
#define STEP_SUBSCRIBED "subscribed"   /* key: source key */
#define STEP_PROBLEM    "problem"      /* key: source key; a message not stored: a
                                        * failure of message scope, permanent (a rerun
                                        * reports it again, never retries it) */
#define STEP_FAILED     "failed"       /* key: source key, mailbox or ""; see failure_* */
#define STEP_DONE       "done"         /* key: "": the whole user */
#define STEP_CHECKPOINT "checkpoint"   /* key: source key; detail: the method's, a part
                                        * of a delivery stored (method.h) */
#define STEP_WARNING    "warning"      /* key: source key; a message stored, but changed
                                        * or short of something: "msg=N offset=K TEXT",
                                        * said again by every rerun */

/* Read the journal into the job's sources and mailboxes; FALSE with
 * M2C_JOURNAL_ERROR_DAMAGED naming FILE:LINE when a record makes no sense. */
gboolean job_load_journal(Job *job, GError **error);

/* Is the source `s`, opened with `identity`, the file its delivery began on?  TRUE
 * when it is, or when no delivery began; else FALSE with an error (permanent): the
 * messages stored so far, or the UIDs given, may not match it any more. */
gboolean source_is_unchanged(Job *job, Source *s, const char *identity, GError **error);

/* "messages=N": writer and parser. */
char *count_detail_format(guint32 messages);
gboolean count_detail_parse(const char *detail, guint32 *messages_out);

/* A message problem: writer and parser of its detail, "msg=N offset=K TEXT". */
char *problem_detail_format(guint64 msgno, gint64 offset, const char *text);
gboolean problem_detail_parse(const char *detail, guint64 *msgno_out, gint64 *offset_out,
                              const char **text_out);

/* A failure: writer and parser of its detail, "SCOPE temporary|permanent TEXT". */
char *failure_detail_format(Failure failure, const char *text);
gboolean failure_detail_parse(const char *detail, Failure *failure_out, const char **text_out);

/* convert-state.c: a failure of the unit `key` (a source key, a mailbox, or "" for the
 * user) at scope `where`, by `error`: reported, kept in the results and journaled.
 * Returns the failure's class (its scope may be wider than `where`). */
Failure job_fail(Job *job, const char *key, FailureScope where, const GError *error);

/* Fail the source `s` (and so its mailbox), or the mailbox `mb` (and so its sources),
 * with `text`, permanent. */
void source_fail(Job *job, Source *s, const char *text);
void mailbox_fail(Job *job, Mailbox *mb, const char *text);

/* The session as the user (made on the first call; owned by the job): with
 * ctx->own_login, the job's only session, job->admin. */
ImapSession *job_owner_session(Job *job, GError **error);

/* The user's own name of the admin's `mailbox` (new), NULL when not the user's. */
char *job_personal_name(Job *job, const char *mailbox);

/* convert-deliver.c: step 3, every source not delivered yet delivered (in manifest
 * order), the others recalled.  FALSE with an error only for failures wider than a
 * mailbox. */
gboolean job_deliver_sources(Job *job, GError **error);

/* Every delivered source recalled (a user an earlier run finished: counts and problems
 * for a true report).  FALSE with a damaged journal. */
gboolean job_recall_sources(Job *job, GError **error);

/* convert-flags.c: flag groups, "\\Seen $Label1" -> GArray of guint32 UIDs. */
GHashTable *flag_groups_new(void);
void flag_groups_add(GHashTable *groups, const MboxMessage *m, guint32 uid);

/* Flags and subscriptions for every source of a finished mailbox.  FALSE with an
 * error for failures of the whole user (the connection); single sources fail with
 * source_fail(). */
gboolean job_restore_user_state(Job *job, GError **error);

#endif
