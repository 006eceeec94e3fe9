/* mbox-writer-private.h -- shared by mbox-writer.c (the streaming) and
 * mbox-writer-lines.c (the lines the writer makes itself). */
#ifndef M2C_MBOX_WRITER_PRIVATE_H
#define M2C_MBOX_WRITER_PRIVATE_H

#include <glib.h>

/* A sender for the From_ line (new): `len` bytes trimmed, blanks and controls made
 * '_', "MAILER-DAEMON" when empty. */
char *mbox_writer_safe_sender(const char *text, gsize len);

/* The From_ line sender for a Return-Path value (new): "<a@b>" -> a@b, "<>" ->
 * MAILER-DAEMON, a bare address -> its first word. */
char *mbox_writer_return_path_sender(const GString *value);

/* Append "Wed Mar  5 14:45:12 2003" (English names whatever the locale). */
void mbox_writer_append_asctime(GString *s, GDateTime *dt);

/* The valid IMAP keywords of `flags` (may be NULL), each once (case-insensitive), in
 * order: a new array of pointers into `flags`. */
GPtrArray *mbox_writer_valid_keywords(const char *const *flags);

/* Append Status:, X-Status: (when any of \Deleted \Flagged \Answered \Draft),
 * X-Keywords: (when any) and X-UID: (when `uid` is not 0), each ending "\n". */
void mbox_writer_added_lines(GString *s, const char *const *flags, guint32 uid);

/* Append the whole FOLDER INTERNAL DATA message, separator included, dated `dt`
 * (`now` in the writer's zone). */
void mbox_writer_folder_text(GString *s, GDateTime *dt, guint32 uidvalidity, guint32 last_uid,
                             const char *const *keywords, gint64 now, const char *host);

#endif
