/* source-digest.c -- see source-digest.h.
 *
 * One pass per source: mbox_reader_next() splits, and each message's stored bytes
 * (MBOX_COPY_CRLF) are streamed through one SHA-1 context, reused, right away, while
 * they are still in the reader's window.  Provisionally (mbox-reader.h): AUTO quoting
 * is only known at the end, and the few messages whose bytes depend on it are hashed
 * again then if it came out NONE. */
#include "source-digest.h"

#include <string.h>

#include <openssl/evp.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <emmintrin.h>
#define HAVE_SSE2_PATH 1
#endif

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
	gboolean cr_last;    /* the piece before ended in CR */
	gboolean bare_cr;    /* a CR without LF */
} HashSink;

/* Whether `len` bytes hold a CR followed by a byte other than LF (a CR at the very end
 * is not judged here).  Every line of a CRLF copy has a CR: one memchr per line cost
 * more than the SHA-1, so 32 bytes at a time, each against the byte after it. */
static gboolean
has_bare_cr(const char *data, gsize len)
{
	const char *p = data, *end = data + len;
#ifdef HAVE_SSE2_PATH
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	while (end - p >= 33) {
		__m128i a0 = _mm_loadu_si128((const __m128i *)p);
		__m128i a1 = _mm_loadu_si128((const __m128i *)(p + 16));
		__m128i b0 = _mm_loadu_si128((const __m128i *)(p + 1));
		__m128i b1 = _mm_loadu_si128((const __m128i *)(p + 17));
		/* CR here and not LF after: andnot(lf-after, cr-here) */
		__m128i x0 = _mm_andnot_si128(_mm_cmpeq_epi8(b0, lf), _mm_cmpeq_epi8(a0, cr));
		__m128i x1 = _mm_andnot_si128(_mm_cmpeq_epi8(b1, lf), _mm_cmpeq_epi8(a1, cr));
		if (_mm_movemask_epi8(_mm_or_si128(x0, x1)) != 0)
			return TRUE;
		p += 32;
	}
#endif
	for (; (p = memchr(p, '\r', (gsize)(end - p))) != NULL; p++)
		if (p + 1 < end && p[1] != '\n')
			return TRUE;
	return FALSE;
}

static gboolean
hash_write(const char *data, gsize len, gpointer user_data, GError **error)
{
	HashSink *sink = user_data;
	if (sink->cr_last && len > 0 && data[0] != '\n')
		sink->bare_cr = TRUE;
	if (!sink->bare_cr && has_bare_cr(data, len))
		sink->bare_cr = TRUE;
	sink->cr_last = len > 0 && data[len - 1] == '\r';
	sink->bytes += len;
	if (EVP_DigestUpdate(sink->sha, data, len) == 1)
		return TRUE;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
	return FALSE;
}

/* The SHA-1 and size of `m` as stored into `digest_out`; provisionally when
 * `depends_out` is not NULL (see above).  FALSE with an error. */
static gboolean
hash_message(MboxReader *reader, const MboxMessage *m, HashSink *sink, SourceDigest *digest_out,
             gboolean *depends_out, GError **error)
{
	unsigned int n = 0;

	sink->bytes = 0;
	sink->cr_last = sink->bare_cr = FALSE;
	if (EVP_DigestInit_ex(sink->sha, EVP_sha1(), NULL) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 unavailable");
		return FALSE;
	}
	if (depends_out != NULL
	    ? !mbox_reader_copy_message_provisional(reader, m, MBOX_COPY_CRLF, hash_write, sink,
	                                            depends_out, error)
	    : !mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, hash_write, sink, error))
		return FALSE;
	if (EVP_DigestFinal_ex(sink->sha, digest_out->sha1, &n) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
		return FALSE;
	}
	digest_out->size = sink->bytes;
	return TRUE;
}

