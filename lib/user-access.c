/* user-access.c -- see user-access.h.
 *
 * user_access_open walks a path the way the kernel would, but one component at a
 * time and never following a link by itself:
 *   1. the trusted directory (home or e.g. /var/mail) is opened normally;
 *   2. each directory after it: fstatat (AT_SYMLINK_NOFOLLOW), openat with O_NOFOLLOW |
 *      O_DIRECTORY, fstat of the new descriptor: the user must be able to search it;
 *   3. a link met on the way (only when following inside the home): its target's
 *      components are put in front of those still to walk, from the directory holding
 *      it, or from the home when absolute; ".." goes back to the descriptor we came
 *      from, never above the home;
 *   4. the file: user_access_open_at (lstat, open, fstat, refusal on the fstat).
 * The decision is always made on a descriptor already open, so renaming or replacing
 * anything between the check and the read cannot win.
 */
#include "user-access.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the kernel's own limit (fs/namei.c MAXSYMLINKS) */
#define MAX_LINKS 40
#define SPARSE_MIN_SIZE (1024 * 1024)

G_DEFINE_QUARK(m2c-user-access-error-quark, m2c_user_access_error)

struct UserAccess {
	char *user;
	gboolean known;              /* in the password database: uid and groups are real */
	gboolean check_owner;
	uid_t uid;
	gid_t gid;                   /* the primary group */
	gid_t *groups;
	int n_groups;
	char *home;                  /* as given, or the database's */
	char *home_canonical;        /* no "." or ".."; NULL when the home is not absolute */
	char *home_real;             /* realpath(home), or NULL when it did not exist */
};

/* getpwnam_r/getpwuid_r with a buffer that grows on ERANGE.  Returns 0 and sets
 * `*pw_out` (NULL: no such entry), or an errno value when the lookup itself failed.
 * `*buf_out` holds the strings `*pw_out` points into; the caller frees it. */
static int
lookup_passwd(const char *name, uid_t uid, struct passwd *pw, struct passwd **pw_out,
              char **buf_out)
{
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	gsize len = size > 0 ? (gsize)size : 1024;

	for (;;) {
		char *buf = g_malloc(len);
		int rc = name != NULL ? getpwnam_r(name, pw, buf, len, pw_out)
		                      : getpwuid_r(uid, pw, buf, len, pw_out);
		if (rc == ERANGE && len < 1024 * 1024) {
			g_free(buf);
			len *= 2;
			continue;
		}
		*buf_out = buf;
		if (rc != 0)
			*pw_out = NULL;
		/* "not found" is 0 with no entry in glibc; some NSS modules say ENOENT */
		return rc == ENOENT || rc == ESRCH ? 0 : rc;
	}
}

UserAccess *
user_access_new(const char *user, const char *home, gboolean check_owner, GError **error)
{
	g_autoptr(UserAccess) access = g_new0(UserAccess, 1);
	g_autofree char *buf = NULL;
	struct passwd pwbuf, *pw = NULL;
	int rc;

	access->user = g_strdup(user);
	access->check_owner = check_owner;
	rc = lookup_passwd(user, 0, &pwbuf, &pw, &buf);
	if (rc != 0) {
		/* not "unknown": without owner checks an unknown user's files are read
		 * with fewer checks, so a failing LDAP server must not make everyone one */
		g_set_error(error, M2C_USER_ACCESS_ERROR, M2C_USER_ACCESS_ERROR_LOOKUP,
		            "cannot look the user up in the password database: %s", g_strerror(rc));
		return NULL;
	}
	if (pw != NULL) {
		int n = 64;
		access->known = TRUE;
		access->uid = pw->pw_uid;
		access->gid = pw->pw_gid;
		access->groups = g_new(gid_t, n);
		/* -1 when the list did not fit; n is then the size needed (it may grow again
		 * between the two calls if an administrator adds a group just then) */
		while (getgrouplist(user, pw->pw_gid, access->groups, &n) < 0) {
			n = MAX(n, 64) * 2;
			access->groups = g_renew(gid_t, access->groups, n);
		}
		access->n_groups = n;
	} else if (check_owner) {
		g_set_error(error, M2C_USER_ACCESS_ERROR, M2C_USER_ACCESS_ERROR_UNKNOWN_USER,
		            "no such user in the password database");
		return NULL;
	}
	if (home != NULL)
		access->home = g_strdup(home);
	else if (pw != NULL)
		access->home = g_strdup(pw->pw_dir);
	if (access->home == NULL) {
		g_set_error(error, M2C_USER_ACCESS_ERROR, M2C_USER_ACCESS_ERROR_NO_HOME,
		            "no home directory known");
		return NULL;
	}
	/* an empty or relative home field (system accounts) trusts nothing: relative
	 * to our working directory it would name some other directory */
	if (g_path_is_absolute(access->home)) {
		access->home_canonical = g_canonicalize_filename(access->home, NULL);
		char *real = realpath(access->home, NULL);
		access->home_real = g_strdup(real);
		free(real);
	}
	return g_steal_pointer(&access);
}

