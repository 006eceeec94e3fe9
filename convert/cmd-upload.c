/* cmd-upload.c -- mbox2cyrus upload: upload one user's own folders over IMAP with their password.
 * Not built yet: its issue has not landed.  It accepts --help and says so. */
#include "cli.h"
#include "commands.h"

int
cmd_upload(int argc, char **argv)
{
	return cli_not_built("upload", "upload one user's own folders over IMAP with their password", argc, argv);
}
