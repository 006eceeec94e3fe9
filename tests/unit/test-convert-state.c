/* test-convert-state.c -- what convert writes into a user's journal and must read
 * back: the details of its own steps (convert/convert-state.c: "messages=N", a message
 * problem "msg=N offset=K TEXT", a failure "SCOPE temporary|permanent TEXT") and the
 * spool method's delivery detail through the method contract (method.h: recall,
 * uid_of).  Each writer's output is read back whole, whatever the text; and a table of
 * damaged details per parser, each of which must be refused -- a journal read wrong
 * would renumber or double a user's mail on the rerun.  Then lib/failure.c: the scope
 * and kind of the errors convert meets.
 *
 * Decided from the writers (each always writes every field, and one space before a
 * text even when the text is empty):
 *   - a problem or failure detail that ends right after its last number or word,
 *     without the space before the text ("msg=1 offset=2", "run temporary"), is torn:
 *     refused; "msg=1 offset=2 " is an empty text;
 *   - numbers are plain decimal digits, as the writers print them: no sign, no
 *     blanks, nothing past the type's range (file offsets are never negative). */
#include <errno.h>
#include <string.h>

#include <gio/gio.h>

#include "convert-user-private.h"

/* ---- count: "messages=N" ---- */

static void
test_count_detail(void)
{
	static const guint32 values[] = { 0, 1, 42, 4294967295u };
	static const char *const damaged[] = {
		"", "messages", "messages=", "messages=-1", "messages=+1", "messages= 1",
		"messages=1x", "messages=1 ", "messages=1\n", "messages=99999999999",
		"messages=4294967296", "messages=18446744073709551617", "Messages=1", " messages=1",
		"message=1", "messages=0x10", "messages=1.5", "files=1",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
		g_autofree char *detail = count_detail_format(values[i]);
		g_autofree char *want = g_strdup_printf("messages=%u", values[i]);
		guint32 back = values[i] + 1;
		g_assert_cmpstr(detail, ==, want);
		g_assert_true(count_detail_parse(detail, &back));
		g_assert_cmpuint(back, ==, values[i]);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
		guint32 back = 12345;
		g_test_message("damaged count detail \"%s\"", damaged[i]);
		g_assert_false(count_detail_parse(damaged[i], &back));
		g_assert_cmpuint(back, ==, 12345);   /* untouched */
	}
}

/* ---- a message problem: "msg=N offset=K TEXT" ---- */

static const char *const texts[] = {
	"an empty message: Cyrus's reconstruct deletes empty files, not stored",
	"two  spaces and a\ttab",
	"UTF-8: caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\x94 done",
	"",
	" a leading space",
	"\ta leading tab",
	"a trailing space ",
	"msg=2 offset=3 looks like a detail itself",
	"temporary permanent run",
};

static void
test_problem_detail(void)
{
	static const struct {
		guint64 msgno;
		gint64 offset;
	} numbers[] = { { 1, 0 }, { 3, 4096 }, { G_MAXUINT64, G_MAXINT64 } };
	static const char *const damaged[] = {
		"", "msg=1", "msg=1 offset=2", "msg=1 offset=", "msg= offset=2 x", "msg=1 offset= x",
		"msg=-1 offset=2 x", "msg=+1 offset=2 x", "msg=1 offset=-2 x", "msg= 1 offset=2 x",
		"msg=1  offset=2 x", "msg=1offset=2 x", "msg=1\toffset=2 x", "msg=1 offset=2\tx",
		"msg=1x offset=2 x", "msg=1 offset=2x x", "MSG=1 offset=2 x", "msg=1 Offset=2 x",
		"offset=2 msg=1 x", "msg=18446744073709551616 offset=2 x",
		"msg=1 offset=9223372036854775808 x", "msg=0x1 offset=2 x", " msg=1 offset=2 x",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(numbers); i++)
		for (gsize k = 0; k < G_N_ELEMENTS(texts); k++) {
			g_autofree char *detail = problem_detail_format(numbers[i].msgno, numbers[i].offset,
			                                                texts[k]);
			g_autofree char *want = g_strdup_printf("msg=%" G_GUINT64_FORMAT " offset=%"
			                                        G_GINT64_FORMAT " %s", numbers[i].msgno,
			                                        numbers[i].offset, texts[k]);
			guint64 msgno = 0;
			gint64 offset = -1;
			const char *text = NULL;
			g_assert_cmpstr(detail, ==, want);
			g_assert_true(problem_detail_parse(detail, &msgno, &offset, &text));
			g_assert_cmpuint(msgno, ==, numbers[i].msgno);
			g_assert_cmpint(offset, ==, numbers[i].offset);
			g_assert_cmpstr(text, ==, texts[k]);
		}
	for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
		guint64 msgno = 77;
		gint64 offset = 88;
		const char *text = NULL;
		g_autofree char *shown = g_strescape(damaged[i], NULL);
		g_test_message("damaged problem detail \"%s\"", shown);
		g_assert_false(problem_detail_parse(damaged[i], &msgno, &offset, &text));
		g_assert_cmpuint(msgno, ==, 77);
		g_assert_cmpint(offset, ==, 88);
		g_assert_null(text);
	}
}