void
user_access_free(UserAccess *access)
{
	if (access == NULL)
		return;
	g_free(access->user);
	g_free(access->groups);
	g_free(access->home);
	g_free(access->home_canonical);
	g_free(access->home_real);
	g_free(access);
}

const char *
user_access_get_user(const UserAccess *access)
{
	return access->user;
}

const char *
user_access_get_home(const UserAccess *access)
{
	return access->home;
}

const char *
user_access_get_home_real(const UserAccess *access)
{
	return access->home_real;
}

gboolean
user_access_get_ids(const UserAccess *access, uid_t *uid_out, gid_t *gid_out)
{
	if (!access->known)
		return FALSE;
	*uid_out = access->uid;
	*gid_out = access->gid;
	return TRUE;
}

gboolean
user_access_is_known(const UserAccess *access)
{
	return access->known;
}

/* The permission class the kernel would pick for the user: owner, else group (the
 * file's group among the user's), else other; TRUE when all of `want` (given as owner
 * bits) are set in it. */
static gboolean
user_has_bits(const UserAccess *access, const struct stat *st, mode_t want)
{
	if (!access->known || access->uid == 0)
		return TRUE;
	if (st->st_uid == access->uid)
		return (st->st_mode & want) == want;
	for (int i = 0; i < access->n_groups; i++)
		if (st->st_gid == access->groups[i])
			return (st->st_mode & (want >> 3)) == (want >> 3);
	return (st->st_mode & (want >> 6)) == (want >> 6);
}

gboolean
user_access_may_read(const UserAccess *access, const struct stat *st)
{
	return user_has_bits(access, st, S_ISDIR(st->st_mode) ? S_IRUSR | S_IXUSR : S_IRUSR);
}

gboolean
user_access_may_write(const UserAccess *access, const struct stat *st)
{
	return user_has_bits(access, st, S_ISDIR(st->st_mode) ? S_IWUSR | S_IXUSR : S_IWUSR);
}

static gboolean
may_search(const UserAccess *access, const struct stat *st)
{
	return user_has_bits(access, st, S_IXUSR);
}

/* "root (uid 0)", or "uid 54321" for a uid the database does not know */
static char *
owner_name(uid_t uid)
{
	g_autofree char *buf = NULL;
	struct passwd pwbuf, *pw = NULL;

	if (lookup_passwd(NULL, uid, &pwbuf, &pw, &buf) == 0 && pw != NULL)
		return g_strdup_printf("%s (uid %u)", pw->pw_name, (unsigned)uid);
	return g_strdup_printf("uid %u", (unsigned)uid);
}

static const char *
type_name(mode_t mode)
{
	return S_ISFIFO(mode) ? "FIFO" : S_ISSOCK(mode) ? "socket" : S_ISCHR(mode) ? "character device"
	     : S_ISBLK(mode) ? "block device" : S_ISDIR(mode) ? "directory" : "special file";
}

