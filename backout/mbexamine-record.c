/* mbexamine-record.c -- a message's record in mbexamine's output (mbexamine.h):
 *     A  000001> UID:... INT_DATE:... SIZE:...
 *     B        > HDRSIZE:... SYSFLAGS:...      > CACHEVER:... GUID:... MODSEQ:...  THRID: ...
 *     C        > INTERNALFLAGS: ...      > SYSTEMFLAGS: ...
 *     D        > USERFLAGS: w3 w2 w1 w0
 * then the nine cache items or none (their bytes skipped by mbexamine.c). */
#include "mbexamine-private.h"

/* Cyrus's system flag bits (imap/mailbox.h), in its FETCH order (imap/index.c). */
static const struct {
	const char *name;
	guint32 bit;
	const char *flag;
} system_flags[] = {
	{ "FLAG_ANSWERED", 1u << 0, "\\Answered" }, { "FLAG_FLAGGED", 1u << 1, "\\Flagged" },
	{ "FLAG_DRAFT", 1u << 3, "\\Draft" },       { "FLAG_DELETED", 1u << 2, "\\Deleted" },
	{ "FLAG_SEEN", 1u << 4, "\\Seen" },
};
#define SYSTEM_FLAG_BITS 0x1fu

enum { INTERNAL_EXPUNGED = 1, INTERNAL_UNLINKED = 2, INTERNAL_ARCHIVED = 4,
       INTERNAL_CLEANUP = 8, INTERNAL_SNOOZED = 16 };
static const struct {
	const char *name;
	guint bit;
} internal_flags[] = {
	{ "FLAG_INTERNAL_EXPUNGED", INTERNAL_EXPUNGED }, { "FLAG_INTERNAL_UNLINKED", INTERNAL_UNLINKED },
	{ "FLAG_INTERNAL_ARCHIVED", INTERNAL_ARCHIVED }, { "FLAG_INTERNAL_NEEDS_CLEANUP", INTERNAL_CLEANUP },
	{ "FLAG_INTERNAL_SNOOZED", INTERNAL_SNOOZED },
};

/* ---- a message's record ---- */

static gboolean
record_uid(MbExamineParser *p, const char *line, gsize len, Cur *c, GError **error)
{
	guint64 v;
	gint64 date, other;

	if (p->cache != 0 && p->cache != N_CACHE)
		return bad(p, error, line, len, "the last message's cache items stop after %u of %u",
		           p->cache, (guint)N_CACHE);
	/* the first column is always 1 in 3.6 (mbexamine never counts it up) */
	if (!cur_uint(c, G_MAXUINT32, &v) || !cur_lit(c, "> UID:") || !cur_uint(c, G_MAXUINT32, &v) ||
	    v == 0)
		return bad(p, error, line, len, "bad UID");
	if (v <= p->last_record_uid || v > p->result.last_uid)
		return bad(p, error, line, len, "UID %" G_GUINT64_FORMAT " out of order (after %u, "
		           "last UID %u)", v, p->last_record_uid, p->result.last_uid);
	p->current = g_new0(ImapDigest, 1);
	p->current_internal = 0;
	p->current_sysflags = 0;
	p->current->uid = p->last_record_uid = (guint32)v;
	cur_spaces(c);
	if (!cur_lit(c, "INT_DATE:") || !cur_int(c, &date) || !cur_lit(c, " SENTDATE:") ||
	    !cur_int(c, &other) || !cur_lit(c, " SAVEDATE:") || !cur_int(c, &other))
		return bad(p, error, line, len, "bad dates");
	p->current->internaldate = date;
	if (!cur_lit(c, " SIZE:") || !cur_uint(c, G_MAXUINT32, &v))
		return bad(p, error, line, len, "bad size");
	p->current->size = v;
	cur_spaces(c);
	if (!cur_end(c))
		return bad(p, error, line, len, "unexpected text after the size");
	p->step = R_SYSFLAGS;
	return TRUE;
}

static gboolean
record_sysflags(MbExamineParser *p, const char *line, gsize len, Cur *c, GError **error)
{
	guint64 v;
	gint64 date;

	if (!cur_lit(c, "      > HDRSIZE:") || !cur_uint(c, G_MAXUINT32, &v))
		return bad(p, error, line, len, "expected HDRSIZE");
	cur_spaces(c);
	if (!cur_lit(c, "LASTUPD :") || !cur_int(c, &date) || !cur_lit(c, " SYSFLAGS:") ||
	    !cur_hex(c, 8, 8, &v))
		return bad(p, error, line, len, "bad LASTUPD or SYSFLAGS");
	p->current_sysflags = (guint32)v;
	if (!cur_lit(c, "      > CACHEVER:") || !cur_uint(c, G_MAXUINT32, &v))
		return bad(p, error, line, len, "bad CACHEVER");
	cur_spaces(c);
	if (!cur_lit(c, "GUID:"))
		return bad(p, error, line, len, "no GUID");
	for (guint i = 0; i < 20; i++) {
		if (c->end - c->at < 2 || !g_ascii_isxdigit(c->at[0]) || !g_ascii_isxdigit(c->at[1]))
			return bad(p, error, line, len, "the GUID is not 40 hex digits");
		p->current->sha1[i] = (guint8)(g_ascii_xdigit_value(c->at[0]) << 4 |
		                               g_ascii_xdigit_value(c->at[1]));
		c->at += 2;
	}
	if (c->at < c->end && *c->at != ' ')
		return bad(p, error, line, len, "the GUID is not 40 hex digits");
	if (p->minor_version >= 8 && (!cur_lit(c, " MODSEQ:") || !cur_uint(c, G_MAXUINT64, &v)))
		return bad(p, error, line, len, "bad MODSEQ");
	if (p->minor_version >= 13 && (!cur_lit(c, "  THRID: ") || !cur_hex(c, 1, 16, &v)))
		return bad(p, error, line, len, "bad THRID");
	if (!cur_end(c))
		return bad(p, error, line, len, "unexpected text after the GUID");
	p->step = R_FLAGS;
	return TRUE;
}

