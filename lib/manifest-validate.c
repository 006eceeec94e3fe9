/* manifest-validate.c -- manifest_validate(): the rules a manifest's rows must keep
 * before anything is done with them (see manifest.h). */
#include "manifest.h"

#include <stdarg.h>
#include <string.h>

#include "manifest-private.h"

static gboolean G_GNUC_PRINTF(4, 5)
invalid(GError **error, const char *path, const ManifestRow *row, const char *format, ...)
{
	va_list args;
	g_autofree char *what = NULL;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_INVALID, "%s:%u: %s", path,
	            row->line, what);
	return FALSE;
}

/* The first control character (0x00-0x1f, 0x7f) in `text` (may be NULL), or -1. */
static int
first_control(const char *text)
{
	for (const char *p = text; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return (unsigned char)*p;
	return -1;
}

/* Whether `mailbox` is in the hierarchy of the user with `prefix` and `domain`: the
 * INBOX (prefix + domain) or prefix SEP PARTS domain.  (The parts themselves are
 * mailbox_name_check()'s.) */
static gboolean
is_users_mailbox(const MailboxNaming *naming, const char *prefix, const char *domain,
                 const char *mailbox)
{
	gsize plen = strlen(prefix), dlen = strlen(domain), mlen = strlen(mailbox);

	if (mlen < plen + dlen || strncmp(mailbox, prefix, plen) != 0 ||
	    strcmp(mailbox + mlen - dlen, domain) != 0)
		return FALSE;
	if (mlen == plen + dlen)
		return TRUE;
	if (mailbox[plen] != naming->separator || mlen == plen + 1 + dlen)
		return FALSE;
	/* with virtual domains, user.alice.x@y is user alice@y's, never alice's */
	return !naming->virtdomains || memchr(mailbox + plen, '@', mlen - dlen - plen) == NULL;
}

/* One key for a row's user, mailbox and source: none of the three holds a NUL (the
 * caller checked), so NULs separate them. */
static GBytes *
row_key(const ManifestRow *row)
{
	GByteArray *key = g_byte_array_new();
	gsize slen = 0;
	const guint8 *src = row->source ? g_bytes_get_data(row->source, &slen) : NULL;

	g_byte_array_append(key, (const guint8 *)row->user, (guint)strlen(row->user) + 1);
	if (row->mailbox != NULL)
		g_byte_array_append(key, (const guint8 *)row->mailbox, (guint)strlen(row->mailbox));
	g_byte_array_append(key, (const guint8 *)(row->source ? "\0S" : "\0N"), 2);
	if (slen > 0)
		g_byte_array_append(key, src, (guint)slen);
	return g_byte_array_free_to_bytes(key);
}

/* The checks of one row alone (see manifest.h). */
static gboolean
validate_row(const char *path, const ManifestRow *row, const MailboxNaming *naming,
             GError **error)
{
	static const char *const field_names[] = { "user", "mailbox", "note" };
	const char *fields[] = { row->user, row->mailbox, row->note };
	g_autofree char *prefix = NULL, *domain = NULL;   /* mailbox_name_user's out */
	g_autoptr(GError) local = NULL;
	gsize slen = 0;
	const char *source = row->source != NULL ? g_bytes_get_data(row->source, &slen) : NULL;
	const char *problem;

	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
		int c = first_control(fields[i]);
		if (c >= 0)
			return invalid(error, path, row, "a control character (0x%02x) in the %s",
			               (unsigned)c, field_names[i]);
	}
	/* a NUL would make the path another file once it is a C string */
	if (slen > 0 && memchr(source, '\0', slen) != NULL)
		return invalid(error, path, row, "a NUL byte in the source");
	if (row->action == MANIFEST_SKIP)
		return TRUE;

	if (row->source != NULL && (problem = manifest_path_problem(source, slen, FALSE)) != NULL) {
		g_autofree char *q = manifest_quoted(source, slen);
		return invalid(error, path, row, "source \"%s\" %s (mapnames writes absolute paths "
		               "without \".\", \"..\" or empty parts)", q, problem);
	}
	if (row->mailbox == NULL)   /* manifest_parse refuses it; a row made in memory */
		return invalid(error, path, row, "%s row needs a mailbox",
		               row->action == MANIFEST_INBOX ? "an inbox" : "a folder");
	if (!mailbox_name_user(naming, row->user, &prefix, &domain, &local))
		return invalid(error, path, row, "%s", local->message);
	if (!mailbox_name_check(naming, row->mailbox, &local))
		return invalid(error, path, row, "%s", local->message);
	g_autofree char *inbox = g_strconcat(prefix, domain, NULL);
	g_autofree char *user = manifest_quoted(row->user, strlen(row->user));
	g_autofree char *mailbox = manifest_quoted(row->mailbox, strlen(row->mailbox));
	if (row->action == MANIFEST_INBOX && strcmp(row->mailbox, inbox) != 0)
		return invalid(error, path, row, "an inbox row's mailbox must be user \"%s\"'s INBOX "
		               "\"%s\", not \"%s\"", user, inbox, mailbox);
	if (!is_users_mailbox(naming, prefix, domain, row->mailbox))
		return invalid(error, path, row, "mailbox \"%s\" is not user \"%s\"'s (\"%s\" or a "
		               "folder below it)", mailbox, user, inbox);
	return TRUE;
}

