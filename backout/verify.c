/* verify.c -- see verify.h for the rule; the steps for one user:
 *   1. the user's mailboxes: the INBOX first, then each row's in manifest order,
 *      each with its sources in manifest order (as convert numbers them);
 *   2. one owner session (proxy login) for the user;
 *   3. per mailbox: hash each source's messages (source_read), fetch the digests
 *      (one UID FETCH), align and compare (compare), report each difference. */
#include "verify.h"

#include <string.h>

#include "imap-append.h"
#include "imap-session.h"
#include "lmtp-trace.h"
#include "manifest-source.h"
#include "source-digest.h"
#include "tsv.h"
#include "user-access.h"
#include "user-mailboxes.h"

const char *
verify_kind_name(VerifyKind kind)
{
	switch (kind) {
	case VERIFY_MISSING: return "missing";
	case VERIFY_EXTRA: return "extra";
	case VERIFY_CONTENT: return "content";
	case VERIFY_FLAGS: return "flags";
	case VERIFY_DATE: return "date";
	case VERIFY_ORDER: return "order";
	case VERIFY_NOT_STORED: return "not-stored";
	}
	return "?";
}

static void
difference_free(VerifyDifference *d)
{
	g_free(d->mailbox);
	g_free(d->source);
	g_free(d->detail);
	g_free(d);
}

void
verify_user_free(VerifyUser *result)
{
	if (result == NULL)
		return;
	g_free(result->user);
	g_ptr_array_unref(result->differences);
	g_free(result);
}


typedef struct {
	const VerifyContext *ctx;
	VerifyUser *result;
	const char *mailbox;
	guint64 append_limit;    /* the server's APPENDLIMIT (0: none said) */
} Job;

/* Record and report one difference. */
static void
difference(Job *job, VerifyKind kind, const char *source, guint64 message, gint64 offset,
           guint32 uid, const char *format, ...) G_GNUC_PRINTF(7, 8);

static void
difference(Job *job, VerifyKind kind, const char *source, guint64 message, gint64 offset,
           guint32 uid, const char *format, ...)
{
	VerifyDifference *d = g_new0(VerifyDifference, 1);
	va_list args;
	va_start(args, format);
	d->detail = g_strdup_vprintf(format, args);
	va_end(args);
	d->kind = kind;
	d->mailbox = g_strdup(job->mailbox);
	d->source = g_strdup(source);
	d->message = message;
	d->offset = offset;
	d->uid = uid;
	g_ptr_array_add(job->result->differences, d);

	g_autofree char *file = source ? tsv_escape_cut(source, strlen(source), 300) : NULL;
	g_autofree char *uid_text = uid ? g_strdup_printf("UID %u", uid) : g_strdup("no UID");
	report_at(job->ctx->report, REPORT_FAILED, file, message, offset, "%s \"%s\": %s: %s: %s",
	          job->result->user, job->mailbox, uid_text, verify_kind_name(kind), d->detail);
}

static void
failure(Job *job, ReportSeverity severity, const char *file, const GError *error)
{
	g_autofree char *shown = file ? tsv_escape_cut(file, strlen(file), 300) : NULL;
	if (severity > job->result->worst)
		job->result->worst = severity;
	report_at(job->ctx->report, severity, shown, 0, -1, "%s \"%s\": not verified: %s",
	          job->result->user, job->mailbox ? job->mailbox : "", error->message);
}

/* An empty message cannot be stored: a not-stored difference. */
static void
source_empty(const char *path, guint64 number, gint64 offset, gpointer data)
{
	difference(data, VERIFY_NOT_STORED, path, number, offset, 0,
	           "an empty message: Cyrus cannot store it (convert --method spool leaves it "
	           "out; --method imap keeps it in the user's quarantine mbox, STATE/quarantine/)");
}

/* Step 3a: every message of `path` into `messages` (SourceDigest), hashed as convert
 * stores it.  Empty messages are reported (not-stored) and left out.  FALSE with an
 * error (naming `path`) when the source cannot be read. */
static gboolean
source_read(Job *job, const UserAccess *access, const char *path, GArray *messages,
            GError **error)
{
	const VerifyContext *ctx = job->ctx;
	return source_digests_read(ctx->manifest, &ctx->server->reader, &ctx->server->fix, access, path, messages,
	                           source_empty, job, NULL, error);
}

