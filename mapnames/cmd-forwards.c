/* cmd-forwards.c -- mbox2cyrus forwards: turn ~/.forward files into sendmail aliases, qmail or Sieve.
 * Not built yet: its issue has not landed.  It accepts --help and says so. */
#include "cli.h"
#include "commands.h"

int
cmd_forwards(int argc, char **argv)
{
	return cli_not_built("forwards", "turn ~/.forward files into sendmail aliases, qmail or Sieve", argc, argv);
}
