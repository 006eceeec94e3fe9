/* cmd-mapnames.c -- mbox2cyrus mapnames: find users' mail files, map each to a Cyrus
 * mailbox name, and write the manifest an administrator reviews before convert.
 *
 *   mbox2cyrus mapnames [--users FILE] [USER...] [-o mailboxes.tsv] [--scan] ...
 *
 * Exit 0 when every user was mapped (skipped files are explained in the manifest,
 * not failures), 1 when a user could not be looked at, 64 usage, 78 a bad
 * --cyrus-conf or charset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

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

/* The manifest as it is made: each user's rows, formatted as soon as the user is
 * mapped, go to a spool file and are freed; only this stays in memory, 16 bytes a
 * user.  The rows are in manifest order (by user) only once every user is mapped, as
 * users are mapped in the order given (which user a shared file goes to, and the
 * "~2" names, depend on it): finish() then copies each user's rows from the spool in
 * that order. */
typedef struct {
	guint64 offset;   /* of the user's rows in the spool */
	guint32 len;      /* bytes */
	guint32 rows;
} UserChunk;

typedef struct {
	int spool;           /* an unlinked temporary file; -1: none */
	guint64 spool_len;
	GArray *chunks;      /* UserChunk, one per user in the order mapped */
	gboolean servers;    /* rows spooled with the ninth column (some user has one) */
	gboolean any_server; /* some row has a server: the manifest has the column */
	guint n_inbox, n_folder, n_skip;
	/* manifest_validate, user by user: the rows of the first user (in manifest order)
	 * that break a rule, kept to say the error with its line once lines are known.
	 * The one rule across users, a source in two users' rows, map_user keeps
	 * (`sources`: a file already given out becomes a skip row). */
	GPtrArray *bad_rows;
	const char *bad_user;
} Spool;

static void
spool_clear(Spool *spool)
{
	if (spool->spool >= 0)
		close(spool->spool);
	spool->spool = -1;
	g_clear_pointer(&spool->chunks, g_array_unref);
	g_clear_pointer(&spool->bad_rows, g_ptr_array_unref);
}

/* The spool file: in the directory of `output` (NULL: standard output, the temporary
 * directory), unlinked at once.  FALSE with a G_FILE_ERROR. */
static gboolean
spool_open(Spool *spool, const char *output, gboolean servers, GError **error)
{
	g_autofree char *dir = output ? g_path_get_dirname(output) : NULL;
	g_autofree char *tmp = dir ? g_build_filename(dir, ".manifest.XXXXXX", NULL) : NULL;

	spool->chunks = g_array_new(FALSE, FALSE, sizeof(UserChunk));
	spool->servers = servers;
	spool->spool = tmp ? g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600)
	                   : g_file_open_tmp("mbox2cyrus-mapnames.XXXXXX", &tmp, error);
	if (spool->spool < 0) {
		if (dir != NULL)
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "cannot write in %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	g_unlink(tmp);
	return TRUE;
}

/* Spool one user's `rows` (all of them `user`'s) and check them. */
static gboolean
spool_user(Spool *spool, const char *user, GPtrArray *rows, const MailboxNaming *naming,
           GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	UserChunk chunk = { .offset = spool->spool_len, .rows = rows->len };

	manifest_sort(rows);
	for (guint i = 0; i < rows->len; i++) {
		ManifestRow *r = g_ptr_array_index(rows, i);
		/* a note is for reading: a link target or an error may hold a newline */
		if (r->note != NULL) {
			char *printable = printable_note(r->note);
			g_free(r->note);
			r->note = printable;
		}
		spool->n_inbox += r->action == MANIFEST_INBOX;
		spool->n_folder += r->action == MANIFEST_FOLDER;
		spool->n_skip += r->action == MANIFEST_SKIP;
		spool->any_server |= r->server != NULL;
		r->line = i + 1;   /* for now: lines are known in finish() */
		manifest_format_row(text, r, spool->servers);
	}
	if ((spool->bad_user == NULL || strcmp(user, spool->bad_user) < 0) &&
	    !manifest_validate("", rows, naming, NULL)) {
		g_clear_pointer(&spool->bad_rows, g_ptr_array_unref);
		spool->bad_rows = g_ptr_array_ref(rows);
		spool->bad_user = user;
	}
	chunk.len = (guint32)text->len;
	for (gsize done = 0; done < text->len;) {
		ssize_t w = write(spool->spool, text->str + done, text->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "cannot write the manifest's rows to a temporary file: %s",
			            g_strerror(errno));
			return FALSE;
		}
		done += (gsize)w;
	}
	spool->spool_len += text->len;
	g_array_append_val(spool->chunks, chunk);
	return TRUE;
}

static int
compare_users(gconstpointer a, gconstpointer b, gpointer users)
{
	return strcmp(g_ptr_array_index((GPtrArray *)users, *(const guint *)a),
	              g_ptr_array_index((GPtrArray *)users, *(const guint *)b));
}

/* The rows of user `i` from the spool, appended to `out`; without the ninth column
 * when they were spooled with it but no row has a server after all. */
