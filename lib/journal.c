/* journal.c -- see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "failure.h"
#include "tsv.h"

G_DEFINE_QUARK(m2c-journal-error-quark, m2c_journal_error)

typedef struct {
	JournalRecord pub;
	char *key, *detail;
} Record;

struct Journal {
	int fd;
	char *path;
	const char *const *steps;
	GPtrArray *records;    /* Record*, file order */
	GHashTable *last;      /* "step\tkey" -> Record* (the last one) */
	guint lines;
	gboolean resumed;
	gboolean defer_sync;   /* journal_defer_sync() */
	gboolean unsynced;     /* written since the last fsync */
};

static void
record_free(Record *r)
{
	g_free(r->key);
	g_free(r->detail);
	g_free(r);
}

/* The file name for `name`: letters, digits and ._@- as they are, other bytes %XX. */
static char *
file_name(const char *name)
{
	GString *out = g_string_new(NULL);
	for (const char *p = name; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p) || strchr("._@-", *p) != NULL)
			g_string_append_c(out, *p);
		else
			g_string_append_printf(out, "%%%02X", (unsigned char)*p);
	}
	if (out->str[0] == '.' || out->len == 0)
		g_string_prepend(out, "%2E");
	g_string_append(out, ".journal");
	return g_string_free(out, FALSE);
}

static const char *
known_step(const Journal *j, const char *name)
{
	for (const char *const *s = j->steps; *s != NULL; s++)
		if (strcmp(*s, name) == 0)
			return *s;
	return NULL;
}

static void
remember(Journal *j, const char *step, char *key /* taken */, char *detail /* taken */, guint line)
{
	Record *r = g_new0(Record, 1);
	r->key = key;
	r->detail = detail;
	r->pub.step = step;
	r->pub.key = r->key;
	r->pub.detail = r->detail;
	r->pub.line = line;
	g_ptr_array_add(j->records, r);
	g_hash_table_replace(j->last, g_strdup_printf("%s\t%s", step, key), r);
}

/* One line of the file: a record, or FALSE with DAMAGED. */
static gboolean
parse_line(Journal *j, const char *text, gsize len, guint line, GError **error)
{
	const char *tab1 = memchr(text, '\t', len);
	const char *tab2 = tab1 ? memchr(tab1 + 1, '\t', len - (gsize)(tab1 + 1 - text)) : NULL;
	g_autoptr(GError) local = NULL;
	const char *what;
	g_autofree char *step_name = NULL;

	if (tab2 == NULL || memchr(tab2 + 1, '\t', len - (gsize)(tab2 + 1 - text)) != NULL) {
		what = "not three fields";
		goto damaged;
	}
	step_name = g_strndup(text, (gsize)(tab1 - text));
	const char *step = known_step(j, step_name);
	if (step == NULL) {
		g_autofree char *shown = g_strescape(step_name, NULL);
		g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED,
		            "%s:%u: damaged journal line: unknown step \"%.40s\"", j->path, line, shown);
		return FALSE;
	}
	char *key = tsv_unescape_string(tab1 + 1, (gsize)(tab2 - tab1 - 1), &local);
	char *detail = key ? tsv_unescape_string(tab2 + 1, len - (gsize)(tab2 + 1 - text), &local) : NULL;
	if (detail == NULL) {
		g_free(key);
		g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED,
		            "%s:%u: damaged journal line: %s", j->path, line, local->message);
		return FALSE;
	}
	remember(j, step, key, detail, line);
	return TRUE;
damaged:
	g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_DAMAGED,
	            "%s:%u: damaged journal line: %s", j->path, line, what);
	return FALSE;
}

static gboolean
read_existing(Journal *j, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0, start = 0;
	g_autoptr(GError) local = NULL;

	if (!g_file_get_contents(j->path, &text, &len, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_IO, "%s", local->message);
		return FALSE;
	}
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		if (nl == NULL) {
			/* a torn last line: the crash came mid-write; cut it off so the next
			 * record does not continue it */
			if (truncate(j->path, (off_t)start) != 0) {
				g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_IO,
				            "%s: cannot cut off a torn last line: %s", j->path, g_strerror(errno));
				return FALSE;
			}
			break;
		}
		j->lines++;
		if (!parse_line(j, text + start, (gsize)(nl - (text + start)), j->lines, error))
			return FALSE;
		start = (gsize)(nl - text) + 1;
	}
	j->resumed = j->records->len > 0;
	return TRUE;
}

