/* test-mbexamine.c -- backout/mbexamine.c: the output of Cyrus 3.6's mbexamine.  The
 * output Cyrus 3.6.1 really printed (its first message verbatim, two more made the
 * same way), fed whole, one byte at a time and in odd pieces; every cut of it
 * refused; then hostile variants: a subject literal holding a forged record, cache
 * lengths that lie, bad GUIDs, user flag bits beyond the list or in the high words,
 * expunged and archived records, flags that disagree.  Nothing may assert. */
#include <string.h>

#include <gio/gio.h>

#include "cyrus-tools.h"
#include "imap-digest.h"
#include "mbexamine.h"

#define MAILBOX "user.pal"

/* as Cyrus 3.6.1 printed it on the test machine (the header and message 1) */
static const char header[] =
	"Examining user.pal... Mailbox Header Info:\n"
	"  Path to mailbox: /tmp/probe-cy/spool/uuid/c/w/cwq4p07ibkpk70qjejz68vje\n"
	"  Mailbox ACL: pal\tlrswipkxtecdan\t\n"
	"  Unique ID: cwq4p07ibkpk70qjejz68vje\n"
	"  User Flags: $Label1 kw0 kw1 kw2 \n"
	"\n"
	" Index Header Info:\n"
	"  Generation Number: 0\n"
	"  Minor Version: 17\n"
	"  Header Size: 160 bytes  Record Size: 112 bytes\n"
	"  Number of Messages: 3  Mailbox Size: 69 bytes  Annotations Size: 0 bytes\n"
	"  Last Append Date: (1796028166) Mon Nov 30 08:42:46 2026\n"
	"  UIDValidity: 1796028166  Last UID: 3\n"
	"  Deleted: 0  Answered: 0  Flagged: 0\n"
	"  Mailbox Options: POP3_NEW_UIDL\n"
	"  Last POP3 Login: (0) Thu Jan  1 00:00:00 1970\n"
	"  Highest Mod Sequence: 4\n"
	"\n"
	" Message Info:\n";
static const char message1[] =
	"000001> UID:00000001   INT_DATE:1046871912 SENTDATE:1046822400 SAVEDATE:1796028166 SIZE:23    \n"
	"      > HDRSIZE:15     LASTUPD :1796028166 SYSFLAGS:00000010      > CACHEVER:11 GUID:06a3acebf3649c5826604d68a0ac43a59dd2c861 MODSEQ:2  THRID: 0\n"
	"      > INTERNALFLAGS:      > SYSTEMFLAGS: FLAG_SEEN\n"
	"      > USERFLAGS: 00000000 00000000 00000000 00000003\n"
	" Envel>{42}(NIL \"m0\" NIL NIL NIL NIL NIL NIL NIL NIL)\n"
	" BdyStr>{74}(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 8 1 NIL NIL NIL NIL)\n"
	" Body>{58}(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 8 1)\n"
	" CacHdr>{0}\n"
	" From>{0}\n"
	" To>{0}\n"
	" Cc>{0}\n"
	" Bcc>{0}\n"
	" Subjct>{4}\"m0\"\n";

/* A message's record: the SYSFLAGS word and names, USERFLAGS, GUID and INTERNALFLAGS
 * given; cache items with `subject` (its length counted here) or none. */
static void
add_message(GString *out, guint uid, const char *sysflags, const char *names,
            const char *userflags, const char *guid, const char *internal, const char *subject)
{
	g_string_append_printf(out, "000001> UID:%08u   INT_DATE:%u SENTDATE:1046822400 SAVEDATE:1796028166 "
	                       "SIZE:%-6u\n", uid, 1046871912 + uid, 20 + uid);
	g_string_append_printf(out, "      > HDRSIZE:15     LASTUPD :1796028166 SYSFLAGS:%s      > "
	                       "CACHEVER:11 GUID:%s MODSEQ:%u  THRID: 1f\n", sysflags, guid, uid + 1);
	g_string_append_printf(out, "      > INTERNALFLAGS:%s      > SYSTEMFLAGS:%s\n", internal, names);
	g_string_append_printf(out, "      > USERFLAGS: %s\n", userflags);
	if (subject == NULL)
		return;
	g_string_append(out, " Envel>{3}NIL\n BdyStr>{0}\n Body>{0}\n CacHdr>{0}\n From>{0}\n"
	                     " To>{0}\n Cc>{0}\n Bcc>{0}\n");
	g_string_append_printf(out, " Subjct>{%zu}%s\n", strlen(subject), subject);
}

