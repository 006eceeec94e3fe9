/* backout-delivered.c -- the messages convert --method lmtp delivered, found after a
 * mailbox is listed (backout-private.h): the source names the few that may carry the
 * delivery header (BackoutSource.delivered: one UID SEARCH, or each spool file's
 * head), those are read once through lmtp-trace's streaming digest (only a header
 * block held), and each that carries convert's (its KEY one of the mailbox's sources':
 * lmtp-trace.h) gets its original's digest, size and
 * layout in list->delivered.  Matching (backout.c) then goes by the original's digest,
 * and writing (backout-write.c) takes off what lmtpd added. */
#include <string.h>

#include "backout-private.h"

typedef struct {
	LmtpTraceDigest *digest;
	GHashTable *delivered;
	GHashTable *keys;        /* the mailbox's delivery keys (NULL: no secret known) */
} Finding;

static gboolean
found_begin(const ImapDigest *message, gpointer data, GError **error)
{
	Finding *f = data;
	(void)message;
	(void)error;
	lmtp_trace_digest_reset(f->digest);
	return TRUE;
}

static gboolean
found_body(const char *bytes, gsize len, gpointer data, GError **error)
{
	Finding *f = data;
	(void)error;
	lmtp_trace_digest_feed(f->digest, bytes, len);
	return TRUE;
}

static gboolean
found_end(const ImapDigest *message, const guint8 sha1[20], gpointer data, GError **error)
{
	Finding *f = data;
	BackoutDelivered d;
	(void)error;
	/* bytes that are not what the index says: left as they are, the write names them */
	if (memcmp(sha1, message->sha1, 20) != 0 ||
	    !lmtp_trace_digest_finish(f->digest, &d.trace, d.sha1, &d.size))
		return TRUE;
	/* a delivery header that is not convert's (the message's own): written as it is */
	if (f->keys == NULL || !g_hash_table_contains(f->keys, d.trace.key))
		return TRUE;
	g_hash_table_insert(f->delivered, GUINT_TO_POINTER(message->uid), g_memdup2(&d, sizeof d));
	return TRUE;
}

static gboolean
found_error(const ImapDigest *message, const GError *why, gpointer data, GError **error)
{
	(void)message;
	(void)why;
	(void)data;
	(void)error;
	return TRUE;   /* reported when it is fetched to be written */
}

static gint
digest_by_uid(gconstpointer key, gconstpointer element)
{
	guint32 uid = *(const guint32 *)key;
	const ImapDigest *d = *(ImapDigest *const *)element;
	return uid < d->uid ? -1 : uid > d->uid;
}

gboolean
backout_delivered_find(Job *job, BackoutMailbox *list, const GPtrArray *sources, GError **error)
{
	static const BackoutBodyHandler handler = { found_begin, found_body, found_end, found_error };
	const BackoutSource *source = job->ctx->source;
	g_autoptr(GArray) uids = NULL;

	if (list->messages == NULL || list->messages->len == 0)
		return TRUE;
	if (!source->delivered(job->src, list, &uids, error))
		return FALSE;
	if (uids->len == 0)
		return TRUE;
	g_autoptr(GPtrArray) messages = g_ptr_array_new();
	for (guint i = 0; i < uids->len; i++) {
		ImapDigest **m = bsearch(&g_array_index(uids, guint32, i), list->messages->pdata,
		                         list->messages->len, sizeof(gpointer), (GCompareFunc)digest_by_uid);
		if (m != NULL)
			g_ptr_array_add(messages, *m);
	}
	g_autoptr(LmtpTraceDigest) digest = lmtp_trace_digest_new(0);
	const CliServer *server = job->ctx->server;
	g_autoptr(GHashTable) keys = server->has_lmtp_secret
	        ? lmtp_trace_keys(server->lmtp_secret, job->mailbox, sources, list->uidvalidity) : NULL;
	Finding f = { .digest = digest, .keys = keys,
	              .delivered = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free) };
	list->delivered = f.delivered;
	return source->fetch(job->src, (const ImapDigest *const *)messages->pdata, messages->len,
	                     &handler, &f, error);
}

const BackoutDelivered *
backout_delivered_of(const BackoutMailbox *list, guint32 uid)
{
	return list->delivered ? g_hash_table_lookup(list->delivered, GUINT_TO_POINTER(uid)) : NULL;
}

const guint8 *
backout_original_sha1(const BackoutMailbox *list, const ImapDigest *message)
{
	const BackoutDelivered *d = backout_delivered_of(list, message->uid);
	return d ? d->sha1 : message->sha1;
}
