/* test-user-access.c -- lib/user-access.c: what may be read on a user's behalf, and
 * user_access_open refusing each hostile thing a user can plant in a home (hard
 * links, symbolic links out of the home, FIFOs, sockets, other people's files,
 * unreadable files and directories, sparse files, files swapped after the check),
 * without blocking and without reading any of them (their atime stays in 1970).
 *
 * Runs as root (skips otherwise).  The user is the system account "nobody"; its home
 * is a directory made here, and files are chowned to its uid, to root, or to uid
 * 54321, which no account has. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <glib/gstdio.h>

#include "user-access.h"

#define USER "nobody"
#define STRANGER_UID 54321
#define MBOX "From someone@example.org Tue Mar  4 10:00:00 2003\nSubject: hi\n\nhello\n"
#define SECRET "From root@example.org Tue Mar  4 10:00:00 2003\nSubject: secret\n\nroot's\n"

typedef struct {
	char *dir;          /* the temporary directory; everything is below */
	char *home;         /* DIR/home/nobody */
	char *mail;         /* HOME/Mail */
	char *root_only;    /* DIR/root-only: root's, mode 0600 */
	char *outside;      /* DIR/outside: a directory of root's */
	char *spool;        /* DIR/spool */
	char *elsewhere;    /* DIR/elsewhere: under no trusted directory */
	uid_t uid;
	gid_t gid;
	UserAccess *access; /* nobody, HOME, owners checked */
} Fixture;

static gboolean
need_root(void)
{
	if (geteuid() == 0)
		return TRUE;
	g_test_skip("not root: cannot chown files to another user");
	return FALSE;
}

/* Write `text` to `path` with this owner and mode. */
static void
put(const char *path, const char *text, uid_t uid, gid_t gid, mode_t mode)
{
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(chown(path, uid, gid), ==, 0);
	g_assert_cmpint(chmod(path, mode), ==, 0);
}

static void
make_dir(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	g_assert_cmpint(mkdir(path, mode), ==, 0);
	g_assert_cmpint(chown(path, uid, gid), ==, 0);
	g_assert_cmpint(chmod(path, mode), ==, 0);
}

static char *
in_mail(const Fixture *f, const char *name)
{
	return g_build_filename(f->mail, name, NULL);
}

static void
setup(Fixture *f, gconstpointer data)
{
	(void)data;
	memset(f, 0, sizeof *f);
	if (geteuid() != 0)
		return;
	struct passwd *pw = getpwnam(USER);
	g_assert_nonnull(pw);
	f->uid = pw->pw_uid;
	f->gid = pw->pw_gid;
	f->dir = g_dir_make_tmp("m2c-user-access-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	g_assert_cmpint(chmod(f->dir, 0755), ==, 0);

	g_autofree char *homes = g_build_filename(f->dir, "home", NULL);
	make_dir(homes, 0, 0, 0755);
	f->home = g_build_filename(homes, USER, NULL);
	make_dir(f->home, f->uid, f->gid, 0755);
	f->mail = g_build_filename(f->home, "Mail", NULL);
	make_dir(f->mail, f->uid, f->gid, 0700);

	f->root_only = g_build_filename(f->dir, "root-only", NULL);
	put(f->root_only, SECRET, 0, 0, 0600);
	f->outside = g_build_filename(f->dir, "outside", NULL);
	make_dir(f->outside, 0, 0, 0755);
	g_autofree char *secret = g_build_filename(f->outside, "secret", NULL);
	put(secret, SECRET, 0, 0, 0644);
	f->spool = g_build_filename(f->dir, "spool", NULL);
	make_dir(f->spool, 0, 0, 01777);
	f->elsewhere = g_build_filename(f->dir, "elsewhere", NULL);
	make_dir(f->elsewhere, 0, 0, 0755);

	g_autoptr(GError) error = NULL;
	f->access = user_access_new(USER, f->home, TRUE, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->access);
}

static void
teardown(Fixture *f, gconstpointer data)
{
	(void)data;
	if (f->dir != NULL) {
		g_autofree char *quoted = g_shell_quote(f->dir);
		g_autofree char *command = g_strconcat("rm -rf ", quoted, NULL);
		g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL));
	}
	user_access_free(f->access);
	g_free(f->dir);
	g_free(f->home);
	g_free(f->mail);
	g_free(f->root_only);
	g_free(f->outside);
	g_free(f->spool);
	g_free(f->elsewhere);
}

/* Everything `fd` holds (at most 1 MiB: a sparse file let through must not fill
 * the memory), then closed. */
static char *
slurp(int fd)
{
	GString *text = g_string_new(NULL);
	char buf[4096];
	ssize_t got;

	while (text->len < 1024 * 1024 && (got = read(fd, buf, sizeof buf)) > 0)
		g_string_append_len(text, buf, got);
	g_assert_cmpuint(text->len, <, 1024 * 1024);
	close(fd);
	return g_string_free(text, FALSE);
}

/* Open `path` for `access`; the file's text, or NULL with `*error` set. */
static char *
read_as(const UserAccess *access, const char *path, const char *const *trusted,
        gboolean follow, GError **error)
{
	int fd = user_access_open(access, path, trusted, follow, error);
	return fd >= 0 ? slurp(fd) : NULL;
}