#define GUID2 "00000000000000000000000000000000000000aB"
#define GUID3 "ffffffffffffffffffffffffffffffffffffffff"

static GString *
sample(void)
{
	GString *out = g_string_new(header);
	g_string_append(out, message1);
	add_message(out, 2, "00000013", " FLAG_SEEN FLAG_FLAGGED FLAG_ANSWERED",
	            "00000000 00000000 00000000 00000008", GUID2, "", "\"hi\"");
	add_message(out, 3, "00000000", "", "00000000 00000000 00000000 00000000", GUID3, "", NULL);
	return out;
}

/* Feed `text` in pieces of `piece` bytes (0: whole), then finish. */
static gboolean
parse(const char *text, gsize len, gsize piece, MbExamineMailbox *out, GError **error)
{
	g_autoptr(MbExamineParser) parser = mbexamine_parser_new(MAILBOX);
	if (piece == 0)
		piece = MAX(len, 1);
	for (gsize at = 0; at < len; at += piece)
		if (!mbexamine_parser_feed(parser, text + at, MIN(piece, len - at), error))
			return FALSE;
	return mbexamine_parser_finish(parser, out, error);
}

static const ImapDigest *
message_at(const MbExamineMailbox *m, guint i)
{
	return m->messages->pdata[i];
}

static char *
flags_of(const ImapDigest *d)
{
	return g_strjoinv(" ", d->flags);
}

static void
check_sample(const MbExamineMailbox *m)
{
	char hex[41];
	g_autofree char *f1 = NULL, *f2 = NULL, *f3 = NULL, *kw = NULL;

	g_assert_cmpstr(m->path, ==, "/tmp/probe-cy/spool/uuid/c/w/cwq4p07ibkpk70qjejz68vje");
	g_assert_cmpuint(m->uidvalidity, ==, 1796028166u);
	g_assert_cmpuint(m->last_uid, ==, 3);
	kw = g_strjoinv(" ", m->user_flags);
	g_assert_cmpstr(kw, ==, "$Label1 kw0 kw1 kw2");
	g_assert_cmpuint(m->messages->len, ==, 3);
	g_assert_cmpuint(m->archived->len, ==, 0);
	g_assert_cmpuint(message_at(m, 0)->uid, ==, 1);
	g_assert_cmpuint(message_at(m, 0)->seq, ==, 1);
	g_assert_cmpint(message_at(m, 0)->internaldate, ==, 1046871912);
	g_assert_cmpuint(message_at(m, 0)->size, ==, 23);
	imap_digest_hex(message_at(m, 0)->sha1, hex);
	g_assert_cmpstr(hex, ==, "06a3acebf3649c5826604d68a0ac43a59dd2c861");
	f1 = flags_of(message_at(m, 0));
	g_assert_cmpstr(f1, ==, "\\Seen $Label1 kw0");
	g_assert_cmpuint(message_at(m, 1)->uid, ==, 2);
	g_assert_cmpuint(message_at(m, 1)->seq, ==, 2);
	g_assert_cmpint(message_at(m, 1)->internaldate, ==, 1046871914);
	g_assert_cmpuint(message_at(m, 1)->size, ==, 22);
	imap_digest_hex(message_at(m, 1)->sha1, hex);
	g_assert_cmpstr(hex, ==, "00000000000000000000000000000000000000ab");
	f2 = flags_of(message_at(m, 1));   /* Cyrus's FETCH order, not mbexamine's */
	g_assert_cmpstr(f2, ==, "\\Answered \\Flagged \\Seen kw2");
	f3 = flags_of(message_at(m, 2));
	g_assert_cmpstr(f3, ==, "");
	g_assert_cmpuint(message_at(m, 2)->uid, ==, 3);
}

