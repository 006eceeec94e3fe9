/* cmd-mapnames.c -- mbox2cyrus mapnames: find users' mail files, map each to a Cyrus
 * mailbox name, and write the manifest an administrator reviews before convert.
 *
 *   mbox2cyrus mapnames [--users FILE] [USER...] [-o mailboxes.tsv] [--scan] ...
 *
 * Exit 0 when every user was mapped (skipped files are explained in the manifest,
 * not failures), 1 when a user could not be looked at, 64 usage, 78 a bad
 * --cyrus-conf or charset.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <gio/gio.h>

#include "cli.h"
#include "commands.h"
#include "cyrus-conf.h"
#include "discover.h"
#include "mailbox-name.h"
#include "manifest.h"
#include "map-user.h"
#include "mbox-reader.h"
#include "report.h"

typedef struct {
	char *users_file;
	char *home_template;
	char *spool_dir;
	char *folder_dirs;
	char *cyrus_conf;
	char *separator;
	gboolean virtdomains;
	char *fs_charset;
	char *fs_charset_fallback;
	gboolean special_use;
	gboolean follow_links;
	gboolean no_owner_check;
	gboolean include_empty;
	int max_depth;
	gboolean scan;
	char *source_tz;
	MboxReaderSettings reader;   /* for --scan: made once from --source-tz */
	char *output;
	gboolean verbose;
} MapConfig;

static int
configure(MapConfig *config, MailboxNaming *naming, DiscoverSettings *ds)
{
	const char *prog = "mbox2cyrus mapnames";
	g_autoptr(GError) error = NULL;

	naming->separator = '.';
	if (config->cyrus_conf != NULL) {
		g_autoptr(CyrusConf) conf = cyrus_conf_load(config->cyrus_conf, &error);
		if (conf == NULL) {
			fprintf(stderr, "%s: --cyrus-conf: %s\n", prog, error->message);
			return EX_CONFIG;
		}
		mailbox_naming_from_conf(naming, conf);
	}
	if (config->separator != NULL) {
		if (strcmp(config->separator, ".") != 0 && strcmp(config->separator, "/") != 0)
			return cli_usage_error(prog, "--separator must be . or /");
		naming->separator = config->separator[0];
	}
	naming->virtdomains |= config->virtdomains;
	naming->fs_charset = config->fs_charset;
	naming->fs_charset_fallback = config->fs_charset_fallback;
	if (!mailbox_naming_check(naming, &error)) {
		fprintf(stderr, "%s: %s\n", prog, error->message);
		return EX_CONFIG;
	}
	ds->folder_dirs = g_strsplit(config->folder_dirs ? config->folder_dirs : "Mail,mail", ",", -1);
	/* the manifest names absolute paths */
	if (config->spool_dir != NULL) {
		char *abs = g_canonicalize_filename(config->spool_dir, NULL);
		g_free(config->spool_dir);
		config->spool_dir = abs;
	}
	if (config->home_template != NULL) {
		char *abs = g_canonicalize_filename(config->home_template, NULL);
		g_free(config->home_template);
		config->home_template = abs;
	}
	ds->spool_dir = config->spool_dir ? config->spool_dir : "/var/mail";
	ds->home_template = config->home_template;
	ds->check_owner = !config->no_owner_check;
	ds->follow_links_inside_home = config->follow_links;
	ds->include_empty = config->include_empty;
	ds->max_depth = config->max_depth > 0 ? (guint)config->max_depth : 20;
	mbox_reader_settings_init(&config->reader);
	if (config->source_tz != NULL &&
	    (config->reader.source_tz = g_time_zone_new_identifier(config->source_tz)) == NULL)
		return cli_usage_error(prog, "--source-tz: unknown zone '%s'", config->source_tz);
	return 0;
}

/* `note` with each control character as its Control Picture (U+2400 + byte, U+2421
 * for DEL), as folder names get them: manifest_validate refuses control characters
 * in a note.  New. */
static char *
printable_note(const char *note)
{
	GString *out = g_string_new(NULL);
	for (const char *p = note; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			g_string_append_unichar(out, c == 0x7f ? 0x2421 : 0x2400 + c);
		else
			g_string_append_c(out, (char)c);
	}
	return g_string_free(out, FALSE);
}

