/* imap-append.h -- APPEND at the speed Cyrus allows, on libetpan's stream.
 *
 * libetpan sends one message per APPEND and waits for the server's "+" before each
 * literal: two round trips and one commit per message (DESIGN.md: a lone APPEND costs
 * Cyrus ~4 fsyncs, inside a MULTIAPPEND ~2).  Here one APPEND command carries many
 * messages (MULTIAPPEND, RFC 3502), and each literal is sent at once as a
 * non-synchronising literal "{n+}" (LITERAL+, RFC 7888) when the server offers it and
 * the literal is not above `sync_above`; otherwise the "+" is waited for, so that a
 * server that will refuse the command can say so before a large literal is sent.
 *
 * The command is atomic in Cyrus: its tagged OK stores every message of it, in order,
 * and carries "[APPENDUID uidvalidity uid-set]" (UIDPLUS); a NO or BAD stores none of
 * them and does not say which message it was about.  Measured on Cyrus 3.6: after a
 * NO for the second of three LITERAL+ messages the server still reads the command to
 * its end and the session goes on (a NOOP right after is answered OK).
 *
 * One command at a time: imap_append_finish() reads the answer before the caller
 * starts the next, so that after a refusal the caller can try the messages again in
 * their order (source order is kept) -- the in-flight queue is the literals of one
 * command, bounded by the caller's batch size.
 *
 * Literals are written by the caller's function straight onto the stream: no message
 * is held here.  Errors are M2C_IMAP_ERROR (imap-session.h); the message names the
 * mailbox and carries the server's text and response code.
 */
#ifndef M2C_IMAP_APPEND_H
#define M2C_IMAP_APPEND_H

#include <glib.h>

#include "imap-session.h"

/* What the server offers for appending (CAPABILITY, asked once per session). */
typedef struct {
	gboolean multiappend;
	gboolean literal_plus;
	gboolean uidplus;
	guint64 append_limit;    /* APPENDLIMIT=n; 0 when the server said no limit */
} ImapAppendCaps;

/* Ask the server's CAPABILITY (after login: Cyrus lists more then).  FALSE with
 * NETWORK or PROTOCOL.  For the tests, M2C_IMAP_WITHOUT="MULTIAPPEND LITERAL+" in the
 * environment hides those two. */
gboolean imap_append_caps(ImapSession *session, ImapAppendCaps *caps, GError **error);

/* Writes `len` bytes of a literal; FALSE with `error` set to stop. */
typedef gboolean (*ImapLiteralWrite)(const char *data, gsize len, gpointer write_data,
                                     GError **error);

/* Writes one message's literal, exactly the size announced, through `write`. */
typedef gboolean (*ImapLiteralProducer)(gpointer data, ImapLiteralWrite write,
                                        gpointer write_data, GError **error);

typedef struct ImapAppend ImapAppend;

/* One APPEND command to `mailbox` (the name as the logged-in user sees it).  Nothing
 * is sent before the first message.  Literals above `sync_above` bytes (0: none) wait
 * for the server's "+" even with LITERAL+. */
ImapAppend *imap_append_new(ImapSession *session, const char *mailbox,
                            const ImapAppendCaps *caps, guint64 sync_above);
void imap_append_free(ImapAppend *append);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ImapAppend, imap_append_free)

/* Add one message to the command: its `flags` (NULL or NULL-terminated: system
 * flags and keywords, no \Recent), `internaldate` (NULL: the server's clock), and its
 * `size`-byte literal, written by `produce` (which must write exactly `size` bytes,
 * size > 0).  Without MULTIAPPEND a command takes one message only.
 *   FALSE with NO, BAD, OVERQUOTA...: the server refused the command while we waited
 *     for its "+" (the command is over; the session is usable; nothing stored);
 *   FALSE with NETWORK or PROTOCOL, or `produce`'s error: the session is unusable (a
 *     literal cannot be taken back once announced). */
gboolean imap_append_add(ImapAppend *append, const char *const *flags, GDateTime *internaldate,
                         guint64 size, ImapLiteralProducer produce, gpointer produce_data,
                         GError **error);

/* Messages added so far. */
guint imap_append_count(const ImapAppend *append);

/* End the command and read its answer.  TRUE when every message was stored:
 * `*uidvalidity_out` and `uids_out` (appended to, one guint32 per message in order)
 * from APPENDUID; FALSE with PROTOCOL when the OK carries no APPENDUID that fits.
 * FALSE with NO / BAD / OVERQUOTA / TOOBIG / TRYCREATE (nothing stored, session
 * usable) or NETWORK / PROTOCOL (unusable).  A command that was refused in
 * imap_append_add() returns that refusal again. */
gboolean imap_append_finish(ImapAppend *append, guint32 *uidvalidity_out, GArray *uids_out,
                            GError **error);

#endif
