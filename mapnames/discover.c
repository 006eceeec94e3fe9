/* discover.c -- see discover.h.
 *
 * Order for one user: identity (uid, groups, home), the spool file, ~/mbox, then each
 * folder directory, walked depth-first with entries in byte order, so the same tree
 * always gives the same list.
 */
#include "discover.h"
#include "mbox-reader.h"
#include "user-access.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#define PEEK_BYTES 4096

typedef struct {
	const DiscoverSettings *settings;
	const char *user;
	UserAccess *access;      /* uid, groups, home: what the user could read */
	const char *home;        /* the access's */
	GPtrArray *found;
} Walk;

void
found_free(Found *found)
{
	if (found == NULL)
		return;
	g_free(found->path);
	g_strfreev(found->components);
	g_free(found->relative);
	g_free(found->note);
	g_free(found);
}

static void
add(Walk *w, const char *path, ManifestAction action, char **components, const char *relative,
    char *note /* taken */)
{
	Found *f = g_new0(Found, 1);
	f->path = g_strdup(path);
	f->action = action;
	f->components = components;
	f->relative = g_strdup(relative);
	f->note = note;
	g_ptr_array_add(w->found, f);
}

static void
skip(Walk *w, const char *path, const char *relative, const char *format, ...) G_GNUC_PRINTF(4, 5);

static void
skip(Walk *w, const char *path, const char *relative, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	add(w, path, MANIFEST_SKIP, NULL, relative, g_strdup_vprintf(format, ap));
	va_end(ap);
}

/* ".gz" when `name` ends in the suffix of compression `kind`, else NULL. */
static const char *
compression_suffix(const char *name, const char *kind)
{
	static const struct {
		const char *kind, *suffix;
	} suffixes[] = { { "gzip", ".gz" }, { "compress", ".Z" }, { "bzip2", ".bz2" }, { "xz", ".xz" } };
	for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++)
		if (strcmp(kind, suffixes[i].kind) == 0 && g_str_has_suffix(name, suffixes[i].suffix))
			return suffixes[i].suffix;
	return NULL;
}

/* The first 4 KiB say what the file is: an mbox (a From_ line after optional empty
 * lines and a UTF-8 BOM), compressed, binary, or text that is not an mbox. */
typedef enum { KIND_MBOX, KIND_COMPRESSED, KIND_BINARY, KIND_TEXT } FileKind;

static FileKind
classify(const unsigned char *buf, gssize len)
{
	gssize i = 0, odd = 0;

	if (mbox_compression_of(buf, len) != NULL)
		return KIND_COMPRESSED;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (len - i >= 5 && memcmp(buf + i, "From ", 5) == 0)
		return KIND_MBOX;
	for (gssize k = 0; k < len; k++)
		if (buf[k] == 0 || (buf[k] < 0x20 && buf[k] != '\n' && buf[k] != '\r' &&
		                    buf[k] != '\t' && buf[k] != '\f' && buf[k] != 0x1b))
			odd++;
	return odd * 10 > len || memchr(buf, 0, (gsize)len) ? KIND_BINARY : KIND_TEXT;
}

/* A regular file at `name` in `dirfd` (lstat in `st`): folder or skip. */
static void
look_at_file(Walk *w, int dirfd, const char *name, const char *path, const char *relative,
             const struct stat *st, char **components /* taken */, gboolean is_inbox)
{
	const DiscoverSettings *s = w->settings;
	g_autofree char *refusal = user_access_refusal(w->access, st);
	g_autoptr(GError) error = NULL;
	unsigned char buf[PEEK_BYTES];
	struct stat st2;
	const char *suffix;
	gssize got;
	int fd;

	if (refusal != NULL) {
		skip(w, path, relative, "%s", refusal);
		goto out;
	}
	if (st->st_size == 0) {
		if (s->include_empty && components != NULL) {
			add(w, path, is_inbox ? MANIFEST_INBOX : MANIFEST_FOLDER, components, relative,
			    g_strdup("empty file: an empty mailbox"));
			return;
		}
		skip(w, path, relative, "empty file (--include-empty makes it an empty mailbox)");
		goto out;
	}
	/* the same rules again, on the descriptor that is read */
	fd = user_access_open_at(w->access, dirfd, name, &st2, &error);
	if (fd < 0) {
		skip(w, path, relative, "cannot open: %s", error->message);
		goto out;
	}
	if (st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
		close(fd);
		skip(w, path, relative, "changed while being looked at; not read");
		goto out;
	}
	got = pread(fd, buf, sizeof buf, 0);
	close(fd);
	if (got < 0) {
		skip(w, path, relative, "cannot read: %s", g_strerror(errno));
		goto out;
	}
	switch (classify(buf, got)) {
	case KIND_MBOX:
		add(w, path, is_inbox ? MANIFEST_INBOX : MANIFEST_FOLDER, components, relative, NULL);
		return;
	case KIND_COMPRESSED: {
		const char *kind = mbox_compression_of(buf, got);
		suffix = compression_suffix(name, kind);
		if (components != NULL && suffix != NULL) {
			char **last = &components[g_strv_length(components) - 1];
			(*last)[strlen(*last) - strlen(suffix)] = '\0';
		}
		add(w, path, is_inbox ? MANIFEST_INBOX : MANIFEST_FOLDER, components, relative,
		    g_strdup_printf("%s-compressed: read decompressed", kind));
		return;
	}
	case KIND_BINARY:
		skip(w, path, relative, "a binary file, not an mbox");
		break;
	case KIND_TEXT:
		skip(w, path, relative, "not an mbox: the first line is not a \"From \" line");
		break;
	}
out:
	g_strfreev(components);
}

