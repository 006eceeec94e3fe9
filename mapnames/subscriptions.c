/* subscriptions.c -- which folders a user subscribed to, from the files their mail
 * programs left in the home:
 *   ~/.mailboxlist   UW-IMAP: one folder per line, relative to the home ("Mail/work")
 *                    or absolute, or "~/Mail/work";
 *   ~/.pinerc        Pine: incoming-folders=NICK PATH, NICK PATH ... (continued on
 *                    lines that start with a blank); a "{host}" prefix is dropped.
 * The files are opened as mail files are (user-access.h: no links, the user's own when
 * owners are checked, readable by the user; at most 1 MiB).
 */
#include "discover.h"
#include "user-access.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTROL_FILE_MAX (1024 * 1024)

/* The text of HOME/name, or NULL when it is missing or may not be read. */
static char *
read_control_file(const UserAccess *access, const char *name)
{
	g_autofree char *path = g_build_filename(user_access_get_home(access), name, NULL);
	int fd = user_access_open(access, path, NULL, FALSE, NULL);
	struct stat st;
	char *text;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || st.st_size > CONTROL_FILE_MAX) {
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
	g_autoptr(UserAccess) access = user_access_new(user, home, settings->check_owner, NULL);
	g_autofree char *list = NULL, *pinerc = NULL;

	if (access == NULL || !g_path_is_absolute(home))
		return set;
	list = read_control_file(access, ".mailboxlist");
	pinerc = read_control_file(access, ".pinerc");

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
