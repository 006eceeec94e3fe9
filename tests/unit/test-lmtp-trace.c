/* test-lmtp-trace.c -- lib/lmtp-trace.c: the delivery header formatted and parsed
 * back; what Cyrus 3.6's lmtpd stored (lmtp-trace.h) taken off again, with each of
 * +message-id and +date, over IMAP (nothing prepended), with LF line ends, without
 * an empty line, for a message that never had headers; hostile messages that must be
 * refused (a bad KEY or N, the marker not the first, +date without a Date line ...);
 * every prefix of each vector, whole and streamed one byte at a time, never crashes
 * and streamed says what whole says. */
#include <string.h>

#include "lmtp-trace.h"

#define KEY "0123456789abcdef"
#define CYRUS "Return-Path: <>\r\nReceived: from me ([unix socket])\r\n" \
              "\t (authenticated user=alice bits=0)\r\n" \
              "\t by vm (Cyrus 3.6.1-Debian-3.6.1-4+deb12u5) with LMTPA;\r\n" \
              "\t Mon, 30 Nov 2026 14:02:14 +0000\r\n" \
              "X-Cyrus-Session-Id: vm-1796047334-4212-2-3397850947087895665\r\n" \
              "X-Sieve: CMU Sieve 3.0\r\n"
#define DH(flags) "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7" flags ")\r\n"
#define MID "Message-ID: <cmu-lmtpd-4212-1796047334-0@vm>\r\n"
#define DATE "Date: Mon, 30 Nov 2026 14:02:14 +0000\r\n"

