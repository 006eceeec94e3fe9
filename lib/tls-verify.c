/* tls-verify.c -- see tls-verify.h. */
#include "tls-verify.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

G_DEFINE_QUARK(m2c-tls-error-quark, m2c_tls_error)

struct TlsTrust {
	gnutls_x509_trust_list_t list;
	GMutex lock;   /* around every use of `list` */
};

TlsTrust *
tls_trust_new(const char *ca_file, GError **error)
{
	TlsTrust *trust = g_new0(TlsTrust, 1);
	int n;

	g_mutex_init(&trust->lock);
	if (gnutls_x509_trust_list_init(&trust->list, 0) < 0)
		g_error("out of memory");
	if (ca_file != NULL)
		n = gnutls_x509_trust_list_add_trust_file(trust->list, ca_file, NULL,
		                                          GNUTLS_X509_FMT_PEM, 0, 0);
	else
		n = gnutls_x509_trust_list_add_system_trust(trust->list, 0, 0);
	if (n > 0)
		return trust;
	if (ca_file != NULL)
		g_set_error(error, M2C_TLS_ERROR, M2C_TLS_ERROR_TRUST,
		            "\"%s\": no CA certificate to trust there: %s", ca_file,
		            n < 0 ? gnutls_strerror(n) : "no PEM certificate in the file");
	else
		g_set_error(error, M2C_TLS_ERROR, M2C_TLS_ERROR_TRUST,
		            "the system's store of trusted CAs is empty or unreadable%s%s "
		            "(install ca-certificates, or name a CA file)",
		            n < 0 ? ": " : "", n < 0 ? gnutls_strerror(n) : "");
	tls_trust_free(trust);
	return NULL;
}

void
tls_trust_free(TlsTrust *trust)
{
	if (trust == NULL)
		return;
	gnutls_x509_trust_list_deinit(trust->list, 1);
	g_mutex_clear(&trust->lock);
	g_free(trust);
}

gboolean
tls_host_is_ip_literal(const char *host)
{
	return g_hostname_is_ip_address(host);
}

/* GnuTLS's sentences for `status`, without the last full stop (STYLE.md §4). */
static char *
status_words(unsigned int status)
{
	gnutls_datum_t out = { NULL, 0 };
	g_autofree char *text = NULL;

	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) < 0)
		return g_strdup_printf("verification status 0x%x", status);
	text = g_strndup((const char *)out.data, out.size);
	gnutls_free(out.data);
	g_strstrip(text);
	gsize len = strlen(text);
	if (len > 0 && text[len - 1] == '.')
		text[len - 1] = '\0';
	return g_steal_pointer(&text);
}

gboolean
tls_trust_verify(TlsTrust *trust, GBytes *const *chain, gsize n, const char *host,
                 GError **error)
{
	g_autofree gnutls_x509_crt_t *certs = g_new0(gnutls_x509_crt_t, MAX(n, 1));
	gsize imported = 0;
	unsigned int status = 0;
	int r = 0;
	/* GNUTLS_DT_DNS_HOSTNAME: RFC 6125 matching of a name; an IP literal is matched
	 * against the certificate's IP addresses instead (GnuTLS's documentation of
	 * gnutls_typed_vdata_st).  The key purpose: a certificate that lists its uses must
	 * list TLS server. */
	gnutls_typed_vdata_st data[] = {
		{ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, (unsigned int)strlen(host) },
		{ GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
	};

	if (n == 0) {
		g_set_error(error, M2C_TLS_ERROR, M2C_TLS_ERROR_NO_CERTIFICATE,
		            "\"%s\" sent no certificate", host);
		return FALSE;
	}
	for (; imported < n; imported++) {
		gnutls_datum_t der = { (unsigned char *)g_bytes_get_data(chain[imported], NULL),
		                       (unsigned int)g_bytes_get_size(chain[imported]) };
		if (gnutls_x509_crt_init(&certs[imported]) < 0)
			g_error("out of memory");
		if ((r = gnutls_x509_crt_import(certs[imported], &der, GNUTLS_X509_FMT_DER)) < 0) {
			gnutls_x509_crt_deinit(certs[imported]);
			break;
		}
	}
	if (imported == n) {
		g_mutex_lock(&trust->lock);
		r = gnutls_x509_trust_list_verify_crt2(trust->list, certs, (unsigned int)n, data,
		                                       G_N_ELEMENTS(data), 0, &status, NULL);
		g_mutex_unlock(&trust->lock);
	}
	for (gsize i = 0; i < imported; i++)
		gnutls_x509_crt_deinit(certs[i]);

	if (imported < n) {
		g_set_error(error, M2C_TLS_ERROR, M2C_TLS_ERROR_NO_CERTIFICATE,
		            "certificate %zu of the %zu \"%s\" sent does not parse: %s", imported + 1,
		            n, host, gnutls_strerror(r));
		return FALSE;
	}
	if (r < 0) {
		g_set_error(error, M2C_TLS_ERROR, M2C_TLS_ERROR_NOT_VERIFIED,
		            "certificate of \"%s\" not verified: %s", host, gnutls_strerror(r));
		return FALSE;
	}
	if (status != 0) {
		g_autofree char *why = status_words(status);
		g_set_error(error, M2C_TLS_ERROR, M2C_TLS_ERROR_NOT_VERIFIED,
		            "certificate of \"%s\" not verified: %s", host, why);
		return FALSE;
	}
	return TRUE;
}
