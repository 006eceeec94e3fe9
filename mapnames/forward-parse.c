/* forward-parse.c -- a ~/.forward file into entries (forward-parse.h).
 *
 * The order: physical lines (LF, a CR before it dropped); each line's comment cut
 * (a '#' outside quotes at the start of a token); a line starting with a space or tab
 * joined to the one before; each logical line cut into tokens at commas, spaces and
 * tabs outside quotes; each token classified. */
#include <string.h>

#include "forward-parse.h"

ForwardEntry *
forward_entry_new(ForwardKind kind, const char *text, const char *reason)
{
	ForwardEntry *entry = g_new0(ForwardEntry, 1);
	entry->kind = kind;
	entry->text = g_strdup(text);
	entry->reason = g_strdup(reason);
	return entry;
}

void
forward_entry_free(ForwardEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->text);
	g_free(entry->reason);
	g_free(entry);
}

const char *
forward_kind_name(ForwardKind kind)
{
	static const char *const names[] = {
		"address", "local_copy", "pipe", "file", "include", "vacation", "bad",
	};
	g_assert((guint)kind < G_N_ELEMENTS(names));
	return names[kind];
}

/* `bytes` with control and 8-bit bytes as \xNN (and '\' itself kept), new. */
static char *
printable(const char *bytes, gsize len)
{
	GString *out = g_string_sized_new(len);
	for (gsize i = 0; i < len; i++) {
		unsigned char c = (unsigned char)bytes[i];
		if (c < 0x20 || c >= 0x7f)
			g_string_append_printf(out, "\\x%02X", c);
		else
			g_string_append_c(out, (char)c);
	}
	return g_string_free(out, FALSE);
}

static gboolean
has_unprintable(const char *s, gboolean *eight_bit_out)
{
	gboolean found = FALSE;
	*eight_bit_out = FALSE;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80)
			*eight_bit_out = TRUE;
		if (*p < 0x20 || *p >= 0x7f)
			found = TRUE;
	}
	return found;
}

/* RFC 5322 atext */
static gboolean
is_atext(unsigned char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static gboolean
is_dot_atom(const char *s, gsize len)
{
	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext((unsigned char)s[i]))
			return FALSE;
	}
	return TRUE;
}

