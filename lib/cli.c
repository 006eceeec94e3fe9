/* cli.c -- see cli.h. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gio.h>

int
cli_usage_error(const char *prog, const char *format, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, format);
	text = g_strdup_vprintf(format, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nusage: %s --help\n", prog, text, prog);
	return EX_USAGE;
}

int
cli_parse(GOptionContext *context, const char *prog, int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;

	if (!g_option_context_parse(context, argc, argv, &error))
		return cli_usage_error(prog, "%s", error->message);
	return 0;
}

int
cli_not_built(const char *name, const char *summary, int argc, char **argv)
{
	g_autofree char *prog = g_strdup_printf("mbox2cyrus %s", name);
	g_autoptr(GOptionContext) context = g_option_context_new("- not built yet");
	int status;

	g_option_context_set_summary(context, summary);
	g_option_context_set_description(context,
		"This subcommand is part of the pipeline but is not built yet; see NEWS.");
	status = cli_parse(context, prog, &argc, &argv);
	if (status != 0)
		return status;
	fprintf(stderr, "%s: not built yet\n", prog);
	return EX_UNAVAILABLE;
}

char *
cli_password_from_file(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, error))
		return NULL;
	gsize len = strcspn(text, "\n");
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the first line is empty", path);
		return NULL;
	}
	return g_strndup(text, len);
}

char *
cli_ask_password(const char *prompt, GError **error)
{
	struct termios saved, quiet;
	g_autoptr(GString) line = g_string_new(NULL);
	gboolean cancelled = FALSE, failed = FALSE;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no terminal to ask for the "
		            "password on (/dev/tty: %s)", g_strerror(errno));
		return NULL;
	}
	if (tcgetattr(fd, &saved) != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "/dev/tty: %s", g_strerror(errno));
		close(fd);
		return NULL;
	}
	/* byte by byte, no echo, and ISIG off: ^C arrives here as a byte instead of
	 * killing us with the terminal's echo off; erase and kill are done below */
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG | IEXTEN);
	quiet.c_cc[VMIN] = 1;
	quiet.c_cc[VTIME] = 0;
	/* quiet first: what is typed once the prompt shows is never echoed */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0 || write(fd, prompt, strlen(prompt)) < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "/dev/tty: %s", g_strerror(errno));
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
		close(fd);
		return NULL;
	}
	for (;;) {
		unsigned char c;
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			failed = TRUE;
			break;
		}
		if (n == 0 || c == 0x03 || (c == 0x04 && line->len == 0)) {   /* EOF, ^C, ^D */
			cancelled = TRUE;
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (c == 0x7f || c == 0x08) {       /* erase one character (UTF-8: its bytes) */
			while (line->len > 0 && (line->str[line->len - 1] & 0xc0) == 0x80)
				g_string_truncate(line, line->len - 1);
			if (line->len > 0)
				g_string_truncate(line, line->len - 1);
		} else if (c == 0x15) {             /* ^U: the whole line */
			explicit_bzero(line->str, line->len);
			g_string_truncate(line, 0);
		} else if (c != 0x04) {             /* ^D after something: nothing */
			g_string_append_c(line, (char)c);
		}
	}
	(void)tcsetattr(fd, TCSAFLUSH, &saved);
	(void)!write(fd, "\n", 1);
	close(fd);
	if (failed || cancelled) {
		explicit_bzero(line->str, line->len);
		g_set_error(error, G_IO_ERROR, failed ? G_IO_ERROR_FAILED : G_IO_ERROR_CANCELLED,
		            failed ? "reading the password from the terminal failed" : "no password given");
		return NULL;
	}
	return g_string_free(g_steal_pointer(&line), FALSE);
}
