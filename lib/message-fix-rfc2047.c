/* message-fix-rfc2047.c -- one header field's words with raw bytes as RFC 2047
 * encoded-words (message-fix.h, rule 2).
 *
 * Order:
 *  1. lex the value into tokens: blanks (with their line breaks), words, and for
 *     structured fields quoted strings, comments' parentheses, <...> and specials.
 *     The lexer knows the charset's multi-byte units, so that a Shift_JIS trail byte
 *     '\' (0x955C is U+8868) or an ISO-2022-JP pair '"' is never taken for syntax;
 *  2. group the tokens that hold raw bytes into runs: tokens separated by blanks only.
 *     Decoders drop the blanks between adjacent encoded-words (RFC 2047 6.2), so a
 *     run's own blanks go inside its encoded text, and so does the blank towards an
 *     encoded-word already there;
 *  3. write the tokens back, each run as encoded-words of at most 45 bytes of UTF-8
 *     (12 + 60 characters: RFC 2047 2 allows 75), cut between characters (RFC 2047
 *     5), with CRLF inserted before a blank where a line would pass 76 characters
 *     (RFC 2047 2 for lines with encoded-words; RFC 5322 2.1.1 asks 78). */
#include "message-fix-private.h"

#include <string.h>

#define LINE_COLUMNS 76        /* RFC 2047 2: a line with encoded-words */
#define WORD_BYTES 45          /* UTF-8 bytes in one encoded-word */
#define WORD_OVERHEAD 12       /* "=?UTF-8?B?" and "?=" */
#define FOLD_MIN_BYTES 12      /* fold before a run when fewer of its bytes fit */

typedef enum { TOK_BLANK, TOK_WORD, TOK_QUOTED, TOK_ANGLE, TOK_SPECIAL } TokenKind;

typedef struct {
	TokenKind kind;
	gsize start, len;          /* in the value */
	guint depth;               /* comment nesting */
	gboolean jis_mode;         /* ISO-2022-JP: in two-byte mode where it starts */
	gboolean is_raw;           /* holds raw bytes */
	gint run;                  /* index of its run, or -1 */
} Token;

typedef struct {
	guint first, last;         /* tokens */
	gboolean quoted;           /* MIME: written inside double quotes */
	char *utf8;
	gsize utf8_len;
} Run;

typedef enum { UNITS_SINGLE, UNITS_SJIS, UNITS_DBCS, UNITS_JIS } UnitScheme;

typedef struct {
	const guchar *v;
	gsize len;
	UnitScheme scheme;
	gboolean jis_mode;
	gboolean escape_is_raw;    /* an ESC byte is to be encoded */
} Lexer;