/* ---- a failure: "SCOPE temporary|permanent TEXT" ---- */

static void
test_failure_detail(void)
{
	static const struct {
		FailureScope scope;
		const char *name;
	} scopes[] = {
		{ FAILURE_MESSAGE, "message" }, { FAILURE_MAILBOX, "mailbox" },
		{ FAILURE_USER, "user" }, { FAILURE_RUN, "run" },
	};
	static const char *const damaged[] = {
		"", "run", "run ", "run temporary", "run permanent", "run maybe text", "run  temporary x",
		"Run temporary x", "global temporary x", " run temporary x", "run Temporary x",
		"run temporaryx", "run\ttemporary x", "run temporary\tx", "4 temporary x",
		"temporary run x",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(scopes); i++)
		for (int temporary = 0; temporary <= 1; temporary++)
			for (gsize k = 0; k < G_N_ELEMENTS(texts); k++) {
				Failure f = { .scope = scopes[i].scope, .temporary = temporary };
				g_autofree char *detail = failure_detail_format(f, texts[k]);
				g_autofree char *want = g_strdup_printf("%s %s %s", scopes[i].name,
				                                        temporary ? "temporary" : "permanent",
				                                        texts[k]);
				Failure back = { .scope = FAILURE_MESSAGE + (FAILURE_RUN - scopes[i].scope),
				                 .temporary = !temporary };
				const char *text = NULL;
				g_assert_cmpstr(detail, ==, want);
				g_assert_true(failure_detail_parse(detail, &back, &text));
				g_assert_cmpint(back.scope, ==, scopes[i].scope);
				g_assert_cmpint(back.temporary, ==, temporary);
				g_assert_cmpstr(text, ==, texts[k]);
			}
	for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
		Failure back = { FAILURE_MAILBOX, FALSE };
		const char *text = NULL;
		g_autofree char *shown = g_strescape(damaged[i], NULL);
		g_test_message("damaged failure detail \"%s\"", shown);
		g_assert_false(failure_detail_parse(damaged[i], &back, &text));
		g_assert_null(text);
	}
}

/* ---- the spool method's delivery detail, through the method contract ---- */

