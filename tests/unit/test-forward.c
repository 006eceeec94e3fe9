/* test-forward.c -- mapnames/forward-parse.c and forward-format.c: a table of
 * .forward files as users wrote them, each with the entries it must give (kind, text,
 * the reason for what is refused) and the output in all three formats (aliases line,
 * .qmail file, Sieve script; "" for none).  The owner is "alice"; no local domain.
 * Each vector is parsed again with CRLF line ends, which must change nothing. */
#include <string.h>

#include "forward-format.h"
#include "forward-parse.h"

#define WRAPPER "/out/cyrus-deliver-qmail"
#define SIEVE_HEAD "# mbox2cyrus " M2C_VERSION " forwards: ~alice/.forward\n"
#define MIDLINE_HASH "after '#' in the middle of a line: a comment here, but sendmail and Postfix take '#' as one only at the start of a line"
#define SMUGGLED "a local part starting with '|', '/', '\\' or ':': aliases would read it as a pipe, file or :include:"
#define COPY_QMAIL "|preline -f '" WRAPPER "' 'alice'\n"

typedef struct {
	const char *name;
	const char *input;
	const char *entries;   /* "kind text" per line; "bad text: reason" */
	const char *aliases;
	const char *qmail;
	const char *sieve;     /* after SIEVE_HEAD; "" for no script */
} Vector;

