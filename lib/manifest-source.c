/* manifest-source.c -- see manifest-source.h. */
#include "manifest-source.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failure.h"

UserAccess *
manifest_source_user_access(const ManifestSettings *settings, const char *user, GError **error)
{
	g_autofree char *home = NULL;
	if (settings->home_template != NULL) {
		g_autoptr(GString) h = g_string_new(settings->home_template);
		g_string_replace(h, "%u", user, 0);
		home = g_string_free(g_steal_pointer(&h), FALSE);
	}
	return user_access_new(user, home, settings->check_owner, error);
}

/* Where the trusted walk starts besides the home: the inbox files' directory. */
#define TRUSTED(settings) { (settings)->inbox_dir ? (settings)->inbox_dir : "/var/mail", NULL }

int
manifest_source_open_directory(const ManifestSettings *settings, const UserAccess *access,
                               const char *path, GError **error)
{
	const char *trusted[] = TRUSTED(settings);
	return user_access_open_directory(access, path, trusted, settings->follow_links_inside_home,
	                                  error);
}

MboxReader *
manifest_source_open(const ManifestSettings *settings, const MboxReaderSettings *reader_settings,
                     const UserAccess *access, const char *path, char **identity_out,
                     GError **error)
{
	const char *trusted[] = TRUSTED(settings);
	struct stat st;
	int fd = user_access_open(access, path, trusted, settings->follow_links_inside_home, error);
	if (fd < 0)
		return NULL;
	if (identity_out != NULL) {
		if (fstat(fd, &st) != 0) {   /* user_access_open() has just done it */
			failure_set_errno(error, errno, "fstat");
			close(fd);
			return NULL;
		}
		/* not st_dev: a remount after a power cut may number the device anew */
		*identity_out = g_strdup_printf("ino=%ju size=%jd mtime=%jd.%09ld",
		                                (uintmax_t)st.st_ino, (intmax_t)st.st_size,
		                                (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	}
	return mbox_reader_open_fd(fd, path, reader_settings, error);
}
