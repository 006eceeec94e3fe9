/* test-manifest.c -- lib/manifest.c: what manifest_write writes, manifest_read reads
 * back, for hostile names (tabs, newlines, backslashes, 8-bit and control bytes);
 * sorted, deterministic output; errors that name the file and line; the settings
 * line; and manifest_validate: a table of manifests it must refuse (each naming
 * FILE:LINE and the rule), and of manifests it must take. */
#include <string.h>

#include <glib/gstdio.h>

#include "manifest.h"

static char *
temp_path(void)
{
	g_autofree char *dir = g_dir_make_tmp("m2c-manifest-XXXXXX", NULL);
	return g_build_filename(dir, "mailboxes.tsv", NULL);
}

static void
remove_temp(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_unlink(path);
	g_rmdir(dir);
}

static void
test_round_trip(void)
{
	static const char hostile[] = "/home/al ice/Mail/tab\there\nnew\\line\x01\x7f\xff\xfe\xc3\xa9";
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autofree char *path = temp_path();
	g_autoptr(GError) error = NULL;
	ManifestRow *r;

	r = manifest_row_new("alice", "user.alice.tab&-", hostile, sizeof hostile - 1,
	                     MANIFEST_FOLDER, "note\twith\ttabs");
	r->messages = 12;
	r->bytes = 3456;
	r->subscribed = 1;
	g_ptr_array_add(rows, r);
	g_ptr_array_add(rows, manifest_row_new("alice", "user.alice", "/var/mail/alice", 15,
	                                       MANIFEST_INBOX, NULL));
	g_ptr_array_add(rows, manifest_row_new("alice", NULL, "/home/alice/Mail/.hidden", 24,
	                                       MANIFEST_SKIP, "a hidden file"));
	g_ptr_array_add(rows, manifest_row_new("aaron", "user.aaron", NULL, 0, MANIFEST_INBOX,
	                                       "-"));   /* a note "-", not none */
	const char *comments[] = { "test manifest", "second\nline", NULL };
	g_assert_true(manifest_write(path, comments, rows, &error));
	g_assert_no_error(error);

	g_autoptr(GPtrArray) back = manifest_read(path, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(back->len, ==, 4);
	/* sorted: aaron; then alice's inbox, folder, skip */
	ManifestRow *b0 = g_ptr_array_index(back, 0), *b1 = g_ptr_array_index(back, 1);
	ManifestRow *b2 = g_ptr_array_index(back, 2), *b3 = g_ptr_array_index(back, 3);
	g_assert_cmpstr(b0->user, ==, "aaron");
	g_assert_null(b0->source);
	g_assert_cmpstr(b0->note, ==, "-");
	g_assert_cmpint(b1->action, ==, MANIFEST_INBOX);
	g_assert_cmpint(b2->action, ==, MANIFEST_FOLDER);
	g_assert_cmpint(b3->action, ==, MANIFEST_SKIP);
	gsize len;
	const char *src = g_bytes_get_data(b2->source, &len);
	g_assert_cmpmem(src, len, hostile, sizeof hostile - 1);
	g_assert_cmpstr(b2->note, ==, "note\twith\ttabs");
	g_assert_cmpint(b2->messages, ==, 12);
	g_assert_cmpint(b2->bytes, ==, 3456);
	g_assert_cmpint(b2->subscribed, ==, 1);
	g_assert_null(b3->mailbox);
	g_assert_cmpint(b3->subscribed, ==, -1);

	/* the same rows give the same bytes; no TAB or newline escapes the fields */
	g_autofree char *text1 = NULL, *text2 = NULL;
	g_assert_true(g_file_get_contents(path, &text1, NULL, NULL));
	g_assert_true(manifest_write(path, comments, back, &error));
	g_assert_true(g_file_get_contents(path, &text2, NULL, NULL));
	g_assert_cmpstr(text1, ==, text2);
	g_auto(GStrv) lines = g_strsplit(text1, "\n", -1);
	guint data_lines = 0;
	for (char **l = lines; *l != NULL; l++)
		if (**l != '\0' && **l != '#') {
			g_auto(GStrv) f = g_strsplit(*l, "\t", -1);
			g_assert_cmpuint(g_strv_length(f), ==, 8);
			data_lines++;
		}
	g_assert_cmpuint(data_lines, ==, 5);   /* header + 4 */
	g_assert_true(g_str_has_prefix(text1, "# test manifest\n# second\n# line\nuser\tmailbox\t"));
	remove_temp(path);
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "not a header\n", ":1: " },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tmove\t-\t-\tyes\t-\n", ":2: action \"move\"" },
		{ "# c\nuser\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\\q\tinbox\t-\t-\tyes\t-\n", ":3: source: bad escape" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\t-\t/x\tfolder\t-\t-\tno\t-\n", ":2: a folder row needs a mailbox" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tinbox\tmany\t-\tyes\t-\n", ":2: messages and bytes" },
		{ "# only comments\n", "no header row" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "\tuser.alice\t/x\tinbox\t-\t-\tyes\t-\n", ":2: an empty field" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tinbox\t-\t-\tyes\tnul \\x00 here\n", ":2: a NUL byte" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t\tinbox\t-\t-\tyes\t-\n", ":2: source: an empty field" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tinbox\t+5\t-\tyes\t-\n", ":2: messages and bytes" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tinbox\t-\t99999999999999999999\tyes\t-\n", ":2: messages and bytes" },
		{ "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
		  "alice\tuser.alice\t/x\tinbox\t-\t-\tmaybe\t-\n", ":2: subscribed \"maybe\"" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *path = temp_path();
		g_autoptr(GError) error = NULL;
		g_assert_true(g_file_set_contents(path, bad[i].text, -1, NULL));
		g_autoptr(GPtrArray) rows = manifest_read(path, NULL, &error);
		g_assert_null(rows);
		g_assert_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX);
		g_assert_nonnull(strstr(error->message, path));
		g_assert_nonnull(strstr(error->message, bad[i].want));
		remove_temp(path);
	}
}