static const Vector vectors[] = {
	{ "plain address", "bob@example.org\n",
	  "address bob@example.org\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	{ "several per line", "bob@example.org, carol@example.net dave@example.com\n",
	  "address bob@example.org\naddress carol@example.net\naddress dave@example.com\n",
	  "alice: bob@example.org, carol@example.net, dave@example.com\n",
	  "&bob@example.org\n&carol@example.net\n&dave@example.com\n",
	  "redirect \"bob@example.org\";\nredirect \"carol@example.net\";\nredirect \"dave@example.com\";\n" },
	{ "quoted local part", "\"john doe\"@example.org\n",
	  "address \"john doe\"@example.org\n",
	  "alice: \"john doe\"@example.org\n", "&\"john doe\"@example.org\n",
	  "redirect \"\\\"john doe\\\"@example.org\";\n" },
	{ "local copy", "\\alice, bob@example.org\n",
	  "local_copy alice\naddress bob@example.org\n",
	  "alice: bob@example.org, \\alice\n", "&bob@example.org\n" COPY_QMAIL,
	  "require [\"copy\"];\nredirect :copy \"bob@example.org\";\nkeep;\n" },
	{ "local copy alone", "\\alice\n", "local_copy alice\n", "", "", "" },
	{ "backslash other user", "\\bob\n", "address bob\n", "alice: bob\n", "&bob\n", "" },
	{ "bare local name", "carol\n", "address carol\n", "alice: carol\n", "&carol\n", "" },
	{ "pipe", "|/usr/bin/procmail -t\n", "pipe /usr/bin/procmail -t\n", "", "", "" },
	{ "quoted pipe", "\"|/usr/local/bin/filter --all\", bob@example.org\n",
	  "pipe /usr/local/bin/filter --all\naddress bob@example.org\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	{ "vacation", "\\alice, \"|/usr/bin/vacation alice\"\n",
	  "local_copy alice\nvacation /usr/bin/vacation alice\n", "", "", "" },
	{ "file", "/home/alice/mail/saved\n", "file /home/alice/mail/saved\n", "", "", "" },
	{ "include", ":include:/etc/mail/lists/staff\n", "include /etc/mail/lists/staff\n",
	  "", "", "" },
	{ "comments and blank lines", "# where my mail goes\n\n  \nbob@example.org # old job\n#\n",
	  "address bob@example.org\nbad # old job: " MIDLINE_HASH "\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	{ "empty file", "", "", "", "", "" },
	{ "no @ domain after @", "bob@\n", "bad bob@: not an RFC 5321 mailbox: empty domain\n",
	  "", "", "" },
	{ "bad domain", "bob@exa_mple.org\n",
	  "bad bob@exa_mple.org: not an RFC 5321 mailbox: bad domain\n", "", "", "" },
	{ "two dots", "bob..smith@example.org\n",
	  "bad bob..smith@example.org: not an RFC 5321 mailbox: local part neither dot-atom nor quoted string\n",
	  "", "", "" },
	{ "address literal", "bob@[192.0.2.1]\n", "address bob@[192.0.2.1]\n",
	  "alice: bob@[192.0.2.1]\n", "&bob@[192.0.2.1]\n", "redirect \"bob@[192.0.2.1]\";\n" },
	{ "bad address literal", "bob@[300.1.1.1]\n",
	  "bad bob@[300.1.1.1]: not an RFC 5321 mailbox: bad domain\n", "", "", "" },
	{ "8-bit bytes", "j\xc3\xb6rg@example.org, bob@example.org\n",
	  "bad j\\xC3\\xB6rg@example.org: 8-bit bytes\naddress bob@example.org\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	{ "continuation line", "bob@example.org,\n\tcarol@example.net\n",
	  "address bob@example.org\naddress carol@example.net\n",
	  "alice: bob@example.org, carol@example.net\n", "&bob@example.org\n&carol@example.net\n",
	  "redirect \"bob@example.org\";\nredirect \"carol@example.net\";\n" },
	{ "trailing garbage", "bob@example.org )junk(\n",
	  "address bob@example.org\nbad )junk(: not an RFC 5321 mailbox: no @ domain, and not a local name\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	{ "unterminated quote", "\"john doe@example.org\n",
	  "bad \"john doe@example.org: an unterminated quote\n", "", "", "" },
	{ "angle brackets", "<bob@example.org>\n", "address bob@example.org\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	{ "no final newline", "bob@example.org", "address bob@example.org\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	{ "pipe-like local part", "|bob@example.org", "pipe bob@example.org\n", "", "", "" },
	{ "hash local part", "a#b@example.org\n", "address a#b@example.org\n",
	  "alice: \"a#b\"@example.org\n", "&a#b@example.org\n", "redirect \"a#b@example.org\";\n" },
	{ "quoted address whole", "\"bob@example.org\"\n", "address bob@example.org\n",
	  "alice: bob@example.org\n", "&bob@example.org\n", "redirect \"bob@example.org\";\n" },
	/* review: a pipe, file or :include: smuggled through an address form; sendmail
	 * reads "|x"@a-local-domain (and Postfix a bare "|x") in aliases as a program */
	{ "angle pipe", "<|/tmp/evil>\n",
	  "bad <|/tmp/evil>: " SMUGGLED "\n", "", "", "" },
	{ "angle file", "</etc/passwd@localhost>\n",
	  "bad </etc/passwd@localhost>: " SMUGGLED "\n", "", "", "" },
	{ "backslash pipe", "\\|/tmp/evil\n",
	  "bad \\|/tmp/evil: " SMUGGLED "\n", "", "", "" },
	{ "backslash file", "\\/etc/passwd\n",
	  "bad \\/etc/passwd: " SMUGGLED "\n", "", "", "" },
	{ "quoted pipe local part", "\"|/tmp/evil\"@localhost\n",
	  "bad \"|/tmp/evil\"@localhost: " SMUGGLED "\n", "", "", "" },
	{ "quoted escaped pipe local part", "\"\\|/tmp/evil\"@localhost\n",
	  "bad \"\\|/tmp/evil\"@localhost: " SMUGGLED "\n", "", "", "" },
	{ "quoted include local part", "\":include:/etc/x\"@localhost\n",
	  "bad \":include:/etc/x\"@localhost: " SMUGGLED "\n", "", "", "" },
	/* review: the owner's own name without '\\' is a local copy in sendmail and
	 * Postfix (a self-reference), not a forward back to themselves (a loop) */
	{ "own name bare", "alice, bob@example.org\n",
	  "local_copy alice\naddress bob@example.org\n",
	  "alice: bob@example.org, \\alice\n", "&bob@example.org\n" COPY_QMAIL,
	  "require [\"copy\"];\nredirect :copy \"bob@example.org\";\nkeep;\n" },
	{ "control character", "bob\x01@example.org\n",
	  "bad bob\\x01@example.org: control characters\n", "", "", "" },
};

static char *
entries_text(GPtrArray *entries)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < entries->len; i++) {
		const ForwardEntry *e = g_ptr_array_index(entries, i);
		g_string_append_printf(out, "%s %s", forward_kind_name(e->kind), e->text);
		if (e->kind == FORWARD_BAD)
			g_string_append_printf(out, ": %s", e->reason);
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

static char *
or_empty(char *s)
{
	return s != NULL ? s : g_strdup("");
}

static void
check_vector(const Vector *v, const char *input, gsize len)
{
	g_autoptr(GPtrArray) entries = forward_parse("alice", input, len);
	g_autofree char *got = entries_text(entries);
	g_assert_cmpstr(got, ==, v->entries);

	ForwardFormatSettings aliases = { .format = FORWARD_FORMAT_ALIASES };
	ForwardFormatSettings qmail = { .format = FORWARD_FORMAT_QMAIL, .deliver_wrapper = WRAPPER };
	ForwardFormatSettings sieve = { .format = FORWARD_FORMAT_SIEVE };
	g_autofree char *a = or_empty(forward_format_aliases_line(&aliases, "alice", entries));
	g_autofree char *q = or_empty(forward_format_qmail(&qmail, "alice", entries));
	g_autofree char *s = or_empty(forward_format_sieve(&sieve, "alice", entries));
	g_autofree char *want_sieve = v->sieve[0] != '\0' ? g_strconcat(SIEVE_HEAD, v->sieve, NULL)
	                                                  : g_strdup("");
	g_assert_cmpstr(a, ==, v->aliases);
	g_assert_cmpstr(q, ==, v->qmail);
	g_assert_cmpstr(s, ==, want_sieve);
}

static void
test_vector(gconstpointer data)
{
	const Vector *v = data;
	check_vector(v, v->input, strlen(v->input));

	/* the same with CRLF line ends */
	g_autoptr(GString) crlf = g_string_new(NULL);
	for (const char *p = v->input; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append_c(crlf, '\r');
		g_string_append_c(crlf, *p);
	}
	check_vector(v, crlf->str, crlf->len);
}

static void
test_local_domain(void)
{
	g_autoptr(GPtrArray) entries = forward_parse("alice", "bob, \\alice\n", 12);
	ForwardFormatSettings sieve = { .format = FORWARD_FORMAT_SIEVE, .local_domain = "example.org" };
	g_autofree char *s = forward_format_sieve(&sieve, "alice", entries);
	g_assert_cmpstr(s, ==, SIEVE_HEAD "require [\"copy\"];\nredirect :copy \"bob@example.org\";\nkeep;\n");
	g_assert_null(forward_format_refusal(&sieve, g_ptr_array_index(entries, 0)));
	sieve.local_domain = NULL;
	g_assert_nonnull(forward_format_refusal(&sieve, g_ptr_array_index(entries, 0)));
}

static void
test_qmail_name(void)
{
	g_autofree char *n = forward_format_qmail_name("John.Smith");
	g_assert_cmpstr(n, ==, ".qmail-john:smith");
}

static void
test_wrapper(void)
{
	g_autofree char *w = forward_format_deliver_wrapper("/usr/lib/cyrus/bin/deliver");
	g_assert_true(g_str_has_prefix(w, "#!/bin/sh\n"));
	g_assert_nonnull(strstr(w, "'/usr/lib/cyrus/bin/deliver' -a \"$1\" \"$1\"\n"));
	g_assert_nonnull(strstr(w, "64|65|67|70|76|77|78|100|112) "));
}

static void
test_nul_byte(void)
{
	g_autoptr(GPtrArray) entries = forward_parse("alice", "bob\0@example.org\n", 17);
	g_assert_cmpuint(entries->len, ==, 1);
	g_assert_cmpint(((ForwardEntry *)g_ptr_array_index(entries, 0))->kind, ==, FORWARD_BAD);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(vectors); i++) {
		g_autofree char *path = g_strdup_printf("/forward/vector/%02u %s", i, vectors[i].name);
		g_test_add_data_func(path, &vectors[i], test_vector);
	}
	g_test_add_func("/forward/local-domain", test_local_domain);
	g_test_add_func("/forward/qmail-name", test_qmail_name);
	g_test_add_func("/forward/wrapper", test_wrapper);
	g_test_add_func("/forward/nul-byte", test_nul_byte);
	return g_test_run();
}
