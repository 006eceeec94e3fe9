/* test-imap-digest.c -- lib/imap-digest.c: the raw FETCH line of verify's
 * UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE DIGEST.SHA1).  The line Cyrus 3.6
 * really sent, the same items in other orders and with LF or no line end; then
 * hostile lines a server (or a man in the middle) could send, each of which must be
 * refused with PROTOCOL, never crash or assert; and each accepted line fed with its
 * bytes cut short one at a time (every prefix refused or, for the whole, accepted). */
#include <string.h>

#include "imap-digest.h"
#include "imap-session.h"

/* as Cyrus 3.6 sent it (imap-digest.h) */
static const char cyrus_line[] =
	"* 1 FETCH (FLAGS (\\Recent \\Seen $Label1) UID 1 DIGEST.SHA1 "
	"6f89a01803b8215fdb5eea1d3a780d3e456e1be2 INTERNALDATE \" 5-Mar-2003 14:45:12 +0000\" "
	"RFC822.SIZE 21)\r\n";

static void
test_cyrus_line(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(ImapDigest) d = imap_digest_parse(cyrus_line, strlen(cyrus_line), &error);
	char hex[41];

	g_assert_no_error(error);
	g_assert_nonnull(d);
	if (d == NULL)
		return;
	g_assert_cmpuint(d->seq, ==, 1);
	g_assert_cmpuint(d->uid, ==, 1);
	g_assert_cmpuint(d->size, ==, 21);
	g_assert_cmpint(d->internaldate, ==, 1046875512);   /* date -ud '2003-03-05 14:45:12' +%s */
	g_assert_cmpuint(g_strv_length(d->flags), ==, 3);
	g_assert_cmpstr(d->flags[0], ==, "\\Recent");
	g_assert_cmpstr(d->flags[2], ==, "$Label1");
	imap_digest_hex(d->sha1, hex);
	g_assert_cmpstr(hex, ==, "6f89a01803b8215fdb5eea1d3a780d3e456e1be2");
	g_assert_true(imap_digest_is_fetch(cyrus_line, strlen(cyrus_line)));
}

static const struct {
	const char *line;
	guint32 uid;
	gint64 date;
} good[] = {
	{ "* 7 FETCH (UID 4294967295 FLAGS () INTERNALDATE \"31-Dec-1999 23:59:59 -0130\" "
	  "RFC822.SIZE 0 DIGEST.SHA1 DA39A3EE5E6B4B0D3255BFEF95601890AFD80709)", 4294967295u,
	  946684799 + 5400 },
	{ "* 2 FETCH (DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709 RFC822.SIZE 5 "
	  "INTERNALDATE \"29-Feb-2024 00:00:00 +0000\" FLAGS (\\Seen) UID 9)\n", 9, 1709164800 },
	{ "* 3 fetch (uid 3 flags (\\Answered NonJunk) internaldate \"01-Jan-1970 01:00:00 +0100\" "
	  "rfc822.size 12 digest.sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709)\r\n", 3, 0 },
};

static void
test_good_orders(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(ImapDigest) d = imap_digest_parse(good[i].line, strlen(good[i].line), &error);
		g_assert_no_error(error);
		if (d == NULL)
			continue;
		g_assert_cmpuint(d->uid, ==, good[i].uid);
		g_assert_cmpint(d->internaldate, ==, good[i].date);
	}
}

static const char *const hostile[] = {
	"",
	"*",
	"* 1 FETCH",
	"* 1 FETCH ()",
	"* 0 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 4294967296 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	/* a missing item */
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1)",
	/* an item twice */
	"* 1 FETCH (UID 1 UID 2 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (FLAGS () FLAGS (\\Seen) UID 1 INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	/* UID 0, out of range, signed, leading zero, huge */
	"* 1 FETCH (UID 0 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 4294967296 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID -1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 01 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 99999999999999999999999 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	/* digests: short, long, not hex, NIL */
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd8070)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd807090)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 za39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 NIL)",
	/* dates: bad month, day, hour, zone, unquoted, 31 February */
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Foo-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"00-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"31-Feb-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 24:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +2400\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE 01-Jan-2000 RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE NIL RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	/* flags: unclosed, a quote, an empty \, a literal, a nested list */
	"* 1 FETCH (UID 1 FLAGS (\\Seen INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS (\"x\") INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS (\\) INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS ({3}\r\n) INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS ((a)) INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS (a  b) INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	/* unknown item, a body, trailing junk, double spaces, no close */
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709 MODSEQ (5))",
	"* 1 FETCH (UID 1 BODY[] {5}\r\n",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709) x",
	"* 1 FETCH (UID 1  FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"* 1 FETCH (UID 1 FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)\r\n\r\n",
};

static void
test_hostile(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(hostile); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(ImapDigest) d = imap_digest_parse(hostile[i], strlen(hostile[i]), &error);
		if (d != NULL)
			g_test_message("accepted: %s", hostile[i]);
		g_assert_null(d);
		g_assert_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL);
	}
	/* a NUL inside, counted by length */
	static const char nul[] = "* 1 FETCH (UID 1\0FLAGS () INTERNALDATE \"01-Jan-2000 00:00:00 +0000\" RFC822.SIZE 1 DIGEST.SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709)";
	g_autoptr(GError) error = NULL;
	g_assert_null(imap_digest_parse(nul, sizeof nul - 1, &error));
	g_assert_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL);
}

/* Every proper prefix of a good line is refused (it lacks the closing parenthesis);
 * the parser reads only `len` bytes (a copy without NUL at its end, for ASan). */
static void
test_prefixes(void)
{
	gsize len = strlen(cyrus_line) - 2;   /* without CRLF */
	for (gsize n = 0; n < len; n++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *copy = g_memdup2(cyrus_line, n ? n : 1);
		g_autoptr(ImapDigest) d = imap_digest_parse(copy, n, &error);
		g_assert_null(d);
		g_assert_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL);
	}
}

static void
test_is_fetch(void)
{
	g_assert_true(imap_digest_is_fetch("* 12 FETCH (UID 3)", 18));
	g_assert_false(imap_digest_is_fetch("* 12 EXISTS\r\n", 13));
	g_assert_false(imap_digest_is_fetch("* OK [UIDVALIDITY 1]\r\n", 22));
	g_assert_false(imap_digest_is_fetch("* 99999999999 FETCH (", 21));
	g_assert_false(imap_digest_is_fetch("*", 1));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/imap-digest/cyrus-line", test_cyrus_line);
	g_test_add_func("/imap-digest/item-orders", test_good_orders);
	g_test_add_func("/imap-digest/hostile", test_hostile);
	g_test_add_func("/imap-digest/prefixes", test_prefixes);
	g_test_add_func("/imap-digest/is-fetch", test_is_fetch);
	return g_test_run();
}
