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
	/* getpwnam_r: backout's spool source calls this from its worker threads */
	struct passwd pw_buf, *pw = NULL;
	char pw_text[4096];
	g_autofree char *mbpath = g_build_filename(bin_dir, "mbpath", NULL);
	int n = 32;

	memset(tools, 0, sizeof *tools);
	if (getpwnam_r(user, &pw_buf, pw_text, sizeof pw_text, &pw) != 0 || pw == NULL) {
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

/* `tool -C conf args...` started as the cyrus user, its output on pipes. */
static GSubprocess *
spawn(const CyrusTools *tools, const char *tool, char *const *args, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };

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
	return g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
}

/* FALSE with FAILED when `child` (waited for) did not exit 0; `out`, `err` what it
 * printed, for the message (trimmed here). */
static gboolean
check_exit(GSubprocess *child, const char *tool, char *out, char *err, GError **error)
{
	if (g_subprocess_get_successful(child))
		return TRUE;
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

static gboolean
run(const CyrusTools *tools, const char *tool, char *const *args, char **out_out, GError **error)
{
	g_autoptr(GSubprocess) child = spawn(tools, tool, args, error);
	g_autofree char *out = NULL, *err = NULL;
	g_autofree char *running = g_strdup_printf("%s-running", tool);

	if (child == NULL)
		return FALSE;
	fault_point(running);   /* the resume tests kill the run here, the tool still running */
	if (!g_subprocess_communicate_utf8(child, NULL, NULL, &out, &err, error))
		return FALSE;
	if (!check_exit(child, tool, out, err, error))
		return FALSE;
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

gboolean
cyrus_tools_reconstruct_users(const CyrusTools *tools, const char *const *users,
                              char **output_out, GError **error)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_ptr_array_add(args, (gpointer)"-u");
	for (guint i = 0; users[i] != NULL; i++) {
		g_return_val_if_fail(users[i][0] != '-', FALSE);   /* the caller's check */
		g_ptr_array_add(args, (gpointer)users[i]);
	}
	g_ptr_array_add(args, NULL);
	return run(tools, "reconstruct", (char *const *)args->pdata, output_out, error);
}

/* Standard error as text for a message: at most 4 KiB of it, bytes that are not
 * UTF-8 replaced. */
static char *
read_stderr(GSubprocess *child)
{
	char buf[4096];
	gsize got = 0;

	if (!g_input_stream_read_all(g_subprocess_get_stderr_pipe(child), buf, sizeof buf - 1,
	                             &got, NULL, NULL))
		got = 0;
	buf[got] = '\0';
	return g_utf8_make_valid(buf, (gssize)got);
}

gboolean
cyrus_tools_mbexamine(const CyrusTools *tools, const char *mailbox, CyrusToolSink sink,
                      gpointer data, GError **error)
{
	char *const args[] = { (char *)mailbox, NULL };
	g_autoptr(GSubprocess) child = spawn(tools, "mbexamine", args, error);
	g_autofree char *buf = NULL, *err = NULL;
	GInputStream *out;

	if (child == NULL)
		return FALSE;
	out = g_subprocess_get_stdout_pipe(child);
	buf = g_malloc(64 * 1024);
	for (;;) {
		gssize got = g_input_stream_read(out, buf, 64 * 1024, NULL, error);
		if (got < 0 || (got > 0 && !sink(buf, (gsize)got, data, error))) {
			/* ours to end: it would block on a pipe nobody reads */
			g_subprocess_force_exit(child);
			g_subprocess_wait(child, NULL, NULL);
			return FALSE;
		}
		if (got == 0)
			break;
	}
	err = read_stderr(child);
	if (!g_subprocess_wait(child, NULL, error))
		return FALSE;
	g_autofree char *none = g_strdup("");
	return check_exit(child, "mbexamine", none, err, error);
}
