/* test-mailbox-name.c -- lib/mailbox-name.c: the mapping rules, collisions, lengths,
 * user names; every name produced is canonical modified UTF-7 without a refused
 * character, and passes mailbox_name_check; the names that check refuses.  (That
 * Cyrus accepts them is tests/t0410's job, against a real one.) */
#include <string.h>

#include "mailbox-name.h"
#include "mutf7.h"

static MailboxNaming dot = { .separator = '.' };
static MailboxNaming slash = { .separator = '/' };
static MailboxNaming dot_vd = { .separator = '.', .virtdomains = TRUE };
static MailboxNaming slash_vd = { .separator = '/', .virtdomains = TRUE };

/* `name` passes mailbox_name_check, or the test fails saying why. */
static void
assert_name_ok(const MailboxNaming *naming, const char *name)
{
	g_autoptr(GError) error = NULL;
	if (!mailbox_name_check(naming, name, &error))
		g_test_message("refused: %s", error->message);
	g_assert_no_error(error);
}

static char *
map(const MailboxNaming *n, const char *name)
{
	return mailbox_name_map_component(n, name, strlen(name), NULL);
}

static void
test_components(void)
{
	static const struct {
		const MailboxNaming *naming;
		const char *in, *out;
	} rows[] = {
		{ &dot, "Sent", "Sent" },
		{ &dot, "Old Projects", "Old Projects" },
		{ &dot, "s!me", "s\xef\xbc\x81me" },               /* ！ */
		{ &dot, "s&me", "s&me" },                          /* & is fine: "&-" */
		{ &dot, "s*me", "s*me" },                          /* Cyrus takes '*' */
		{ &dot, "a.b", "a\xef\xbc\x8e" "b" },              /* the separator: ． */
		{ &slash, "a.b", "a.b" },                          /* fine with '/' */
		{ &slash, "a^b", "a\xef\xbc\xbe" "b" },            /* ＾ with '/' */
		{ &dot, "a^b", "a^b" },
		{ &dot, "~x", "\xef\xbd\x9ex" },                   /* leading ～ */
		{ &dot, "x~", "x~" },
		{ &dot, "%{}|", "\xef\xbc\x85\xef\xbd\x9b\xef\xbd\x9d\xef\xbd\x9c" },
		{ &dot, "tab\there", "tab\xe2\x90\x89here" },      /* ␉ */
		{ &dot, "A\xcc\x8a", "\xc3\x85" },                  /* NFD -> NFC Å */
		{ &dot, "a@b", "a@b" },
		{ &dot_vd, "a@b", "a\xef\xbc\xa0" "b" },            /* ＠ with virtdomains */
	};
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *got = map(rows[i].naming, rows[i].in);
		g_assert_cmpstr(got, ==, rows[i].out);
	}
}

static void
test_charsets(void)
{
	MailboxNaming euc = { .separator = '.', .fs_charset_fallback = (char *)"EUC-JP" };
	MailboxNaming latin = { .separator = '.', .fs_charset_fallback = (char *)"ISO-8859-1" };
	g_autofree char *nihongo = map(&euc, "\xc6\xfc\xcb\xdc\xb8\xec");   /* 日本語 in EUC-JP */
	g_autofree char *gruesse = map(&latin, "Gr\xfc\xdf" "e");
	g_autofree char *bad = map(&dot, "x\xff");
	g_autoptr(GError) error = NULL;

	g_assert_cmpstr(nihongo, ==, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	g_assert_cmpstr(gruesse, ==, "Gr\xc3\xbc\xc3\x9f" "e");
	g_assert_cmpstr(bad, ==, "x\xef\x9f\xbf");          /* U+F7FF */
	MailboxNaming wrong = { .separator = '.', .fs_charset_fallback = (char *)"NO-SUCH-CHARSET" };
	g_assert_false(mailbox_naming_check(&wrong, &error));
	g_assert_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_CHARSET);
}

