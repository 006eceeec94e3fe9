/* imap-connect.c -- opening a session: plain, STARTTLS or imaps, the certificate
 * verified, and COMPRESS=DEFLATE after login.  See imap-session.h.
 *
 * The order of operations (imap_session_open, then a login function):
 *   1. TCP connect (GIO; TCP_NODELAY), with imaps the TLS handshake at once (libetpan;
 *      SNI = the host); the greeting;
 *   2. STARTTLS only: the capabilities (the greeting's, else CAPABILITY) must list
 *      STARTTLS, else stop; STARTTLS, the handshake;
 *   3. the chain the server sent, verified by tls-verify.c -- libetpan's GnuTLS
 *      build completes any handshake without looking at the certificate (DESIGN.md);
 *   4. STARTTLS only: CAPABILITY again, the plain-text answer being void (RFC 3501
 *      §6.2.1: it may have been tampered with);
 *   5. after LOGIN / AUTHENTICATE: CAPABILITY, and COMPRESS DEFLATE when listed
 *      (RFC 4978 allows it only once authenticated; libetpan's own mailimap_compress()
 *      cannot work in Debian's build: imap-compress.h).
 * A failure in 1-4 closes the connection without LOGOUT: nothing more is said to a
 * server we have not verified.
 */
#include "imap-session.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "etpan-auto.h"
#include "imap-compress.h"
#include "imap-session-private.h"

static const char *const tls_names[] = { "none", "starttls", "imaps" };

const char *
imap_tls_name(ImapTls tls)
{
	g_assert((gsize)tls < G_N_ELEMENTS(tls_names));
	return tls_names[tls];
}

gboolean
imap_tls_from_name(const char *name, ImapTls *tls_out)
{
	for (gsize i = 0; i < G_N_ELEMENTS(tls_names); i++)
		if (strcmp(name, tls_names[i]) == 0) {
			*tls_out = (ImapTls)i;
			return TRUE;
		}
	return FALSE;
}

/* libetpan calls this before its handshake: SNI, for servers with a certificate per
 * name.  Never for an IP literal (RFC 6066 §3). */
static void
set_server_name(struct mailstream_ssl_context *context, void *host)
{
	(void)mailstream_ssl_set_server_name(context, host);
}

/* TCP_QUICKACK on `fd`: see imap_session_ack_at_once() below, and TLS 1.3: the server
 * sends its session tickets (two records, Cyrus 3.6) in writes of their own right
 * after the handshake, and then its next answer -- the imaps greeting, the answer to
 * the CAPABILITY after STARTTLS -- waited 40 ms under Nagle for our delayed ACK of
 * them: 58 ms an imaps session against 10 with this, 54 ms a STARTTLS one against 17
 * (imap-probe's whole run, on the loopback; python's imaplib shows the same 40 ms). */
static void
ack_at_once(int fd)
{
#ifdef TCP_QUICKACK
	int one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
	(void)fd;
#endif
}

/* GnuTLS's handshake in libetpan loops on GNUTLS_E_AGAIN: on a non-blocking socket
 * (libetpan's own connect leaves it so, and so does GIO's) it spins a core for the
 * whole round trip.  Blocking, it waits in the kernel, under gnutls's handshake
 * timeout (which libetpan sets); libetpan makes the socket non-blocking again after
 * the handshake (mailstream_ssl.c, mailstream_prepare_fd). */
static void
block_for_handshake(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

/* Close a session that failed before it was ready: no LOGOUT. */
static void
abandon(ImapSession *session)
{
	session->broken = TRUE;
	imap_session_free(session);
}

/* Step 1's TCP connection: ours, not libetpan's (mail_tcp_connect has no installed
 * header), because TCP_NODELAY must be set before an imaps handshake: GnuTLS sends
 * its last flight in two writes, and Nagle held the second one back until the
 * server's delayed ACK -- 40-50 ms more for each imaps session (measured: 117 ms a
 * session against 67 for STARTTLS, whose handshake came after our setsockopt).
 * Returns a non-blocking descriptor, as libetpan's connect gives it, or -1 with
 * NETWORK. */
static int
tcp_connect(const ImapEndpoint *ep, guint16 port, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnectable) address = g_network_address_new(ep->host, port);
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GError) local = NULL;
	int fd, one = 1;

	g_socket_client_set_timeout(client, ep->timeout_s > 0 ? ep->timeout_s : 300);
	connection = g_socket_client_connect(client, address, NULL, &local);
	if (connection == NULL) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK,
		            "cannot connect to IMAP server %s port %u: %s", ep->host, port,
		            local->message);
		return -1;
	}
	/* the GSocket closes its own descriptor when it goes: keep a duplicate, not
	 * inherited by Cyrus's tools that convert runs */
	fd = fcntl(g_socket_get_fd(g_socket_connection_get_socket(connection)), F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK,
		            "cannot connect to IMAP server %s port %u: %s", ep->host, port,
		            g_strerror(errno));
		return -1;
	}
	/* DESIGN.md: 23 msgs/s without TCP_NODELAY, 1,190 with it (literal after command) */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Step 1: connected, in TLS from the start with imaps, the greeting read.  FALSE with
 * NETWORK or TLS, `imap` closed. */
