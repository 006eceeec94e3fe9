/* lmtp-send.c -- the server's side of one source's LMTP delivery (lmtp-deliver.c has
 * the order): the mailbox checked and read for delivery headers, messages sent over
 * pipelined LMTP (lmtp-client.h) or through Cyrus's deliver (deliver-program.c). */
#include "lmtp-deliver-private.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "fault.h"
#include "fd-io.h"
#include "lmtp-trace.h"
#include "method-records.h"

/* ---- finding what the mailbox holds ---- */

typedef struct {
	Ctx *c;
	guint32 uid;
	GString *text;
} Scan;

static gboolean
scan_begin(guint32 uid, guint64 size, gpointer data, GError **error)
{
	Scan *s = data;
	(void)size;
	(void)error;
	s->uid = uid;
	g_string_truncate(s->text, 0);
	return TRUE;
}

static gboolean
scan_body(const char *bytes, gsize len, gpointer data, GError **error)
{
	Scan *s = data;
	(void)error;
	if (s->text->len < 64 * 1024)
		g_string_append_len(s->text, bytes, (gssize)len);
	return TRUE;
}

static gint
compare_uid(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
	return x < y ? -1 : x > y;
}

/* "(mbox2cyrus KEY.N" in the first delivery header with our key: N. */
static gboolean
scan_end(guint32 uid, gpointer data, GError **error)
{
	Scan *s = data;
	Ctx *c = s->c;
	(void)error;
	g_autofree char *needle = g_strdup_printf("(mbox2cyrus %s.", c->key);
	const char *p = strstr(s->text->str, needle);
	guint64 n = 0;
	if (p == NULL) {
		/* a delivery header of mbox2cyrus with a key neither this run nor the journal
		 * made (lmtp_mailbox_begin) */
		const char *o = strstr(s->text->str, "(mbox2cyrus ");
		if (o != NULL) {
			g_autofree char *k = g_strndup(o + 12, 16);
			if (strlen(k) == 16 && o[28] == '.' && !g_hash_table_contains(c->mu->keys, k))
				c->foreign++;
		}
		return TRUE;
	}
	for (p += strlen(needle); g_ascii_isdigit(*p) && n < G_MAXUINT32; p++)
		n = n * 10 + (guint64)(*p - '0');
	if (n > 0 && n <= G_MAXUINT32 && !g_hash_table_contains(c->where, GSIZE_TO_POINTER((gsize)n)))
		g_hash_table_insert(c->where, GSIZE_TO_POINTER((gsize)n), GUINT_TO_POINTER(uid));
	return TRUE;
}

/* Read the delivery headers of the UIDs from `c->scanned` on. */
gboolean
lmtp_scan(Ctx *c, GError **error)
{
	static const ImapBodySink sink = { scan_begin, scan_body, scan_end };
	Scan s = { c, 0, g_string_new(NULL) };
	guint32 next = 0;
	/* "N:*" answers for the last message even when its UID is below N: harmless */
	g_autofree char *set = g_strdup_printf("%u:*", MAX(c->scanned, 1));
	gboolean ok = imap_session_status(c->mu->session, c->personal, NULL, &next, error) &&
	              (next <= MAX(c->scanned, 1) ||
	               imap_session_fetch_header_fields(c->mu->session, set, "X-DeliveredInternalDate",
	                                                &sink, &s, error));
	g_string_free(s.text, TRUE);
	if (ok)
		c->scanned = MAX(c->scanned, next);
	return ok;
}

/* Cyrus's lmtpd files a message into the INBOX, answering 250, when it cannot file it
 * into the folder (check_folder below refuses the causes known beforehand).  The
 * messages numbered in `missing` (GArray of guint64) are looked for in the INBOX by
 * their delivery headers, and moved into the folder as the owner (UID MOVE): not left
 * in the wrong mailbox, nor stored twice.  `*moved_out`: how many. */