static void
test_sample(void)
{
	g_autoptr(GString) text = sample();
	static const gsize pieces[] = { 0, 1, 2, 7, 64, 4096 };

	for (gsize i = 0; i < G_N_ELEMENTS(pieces); i++) {
		g_autoptr(GError) error = NULL;
		MbExamineMailbox m;
		gboolean ok = parse(text->str, text->len, pieces[i], &m, &error);
		g_assert_no_error(error);
		g_assert_true(ok);
		check_sample(&m);
		mbexamine_mailbox_clear(&m);
	}
}

/* Every cut of the output is refused (a cut between two messages too: the count). */
static void
test_every_cut(void)
{
	g_autoptr(GString) text = sample();

	for (gsize len = 0; len < text->len; len++) {
		g_autoptr(GError) error = NULL;
		MbExamineMailbox m;
		if (parse(text->str, len, 0, &m, &error)) {
			g_test_message("a cut at %zu of %zu bytes was taken", len, text->len);
			g_test_fail();
			mbexamine_mailbox_clear(&m);
			return;
		}
		if (len == 0)
			g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
		else
			g_assert_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT);
		g_assert_nonnull(strstr(error->message, "\"user.pal\""));
	}
}

/* A subject holding a forged record, its length told right: skipped, not parsed. */
static void
test_forged_record_in_subject(void)
{
	GString *text = g_string_new(header);
	g_autoptr(GError) error = NULL;
	MbExamineMailbox m;

	g_string_append(text, message1);
	add_message(text, 2, "00000013", " FLAG_SEEN FLAG_FLAGGED FLAG_ANSWERED",
	            "00000000 00000000 00000000 00000008", GUID2, "",
	            "\"x\n000001> UID:00000099   INT_DATE:1 SENTDATE:1 SAVEDATE:1 SIZE:1\n"
	            " Subjct>{2}}}\n      > USERFLAGS: FFFFFFFF\"");
	add_message(text, 3, "00000000", "", "00000000 00000000 00000000 00000000", GUID3, "", NULL);
	gboolean ok = parse(text->str, text->len, 1, &m, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	check_sample(&m);
	mbexamine_mailbox_clear(&m);
	g_string_free(text, TRUE);
}

/* A variant of the sample: `from` replaced by `to` (the first time; a \x01 in `to`
 * becomes a NUL byte), must be refused with OUTPUT, its message holding `why`. */
static void
refused(const char *from, const char *to, const char *why)
{
	g_autoptr(GString) text = sample();
	g_autoptr(GError) error = NULL;
	MbExamineMailbox m;

	g_assert_cmpuint(g_string_replace(text, from, to, 1), ==, 1);
	for (gsize i = 0; i < text->len; i++)
		if (text->str[i] == '\x01')
			text->str[i] = '\0';
	for (gsize piece = 0; piece <= 1; piece++) {
		g_clear_error(&error);
		if (parse(text->str, text->len, piece, &m, &error)) {
			g_test_message("taken: %s -> %s", from, to);
			g_test_fail();
			mbexamine_mailbox_clear(&m);
			return;
		}
		g_assert_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT);
		if (strstr(error->message, why) == NULL) {
			g_test_message("%s -> %s: \"%s\" lacks \"%s\"", from, to, error->message, why);
			g_test_fail();
		}
	}
}

