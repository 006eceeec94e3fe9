/* backout-source-imap.c -- the imap source of backout-source.h: the owner's view of
 * each mailbox through proxy login, listed with DIGEST.SHA1 and streamed with
 * imap_session_fetch_bodies(). */
#include <string.h>

#include <openssl/evp.h>

#include "backout-source.h"
#include "imap-session.h"

struct BackoutSourceUser {
	ImapSession *session;
	BackoutMailbox *listed;   /* the last listing (the caller's) */
};

static BackoutSourceUser *
imap_user_open(const BackoutSourceSettings *settings, const char *user, GError **error)
{
	const CliServer *server = settings->server;
	ImapSession *session = imap_session_open(&server->endpoint, error);
	if (session == NULL)
		return NULL;
	if (!imap_session_login_as(session, user, server->admin, server->password, error)) {
		imap_session_free(session);
		return NULL;
	}
	BackoutSourceUser *source = g_new0(BackoutSourceUser, 1);
	source->session = session;
	return source;
}

static void
imap_user_close(BackoutSourceUser *source)
{
	if (source == NULL)
		return;
	imap_session_free(source->session);
	g_free(source);
}

/* Drop \Recent (a session's view, not the message's); collect the keywords. */
static void
take_flags(ImapDigest *d, GPtrArray *keywords, GHashTable *seen)
{
	guint out = 0;
	for (guint i = 0; d->flags != NULL && d->flags[i] != NULL; i++) {
		char *flag = d->flags[i];
		if (g_ascii_strcasecmp(flag, "\\Recent") == 0) {
			g_free(flag);
			continue;
		}
		if (flag[0] != '\\' && !g_hash_table_contains(seen, flag)) {
			g_hash_table_add(seen, flag);
			g_ptr_array_add(keywords, g_strdup(flag));
		}
		d->flags[out++] = flag;
	}
	if (d->flags != NULL)
		d->flags[out] = NULL;
}

static gboolean
imap_mailbox_open(BackoutSourceUser *source, const char *admin_name, const char *user_name,
                  BackoutMailbox *out, GError **error)
{
	guint32 uidvalidity = 0;
	GPtrArray *messages = NULL;
	(void)admin_name;

	memset(out, 0, sizeof *out);
	if (!imap_session_select(source->session, user_name, TRUE, NULL, &uidvalidity, error) ||
	    !imap_session_fetch_digests(source->session, &messages, error))
		return FALSE;
	/* the mailbox's list in its order (as mbexamine shows it), then any other */
	g_auto(GStrv) listed = imap_session_selected_keywords(source->session);
	g_autoptr(GPtrArray) keywords = g_ptr_array_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; listed[i] != NULL; i++)
		if (!g_hash_table_contains(seen, listed[i])) {
			g_hash_table_add(seen, listed[i]);
			g_ptr_array_add(keywords, g_strdup(listed[i]));
		}
	guint32 last = 0;
	for (guint i = 0; i < messages->len; i++) {
		ImapDigest *d = g_ptr_array_index(messages, i);
		take_flags(d, keywords, seen);
		last = MAX(last, d->uid);
	}
	g_ptr_array_add(keywords, NULL);
	out->uidvalidity = uidvalidity;
	out->uidnext = imap_session_selected_uidnext(source->session);
	if (out->uidnext <= last)
		out->uidnext = last + 1;
	out->messages = messages;
	out->keywords = (char **)g_ptr_array_free(g_steal_pointer(&keywords), FALSE);
	return TRUE;
}

/* Between fetch() and imap_session_fetch_bodies(): the listing's entry for each UID
 * as its body comes, and the SHA-1 of the bytes as they pass. */
typedef struct {
	const ImapDigest *const *messages;
	guint n;
	guint next;                   /* the first entry not yet answered */
	const ImapDigest *current;
	EVP_MD_CTX *sha;
	const BackoutBodyHandler *handler;
	gpointer data;
} Fetch;

/* An entry the server did not answer for: expunged since it was listed. */
static gboolean
gone(Fetch *f, GError **error)
{
	const ImapDigest *d = f->messages[f->next++];
	g_autoptr(GError) why = g_error_new(M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO,
	                                    "UID %u: gone from the mailbox since it was listed "
	                                    "(expunged meanwhile)", d->uid);
	return f->handler->error(d, why, f->data, error);
}

static gboolean
gone_before(Fetch *f, guint32 uid, GError **error)
{
	while (f->next < f->n && f->messages[f->next]->uid < uid)
		if (!gone(f, error))
			return FALSE;
	return TRUE;
}

static gboolean
sink_begin(guint32 uid, guint64 size, gpointer data, GError **error)
{
	Fetch *f = data;
	(void)size;
	if (!gone_before(f, uid, error))
		return FALSE;
	if (f->next >= f->n || f->messages[f->next]->uid != uid) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL,
		            "UID FETCH: the server sent UID %u, which was not asked for", uid);
		return FALSE;
	}
	f->current = f->messages[f->next++];
	if (EVP_DigestInit_ex(f->sha, EVP_sha1(), NULL) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 unavailable");
		return FALSE;
	}
	return f->handler->begin(f->current, f->data, error);
}

static gboolean
sink_body(const char *bytes, gsize len, gpointer data, GError **error)
{
	Fetch *f = data;
	if (EVP_DigestUpdate(f->sha, bytes, len) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
		return FALSE;
	}
	return f->handler->body(bytes, len, f->data, error);
}

static gboolean
sink_end(guint32 uid, gpointer data, GError **error)
{
	Fetch *f = data;
	guint8 sha1[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	(void)uid;
	if (EVP_DigestFinal_ex(f->sha, sha1, &n) != 1 || n != 20) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
		return FALSE;
	}
	return f->handler->end(f->current, sha1, f->data, error);
}

static gboolean
imap_fetch(BackoutSourceUser *source, const ImapDigest *const *messages, guint n,
           const BackoutBodyHandler *handler, gpointer data, GError **error)
{
	static const ImapBodySink sink = { sink_begin, sink_body, sink_end };
	g_autofree guint32 *uids = g_new(guint32, n + 1);
	Fetch f = { .messages = messages, .n = n, .handler = handler, .data = data,
	            .sha = EVP_MD_CTX_new() };
	gboolean ok;

	if (f.sha == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "no memory for a SHA-1");
		return FALSE;
	}
	for (guint i = 0; i < n; i++)
		uids[i] = messages[i]->uid;
	ok = imap_session_fetch_bodies(source->session, uids, n, &sink, &f, BACKOUT_PIECE, error);
	while (ok && f.next < n)
		ok = gone(&f, error);
	EVP_MD_CTX_free(f.sha);
	return ok;
}

static gboolean
imap_delivered(BackoutSourceUser *source, const BackoutMailbox *listed, GArray **uids_out,
               GError **error)
{
	if (listed->messages == NULL || listed->messages->len == 0) {
		*uids_out = g_array_new(FALSE, FALSE, sizeof(guint32));
		return TRUE;
	}
	return imap_session_search_header(source->session, "X-DeliveredInternalDate", "mbox2cyrus",
	                                  uids_out, error);
}

const BackoutSource backout_source_imap = {
	.name = "imap",
	.user_open = imap_user_open,
	.user_close = imap_user_close,
	.mailbox_open = imap_mailbox_open,
	.fetch = imap_fetch,
	.delivered = imap_delivered,
};
