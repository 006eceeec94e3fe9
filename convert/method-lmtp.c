/* method-lmtp.c -- convert --method lmtp: every message delivered through Cyrus's
 * lmtpd as its owner (or, with --deliver PATH, through Cyrus's deliver program run
 * once per message), for sites whose mail has always gone in that way.
 *
 *   run_new     where lmtpd listens (--lmtp, else imapd.conf's lmtpsocket), what the
 *               server's configuration says (hierarchy separator, virtual domains,
 *               duplicatesuppression, sievedir).
 *   user_check  before anything is done for the user: every folder must be one LMTP
 *               can address (lmtp_address: "owner+Folder"; a space, a non-ASCII name,
 *               '+' and the like cannot be, and Cyrus files what it cannot place into
 *               the INBOX without a word).
 *   user_new    the owner's IMAP session (convert's), for the UIDs and for APPEND;
 *               the user must have no active Sieve script (lmtpd runs it on every
 *               message: a redirect would send all the old mail again, a fileinto
 *               file it twice) -- refused before anything is delivered.
 *   deliver     lmtp-deliver.c: each message fixed as for --method imap
 *               (message-fix.h), with the delivery header (lmtp-trace.h) first.
 *   finish      nothing: a delivered message is visible at once.
 *   uid_of      from the UIDs found by the delivery header.
 *
 * Checkpoints (DeliveryTarget.checkpoint), one writer and one parser below:
 *   begin v=UIDVALIDITY next=UIDNEXT key=KEY qz=BYTES fix=N cs=CHARSET|-
 *       before the first message: the mailbox as it was, the key every delivery
 *       header of this source carries (16 hex digits, new for each delivery), the
 *       quarantine's size and the fixes.
 *   part m=A-B q=MSGNOS|- qz=BYTES
 *       messages A..B are in the mailbox (their UIDs found by their delivery
 *       headers) but those in q, which are in the quarantine (now qz bytes).
 * Delivery detail: v=UIDVALIDITY messages=M stored=S found=F bytes=N u=UID-SET, the
 * UIDs of the stored messages in message order.
 */
#include "method-lmtp-private.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "cyrus-conf.h"
#include "failure.h"
#include "journal.h"
#include "lmtp-trace.h"
#include "tsv.h"
#include "method-records.h"

static MethodRun *
lmtp_run_new(const MethodSettings *s, GError **error)
{
	g_autoptr(CyrusConf) conf = NULL;
	MethodRun *run = g_new0(MethodRun, 1);

	run->sep = '.';
	run->dupsuppression = TRUE;
	if (s->state_dir == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--method lmtp needs a state directory");
		goto fail;
	}
	if (s->cyrus_conf != NULL) {
		if ((conf = cyrus_conf_load(s->cyrus_conf, error)) == NULL)
			goto fail;
		run->sep = cyrus_conf_get_bool(conf, "unixhierarchysep", FALSE) ? '/' : '.';
		const char *vd = cyrus_conf_get(conf, "virtdomains");
		run->virtdomains = vd != NULL && g_ascii_strcasecmp(vd, "off") != 0 &&
		                   g_ascii_strcasecmp(vd, "no") != 0 && strcmp(vd, "0") != 0;
		run->dupsuppression = cyrus_conf_get_bool(conf, "duplicatesuppression", TRUE);
		const char *sd = cyrus_conf_get(conf, "sievedir");
		run->sievedir = g_strdup(sd ? sd : "/usr/sieve");
		if (cyrus_conf_get_bool(conf, "sieveusehomedir", FALSE))
			g_clear_pointer(&run->sievedir, g_free);
	}
	if (s->deliver_program != NULL) {
		if (s->cyrus_conf == NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			            "--deliver needs --cyrus-conf (deliver -C CONF)");
			goto fail;
		}
		if (access(s->deliver_program, X_OK) != 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "--deliver %s: not a program "
			            "this user can run: %s", s->deliver_program, g_strerror(errno));
			goto fail;
		}
		run->deliver = g_strdup(s->deliver_program);
	} else if (s->lmtp != NULL) {
		run->lmtp = g_strdup(s->lmtp);
	} else if (conf != NULL) {
		const char *sock = cyrus_conf_get(conf, "lmtpsocket");
		const char *cd = cyrus_conf_get(conf, "configdirectory");
		if (sock != NULL)
			run->lmtp = g_strdup(sock);
		else if (cd != NULL)
			run->lmtp = g_build_filename(cd, "socket", "lmtp", NULL);
	}
	if (run->lmtp == NULL && run->deliver == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--method lmtp: where does "
		            "lmtpd listen?  Give --lmtp unix:PATH or HOST:PORT, or --cyrus-conf");
		goto fail;
	}
	if (!lmtp_trace_secret(s->state_dir, TRUE, run->secret, error))
		goto fail;
	run->state_dir = g_strdup(s->state_dir);
	run->cyrus_conf = g_strdup(s->cyrus_conf);
	run->fix.enabled = s->fixes;
	run->header_charset = g_strdup(s->header_charset);
	run->fix.header_charset = run->header_charset;
	run->duplicates_append = s->duplicates_append;
	run->ignore_quota = s->ignore_quota;
	run->admin = g_strdup(s->admin);
	run->admin_password = g_strdup(s->admin_password);
	run->checkpoint_messages = s->batch_messages > 0 ? s->batch_messages : 500;
	const char *retry = g_getenv("M2C_DELIVER_RETRY_MS");   /* the tests' knob */
	run->retry_ms = retry != NULL ? (guint)g_ascii_strtoull(retry, NULL, 10) : 1000;
	return run;
