/* lmtp-client.c -- see lmtp-client.h. */
#include "lmtp-client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd-io.h"
#include "imap-session.h"

#define FLUSH_AT (64 * 1024)     /* queued bytes written out when passed */
#define LINE_MAX_BYTES 4096      /* a reply line longer than this is PROTOCOL */
#define REPLY_MAX_LINES 100

struct LmtpClient {
	int fd;
	char *where;
	guint timeout_ms;
	LmtpCaps caps;
	GByteArray *out;             /* queued, not yet written */
	char in[8192];
	gsize in_start, in_end;
	gboolean at_line_start;      /* the body: the next byte starts a line */
	gboolean broken;
};

void
lmtp_reply_clear(LmtpReply *reply)
{
	g_clear_pointer(&reply->text, g_free);
	reply->code = 0;
}

static gboolean
broken(LmtpClient *c, int code, GError **error, const char *format, ...) G_GNUC_PRINTF(4, 5);

static gboolean
broken(LmtpClient *c, int code, GError **error, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	g_autofree char *text = g_strdup_vprintf(format, ap);
	va_end(ap);
	c->broken = TRUE;
	g_set_error(error, M2C_IMAP_ERROR, code, "LMTP %s: %s", c->where, text);
	return FALSE;
}

static gboolean
wait_fd(LmtpClient *c, short events, GError **error)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	for (;;) {
		int r = poll(&p, 1, (int)c->timeout_ms);
		if (r > 0)
			return TRUE;
		if (r == 0)
			return broken(c, M2C_IMAP_ERROR_NETWORK, error, "no answer for %u s",
			              c->timeout_ms / 1000);
		if (errno != EINTR)
			return broken(c, M2C_IMAP_ERROR_NETWORK, error, "poll: %s", g_strerror(errno));
	}
}

static gboolean
flush(LmtpClient *c, GError **error)
{
	gsize done = 0;
	if (c->broken)
		return broken(c, M2C_IMAP_ERROR_NETWORK, error, "the connection was lost before");
	while (done < c->out->len) {
		ssize_t n = send(c->fd, c->out->data + done, c->out->len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(c, POLLOUT, error))
				return FALSE;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return broken(c, M2C_IMAP_ERROR_NETWORK, error, "write: %s",
			              n < 0 ? g_strerror(errno) : "nothing written");
		done += (gsize)n;
	}
	g_byte_array_set_size(c->out, 0);
	return TRUE;
}

static void
queue(LmtpClient *c, const char *data, gsize len)
{
	g_byte_array_append(c->out, (const guint8 *)data, (guint)len);
}

static void
queue_line(LmtpClient *c, const char *line)
{
	queue(c, line, strlen(line));
	queue(c, "\r\n", 2);
}

/* One line into `line` (without CRLF).  FALSE with an error. */
static gboolean
read_line(LmtpClient *c, GString *line, GError **error)
{
	g_string_truncate(line, 0);
	for (;;) {
		for (gsize i = c->in_start; i < c->in_end; i++) {
			if (c->in[i] == '\n') {
				g_string_append_len(line, c->in + c->in_start, (gssize)(i - c->in_start));
				c->in_start = i + 1;
				if (line->len > 0 && line->str[line->len - 1] == '\r')
					g_string_truncate(line, line->len - 1);
				return TRUE;
			}
		}
		g_string_append_len(line, c->in + c->in_start, (gssize)(c->in_end - c->in_start));
		c->in_start = c->in_end = 0;
		if (line->len > LINE_MAX_BYTES)
			return broken(c, M2C_IMAP_ERROR_PROTOCOL, error, "a reply line longer than %d bytes",
			              LINE_MAX_BYTES);
		if (!wait_fd(c, POLLIN, error))
			return FALSE;
		ssize_t n = recv(c->fd, c->in, sizeof c->in, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return broken(c, M2C_IMAP_ERROR_NETWORK, error, "%s",
			              n < 0 ? g_strerror(errno) : "the server closed the connection");
		c->in_end = (gsize)n;
	}
}

/* One reply, all its lines. */
static gboolean
read_reply(LmtpClient *c, LmtpReply *r, GError **error)
{
	g_autoptr(GString) line = g_string_new(NULL);
	g_autoptr(GString) text = g_string_new(NULL);
	lmtp_reply_clear(r);
	if (!flush(c, error))
		return FALSE;
	for (guint n = 0;; n++) {
		if (!read_line(c, line, error))
			return FALSE;
		if (line->len < 3 || !g_ascii_isdigit(line->str[0]) || !g_ascii_isdigit(line->str[1]) ||
		    !g_ascii_isdigit(line->str[2]) || (line->len > 3 && line->str[3] != ' ' && line->str[3] != '-') ||
		    n >= REPLY_MAX_LINES) {
			g_autofree char *shown = g_strndup(line->str, 80);
			return broken(c, M2C_IMAP_ERROR_PROTOCOL, error, "not an LMTP reply: \"%s\"", shown);
		}
		int code = atoi(line->str) ;
		if (n > 0 && code != r->code)
			return broken(c, M2C_IMAP_ERROR_PROTOCOL, error, "a reply whose lines disagree");
		r->code = code;
		if (text->len > 0)
			g_string_append(text, " / ");
		g_string_append(text, line->str);
		if (line->len == 3 || line->str[3] == ' ')
			break;
	}
	r->text = g_string_free(g_steal_pointer(&text), FALSE);
	return TRUE;
}

static int
connect_unix(const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK, "LMTP socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK, "cannot connect to LMTP at %s: %s",
		            path, g_strerror(e));
		return -1;
	}
	return fd;
}