static gboolean
spool_read(const Spool *spool, guint i, GString *out, GError **error)
{
	const UserChunk *chunk = &g_array_index(spool->chunks, UserChunk, i);
	gsize start = out->len;

	g_string_set_size(out, start + chunk->len);
	for (gsize done = 0; done < chunk->len;) {
		ssize_t r = pread(spool->spool, out->str + start + done, chunk->len - done,
		                  (off_t)(chunk->offset + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(r < 0 ? errno : EIO),
			            "cannot read the manifest's rows back from a temporary file: %s",
			            g_strerror(r < 0 ? errno : EIO));
			return FALSE;
		}
		done += (gsize)r;
	}
	if (spool->servers && !spool->any_server) {   /* each line ends in "\t-\n" */
		gsize to = start;
		for (gsize from = start; from < out->len; from++) {
			if (out->str[from] == '\t' && from + 2 < out->len && out->str[from + 1] == '-' &&
			    out->str[from + 2] == '\n')
				from += 1;   /* drop "\t-" */
			else
				out->str[to++] = out->str[from];
		}
		g_string_truncate(out, to);
	}
	return TRUE;
}

/* Write the manifest and say what it holds.  Returns the exit status. */
static int
finish(const MapConfig *config, const MailboxNaming *naming, const DiscoverSettings *ds,
       Spool *spool, GPtrArray *users, Report *report)
{
	g_autoptr(GError) error = NULL;
	guint n_users = users->len;
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
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GArray) order = g_array_sized_new(FALSE, FALSE, sizeof(guint), n_users);
	ManifestWriter *writer = NULL;

	/* manifest order: by user (a user's rows are sorted when spooled) */
	for (guint i = 0; i < n_users; i++)
		g_array_append_val(order, i);
	g_array_sort_with_data(order, compare_users, users);
	guint line = manifest_format_head(text, comments, spool->any_server);

	/* what convert checks: only a user name that is not one (reported above) or a bug */
	if (spool->bad_rows != NULL) {
		guint first = line + 1;
		for (guint k = 0; k < n_users; k++) {
			guint i = g_array_index(order, guint, k);
			if (g_ptr_array_index(users, i) == spool->bad_user)
				break;
			first += g_array_index(spool->chunks, UserChunk, i).rows;
		}
		for (guint i = 0; i < spool->bad_rows->len; i++)
			((ManifestRow *)g_ptr_array_index(spool->bad_rows, i))->line = first + i;
		if (!manifest_validate(config->output ? config->output : "(standard output)",
		                       spool->bad_rows, naming, &error)) {
			report_msg(report, REPORT_FAILED, "the manifest breaks a rule convert checks: %s",
			           error->message);
			g_clear_error(&error);
		}
	}
	if (config->output != NULL && (writer = manifest_writer_new(config->output, &error)) == NULL) {
		report_msg(report, REPORT_FAILED, "%s", error->message);
		return EX_CANTCREAT;
	}
	for (guint k = 0; k <= n_users; k++) {
		/* out in pieces of about 64 KiB */
		if (k == n_users || text->len >= 65536) {
			if (writer != NULL && !manifest_writer_append(writer, text->str, text->len, &error)) {
				report_msg(report, REPORT_FAILED, "%s", error->message);
				return EX_CANTCREAT;
			}
			if (writer == NULL)
				fwrite(text->str, 1, text->len, stdout);
			g_string_truncate(text, 0);
		}
		if (k < n_users && !spool_read(spool, g_array_index(order, guint, k), text, &error)) {
			report_msg(report, REPORT_FAILED, "%s", error->message);
			manifest_writer_abort(writer);
			return EX_CANTCREAT;
		}
	}
	if (writer != NULL && !manifest_writer_commit(writer, &error)) {
		report_msg(report, REPORT_FAILED, "%s", error->message);
		return EX_CANTCREAT;
	}
	g_autofree char *what = g_strdup_printf("%u user%s, %u inbox%s, %u folder%s, %u file%s "
	                                        "skipped (reasons in the manifest)%s%s",
	                                        n_users, n_users == 1 ? "" : "s",
	                                        spool->n_inbox, spool->n_inbox == 1 ? "" : "es",
	                                        spool->n_folder, spool->n_folder == 1 ? "" : "s",
	                                        spool->n_skip, spool->n_skip == 1 ? "" : "s",
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
	g_autoptr(GPtrArray) users = NULL;
	GHashTable *servers = NULL;
	g_autoptr(Report) report = NULL;
	g_autoptr(MailboxNameSet) names = NULL;
	g_autoptr(GHashTable) sources = NULL;
	g_autoptr(GError) error = NULL;
	MailboxNaming naming = { 0 };
	DiscoverSettings ds = { 0 };
	Spool spool = { .spool = -1 };
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
	if (!spool_open(&spool, config.output, g_hash_table_size(servers) > 0, &error)) {
		report_msg(report, REPORT_FAILED, "%s", error->message);
		status = EX_CANTCREAT;
		goto out;
	}
	for (guint i = 0; i < users->len; i++) {
		const char *user = g_ptr_array_index(users, i);
		g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
		map_user(&map, names, sources, user, rows, report);
		const char *server = g_hash_table_lookup(servers, user);
		for (guint k = 0; server != NULL && k < rows->len; k++) {
			ManifestRow *row = g_ptr_array_index(rows, k);
			g_free(row->server);
			row->server = g_strdup(server);
		}
		if (!spool_user(&spool, user, rows, &naming, &error)) {
			report_msg(report, REPORT_FAILED, "%s", error->message);
			status = EX_CANTCREAT;
			goto out;
		}
	}

	status = finish(&config, &naming, &ds, &spool, users, report);
out:
	spool_clear(&spool);
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
