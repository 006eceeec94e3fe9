/* spool-source-probe -- drive backout's spool source (backout-source-spool.c) from
 * the end-to-end tests.
 *
 *   spool-source-probe --cyrus-conf CONF [--time] MAILBOX
 * prints
 *   mailbox<TAB>UIDVALIDITY<TAB>UIDNEXT<TAB>keywords (space-separated)
 * then one line per message, in UID order:
 *   UID<TAB>INTERNALDATE<TAB>flags<TAB>listed sha1<TAB>size<TAB>sha1 of the bytes
 *   the handler got<TAB>sha1 the source gave end()
 * or, for a message that could not be read:
 *   UID<TAB>ERROR<TAB>message
 * --time: "mailbox_open: N ms" on stderr.  Exit 0 when the listing and the fetch
 * worked (message errors included); 1 with "spool-source-probe: DOMAIN CODE: message"
 * on stderr otherwise; 64 usage. */
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "backout-source.h"

typedef struct {
	GChecksum *sha;
	guint64 bytes;
} Probe;

static gboolean
on_begin(const ImapDigest *message, gpointer data, GError **error)
{
	Probe *probe = data;
	(void)message;
	(void)error;
	g_checksum_reset(probe->sha);
	probe->bytes = 0;
	return TRUE;
}

static gboolean
on_body(const char *bytes, gsize len, gpointer data, GError **error)
{
	Probe *probe = data;
	if (len == 0 || len > BACKOUT_PIECE) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "a piece of %zu bytes", len);
		return FALSE;
	}
	g_checksum_update(probe->sha, (const guchar *)bytes, (gssize)len);
	probe->bytes += len;
	return TRUE;
}

static gboolean
on_end(const ImapDigest *m, const guint8 sha1[20], gpointer data, GError **error)
{
	Probe *probe = data;
	char listed[41], given[41];
	g_autofree char *flags = g_strjoinv(" ", m->flags);
	(void)error;
	imap_digest_hex(m->sha1, listed);
	imap_digest_hex(sha1, given);
	printf("%u\t%" G_GINT64_FORMAT "\t%s\t%s\t%" G_GUINT64_FORMAT "\t%s\t%s\n", m->uid,
	       m->internaldate, flags, listed, m->size, g_checksum_get_string(probe->sha), given);
	return TRUE;
}

static gboolean
on_error(const ImapDigest *m, const GError *why, gpointer data, GError **error)
{
	(void)data;
	(void)error;
	printf("%u\tERROR\t%s\n", m->uid, why->message);
	return TRUE;
}

static int
die(const GError *error)
{
	fprintf(stderr, "spool-source-probe: %s %d: %s\n", g_quark_to_string(error->domain),
	        error->code, error->message);
	return 1;
}

int
main(int argc, char **argv)
{
	CliServer server = { 0 };
	gboolean timed = FALSE;
	GOptionEntry entries[] = {
		{ "cyrus-conf", 0, 0, G_OPTION_ARG_FILENAME, &server.options.cyrus_conf, "imapd.conf", "FILE" },
		{ "time", 0, 0, G_OPTION_ARG_NONE, &timed, "time mailbox_open", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("MAILBOX");
	g_autoptr(GError) error = NULL;
	BackoutSourceUser *user;
	BackoutMailbox mailbox = { 0 };
	BackoutBodyHandler handler = { on_begin, on_body, on_end, on_error };
	Probe probe = { g_checksum_new(G_CHECKSUM_SHA1), 0 };
	int status = 0;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 2) {
		fprintf(stderr, "spool-source-probe: %s\n", error ? error->message : "one MAILBOX");
		return 64;
	}
	BackoutSourceSettings settings = { .server = &server };
	user = backout_source_spool.user_open(&settings, "probe", &error);
	if (user == NULL)
		return die(error);
	gint64 start = g_get_monotonic_time();
	if (!backout_source_spool.mailbox_open(user, argv[1], NULL, &mailbox, &error)) {
		status = die(error);
	} else {
		g_autofree char *keywords = g_strjoinv(" ", mailbox.keywords);
		if (timed)
			fprintf(stderr, "mailbox_open: %.1f ms\n", (double)(g_get_monotonic_time() - start) / 1000);
		printf("mailbox\t%u\t%u\t%s\n", mailbox.uidvalidity, mailbox.uidnext, keywords);
		if (!backout_source_spool.fetch(user, (const ImapDigest *const *)mailbox.messages->pdata,
		                                mailbox.messages->len, &handler, &probe, &error))
			status = die(error);
	}
	backout_mailbox_clear(&mailbox);
	backout_source_spool.user_close(user);
	g_checksum_free(probe.sha);
	g_free(server.options.cyrus_conf);
	return status;
}
