/* journal.c -- see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tsv.h"

struct Journal {
	int fd;
	char *path;
	GHashTable *steps;     /* mailbox -> GUINT_TO_POINTER(mask) */
	GHashTable *details;   /* "step\tmailbox" -> detail */
	gboolean resumed;
};

static const char *const step_names[] = { "created", "written", "reconstructed", "flagged",
                                          "subscribed", "done" };

static int
step_index(JournalStep step)
{
	for (gsize i = 0; i < G_N_ELEMENTS(step_names); i++)
		if ((JournalStep)(1 << i) == step)
			return (int)i;
	g_assert_not_reached();
}

/* The file name for a user: letters, digits and ._@- as they are, other bytes %XX. */
static char *
file_name(const char *user)
{
	GString *out = g_string_new(NULL);
	for (const char *p = user; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p) || strchr("._@-", *p) != NULL)
			g_string_append_c(out, *p);
		else
			g_string_append_printf(out, "%%%02X", (unsigned char)*p);
	}
	if (out->str[0] == '.')
		g_string_prepend(out, "%2E");
	g_string_append(out, ".journal");
	return g_string_free(out, FALSE);
}

static void
remember(Journal *j, int index, const char *mailbox, const char *detail)
{
	guint mask = GPOINTER_TO_UINT(g_hash_table_lookup(j->steps, mailbox));
	g_hash_table_replace(j->steps, g_strdup(mailbox), GUINT_TO_POINTER(mask | (1u << index)));
	g_hash_table_replace(j->details, g_strdup_printf("%d\t%s", index, mailbox), g_strdup(detail));
}

Journal *
journal_open(const char *state_dir, const char *user, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *name = file_name(user);
	g_autofree char *text = NULL;
	Journal *j;

	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot create the state directory %s: %s", state_dir, g_strerror(errno));
		return NULL;
	}
	j = g_new0(Journal, 1);
	j->path = g_build_filename(state_dir, name, NULL);
	j->steps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	j->details = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (g_file_get_contents(j->path, &text, NULL, &local)) {
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
		/* the last element follows the last newline: a torn line, or "" */
		for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++) {
			g_auto(GStrv) f = g_strsplit(lines[i], "\t", 3);
			if (g_strv_length(f) != 3)
				continue;
			for (gsize k = 0; k < G_N_ELEMENTS(step_names); k++)
				if (strcmp(f[0], step_names[k]) == 0) {
					g_autofree char *mailbox = tsv_unescape_string(f[1], strlen(f[1]), NULL);
					g_autofree char *detail = tsv_unescape_string(f[2], strlen(f[2]), NULL);
					if (mailbox == NULL || detail == NULL)
						break;
					remember(j, (int)k, mailbox, detail);
					j->resumed = TRUE;
				}
		}
	} else if (!g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		g_propagate_error(error, g_steal_pointer(&local));
		journal_free(j);
		return NULL;
	}
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", j->path,
		            g_strerror(errno));
		journal_free(j);
		return NULL;
	}
	return j;
}

void
journal_free(Journal *journal)
{
	if (journal == NULL)
		return;
	if (journal->fd >= 0)
		close(journal->fd);
	g_hash_table_unref(journal->steps);
	g_hash_table_unref(journal->details);
	g_free(journal->path);
	g_free(journal);
}

gboolean
journal_has(const Journal *journal, const char *mailbox, JournalStep step)
{
	return (GPOINTER_TO_UINT(g_hash_table_lookup(journal->steps, mailbox)) & step) != 0;
}

const char *
journal_detail(const Journal *journal, const char *mailbox, JournalStep step)
{
	g_autofree char *key = g_strdup_printf("%d\t%s", step_index(step), mailbox);
	return g_hash_table_lookup(journal->details, key);
}

gboolean
journal_is_resumed(const Journal *journal)
{
	return journal->resumed;
}

gboolean
journal_record(Journal *journal, const char *mailbox, JournalStep step, const char *detail,
               GError **error)
{
	g_autoptr(GString) line = g_string_new(step_names[step_index(step)]);
	const char *d = detail != NULL ? detail : "";

	g_string_append_c(line, '\t');
	tsv_escape_append(line, mailbox, strlen(mailbox));
	g_string_append_c(line, '\t');
	tsv_escape_append(line, d, strlen(d));
	g_string_append_c(line, '\n');
	/* one write of one line: O_APPEND keeps it whole between processes */
	if (write(journal->fd, line->str, line->len) != (ssize_t)line->len || fsync(journal->fd) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "journal %s: %s",
		            journal->path, g_strerror(errno));
		return FALSE;
	}
	remember(journal, step_index(step), mailbox, d);
	return TRUE;
}