/* The open of `path` is refused with `code` and exactly `message`. */
#define assert_refused(access, path, trusted, follow, code, want_message) G_STMT_START {   \
	g_autoptr(GError) e_ = NULL;                                                     \
	g_autofree char *text_ = read_as((access), (path), (trusted), (follow), &e_);    \
	g_assert_null(text_);                                                            \
	g_assert_error(e_, G_FILE_ERROR, (code));                                        \
	if (e_ != NULL)                                                                  \
		g_assert_cmpstr(e_->message, ==, (want_message));                        \
} G_STMT_END

#define assert_reads(access, path, trusted, follow, want) G_STMT_START {                 \
	g_autoptr(GError) e_ = NULL;                                                     \
	g_autofree char *text_ = read_as((access), (path), (trusted), (follow), &e_);    \
	g_assert_no_error(e_);                                                           \
	g_assert_cmpstr(text_, ==, (want));                                              \
} G_STMT_END

/* --- identity ------------------------------------------------------------------ */

static void
test_new(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(UserAccess) nobody = user_access_new(USER, NULL, TRUE, &error);
	g_autofree char *unknown_name = g_strdup_printf("m2c-nosuch-%d", (int)getpid());

	g_assert_no_error(error);
	g_assert_true(user_access_is_known(nobody));
	g_assert_cmpstr(user_access_get_user(nobody), ==, USER);
	g_assert_cmpstr(user_access_get_home(nobody), ==, getpwnam(USER)->pw_dir);
	if (g_file_test(user_access_get_home(nobody), G_FILE_TEST_EXISTS))
		g_assert_nonnull(user_access_get_home_real(nobody));
	else
		g_assert_null(user_access_get_home_real(nobody));

	/* unknown: an error when owners are checked; without, allowed but unknown */
	g_autoptr(UserAccess) u1 = user_access_new(unknown_name, "/tmp", TRUE, &error);
	g_assert_null(u1);
	g_assert_error(error, M2C_USER_ACCESS_ERROR, M2C_USER_ACCESS_ERROR_UNKNOWN_USER);
	g_assert_cmpstr(error ? error->message : NULL, ==, "no such user in the password database");
	g_clear_error(&error);
	g_autoptr(UserAccess) u2 = user_access_new(unknown_name, "/tmp", FALSE, &error);
	g_assert_no_error(error);
	g_assert_false(user_access_is_known(u2));
	g_assert_cmpstr(user_access_get_home(u2), ==, "/tmp");
	/* ... and with no home anywhere */
	g_autoptr(UserAccess) u3 = user_access_new(unknown_name, NULL, FALSE, &error);
	g_assert_null(u3);
	g_assert_error(error, M2C_USER_ACCESS_ERROR, M2C_USER_ACCESS_ERROR_NO_HOME);
}

/* --- the refusal's words, from made-up stats -------------------------------------- */

