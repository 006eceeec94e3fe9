/* forward-format.c -- .forward entries as aliases, qmail or Sieve (forward-format.h). */
#include <string.h>

#include "forward-format.h"

gboolean
forward_format_from_name(const char *name, ForwardFormat *format_out)
{
	static const char *const names[] = { "aliases", "qmail", "sieve" };
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(name, names[i]) == 0) {
			*format_out = (ForwardFormat)i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *
forward_format_refusal(const ForwardFormatSettings *settings, const ForwardEntry *entry)
{
	switch (entry->kind) {
	case FORWARD_ADDRESS:
		if (settings->format == FORWARD_FORMAT_SIEVE && strchr(entry->text, '@') == NULL &&
		    settings->local_domain == NULL)
			return "a local name without a domain: Sieve redirects to full addresses "
			       "(give --local-domain)";
		return NULL;
	case FORWARD_LOCAL_COPY:
		return NULL;
	case FORWARD_PIPE:
		return "a pipe: Cyrus runs no commands";
	case FORWARD_FILE:
		return "a file: Cyrus delivers to mailboxes only";
	case FORWARD_INCLUDE:
		return "an :include: list: not followed";
	case FORWARD_VACATION:
		return "vacation: write a Sieve vacation action instead";
	case FORWARD_BAD:
		return entry->reason != NULL ? entry->reason : "not understood";
	}
	g_assert_not_reached();
}

/* The address as it goes out: a bare local name qualified with the local domain. */
static char *
target(const ForwardFormatSettings *settings, const ForwardEntry *entry)
{
	if (strchr(entry->text, '@') == NULL && settings->local_domain != NULL)
		return g_strconcat(entry->text, "@", settings->local_domain, NULL);
	return g_strdup(entry->text);
}

/* Split the exported entries: the addresses (new strings) and whether a local copy
 * was asked for. */
static GPtrArray *
exported(const ForwardFormatSettings *settings, GPtrArray *entries, gboolean *local_copy_out)
{
	GPtrArray *addresses = g_ptr_array_new_with_free_func(g_free);
	*local_copy_out = FALSE;
	for (guint i = 0; i < entries->len; i++) {
		const ForwardEntry *e = g_ptr_array_index(entries, i);
		if (forward_format_refusal(settings, e) != NULL)
			continue;
		if (e->kind == FORWARD_LOCAL_COPY)
			*local_copy_out = TRUE;
		else
			g_ptr_array_add(addresses, target(settings, e));
	}
	return addresses;
}

const char *
forward_format_aliases_header(void)
{
	return "# mbox2cyrus " M2C_VERSION " forwards: users' ~/.forward as sendmail aliases "
	       "(newaliases, postalias)\n";
}

/* sendmail reads a leading '|', '/', '\' or ':include:' as something else than an
 * address, and '#' may start a comment: such a dot-atom local part is quoted, which
 * names the same mailbox (RFC 5321 4.1.2). */
static void
append_alias_address(GString *out, const char *address)
{
	const char *at = strrchr(address, '@');
	gsize local_len = at != NULL ? (gsize)(at - address) : strlen(address);
	gboolean needs_quote = address[0] != '"' &&
	                       (strchr("|/\\:", address[0]) != NULL ||
	                        memchr(address, '#', local_len) != NULL);
	if (!needs_quote) {
		g_string_append(out, address);
		return;
	}
	g_string_append_c(out, '"');
	g_string_append_len(out, address, local_len);
	g_string_append_c(out, '"');
	g_string_append(out, address + local_len);
}

char *
forward_format_aliases_line(const ForwardFormatSettings *settings, const char *user,
                            GPtrArray *entries)
{
	gboolean local_copy;
	g_autoptr(GPtrArray) addresses = exported(settings, entries, &local_copy);
	if (addresses->len == 0)
		return NULL;
	GString *out = g_string_new(NULL);
	g_string_append_printf(out, "%s:", user);
	for (guint i = 0; i < addresses->len; i++) {
		g_string_append(out, i == 0 ? " " : ", ");
		append_alias_address(out, g_ptr_array_index(addresses, i));
	}
	if (local_copy)
		g_string_append_printf(out, ", \\%s", user);
	g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

char *
forward_format_qmail_name(const char *user)
{
	g_autofree char *lower = g_ascii_strdown(user, -1);
	g_strdelimit(lower, ".", ':');
	return g_strconcat(".qmail-", lower, NULL);
}

char *
forward_format_qmail(const ForwardFormatSettings *settings, const char *user,
                     GPtrArray *entries)
{
	gboolean local_copy;
	g_autoptr(GPtrArray) addresses = exported(settings, entries, &local_copy);
	if (addresses->len == 0)
		return NULL;
	GString *out = g_string_new(NULL);
	/* '&': always a forward, even for an address starting with '|', '/' or '#' */
	for (guint i = 0; i < addresses->len; i++)
		g_string_append_printf(out, "&%s\n", (char *)g_ptr_array_index(addresses, i));
	if (local_copy) {
		g_assert(settings->deliver_wrapper != NULL);
		g_autofree char *wrapper = g_shell_quote(settings->deliver_wrapper);
		g_autofree char *quoted_user = g_shell_quote(user);
		/* preline -f: the From_ line is for mbox files, not for deliver */
		g_string_append_printf(out, "|preline -f %s %s\n", wrapper, quoted_user);
	}
	return g_string_free(out, FALSE);
}

char *
forward_format_deliver_wrapper(const char *deliver)
{
	g_autofree char *quoted = g_shell_quote(deliver);
	return g_strdup_printf(
		"#!/bin/sh\n"
		"# cyrus-deliver-qmail -- written by mbox2cyrus " M2C_VERSION " forwards.\n"
		"# A .qmail-USER line \"|preline -f THIS USER\" keeps a copy of a forwarded message\n"
		"# in USER's Cyrus INBOX: Cyrus deliver(8) reads the message on standard input and\n"
		"# hands it to lmtpd; -a USER delivers as USER (their own ACL), then USER is the\n"
		"# recipient.\n"
		"#\n"
		"# deliver exits with sysexits.h codes; qmail-local(8) knows only 0 (delivered),\n"
		"# 100 (permanent: bounce) and 111 (temporary: retry later).  The mapping:\n"
		"#   0                                  -> 0\n"
		"#   64 USAGE, 65 DATAERR, 67 NOUSER (addressee unknown), 70 SOFTWARE,\n"
		"#   76 PROTOCOL, 77 NOPERM, 78 CONFIG, 100, 112            -> 100 (bounce)\n"
		"#   75 TEMPFAIL and everything else (69 UNAVAILABLE, a signal...) -> 111 (retry)\n"
		"[ $# -eq 1 ] || { echo \"usage: $0 USER\" >&2; exit 100; }\n"
		"%s -a \"$1\" \"$1\"\n"
		"status=$?\n"
		"case $status in\n"
		"0) exit 0 ;;\n"
		"64|65|67|70|76|77|78|100|112) echo \"cyrus deliver failed (exit $status)\" >&2; exit 100 ;;\n"
		"*) echo \"cyrus deliver failed (exit $status), will retry\" >&2; exit 111 ;;\n"
		"esac\n", quoted);
}

/* A Sieve quoted string (RFC 5228 2.4.2): '"' and '\' escaped. */
static void
append_sieve_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *s);
	}
	g_string_append_c(out, '"');
}

char *
forward_format_sieve(const ForwardFormatSettings *settings, const char *user,
                     GPtrArray *entries)
{
	gboolean local_copy;
	g_autoptr(GPtrArray) addresses = exported(settings, entries, &local_copy);
	if (addresses->len == 0)
		return NULL;
	GString *out = g_string_new(NULL);
	g_string_append(out, "# mbox2cyrus " M2C_VERSION " forwards: ~");
	/* a user name is no comment breaker, but keep the line a line */
	for (const char *p = user; *p != '\0'; p++)
		g_string_append_c(out, (unsigned char)*p < 0x20 ? '?' : *p);
	g_string_append(out, "/.forward\n");
	if (local_copy)
		g_string_append(out, "require [\"copy\"];\n");
	for (guint i = 0; i < addresses->len; i++) {
		g_string_append(out, local_copy ? "redirect :copy " : "redirect ");
		append_sieve_string(out, g_ptr_array_index(addresses, i));
		g_string_append(out, ";\n");
	}
	if (local_copy)
		g_string_append(out, "keep;\n");
	return g_string_free(out, FALSE);
}
