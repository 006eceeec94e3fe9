/* method-records.h -- what the methods' journal records (method.h: checkpoints and
 * delivery details) are made of, one writer and one parser each: "key=value" fields,
 * UID sets ("1:3,5"), lists of message numbers ("2,7"), "-" for none, the
 * quarantine's size (qz=). */
#ifndef M2C_METHOD_RECORDS_H
#define M2C_METHOD_RECORDS_H

#include <glib.h>

#include "method.h"

/* The `n` UIDs of `uids` (none 0) as a set, new. */
char *uid_set_format(const guint32 *uids, guint n);

/* Append the UIDs of `text` to `out` (guint32), at most `limit` of them in all
 * (out->len included).  FALSE when `text` is not a set or holds more. */
gboolean uid_set_parse(const char *text, guint64 limit, GArray *out);

/* The message numbers of `numbers` (guint64) as "2,7", "-" when none; new. */
char *record_numbers_format(const GArray *numbers);

/* Add the numbers of `text` ("2,7" or "-") to `set` (GSIZE_TO_POINTER keys), each in
 * lo..hi and not there before; `*count_out` how many.  FALSE when not so. */
gboolean record_numbers_parse(const char *text, guint64 lo, guint64 hi, GHashTable *set,
                              guint64 *count_out);

/* Is `f` "key=value"?  `*value` then points at the value. */
gboolean record_field(const char *f, const char *key, const char **value);

/* The largest qz= of any record of `checkpoints` (-1: none): the quarantine's size
 * when the journal last spoke of it. */
gint64 records_last_qz(const char *const *checkpoints);

/* FALSE with M2C_JOURNAL_ERROR_DAMAGED: "not an METHOD checkpoint: DETAIL" (convert
 * names the journal's file and line). */
gboolean record_damaged(const char *method, const char *detail, GError **error);

/* The detail of a delivery (method.h): "v=UIDVALIDITY messages=M stored=S found=F
 * bytes=N" (imap, lmtp; a method may add fields after these), new. */
char *delivery_detail_format(guint32 uidvalidity, const Delivery *delivery);

/* The first five fields of `fields` (the detail split at blanks) into `delivery`
 * (zeroed first; uids left NULL) and `*uidvalidity_out`.  FALSE when they are not
 * so (stored <= messages, found <= stored). */
gboolean delivery_detail_parse(char *const *fields, Delivery *delivery, guint32 *uidvalidity_out);

/* ConvertMethod.uid_of and .free_uids for a method whose Delivery.uids is a GArray of
 * guint32 by message number - 1 (0: not stored): imap, lmtp. */
guint32 method_uids_of(const Delivery *delivery, const MboxMessage *message);
void method_uids_free(gpointer uids);

#endif
