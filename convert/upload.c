/* upload.c -- see upload.h. */
#include "upload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manifest.h"

G_DEFINE_QUARK(m2c-upload-error-quark, m2c_upload_error)

gboolean
upload_naming_from_namespace(const char *prefix, char delimiter, MailboxNaming *naming,
                             gboolean *altnamespace_out, GError **error)
{
	gboolean inbox = g_ascii_strncasecmp(prefix, "INBOX", 5) == 0 && prefix[5] == delimiter &&
	                 prefix[6] == '\0';
	if ((delimiter != '.' && delimiter != '/') || (!inbox && *prefix != '\0')) {
		g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_NAMESPACE, "the server's personal "
		            "namespace is \"%s\" with the separator '%c': not one Cyrus has (INBOX%s, or "
		            "\"\" with altnamespace)", prefix, delimiter ? delimiter : '?',
		            delimiter == '/' ? "/" : ".");
		return FALSE;
	}
	naming->separator = delimiter;
	naming->virtdomains = TRUE;
	*altnamespace_out = !inbox;
	return TRUE;
}

void
upload_file_free(UploadFile *file)
{
	if (file == NULL)
		return;
	g_free(file->given);
	g_free(file->path);
	g_free(file);
}

GPtrArray *
upload_files_check(char *const *files, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)upload_file_free);
	for (guint i = 0; files != NULL && files[i] != NULL; i++) {
		const char *given = files[i];
		struct stat st;
		if (strcmp(given, "-") == 0) {
			g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FILE, "\"-\": standard input "
			            "cannot be uploaded (a rerun must find the same file again): save it to a file");
			return NULL;
		}
		g_autofree char *path = realpath(given, NULL);
		if (path == NULL || stat(path, &st) != 0) {
			int e = errno;
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", given, g_strerror(e));
			return NULL;
		}
		if (!S_ISREG(st.st_mode)) {
			g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FILE, "%s: %s", given,
			            S_ISDIR(st.st_mode) ? "a directory (give the mbox files in it)"
			                                : "not a regular file");
			return NULL;
		}
		for (guint k = 0; k < out->len; k++) {
			UploadFile *seen = g_ptr_array_index(out, k);
			if (strcmp(seen->path, path) == 0) {
				g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FILE, "%s: the same file as "
				            "%s (given twice)", given, seen->given);
				return NULL;
			}
		}
		UploadFile *f = g_new0(UploadFile, 1);
		f->given = g_strdup(given);
		f->path = g_steal_pointer(&path);
		g_ptr_array_add(out, f);
	}
	return g_steal_pointer(&out);
}

/* The folder name of `given`: its base name without a compression suffix (the reader
 * opens compressed folders; discover.c names them the same way), then without an
 * ".mbox" or ".mbx" (takeout.mbox is the folder "takeout", not "takeout．mbox"). */
static char *
file_folder_name(const char *given)
{
	static const char *const compressed[] = { ".gz", ".bz2", ".xz", ".Z", NULL };
	static const char *const mbox[] = { ".mbox", ".mbx", NULL };
	const char *const *lists[] = { compressed, mbox };
	g_autofree char *base = g_path_get_basename(given);
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
		for (const char *const *suffix = lists[l]; *suffix != NULL; suffix++) {
			gsize n = strlen(base), s = strlen(*suffix);
			if (n > s && g_str_has_suffix(base, *suffix)) {
				base[n - s] = '\0';
				break;
			}
		}
	return g_steal_pointer(&base);
}

gboolean
upload_rows_from_files(const MapUserSettings *settings, const char *user, GPtrArray *files,
                       GPtrArray *rows, GError **error)
{
	g_autofree char *prefix = NULL, *domain = NULL;
	g_autoptr(MailboxNameSet) names = mailbox_name_set_new(settings->naming);

	if (!mailbox_name_user(settings->naming, user, &prefix, &domain, error))
		return FALSE;
	mailbox_name_set_add_inbox(names, prefix, domain);
	for (guint i = 0; i < files->len; i++) {
		UploadFile *f = g_ptr_array_index(files, i);
		g_autoptr(GString) notes = g_string_new(NULL);
		g_autofree char *name = file_folder_name(f->given);
		g_auto(GStrv) mapped = g_new0(char *, 2);
		mapped[0] = map_user_component(settings, name, strlen(name), TRUE, notes);
		g_autofree char *mailbox = mailbox_name_set_add(names, prefix, domain, mapped, notes, error);
		if (mailbox == NULL) {
			g_prefix_error(error, "%s: ", f->given);
			return FALSE;
		}
		ManifestRow *row = manifest_row_new(user, mailbox, f->path, strlen(f->path),
		                                    MANIFEST_FOLDER, notes->len ? notes->str : NULL);
		row->subscribed = 1;
		g_ptr_array_add(rows, row);
	}
	return TRUE;
}

