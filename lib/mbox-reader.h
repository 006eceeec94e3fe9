/* mbox-reader.h -- split a Berkeley mbox file into messages, streaming.
 *
 * Two phases, both in bounded memory whatever the file's size:
 *  1. mbox_reader_next() reads the file once through a window and hands out each
 *     message's metadata: offsets, envelope sender, date and where it came from,
 *     flags, UID, warnings.  No message bytes are kept.
 *  2. mbox_reader_copy_message() streams one message's bytes, with the mailbox-
 *     internal headers removed, From_ quoting undone and line endings fixed, to a
 *     write function.  It reads the file again with pread(), so the caller may copy
 *     messages in any order, or not at all.
 *
 * Splitting rules (RFC 4155 and field practice; doc/mbox2cyrus-scan.1 has them all):
 *  - a message starts at a "From " line at the start of the file, or after an empty
 *    line, when the line parses as a From_ line (from-line.h) or is a bare "From "
 *    (old Netscape) -- "From this principle..." after a blank line is body text;
 *  - a From_ line right after the header block of a MIME part is body text (a
 *    forwarded mailbox inside a message/rfc822 attachment, corpus mailarc-1.txt);
 *  - Content-Length (mboxcl/mboxcl2) is used only when it ends exactly at the end of
 *    the file or on a From_ line (after one optional empty line); otherwise it is
 *    ignored with a warning;
 *  - the empty line before the next From_ line (or the last empty line of the file)
 *    belongs to the separator, not to the message;
 *  - leading empty or blank lines and a UTF-8 byte order mark are skipped with a
 *    warning; then the first line must be a "From " line, or the file is not an mbox;
 *  - line endings: LF, CRLF or CR-only (old Mac), detected from the first 64 KiB.
 *
 * A reader is used by one thread at a time.  Errors are in M2C_MBOX_ERROR.
 */
#ifndef M2C_MBOX_READER_H
#define M2C_MBOX_READER_H

#include <glib.h>

#define M2C_MBOX_ERROR (m2c_mbox_error_quark())
GQuark m2c_mbox_error_quark(void);

typedef enum {
	M2C_MBOX_ERROR_NOT_MBOX,   /* the first line is not a From_ line (permanent) */
	M2C_MBOX_ERROR_IO,         /* read failed or the file changed under us */
	M2C_MBOX_ERROR_NOT_REGULAR,/* not a regular file (FIFO, device, directory...) */
	M2C_MBOX_ERROR_COMPRESSED, /* a compressed file that could not be decompressed */
	M2C_MBOX_ERROR_WRITE,      /* the caller's write function failed (its error is kept) */
} M2cMboxError;

/* How ">From " lines in bodies are undone when copying.
 *   MBOXRD: every ^>+From loses one '>'        (mboxrd, Thunderbird >= 2023, mutt)
 *   MBOXO:  only ^>From loses its '>'           (classic /bin/mail, procmail)
 *   NONE:   nothing is changed                  (git format-patch, mboxcl2)
 *   AUTO:   per file, from its evidence: MBOXRD, which undoes mboxo quoting too for
 *           every line that mboxo could have written; NONE when the file has
 *           unquoted "From " lines in bodies and ">From " lines but no ">>From "
 *           lines (a writer that never quotes: its ">From" lines are the text's).
 * Bodies whose extent came from a valid Content-Length are never unquoted. */
typedef enum {
	MBOX_QUOTING_AUTO,
	MBOX_QUOTING_MBOXRD,
	MBOX_QUOTING_MBOXO,
	MBOX_QUOTING_NONE,
} MboxQuoting;

typedef enum {
	MBOX_DATE_FROM_LINE,   /* the From_ line, in its zone or the source zone */
	MBOX_DATE_DATE_HEADER, /* the Date: header */
	MBOX_DATE_RECEIVED,    /* the date of the first (most recent) Received: header */
	MBOX_DATE_MTIME,       /* the file's modification time */
} MboxDateSource;