/* user_access_refusal, with the G_FILE_ERROR code it stands for */
static char *
refusal(const UserAccess *access, const struct stat *st, GFileError *code_out)
{
	*code_out = G_FILE_ERROR_PERM;
	if (S_ISLNK(st->st_mode))
		return g_strdup("a symbolic link, not followed");
	if (!S_ISREG(st->st_mode))
		return g_strdup_printf("a %s, not a file", type_name(st->st_mode));
	if (st->st_nlink > 1 && (!access->known || st->st_uid != access->uid)) {
		g_autofree char *owner = owner_name(st->st_uid);
		return g_strdup_printf("a hard link (%lu links) to a file owned by %s",
		                       (unsigned long)st->st_nlink, owner);
	}
	if (access->check_owner && access->known && st->st_uid != access->uid) {
		g_autofree char *owner = owner_name(st->st_uid);
		return g_strdup_printf("owned by %s, not by %s", owner, access->user);
	}
	if (!user_access_may_read(access, st)) {
		*code_out = G_FILE_ERROR_ACCES;
		return g_strdup_printf("%s could not read it (mode %04o)", access->user,
		                       (unsigned)(st->st_mode & 07777));
	}
	if (st->st_size > SPARSE_MIN_SIZE && (gint64)st->st_blocks * 512 < st->st_size / 8)
		return g_strdup_printf("a sparse file: %" G_GINT64_FORMAT " bytes long, %"
		                       G_GINT64_FORMAT " on disk; not read", (gint64)st->st_size,
		                       (gint64)st->st_blocks * 512);
	return NULL;
}

char *
user_access_refusal(const UserAccess *access, const struct stat *st)
{
	GFileError code;
	return refusal(access, st, &code);
}

static void
set_errno_error(GError **error, int saved_errno)
{
	g_set_error_literal(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
	                    g_strerror(saved_errno));
}

int
user_access_open_at(const UserAccess *access, int dirfd, const char *name,
                    struct stat *st_out, GError **error)
{
	g_autofree char *why = NULL;
	GFileError code;
	struct stat st;
	int fd;

	/* decide from the lstat whether to open at all: a device's open() may act */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		set_errno_error(error, errno);
		return -1;
	}
	if ((why = refusal(access, &st, &code)) != NULL) {
		g_set_error_literal(error, G_FILE_ERROR, code, why);
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;
		if (saved == ELOOP)   /* a link swapped in since the lstat */
			g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
			                    "a symbolic link, not followed");
		else
			set_errno_error(error, saved);
		return -1;
	}
	/* the descriptor that will be read is the one that decides */
	if (fstat(fd, &st) != 0) {
		int saved = errno;
		close(fd);
		set_errno_error(error, saved);
		return -1;
	}
	if ((why = refusal(access, &st, &code)) != NULL) {
		close(fd);
		g_set_error_literal(error, G_FILE_ERROR, code, why);
		return -1;
	}
	/* a regular file: O_NONBLOCK has done its work (open); reads are plain again */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (st_out != NULL)
		*st_out = st;
	return fd;
}

/* --- the walk -------------------------------------------------------------------- */

typedef struct {
	const UserAccess *access;
	gboolean follow;             /* links may be followed: the walk began at the home */
	GArray *fds;                 /* open directories, [0] the trusted one */
	GArray *where_len;           /* strlen of `where` at each level of `fds` */
	GString *where;              /* the path of the deepest of `fds`, for messages */
	GPtrArray *todo;             /* components still to walk, the next one last */
	char *link;                  /* the last link followed, for messages */
	guint links;
} Walk;

static void
walk_clear(Walk *w)
{
	for (guint i = 0; i < w->fds->len; i++)
		close(g_array_index(w->fds, int, i));
	g_array_unref(w->fds);
	g_array_unref(w->where_len);
	g_string_free(w->where, TRUE);
	g_ptr_array_unref(w->todo);
	g_free(w->link);
}

static int
walk_dir(const Walk *w)
{
	return g_array_index(w->fds, int, w->fds->len - 1);
}

static char *
walk_path_of(const Walk *w, const char *name)
{
	return g_strconcat(w->where->str, strcmp(w->where->str, "/") == 0 ? "" : "/", name, NULL);
}

static void
walk_push_dir(Walk *w, int fd, const char *name)
{
	g_array_append_val(w->fds, fd);
	if (strcmp(w->where->str, "/") != 0)
		g_string_append_c(w->where, '/');
	g_string_append(w->where, name);
	g_array_append_val(w->where_len, w->where->len);
}

