/* tls-verify.h -- is the certificate an IMAP server showed us the one of the host we
 * meant to reach?  Checked with GnuTLS, because libetpan never checks it.
 *
 * libetpan's TLS (a GnuTLS build on Debian 12) completes any handshake: a self-signed
 * certificate for another name is accepted (DESIGN.md).  So after its handshake the
 * chain the server sent is taken from libetpan and checked here: signed, up to a CA we
 * trust (the system store, or the PEM file given instead), valid now, usable by a TLS
 * server, and issued for the host name we connected to -- an IP literal such as
 * "127.0.0.1" must be one of the certificate's IP addresses (subjectAltName iPAddress),
 * a name one of its DNS names (GnuTLS's RFC 6125 matching, wildcards included).
 *
 * Errors: M2C_TLS_ERROR, codes below; the messages name the host (or the CA file) and
 * say why in GnuTLS's words, e.g.
 *     certificate of "127.0.0.1" not verified: The certificate is NOT trusted. The
 *     certificate issuer is unknown
 *
 * A TlsTrust may be shared by the threads of a pool: tls_trust_verify() serialises its
 * use of GnuTLS's list with the TlsTrust's own lock (GnuTLS promises thread safety only
 * for objects used by one thread at a time).  Loading the system store costs about 8 ms
 * (144 certificates, measured), so a run loads it once, not per connection.
 */
#ifndef M2C_TLS_VERIFY_H
#define M2C_TLS_VERIFY_H

#include <glib.h>

#define M2C_TLS_ERROR (m2c_tls_error_quark())
GQuark m2c_tls_error_quark(void);

typedef enum {
	M2C_TLS_ERROR_TRUST,        /* no CA to trust: the CA file unreadable or holding none,
	                             * or an empty system store */
	M2C_TLS_ERROR_NO_CERTIFICATE, /* the server sent no certificate, or one that does not parse */
	M2C_TLS_ERROR_NOT_VERIFIED, /* the chain or the name did not verify */
} M2cTlsError;

typedef struct TlsTrust TlsTrust;

/* Load the CAs to trust: every certificate in the PEM file `ca_file`, or, when it is
 * NULL, the system's store (GnuTLS's default: /etc/ssl/certs/ca-certificates.crt on
 * Debian).  Returns a new TlsTrust (free with tls_trust_free), or NULL with TRUST when
 * the file cannot be read or holds no certificate, or the system store is empty. */
TlsTrust *tls_trust_new(const char *ca_file, GError **error);

void tls_trust_free(TlsTrust *trust);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TlsTrust, tls_trust_free)

/* Verify the chain `chain` (`n` DER certificates as the server sent them, its own
 * first; the caller keeps them) for `host` (a DNS name or an IP literal, as connected
 * to) against `trust`.  TRUE when it verifies; FALSE with NO_CERTIFICATE (n == 0, or a
 * certificate that does not parse) or NOT_VERIFIED, the message naming `host` and the
 * reasons. */
gboolean tls_trust_verify(TlsTrust *trust, GBytes *const *chain, gsize n, const char *host,
                          GError **error);

/* TRUE when `host` is an IPv4 or IPv6 literal: such a name is never sent as TLS SNI
 * (RFC 6066 §3) and must match an IP address of the certificate. */
gboolean tls_host_is_ip_literal(const char *host);

#endif
