/* source-digest.h -- every message of a source mbox as convert stores it, hashed:
 * the SHA-1 of the bytes convert's spool method writes as the N. file (internal
 * headers removed, quoting undone, CRLF line endings; mbox_reader_copy_message with
 * MBOX_COPY_CRLF), which is what Cyrus's DIGEST.SHA1 / GUID of the stored message is.
 * verify compares these with Cyrus's; backout matches Cyrus's messages to the sources
 * they came from (and --merge leaves out those a source already holds).
 *
 * The source is opened on the user's behalf as convert opens it
 * (manifest_source_open: no link out of the home, nothing the user could not read)
 * and streamed: no message is held whole. */
#ifndef M2C_SOURCE_DIGEST_H
#define M2C_SOURCE_DIGEST_H

#include <glib.h>

#include "manifest.h"
#include "mbox-reader.h"
#include "message-fix.h"
#include "user-access.h"

typedef struct {
	const char *source;   /* the path given, borrowed */
	guint64 number;       /* in the file: 1, 2, ... */
	gint64 offset;        /* its From_ line */
	guint64 size;         /* bytes as stored */
	guint8 sha1[20];
	char **flags;         /* as the reader gave them */
	gint64 date;          /* the instant convert gave it (seconds) */
	char *sender;         /* the From_ line's envelope sender ("" when none) */
	gboolean has_mark;    /* backout wrote it: X-Mbox2cyrus-SHA1 (mbox-writer.h) */
	guint8 mark[20];      /* the digest Cyrus had of it then */
	MboxQuoting mark_quoting; /* how the file is to be read, it says (AUTO: not said) */
	/* the message as convert --method imap stores it when its fixes change it
	 * (message-fix.h): a second digest to match Cyrus's by */
	gboolean has_fixed;
	guint8 fixed_sha1[20];
	guint64 fixed_size;
} SourceDigest;

/* For a GArray of SourceDigest (g_array_set_clear_func). */
void source_digest_clear(gpointer digest);

/* An empty message (0 bytes as stored: the spool method cannot store it).  Called
 * instead of adding it to the array. */
typedef void (*SourceDigestEmptyFunc)(const char *path, guint64 number, gint64 offset,
                                      gpointer data);

/* Append each message of `path` to `out` (a GArray of SourceDigest).  With `fix` (may
 * be NULL), a message that those fixes change gets its fixed digest too.  `*quoting_out`
 * (may be NULL) gets the quoting the file was read with (what AUTO decided for it).
 * FALSE with an error (the path and, for a read error inside, "msg N: offset O: ")
 * when the source cannot be opened or read; what was appended before stays. */
gboolean source_digests_read(const ManifestSettings *manifest, const MboxReaderSettings *reader,
                             const MessageFixSettings *fix, const UserAccess *access, const char *path, GArray *out,
                             SourceDigestEmptyFunc empty, gpointer data, MboxQuoting *quoting_out,
                             GError **error);

#endif
