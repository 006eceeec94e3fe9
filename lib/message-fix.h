/* message-fix.h -- a streaming write filter that makes a message acceptable to Cyrus
 * 3.6's IMAP APPEND: it sits between mbox_reader_copy_message(MBOX_COPY_CRLF) and the
 * final writer, takes the message in pieces cut anywhere (inside a CRLF, a header
 * line, a multi-byte character) and writes the fixed message on.
 *
 * Why: APPEND refuses a message with a NUL byte, a bare CR in a header or a header line whose
 * name is not followed by a colon, and replaces every raw 8-bit header byte by 'X'
 * (munge8bit) -- DESIGN.md, "Facts about Cyrus 3.6"; imap/message.c
 * message_copy_strict() refuses a header line when a byte <= ' ' comes before its
 * colon.
 *
 * The rules (the contract; doc/mbox2cyrus-convert.1 repeats them):
 *  0. Lines end at LF.  The header block is the bytes up to and including the first
 *     empty line (CRLF alone, once NUL bytes are removed); a message without one is
 *     all header.  The header block is held in memory, the body never: a header
 *     block longer than max_header_bytes (NUL bytes not counted) keeps its whole
 *     lines that fit, and the rest of the message is treated as body (a note says
 *     so).  Only the message's own header block is touched, never a MIME part's.
 *  1. MESSAGE_FIX_BAD_HEADER.  A line starting with a space or a tab continues the
 *     field before it (also as the first line: APPEND accepts that).  Any other line
 *     must start with a field name, bytes 33..126 except ':', then the colon:
 *       "Subject : x"    (obsolete syntax: blanks before the colon) -> "Subject: x"
 *       "From foo@bar"   (a second From_ line), "Subject x", ": x", a name with an
 *                        8-bit byte or a control character
 *                        -> "X-Mbox2cyrus-Invalid-Header: From foo@bar"
 *     (APPEND itself lets a line starting "From " through; we rewrite it all the
 *     same, since no reader understands it).  Continuation lines of a rewritten line
 *     stay with it.
 *  2. MESSAGE_FIX_8BIT_HEADERS.  A field (with its continuation lines) holding bytes
 *     >= 0x80 is decoded in one charset: `header_charset` when given and it decodes
 *     the field's bytes, else the first that fits, in this order:
 *       a. UTF-8, when the bytes are valid UTF-8;
 *       b. EUC-JP, when it decodes them into text without C1 controls (glibc's EUC-JP
 *          takes 0x80..0x9F) that has kana or CJK punctuation (U+3000..U+30FF) or of
 *          which (d) does not hold (KOI8-R words of even length decode as kanji);
 *       c. Shift_JIS (CP932 when Shift_JIS fails), when it decodes them into text with
 *          kana or CJK punctuation and without C1 controls or private-use characters
 *          (CP932 takes Latin-1 "Se\xF1or" for one);
 *       d. KOI8-R, when every 8-bit byte is a KOI8-R letter (0xC0..0xFF, 0xA3, 0xB3),
 *          there are at least two, and more of them are in words without ASCII letters
 *          than in words with some (Cyrillic words have no Latin letters, Latin-1
 *          words such as "\xE9t\xE9" do);
 *       e. WINDOWS-1252, when a byte is in 0x80..0x9F and it decodes them;
 *       f. ISO-8859-1 (decodes anything).
 *     Known misreadings: a kanji-only EUC-JP field whose bytes all lie in 0xC0..0xFF
 *     reads as KOI8-R, a Shift_JIS field without kana as ISO-8859-1: give the charset.
 *     The text is then written as "=?UTF-8?B?...?=" encoded-words (RFC 2047): each at
 *     most 72 characters (45 bytes of UTF-8) and holding whole characters; the lines
 *     of the field are folded (CRLF inserted before a blank) so that none passes 76
 *     characters (RFC 2047's limit for lines with encoded-words) where a blank allows
 *     it.  What is encoded depends on the field:
 *       - unstructured (Subject, Comments and any field not named below): each run of
 *         words with 8-bit bytes, separated only by blanks, becomes encoded-words;
 *         the blanks inside a run go into the encoded text, since decoders drop the
 *         blanks between adjacent encoded-words, and so does the blank between a run
 *         and an existing encoded-word next to it;
 *       - address fields (From, To, Cc, Bcc, Reply-To, Sender, Resent-*, Return-Path,
 *         Delivered-To, Errors-To, Apparently-To, Mail-Followup-To, Mail-Reply-To,
 *         Disposition-Notification-To) and message-id fields (Message-ID,
 *         References, In-Reply-To, Content-ID): display-name words and quoted strings
 *         (a quoted string loses its quotes: "\"Doe, J\xF6rg\" <j@x>" becomes
 *         "=?UTF-8?B?RG9lLCBKw7ZyZw==?= <j@x>", the encoded-word hides the comma) and
 *         words in comments; never inside <...> nor a bare word with '@' (an '@' of
 *         its own, not a two-byte character's trail byte): those bytes are made X, as
 *         APPEND would make them (a note says so) -- sent as Cyrus stores them, the
 *         message keeps the digest that a resume and verify look for;
 *       - MIME fields (Content-* but Content-ID): a quoted string or a word with
 *         8-bit bytes becomes encoded-words inside double quotes, e.g.
 *         name="=?UTF-8?B?...?=" (what mail clients write and read; RFC 2231 is
 *         not used).
 *     The field name, the colon, every ASCII word and every blank outside a run stay;
 *     a field with nothing to encode (its 8-bit bytes all in addresses) is not
 *     refolded.  An 8-bit byte in the header block outside any field (a line that
 *     starts none) is made X too.
 *  3. MESSAGE_FIX_ISO_2022_JP (opt-in, not in MESSAGE_FIX_ALL: APPEND keeps 7-bit
 *     ISO-2022-JP, and the reader does not flag it).  A field without 8-bit bytes
 *     holding ESC $ B or ESC $ @ is decoded as ISO-2022-JP and encoded as in rule 2,
 *     its words holding ESC being the ones encoded; in a field with 8-bit bytes, words
 *     with ESC are encoded with the 8-bit ones.  So a second run changes nothing.
 *  4. MESSAGE_FIX_NUL.  NUL bytes are removed, anywhere, and counted.
 *  5. MESSAGE_FIX_BARE_CR.  A CR not followed by LF (once NUL bytes are removed) in
 *     the header block becomes a space (APPEND refuses it there: "Message contains
 *     invalid header").  In the body it stays: Cyrus 3.6 stores it (measured).
 *  6. Nothing else changes: a message that needs no fix comes out byte for byte, and
 *     a fix that is not enabled leaves its bytes as they are -- but for 8-bit header
 *     bytes: with MESSAGE_FIX_8BIT_HEADERS off each is made 'X', as APPEND would make
 *     it (so that what is sent is what Cyrus stores, and its digest is known).  The output depends on
 *     the bytes and the settings only (and the C library's iconv tables), never on
 *     where the pieces were cut, so verify can run the filter again and get the same
 *     digest.  Run on its own output, the filter changes nothing.
 *  Not fixed: a bare LF (the reader's CRLF copy has none), and a header-only message
 *  whose last line has no line ending (APPEND refuses it).
 *
 * A MessageFix is used by one thread at a time; the functions here set no error of
 * their own: a FALSE return carries the downstream write function's error (or the
 * reader's, for message_fix_copy()).
 */