fail:
	g_free(run->sievedir);
	g_free(run);
	return NULL;
}

static void
lmtp_run_free(MethodRun *run)
{
	if (run == NULL)
		return;
	g_free(run->state_dir);
	g_free(run->header_charset);
	g_free(run->lmtp);
	g_free(run->deliver);
	g_free(run->cyrus_conf);
	g_free(run->sievedir);
	g_free(run->admin);
	if (run->admin_password != NULL)
		memset(run->admin_password, 0, strlen(run->admin_password));
	g_free(run->admin_password);
	g_free(run);
}

/* ---- what LMTP can address ---- */

/* The folder of `mailbox` (admin name) under `user`'s INBOX, in the server's
 * separator: "" for the INBOX, NULL when it is not the user's. */
static char *
folder_of(const MethodRun *run, const char *user, const char *mailbox)
{
	const char *at = strchr(user, '@');
	g_autofree char *local = at ? g_strndup(user, (gsize)(at - user)) : g_strdup(user);
	g_autofree char *name = g_strdup(mailbox);
	if (at != NULL && g_str_has_suffix(name, at))
		name[strlen(name) - strlen(at)] = '\0';
	if (run->sep == '.')
		g_strdelimit(local, ".", '^');
	g_autofree char *prefix = g_strdup_printf("user%c%s", run->sep, local);
	if (strcmp(name, prefix) == 0)
		return g_strdup("");
	if (!g_str_has_prefix(name, prefix) || name[strlen(prefix)] != run->sep)
		return NULL;
	return g_strdup(name + strlen(prefix) + 1);
}

char *
lmtp_folder(const MethodRun *run, const char *user, const char *mailbox)
{
	char *f = folder_of(run, user, mailbox);
	if (f != NULL && *f == '\0')
		g_clear_pointer(&f, g_free);
	return f;
}

