/* convert-source.c -- opening a manifest's source as mapnames checked it, for every
 * step of convert that reads one (delivery, flags after a rerun, --dry-run). */
#include "convert-user.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failure.h"

UserAccess *
convert_user_access(const ConvertContext *ctx, const char *user, GError **error)
{
	const ManifestSettings *ms = ctx->manifest;
	g_autofree char *home = NULL;
	if (ms->home_template != NULL) {
		g_autoptr(GString) h = g_string_new(ms->home_template);
		g_string_replace(h, "%u", user, 0);
		home = g_string_free(g_steal_pointer(&h), FALSE);
	}
	return user_access_new(user, home, ms->check_owner, error);
}

MboxReader *
convert_open_source(const ConvertContext *ctx, const UserAccess *access, const char *path,
                    char **identity_out, GError **error)
{
	const ManifestSettings *ms = ctx->manifest;
	const char *trusted[] = { ms->inbox_dir ? ms->inbox_dir : "/var/mail", NULL };
	struct stat st;
	int fd = user_access_open(access, path, trusted, ms->follow_links_inside_home, error);
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
	return mbox_reader_open_fd(fd, path, &ctx->reader, error);
}
