/* report.h -- every diagnostic mbox2cyrus prints, in one format, and the exit status.
 *
 * One line per diagnostic, problem first, the subject in quotes, no full stop:
 *
 *     PROG: FILE: msg N: offset K: SEVERITY: text
 *
 * where the FILE, "msg N" and "offset K" parts appear only when known.  Example:
 *
 *     mbox2cyrus scan: /var/mail/alice: msg 17: offset 40961: warning: Content-Length 812 does not end on a From_ line, ignored
 *
 * The exit status of a run is the worst severity reported (sysexits.h terms, see
 * ReportSeverity).  A Report may be shared by the threads of a pool: every call is
 * serialised by the Report's own lock, and a line is never interleaved with another.
 */
#ifndef M2C_REPORT_H
#define M2C_REPORT_H

#include <stdio.h>
#include <glib.h>

/* Ordered from harmless to worst; report_exit_status() returns the code of the worst
 * one seen.  Scope decides the severity: a failure that cost one message, folder or
 * user is REPORT_FAILED (the run goes on); only run-scope failures are worse. */
typedef enum {
	REPORT_INFO,        /* what was done; exit 0 */
	REPORT_WARNING,     /* handled, worth a look (e.g. a lying Content-Length); exit 0 */
	REPORT_FAILED,      /* a message, folder or user failed, the run went on; exit 1 */
	REPORT_DATAERR,     /* input is not what it claims (not an mbox); exit 65 */
	REPORT_TEMPFAIL,    /* temporary: safe to rerun; exit 75 */
	REPORT_UNAVAILABLE, /* server or a program we need is unavailable; exit 69 */
	REPORT_USAGE,       /* bad command line; exit 64 */
	REPORT_CONFIG,      /* bad configuration (imapd.conf, missing tool); exit 78 */
} ReportSeverity;

typedef struct Report Report;

/* Create a report that writes to `out` (not owned; must outlive the Report) with
 * `prog` (copied) as the first field of every line, e.g. "mbox2cyrus scan".
 * INFO lines are printed only when `show_info` is TRUE.  Never returns NULL. */
Report *report_new(const char *prog, FILE *out, gboolean show_info);
void report_free(Report *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Report, report_free)

/* Print `prefix` (static, e.g. progress_line_prefix()) before every line. */
void report_set_line_prefix(Report *report, const char *prefix);

/* Print one diagnostic.  `file` may be NULL; `msgno` 0 means "no message number";
 * `offset` < 0 means "no offset".  `file` is printed as given (the caller quotes or
 * escapes it if it may hold control characters). */
void report_at(Report *report, ReportSeverity severity, const char *file,
               guint64 msgno, gint64 offset, const char *format, ...) G_GNUC_PRINTF(6, 7);

/* report_at() with no location. */
void report_msg(Report *report, ReportSeverity severity,
                const char *format, ...) G_GNUC_PRINTF(3, 4);

/* report_at() with a GError's message as the text; `error` stays the caller's. */
void report_gerror(Report *report, ReportSeverity severity, const char *file,
                   guint64 msgno, gint64 offset, const GError *error);

/* How many diagnostics of `severity` were reported so far. */
guint report_count(Report *report, ReportSeverity severity);

/* The worst severity reported so far (REPORT_INFO when nothing was). */
ReportSeverity report_worst(Report *report);

/* The sysexits.h code of a severity: 0, 0, 1, 65, 75, 69, 64, 78. */
int report_severity_exit_code(ReportSeverity severity);

/* The word printed for a severity ("warning", "error", ...); static storage. */
const char *report_severity_name(ReportSeverity severity);

/* Print the closing line: "PROG: done: <what>; N warnings, M errors" (what may be
 * NULL), and return report_exit_status(). */
int report_summary(Report *report, const char *what);

/* The exit status of the run so far: the code of the worst severity seen. */
int report_exit_status(Report *report);

#endif
