/* cmd-convert.c -- mbox2cyrus convert: move the mail named in a manifest into Cyrus (spool, lmtp, imap).
 * Not built yet: its issue has not landed.  It accepts --help and says so. */
#include "cli.h"
#include "commands.h"

int
cmd_convert(int argc, char **argv)
{
	return cli_not_built("convert", "move the mail named in a manifest into Cyrus (spool, lmtp, imap)", argc, argv);
}