static void
walk_pop_dir(Walk *w)
{
	g_assert(w->fds->len > 1);
	close(g_array_index(w->fds, int, w->fds->len - 1));
	g_array_set_size(w->fds, w->fds->len - 1);
	g_array_set_size(w->where_len, w->where_len->len - 1);
	g_string_truncate(w->where, g_array_index(w->where_len, gsize, w->where_len->len - 1));
}

/* Put the components of `relative` in front of those still to walk. */
static void
walk_push_todo(Walk *w, const char *relative)
{
	g_auto(GStrv) parts = g_strsplit(relative, "/", -1);
	for (gint i = (gint)g_strv_length(parts) - 1; i >= 0; i--)
		if (parts[i][0] != '\0' && strcmp(parts[i], ".") != 0)
			g_ptr_array_add(w->todo, g_strdup(parts[i]));
}

/* `path` below `dir`, both canonical: what follows "dir/" (or "" for dir itself), or
 * NULL when it is not below. */
static const char *
below(const char *path, const char *dir)
{
	gsize n = dir != NULL ? strlen(dir) : 0;

	if (dir == NULL || strncmp(path, dir, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return path + n;
	if (path[n] == '/')
		return path + n + 1;
	return n == 1 && dir[0] == '/' ? path + 1 : NULL;
}

/* A symbolic link `name` in the current directory: put its target in front of what
 * is still to walk, or refuse it. */
static gboolean
walk_follow(Walk *w, const char *name, gboolean last, GError **error)
{
	g_autofree char *link_path = walk_path_of(w, name);
	g_autofree char *on_the_way = last ? g_strdup("")
	                                   : g_strdup_printf(" on the way, \"%s\",", link_path);
	char target[4096];
	ssize_t len;

	if (!w->follow) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "a symbolic link%s not followed",
		            last ? "," : on_the_way);
		return FALSE;
	}
	if (++w->links > MAX_LINKS) {
		set_errno_error(error, ELOOP);
		return FALSE;
	}
	len = readlinkat(walk_dir(w), name, target, sizeof target);
	if (len < 0 || (gsize)len >= sizeof target) {
		set_errno_error(error, len < 0 ? errno : ENAMETOOLONG);
		return FALSE;
	}
	target[len] = '\0';
	g_free(w->link);
	w->link = g_steal_pointer(&link_path);
	if (target[0] == '/') {
		/* not canonicalized: a ".." after the home is walked like any other, and
		 * refused if it climbs out */
		const UserAccess *a = w->access;
		const char *rest = below(target, a->home_canonical);
		if (rest == NULL)
			rest = below(target, a->home_real);
		if (rest == NULL) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
			            "a symbolic link%s to %s, outside the home: not followed",
			            on_the_way, target);
			return FALSE;
		}
		while (w->fds->len > 1)
			walk_pop_dir(w);
		walk_push_todo(w, rest);
	} else {
		walk_push_todo(w, target);
	}
	return TRUE;
}

/* Walk `path` from its trusted directory to its last component; open that as a file
 * (user_access_open_at) or, with `want_dir`, as a directory the user could search. */
