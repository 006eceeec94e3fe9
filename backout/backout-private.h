/* backout-private.h -- one user's backout, shared by backout.c (the user, each
 * mailbox, which message goes to which file) and backout-write.c (one file written:
 * the bodies streamed through the mbox writer, committed, journaled). */
#ifndef M2C_BACKOUT_PRIVATE_H
#define M2C_BACKOUT_PRIVATE_H

#include "backout.h"
#include "journal.h"
#include "source-digest.h"
#include "user-access.h"

typedef struct {
	BackoutContext *ctx;
	BackoutUser *result;
	Journal *journal;
	const UserAccess *access;
	BackoutSourceUser *src;
	const char *mailbox;      /* the one being written, or NULL */
} Job;

/* Report, record and journal a failure of scope at least `where`. */
void backout_fail(Job *job, FailureScope where, const char *path, guint32 uid, const GError *error);

/* The messages the manifest's sources hold, found by digest: their SHA-1 as convert
 * stores them, and, for one a backout wrote, the digest Cyrus had of it then (its
 * X-Mbox2cyrus-SHA1 mark) -- a message is found by either, and claimed once. */
typedef struct {
	guint file;               /* index into the mailbox's files */
	const SourceDigest *digest;
	gboolean claimed;
} Held;

typedef struct {
	GHashTable *by_sha1;      /* sha1 -> GSList of Held *, in source and file order */
	GPtrArray *all;           /* owns the Helds */
} HeldSet;

HeldSet *backout_held_new(void);
void backout_held_free(HeldSet *held);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HeldSet, backout_held_free)
/* Add the messages of `digests` (SourceDigest) as file `file`'s. */
void backout_held_add(HeldSet *held, GArray *digests, guint file);
/* The first unclaimed message found by `sha1`, claimed; NULL when none. */
Held *backout_held_claim(HeldSet *held, const guint8 *sha1);

/* backout-delivered.c: fill list->delivered (backout-source.h) with the listed
 * messages that carry convert --method lmtp's delivery header, each read once through
 * the source.  FALSE with the source's error (a connection lost). */
gboolean backout_delivered_find(Job *job, BackoutMailbox *list, const GPtrArray *sources,
                                GError **error);
/* The message's entry there, or NULL (borrowed: as long as the listing). */
const BackoutDelivered *backout_delivered_of(const BackoutMailbox *list, guint32 uid);
/* The digest to match `message` by: its original's when delivered, else Cyrus's. */
const guint8 *backout_original_sha1(const BackoutMailbox *list, const ImapDigest *message);

/* One file's work. */
typedef struct {
	const char *path;          /* the source's path */
	GPtrArray *messages;       /* const ImapDigest *, ascending UID */
	GPtrArray *senders;        /* const char * (or NULL), parallel */
	MboxQuoting quoting;       /* MERGE: how the file is read (pinned in the journal) */
	GArray *old;               /* MERGE: its messages before (SourceDigest), borrowed */
} FileWork;

void backout_file_work_clear(FileWork *fw);

/* The journal's key of a file: where it is written (backout_target_path). */
char *backout_target_key(const BackoutContext *ctx, const char *source);

/* What the journal says an earlier try left for the file `key`: the backup it
 * journaled, an append it journaled and did not finish (`*append` filled). */
void backout_resume_of(Job *job, const char *key, BackoutResume *resume, BackoutAppend *append);

/* Write one file (backout-write.c): `target` is its target, opened (MERGE: before the
 * sources were read, so that what they hold cannot change under the lock); it is
 * freed here.  MERGE: `held` is what the file and its mailbox's other sources hold: a
 * message is appended only when its rebuilt form is not among them.  TRUE when every
 * message is in it and it is journaled. */
gboolean backout_write_file(Job *job, const BackoutMailbox *list, FileWork *fw, HeldSet *held,
                            BackoutTarget *target);

#endif
