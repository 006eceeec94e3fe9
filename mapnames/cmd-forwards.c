/* cmd-forwards.c -- mbox2cyrus forwards: users' ~/.forward files as sendmail aliases,
 * qmail .qmail files or Sieve scripts.
 *
 *   mbox2cyrus forwards --users FILE [USER...] --format aliases|qmail|sieve -o OUT
 *                       [--report FILE.json] [--install ...]
 *
 * Each ~/.forward is opened as convert opens users' files (user-access.h) and read
 * only when at most FORWARD_MAX_BYTES long: a bigger one is left out whole, never
 * half exported.  Exit 0 when every entry of every .forward was exported, 1 when
 * anything was left out (listed on standard output and in --report), 64 usage, 73 an
 * output that cannot be written, 78 configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli.h"
#include "commands.h"
#include "forward-format.h"
#include "shard.h"
#include "forward-install.h"
#include "forward-parse.h"
#include "shard.h"
#include "map-user.h"
#include "report.h"
#include "user-access.h"

#define PROG "mbox2cyrus forwards"
#define FORWARD_MAX_BYTES (64 * 1024)

typedef struct {
	char *users_file;
	char *shard;
	char *home_template;
	gboolean no_owner_check;
	char *format;
	char *output;
	char *report_json;
	char *cyrus_bin;
	char *local_domain;
	gboolean install;
	int sieve_port;
	char *host;
	char *admin;
	char *password_file;
} ForwardsConfig;

/* What happened to one user. */
typedef struct {
	char *user;
	char *forward;           /* the path looked at, or NULL */
	char *problem;           /* the .forward was not read: why; NULL when read or absent */
	GPtrArray *entries;      /* ForwardEntry; NULL when not read */
} UserResult;

static void
user_result_free(UserResult *r)
{
	g_free(r->user);
	g_free(r->forward);
	g_free(r->problem);
	if (r->entries != NULL)
		g_ptr_array_unref(r->entries);
	g_free(r);
}

/* Read `user`'s .forward into `r`: entries, or a problem, or neither (none there). */
static void
read_forward(const ForwardsConfig *config, UserResult *r)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *home = NULL;
	if (config->home_template != NULL) {
		g_autoptr(GString) expanded = g_string_new(config->home_template);
		g_string_replace(expanded, "%u", r->user, 0);
		home = g_string_free(g_steal_pointer(&expanded), FALSE);
	}
	g_autoptr(UserAccess) access = user_access_new(r->user, home, !config->no_owner_check,
	                                               &error);
	if (access == NULL) {
		r->problem = g_strdup(error->message);
		return;
	}
	r->forward = g_build_filename(user_access_get_home(access), ".forward", NULL);
	int fd = user_access_open(access, r->forward, NULL, FALSE, &error);
	if (fd < 0) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			r->problem = g_strdup_printf(".forward not read: %s", error->message);
		return;
	}
	struct stat st;
	g_autofree char *bytes = g_malloc(FORWARD_MAX_BYTES + 1);
	gsize len = 0;
	if (fstat(fd, &st) == 0 && st.st_size > FORWARD_MAX_BYTES) {
		r->problem = g_strdup_printf("too big: %jd bytes, at most %d read",
		                             (intmax_t)st.st_size, FORWARD_MAX_BYTES);
		close(fd);
		return;
	}
	/* one byte more than the limit: a file grown since fstat is caught too */
	while (len <= FORWARD_MAX_BYTES) {
		ssize_t n = read(fd, bytes + len, FORWARD_MAX_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->problem = g_strdup_printf(".forward not read: %s", g_strerror(errno));
			close(fd);
			return;
		}
		if (n == 0)
			break;
		len += (gsize)n;
	}
	close(fd);
	if (len > FORWARD_MAX_BYTES) {
		r->problem = g_strdup_printf("too big: over %d bytes", FORWARD_MAX_BYTES);
		return;
	}
	r->entries = forward_parse(r->user, bytes, len);
}

/* A user name as one file name: not empty, no '/', not "." or "..". */
static gboolean
is_file_name(const char *user)
{
	return *user != '\0' && strchr(user, '/') == NULL && strcmp(user, ".") != 0 &&
	       strcmp(user, "..") != 0;
}

/* A user name as the key of an aliases line, and after '\\' as the local copy: a
 * user name as useradd(8) takes them (letters, digits, '.', '_', '-', '+', '=', not
 * starting with '-' or '.').  Anything else -- ':', ',', a space, a quote, '|' --
 * would let the name end the key early and start a delivery of its own
 * ("x: \"|cmd\"" makes postalias run cmd). */
