/* imap-compress.c -- see imap-compress.h.
 *
 * A mailstream_low driver (libetpan's mailstream_types.h): read, write, close, get_fd,
 * free, cancel, get_cancel and get_certificate_chain; the IDLE hooks are left NULL
 * (nothing here uses IDLE, and libetpan answers -1 for a NULL hook).  Everything but
 * read and write is passed to the layer below.
 */
#include "imap-compress.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PIECE 16384   /* bytes of deflated data moved below at a time */

typedef struct {
	mailstream_low *below;
	z_stream deflate;
	z_stream inflate;
	unsigned char in[PIECE];    /* deflated bytes read from below, not inflated yet */
	unsigned char out[PIECE];   /* deflated bytes on their way below */
	ImapCompressStats stats;
} CompressLayer;

/* Every byte of `len` at `bytes` written below; FALSE when the layer below failed. */
static gboolean
write_below(CompressLayer *layer, const unsigned char *bytes, size_t len)
{
	while (len > 0) {
		ssize_t n = mailstream_low_write(layer->below, bytes, len);
		if (n <= 0)
			return FALSE;
		bytes += n;
		len -= (size_t)n;
		layer->stats.wire_out += (guint64)n;
	}
	return TRUE;
}

/* The `count` bytes (at most 4 GiB of them: libetpan writes the rest in the next
 * call) deflated and sent, ending with a sync flush: the server must be able to read
 * the whole command now (RFC 4978 §4).  libetpan calls this from mailstream_flush()
 * with its buffer, or with a long literal directly.  Returns how many were taken. */
static ssize_t
compress_write(mailstream_low *s, const void *buf, size_t count)
{
	CompressLayer *layer = s->data;
	z_stream *z = &layer->deflate;

	count = MIN(count, (size_t)G_MAXUINT32);
	z->next_in = (Bytef *)buf;
	z->avail_in = (uInt)count;
	do {
		z->next_out = layer->out;
		z->avail_out = sizeof layer->out;
		if (deflate(z, Z_SYNC_FLUSH) == Z_STREAM_ERROR)
			return -1;
		if (!write_below(layer, layer->out, sizeof layer->out - z->avail_out))
			return -1;
	} while (z->avail_out == 0 || z->avail_in > 0);
	layer->stats.plain_out += count;
	return (ssize_t)count;
}

/* Some inflated bytes (at least 1), 0 at the end of the stream, -1 on an error.  Input
 * is read from below only when zlib has none left: with input at hand, inflate() stops
 * only once `buf` is full, so an empty result means it needs more. */
static ssize_t
compress_read(mailstream_low *s, void *buf, size_t count)
{
	CompressLayer *layer = s->data;
	z_stream *z = &layer->inflate;

	for (;;) {
		int r;

		z->next_out = buf;
		z->avail_out = (uInt)MIN(count, (size_t)G_MAXUINT32);
		r = inflate(z, Z_SYNC_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END)
			return -1;   /* Z_DATA_ERROR: not a deflate stream; the session is lost */
		size_t produced = (size_t)MIN(count, (size_t)G_MAXUINT32) - z->avail_out;
		if (produced > 0) {
			layer->stats.plain_in += produced;
			return (ssize_t)produced;
		}
		if (r == Z_STREAM_END)
			return 0;    /* the server ended its stream: as good as a closed connection */
		if (z->avail_in > 0)
			return -1;   /* input left but nothing came of it: cannot happen with zlib */
		ssize_t n = mailstream_low_read(layer->below, layer->in, sizeof layer->in);
		if (n <= 0)
			return n;
		layer->stats.wire_in += (guint64)n;
		z->next_in = layer->in;
		z->avail_in = (uInt)n;
	}
}

static int
compress_close(mailstream_low *s)
{
	CompressLayer *layer = s->data;
	return mailstream_low_close(layer->below);
}

static int
compress_get_fd(mailstream_low *s)
{
	CompressLayer *layer = s->data;
	return mailstream_low_get_fd(layer->below);
}

/* libetpan's drivers free the mailstream_low itself too (mailstream_low_free() leaves
 * that to them). */
static void
compress_free(mailstream_low *s)
{
	CompressLayer *layer = s->data;
	deflateEnd(&layer->deflate);
	inflateEnd(&layer->inflate);
	mailstream_low_free(layer->below);
	g_free(layer);
	free(s);
}

static void
compress_cancel(mailstream_low *s)
{
	CompressLayer *layer = s->data;
	mailstream_low_cancel(layer->below);
}

static struct mailstream_cancel *
compress_get_cancel(mailstream_low *s)
{
	CompressLayer *layer = s->data;
	return mailstream_low_get_cancel(layer->below);
}

static carray *
compress_get_certificate_chain(mailstream_low *s)
{
	CompressLayer *layer = s->data;
	return mailstream_low_get_certificate_chain(layer->below);
}

/* Never written: libetpan's mailstream_low_new() takes a non-const pointer. */
static mailstream_low_driver compress_driver = {
	.mailstream_read = compress_read,
	.mailstream_write = compress_write,
	.mailstream_close = compress_close,
	.mailstream_get_fd = compress_get_fd,
	.mailstream_free = compress_free,
	.mailstream_cancel = compress_cancel,
	.mailstream_get_cancel = compress_get_cancel,
	.mailstream_get_certificate_chain = compress_get_certificate_chain,
};

mailstream_low *
imap_compress_low_new(mailstream_low *below)
{
	CompressLayer *layer = g_new0(CompressLayer, 1);
	mailstream_low *s;

	/* raw deflate (negative window bits: no zlib header), 2^15 window: RFC 4978 §4;
	 * level 1, as libetpan's own layer: mail compresses well enough at once, and the
	 * CPU is needed by Cyrus on the same host */
	if (deflateInit2(&layer->deflate, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		g_free(layer);
		return NULL;
	}
	if (inflateInit2(&layer->inflate, -15) != Z_OK) {
		deflateEnd(&layer->deflate);
		g_free(layer);
		return NULL;
	}
	layer->below = below;
	s = mailstream_low_new(layer, &compress_driver);
	if (s == NULL) {
		deflateEnd(&layer->deflate);
		inflateEnd(&layer->inflate);
		g_free(layer);
		return NULL;
	}
	/* what libetpan's waits use (0: its global default) */
	mailstream_low_set_timeout(s, mailstream_low_get_timeout(below));
	return s;
}

gboolean
imap_compress_low_stats(mailstream_low *low, ImapCompressStats *stats_out)
{
	if (low == NULL || low->driver != &compress_driver)
		return FALSE;
	*stats_out = ((CompressLayer *)low->data)->stats;
	return TRUE;
}
