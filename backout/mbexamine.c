/* mbexamine.c -- see mbexamine.h.
 *
 * Two layers: feed() cuts the stream into lines, and skips each cache item's bytes
 * by the length in its "{n}" (the item's line start, " Name>{n}", is handed over
 * before them); the line handlers check each line against what must come next:
 *     first line -> header lines (header_keys, in order) -> per message:
 *     A (UID) -> B (SYSFLAGS, GUID) -> C (INTERNALFLAGS, SYSTEMFLAGS) -> D (USERFLAGS)
 *     -> nine cache items or none
 * A cursor (Cur, mbexamine-private.h) reads a line's fields; every field read is
 * checked.  A message's record is read in mbexamine-record.c. */
#include "mbexamine-private.h"
#include "cyrus-tools.h"

#include <gio/gio.h>

/* The header lines, in order ("" a blank line); each key is how its line starts. */
enum { H_PATH, H_ACL, H_UNIQUEID, H_USERFLAGS, H_BLANK1, H_INDEX, H_GENERATION, H_MINOR,
       H_SIZES, H_NMESSAGES, H_APPENDDATE, H_UIDVALIDITY, H_COUNTS, H_OPTIONS, H_POP3,
       H_MODSEQ, H_BLANK2, H_MESSAGES, H_COUNT };
static const char *const header_keys[H_COUNT] = {
	"  Path to mailbox: ", "  Mailbox ACL: ", "  Unique ID: ", "  User Flags: ", "",
	" Index Header Info:", "  Generation Number: ", "  Minor Version: ", "  Header Size: ",
	"  Number of Messages: ", "  Last Append Date: ", "  UIDValidity: ", "  Deleted: ",
	"  Mailbox Options:", "  Last POP3 Login: ", "  Highest Mod Sequence: ", "",
	" Message Info:",
};

const char *const mbexamine_cache_names[N_CACHE] = { "Envel", "BdyStr", "Body", "CacHdr", "From",
                                           "To", "Cc", "Bcc", "Subjct" };
#define cache_names mbexamine_cache_names

MbExamineParser *
mbexamine_parser_new(const char *mailbox)
{
	MbExamineParser *p = g_new0(MbExamineParser, 1);
	p->mailbox = g_strdup(mailbox);
	p->line = g_string_new(NULL);
	p->line_number = 1;
	p->step = R_CACHE;   /* before the first record: "no record open" */
	p->result.messages = g_ptr_array_new_with_free_func((GDestroyNotify)imap_digest_free);
	p->result.archived = g_array_new(FALSE, FALSE, sizeof(guint32));
	return p;
}

void
mbexamine_mailbox_clear(MbExamineMailbox *mailbox)
{
	g_clear_pointer(&mailbox->path, g_free);
	g_clear_pointer(&mailbox->user_flags, g_strfreev);
	g_clear_pointer(&mailbox->messages, g_ptr_array_unref);
	g_clear_pointer(&mailbox->archived, g_array_unref);
}

void
mbexamine_parser_free(MbExamineParser *p)
{
	if (p == NULL)
		return;
	g_free(p->mailbox);
	g_string_free(p->line, TRUE);
	imap_digest_free(p->current);
	mbexamine_mailbox_clear(&p->result);
	g_free(p);
}

/* Set OUTPUT: the mailbox, the line number, the reason and (when `line` is given) a
 * cut, escaped copy of the line.  The parser is spent.  Always FALSE. */
gboolean
mbexamine_bad(MbExamineParser *p, GError **error, const char *line, gsize len, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	g_autofree char *why = g_strdup_vprintf(format, ap);
	va_end(ap);
	p->spent = TRUE;
	if (line == NULL) {
		g_set_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT,
		            "mbexamine \"%s\": line %" G_GUINT64_FORMAT ": %s", p->mailbox,
		            p->line_number, why);
		return FALSE;
	}
	g_autofree char *cut = g_strndup(line, MIN(len, SHOWN));
	g_autofree char *shown = g_strescape(cut, NULL);
	g_set_error(error, M2C_CYRUS_TOOL_ERROR, M2C_CYRUS_TOOL_ERROR_OUTPUT,
	            "mbexamine \"%s\": line %" G_GUINT64_FORMAT ": %s: \"%s\"%s", p->mailbox,
	            p->line_number, why, shown, len > SHOWN ? "..." : "");
	return FALSE;
}

/* ---- the header ---- */

