/* cli-server.h -- the command line of a subcommand that reads a manifest and talks to
 * Cyrus (convert, verify; backout next): the options they share, what they resolve to,
 * and loading the manifest checked at the boundary.  Written once so that the same
 * option means the same thing, and fails the same way, in every stage.
 *
 *   --manifest FILE  --cyrus-conf FILE  --host H  --port P  --admin NAME
 *   --password-file F  --jobs N  --report FILE  --source-tz TZ  --from-quoting Q
 *   --user U (repeatable)  --verbose
 *   --tls none|starttls|imaps  --ca-file FILE  --insecure  --compress
 *
 * The connection: --tls defaults to none when --host is the loopback (127.0.0.1, ::1,
 * localhost: nothing leaves the host) and to starttls otherwise; --port to 993 with
 * imaps, else 143.  The certificate is verified against the system's CAs, or those of
 * --ca-file; --insecure skips that (one warning).  --compress asks for COMPRESS=DEFLATE
 * (for a WAN; on the loopback it only costs CPU).
 *
 * Exit statuses (sysexits.h, as report.h): 64 usage, 65 a bad manifest (FILE:LINE),
 * 66 no manifest, 78 configuration (imapd.conf, password file, a manifest made for
 * the other separator, a CA file without certificates, a certificate that does not
 * verify, no STARTTLS).
 */
#ifndef M2C_CLI_SERVER_H
#define M2C_CLI_SERVER_H

#include <glib.h>

#include "imap-session.h"
#include "mailbox-name.h"
#include "manifest.h"
#include "mbox-reader.h"
#include "message-fix.h"
#include "report.h"
#include "shard.h"

/* What the options say, as given (GOption fills it; free with cli_server_clear). */
typedef struct {
	char *manifest;
	char *cyrus_conf;
	char *host;
	int port;
	char *admin;
	char *password_file;
	int jobs;
	char *report;
	char *source_tz;
	char *from_quoting;
	char *header_charset;   /* raw 8-bit headers (message-fix.h), as convert --method imap read them */
	char **only_users;
	gboolean verbose;
	char *tls;
	char *ca_file;
	gboolean insecure;
	gboolean compress;
	char *convert_state;    /* verify, backout: convert's --state (cli_server_add_convert_state) */
	char *shard;            /* --shard K/N */
	char *server;           /* --server NAME: only the users the manifest sends there */
} CliServerOptions;

/* What they resolve to.  Owned by the struct; cli_server_clear() frees it. */
typedef struct {
	CliServerOptions options;
	const char *host;            /* default 127.0.0.1 */
	guint16 port;                /* default 143 */
	const char *admin;           /* default cyrus */
	char *password;              /* the admin's, from --password-file */
	guint timeout;               /* seconds, for every network wait */
	MailboxNaming naming;        /* from imapd.conf */
	gboolean altnamespace;
	MboxReaderSettings reader;   /* --source-tz, --from-quoting */
	MessageFixSettings fix;      /* --header-charset: how convert --method imap stores a
	                              * message (verify and backout match it so too) */
	ImapEndpoint endpoint;       /* host, port, timeout, --tls, --ca-file, --insecure,
	                              * --compress: what every session opens
	                              * (imap_session_open(&server->endpoint, ...)) */
	TlsTrust *trust;             /* the CAs endpoint.trust points to (NULL without TLS
	                              * or with --insecure) */
	Shard shard;                 /* --shard K/N (n == 0: every user) */
	guchar lmtp_secret[32];      /* convert's STATE/lmtp.secret (lmtp-trace.h), when */
	gboolean has_lmtp_secret;    /* it is there: delivery headers are checked by it */
} CliServer;

/* Add the shared options, filling `server->options`, to `context`'s main group.
 * `manifest_help` and `verbose_help` say what they mean for this subcommand. */
void cli_server_add_entries(GOptionContext *context, CliServer *server,
                            const char *manifest_help, const char *verbose_help);

/* Check and resolve the options: imapd.conf read (naming, altnamespace), the reader's
 * settings, the endpoint (the CAs to trust loaded once for all sessions; with
 * --insecure the warning "certificate of HOST not verified (--insecure)").  Problems
 * are printed (usage through cli.h, the others through `report`).  Returns 0, or the
 * exit status. */
int cli_server_configure(CliServer *server, const char *prog, Report *report);

/* The endpoint from --host (server->host, set), --port, --tls, --ca-file, --insecure,
 * --compress: for a command that fills CliServer itself (upload).  TLS by default
 * unless the host is the loopback and not `tls_always`.  Returns 0, or the exit
 * status (64, 78). */
int cli_server_configure_endpoint(CliServer *server, const char *prog, gboolean tls_always,
                                  Report *report);

/* `rows` (the manifest's) grouped by user, as manifest_group_by_user(), of the users
 * --user names (all without it), in --shard's slice, and whose rows' server column
 * says --server (when given): a new array of ManifestUser. */
GPtrArray *cli_server_users(const CliServer *server, GPtrArray *rows);

/* verify, backout: add --convert-state DIR (default MANIFEST.state), where convert
 * --method lmtp keeps the secret of its delivery headers' keys; cli_server_configure()
 * then reads it (none there: no delivery header is taken for convert's). */
void cli_server_add_convert_state(GOptionContext *context, CliServer *server);

/* Read the admin's password from --password-file (after cli_server_configure; a dry
 * run needs none).  Returns 0, or the exit status (64, 78). */
int cli_server_read_password(CliServer *server, const char *prog, Report *report);

/* Before any user's work, when sessions are to use TLS or compression: open one
 * session to the endpoint and learn what every session will meet, once for the run.
 * A certificate that does not verify, a server without STARTTLS, a failed handshake
 * (M2C_IMAP_ERROR_TLS) -- and, with --compress, the admin's login refused -- are
 * configuration errors of the whole run: reported ("the run stops: ..."), and 78
 * returned with nothing done.  With --compress the admin logs in (after the password
 * is read), for COMPRESS=DEFLATE is advertised only to an authenticated client on
 * some servers; a server that does not offer it is one warning, and the run goes on
 * uncompressed.  What the connection is ("STARTTLS, certificate verified, ...") is an
 * INFO line (--verbose).  Without --tls and --compress nothing is done.  A server
 * that cannot be reached is left to the stages (they report it per user, as without
 * TLS): 0. */
int cli_server_check_connection(CliServer *server, Report *report);

/* Read and validate the manifest (manifest_load) into `*rows_out` and `settings`.
 * Returns 0, or the exit status after printing through `report`: 66 no manifest,
 * 78 another separator, 65 anything else (FILE:LINE). */
int cli_server_load_manifest(CliServer *server, Report *report, ManifestSettings *settings,
                             GPtrArray **rows_out);

void cli_server_clear(CliServer *server);

#endif
