/* main.c -- the command table of mbox2cyrus and the dispatch to it.
 *
 * The pipeline, in the order an administrator runs it:
 *   mapnames -> (manifest) -> convert -> Cyrus;  Cyrus -> backout -> mbox files.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

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

int
main(int argc, char **argv)
{
	const Command *command;
	const char *name;

	setlocale(LC_ALL, "");
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
		return find_command(argv[2])->run(2, help_argv);
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
	/* GOption's --help and errors name the program by its prgname. */
	g_autofree char *prog = g_strdup_printf("mbox2cyrus %s", command->name);
	g_set_prgname(prog);
	return command->run(argc - 1, argv + 1);
}