/* A failed write leaves the old file as it was. */
static void
test_atomic(void)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autoptr(GError) error = NULL;
	g_assert_false(manifest_write("/nonexistent-dir/mailboxes.tsv", NULL, rows, &error));
	g_assert_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_IO);
}

/* ---- settings ------------------------------------------------------------------ */

#define HEADER "user\tmailbox\tsource\taction\tmessages\tbytes\tsubscribed\tnote\n"
/* one row: user, mailbox, source, action, note (escaped as in the file) */
#define R(u, m, s, a, n) u "\t" m "\t" s "\t" a "\t-\t-\tno\t" n "\n"
#define INBOX_ALICE R("alice", "user.alice", "/var/mail/alice", "inbox", "-")

static GPtrArray *
parse(const char *text, ManifestSettings *settings, GError **error)
{
	return manifest_parse("m.tsv", text, strlen(text), settings, error);
}

static void
test_settings_defaults(void)
{
	g_auto(ManifestSettings) settings = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = parse("# a comment\n" HEADER INBOX_ALICE, &settings, &error);

	g_assert_no_error(error);
	g_assert_nonnull(rows);
	g_assert_cmpint(settings.separator, ==, 0);
	g_assert_true(settings.check_owner);
	g_assert_false(settings.follow_links_inside_home);
	g_assert_null(settings.inbox_dir);
	g_assert_null(settings.home_template);
}