static int
connect_tcp(const char *hostport, GError **error)
{
	const char *colon = strrchr(hostport, ':');
	g_autofree char *host = colon ? g_strndup(hostport, (gsize)(colon - hostport)) : NULL;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int fd = -1, r;

	if (host != NULL && host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (colon == NULL || (r = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK, "LMTP %s: %s", hostport,
		            colon == NULL ? "not unix:PATH, /PATH or HOST:PORT" : gai_strerror(r));
		return -1;
	}
	int e = 0;
	for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK, "cannot connect to LMTP at %s: %s",
		            hostport, g_strerror(e ? e : ECONNREFUSED));
	return fd;
}

static void
read_caps(LmtpClient *c, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, " / ", -1);
	for (guint i = 1; lines[i] != NULL; i++) {
		const char *kw = lines[i] + 4;
		if (g_ascii_strcasecmp(kw, "PIPELINING") == 0)
			c->caps.pipelining = TRUE;
		else if (g_ascii_strcasecmp(kw, "IGNOREQUOTA") == 0)
			c->caps.ignorequota = TRUE;
		else if (g_ascii_strncasecmp(kw, "SIZE", 4) == 0 && (kw[4] == ' ' || kw[4] == '\0'))
			c->caps.size_max = g_ascii_strtoull(kw + 4, NULL, 10);
		else if (g_ascii_strncasecmp(kw, "AUTH ", 5) == 0) {
			g_auto(GStrv) mechs = g_strsplit(kw + 5, " ", -1);
			for (guint k = 0; mechs[k] != NULL; k++)
				if (g_ascii_strcasecmp(mechs[k], "PLAIN") == 0)
					c->caps.auth_plain = TRUE;
		}
	}
}

LmtpClient *
lmtp_connect(const char *where, guint timeout_s, GError **error)
{
	const char *path = g_str_has_prefix(where, "unix:") ? where + 5 : where[0] == '/' ? where : NULL;
	int fd = path ? connect_unix(path, error) : connect_tcp(where, error);
	if (fd < 0)
		return NULL;
	LmtpClient *c = g_new0(LmtpClient, 1);
	c->fd = fd;
	c->where = g_strdup(where);
	c->timeout_ms = (timeout_s ? timeout_s : 300) * 1000;
	c->out = g_byte_array_new();
	LmtpReply r = { 0 };
	g_autofree char *host = g_strdup(g_get_host_name());
	if (!read_reply(c, &r, error))
		goto fail;
	if (r.code != 220) {
		broken(c, M2C_IMAP_ERROR_NETWORK, error, "greeting: %s", r.text);
		goto fail;
	}
	queue_line(c, "LHLO mbox2cyrus");
	if (!read_reply(c, &r, error))
		goto fail;
	if (r.code != 250) {
		broken(c, M2C_IMAP_ERROR_PROTOCOL, error, "LHLO: %s", r.text);
		goto fail;
	}
	read_caps(c, r.text);
	lmtp_reply_clear(&r);
	return c;
fail:
	lmtp_reply_clear(&r);
	c->broken = TRUE;
	lmtp_free(c);
	return NULL;
}

