/* failure.c -- see failure.h. */
#include "failure.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>

#include "imap-session.h"
#include "mbox-lock.h"
#include "mbox-reader.h"

static const char *const scope_names[] = { "message", "mailbox", "user", "run" };

static Failure
make(FailureScope where, FailureScope at_least, gboolean temporary)
{
	Failure f = { .scope = MAX(where, at_least), .temporary = temporary };
	return f;
}

Failure
failure_classify_errno(int errsv, FailureScope where)
{
	switch (errsv) {
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
		return make(where, FAILURE_RUN, TRUE);
	case EIO: case EAGAIN: case EINTR: case ENOMEM: case EMFILE: case ENFILE:
	case ETIMEDOUT: case EBUSY:
		return make(where, where, TRUE);
	default:
		return make(where, where, FALSE);
	}
}

static Failure
classify_file_error(gint code, FailureScope where)
{
	switch (code) {
	case G_FILE_ERROR_NOSPC:
		return make(where, FAILURE_RUN, TRUE);
	case G_FILE_ERROR_IO: case G_FILE_ERROR_AGAIN: case G_FILE_ERROR_INTR:
	case G_FILE_ERROR_NOMEM: case G_FILE_ERROR_MFILE: case G_FILE_ERROR_NFILE:
		return make(where, where, TRUE);
	default:
		return make(where, where, FALSE);
	}
}

static Failure
classify_io_error(gint code, FailureScope where)
{
	switch (code) {
	case G_IO_ERROR_NO_SPACE:
		return make(where, FAILURE_RUN, TRUE);
	case G_IO_ERROR_TIMED_OUT: case G_IO_ERROR_BUSY: case G_IO_ERROR_WOULD_BLOCK:
	case G_IO_ERROR_TOO_MANY_OPEN_FILES: case G_IO_ERROR_CONNECTION_REFUSED:
	case G_IO_ERROR_BROKEN_PIPE:   /* also G_IO_ERROR_CONNECTION_CLOSED */
	case G_IO_ERROR_NETWORK_UNREACHABLE: case G_IO_ERROR_HOST_UNREACHABLE:
		return make(where, where, TRUE);
	default:
		return make(where, where, FALSE);
	}
}

static Failure
classify_imap_error(gint code, FailureScope where)
{
	switch (code) {
	case M2C_IMAP_ERROR_NETWORK:
		return make(where, FAILURE_USER, TRUE);
	case M2C_IMAP_ERROR_PROTOCOL:
		/* the session is unusable: in practice the connection dropped in the middle of
		 * a response (libetpan says "parse error" at EOF); a rerun reconnects */
		return make(where, FAILURE_USER, TRUE);
	case M2C_IMAP_ERROR_AUTH:
		return make(where, FAILURE_USER, FALSE);
	case M2C_IMAP_ERROR_TLS:
		/* the server's certificate, or its lack of STARTTLS: the same for every user,
		 * and fixed only by the administrator (--ca-file, --tls), like a refused admin */
		return make(where, FAILURE_RUN, FALSE);
	case M2C_IMAP_ERROR_OVERQUOTA:
		/* the mailbox's quota root is full; others (another root) may go on */
		return make(where, MAX(where, FAILURE_MAILBOX), TRUE);
	default:   /* NO, BAD, TRYCREATE */
		return make(where, where, FALSE);
	}
}

G_DEFINE_QUARK(m2c-failure-error-quark, m2c_failure_error)

Failure
failure_classify(const GError *error, FailureScope where)
{
	if (error == NULL)
		return make(where, where, FALSE);
	if (error->domain == G_FILE_ERROR)
		return classify_file_error(error->code, where);
	if (error->domain == G_IO_ERROR)
		return classify_io_error(error->code, where);
	if (error->domain == M2C_IMAP_ERROR)
		return classify_imap_error(error->code, where);
	if (error->domain == M2C_FAILURE_ERROR)
		return make(where, error->code == M2C_FAILURE_RUN_TEMPORARY ? FAILURE_RUN : FAILURE_USER,
		             error->code != M2C_FAILURE_USER_PERMANENT);
	if (error->domain == M2C_MBOX_ERROR)   /* a read failed, or the file changed under us */
		return make(where, where, error->code == M2C_MBOX_ERROR_IO);
	if (error->domain == M2C_MBOX_LOCK_ERROR)   /* somebody holds the mailbox's lock */
		return make(where, where, error->code == M2C_MBOX_LOCK_ERROR_BUSY);
	return make(where, where, FALSE);
}

const char *
failure_scope_name(FailureScope scope)
{
	g_assert((gsize)scope < G_N_ELEMENTS(scope_names));
	return scope_names[scope];
}

gboolean
failure_scope_from_name(const char *name, FailureScope *scope_out)
{
	for (gsize i = 0; i < G_N_ELEMENTS(scope_names); i++)
		if (strcmp(name, scope_names[i]) == 0) {
			*scope_out = (FailureScope)i;
			return TRUE;
		}
	return FALSE;
}

void
failure_set_errno(GError **error, int errsv, const char *format, ...)
{
	va_list ap;
	int code = g_file_error_from_errno(errsv);
#ifdef EDQUOT
	if (errsv == EDQUOT)
		code = G_FILE_ERROR_NOSPC;
#endif
	va_start(ap, format);
	g_autofree char *text = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, G_FILE_ERROR, code, "%s: %s", text, g_strerror(errsv));
}
