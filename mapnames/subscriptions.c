/* subscriptions.c -- which folders a user subscribed to, from the files their mail
 * programs left in the home:
 *   ~/.mailboxlist   UW-IMAP: one folder per line, relative to the home ("Mail/work")
 *                    or absolute, or "~/Mail/work";
 *   ~/.pinerc        Pine: incoming-folders=NICK PATH, NICK PATH ... (continued on
 *                    lines that start with a blank); a "{host}" prefix is dropped.
 * The files are opened as discover.c opens mail files (no links; the user's own; at
 * most 1 MiB).
 */
#include "discover.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTROL_FILE_MAX (1024 * 1024)

static char *
read_control_file(const DiscoverSettings *settings, const char *user, const char *home,
                  const char *name)
{
	g_autofree char *path = g_build_filename(home, name, NULL);
	struct passwd *pw = getpwnam(user);
	struct stat st;
	char *text;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CONTROL_FILE_MAX ||
	    (settings->check_owner && (pw == NULL || st.st_uid != pw->pw_uid))) {
		close(fd);
		return NULL;
	}
	text = g_malloc((gsize)st.st_size + 1);
	ssize_t got = pread(fd, text, (size_t)st.st_size, 0);
	close(fd);
	if (got < 0) {
		g_free(text);
		return NULL;
	}
	text[got] = '\0';
	return text;
}

/* "Mail/work", "/home/alice/Mail/work", "~/Mail/work", "{imap}Mail/work" -> relative */
static void
add_path(GHashTable *set, const char *home, const char *entry)
{
	g_autofree char *path = g_strstrip(g_strdup(entry));
	const char *p = path;

	if (*p == '{' && strchr(p, '}') != NULL)
		p = strchr(p, '}') + 1;
	if (g_str_has_prefix(p, "~/"))
		p += 2;
	else if (g_str_has_prefix(p, home) && p[strlen(home)] == '/')
		p += strlen(home) + 1;
	if (*p == '\0' || *p == '/')
		return;
	g_autofree char *clean = g_strdup(p);
	gsize n = strlen(clean);
	while (n > 0 && clean[n - 1] == '/')
		clean[--n] = '\0';
	g_hash_table_add(set, g_steal_pointer(&clean));
}

static void
add_pine_incoming(GHashTable *set, const char *home, const char *pinerc)
{
	g_auto(GStrv) lines = g_strsplit(pinerc, "\n", -1);
	g_autoptr(GString) value = NULL;

	for (char **l = lines; *l != NULL; l++) {
		if (value == NULL && g_str_has_prefix(*l, "incoming-folders=")) {
			value = g_string_new(*l + strlen("incoming-folders="));
		} else if (value != NULL && (**l == ' ' || **l == '\t')) {
			g_string_append(value, *l);
		} else if (value != NULL) {
			break;
		}
	}
	if (value == NULL)
		return;
	g_auto(GStrv) entries = g_strsplit(value->str, ",", -1);
	for (char **e = entries; *e != NULL; e++) {
		/* NICKNAME PATH, or just PATH; a quoted nickname may hold blanks */
		char *last = strrchr(g_strstrip(*e), ' ');
		add_path(set, home, last != NULL ? last + 1 : *e);
	}
}

GHashTable *
discover_subscriptions(const DiscoverSettings *settings, const char *user, const char *home)
{
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *list = read_control_file(settings, user, home, ".mailboxlist");
	g_autofree char *pinerc = read_control_file(settings, user, home, ".pinerc");

	if (list != NULL) {
		g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
		for (char **l = lines; *l != NULL; l++)
			if (**l != '\0')
				add_path(set, home, *l);
	}
	if (pinerc != NULL)
		add_pine_incoming(set, home, pinerc);
	return set;
}
