/* convert-user.h -- one user through convert --method spool (see convert-user.c for
 * the order of the steps).  Users run in parallel in a thread pool: everything here
 * is per user except what ConvertContext shares, which is safe to share. */
#ifndef M2C_CONVERT_USER_H
#define M2C_CONVERT_USER_H

#include <glib.h>

#include "convert-results.h"
#include "cyrus-tools.h"
#include "mailbox-name.h"
#include "mbox-reader.h"
#include "progress.h"
#include "report.h"
#include "spool-writer.h"

typedef struct {
	/* server */
	const char *host;
	guint16 port;
	const char *admin;
	const char *password;
	guint timeout;
	MailboxNaming naming;
	gboolean altnamespace;
	const char *partition;       /* NULL: Cyrus's default */
	gint64 quota_kb;             /* < 0: none */
	CyrusTools tools;
	/* files */
	const char *state_dir;
	MboxReaderSettings reader;
	SpoolSettings spool;
	/* shared, thread-safe */
	Report *report;
	Progress *progress;
	ConvertResults *results;
	GMutex reconstruct_lock;     /* at most reconstruct_slots reconstructs at once */
	GCond reconstruct_cond;
	guint reconstruct_slots;
} ConvertContext;

/* Convert `user`, whose manifest rows (ManifestRow *, not skips) are `rows`.  Problems
 * go to the report and the results; returns FALSE when the user did not finish. */
gboolean convert_user_spool(ConvertContext *ctx, const char *user, GPtrArray *rows);

#endif