/* Flags as a person reads them: "\Seen $Label1", or "none". */
static char *
flags_text(char *const *flags, gboolean without_recent)
{
	g_autoptr(GString) out = g_string_new(NULL);
	for (char *const *f = flags; f != NULL && *f != NULL; f++) {
		if (without_recent && g_ascii_strcasecmp(*f, "\\Recent") == 0)
			continue;
		if (out->len > 0)
			g_string_append_c(out, ' ');
		g_string_append(out, *f);
	}
	if (out->len == 0)
		g_string_append(out, "none");
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean
has_flag(char *const *flags, const char *flag)
{
	for (char *const *f = flags; f != NULL && *f != NULL; f++)
		if (g_ascii_strcasecmp(*f, flag) == 0)
			return TRUE;
	return FALSE;
}

/* Same sets, \Recent left out of the server's; names without regard to case. */
static gboolean
flags_equal(char *const *source, char *const *cyrus)
{
	for (char *const *f = source; f != NULL && *f != NULL; f++)
		if (!has_flag(cyrus, *f))
			return FALSE;
	for (char *const *f = cyrus; f != NULL && *f != NULL; f++)
		if (g_ascii_strcasecmp(*f, "\\Recent") != 0 && !has_flag(source, *f))
			return FALSE;
	return TRUE;
}

static char *
date_text(gint64 when)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(when);
	return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup_printf("%" G_GINT64_FORMAT, when);
}

/* Step 2 of the rule (verify.h): which of the `n` pairs (Cyrus positions `pos`, in
 * source order) are in the longest increasing run; `in_order` gets TRUE for them. */
