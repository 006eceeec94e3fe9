/* manifest-write.c -- the manifest as text: its rows and settings line formatted,
 * and written atomically (manifest.h).  Reading is in manifest.c. */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "manifest-private.h"
#include "tsv.h"

static void
field(GString *out, const char *text, gsize len, gboolean last)
{
	if (text == NULL || len == 0)
		g_string_append_c(out, '-');
	else if (len == 1 && text[0] == '-')
		g_string_append(out, "\\x2d");   /* a value "-", not none */
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

guint
manifest_format_head(GString *out, const char *const *comments, gboolean servers)
{
	guint line = 1;   /* the header row's */

	for (const char *const *c = comments; c != NULL && *c != NULL; c++) {
		g_auto(GStrv) lines = g_strsplit(*c, "\n", -1);
		for (char **l = lines; *l != NULL; l++, line++)
			g_string_append_printf(out, "# %s\n", *l);
	}
	for (gsize i = 0; i < N_COLUMNS; i++)
		g_string_append_printf(out, "%s%c", manifest_columns[i], i + 1 < N_COLUMNS ? '\t' : '\n');
	if (servers)   /* the optional ninth column: before the header's line end */
		g_string_insert(out, (gssize)out->len - 1, "\tserver");
	return line;
}

void
manifest_format_row(GString *out, const ManifestRow *r, gboolean servers)
{
	gsize slen = 0;
	const char *src = r->source != NULL ? g_bytes_get_data(r->source, &slen) : NULL;

	field(out, r->user, strlen(r->user), FALSE);
	field(out, r->mailbox, r->mailbox ? strlen(r->mailbox) : 0, FALSE);
	field(out, src, slen, FALSE);
	g_string_append_printf(out, "%s\t", manifest_action_name(r->action));
	number(out, r->messages);
	number(out, r->bytes);
	g_string_append(out, r->subscribed < 0 ? "-\t" : r->subscribed ? "yes\t" : "no\t");
	field(out, r->note, r->note ? strlen(r->note) : 0, !servers);
	if (servers)
		field(out, r->server, r->server ? strlen(r->server) : 0, TRUE);
}

char *
manifest_format(const char *const *comments, GPtrArray *rows)
{
	GString *out = g_string_new(NULL);
	gboolean servers = FALSE;

	manifest_sort(rows);
	for (guint i = 0; i < rows->len; i++)
		servers |= ((ManifestRow *)g_ptr_array_index(rows, i))->server != NULL;
	guint line = manifest_format_head(out, comments, servers);
	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *r = g_ptr_array_index(rows, i);
		r->line = line + 1 + i;
		manifest_format_row(out, r, servers);
	}
	return g_string_free(out, FALSE);
}

/* ---- writing atomically -------------------------------------------------------- */

struct ManifestWriter {
	char *path;
	char *tmp;
	int fd;
};

static gboolean
writer_failed(ManifestWriter *writer, GError **error)
{
	int saved = errno;

	g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO, "cannot write %s: %s",
	            writer->path, g_strerror(saved));
	manifest_writer_abort(writer);
	return FALSE;
}

ManifestWriter *
manifest_writer_new(const char *path, GError **error)
{
	ManifestWriter *writer = g_new0(ManifestWriter, 1);
	g_autofree char *dir = g_path_get_dirname(path);

	writer->path = g_strdup(path);
	writer->tmp = g_build_filename(dir, ".manifest.XXXXXX", NULL);
	writer->fd = g_mkstemp_full(writer->tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (writer->fd < 0) {
		g_clear_pointer(&writer->tmp, g_free);   /* nothing to unlink */
		writer_failed(writer, error);
		return NULL;
	}
	return writer;
}

gboolean
manifest_writer_append(ManifestWriter *writer, const char *data, gsize len, GError **error)
{
	for (gsize done = 0; done < len;) {
		ssize_t w = write(writer->fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return writer_failed(writer, error);
		done += (gsize)w;
	}
	return TRUE;
}

gboolean
manifest_writer_commit(ManifestWriter *writer, GError **error)
{
	int fd = writer->fd;

	writer->fd = -1;
	if (fsync(fd) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return writer_failed(writer, error);
	}
	if (close(fd) != 0 || g_rename(writer->tmp, writer->path) != 0)
		return writer_failed(writer, error);
	g_clear_pointer(&writer->tmp, g_free);   /* renamed: nothing to unlink */
	manifest_writer_abort(writer);
	return TRUE;
}

void
manifest_writer_abort(ManifestWriter *writer)
{
	int saved = errno;

	if (writer == NULL)
		return;
	if (writer->fd >= 0)
		close(writer->fd);
	if (writer->tmp != NULL)
		g_unlink(writer->tmp);
	g_free(writer->tmp);
	g_free(writer->path);
	g_free(writer);
	errno = saved;
}

gboolean
manifest_write(const char *path, const char *const *comments, GPtrArray *rows, GError **error)
{
	g_autofree char *text = manifest_format(comments, rows);
	ManifestWriter *writer = manifest_writer_new(path, error);

	return writer != NULL && manifest_writer_append(writer, text, strlen(text), error) &&
	       manifest_writer_commit(writer, error);
}

/* ---- the settings line -------------------------------------------------------- */

void
manifest_settings_init(ManifestSettings *settings)
{
	memset(settings, 0, sizeof *settings);
	settings->check_owner = TRUE;
}

void
manifest_settings_clear(ManifestSettings *settings)
{
	g_free(settings->inbox_dir);
	g_free(settings->home_template);
	manifest_settings_init(settings);
}

/* " KEY=VALUE", the value escaped (tsv.h) with a space as \x20. */
static void
settings_pair(GString *out, const char *key, const char *value)
{
	g_autoptr(GString) escaped = g_string_new(NULL);

	tsv_escape_append(escaped, value, strlen(value));
	g_string_append_printf(out, " %s=", key);
	for (gsize i = 0; i < escaped->len; i++) {
		if (escaped->str[i] == ' ')
			g_string_append(out, "\\x20");
		else
			g_string_append_c(out, escaped->str[i]);
	}
}

char *
manifest_settings_format(const ManifestSettings *settings, const char *const *more)
{
	GString *out = g_string_new("settings:");

	if (settings->separator != 0) {
		char separator[2] = { settings->separator, '\0' };
		settings_pair(out, "separator", separator);
	}
	if (settings->inbox_dir != NULL)
		settings_pair(out, "spool-dir", settings->inbox_dir);
	settings_pair(out, "homes", settings->home_template ? settings->home_template : "passwd");
	settings_pair(out, "owner-check", settings->check_owner ? "yes" : "no");
	settings_pair(out, "follow-links-inside-home", settings->follow_links_inside_home ? "yes" : "no");
	for (const char *const *m = more; m != NULL && m[0] != NULL; m += 2) {
		g_assert(m[1] != NULL && strpbrk(m[0], " =") == NULL);
		settings_pair(out, m[0], m[1]);
	}
	return g_string_free(out, FALSE);
}