/* RFC 5321 Quoted-string: qtextSMTP (32-126 but " and \) or quoted-pair */
static gboolean
is_quoted_string(const char *s, gsize len)
{
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return FALSE;
	for (gsize i = 1; i < len - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			if (++i >= len - 1 || (unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
				return FALSE;
		} else if (c < 32 || c > 126 || c == '"') {
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
is_domain(const char *s)
{
	gsize len = strlen(s);
	if (len == 0 || len > 255)
		return FALSE;
	if (s[0] == '[') {
		/* address literal: [1.2.3.4] or [IPv6:...] */
		if (s[len - 1] != ']')
			return FALSE;
		g_autofree char *inner = g_strndup(s + 1, len - 2);
		if (g_str_has_prefix(inner, "IPv6:"))
			return strchr(inner + 5, ':') != NULL && g_hostname_is_ip_address(inner + 5);
		return strchr(inner, ':') == NULL && g_hostname_is_ip_address(inner);
	}
	g_auto(GStrv) labels = g_strsplit(s, ".", -1);
	for (char **l = labels; *l != NULL; l++) {
		gsize n = strlen(*l);
		if (n == 0 || n > 63 || (*l)[0] == '-' || (*l)[n - 1] == '-')
			return FALSE;
		for (gsize i = 0; i < n; i++)
			if (!g_ascii_isalnum((*l)[i]) && (*l)[i] != '-')
				return FALSE;
	}
	return TRUE;
}

const char *
forward_address_problem(const char *address, gboolean allow_bare)
{
	gboolean eight_bit;
	if (has_unprintable(address, &eight_bit))
		return eight_bit ? "8-bit bytes" : "control characters";
	const char *at = strrchr(address, '@');
	if (at == NULL) {
		if (!allow_bare)
			return "not an RFC 5321 mailbox: no @ domain";
		if (!is_dot_atom(address, strlen(address)) && !is_quoted_string(address, strlen(address)))
			return "not an RFC 5321 mailbox: no @ domain, and not a local name";
		return NULL;
	}
	gsize local_len = (gsize)(at - address);
	if (local_len == 0)
		return "not an RFC 5321 mailbox: empty local part";
	if (local_len > 64)
		return "not an RFC 5321 mailbox: local part over 64 bytes";
	if (!is_dot_atom(address, local_len) && !is_quoted_string(address, local_len))
		return "not an RFC 5321 mailbox: local part neither dot-atom nor quoted string";
	if (at[1] == '\0')
		return "not an RFC 5321 mailbox: empty domain";
	if (!is_domain(at + 1))
		return "not an RFC 5321 mailbox: bad domain";
	return NULL;
}

static void
add(GPtrArray *entries, ForwardKind kind, const char *text, gsize len, const char *reason)
{
	g_autofree char *shown = printable(text, len);
	g_ptr_array_add(entries, forward_entry_new(kind, shown, reason));
}

/* Is this command vacation(1)?  Its program's base name is "vacation". */
static gboolean
is_vacation(const char *command)
{
	while (*command == ' ' || *command == '\t')
		command++;
	gsize n = strcspn(command, " \t");
	g_autofree char *program = g_strndup(command, n);
	g_autofree char *base = g_path_get_basename(program);
	return strcmp(base, "vacation") == 0;
}

static void
classify_command(GPtrArray *entries, const char *command)
{
	add(entries, is_vacation(command) ? FORWARD_VACATION : FORWARD_PIPE, command,
	    strlen(command), NULL);
}

/* Would an aliases file (or a .forward) read `address` as something else than an
 * address?  sendmail's local mailer (F=:/|) takes a user part that starts, after an
 * opening quote, with '|', '/' or ':include:' as a program, a file or a list, so
 * "|cmd"@a-local-domain in aliases runs cmd; Postfix local(8) does the same for a
 * bare "|cmd".  Such a local part -- quoted, escaped or not -- names no mailbox
 * anyone uses: refused, never exported. */
static gboolean
is_smuggled(const char *address)
{
	const char *p = address;
	if (*p == '"') {
		p++;
		if (*p == '\\')
			p++;
	}
	return *p == '|' || *p == '/' || *p == '\\' || *p == ':';
}

#define SMUGGLED_REASON "a local part starting with '|', '/', '\\' or ':': aliases would " \
                        "read it as a pipe, file or :include:"

/* One token: `raw` as written, `unquoted` with a whole-token quote removed (else
 * NULL). */
static void
classify(GPtrArray *entries, const char *owner, const char *raw, const char *whole)
{
	const char *t = whole != NULL ? whole : raw;
	const char *problem;

	if (t[0] == '|') {
		classify_command(entries, t + 1);
	} else if (t[0] == '/') {
		add(entries, FORWARD_FILE, t, strlen(t), NULL);
	} else if (g_ascii_strncasecmp(t, ":include:", 9) == 0) {
		add(entries, FORWARD_INCLUDE, t + 9, strlen(t + 9), NULL);
	} else if (t[0] == '\\') {
		if (strcmp(t + 1, owner) == 0)
			add(entries, FORWARD_LOCAL_COPY, t + 1, strlen(t + 1), NULL);
		else if ((problem = forward_address_problem(t + 1, TRUE)) != NULL)
			add(entries, FORWARD_BAD, raw, strlen(raw), problem);
		else if (is_smuggled(t + 1))
			add(entries, FORWARD_BAD, raw, strlen(raw), SMUGGLED_REASON);
		else
			add(entries, FORWARD_ADDRESS, t + 1, strlen(t + 1), NULL);
	} else {
		gsize n = strlen(t);
		g_autofree char *address = (t[0] == '<' && n > 2 && t[n - 1] == '>')
		                           ? g_strndup(t + 1, n - 2) : g_strdup(t);
		if ((problem = forward_address_problem(address, TRUE)) != NULL)
			add(entries, FORWARD_BAD, raw, strlen(raw), problem);
		else if (is_smuggled(address))
			add(entries, FORWARD_BAD, raw, strlen(raw), SMUGGLED_REASON);
		else if (strcmp(address, owner) == 0)   /* a self-reference: sendmail and
		                                         * Postfix deliver it locally */
			add(entries, FORWARD_LOCAL_COPY, address, strlen(address), NULL);
		else
			add(entries, FORWARD_ADDRESS, address, strlen(address), NULL);
	}
}

/* Cut one logical line into tokens and classify each. */
static void
parse_line(GPtrArray *entries, const char *owner, const char *line)
{
	const char *p = line;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '|') {            /* the rest of the line is the command */
			g_autofree char *command = g_strstrip(g_strdup(p + 1));
			classify_command(entries, command);
			return;
		}
		const char *start = p;
		gboolean in_quote = FALSE, quoted_whole = (*p == '"');
		for (; *p != '\0' && (in_quote || !strchr(" \t,", *p)); p++) {
			if (in_quote && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_quote = !in_quote;
		}
		gsize len = (gsize)(p - start);
		g_autofree char *raw = g_strndup(start, len);
		if (in_quote) {
			add(entries, FORWARD_BAD, raw, len, "an unterminated quote");
			continue;
		}
		/* "..." alone (its closing quote last, none inside): a quoted pipe, file,
		 * or an address someone quoted whole */
		g_autofree char *whole = NULL;
		if (quoted_whole && len >= 2 && raw[len - 1] == '"' &&
		    strchr(raw + 1, '"') == raw + len - 1) {
			whole = g_strndup(raw + 1, len - 2);
			if (whole[0] != '|' && whole[0] != '/' && strchr(whole, '@') == NULL) {
				g_clear_pointer(&whole, g_free);   /* "john doe": a quoted local name */
			} else if (whole[0] == '|' || whole[0] == '/') {
				g_strstrip(whole);
			}
		}
		classify(entries, owner, raw, whole);
	}
}

/* The length of `line` (`len` bytes) before its comment: a '#' outside quotes at the
 * start of a token. */
static gsize
cut_comment(const char *line, gsize len)
{
	gboolean in_quote = FALSE, token_start = TRUE;
	for (gsize i = 0; i < len; i++) {
		char c = line[i];
		if (in_quote && c == '\\') {
			i++;
			continue;
		}
		if (c == '"')
			in_quote = !in_quote;
		else if (!in_quote && c == '#' && token_start)
			return i;
		token_start = !in_quote && (c == ' ' || c == '\t' || c == ',');
	}
	return len;
}

GPtrArray *
forward_parse(const char *owner, const char *bytes, gsize len)
{
	GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)forward_entry_free);
	g_autoptr(GString) logical = g_string_new(NULL);
	/* comments in the middle of a line, said after the line's own entries */
	g_autoptr(GPtrArray) said = g_ptr_array_new_with_free_func((GDestroyNotify)forward_entry_free);
	gsize pos = 0;

	while (pos < len) {
		const char *nl = memchr(bytes + pos, '\n', len - pos);
		gsize line_len = nl != NULL ? (gsize)(nl - (bytes + pos)) : len - pos;
		const char *line = bytes + pos;
		pos += line_len + (nl != NULL);
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		gboolean continues = line_len > 0 && (line[0] == ' ' || line[0] == '\t');
		gsize kept = cut_comment(line, line_len);
		if (!continues && logical->len > 0) {
			parse_line(entries, owner, logical->str);
			g_string_truncate(logical, 0);
			g_ptr_array_extend_and_steal(entries, g_steal_pointer(&said));
			said = g_ptr_array_new_with_free_func((GDestroyNotify)forward_entry_free);
		}
		gsize first = 0;
		while (first < line_len && (line[first] == ' ' || line[first] == '\t'))
			first++;
		if (kept > first && kept + 1 < line_len) {
			/* a '#' after a word: sendmail and Postfix read '#' as a comment only at the
			 * start of a line, so what follows may be addresses there: never dropped
			 * without a word */
			g_autofree char *rest = printable(line + kept, line_len - kept);
			g_ptr_array_add(said, forward_entry_new(FORWARD_BAD, g_strstrip(rest),
			                "after '#' in the middle of a line: a comment here, but sendmail and "
			                "Postfix take '#' as one only at the start of a line"));
		}
		/* a NUL byte would end the string early: keep it visible as garbage */
		for (gsize i = 0; i < kept; i++)
			g_string_append_c(logical, line[i] == '\0' ? '\x01' : line[i]);
		if (continues)
			g_string_append_c(logical, ' ');
	}
	if (logical->len > 0)
		parse_line(entries, owner, logical->str);
	g_ptr_array_extend_and_steal(entries, g_steal_pointer(&said));
	return entries;
}
