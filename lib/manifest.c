/* manifest.c -- see manifest.h. */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "manifest-private.h"
#include "tsv.h"

const char *const manifest_columns[N_COLUMNS] = { "user", "mailbox", "source", "action",
                                                  "messages", "bytes", "subscribed", "note" };

G_DEFINE_QUARK(m2c-manifest-error-quark, m2c_manifest_error)


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
	g_free(row->server);
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

char *
manifest_quoted(const char *bytes, gsize len)
{
	return tsv_escape_cut(bytes, len, 100);
}

const char *
manifest_path_problem(const char *path, gsize len, gboolean root_ok)
{
	const char *p, *end;

	if (len == 0 || path[0] != '/')
		return "is not an absolute path";
	if (len == 1)
		return root_ok ? NULL : "is the root directory";
	for (p = path + 1, end = path + len;;) {
		const char *slash = memchr(p, '/', (gsize)(end - p));
		gsize n = (gsize)((slash != NULL ? slash : end) - p);
		if (n == 0)
			return "has an empty part (\"//\", or a \"/\" at the end)";
		if (n == 1 && p[0] == '.')
			return "has a \".\" part";
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "has a \"..\" part";
		if (slash == NULL)
			return NULL;
		p = slash + 1;
	}
}

enum { SET_SEPARATOR, SET_SPOOL_DIR, SET_HOMES, SET_OWNER_CHECK, SET_FOLLOW_LINKS, N_SETTINGS };
static const char *const setting_keys[N_SETTINGS] = {
	"separator", "spool-dir", "homes", "owner-check", "follow-links-inside-home",
};

static gboolean
setting_bool(const char *key, const char *value, gboolean *out, GError **error)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
		*out = strcmp(value, "yes") == 0;
		return TRUE;
	}
	g_autofree char *q = manifest_quoted(value, strlen(value));
	g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
	            "settings: %s \"%s\" is not yes or no", key, q);
	return FALSE;
}

/* A path setting: `value` (given) into *out, or FALSE when it is not a path
 * mapnames writes. */
static gboolean
setting_path(const char *key, char *value, char **out, GError **error)
{
	g_autofree char *path = value;
	const char *problem = manifest_path_problem(path, strlen(path), TRUE);

	if (problem != NULL) {
		g_autofree char *q = manifest_quoted(path, strlen(path));
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "settings: %s \"%s\" %s", key, q, problem);
		return FALSE;
	}
	*out = g_steal_pointer(&path);
	return TRUE;
}

/* One known setting, `k`, with its unescaped `value`, into `settings`. */
static gboolean
setting(ManifestSettings *settings, guint k, char *value /* taken */, GError **error)
{
	g_autofree char *owned = value;

	switch (k) {
	case SET_SEPARATOR:
		if (strcmp(value, ".") != 0 && strcmp(value, "/") != 0) {
			g_autofree char *q = manifest_quoted(value, strlen(value));
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
			            "settings: separator \"%s\" is not . or /", q);
			return FALSE;
		}
		settings->separator = value[0];
		return TRUE;
	case SET_SPOOL_DIR:
		return setting_path(setting_keys[k], g_steal_pointer(&owned), &settings->inbox_dir, error);
	case SET_HOMES:
		if (strcmp(value, "passwd") == 0)   /* the password database */
			return TRUE;
		return setting_path(setting_keys[k], g_steal_pointer(&owned), &settings->home_template,
		                    error);
	case SET_OWNER_CHECK:
		return setting_bool(setting_keys[k], value, &settings->check_owner, error);
	case SET_FOLLOW_LINKS:
		return setting_bool(setting_keys[k], value, &settings->follow_links_inside_home, error);
	default:
		g_assert_not_reached();
	}
}

/* The words of the settings line after "settings:" into `settings`. */
static gboolean
parse_settings(const char *words, ManifestSettings *settings, GError **error)
{
	g_auto(GStrv) tokens = g_strsplit(words, " ", -1);
	gboolean seen[N_SETTINGS] = { FALSE };

	for (char **t = tokens; *t != NULL; t++) {
		const char *eq = strchr(*t, '=');
		g_autoptr(GError) local = NULL;
		char *value;
		guint k;

		if (**t == '\0')
			continue;
		if (eq == NULL || eq == *t) {
			g_autofree char *q = manifest_quoted(*t, strlen(*t));
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
			            "settings: \"%s\" is not KEY=VALUE", q);
			return FALSE;
		}
		for (k = 0; k < N_SETTINGS; k++)
			if (strlen(setting_keys[k]) == (gsize)(eq - *t) &&
			    strncmp(*t, setting_keys[k], (gsize)(eq - *t)) == 0)
				break;
		if (k == N_SETTINGS)
			continue;   /* not needed to read the sources */
		if (seen[k]) {
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
			            "settings: %s given twice", setting_keys[k]);
			return FALSE;
		}
		seen[k] = TRUE;
		if ((value = tsv_unescape_string(eq + 1, strlen(eq + 1), &local)) == NULL) {
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
			            "settings: %s: %s", setting_keys[k], local->message);
			return FALSE;
		}
		if (!setting(settings, k, value, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- rows ----------------------------------------------------------------------- */

/* Digits only (no sign, no space), or "-" for -1. */
static gboolean
parse_number(const char *text, gint64 *out)
{
	guint64 n;

	if (strcmp(text, "-") == 0) {
		*out = -1;
		return TRUE;
	}
	if (!tsv_parse_number(text, G_MAXINT64, &n))
		return FALSE;
	*out = (gint64)n;
	return TRUE;
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
	if (*f[2] == '\0') {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "source: an empty field (\"-\" means none)");
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
		g_autofree char *q = manifest_quoted(action, strlen(action));
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "action \"%s\" is not inbox, folder or skip", q);
		return NULL;
	}
	if (!parse_number(f[4], &row->messages) || !parse_number(f[5], &row->bytes)) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "messages and bytes must be numbers or \"-\"");
		return NULL;
	}
	row->subscribed = strcmp(f[6], "yes") == 0 ? 1 : strcmp(f[6], "no") == 0 ? 0 : -1;
	if (row->subscribed < 0 && strcmp(f[6], "-") != 0) {
		g_autofree char *q = manifest_quoted(f[6], strlen(f[6]));
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "subscribed \"%s\" is not yes, no or -", q);
		return NULL;
	}
	if (row->action != MANIFEST_SKIP && row->mailbox == NULL) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX, "%s row needs a mailbox",
		            row->action == MANIFEST_INBOX ? "an inbox" : "a folder");
		return NULL;
	}
	return g_steal_pointer(&row);
}