char *
lmtp_address(const MethodRun *run, const char *user, const char *mailbox, char **why)
{
	g_autofree char *folder = folder_of(run, user, mailbox);
	const char *at = strchr(user, '@');

	*why = NULL;
	if (folder == NULL) {
		*why = g_strdup_printf("it is not a mailbox of %s", user);
		return NULL;
	}
	if (*folder == '\0')
		return g_strdup(user);
	for (const char *p = folder; *p; p++) {
		guchar ch = (guchar)*p;
		const char *what = NULL;
		if (ch >= 0x80)
			what = "a non-ASCII byte";
		else if (ch == '&')
			what = "a non-ASCII name (\"&\": modified UTF-7)";
		else if (ch == ' ')
			what = "a space";
		else if (ch == '+')
			what = "\"+\" (it separates the user from the folder in the address)";
		else if (ch == '.' && run->sep == '/')
			what = "\".\" in a folder's name";
		else if (!g_ascii_isalnum(ch) && ch != run->sep && strchr("-_=~#$!'?", ch) == NULL)
			what = "";
		if (what != NULL) {
			*why = *what ? g_strdup_printf("its name holds %s", what)
			             : g_strdup_printf("its name holds \"%c\", which an address cannot carry "
			                               "as it is", ch);
			return NULL;
		}
	}
	if (at != NULL) {
		g_autofree char *local = g_strndup(user, (gsize)(at - user));
		return g_strdup_printf("%s+%s%s", local, folder, at);
	}
	return g_strdup_printf("%s+%s", user, folder);
}

/* The user's active Sieve script, if any (its path, new): Cyrus 3.6 keeps it as
 * sievedir/uuid/A/B/MAILBOXID/defaultbc, MAILBOXID the INBOX's (AB its first two
 * characters: measured), older layouts as sievedir/C/USER/defaultbc (C the first
 * letter, lowercased, else 'q').  NULL when there is none, or no sievedir is known. */
static char *
active_sieve(const MethodRun *run, ImapSession *session, const char *user, GError **error)
{
	struct stat st;
	g_autofree char *id = NULL;
	if (run->sievedir == NULL)
		return NULL;
	if (!imap_session_mailboxid(session, "INBOX", &id, error))
		return NULL;
	if (id != NULL && strlen(id) >= 2) {
		char a[2] = { id[0], '\0' }, b[2] = { id[1], '\0' };
		char *path = g_build_filename(run->sievedir, "uuid", a, b, id, "defaultbc", NULL);
		if (lstat(path, &st) == 0)
			return path;
		g_free(path);
	}
	const char *at = strchr(user, '@');
	g_autofree char *local = at ? g_strndup(user, (gsize)(at - user)) : g_strdup(user);
	char c = g_ascii_tolower(local[0]);
	char hash[2] = { g_ascii_islower(c) ? c : 'q', '\0' };
	char *path = at ? g_build_filename(run->sievedir, "domain", hash, at + 1, hash, local,
	                                   "defaultbc", NULL)
	                : g_build_filename(run->sievedir, hash, local, "defaultbc", NULL);
	if (lstat(path, &st) == 0)
		return path;
	g_free(path);
	return NULL;
}

static gboolean
lmtp_user_check(MethodRun *run, const char *user, const char *const *mailboxes, GError **error)
{
	g_autoptr(GString) bad = g_string_new(NULL);
	for (guint i = 0; mailboxes[i] != NULL; i++) {
		g_autofree char *why = NULL;
		g_autofree char *address = lmtp_address(run, user, mailboxes[i], &why);
		if (address == NULL)
			g_string_append_printf(bad, "%s\"%s\" (%s)", bad->len ? "; " : "", mailboxes[i], why);
	}
	if (bad->len > 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "refused before anything was "
		            "delivered: LMTP cannot address %s -- Cyrus would file such mail in the INBOX; "
		            "convert this user with --method imap or --method spool", bad->str);
		return FALSE;
	}
	return TRUE;
}

/* ---- the user ---- */

static void
lmtp_user_free(MethodUser *mu)
{
	if (mu == NULL)
		return;
	lmtp_free(mu->lmtp);
	quarantine_free(mu->quarantine);
	g_hash_table_unref(mu->ids);
	g_hash_table_unref(mu->keys);
	g_free(mu->user);
	g_free(mu);
}