/* The line mapnames 0.1.0 wrote before values were escaped reads the same. */
static void
test_settings_old_line(void)
{
	g_auto(ManifestSettings) settings = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = parse(
		"# mbox2cyrus 0.1.0 mapnames: the manifest\n"
		"# settings: separator=/ virtdomains=no fs-charset=UTF-8 fs-charset-fallback=none "
		"folder-dirs=Mail,mail spool-dir=/var/mail homes=/export/home/%u owner-check=no "
		"special-use=no follow-links-inside-home=yes include-empty=no max-depth=20 scan=no\n"
		HEADER, &settings, &error);

	g_assert_no_error(error);
	g_assert_nonnull(rows);
	g_assert_cmpint(settings.separator, ==, '/');
	g_assert_false(settings.check_owner);
	g_assert_true(settings.follow_links_inside_home);
	g_assert_cmpstr(settings.inbox_dir, ==, "/var/mail");
	g_assert_cmpstr(settings.home_template, ==, "/export/home/%u");
}

/* Values with spaces, tabs, newlines and backslashes survive format, write, read. */
static void
test_settings_round_trip(void)
{
	ManifestSettings out = {
		.separator = '.', .check_owner = FALSE, .follow_links_inside_home = TRUE,
		.inbox_dir = (char *)"/srv/mail spool",
		.home_template = (char *)"/export/my homes/a\tb\\c\nd/%u",
	};
	const char *const more[] = { "folder-dirs", "My Mail,mail", "max-depth", "20", NULL };
	g_autofree char *line = manifest_settings_format(&out, more);
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autofree char *path = temp_path();
	g_autoptr(GError) error = NULL;
	g_auto(ManifestSettings) in = { 0 };
	const char *comments[] = { "a manifest", line, NULL };

	g_assert_cmpstr(line, ==, "settings: separator=. spool-dir=/srv/mail\\x20spool "
	                "homes=/export/my\\x20homes/a\\tb\\\\c\\nd/%u owner-check=no "
	                "follow-links-inside-home=yes folder-dirs=My\\x20Mail,mail max-depth=20");
	g_assert_true(manifest_write(path, comments, rows, &error));
	g_autoptr(GPtrArray) back = manifest_read(path, &in, &error);
	g_assert_no_error(error);
	g_assert_nonnull(back);
	g_assert_cmpint(in.separator, ==, '.');
	g_assert_false(in.check_owner);
	g_assert_true(in.follow_links_inside_home);
	g_assert_cmpstr(in.inbox_dir, ==, out.inbox_dir);
	g_assert_cmpstr(in.home_template, ==, out.home_template);

	/* the defaults written and read back; homes=passwd is NULL */
	ManifestSettings defaults;
	manifest_settings_init(&defaults);
	g_autofree char *plain = manifest_settings_format(&defaults, NULL);
	g_assert_cmpstr(plain, ==, "settings: homes=passwd owner-check=yes follow-links-inside-home=no");
	g_autofree char *text = g_strdup_printf("# %s\n" HEADER, plain);
	manifest_settings_clear(&in);
	g_autoptr(GPtrArray) again = parse(text, &in, &error);
	g_assert_no_error(error);
	g_assert_null(in.home_template);
	g_assert_true(in.check_owner);
	remove_temp(path);
}

