/* commands.h -- the subcommands of mbox2cyrus, one cmd-*.c file each.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the subcommand's
 * name) and returns the process exit status (sysexits.h, see lib/report.h).
 */
#ifndef M2C_COMMANDS_H
#define M2C_COMMANDS_H

int cmd_mapnames(int argc, char **argv);   /* mapnames/cmd-mapnames.c */
int cmd_scan(int argc, char **argv);       /* mapnames/cmd-scan.c */
int cmd_forwards(int argc, char **argv);   /* mapnames/cmd-forwards.c */
int cmd_convert(int argc, char **argv);    /* convert/cmd-convert.c */
int cmd_upload(int argc, char **argv);     /* convert/cmd-upload.c */
int cmd_backout(int argc, char **argv);    /* backout/cmd-backout.c */
int cmd_verify(int argc, char **argv);     /* backout/cmd-verify.c */

#endif