static const struct {
	const char *name;
	const char *stored;
	const char *original;   /* NULL: must be refused */
	guint adds;
} vectors[] = {
	{ "both", CYRUS DH(" +message-id +date") "Subject: c1\r\n" MID DATE "\r\nb\r\n",
	  "Subject: c1\r\n\r\nb\r\n", 3 },
	{ "message-id", CYRUS DH(" +message-id") "Subject: x\r\n" DATE MID "\r\nbody",
	  "Subject: x\r\n" DATE "\r\nbody", 1 },
	{ "date", CYRUS DH(" +date") MID "Subject: x\r\n" DATE "\r\nbody\r\n",
	  MID "Subject: x\r\n\r\nbody\r\n", 2 },
	{ "none", CYRUS DH("") MID DATE "Subject: x\r\n\r\nbody\r\n", MID DATE "Subject: x\r\n\r\nbody\r\n", 0 },
	{ "imap", DH("") "Subject: a\r\n\r\nb\r\n", "Subject: a\r\n\r\nb\r\n", 0 },
	{ "only-header", CYRUS DH(" +message-id +date") MID DATE "\r\nbody\r\n", "\r\nbody\r\n", 3 },
	{ "only-header-imap", DH("") "\r\nbody\r\n", "\r\nbody\r\n", 0 },
	{ "only-header-no-body", DH(""), "", 0 },
	{ "folded-subject", CYRUS DH(" +date") "Subject: a\r\n b\r\n" DATE "\r\n\r\n",
	  "Subject: a\r\n b\r\n\r\n\r\n", 2 },
	{ "lf-only", "Return-Path: <>\nReceived: from me\n\t by vm with LMTPA;\n"
	  "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7 +message-id +date)\n"
	  "Subject: c1\nMessage-ID: <x@vm>\nDate: Mon, 30 Nov 2026 14:02:14 +0000\n\nb\n",
	  "Subject: c1\n\nb\n", 3 },
	{ "no-separator", CYRUS DH("") "Subject: a\r\nMessage-ID: <x>\r\n", "Subject: a\r\nMessage-ID: <x>\r\n", 0 },
	{ "no-separator-adds", CYRUS DH(" +message-id +date") "Subject: a\r\n" MID DATE, "Subject: a\r\n", 3 },
	{ "second-marker-kept", CYRUS DH("") "X-DeliveredInternalDate: other\r\n\r\nb",
	  "X-DeliveredInternalDate: other\r\n\r\nb", 0 },
	{ "marker-case", CYRUS "x-deliveredinternaldate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".1)\r\n\r\nb",
	  "\r\nb", 0 },
	{ "imap-empty-body", DH("") "\r\n", "\r\n", 0 },
	/* refused */
	{ "not-first", CYRUS "X-DeliveredInternalDate: garbage\r\n" DH("") "\r\nb", NULL, 0 },
	{ "in-body", "Subject: a\r\n\r\n" DH("") "b", NULL, 0 },
	{ "none-at-all", CYRUS "Subject: a\r\n\r\nb", NULL, 0 },
	{ "empty", "", NULL, 0 },
	{ "date-missing", CYRUS DH(" +date") "Subject: a\r\n\r\nb", NULL, 0 },
	{ "message-id-missing", CYRUS DH(" +message-id") "Subject: a\r\n\r\nb", NULL, 0 },
	{ "adds-swapped", CYRUS DH(" +message-id +date") "Subject: a\r\n" DATE MID "\r\nb", NULL, 0 },
	{ "adds-without-lines", CYRUS DH(" +message-id +date") "\r\nb", NULL, 0 },
	{ "adds-one-line", CYRUS DH(" +message-id +date") DATE "\r\nb", NULL, 0 },
	{ "date-folded", CYRUS DH(" +date") "Subject: a\r\nDate: Mon,\r\n 30 Nov 2026 14:02:14 +0000\r\n\r\nb", NULL, 0 },
	{ "date-before-ours", CYRUS DATE DH(" +date") "\r\nb", NULL, 0 },
	{ "ours-folded", CYRUS DH("") " more\r\nSubject: a\r\n\r\nb", NULL, 0 },
	{ "ours-unterminated", CYRUS "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7)", NULL, 0 },
	{ "not-a-header-before", "hello world\r\n" DH("") "\r\nb", NULL, 0 },
	{ "continuation-first", " folded\r\n" DH("") "\r\nb", NULL, 0 },
	{ "key-upper", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus 0123456789ABCDEF.7)\r\n\r\n", NULL, 0 },
	{ "key-short", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus 0123456789abcde.7)\r\n\r\n", NULL, 0 },
	{ "key-long", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus 0123456789abcdef0.7)\r\n\r\n", NULL, 0 },
	{ "key-not-hex", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus 0123456789abcdeg.7)\r\n\r\n", NULL, 0 },
	{ "n-zero", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".0)\r\n\r\n", NULL, 0 },
	{ "n-leading-zero", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".07)\r\n\r\n", NULL, 0 },
	{ "n-too-big", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".4294967296)\r\n\r\n", NULL, 0 },
	{ "n-huge", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".99999999999999999999999)\r\n\r\n", NULL, 0 },
	{ "n-missing", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".)\r\n\r\n", NULL, 0 },
	{ "no-dot", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ")\r\n\r\n", NULL, 0 },
	{ "flags-swapped", DH(" +date +message-id") "\r\n", NULL, 0 },
	{ "flag-twice", DH(" +date +date") "\r\n", NULL, 0 },
	{ "flag-unknown", DH(" +subject") "\r\n", NULL, 0 },
	{ "trailing-blank", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7) \r\n\r\n", NULL, 0 },
	{ "no-close", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7\r\n\r\n", NULL, 0 },
	{ "weekday-wrong", "X-DeliveredInternalDate: Wed, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7)\r\n\r\n", NULL, 0 },
	{ "zone-other", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0100 (mbox2cyrus " KEY ".7)\r\n\r\n", NULL, 0 },
	{ "day-invalid", "X-DeliveredInternalDate: Fri, 30 Feb 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7)\r\n\r\n", NULL, 0 },
	{ "second-60", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:60 +0000 (mbox2cyrus " KEY ".7)\r\n\r\n", NULL, 0 },
	{ "day-one-digit", "X-DeliveredInternalDate: Tue, 2 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7)\r\n\r\n", NULL, 0 },
	{ "no-comment", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000\r\n\r\n", NULL, 0 },
	{ "other-tool", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrux " KEY ".7)\r\n\r\n", NULL, 0 },
	{ "nul-in-line", "X-DeliveredInternalDate: Tue, 02 Jan 2001 03:04:05 +0000 (mbox2cyrus " KEY ".7\0)\r\n\r\n", NULL, 0 },
};

/* The original as `t` says, new. */
static GString *
original_of(const char *stored, gsize len, const LmtpTrace *t)
{
	GString *out = g_string_new(NULL);
	g_assert_cmpuint(t->head_start, <=, t->head_end);
	g_assert_cmpuint(t->head_end, <=, t->body_start);
	g_assert_cmpuint(t->body_start, <=, len);
	g_string_append_len(out, stored + t->head_start, (gssize)(t->head_end - t->head_start));
	g_string_append_len(out, stored + t->body_start, (gssize)(len - t->body_start));
	return out;
}

static gsize
vector_len(gsize i)
{
	/* the nul-in-line vector holds a NUL: its length is the literal's */
	if (strcmp(vectors[i].name, "nul-in-line") == 0)
		return strlen(vectors[i].stored) + 1 + strlen(vectors[i].stored + strlen(vectors[i].stored) + 1);
	return strlen(vectors[i].stored);
}

static void
test_vectors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		const char *s = vectors[i].stored;
		gsize len = vector_len(i);
		LmtpTrace t;
		gboolean found = lmtp_trace_find(s, len, &t);
		g_test_message("vector %s", vectors[i].name);
		if (vectors[i].original == NULL) {
			if (found)
				g_test_message("vector %s: found, should be refused", vectors[i].name);
			g_assert_false(found);
			continue;
		}
		g_assert_true(found);
		g_autoptr(GString) got = original_of(s, len, &t);
		g_assert_cmpstr(got->str, ==, vectors[i].original);
		g_assert_cmpuint(t.adds, ==, vectors[i].adds);
		g_assert_cmpstr(t.key, ==, KEY);
	}
}

static void
test_fields(void)
{
	LmtpTrace t;
	const char *s = CYRUS DH(" +message-id +date") "Subject: c1\r\n" MID DATE "\r\nb\r\n";
	g_assert_true(lmtp_trace_find(s, strlen(s), &t));
	g_assert_cmpuint(t.number, ==, 7);
	g_assert_cmpint(t.date, ==, 978404645);   /* date -ud '2001-01-02 03:04:05' +%s */
	s = "X-DeliveredInternalDate: Sun, 07 Feb 2106 06:28:15 +0000 (mbox2cyrus " KEY ".4294967295)\r\n\r\n";
	g_assert_true(lmtp_trace_find(s, strlen(s), &t));
	g_assert_cmpuint(t.number, ==, 4294967295u);
	g_assert_cmpint(t.date, ==, 4294967295);
}

static void
test_format(void)
{
	static const struct { gint64 when; const char *date; } dates[] = {
		{ 978404645, "Tue, 02 Jan 2001 03:04:05 +0000" },
		{ 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
		{ -1, "Wed, 31 Dec 1969 23:59:59 +0000" },
		{ 253402300799, "Fri, 31 Dec 9999 23:59:59 +0000" },
		{ -62135596800, "Mon, 01 Jan 0001 00:00:00 +0000" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(dates); i++)
		for (guint adds = 0; adds < 4; adds++) {
			g_autofree char *line = lmtp_trace_format(dates[i].when, KEY, i + 1, adds);
			g_autofree char *want = g_strdup_printf("X-DeliveredInternalDate: %s (mbox2cyrus " KEY ".%u%s%s)\r\n",
			                                        dates[i].date, i + 1, adds & 1 ? " +message-id" : "",
			                                        adds & 2 ? " +date" : "");
			g_assert_cmpstr(line, ==, want);
			/* and back, as Cyrus stores it */
			g_autoptr(GString) stored = g_string_new(CYRUS);
			g_string_append(stored, line);
			g_string_append(stored, "Subject: s\r\n");
			if (adds & 1)
				g_string_append(stored, MID);
			if (adds & 2)
				g_string_append(stored, DATE);
			g_string_append(stored, "\r\nbody\r\n");
			LmtpTrace t;
			g_assert_true(lmtp_trace_find(stored->str, stored->len, &t));
			g_assert_cmpint(t.date, ==, dates[i].when);
			g_assert_cmpuint(t.number, ==, i + 1);
			g_assert_cmpuint(t.adds, ==, adds);
			g_autoptr(GString) orig = original_of(stored->str, stored->len, &t);
			g_assert_cmpstr(orig->str, ==, "Subject: s\r\n\r\nbody\r\n");
		}
	g_autofree char *max = lmtp_trace_format(0, KEY, G_MAXUINT32, 0);
	g_assert_nonnull(strstr(max, ".4294967295)"));
}

static void
test_has_field(void)
{
	static const struct { const char *msg; const char *name; gboolean has; } rows[] = {
		{ "Message-ID: <a@b>\r\n\r\n", "Message-ID", TRUE },
		{ "message-id: <a@b>\r\n\r\n", "Message-ID", TRUE },
		{ "Subject: a\r\nMESSAGE-ID : <a@b>\r\n\r\n", "Message-ID", TRUE },
		{ "Subject: a\nDate: x\n\nb", "Date", TRUE },
		{ "Subject: a\r\nDate: x", "Date", TRUE },
		{ "Subject: a\r\n\r\nDate: x\r\n", "Date", FALSE },
		{ "\r\nDate: x\r\n", "Date", FALSE },
		{ "Subject: a\r\n Date: x\r\n\r\n", "Date", FALSE },
		{ "Dated: x\r\n\r\n", "Date", FALSE },
		{ "Message-IDs: x\r\n\r\n", "Message-ID", FALSE },
		{ "Resent-Message-ID: x\r\n\r\n", "Message-ID", FALSE },
		{ "Date\r\n\r\n", "Date", FALSE },
		{ "", "Date", FALSE },
	};
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_test_message("row %u", i);
		g_assert_cmpint(lmtp_trace_has_field(rows[i].msg, strlen(rows[i].msg), rows[i].name), ==, rows[i].has);
	}
}

static gboolean
append_to(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)error;
	g_string_append_len(user_data, data, (gssize)len);
	return TRUE;
}

/* Streamed in pieces of `piece` bytes: the same answer as whole, the original's
 * SHA-1 and size. */
static void
check_streamed(LmtpTraceDigest *d, const char *s, gsize len, gsize piece)
{
	LmtpTrace whole, streamed;
	guint8 sha1[20];
	guint64 size = 0;
	gboolean found = lmtp_trace_find(s, len, &whole);

	lmtp_trace_digest_reset(d);
	for (gsize at = 0; at < len; at += piece)
		lmtp_trace_digest_feed(d, s + at, MIN(piece, len - at));
	g_assert_cmpint(lmtp_trace_digest_finish(d, &streamed, sha1, &size), ==, found);
	if (!found)
		return;
	g_assert_cmpuint(streamed.head_start, ==, whole.head_start);
	g_assert_cmpuint(streamed.head_end, ==, whole.head_end);
	g_assert_cmpuint(streamed.body_start, ==, whole.body_start);
	g_autoptr(GString) orig = original_of(s, len, &whole);
	g_autofree char *want = g_compute_checksum_for_data(G_CHECKSUM_SHA1, (const guchar *)orig->str, orig->len);
	g_autofree char *got = g_malloc(41);
	for (guint i = 0; i < 20; i++)
		g_snprintf(got + 2 * i, 3, "%02x", sha1[i]);
	g_assert_cmpstr(got, ==, want);
	g_assert_cmpuint(size, ==, orig->len);

	/* lmtp_trace_copy over the same pieces gives the original */
	g_autoptr(GString) copied = g_string_new(NULL);
	for (gsize at = 0; at < len; at += piece)
		g_assert_true(lmtp_trace_copy(&whole, at, s + at, MIN(piece, len - at), append_to, copied, NULL));
	g_assert_cmpmem(copied->str, copied->len, orig->str, orig->len);
}

static void
test_prefixes_streamed(void)
{
	g_autoptr(LmtpTraceDigest) d = lmtp_trace_digest_new(0);
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		gsize len = vector_len(i);
		for (gsize cut = 0; cut <= len; cut++) {
			/* a copy of exactly `cut` bytes, so that a read past it is caught */
			g_autofree char *s = g_memdup2(vectors[i].stored, cut);
			LmtpTrace t;
			(void)lmtp_trace_find(s, cut, &t);
			check_streamed(d, s, cut, 1);
			check_streamed(d, s, cut, 7);
			check_streamed(d, s, cut, cut + 1);
		}
	}
}

