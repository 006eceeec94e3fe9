/* cyrus-conf.c -- see cyrus-conf.h. */
#include "cyrus-conf.h"

#include <string.h>

struct CyrusConf {
	GHashTable *options;
};

CyrusConf *
cyrus_conf_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	CyrusConf *conf;

	if (!g_file_get_contents(path, &text, NULL, error))
		return NULL;
	conf = g_new0(CyrusConf, 1);
	conf->options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char *line = g_strstrip(*l);
		char *colon = strchr(line, ':');
		if (*line == '#' || colon == NULL)
			continue;
		*colon = '\0';
		g_hash_table_replace(conf->options, g_ascii_strdown(g_strstrip(line), -1),
		                     g_strdup(g_strstrip(colon + 1)));
	}
	return conf;
}

void
cyrus_conf_free(CyrusConf *conf)
{
	if (conf == NULL)
		return;
	g_hash_table_unref(conf->options);
	g_free(conf);
}

const char *
cyrus_conf_get(const CyrusConf *conf, const char *option)
{
	return g_hash_table_lookup(conf->options, option);
}

gboolean
cyrus_conf_get_bool(const CyrusConf *conf, const char *option, gboolean default_value)
{
	const char *v = cyrus_conf_get(conf, option);
	if (v == NULL)
		return default_value;
	return g_ascii_strcasecmp(v, "yes") == 0 || g_ascii_strcasecmp(v, "on") == 0 ||
	       g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
}