static void
test_settings_errors(void)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "# settings: owner-check=maybe", "m.tsv:2: settings: owner-check \"maybe\" is not yes or no" },
		{ "# settings: follow-links-inside-home=1", "m.tsv:2: settings: follow-links-inside-home \"1\"" },
		{ "# settings: separator=x", "m.tsv:2: settings: separator \"x\" is not . or /" },
		{ "# settings: separator=..", "m.tsv:2: settings: separator" },
		{ "# settings: spool-dir=var/mail", "m.tsv:2: settings: spool-dir \"var/mail\" is not an absolute path" },
		{ "# settings: spool-dir=/var/../mail", "m.tsv:2: settings: spool-dir \"/var/../mail\" has a \"..\" part" },
		{ "# settings: homes=/home//%u", "m.tsv:2: settings: homes \"/home//%u\" has an empty part" },
		{ "# settings: homes=", "m.tsv:2: settings: homes \"\" is not an absolute path" },
		{ "# settings: spool-dir=/var/my mail", "m.tsv:2: settings: \"mail\" is not KEY=VALUE" },
		{ "# settings: =x", "m.tsv:2: settings: \"=x\" is not KEY=VALUE" },
		{ "# settings: owner-check=yes owner-check=no", "m.tsv:2: settings: owner-check given twice" },
		{ "# settings: spool-dir=/a\\q", "m.tsv:2: settings: spool-dir: bad escape" },
		{ "# settings: spool-dir=/a\\x00b", "m.tsv:2: settings: spool-dir: a NUL byte" },
		{ "# settings: scan=no\n# settings: scan=yes", "m.tsv:3: a second settings line (the first is line 2)" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *text = g_strdup_printf("# first\n%s\n" HEADER INBOX_ALICE, bad[i].line);
		g_autoptr(GError) error = NULL;
		ManifestSettings settings;
		g_autoptr(GPtrArray) rows = parse(text, &settings, &error);
		g_assert_null(rows);
		g_assert_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX);
		if (error != NULL && !g_str_has_prefix(error->message, bad[i].want))
			g_test_fail_printf("%s: got \"%s\", want \"%s\"", bad[i].line, error->message, bad[i].want);
		/* on failure: the defaults, nothing to free */
		g_assert_null(settings.inbox_dir);
		g_assert_true(settings.check_owner);
	}
	/* unknown keys are not looked at */
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = parse("# settings: frobnicate=\\q new-thing=\n" HEADER, NULL, &error);
	g_assert_no_error(error);
}

/* A raw NUL byte would cut a line short where C strings are used: refused, with the
 * line, wherever it is. */
static void
test_raw_nul(void)
{
	static const char note[] = HEADER "alice\tuser.alice\t/var/mail/alice\tinbox\t-\t-\tno\tok\0more\n";
	static const char comment[] = "# a \0 comment\n" HEADER;
	const struct {
		const char *text;
		gsize len;
		const char *want;
	} bad[] = {
		{ note, sizeof note - 1, "m.tsv:2: a NUL byte" },
		{ comment, sizeof comment - 1, "m.tsv:1: a NUL byte" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) rows = manifest_parse("m.tsv", bad[i].text, bad[i].len, NULL, &error);
		g_assert_null(rows);
		g_assert_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_SYNTAX);
		g_assert_true(error != NULL && g_str_has_prefix(error->message, bad[i].want));
	}
}

/* ---- validation ---------------------------------------------------------------- */

static MailboxNaming dot = { .separator = '.' };
static MailboxNaming slash = { .separator = '/' };
static MailboxNaming dot_vd = { .separator = '.', .virtdomains = TRUE };

/* Manifests (after the header, line 1) that manifest_validate must refuse: the message
 * starts "m.tsv:LINE: " and holds `what`. */
