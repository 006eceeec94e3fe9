/* cmd-scan.c -- mbox2cyrus scan: read mbox files and list their messages.
 *
 *   mbox2cyrus scan [--format tsv|json] [--from-quoting Q] [--source-tz TZ]
 *                   [--split DIR [--crlf] [--keep-internal-headers]] FILE...
 *
 * TSV on stdout: '#' comment lines, a header row, one row per message, then a '#'
 * summary per file.  Diagnostics go to stderr through report.c.  Exit 0 when every
 * file was read, 65 when one was not an mbox, 1 when one could not be read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <gio/gio.h>

#include "cli.h"
#include "commands.h"
#include "mbox-reader.h"
#include "report.h"
#include "tsv.h"

typedef struct {
	char *format;
	char *from_quoting;
	char *source_tz;
	char *split_dir;
	gboolean crlf;
	gboolean keep_internal;
	gboolean no_content_length;
	gboolean verbose;
} ScanConfig;

typedef struct {
	const ScanConfig *config;
	MboxReaderSettings settings;
	Report *report;
	GString *json;          /* JSON output is built per file and printed when done */
	guint64 split_count;
	gboolean json_first_file;
} Scan;

static char *
iso_utc(GDateTime *date)
{
	g_autoptr(GDateTime) utc = g_date_time_to_utc(date);
	return g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
}


static void
json_strv(GString *out, char **strv)
{
	g_string_append_c(out, '[');
	for (char **s = strv; s != NULL && *s != NULL; s++) {
		if (s != strv)
			g_string_append_c(out, ',');
		json_escape_append(out, *s);
	}
	g_string_append_c(out, ']');
}

static void
tsv_joined(GString *out, char **strv, const char *sep)
{
	if (strv == NULL || strv[0] == NULL) {
		g_string_append_c(out, '-');
		return;
	}
	g_autofree char *joined = g_strjoinv(sep, strv);
	tsv_escape_append(out, joined, strlen(joined));
}

static void
print_row(Scan *scan, const char *file, const MboxMessage *m)
{
	g_autofree char *date = iso_utc(m->date);
	g_autoptr(GString) row = g_string_new(NULL);

	if (scan->json != NULL) {
		g_string_append_printf(scan->json, "%s{\"n\":%" G_GUINT64_FORMAT ",\"offset\":%"
		                       G_GINT64_FORMAT ",\"length\":%" G_GINT64_FORMAT ",\"date\":\"%s\","
		                       "\"date_source\":\"%s\",\"flags\":",
		                       m->number == 1 ? "" : ",", m->number, m->from_offset,
		                       m->next_offset - m->from_offset, date,
		                       mbox_date_source_name(m->date_source));
		json_strv(scan->json, m->flags);
		g_string_append_printf(scan->json, ",\"uid\":%u,\"warnings\":", m->uid);
		json_strv(scan->json, m->warnings);
		g_string_append(scan->json, ",\"sender\":");
		json_escape_append(scan->json, m->sender);
		g_string_append_printf(scan->json, ",\"header_offset\":%" G_GINT64_FORMAT
		                       ",\"body_offset\":%" G_GINT64_FORMAT ",\"end_offset\":%"
		                       G_GINT64_FORMAT ",\"content_length_used\":%s}",
		                       m->header_offset, m->body_offset, m->end_offset,
		                       m->content_length_used ? "true" : "false");
		return;
	}
	g_string_append_printf(row, "%" G_GUINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT
	                       "\t%s\t%s\t", m->number, m->from_offset,
	                       m->next_offset - m->from_offset, date,
	                       mbox_date_source_name(m->date_source));
	/* flags are IMAP atoms (mbox-meta.c checks keywords): nothing to escape */
	if (m->flags[0] == NULL)
		g_string_append_c(row, '-');
	for (char **f = m->flags; *f != NULL; f++)
		g_string_append_printf(row, "%s%s", f == m->flags ? "" : " ", *f);
	if (m->uid > 0)
		g_string_append_printf(row, "\t%u\t", m->uid);
	else
		g_string_append(row, "\t-\t");
	tsv_joined(row, m->warnings, "; ");
	g_string_append_c(row, '\t');
	tsv_escape_append(row, m->sender, strlen(m->sender));
	g_string_append_c(row, '\t');
	tsv_escape_append(row, file, strlen(file));
	g_string_append_c(row, '\n');
	fputs(row->str, stdout);
}

