/* user-access.h -- may this file be read on a user's behalf, and opening it safely
 * when it may.  We run as root over files users control (DESIGN.md, Safety); mapnames
 * checks each file when it finds it and convert opens the manifest's paths hours
 * later, so both ask here, and a file swapped in between is caught at the open.
 *
 * The rules, for a user known to the password database:
 *  - only a regular file is read: never a symbolic link (unless it is followed inside
 *    the home, see user_access_open), FIFO, socket, device or directory, and those
 *    are never opened;
 *  - a file with more than one hard link is read only when the user owns it (a link
 *    the user made to someone else's file is not theirs to migrate);
 *  - with check_owner, the file must belong to the user;
 *  - the user must be able to read it as the kernel would decide from its owner,
 *    group and mode bits and the user's groups (ACLs are not looked at), and to
 *    search every directory below the trusted one on the way to it;
 *  - a sparse file (over 1 MiB, less than an eighth of it on disk) is not read: a
 *    100 GB file of holes would cost hours and hold nothing.
 * A user the password database does not know (allowed only without check_owner) has
 * no uid to compare: then only the first rule, the sparse rule, and "no hard links at
 * all" apply, as mapnames has always done with --no-owner-check.
 *
 * Thread safety: a UserAccess is read-only once made, and may be used from several
 * threads at once; nothing here keeps state between calls (getpwnam_r, getpwuid_r;
 * glibc's getgrouplist is MT-Safe).
 *
 * Errors: user_access_new sets M2C_USER_ACCESS_ERROR (codes below).  The open
 * functions set G_FILE_ERROR: a system call's errno through g_file_error_from_errno
 * with g_strerror's words as the message (ENOENT: G_FILE_ERROR_NOENT, "No such file or
 * directory"; EIO, ENOSPC... keep their codes; EAGAIN, G_FILE_ERROR_AGAIN, when
 * someone holds a lease on the file), or a refusal: G_FILE_ERROR_ACCES when the user
 * could not read the file or search a directory on the way, G_FILE_ERROR_PERM for
 * every other rule above.  The message is the reason only; the caller adds the path.
 */
#ifndef M2C_USER_ACCESS_H
#define M2C_USER_ACCESS_H

#include <glib.h>
#include <sys/stat.h>

#define M2C_USER_ACCESS_ERROR (m2c_user_access_error_quark())
GQuark m2c_user_access_error_quark(void);

typedef enum {
	M2C_USER_ACCESS_ERROR_UNKNOWN_USER,  /* not in the password database, and owners are checked */
	M2C_USER_ACCESS_ERROR_NO_HOME,       /* no home given, and the database has none */
	M2C_USER_ACCESS_ERROR_LOOKUP,        /* the password database failed (NSS, LDAP down):
	                                      * temporary; the user is NOT taken as unknown */
} M2cUserAccessError;

typedef struct UserAccess UserAccess;

/* Who `user` is: uid, groups (getgrouplist), home and its real path.  `home` (copied)
 * is the home directory to use; NULL takes it from the password database.  A user the
 * database does not know is allowed only when `check_owner` is FALSE (see above).
 * The home need not exist (user_access_get_home_real() is then NULL); a home that is
 * not an absolute path (an empty passwd field) is kept but is no trusted directory
 * for user_access_open.  Returns a new
 * UserAccess (user_access_free), or NULL with UNKNOWN_USER, NO_HOME or LOOKUP set. */
UserAccess *user_access_new(const char *user, const char *home, gboolean check_owner,
                            GError **error);

void user_access_free(UserAccess *access);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UserAccess, user_access_free)

/* The user's name; the home as given or from the database; its realpath() when it
 * existed at user_access_new(), else NULL.  Owned by `access`, valid while it is. */
const char *user_access_get_user(const UserAccess *access);
const char *user_access_get_home(const UserAccess *access);
const char *user_access_get_home_real(const UserAccess *access);

/* TRUE when the password database knows the user (uid and groups are real). */
gboolean user_access_is_known(const UserAccess *access);

/* The user's uid and primary group (the password database's); FALSE, and nothing
 * set, for a user it does not know. */
