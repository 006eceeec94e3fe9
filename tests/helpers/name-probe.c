/* name-probe -- lib/mutf7.c for the tests, one line in, one line out, in hex:
 *   E <hex of UTF-8>        ->  OK <modified UTF-7>   or  ERR
 *   D <hex of modified UTF-7> -> OK <hex of UTF-8>    or  ERR
 */
#include <stdio.h>
#include <string.h>

#include "mutf7.h"

static char *
unhex(const char *hex)
{
	gsize n = strlen(hex) / 2;
	char *out = g_malloc(n + 1);
	for (gsize i = 0; i < n; i++)
		out[i] = (char)(g_ascii_xdigit_value(hex[2 * i]) * 16 + g_ascii_xdigit_value(hex[2 * i + 1]));
	out[n] = '\0';
	return out;
}

int
main(void)
{
	char line[65536];

	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';   /* only the newline: "E " is an empty query */
		if (strlen(line) < 2 || line[1] != ' ') {
			puts("ERR");
			continue;
		}
		g_autofree char *arg = unhex(line + 2);
		g_autofree char *out = line[0] == 'E' ? mutf7_encode(arg, NULL) : mutf7_decode(arg, NULL);
		if (out == NULL || strlen(arg) * 2 != strlen(line + 2)) {
			puts("ERR");   /* a NUL inside the input counts as a failure too */
			continue;
		}
		if (line[0] == 'E') {
			printf("OK %s\n", out);
		} else {
			printf("OK ");
			for (const char *p = out; *p; p++)
				printf("%02x", (unsigned char)*p);
			printf("\n");
		}
		fflush(stdout);
	}
	return 0;
}
