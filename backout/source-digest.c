/* source-digest.c -- see source-digest.h.
 *
 * One pass per source: mbox_reader_next() splits, mbox_reader_copy_message() streams
 * each message's stored bytes (MBOX_COPY_CRLF) through one SHA-1 context, reused. */
#include "source-digest.h"

#include <openssl/evp.h>

#include "manifest-source.h"

void
source_digest_clear(gpointer digest)
{
	SourceDigest *d = digest;
	g_clear_pointer(&d->flags, g_strfreev);
	g_clear_pointer(&d->sender, g_free);
}

typedef struct {
	EVP_MD_CTX *sha;
	guint64 bytes;
} HashSink;

static gboolean
hash_write(const char *data, gsize len, gpointer user_data, GError **error)
{
	HashSink *sink = user_data;
	sink->bytes += len;
	if (EVP_DigestUpdate(sink->sha, data, len) == 1)
		return TRUE;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
	return FALSE;
}

/* The SHA-1 and size of `m` as stored into `digest_out`.  FALSE with an error. */
static gboolean
hash_message(MboxReader *reader, const MboxMessage *m, HashSink *sink, SourceDigest *digest_out,
             GError **error)
{
	unsigned int n = 0;

	sink->bytes = 0;
	if (EVP_DigestInit_ex(sink->sha, EVP_sha1(), NULL) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 unavailable");
		return FALSE;
	}
	if (!mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, hash_write, sink, error))
		return FALSE;
	if (EVP_DigestFinal_ex(sink->sha, digest_out->sha1, &n) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
		return FALSE;
	}
	digest_out->size = sink->bytes;
	return TRUE;
}

gboolean
source_digests_read(const ManifestSettings *manifest, const MboxReaderSettings *reader_settings,
                    const UserAccess *access, const char *path, GArray *out,
                    SourceDigestEmptyFunc empty, gpointer data, GError **error)
{
	g_autoptr(MboxReader) reader = manifest_source_open(manifest, reader_settings, access, path,
	                                                    NULL, error);
	HashSink sink = { 0 };
	g_autoptr(GError) local = NULL;
	MboxMessage *m;

	if (reader == NULL) {
		g_prefix_error(error, "%s: ", path);
		return FALSE;
	}
	sink.sha = EVP_MD_CTX_new();
	if (sink.sha == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "%s: no memory for a SHA-1", path);
		return FALSE;
	}
	while ((m = mbox_reader_next(reader, &local)) != NULL) {
		SourceDigest d = { .source = path, .number = m->number, .offset = m->from_offset,
		                   .date = g_date_time_to_unix(m->date) };
		if (!hash_message(reader, m, &sink, &d, &local)) {
			g_prefix_error(&local, "msg %" G_GUINT64_FORMAT ": offset %" G_GINT64_FORMAT ": ",
			               m->number, m->from_offset);
			mbox_message_free(m);
			break;
		}
		if (d.size == 0) {
			if (empty != NULL)
				empty(path, m->number, m->from_offset, data);
		} else {
			d.flags = g_steal_pointer(&m->flags);
			d.sender = g_steal_pointer(&m->sender);
			if (d.sender == NULL)
				d.sender = g_strdup("");
			g_array_append_val(out, d);
		}
		mbox_message_free(m);
	}
	EVP_MD_CTX_free(sink.sha);
	if (local != NULL) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", path);
		return FALSE;
	}
	return TRUE;
}