typedef struct {
	MboxQuoting quoting;         /* default AUTO */
	GTimeZone *source_tz;        /* zone of dates without one; NULL = local zone */
	gboolean use_content_length; /* default TRUE */
	gsize max_header_bytes;      /* header bytes parsed per message; default 1 MiB */
	gsize window;                /* bytes of file in memory per phase (0: 1 MiB, 256 KiB;
	                              * at least 8 KiB); longer lines are read in pieces */
	gsize max_read;              /* tests: bytes per read (0: unlimited) */
} MboxReaderSettings;

/* Fill `settings` with the defaults above. */
void mbox_reader_settings_init(MboxReaderSettings *settings);

typedef struct {
	guint64 number;          /* 1, 2, ... in file order; the UW pseudo-message has none */
	gint64 from_offset;      /* the From_ line */
	gint64 header_offset;    /* the first header line (just after the From_ line) */
	gint64 body_offset;      /* just after the empty line ending the headers (== end_offset
	                          * when there is none) */
	gint64 end_offset;       /* one past the message's last byte */
	gint64 next_offset;      /* the next From_ line, or the file size: the raw extent of
	                          * the message is [from_offset, next_offset) */
	char *sender;            /* envelope sender from the From_ line ("" when none) */
	GDateTime *date;         /* internal date, never NULL */
	MboxDateSource date_source;
	char **flags;            /* IMAP flags then keywords: "\\Seen", "$Label1" */
	guint32 uid;             /* X-UID, 0 when none */
	guint8 backout_sha1[20]; /* X-Mbox2cyrus-SHA1: backout wrote this message, and this
	                          * was Cyrus's digest of it */
	MboxQuoting backout_quoting; /* ... and the file is to be read so (AUTO: not said) */
	gboolean has_backout_sha1;
	char **warnings;         /* one line each, without file or offset */
	gboolean content_length_used; /* the extent came from a valid Content-Length */
	gboolean has_nul;        /* a NUL byte somewhere in the message */
	gboolean has_8bit_header;/* a header byte >= 0x80 (Cyrus APPEND munges these) */
	gboolean has_bad_header_line; /* a header line without a colon (APPEND refuses) */
} MboxMessage;

void mbox_message_free(MboxMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MboxMessage, mbox_message_free)

/* What the file as a whole showed; complete once mbox_reader_next() returned NULL
 * without an error. */
typedef struct {
	guint64 messages;
	gint64 size;                 /* bytes read (decompressed size for compressed files) */
	const char *line_ending;     /* "LF", "CRLF", "CR" */
	const char *compression;     /* NULL, "gzip", "bzip2", "compress", "xz" */
	MboxQuoting quoting;         /* what AUTO decided so far (or what was asked) */
	guint quoted_from_lines;     /* body lines ^>From */
	guint deep_quoted_from_lines;/* body lines ^>>+From */
	guint unquoted_from_lines;   /* body lines ^From that did not start a message */
	guint content_length_used;   /* messages split by their Content-Length */
	guint content_length_ignored;/* Content-Length headers that did not fit */
	gboolean has_internal_data;  /* the UW-IMAP "FOLDER INTERNAL DATA" message */
	guint32 uidvalidity;         /* from X-IMAP / X-IMAPbase; 0 when none */
	guint32 last_uid;
	char **keywords;             /* the folder's keyword list (X-IMAP), or NULL */
	char **warnings;             /* file-level warnings (leading junk, BOM) */
} MboxSummary;

typedef struct MboxReader MboxReader;

/* Open `path` for reading: O_NOFOLLOW and O_NONBLOCK (a FIFO never blocks us), then
 * it must be a regular file.  gzip, bzip2, xz and compress (.Z) files are recognised
 * by their magic bytes and decompressed into an unlinked temporary file.  `name` is
 * used in messages (NULL: `path`).  Returns NULL with M2C_MBOX_ERROR_NOT_REGULAR,
 * _IO or _COMPRESSED, or a G_FILE_ERROR from open(). */
MboxReader *mbox_reader_open(const char *path, const MboxReaderSettings *settings,
                             GError **error);