static void
test_users(void)
{
	static const struct {
		const MailboxNaming *naming;
		const char *user, *prefix, *domain;
	} good[] = {
		{ &dot, "alice", "user.alice", "" },
		{ &dot, "john.doe", "user.john^doe", "" },
		{ &slash, "john.doe", "user/john.doe", "" },
	};
	MailboxNaming vd = { .separator = '.', .virtdomains = TRUE };
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autofree char *prefix = NULL, *domain = NULL;
		g_assert_true(mailbox_name_user(good[i].naming, good[i].user, &prefix, &domain, NULL));
		g_assert_cmpstr(prefix, ==, good[i].prefix);
		g_assert_cmpstr(domain, ==, good[i].domain);
	}
	g_autofree char *prefix = NULL, *domain = NULL;
	g_assert_true(mailbox_name_user(&vd, "alice@example.com", &prefix, &domain, NULL));
	g_assert_cmpstr(prefix, ==, "user.alice");
	g_assert_cmpstr(domain, ==, "@example.com");
	g_autofree char *long_user = g_strnfill(490, 'u');
	const char *const bad[] = { "", "al ice", "a!b", "al\xc3\xa9", "a@b", "x%y", "a/b",
	                            "a&b", "anyone", "anonymous", "a\nb", long_user };
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		char *p = NULL, *d = NULL;
		g_assert_false(mailbox_name_user(&dot, bad[i], &p, &d, &error));
		g_assert_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_BAD_USER);
	}
}

static char *
add(MailboxNameSet *set, const char *prefix, const char *a, const char *b, GString *notes)
{
	char *components[] = { (char *)a, (char *)b, NULL };
	g_autoptr(GError) error = NULL;
	char *name = mailbox_name_set_add(set, prefix, "", components, notes, &error);
	g_assert_no_error(error);
	if (name != NULL)
		assert_name_ok(&dot, name);
	return name;
}

static void
test_collisions(void)
{
	g_autoptr(MailboxNameSet) set = mailbox_name_set_new(&dot);
	g_autoptr(GString) notes = g_string_new(NULL);
	mailbox_name_set_add_inbox(set, "user.alice", "");

	g_autofree char *a = add(set, "user.alice", "Sent", NULL, NULL);
	g_autofree char *b = add(set, "user.alice", "sent", NULL, notes);     /* case only */
	g_autofree char *c = add(set, "user.alice", "SENT", NULL, NULL);
	g_autofree char *d = add(set, "user.alice", "\xc3\x85", NULL, NULL);  /* Å NFC */
	g_autofree char *e = add(set, "user.alice", "A\xcc\x8a", NULL, NULL); /* Å NFD */
	g_autofree char *f = add(set, "user.bob", "Sent", NULL, NULL);        /* other user */
	g_autofree char *g = add(set, "user.alice", "lists", "cyrus", NULL);
	g_assert_cmpstr(a, ==, "user.alice.Sent");
	g_assert_cmpstr(b, ==, "user.alice.sent~2");
	g_assert_cmpstr(c, ==, "user.alice.SENT~3");
	g_assert_cmpstr(d, ==, "user.alice.&AMU-");
	g_assert_cmpstr(e, ==, "user.alice.A&Awo-~2");
	g_assert_cmpstr(f, ==, "user.bob.Sent");
	g_assert_cmpstr(g, ==, "user.alice.lists.cyrus");
	g_assert_nonnull(strstr(notes->str, "\"~2\" added"));
}

static void
test_long_names(void)
{
	g_autoptr(MailboxNameSet) set = mailbox_name_set_new(&dot);
	g_autoptr(GString) long_ascii = g_string_new(NULL);
	g_autoptr(GString) long_cjk = g_string_new(NULL);
	for (int i = 0; i < 600; i++)
		g_string_append_c(long_ascii, 'x');
	for (int i = 0; i < 300; i++)
		g_string_append(long_cjk, "\xe6\x97\xa5");
	g_autofree char *a = add(set, "user.alice", long_ascii->str, NULL, NULL);
	g_autofree char *b = add(set, "user.alice", long_ascii->str, NULL, NULL);
	g_autofree char *c = add(set, "user.alice", long_cjk->str, NULL, NULL);
	g_assert_cmpuint(strlen(a), <=, MAILBOX_NAME_MAX);
	g_assert_cmpuint(strlen(b), <=, MAILBOX_NAME_MAX);
	g_assert_cmpuint(strlen(c), <=, MAILBOX_NAME_MAX);
	g_assert_cmpstr(a, !=, b);
	g_assert_true(mutf7_is_canonical(c));
}

/* Every byte 0x01..0xff, alone and inside a name: canonical, no refused character,
 * and all different. */
