/* cli.c -- see cli.h. */
#include "cli.h"

#include <stdio.h>
#include <sysexits.h>

int
cli_usage_error(const char *prog, const char *format, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, format);
	text = g_strdup_vprintf(format, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nusage: %s --help\n", prog, text, prog);
	return EX_USAGE;
}

int
cli_parse(GOptionContext *context, const char *prog, int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;

	if (!g_option_context_parse(context, argc, argv, &error))
		return cli_usage_error(prog, "%s", error->message);
	return 0;
}

int
cli_not_built(const char *name, const char *summary, int argc, char **argv)
{
	g_autofree char *prog = g_strdup_printf("mbox2cyrus %s", name);
	g_autoptr(GOptionContext) context = g_option_context_new("- not built yet");
	int status;

	g_option_context_set_summary(context, summary);
	g_option_context_set_description(context,
		"This subcommand is part of the pipeline but is not built yet; see NEWS.");
	status = cli_parse(context, prog, &argc, &argv);
	if (status != 0)
		return status;
	fprintf(stderr, "%s: not built yet\n", prog);
	return EX_UNAVAILABLE;
}