static MethodUser *
lmtp_user_new(MethodRun *run, const char *user, const char *const *mailboxes,
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
	mu->quarantine = quarantine_new(run->state_dir, user);
	mu->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                (GDestroyNotify)g_hash_table_unref);
	mu->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (session != NULL && !imap_append_caps(session, &mu->caps, error)) {
		lmtp_user_free(mu);
		return NULL;
	}
	g_autoptr(GError) local = NULL;
	g_autofree char *sieve = session ? active_sieve(run, session, user, &local) : NULL;
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		lmtp_user_free(mu);
		return NULL;
	}
	if (sieve != NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "refused before anything was "
		            "delivered: the user has an active Sieve script (%s), which lmtpd would run on "
		            "every old message (a redirect sends each one again, a fileinto files it twice); "
		            "deactivate it until convert is done, or use --method imap or spool", sieve);
		lmtp_user_free(mu);
		return NULL;
	}
	return mu;
}

/* ---- the records ---- */

static gboolean
bad_record(const char *detail, GError **error)
{
	return record_damaged("lmtp", detail, error);
}

char *
lmtp_begin_format(guint32 uidvalidity, guint32 uidnext, const char *key, gint64 qz,
                  const MessageFixSettings *fix)
{
	return g_strdup_printf("begin v=%u next=%u key=%s qz=%" G_GINT64_FORMAT " fix=%u cs=%s",
	                       uidvalidity, uidnext, key, qz, fix->enabled,
	                       fix->header_charset ? fix->header_charset : "-");
}

char *
lmtp_part_format(guint64 first, guint64 last, const GArray *quarantined, gint64 qz)
{
	g_autofree char *q = record_numbers_format(quarantined);
	char *out = g_strdup_printf("part m=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " q=%s qz=%"
	                            G_GINT64_FORMAT, first, last, q, qz);
	return out;
}

static gboolean
is_key(const char *k)
{
	if (strlen(k) != 16)
		return FALSE;
	for (const char *p = k; *p; p++)
		if (!g_ascii_isdigit(*p) && !(*p >= 'a' && *p <= 'f'))
			return FALSE;
	return TRUE;
}

gboolean
lmtp_records_parse(const char *const *checkpoints, LmtpRecords *r, GError **error)
{
	memset(r, 0, sizeof *r);
	r->quarantined = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; checkpoints != NULL && checkpoints[i] != NULL; i++) {
		const char *c = checkpoints[i], *v, *key, *cs;
		g_auto(GStrv) f = g_strsplit(c, " ", -1);
		guint n = g_strv_length(f);
		guint64 x, y, z, fx, a, b;
		if (i == 0) {
			if (n != 7 || strcmp(f[0], "begin") != 0 ||
			    !record_field(f[1], "v", &v) || !tsv_parse_number(v, G_MAXUINT32, &x) || x == 0 ||
			    !record_field(f[2], "next", &v) || !tsv_parse_number(v, G_MAXUINT32, &y) ||
			    !record_field(f[3], "key", &key) || !is_key(key) ||
			    !record_field(f[4], "qz", &v) || !tsv_parse_number(v, G_MAXINT64 >> 1, &z) ||
			    !record_field(f[5], "fix", &v) ||
			    !tsv_parse_number(v, MESSAGE_FIX_ALL | MESSAGE_FIX_ISO_2022_JP, &fx) ||
			    !record_field(f[6], "cs", &cs) || *cs == '\0')
				return bad_record(c, error);
			r->begun = TRUE;
			r->uidvalidity = (guint32)x;
			r->uidnext = (guint32)y;
			memcpy(r->key, key, 17);
			r->qz = (gint64)z;
			r->fixes = (guint)fx;
			r->header_charset = strcmp(cs, "-") == 0 ? NULL : g_strdup(cs);
			continue;
		}
		const char *dash;
		if (n != 4 || strcmp(f[0], "part") != 0 || !record_field(f[1], "m", &v) ||
		    (dash = strchr(v, '-')) == NULL)
			return bad_record(c, error);
		g_autofree char *first = g_strndup(v, (gsize)(dash - v));
		if (!tsv_parse_number(first, G_MAXUINT32, &a) || !tsv_parse_number(dash + 1, G_MAXUINT32, &b) ||
		    a != r->last + 1 || b < a || !record_field(f[2], "q", &v) || !record_field(f[3], "qz", &v) ||
		    !tsv_parse_number(v, G_MAXINT64 >> 1, &z))
			return bad_record(c, error);
		guint64 count;
		if (!record_numbers_parse(f[2] + 2, a, b, r->quarantined, &count))
			return bad_record(c, error);
		r->last = b;
		r->qz = (gint64)z;
	}
	return TRUE;
}

