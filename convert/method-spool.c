/* method-spool.c -- convert --method spool: message files in the Cyrus spool, then
 * reconstruct (DESIGN.md, Cyrus 3.6 facts).  The fastest method, for a batch cutover
 * as root on the Cyrus host.
 *
 *   user_new   mbpath: the directory of each mailbox (never computed: UUID dirs);
 *              prepare_many asks it once for a group of users and keeps the answers.
 *   deliver    each message as an N. file (spool-writer.c); a mailbox fed by several
 *              sources numbers them on from the previous one.  The unit of
 *              idempotence is the N. file: one that exists is never rewritten
 *              (EEXIST), so a redone delivery only adds what is missing.
 *   finish     reconstruct the mailboxes (a bounded number of reconstructs at once
 *              over the run): each file becomes the message UID N, INTERNALDATE its
 *              mtime.  finish_many: one reconstruct -u for the whole users of a group
 *              (cyrus-tools.h: why not by mailbox names), one by name for the rest.
 *   uid_of     the file name: the X-UID, or the base + the message's number.
 *
 * Journal detail of a delivery, one writer and one parser below:
 *     files=F x_uid=0|1 base=B messages=M bytes=N
 */
#include "method.h"

#include <string.h>

#include <gio/gio.h>
#include <unistd.h>

#include "cyrus-tools.h"
#include "fault.h"
#include "spool-writer.h"
#include "tsv.h"

struct MethodRun {
	CyrusTools tools;
	SpoolSettings spool;
	GMutex lock;             /* at most `slots` reconstructs at once */
	GCond cond;
	guint slots;
	GHashTable *dirs;        /* prepare_many's answers: mailbox -> directory (`lock`) */
};

struct MethodUser {
	MethodRun *run;
	GHashTable *dirs;        /* mailbox -> its directory */
	GHashTable *next_uid;    /* mailbox -> the last UID given so far */
};

/* What uid_of needs of a delivery. */
typedef struct {
	guint32 base;
	gboolean x_uid;
} SpoolUids;

static MethodRun *
spool_run_new(const MethodSettings *settings, GError **error)
{
	g_autofree MethodRun *run = g_new0(MethodRun, 1);

	if (geteuid() != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		            "--method spool writes into Cyrus's spool: run it as root on the Cyrus host");
		return NULL;
	}
	if (settings->cyrus_conf == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "--method spool needs --cyrus-conf (the server's imapd.conf)");
		return NULL;
	}
	run->spool.fsync = SPOOL_FSYNC_BATCH;
	if (settings->fsync != NULL) {
		if (strcmp(settings->fsync, "none") == 0)
			run->spool.fsync = SPOOL_FSYNC_NONE;
		else if (strcmp(settings->fsync, "each") == 0)
			run->spool.fsync = SPOOL_FSYNC_EACH;
		else if (strcmp(settings->fsync, "batch") != 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			            "--fsync must be none, batch or each");
			return NULL;
		}
	}
	if (!cyrus_tools_init(&run->tools, settings->cyrus_bin ? settings->cyrus_bin : "/usr/lib/cyrus/bin",
	                      settings->cyrus_conf, settings->cyrus_user ? settings->cyrus_user : "cyrus",
	                      error))
		return NULL;
	run->spool.uid = run->tools.uid;
	run->spool.gid = run->tools.gid;
	run->slots = settings->finish_jobs > 0 ? settings->finish_jobs : 1;
	run->dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_mutex_init(&run->lock);
	g_cond_init(&run->cond);
	return g_steal_pointer(&run);
}

static void
spool_run_free(MethodRun *run)
{
	if (run == NULL)
		return;
	cyrus_tools_clear(&run->tools);
	g_hash_table_unref(run->dirs);
	g_mutex_clear(&run->lock);
	g_cond_clear(&run->cond);
	g_free(run);
}

/* prepare_many: one mbpath for the group.  A mailbox mbpath refuses fails the whole
 * call; then nothing is kept, and each user_new asks for its own. */
static void
spool_prepare_many(MethodRun *run, const char *const *mailboxes)
{
	if (mailboxes[0] == NULL)
		return;
	g_auto(GStrv) dirs = cyrus_tools_mbpath(&run->tools, (char *const *)mailboxes, NULL);
	if (dirs == NULL)
		return;
	g_mutex_lock(&run->lock);
	for (guint i = 0; mailboxes[i] != NULL; i++)
		g_hash_table_replace(run->dirs, g_strdup(mailboxes[i]), g_strdup(dirs[i]));
	g_mutex_unlock(&run->lock);
}