static gboolean
is_alias_name(const char *user)
{
	if (*user == '\0' || *user == '-' || *user == '.')
		return FALSE;
	for (const char *p = user; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("._-+=", *p) == NULL)
			return FALSE;
	return TRUE;
}

static gboolean
write_file(const char *path, const char *text, int mode, GError **error)
{
	return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT |
	                                G_FILE_SET_CONTENTS_DURABLE, mode, error);
}

static void
json_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			g_string_append_printf(out, "\\u%04x", *p);
		else
			g_string_append_c(out, (char)*p);
	}
	g_string_append_c(out, '"');
}

static void
json_entry(GString *out, const char *kind, const char *text, const char *reason)
{
	g_string_append(out, "{\"kind\": ");
	json_string(out, kind);
	g_string_append(out, ", \"text\": ");
	json_string(out, text);
	if (reason != NULL) {
		g_string_append(out, ", \"reason\": ");
		json_string(out, reason);
	}
	g_string_append_c(out, '}');
}

/* Say what became of each user (standard output, and the JSON report); returns the
 * number of entries left out overall. */
static guint
summarise(const ForwardFormatSettings *settings, const char *format, GPtrArray *results,
          GHashTable *extra_problems, GString *json)
{
	guint left_total = 0;
	g_string_append(json, "{\"format\": ");
	json_string(json, format);
	g_string_append(json, ", \"users\": [");
	for (guint i = 0; i < results->len; i++) {
		const UserResult *r = g_ptr_array_index(results, i);
		guint exported = 0, left = 0;
		g_autoptr(GString) reasons = g_string_new(NULL);
		g_autoptr(GString) json_out = g_string_new(NULL), json_left = g_string_new(NULL);
		const char *extra = g_hash_table_lookup(extra_problems, r->user);

		if (r->problem != NULL || extra != NULL) {
			const char *why = r->problem != NULL ? r->problem : extra;
			left++;
			g_string_append_printf(reasons, "; %s", why);
			json_entry(json_left, "forward", r->forward ? r->forward : r->user, why);
		}
		for (guint j = 0; r->entries != NULL && extra == NULL && j < r->entries->len; j++) {
			const ForwardEntry *e = g_ptr_array_index(r->entries, j);
			const char *why = forward_format_refusal(settings, e);
			GString *to = why == NULL ? json_out : json_left;
			if (to->len > 0)
				g_string_append(to, ", ");
			json_entry(to, forward_kind_name(e->kind), e->text, why);
			if (why == NULL) {
				exported++;
			} else {
				left++;
				g_string_append_printf(reasons, "; %s \"%s\": %s", forward_kind_name(e->kind),
				                       e->text, why);
			}
		}
		left_total += left;
		if (r->problem == NULL && r->entries == NULL && extra == NULL)
			printf("%s: no .forward\n", r->user);
		else
			printf("%s: exported %u, left out %u%s\n", r->user, exported, left, reasons->str);
		g_string_append_printf(json, "%s\n  {\"user\": ", i == 0 ? "" : ",");
		json_string(json, r->user);
		g_string_append(json, ", \"forward\": ");
		if (r->forward != NULL)
			json_string(json, r->forward);
		else
			g_string_append(json, "null");
		g_string_append_printf(json, ", \"found\": %s, \"exported\": [%s], \"left_out\": [%s]}",
		                       r->entries != NULL || r->problem != NULL ? "true" : "false",
		                       json_out->str, json_left->str);
	}
	g_string_append(json, "\n]}\n");
	return left_total;
}

/* Write the outputs; a user whose file could not be written or installed gets an
 * entry in `extra_problems`.  Returns FALSE (reported) when OUT itself failed. */