static int
walk_open(const UserAccess *access, const char *path, const char *const *trusted_dirs,
          gboolean follow_links_inside_home, gboolean want_dir, GError **error)
{
	g_autofree char *canonical = g_canonicalize_filename(path, NULL);
	g_autofree char *root = NULL;
	const char *rest = NULL;
	gboolean root_is_home = FALSE;
	Walk w = { .access = access };
	int root_fd, fd = -1;

	/* the deepest trusted directory holding the path: the home first */
	const char *homes[] = { access->home_canonical, access->home_real };
	for (gsize i = 0; i < G_N_ELEMENTS(homes); i++) {
		const char *r = homes[i] != NULL ? below(canonical, homes[i]) : NULL;
		if (r != NULL && (rest == NULL || r > rest)) {
			rest = r;
			g_free(root);
			root = g_strdup(homes[i]);
			root_is_home = TRUE;
		}
	}
	for (gsize i = 0; trusted_dirs != NULL && trusted_dirs[i] != NULL; i++) {
		g_autofree char *dir = g_canonicalize_filename(trusted_dirs[i], NULL);
		const char *r = below(canonical, dir);
		if (r != NULL && (rest == NULL || r > rest)) {
			rest = r;
			g_free(root);
			root = g_steal_pointer(&dir);
			root_is_home = FALSE;
		}
	}
	if (root == NULL) {
		/* under no trusted directory: the parent is the administrator's choice */
		root = g_path_get_dirname(canonical);
		rest = canonical + strlen(root);
		while (*rest == '/')
			rest++;
	}

	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		set_errno_error(error, errno);
		return -1;
	}
	w.follow = follow_links_inside_home && root_is_home;
	w.fds = g_array_new(FALSE, FALSE, sizeof(int));
	w.where_len = g_array_new(FALSE, FALSE, sizeof(gsize));
	w.where = g_string_new(root);
	w.todo = g_ptr_array_new_with_free_func(g_free);
	g_array_append_val(w.fds, root_fd);
	g_array_append_val(w.where_len, w.where->len);
	walk_push_todo(&w, rest);

	while (w.todo->len > 0) {
		g_autofree char *name = g_ptr_array_steal_index(w.todo, w.todo->len - 1);
		gboolean last = w.todo->len == 0;
		struct stat st;

		if (strcmp(name, "..") == 0) {
			/* only from a link's target: the path itself has none left */
			if (w.fds->len == 1) {
				g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
				            "a symbolic link, \"%s\", leads outside the home: not followed",
				            w.link != NULL ? w.link : path);
				goto out;
			}
			walk_pop_dir(&w);
			continue;
		}
		if (fstatat(walk_dir(&w), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			set_errno_error(error, errno);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			if (!walk_follow(&w, name, last, error))
				goto out;
			continue;
		}
		if (last && !want_dir) {
			fd = user_access_open_at(access, walk_dir(&w), name, NULL, error);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (last)
				g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR, "a %s, not a directory",
				            S_ISREG(st.st_mode) ? "file" : type_name(st.st_mode));
			else
				set_errno_error(error, ENOTDIR);
			goto out;
		}
		int dfd = openat(walk_dir(&w), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) {
			int saved = errno;
			g_autofree char *dir_path = walk_path_of(&w, name);
			if (saved == ELOOP || saved == ENOTDIR)   /* swapped since the fstatat */
				g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
				            "changed while being opened: \"%s\"", dir_path);
			else
				set_errno_error(error, saved);
			goto out;
		}
		walk_push_dir(&w, dfd, name);
		if (fstat(dfd, &st) != 0) {
			set_errno_error(error, errno);
			goto out;
		}
		if (!may_search(access, &st)) {
			if (last)
				g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_ACCES,
				            "%s could not search it (mode %04o)", access->user,
				            (unsigned)(st.st_mode & 07777));
			else
				g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_ACCES,
				            "%s could not search a directory on the way, \"%s\" (mode %04o)",
				            access->user, w.where->str, (unsigned)(st.st_mode & 07777));
			goto out;
		}
	}
	/* what is left open last is the answer: a directory */
	if (want_dir) {
		fd = fcntl(walk_dir(&w), F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			set_errno_error(error, errno);
	} else {
		struct stat st;
		GFileError code = G_FILE_ERROR_ISDIR;
		g_autofree char *why = fstat(walk_dir(&w), &st) == 0 ? refusal(access, &st, &code) : NULL;
		g_set_error_literal(error, G_FILE_ERROR, code, why != NULL ? why : "a directory, not a file");
	}
out:
	walk_clear(&w);
	return fd;
}

int
user_access_open(const UserAccess *access, const char *path, const char *const *trusted_dirs,
                 gboolean follow_links_inside_home, GError **error)
{
	return walk_open(access, path, trusted_dirs, follow_links_inside_home, FALSE, error);
}

int
user_access_open_directory(const UserAccess *access, const char *path,
                           const char *const *trusted_dirs, gboolean follow_links_inside_home,
                           GError **error)
{
	return walk_open(access, path, trusted_dirs, follow_links_inside_home, TRUE, error);
}
