/* mbox-writer.h -- write messages as a Berkeley mbox that UW-IMAP, mutt, procmail and
 * this project's own reader (mbox-reader.h) read back: the inverse of convert's copy.
 *
 * Streaming: a message's bytes come in pieces of any size (as Cyrus stores them, CRLF
 * or LF); only its header block is held (up to max_header_bytes), because the From_
 * line comes first and takes its sender from Return-Path.
 *
 * What one message becomes:
 *   From SENDER DATE\n      SENDER: the caller's, else the first Return-Path's
 *                           address (<a@b> -> a@b; <> -> MAILER-DAEMON), else
 *                           MAILER-DAEMON; DATE: asctime form, "Wed Mar  5 14:45:12
 *                           2003", of the message's date in the writer's zone
 *   the header lines        as stored, less the mailbox-internal ones (Status,
 *                           X-Status, X-Keywords, X-UID, X-IMAP, X-IMAPbase,
 *                           Content-Length, X-Mozilla-Status, X-Mozilla-Status2,
 *                           X-Mozilla-Keys, X-Mbox2cyrus-SHA1 -- see
 *                           mbox_meta_is_internal_field -- with their
 *                           continuation lines): a sender cannot plant flags, and
 *                           ours are the only ones
 *   Status: RO | O          R when \Seen
 *   X-Status: DFAT          the letters of \Deleted \Flagged \Answered \Draft held
 *                           (the line left out when none)
 *   X-Keywords: k1 k2       the keywords (left out when none)
 *   X-UID: N                when a UID is given
 *   X-Mbox2cyrus-SHA1: HEX file-quoting=Q
 *                           when marked (mbox_writer_mark): the digest Cyrus had of
 *                           the message, so that a later backout --merge knows it
 *                           for one it wrote, however the file is read by then, and
 *                           how the file is to be read (mboxrd, mboxo, none)
 *   \n                      the end of the header block
 *   the body                every line ending made "\n"; "From " lines quoted as
 *                           the quoting says (mboxrd: ^>*From  gains a '>'; mboxo:
 *                           ^From  gains one)
 *   \n                      a last line without its ending gets one (the only change
 *                           to the bytes beyond the above), then the empty separator
 * A message without an empty line ending its headers is all header: the added lines
 * and one empty line follow it, which is also the separator (so the reader gives the
 * message back without an empty line it never had, unless it is the file's last).  A header block over max_header_bytes is written as it
 * comes (sender: the caller's or MAILER-DAEMON) and the added lines follow the lines
 * held so far -- never an error, nothing lost.
 *
 * The folder's first message, when asked (mbox_writer_folder_data), is UW-IMAP's
 * "FOLDER INTERNAL DATA" pseudo-message with "X-IMAP: UIDVALIDITY LASTUID keywords",
 * so a UW-IMAP server keeps the mailbox's UIDVALIDITY, its UIDs (X-UID) and keyword
 * list; this project's reader passes it over as metadata.
 *
 * Output goes to the write function (mbox-reader.h's MboxWriteFunc); its error stops
 * the message.  A writer is used by one thread at a time. */
#ifndef M2C_MBOX_WRITER_H
#define M2C_MBOX_WRITER_H

#include <glib.h>

#include "mbox-reader.h"

typedef struct {
	MboxQuoting quoting;        /* MBOXRD (default) or MBOXO; AUTO means MBOXRD */
	GTimeZone *tz;              /* the From_ line's zone; NULL: UTC (the writer refs it) */
	gsize max_header_bytes;     /* 0: 1 MiB */
	const char *hostname;       /* for the pseudo-message's From: and Message-ID;
	                             * NULL: g_get_host_name() */
} MboxWriterSettings;

typedef struct MboxWriter MboxWriter;

MboxWriter *mbox_writer_new(const MboxWriterSettings *settings, MboxWriteFunc write,
                            gpointer write_data);
void mbox_writer_free(MboxWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MboxWriter, mbox_writer_free)

/* The pseudo-message, dated `now` (seconds since the epoch). */
gboolean mbox_writer_folder_data(MboxWriter *writer, guint32 uidvalidity, guint32 last_uid,
                                 const char *const *keywords, gint64 now, GError **error);

/* Start a message.  `sender` NULL: from Return-Path as above.  `date`: seconds since
 * the epoch.  `flags`: "\\Seen"-style and keywords, NULL-terminated (may be NULL;
 * \Recent ignored).  `uid` 0: no X-UID. */
gboolean mbox_writer_begin(MboxWriter *writer, const char *sender, gint64 date,
                           const char *const *flags, guint32 uid, GError **error);
/* Mark the next message (before mbox_writer_begin) with `sha1` and the quoting the
 * file it goes into is read with: see above. */
void mbox_writer_mark(MboxWriter *writer, const guint8 sha1[20], MboxQuoting file_quoting);

/* The next `len` bytes of the message as stored. */
gboolean mbox_writer_write(MboxWriter *writer, const char *data, gsize len, GError **error);
/* The message is complete: flush what is held, end it, write the separator. */
gboolean mbox_writer_end(MboxWriter *writer, GError **error);
/* Forget the message begun (after an error reading it): the caller rolls its own
 * output back to where the message started (mbox_writer_bytes() before begin). */
void mbox_writer_abort(MboxWriter *writer);

/* Bytes handed to the write function so far. */
guint64 mbox_writer_bytes(const MboxWriter *writer);

#endif