void
lmtp_records_clear(LmtpRecords *r)
{
	g_clear_pointer(&r->header_charset, g_free);
	g_clear_pointer(&r->quarantined, g_hash_table_unref);
}

/* ---- the contract ---- */

/* The delivery detail: the common fields, then u=UID-SET, the stored messages' UIDs in
 * message order (the quarantined ones, in the checkpoints, have none). */
static char *
detail_format(guint32 uidvalidity, const Delivery *d)
{
	const GArray *uids = d->uids;
	g_autoptr(GArray) stored = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; uids != NULL && i < uids->len; i++)
		if (g_array_index(uids, guint32, i) != 0)
			g_array_append_val(stored, g_array_index(uids, guint32, i));
	g_autofree char *common = delivery_detail_format(uidvalidity, d);
	g_autofree char *set = uid_set_format((const guint32 *)(gpointer)stored->data, stored->len);
	return g_strdup_printf("%s u=%s", common, set);
}

static gboolean
lmtp_recall(MethodUser *mu, const DeliveryTarget *target, const char *detail,
            Delivery *delivery, GError **error)
{
	g_auto(GStrv) f = g_strsplit(detail, " ", -1);
	guint32 v;
	const char *x;
	LmtpRecords r;
	(void)mu;

	if (g_strv_length(f) != 6 || !delivery_detail_parse(f, delivery, &v) ||
	    !record_field(f[5], "u", &x))
		return bad_record(detail, error);
	g_autoptr(GArray) stored = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (!uid_set_parse(x, delivery->stored, stored) || stored->len != delivery->stored)
		return bad_record(detail, error);
	if (!lmtp_records_parse(target->checkpoints, &r, error)) {
		lmtp_records_clear(&r);
		return FALSE;
	}
	GArray *uids = g_array_new(FALSE, TRUE, sizeof(guint32));
	g_array_set_size(uids, (guint)delivery->messages);
	guint k = 0;
	for (guint64 n = 1; n <= delivery->messages && k < stored->len; n++)
		if (!g_hash_table_contains(r.quarantined, GSIZE_TO_POINTER((gsize)n)))
			g_array_index(uids, guint32, n - 1) = g_array_index(stored, guint32, k++);
	lmtp_records_clear(&r);
	delivery->uids = uids;
	return TRUE;
}

static gboolean
lmtp_deliver(MethodUser *mu, const DeliveryTarget *target, MboxReader *reader,
             Delivery *delivery, char **detail_out, GError **error)
{
	guint32 uidvalidity = 0;
	memset(delivery, 0, sizeof *delivery);
	if (!lmtp_deliver_source(mu, target, reader, delivery, &uidvalidity, error))
		return FALSE;
	*detail_out = detail_format(uidvalidity, delivery);
	return TRUE;
}

const ConvertMethod convert_method_lmtp = {
	.name = "lmtp",
	.needs_empty_mailbox = FALSE,
	.flags_in_delivery = FALSE,
	.needs_session = TRUE,
	.run_new = lmtp_run_new,
	.run_free = lmtp_run_free,
	.user_check = lmtp_user_check,
	.user_new = lmtp_user_new,
	.user_free = lmtp_user_free,
	.recall = lmtp_recall,
	.deliver = lmtp_deliver,
	.uid_of = method_uids_of,
	.free_uids = method_uids_free,
};