static void
test_refusal_words(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(UserAccess) nobody = user_access_new(USER, "/nonexistent", TRUE, &error);
	g_autoptr(UserAccess) lax = user_access_new(USER, "/nonexistent", FALSE, &error);
	g_autofree char *unknown_name = g_strdup_printf("m2c-nosuch-%d", (int)getpid());
	g_autoptr(UserAccess) unknown = user_access_new(unknown_name, "/nonexistent", FALSE, &error);
	uid_t uid = getpwnam(USER)->pw_uid;
	gid_t gid = getpwnam(USER)->pw_gid;
	static const struct {
		mode_t mode;
		int owner;               /* 0 root, 1 the user, 2 uid 54321 */
		gboolean group_is_users; /* the file's group is the user's */
		nlink_t links;
		gint64 size, blocks;
		const char *strict, *lax, *unknown;   /* NULL: may be read */
	} rows[] = {
		{ S_IFREG | 0600, 1, TRUE, 1, 100, 8, NULL, NULL, NULL },
		{ S_IFIFO | 0600, 1, TRUE, 1, 0, 0, "a FIFO, not a file", "a FIFO, not a file",
		  "a FIFO, not a file" },
		{ S_IFSOCK | 0755, 1, TRUE, 1, 0, 0, "a socket, not a file", "a socket, not a file",
		  "a socket, not a file" },
		{ S_IFCHR | 0666, 0, FALSE, 1, 0, 0, "a character device, not a file",
		  "a character device, not a file", "a character device, not a file" },
		{ S_IFBLK | 0660, 0, FALSE, 1, 0, 0, "a block device, not a file",
		  "a block device, not a file", "a block device, not a file" },
		{ S_IFDIR | 0755, 1, TRUE, 2, 4096, 8, "a directory, not a file",
		  "a directory, not a file", "a directory, not a file" },
		{ S_IFLNK | 0777, 1, TRUE, 1, 10, 0, "a symbolic link, not followed",
		  "a symbolic link, not followed", "a symbolic link, not followed" },
		/* hard links: refused unless the user owns the file; an unknown user owns none */
		{ S_IFREG | 0644, 0, FALSE, 2, 100, 8,
		  "a hard link (2 links) to a file owned by root (uid 0)",
		  "a hard link (2 links) to a file owned by root (uid 0)",
		  "a hard link (2 links) to a file owned by root (uid 0)" },
		{ S_IFREG | 0600, 1, TRUE, 3, 100, 8, NULL, NULL,
		  "a hard link (3 links) to a file owned by nobody (uid 65534)" },
		/* someone else's */
		{ S_IFREG | 0644, 2, FALSE, 1, 100, 8, "owned by uid 54321, not by nobody", NULL, NULL },
		{ S_IFREG | 0600, 0, FALSE, 1, 100, 8, "owned by root (uid 0), not by nobody",
		  "nobody could not read it (mode 0600)", NULL },
		/* the kernel's class: owner, else group, else other */
		{ S_IFREG | 0066, 1, TRUE, 1, 100, 8, "nobody could not read it (mode 0066)",
		  "nobody could not read it (mode 0066)", NULL },
		{ S_IFREG | 0604, 0, TRUE, 1, 100, 8, "owned by root (uid 0), not by nobody",
		  "nobody could not read it (mode 0604)", NULL },
		{ S_IFREG | 0640, 0, TRUE, 1, 100, 8, "owned by root (uid 0), not by nobody", NULL, NULL },
		{ S_IFREG | 0000, 1, TRUE, 1, 100, 8, "nobody could not read it (mode 0000)",
		  "nobody could not read it (mode 0000)", NULL },
		/* sparse: over 1 MiB and under an eighth on disk */
		{ S_IFREG | 0600, 1, TRUE, 1, G_GINT64_CONSTANT(107374182400), 8,
		  "a sparse file: 107374182400 bytes long, 4096 on disk; not read",
		  "a sparse file: 107374182400 bytes long, 4096 on disk; not read",
		  "a sparse file: 107374182400 bytes long, 4096 on disk; not read" },
		{ S_IFREG | 0600, 1, TRUE, 1, 1024 * 1024, 0, NULL, NULL, NULL },
		{ S_IFREG | 0600, 1, TRUE, 1, 8 * 1024 * 1024, 2048, NULL, NULL, NULL },
	};

	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		struct stat st = { 0 };
		st.st_mode = rows[i].mode;
		st.st_uid = rows[i].owner == 0 ? 0 : rows[i].owner == 1 ? uid : STRANGER_UID;
		st.st_gid = rows[i].group_is_users ? gid : 0;
		st.st_nlink = rows[i].links;
		st.st_size = rows[i].size;
		st.st_blocks = rows[i].blocks;
		g_autofree char *strict = user_access_refusal(nobody, &st);
		g_autofree char *relaxed = user_access_refusal(lax, &st);
		g_autofree char *stranger = user_access_refusal(unknown, &st);
		g_test_message("row %" G_GSIZE_FORMAT ": mode %06o", i, (unsigned)rows[i].mode);
		g_assert_cmpstr(strict, ==, rows[i].strict);
		g_assert_cmpstr(relaxed, ==, rows[i].lax);
		g_assert_cmpstr(stranger, ==, rows[i].unknown);
		g_assert_true(user_access_may_read(unknown, &st));
	}

	/* a directory is read when the user can list it: read and search */
	struct stat dir = { .st_mode = S_IFDIR | 0700, .st_uid = uid, .st_gid = gid, .st_nlink = 2 };
	g_assert_true(user_access_may_read(nobody, &dir));
	dir.st_mode = S_IFDIR | 0600;
	g_assert_false(user_access_may_read(nobody, &dir));
	dir.st_mode = S_IFDIR | 0300;
	g_assert_false(user_access_may_read(nobody, &dir));
}

/* --- opening, against a real hostile home ------------------------------------------ */

static void
test_plain_file(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *plain = in_mail(f, "plain");
	put(plain, MBOX, f->uid, f->gid, 0600);

	g_autoptr(GError) error = NULL;
	int fd = user_access_open(f->access, plain, NULL, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), ==, O_RDONLY);
	g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
	g_autofree char *text = slurp(fd);
	g_assert_cmpstr(text, ==, MBOX);

	/* "." and ".." are taken as text: Mail/./x/../plain is Mail/plain */
	g_autofree char *dotted = g_build_filename(f->mail, ".", "nonexistent", "..", "plain", NULL);
	assert_reads(f->access, dotted, NULL, FALSE, MBOX);

	/* user_access_open_at, as discover calls it */
	struct stat st;
	int dirfd = open(f->mail, O_RDONLY | O_DIRECTORY);
	fd = user_access_open_at(f->access, dirfd, "plain", &st, &error);
	g_assert_no_error(error);
	g_assert_cmpint(st.st_size, ==, strlen(MBOX));
	close(fd);
	close(dirfd);
}

static void
test_hard_link(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *hard = in_mail(f, "hardlink-to-root-only");
	g_assert_cmpint(link(f->root_only, hard), ==, 0);

	assert_refused(f->access, hard, NULL, FALSE, G_FILE_ERROR_PERM,
	               "a hard link (2 links) to a file owned by root (uid 0)");
	/* not without owner checks either, nor for a user the system does not know */
	g_autoptr(UserAccess) lax = user_access_new(USER, f->home, FALSE, NULL);
	assert_refused(lax, hard, NULL, FALSE, G_FILE_ERROR_PERM,
	               "a hard link (2 links) to a file owned by root (uid 0)");
	g_autofree char *unknown_name = g_strdup_printf("m2c-nosuch-%d", (int)getpid());
	g_autoptr(UserAccess) unknown = user_access_new(unknown_name, f->home, FALSE, NULL);
	assert_refused(unknown, hard, NULL, FALSE, G_FILE_ERROR_PERM,
	               "a hard link (2 links) to a file owned by root (uid 0)");

	/* a hard link between two of the user's own files is theirs */
	g_autofree char *mine = in_mail(f, "mine");
	g_autofree char *mine2 = in_mail(f, "mine-again");
	put(mine, MBOX, f->uid, f->gid, 0600);
	g_assert_cmpint(link(mine, mine2), ==, 0);
	assert_reads(f->access, mine2, NULL, FALSE, MBOX);
}