static MethodUser *
spool_user_new(MethodRun *run, const char *user, const char *const *mailboxes,
               struct ImapSession *session, char *(*personal)(gpointer, const char *),
               gpointer personal_data, GError **error)
{
	MethodUser *mu = g_new0(MethodUser, 1);
	g_autoptr(GPtrArray) ask = g_ptr_array_new();
	(void)user;
	(void)session;
	(void)personal;
	(void)personal_data;
	mu->run = run;
	mu->dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	mu->next_uid = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (mailboxes[0] == NULL)
		return mu;
	/* what prepare_many found is taken (each mailbox is one user's); the rest asked */
	g_mutex_lock(&run->lock);
	for (guint i = 0; mailboxes[i] != NULL; i++) {
		gpointer key, dir;
		if (g_hash_table_steal_extended(run->dirs, mailboxes[i], &key, &dir))
			g_hash_table_insert(mu->dirs, key, dir);
		else
			g_ptr_array_add(ask, (gpointer)mailboxes[i]);
	}
	g_mutex_unlock(&run->lock);
	if (ask->len == 0)
		return mu;
	g_ptr_array_add(ask, NULL);
	g_auto(GStrv) dirs = cyrus_tools_mbpath(&run->tools, (char *const *)ask->pdata, error);
	if (dirs == NULL) {
		g_hash_table_unref(mu->dirs);
		g_hash_table_unref(mu->next_uid);
		g_free(mu);
		return NULL;
	}
	for (guint i = 0; i + 1 < ask->len; i++)
		g_hash_table_insert(mu->dirs, g_strdup(ask->pdata[i]), g_strdup(dirs[i]));
	return mu;
}

static void
spool_user_free(MethodUser *mu)
{
	if (mu == NULL)
		return;
	g_hash_table_unref(mu->dirs);
	g_hash_table_unref(mu->next_uid);
	g_free(mu);
}

/* The detail's writer and parser. */
static char *
detail_format(const SpoolCounts *counts, guint32 base)
{
	return g_strdup_printf("files=%" G_GUINT64_FORMAT " x_uid=%d base=%u messages=%"
	                       G_GUINT64_FORMAT " bytes=%" G_GINT64_FORMAT,
	                       counts->written + counts->existed, counts->kept_x_uid ? 1 : 0, base,
	                       counts->messages, counts->bytes);
}

/* One "key=N" field: decimal digits only, at most `max`.  Not sscanf, whose %u takes
 * "-1" (wrapping "base + messages" back under the limit) and cuts 4294967296 to 0. */
static gboolean
detail_field(const char *field, const char *key, guint64 max, guint64 *out)
{
	gsize len = strlen(key);
	return strncmp(field, key, len) == 0 && field[len] == '=' &&
	       tsv_parse_number(field + len + 1, max, out);
}

static gboolean
detail_parse(const char *detail, guint64 *files, gboolean *x_uid, guint32 *base,
             guint64 *messages, gint64 *bytes, GError **error)
{
	g_auto(GStrv) fields = g_strsplit(detail, " ", -1);
	guint64 f = 0, keep = 0, b = 0, m = 0, by = 0;

	/* UIDs are 32 bits: base and base + messages too */
	if (g_strv_length(fields) != 5 || !detail_field(fields[0], "files", G_MAXUINT32, &f) ||
	    !detail_field(fields[1], "x_uid", 1, &keep) ||
	    !detail_field(fields[2], "base", G_MAXUINT32, &b) ||
	    !detail_field(fields[3], "messages", G_MAXUINT32, &m) ||
	    !detail_field(fields[4], "bytes", G_MAXINT64 >> 16, &by) || f > m || b + m > G_MAXUINT32) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            "not a spool delivery record: \"%.80s\"", detail);
		return FALSE;
	}
	*files = f;
	*x_uid = keep == 1;
	*base = (guint32)b;
	*messages = m;
	*bytes = (gint64)by;
	return TRUE;
}

static void
set_uids(Delivery *delivery, guint32 base, gboolean x_uid)
{
	SpoolUids *u = g_new(SpoolUids, 1);
	u->base = base;
	u->x_uid = x_uid;
	delivery->uids = u;
	delivery->x_uid = x_uid;
}

static guint32
next_uid(MethodUser *mu, const char *mailbox)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(mu->next_uid, mailbox));
}