static const char *
variant_of(const MboxSummary *s)
{
	if (s->messages > 0 && s->content_length_used == s->messages)
		return "mboxcl2";
	if (s->deep_quoted_from_lines > 0)
		return "mboxrd";
	if (s->quoted_from_lines > 0)
		return s->quoting == MBOX_QUOTING_NONE ? "unquoted" : "mboxo/mboxrd";
	return s->unquoted_from_lines > 0 ? "unquoted" : "mbox";
}

static void
print_summary(Scan *scan, const char *file, const MboxSummary *s, guint warnings)
{
	if (scan->json != NULL) {
		g_string_append_printf(scan->json, "],\"summary\":{\"messages\":%" G_GUINT64_FORMAT
		                       ",\"bytes\":%" G_GINT64_FORMAT ",\"variant\":\"%s\","
		                       "\"line_ending\":\"%s\",\"compression\":%s%s%s,"
		                       "\"quoting\":\"%s\",\"content_length_used\":%u,"
		                       "\"content_length_ignored\":%u,\"internal_data\":%s,"
		                       "\"uidvalidity\":%u,\"last_uid\":%u,\"keywords\":",
		                       s->messages, s->size, variant_of(s), s->line_ending,
		                       s->compression ? "\"" : "", s->compression ? s->compression : "null",
		                       s->compression ? "\"" : "", mbox_quoting_name(s->quoting),
		                       s->content_length_used, s->content_length_ignored,
		                       s->has_internal_data ? "true" : "false", s->uidvalidity,
		                       s->last_uid);
		json_strv(scan->json, s->keywords);
		g_string_append(scan->json, ",\"warnings\":");
		json_strv(scan->json, s->warnings);
		g_string_append_printf(scan->json, ",\"message_warnings\":%u}}", warnings);
		return;
	}
	g_autofree char *name = tsv_escape(file);
	printf("# %s: %" G_GUINT64_FORMAT " message%s, %" G_GINT64_FORMAT " bytes, variant %s, "
	       "%s line endings%s%s, quoting %s, %u warning%s\n", name, s->messages,
	       s->messages == 1 ? "" : "s", s->size,
	       variant_of(s), s->line_ending, s->compression ? ", compressed " : "",
	       s->compression ? s->compression : "", mbox_quoting_name(s->quoting), warnings,
	       warnings == 1 ? "" : "s");
	printf("#   From lines in bodies: %u quoted (>From), %u deeper (>>From), %u unquoted; "
	       "Content-Length used %u, ignored %u\n", s->quoted_from_lines,
	       s->deep_quoted_from_lines, s->unquoted_from_lines, s->content_length_used,
	       s->content_length_ignored);
	if (s->uidvalidity != 0 || s->has_internal_data) {
		g_autofree char *kw = s->keywords ? g_strjoinv(" ", s->keywords) : g_strdup("");
		printf("#   %s: uidvalidity %u, last uid %u, keywords: %s\n",
		       s->has_internal_data ? "FOLDER INTERNAL DATA" : "X-IMAPbase",
		       s->uidvalidity, s->last_uid, kw[0] ? kw : "-");
	}
	for (char **w = s->warnings; w != NULL && *w != NULL; w++)
		printf("#   warning: %s\n", *w);
}

static gboolean
write_to_file(const char *data, gsize len, gpointer user_data, GError **error)
{
	FILE *f = user_data;
	if (fwrite(data, 1, len, f) == len)
		return TRUE;
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "write failed: %s",
	            g_strerror(errno));
	return FALSE;
}