/* The admin's name of folder `into` of the user with `prefix`, `domain`: new, or NULL
 * with FOLDER. */
static char *
into_mailbox(const MapUserSettings *settings, const char *prefix, const char *domain,
             const char *into, GError **error)
{
	const char separators[] = { '/', settings->naming->separator, '\0' };
	g_auto(GStrv) levels = g_strsplit_set(into, separators, -1);
	guint n = g_strv_length(levels), first = 0;

	if (n > 1 && g_ascii_strcasecmp(levels[0], "INBOX") == 0)
		first = 1;   /* "INBOX.Imported": the user's own name of Imported */
	if (n == 0 || (n == 1 && g_ascii_strcasecmp(levels[0], "INBOX") == 0)) {
		g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FOLDER, "--into \"%s\": name a "
		            "folder (without --into the mail goes into INBOX and its folders)", into);
		return NULL;
	}
	g_auto(GStrv) mapped = g_new0(char *, n - first + 1);
	for (guint k = first; k < n; k++) {
		if (*levels[k] == '\0') {
			g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FOLDER, "--into \"%s\": an "
			            "empty level", into);
			return NULL;
		}
		mapped[k - first] = map_user_component(settings, levels[k], strlen(levels[k]), FALSE, NULL);
	}
	g_autoptr(MailboxNameSet) names = mailbox_name_set_new(settings->naming);
	g_autoptr(GError) local = NULL;
	mailbox_name_set_add_inbox(names, prefix, domain);
	char *mailbox = mailbox_name_set_add(names, prefix, domain, mapped, NULL, &local);
	if (mailbox == NULL)
		g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FOLDER, "--into \"%s\": %s", into,
		            local->message);
	return mailbox;
}

gboolean
upload_rows_into(const MapUserSettings *settings, const char *user, const char *into,
                 GPtrArray *rows, Report *report, GError **error)
{
	g_autofree char *prefix = NULL, *domain = NULL;
	g_autoptr(GError) local = NULL;

	if (!mailbox_name_user(settings->naming, user, &prefix, &domain, &local)) {
		g_set_error(error, M2C_UPLOAD_ERROR, M2C_UPLOAD_ERROR_FOLDER, "--into: %s", local->message);
		return FALSE;
	}
	g_autofree char *top = into_mailbox(settings, prefix, domain, into, error);
	if (top == NULL)
		return FALSE;
	g_autofree char *inbox = g_strconcat(prefix, domain, NULL);
	gsize plen = strlen(prefix), dlen = strlen(domain), tlen = strlen(top) - dlen;
	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *row = g_ptr_array_index(rows, i);
		if (row->action == MANIFEST_SKIP || strcmp(row->user, user) != 0)
			continue;
		/* user.alice -> user.alice.Imported, user.alice.Sent -> user.alice.Imported.Sent
		 * (names below the prefix, each with the domain after it) */
		g_autofree char *moved = NULL;
		if (strcmp(row->mailbox, inbox) == 0)
			moved = g_strdup(top);
		else
			moved = g_strdup_printf("%.*s%s", (int)tlen, top, row->mailbox + plen);
		if (!mailbox_name_check(settings->naming, moved, &local)) {
			g_autofree char *path = row->source ? g_strndup(g_bytes_get_data(row->source, NULL),
			                                                g_bytes_get_size(row->source)) : NULL;
			g_autofree char *note = g_strdup_printf("no mailbox name fits under --into \"%s\": %s",
			                                        into, local->message);
			report_at(report, REPORT_FAILED, path, 0, -1, "not uploaded: %s", note);
			row->action = MANIFEST_SKIP;
			g_clear_pointer(&row->mailbox, g_free);
			g_free(row->note);
			row->note = g_steal_pointer(&note);
			g_clear_error(&local);
			continue;
		}
		/* the old inbox is a folder now (manifest.h: an inbox row is the INBOX) */
		if (row->action == MANIFEST_INBOX)
			row->action = MANIFEST_FOLDER;
		g_free(row->mailbox);
		row->mailbox = g_steal_pointer(&moved);
	}
	return TRUE;
}

char *
upload_state_dir(const char *host, guint16 port, const char *login)
{
	g_autofree char *name = g_strdup_printf("%s-%u-%s", host, port, login);
	for (char *p = name; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("._@+-", *p) == NULL)
			*p = '_';
	return g_build_filename(g_get_user_state_dir(), "mbox2cyrus", "upload", name, NULL);
}