static void
longest_increasing(const gint *pos, guint n, gboolean *in_order)
{
	g_autofree guint *tail = g_new(guint, n + 1);   /* index of the smallest tail of length k+1 */
	g_autofree gint *parent = g_new(gint, n + 1);
	guint length = 0;

	for (guint i = 0; i < n; i++) {
		guint lo = 0, hi = length;
		while (lo < hi) {
			guint mid = (lo + hi) / 2;
			if (pos[tail[mid]] < pos[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		parent[i] = lo > 0 ? (gint)tail[lo - 1] : -1;
		tail[lo] = i;
		if (lo == length)
			length++;
	}
	for (gint k = length > 0 ? (gint)tail[length - 1] : -1; k >= 0; k = parent[k])
		in_order[k] = TRUE;
}

/* Step 3c: align `src` (source order) with `cyrus` (UID order) and report. */
static void
compare(Job *job, GArray *src, GPtrArray *cyrus)
{
	guint ns = src->len, nc = cyrus->len;
	g_autofree gint *pair = g_new(gint, ns + 1);          /* source -> Cyrus position, -1 */
	g_autofree gint *cyrus_paired = g_new(gint, nc + 1);  /* Cyrus -> source, -1 */
	g_autoptr(GHashTable) by_digest = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
	                                                        (GDestroyNotify)g_bytes_unref,
	                                                        (GDestroyNotify)g_queue_free);

	/* 1. pairs by digest, k-th with k-th */
	for (guint c = 0; c < nc; c++) {
		ImapDigest *d = g_ptr_array_index(cyrus, c);
		GBytes *key = g_bytes_new(d->sha1, 20);
		GQueue *q = g_hash_table_lookup(by_digest, key);
		if (q == NULL) {
			q = g_queue_new();
			g_hash_table_insert(by_digest, g_bytes_ref(key), q);
		}
		g_queue_push_tail(q, GINT_TO_POINTER(c));
		g_bytes_unref(key);
		cyrus_paired[c] = -1;
	}
	g_autofree gboolean *fixed = g_new0(gboolean, ns + 1);
	for (guint i = 0; i < ns; i++) {
		SourceDigest *s = &g_array_index(src, SourceDigest, i);
		g_autoptr(GBytes) key = g_bytes_new_static(s->sha1, 20);
		GQueue *q = g_hash_table_lookup(by_digest, key);
		/* else as convert --method imap stores it, fixed (message-fix.h) */
		if ((q == NULL || g_queue_is_empty(q)) && s->has_fixed) {
			g_autoptr(GBytes) fixed_key = g_bytes_new_static(s->fixed_sha1, 20);
			q = g_hash_table_lookup(by_digest, fixed_key);
			fixed[i] = q != NULL && !g_queue_is_empty(q);
		}
		pair[i] = q && !g_queue_is_empty(q) ? GPOINTER_TO_INT(g_queue_pop_head(q)) : -1;
		if (pair[i] >= 0)
			cyrus_paired[pair[i]] = (gint)i;
	}

	/* 2. in order or not */
	g_autofree gint *pos = g_new(gint, ns + 1);
	g_autofree guint *pos_source = g_new(guint, ns + 1);
	g_autofree gboolean *in_order = g_new0(gboolean, ns + 1);
	g_autofree gboolean *source_in_order = g_new0(gboolean, ns + 1);
	guint npairs = 0;
	for (guint i = 0; i < ns; i++)
		if (pair[i] >= 0) {
			pos[npairs] = pair[i];
			pos_source[npairs++] = i;
		}
	longest_increasing(pos, npairs, in_order);
	for (guint k = 0; k < npairs; k++)
		source_in_order[pos_source[k]] = in_order[k];

	/* 3. the gaps between in-order pairs; 4. flags, dates, order of each pair */
	guint gap_start = 0;
	gint prev_cyrus = -1;
	for (guint i = 0; i <= ns; i++) {
		if (i < ns && !source_in_order[i])
			continue;
		gint next_cyrus = i < ns ? pair[i] : (gint)nc;
		guint unpaired_source = 0, unpaired_cyrus = 0;
		for (guint k = gap_start; k < i; k++)
			unpaired_source += pair[k] < 0;
		for (gint c = prev_cyrus + 1; c < next_cyrus; c++)
			unpaired_cyrus += cyrus_paired[c] < 0;
		gboolean content = unpaired_source > 0 && unpaired_source == unpaired_cyrus;
		gint c = prev_cyrus + 1;
		for (guint k = gap_start; k < i; k++) {
			SourceDigest *s = &g_array_index(src, SourceDigest, k);
			if (pair[k] >= 0)
				continue;   /* out of order: reported below */
			if (!content) {
				if (job->append_limit > 0 && s->size > job->append_limit)
					difference(job, VERIFY_MISSING, s->source, s->number, s->offset, 0,
					           "not in Cyrus (%" G_GUINT64_FORMAT " bytes, over the server's "
					           "APPENDLIMIT of %" G_GUINT64_FORMAT ": convert --method imap keeps "
					           "such a message in the user's quarantine mbox, STATE/quarantine/)",
					           s->size, job->append_limit);
				else
					difference(job, VERIFY_MISSING, s->source, s->number, s->offset, 0,
					           "not in Cyrus (%" G_GUINT64_FORMAT " bytes)", s->size);
				continue;
			}
			while (cyrus_paired[c] >= 0)
				c++;
			ImapDigest *d = g_ptr_array_index(cyrus, c);
			char hex[41];
			imap_digest_hex(d->sha1, hex);
			difference(job, VERIFY_CONTENT, s->source, s->number, s->offset, d->uid,
			           "other bytes in Cyrus (%" G_GUINT64_FORMAT " bytes, SHA-1 %s) than in "
			           "the source (%" G_GUINT64_FORMAT " bytes)", d->size, hex, s->size);
			cyrus_paired[c] = (gint)k;   /* claimed: not extra */
		}
		if (!content)
			for (gint e = prev_cyrus + 1; e < next_cyrus && e < (gint)nc; e++)
				if (cyrus_paired[e] < 0) {
					ImapDigest *d = g_ptr_array_index(cyrus, e);
					difference(job, VERIFY_EXTRA, NULL, 0, -1, d->uid,
					           "not in the source (%" G_GUINT64_FORMAT " bytes)", d->size);
					cyrus_paired[e] = G_MAXINT;
				}
		prev_cyrus = next_cyrus;
		gap_start = i + 1;
	}
	for (guint i = 0; i < ns; i++) {
		SourceDigest *s = &g_array_index(src, SourceDigest, i);
		if (pair[i] < 0)
			continue;
		ImapDigest *d = g_ptr_array_index(cyrus, pair[i]);
		if (!source_in_order[i])
			difference(job, VERIFY_ORDER, s->source, s->number, s->offset, d->uid,
			           "in Cyrus, but not in the source's order (position %d of %u)",
			           pair[i] + 1, nc);
		if (!flags_equal(s->flags, d->flags)) {
			g_autofree char *want = flags_text(s->flags, FALSE);
			g_autofree char *got = flags_text(d->flags, TRUE);
			difference(job, VERIFY_FLAGS, s->source, s->number, s->offset, d->uid,
			           "source %s, Cyrus %s", want, got);
		}
		if (fixed[i]) {
			job->result->fixed++;
			report_at(job->ctx->report, REPORT_INFO, s->source, s->number, s->offset,
			          "%s \"%s\": UID %u: stored as the imap method fixes it (message-fix.h: "
			          "8-bit headers encoded, NUL removed, ...)", job->result->user, job->mailbox,
			          d->uid);
		}
		/* the imap method sends a date at or before the epoch as 00:00:01 UTC, one
		 * after what Cyrus keeps in 32 bits as 2106-02-07 06:28:15 UTC */
		if (s->date != d->internaldate && !(s->date <= 0 && d->internaldate == 1) &&
		    !(s->date > G_MAXUINT32 && d->internaldate == G_MAXUINT32)) {
			g_autofree char *want = date_text(s->date);
			g_autofree char *got = date_text(d->internaldate);
			difference(job, VERIFY_DATE, s->source, s->number, s->offset, d->uid,
			           "source %s, Cyrus %s", want, got);
		}
	}
}

static ReportSeverity
imap_severity(const GError *error, gboolean connecting)
{
	if (g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH) ||
	    g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS))
		return REPORT_CONFIG;
	if (g_error_matches(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK))
		return connecting ? REPORT_UNAVAILABLE : REPORT_TEMPFAIL;
	return REPORT_FAILED;
}

