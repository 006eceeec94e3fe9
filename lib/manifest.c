/* manifest.c -- see manifest.h. */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tsv.h"

G_DEFINE_QUARK(m2c-manifest-error-quark, m2c_manifest_error)

static const char *const columns[] = { "user", "mailbox", "source", "action", "messages",
                                       "bytes", "subscribed", "note" };
#define N_COLUMNS G_N_ELEMENTS(columns)

ManifestRow *
manifest_row_new(const char *user, const char *mailbox, const char *source, gsize source_len,
                 ManifestAction action, const char *note)
{
	ManifestRow *row = g_new0(ManifestRow, 1);
	row->user = g_strdup(user);
	row->mailbox = g_strdup(mailbox);
	row->source = source != NULL ? g_bytes_new(source, source_len) : NULL;
	row->action = action;
	row->messages = -1;
	row->bytes = -1;
	row->subscribed = action == MANIFEST_SKIP ? -1 : 0;
	row->note = note != NULL && *note != '\0' ? g_strdup(note) : NULL;
	return row;
}

void
manifest_row_free(ManifestRow *row)
{
	if (row == NULL)
		return;
	g_free(row->user);
	g_free(row->mailbox);
	g_clear_pointer(&row->source, g_bytes_unref);
	g_free(row->note);
	g_free(row);
}

const char *
manifest_action_name(ManifestAction action)
{
	static const char *const names[] = { "inbox", "folder", "skip" };
	g_assert((gsize)action < G_N_ELEMENTS(names));
	return names[action];
}

static int
compare_rows(gconstpointer a, gconstpointer b)
{
	const ManifestRow *x = *(ManifestRow *const *)a, *y = *(ManifestRow *const *)b;
	int c = strcmp(x->user, y->user);
	if (c != 0)
		return c;
	if (x->action != y->action)
		return x->action < y->action ? -1 : 1;
	c = g_strcmp0(x->mailbox, y->mailbox);
	if (c != 0)
		return c;
	if (x->source == NULL || y->source == NULL)
		return (x->source != NULL) - (y->source != NULL);
	return g_bytes_compare(x->source, y->source);
}

void
manifest_sort(GPtrArray *rows)
{
	g_ptr_array_sort(rows, compare_rows);
}

static void
field(GString *out, const char *text, gsize len, gboolean last)
{
	if (text == NULL || len == 0)
		g_string_append_c(out, '-');
	else
		tsv_escape_append(out, text, len);
	g_string_append_c(out, last ? '\n' : '\t');
}

static void
number(GString *out, gint64 n)
{
	if (n < 0)
		g_string_append(out, "-\t");
	else
		g_string_append_printf(out, "%" G_GINT64_FORMAT "\t", n);
}

char *
manifest_format(const char *const *comments, GPtrArray *rows)
{
	GString *out = g_string_new(NULL);

	manifest_sort(rows);
	for (const char *const *c = comments; c != NULL && *c != NULL; c++) {
		g_auto(GStrv) lines = g_strsplit(*c, "\n", -1);
		for (char **l = lines; *l != NULL; l++)
			g_string_append_printf(out, "# %s\n", *l);
	}
	for (gsize i = 0; i < N_COLUMNS; i++)
		g_string_append_printf(out, "%s%c", columns[i], i + 1 < N_COLUMNS ? '\t' : '\n');
	for (guint i = 0; i < rows->len; i++) {
		const ManifestRow *r = g_ptr_array_index(rows, i);
		gsize slen = 0;
		const char *src = r->source != NULL ? g_bytes_get_data(r->source, &slen) : NULL;
		field(out, r->user, strlen(r->user), FALSE);
		field(out, r->mailbox, r->mailbox ? strlen(r->mailbox) : 0, FALSE);
		field(out, src, slen, FALSE);
		g_string_append_printf(out, "%s\t", manifest_action_name(r->action));
		number(out, r->messages);
		number(out, r->bytes);
		g_string_append(out, r->subscribed < 0 ? "-\t" : r->subscribed ? "yes\t" : "no\t");
		field(out, r->note, r->note ? strlen(r->note) : 0, TRUE);
	}
	return g_string_free(out, FALSE);
}

