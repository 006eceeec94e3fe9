/* lmtp-deliver.c -- one source into one mailbox through LMTP (method-lmtp.c has the
 * records and the contract; deliver-program.c runs Cyrus's deliver instead).
 *
 * Each message, in source order:
 *   1. made acceptable as for --method imap (message-fix.h: NUL, a header line
 *      without a colon or with a bare CR, raw 8-bit header bytes; the date Cyrus can
 *      keep); the delivery header (lmtp-trace.h) goes first: its date is what Cyrus
 *      takes for the INTERNALDATE, its comment names this delivery's key and the
 *      message's number, so it can be found in the mailbox again;
 *   2. routed: LMTP, except what LMTP would change or lose, which is APPENDed as the
 *      owner with the same bytes: a message whose header has no empty line after it
 *      or whose last line has no line end (lmtpd refuses the first and would add
 *      CRLF to the second), and -- when the server suppresses duplicates and
 *      --duplicate-ids append is given -- one whose Message-ID the mailbox got
 *      already (lmtpd would answer 250 and drop it);
 *   3. sent: LMTP transactions pipelined (lmtp-client.h), one round trip each.  A
 *      message refused for good (5xx) goes to the quarantine with the server's
 *      words; 452 (over quota) and other 4xx fail the mailbox (temporary).
 * Every --batch-messages messages (and at the end) the mailbox is asked which of
 * them it holds, by their delivery headers (one UID FETCH of that field from the
 * first new UID on), and the part is journaled.  A message that got its 250 but is
 * not there was dropped by the server (duplicate suppression): it is APPENDed then,
 * and the report says so.
 *
 * Resume: the mailbox is read for delivery headers with this delivery's key (a hash
 * of the state directory's secret, the mailbox, the source and the UIDVALIDITY: the
 * same in every run): a message found is not sent again (its reply was lost to a
 * kill, or the journal forgot what a failed try stored); a journaled message not
 * found is APPENDed. */
#include "method-lmtp-private.h"

#include <string.h>

#include <gio/gio.h>

#include "fault.h"
#include "lmtp-trace.h"

#define HOLD_MAX (1024 * 1024)
#define HEADER_MAX (256 * 1024)
#define SYNC_ABOVE (4 * 1024 * 1024)

typedef struct {
	MboxMessage *m;
	guint64 size;            /* the fixed message's bytes */
	GByteArray *bytes;       /* ... held when small */
	GByteArray *header;      /* its header block (up to HEADER_MAX) */
	gboolean header_done, separator, last_lf, has_nul;
	gsize line_len;
	char *message_id;        /* whitespace removed; NULL when none */
	gint64 date;
	char *trace;             /* the delivery header line */
	Route route;
} Msg;

typedef struct {
	MethodUser *mu;
	const DeliveryTarget *t;
	MboxReader *reader;
	Delivery *d;
	MessageFixSettings fix;
	char *personal, *address, *folder;
	char key[17];
	guint32 uidvalidity;
	guint32 scanned;             /* UIDs below this were read for delivery headers */
	GHashTable *where;           /* message number -> UID (found by delivery header) */
	GArray *uids;                /* guint32 by message number - 1 */
	GHashTable *ids;             /* the mailbox's Message-IDs so far (borrowed) */
	GPtrArray *batch;            /* Msg *, sent by LMTP since the last part, waiting */
	GArray *part_q;              /* guint64 */
	guint64 part_first, seen;
	Msg *pending;                /* its body sent, its reply not read */
	guint64 dropped;
} Ctx;

static void
msg_free(Msg *g)
{
	if (g == NULL)
		return;
	mbox_message_free(g->m);
	if (g->bytes)
		g_byte_array_unref(g->bytes);
	g_byte_array_unref(g->header);
	g_free(g->message_id);
	g_free(g->trace);
	g_free(g);
}

/* `g` is sent and waits in the batch for its UID: what it held is read again if it
 * must be APPENDed after all (the batch stays small however large its messages). */
static void
batch_add(Ctx *c, Msg *g)
{
	g_clear_pointer(&g->bytes, g_byte_array_unref);
	g_byte_array_set_size(g->header, 0);
	g_ptr_array_add(c->batch, g);
}

static void
report(Ctx *c, const MboxMessage *m, gboolean stored, const char *text)
{
	if (c->t->problem != NULL)
		c->t->problem(c->t->data, m, stored, text);
}