Journal *
journal_open(const char *state_dir, const char *name, const char *const *steps, GError **error)
{
	g_autofree char *file = file_name(name);
	struct stat st;
	Journal *j;

	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_IO,
		            "cannot create the state directory %s: %s", state_dir, g_strerror(errno));
		return NULL;
	}
	j = g_new0(Journal, 1);
	j->fd = -1;
	j->steps = steps;
	j->path = g_build_filename(state_dir, file, NULL);
	j->records = g_ptr_array_new_with_free_func((GDestroyNotify)record_free);
	j->last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* never through a link: the state directory may sit where others can write */
	if (lstat(j->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_IO, "%s: not a regular file",
		            j->path);
		journal_free(j);
		return NULL;
	}
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0) {
		g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_IO, "%s: %s", j->path,
		            g_strerror(errno));
		journal_free(j);
		return NULL;
	}
	/* one run at a time: two that read the same journal would both redo what is left
	 * (an imap delivery: every message appended twice); held until journal_free() */
	if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s is in use by another run "
			            "(wait for it to end, then run again)", j->path);
		else
			g_set_error(error, M2C_JOURNAL_ERROR, M2C_JOURNAL_ERROR_IO, "%s: cannot lock: %s",
			            j->path, g_strerror(e));
		journal_free(j);
		return NULL;
	}
	if (!read_existing(j, error)) {
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
	g_hash_table_unref(journal->last);
	g_ptr_array_unref(journal->records);
	g_free(journal->path);
	g_free(journal);
}

const char *
journal_path(const Journal *journal)
{
	return journal->path;
}

const JournalRecord *
journal_find(const Journal *journal, const char *step, const char *key)
{
	g_autofree char *k = g_strdup_printf("%s\t%s", step, key);
	Record *r = g_hash_table_lookup(journal->last, k);
	return r != NULL ? &r->pub : NULL;
}

guint
journal_n_records(const Journal *journal)
{
	return journal->records->len;
}

const JournalRecord *
journal_record_at(const Journal *journal, guint index)
{
	g_return_val_if_fail(index < journal->records->len, NULL);
	return &((Record *)g_ptr_array_index(journal->records, index))->pub;
}

gboolean
journal_is_resumed(const Journal *journal)
{
	return journal->resumed;
}

gboolean
journal_append_many(Journal *journal, const char *step, const char *key,
                    const char *const *details, guint n, GError **error)
{
	const char *name = known_step(journal, step);
	g_autoptr(GString) lines = g_string_new(NULL);

	g_assert(name != NULL);   /* the caller's own step names: a bug otherwise */
	if (n == 0)
		return TRUE;
	for (guint i = 0; i < n; i++) {
		const char *d = details[i] != NULL ? details[i] : "";
		g_string_append(lines, step);
		g_string_append_c(lines, '\t');
		tsv_escape_append(lines, key, strlen(key));
		g_string_append_c(lines, '\t');
		tsv_escape_append(lines, d, strlen(d));
		g_string_append_c(lines, '\n');
	}
	/* one write of whole lines: O_APPEND keeps them whole between processes */
	ssize_t w = write(journal->fd, lines->str, lines->len);
	if (w != (ssize_t)lines->len || (!journal->defer_sync && fsync(journal->fd) != 0)) {
		int errsv = w < 0 ? errno : errno ? errno : EIO;
		/* a short write leaves a torn line: cut it so the file stays whole */
		if (w > 0 && w < (ssize_t)lines->len) {
			struct stat st;
			if (fstat(journal->fd, &st) == 0)
				(void)ftruncate(journal->fd, st.st_size - w);
		}
		failure_set_errno(error, errsv, "journal %s", journal->path);
		return FALSE;
	}
	journal->unsynced = journal->defer_sync;
	for (guint i = 0; i < n; i++) {
		journal->lines++;
		remember(journal, name, g_strdup(key), g_strdup(details[i] != NULL ? details[i] : ""),
		         journal->lines);
	}
	return TRUE;
}

void
journal_defer_sync(Journal *journal)
{
	journal->defer_sync = TRUE;
}

gboolean
journal_sync(Journal *journal, GError **error)
{
	if (!journal->unsynced)
		return TRUE;
	if (fsync(journal->fd) != 0) {
		failure_set_errno(error, errno, "journal %s", journal->path);
		return FALSE;
	}
	journal->unsynced = FALSE;
	return TRUE;
}

gboolean
journal_append(Journal *journal, const char *step, const char *key, const char *detail,
               GError **error)
{
	return journal_append_many(journal, step, key, &detail, 1, error);
}