static void
test_symbolic_links(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *plain = in_mail(f, "plain");
	g_autofree char *sub = in_mail(f, "sub");
	g_autofree char *inner = g_build_filename(sub, "inner", NULL);
	put(plain, MBOX, f->uid, f->gid, 0600);
	make_dir(sub, f->uid, f->gid, 0700);
	put(inner, MBOX "inner\n", f->uid, f->gid, 0600);

	g_autofree char *to_root = in_mail(f, "link-to-root-only");
	g_autofree char *dir_out = in_mail(f, "dir-link-out");
	g_autofree char *through_out = g_build_filename(dir_out, "secret", NULL);
	g_autofree char *to_plain = in_mail(f, "link-inside");
	g_autofree char *to_plain_abs = in_mail(f, "link-inside-absolute");
	g_autofree char *dir_in = in_mail(f, "dir-link-in");
	g_autofree char *through_in = g_build_filename(dir_in, "inner", NULL);
	g_autofree char *up_out = in_mail(f, "link-up-and-out");
	g_autofree char *out_and_in = in_mail(f, "link-out-and-back-in");
	g_autofree char *dotdot_in = in_mail(f, "link-dotdot-inside");
	g_autofree char *loop_a = in_mail(f, "loop-a");
	g_autofree char *loop_b = in_mail(f, "loop-b");
	g_assert_cmpint(symlink(f->root_only, to_root), ==, 0);
	g_assert_cmpint(symlink(f->outside, dir_out), ==, 0);
	g_assert_cmpint(symlink("plain", to_plain), ==, 0);
	g_assert_cmpint(symlink(plain, to_plain_abs), ==, 0);
	g_assert_cmpint(symlink("sub", dir_in), ==, 0);
	g_assert_cmpint(symlink("../../../root-only", up_out), ==, 0);
	g_assert_cmpint(symlink("../../" USER "/Mail/plain", out_and_in), ==, 0);
	g_assert_cmpint(symlink("sub/../plain", dotdot_in), ==, 0);
	g_assert_cmpint(symlink("loop-b", loop_a), ==, 0);
	g_assert_cmpint(symlink("loop-a", loop_b), ==, 0);

	/* not following: every link refused, at the end or on the way */
	assert_refused(f->access, to_root, NULL, FALSE, G_FILE_ERROR_PERM, "a symbolic link, not followed");
	g_autofree char *way_out = g_strdup_printf("a symbolic link on the way, \"%s\", not followed", dir_out);
	assert_refused(f->access, through_out, NULL, FALSE, G_FILE_ERROR_PERM, way_out);
	assert_refused(f->access, to_plain, NULL, FALSE, G_FILE_ERROR_PERM, "a symbolic link, not followed");
	g_autofree char *way_in = g_strdup_printf("a symbolic link on the way, \"%s\", not followed", dir_in);
	assert_refused(f->access, through_in, NULL, FALSE, G_FILE_ERROR_PERM, way_in);

	/* following inside the home: in is read, out is not */
	assert_reads(f->access, to_plain, NULL, TRUE, MBOX);
	assert_reads(f->access, to_plain_abs, NULL, TRUE, MBOX);
	assert_reads(f->access, through_in, NULL, TRUE, MBOX "inner\n");
	assert_reads(f->access, dotdot_in, NULL, TRUE, MBOX);
	g_autofree char *root_out = g_strdup_printf("a symbolic link to %s, outside the home: not followed",
	                                            f->root_only);
	assert_refused(f->access, to_root, NULL, TRUE, G_FILE_ERROR_PERM, root_out);
	g_autofree char *dir_outside = g_strdup_printf("a symbolic link on the way, \"%s\", to %s, outside "
	                                               "the home: not followed", dir_out, f->outside);
	assert_refused(f->access, through_out, NULL, TRUE, G_FILE_ERROR_PERM, dir_outside);
	g_autofree char *climbs = g_strdup_printf("a symbolic link, \"%s\", leads outside the home: not followed",
	                                          up_out);
	assert_refused(f->access, up_out, NULL, TRUE, G_FILE_ERROR_PERM, climbs);
	/* stricter than realpath(): out of the home and back in is refused too */
	g_autofree char *back_in = g_strdup_printf("a symbolic link, \"%s\", leads outside the home: not followed",
	                                           out_and_in);
	assert_refused(f->access, out_and_in, NULL, TRUE, G_FILE_ERROR_PERM, back_in);
	assert_refused(f->access, loop_a, NULL, TRUE, G_FILE_ERROR_LOOP, g_strerror(ELOOP));
	/* an absolute target's ".." is walked too, not taken as text */
	g_autofree char *abs_dotdot_in = in_mail(f, "link-absolute-dotdot-inside");
	g_autofree char *abs_dotdot_out = in_mail(f, "link-absolute-dotdot-outside");
	g_autofree char *in_target = g_build_filename(f->mail, "sub", "..", "plain", NULL);
	g_autofree char *out_target = g_build_filename(f->home, "..", "..", "root-only", NULL);
	g_assert_cmpint(symlink(in_target, abs_dotdot_in), ==, 0);
	g_assert_cmpint(symlink(out_target, abs_dotdot_out), ==, 0);
	assert_reads(f->access, abs_dotdot_in, NULL, TRUE, MBOX);
	g_autofree char *abs_climbs = g_strdup_printf("a symbolic link, \"%s\", leads outside the home: "
	                                              "not followed", abs_dotdot_out);
	assert_refused(f->access, abs_dotdot_out, NULL, TRUE, G_FILE_ERROR_PERM, abs_climbs);

	/* a link to a file of someone else's inside the home: followed, then refused */
	g_autofree char *bobs = in_mail(f, "bobs");
	g_autofree char *to_bobs = in_mail(f, "link-to-bobs");
	put(bobs, MBOX, STRANGER_UID, STRANGER_UID, 0644);
	g_assert_cmpint(symlink("bobs", to_bobs), ==, 0);
	assert_refused(f->access, to_bobs, NULL, TRUE, G_FILE_ERROR_PERM, "owned by uid 54321, not by nobody");
}