static void
test_every_byte(void)
{
	const MailboxNaming *namings[] = { &dot, &slash };
	for (gsize k = 0; k < G_N_ELEMENTS(namings); k++) {
		g_autoptr(MailboxNameSet) set = mailbox_name_set_new(namings[k]);
		g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		for (int b = 1; b < 256; b++) {
			char name[4] = { 'a', (char)b, 'z', 0 };
			g_autofree char *mapped = map(namings[k], name);
			char *components[] = { mapped, NULL };
			char *full = mailbox_name_set_add(set, namings[k]->separator == '.' ? "user.u" : "user/u",
			                                  "", components, NULL, NULL);
			g_assert_true(mutf7_is_canonical(full));
			assert_name_ok(namings[k], full);
			for (const char *p = full + 7; *p; p++)
				g_assert_null(strchr("!\"%;<>\\`{|}", *p));
			g_assert_null(strchr(full + 7, namings[k]->separator));
			g_assert_true(g_hash_table_add(seen, full));
		}
	}
}

/* With virtual domains too, every byte in a folder name of a user with and without a
 * domain, at the start, inside and alone, gives a name mailbox_name_check takes and
 * that is the user's (an '@' would move it to another domain). */
static void
test_every_byte_virtdomains(void)
{
	const MailboxNaming *namings[] = { &dot_vd, &slash_vd };
	const char *users[] = { "u", "u@example.com", "john.doe@example.org" };
	for (gsize k = 0; k < G_N_ELEMENTS(namings); k++)
		for (gsize u = 0; u < G_N_ELEMENTS(users); u++) {
			g_autoptr(MailboxNameSet) set = mailbox_name_set_new(namings[k]);
			g_autofree char *prefix = NULL, *domain = NULL;
			g_assert_true(mailbox_name_user(namings[k], users[u], &prefix, &domain, NULL));
			mailbox_name_set_add_inbox(set, prefix, domain);
			for (int b = 1; b < 256; b++) {
				const char names[][4] = { { (char)b, 0 }, { (char)b, 'z', 0 }, { 'a', (char)b, 'z', 0 } };
				for (gsize n = 0; n < G_N_ELEMENTS(names); n++) {
					g_autofree char *mapped = map(namings[k], names[n]);
					char *components[] = { mapped, mapped, NULL };   /* two levels */
					g_autofree char *full = mailbox_name_set_add(set, prefix, domain, components,
					                                             NULL, NULL);
					g_assert_nonnull(full);
					assert_name_ok(namings[k], full);
					g_autofree char *personal = mailbox_name_personal(namings[k], FALSE, prefix,
					                                                  domain, full);
					g_assert_nonnull(personal);
					gsize plen = strlen(prefix), flen = strlen(full), dlen = strlen(domain);
					g_assert_null(memchr(full + plen, '@', flen - plen - dlen));
				}
			}
		}
}

/* The levels above a file alone can pass 490 bytes; no name is made then. */
static void
test_too_deep(void)
{
	g_autoptr(MailboxNameSet) set = mailbox_name_set_new(&dot);
	g_autoptr(GError) error = NULL;
	g_autofree char *level = g_strnfill(240, 'd');   /* 10 + 1 + 240 + 1 + 240 + 1: 493 */
	char *components[] = { level, level, (char *)"x", NULL };
	char *two[] = { level, (char *)"x", NULL };

	g_assert_null(mailbox_name_set_add(set, "user.alice", "", components, NULL, &error));
	g_assert_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_BAD_NAME);
	g_autofree char *fits = mailbox_name_set_add(set, "user.alice", "", two, NULL, NULL);
	g_assert_nonnull(fits);
	assert_name_ok(&dot, fits);
}

