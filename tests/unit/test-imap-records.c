/* test-imap-records.c -- the imap method's checkpoints (convert/method-imap.c): what
 * imap_part_format writes, imap_records_parse reads back to the same UIDs and
 * quarantined messages; a journal line a person or a crash damaged is refused, never
 * read as something else (parts out of order, a UID set that does not fit the
 * messages, numbers out of range or signed, a message both stored and quarantined). */
#include <string.h>

#include "method-imap-private.h"
#include "method-records.h"

static void
test_round_trip(void)
{
	g_autoptr(GArray) u1 = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GArray) q1 = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GArray) u2 = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autoptr(GArray) q2 = g_array_new(FALSE, FALSE, sizeof(guint64));
	guint32 uids1[] = { 7, 8, 9, 12 };
	guint64 quar1[] = { 3 };
	guint32 uids2[] = { 13 };
	guint64 quar2[] = { 6, 7 };
	g_array_append_vals(u1, uids1, 4);
	g_array_append_vals(q1, quar1, 1);
	g_array_append_vals(u2, uids2, 1);
	g_array_append_vals(q2, quar2, 2);

	MessageFixSettings fix = { .enabled = MESSAGE_FIX_ALL & ~MESSAGE_FIX_NUL, .header_charset = "EUC-JP" };
	g_autofree char *begin = imap_begin_format(1796036488, 7, 0, &fix);
	g_autofree char *p1 = imap_part_format(1, 5, u1, q1, 1200);
	g_autofree char *p2 = imap_part_format(6, 8, u2, q2, 9000);
	g_assert_cmpstr(begin, ==, "begin v=1796036488 next=7 qz=0 fix=13 cs=EUC-JP");
	g_assert_cmpstr(p1, ==, "part m=1-5 u=7:9,12 q=3 qz=1200");
	g_assert_cmpstr(p2, ==, "part m=6-8 u=13 q=6,7 qz=9000");

	const char *cps[] = { begin, p1, p2, NULL };
	ImapRecords r;
	g_autoptr(GError) error = NULL;
	g_assert_true(imap_records_parse(cps, &r, &error));
	g_assert_no_error(error);
	g_assert_true(r.begun);
	g_assert_cmpuint(r.uidvalidity, ==, 1796036488);
	g_assert_cmpuint(r.uidnext, ==, 7);
	g_assert_cmpuint(r.last, ==, 8);
	g_assert_cmpuint(r.stored, ==, 5);
	g_assert_cmpint(r.qz, ==, 9000);
	g_assert_cmpuint(r.fixes, ==, 13);
	g_assert_cmpstr(r.header_charset, ==, "EUC-JP");
	g_assert_cmpint(records_last_qz(cps), ==, 9000);
	guint32 want[] = { 7, 8, 0, 9, 12, 0, 0, 13 };
	g_assert_cmpuint(r.uids->len, ==, 8);
	for (guint i = 0; i < 8; i++)
		g_assert_cmpuint(g_array_index(r.uids, guint32, i), ==, want[i]);
	g_assert_true(g_hash_table_contains(r.quarantined, GSIZE_TO_POINTER(3)));
	g_assert_true(g_hash_table_contains(r.quarantined, GSIZE_TO_POINTER(7)));
	g_assert_false(g_hash_table_contains(r.quarantined, GSIZE_TO_POINTER(8)));
	imap_records_clear(&r);

	/* none: nothing begun */
	const char *none[] = { NULL };
	g_assert_true(imap_records_parse(none, &r, &error));
	g_assert_false(r.begun);
	g_assert_cmpuint(r.last, ==, 0);
	imap_records_clear(&r);
}

static void
test_damaged(void)
{
	static const char *const bad[][3] = {
		{ "part m=1-1 u=5 q=- qz=0", NULL },                              /* no begin first */
		{ "begin v=0 next=1 qz=0 fix=15 cs=-", NULL },                    /* UIDVALIDITY 0 */
		{ "begin v=1 next=1 qz=0", NULL },                                /* no fixes */
		{ "begin v=1 next=1 qz=0 fix=999 cs=-", NULL },
		{ "begin v=1 next=1 qz=0 fix=15 cs=", NULL },
		{ "begin v=-1 next=1 qz=0 fix=15 cs=-", NULL },
		{ "begin v=4294967296 next=1 qz=0 fix=15 cs=-", NULL },
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-4000000000 u=1:4000000000 q=- qz=0" },
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=2-3 u=5:6 q=- qz=0" },          /* not from 1 */
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-3 u=5:6 q=- qz=0" },          /* 2 UIDs, 3 messages */
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=5:7 q=- qz=0" },          /* 3 UIDs, 2 messages */
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=5 q=2,2 qz=0" },          /* quarantined twice */
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=5 q=3 qz=0" },            /* outside the part */
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=6:5 q=- qz=0" },          /* a falling range */
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=0:1 q=- qz=0" },          /* UID 0 */
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=5,+6 q=- qz=0" },
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=5:6 q=- qz=-1" },
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=2-1 u=- q=- qz=0" },
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=5:6 q=- qz=0 extra" },
		{ "begin v=1 next=1 qz=0 fix=15 cs=-", "part m=1-2 u=5:6 q=- qz=0\t" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *cps[] = { bad[i][0], bad[i][1], NULL };
		ImapRecords r;
		g_autoptr(GError) error = NULL;
		g_test_message("damaged: %s | %s", bad[i][0], bad[i][1] ? bad[i][1] : "");
		g_assert_false(imap_records_parse(cps, &r, &error));
		g_assert_nonnull(error);
		imap_records_clear(&r);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/imap-records/round-trip", test_round_trip);
	g_test_add_func("/imap-records/damaged", test_damaged);
	return g_test_run();
}
