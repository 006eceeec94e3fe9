/* mbexamine.h -- the output of Cyrus 3.6's `mbexamine -C imapd.conf MAILBOX`, parsed
 * as it streams in (backout's spool source: backout-source-spool.c).
 *
 * What Cyrus 3.6.1 prints (imap/mbexamine.c, the same through 3.6.7; measured on the
 * test server; "\n" ends each line, cut here at "..."):
 *     Examining user.pal... Mailbox Header Info:
 *       Path to mailbox: /var/spool/cyrus/mail/uuid/c/w/cwq4p07ibkpk70qjejz68vje
 *       Mailbox ACL: pal<TAB>lrswipkxtecdan<TAB>
 *       Unique ID: cwq4p07ibkpk70qjejz68vje
 *       User Flags: $Label1 kw0 kw1 kw2          (each followed by a space; "[none]")
 *     (blank)
 *      Index Header Info:
 *       Generation Number: 0
 *       Minor Version: 17
 *       Header Size: 160 bytes  Record Size: 112 bytes
 *       Number of Messages: 3  Mailbox Size: 69 bytes  Annotations Size: 0 bytes
 *       Last Append Date: (1796028166) Mon Nov 30 08:42:46 2026
 *       UIDValidity: 1796028166  Last UID: 3
 *       Deleted: 0  Answered: 0  Flagged: 0
 *       Mailbox Options: POP3_NEW_UIDL
 *       Last POP3 Login: (0) Thu Jan  1 00:00:00 1970
 *       Highest Mod Sequence: 4
 *     (blank)
 *      Message Info:
 * then per message not expunged (mbexamine skips those; a record still marked
 * FLAG_INTERNAL_EXPUNGED or _UNLINKED is left out here too), in UID order:
 *     000001> UID:00000001   INT_DATE:1046871912 SENTDATE:... SAVEDATE:... SIZE:23
 *           > HDRSIZE:15     LASTUPD :1796028166 SYSFLAGS:00000010      > CACHEVER:11
 *             GUID:<40 hex> MODSEQ:2  THRID: 0                       (one line)
 *           > INTERNALFLAGS: [FLAG_INTERNAL_...]      > SYSTEMFLAGS: FLAG_SEEN ...
 *           > USERFLAGS: 00000000 00000000 00000000 00000003
 * and, when the cache record could be read, nine cache items, in this order:
 *      Envel>{42}<42 bytes>          BdyStr, Body, CacHdr, From, To, Cc, Bcc, Subjct
 * Their bytes come from the message (a subject may hold "\n000002> UID:..."): they
 * are skipped by their length, never looked into.
 *
 * USERFLAGS is the 128-bit mask, the most significant 32-bit word first: bit i is
 * the i-th name of "User Flags".  The flags of a message are its system flags in
 * Cyrus's FETCH order (\Answered \Flagged \Draft \Deleted \Seen), then its keywords
 * in "User Flags" order.
 *
 * Strict: every line must be the one expected there, in that order; numbers in
 * range; the GUID 40 hex digits; SYSFLAGS agreeing with SYSTEMFLAGS; a user flag bit
 * naming a flag of the list; UIDs ascending, none above Last UID; as many messages as
 * "Number of Messages" says (a cut output is caught even between two messages); the
 * index minor version 7 or later (earlier ones have no GUID).  Lines are at most
 * MBEXAMINE_MAX_LINE bytes, cache items MBEXAMINE_MAX_ITEM.  Nothing asserts on input.
 *
 * Errors: M2C_CYRUS_TOOL_ERROR (cyrus-tools.h), code M2C_CYRUS_TOOL_ERROR_OUTPUT,
 * naming the mailbox, the line number and a cut copy of the line; an empty output
 * (mbexamine found no such mailbox) is G_IO_ERROR_NOT_FOUND.
 */
#ifndef M2C_MBEXAMINE_H
#define M2C_MBEXAMINE_H

#include <glib.h>

#define MBEXAMINE_MAX_LINE (1024 * 1024)
#define MBEXAMINE_MAX_ITEM (64 * 1024 * 1024)

/* A mailbox as mbexamine showed it. */
typedef struct {
	char *path;             /* "Path to mailbox": where the UID. files are */
	guint32 uidvalidity;
	guint32 last_uid;
	char **user_flags;      /* "User Flags", in order, NULL-terminated, may be empty */
	GPtrArray *messages;    /* ImapDigest * (imap-digest.h), owning them; ascending UID;
	                         * seq the position 1..n; sha1 the GUID */
	GArray *archived;       /* guint32, ascending: UIDs marked FLAG_INTERNAL_ARCHIVED,
	                         * whose file is in the archive partition, not in `path` */
} MbExamineMailbox;

void mbexamine_mailbox_clear(MbExamineMailbox *mailbox);

typedef struct MbExamineParser MbExamineParser;

/* A parser for the output of mbexamine run on `mailbox` (the name it was given,
 * copied; the first line must name it). */
MbExamineParser *mbexamine_parser_new(const char *mailbox);
void mbexamine_parser_free(MbExamineParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MbExamineParser, mbexamine_parser_free)

/* The next `len` bytes of the output (pieces of any size, down to one byte).  FALSE
 * at the first thing that is wrong; the parser is then spent (every later call fails
 * the same way). */
gboolean mbexamine_parser_feed(MbExamineParser *parser, const char *bytes, gsize len,
                               GError **error);

/* The output has ended: fill `*out` (the caller clears it with
 * mbexamine_mailbox_clear).  FALSE when the output was cut or empty. */
gboolean mbexamine_parser_finish(MbExamineParser *parser, MbExamineMailbox *out,
                                 GError **error);

#endif