static gboolean
connect_stream(mailimap *imap, const ImapEndpoint *ep, guint16 port, GError **error)
{
	gboolean ip = tls_host_is_ip_literal(ep->host);
	mailstream *stream;
	int fd = tcp_connect(ep, port, error), r;

	if (fd < 0)
		return FALSE;
	if (ep->tls == IMAP_TLS_IMAPS) {
		block_for_handshake(fd);
		stream = mailstream_ssl_open_with_callback_timeout(fd, imap->imap_timeout,
		                                                    ip ? NULL : set_server_name,
		                                                    ip ? NULL : (void *)ep->host);
	} else {
		stream = mailstream_socket_open_timeout(fd, imap->imap_timeout);
	}
	if (stream == NULL) {
		close(fd);
		if (ep->tls == IMAP_TLS_IMAPS)
			/* libetpan also prints GnuTLS's reason on stderr ("GnuTLS error: ...") */
			g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS,
			            "TLS handshake with IMAP server %s port %u failed (is it an imaps "
			            "port? --tls starttls is for port 143)", ep->host, port);
		else
			g_error("out of memory");
		return FALSE;
	}
	ack_at_once(fd);   /* imaps: the tickets, then the greeting */
	r = mailimap_connect(imap, stream);   /* the stream is imap's now */
	if (r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED || r == MAILIMAP_NO_ERROR_AUTHENTICATED)
		return TRUE;
	/* closed here: mailimap_free() would send LOGOUT on it and wait for an answer */
	if (imap->imap_stream != NULL) {
		mailstream_close(imap->imap_stream);
		imap->imap_stream = NULL;
	}
	g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK,
	            "no IMAP greeting from %s port %u (libetpan error %d)", ep->host, port, r);
	return FALSE;
}

/* Step 2.  FALSE with TLS when the server does not offer STARTTLS or refuses it. */
static gboolean
start_tls(ImapSession *session, guint16 port, GError **error)
{
	mailimap *imap = session->imap;
	gboolean ip = tls_host_is_ip_literal(session->host);
	int r;

	/* libetpan keeps the capabilities of any answer, the greeting's included */
	if ((imap->imap_connection_info == NULL || imap->imap_connection_info->imap_capability == NULL) &&
	    !imap_session_command(session, "CAPABILITY", error))
		return FALSE;
	if (!mailimap_has_extension(imap, "STARTTLS")) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS,
		            "IMAP server %s port %u does not offer STARTTLS: not going on in plain "
		            "text (--tls imaps for its imaps port, or --tls none)", session->host, port);
		return FALSE;
	}
	block_for_handshake(mailstream_low_get_fd(mailstream_get_low(imap->imap_stream)));
	r = mailimap_socket_starttls_with_callback(imap, ip ? NULL : set_server_name,
	                                           ip ? NULL : session->host);
	if (r == MAILIMAP_NO_ERROR)
		return TRUE;
	if (r == MAILIMAP_ERROR_STREAM)
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS,
		            "TLS handshake with IMAP server %s port %u failed after STARTTLS",
		            session->host, port);
	else
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS,
		            "STARTTLS refused by IMAP server %s port %u: %s", session->host, port,
		            imap->imap_response ? imap->imap_response : "(no text)");
	return FALSE;
}

/* Step 3.  The chain as libetpan hands it over: an array of MMAPString, DER, the
 * server's certificate first (its GnuTLS build fills it from
 * gnutls_certificate_get_peers(): every certificate the server sent, in its order). */
static gboolean
verify_peer(ImapSession *session, const ImapEndpoint *ep, GError **error)
{
	g_autoptr(TlsTrust) own_trust = NULL;
	TlsTrust *trust = ep->trust;
	g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GError) local = NULL;
	carray *certs;

	if (trust == NULL && (trust = own_trust = tls_trust_new(ep->ca_file, &local)) == NULL) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS,
		            "cannot check the certificate of %s: %s", ep->host, local->message);
		return FALSE;
	}
	certs = mailstream_get_certificate_chain(session->imap->imap_stream);
	for (unsigned int i = 0; certs != NULL && i < carray_count(certs); i++) {
		MMAPString *der = carray_get(certs, i);
		g_ptr_array_add(chain, g_bytes_new(der->str, der->len));
	}
	if (certs != NULL)
		mailstream_certificate_chain_free(certs);
	if (tls_trust_verify(trust, (GBytes *const *)chain->pdata, chain->len, ep->host, &local))
		return TRUE;
	g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_TLS,
	            "%s; trust its CA with --ca-file FILE, or skip the check with --insecure",
	            local->message);
	return FALSE;
}

