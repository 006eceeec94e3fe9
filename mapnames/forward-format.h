/* forward-format.h -- a user's .forward entries (forward-parse.h) as text in one of
 * three forms.  Pure functions: strings in, strings out; the caller writes the files.
 *
 *   aliases  one line per user for sendmail/postalias:  alice: bob@example.org, \alice
 *   qmail    the user's .qmail-USER:  &bob@example.org
 *                                     |preline -f /srv/out/cyrus-deliver-qmail 'alice'
 *            and one wrapper script, cyrus-deliver-qmail, that runs Cyrus deliver
 *   sieve    the user's Sieve script:  require ["copy"];
 *                                      redirect :copy "bob@example.org";
 *                                      keep;
 * What is exported: addresses and the local copy.  Never: pipes, files, includes,
 * vacation (each left out with a reason, forward_format_refusal), BAD entries; in the
 * sieve form a bare local name when no local domain is given (Sieve's redirect takes
 * a full address, RFC 5228 4.2).  A local copy alone (or with nothing exported) needs
 * no output: delivery stays local; the functions below then return NULL.
 */
#ifndef M2C_FORWARD_FORMAT_H
#define M2C_FORWARD_FORMAT_H

#include <glib.h>

#include "forward-parse.h"

typedef enum {
	FORWARD_FORMAT_ALIASES,
	FORWARD_FORMAT_QMAIL,
	FORWARD_FORMAT_SIEVE,
} ForwardFormat;

typedef struct {
	ForwardFormat format;
	const char *local_domain;     /* qualifies a bare local name ("bob" -> bob@D); NULL:
	                               * kept bare (aliases, qmail), left out (sieve) */
	const char *deliver_wrapper;  /* qmail: absolute path of cyrus-deliver-qmail */
} ForwardFormatSettings;

/* "aliases", "qmail", "sieve" -> the format; FALSE for another word. */
gboolean forward_format_from_name(const char *name, ForwardFormat *format_out);

/* NULL when `entry` is exported in this format; else why not, static, e.g.
 * "a pipe: Cyrus runs no commands".  A BAD entry's reason is its own. */
const char *forward_format_refusal(const ForwardFormatSettings *settings,
                                   const ForwardEntry *entry);

/* The first line of an aliases file (a comment, with its newline); static. */
const char *forward_format_aliases_header(void);

/* `user`'s line for the aliases file ("alice: bob@example.org, \alice\n"), new, or
 * NULL when no address is exported. */
char *forward_format_aliases_line(const ForwardFormatSettings *settings, const char *user,
                                  GPtrArray *entries);

/* The name of `user`'s qmail file: ".qmail-" and the user in lower case with '.' as
 * ':' (qmail-local's rule for extensions).  New. */
char *forward_format_qmail_name(const char *user);

/* `user`'s .qmail file, new, or NULL when no address is exported.  The local copy is
 * a line that runs settings->deliver_wrapper (must be set) through preline -f. */
char *forward_format_qmail(const ForwardFormatSettings *settings, const char *user,
                           GPtrArray *entries);

/* The cyrus-deliver-qmail shell script, running `deliver` (an absolute path) and
 * mapping its exit status to qmail's (the table is in the script's comments).  New. */
char *forward_format_deliver_wrapper(const char *deliver);

/* `user`'s Sieve script, new, or NULL when no address is exported. */
char *forward_format_sieve(const ForwardFormatSettings *settings, const char *user,
                           GPtrArray *entries);

#endif