/* A keyword as Cyrus keeps it: an IMAP atom (RFC 3501 9), not a \system flag. */
static gboolean
is_keyword(const char *word, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		guchar ch = (guchar)word[i];
		if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"\\]", ch) != NULL)
			return FALSE;
	}
	return len > 0;
}

static gboolean
parse_user_flags(MbExamineParser *p, const char *line, gsize len, Cur *c, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	if (cur_lit(c, "[none]") && cur_end(c)) {
		g_ptr_array_add(names, NULL);
		p->result.user_flags = (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
		return TRUE;
	}
	while (!cur_end(c)) {
		const char *word;
		gsize n;
		if (!cur_word(c, &word, &n) || !cur_lit(c, " "))
			return bad(p, error, line, len, "user flags: each name must be followed by one space");
		if (!is_keyword(word, n))
			return bad(p, error, line, len, "user flags: \"%.*s\" is not a keyword", (int)MIN(n, 60), word);
		for (guint i = 0; i < names->len; i++)
			if (word_is(word, n, names->pdata[i]))
				return bad(p, error, line, len, "user flags: \"%.*s\" twice", (int)MIN(n, 60), word);
		if (names->len == MAX_USER_FLAGS)
			return bad(p, error, line, len, "more than %d user flags", MAX_USER_FLAGS);
		g_ptr_array_add(names, g_strndup(word, n));
	}
	if (names->len == 0)
		return bad(p, error, line, len, "user flags: neither names nor \"[none]\"");
	p->n_user_flags = names->len;
	g_ptr_array_add(names, NULL);
	p->result.user_flags = (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
	return TRUE;
}

static gboolean
header_line(MbExamineParser *p, const char *line, gsize len, GError **error)
{
	const char *key = header_keys[p->header];
	Cur c = { line, line + len };
	guint64 v;

	if (!cur_lit(&c, key) || (*key == '\0' && len != 0))
		return bad(p, error, line, len, *key ? "expected a line starting \"%s\""
		           : "expected a blank line%s", key);
	switch (p->header++) {
	case H_PATH:
		if (c.at == c.end || *c.at != '/' || memchr(c.at, '\0', (gsize)(c.end - c.at)))
			return bad(p, error, line, len, "the mailbox's path is not absolute");
		p->result.path = g_strndup(c.at, (gsize)(c.end - c.at));
		return TRUE;
	case H_USERFLAGS:
		return parse_user_flags(p, line, len, &c, error);
	case H_MINOR:
		if (!cur_uint(&c, G_MAXUINT32, &v) || !cur_end(&c))
			return bad(p, error, line, len, "bad minor version");
		if (v < 7)
			return bad(p, error, line, len, "index version %" G_GUINT64_FORMAT " has no "
			           "GUIDs (reconstruct -V max upgrades it)", v);
		p->minor_version = v;
		return TRUE;
	case H_NMESSAGES:
		if (!cur_uint(&c, G_MAXUINT32, &p->n_listed) || !cur_lit(&c, "  Mailbox Size: "))
			return bad(p, error, line, len, "bad number of messages");
		return TRUE;
	case H_UIDVALIDITY:
		if (!cur_uint(&c, G_MAXUINT32, &v) || !cur_lit(&c, "  Last UID: "))
			return bad(p, error, line, len, "bad UIDValidity");
		p->result.uidvalidity = (guint32)v;
		if (!cur_uint(&c, G_MAXUINT32, &v) || !cur_end(&c))
			return bad(p, error, line, len, "bad last UID");
		p->result.last_uid = (guint32)v;
		return TRUE;
	case H_MESSAGES:
		if (!cur_end(&c))
			return bad(p, error, line, len, "expected \"Message Info:\" alone");
		return TRUE;
	default:   /* not needed: the key is enough */
		return TRUE;
	}
}

static gboolean
handle_line(MbExamineParser *p, const char *line, gsize len, GError **error)
{
	if (!p->first_seen) {
		g_autofree char *first = g_strdup_printf("Examining %s... Mailbox Header Info:", p->mailbox);
		if (strlen(first) != len || memcmp(first, line, len) != 0)
			return bad(p, error, line, len, "expected \"%s\"", first);
		p->first_seen = TRUE;
		return TRUE;
	}
	if (p->header < H_COUNT)
		return header_line(p, line, len, error);
	return mbexamine_message_line(p, line, len, error);
}

/* `line` is " Name>{digits" and a '}' came: a cache item starts. */
static gboolean
is_item_start(const GString *line)
{
	gsize i = 1;
	if (line->len < 5 || line->str[0] != ' ')
		return FALSE;
	while (i < line->len && g_ascii_isalpha(line->str[i]))
		i++;
	if (i == 1 || i + 2 >= line->len || line->str[i] != '>' || line->str[i + 1] != '{')
		return FALSE;
	for (i += 2; i < line->len; i++)
		if (!g_ascii_isdigit(line->str[i]))
			return FALSE;
	return TRUE;
}

static gboolean
item_start(MbExamineParser *p, GError **error)
{
	const char *line = p->line->str, *brace = strchr(line, '>');
	gsize name_len = (gsize)(brace - line - 1);
	Cur c = { brace + 2, line + p->line->len };
	guint64 n;

	if (p->header < H_COUNT || p->step != R_CACHE || p->cache == N_CACHE ||
	    !word_is(line + 1, name_len, cache_names[p->cache]))
		return bad(p, error, line, p->line->len, "a cache item out of place");
	if (!cur_uint(&c, MBEXAMINE_MAX_ITEM, &n) || !cur_end(&c))
		return bad(p, error, line, p->line->len, "a cache item longer than %d bytes",
		           MBEXAMINE_MAX_ITEM);
	p->cache++;
	p->item_left = n;
	p->after_item = TRUE;
	return TRUE;
}

gboolean
mbexamine_parser_feed(MbExamineParser *p, const char *bytes, gsize len, GError **error)
{
	if (p->spent)
		return bad(p, error, NULL, 0, "the output was refused already");
	if (len > 0)
		p->started = TRUE;
	while (len > 0) {
		if (p->item_left > 0) {
			gsize skip = (gsize)MIN(p->item_left, (guint64)len);
			for (const char *nl = bytes; (nl = memchr(nl, '\n', skip - (gsize)(nl - bytes))); nl++)
				p->line_number++;
			p->item_left -= skip;
			bytes += skip;
			len -= skip;
			continue;
		}
		if (p->after_item) {
			if (*bytes != '\n')
				return bad(p, error, NULL, 0, "cache item %s is not followed by a line end "
				           "(mbexamine cuts an item at a NUL byte)", cache_names[p->cache - 1]);
			p->after_item = FALSE;
			p->line_number++;
		} else if (*bytes == '\n') {
			if (!handle_line(p, p->line->str, p->line->len, error))
				return FALSE;
			g_string_truncate(p->line, 0);
			p->line_number++;
		} else if (*bytes == '}' && is_item_start(p->line)) {
			if (!item_start(p, error))
				return FALSE;
			g_string_truncate(p->line, 0);
		} else if (*bytes == '\0') {
			return bad(p, error, p->line->str, p->line->len, "a NUL byte");
		} else {
			if (p->line->len >= MBEXAMINE_MAX_LINE)
				return bad(p, error, p->line->str, p->line->len, "a line longer than %d bytes",
				           MBEXAMINE_MAX_LINE);
			g_string_append_c(p->line, *bytes);
		}
		bytes++;
		len--;
	}
	return TRUE;
}

gboolean
mbexamine_parser_finish(MbExamineParser *p, MbExamineMailbox *out, GError **error)
{
	memset(out, 0, sizeof *out);
	if (p->spent)
		return bad(p, error, NULL, 0, "the output was refused already");
	if (!p->started) {
		p->spent = TRUE;
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "mbexamine knows no mailbox \"%s\"",
		            p->mailbox);
		return FALSE;
	}
	if (p->item_left > 0 || p->after_item)
		return bad(p, error, NULL, 0, "the output ends inside cache item %s",
		           cache_names[p->cache - 1]);
	if (p->line->len > 0) {
		g_autofree char *opening = g_strdup_printf("Examining %s...", p->mailbox);
		if (!p->first_seen && strcmp(p->line->str, opening) == 0)
			return bad(p, error, NULL, 0, "mbexamine could not open the mailbox (syslog says why)");
		return bad(p, error, p->line->str, p->line->len, "the output ends inside a line");
	}
	if (p->header < H_COUNT)
		return bad(p, error, NULL, 0, "the output ends in the mailbox's header");
	if (p->step != R_CACHE || (p->cache != 0 && p->cache != N_CACHE))
		return bad(p, error, NULL, 0, "the output ends inside the record of UID %u",
		           p->last_record_uid);
	if (p->n_counted != p->n_listed)
		return bad(p, error, NULL, 0, "%" G_GUINT64_FORMAT " messages listed, the index says %"
		           G_GUINT64_FORMAT, p->n_counted, p->n_listed);
	p->spent = TRUE;
	*out = p->result;
	memset(&p->result, 0, sizeof p->result);
	return TRUE;
}