ImapSession *
imap_session_open(const ImapEndpoint *ep, GError **error)
{
	g_autoptr(mailimap) imap = mailimap_new(0, NULL);
	guint16 port = ep->port ? ep->port : ep->tls == IMAP_TLS_IMAPS ? 993 : 143;
	ImapSession *session;

	if (imap == NULL)
		g_error("out of memory");
	/* before connect: the handshake and the greeting are waited for under it too */
	if (ep->timeout_s > 0)
		mailimap_set_timeout(imap, ep->timeout_s);
	if (!connect_stream(imap, ep, port, error))
		return NULL;

	session = g_new0(ImapSession, 1);
	session->imap = g_steal_pointer(&imap);
	session->host = g_strdup(ep->host);
	session->tls = ep->tls;
	session->want_compress = ep->compress;
	if (ep->tls == IMAP_TLS_STARTTLS && !start_tls(session, port, error)) {
		abandon(session);
		return NULL;
	}
	if (ep->tls != IMAP_TLS_NONE && !ep->insecure) {
		if (!verify_peer(session, ep, error)) {
			abandon(session);
			return NULL;
		}
		session->verified = TRUE;
	}
	if (ep->tls == IMAP_TLS_STARTTLS && !imap_session_command(session, "CAPABILITY", error)) {
		abandon(session);
		return NULL;
	}
	return session;
}

ImapSession *
imap_session_connect(const char *host, guint16 port, guint timeout_s, GError **error)
{
	const ImapEndpoint ep = { .host = host, .port = port, .timeout_s = timeout_s };
	return imap_session_open(&ep, error);
}

gboolean
imap_session_start_compress(ImapSession *session, GError **error)
{
	g_autoptr(GError) refused = NULL;
	mailstream *stream = session->imap->imap_stream;
	mailstream_low *compressed;

	if (!session->want_compress || session->compress == IMAP_COMPRESS_ON)
		return TRUE;
	/* the capabilities as they are now: Cyrus lists them in its OK to the login, but
	 * nothing obliges a server to, and the list may change with authentication */
	if (!imap_session_command(session, "CAPABILITY", error))
		return FALSE;
	session->compress = IMAP_COMPRESS_NOT_OFFERED;
	if (!mailimap_has_compress_deflate(session->imap))
		return TRUE;
	if (!imap_session_command(session, "COMPRESS DEFLATE", &refused)) {
		if (g_error_matches(refused, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO) ||
		    g_error_matches(refused, M2C_IMAP_ERROR, M2C_IMAP_ERROR_BAD))
			return TRUE;   /* e.g. NO [COMPRESSIONACTIVE]: uncompressed, as the server wants */
		g_propagate_error(error, g_steal_pointer(&refused));
		return FALSE;
	}
	/* from the byte after the server's OK line everything is deflated both ways: a byte
	 * already read past it would be one libetpan mistook for plain text */
	if (stream->read_buffer_len != 0) {
		session->broken = TRUE;
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL,
		            "COMPRESS DEFLATE: %s sent more after its OK", session->host);
		return FALSE;
	}
	compressed = imap_compress_low_new(mailstream_get_low(stream));
	if (compressed == NULL)
		g_error("out of memory");
	mailstream_set_low(stream, compressed);
	session->compress = IMAP_COMPRESS_ON;
	return TRUE;
}

/* imap-session-private.h: ack_at_once() on the session's socket, so that what arrives
 * next is acknowledged at once, before a response of many segments.  Cyrus sends a
 * long response in several writes under Nagle's algorithm: each write after the
 * first waits for our ACK, and Linux delays that ACK by 40 ms once the connection
 * looks interactive (we sent a command right after a response).  Measured on the
 * verify bench: three 41 ms stalls per user (one per UID FETCH), 3.2 s of a 3.2 s run
 * with 0.6 s of CPU; 0.95 s with this.  TCP_QUICKACK is not sticky: it is set after
 * sending each such command. */
void
imap_session_ack_at_once(ImapSession *session)
{
	ack_at_once(mailstream_low_get_fd(mailstream_get_low(session->imap->imap_stream)));
}

ImapTls
imap_session_get_tls(const ImapSession *session)
{
	return session->tls;
}

gboolean
imap_session_is_verified(const ImapSession *session)
{
	return session->verified;
}

ImapCompress
imap_session_get_compress(const ImapSession *session)
{
	return session->compress;
}

gboolean
imap_session_compress_stats(ImapSession *session, ImapCompressStats *stats_out)
{
	return session->compress == IMAP_COMPRESS_ON && session->imap->imap_stream != NULL &&
	       imap_compress_low_stats(mailstream_get_low(session->imap->imap_stream), stats_out);
}

char *
imap_session_describe(const ImapSession *session)
{
	static const char *const compress_words[] = {
		[IMAP_COMPRESS_OFF] = "",
		[IMAP_COMPRESS_ON] = ", COMPRESS=DEFLATE",
		[IMAP_COMPRESS_NOT_OFFERED] = ", uncompressed (the server does not offer COMPRESS=DEFLATE)",
	};
	const char *tls = session->tls == IMAP_TLS_NONE ? "plain text"
	                  : session->tls == IMAP_TLS_STARTTLS ? "STARTTLS" : "imaps";
	const char *cert = session->tls == IMAP_TLS_NONE ? ""
	                   : session->verified ? ", certificate verified"
	                   : ", certificate NOT verified (--insecure)";
	return g_strconcat(tls, cert, compress_words[session->compress], NULL);
}