static void
test_fifo_and_socket(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *fifo = in_mail(f, "fifo");
	g_autofree char *sock_path = in_mail(f, "socket");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock = socket(AF_UNIX, SOCK_STREAM, 0);

	g_assert_cmpint(mkfifo(fifo, 0666), ==, 0);
	g_assert_cmpint(chown(fifo, f->uid, f->gid), ==, 0);
	g_assert_cmpuint(strlen(sock_path), <, sizeof addr.sun_path);
	strcpy(addr.sun_path, sock_path);
	g_assert_cmpint(bind(sock, (struct sockaddr *)&addr, sizeof addr), ==, 0);
	g_assert_cmpint(chown(sock_path, f->uid, f->gid), ==, 0);

	/* no writer: an open that waited would hang here (main's alarm ends it) */
	gint64 start = g_get_monotonic_time();
	assert_refused(f->access, fifo, NULL, FALSE, G_FILE_ERROR_PERM, "a FIFO, not a file");
	assert_refused(f->access, fifo, NULL, TRUE, G_FILE_ERROR_PERM, "a FIFO, not a file");
	assert_refused(f->access, sock_path, NULL, FALSE, G_FILE_ERROR_PERM, "a socket, not a file");
	g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
	close(sock);
}

static void
test_owner_and_mode(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *strangers = in_mail(f, "owned-by-54321");
	g_autofree char *unreadable = in_mail(f, "unreadable");
	g_autofree char *group_read = in_mail(f, "group-readable");
	g_autofree char *group_denied = in_mail(f, "group-denied");
	put(strangers, MBOX, STRANGER_UID, STRANGER_UID, 0644);
	put(unreadable, MBOX, f->uid, f->gid, 0000);
	put(group_read, MBOX, 0, f->gid, 0640);
	put(group_denied, MBOX, 0, f->gid, 0604);
	g_autoptr(UserAccess) lax = user_access_new(USER, f->home, FALSE, NULL);

	assert_refused(f->access, strangers, NULL, FALSE, G_FILE_ERROR_PERM,
	               "owned by uid 54321, not by nobody");
	assert_reads(lax, strangers, NULL, FALSE, MBOX);
	assert_refused(f->access, unreadable, NULL, FALSE, G_FILE_ERROR_ACCES,
	               "nobody could not read it (mode 0000)");
	assert_refused(lax, unreadable, NULL, FALSE, G_FILE_ERROR_ACCES,
	               "nobody could not read it (mode 0000)");
	/* the group class decides when the user is in the file's group, even if other
	 * could read: as the kernel does */
	assert_refused(f->access, group_read, NULL, FALSE, G_FILE_ERROR_PERM,
	               "owned by root (uid 0), not by nobody");
	assert_reads(lax, group_read, NULL, FALSE, MBOX);
	assert_refused(lax, group_denied, NULL, FALSE, G_FILE_ERROR_ACCES,
	               "nobody could not read it (mode 0604)");
}

static void
test_directory_on_the_way(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *locked = in_mail(f, "locked");
	g_autofree char *mine = g_build_filename(locked, "mine", NULL);
	make_dir(locked, 0, 0, 0700);
	put(mine, MBOX, f->uid, f->gid, 0600);

	g_autofree char *want = g_strdup_printf("nobody could not search a directory on the way, "
	                                        "\"%s\" (mode 0700)", locked);
	assert_refused(f->access, mine, NULL, FALSE, G_FILE_ERROR_ACCES, want);
	/* searching is enough: a directory the user cannot list but can pass through */
	g_assert_cmpint(chmod(locked, 0711), ==, 0);
	assert_reads(f->access, mine, NULL, FALSE, MBOX);

	/* a file in the way of a directory */
	g_autofree char *plain = in_mail(f, "plain");
	g_autofree char *below_file = g_build_filename(plain, "x", NULL);
	put(plain, MBOX, f->uid, f->gid, 0600);
	assert_refused(f->access, below_file, NULL, FALSE, G_FILE_ERROR_NOTDIR, g_strerror(ENOTDIR));

	/* user_access_open_directory */
	g_autoptr(GError) error = NULL;
	g_assert_cmpint(chmod(locked, 0700), ==, 0);
	int fd = user_access_open_directory(f->access, f->mail, NULL, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	fd = user_access_open_directory(f->access, locked, NULL, FALSE, &error);
	g_assert_cmpint(fd, ==, -1);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_ACCES);
	g_assert_cmpstr(error ? error->message : NULL, ==, "nobody could not search it (mode 0700)");
	g_clear_error(&error);
	fd = user_access_open_directory(f->access, plain, NULL, FALSE, &error);
	g_assert_cmpint(fd, ==, -1);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
	g_clear_error(&error);
	/* and a directory is no file to read */
	assert_refused(f->access, f->mail, NULL, FALSE, G_FILE_ERROR_PERM, "a directory, not a file");
	assert_refused(f->access, f->home, NULL, FALSE, G_FILE_ERROR_PERM, "a directory, not a file");
}