static gboolean
is_blank(guchar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean
is_special(guchar c, FieldKind kind)
{
	return c == ',' || c == ';' || c == ':' || c == '>' || c == ')' ||
	       (kind == FIELD_MIME && c == '=');
}

static UnitScheme
unit_scheme(const char *charset)
{
	static const char *const sjis[] = { "SHIFT_JIS", "SHIFT-JIS", "SJIS", "CP932", "MS932",
	                                    "WINDOWS-31J", "MS_KANJI" };
	/* two-byte charsets whose trail bytes include ASCII */
	static const char *const dbcs[] = { "BIG5", "BIG5-HKSCS", "CP950", "GBK", "CP936",
	                                    "GB18030", "CP949", "UHC", "JOHAB" };
	for (gsize i = 0; i < G_N_ELEMENTS(sjis); i++)
		if (g_ascii_strcasecmp(charset, sjis[i]) == 0)
			return UNITS_SJIS;
	for (gsize i = 0; i < G_N_ELEMENTS(dbcs); i++)
		if (g_ascii_strcasecmp(charset, dbcs[i]) == 0)
			return UNITS_DBCS;
	if (g_ascii_strncasecmp(charset, "ISO-2022-", 9) == 0)
		return UNITS_JIS;
	return UNITS_SINGLE;
}

/* The length of the character unit at `i`; follows ISO-2022 escapes, so call it once
 * per unit, in order. */
static gsize
unit_length(Lexer *lx, gsize i)
{
	guchar c = lx->v[i];
	gsize left = lx->len - i;

	switch (lx->scheme) {
	case UNITS_SJIS:
		return left >= 2 && ((c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)) ? 2 : 1;
	case UNITS_DBCS:
		return left >= 2 && c >= 0x81 && c <= 0xfe ? 2 : 1;
	case UNITS_JIS:
		if (c == 0x1b && left >= 3) {
			if (lx->v[i + 1] == '$')
				lx->jis_mode = TRUE;
			else if (lx->v[i + 1] == '(')
				lx->jis_mode = FALSE;
			return 3;
		}
		return lx->jis_mode && left >= 2 && c > 0x20 && c < 0x7f ? 2 : 1;
	case UNITS_SINGLE:
		break;
	}
	return 1;
}

/* Step over a quoted string or a <...> from its opening byte at `i` to past its
 * closing one (or the end); `escapes`: a backslash quotes the next unit. */
static gsize
skip_delimited(Lexer *lx, gsize i, guchar close, gboolean escapes)
{
	i += unit_length(lx, i);
	while (i < lx->len) {
		guchar c = lx->v[i];
		gsize n = unit_length(lx, i);
		i += n;
		if (n == 1 && escapes && c == '\\' && i < lx->len)
			i += unit_length(lx, i);
		else if (n == 1 && c == close)
			break;
	}
	return i;
}

static gboolean
is_raw_byte(const Lexer *lx, guchar c)
{
	return c >= 0x80 || (lx->escape_is_raw && c == 0x1b);
}

static gboolean
token_is_raw(const Lexer *lx, const Token *t)
{
	if (lx->scheme == UNITS_JIS && t->jis_mode)
		return TRUE;
	for (gsize i = t->start; i < t->start + t->len; i++)
		if (is_raw_byte(lx, lx->v[i]))
			return TRUE;
	return FALSE;
}

/* Step 1. */
static GArray *
lex(Lexer *lx, FieldKind kind)
{
	GArray *tokens = g_array_new(FALSE, TRUE, sizeof(Token));
	gboolean structured = kind != FIELD_UNSTRUCTURED;
	guint depth = 0;

	for (gsize i = 0; i < lx->len;) {
		Token t = { .start = i, .depth = depth, .jis_mode = lx->jis_mode, .run = -1 };
		guchar c = lx->v[i];
		gboolean syntax = structured && !lx->jis_mode;

		if (is_blank(c)) {
			t.kind = TOK_BLANK;
			while (i < lx->len && is_blank(lx->v[i]))
				i++;
		} else if (syntax && depth == 0 && (c == '"' || c == '<')) {
			t.kind = c == '"' ? TOK_QUOTED : TOK_ANGLE;
			i = skip_delimited(lx, i, c == '"' ? '"' : '>', c == '"');
		} else if (syntax && (c == '(' || (c == ')' && depth > 0))) {
			t.kind = TOK_SPECIAL;
			depth = c == '(' ? depth + 1 : depth - 1;
			i++;
		} else if (syntax && depth == 0 && is_special(c, kind)) {
			t.kind = TOK_SPECIAL;
			i++;
		} else {
			t.kind = TOK_WORD;
			while (i < lx->len) {
				guchar d = lx->v[i];
				if (is_blank(d) || (structured && !lx->jis_mode &&
				                    (d == '(' || d == ')' ||
				                     (depth == 0 && (d == '"' || d == '<' || is_special(d, kind))))))
					break;
				gsize n = unit_length(lx, i);
				i += n;
				if (n == 1 && d == '\\' && depth > 0 && i < lx->len)
					i += unit_length(lx, i);
			}
		}
		t.len = i - t.start;
		t.is_raw = token_is_raw(lx, &t);
		g_array_append_val(tokens, t);
	}
	return tokens;
}

/* Does the word hold an '@' of its own -- not the trail byte of a two-byte character
 * (Big5 A4 40, Shift_JIS 83 40, GBK 81 40 ...)? */
static gboolean
has_at_sign(const Lexer *lexer, const Token *t)
{
	Lexer lx = *lexer;
	lx.jis_mode = t->jis_mode;
	lx.len = t->start + t->len;
	for (gsize i = t->start; i < lx.len;) {
		gsize n = unit_length(&lx, i);
		if (n == 1 && lx.v[i] == '@')
			return TRUE;
		i += n;
	}
	return FALSE;
}

static gboolean
is_encodable(const Lexer *lx, const Token *t, FieldKind kind)
{
	if (!t->is_raw)
		return FALSE;
	if (t->kind == TOK_QUOTED)
		return TRUE;
	if (t->kind != TOK_WORD)
		return FALSE;
	/* a bare address: its bytes are the address's, not a name's */
	return kind != FIELD_ADDRESS || t->depth > 0 || !has_at_sign(lx, t);
}

static gboolean
looks_encoded(const Lexer *lx, const Token *t)
{
	const guchar *w = lx->v + t->start;
	return t->kind == TOK_WORD && !t->is_raw && t->len >= 8 && w[0] == '=' && w[1] == '?' &&
	       w[t->len - 2] == '?' && w[t->len - 1] == '=';
}

/* A blank's bytes without its line breaks (unfolded, RFC 5322 2.2.3). */
static void
append_unfolded(GString *text, const guchar *p, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n')
			g_string_append_c(text, (char)p[i]);
}

/* A quoted string's content, its quotes and quoting backslashes removed. */
static void
append_unquoted(GString *text, const Lexer *lexer, const Token *t)
{
	Lexer lx = *lexer;
	gsize end = t->start + t->len;
	if (end > t->start + 1 && lx.v[end - 1] == '"')
		end--;
	lx.len = end;
	lx.jis_mode = t->jis_mode;
	for (gsize i = t->start + 1; i < end;) {
		gsize n = unit_length(&lx, i);
		if (n == 1 && lx.v[i] == '\\' && i + 1 < end) {
			i++;
			n = unit_length(&lx, i);
		}
		g_string_append_len(text, (const char *)lx.v + i, (gssize)n);
		i += n;
	}
}

/* Step 2: the runs of `tokens`, their text converted to UTF-8. */
static GArray *
find_runs(const Lexer *lx, GArray *tokens, FieldKind kind, const char *charset)
{
	GArray *runs = g_array_new(FALSE, TRUE, sizeof(Run));
	Token *tok = (Token *)tokens->data;
	guint n = tokens->len;

	for (guint i = 0; i < n; i++) {
		if (!is_encodable(lx, &tok[i], kind))
			continue;
		Run run = { .first = i, .last = i };
		run.quoted = kind == FIELD_MIME && tok[i].depth == 0;
		while (!run.quoted && run.last + 2 < n && tok[run.last + 1].kind == TOK_BLANK &&
		       is_encodable(lx, &tok[run.last + 2], kind) &&
		       !(kind == FIELD_MIME && tok[run.last + 2].depth == 0))
			run.last += 2;

		g_autoptr(GString) text = g_string_new(NULL);
		gboolean absorb = !run.quoted;
		if (absorb && run.first >= 2 && tok[run.first - 1].kind == TOK_BLANK &&
		    looks_encoded(lx, &tok[run.first - 2]))
			append_unfolded(text, lx->v + tok[run.first - 1].start, tok[run.first - 1].len);
		for (guint j = run.first; j <= run.last; j++) {
			if (tok[j].kind == TOK_QUOTED)
				append_unquoted(text, lx, &tok[j]);
			else if (tok[j].kind == TOK_BLANK)
				append_unfolded(text, lx->v + tok[j].start, tok[j].len);
			else
				g_string_append_len(text, (const char *)lx->v + tok[j].start, (gssize)tok[j].len);
			tok[j].run = (gint)runs->len;
		}
		if (absorb && run.last + 2 < n && tok[run.last + 1].kind == TOK_BLANK &&
		    looks_encoded(lx, &tok[run.last + 2]))
			append_unfolded(text, lx->v + tok[run.last + 1].start, tok[run.last + 1].len);

		run.utf8 = message_fix_to_utf8(text->str, text->len, charset, &run.utf8_len);
		if (run.utf8 == NULL)   /* a part that its field's charset does not decode alone */
			run.utf8 = message_fix_to_utf8(text->str, text->len, "ISO-8859-1", &run.utf8_len);
		g_assert(run.utf8 != NULL);
		g_array_append_val(runs, run);
		i = run.last;
	}
	return runs;
}

/* Step 3. */
typedef struct {
	GString *out;
	gsize line_start;
	gboolean line_has_text;
} Writer;

static void
put(Writer *w, const char *p, gsize len)
{
	g_string_append_len(w->out, p, (gssize)len);
	for (gsize i = 0; i < len; i++)
		if (p[i] == '\n') {
			w->line_start = w->out->len - len + i + 1;
			w->line_has_text = FALSE;
		} else if (!is_blank((guchar)p[i])) {
			w->line_has_text = TRUE;
		}
}

static gsize
column(const Writer *w)
{
	return w->out->len - w->line_start;
}

static gsize
word_width(gsize bytes)
{
	return WORD_OVERHEAD + 4 * ((bytes + 2) / 3);
}

/* UTF-8 bytes an encoded-word may hold within `columns` */
static gsize
bytes_within(gsize columns)
{
	return columns < WORD_OVERHEAD + 4 ? 0 : MIN(WORD_BYTES, (columns - WORD_OVERHEAD) / 4 * 3);
}

/* The columns that the tokens from `i` to the next blank need on one line ("(" and
 * the start of a run in it, say); of a run, its first FOLD_MIN_BYTES. */
static gsize
needed_width(const Token *tok, guint n, const Run *runs, guint i)
{
	gsize width = 0;
	for (; i < n && tok[i].kind != TOK_BLANK; i++) {
		if (tok[i].run >= 0) {
			const Run *r = &runs[tok[i].run];
			return width + word_width(MIN(r->utf8_len, FOLD_MIN_BYTES)) + (r->quoted ? 1 : 0);
		}
		width += tok[i].len;
	}
	return width;
}

static void
put_run(Writer *w, const Run *r)
{
	gsize pos = 0;

	if (r->quoted)
		put(w, "\"", 1);
	while (pos < r->utf8_len) {
		gsize limit;
		if (pos == 0) {
			gsize room = LINE_COLUMNS - MIN(LINE_COLUMNS, column(w) + (r->quoted ? 1 : 0));
			limit = bytes_within(room) > 0 ? bytes_within(room) : WORD_BYTES;
		} else if (bytes_within(LINE_COLUMNS - MIN(LINE_COLUMNS, column(w) + 1)) >=
		           MIN(r->utf8_len - pos, WORD_BYTES)) {
			put(w, " ", 1);
			limit = WORD_BYTES;
		} else {
			put(w, "\r\n ", 3);
			limit = WORD_BYTES;
		}
		/* whole characters, at least one */
		const char *start = r->utf8 + pos, *end = start, *text_end = r->utf8 + r->utf8_len;
		do
			end = g_utf8_next_char(end);
		while (end < text_end && (gsize)(g_utf8_next_char(end) - start) <= limit);
		g_autofree char *base64 = g_base64_encode((const guchar *)start, (gsize)(end - start));
		g_autofree char *word = g_strconcat("=?UTF-8?B?", base64, "?=", NULL);
		put(w, word, strlen(word));
		pos = (gsize)(end - r->utf8);
	}
	if (r->quoted)
		put(w, "\"", 1);
}

gboolean
message_fix_encode_field(GString *out, const char *field, gsize len, gsize colon,
                         FieldKind kind, const char *charset, gboolean escape_is_raw,
                         gsize *raw_left_out)
{
	Lexer lx = {
		.v = (const guchar *)field + colon + 1,
		.len = len - colon - 1,
		.scheme = unit_scheme(charset),
		.escape_is_raw = escape_is_raw || unit_scheme(charset) == UNITS_JIS,
	};
	g_autoptr(GArray) tokens = lex(&lx, kind);
	GArray *runs = find_runs(&lx, tokens, kind, charset);
	const Token *tok = (const Token *)tokens->data;
	Writer w = { .out = out, .line_start = out->len };

	*raw_left_out = 0;
	for (guint i = 0; i < tokens->len; i++)
		if (tok[i].is_raw && tok[i].run < 0)
			for (gsize j = tok[i].start; j < tok[i].start + tok[i].len; j++)
				if (is_raw_byte(&lx, lx.v[j]))
					(*raw_left_out)++;
	if (runs->len == 0) {   /* nothing to encode: not even folded */
		g_array_free(runs, TRUE);
		g_string_append_len(out, field, (gssize)len);
		return FALSE;
	}
	put(&w, field, colon + 1);
	for (guint i = 0; i < tokens->len; i++) {
		const Token *t = &tok[i];
		const char *bytes = field + colon + 1 + t->start;
		if (t->run >= 0) {
			const Run *r = &g_array_index(runs, Run, t->run);
			put_run(&w, r);
			i = r->last;
			continue;
		}
		if (t->kind == TOK_BLANK && i + 1 < tokens->len && !memchr(bytes, '\n', t->len) &&
		    w.line_has_text &&
		    column(&w) + t->len + needed_width(tok, tokens->len, (const Run *)runs->data, i + 1) >
		    LINE_COLUMNS)
			put(&w, "\r\n", 2);   /* fold: the blank starts the next line */
		put(&w, bytes, t->len);
	}
	for (guint i = 0; i < runs->len; i++)
		g_free(g_array_index(runs, Run, i).utf8);
	g_array_free(runs, TRUE);
	return TRUE;
}