/* ---- 1. prepare ---- */

static gboolean
collect(const char *data, gsize len, gpointer gp, GError **error)
{
	Msg *g = gp;
	(void)error;
	g->size += len;
	if (g->bytes != NULL && g->size <= HOLD_MAX)
		g_byte_array_append(g->bytes, (const guint8 *)data, (guint)len);
	else
		g_clear_pointer(&g->bytes, g_byte_array_unref);
	for (gsize i = 0; i < len && !g->header_done; i++) {
		if (g->header->len < HEADER_MAX)
			g_byte_array_append(g->header, (const guint8 *)data + i, 1);
		if (data[i] == '\n') {
			if (g->line_len == 0)
				g->header_done = g->separator = TRUE;
			g->line_len = 0;
		} else if (data[i] != '\r') {
			g->line_len++;
		}
	}
	if (memchr(data, '\0', len) != NULL)
		g->has_nul = TRUE;
	if (len > 0)
		g->last_lf = data[len - 1] == '\n';
	return TRUE;
}

/* The first Message-ID field's value without its blanks and line ends. */
static char *
message_id(const GByteArray *header)
{
	const char *p = (const char *)header->data, *end = p + header->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *eol = nl ? nl + 1 : end;
		if (eol - p > 11 && g_ascii_strncasecmp(p, "Message-ID:", 11) == 0) {
			GString *v = g_string_new(NULL);
			for (const char *q = p + 11;; ) {
				for (; q < eol; q++)
					if (!g_ascii_isspace(*q))
						g_string_append_c(v, *q);
				if (eol >= end || (*eol != ' ' && *eol != '\t'))
					break;
				q = eol;
				nl = memchr(q, '\n', (gsize)(end - q));
				eol = nl ? nl + 1 : end;
			}
			if (v->len == 0) {
				g_string_free(v, TRUE);
				return NULL;
			}
			return g_string_free(v, FALSE);
		}
		p = eol;
	}
	return NULL;
}

static gboolean
prepare(Ctx *c, Msg *g, gboolean say, GError **error)
{
	MessageFix *fix = NULL;
	const char *date_note = NULL;

	g->bytes = g_byte_array_new();
	g->header = g_byte_array_new();
	if (!message_fix_copy(c->reader, g->m, &c->fix, collect, g, &fix, error)) {
		message_fix_free(fix);
		return FALSE;
	}
	if (say)
		for (const char *const *n = message_fix_notes(fix); n != NULL && *n != NULL; n++)
			report(c, g->m, TRUE, *n);
	message_fix_free(fix);
	g->date = message_fix_internaldate(g_date_time_to_unix(g->m->date), &date_note);
	if (say && date_note != NULL)
		report(c, g->m, TRUE, date_note);
	g->message_id = message_id(g->header);
	g->route = g->separator && g->last_lf ? ROUTE_LMTP : ROUTE_APPEND;
	return TRUE;
}

static void
set_trace(Ctx *c, Msg *g)
{
	guint adds = 0;
	if (g->route == ROUTE_LMTP) {
		const char *h = (const char *)g->header->data;
		if (!lmtp_trace_has_field(h, g->header->len, "Message-ID"))
			adds |= LMTP_TRACE_ADDS_MESSAGE_ID;
		if (!lmtp_trace_has_field(h, g->header->len, "Date"))
			adds |= LMTP_TRACE_ADDS_DATE;
	}
	g_free(g->trace);
	g->trace = lmtp_trace_format(g->date, c->key, g->m->number, adds);
}

/* The message's bytes again, through `write`: held, or read and fixed again. */
typedef gboolean (*Write)(const char *data, gsize len, gpointer data_, GError **error);

typedef struct {
	Write write;
	gpointer data;
	guint64 left;
} Counted;

static gboolean
counted_write(const char *data, gsize len, gpointer cp, GError **error)
{
	Counted *k = cp;
	if (len > k->left) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "the message grew while it was "
		            "sent (the file changed?)");
		return FALSE;
	}
	k->left -= len;
	return k->write(data, len, k->data, error);
}