static const struct {
	const MailboxNaming *naming;
	const char *rows;
	const char *line;   /* "m.tsv:N: " */
	const char *what;
} refused[] = {
	/* control characters: user, mailbox, note; in skip rows too */
	{ &dot, INBOX_ALICE R("alice", "user.alice.a\\nb", "/home/alice/Mail/a", "folder", "-"),
	  "m.tsv:3: ", "a control character (0x0a) in the mailbox" },
	{ &dot, R("al\\tice", "user.alice", "/var/mail/alice", "inbox", "-"), "m.tsv:2: ", "(0x09) in the user" },
	{ &dot, R("al\\x01ice", "user.alice", "/var/mail/alice", "inbox", "-"), "m.tsv:2: ", "(0x01) in the user" },
	{ &dot, R("al\\x7fice", "user.alice", "/var/mail/alice", "inbox", "-"), "m.tsv:2: ", "(0x7f) in the user" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a\\tb", "/home/alice/Mail/a", "folder", "-"),
	  "m.tsv:3: ", "(0x09) in the mailbox" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a\\x01b", "/home/alice/Mail/a", "folder", "-"),
	  "m.tsv:3: ", "(0x01) in the mailbox" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a\\x7f", "/home/alice/Mail/a", "folder", "-"),
	  "m.tsv:3: ", "(0x7f) in the mailbox" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice/Mail/a", "folder", "a\\tb"),
	  "m.tsv:3: ", "(0x09) in the note" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice/Mail/a", "folder", "\\x01"),
	  "m.tsv:3: ", "(0x01) in the note" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice/Mail/a", "folder", "x\\x7f"),
	  "m.tsv:3: ", "(0x7f) in the note" },
	{ &dot, INBOX_ALICE R("alice", "-", "/home/alice/Mail/.x", "skip", "a\\nb"),
	  "m.tsv:3: ", "(0x0a) in the note" },
	{ &dot, R("al\\rice", "-", "-", "skip", "no such user"), "m.tsv:2: ", "(0x0d) in the user" },
	/* the source */
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice/Mail/a\\x00b", "folder", "-"),
	  "m.tsv:3: ", "a NUL byte in the source" },
	{ &dot, INBOX_ALICE R("alice", "-", "/home/alice/Mail/a\\x00b", "skip", "-"),
	  "m.tsv:3: ", "a NUL byte in the source" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "Mail/a", "folder", "-"),
	  "m.tsv:3: ", "source \"Mail/a\" is not an absolute path" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice/../bob/Mail/a", "folder", "-"),
	  "m.tsv:3: ", "has a \"..\" part" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice/./Mail/a", "folder", "-"),
	  "m.tsv:3: ", "has a \".\" part" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice//Mail/a", "folder", "-"),
	  "m.tsv:3: ", "has an empty part" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/home/alice/Mail/", "folder", "-"),
	  "m.tsv:3: ", "has an empty part" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a", "/", "folder", "-"),
	  "m.tsv:3: ", "is the root directory" },
	/* pairs */
	{ &dot, INBOX_ALICE R("alice", "user.alice.x", "/home/alice/Mail/x", "folder", "-")
	        R("alice", "user.alice.x", "/home/alice/Mail/x", "folder", "a note"),
	  "m.tsv:4: ", "the same row as line 3" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.x", "/home/alice/Mail/x", "folder", "-")
	        R("alice", "user.alice.y", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:4: ", "source \"/home/alice/Mail/x\" is also in line 3" },
	{ &dot, R("alice", "user.alice.x", "/srv/shared/x", "folder", "-")
	        R("bob", "user.bob.x", "/srv/shared/x", "folder", "-"),
	  "m.tsv:3: ", "is also in line 2" },
	{ &dot, R("alice", "user.alice", "/home/alice/mbox", "folder", "-")
	        R("alice", "user.alice", "/home/alice/mbox", "inbox", "-"),
	  "m.tsv:3: ", "the same row as line 2 (user, mailbox and source)" },
	{ &dot, INBOX_ALICE R("alice", "user.alice", "/var/mail/alice.old", "inbox", "-"),
	  "m.tsv:3: ", "a second inbox row for user \"alice\" (the first is line 2)" },
	{ &dot, R("alice", "user.alice", "-", "inbox", "-") R("alice", "user.alice", "-", "inbox", "-"),
	  "m.tsv:3: ", "the same row as line 2" },
	/* whose the mailbox is */
	{ &dot, R("alice", "user.alice.x", "/var/mail/alice", "inbox", "-"),
	  "m.tsv:2: ", "an inbox row's mailbox must be user \"alice\"'s INBOX \"user.alice\"" },
	{ &dot, INBOX_ALICE R("alice", "user.bob.x", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "mailbox \"user.bob.x\" is not user \"alice\"'s" },
	{ &dot, INBOX_ALICE R("alice", "user.alicex", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "is not user \"alice\"'s" },
	{ &dot, R("alice", "user.bob", "/var/mail/alice", "inbox", "-"), "m.tsv:2: ", "INBOX" },
	{ &slash, R("alice", "user.alice", "/var/mail/alice", "inbox", "-"),
	  "m.tsv:2: ", "INBOX \"user/alice\"" },   /* a '.' manifest on a '/' server */
	{ &dot_vd, R("alice", "user.alice", "/var/mail/alice", "inbox", "-")
	           R("alice", "user.alice.x@example.com", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "is not user \"alice\"'s" },   /* Cyrus: alice@example.com's */
	{ &dot_vd, R("alice@example.com", "user.alice.x", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:2: ", "is not user \"alice@example.com\"'s" },
	/* users */
	{ &dot, R("al ice", "user.al ice", "/var/mail/al ice", "inbox", "-"), "m.tsv:2: ", "cannot be a Cyrus user" },
	{ &dot, R("anyone", "user.anyone", "/var/mail/anyone", "inbox", "-"), "m.tsv:2: ", "cannot be a Cyrus user" },
	{ &dot, R("alice@example.com", "user.alice@example.com", "/var/mail/alice", "inbox", "-"),
	  "m.tsv:2: ", "an '@' needs virtdomains" },
	/* names Cyrus refuses */
	{ &dot, INBOX_ALICE R("alice", "user.alice..x", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "an empty part" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "an empty part" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a%b", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "'%', which Cyrus refuses" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.a/b", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "'/', which Cyrus refuses" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.&AOQ", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "modified UTF-7" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.\xc3\xa4", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "an 8-bit byte (0xc3)" },
	{ &dot, INBOX_ALICE R("alice", "user.alice.\\xe4", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "an 8-bit byte (0xe4)" },
	{ &slash, R("alice", "user/alice", "/var/mail/alice", "inbox", "-")
	          R("alice", "user/alice/a^b", "/home/alice/Mail/x", "folder", "-"),
	  "m.tsv:3: ", "'^', which Cyrus refuses with the '/' separator" },
};

/* The 491-byte name is made at run time. */
static char *
long_name_rows(gsize name_bytes)
{
	g_autofree char *tail = g_strnfill(name_bytes - strlen("user.alice."), 'x');
	return g_strdup_printf(HEADER INBOX_ALICE R("alice", "user.alice.%s", "/home/alice/Mail/x",
	                                            "folder", "-"), tail);
}

static void
check_refused(const MailboxNaming *naming, const char *text, const char *line, const char *what)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = parse(text, NULL, &error);

	g_assert_no_error(error);
	if (rows == NULL)
		return;
	g_assert_false(manifest_validate("m.tsv", rows, naming, &error));
	g_assert_error(error, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_INVALID);
	if (error == NULL)
		g_test_message("taken, but must be refused (%s): %s", what, text);
	else if (!g_str_has_prefix(error->message, line) || strstr(error->message, what) == NULL)
		g_test_fail_printf("got \"%s\", want \"%s...%s\"", error->message, line, what);
	/* whatever the manifest held, the message holds no control character */
	for (const char *p = error ? error->message : ""; *p != '\0'; p++)
		g_assert_cmpint((unsigned char)*p, >=, 0x20);
}

static void
test_validate_refused(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autofree char *text = g_strconcat(HEADER, refused[i].rows, NULL);
		check_refused(refused[i].naming, text, refused[i].line, refused[i].what);
	}
	g_autofree char *long_text = long_name_rows(491);
	check_refused(&dot, long_text, "m.tsv:3: ", "491 bytes long, Cyrus takes at most 490");
}

/* Manifests manifest_validate must take. */
static const struct {
	const MailboxNaming *naming;
	const char *rows;
} taken[] = {
	/* ~/mbox merged into the INBOX; an INBOX without a spool file */
	{ &dot, INBOX_ALICE R("alice", "user.alice", "/home/alice/mbox", "folder", "merged") },
	{ &dot, R("alice", "user.alice", "-", "inbox", "no spool file")
	        R("alice", "user.alice", "/home/alice/mbox", "folder", "-") },
	{ &dot, INBOX_ALICE R("alice", "user.alice.&AOQ-", "/home/alice/Mail/\\xe4", "folder", "-") },
	{ &dot, INBOX_ALICE R("alice", "user.alice.*", "/home/alice/Mail/*", "folder", "-") },
	{ &dot, INBOX_ALICE R("alice", "user.alice.Old Projects", "/home/alice/Mail/Old Projects", "folder", "-")
	        R("alice", "user.alice.Old Projects.2003 Q1", "/home/alice/Mail/Old Projects/2003 Q1", "folder", "-") },
	{ &dot, INBOX_ALICE R("alice", "user.alice.s&-me", "/home/alice/Mail/s&me", "folder", "-") },
	{ &dot, INBOX_ALICE R("alice", "user.alice.~x", "/home/alice/Mail/x~", "folder", "-") },
	/* a file name may hold any byte but '/' and NUL */
	{ &dot, INBOX_ALICE R("alice", "user.alice.tab&JAk-here", "/home/alice/Mail/tab\\there\\nnew\\x01\\x7f\\xff\\\\",
	                      "folder", "-") },
	/* skip rows: only the control characters are looked at */
	{ &dot, INBOX_ALICE R("alice", "-", "/var/mail/alice", "skip", "also skipped")
	        R("alice", "-", "relative/../path", "skip", "-")
	        R("alice", "-", "relative/../path", "skip", "-")
	        R("al ice", "-", "-", "skip", "user name \"al ice\" cannot be a Cyrus user") },
	{ &dot, R("john.doe", "user.john^doe", "/var/mail/john.doe", "inbox", "-")
	        R("john.doe", "user.john^doe.Sent", "/home/john.doe/Mail/Sent", "folder", "-") },
	{ &slash, R("john.doe", "user/john.doe", "/var/mail/john.doe", "inbox", "-")
	          R("john.doe", "user/john.doe/a.b", "/home/john.doe/Mail/a.b", "folder", "-") },
	{ &dot, INBOX_ALICE R("alice", "user.alice.x", "/home/alice/Mail/x", "folder", "-")
	        R("bob", "user.bob", "/var/mail/bob", "inbox", "-")
	        R("bob", "user.bob.x", "/home/bob/Mail/x", "folder", "-") },
	{ &dot_vd, R("alice@example.com", "user.alice@example.com", "/var/mail/alice", "inbox", "-")
	           R("alice@example.com", "user.alice.Sent@example.com", "/home/alice/Mail/Sent", "folder", "-")
	           R("alice", "user.alice", "/var/mail/alice-local", "inbox", "-")
	           R("alice", "user.alice.Sent", "/home/alice-local/Mail/Sent", "folder", "-") },
	{ &dot, "# CRLF line ends, as an editor may leave them\r\n" INBOX_ALICE
	        "alice\tuser.alice.x\t/home/alice/Mail/x\tfolder\t1\t2\tyes\tnote\r\n" },
};

static void
test_validate_taken(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(taken); i++) {
		g_autofree char *text = g_strconcat(HEADER, taken[i].rows, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) rows = parse(text, NULL, &error);
		g_assert_no_error(error);
		if (rows == NULL)
			continue;
		if (!manifest_validate("m.tsv", rows, taken[i].naming, &error))
			g_test_message("refused: %s", error->message);
		g_assert_no_error(error);
	}
	g_autofree char *long_text = long_name_rows(490);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = parse(long_text, NULL, &error);
	g_assert_nonnull(rows);
	g_assert_true(rows != NULL && manifest_validate("m.tsv", rows, &dot, &error));
	g_assert_no_error(error);
	/* the CRLF manifest's note lost its CR */
	g_autofree char *crlf = g_strconcat(HEADER, taken[G_N_ELEMENTS(taken) - 1].rows, NULL);
	g_autoptr(GPtrArray) crlf_rows = parse(crlf, NULL, NULL);
	g_assert_cmpstr(((ManifestRow *)g_ptr_array_index(crlf_rows, 1))->note, ==, "note");
}

/* Rows made in memory and written: manifest_format numbers them as written, so a
 * check before writing names the lines a check after reading names. */
static void
test_validate_written_lines(void)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)manifest_row_free);
	g_autofree char *path = temp_path();
	g_autoptr(GError) before = NULL, after = NULL;
	const char *comments[] = { "one", "two\nthree", NULL };

	g_ptr_array_add(rows, manifest_row_new("bob", "user.bob.x", "/srv/x", 6, MANIFEST_FOLDER, NULL));
	g_ptr_array_add(rows, manifest_row_new("alice", "user.alice.x", "/srv/x", 6, MANIFEST_FOLDER, NULL));
	g_ptr_array_add(rows, manifest_row_new("alice", "user.alice", NULL, 0, MANIFEST_INBOX, NULL));
	g_assert_true(manifest_write(path, comments, rows, NULL));
	g_assert_false(manifest_validate(path, rows, &dot, &before));
	g_autoptr(GPtrArray) back = manifest_read(path, NULL, NULL);
	g_assert_nonnull(back);
	g_assert_false(back != NULL && manifest_validate(path, back, &dot, &after));
	g_assert_nonnull(before);
	g_assert_nonnull(after);
	if (before != NULL && after != NULL) {
		g_assert_cmpstr(before->message, ==, after->message);
		g_autofree char *want = g_strdup_printf("%s:7: source \"/srv/x\" is also in line 6", path);
		g_assert_true(g_str_has_prefix(after->message, want));
	}
	remove_temp(path);
}

