/* backout-source-spool.c -- the spool source (backout-source.h): imapd may be down,
 * the spool and the databases are what is read.
 *
 *   mailbox_open  `mbexamine -C imapd.conf MAILBOX` as the cyrus user, its output
 *                 parsed as it streams (mbexamine.h): the messages (UID, INT_DATE,
 *                 flags, SIZE, GUID), the "User Flags", the directory;
 *   fetch         each message's file, DIR/UID., opened O_NOFOLLOW and read in pieces
 *                 of BACKOUT_PIECE, hashed (SHA-1) as the pieces go to the handler.
 * A file that is missing, not a regular file, or unreadable is that message's error
 * (handler->error); the next message goes on.  A message marked archived lives in
 * the archive partition, which mbexamine does not name: its error says so. */
#include "backout-source.h"
#include "cyrus-tools.h"
#include "failure.h"
#include "mbexamine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <openssl/evp.h>

/* Where Debian's cyrus-common puts the tools, when --cyrus-bin is not given. */
#define SPOOL_CYRUS_BIN "/usr/lib/cyrus/bin"
#define SPOOL_CYRUS_USER "cyrus"

struct BackoutSourceUser {
	CyrusTools tools;
	char *user;
	char *mailbox;     /* the last mailbox_open's admin name */
	char *dir;         /* its directory */
	GArray *archived;  /* its archived UIDs (guint32, ascending) */
};

static void
spool_user_close(BackoutSourceUser *source)
{
	if (source == NULL)
		return;
	cyrus_tools_clear(&source->tools);
	g_free(source->user);
	g_free(source->mailbox);
	g_free(source->dir);
	if (source->archived != NULL)
		g_array_unref(source->archived);
	g_free(source);
}

static BackoutSourceUser *
spool_user_open(const BackoutSourceSettings *settings, const char *user, GError **error)
{
	const CliServer *server = settings->server;
	BackoutSourceUser *source;

	if (server->options.cyrus_conf == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "the spool source needs --cyrus-conf (the server's imapd.conf)");
		return NULL;
	}
	source = g_new0(BackoutSourceUser, 1);
	if (!cyrus_tools_init(&source->tools, settings->cyrus_bin ? settings->cyrus_bin : SPOOL_CYRUS_BIN,
	                      server->options.cyrus_conf,
	                      settings->cyrus_user ? settings->cyrus_user : SPOOL_CYRUS_USER, error)) {
		spool_user_close(source);
		return NULL;
	}
	source->user = g_strdup(user);
	return source;
}

static gboolean
feed_parser(const char *bytes, gsize len, gpointer data, GError **error)
{
	return mbexamine_parser_feed(data, bytes, len, error);
}

static gboolean
spool_mailbox_open(BackoutSourceUser *source, const char *admin_name, const char *user_name,
                   BackoutMailbox *out, GError **error)
{
	g_autoptr(MbExamineParser) parser = NULL;
	MbExamineMailbox listed;

	(void)user_name;
	memset(out, 0, sizeof *out);
	/* mbexamine takes its argument as a pattern, and a leading '-' as an option */
	if (*admin_name == '\0' || *admin_name == '-' || strpbrk(admin_name, "*%\n") != NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "mailbox \"%s\": a name mbexamine would not take as it is", admin_name);
		return FALSE;
	}
	parser = mbexamine_parser_new(admin_name);
	if (!cyrus_tools_mbexamine(&source->tools, admin_name, feed_parser, parser, error) ||
	    !mbexamine_parser_finish(parser, &listed, error))
		return FALSE;
	if (listed.last_uid == G_MAXUINT32) {
		g_set_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT,
		            "mailbox \"%s\": last UID %u leaves no next UID", admin_name, listed.last_uid);
		mbexamine_mailbox_clear(&listed);
		return FALSE;
	}
	g_free(source->mailbox);
	source->mailbox = g_strdup(admin_name);
	g_free(source->dir);
	source->dir = g_steal_pointer(&listed.path);
	if (source->archived != NULL)
		g_array_unref(source->archived);
	source->archived = g_steal_pointer(&listed.archived);
	out->uidvalidity = listed.uidvalidity;
	out->uidnext = listed.last_uid + 1;
	out->messages = g_steal_pointer(&listed.messages);
	out->keywords = g_steal_pointer(&listed.user_flags);
	mbexamine_mailbox_clear(&listed);
	return TRUE;
}

static int
compare_uid(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
	return x < y ? -1 : x > y;
}

static gboolean
is_archived(const BackoutSourceUser *source, guint32 uid)
{
	return source->archived != NULL && source->archived->len > 0 &&
	       bsearch(&uid, source->archived->data, source->archived->len, sizeof(guint32),
	               compare_uid) != NULL;
}

