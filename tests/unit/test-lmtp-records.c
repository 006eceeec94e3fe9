/* test-lmtp-records.c -- convert --method lmtp's journal records (method-lmtp.c): what
 * the writers make, the parser reads back; damaged records are refused with
 * M2C_JOURNAL_ERROR_DAMAGED, never an assert or an allocation they ask for; and the
 * addresses LMTP can reach (lmtp_address). */
#include <string.h>

#include "journal.h"
#include "method-lmtp-private.h"
#include "method-records.h"

static void
test_round_trip(void)
{
	MessageFixSettings fix = { .enabled = 5, .header_charset = "EUC-JP" };
	g_autoptr(GArray) q = g_array_new(FALSE, FALSE, sizeof(guint64));
	guint64 three = 6, seven = 7;
	g_autofree char *b = lmtp_begin_format(42, 17, "0123456789abcdef", 100, &fix);
	g_autofree char *p1 = lmtp_part_format(1, 4, q, 100);
	g_array_append_val(q, three);
	g_array_append_val(q, seven);
	g_autofree char *p2 = lmtp_part_format(5, 9, q, 900);
	const char *cps[] = { b, p1, p2, NULL };
	LmtpRecords r;
	g_autoptr(GError) error = NULL;

	g_assert_true(lmtp_records_parse(cps, &r, &error));
	g_assert_no_error(error);
	g_assert_true(r.begun);
	g_assert_cmpuint(r.uidvalidity, ==, 42);
	g_assert_cmpuint(r.uidnext, ==, 17);
	g_assert_cmpstr(r.key, ==, "0123456789abcdef");
	g_assert_cmpuint(r.fixes, ==, 5);
	g_assert_cmpstr(r.header_charset, ==, "EUC-JP");
	g_assert_cmpuint(r.last, ==, 9);
	g_assert_cmpint(r.qz, ==, 900);
	g_assert_true(g_hash_table_contains(r.quarantined, GSIZE_TO_POINTER(6)));
	g_assert_true(g_hash_table_contains(r.quarantined, GSIZE_TO_POINTER(7)));
	g_assert_cmpuint(g_hash_table_size(r.quarantined), ==, 2);
	g_assert_cmpint(records_last_qz(cps), ==, 900);
	lmtp_records_clear(&r);
}

static void
test_damaged(void)
{
	static const char *const damaged[][3] = {
		{ "begin v=0 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", NULL },
		{ "begin v=1 next=1 key=0123456789ABCDEF qz=0 fix=0 cs=-", NULL },
		{ "begin v=1 next=1 key=0123 qz=0 fix=0 cs=-", NULL },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0", NULL },
		{ "begin v=1 next=1 key=0123456789abcdef qz=-1 fix=0 cs=-", NULL },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=99999 cs=-", NULL },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=", NULL },
		{ "part m=1-2 q=- qz=0", NULL },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=2-3 q=- qz=0" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=3-1 q=- qz=0" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=1-3 q=4 qz=0" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=1-3 q=2,2 qz=0" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=1-3 q=x qz=0" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=1-3 q=- qz=" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=1-99999999999 q=- qz=0" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=1- q=- qz=0" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "part m=1-2 q=- qz=0 extra" },
		{ "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-", "begin v=1 next=1 key=0123456789abcdef qz=0 fix=0 cs=-" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
		LmtpRecords r;
		g_autoptr(GError) error = NULL;
		g_assert_false(lmtp_records_parse(damaged[i], &r, &error));
		g_assert_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED);
		lmtp_records_clear(&r);
	}
}

static void
test_addresses(void)
{
	static MethodRun dot = { .sep = '.' }, slash = { .sep = '/' };
	static const struct { const MethodRun *run; const char *user, *mailbox, *want; } cases[] = {
		{ &dot, "alice", "user.alice", "alice" },
		{ &dot, "alice", "user.alice.Sent", "alice+Sent" },
		{ &dot, "alice", "user.alice.lists.cyrus", "alice+lists.cyrus" },
		{ &dot, "alice", "user.alice.Archive-2003_old", "alice+Archive-2003_old" },
		{ &dot, "john.doe", "user.john^doe.Sent", "john.doe+Sent" },
		{ &dot, "alice@example.org", "user.alice.Sent@example.org", "alice+Sent@example.org" },
		{ &slash, "alice", "user/alice/lists/cyrus", "alice+lists/cyrus" },
		{ &dot, "alice", "user.alice.Old Mail", NULL },
		{ &dot, "alice", "user.alice.a+b", NULL },
		{ &dot, "alice", "user.alice.Gr&APw-e", NULL },
		{ &dot, "alice", "user.alice.x\"y", NULL },
		{ &dot, "alice", "user.alice.x@y", NULL },
		{ &dot, "alice", "user.alice.(x)", NULL },
		{ &slash, "alice", "user/alice/a.b", NULL },
		{ &dot, "alice", "user.bob.Sent", NULL },
		{ &dot, "alice", "user.alicex", NULL },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *why = NULL;
		g_autofree char *got = lmtp_address(cases[i].run, cases[i].user, cases[i].mailbox, &why);
		g_assert_cmpstr(got, ==, cases[i].want);
		g_assert_true((got == NULL) == (why != NULL));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lmtp-records/round-trip", test_round_trip);
	g_test_add_func("/lmtp-records/damaged", test_damaged);
	g_test_add_func("/lmtp-records/addresses", test_addresses);
	return g_test_run();
}
