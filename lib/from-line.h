/* from-line.h -- parse the "From " separator line of an mbox (RFC 4155, field practice).
 *
 * Accepted, after "From " (the variants seen in the corpus and in the field):
 *     SENDER Wed Jul  1 13:17:17 1998                 asctime, as /bin/mail writes it
 *     SENDER  Wed Jul  1 13:17:17 1998                two spaces after the sender
 *     SENDER Sat Sep  1 20:58 EDT 2001                no seconds, zone name before the year
 *     SENDER Mon Jan  5 08:50:15 +0100 2004           numeric zone before the year
 *     SENDER Thu Jul 12 12:30:05 2001 -0400           numeric zone after the year
 *     SENDER Wed Jul  1 13:17:17 1998 MEST            zone name(s) after the year
 *     SENDER Sat Jan  3 01:05:34 MET DST 1996         two-word zone
 *     SENDER Sat Jan  3 01:05:26 96                   two-digit year (< 70: 20xx)
 *     SENDER Fri, 2 Jan 1970 10:14:00 +0000           RFC 822 date
 *     SENDER Wed Jul  1 13:17:17 1998 remote from h   UUCP
 *     upi at papat.org  Wed Feb  1 19:06:04 2006      sender with spaces (pipermail)
 *     - Tue Oct 02 00:26:47 2007                      Netscape/Thunderbird, sender "-"
 *     Fri Jan  2 10:14 1970 +0000                     no sender at all (NeoMutt accepts;
 *                                                     Dovecot does not: we follow NeoMutt)
 * The sender is everything before the weekday that starts a date which parses.
 * Hours need two digits ("0:14" is refused, as Dovecot does).
 *
 * A numeric zone is applied as given.  A known zone name (UTC, GMT, EST, EDT, CST, CDT,
 * MST, MDT, PST, PDT, MET, CET, MEST, CEST, MET DST, WET, WEST, WETDST, BST, EET, EEST,
 * JST) is applied too; an unknown name, or no zone, means the caller's source zone
 * (the old host's local time).
 */
#ifndef M2C_FROM_LINE_H
#define M2C_FROM_LINE_H

#include <glib.h>

/* Parse `len` bytes of `text`, the From_ line after "From " and without its line
 * ending.  Returns TRUE when a date was found; then `*sender_out` (may be NULL) is a
 * new string (possibly empty) and `*date_out` (may be NULL) a new GDateTime.
 * Returns FALSE and touches nothing when no date parses.  `source_tz` is the zone
 * for dates without one (not NULL). */
gboolean from_line_parse(const char *text, gsize len, GTimeZone *source_tz,
                         char **sender_out, GDateTime **date_out);

/* TRUE when the From_ line has no date and nothing but an optional "-" and blanks
 * after "From ": the bare separators old Netscape/Thunderbird wrote. */
gboolean from_line_is_bare(const char *text, gsize len);

/* The offset in seconds east of UTC of zone name `name` (`len` bytes, case-insensitive,
 * "MET DST" with one space), or FALSE when it is not one of those listed above. */
gboolean from_line_zone_offset(const char *name, gsize len, int *seconds_out);

/* Parse a date as Date: and Received: headers carry it: RFC 2822 with or without the
 * weekday ("Fri, 7 Mar 2003 14:22:05 +0100 (CET)", "7 Mar 2003 14:22 +0100"), or
 * asctime.  Anything after the zone is ignored.  `default_tz` is used when there is
 * no zone.  Returns a new GDateTime, or NULL when it does not parse. */
GDateTime *from_line_parse_date(const char *text, gsize len, GTimeZone *default_tz);

#endif