#ifndef M2C_MESSAGE_FIX_H
#define M2C_MESSAGE_FIX_H

#include <glib.h>

#include "mbox-reader.h"

typedef enum {
	MESSAGE_FIX_8BIT_HEADERS = 1 << 0, /* raw 8-bit header bytes -> RFC 2047 encoded-words */
	MESSAGE_FIX_NUL = 1 << 1,          /* NUL bytes removed */
	MESSAGE_FIX_BARE_CR = 1 << 2,      /* bare CR in the header block: a space */
	MESSAGE_FIX_BAD_HEADER = 1 << 3,   /* a header line without a colon after its name */
	MESSAGE_FIX_ALL = 0xf,
	MESSAGE_FIX_ISO_2022_JP = 1 << 4,  /* opt-in: raw ISO-2022-JP fields encoded too */
} MessageFixKind;

typedef struct {
	guint enabled;              /* MessageFixKind bits */
	const char *header_charset; /* NULL: detect per field (rule 2); else the charset of raw
	                             * 8-bit header bytes, an iconv name; copied by _new() */
	gsize max_header_bytes;     /* 0: 1 MiB */
} MessageFixSettings;

/* enabled = MESSAGE_FIX_ALL, header_charset = NULL, max_header_bytes = 0. */
/* Every fix of MESSAGE_FIX_ALL, the charset detected: what convert does by default
 * (and what verify and backout assume). */
extern const MessageFixSettings message_fix_defaults;