gboolean
manifest_write(const char *path, const char *const *comments, GPtrArray *rows, GError **error)
{
	g_autofree char *text = manifest_format(comments, rows);
	gsize len = strlen(text);
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *tmp = g_build_filename(dir, ".manifest.XXXXXX", NULL);
	int fd;

	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	for (gsize done = 0; done < len;) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail_fd;
		done += (gsize)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail_unlink;
	}
	if (g_rename(tmp, path) != 0)
		goto fail_unlink;
	return TRUE;

fail_fd:
	close(fd);
fail_unlink:
	{
		int saved = errno;
		g_unlink(tmp);
		errno = saved;
	}
fail:
	g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO, "cannot write %s: %s",
	            path, g_strerror(errno));
	return FALSE;
}

static gboolean
parse_number(const char *text, gint64 *out)
{
	char *end;
	if (strcmp(text, "-") == 0) {
		*out = -1;
		return TRUE;
	}
	*out = g_ascii_strtoll(text, &end, 10);
	return end != text && *end == '\0' && *out >= 0;
}

/* One escaped text field: NULL for "-". */
static gboolean
text_field(const char *f, char **out, GError **error)
{
	if (strcmp(f, "-") == 0) {
		*out = NULL;
		return TRUE;
	}
	if (*f == '\0') {   /* the writer never leaves a field empty */
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "an empty field (\"-\" means none)");
		*out = NULL;
		return FALSE;
	}
	*out = tsv_unescape_string(f, strlen(f), error);
	return *out != NULL;
}

static ManifestRow *
parse_row(char **f, guint line, GError **error)
{
	g_autoptr(ManifestRow) row = g_new0(ManifestRow, 1);
	g_autoptr(GError) local = NULL;
	char *action = f[3];

	row->line = line;
	if (!text_field(f[0], &row->user, &local) || row->user == NULL ||
	    !text_field(f[1], &row->mailbox, &local) || !text_field(f[7], &row->note, &local)) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX, "%s",
		            local ? local->message : "no user");
		return NULL;
	}
	if (strcmp(f[2], "-") != 0 && (row->source = tsv_unescape(f[2], strlen(f[2]), &local)) == NULL) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX, "source: %s", local->message);
		return NULL;
	}
	if (strcmp(action, "inbox") == 0)
		row->action = MANIFEST_INBOX;
	else if (strcmp(action, "folder") == 0)
		row->action = MANIFEST_FOLDER;
	else if (strcmp(action, "skip") == 0)
		row->action = MANIFEST_SKIP;
	else {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "action \"%s\" is not inbox, folder or skip", action);
		return NULL;
	}
	if (!parse_number(f[4], &row->messages) || !parse_number(f[5], &row->bytes)) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "messages and bytes must be numbers or \"-\"");
		return NULL;
	}
	row->subscribed = strcmp(f[6], "yes") == 0 ? 1 : strcmp(f[6], "no") == 0 ? 0 : -1;
	if (row->subscribed < 0 && strcmp(f[6], "-") != 0) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "subscribed \"%s\" is not yes, no or -", f[6]);
		return NULL;
	}
	if (row->action != MANIFEST_SKIP && row->mailbox == NULL) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "an %s row needs a mailbox", action);
		return NULL;
	}
	return g_steal_pointer(&row);
}

GPtrArray *
manifest_read(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	gboolean header_seen = FALSE;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO, "%s", local->message);
		return NULL;
	}
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (guint n = 0; lines[n] != NULL; n++) {
		char *l = lines[n];
		if (*l == '\0' || *l == '#')
			continue;
		g_auto(GStrv) f = g_strsplit(l, "\t", -1);
		if (g_strv_length(f) < N_COLUMNS) {
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
			            "%s:%u: %u columns, a manifest row has %zu", path, n + 1,
			            g_strv_length(f), N_COLUMNS);
			return NULL;
		}
		if (!header_seen) {
			for (gsize i = 0; i < N_COLUMNS; i++)
				if (strcmp(f[i], columns[i]) != 0) {
					g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
					            "%s:%u: not a manifest: column %zu is \"%s\", not \"%s\"",
					            path, n + 1, i + 1, f[i], columns[i]);
					return NULL;
				}
			header_seen = TRUE;
			continue;
		}
		ManifestRow *row = parse_row(f, n + 1, &local);
		if (row == NULL) {
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX, "%s:%u: %s",
			            path, n + 1, local->message);
			return NULL;
		}
		g_ptr_array_add(rows, row);
	}
	if (!header_seen) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "%s: not a manifest: no header row", path);
		return NULL;
	}
	return g_steal_pointer(&rows);
}