gboolean
lmtp_rescue_from_inbox(Ctx *c, const GArray *missing, guint *moved_out, GError **error)
{
	g_autoptr(GHashTable) inbox = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	GHashTable *where = c->where;
	char *personal = c->personal;
	guint32 scanned = c->scanned;
	gboolean ok;

	*moved_out = 0;
	if (c->folder == NULL || missing->len == 0)
		return TRUE;
	c->where = inbox;
	c->personal = "INBOX";
	c->scanned = 1;
	ok = imap_session_select(c->mu->session, "INBOX", FALSE, NULL, NULL, error) &&
	     lmtp_scan(c, error);
	c->where = where;
	c->personal = personal;
	c->scanned = scanned;
	for (guint i = 0; ok && i < missing->len; i++) {
		gpointer uid;
		if (g_hash_table_lookup_extended(inbox, GSIZE_TO_POINTER((gsize)g_array_index(missing, guint64, i)),
		                                 NULL, &uid)) {
			guint32 u = GPOINTER_TO_UINT(uid);
			g_array_append_val(uids, u);
		}
	}
	if (ok && uids->len > 0) {
		g_array_sort(uids, (GCompareFunc)compare_uid);
		g_autofree char *set = uid_set_format((const guint32 *)(gpointer)uids->data, uids->len);
		g_autofree char *quoted = imap_quote(c->personal);
		g_autofree char *command = g_strdup_printf("UID MOVE %s %s", set, quoted);
		ok = imap_session_command(c->mu->session, command, error);
		if (ok)
			*moved_out = uids->len;
	}
	/* back to the folder, read-only, as the delivery left it */
	guint32 v = 0;
	if (!imap_session_select(c->mu->session, c->personal, TRUE, NULL, &v, ok ? error : NULL))
		return FALSE;
	return ok;
}

/* ---- LMTP ---- */

static gboolean
lmtp_error(Ctx *c, const LmtpReply *r, GError **error)
{
	int code = r->code == 452 ? M2C_IMAP_ERROR_OVERQUOTA : M2C_IMAP_ERROR_NETWORK;
	g_set_error(error, M2C_IMAP_ERROR, code, "LMTP delivery to %s refused for now: %s%s",
	            c->address, r->text, r->code == 452 ? " (raise the quota, or --ignore-quota, "
	            "and rerun)" : "");
	return FALSE;
}

/* The reply to `g`'s end of data. */
static gboolean
outcome(Ctx *c, Msg *g, const LmtpReply *r, GError **error)
{
	if (r->code / 100 == 2) {
		lmtp_batch_add(c, g);
		fault_point("lmtp-acked");
		return TRUE;
	}
	gboolean ok;
	if (r->code / 100 == 4)
		ok = lmtp_error(c, r, error);
	else {
		g_autofree char *why = g_strdup_printf("refused by the server (LMTP): %s", r->text);
		ok = lmtp_quarantine(c, g, why, error);
	}
	lmtp_msg_free(g);
	return ok;
}

static gboolean
connect_lmtp(Ctx *c, GError **error)
{
	MethodRun *run = c->mu->run;
	if (c->mu->lmtp != NULL)
		return TRUE;
	c->mu->lmtp = lmtp_connect(run->lmtp, 0, error);
	if (c->mu->lmtp == NULL)
		return FALSE;
	if (!g_str_has_prefix(run->lmtp, "unix:") && run->lmtp[0] != '/' &&
	    (run->admin == NULL || !lmtp_auth_plain(c->mu->lmtp, run->admin, run->admin_password, error))) {
		if (run->admin == NULL)
			g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH, "LMTP over TCP needs the admin's login");
		g_clear_pointer(&c->mu->lmtp, lmtp_free);
		return FALSE;
	}
	return TRUE;
}

gboolean
lmtp_drain(Ctx *c, GError **error)
{
	LmtpReply r = { 0 };
	Msg *g = g_steal_pointer(&c->pending);
	if (g == NULL)
		return TRUE;
	if (!lmtp_read_final(c->mu->lmtp, &r, error)) {
		lmtp_msg_free(g);
		return FALSE;
	}
	gboolean ok = outcome(c, g, &r, error);
	lmtp_reply_clear(&r);
	return ok;
}

