/* imap-probe -- drive lib/imap-session.c from the end-to-end tests.
 *
 *   imap-probe CONN create MAILBOX                  admin login, CREATE
 *   imap-probe CONN append USER MAILBOX FILE [--flags "F ..."] [--date ISO8601]
 *        login as USER through the admin, APPEND FILE, then SELECT and UID FETCH
 *        what was appended; print uid=, flags=, date=, size= and write the
 *        fetched bytes to --out FILE
 *   imap-probe CONN login USER PASSWORD             plain LOGIN
 *   imap-probe CONN hello                           admin login, nothing else
 * CONN is --port P [--host H] --admin A --password-file F, and how to connect:
 * [--tls none|starttls|imaps] [--ca-file F] [--insecure] [--compress].
 * After a login every action prints "security=" (imap_session_describe) and, when
 * compression is on, "plain_out= wire_out= plain_in= wire_in=" (at the end).
 * Exit 0 when every step worked; 1 with "imap-probe: CODE: message" on stderr,
 * CODE being the M2cImapError name, so the tests can check classification and text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap-session.h"

static const char *
code_name(const GError *error)
{
	static const char *const names[] = { "NETWORK", "PROTOCOL", "AUTH", "NO", "BAD",
	                                     "OVERQUOTA", "TRYCREATE", "TOOBIG", "TLS" };
	if (error->domain == M2C_IMAP_ERROR && error->code >= 0 &&
	    (gsize)error->code < G_N_ELEMENTS(names))
		return names[error->code];
	return "OTHER";
}

static int
die(const GError *error)
{
	fprintf(stderr, "imap-probe: %s: %s\n", code_name(error), error->message);
	return 1;
}

/* What the session is, once logged in: for the tests' checks. */
static void
print_security(ImapSession *session)
{
	g_autofree char *how = imap_session_describe(session);
	ImapCompressStats stats;

	printf("security=%s\n", how);
	printf("tls=%s\nverified=%d\ncompress=%s\n", imap_tls_name(imap_session_get_tls(session)),
	       imap_session_is_verified(session),
	       imap_session_get_compress(session) == IMAP_COMPRESS_ON ? "on"
	       : imap_session_get_compress(session) == IMAP_COMPRESS_NOT_OFFERED ? "not-offered" : "off");
	if (imap_session_compress_stats(session, &stats))
		printf("plain_out=%" G_GUINT64_FORMAT "\nwire_out=%" G_GUINT64_FORMAT "\n"
		       "plain_in=%" G_GUINT64_FORMAT "\nwire_in=%" G_GUINT64_FORMAT "\n",
		       stats.plain_out, stats.wire_out, stats.plain_in, stats.wire_in);
}