void
lmtp_free(LmtpClient *c)
{
	if (c == NULL)
		return;
	if (!c->broken) {
		g_byte_array_set_size(c->out, 0);
		queue_line(c, "QUIT");
		(void)flush(c, NULL);
	}
	close(c->fd);
	g_byte_array_unref(c->out);
	g_free(c->where);
	g_free(c);
}

const LmtpCaps *
lmtp_caps(const LmtpClient *c)
{
	return &c->caps;
}

gboolean
lmtp_auth_plain(LmtpClient *c, const char *authcid, const char *password, GError **error)
{
	gsize n = strlen(authcid) + strlen(password) + 2;
	g_autofree char *token = g_malloc(n);
	token[0] = '\0';
	memcpy(token + 1, authcid, strlen(authcid) + 1);
	memcpy(token + 2 + strlen(authcid), password, strlen(password));
	g_autofree char *b64 = g_base64_encode((const guchar *)token, n);
	g_autofree char *line = g_strdup_printf("AUTH PLAIN %s", b64);
	LmtpReply r = { 0 };
	memset(token, 0, n);
	queue_line(c, line);
	memset(line, 0, strlen(line));
	if (!read_reply(c, &r, error))
		return FALSE;
	gboolean ok = r.code / 100 == 2;
	if (!ok)
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH, "LMTP %s: AUTH PLAIN as %s refused: %s",
		            c->where, authcid, r.text);
	lmtp_reply_clear(&r);
	return ok;
}

void
lmtp_begin(LmtpClient *c, const char *from, const char *auth, const char *rcpt,
           gboolean ignore_quota)
{
	g_autofree char *mail = auth ? g_strdup_printf("MAIL FROM:<%s> AUTH=<%s>", from, auth)
	                             : g_strdup_printf("MAIL FROM:<%s>", from);
	g_autofree char *to = g_strdup_printf("RCPT TO:<%s>%s", rcpt, ignore_quota ? " IGNOREQUOTA" : "");
	queue_line(c, mail);
	queue_line(c, to);
	queue_line(c, "DATA");
	c->at_line_start = TRUE;
}

gboolean
lmtp_read_begin(LmtpClient *c, gboolean *go, LmtpReply *refused, GError **error)
{
	LmtpReply r = { 0 };
	*go = FALSE;
	lmtp_reply_clear(refused);
	for (int i = 0; i < 3; i++) {
		if (!read_reply(c, &r, error))
			return FALSE;
		gboolean fine = i < 2 ? r.code / 100 == 2 : r.code == 354;
		if (!fine && refused->text == NULL) {
			refused->code = r.code;
			refused->text = g_steal_pointer(&r.text);
		}
		lmtp_reply_clear(&r);
	}
	if (refused->text == NULL) {
		*go = TRUE;
		return TRUE;
	}
	/* a refused RCPT leaves MAIL open: the next MAIL would be "nested" */
	return lmtp_rset(c, error);
}

gboolean
lmtp_body_write(LmtpClient *c, const char *data, gsize len, GError **error)
{
	while (len > 0) {
		if (c->at_line_start && data[0] == '.')
			queue(c, ".", 1);
		const char *nl = memchr(data, '\n', len);
		gsize take = nl ? (gsize)(nl - data) + 1 : len;
		queue(c, data, take);
		c->at_line_start = nl != NULL;
		data += take;
		len -= take;
		if (c->out->len >= FLUSH_AT && !flush(c, error))
			return FALSE;
	}
	return TRUE;
}

void
lmtp_body_end(LmtpClient *c)
{
	queue(c, ".\r\n", 3);
}

gboolean
lmtp_read_final(LmtpClient *c, LmtpReply *reply, GError **error)
{
	return read_reply(c, reply, error);
}

gboolean
lmtp_rset(LmtpClient *c, GError **error)
{
	LmtpReply r = { 0 };
	queue_line(c, "RSET");
	if (!read_reply(c, &r, error))
		return FALSE;
	gboolean ok = r.code / 100 == 2;
	if (!ok)
		broken(c, M2C_IMAP_ERROR_PROTOCOL, error, "RSET: %s", r.text);
	lmtp_reply_clear(&r);
	return ok;
}