/* The check is made when the file is opened, not when the UserAccess was made, nor
 * when mapnames looked: a folder swapped for a hard link to root's mbox hours later
 * (the bug this module fixes) is refused. */
static void
test_replaced_later(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *folder = in_mail(f, "folder");
	g_autofree char *temp = in_mail(f, "folder.new");
	put(folder, MBOX, f->uid, f->gid, 0600);
	assert_reads(f->access, folder, NULL, FALSE, MBOX);

	g_assert_cmpint(link(f->root_only, temp), ==, 0);
	g_assert_cmpint(rename(temp, folder), ==, 0);
	assert_refused(f->access, folder, NULL, FALSE, G_FILE_ERROR_PERM,
	               "a hard link (2 links) to a file owned by root (uid 0)");

	g_assert_cmpint(unlink(folder), ==, 0);
	g_assert_cmpint(symlink(f->root_only, folder), ==, 0);
	assert_refused(f->access, folder, NULL, FALSE, G_FILE_ERROR_PERM, "a symbolic link, not followed");

	g_assert_cmpint(unlink(folder), ==, 0);
	g_assert_cmpint(mkfifo(folder, 0600), ==, 0);
	assert_refused(f->access, folder, NULL, FALSE, G_FILE_ERROR_PERM, "a FIFO, not a file");

	/* the Mail directory itself swapped for a link out of the home */
	g_autofree char *moved = g_build_filename(f->home, "Mail.old", NULL);
	g_autofree char *outside_folder = g_build_filename(f->outside, "folder", NULL);
	g_autofree char *want = g_strdup_printf("a symbolic link on the way, \"%s\", not followed", f->mail);
	put(outside_folder, SECRET, f->uid, f->gid, 0600);
	g_assert_cmpint(rename(f->mail, moved), ==, 0);
	g_assert_cmpint(symlink(f->outside, f->mail), ==, 0);
	assert_refused(f->access, folder, NULL, FALSE, G_FILE_ERROR_PERM, want);
}

/* A swap racing the open: another thread keeps replacing the folder by a hard link
 * to root's file and back.  Whatever the interleaving, root's text is never read,
 * because the refusal is applied to the descriptor's own fstat. */
typedef struct {
	const char *folder, *good, *evil, *temp;
	gint stop;
} Swapper;

static gpointer
swapper(gpointer data)
{
	Swapper *sw = data;
	while (!g_atomic_int_get(&sw->stop)) {
		const char *from = g_random_boolean() ? sw->good : sw->evil;
		/* rename() between two links to one file does nothing: temp stays */
		(void)unlink(sw->temp);
		if (link(from, sw->temp) == 0)
			(void)rename(sw->temp, sw->folder);
	}
	return NULL;
}

static void
test_swap_race(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *folder = in_mail(f, "folder");
	g_autofree char *good = in_mail(f, "good");
	g_autofree char *temp = in_mail(f, "folder.tmp");
	put(good, MBOX, f->uid, f->gid, 0600);
	put(folder, MBOX, f->uid, f->gid, 0600);
	Swapper sw = { folder, good, f->root_only, temp, 0 };
	GThread *thread = g_thread_new("swapper", swapper, &sw);
	int read_ok = 0, refused = 0, leaked = 0;

	for (int i = 0; i < 20000; i++) {
		g_autoptr(GError) error = NULL;
		int fd = user_access_open(f->access, folder, NULL, FALSE, &error);
		if (fd < 0) {
			if (refused++ == 0)
				g_test_message("first refusal: %s", error->message);
			continue;
		}
		g_autofree char *text = slurp(fd);
		if (strcmp(text, SECRET) == 0)
			leaked++;
		else
			read_ok++;
	}
	g_atomic_int_set(&sw.stop, 1);
	g_thread_join(thread);
	g_test_message("%d read, %d refused, %d leaked", read_ok, refused, leaked);
	g_assert_cmpint(leaked, ==, 0);
	g_assert_cmpint(read_ok, >, 0);
	g_assert_cmpint(refused, >, 0);
}

