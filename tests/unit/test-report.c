/* test-report.c -- lib/report.c: line format, exit status by worst severity, threads. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "report.h"

typedef struct {
	char *text;
	size_t len;
	FILE *out;
} Capture;

static void
capture_open(Capture *c)
{
	c->text = NULL;
	c->len = 0;
	c->out = open_memstream(&c->text, &c->len);
	g_assert_nonnull(c->out);
}

static void
capture_close(Capture *c)
{
	fclose(c->out);
	free(c->text);
}

static void
test_line_format(void)
{
	Capture c;
	capture_open(&c);
	g_autoptr(Report) r = report_new("mbox2cyrus scan", c.out, FALSE);

	report_at(r, REPORT_WARNING, "/var/mail/alice", 17, 40961,
	          "Content-Length %d does not end on a From_ line, ignored", 812);
	report_at(r, REPORT_FAILED, "/home/bob/Mail/sent", 0, -1, "cannot open: %s", "Permission denied");
	report_msg(r, REPORT_INFO, "not shown unless asked");
	report_at(r, REPORT_DATAERR, "x", 0, 0, "not an mbox: first line is not a From_ line");
	fflush(c.out);
	g_assert_cmpstr(c.text, ==,
		"mbox2cyrus scan: /var/mail/alice: msg 17: offset 40961: warning: "
		"Content-Length 812 does not end on a From_ line, ignored\n"
		"mbox2cyrus scan: /home/bob/Mail/sent: error: cannot open: Permission denied\n"
		"mbox2cyrus scan: x: offset 0: bad input: not an mbox: first line is not a From_ line\n");
	g_assert_cmpuint(report_count(r, REPORT_INFO), ==, 1);
	g_assert_cmpuint(report_count(r, REPORT_WARNING), ==, 1);
	capture_close(&c);
}

static void
test_info_shown_when_asked(void)
{
	Capture c;
	capture_open(&c);
	g_autoptr(Report) r = report_new("m", c.out, TRUE);

	report_msg(r, REPORT_INFO, "3 users");
	fflush(c.out);
	g_assert_cmpstr(c.text, ==, "m: 3 users\n");
	g_assert_cmpint(report_exit_status(r), ==, 0);
	capture_close(&c);
}

static void
test_exit_status_is_worst(void)
{
	static const struct {
		ReportSeverity severities[3];
		int exit_code;
	} cases[] = {
		{ { REPORT_INFO, REPORT_INFO, REPORT_INFO }, EX_OK },
		{ { REPORT_WARNING, REPORT_INFO, REPORT_WARNING }, EX_OK },
		{ { REPORT_WARNING, REPORT_FAILED, REPORT_INFO }, 1 },
		{ { REPORT_FAILED, REPORT_DATAERR, REPORT_FAILED }, EX_DATAERR },
		{ { REPORT_TEMPFAIL, REPORT_DATAERR, REPORT_FAILED }, EX_TEMPFAIL },
		{ { REPORT_TEMPFAIL, REPORT_UNAVAILABLE, REPORT_WARNING }, EX_UNAVAILABLE },
		{ { REPORT_CONFIG, REPORT_UNAVAILABLE, REPORT_USAGE }, EX_CONFIG },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		Capture c;
		capture_open(&c);
		g_autoptr(Report) r = report_new("m", c.out, FALSE);
		for (int k = 0; k < 3; k++)
			report_msg(r, cases[i].severities[k], "case %zu", i);
		g_assert_cmpint(report_exit_status(r), ==, cases[i].exit_code);
		capture_close(&c);
	}
}

static void
test_summary(void)
{
	Capture c;
	capture_open(&c);
	g_autoptr(Report) r = report_new("mbox2cyrus scan", c.out, FALSE);

	report_msg(r, REPORT_WARNING, "w");
	report_msg(r, REPORT_FAILED, "e1");
	report_msg(r, REPORT_DATAERR, "e2");
	g_assert_cmpint(report_summary(r, "3 files, 41 messages"), ==, EX_DATAERR);
	fflush(c.out);
	g_assert_nonnull(strstr(c.text, "mbox2cyrus scan: done: 3 files, 41 messages; 1 warning, 2 errors\n"));
	capture_close(&c);
}

#define N_THREADS 4
#define N_LINES 500

static gpointer
writer(gpointer data)
{
	Report *r = data;
	for (int i = 0; i < N_LINES; i++)
		report_at(r, REPORT_WARNING, "f", (guint64)i + 1, i, "line %d of a thread", i);
	return NULL;
}

/* Lines from a thread pool are whole lines, and every one is counted. */
static void
test_threads(void)
{
	Capture c;
	GThread *threads[N_THREADS];
	capture_open(&c);
	g_autoptr(Report) r = report_new("m", c.out, FALSE);

	for (int t = 0; t < N_THREADS; t++)
		threads[t] = g_thread_new("w", writer, r);
	for (int t = 0; t < N_THREADS; t++)
		g_thread_join(threads[t]);
	fflush(c.out);
	g_assert_cmpuint(report_count(r, REPORT_WARNING), ==, N_THREADS * N_LINES);
	g_auto(GStrv) lines = g_strsplit(c.text, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, N_THREADS * N_LINES + 1);
	for (int i = 0; i < N_THREADS * N_LINES; i++)
		g_assert_true(g_str_has_prefix(lines[i], "m: f: msg ") &&
		              strstr(lines[i], ": warning: line ") != NULL);
	capture_close(&c);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/report/line-format", test_line_format);
	g_test_add_func("/report/info-shown-when-asked", test_info_shown_when_asked);
	g_test_add_func("/report/exit-status-is-worst", test_exit_status_is_worst);
	g_test_add_func("/report/summary", test_summary);
	g_test_add_func("/report/threads", test_threads);
	return g_test_run();
}