static gboolean
spool_recall(MethodUser *mu, const DeliveryTarget *target, const char *detail,
             Delivery *delivery, GError **error)
{
	guint64 files, messages;
	gint64 bytes;
	gboolean x_uid;
	guint32 base;

	if (!detail_parse(detail, &files, &x_uid, &base, &messages, &bytes, error))
		return FALSE;
	memset(delivery, 0, sizeof *delivery);
	delivery->messages = messages;
	delivery->stored = files;
	delivery->bytes = bytes;
	set_uids(delivery, base, x_uid);
	g_hash_table_replace(mu->next_uid, g_strdup(target->mailbox),
	                     GUINT_TO_POINTER(MAX(next_uid(mu, target->mailbox), base + (guint32)messages)));
	return TRUE;
}

static gboolean
spool_deliver(MethodUser *mu, const DeliveryTarget *target, MboxReader *reader,
              Delivery *delivery, char **detail_out, GError **error)
{
	const char *dir = g_hash_table_lookup(mu->dirs, target->mailbox);
	guint32 base = next_uid(mu, target->mailbox);
	SpoolCounts counts;

	g_assert(dir != NULL);   /* user_new was given every mailbox delivered to */
	if (!spool_write_messages(&mu->run->spool, reader, target, dir, base, &counts, error))
		return FALSE;
	memset(delivery, 0, sizeof *delivery);
	delivery->messages = counts.messages;
	delivery->stored = counts.written + counts.existed;
	delivery->written = counts.written;
	delivery->bytes = counts.bytes;
	set_uids(delivery, base, counts.kept_x_uid);
	g_hash_table_replace(mu->next_uid, g_strdup(target->mailbox),
	                     GUINT_TO_POINTER(base + (guint32)counts.messages));
	*detail_out = detail_format(&counts, base);
	return TRUE;
}

/* One reconstruct of the `users` (reconstruct -u) or else of the `mailboxes` (one
 * of the two NULL), at most run->slots at once over the run. */
static gboolean
reconstruct(MethodRun *run, const char *const *users, const char *const *mailboxes,
            GError **error)
{
	g_autofree char *output = NULL;
	gboolean ok;

	if ((users != NULL ? users : mailboxes)[0] == NULL)
		return TRUE;   /* never a bare reconstruct: that is every mailbox of the server */
	g_mutex_lock(&run->lock);
	while (run->slots == 0)
		g_cond_wait(&run->cond, &run->lock);
	run->slots--;
	g_mutex_unlock(&run->lock);
	ok = users != NULL ? cyrus_tools_reconstruct_users(&run->tools, users, &output, error)
	                   : cyrus_tools_reconstruct(&run->tools, mailboxes, &output, error);
	g_mutex_lock(&run->lock);
	run->slots++;
	g_cond_signal(&run->cond);
	g_mutex_unlock(&run->lock);
	if (ok)
		fault_point("reconstruct");
	return ok;
}

static gboolean
spool_finish(MethodUser *mu, const char *const *mailboxes, GError **error)
{
	return reconstruct(mu->run, NULL, mailboxes, error);
}

/* finish_many: whole users by their names (one reconstruct -u: flat in the size of
 * the server), the other mailboxes by theirs. */
static gboolean
spool_finish_many(MethodRun *run, const char *const *users, const char *const *mailboxes,
                  GError **error)
{
	return reconstruct(run, users, NULL, error) && reconstruct(run, NULL, mailboxes, error);
}

static guint32
spool_uid_of_delivered(const Delivery *delivery, const MboxMessage *message)
{
	const SpoolUids *u = delivery->uids;
	return u != NULL ? spool_uid_of(message, u->x_uid, u->base) : 0;
}

const ConvertMethod convert_method_spool = {
	.name = "spool",
	.needs_empty_mailbox = TRUE,
	.visible_at_finish = TRUE,
	.run_new = spool_run_new,
	.run_free = spool_run_free,
	.user_new = spool_user_new,
	.user_free = spool_user_free,
	.recall = spool_recall,
	.deliver = spool_deliver,
	.finish = spool_finish,
	.prepare_many = spool_prepare_many,
	.finish_many = spool_finish_many,
	.uid_of = spool_uid_of_delivered,
	.free_uids = g_free,
};

const ConvertMethod *
convert_method_find(const char *name)
{
	static const ConvertMethod *const methods[] = { &convert_method_spool, &convert_method_imap,
	                                                  &convert_method_lmtp };
	for (gsize i = 0; i < G_N_ELEMENTS(methods); i++)
		if (strcmp(methods[i]->name, name) == 0)
			return methods[i];
	return NULL;
}
