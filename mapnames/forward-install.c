/* forward-install.c -- a Sieve script into Cyrus: sievec into the sievedir, or
 * ManageSieve (forward-install.h). */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cyrus-conf.h"
#include "forward-install.h"
#include "managesieve.h"

/* Cyrus's dir_hash_c without fulldirhash: the first letter, 'q' for anything else. */
static char
dir_hash(const char *user)
{
	char c = g_ascii_tolower(user[0]);
	return (c >= 'a' && c <= 'z') ? c : 'q';
}

static gboolean
give_to_cyrus(const char *path, GError **error)
{
	struct passwd *pw = getpwnam("cyrus");
	if (pw == NULL)
		return TRUE;
	if (lchown(path, pw->pw_uid, pw->pw_gid) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: chown: %s",
		            path, g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

static gboolean
install_direct(const ForwardInstall *how, const char *user, const char *name,
               const char *script, GError **error)
{
	g_autoptr(CyrusConf) conf = cyrus_conf_load(how->cyrus_conf, error);
	if (conf == NULL)
		return FALSE;
	const char *sievedir = cyrus_conf_get(conf, "sievedir");
	if (sievedir == NULL)
		sievedir = "/usr/sieve";
	char hash[2] = { dir_hash(user), '\0' };
	g_autofree char *dir = g_build_filename(sievedir, hash, user, NULL);
	g_autofree char *script_file = g_strconcat(name, ".script", NULL);
	g_autofree char *bc_file = g_strconcat(name, ".bc", NULL);
	g_autofree char *script_path = g_build_filename(dir, script_file, NULL);
	g_autofree char *bc_path = g_build_filename(dir, bc_file, NULL);
	g_autofree char *tmp_bc = g_strconcat(bc_path, ".new", NULL);
	g_autofree char *link_path = g_build_filename(dir, "defaultbc", NULL);
	g_autofree char *tmp_link = g_strconcat(link_path, ".new", NULL);

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", dir,
		            g_strerror(saved));
		return FALSE;
	}
	if (!give_to_cyrus(dir, error))
		return FALSE;
	if (!g_file_set_contents_full(script_path, script, -1, G_FILE_SET_CONTENTS_CONSISTENT |
	                              G_FILE_SET_CONTENTS_DURABLE, 0600, error) ||
	    !give_to_cyrus(script_path, error))
		return FALSE;

	g_autofree char *sievec = g_build_filename(how->cyrus_bin, "sievec", NULL);
	const char *argv[] = { sievec, "-C", how->cyrus_conf, script_path, tmp_bc, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int wait_status;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
	                  &wait_status, error))
		return FALSE;
	if (!g_spawn_check_wait_status(wait_status, NULL)) {
		g_unlink(tmp_bc);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "sievec refused %s: %s",
		            script_path, g_strstrip(err));
		return FALSE;
	}
	g_unlink(tmp_link);
	if (!give_to_cyrus(tmp_bc, error))
		return FALSE;
	if (g_rename(tmp_bc, bc_path) != 0 || symlink(bc_file, tmp_link) != 0 ||
	    !give_to_cyrus(tmp_link, error) || g_rename(tmp_link, link_path) != 0) {
		int saved = errno;
		if (error != NULL && *error != NULL)
			return FALSE;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", dir,
		            g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

gboolean
forward_install_sieve(const ForwardInstall *how, const char *user, const char *script_name,
                      const char *script, GError **error)
{
	if (geteuid() == 0 && how->cyrus_conf != NULL && how->port == 0)
		return install_direct(how, user, script_name, script, error);
	return managesieve_install(how->host != NULL ? how->host : "localhost",
	                           how->port != 0 ? how->port : 4190, how->admin, how->password,
	                           user, script_name, script, error);
}