static MethodUser *
spool_user(void)
{
	g_autoptr(GError) error = NULL;
	/* no mailboxes: nothing to look up in Cyrus, so no MethodRun needed */
	MethodUser *mu = convert_method_spool.user_new(NULL, "u", (const char *[]){ NULL }, NULL, NULL,
	                                               NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(mu);
	return mu;
}

static void
test_spool_recall(void)
{
	const ConvertMethod *m = &convert_method_spool;
	DeliveryTarget target = { .mailbox = "user.u.Sent", .source = "/home/u/sent", .n_sources = 1 };
	MethodUser *mu = spool_user();
	g_autoptr(GError) error = NULL;
	Delivery d;

	g_assert_true(convert_method_find("spool") == m);
	g_assert_null(convert_method_find("imap-append-someday"));

	/* numbered from base */
	memset(&d, 0x5a, sizeof d);
	g_assert_true(m->recall(mu, &target, "files=3 x_uid=0 base=5 messages=4 bytes=100", &d, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(d.messages, ==, 4);
	g_assert_cmpuint(d.stored, ==, 3);
	g_assert_cmpuint(d.written, ==, 0);   /* nothing written by this run */
	g_assert_cmpint(d.bytes, ==, 100);
	g_assert_false(d.x_uid);
	for (guint64 n = 1; n <= 4; n++) {
		MboxMessage msg = { .number = n, .uid = 1000 + (guint32)n };
		g_assert_cmpuint(m->uid_of(&d, &msg), ==, 5 + n);
	}
	m->free_uids(d.uids);

	/* by X-UID */
	memset(&d, 0, sizeof d);
	g_assert_true(m->recall(mu, &target, "files=2 x_uid=1 base=0 messages=2 bytes=7", &d, &error));
	g_assert_no_error(error);
	g_assert_true(d.x_uid);
	MboxMessage msg = { .number = 2, .uid = 4711 };
	g_assert_cmpuint(m->uid_of(&d, &msg), ==, 4711);
	m->free_uids(d.uids);

	/* the edges that are still good */
	static const char *const edges[] = {
		"files=0 x_uid=0 base=0 messages=0 bytes=0",
		"files=1 x_uid=0 base=4294967294 messages=1 bytes=140737488355327",   /* 2^47 - 1 */
		"files=0 x_uid=0 base=4294967295 messages=0 bytes=0",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(edges); i++) {
		memset(&d, 0, sizeof d);
		g_test_message("good spool detail \"%s\"", edges[i]);
		g_assert_true(m->recall(mu, &target, edges[i], &d, &error));
		g_assert_no_error(error);
		g_clear_error(&error);
		m->free_uids(d.uids);
	}

	/* a delivery not known: no UIDs */
	memset(&d, 0, sizeof d);
	g_assert_cmpuint(m->uid_of(&d, &msg), ==, 0);

	static const char *const damaged[] = {
		"",
		"files=3",
		"files=3 x_uid=0 base=5 messages=4",
		"files=5 x_uid=0 base=0 messages=4 bytes=1",      /* more files than messages */
		"files=1 x_uid=2 base=0 messages=1 bytes=1",
		"files=1 x_uid=4294967297 base=0 messages=1 bytes=1",
		"files=1 x_uid=0 base=0 messages=1 bytes=1 junk",
		"files=1 x_uid=0 base=0 messages=1 bytes=1 ",
		"files=1 x_uid=0 base=0 messages=1 bytes=1\n",
		"files=1 x_uid=0 base=0 messages=1 bytes=1x",
		"files=1 x_uid=0 base=0 messages=1 bytes=-1",
		"files=1 x_uid=0 base=0 messages=1 bytes=9223372036854775808",
		"files=1 x_uid=0 base=0 messages=1 bytes=140737488355328",   /* past 2^47: totals must not overflow */
		"files=0 x_uid=0 base=4294967295 messages=1 bytes=0",   /* base + messages > 2^32 - 1 */
		"files=0 x_uid=0 base=4294967296 messages=0 bytes=0",   /* base not 32 bits */
		"files=0 x_uid=0 base=5 messages=-1 bytes=0",
		"files=-1 x_uid=0 base=5 messages=-1 bytes=0",
		"files=0 x_uid=0 base=-1 messages=0 bytes=0",
		"files=1 x_uid=0 base=0 messages=18446744073709551616 bytes=0",
		"files=1x_uid=0 base=0 messages=1 bytes=1",
		"files=1  x_uid=0 base=0 messages=1 bytes=1",
		"files=1\tx_uid=0 base=0 messages=1 bytes=1",
		"files= 1 x_uid=0 base=0 messages=1 bytes=1",
		"files=+1 x_uid=0 base=0 messages=1 bytes=1",
		"x_uid=0 files=1 base=0 messages=1 bytes=1",
		"messages=4",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
		g_autoptr(GError) err = NULL;
		g_autofree char *shown = g_strescape(damaged[i], NULL);
		memset(&d, 0, sizeof d);
		g_test_message("damaged spool detail \"%s\"", shown);
		g_assert_false(m->recall(mu, &target, damaged[i], &d, &err));
		g_assert_nonnull(err);
		g_assert_null(d.uids);   /* nothing for the caller to free */
		if (d.uids != NULL)
			m->free_uids(d.uids);
	}
	m->user_free(mu);
	m->user_free(NULL);
}

/* ---- lib/failure.c ---- */

#define assert_failure(f, want_scope, want_temporary) do { \
		Failure f_ = (f); \
		g_assert_cmpstr(failure_scope_name(f_.scope), ==, failure_scope_name(want_scope)); \
		g_assert_cmpint(f_.temporary, ==, (want_temporary)); \
	} while (0)

static GError *
errno_error(int errsv)
{
	GError *error = NULL;
	failure_set_errno(&error, errsv, "writing %s", "17.");
	return error;
}

static void
test_failure_classify(void)
{
	static const FailureScope all[] = { FAILURE_MESSAGE, FAILURE_MAILBOX, FAILURE_USER, FAILURE_RUN };

	/* failure_set_errno keeps what classification needs */
	g_autoptr(GError) eio = errno_error(EIO);
	g_autoptr(GError) edquot = errno_error(EDQUOT);
	g_autoptr(GError) enospc = errno_error(ENOSPC);
	g_autoptr(GError) enoent = errno_error(ENOENT);
	g_assert_error(eio, G_FILE_ERROR, G_FILE_ERROR_IO);
	g_assert_error(edquot, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_assert_error(enospc, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_assert_error(enoent, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_autofree char *want_msg = g_strdup_printf("writing 17.: %s", g_strerror(EIO));
	g_assert_cmpstr(eio->message, ==, want_msg);

	g_autoptr(GError) net = g_error_new_literal(M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK, "lost");
	g_autoptr(GError) no = g_error_new_literal(M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO, "NO");
	g_autoptr(GError) quota = g_error_new_literal(M2C_IMAP_ERROR, M2C_IMAP_ERROR_OVERQUOTA, "quota");
	g_autoptr(GError) tls = g_error_new_literal(M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS, "not verified");
	g_autoptr(GError) timeout = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
	g_autoptr(GError) other = g_error_new_literal(g_quark_from_static_string("m2c-test-unknown"),
	                                              1, "unknown");

	for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
		FailureScope w = all[i];
		FailureScope at_least_user = MAX(w, FAILURE_USER);
		g_test_message("at scope %s", failure_scope_name(w));
		/* a full disk is full for everyone */
		assert_failure(failure_classify(enospc, w), FAILURE_RUN, TRUE);
		assert_failure(failure_classify(edquot, w), FAILURE_RUN, TRUE);
		assert_failure(failure_classify_errno(ENOSPC, w), FAILURE_RUN, TRUE);
		assert_failure(failure_classify_errno(EDQUOT, w), FAILURE_RUN, TRUE);
		/* EIO spoils what it happened in, and may pass */
		assert_failure(failure_classify(eio, w), w, TRUE);
		assert_failure(failure_classify_errno(EIO, w), w, TRUE);
		/* ENOENT stays */
		assert_failure(failure_classify(enoent, w), w, FALSE);
		assert_failure(failure_classify_errno(ENOENT, w), w, FALSE);
		/* IMAP */
		assert_failure(failure_classify(net, w), at_least_user, TRUE);
		assert_failure(failure_classify(no, w), w, FALSE);
		/* over quota: the mailbox's quota root; the user's other mailboxes may go on */
		assert_failure(failure_classify(quota, w), MAX(w, FAILURE_MAILBOX), TRUE);
		assert_failure(failure_classify(tls, w), FAILURE_RUN, FALSE);
		assert_failure(failure_classify(timeout, w), w, TRUE);
		/* what is not known is permanent, where it happened */
		assert_failure(failure_classify(other, w), w, FALSE);
		assert_failure(failure_classify(NULL, w), w, FALSE);
	}

	/* the names, both ways */
	static const char *const names[] = { "message", "mailbox", "user", "run" };
	for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
		FailureScope s = FAILURE_RUN;
		g_assert_cmpstr(failure_scope_name(all[i]), ==, names[i]);
		g_assert_true(failure_scope_from_name(names[i], &s));
		g_assert_cmpint(s, ==, all[i]);
	}
	FailureScope s = FAILURE_MAILBOX;
	g_assert_false(failure_scope_from_name("Run", &s));
	g_assert_false(failure_scope_from_name("", &s));
	g_assert_false(failure_scope_from_name("runs", &s));
	g_assert_cmpint(s, ==, FAILURE_MAILBOX);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/convert-state/count-detail", test_count_detail);
	g_test_add_func("/convert-state/problem-detail", test_problem_detail);
	g_test_add_func("/convert-state/failure-detail", test_failure_detail);
	g_test_add_func("/convert-state/spool-recall", test_spool_recall);
	g_test_add_func("/convert-state/failure-classify", test_failure_classify);
	return g_test_run();
}