static gboolean
write_outputs(const ForwardsConfig *config, const ForwardFormatSettings *settings,
              GPtrArray *results, GHashTable *extra_problems, const ForwardInstall *how,
              Report *report)
{
	g_autoptr(GError) error = NULL;
	if (settings->format == FORWARD_FORMAT_ALIASES) {
		g_autoptr(GString) text = g_string_new(forward_format_aliases_header());
		for (guint i = 0; i < results->len; i++) {
			const UserResult *r = g_ptr_array_index(results, i);
			g_autofree char *line = r->entries ? forward_format_aliases_line(settings, r->user,
			                                                                 r->entries) : NULL;
			if (line != NULL && !is_alias_name(r->user))
				g_hash_table_insert(extra_problems, g_strdup(r->user),
				                    g_strdup("a user name that cannot be an alias name"));
			else if (line != NULL)
				g_string_append(text, line);
		}
		if (!write_file(config->output, text->str, 0644, &error)) {
			report_gerror(report, REPORT_FAILED, config->output, 0, -1, error);
			return FALSE;
		}
		return TRUE;
	}
	if (g_mkdir_with_parents(config->output, 0755) != 0) {
		report_at(report, REPORT_FAILED, config->output, 0, -1, "%s", g_strerror(errno));
		return FALSE;
	}
	if (settings->format == FORWARD_FORMAT_QMAIL) {
		g_autofree char *deliver = g_build_filename(config->cyrus_bin ? config->cyrus_bin
		                                            : "/usr/lib/cyrus/bin", "deliver", NULL);
		g_autofree char *wrapper = forward_format_deliver_wrapper(deliver);
		if (!write_file(settings->deliver_wrapper, wrapper, 0755, &error)) {
			report_gerror(report, REPORT_FAILED, settings->deliver_wrapper, 0, -1, error);
			return FALSE;
		}
	}
	for (guint i = 0; i < results->len; i++) {
		const UserResult *r = g_ptr_array_index(results, i);
		if (r->entries == NULL)
			continue;
		g_autofree char *text = settings->format == FORWARD_FORMAT_QMAIL
		                        ? forward_format_qmail(settings, r->user, r->entries)
		                        : forward_format_sieve(settings, r->user, r->entries);
		if (text == NULL)
			continue;
		if (!is_file_name(r->user)) {
			g_hash_table_insert(extra_problems, g_strdup(r->user),
			                    g_strdup("a user name that cannot be a file name"));
			continue;
		}
		g_autofree char *name = settings->format == FORWARD_FORMAT_QMAIL
		                        ? forward_format_qmail_name(r->user)
		                        : g_strconcat(r->user, ".sieve", NULL);
		g_autofree char *path = g_build_filename(config->output, name, NULL);
		if (!write_file(path, text, 0644, &error)) {
			report_gerror(report, REPORT_FAILED, path, 0, -1, error);
			g_hash_table_insert(extra_problems, g_strdup(r->user), g_strdup(error->message));
			g_clear_error(&error);
			continue;
		}
		if (how != NULL && !forward_install_sieve(how, r->user, "forward", text, &error)) {
			g_autofree char *why = g_strdup_printf("not installed: %s", error->message);
			report_at(report, REPORT_FAILED, r->user, 0, -1, "%s", why);
			g_hash_table_insert(extra_problems, g_strdup(r->user), g_steal_pointer(&why));
			g_clear_error(&error);
		}
	}
	return TRUE;
}