static gboolean
split_message(Scan *scan, MboxReader *reader, const MboxMessage *m, GError **error)
{
	MboxCopyFlags flags = (scan->config->crlf ? MBOX_COPY_CRLF : 0) |
	                      (scan->config->keep_internal ? MBOX_COPY_KEEP_INTERNAL : 0);
	g_autofree char *path = g_strdup_printf("%s/%06" G_GUINT64_FORMAT ".eml",
	                                        scan->config->split_dir, ++scan->split_count);
	FILE *f = fopen(path, "wbx");
	gboolean ok;

	if (f == NULL) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create %s: %s",
		            path, g_strerror(errno));
		return FALSE;
	}
	ok = mbox_reader_copy_message(reader, m, flags, write_to_file, f, error);
	if (fclose(f) != 0 && ok) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s: %s", path,
		            g_strerror(errno));
		ok = FALSE;
	}
	return ok;
}

/* One file: every message, then its summary.  Failures are reported, never fatal. */
static void
scan_file(Scan *scan, const char *file)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MboxReader) reader = mbox_reader_open(file, &scan->settings, &error);
	guint warnings = 0;
	MboxMessage *m;

	if (scan->json != NULL) {
		g_string_append(scan->json, scan->json_first_file ? "\n{\"file\":" : ",\n{\"file\":");
		scan->json_first_file = FALSE;
		json_escape_append(scan->json, file);
		g_string_append(scan->json, ",\"messages\":[");
	}
	if (reader == NULL) {
		report_msg(scan->report, REPORT_FAILED, "%s", error->message);
		if (scan->json != NULL)
			g_string_append(scan->json, "],\"error\":\"cannot open\"}");
		return;
	}
	while ((m = mbox_reader_next(reader, &error)) != NULL) {
		for (char **w = m->warnings; *w != NULL; w++, warnings++)
			report_at(scan->report, REPORT_WARNING, file, m->number, m->from_offset, "%s", *w);
		print_row(scan, file, m);
		if (scan->config->split_dir != NULL && !split_message(scan, reader, m, &error)) {
			report_at(scan->report, REPORT_FAILED, file, m->number, m->from_offset, "%s",
			          error->message);
			g_clear_error(&error);
		}
		mbox_message_free(m);
	}
	if (error != NULL) {
		ReportSeverity sev = g_error_matches(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_NOT_MBOX)
		                     ? REPORT_DATAERR : REPORT_FAILED;
		report_msg(scan->report, sev, "%s", error->message);
		if (scan->json != NULL) {
			g_string_append(scan->json, "],\"error\":");
			json_escape_append(scan->json, error->message);
			g_string_append(scan->json, "}");
		} else {
			g_autofree char *msg = tsv_escape(error->message);
			printf("# %s\n", msg);
		}
		return;
	}
	const MboxSummary *s = mbox_reader_summary(reader);
	for (char **w = s->warnings; *w != NULL; w++, warnings++)
		report_at(scan->report, REPORT_WARNING, file, 0, -1, "%s", *w);
	print_summary(scan, file, s, warnings);
}

