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

/* A password from the first line of `path` (a CR before its LF dropped), new.  NULL
 * with a G_FILE_ERROR when the file cannot be read, or G_IO_ERROR_INVALID_DATA when
 * its first line is empty. */
char *cli_password_from_file(const char *path, GError **error);

/* Ask for a password on the controlling terminal (/dev/tty, not standard input):
 * `prompt`, then a line read byte by byte with echo and signals off (^C cancels
 * without leaving the terminal silent; erase and ^U work), then the terminal as it
 * was.  New, or NULL with
 * G_IO_ERROR_NOT_FOUND (no terminal), G_IO_ERROR_CANCELLED (^C, ^D, end of input)
 * or G_IO_ERROR_FAILED (a read or terminal error). */
char *cli_ask_password(const char *prompt, GError **error);

#endif