/* The fixed digest of `m` into `d` when the fixes change it. */
static gboolean
hash_fixed(MboxReader *reader, const MboxMessage *m, const MessageFixSettings *fix,
           HashSink *sink, SourceDigest *d, GError **error)
{
	unsigned int n = 0;
	MessageFix *applied = NULL;

	sink->bytes = 0;
	if (EVP_DigestInit_ex(sink->sha, EVP_sha1(), NULL) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 unavailable");
		return FALSE;
	}
	if (!message_fix_copy(reader, m, fix, hash_write, sink, &applied, error)) {
		message_fix_free(applied);
		return FALSE;
	}
	d->has_fixed = message_fix_applied(applied) != 0;
	message_fix_free(applied);
	if (EVP_DigestFinal_ex(sink->sha, d->fixed_sha1, &n) != 1) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "SHA-1 failed");
		return FALSE;
	}
	d->fixed_size = sink->bytes;
	return TRUE;
}

gboolean
source_digests_read(const ManifestSettings *manifest, const MboxReaderSettings *reader_settings,
                    const MessageFixSettings *fix, const UserAccess *access, const char *path, GArray *out,
                    SourceDigestEmptyFunc empty, gpointer data, MboxQuoting *quoting_out,
                    GError **error)
{
	g_autoptr(MboxReader) reader = manifest_source_open(manifest, reader_settings, access, path,
	                                                    NULL, error);
	HashSink sink = { 0 };
	g_autoptr(GError) local = NULL;
	/* messages hashed provisionally whose bytes depend on the quoting, and where in
	 * `out` their digests are */
	g_autoptr(GPtrArray) depending = g_ptr_array_new_with_free_func((GDestroyNotify)mbox_message_free);
	g_autoptr(GArray) depending_at = g_array_new(FALSE, FALSE, sizeof(guint));
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
		gboolean depends = FALSE;
		if (!hash_message(reader, m, &sink, &d, &depends, &local)) {
			g_prefix_error(&local, "msg %" G_GUINT64_FORMAT ": offset %" G_GINT64_FORMAT ": ",
			               m->number, m->from_offset);
			mbox_message_free(m);
			break;
		}
		if (fix != NULL && d.size > 0 &&
		    (m->has_nul || m->has_8bit_header || m->has_bad_header_line || sink.bare_cr) &&
		    !hash_fixed(reader, m, fix, &sink, &d, &local)) {
			g_prefix_error(&local, "msg %" G_GUINT64_FORMAT ": offset %" G_GINT64_FORMAT ": ",
			               m->number, m->from_offset);
			mbox_message_free(m);
			break;
		}
		if (d.size == 0) {   /* no bytes under any quoting */
			if (empty != NULL)
				empty(path, m->number, m->from_offset, data);
			mbox_message_free(m);
			continue;
		}
		d.has_mark = m->has_backout_sha1;
		d.mark_quoting = m->backout_quoting;
		memcpy(d.mark, m->backout_sha1, 20);
		d.flags = g_steal_pointer(&m->flags);
		d.sender = g_steal_pointer(&m->sender);
		if (d.sender == NULL)
			d.sender = g_strdup("");
		if (depends) {
			g_array_append_val(depending_at, out->len);
			g_ptr_array_add(depending, g_steal_pointer(&m));
		}
		g_array_append_val(out, d);
		mbox_message_free(m);
	}
	MboxQuoting final = MBOX_QUOTING_MBOXRD;
	if (local == NULL && (depending->len > 0 || quoting_out != NULL))
		final = mbox_reader_final_quoting(reader, &local);
	/* AUTO decided NONE after all: those messages keep their '>' */
	if (local == NULL && depending->len > 0 && final != MBOX_QUOTING_MBOXRD) {
		for (guint i = 0; i < depending->len && local == NULL; i++) {
			m = g_ptr_array_index(depending, i);
			SourceDigest *d = &g_array_index(out, SourceDigest, g_array_index(depending_at, guint, i));
			if (!hash_message(reader, m, &sink, d, NULL, &local))
				g_prefix_error(&local, "msg %" G_GUINT64_FORMAT ": offset %" G_GINT64_FORMAT ": ",
				               m->number, m->from_offset);
		}
	}
	EVP_MD_CTX_free(sink.sha);
	if (local != NULL) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", path);
		return FALSE;
	}
	if (quoting_out != NULL)
		*quoting_out = final;
	return TRUE;
}