int
cmd_scan(int argc, char **argv)
{
	ScanConfig config = { 0 };
	GOptionEntry entries[] = {
		{ "format", 0, 0, G_OPTION_ARG_STRING, &config.format,
		  "output format: tsv (default) or json", "tsv|json" },
		{ "from-quoting", 0, 0, G_OPTION_ARG_STRING, &config.from_quoting,
		  "how >From lines are undone: auto (default), mboxrd, mboxo, none", "Q" },
		{ "source-tz", 0, 0, G_OPTION_ARG_STRING, &config.source_tz,
		  "zone of From_ dates without one (old host's zone; default: local)", "TZ" },
		{ "no-content-length", 0, 0, G_OPTION_ARG_NONE, &config.no_content_length,
		  "never split by Content-Length", NULL },
		{ "split", 0, 0, G_OPTION_ARG_FILENAME, &config.split_dir,
		  "also write each message to DIR/NNNNNN.eml", "DIR" },
		{ "crlf", 0, 0, G_OPTION_ARG_NONE, &config.crlf,
		  "with --split: CRLF line endings", NULL },
		{ "keep-internal-headers", 0, 0, G_OPTION_ARG_NONE, &config.keep_internal,
		  "with --split: keep Status, X-Status, X-UID, Content-Length, ...", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &config.verbose, "more messages", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("FILE...");
	g_autoptr(Report) report = NULL;
	g_autoptr(GTimeZone) tz = NULL;
	Scan scan = { .config = &config, .json_first_file = TRUE };
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_summary(context,
		"Read mbox files and list their messages: offsets, dates, flags, UIDs, warnings.");
	g_option_context_set_description(context,
		"Output (TSV): '#' comments, a header row, one row per message, then a '#' summary\n"
		"per file.  Exit status: 0 all read, 65 a file was not an mbox, 1 a file could\n"
		"not be read.  See mbox2cyrus-scan(1) for the splitting rules.");
	if ((status = cli_parse(context, "mbox2cyrus scan", &argc, &argv)) != 0)
		goto out;
	if (argc < 2) {
		status = cli_usage_error("mbox2cyrus scan", "no FILE given");
		goto out;
	}
	mbox_reader_settings_init(&scan.settings);
	if (config.from_quoting != NULL &&
	    !mbox_quoting_from_name(config.from_quoting, &scan.settings.quoting)) {
		status = cli_usage_error("mbox2cyrus scan", "--from-quoting: unknown value '%s'",
		                         config.from_quoting);
		goto out;
	}
	if (config.format != NULL && strcmp(config.format, "tsv") != 0 &&
	    strcmp(config.format, "json") != 0) {
		status = cli_usage_error("mbox2cyrus scan", "--format: unknown value '%s'", config.format);
		goto out;
	}
	if (config.source_tz != NULL) {
		tz = g_time_zone_new_identifier(config.source_tz);
		if (tz == NULL) {
			status = cli_usage_error("mbox2cyrus scan", "--source-tz: unknown zone '%s'",
			                         config.source_tz);
			goto out;
		}
		scan.settings.source_tz = tz;
	}
	scan.settings.use_content_length = !config.no_content_length;
	if (config.split_dir != NULL && g_mkdir_with_parents(config.split_dir, 0700) != 0) {
		fprintf(stderr, "mbox2cyrus scan: cannot create %s: %s\n", config.split_dir,
		        g_strerror(errno));
		status = EX_CANTCREAT;
		goto out;
	}

	report = report_new("mbox2cyrus scan", stderr, config.verbose);
	if (config.format != NULL && strcmp(config.format, "json") == 0) {
		scan.json = g_string_new("{\"tool\":\"mbox2cyrus " M2C_VERSION " scan\",\"files\":[");
	} else {
		printf("# mbox2cyrus %s scan: from-quoting=%s source-tz=%s content-length=%s\n",
		       M2C_VERSION, mbox_quoting_name(scan.settings.quoting),
		       config.source_tz ? config.source_tz : "local",
		       config.no_content_length ? "never" : "when-valid");
		printf("n\toffset\tlength\tdate\tdate_source\tflags\tuid\twarnings\tsender\tfile\n");
	}
	scan.report = report;
	for (int i = 1; i < argc; i++) {
		scan_file(&scan, argv[i]);
		fflush(stdout);
	}
	if (scan.json != NULL) {
		g_string_append(scan.json, "\n]}\n");
		fputs(scan.json->str, stdout);
		g_string_free(scan.json, TRUE);
	}
	status = report_exit_status(report);
out:
	g_free(config.format);
	g_free(config.from_quoting);
	g_free(config.source_tz);
	g_free(config.split_dir);
	return status;
}