/* Between lmtp_originals and imap_session_fetch_bodies: each body as it streams. */
typedef struct {
	GPtrArray *cyrus;        /* ImapDigest *, ascending UID */
	ImapDigest *current;
	LmtpTraceDigest *digest;
	GHashTable *keys;        /* the mailbox's delivery keys (NULL: no secret known) */
	guint delivered;
	guint foreign;           /* with a delivery header that is not convert's */
} Originals;

static gint
digest_by_uid(gconstpointer key, gconstpointer element)
{
	guint32 uid = *(const guint32 *)key;
	const ImapDigest *d = *(ImapDigest *const *)element;
	return uid < d->uid ? -1 : uid > d->uid;
}

static gboolean
originals_begin(guint32 uid, guint64 size, gpointer data, GError **error)
{
	Originals *o = data;
	ImapDigest **found = bsearch(&uid, o->cyrus->pdata, o->cyrus->len, sizeof(gpointer),
	                             (GCompareFunc)digest_by_uid);
	(void)size;
	(void)error;
	o->current = found ? *found : NULL;
	lmtp_trace_digest_reset(o->digest);
	return TRUE;
}

static gboolean
originals_body(const char *bytes, gsize len, gpointer data, GError **error)
{
	Originals *o = data;
	(void)error;
	lmtp_trace_digest_feed(o->digest, bytes, len);
	return TRUE;
}

static gboolean
originals_end(guint32 uid, gpointer data, GError **error)
{
	Originals *o = data;
	LmtpTrace trace;
	guint8 sha1[20];
	guint64 size;
	(void)uid;
	(void)error;
	if (o->current != NULL && lmtp_trace_digest_finish(o->digest, &trace, sha1, &size)) {
		if (o->keys == NULL || !g_hash_table_contains(o->keys, trace.key)) {
			o->foreign++;    /* the message's own (forged?) line: compared as stored */
			return TRUE;
		}
		memcpy(o->current->sha1, sha1, 20);
		o->current->size = size;
		o->delivered++;
	}
	return TRUE;
}

static guint
sha1_hash(gconstpointer key)
{
	guint h;
	memcpy(&h, key, sizeof h);   /* a SHA-1 is evenly spread already */
	return h;
}