static gboolean
record_flags(MbExamineParser *p, const char *line, gsize len, Cur *c, GError **error)
{
	guint32 system = 0;
	const char *word;
	gsize n;

	if (!cur_lit(c, "      > INTERNALFLAGS:"))
		return bad(p, error, line, len, "expected INTERNALFLAGS");
	while (!cur_lit(c, "      > SYSTEMFLAGS:")) {
		gsize i;
		if (!cur_lit(c, " ") || !cur_word(c, &word, &n))
			return bad(p, error, line, len, "bad internal flags");
		for (i = 0; i < G_N_ELEMENTS(internal_flags); i++)
			if (word_is(word, n, internal_flags[i].name))
				break;
		if (i == G_N_ELEMENTS(internal_flags) || (p->current_internal & internal_flags[i].bit))
			return bad(p, error, line, len, "unknown or repeated internal flag \"%.*s\"",
			           (int)MIN(n, 60), word);
		p->current_internal |= internal_flags[i].bit;
	}
	while (!cur_end(c)) {
		gsize i;
		if (!cur_lit(c, " ") || !cur_word(c, &word, &n))
			return bad(p, error, line, len, "bad system flags");
		for (i = 0; i < G_N_ELEMENTS(system_flags); i++)
			if (word_is(word, n, system_flags[i].name))
				break;
		if (i == G_N_ELEMENTS(system_flags) || (system & system_flags[i].bit))
			return bad(p, error, line, len, "unknown or repeated system flag \"%.*s\"",
			           (int)MIN(n, 60), word);
		system |= system_flags[i].bit;
	}
	if ((p->current_sysflags & SYSTEM_FLAG_BITS) != system)
		return bad(p, error, line, len, "SYSTEMFLAGS disagree with SYSFLAGS %08X",
		           p->current_sysflags);
	p->step = R_USERFLAGS;
	return TRUE;
}

/* The record is whole: keep it, or leave it out when it is expunged. */
static void
record_done(MbExamineParser *p, guint32 words[USER_FLAG_WORDS])
{
	g_autoptr(ImapDigest) message = g_steal_pointer(&p->current);
	GPtrArray *flags = g_ptr_array_new();

	for (gsize i = 0; i < G_N_ELEMENTS(system_flags); i++)
		if (p->current_sysflags & system_flags[i].bit)
			g_ptr_array_add(flags, g_strdup(system_flags[i].flag));
	for (guint i = 0; i < p->n_user_flags; i++)
		if (words[i / 32] & (1u << (i % 32)))
			g_ptr_array_add(flags, g_strdup(p->result.user_flags[i]));
	g_ptr_array_add(flags, NULL);
	message->flags = (char **)g_ptr_array_free(flags, FALSE);
	if (!(p->current_internal & INTERNAL_EXPUNGED))
		p->n_counted++;
	if (p->current_internal & (INTERNAL_EXPUNGED | INTERNAL_UNLINKED))
		return;
	if (p->current_internal & INTERNAL_ARCHIVED)
		g_array_append_val(p->result.archived, message->uid);
	message->seq = p->result.messages->len + 1;
	g_ptr_array_add(p->result.messages, g_steal_pointer(&message));
}

static gboolean
record_userflags(MbExamineParser *p, const char *line, gsize len, Cur *c, GError **error)
{
	guint32 words[USER_FLAG_WORDS];

	if (!cur_lit(c, "      > USERFLAGS:"))
		return bad(p, error, line, len, "expected USERFLAGS");
	/* printed from the most significant word down: word 3 first */
	for (int w = USER_FLAG_WORDS - 1; w >= 0; w--) {
		guint64 v;
		if (!cur_lit(c, " ") || !cur_hex(c, 8, 8, &v))
			return bad(p, error, line, len, "USERFLAGS must be %d words of 8 hex digits",
			           USER_FLAG_WORDS);
		words[w] = (guint32)v;
	}
	if (!cur_end(c))
		return bad(p, error, line, len, "USERFLAGS must be %d words of 8 hex digits",
		           USER_FLAG_WORDS);
	for (guint i = p->n_user_flags; i < MAX_USER_FLAGS; i++)
		if (words[i / 32] & (1u << (i % 32)))
			return bad(p, error, line, len, "user flag %u set, but the mailbox has %u", i,
			           p->n_user_flags);
	record_done(p, words);
	p->step = R_CACHE;
	p->cache = 0;
	return TRUE;
}

gboolean
mbexamine_message_line(MbExamineParser *p, const char *line, gsize len, GError **error)
{
	Cur c = { line, line + len };

	switch (p->step) {
	case R_CACHE:
		if (len > 0 && g_ascii_isdigit(line[0]))
			return record_uid(p, line, len, &c, error);
		return bad(p, error, line, len, p->cache == 0 || p->cache == N_CACHE
		           ? "expected a message's UID line" : "expected a cache item");
	case R_SYSFLAGS:
		return record_sysflags(p, line, len, &c, error);
	case R_FLAGS:
		return record_flags(p, line, len, &c, error);
	case R_USERFLAGS:
		return record_userflags(p, line, len, &c, error);
	default:
		return bad(p, error, line, len, "expected a message record");
	}
}