/* Open DIR/UID. for reading: a regular file, no symbolic link followed. */
static int
open_message(const char *path, GError **error)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		failure_set_errno(error, errno, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		failure_set_errno(error, errno, "%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* One message through `handler`: begin, body pieces, then end or error.  FALSE only
 * when a callback refused (its error in `error`). */
static gboolean
fetch_one(BackoutSourceUser *source, const ImapDigest *message, char *buf, EVP_MD_CTX *sha,
          const BackoutBodyHandler *handler, gpointer data, GError **error)
{
	g_autofree char *path = g_strdup_printf("%s/%u.", source->dir, message->uid);
	g_autoptr(GError) why = NULL;
	guint8 sha1[20];
	unsigned int n = 0;
	int fd;

	if (!handler->begin(message, data, error))
		return FALSE;
	if (is_archived(source, message->uid)) {
		g_set_error(&why, G_FILE_ERROR, G_FILE_ERROR_NOENT, "mailbox \"%s\": UID %u is in the "
		            "archive partition, which the spool source does not read", source->mailbox,
		            message->uid);
		return handler->error(message, why, data, error);
	}
	fd = open_message(path, &why);
	if (fd < 0)
		return handler->error(message, why, data, error);
	if (EVP_DigestInit_ex(sha, EVP_sha1(), NULL) != 1) {
		close(fd);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "SHA-1 unavailable (OpenSSL)");
		return FALSE;
	}
	for (;;) {
		ssize_t got = read(fd, buf, BACKOUT_PIECE);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			failure_set_errno(&why, errno, "%s", path);
			close(fd);
			return handler->error(message, why, data, error);
		}
		if (got == 0)
			break;
		EVP_DigestUpdate(sha, buf, (size_t)got);
		if (!handler->body(buf, (gsize)got, data, error)) {
			close(fd);
			return FALSE;
		}
	}
	close(fd);
	EVP_DigestFinal_ex(sha, sha1, &n);
	return handler->end(message, sha1, data, error);
}

static gboolean
spool_fetch(BackoutSourceUser *source, const ImapDigest *const *messages, guint n,
            const BackoutBodyHandler *handler, gpointer data, GError **error)
{
	g_autofree char *buf = NULL;
	EVP_MD_CTX *sha;
	gboolean ok = TRUE;

	g_return_val_if_fail(source->dir != NULL, FALSE);   /* mailbox_open first */
	for (guint i = 1; i < n; i++)   /* ascending, as the listing gave them */
		g_return_val_if_fail(messages[i]->uid > messages[i - 1]->uid, FALSE);
	if (n == 0)
		return TRUE;
	buf = g_malloc(BACKOUT_PIECE);
	sha = EVP_MD_CTX_new();
	if (sha == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no memory for SHA-1 (OpenSSL)");
		return FALSE;
	}
	for (guint i = 0; i < n && ok; i++)
		ok = fetch_one(source, messages[i], buf, sha, handler, data, error);
	EVP_MD_CTX_free(sha);
	return ok;
}

/* Does the header block in `head` (`len` bytes) have a line starting with the
 * delivery header's field name (any case)? */
static gboolean
head_has_field(const char *head, gsize len)
{
	static const char field[] = "X-DeliveredInternalDate:";
	for (gsize at = 0; at < len;) {
		const char *lf = memchr(head + at, '\n', len - at);
		gsize end = lf ? (gsize)(lf - head) : len;
		if (end == at || (end == at + 1 && head[at] == '\r'))
			return FALSE;    /* the empty line: the header's end */
		if (end - at >= sizeof field - 1 && g_ascii_strncasecmp(head + at, field, sizeof field - 1) == 0)
			return TRUE;
		at = end + 1;
	}
	return FALSE;
}

static gboolean
spool_delivered(BackoutSourceUser *source, const BackoutMailbox *listed, GArray **uids_out,
                GError **error)
{
	g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_autofree char *head = g_malloc(SPOOL_DELIVERED_HEAD);

	(void)error;
	for (guint i = 0; listed->messages != NULL && i < listed->messages->len; i++) {
		const ImapDigest *m = g_ptr_array_index(listed->messages, i);
		g_autofree char *path = g_strdup_printf("%s/%u.", source->dir, m->uid);
		int fd = is_archived(source, m->uid) ? -1 : open_message(path, NULL);
		ssize_t got = 0;
		if (fd < 0)
			continue;    /* its error comes when it is fetched */
		gsize have = 0;
		while (have < SPOOL_DELIVERED_HEAD &&
		       ((got = read(fd, head + have, SPOOL_DELIVERED_HEAD - have)) > 0 || (got < 0 && errno == EINTR)))
			have += got > 0 ? (gsize)got : 0;
		close(fd);
		if (head_has_field(head, have))
			g_array_append_val(uids, m->uid);
	}
	*uids_out = g_steal_pointer(&uids);
	return TRUE;
}

const BackoutSource backout_source_spool = {
	.name = "spool",
	.user_open = spool_user_open,
	.user_close = spool_user_close,
	.mailbox_open = spool_mailbox_open,
	.fetch = spool_fetch,
	.delivered = spool_delivered,
};
