/* cmd-verify.c -- mbox2cyrus verify: prove that source and Cyrus hold the same messages, flags, dates.
 * Not built yet: its issue has not landed.  It accepts --help and says so. */
#include "cli.h"
#include "commands.h"

int
cmd_verify(int argc, char **argv)
{
	return cli_not_built("verify", "prove that source and Cyrus hold the same messages, flags, dates", argc, argv);
}