gboolean
manifest_validate(const char *path, GPtrArray *rows, const MailboxNaming *naming, GError **error)
{
	g_autoptr(GHashTable) same_rows = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
	                                                        (GDestroyNotify)g_bytes_unref, NULL);
	g_autoptr(GHashTable) sources = g_hash_table_new(g_bytes_hash, g_bytes_equal);
	g_autoptr(GHashTable) inboxes = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < rows->len; i++) {
		const ManifestRow *row = g_ptr_array_index(rows, i);
		const ManifestRow *other;

		if (!validate_row(path, row, naming, error))
			return FALSE;
		if (row->action == MANIFEST_SKIP)
			continue;
		g_autoptr(GBytes) key = row_key(row);
		if ((other = g_hash_table_lookup(same_rows, key)) != NULL)
			return invalid(error, path, row, "the same row as line %u (user, mailbox and source)",
			               other->line);
		g_hash_table_insert(same_rows, g_steal_pointer(&key), (gpointer)row);
		if (row->source != NULL) {
			if ((other = g_hash_table_lookup(sources, row->source)) != NULL) {
				gsize slen;
				const char *source = g_bytes_get_data(row->source, &slen);
				g_autofree char *q = manifest_quoted(source, slen);
				return invalid(error, path, row, "source \"%s\" is also in line %u (its mail "
				               "would be delivered twice)", q, other->line);
			}
			g_hash_table_insert(sources, row->source, (gpointer)row);
		}
		if (row->action == MANIFEST_INBOX) {
			if ((other = g_hash_table_lookup(inboxes, row->user)) != NULL) {
				g_autofree char *q = manifest_quoted(row->user, strlen(row->user));
				return invalid(error, path, row, "a second inbox row for user \"%s\" (the "
				               "first is line %u)", q, other->line);
			}
			g_hash_table_insert(inboxes, row->user, (gpointer)row);
		}
	}
	return TRUE;
}

GPtrArray *
manifest_load(const char *path, const MailboxNaming *naming, ManifestSettings *settings_out,
              GError **error)
{
	g_autoptr(GPtrArray) rows = manifest_read(path, settings_out, error);

	if (rows == NULL)
		return NULL;
	if (settings_out->separator != 0 && settings_out->separator != naming->separator) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SEPARATOR,
		            "%s: made for a server with the '%c' separator, this one has '%c' "
		            "(run mapnames with --cyrus-conf)", path, settings_out->separator,
		            naming->separator);
	} else if (manifest_validate(path, rows, naming, error))
		return g_steal_pointer(&rows);
	manifest_settings_clear(settings_out);
	return NULL;
}