static void
test_hostile(void)
{
	/* the forged record's subject with its length told short */
	refused(" Subjct>{4}\"m0\"\n", " Subjct>{2}\"m0\"\n", "not followed by a line end");
	refused(" Subjct>{4}\"m0\"\n", " Subjct>{99}\"m0\"\n", "expected a message's UID line");
	refused(" Subjct>{4}", " Subjct>{99999999999}", "longer than");
	refused(" BdyStr>{74}", " Bdystr>{74}", "out of place");
	refused(" Subjct>{4}\"m0\"\n", "", "cache items stop after 8");
	/* GUIDs */
	refused("GUID:06a3acebf3649c5826604d68a0ac43a59dd2c861", "GUID:06a3acebf3649c5826604d68a0ac43a59dd2c86",
	        "not 40 hex");
	refused("GUID:06a3acebf3649c5826604d68a0ac43a59dd2c861", "GUID:06a3acebf3649c5826604d68a0ac43a59dd2c8g1",
	        "not 40 hex");
	refused("GUID:06a3acebf3649c5826604d68a0ac43a59dd2c861", "GUID:06a3acebf3649c5826604d68a0ac43a59dd2c8611",
	        "not 40 hex");
	refused(" GUID:06a3", "", "no GUID");
	/* user flags */
	refused("00000000 00000000 00000000 00000003", "00000000 00000000 00000000 00000013",
	        "user flag 4 set, but the mailbox has 4");
	refused("00000000 00000000 00000000 00000003", "80000000 00000000 00000000 00000003",
	        "user flag 127 set");
	refused("00000000 00000000 00000000 00000003", "00000000 00000000 00000003", "4 words");
	refused("00000000 00000000 00000000 00000003", "00000000 00000000 00000000 00000003 0", "4 words");
	refused("User Flags: $Label1 kw0 kw1 kw2 ", "User Flags: $Label1 kw0 kw1 kw2", "followed by one space");
	refused("User Flags: $Label1 kw0 kw1 kw2 ", "User Flags: $Label1 kw0 kw0 kw2 ", "twice");
	refused("User Flags: $Label1 kw0 kw1 kw2 ", "User Flags: $Label1 kw(0 kw1 kw2 ", "not a keyword");
	/* system flags */
	refused("SYSFLAGS:00000010", "SYSFLAGS:00000011", "disagree");
	refused("SYSTEMFLAGS: FLAG_SEEN", "SYSTEMFLAGS: FLAG_SEEN FLAG_SEEN", "repeated");
	refused("SYSTEMFLAGS: FLAG_SEEN", "SYSTEMFLAGS: FLAG_SEEN FLAG_RECENT", "unknown");
	refused("INTERNALFLAGS:", "INTERNALFLAGS: FLAG_INTERNAL_WHATEVER", "unknown");
	/* numbers, order, counts */
	refused("UID:00000001", "UID:00000000", "bad UID");
	refused("UID:00000001", "UID:00000004", "out of order");
	refused("UID:00000001", "UID:00000002", "out of order");
	refused("UID:00000001", "UID:4294967296", "bad UID");
	refused("INT_DATE:1046871912", "INT_DATE:99999999999999999999", "bad dates");
	refused("SIZE:23", "SIZE:-23", "bad size");
	refused("SIZE:23    ", "SIZE:23  x", "after the size");
	refused("Number of Messages: 3", "Number of Messages: 4", "3 messages listed, the index says 4");
	refused("Minor Version: 17", "Minor Version: 6", "no GUIDs");
	refused("Last UID: 3", "Last UID: 2", "out of order");
	/* lines */
	refused("Examining user.pal...", "Examining user.pat...", "expected \"Examining user.pal...");
	refused("  Unique ID: ", "  Unique Id: ", "expected a line starting");
	/* a NUL in a cache item: mbexamine prints it with %.*s, so the bytes stop short */
	refused("Envel>{42}(NIL \"m0\" NIL NIL NIL NIL NIL NIL NIL NIL)", "Envel>{42}(NIL \"m",
	        "not followed");
	refused("  Deleted: 0", "  Deleted:\x01 0", "NUL");
	refused("  Path to mailbox: /", "  Path to mailbox: ", "not absolute");
}

