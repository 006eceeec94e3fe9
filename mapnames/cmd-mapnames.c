/* cmd-mapnames.c -- mbox2cyrus mapnames: find users' mbox folders, map them to Cyrus names, write the manifest.
 * Not built yet: its issue has not landed.  It accepts --help and says so. */
#include "cli.h"
#include "commands.h"

int
cmd_mapnames(int argc, char **argv)
{
	return cli_not_built("mapnames", "find users' mbox folders, map them to Cyrus names, write the manifest", argc, argv);
}
