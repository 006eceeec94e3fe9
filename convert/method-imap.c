/* method-imap.c -- convert --method imap: every message APPENDed as its owner, over
 * IMAP, for an administrator who cannot touch the Cyrus host's disks.
 *
 *   run_new    the settings: batch bounds, fixes, the quarantine's directory.
 *   user_new   the user's own session (convert's: SASL PLAIN with the admin as the
 *              authorization id, or the user's password for upload) and what the
 *              server offers (MULTIAPPEND, LITERAL+, UIDPLUS, APPENDLIMIT).
 *   deliver    the source's messages in order, made acceptable first (imap-prepare.c:
 *              message-fix.h, dates, keywords, limits), in APPEND commands of at most
 *              --batch-messages / --batch-bytes (imap-batch.c).  Each command that
 *              the server confirms is journaled at once with its APPENDUID UIDs
 *              (a checkpoint, below); a message the server still refuses goes to the
 *              user's quarantine (quarantine.h) and the report.
 *   finish     nothing: an APPEND is visible when it is answered.
 *   uid_of     from the checkpoints' UIDs.
 *
 * Checkpoints (DeliveryTarget.checkpoint), one writer and one parser below:
 *   begin v=UIDVALIDITY next=UIDNEXT qz=BYTES
 *              before the first APPEND: the mailbox as it was, and the quarantine's size
 *   part m=A-B u=UID-SET|- q=MSGNOS|- qz=BYTES
 *              messages A..B of the source are done: the ones not in q are the UIDs
 *              of u, in order; the ones in q are in the quarantine, whose size is now
 *              qz.  Parts follow each other (A is the previous B + 1).
 * Delivery detail: v=UIDVALIDITY messages=M stored=S bytes=N
 *
 * Resume (imap-batch.c: imap_resume_check): a rerun checks, as the owner, that the
 * mailbox is the one the begin record saw (UIDVALIDITY) and that every UID the parts
 * claim is there with the digest of the message it claims (DIGEST.SHA1); the messages
 * after the last part are looked for among the UIDs that came after (an APPEND whose
 * answer was lost to a kill) by their digest and taken, not appended twice.
 */
#include "method-imap-private.h"

#include <string.h>

#include <gio/gio.h>

#include "journal.h"
#include "tsv.h"
#include "method-records.h"

static MethodRun *
imap_run_new(const MethodSettings *settings, GError **error)
{
	MethodRun *run = g_new0(MethodRun, 1);
	if (settings->state_dir == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--method imap needs a state directory");
		g_free(run);
		return NULL;
	}
	run->state_dir = g_strdup(settings->state_dir);
	run->fix.enabled = settings->fixes;
	run->header_charset = g_strdup(settings->header_charset);
	run->fix.header_charset = run->header_charset;
	run->batch_messages = settings->batch_messages > 0 ? settings->batch_messages : 500;
	run->batch_bytes = settings->batch_bytes > 0 ? settings->batch_bytes : 32 * 1024 * 1024;
	return run;
}

static void
imap_run_free(MethodRun *run)
{
	if (run == NULL)
		return;
	g_free(run->state_dir);
	g_free(run->header_charset);
	g_free(run);
}

static MethodUser *
imap_user_new(MethodRun *run, const char *user, const char *const *mailboxes,
              struct ImapSession *session, char *(*personal)(gpointer, const char *),
              gpointer personal_data, GError **error)
{
	MethodUser *mu = g_new0(MethodUser, 1);
	(void)mailboxes;
	mu->run = run;
	mu->user = g_strdup(user);
	mu->session = session;
	mu->personal = personal;
	mu->personal_data = personal_data;
	mu->claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                    (GDestroyNotify)g_hash_table_unref);
	mu->keywords = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                     (GDestroyNotify)g_hash_table_unref);
	mu->quarantine = quarantine_new(run->state_dir, user);
	if (session != NULL && !imap_append_caps(session, &mu->caps, error)) {
		imap_user_free(mu);
		return NULL;
	}
	if (session != NULL && !mu->caps.uidplus) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO, "the server does not offer "
		            "UIDPLUS: --method imap cannot know where each message went (use another "
		            "method)");
		imap_user_free(mu);
		return NULL;
	}
	return mu;
}

void
imap_user_free(MethodUser *mu)
{
	if (mu == NULL)
		return;
	g_free(mu->user);
	g_hash_table_unref(mu->keywords);
	g_hash_table_unref(mu->claimed);
	quarantine_free(mu->quarantine);
	g_free(mu);
}

void
imap_user_claim(MethodUser *mu, const char *mailbox, const GArray *uids)
{
	GHashTable *set = g_hash_table_lookup(mu->claimed, mailbox);
	if (set == NULL) {
		set = g_hash_table_new(g_direct_hash, g_direct_equal);
		g_hash_table_insert(mu->claimed, g_strdup(mailbox), set);
	}
	for (guint i = 0; uids != NULL && i < uids->len; i++)
		if (g_array_index(uids, guint32, i) != 0)
			g_hash_table_add(set, GUINT_TO_POINTER(g_array_index(uids, guint32, i)));
}

/* ---- the records ---- */

char *
imap_begin_format(guint32 uidvalidity, guint32 uidnext, gint64 qz, const MessageFixSettings *fix)
{
	/* charset names are iconv's: letters, digits, - _ . : ( ) -- never a blank */
	return g_strdup_printf("begin v=%u next=%u qz=%" G_GINT64_FORMAT " fix=%u cs=%s", uidvalidity,
	                       uidnext, qz, fix->enabled, fix->header_charset ? fix->header_charset : "-");
}