static gboolean
body_write(const char *data, gsize len, gpointer lp, GError **error)
{
	return lmtp_body_write(lp, data, len, error);
}

gboolean
lmtp_send(Ctx *c, Msg *g, GError **error)
{
	LmtpReply refused = { 0 };
	gboolean go = FALSE;
	if (!connect_lmtp(c, error)) {
		lmtp_msg_free(g);
		return FALSE;
	}
	lmtp_begin(c->mu->lmtp, "", c->mu->user, c->address, c->mu->run->ignore_quota);
	if (c->pending != NULL && !lmtp_drain(c, error))
		goto fail;
	if (!lmtp_read_begin(c->mu->lmtp, &go, &refused, error))
		goto fail;
	if (!go) {
		gboolean ok = outcome(c, g, &refused, error);
		lmtp_reply_clear(&refused);
		return ok;
	}
	if (!lmtp_produce(c, g, body_write, c->mu->lmtp, error))
		goto fail;
	lmtp_body_end(c->mu->lmtp);
	c->pending = g;
	fault_point("lmtp-sent");
	return TRUE;
fail:
	lmtp_msg_free(g);
	g_clear_pointer(&c->mu->lmtp, lmtp_free);
	return FALSE;
}

/* ---- the deliver program ---- */

typedef struct {
	Ctx *c;
	Msg *g;
} ToFd;

static gboolean
fd_write(const char *data, gsize len, gpointer fp, GError **error)
{
	return fd_write_all(GPOINTER_TO_INT(fp), data, len, "writing to deliver", error);
}

static gboolean
to_fd(int fd, gpointer data, GError **error)
{
	ToFd *t = data;
	return lmtp_produce(t->c, t->g, fd_write, GINT_TO_POINTER(fd), error);
}

gboolean
lmtp_send_program(Ctx *c, Msg *g, GError **error)
{
	ToFd t = { c, g };
	if (g->has_nul) {
		gboolean ok = lmtp_quarantine(c, g, "it holds a NUL byte, at which deliver would cut it without "
		                         "a word (--no-fix nul)", error);
		lmtp_msg_free(g);
		return ok;
	}
	if (!deliver_program_run(c->mu->run, c->mu->user, c->folder, to_fd, &t, error)) {
		lmtp_msg_free(g);
		return FALSE;
	}
	lmtp_batch_add(c, g);
	fault_point("lmtp-acked");
	return TRUE;
}

/* The key of this source's delivery headers: the same for every run that delivers
 * it into this mailbox (so a rerun finds what an earlier one delivered even when the
 * journal does not say so), and not one a sender can guess (the state's secret). */
static void
make_key(Ctx *c)
{
	lmtp_trace_key(c->mu->run->secret, c->t->mailbox, c->t->source, c->uidvalidity, c->key);
}

/* Cyrus 3.6's lmtpd (deliver_local) files a message into the INBOX whenever its
 * delivery to "owner+Folder" fails for any reason, and answers 250 -- measured
 * (tests/t0960-review-lmtp-folder-fallback.t): a folder the owner cannot post to (no
 * 'p' in its ACL), and a folder over a quota root of its own (RCPT checks only the
 * INBOX's quota root).  convert would then APPEND it to the folder as well, and every
 * rerun would send it to the INBOX again.  Both are known before the first message.
 * With --ignore-quota the folder's quota is overridden too (quotaoverride). */
