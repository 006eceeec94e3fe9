/* cyrus-tools.h -- Cyrus's own command-line tools, run the way Cyrus 3.6 needs them:
 * with "-C imapd.conf" (master does not pass its -C on; DESIGN.md) and as the cyrus
 * user with its groups, never as root.
 *   mbpath       where a mailbox's files are (UUID directories: never compute them);
 *   reconstruct  index the N. files written into a mailbox directory;
 *   mbexamine    a mailbox's index as text (backout's spool source parses it:
 *                backout/mbexamine.h), streamed, never held whole.
 * Errors are G_SPAWN_ERROR (could not run) or M2C_CYRUS_TOOL_ERROR (ran and failed). */
#ifndef M2C_CYRUS_TOOLS_H
#define M2C_CYRUS_TOOLS_H

#include <sys/types.h>

#include <glib.h>

#define M2C_CYRUS_TOOL_ERROR (m2c_cyrus_tool_error_quark())
GQuark m2c_cyrus_tool_error_quark(void);

typedef enum {
	M2C_CYRUS_TOOL_ERROR_FAILED,   /* exit status not 0; the message has its output */
	M2C_CYRUS_TOOL_ERROR_OUTPUT,   /* the output was not what we asked for */
} M2cCyrusToolError;

typedef struct {
	char *bin_dir;     /* /usr/lib/cyrus/bin */
	char *conf;        /* imapd.conf */
	uid_t uid;         /* the cyrus user */
	gid_t gid;
	gid_t *groups;
	int n_groups;
} CyrusTools;

/* Fill `tools` for the Cyrus user `user` ("cyrus").  FALSE with G_IO_ERROR_NOT_FOUND
 * when the user or the tools do not exist. */
gboolean cyrus_tools_init(CyrusTools *tools, const char *bin_dir, const char *conf,
                          const char *user, GError **error);
void cyrus_tools_clear(CyrusTools *tools);

/* The directory of each mailbox in `names` (admin names), in order, new.  NULL with
 * an error naming the mailbox mbpath refused. */
char **cyrus_tools_mbpath(const CyrusTools *tools, char *const *names, GError **error);

/* reconstruct the `mailboxes` (admin names, NULL-terminated; one process for all:
 * its start-up costs more than a small mailbox).  `*output_out` (may be NULL) gets
 * what it printed, new.  FALSE when it failed. */
gboolean cyrus_tools_reconstruct(const CyrusTools *tools, const char *const *mailboxes,
                                 char **output_out, GError **error);

/* `reconstruct -u USER...`: every mailbox of each of `users` (NULL-terminated, none
 * starting with '-'), whatever the manifest says.  Cyrus 3.6 finds a named mailbox
 * by matching a pattern against every mailbox of the server (measured: 70 ms a name
 * with 30,000 mailboxes), a user's mailboxes by their prefix (1 ms a mailbox): on a
 * large site only this form keeps the cost of a user flat.  An unknown user is
 * passed over, exit status 0 (measured): the caller counts what it expects. */
gboolean cyrus_tools_reconstruct_users(const CyrusTools *tools, const char *const *users,
                                       char **output_out, GError **error);

/* What the streaming runner gives a tool's standard output to, in pieces of any
 * size, in order.  Returning FALSE (with `error` set) stops the tool (it is killed)
 * and the runner returns FALSE with that error. */
typedef gboolean (*CyrusToolSink)(const char *bytes, gsize len, gpointer data,
                                  GError **error);

/* `mbexamine -C conf MAILBOX` (`mailbox` an admin name, taken as is: the caller
 * refuses names mbexamine would read as a pattern or an option), its standard output
 * streamed through `sink`.  FALSE when it could not run, failed (FAILED, with what it
 * said on standard error) or `sink` refused.  Standard error is read once standard
 * output ends (Cyrus's tools log to syslog; what they print there is short). */
gboolean cyrus_tools_mbexamine(const CyrusTools *tools, const char *mailbox,
                               CyrusToolSink sink, gpointer data, GError **error);

#endif
