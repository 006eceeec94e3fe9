/* cyrus-tools.c -- see cyrus-tools.h. */
#include "cyrus-tools.h"
#include "fault.h"

#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

G_DEFINE_QUARK(m2c-cyrus-tool-error-quark, m2c_cyrus_tool_error)

gboolean
cyrus_tools_init(CyrusTools *tools, const char *bin_dir, const char *conf, const char *user,
                 GError **error)
{
	struct passwd *pw = getpwnam(user);
	g_autofree char *mbpath = g_build_filename(bin_dir, "mbpath", NULL);
	int n = 32;

	memset(tools, 0, sizeof *tools);
	if (pw == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no user \"%s\" for Cyrus's tools", user);
		return FALSE;
	}
	if (!g_file_test(mbpath, G_FILE_TEST_IS_EXECUTABLE)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is missing: is cyrus-imapd "
		            "installed, or --cyrus-bin wrong?", mbpath);
		return FALSE;
	}
	tools->bin_dir = g_strdup(bin_dir);
	tools->conf = g_strdup(conf);
	tools->uid = pw->pw_uid;
	tools->gid = pw->pw_gid;
	tools->groups = g_new(gid_t, n);
	if (getgrouplist(user, pw->pw_gid, tools->groups, &n) < 0) {
		tools->groups = g_renew(gid_t, tools->groups, n);
		getgrouplist(user, pw->pw_gid, tools->groups, &n);
	}
	tools->n_groups = n;
	return TRUE;
}

void
cyrus_tools_clear(CyrusTools *tools)
{
	g_free(tools->bin_dir);
	g_free(tools->conf);
	g_free(tools->groups);
	memset(tools, 0, sizeof *tools);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void
become_cyrus(gpointer data)
{
	const CyrusTools *tools = data;
	if (setgroups((size_t)tools->n_groups, tools->groups) != 0 || setgid(tools->gid) != 0 ||
	    setuid(tools->uid) != 0)
		_exit(126);
}

static gboolean
run(const CyrusTools *tools, const char *tool, char *const *args, char **out_out, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) child = NULL;
	g_autofree char *out = NULL, *err = NULL;
	const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };
	g_autofree char *running = g_strdup_printf("%s-running", tool);

	g_ptr_array_add(argv, g_build_filename(tools->bin_dir, tool, NULL));
	g_ptr_array_add(argv, g_strdup("-C"));
	g_ptr_array_add(argv, g_strdup(tools->conf));
	for (char *const *a = args; *a != NULL; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);
	g_subprocess_launcher_set_environ(launcher, (char **)envp);
	g_subprocess_launcher_set_cwd(launcher, "/");
	if (geteuid() == 0)
		g_subprocess_launcher_set_child_setup(launcher, become_cyrus, (gpointer)tools, NULL);
	child = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
	if (child == NULL)
		return FALSE;
	fault_point(running);   /* the resume tests kill the run here, the tool still running */
	if (!g_subprocess_communicate_utf8(child, NULL, NULL, &out, &err, error))
		return FALSE;
	if (!g_subprocess_get_successful(child)) {
		g_strstrip(err);
		g_strstrip(out);
		g_set_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_FAILED,
		            "%s failed (%s %d): %s%s%s", tool,
		            g_subprocess_get_if_exited(child) ? "exit status" : "signal",
		            g_subprocess_get_if_exited(child) ? g_subprocess_get_exit_status(child)
		                                              : g_subprocess_get_term_sig(child),
		            err, *err && *out ? " / " : "", out);
		return FALSE;
	}
	if (out_out != NULL)
		*out_out = g_steal_pointer(&out);
	return TRUE;
}

char **
cyrus_tools_mbpath(const CyrusTools *tools, char *const *names, GError **error)
{
	g_autofree char *out = NULL;
	guint n = g_strv_length((char **)names);

	if (!run(tools, "mbpath", names, &out, error))
		return NULL;
	g_auto(GStrv) lines = g_strsplit(g_strchomp(out), "\n", -1);
	if (g_strv_length(lines) != n) {
		g_set_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT,
		            "mbpath answered %u lines for %u mailboxes", g_strv_length(lines), n);
		return NULL;
	}
	for (guint i = 0; i < n; i++)
		if (lines[i][0] != '/') {
			g_set_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT,
			            "mbpath gave \"%s\" for \"%s\"", lines[i], names[i]);
			return NULL;
		}
	return g_steal_pointer(&lines);
}

gboolean
cyrus_tools_reconstruct(const CyrusTools *tools, const char *const *mailboxes, char **output_out,
                        GError **error)
{
	return run(tools, "reconstruct", (char *const *)mailboxes, output_out, error);
}
