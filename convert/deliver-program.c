/* deliver-program.c -- convert --method lmtp --deliver PATH: Cyrus's deliver run once
 * per message, as sites whose MTA delivers that way insist (the qmail recipe pipes
 * each message into "deliver -a USER -m FOLDER USER").
 *
 * deliver speaks LMTP to lmtpd itself and says how it went by its exit status
 * (sysexits.h).  Measured on Cyrus 3.6: 0 delivered; 65 (EX_DATAERR) an unknown user,
 * a folder it cannot address, invalid content; 75 (EX_TEMPFAIL) over quota; 78
 * (EX_CONFIG) lmtpd unreachable or no configuration file -- printing "421 4.3.0
 * deliver: couldn't connect to lmtpd" on stdout.  It cuts a message at a NUL without
 * a word and exits 0 (lmtp-deliver.c never hands it one).
 *
 * Mapping: a temporary status (75, 78, and 69, 71, 73, 74 as sysexits defines them)
 * is retried after run->retry_ms, twice that, four times that; still failing, 75 is
 * the user's temporary failure (over quota: raise it, rerun), 78 and the others the
 * run's (lmtpd is the same for every user: the run stops, exit 75).  Any other status
 * is the user's permanent failure; the other users go on.  The program's words are
 * in the error. */
#include "method-lmtp-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "failure.h"

#define RETRIES 3
#define OUTPUT_MAX 2048

static gboolean
is_temporary(int status)
{
	return status == 75 || status == 78 || status == 69 || status == 71 || status == 73 ||
	       status == 74;
}

/* One run: its exit status (or -1 with `error` when it could not be run). */
static int
run_once(const char *const *argv, DeliverWrite write_message, gpointer data, GString *output,
         GError **error)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0) {
		failure_set_errno(error, errno, "pipe");
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		failure_set_errno(error, errno, "pipe");
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* dup2 clears FD_CLOEXEC on the copies */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		failure_set_errno(error, errno, "fork");
		close(in[1]);
		close(out[0]);
		return -1;
	}
	g_autoptr(GError) write_error = NULL;
	(void)write_message(in[1], data, &write_error);   /* a program that stops reading says why */
	close(in[1]);
	char buf[512];
	ssize_t n;
	while ((n = read(out[0], buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (output->len < OUTPUT_MAX)
			g_string_append_len(output, buf, MIN(n, (ssize_t)(OUTPUT_MAX - output->len)));
	}
	close(out[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			failure_set_errno(error, errno, "waitpid");
			return -1;
		}
	if (write_error != NULL && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* it said yes without reading all of it: not to be trusted */
		g_propagate_error(error, g_steal_pointer(&write_error));
		return -1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

gboolean
deliver_program_run(const MethodRun *run, const char *user, const char *folder,
                    DeliverWrite write_message, gpointer data, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, run->deliver);
	g_ptr_array_add(argv, "-C");
	g_ptr_array_add(argv, run->cyrus_conf);
	g_ptr_array_add(argv, "-a");
	g_ptr_array_add(argv, (gpointer)user);
	if (folder != NULL) {
		g_ptr_array_add(argv, "-m");
		g_ptr_array_add(argv, (gpointer)folder);
	}
	if (run->ignore_quota)
		g_ptr_array_add(argv, "-q");
	g_ptr_array_add(argv, "--");
	g_ptr_array_add(argv, (gpointer)user);
	g_ptr_array_add(argv, NULL);

	g_autoptr(GString) output = g_string_new(NULL);
	int status = -1;
	for (guint attempt = 0;; attempt++) {
		g_string_truncate(output, 0);
		status = run_once((const char *const *)argv->pdata, write_message, data, output, error);
		if (status < 0)
			return FALSE;
		if (status == 0)
			return TRUE;
		if (!is_temporary(status) || attempt == RETRIES)
			break;
		g_usleep((gulong)run->retry_ms * 1000 << attempt);
	}
	g_strstrip(output->str);
	g_strdelimit(output->str, "\r\n", ' ');
	int code = !is_temporary(status) ? M2C_FAILURE_USER_PERMANENT
	         : status == 75 ? M2C_FAILURE_USER_TEMPORARY : M2C_FAILURE_RUN_TEMPORARY;
	g_set_error(error, M2C_FAILURE_ERROR, code, "%s exited %d (%s%s): %s", run->deliver, status,
	            code == M2C_FAILURE_USER_PERMANENT ? "permanent" : "temporary",
	            code == M2C_FAILURE_USER_PERMANENT ? "" : ", after 3 retries",
	            *output->str ? output->str : "it said nothing");
	return FALSE;
}