static void
test_high_words(void)
{
	GString *text = g_string_new(NULL);
	GString *names = g_string_new("  User Flags: ");
	g_autoptr(GError) error = NULL;
	g_autofree char *flags = NULL;
	MbExamineMailbox m;

	for (int i = 0; i < 128; i++)
		g_string_append_printf(names, "f%d ", i);
	g_string_append(text, header);
	g_string_replace(text, "  User Flags: $Label1 kw0 kw1 kw2 ", names->str, 1);
	g_string_replace(text, "Number of Messages: 3", "Number of Messages: 1", 1);
	/* word 3 (printed first) bit 31 = flag 127; word 2 bit 0 = 64; word 1 bit 4 = 36 */
	add_message(text, 2, "00000000", "", "80000000 00000001 00000010 00000000", GUID2, "", NULL);
	gboolean ok = parse(text->str, text->len, 3, &m, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_cmpuint(m.messages->len, ==, 1);
	flags = flags_of(message_at(&m, 0));
	g_assert_cmpstr(flags, ==, "f36 f64 f127");
	mbexamine_mailbox_clear(&m);
	g_string_free(names, TRUE);
	g_string_free(text, TRUE);
}

static void
test_expunged_archived_none(void)
{
	GString *text = g_string_new(header);
	g_autoptr(GError) error = NULL;
	MbExamineMailbox m;

	g_string_replace(text, "  User Flags: $Label1 kw0 kw1 kw2 ", "  User Flags: [none]", 1);
	g_string_replace(text, "Number of Messages: 3", "Number of Messages: 2", 1);
	add_message(text, 1, "00000000", "", "00000000 00000000 00000000 00000000", GUID2,
	            " FLAG_INTERNAL_ARCHIVED FLAG_INTERNAL_SNOOZED", "\"a\"");
	add_message(text, 2, "00000004", " FLAG_DELETED", "00000000 00000000 00000000 00000000", GUID2,
	            " FLAG_INTERNAL_EXPUNGED FLAG_INTERNAL_UNLINKED", NULL);
	add_message(text, 3, "00000008", " FLAG_DRAFT", "00000000 00000000 00000000 00000000", GUID3,
	            " FLAG_INTERNAL_NEEDS_CLEANUP", NULL);
	gboolean ok = parse(text->str, text->len, 5, &m, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_cmpuint(g_strv_length(m.user_flags), ==, 0);
	g_assert_cmpuint(m.messages->len, ==, 2);
	g_assert_cmpuint(message_at(&m, 0)->uid, ==, 1);
	g_assert_cmpuint(message_at(&m, 1)->uid, ==, 3);
	g_assert_cmpuint(message_at(&m, 1)->seq, ==, 2);
	g_assert_cmpstr(message_at(&m, 1)->flags[0], ==, "\\Draft");
	g_assert_cmpuint(m.archived->len, ==, 1);
	g_assert_cmpuint(g_array_index(m.archived, guint32, 0), ==, 1);
	mbexamine_mailbox_clear(&m);

	/* with [none], any user flag bit is beyond the list */
	g_string_replace(text, "00000000 00000000 00000000 00000000", "00000000 00000000 00000000 00000001", 1);
	g_clear_error(&error);
	g_assert_false(parse(text->str, text->len, 0, &m, &error));
	g_assert_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT);
	g_string_free(text, TRUE);
}

static void
test_not_opened_and_spent(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MbExamineParser) parser = mbexamine_parser_new(MAILBOX);
	MbExamineMailbox m;

	/* what mbexamine prints when it cannot open the mailbox (exit status 0) */
	g_assert_false(parse("Examining user.pal...", 21, 0, &m, &error));
	g_assert_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT);
	g_assert_nonnull(strstr(error->message, "could not open"));
	g_clear_error(&error);
	/* a refused parser stays refused */
	g_assert_false(mbexamine_parser_feed(parser, "nonsense\n", 9, &error));
	g_clear_error(&error);
	g_assert_false(mbexamine_parser_feed(parser, header, strlen(header), &error));
	g_assert_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT);
	g_clear_error(&error);
	g_assert_false(mbexamine_parser_finish(parser, &m, &error));
	g_assert_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mbexamine/sample", test_sample);
	g_test_add_func("/mbexamine/every-cut", test_every_cut);
	g_test_add_func("/mbexamine/forged-record-in-subject", test_forged_record_in_subject);
	g_test_add_func("/mbexamine/hostile", test_hostile);
	g_test_add_func("/mbexamine/high-words", test_high_words);
	g_test_add_func("/mbexamine/expunged-archived-none", test_expunged_archived_none);
	g_test_add_func("/mbexamine/not-opened-and-spent", test_not_opened_and_spent);
	return g_test_run();
}