static void
test_header_limit(void)
{
	g_autoptr(GString) s = g_string_new(DH(""));
	for (guint i = 0; i < 100; i++)
		g_string_append(s, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	g_string_append(s, "\r\nbody\r\n");
	LmtpTrace t;
	guint8 sha1[20];
	guint64 size;
	g_autoptr(LmtpTraceDigest) small = lmtp_trace_digest_new(1000);
	lmtp_trace_digest_feed(small, s->str, s->len);
	g_assert_false(lmtp_trace_digest_finish(small, &t, sha1, &size));
	g_autoptr(LmtpTraceDigest) big = lmtp_trace_digest_new(0);
	lmtp_trace_digest_feed(big, s->str, s->len);
	g_assert_true(lmtp_trace_digest_finish(big, &t, sha1, &size));
	g_assert_cmpuint(size, ==, s->len - strlen(DH("")));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lmtp-trace/vectors", test_vectors);
	g_test_add_func("/lmtp-trace/fields", test_fields);
	g_test_add_func("/lmtp-trace/format", test_format);
	g_test_add_func("/lmtp-trace/has-field", test_has_field);
	g_test_add_func("/lmtp-trace/prefixes-streamed", test_prefixes_streamed);
	g_test_add_func("/lmtp-trace/header-limit", test_header_limit);
	return g_test_run();
}