static void
test_missing(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *missing = in_mail(f, "no-such-folder");
	g_autofree char *missing_dir = in_mail(f, "no-such-dir/folder");
	g_autoptr(GError) error = NULL;

	assert_refused(f->access, missing, NULL, FALSE, G_FILE_ERROR_NOENT, "No such file or directory");
	assert_refused(f->access, missing_dir, NULL, TRUE, G_FILE_ERROR_NOENT, "No such file or directory");
	/* a home that is not there at all */
	g_autofree char *gone = g_build_filename(f->dir, "home", "gone", NULL);
	g_autofree char *gone_file = g_build_filename(gone, "Mail", "x", NULL);
	g_autoptr(UserAccess) homeless = user_access_new(USER, gone, TRUE, &error);
	g_assert_no_error(error);
	g_assert_null(user_access_get_home_real(homeless));
	assert_refused(homeless, gone_file, NULL, FALSE, G_FILE_ERROR_NOENT, "No such file or directory");
}

/* A trusted directory other than the home (the spool), and paths under none. */
static void
test_trusted_dirs(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	const char *trusted[] = { f->spool, NULL };
	g_autofree char *inbox = g_build_filename(f->spool, USER, NULL);
	g_autofree char *spool_link = g_build_filename(f->spool, "linked", NULL);
	g_autofree char *plain = in_mail(f, "plain");
	put(inbox, MBOX, f->uid, f->gid, 0600);
	put(plain, MBOX, f->uid, f->gid, 0600);
	g_assert_cmpint(symlink(plain, spool_link), ==, 0);

	assert_reads(f->access, inbox, trusted, FALSE, MBOX);
	/* links are followed only inside the home */
	assert_refused(f->access, spool_link, trusted, TRUE, G_FILE_ERROR_PERM, "a symbolic link, not followed");

	/* under no trusted directory: the parent as the admin wrote it, the file checked */
	g_autofree char *mine = g_build_filename(f->elsewhere, "mine", NULL);
	g_autofree char *roots = g_build_filename(f->elsewhere, "roots", NULL);
	g_autofree char *elsewhere_link = g_build_filename(f->elsewhere, "link", NULL);
	put(mine, MBOX, f->uid, f->gid, 0600);
	put(roots, SECRET, 0, 0, 0644);
	g_assert_cmpint(symlink(plain, elsewhere_link), ==, 0);
	assert_reads(f->access, mine, NULL, FALSE, MBOX);
	assert_refused(f->access, roots, NULL, FALSE, G_FILE_ERROR_PERM, "owned by root (uid 0), not by nobody");
	assert_refused(f->access, elsewhere_link, NULL, TRUE, G_FILE_ERROR_PERM, "a symbolic link, not followed");
	/* ".." taken as text leads out of the home to a path under no trusted directory */
	g_autofree char *climb = g_build_filename(f->mail, "..", "..", "..", "root-only", NULL);
	assert_refused(f->access, climb, NULL, TRUE, G_FILE_ERROR_PERM, "owned by root (uid 0), not by nobody");

	/* the home named through a link of the admin's (/home -> /export/home), and by its
	 * real path: both are the home */
	g_autofree char *alias = g_build_filename(f->dir, "home-alias", NULL);
	g_autofree char *homes = g_build_filename(f->dir, "home", NULL);
	g_autofree char *alias_home = g_build_filename(alias, USER, NULL);
	g_autofree char *alias_plain = g_build_filename(alias_home, "Mail", "plain", NULL);
	g_autofree char *alias_link = g_build_filename(alias_home, "Mail", "link-inside", NULL);
	g_autofree char *link_inside = in_mail(f, "link-inside");
	g_assert_cmpint(symlink(homes, alias), ==, 0);
	g_assert_cmpint(symlink(plain, link_inside), ==, 0);   /* absolute, the real spelling */
	g_autoptr(UserAccess) aliased = user_access_new(USER, alias_home, TRUE, NULL);
	g_assert_cmpstr(user_access_get_home_real(aliased), ==, f->home);
	assert_reads(aliased, alias_plain, NULL, FALSE, MBOX);
	assert_reads(aliased, plain, NULL, FALSE, MBOX);
	assert_reads(aliased, alias_link, NULL, TRUE, MBOX);
}

static void
test_sparse(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *sparse = in_mail(f, "sparse");
	put(sparse, MBOX, f->uid, f->gid, 0600);
	g_assert_cmpint(truncate(sparse, G_GINT64_CONSTANT(100) * 1024 * 1024 * 1024), ==, 0);
	struct stat st;
	g_assert_cmpint(stat(sparse, &st), ==, 0);

	g_autofree char *want = g_strdup_printf("a sparse file: 107374182400 bytes long, %" G_GINT64_FORMAT
	                                        " on disk; not read", (gint64)st.st_blocks * 512);
	assert_refused(f->access, sparse, NULL, FALSE, G_FILE_ERROR_PERM, want);
}

/* Nothing refused is read: each file's access time, set to 1970 first, is still 1970
 * after every refused open.  A read does move it here (checked first, on a file of
 * the user's), or the check would prove nothing. */