static gboolean
produce(Ctx *c, Msg *g, Write write, gpointer data, GError **error)
{
	if (!write(g->trace, strlen(g->trace), data, error))
		return FALSE;
	if (g->bytes != NULL)
		return write((const char *)g->bytes->data, g->bytes->len, data, error);
	Counted k = { write, data, g->size };
	if (!message_fix_copy(c->reader, g->m, &c->fix, counted_write, &k, NULL, error))
		return FALSE;
	if (k.left != 0) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "the message shrank while it "
		            "was sent (the file changed?)");
		return FALSE;
	}
	return TRUE;
}

/* ---- the outcome of each message ---- */

static void
stored(Ctx *c, Msg *g, guint32 uid, gboolean now)
{
	g_array_index(c->uids, guint32, g->m->number - 1) = uid;
	c->d->stored++;
	c->d->written += now;
	c->d->bytes += (gint64)(g->size + strlen(g->trace));
	if (g->message_id != NULL)
		g_hash_table_add(c->ids, g_strdup(g->message_id));
	if (c->t->stored != NULL)
		c->t->stored(c->t->data, g->m, uid);
}

static gboolean
quarantine(Ctx *c, Msg *g, const char *why, GError **error)
{
	g_autoptr(GError) local = NULL;
	if (!quarantine_add(c->mu->quarantine, c->reader, g->m, NULL, &local)) {
		g_autofree char *text = g_strdup_printf("%s; and it could not be put in the quarantine: %s",
		                                        why, local->message);
		report(c, g->m, FALSE, text);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree char *text = g_strdup_printf("%s: kept in %s", why, quarantine_path(c->mu->quarantine));
	report(c, g->m, FALSE, text);
	g_array_append_val(c->part_q, g->m->number);
	return TRUE;
}

/* ---- APPEND ---- */

typedef struct {
	Ctx *c;
	Msg *g;
} Produce;

static gboolean
append_produce(gpointer data, ImapLiteralWrite write, gpointer write_data, GError **error)
{
	Produce *pr = data;
	return produce(pr->c, pr->g, (Write)write, write_data, error);
}

/* APPEND `g` as the owner: stored, or quarantined when the server refuses it. */
static gboolean
append(Ctx *c, Msg *g, const char *why, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc(g->date);
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 v = 0;
	Produce pr = { c, g };

	g->route = ROUTE_APPEND;
	set_trace(c, g);
	g_autoptr(ImapAppend) a = imap_append_new(c->mu->session, c->personal, &c->mu->caps, SYNC_ABOVE);
	if (imap_append_add(a, NULL, date, g->size + strlen(g->trace), append_produce, &pr, &local) &&
	    imap_append_finish(a, &v, uids, &local) && uids->len == 1) {
		if (why != NULL)
			report(c, g->m, TRUE, why);
		stored(c, g, g_array_index(uids, guint32, 0), TRUE);
		return TRUE;
	}
	if (local == NULL)
		g_set_error(&local, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL, "APPEND gave no UID");
	if (local->domain != M2C_IMAP_ERROR || local->code == M2C_IMAP_ERROR_NETWORK ||
	    local->code == M2C_IMAP_ERROR_PROTOCOL || local->code == M2C_IMAP_ERROR_OVERQUOTA ||
	    local->code == M2C_IMAP_ERROR_TRYCREATE) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	g_autofree char *text = g_strdup_printf("refused by the server (APPEND): %s", local->message);
	return quarantine(c, g, text, error);
}

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
	if (p == NULL)
		return TRUE;
	for (p += strlen(needle); g_ascii_isdigit(*p) && n < G_MAXUINT32; p++)
		n = n * 10 + (guint64)(*p - '0');
	if (n > 0 && n <= G_MAXUINT32 && !g_hash_table_contains(c->where, GSIZE_TO_POINTER((gsize)n)))
		g_hash_table_insert(c->where, GSIZE_TO_POINTER((gsize)n), GUINT_TO_POINTER(uid));
	return TRUE;
}

/* Read the delivery headers of the UIDs from `c->scanned` on. */
static gboolean
scan(Ctx *c, GError **error)
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
		batch_add(c, g);
		fault_point("lmtp-acked");
		return TRUE;
	}
	gboolean ok;
	if (r->code / 100 == 4)
		ok = lmtp_error(c, r, error);
	else {
		g_autofree char *why = g_strdup_printf("refused by the server (LMTP): %s", r->text);
		ok = quarantine(c, g, why, error);
	}
	msg_free(g);
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

