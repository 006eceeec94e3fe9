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
	gboolean quoting_decided;
	MboxQuoting quoting;     /* what copies use */
};

/* Find the line ending of the file from its first 64 KiB: '\n' or '\r'; sets
 * summary.line_ending. */
gboolean mbox_reader_detect_line_ending(MboxReader *reader, GError **error);

/* Decide AUTO quoting from the whole file's evidence (scans what phase A has not
 * read yet) and set reader->quoting. */
gboolean mbox_reader_decide_quoting(MboxReader *reader, GError **error);

#endif
