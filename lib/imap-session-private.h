/* imap-session-private.h -- the session's state, shared by imap-session.c (the
 * commands libetpan parses) and imap-raw.c (the ones it cannot: DIGEST.SHA1, and
 * bodies streamed in pieces). */
#ifndef M2C_IMAP_SESSION_PRIVATE_H
#define M2C_IMAP_SESSION_PRIVATE_H

#include <libetpan/libetpan.h>

#include "imap-session.h"

struct ImapSession {
	mailimap *imap;
	char *host;      /* for SASL's server name and for messages */
	gboolean broken; /* after a network or parse error: no more commands */
};

/* Turn libetpan's result `r` of the command described by `what` into a GError (the
 * codes of imap-session.h; a network or parse error marks the session broken).
 * Always returns FALSE, so callers can `return imap_session_fail(...)`. */
gboolean imap_session_fail(ImapSession *session, int r, const char *what, GError **error);

/* FALSE with NETWORK when the session is broken. */
gboolean imap_session_check_usable(ImapSession *session, const char *what, GError **error);

#endif