static gboolean
check_folder(Ctx *c, GError **error)
{
	g_autofree char *rights = NULL;
	g_auto(GStrv) roots = NULL, inbox_roots = NULL;
	g_autoptr(GError) local = NULL;

	if (c->folder == NULL)
		return TRUE;   /* the INBOX: lmtpd overrides its ACL */
	if (!imap_session_myrights(c->mu->session, c->personal, &rights, error))
		return FALSE;
	if (strchr(rights, 'p') == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "refused before anything of "
		            "it was delivered: the owner has no \"p\" (post) right on it (rights \"%s\"), "
		            "so lmtpd would file its mail in the INBOX; grant it (SETACL), or convert it "
		            "with --method imap or --method spool", rights);
		return FALSE;
	}
	if (c->mu->run->ignore_quota)
		return TRUE;
	if (!imap_session_quota_roots(c->mu->session, c->personal, &roots, &local) ||
	    !imap_session_quota_roots(c->mu->session, "INBOX", &inbox_roots, &local)) {
		if (local->domain == M2C_IMAP_ERROR && local->code == M2C_IMAP_ERROR_BAD)
			return TRUE;   /* no QUOTA extension: no quota */
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	for (guint i = 0; roots[i] != NULL; i++)
		if (!g_strv_contains((const char *const *)inbox_roots, roots[i])) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "refused before anything "
			            "of it was delivered: it has a quota root of its own (%s), which lmtpd "
			            "does not check before it accepts a message, and a message over it goes "
			            "to the INBOX; rerun with --ignore-quota, or convert it with --method "
			            "imap or --method spool", roots[i]);
			return FALSE;
		}
	return TRUE;
}

/* The mailbox as it is; the begin record when this source's delivery begins; what
 * the mailbox holds of it already (every UID is read: a delivery an earlier run began
 * but the journal forgot is found too). */
gboolean
lmtp_mailbox_begin(Ctx *c, LmtpRecords *r, GError **error)
{
	guint32 exists = 0;
	if (!imap_session_select(c->mu->session, c->personal, TRUE, &exists, &c->uidvalidity, error))
		return FALSE;
	if (r->begun && r->uidvalidity != c->uidvalidity) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "its UIDVALIDITY is %u, %u when an "
		            "earlier run began to deliver to it: the mailbox was made again meanwhile "
		            "(delete the mailbox and this source's lines from the journal, then rerun)",
		            c->uidvalidity, r->uidvalidity);
		return FALSE;
	}
	if (!check_folder(c, error))
		return FALSE;
	make_key(c);
	g_hash_table_add(c->mu->keys, g_strdup(c->key));
	/* the keys the journal's begin records name (the user's other sources) are ours */
	for (const char *const *p = c->t->user_checkpoints; p != NULL && *p != NULL; p++) {
		const char *k = g_str_has_prefix(*p, "begin ") ? strstr(*p, " key=") : NULL;
		if (k != NULL && strlen(k + 5) >= 16)
			g_hash_table_add(c->mu->keys, g_strndup(k + 5, 16));
	}
	c->scanned = 1;
	if (!r->begun && exists > 0) {
		/* a delivery header whose key is neither this run's nor the journal's: a run
		 * with another state directory (deleted, another --state): what it delivered
		 * cannot be told from this source's messages and would be sent again */
		c->foreign = 0;
		if (!lmtp_scan(c, error))
			return FALSE;
		if (c->foreign > 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "refused before anything of "
			            "it was delivered: it holds %" G_GUINT64_FORMAT " message(s) an "
			            "mbox2cyrus run delivered with another state directory (its "
			            "lmtp.secret is not this one's, %s), which this run cannot tell from "
			            "its own and would deliver again; rerun with that run's --state, "
			            "or delete what it delivered (mbox2cyrus backout)", c->foreign,
			            c->mu->run->state_dir);
			return FALSE;
		}
		c->scanned = 1;
		g_hash_table_remove_all(c->where);
	}
	if (r->begun) {
		c->fix.enabled = r->fixes;
		c->fix.header_charset = r->header_charset;
		return exists == 0 || lmtp_scan(c, error);
	}
	gint64 qz = 0;
	guint32 next = imap_session_selected_uidnext(c->mu->session);
	if (!quarantine_size(c->mu->quarantine, &qz, error))
		return FALSE;
	g_autofree char *rec = lmtp_begin_format(c->uidvalidity, next, c->key, qz, &c->fix);
	return c->t->checkpoint(c->t->data, rec, error) && (exists == 0 || lmtp_scan(c, error));
}
