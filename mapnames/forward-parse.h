/* forward-parse.h -- a ~/.forward file, bytes in, entries out.  Pure: no I/O.
 *
 * What is accepted, as sendmail, Postfix local(8) and qmail's dot-forward users wrote
 * it (one example each):
 *   bob@example.org, carol@example.org     several per line: commas, spaces, tabs
 *   "john doe"@example.org                 a quoted local part
 *   <bob@example.org>                      angle brackets around one address
 *   \alice                                 keep a copy: the owner's name is a local copy,
 *                                          another name is the address "other" (local)
 *   bob                                    a bare local name: the address "bob", a
 *                                          mailbox on the MTA host (no domain added here)
 *   |/usr/bin/procmail                     a pipe: an unquoted '|' takes the rest of the
 *                                          logical line, as dot-forward(1) does
 *   "|/usr/bin/vacation alice"             a quoted pipe; vacation(1) is kind VACATION
 *   /home/alice/mail/saved                 a file;  ":include:/etc/lists/x": an include
 *   # comment                              '#' at the start of a token, to end of line
 *   CRLF line ends, blank lines, and a line starting with a space or tab, which
 *   continues the previous one (RFC 5322 folding, as sendmail reads aliases).
 * Everything else is an entry of kind BAD with the reason, never passed on: garbage,
 * an unterminated quote, an address with 8-bit bytes or control characters, anything
 * that is not an RFC 5321 mailbox (local part a dot-atom or quoted string, at most 64
 * bytes; domain LDH labels or an address literal [1.2.3.4], at most 255).
 */
#ifndef M2C_FORWARD_PARSE_H
#define M2C_FORWARD_PARSE_H

#include <glib.h>

typedef enum {
	FORWARD_ADDRESS,     /* text: the mailbox (local@domain, or a bare local name) */
	FORWARD_LOCAL_COPY,  /* text: the owner's name (from "\owner") */
	FORWARD_PIPE,        /* text: the command */
	FORWARD_FILE,        /* text: the path */
	FORWARD_INCLUDE,     /* text: the path after ":include:" */
	FORWARD_VACATION,    /* text: the command (a pipe to vacation) */
	FORWARD_BAD,         /* text: the token; reason: why */
} ForwardKind;

typedef struct {
	ForwardKind kind;
	char *text;          /* printable: control and 8-bit bytes as \xNN */
	char *reason;        /* for FORWARD_BAD (and entries a format leaves out); else NULL */
} ForwardEntry;

ForwardEntry *forward_entry_new(ForwardKind kind, const char *text, const char *reason);
void forward_entry_free(ForwardEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ForwardEntry, forward_entry_free)

/* "address", "local_copy", "pipe", "file", "include", "vacation", "bad"; static. */
const char *forward_kind_name(ForwardKind kind);

/* Parse `len` bytes of a .forward owned by `owner` (for "\owner").  Returns a new
 * array of ForwardEntry (freed with it), in file order; empty for a file of comments
 * and blanks.  Never fails: what cannot be used is a BAD entry. */
GPtrArray *forward_parse(const char *owner, const char *bytes, gsize len);

/* NULL when `address` is an RFC 5321 mailbox (or, with `allow_bare`, a bare local
 * part); else why not ("not an RFC 5321 mailbox: no @ domain", "8-bit bytes", ...),
 * static. */
const char *forward_address_problem(const char *address, gboolean allow_bare);

#endif
