/* cyrus-conf.h -- read a Cyrus imapd.conf: "option: value" lines, '#' comments.
 * Only reading: what the tool needs to know about the server it feeds. */
#ifndef M2C_CYRUS_CONF_H
#define M2C_CYRUS_CONF_H

#include <glib.h>

typedef struct CyrusConf CyrusConf;

/* Read `path`.  NULL with a G_FILE_ERROR when it cannot be read. */
CyrusConf *cyrus_conf_load(const char *path, GError **error);
void cyrus_conf_free(CyrusConf *conf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CyrusConf, cyrus_conf_free)

/* The value of `option` (owned by `conf`), or NULL when it is not set. */
const char *cyrus_conf_get(const CyrusConf *conf, const char *option);

/* A yes/no option: "yes", "on", "true", "1" are TRUE; unset gives `default_value`. */
gboolean cyrus_conf_get_bool(const CyrusConf *conf, const char *option, gboolean default_value);

#endif