static gboolean
sha1_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, 20) == 0;
}

/* Whether every message Cyrus holds (`cyrus`) has the digest of a message of the
 * sources (`src`: as stored, or as the imap method's fixes store it).  Then none of
 * them can carry a delivery header of convert's (lmtp-trace.h): the header and what
 * lmtpd adds make the stored bytes differ from the source's, unless the source itself
 * held a header with a KEY made from convert's own secret for this mailbox and its
 * UIDVALIDITY.  So lmtp_originals() has nothing to replace, and Cyrus need not read
 * every message file of the mailbox for its UID SEARCH HEADER (the field is not in
 * its cache): measured, a third of verify's time on a site converted by spool. */
static gboolean
all_from_sources(GArray *src, GPtrArray *cyrus)
{
	g_autoptr(GHashTable) known = g_hash_table_new(sha1_hash, sha1_equal);
	for (guint i = 0; i < src->len; i++) {
		SourceDigest *s = &g_array_index(src, SourceDigest, i);
		g_hash_table_add(known, s->sha1);
		if (s->has_fixed)
			g_hash_table_add(known, s->fixed_sha1);
	}
	for (guint c = 0; c < cyrus->len; c++) {
		ImapDigest *d = g_ptr_array_index(cyrus, c);
		if (!g_hash_table_contains(known, d->sha1))
			return FALSE;
	}
	return TRUE;
}

/* Step 3b: the messages convert --method lmtp delivered (lmtp-trace.h) compare as
 * their originals: Cyrus's digest and size of each replaced by those of what it was
 * sent without its delivery header and what lmtpd added.  Found by one UID SEARCH
 * HEADER (nothing more when none carries it), then only their bodies fetched, each
 * streamed through a digest (only its header block held).  Only a delivery header
 * whose KEY is one of `keys` is convert's (lmtp-trace.h: a source message may carry
 * one of its own).  `*delivered_out`: how many; `*foreign_out`: how many carry one
 * that is not convert's. */
static gboolean
lmtp_originals(ImapSession *session, GPtrArray *cyrus, GHashTable *keys, guint *delivered_out,
               guint *foreign_out, GError **error)
{
	static const ImapBodySink sink = { originals_begin, originals_body, originals_end };
	g_autoptr(GArray) uids = NULL;
	g_autoptr(LmtpTraceDigest) digest = NULL;

	*delivered_out = *foreign_out = 0;
	if (cyrus->len == 0)
		return TRUE;
	if (!imap_session_search_header(session, "X-DeliveredInternalDate", "mbox2cyrus", &uids, error))
		return FALSE;
	if (uids->len == 0)
		return TRUE;
	digest = lmtp_trace_digest_new(0);
	Originals o = { .cyrus = cyrus, .digest = digest, .keys = keys };
	if (!imap_session_fetch_bodies(session, (const guint32 *)(gpointer)uids->data, uids->len, &sink, &o, 0, error))
		return FALSE;
	*delivered_out = o.delivered;
	*foreign_out = o.foreign;
	return TRUE;
}

