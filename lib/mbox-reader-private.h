/* mbox-reader-private.h -- the reader's state, shared by mbox-reader.c (splitting),
 * mbox-copy.c (streaming a message out) and mbox-source.c (opening, decompressing). */
#ifndef M2C_MBOX_READER_PRIVATE_H
#define M2C_MBOX_READER_PRIVATE_H

#include "line-reader.h"
#include "mbox-reader.h"

#define MBOX_READ_WINDOW (1024 * 1024)   /* phase A: bounded RSS, few syscalls */
#define MBOX_COPY_WINDOW (256 * 1024)    /* phase B */
#define MBOX_FROM_LINE_MAX 4096          /* longer From_ lines are cut for parsing */
#define MBOX_MIN_WINDOW (2 * MBOX_FROM_LINE_MAX)

typedef struct {
	guint quoted;            /* lines ^>From */
	guint deep;              /* lines ^>>+From */
	guint unquoted;          /* lines ^From after a line that is not empty */
	gboolean after_nonempty; /* the last line seen was not empty (FALSE at the start) */
} QuotingEvidence;

/* Count one line (or piece) for `evidence`: every line of the file that starts with
 * 'F', '>' or is empty must be counted, in order; after lines passed over unseen
 * (none of them empty), set after_nonempty. */
void mbox_quoting_evidence_add(QuotingEvidence *evidence, const Line *line);

struct MboxReader {
	int fd;
	char *name;
	gint64 size;
	gint64 start;            /* after a UTF-8 BOM */
	gint64 mtime;
	MboxReaderSettings settings;   /* source_tz is our own reference */
	char terminator;         /* '\n' (LF, CRLF) or '\r' (CR-only) */
	LineReader *lines;
	gboolean started;
	gboolean finished;
	guint64 next_number;
	/* the From_ line that starts the next message */
	gint64 pending_offset;
	gsize pending_full_len;  /* with its line ending */
	char *pending_text;      /* after "From ", without the ending, at most MBOX_FROM_LINE_MAX */
	gsize pending_len;
	MboxSummary summary;
	GPtrArray *file_warnings;
	guint open_warnings;     /* how many of them came from opening (kept on rewind) */
	gboolean quoting_decided;
	MboxQuoting quoting;     /* what copies use */
	/* What mbox_reader_decide_quoting()'s look ahead counts, counted by phase 1 from
	 * the lines it reads, so that the decision can be taken at the end exactly as a
	 * copy made early would have taken it (mbox_reader_copy_message_provisional) */
	QuotingEvidence evidence;
	gboolean provisional;    /* copies were made before AUTO was decided */
};

/* Header fields whose values phase 1 keeps (the first occurrence of each). */
enum {
	F_STATUS, F_X_STATUS, F_X_KEYWORDS, F_X_MOZILLA_STATUS, F_X_MOZILLA_KEYS, F_X_UID,
	F_X_IMAP, F_X_IMAPBASE, F_CONTENT_LENGTH, F_CONTENT_TYPE, F_DATE, F_RECEIVED,
	F_SUBJECT, F_X_MBOX2CYRUS_SHA1, N_FIELDS
};
#define FIELD_VALUE_MAX 8192

typedef struct {
	GString *values[N_FIELDS];
	int current;              /* field being continued, or -1 */
	gsize header_bytes;
	gboolean over_limit;
} Headers;

/* mbox-headers.c: the header fields of one message.  Clear with mbox_headers_clear(). */
void mbox_headers_clear(Headers *h);
/* The first value of field `field` (F_*), or NULL. */
const char *mbox_headers_value(const Headers *h, int field);
/* One header line (not the empty line that ends them): keep what we need, note 8-bit
 * bytes and lines without a colon in `msg` and `warnings`. */
void mbox_headers_add_line(Headers *h, MboxMessage *msg, GPtrArray *warnings, const Line *line,
                           gsize max_header_bytes);
/* The boundary parameter in `len` bytes of a Content-Type value, new, or NULL. */
char *mbox_headers_find_boundary(const char *text, gsize len);
/* Flags, UID, folder data.  TRUE when the message is the UW-IMAP pseudo-message. */
gboolean mbox_headers_take_metadata(MboxReader *reader, MboxMessage *msg, const Headers *h,
                                    GPtrArray *warnings);
/* msg->date from the From_ line, else Date:, Received:, the file's mtime (warned). */
void mbox_headers_take_date(MboxReader *reader, MboxMessage *msg, const Headers *h,
                            GPtrArray *warnings, gboolean from_line_had_date);

/* Find the line ending of the file from its first 64 KiB: '\n' or '\r'; sets
 * summary.line_ending. */
gboolean mbox_reader_detect_line_ending(MboxReader *reader, GError **error);

/* Decide AUTO quoting from the whole file's evidence (scans what phase A has not
 * read yet) and set reader->quoting. */
gboolean mbox_reader_decide_quoting(MboxReader *reader, GError **error);

#endif