static char **
components_plus(char *const *base, const char *name)
{
	guint n = base != NULL ? g_strv_length((char **)base) : 0;
	char **out = g_new0(char *, n + 2);
	for (guint i = 0; i < n; i++)
		out[i] = g_strdup(base[i]);
	out[n] = g_strdup(name);
	return out;
}

static void walk_dir(Walk *w, int dirfd, const char *path, const char *relative,
                     char *const *components, guint depth);

/* A symbolic link: followed only when asked and its target is inside the home.  The
 * target's directory is then opened from the home down without following links
 * (user_access_open_directory), so a directory swapped for a link after realpath()
 * cannot lead out. */
static void
look_at_link(Walk *w, const char *name, const char *path, const char *relative,
             char *const *components, guint depth)
{
	const char *home_real = user_access_get_home_real(w->access);
	char *resolved = realpath(path, NULL);
	g_autofree char *real = g_strdup(resolved);
	g_autofree char *inside = home_real != NULL ? g_strconcat(home_real, "/", NULL) : NULL;
	g_autoptr(GError) error = NULL;
	struct stat st;

	free(resolved);
	if (!w->settings->follow_links_inside_home) {
		skip(w, path, relative, "a symbolic link, not followed (--follow-links-inside-home)");
		return;
	}
	if (real == NULL || inside == NULL || !g_str_has_prefix(real, inside)) {
		skip(w, path, relative, "a symbolic link to %s, outside the home: not followed",
		     real != NULL ? real : "a missing file");
		return;
	}
	if (lstat(real, &st) != 0) {
		skip(w, path, relative, "a symbolic link to %s: %s", real, g_strerror(errno));
		return;
	}
	g_autofree char *parent = g_path_get_dirname(real);
	g_autofree char *base = g_path_get_basename(real);
	int pfd = user_access_open_directory(w->access, parent, NULL, FALSE, &error);
	if (pfd < 0) {
		skip(w, path, relative, "a symbolic link to %s: %s", real, error->message);
		return;
	}
	if (S_ISREG(st.st_mode))
		look_at_file(w, pfd, base, path, relative, &st, components_plus(components, name), FALSE);
	else if (S_ISDIR(st.st_mode) && depth < w->settings->max_depth &&
	         !user_access_may_read(w->access, &st))
		skip(w, path, relative, "a directory %s could not read", w->user);
	else if (S_ISDIR(st.st_mode) && depth < w->settings->max_depth) {
		int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		g_auto(GStrv) sub = components_plus(components, name);
		if (fd >= 0)
			walk_dir(w, fd, path, relative, sub, depth + 1);
		else
			skip(w, path, relative, "a symbolic link to %s: %s", real, g_strerror(errno));
	} else
		skip(w, path, relative, "a symbolic link to something that is not a mail file");
	close(pfd);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of the directory open at `dirfd` (taken: closed here). */
static void
walk_dir(Walk *w, int dirfd, const char *path, const char *relative, char *const *components,
         guint depth)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	DIR *dir = fdopendir(dirfd);
	struct dirent *e;

	if (dir == NULL) {
		skip(w, path, relative, "cannot read the directory: %s", g_strerror(errno));
		close(dirfd);
		return;
	}
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			g_ptr_array_add(names, g_strdup(e->d_name));
	g_ptr_array_sort(names, compare_names);

	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		g_autofree char *sub_path = g_build_filename(path, name, NULL);
		g_autofree char *sub_rel = relative != NULL ? g_build_filename(relative, name, NULL) : NULL;
		struct stat st;

		if (name[0] == '.') {
			skip(w, sub_path, sub_rel, "a hidden file");
			continue;
		}
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			skip(w, sub_path, sub_rel, "cannot stat: %s", g_strerror(errno));
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			look_at_link(w, name, sub_path, sub_rel, components, depth);
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= w->settings->max_depth) {
				skip(w, sub_path, sub_rel, "a directory nested deeper than %u levels",
				     w->settings->max_depth);
			} else if (!user_access_may_read(w->access, &st)) {
				skip(w, sub_path, sub_rel, "a directory %s could not read", w->user);
			} else {
				int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				g_auto(GStrv) sub = components_plus(components, name);
				if (fd < 0)
					skip(w, sub_path, sub_rel, "cannot open the directory: %s", g_strerror(errno));
				else
					walk_dir(w, fd, sub_path, sub_rel, sub, depth + 1);
			}
		} else if (S_ISREG(st.st_mode)) {
			look_at_file(w, dirfd, name, sub_path, sub_rel, &st, components_plus(components, name), FALSE);
		} else {
			/* FIFO, socket, device: never opened */
			g_autofree char *refusal = user_access_refusal(w->access, &st);
			skip(w, sub_path, sub_rel, "%s", refusal);
		}
	}
	closedir(dir);
}