/* mailbox_name_check: what Cyrus 3.6 CREATE takes and refuses (DESIGN.md; measured). */
static void
test_check(void)
{
	g_autofree char *x479 = g_strnfill(490 - 11, 'x'), *x480 = g_strnfill(491 - 11, 'x');
	g_autofree char *n490 = g_strconcat("user.alice.", x479, NULL);
	g_autofree char *n491 = g_strconcat("user.alice.", x480, NULL);
	static const struct {
		const MailboxNaming *naming;
		const char *name;
		const char *why;   /* NULL: taken */
	} rows[] = {
		{ &dot, "user.alice", NULL },
		{ &dot, "user.alice.Sent", NULL },
		{ &dot, "user.alice.&AOQ-", NULL },
		{ &dot, "user.alice.s&-me", NULL },
		{ &dot, "user.alice.*", NULL },
		{ &dot, "user.alice.~x", NULL },
		{ &dot, "user.alice.$x", NULL },
		{ &dot, "user.alice.Old Projects", NULL },
		{ &dot, "user.alice.a^b", NULL },
		{ &dot, "user.alice.a@b", NULL },              /* no virtdomains: a plain byte */
		{ &dot, "user.john^doe.x", NULL },
		{ &slash, "user/alice/a.b", NULL },
		{ &dot_vd, "user.alice.Sent@example.com", NULL },
		{ &slash_vd, "user/alice/Sent@example.com", NULL },
		{ &dot, "", "an empty name" },
		{ &dot, "user.alice..x", "an empty part" },
		{ &dot, "user.alice.", "an empty part" },
		{ &dot, ".user.alice", "an empty part" },
		{ &slash, "user/alice//x", "an empty part" },
		{ &dot, "user.alice.a%b", "'%'" },
		{ &dot, "user.alice.a/b", "'/'" },
		{ &dot, "user.alice.a!b", "'!'" },
		{ &dot, "user.alice.a\"b", "'\"'" },
		{ &dot, "user.alice.a;b", "';'" },
		{ &dot, "user.alice.a<b", "'<'" },
		{ &dot, "user.alice.a>b", "'>'" },
		{ &dot, "user.alice.a\\b", "'\\'" },
		{ &dot, "user.alice.a`b", "'`'" },
		{ &dot, "user.alice.a{b", "'{'" },
		{ &dot, "user.alice.a|b", "'|'" },
		{ &dot, "user.alice.a}b", "'}'" },
		{ &slash, "user/alice/a^b", "'^'" },
		{ &dot, "user.alice.&AOQ", "modified UTF-7" },
		{ &dot, "user.alice.&AOQ-&AOQ-", "modified UTF-7" },
		{ &dot, "user.alice.&AGE-", "modified UTF-7" },
		{ &dot, "user.alice.a&b", "modified UTF-7" },
		{ &dot, "user.alice.\xc3\xa4", "8-bit" },
		{ &dot, "user.alice.a\nb", "control character (0x0a)" },
		{ &dot, "user.alice.a\tb", "control character (0x09)" },
		{ &dot, "user.alice.a\x7f", "control character (0x7f)" },
		{ &dot_vd, "user.alice.a@b@example.com", "a second '@'" },
		{ &dot_vd, "user.alice@", "nothing after the '@'" },
		{ &dot_vd, "user..alice@example.com", "an empty part" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GError) error = NULL;
		gboolean ok = mailbox_name_check(rows[i].naming, rows[i].name, &error);
		if (rows[i].why == NULL) {
			g_assert_no_error(error);
			g_assert_true(ok);
		} else {
			g_assert_false(ok);
			g_assert_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_BAD_NAME);
			if (error != NULL && strstr(error->message, rows[i].why) == NULL)
				g_test_fail_printf("\"%s\": \"%s\" does not say \"%s\"", rows[i].name,
				                   error->message, rows[i].why);
			/* the name is quoted escaped: no control character reaches a terminal */
			for (const char *p = error ? error->message : ""; *p; p++)
				g_assert_cmpint((unsigned char)*p, >=, 0x20);
		}
	}
	assert_name_ok(&dot, n490);
	g_autoptr(GError) error = NULL;
	g_assert_false(mailbox_name_check(&dot, n491, &error));
	g_assert_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_BAD_NAME);
	g_assert_nonnull(error ? strstr(error->message, "491 bytes") : NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/mailbox-name/components", test_components);
	g_test_add_func("/mailbox-name/charsets", test_charsets);
	g_test_add_func("/mailbox-name/users", test_users);
	g_test_add_func("/mailbox-name/collisions", test_collisions);
	g_test_add_func("/mailbox-name/long-names", test_long_names);
	g_test_add_func("/mailbox-name/every-byte", test_every_byte);
	g_test_add_func("/mailbox-name/every-byte-virtdomains", test_every_byte_virtdomains);
	g_test_add_func("/mailbox-name/too-deep", test_too_deep);
	g_test_add_func("/mailbox-name/check", test_check);
	return g_test_run();
}
