/* fault.c -- see fault.h.  The one piece of process-wide state in the tool: a test
 * switch, read once. */
#include "fault.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

static char fault_name[64];
static gint fault_left = -1;   /* -1: no fault asked for */

static void
read_fault(void)
{
	const char *spec = g_getenv("M2C_FAULT");
	const char *colon = spec != NULL ? strchr(spec, ':') : NULL;
	if (colon == NULL || (gsize)(colon - spec) >= sizeof fault_name)
		return;
	memcpy(fault_name, spec, (gsize)(colon - spec));
	fault_name[colon - spec] = '\0';
	g_atomic_int_set(&fault_left, atoi(colon + 1));
}

void
fault_point(const char *name)
{
	static gsize once = 0;
	if (g_once_init_enter(&once)) {
		read_fault();
		g_once_init_leave(&once, 1);
	}
	if (g_atomic_int_get(&fault_left) < 0 || strcmp(name, fault_name) != 0)
		return;
	if (g_atomic_int_dec_and_test(&fault_left))
		kill(0, SIGKILL);
}

void
fault_pause(const char *name)
{
	static gint paused = 0;
	const char *want = g_getenv("M2C_PAUSE");
	char c;
	if (want == NULL || strcmp(want, name) != 0 || !g_atomic_int_compare_and_exchange(&paused, 0, 1))
		return;
	fprintf(stderr, "m2c: paused at %s\n", name);
	fflush(stderr);
	while (read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR)
		;
}