/* The names of the kinds on the command line (--no-fix): "8bit-headers", "nul",
 * "bare-cr", "bad-header", "all"; the kind's bits, 0 for a name that is none. */
#define MESSAGE_FIX_NAMES "8bit-headers, nul, bare-cr, bad-header, all"
guint message_fix_kind_from_name(const char *name);

void message_fix_settings_init(MessageFixSettings *settings);

/* FALSE with G_CONVERT_ERROR_NO_CONVERSION when iconv cannot convert
 * `settings->header_charset` to UTF-8 (then the filter would detect the charset of
 * every field instead), "unknown header charset \"NAME\"". */
gboolean message_fix_settings_check(const MessageFixSettings *settings, GError **error);

/* TRUE when the filter may change `message` (read by the same reader) under
 * `settings`; FALSE: it would pass the message unchanged, and the caller may copy it
 * without the filter.  From the reader's metadata only, so it errs towards TRUE: the
 * reader flags neither bare CRs nor every line rule 1 fixes ("Subject : x"), so TRUE
 * whenever BARE_CR, BAD_HEADER or ISO_2022_JP is enabled. */
gboolean message_fix_is_needed(const MessageFixSettings *settings, const MboxMessage *message);

typedef struct MessageFix MessageFix;

/* A new filter for one message, writing to `write` with `user_data`.  `settings` is
 * copied. */
MessageFix *message_fix_new(const MessageFixSettings *settings, MboxWriteFunc write,
                            gpointer user_data);

/* The next `len` bytes of the message (an MboxWriteFunc: `fix` is the MessageFix).
 * The header block is kept until it is complete; body bytes are written on at once,
 * but for a CR at the end of a piece (its follower decides).  FALSE with the
 * downstream error; the filter is then of no further use but to be freed.  Must not
 * be called after message_fix_end(). */
gboolean message_fix_write(const char *data, gsize len, gpointer fix, GError **error);

/* The message is complete: write what is held back.  Called once; FALSE with the
 * downstream error. */
gboolean message_fix_end(MessageFix *fix, GError **error);

/* The MessageFixKind bits of the fixes that changed bytes so far (complete after
 * message_fix_end()). */
guint message_fix_applied(const MessageFix *fix);

/* One line per fix applied, and per thing that could not be fixed, e.g.
 * "Subject: 8-bit header bytes encoded as RFC 2047 (EUC-JP)", "3 NUL bytes removed",
 * "header line 4 has no colon: made X-Mbox2cyrus-Invalid-Header: From foo@bar",
 * "To: 1 8-bit byte inside an address left unchanged (APPEND makes each an X)",
 * "header block longer than 1048576 bytes: after byte 1048500 it is treated as body";
 * of header lines and fields, 10 of a kind, then "N more ...".  NULL-terminated, owned
 * by `fix`, valid until the next write, end or free. */
const char *const *message_fix_notes(const MessageFix *fix);

/* Bytes written downstream so far. */
gint64 message_fix_out_bytes(const MessageFix *fix);

void message_fix_free(MessageFix *fix);

/* The INTERNALDATE Cyrus can keep for a message dated `t` (seconds since the epoch):
 * at or before the epoch 1 (1970-01-01 00:00:01 UTC: Cyrus stores the time of
 * delivery for 0 and refuses earlier dates: measured), after 2^32 - 1 that (Cyrus
 * keeps 32 bits: it would store it wrapped).  `*note_out` (may be NULL) gets the
 * sentence for the report when the date was changed, else NULL. */
gint64 message_fix_internaldate(gint64 t, const char **note_out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MessageFix, message_fix_free)

/* mbox_reader_copy_message(reader, message, MBOX_COPY_CRLF) through a new filter to
 * `write`, then message_fix_end().  The filter is handed to `*fix_out` (the caller
 * frees it) when `fix_out` is not NULL, also after a failure; else freed.  Returns as
 * mbox_reader_copy_message(). */
gboolean message_fix_copy(MboxReader *reader, const MboxMessage *message,
                          const MessageFixSettings *settings, MboxWriteFunc write,
                          gpointer user_data, MessageFix **fix_out, GError **error);

/* message_fix_copy() of a message whose fixed size was counted before (`size`): for a
 * literal announced with that size and streamed from the reader again.  M2C_MBOX_ERROR
 * IO when it comes out longer or shorter (the file changed). */
gboolean message_fix_copy_exact(MboxReader *reader, const MboxMessage *message,
                                const MessageFixSettings *settings, guint64 size,
                                MboxWriteFunc write, gpointer user_data, GError **error);

#endif
