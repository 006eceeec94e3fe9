/* cli.h -- what every subcommand does with its command line.
 *
 * A subcommand (a cmd-*.c file) owns its GOptionEntry table; cli_parse() runs it and
 * turns a GOption error into the one-line message and exit status every subcommand
 * shares.  Exit statuses are sysexits.h codes (see report.h).
 */
#ifndef M2C_CLI_H
#define M2C_CLI_H

#include <glib.h>

/* Parse `*argc`/`*argv` with `context` (options are removed, operands stay).
 * `prog` is the subcommand's full name, e.g. "mbox2cyrus scan".
 * Returns 0 when parsing succeeded; otherwise prints
 *     PROG: <what was wrong>
 *     usage: PROG --help
 * on stderr and returns EX_USAGE (64) for the caller to exit with.  "--help" is
 * handled by GOption itself (prints, exits 0). */
int cli_parse(GOptionContext *context, const char *prog, int *argc, char ***argv);

/* Print "PROG: <message>" and the usage hint on stderr; returns EX_USAGE. */
int cli_usage_error(const char *prog, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* The body of a subcommand whose issue has not landed yet: accepts --help (with
 * `summary` as its text) and otherwise says that the subcommand is not built yet.
 * Returns EX_UNAVAILABLE (69), or EX_USAGE for an unknown option. */
int cli_not_built(const char *name, const char *summary, int argc, char **argv);

#endif
