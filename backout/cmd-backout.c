/* cmd-backout.c -- mbox2cyrus backout: rebuild mbox files from Cyrus, the manifest read in reverse.
 * Not built yet: its issue has not landed.  It accepts --help and says so. */
#include "cli.h"
#include "commands.h"

int
cmd_backout(int argc, char **argv)
{
	return cli_not_built("backout", "rebuild mbox files from Cyrus, the manifest read in reverse", argc, argv);
}