int
main(int argc, char **argv)
{
	g_autofree char *host = NULL, *admin = NULL, *password_file = NULL;
	g_autofree char *flags_text = NULL, *date_text = NULL, *out_file = NULL;
	g_autofree char *password = NULL, *tls = NULL, *ca_file = NULL;
	gboolean insecure = FALSE, compress = FALSE;
	ImapEndpoint ep = { .timeout_s = 30 };
	int port = 0;
	GOptionEntry entries[] = {
		{ "host", 0, 0, G_OPTION_ARG_STRING, &host, "server", "HOST" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &port, "port", "PORT" },
		{ "admin", 0, 0, G_OPTION_ARG_STRING, &admin, "admin user", "NAME" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "admin password", "FILE" },
		{ "flags", 0, 0, G_OPTION_ARG_STRING, &flags_text, "flags to APPEND", "LIST" },
		{ "date", 0, 0, G_OPTION_ARG_STRING, &date_text, "internal date, ISO 8601", "DATE" },
		{ "out", 0, 0, G_OPTION_ARG_FILENAME, &out_file, "fetched bytes go here", "FILE" },
		{ "tls", 0, 0, G_OPTION_ARG_STRING, &tls, "none, starttls, imaps", "HOW" },
		{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "CAs to trust", "FILE" },
		{ "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure, "no certificate check", NULL },
		{ "compress", 0, 0, G_OPTION_ARG_NONE, &compress, "COMPRESS=DEFLATE", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("create|append|login|hello ...");
	g_autoptr(GError) error = NULL;
	g_autoptr(ImapSession) session = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc < 2) {
		fprintf(stderr, "imap-probe: %s\n", error ? error->message : "no action");
		return 64;
	}
	if (password_file != NULL) {
		if (!g_file_get_contents(password_file, &password, NULL, &error))
			return die(error);
		g_strchomp(password);
	}
	if (tls != NULL && !imap_tls_from_name(tls, &ep.tls)) {
		fprintf(stderr, "imap-probe: bad --tls '%s'\n", tls);
		return 64;
	}
	ep.host = host != NULL ? host : "127.0.0.1";   /* GOption overwrites, never frees */
	ep.port = (guint16)port;
	ep.ca_file = ca_file;
	ep.insecure = insecure;
	ep.compress = compress;
	session = imap_session_open(&ep, &error);
	if (session == NULL)
		return die(error);

	if (strcmp(argv[1], "create") == 0 && argc == 3) {
		if (!imap_session_login(session, admin, password, &error) ||
		    !imap_session_create(session, argv[2], &error))
			return die(error);
		printf("created %s\n", argv[2]);
		print_security(session);
		return 0;
	}
	if (strcmp(argv[1], "hello") == 0 && argc == 2) {
		if (!imap_session_login(session, admin, password, &error))
			return die(error);
		print_security(session);
		return 0;
	}
	if (strcmp(argv[1], "login") == 0 && argc == 4) {
		if (!imap_session_login(session, argv[2], argv[3], &error))
			return die(error);
		printf("logged in as %s\n", argv[2]);
		print_security(session);
		return 0;
	}
	if (strcmp(argv[1], "append") == 0 && argc == 5) {
		g_autofree char *message = NULL;
		gsize len = 0;
		g_auto(GStrv) flags = NULL;
		g_autoptr(GDateTime) date = NULL;
		g_autoptr(ImapMessage) fetched = NULL;
		g_autoptr(GString) flag_line = g_string_new(NULL);
		g_autofree char *date_iso = NULL;
		guint32 uid = 0, exists = 0;

		if (!g_file_get_contents(argv[4], &message, &len, &error))
			return die(error);
		if (flags_text != NULL)
			flags = g_strsplit(flags_text, " ", -1);
		if (date_text != NULL && (date = g_date_time_new_from_iso8601(date_text, NULL)) == NULL) {
			fprintf(stderr, "imap-probe: bad --date '%s'\n", date_text);
			return 64;
		}
		if (!imap_session_login_as(session, argv[2], admin, password, &error) ||
		    !imap_session_append(session, argv[3], (const char *const *)flags, date,
		                         message, len, &uid, &error) ||
		    !imap_session_select(session, argv[3], TRUE, &exists, NULL, &error) ||
		    (fetched = imap_session_fetch_uid(session, uid, &error)) == NULL)
			return die(error);
		for (char **f = fetched->flags; *f != NULL; f++)
			g_string_append_printf(flag_line, "%s%s", flag_line->len ? " " : "", *f);
		date_iso = g_date_time_format(fetched->internaldate, "%Y-%m-%dT%H:%M:%S%:z");
		printf("uid=%u\nexists=%u\nflags=%s\ndate=%s\nsize=%zu\n", uid, exists,
		       flag_line->str, date_iso, g_bytes_get_size(fetched->body));
		if (out_file != NULL &&
		    !g_file_set_contents(out_file, g_bytes_get_data(fetched->body, NULL),
		                         (gssize)g_bytes_get_size(fetched->body), &error))
			return die(error);
		print_security(session);
		return 0;
	}
	fprintf(stderr, "imap-probe: unknown action or wrong arguments\n");
	return 64;
}