/* Write the manifest and say what it holds.  Returns the exit status. */
static int
finish(const MapConfig *config, const MailboxNaming *naming, const DiscoverSettings *ds,
       GPtrArray *rows, guint n_users, Report *report)
{
	g_autoptr(GError) error = NULL;
	guint n_inbox = 0, n_folder = 0, n_skip = 0;
	ManifestSettings recorded = {
		.separator = naming->separator,
		.check_owner = ds->check_owner,
		.follow_links_inside_home = ds->follow_links_inside_home,
		.inbox_dir = (char *)ds->spool_dir,
		.home_template = (char *)ds->home_template,
	};
	g_autofree char *max_depth = g_strdup_printf("%u", ds->max_depth);
	const char *const more[] = {
		"virtdomains", naming->virtdomains ? "yes" : "no",
		"fs-charset", naming->fs_charset ? naming->fs_charset : "UTF-8",
		"fs-charset-fallback", naming->fs_charset_fallback ? naming->fs_charset_fallback : "none",
		"folder-dirs", config->folder_dirs ? config->folder_dirs : "Mail,mail",
		"special-use", config->special_use ? "yes" : "no",
		"include-empty", ds->include_empty ? "yes" : "no",
		"max-depth", max_depth,
		"scan", config->scan ? "yes" : "no",
		NULL
	};
	g_autofree char *settings_line = manifest_settings_format(&recorded, more);
	const char *comments[] = { "mbox2cyrus " M2C_VERSION " mapnames: the manifest "
	                           "(user, Cyrus mailbox, Berkeley file); review it before convert",
	                           settings_line, NULL };

	/* a note is for reading: a link target or an error may hold a newline */
	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *r = g_ptr_array_index(rows, i);
		if (r->note != NULL) {
			char *printable = printable_note(r->note);
			g_free(r->note);
			r->note = printable;
		}
	}
	/* what convert checks: only a user name that is not one (reported above) or a bug */
	g_autofree char *text = manifest_format(comments, rows);   /* numbers the rows */
	if (!manifest_validate(config->output ? config->output : "(standard output)", rows, naming,
	                       &error)) {
		report_msg(report, REPORT_FAILED, "the manifest breaks a rule convert checks: %s",
		           error->message);
		g_clear_error(&error);
	}
	if (config->output != NULL) {
		if (!manifest_write(config->output, comments, rows, &error)) {
			report_msg(report, REPORT_FAILED, "%s", error->message);
			return EX_CANTCREAT;
		}
	} else {
		fputs(text, stdout);
	}
	for (guint i = 0; i < rows->len; i++) {
		const ManifestRow *r = g_ptr_array_index(rows, i);
		n_inbox += r->action == MANIFEST_INBOX;
		n_folder += r->action == MANIFEST_FOLDER;
		n_skip += r->action == MANIFEST_SKIP;
	}
	g_autofree char *what = g_strdup_printf("%u user%s, %u inbox%s, %u folder%s, %u file%s "
	                                        "skipped (reasons in the manifest)%s%s",
	                                        n_users, n_users == 1 ? "" : "s",
	                                        n_inbox, n_inbox == 1 ? "" : "es",
	                                        n_folder, n_folder == 1 ? "" : "s",
	                                        n_skip, n_skip == 1 ? "" : "s",
	                                        config->output ? ", written to " : "",
	                                        config->output ? config->output : "");
	return report_summary(report, what);
}