static void
verify_mailbox(Job *job, UserMailbox *mw, const UserAccess *access, ImapSession *session,
               const char *prefix, const char *domain)
{
	const VerifyContext *ctx = job->ctx;
	g_autoptr(GArray) src = g_array_new(FALSE, TRUE, sizeof(SourceDigest));
	g_autoptr(GPtrArray) cyrus = NULL;
	g_autoptr(GError) error = NULL;
	guint delivered = 0, foreign = 0;
	guint32 uidvalidity = 0;
	g_autoptr(GHashTable) keys = NULL;
	g_autofree char *personal = mailbox_name_personal(&ctx->server->naming, ctx->server->altnamespace, prefix,
	                                                  domain, mw->name);

	g_array_set_clear_func(src, source_digest_clear);
	job->mailbox = mw->name;
	for (guint k = 0; k < mw->sources->len; k++) {
		const char *path = g_ptr_array_index(mw->sources, k);
		if (path == NULL)
			continue;
		if (access == NULL || !source_read(job, access, path, src, &error)) {
			if (error != NULL)   /* it names the path */
				failure(job, REPORT_FAILED, NULL, error);
			job->result->mailboxes_failed++;
			return;
		}
	}
	if (personal == NULL) {   /* manifest_validate() lets no such row through */
		g_set_error(&error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO, "not a mailbox of %s",
		            job->result->user);
	} else if (imap_session_select(session, personal, TRUE, NULL, &uidvalidity, &error) &&
	           imap_session_fetch_digests(session, &cyrus, &error)) {
		if (ctx->server->has_lmtp_secret)
			keys = lmtp_trace_keys(ctx->server->lmtp_secret, mw->name, mw->sources, uidvalidity);
		if (!all_from_sources(src, cyrus) &&
		    lmtp_originals(session, cyrus, keys, &delivered, &foreign, &error) && delivered > 0) {
			job->result->delivered += delivered;
			report_at(ctx->report, REPORT_INFO, NULL, 0, -1, "%s \"%s\": %u message%s delivered "
			          "by LMTP (delivery header taken off)", job->result->user, mw->name,
			          delivered, delivered == 1 ? "" : "s");
		}
		if (error == NULL && foreign > 0)
			report_at(ctx->report, REPORT_WARNING, NULL, 0, -1, "%s \"%s\": %u message%s an "
			          "X-DeliveredInternalDate (mbox2cyrus ...) line that is not convert's "
			          "(its own, or convert's state is not %s: --convert-state): compared as "
			          "Cyrus holds %s", job->result->user, mw->name, foreign,
			          foreign == 1 ? " carries" : "s carry",
			          ctx->server->has_lmtp_secret ? "this one" : "known", foreign == 1 ? "it" : "them");
	}
	if (error != NULL) {
		failure(job, imap_severity(error, FALSE), NULL, error);
		job->result->mailboxes_failed++;
		return;
	}
	job->result->mailboxes++;
	job->result->messages += src->len;
	for (guint i = 0; i < src->len; i++)
		job->result->bytes += g_array_index(src, SourceDigest, i).size;
	compare(job, src, cyrus);
}

VerifyUser *
verify_user(const VerifyContext *ctx, const char *user, GPtrArray *rows)
{
	VerifyUser *result = g_new0(VerifyUser, 1);
	g_autoptr(GPtrArray) mailboxes = user_mailboxes(rows);
	g_autoptr(GError) error = NULL;
	g_autoptr(UserAccess) access = NULL;
	g_autoptr(ImapSession) session = NULL;
	g_autofree char *prefix = NULL;
	g_autofree char *domain = NULL;
	Job job = { .ctx = ctx, .result = result };

	result->user = g_strdup(user);
	result->differences = g_ptr_array_new_with_free_func((GDestroyNotify)difference_free);
	result->worst = REPORT_INFO;

	/* 1. mailboxes: the INBOX first (the inbox row, when there is one), then by row */
	if (!mailbox_name_user(&ctx->server->naming, user, &prefix, &domain, &error)) {
		failure(&job, REPORT_FAILED, NULL, error);
		result->mailboxes_failed = mailboxes->len;
		return result;
	}
	/* 2. who the user is, and the owner's session */
	access = manifest_source_user_access(ctx->manifest, user, &error);
	if (access == NULL) {
		failure(&job, REPORT_FAILED, NULL, error);
		result->mailboxes_failed = mailboxes->len;
		return result;
	}
	session = imap_session_open(&ctx->server->endpoint, &error);
	if (session != NULL && !imap_session_login_as(session, user, ctx->server->admin, ctx->server->password, &error))
		g_clear_pointer(&session, imap_session_free);
	ImapAppendCaps caps;
	if (session != NULL && !imap_append_caps(session, &caps, &error))
		g_clear_pointer(&session, imap_session_free);
	if (session == NULL) {
		failure(&job, imap_severity(error, TRUE), NULL, error);
		result->mailboxes_failed = mailboxes->len;
		return result;
	}
	job.append_limit = caps.append_limit;
	/* 3. each mailbox */
	for (guint k = 0; k < mailboxes->len; k++)
		verify_mailbox(&job, g_ptr_array_index(mailboxes, k), access, session, prefix, domain);
	return result;
}
