/* backout.h -- rebuild one user's mbox files from Cyrus: the manifest read in reverse.
 * Users run in parallel in cmd-backout.c's pool; everything here is per user except
 * what BackoutContext shares (read-only, or thread-safe).
 *
 * For each of the user's mailboxes (user-mailboxes.h: the INBOX first):
 *  1. list it (backout-source.h: imap as the owner, or spool with imapd down); the
 *     messages convert --method lmtp delivered (they carry its delivery header,
 *     lmtp-trace.h) are read once more to learn their originals' digests: from here
 *     on such a message is its original, matched by that digest and written without
 *     what lmtpd added (backout-delivered.c);
 *  2. read the manifest's sources for it that can still be read (source-digest.h):
 *     each Cyrus message whose digest a source holds goes back to that source's file,
 *     with that message's envelope sender (convert stores none); every other message
 *     -- mail delivered after the cutover -- goes to the mailbox's first source file;
 *     MERGE writes only those others (a source already holding a message keeps it),
 *     and only to the first file, locked before it is read, each message checked in
 *     the form the next merge will read it back (backout-write.c);
 *  3. for each source file, write (backout-target.h) the UW "FOLDER INTERNAL DATA"
 *     message (not when MERGE appends to a file that exists) and its messages in UID
 *     order (mbox-writer.h): the From_ line's sender as above, else Return-Path, else
 *     MAILER-DAEMON; its date the INTERNALDATE in --source-tz; Status/X-Status/
 *     X-Keywords from the flags; X-UID the Cyrus UID (not when MERGE appends: the old
 *     file's UIDs are another server's);
 *  4. journal it: "written PATH" when every message of the file is in it, "done
 *     MAILBOX" when every file is.  A rerun does a done mailbox again only when MERGE
 *     (which adds only what is missing, so a second merge adds nothing).
 * Each body is checked as it passes against the digest the listing gave: a message
 * whose bytes are not what Cyrus's index says (a damaged spool file) is left out and
 * named.  A message that cannot be read is named (user, mailbox, UID, reason), left
 * out, and its file is written without it but not journaled: a rerun tries again.
 *
 * Journal (journal.h), STATE_DIR/USER.journal:
 *     backup   PATH      BACKUPNAME          IN_PLACE: the original kept as BACKUPNAME
 *                                           (journaled before the link)
 *     appending PATH     ino= at= sep= length= sha1=   MERGE: before its append
 *     quoting  PATH      mboxrd|mboxo|none    MERGE: how the file is read, from its first merge
 *     written  PATH      messages=N bytes=B
 *     done     MAILBOX into DIR | MAILBOX in-place | MAILBOX merge   -
 *     failed   MAILBOX   SCOPE temporary|permanent TEXT
 */
#ifndef M2C_BACKOUT_H
#define M2C_BACKOUT_H

#include <glib.h>

#include "backout-source.h"
#include "backout-target.h"
#include "cli-server.h"
#include "failure.h"
#include "manifest.h"
#include "mbox-writer.h"
#include "progress.h"
#include "report.h"

typedef struct {
	const CliServer *server;
	const ManifestSettings *manifest;
	const BackoutSource *source;
	BackoutSourceSettings source_settings;
	BackoutTargetSettings target;
	MboxWriterSettings writer;
	const char *state_dir;
	Report *report;
	Progress *progress;
	gint stop;                /* atomic: a run-scope failure happened; start no user */
} BackoutContext;

typedef struct {
	char *mailbox;
	char *path;               /* the file, or NULL */
	guint32 uid;              /* 0: not one message */
	FailureScope scope;
	gboolean temporary;
	char *reason;
} BackoutFailure;

typedef struct {
	char *user;
	gboolean started;
	guint mailboxes;          /* written (or found written by an earlier run) */
	guint mailboxes_failed;
	guint files;              /* files written this run */
	guint64 messages;         /* messages written this run */
	guint64 bytes;            /* their bytes as stored in Cyrus */
	guint64 held;             /* MERGE: messages the sources already held */
	guint mailboxes_resumed;  /* done in an earlier run: not written again */
	GPtrArray *failures;      /* BackoutFailure * */
	ReportSeverity worst;     /* of the failures; REPORT_INFO: none */
} BackoutUser;

void backout_user_free(BackoutUser *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BackoutUser, backout_user_free)

/* Back out `user`, whose manifest rows (inbox and folder rows) are `rows`.  Each
 * failure is reported as it happens, at its severity.  Returns the result, new. */
BackoutUser *backout_user(BackoutContext *ctx, const char *user, GPtrArray *rows);

#endif
