/* imap-compress.h -- COMPRESS=DEFLATE (RFC 4978) as a libetpan stream layer.
 *
 * Why ours: libetpan has mailimap_compress(), but Debian 12's libetpan 1.9.4 is built
 * without zlib, and its mailstream_low_compress_open() is then a stub that returns
 * NULL (disassembled: "xor eax,eax; ret").  mailimap_compress() sends COMPRESS
 * DEFLATE, the server says OK and starts compressing, and libetpan fails with a stream
 * error: the session is lost.  So the command is sent by imap-connect.c and the stream
 * is wrapped here, with zlib, the same way libetpan's own layer would have done it.
 *
 * The layer sits between libetpan's buffered mailstream and the layer below it (the
 * socket, or TLS): what libetpan writes is deflated (raw deflate, RFC 1951, window
 * 2^15 as RFC 4978 §4 asks) and each write ends with a sync flush, so that a command
 * is never left in zlib's buffers while we wait for its answer; what the server sends
 * is inflated.
 */
#ifndef M2C_IMAP_COMPRESS_H
#define M2C_IMAP_COMPRESS_H

#include <glib.h>
#include <libetpan/libetpan.h>

#include "imap-session.h"   /* ImapCompressStats */

/* A compressing layer over `below`, which it takes over (it is closed and freed with
 * the new layer).  Install it with mailstream_set_low() once the server's OK to
 * COMPRESS has been read, and before anything else is sent or read.  Returns NULL
 * only when zlib cannot be set up (out of memory); `below` is then still the caller's. */
mailstream_low *imap_compress_low_new(mailstream_low *below);

/* TRUE when `low` is such a layer; then `*stats_out` is filled (`plain_*` as libetpan
 * sees the bytes, `wire_*` as the layer below carries them). */
gboolean imap_compress_low_stats(mailstream_low *low, ImapCompressStats *stats_out);

#endif