/* Any prefix of a manifest, and any single byte changed, is an answer, never a crash
 * (tests/fuzz/fuzz-manifest.c does this at length). */
static void
test_prefixes(void)
{
	static const char text[] = "# settings: separator=. spool-dir=/var/mail homes=passwd\n" HEADER
		INBOX_ALICE R("alice", "user.alice.a&AOQ-b", "/home/alice/Mail/a\\xe4b", "folder", "n\\\\")
		R("al ice", "-", "-", "skip", "-");
	for (gsize len = 0; len <= sizeof text - 1; len++) {
		g_autofree char *copy = g_memdup2(text, len);   /* no NUL after it */
		g_autoptr(GError) error = NULL;
		ManifestSettings settings;
		g_autoptr(GPtrArray) rows = manifest_parse("m.tsv", copy, len, &settings, &error);
		g_assert_true((rows == NULL) == (error != NULL));
		if (rows != NULL) {
			g_autoptr(GError) invalid = NULL;
			(void)manifest_validate("m.tsv", rows, &dot, &invalid);
			manifest_settings_clear(&settings);
		}
	}
	for (gsize i = 0; i < sizeof text - 1; i++)
		for (int b = 0; b < 256; b += 7) {
			g_autofree char *copy = g_memdup2(text, sizeof text - 1);
			g_autoptr(GError) error = NULL;
			copy[i] = (char)b;
			g_autoptr(GPtrArray) rows = manifest_parse("m.tsv", copy, sizeof text - 1, NULL, &error);
			if (rows != NULL)
				(void)manifest_validate("m.tsv", rows, &slash, NULL);
		}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/manifest/round-trip", test_round_trip);
	g_test_add_func("/manifest/errors", test_errors);
	g_test_add_func("/manifest/atomic", test_atomic);
	g_test_add_func("/manifest/settings/defaults", test_settings_defaults);
	g_test_add_func("/manifest/settings/old-line", test_settings_old_line);
	g_test_add_func("/manifest/settings/round-trip", test_settings_round_trip);
	g_test_add_func("/manifest/settings/errors", test_settings_errors);
	g_test_add_func("/manifest/raw-nul", test_raw_nul);
	g_test_add_func("/manifest/validate/refused", test_validate_refused);
	g_test_add_func("/manifest/validate/taken", test_validate_taken);
	g_test_add_func("/manifest/validate/written-lines", test_validate_written_lines);
	g_test_add_func("/manifest/prefixes", test_prefixes);
	return g_test_run();
}