char *
imap_part_format(guint64 first, guint64 last, const GArray *uids, const GArray *quarantined,
                 gint64 qz)
{
	g_autofree char *u = uid_set_format((const guint32 *)uids->data, uids->len);
	g_autofree char *q = record_numbers_format(quarantined);
	char *out = g_strdup_printf("part m=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " u=%s q=%s qz=%"
	                            G_GINT64_FORMAT, first, last, u, q, qz);
	return out;
}

static gboolean
number(const char *text, guint64 max, guint64 *out)
{
	return tsv_parse_number(text, max, out);
}

static gboolean
bad_record(const char *detail, GError **error)
{
	return record_damaged("imap", detail, error);   /* convert names its file and line */
}

/* Every checkpoint of a delivery, into `r`.  FALSE when one makes no sense. */
gboolean
imap_records_parse(const char *const *checkpoints, ImapRecords *r, GError **error)
{
	memset(r, 0, sizeof *r);
	r->uids = g_array_new(FALSE, TRUE, sizeof(guint32));
	r->quarantined = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; checkpoints[i] != NULL; i++) {
		const char *c = checkpoints[i], *v;
		g_auto(GStrv) f = g_strsplit(c, " ", -1);
		guint n = g_strv_length(f);
		guint64 x, y, z;
		if (i == 0) {
			guint64 fx;
			const char *cs;
			if (n != 6 || strcmp(f[0], "begin") != 0 ||
			    !record_field(f[1], "v", &v) || !number(v, G_MAXUINT32, &x) || x == 0 ||
			    !record_field(f[2], "next", &v) || !number(v, G_MAXUINT32, &y) ||
			    !record_field(f[3], "qz", &v) || !number(v, G_MAXINT64 >> 1, &z) ||
			    !record_field(f[4], "fix", &v) || !number(v, MESSAGE_FIX_ALL | MESSAGE_FIX_ISO_2022_JP, &fx) ||
			    !record_field(f[5], "cs", &cs) || *cs == '\0')
				return bad_record(c, error);
			r->begun = TRUE;
			r->uidvalidity = (guint32)x;
			r->uidnext = (guint32)y;
			r->qz = (gint64)z;
			r->fixes = (guint)fx;
			r->header_charset = strcmp(cs, "-") == 0 ? NULL : g_strdup(cs);
			continue;
		}
		const char *dash;
		guint64 a, b;
		g_autoptr(GArray) u = g_array_new(FALSE, FALSE, sizeof(guint32));
		if (n != 5 || strcmp(f[0], "part") != 0 || !record_field(f[1], "m", &v) ||
		    (dash = strchr(v, '-')) == NULL)
			return bad_record(c, error);
		g_autofree char *first = g_strndup(v, (gsize)(dash - v));
		/* b bounded before anything is allocated for it */
		if (!number(first, G_MAXUINT32, &a) || !number(dash + 1, IMAP_MAX_MESSAGES, &b) ||
		    a != r->last + 1 || b < a || !record_field(f[2], "u", &v) || !uid_set_parse(v, b - a + 1, u) ||
		    !record_field(f[3], "q", &v) || !record_field(f[4], "qz", &v))
			return bad_record(c, error);
		guint64 quarantined = 0;
		if (!record_numbers_parse(f[3] + 2, a, b, r->quarantined, &quarantined))
			return bad_record(c, error);
		if (!number(f[4] + 3, G_MAXINT64 >> 1, &z) || u->len + quarantined != b - a + 1)
			return bad_record(c, error);
		g_array_set_size(r->uids, (guint)b);
		guint k = 0;
		for (guint64 m = a; m <= b; m++)
			if (!g_hash_table_contains(r->quarantined, GSIZE_TO_POINTER((gsize)m)))
				g_array_index(r->uids, guint32, m - 1) = g_array_index(u, guint32, k++);
		r->last = b;
		r->qz = (gint64)z;
		r->stored += u->len;
	}
	return TRUE;
}

void
imap_records_clear(ImapRecords *r)
{
	g_clear_pointer(&r->header_charset, g_free);
	g_clear_pointer(&r->uids, g_array_unref);
	g_clear_pointer(&r->quarantined, g_hash_table_unref);
}

static gboolean
imap_recall(MethodUser *mu, const DeliveryTarget *target, const char *detail,
            Delivery *delivery, GError **error)
{
	g_auto(GStrv) f = g_strsplit(detail, " ", -1);
	guint32 v;
	ImapRecords r;

	if (g_strv_length(f) != 5 || !delivery_detail_parse(f, delivery, &v))
		return bad_record(detail, error);
	if (!imap_records_parse(target->checkpoints, &r, error)) {
		imap_records_clear(&r);
		return FALSE;
	}
	imap_user_claim(mu, target->mailbox, r.uids);
	delivery->uids = g_steal_pointer(&r.uids);
	imap_records_clear(&r);
	return TRUE;
}

static gboolean
imap_deliver(MethodUser *mu, const DeliveryTarget *target, MboxReader *reader,
             Delivery *delivery, char **detail_out, GError **error)
{
	guint32 uidvalidity = 0;
	memset(delivery, 0, sizeof *delivery);
	if (!imap_deliver_source(mu, target, reader, delivery, &uidvalidity, error))
		return FALSE;
	*detail_out = delivery_detail_format(uidvalidity, delivery);
	return TRUE;
}

const ConvertMethod convert_method_imap = {
	.name = "imap",
	.needs_empty_mailbox = FALSE,
	.flags_in_delivery = TRUE,
	.needs_session = TRUE,
	.run_new = imap_run_new,
	.run_free = imap_run_free,
	.user_new = imap_user_new,
	.user_free = imap_user_free,
	.recall = imap_recall,
	.deliver = imap_deliver,
	.uid_of = method_uids_of,
	.free_uids = method_uids_free,
};