static gboolean
drain(Ctx *c, GError **error)
{
	LmtpReply r = { 0 };
	Msg *g = g_steal_pointer(&c->pending);
	if (g == NULL)
		return TRUE;
	if (!lmtp_read_final(c->mu->lmtp, &r, error)) {
		msg_free(g);
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

static gboolean
send_lmtp(Ctx *c, Msg *g, GError **error)
{
	LmtpReply r = { 0 }, refused = { 0 };
	gboolean go = FALSE;
	if (!connect_lmtp(c, error))
		return FALSE;
	lmtp_begin(c->mu->lmtp, "", c->mu->user, c->address, c->mu->run->ignore_quota);
	if (c->pending != NULL && !drain(c, error))
		goto fail;
	if (!lmtp_read_begin(c->mu->lmtp, &go, &refused, error))
		goto fail;
	if (!go) {
		gboolean ok = outcome(c, g, &refused, error);
		lmtp_reply_clear(&refused);
		return ok;
	}
	if (!produce(c, g, body_write, c->mu->lmtp, error))
		goto fail;
	lmtp_body_end(c->mu->lmtp);
	c->pending = g;
	fault_point("lmtp-sent");
	return TRUE;
fail:
	lmtp_reply_clear(&r);
	msg_free(g);
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
	int fd = GPOINTER_TO_INT(fp);
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "writing to deliver: %s",
			            n < 0 ? g_strerror(errno) : "nothing written");
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gboolean
to_fd(int fd, gpointer data, GError **error)
{
	ToFd *t = data;
	return produce(t->c, t->g, fd_write, GINT_TO_POINTER(fd), error);
}

static gboolean
send_program(Ctx *c, Msg *g, GError **error)
{
	ToFd t = { c, g };
	if (g->has_nul) {
		gboolean ok = quarantine(c, g, "it holds a NUL byte, at which deliver would cut it without "
		                         "a word (--no-fix nul)", error);
		msg_free(g);
		return ok;
	}
	if (!deliver_program_run(c->mu->run, c->mu->user, c->folder, to_fd, &t, error)) {
		msg_free(g);
		return FALSE;
	}
	batch_add(c, g);
	fault_point("lmtp-acked");
	return TRUE;
}

/* ---- the parts ---- */

/* Everything sent is answered; find the batch's messages in the mailbox; APPEND the
 * ones the server dropped; journal messages part_first..seen. */
static gboolean
checkpoint(Ctx *c, GError **error)
{
	if (c->seen < c->part_first)
		return TRUE;
	if (!drain(c, error))
		return FALSE;
	if (c->batch->len > 0 && !scan(c, error))
		return FALSE;
	for (guint i = 0; i < c->batch->len; i++) {
		Msg *g = g_ptr_array_index(c->batch, i);
		gpointer uid;
		if (g_hash_table_lookup_extended(c->where, GSIZE_TO_POINTER((gsize)g->m->number), NULL, &uid)) {
			stored(c, g, GPOINTER_TO_UINT(uid), TRUE);
			continue;
		}
		c->dropped++;
		if (!append(c, g, "LMTP accepted it but the server did not store it (duplicate "
		            "suppression: its Message-ID was delivered to this mailbox before): "
		            "APPENDed instead, after the messages sent with it", error))
			return FALSE;
	}
	g_ptr_array_set_size(c->batch, 0);
	gint64 qz = 0;
	if (!quarantine_size(c->mu->quarantine, &qz, error))
		return FALSE;
	g_autofree char *part = lmtp_part_format(c->part_first, c->seen, c->part_q, qz);
	if (!c->t->checkpoint(c->t->data, part, error))
		return FALSE;
	g_array_set_size(c->part_q, 0);
	c->part_first = c->seen + 1;
	return TRUE;
}

/* ---- one message ---- */

static gboolean
one_message(Ctx *c, MboxMessage *m, const LmtpRecords *r, GError **error)
{
	Msg *g = g_new0(Msg, 1);
	gpointer uid;
	g->m = m;
	c->d->messages++;
	c->seen = m->number;
	if (m->number > c->uids->len)
		g_array_set_size(c->uids, (guint)m->number);
	if (m->number <= r->last && g_hash_table_contains(r->quarantined, GSIZE_TO_POINTER((gsize)m->number))) {
		msg_free(g);
		return TRUE;
	}
	if (!prepare(c, g, m->number > r->last, error)) {
		msg_free(g);
		return FALSE;
	}
	set_trace(c, g);
	if (g_hash_table_lookup_extended(c->where, GSIZE_TO_POINTER((gsize)m->number), NULL, &uid)) {
		stored(c, g, GPOINTER_TO_UINT(uid), FALSE);
		if (m->number > r->last)
			c->d->found++;
		msg_free(g);
		return TRUE;
	}
	const char *why = NULL;
	if (m->number <= r->last)
		why = "an earlier run delivered it, but it is not in the mailbox (the server dropped "
		      "it): APPENDed";
	else if (g->route == ROUTE_APPEND)
		why = g->separator ? "its last line has no line end, which LMTP would add: APPENDed "
		                     "as it is" : "no empty line ends its header, which LMTP refuses: "
		                     "APPENDed as it is";
	else if (c->mu->run->dupsuppression && g->message_id != NULL &&
	         g_hash_table_contains(c->ids, g->message_id))
		why = "its Message-ID was delivered to this mailbox before, and the server's duplicate "
		      "suppression would drop it: APPENDed";
	if (why != NULL) {
		gboolean ok = drain(c, error) && append(c, g, why, error);
		msg_free(g);
		return ok;
	}
	if (g->message_id != NULL)   /* the next message with this ID is routed above */
		g_hash_table_add(c->ids, g_strdup(g->message_id));
	return c->mu->run->deliver ? send_program(c, g, error) : send_lmtp(c, g, error);
}

/* --duplicate-ids refuse: before anything of the source is sent, the Message-IDs it
 * repeats (with what the mailbox got before).  NULL when none; else the first, new. */
static char *
repeated_id(Ctx *c, guint64 *number_out, gint64 *offset_out, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *found = NULL;
	MboxMessage *m;
	while (found == NULL && (m = mbox_reader_next(c->reader, error)) != NULL) {
		Msg *g = g_new0(Msg, 1);
		g->m = m;
		if (!prepare(c, g, FALSE, error)) {
			msg_free(g);
			return NULL;
		}
		if (g->message_id != NULL && g->route == ROUTE_LMTP) {
			if (g_hash_table_contains(seen, g->message_id) || g_hash_table_contains(c->ids, g->message_id)) {
				found = g_strdup(g->message_id);
				*number_out = m->number;
				*offset_out = m->from_offset;
			} else {
				g_hash_table_add(seen, g_strdup(g->message_id));
			}
		}
		msg_free(g);
	}
	mbox_reader_rewind(c->reader);
	return found;
}

/* ---- the source ---- */

/* The key of this source's delivery headers: the same for every run that delivers
 * it into this mailbox (so a rerun finds what an earlier one delivered even when the
 * journal does not say so), and not one a sender can guess (the state's secret). */
static void
make_key(Ctx *c)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *v = g_strdup_printf("%u", c->uidvalidity);
	g_checksum_update(sum, c->mu->run->secret, sizeof c->mu->run->secret);
	g_checksum_update(sum, (const guchar *)c->t->mailbox, (gssize)strlen(c->t->mailbox) + 1);
	g_checksum_update(sum, (const guchar *)c->t->source, (gssize)strlen(c->t->source) + 1);
	g_checksum_update(sum, (const guchar *)v, -1);
	memcpy(c->key, g_checksum_get_string(sum), 16);
	c->key[16] = '\0';
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
static gboolean
begin(Ctx *c, LmtpRecords *r, GError **error)
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
	c->scanned = 1;
	if (r->begun) {
		c->fix.enabled = r->fixes;
		c->fix.header_charset = r->header_charset;
		return exists == 0 || scan(c, error);
	}
	gint64 qz = 0;
	guint32 next = imap_session_selected_uidnext(c->mu->session);
	if (!quarantine_size(c->mu->quarantine, &qz, error))
		return FALSE;
	g_autofree char *rec = lmtp_begin_format(c->uidvalidity, next, c->key, qz, &c->fix);
	return c->t->checkpoint(c->t->data, rec, error) && (exists == 0 || scan(c, error));
}

gboolean
lmtp_deliver_source(MethodUser *mu, const DeliveryTarget *t, MboxReader *reader,
                    Delivery *d, guint32 *uidvalidity_out, GError **error)
{
	Ctx c = { .mu = mu, .t = t, .reader = reader, .d = d, .fix = mu->run->fix };
	LmtpRecords r;
	gboolean ok = FALSE;
	g_autofree char *why = NULL;

	if (!lmtp_records_parse(t->checkpoints, &r, error)) {
		lmtp_records_clear(&r);
		return FALSE;
	}
	if (!mu->quarantine_checked) {
		gint64 last = lmtp_records_last_qz(t->user_checkpoints);
		if (last >= 0 && !quarantine_truncate(mu->quarantine, last, error))
			goto out;
		mu->quarantine_checked = TRUE;
	}
	c.personal = mu->personal(mu->personal_data, t->mailbox);
	c.address = lmtp_address(mu->run, mu->user, t->mailbox, &why);
	c.folder = lmtp_folder(mu->run, mu->user, t->mailbox);
	if (c.address == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "LMTP cannot address it: %s", why);
		goto out;
	}
	c.ids = g_hash_table_lookup(mu->ids, t->mailbox);
	if (c.ids == NULL) {
		c.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(mu->ids, g_strdup(t->mailbox), c.ids);
	}
	c.where = g_hash_table_new(g_direct_hash, g_direct_equal);
	c.uids = g_array_new(FALSE, TRUE, sizeof(guint32));
	c.batch = g_ptr_array_new_with_free_func((GDestroyNotify)msg_free);
	c.part_q = g_array_new(FALSE, FALSE, sizeof(guint64));
	c.part_first = r.last + 1;
	if (mu->run->dupsuppression && !mu->run->duplicates_append && r.last == 0) {
		guint64 number = 0;
		gint64 offset = 0;
		g_autofree char *id = repeated_id(&c, &number, &offset, error);
		if (id != NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "refused before anything of "
			            "it was delivered: message %" G_GUINT64_FORMAT " (offset %" G_GINT64_FORMAT
			            ") repeats the Message-ID %.200s, and the server suppresses duplicates "
			            "(duplicatesuppression in imapd.conf): LMTP would drop it without a word.  "
			            "Rerun with --duplicate-ids append (such messages are APPENDed), or use "
			            "--method imap", number, offset, id);
			goto out;
		}
		if (error != NULL && *error != NULL)
			goto out;
	}
	if (!begin(&c, &r, error))
		goto out;
	MboxMessage *m;
	while ((m = mbox_reader_next(reader, error)) != NULL) {
		if (!one_message(&c, m, &r, error))
			goto out;
		if (c.seen - c.part_first + 1 >= mu->run->checkpoint_messages && !checkpoint(&c, error))
			goto out;
	}
	if (error != NULL && *error != NULL)
		goto out;
	if (!checkpoint(&c, error))
		goto out;
	if (c.dropped > 0 && t->note != NULL) {
		g_autofree char *text = g_strdup_printf("%s: %" G_GUINT64_FORMAT " message(s) accepted by "
		                                        "LMTP were not stored (duplicate suppression): "
		                                        "APPENDed", t->mailbox, c.dropped);
		t->note(t->data, text);
	}
	if (d->found > 0 && t->note != NULL) {
		g_autofree char *text = g_strdup_printf("%s: found %" G_GUINT64_FORMAT " message(s) an "
		                                        "interrupted run had delivered: not delivered again",
		                                        t->mailbox, d->found);
		t->note(t->data, text);
	}
	d->found = 0;   /* delivered after the baseline was counted: stored, not found */
	*uidvalidity_out = c.uidvalidity;
	d->uids = g_steal_pointer(&c.uids);
	ok = TRUE;
out:
	if (c.pending != NULL && mu->lmtp != NULL)
		g_clear_pointer(&mu->lmtp, lmtp_free);   /* a reply not read: the session is spent */
	msg_free(c.pending);
	g_free(c.personal);
	g_free(c.address);
	g_free(c.folder);
	if (c.where)
		g_hash_table_unref(c.where);
	if (c.uids)
		g_array_unref(c.uids);
	if (c.batch)
		g_ptr_array_unref(c.batch);
	if (c.part_q)
		g_array_unref(c.part_q);
	lmtp_records_clear(&r);
	return ok;
}
