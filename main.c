/* main.c -- the command table of mbox2cyrus and the dispatch to it.
 *
 * The pipeline, in the order an administrator runs it:
 *   mapnames -> (manifest) -> convert -> Cyrus;  Cyrus -> backout -> mbox files.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "commands.h"

typedef struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} Command;

static const Command commands[] = {
	{ "mapnames", cmd_mapnames, "find users' mbox folders, map them to Cyrus names, write the manifest" },
	{ "scan",     cmd_scan,     "read mbox files and list their messages, dates and flags" },
	{ "forwards", cmd_forwards, "turn ~/.forward files into sendmail aliases, qmail or Sieve" },
	{ "convert",  cmd_convert,  "move the mail named in a manifest into Cyrus (spool, lmtp, imap)" },
	{ "upload",   cmd_upload,   "upload one user's own folders over IMAP with their password" },
	{ "backout",  cmd_backout,  "rebuild mbox files from Cyrus, the manifest read in reverse" },
	{ "verify",   cmd_verify,   "prove that source and Cyrus hold the same messages, flags, dates" },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: mbox2cyrus [--version] [--help] COMMAND [ARGS]\n\n"
	             "Move a Berkeley-mbox mail site into Cyrus IMAP, and back.\n\ncommands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'mbox2cyrus COMMAND --help' describes a command; man mbox2cyrus-COMMAND.\n");
}

static const Command *
find_command(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* What a command wrote to standard output (the manifest, scan's listing, convert's
 * plan) must have got there: a full disk or an I/O error must not pass for success.
 * So, once for every command, as git's run_builtin() does: flush, look for an
 * error, and close, which is when NFS reports a write it could not do.
 *
 * A write error makes the exit status EX_IOERR (74), unless the command already
 * failed: its own status says what else went wrong, which 74 would hide (75 or 69,
 * safe to rerun; 65, bad input), and any non-zero status means the output is not
 * to be trusted anyway.  The message is printed either way.
 *
 * A standard output closed before we started (fstat fails) is no error as long as
 * nothing was written to it; a write to it fails (EBADF) and is caught above. */
static const char *stdout_prog = "mbox2cyrus";
static gboolean stdout_checked;

static int
check_stdout(int status)
{
	struct stat st;
	const char *reason = NULL;

	stdout_checked = TRUE;
	if (fflush(stdout) != 0)
		reason = g_strerror(errno);
	else if (ferror(stdout))   /* the command's own fflush failed; stdio kept no errno */
		reason = "an earlier write failed";
	else if (fstat(STDOUT_FILENO, &st) == 0 && fclose(stdout) != 0)
		reason = g_strerror(errno);
	if (reason == NULL)
		return status;
	fprintf(stderr, "%s: cannot write to standard output: %s\n", stdout_prog, reason);
	return status != EX_OK ? status : EX_IOERR;
}

/* For a command that calls exit() itself: GOption's --help prints and exits 0. */
static void
check_stdout_at_exit(void)
{
	if (!stdout_checked && check_stdout(EX_OK) != EX_OK)
		_exit(EX_IOERR);
}

static int
run_command(const Command *command, int argc, char **argv)
{
	/* GOption's --help and errors name the program by its prgname. */
	g_autofree char *prog = g_strdup_printf("mbox2cyrus %s", command->name);
	g_set_prgname(prog);
	stdout_prog = g_get_prgname();   /* GLib's copy, kept to the end */
	return command->run(argc, argv);
}

static int
dispatch(int argc, char **argv)
{
	const Command *command;
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	name = argv[1];
	if (strcmp(name, "--version") == 0) {
		printf("mbox2cyrus %s\n", M2C_VERSION);
		return EX_OK;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(name, "help") == 0 && argc == 3 && find_command(argv[2]) != NULL) {
		char *help_argv[] = { argv[2], (char *)"--help", NULL };
		return run_command(find_command(argv[2]), 2, help_argv);
	}
	if (name[0] == '-') {
		fprintf(stderr, "mbox2cyrus: unknown option '%s'\n", name);
		usage(stderr);
		return EX_USAGE;
	}
	command = find_command(name);
	if (command == NULL) {
		fprintf(stderr, "mbox2cyrus: '%s' is not a mbox2cyrus command\n", name);
		usage(stderr);
		return EX_USAGE;
	}
	return run_command(command, argc - 1, argv + 1);
}

int
main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	atexit(check_stdout_at_exit);
	return check_stdout(dispatch(argc, argv));
}