/* Read from `fd`, which must be a regular file open for reading.  `fd` is the
 * reader's from now on, also when this fails: it is closed by mbox_reader_free() or
 * before a NULL return.  `name` (copied) is used in messages. */
MboxReader *mbox_reader_open_fd(int fd, const char *name, const MboxReaderSettings *settings,
                                GError **error);

void mbox_reader_free(MboxReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MboxReader, mbox_reader_free)

/* Start phase 1 again from the first message, as after opening (a compressed file is
 * not decompressed again).  What AUTO quoting decided stays decided. */
void mbox_reader_rewind(MboxReader *reader);

/* The next message (new; the caller frees it), or NULL: at the end of the file with
 * `*error` unset, or with NOT_MBOX (first message only) or IO set.  After an error
 * the reader is at its end. */
MboxMessage *mbox_reader_next(MboxReader *reader, GError **error);

/* The summary so far (owned by the reader, valid until it is freed). */
const MboxSummary *mbox_reader_summary(MboxReader *reader);

typedef enum {
	MBOX_COPY_CRLF = 1 << 0,          /* end every line with CRLF (else LF) */
	MBOX_COPY_KEEP_INTERNAL = 1 << 1, /* keep Status, X-Status, X-Keywords, X-UID, X-IMAP,
	                                   * X-IMAPbase, Content-Length, X-Mozilla-Status*,
	                                   * X-Mbox2cyrus-SHA1 */
} MboxCopyFlags;

/* Called with consecutive pieces of the message; return FALSE with `error` set to
 * stop the copy. */
typedef gboolean (*MboxWriteFunc)(const char *data, gsize len, gpointer user_data,
                                  GError **error);

/* Stream `message` (from this reader) through `write`.  The message is cut where
 * mbox_reader_next() said; a last line without a line ending gets none.  Returns
 * FALSE with IO, or with the write function's error. */
gboolean mbox_reader_copy_message(MboxReader *reader, const MboxMessage *message,
                                  MboxCopyFlags flags, MboxWriteFunc write,
                                  gpointer user_data, GError **error);

/* mbox_reader_copy_message() for a caller that copies each message right after
 * mbox_reader_next() and must not wait for AUTO quoting: that would read the whole
 * file ahead once more to decide.  While AUTO is undecided the copy undoes quoting as
 * MBOXRD does, and `*depends_out` says whether a line lost a '>' (the bytes would
 * differ under NONE); otherwise it is a plain copy and `*depends_out` is FALSE.  Once
 * mbox_reader_next() has returned NULL, ask mbox_reader_final_quoting(): when it says
 * NONE, copy the messages that depended again with mbox_reader_copy_message().
 * Returns as mbox_reader_copy_message(). */
gboolean mbox_reader_copy_message_provisional(MboxReader *reader, const MboxMessage *message,
                                              MboxCopyFlags flags, MboxWriteFunc write,
                                              gpointer user_data, gboolean *depends_out,
                                              GError **error);

/* The quoting that copies use from now on: MBOXRD, MBOXO or NONE.  An undecided AUTO
 * is decided here exactly as the first copy right after the first message would have
 * decided it (from what phase 1 counted, when it has seen the whole file after
 * provisional copies; else as mbox_reader_copy_message() does, which may read the
 * file ahead).  AUTO with IO set when that read fails. */
MboxQuoting mbox_reader_final_quoting(MboxReader *reader, GError **error);

/* "gzip", "bzip2", "compress" or "xz" when the first `len` bytes of a file are that
 * format's magic number, else NULL.  Static strings. */
const char *mbox_compression_of(const unsigned char *magic, gssize len);

/* The names used in scan output: "from-line", "date-header", "received", "mtime";
 * and "auto", "mboxrd", "mboxo", "none".  Static strings. */
const char *mbox_date_source_name(MboxDateSource source);
const char *mbox_quoting_name(MboxQuoting quoting);
/* Parse a --from-quoting value; FALSE when unknown. */
gboolean mbox_quoting_from_name(const char *name, MboxQuoting *quoting_out);

#endif