/* Who the user is, and their home: the template's, or the password database's. */
static gboolean
identify(Walk *w, GError **error)
{
	const DiscoverSettings *settings = w->settings;
	g_autoptr(GError) local = NULL;
	g_autofree char *home = NULL;

	if (settings->home_template != NULL) {
		g_autoptr(GString) expanded = g_string_new(settings->home_template);
		g_string_replace(expanded, "%u", w->user, 0);
		home = g_string_free(g_steal_pointer(&expanded), FALSE);
	}
	w->access = user_access_new(w->user, home, settings->check_owner, &local);
	if (w->access == NULL) {
		if (settings->home_template != NULL &&
		    g_error_matches(local, M2C_USER_ACCESS_ERROR, M2C_USER_ACCESS_ERROR_UNKNOWN_USER))
			g_set_error(error, local->domain, local->code,
			            "%s (--no-owner-check maps it anyway)", local->message);
		else
			g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	w->home = user_access_get_home(w->access);
	return TRUE;
}

/* The spool file, ~/mbox and the folder directories of an identified user. */
static void
look_in_home(Walk *w, int home_fd)
{
	const DiscoverSettings *settings = w->settings;
	g_autofree char *spool_path = g_build_filename(settings->spool_dir, w->user, NULL);
	int spool_fd = open(settings->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	guint before = w->found->len;
	gboolean have_inbox = FALSE;
	struct stat st;

	/* the INBOX: SPOOL_DIR/USER */
	if (spool_fd >= 0 && fstatat(spool_fd, w->user, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISREG(st.st_mode))
			look_at_file(w, spool_fd, w->user, spool_path, NULL, &st, NULL, TRUE);
		else
			skip(w, spool_path, NULL, "the spool file is %s, not a regular file",
			     S_ISLNK(st.st_mode) ? "a symbolic link" : "something else");
	}
	if (spool_fd >= 0)
		close(spool_fd);
	for (guint i = before; i < w->found->len; i++)
		have_inbox |= ((Found *)g_ptr_array_index(w->found, i))->action == MANIFEST_INBOX;
	if (!have_inbox)
		add(w, NULL, MANIFEST_INBOX, NULL, NULL,
		    g_strdup(w->found->len > before ? "the spool file was skipped: INBOX starts empty"
		                                    : "no spool file: INBOX starts empty"));

	/* no home: the INBOX is all there is */
	if (home_fd < 0)
		return;

	/* ~/mbox: its own folder, "mbox" (point its row at the INBOX to merge it) */
	if (fstatat(home_fd, "mbox", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		g_autofree char *mbox_path = g_build_filename(w->home, "mbox", NULL);
		char *one[] = { (char *)"mbox", NULL };
		if (S_ISREG(st.st_mode))
			look_at_file(w, home_fd, "mbox", mbox_path, "mbox", &st, g_strdupv(one), FALSE);
		else
			skip(w, mbox_path, "mbox", "~/mbox is not a regular file");
	}

	for (char **dir = settings->folder_dirs; dir != NULL && *dir != NULL; dir++) {
		g_autofree char *dir_path = g_build_filename(w->home, *dir, NULL);
		if (fstatat(home_fd, *dir, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			look_at_link(w, *dir, dir_path, *dir, NULL, 0);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			skip(w, dir_path, *dir, "a folder directory that is not a directory");
			continue;
		}
		if (!user_access_may_read(w->access, &st)) {
			skip(w, dir_path, *dir, "a folder directory %s could not read", w->user);
			continue;
		}
		int fd = openat(home_fd, *dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			skip(w, dir_path, *dir, "cannot open: %s", g_strerror(errno));
		else
			walk_dir(w, fd, dir_path, *dir, NULL, 0);
	}
}

gboolean
discover_user(const DiscoverSettings *settings, const char *user, GPtrArray *found,
              char **home_out, GError **error)
{
	Walk w = { .settings = settings, .user = user, .found = found };
	gboolean ok = FALSE;
	int home_fd = -1;

	if (!identify(&w, error))
		goto out;
	/* a missing home costs the user their folders, not their INBOX */
	home_fd = open(w.home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0)
		skip(&w, w.home, NULL, "the home directory: %s: no folders looked for", g_strerror(errno));
	look_in_home(&w, home_fd);
	if (home_fd >= 0)
		close(home_fd);
	ok = TRUE;
	if (home_out != NULL)
		*home_out = g_strdup(w.home);
out:
	user_access_free(w.access);
	return ok;
}
