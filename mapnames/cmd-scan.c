/* cmd-scan.c -- mbox2cyrus scan: read mbox files and list their messages, dates and flags.
 * Not built yet: its issue has not landed.  It accepts --help and says so. */
#include "cli.h"
#include "commands.h"

int
cmd_scan(int argc, char **argv)
{
	return cli_not_built("scan", "read mbox files and list their messages, dates and flags", argc, argv);
}