gboolean user_access_get_ids(const UserAccess *access, uid_t *uid_out, gid_t *gid_out);

/* Could the user open a file with this stat for reading (owner, group membership and
 * mode bits)?  A directory must also be searchable: read and search, to list it.
 * Always TRUE for an unknown user and for root. */
gboolean user_access_may_read(const UserAccess *access, const struct stat *st);

/* Could the user write it (a directory: make files in it)?  As user_access_may_read:
 * owner, group, mode bits; TRUE for an unknown user and for root. */
gboolean user_access_may_write(const UserAccess *access, const struct stat *st);

/* NULL when a file with this stat may be read on the user's behalf (the rules
 * above); else why not, new (g_free), worded for a manifest note, e.g.
 *   "a FIFO, not a file"            (also socket, character device, block device,
 *                                    directory; "a symbolic link, not followed")
 *   "a hard link (2 links) to a file owned by root (uid 0)"
 *   "owned by bob (uid 1001), not by alice"
 *   "alice could not read it (mode 0600)"
 *   "a sparse file: 107374182400 bytes long, 4096 on disk; not read"
 * `st` should come from fstat() of the descriptor that will be read (or, to decide
 * whether to open at all, from an lstat()). */
char *user_access_refusal(const UserAccess *access, const struct stat *st);

/* Open `name` in the directory `dirfd` for reading, on the user's behalf: it must be
 * a regular file by lstat (so nothing else is ever opened), is opened with O_RDONLY |
 * O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC (a FIFO swapped in cannot block us;
 * a lease holder cannot make us wait), and user_access_refusal() is applied again to
 * fstat() of the new descriptor, which is the one that will be read.  Nothing is
 * read.  `name` must be one path component.  Returns the descriptor (the caller
 * closes it; O_NONBLOCK cleared) with its fstat in `*st_out` (may be NULL), or -1 with
 * a G_FILE_ERROR as above. */
int user_access_open_at(const UserAccess *access, int dirfd, const char *name,
                        struct stat *st_out, GError **error);

/* Open `path` for reading on the user's behalf, as safely as discovery did.
 *
 * `path` is made absolute and its "." and ".." are removed as text
 * (g_canonicalize_filename).  The trusted directory that contains it is found: the
 * user's home (as given or its real path), or one of `trusted_dirs` (NULL-terminated;
 * may be NULL), e.g. "/var/mail"; the deepest one wins.  A trusted directory is the
 * administrator's and is opened normally (/home may be a symbolic link).  From there
 * each later directory is opened relative to its parent with O_NOFOLLOW |
 * O_DIRECTORY and must be searchable by the user, and the file is opened with
 * user_access_open_at().
 *
 * A symbolic link on the way or at the end is refused, unless
 * `follow_links_inside_home` is TRUE and the trusted directory is the home: then the
 * link is read and its target walked the same way, one component at a time from the
 * directory holding the link (an absolute target from the home); a target that
 * leaves the home, even to come back, is refused, and so is a loop (more than 40
 * links).  A path under no trusted directory: its parent directory is opened
 * normally, and the last component with user_access_open_at().
 *
 * Never blocks, never reads the file.  Returns the descriptor (the caller closes it),
 * or -1 with a G_FILE_ERROR whose message is the reason alone, e.g.
 * "No such file or directory", "a hard link (2 links) to a file owned by root (uid 0)",
 * "a symbolic link on the way, \"/home/alice/Mail/old\", not followed". */
int user_access_open(const UserAccess *access, const char *path,
                     const char *const *trusted_dirs, gboolean follow_links_inside_home,
                     GError **error);

/* The same walk as user_access_open(), for a directory: `path` itself must be a
 * directory (not a link, unless followed as above) that the user could search; a
 * trusted directory itself is opened without checks.  Returns a descriptor opened
 * O_RDONLY | O_DIRECTORY (the caller closes it), or -1 with a G_FILE_ERROR. */
int user_access_open_directory(const UserAccess *access, const char *path,
                               const char *const *trusted_dirs,
                               gboolean follow_links_inside_home, GError **error);

#endif
