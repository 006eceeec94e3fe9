/* mbexamine-private.h -- what mbexamine.c (the stream, the header) and
 * mbexamine-record.c (a message's record) share: the parser's state, the cursor that
 * reads a line's fields, the error.  See mbexamine.h. */
#ifndef M2C_MBEXAMINE_PRIVATE_H
#define M2C_MBEXAMINE_PRIVATE_H

#include <string.h>

#include "imap-digest.h"
#include "mbexamine.h"

/* The cache items after a record, in order (mbexamine.c). */
extern const char *const mbexamine_cache_names[];
#define N_CACHE 9u

#define USER_FLAG_WORDS 4   /* MAX_USER_FLAGS / 32 in Cyrus 3.6 */
#define MAX_USER_FLAGS (USER_FLAG_WORDS * 32)
#define SHOWN 120           /* bytes of a bad line quoted in an error */

/* The next line of a message record. */
typedef enum { R_UID, R_SYSFLAGS, R_FLAGS, R_USERFLAGS, R_CACHE } RecordStep;

struct MbExamineParser {
	char *mailbox;
	GString *line;
	guint64 line_number;        /* of the line being read, from 1 */
	guint64 item_left;          /* bytes of a cache item still to skip */
	gboolean after_item;        /* an item skipped: its "\n" must come next */
	gboolean spent;
	gboolean started;           /* a byte seen */
	gboolean first_seen;        /* the "Examining" line */
	guint header;               /* the next header line (H_*); H_COUNT: messages */
	guint64 minor_version;
	guint64 n_listed;           /* "Number of Messages" */
	guint64 n_counted;          /* records not marked expunged */
	RecordStep step;
	guint cache;                /* cache items seen of the last record */
	guint32 last_record_uid;
	guint n_user_flags;
	ImapDigest *current;        /* the record being read */
	guint current_internal;
	guint32 current_sysflags;
	MbExamineMailbox result;
};

/* Set M2C_CYRUS_TOOL_ERROR_OUTPUT: the mailbox, the line number, the reason and (when
 * `line` is given) a cut, escaped copy of the line.  The parser is spent.  FALSE. */
gboolean mbexamine_bad(MbExamineParser *p, GError **error, const char *line, gsize len,
                       const char *format, ...) G_GNUC_PRINTF(5, 6);
#define bad mbexamine_bad

/* A line of the "Message Info" part (mbexamine-record.c). */
gboolean mbexamine_message_line(MbExamineParser *p, const char *line, gsize len,
                                GError **error);

/* ---- reading fields ---- */

typedef struct {
	const char *at;
	const char *end;
} Cur;

static inline gboolean
cur_lit(Cur *c, const char *lit)
{
	gsize n = strlen(lit);
	if ((gsize)(c->end - c->at) < n || memcmp(c->at, lit, n) != 0)
		return FALSE;
	c->at += n;
	return TRUE;
}

static inline void
cur_spaces(Cur *c)
{
	while (c->at < c->end && *c->at == ' ')
		c->at++;
}

static inline gboolean
cur_end(const Cur *c)
{
	return c->at == c->end;
}

/* 1 to 20 decimal digits, at most `max`. */
static inline gboolean
cur_uint(Cur *c, guint64 max, guint64 *out)
{
	guint64 v = 0;
	const char *start = c->at;
	while (c->at < c->end && g_ascii_isdigit(*c->at)) {
		guint d = (guint)(*c->at - '0');
		if (v > (max - d) / 10)
			return FALSE;
		v = v * 10 + d;
		c->at++;
	}
	*out = v;
	return c->at > start;
}

static inline gboolean
cur_int(Cur *c, gint64 *out)
{
	gboolean negative = cur_lit(c, "-");
	guint64 v;
	if (!cur_uint(c, negative ? (guint64)G_MAXINT64 + 1 : (guint64)G_MAXINT64, &v))
		return FALSE;
	*out = negative ? (gint64)(0 - v) : (gint64)v;
	return TRUE;
}

/* `min` to `max` hex digits (either case; max <= 16). */
static inline gboolean
cur_hex(Cur *c, guint min, guint max, guint64 *out)
{
	guint64 v = 0;
	guint n = 0;
	while (c->at < c->end && g_ascii_isxdigit(*c->at) && n < max) {
		v = v << 4 | (guint64)g_ascii_xdigit_value(*c->at);
		c->at++;
		n++;
	}
	*out = v;
	return n >= min && !(c->at < c->end && g_ascii_isxdigit(*c->at));
}

/* A run of bytes up to a space or the end, at least one. */
static inline gboolean
cur_word(Cur *c, const char **word_out, gsize *len_out)
{
	const char *start = c->at;
	while (c->at < c->end && *c->at != ' ')
		c->at++;
	*word_out = start;
	*len_out = (gsize)(c->at - start);
	return c->at > start;
}

static inline gboolean
word_is(const char *word, gsize len, const char *name)
{
	return strlen(name) == len && memcmp(word, name, len) == 0;
}

#endif