int
cmd_forwards(int argc, char **argv)
{
	ForwardsConfig config = { 0 };
	GOptionEntry entries[] = {
		{ "users", 0, 0, G_OPTION_ARG_FILENAME, &config.users_file, "users, one per line ('#' comments)", "FILE" },
		{ "shard", 0, 0, G_OPTION_ARG_STRING, &config.shard, "only the users of slice K of N (as convert --shard)", "K/N" },
		{ "home-template", 0, 0, G_OPTION_ARG_STRING, &config.home_template, "home directories, %u = user (default: the password database)", "T" },
		{ "no-owner-check", 0, 0, G_OPTION_ARG_NONE, &config.no_owner_check, "take .forward files whoever owns them", NULL },
		{ "format", 0, 0, G_OPTION_ARG_STRING, &config.format, "aliases, qmail or sieve", "FORMAT" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &config.output, "the aliases file, or the directory for qmail and sieve", "OUT" },
		{ "report", 0, 0, G_OPTION_ARG_FILENAME, &config.report_json, "every entry, exported or not, as JSON", "FILE" },
		{ "cyrus-bin", 0, 0, G_OPTION_ARG_FILENAME, &config.cyrus_bin, "Cyrus's programs (deliver, sievec; default /usr/lib/cyrus/bin)", "DIR" },
		{ "local-domain", 0, 0, G_OPTION_ARG_STRING, &config.local_domain, "domain for bare local names (bob -> bob@D)", "D" },
		{ "install", 0, 0, G_OPTION_ARG_NONE, &config.install, "sieve: install each script and make it active", NULL },
		{ "sieve-port", 0, 0, G_OPTION_ARG_INT, &config.sieve_port, "with --install: ManageSieve port (default 4190)", "P" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &config.host, "with --install: ManageSieve server (default 127.0.0.1)", "H" },
		{ "admin", 0, 0, G_OPTION_ARG_STRING, &config.admin, "with --install: Cyrus admin (default cyrus)", "NAME" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &config.password_file, "with --install: the admin's password", "F" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new("[USER...]");
	g_autoptr(GPtrArray) users = NULL;
	g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func((GDestroyNotify)user_result_free);
	g_autoptr(GHashTable) extra = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(Report) report = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *wrapper = NULL, *password = NULL;
	g_autoptr(GString) json = NULL;
	ForwardFormatSettings settings = { 0 };
	ForwardInstall how = { 0 };
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_summary(context,
		"Read each user's ~/.forward and write it as sendmail aliases, qmail .qmail files or\n"
		"Sieve scripts; say what could not be carried over (pipes, files, vacation...).");
	g_option_context_set_description(context, "See mbox2cyrus-forwards(1).");
	if ((status = cli_parse(context, PROG, &argc, &argv)) != 0)
		goto out;
	if (config.format == NULL || !forward_format_from_name(config.format, &settings.format)) {
		status = cli_usage_error(PROG, "--format must be aliases, qmail or sieve");
		goto out;
	}
	if (config.output == NULL) {
		status = cli_usage_error(PROG, "no -o OUT");
		goto out;
	}
	if (config.install && settings.format != FORWARD_FORMAT_SIEVE) {
		status = cli_usage_error(PROG, "--install works with --format sieve only");
		goto out;
	}
	if (config.sieve_port < 0 || config.sieve_port > 65535) {
		status = cli_usage_error(PROG, "--sieve-port must be 1 to 65535");
		goto out;
	}
	Shard shard = { 0 };
	if (config.shard != NULL && !shard_parse(config.shard, &shard)) {
		status = cli_usage_error(PROG, "--shard: \"%s\" is not K/N with 1 <= K <= N", config.shard);
		goto out;
	}
	users = map_read_users(config.users_file, argv + 1, NULL, &error);
	if (users == NULL) {
		status = cli_usage_error(PROG, "--users: %s", error->message);
		goto out;
	}
	for (guint i = users->len; i-- > 0;)
		if (!shard_has(&shard, g_ptr_array_index(users, i)))
			g_ptr_array_remove_index(users, i);
	if (users->len == 0) {
		status = cli_usage_error(PROG, "no users: give --users FILE or USER...");
		goto out;
	}
	if (config.install) {
		if (config.password_file == NULL) {
			status = cli_usage_error(PROG, "--install needs --password-file (the admin's password)");
			goto out;
		}
		if ((password = cli_password_from_file(config.password_file, &error)) == NULL) {
			fprintf(stderr, "%s: --password-file: %s\n", PROG, error->message);
			status = EX_CONFIG;
			goto out;
		}
		how = (ForwardInstall){ .host = config.host, .port = (guint16)config.sieve_port,
		                        .admin = config.admin ? config.admin : "cyrus",
		                        .password = password };
	}
	settings.local_domain = config.local_domain;
	if (settings.format == FORWARD_FORMAT_QMAIL) {
		g_autofree char *out_abs = g_canonicalize_filename(config.output, NULL);
		wrapper = g_build_filename(out_abs, "cyrus-deliver-qmail", NULL);
		settings.deliver_wrapper = wrapper;
	}

	report = report_new(PROG, stderr, FALSE);
	for (guint i = 0; i < users->len; i++) {
		UserResult *r = g_new0(UserResult, 1);
		r->user = g_strdup(g_ptr_array_index(users, i));
		read_forward(&config, r);
		g_ptr_array_add(results, r);
	}
	if (!write_outputs(&config, &settings, results, extra, config.install ? &how : NULL, report)) {
		status = EX_CANTCREAT;
		goto out;
	}
	json = g_string_new(NULL);
	guint left = summarise(&settings, config.format, results, extra, json);
	if (config.report_json != NULL && !write_file(config.report_json, json->str, 0644, &error)) {
		report_gerror(report, REPORT_FAILED, config.report_json, 0, -1, error);
		status = EX_CANTCREAT;
		goto out;
	}
	status = left > 0 ? 1 : 0;
out:
	g_free(config.users_file);
	g_free(config.shard);
	g_free(config.home_template);
	g_free(config.format);
	g_free(config.output);
	g_free(config.report_json);
	g_free(config.cyrus_bin);
	g_free(config.local_domain);
	g_free(config.host);
	g_free(config.admin);
	g_free(config.password_file);
	return status;
}
