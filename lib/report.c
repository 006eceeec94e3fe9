/* report.c -- see report.h.  The only module that prints diagnostics. */
#include "report.h"

#include <sysexits.h>

#define N_SEVERITIES (REPORT_CONFIG + 1)

struct Report {
	GMutex lock;
	char *prog;
	FILE *out;
	gboolean show_info;
	guint counts[N_SEVERITIES];
	ReportSeverity worst;
	const char *prefix;
};

Report *
report_new(const char *prog, FILE *out, gboolean show_info)
{
	Report *report = g_new0(Report, 1);

	g_mutex_init(&report->lock);
	report->prog = g_strdup(prog);
	report->out = out;
	report->show_info = show_info;
	report->worst = REPORT_INFO;
	report->prefix = "";
	return report;
}

void
report_free(Report *report)
{
	if (report == NULL)
		return;
	g_mutex_clear(&report->lock);
	g_free(report->prog);
	g_free(report);
}

const char *
report_severity_name(ReportSeverity severity)
{
	switch (severity) {
	case REPORT_INFO:        return "info";
	case REPORT_WARNING:     return "warning";
	case REPORT_FAILED:      return "error";
	case REPORT_DATAERR:     return "bad input";
	case REPORT_TEMPFAIL:    return "temporary failure";
	case REPORT_UNAVAILABLE: return "unavailable";
	case REPORT_USAGE:       return "usage";
	case REPORT_CONFIG:      return "configuration error";
	}
	g_assert_not_reached();
}

int
report_severity_exit_code(ReportSeverity severity)
{
	switch (severity) {
	case REPORT_INFO:        return EX_OK;
	case REPORT_WARNING:     return EX_OK;
	case REPORT_FAILED:      return 1;
	case REPORT_DATAERR:     return EX_DATAERR;
	case REPORT_TEMPFAIL:    return EX_TEMPFAIL;
	case REPORT_UNAVAILABLE: return EX_UNAVAILABLE;
	case REPORT_USAGE:       return EX_USAGE;
	case REPORT_CONFIG:      return EX_CONFIG;
	}
	g_assert_not_reached();
}

static void
report_vat(Report *report, ReportSeverity severity, const char *file,
           guint64 msgno, gint64 offset, const char *format, va_list ap)
{
	g_autoptr(GString) line = g_string_new(report->prog);
	g_autofree char *text = g_strdup_vprintf(format, ap);

	g_assert(severity < N_SEVERITIES);
	if (file != NULL)
		g_string_append_printf(line, ": %s", file);
	if (msgno > 0)
		g_string_append_printf(line, ": msg %" G_GUINT64_FORMAT, msgno);
	if (offset >= 0)
		g_string_append_printf(line, ": offset %" G_GINT64_FORMAT, offset);
	if (severity != REPORT_INFO)
		g_string_append_printf(line, ": %s", report_severity_name(severity));
	g_string_append_printf(line, ": %s\n", text);

	g_mutex_lock(&report->lock);
	report->counts[severity]++;
	if (severity > report->worst)
		report->worst = severity;
	if (severity != REPORT_INFO || report->show_info) {
		fputs(report->prefix, report->out);
		fputs(line->str, report->out);
		fflush(report->out);
	}
	g_mutex_unlock(&report->lock);
}

void
report_at(Report *report, ReportSeverity severity, const char *file,
          guint64 msgno, gint64 offset, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	report_vat(report, severity, file, msgno, offset, format, ap);
	va_end(ap);
}

void
report_msg(Report *report, ReportSeverity severity, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	report_vat(report, severity, NULL, 0, -1, format, ap);
	va_end(ap);
}

void
report_gerror(Report *report, ReportSeverity severity, const char *file,
              guint64 msgno, gint64 offset, const GError *error)
{
	report_at(report, severity, file, msgno, offset, "%s", error->message);
}

void
report_set_line_prefix(Report *report, const char *prefix)
{
	g_mutex_lock(&report->lock);
	report->prefix = prefix;
	g_mutex_unlock(&report->lock);
}

guint
report_count(Report *report, ReportSeverity severity)
{
	guint n;

	g_assert(severity < N_SEVERITIES);
	g_mutex_lock(&report->lock);
	n = report->counts[severity];
	g_mutex_unlock(&report->lock);
	return n;
}

ReportSeverity
report_worst(Report *report)
{
	ReportSeverity worst;

	g_mutex_lock(&report->lock);
	worst = report->worst;
	g_mutex_unlock(&report->lock);
	return worst;
}

int
report_exit_status(Report *report)
{
	return report_severity_exit_code(report_worst(report));
}

int
report_summary(Report *report, const char *what)
{
	guint warnings, errors = 0;

	g_mutex_lock(&report->lock);
	fputs(report->prefix, report->out);
	warnings = report->counts[REPORT_WARNING];
	for (int s = REPORT_FAILED; s < N_SEVERITIES; s++)
		errors += report->counts[s];
	fprintf(report->out, "%s: done: %s%s%u warning%s, %u error%s\n", report->prog,
	        what != NULL ? what : "", what != NULL ? "; " : "",
	        warnings, warnings == 1 ? "" : "s", errors, errors == 1 ? "" : "s");
	fflush(report->out);
	g_mutex_unlock(&report->lock);
	return report_exit_status(report);
}
