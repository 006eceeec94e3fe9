/* uid-set.h -- the UID sets the methods' journal records carry: "1:3,5" (ranges of
 * consecutive UIDs, in the order given), "-" for none.  One writer, one parser. */
#ifndef M2C_UID_SET_H
#define M2C_UID_SET_H

#include <glib.h>

/* The `n` UIDs of `uids` (none 0) as a set, new. */
char *uid_set_format(const guint32 *uids, guint n);

/* Append the UIDs of `text` to `out` (guint32), at most `limit` of them in all
 * (out->len included).  FALSE when `text` is not a set or holds more. */
gboolean uid_set_parse(const char *text, guint64 limit, GArray *out);

#endif