#define SETTINGS_PREFIX "# settings:"

GPtrArray *
manifest_parse(const char *name, const char *text, gsize len, ManifestSettings *settings_out,
               GError **error)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_auto(ManifestSettings) settings = { 0 };
	gboolean header_seen = FALSE;
	gboolean server_column = FALSE;   /* the optional ninth column */
	guint settings_line = 0, n = 0;
	const char *p = text, *end = text + len;

	manifest_settings_init(&settings);
	if (settings_out != NULL)
		manifest_settings_init(settings_out);
	while (p < end) {
		const char *newline = memchr(p, '\n', (gsize)(end - p));
		gsize line_len = (gsize)((newline != NULL ? newline : end) - p);
		g_autoptr(GError) local = NULL;

		n++;
		if (memchr(p, '\0', line_len) != NULL) {
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
			            "%s:%u: a NUL byte (a NUL is written \\x00, and only in a source)", name, n);
			return NULL;
		}
		if (line_len > 0 && p[line_len - 1] == '\r')   /* an editor's CRLF: we write \r */
			line_len--;
		g_autofree char *l = g_strndup(p, line_len);
		p = newline != NULL ? newline + 1 : end;

		if (g_str_has_prefix(l, SETTINGS_PREFIX)) {
			if (settings_line != 0) {
				g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
				            "%s:%u: a second settings line (the first is line %u)", name, n,
				            settings_line);
				return NULL;
			}
			settings_line = n;
			if (!parse_settings(l + strlen(SETTINGS_PREFIX), &settings, &local)) {
				g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX, "%s:%u: %s",
				            name, n, local->message);
				return NULL;
			}
			continue;
		}
		if (*l == '\0' || *l == '#')
			continue;
		g_auto(GStrv) f = g_strsplit(l, "\t", -1);
		if (g_strv_length(f) < N_COLUMNS) {
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
			            "%s:%u: %u columns, a manifest row has %zu", name, n,
			            g_strv_length(f), N_COLUMNS);
			return NULL;
		}
		if (!header_seen) {
			for (gsize i = 0; i < N_COLUMNS; i++)
				if (strcmp(f[i], manifest_columns[i]) != 0) {
					g_autofree char *q = manifest_quoted(f[i], strlen(f[i]));
					g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
					            "%s:%u: not a manifest: column %zu is \"%s\", not \"%s\"",
					            name, n, i + 1, q, manifest_columns[i]);
					return NULL;
				}
			header_seen = TRUE;
			server_column = f[N_COLUMNS] != NULL && strcmp(f[N_COLUMNS], "server") == 0;
			continue;
		}
		ManifestRow *row = parse_row(f, n, &local);
		if (row != NULL && server_column && f[N_COLUMNS] != NULL &&
		    !text_field(f[N_COLUMNS], &row->server, &local)) {
			g_clear_pointer(&row, manifest_row_free);
			g_prefix_error(&local, "server: ");
		}
		if (row == NULL) {
			g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX, "%s:%u: %s",
			            name, n, local->message);
			return NULL;
		}
		g_ptr_array_add(rows, row);
	}
	if (!header_seen) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX,
		            "%s: not a manifest: no header row", name);
		return NULL;
	}
	if (settings_out != NULL) {
		*settings_out = settings;
		manifest_settings_init(&settings);   /* handed over */
	}
	return g_steal_pointer(&rows);
}

GPtrArray *
manifest_read(const char *path, ManifestSettings *settings_out, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;
	gsize len;

	if (settings_out != NULL)
		manifest_settings_init(settings_out);
	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_set_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO, "%s", local->message);
		return NULL;
	}
	return manifest_parse(path, text, len, settings_out, error);
}

static void
manifest_user_free(ManifestUser *u)
{
	g_free(u->user);
	g_ptr_array_unref(u->rows);
	g_free(u);
}

GPtrArray *
manifest_group_by_user(GPtrArray *rows, char *const *only)
{
	GPtrArray *users = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_user_free);
	g_autoptr(GHashTable) by_user = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *row = g_ptr_array_index(rows, i);
		if (row->action == MANIFEST_SKIP)
			continue;
		if (only != NULL && !g_strv_contains((const char *const *)only, row->user))
			continue;
		ManifestUser *u = g_hash_table_lookup(by_user, row->user);
		if (u == NULL) {
			u = g_new0(ManifestUser, 1);
			u->user = g_strdup(row->user);
			u->rows = g_ptr_array_new();
			g_hash_table_insert(by_user, u->user, u);
			g_ptr_array_add(users, u);
		}
		g_ptr_array_add(u->rows, row);
	}
	return users;
}