static void
test_atime(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	struct utimbuf old = { .actime = 1, .modtime = time(NULL) };
	struct stat st;
	g_autofree char *plain = in_mail(f, "plain");
	put(plain, MBOX, f->uid, f->gid, 0600);
	g_assert_cmpint(utime(plain, &old), ==, 0);
	assert_reads(f->access, plain, NULL, FALSE, MBOX);
	g_assert_cmpint(stat(plain, &st), ==, 0);
	if (st.st_atime == 1) {
		g_test_skip("this file system does not record reads in atime");
		return;
	}

	g_autofree char *hard = in_mail(f, "hard");
	g_autofree char *soft = in_mail(f, "soft");
	g_autofree char *strangers = in_mail(f, "strangers");
	g_autofree char *unreadable = in_mail(f, "unreadable");
	g_autofree char *sparse = in_mail(f, "sparse");
	g_autofree char *locked = in_mail(f, "locked");
	g_autofree char *locked_mine = g_build_filename(locked, "mine", NULL);
	g_autofree char *secret = g_build_filename(f->outside, "secret", NULL);
	g_autofree char *dir_out = in_mail(f, "dir-out");
	g_autofree char *through = g_build_filename(dir_out, "secret", NULL);
	g_assert_cmpint(link(f->root_only, hard), ==, 0);
	g_assert_cmpint(symlink(f->root_only, soft), ==, 0);
	g_assert_cmpint(symlink(f->outside, dir_out), ==, 0);
	put(strangers, MBOX, STRANGER_UID, STRANGER_UID, 0644);
	put(unreadable, MBOX, f->uid, f->gid, 0000);
	put(sparse, MBOX, f->uid, f->gid, 0600);
	g_assert_cmpint(truncate(sparse, G_GINT64_CONSTANT(100) * 1024 * 1024 * 1024), ==, 0);
	make_dir(locked, 0, 0, 0700);
	put(locked_mine, MBOX, f->uid, f->gid, 0600);

	const char *watched[] = { f->root_only, strangers, unreadable, sparse, locked_mine, secret };
	for (gsize i = 0; i < G_N_ELEMENTS(watched); i++)
		g_assert_cmpint(utime(watched[i], &old), ==, 0);
	const char *refused[] = { hard, soft, strangers, unreadable, sparse, locked_mine, through };
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++)
		for (int follow = 0; follow <= 1; follow++) {
			g_autoptr(GError) error = NULL;
			g_assert_cmpint(user_access_open(f->access, refused[i], NULL, follow, &error), ==, -1);
			g_assert_nonnull(error);
		}
	for (gsize i = 0; i < G_N_ELEMENTS(watched); i++) {
		g_assert_cmpint(stat(watched[i], &st), ==, 0);
		g_test_message("%s", watched[i]);
		g_assert_cmpint(st.st_atime, ==, 1);
	}
}

/* Several users' files opened from several threads at once (convert's GThreadPool). */
typedef struct {
	const Fixture *f;
	const UserAccess *access;
	const char *good, *bad;
	int failures;
} ThreadJob;

static gpointer
opener(gpointer data)
{
	ThreadJob *job = data;
	for (int i = 0; i < 300; i++) {
		int fd = user_access_open(job->access, job->good, NULL, TRUE, NULL);
		if (fd < 0)
			job->failures++;
		else
			close(fd);
		fd = user_access_open(job->access, job->bad, NULL, TRUE, NULL);
		if (fd >= 0) {
			job->failures++;
			close(fd);
		}
	}
	return NULL;
}

static void
test_threads(Fixture *f, gconstpointer data)
{
	(void)data;
	if (!need_root())
		return;
	g_autofree char *plain = in_mail(f, "plain");
	g_autofree char *hard = in_mail(f, "hard");
	g_autofree char *spool_inbox = g_build_filename(f->spool, USER, NULL);
	put(plain, MBOX, f->uid, f->gid, 0600);
	put(spool_inbox, MBOX, f->uid, f->gid, 0600);
	g_assert_cmpint(link(f->root_only, hard), ==, 0);
	/* a second "user": root, whose home is the spool; nobody's file there is not root's */
	g_autoptr(UserAccess) root = user_access_new("root", f->spool, TRUE, NULL);
	ThreadJob jobs[4] = {
		{ f, f->access, plain, hard, 0 }, { f, root, f->root_only, spool_inbox, 0 },
		{ f, f->access, plain, f->root_only, 0 }, { f, root, f->root_only, plain, 0 },
	};
	GThread *threads[G_N_ELEMENTS(jobs)];
	for (gsize i = 0; i < G_N_ELEMENTS(jobs); i++)
		threads[i] = g_thread_new("opener", opener, &jobs[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(jobs); i++) {
		g_thread_join(threads[i]);
		g_assert_cmpint(jobs[i].failures, ==, 0);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	/* an open that blocked on a FIFO would hang the run: end it instead */
	alarm(120);
	g_test_add_func("/user-access/new", test_new);
	g_test_add_func("/user-access/refusal-words", test_refusal_words);
#define ADD(name, fn) g_test_add("/user-access/" name, Fixture, NULL, setup, fn, teardown)
	ADD("plain-file", test_plain_file);
	ADD("hard-link", test_hard_link);
	ADD("symbolic-links", test_symbolic_links);
	ADD("fifo-and-socket", test_fifo_and_socket);
	ADD("owner-and-mode", test_owner_and_mode);
	ADD("directory-on-the-way", test_directory_on_the_way);
	ADD("replaced-later", test_replaced_later);
	ADD("swap-race", test_swap_race);
	ADD("missing", test_missing);
	ADD("trusted-dirs", test_trusted_dirs);
	ADD("sparse", test_sparse);
	ADD("atime", test_atime);
	ADD("threads", test_threads);
	return g_test_run();
}