int
cmd_mapnames(int argc, char **argv)
{
	MapConfig config = { 0 };
	GOptionEntry entries[] = {
		{ "users", 0, 0, G_OPTION_ARG_FILENAME, &config.users_file, "users, one per line ('#' comments)", "FILE" },
		{ "home-template", 0, 0, G_OPTION_ARG_STRING, &config.home_template, "home directories, %u = user (default: the password database)", "T" },
		{ "spool-dir", 0, 0, G_OPTION_ARG_FILENAME, &config.spool_dir, "inboxes are DIR/USER (default /var/mail)", "DIR" },
		{ "folder-dirs", 0, 0, G_OPTION_ARG_STRING, &config.folder_dirs, "folder directories in the home (default Mail,mail)", "LIST" },
		{ "cyrus-conf", 0, 0, G_OPTION_ARG_FILENAME, &config.cyrus_conf, "the server's imapd.conf (separator, virtdomains)", "FILE" },
		{ "separator", 0, 0, G_OPTION_ARG_STRING, &config.separator, "hierarchy separator: . or / (overrides --cyrus-conf)", "SEP" },
		{ "virtdomains", 0, 0, G_OPTION_ARG_NONE, &config.virtdomains, "users are user@domain", NULL },
		{ "fs-charset", 0, 0, G_OPTION_ARG_STRING, &config.fs_charset, "charset of file names (default UTF-8)", "CS" },
		{ "fs-charset-fallback", 0, 0, G_OPTION_ARG_STRING, &config.fs_charset_fallback, "for names not valid in it, e.g. EUC-JP, ISO-8859-1", "CS" },
		{ "special-use", 0, 0, G_OPTION_ARG_NONE, &config.special_use, "sent-mail -> Sent, postponed-msgs -> Drafts, ...", NULL },
		{ "follow-links-inside-home", 0, 0, G_OPTION_ARG_NONE, &config.follow_links, "follow symbolic links that stay inside the home", NULL },
		{ "no-owner-check", 0, 0, G_OPTION_ARG_NONE, &config.no_owner_check, "take files whoever owns them (copied trees, unknown users)", NULL },
		{ "include-empty", 0, 0, G_OPTION_ARG_NONE, &config.include_empty, "empty files become empty mailboxes", NULL },
		{ "max-depth", 0, 0, G_OPTION_ARG_INT, &config.max_depth, "directory levels below a folder directory (default 20)", "N" },
		{ "scan", 0, 0, G_OPTION_ARG_NONE, &config.scan, "count messages and bytes (reads every file)", NULL },
		{ "source-tz", 0, 0, G_OPTION_ARG_STRING, &config.source_tz, "with --scan: the old host's zone", "TZ" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &config.output, "write the manifest here (default: standard output)", "FILE" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &config.verbose, "say every file skipped", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("[USER...]");
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autoptr(GPtrArray) users = NULL;
	GHashTable *servers = NULL;
	g_autoptr(Report) report = NULL;
	g_autoptr(MailboxNameSet) names = NULL;
	g_autoptr(GHashTable) sources = NULL;
	g_autoptr(GError) error = NULL;
	MailboxNaming naming = { 0 };
	DiscoverSettings ds = { 0 };
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_summary(context,
		"Find each user's inbox and folder files, map them to Cyrus mailbox names, and write\n"
		"the manifest (mailboxes.tsv) that convert, verify and backout read.");
	g_option_context_set_description(context, "See mbox2cyrus-mapnames(1) for the naming rules.");
	if ((status = cli_parse(context, "mbox2cyrus mapnames", &argc, &argv)) != 0 ||
	    (status = configure(&config, &naming, &ds)) != 0)
		goto out;
	servers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	users = map_read_users(config.users_file, argv + 1, servers, &error);
	if (users == NULL) {
		status = cli_usage_error("mbox2cyrus mapnames", "--users: %s", error->message);
		goto out;
	}
	if (users->len == 0) {
		status = cli_usage_error("mbox2cyrus mapnames", "no users: give --users FILE or USER...");
		goto out;
	}

	report = report_new("mbox2cyrus mapnames", stderr, config.verbose);
	names = mailbox_name_set_new(&naming);
	sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	MapUserSettings map = {
		.discover = &ds, .naming = &naming, .special_use = config.special_use,
		.scan = config.scan ? &config.reader : NULL,
	};
	for (guint i = 0; i < users->len; i++) {
		const char *user = g_ptr_array_index(users, i);
		guint first = rows->len;
		map_user(&map, names, sources, user, rows, report);
		const char *server = g_hash_table_lookup(servers, user);
		for (guint k = first; server != NULL && k < rows->len; k++) {
			ManifestRow *row = g_ptr_array_index(rows, k);
			g_free(row->server);
			row->server = g_strdup(server);
		}
	}

	status = finish(&config, &naming, &ds, rows, users->len, report);
out:
	if (servers != NULL)
		g_hash_table_unref(servers);
	g_strfreev(ds.folder_dirs);
	g_free(config.users_file);
	g_free(config.home_template);
	g_free(config.spool_dir);
	g_free(config.folder_dirs);
	g_free(config.cyrus_conf);
	g_free(config.separator);
	g_free(config.fs_charset);
	g_free(config.fs_charset_fallback);
	g_free(config.source_tz);
	if (config.reader.source_tz != NULL)
		g_time_zone_unref(config.reader.source_tz);
	g_free(config.output);
	return status;
}
