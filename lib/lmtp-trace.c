/* lmtp-trace.c -- see lmtp-trace.h.  One pass over the header block's lines for
 * lmtp_trace_find(); the streaming digest holds the header block until its empty line,
 * asks lmtp_trace_find() about it, then hashes the rest as it passes. */
#include "lmtp-trace.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "failure.h"

#include <string.h>

#define FIELD "X-DeliveredInternalDate:"

static const char *const weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

char *
lmtp_trace_format(gint64 unix_time, const char *key, guint64 number, guint adds)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_time);

	g_return_val_if_fail(dt != NULL && g_date_time_get_year(dt) <= 9999, NULL);
	g_return_val_if_fail(key != NULL && strlen(key) == 16, NULL);
	g_return_val_if_fail(number >= 1 && number <= G_MAXUINT32, NULL);
	/* names by hand: %a and %b follow the locale */
	return g_strdup_printf(FIELD " %s, %02d %s %04d %02d:%02d:%02d +0000 (mbox2cyrus %s.%"
	                       G_GUINT64_FORMAT "%s%s)\r\n",
	                       weekdays[g_date_time_get_day_of_week(dt) - 1], g_date_time_get_day_of_month(dt),
	                       months[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt),
	                       g_date_time_get_hour(dt), g_date_time_get_minute(dt),
	                       g_date_time_get_second(dt), key, number,
	                       adds & LMTP_TRACE_ADDS_MESSAGE_ID ? " +message-id" : "",
	                       adds & LMTP_TRACE_ADDS_DATE ? " +date" : "");
}

/* One line of `data`: [start, end) its text without the line end, next where the
 * following line starts; terminated: it ends in LF. */
typedef struct {
	gsize start, end, next;
	gboolean terminated;
} Line;

static void
line_at(const char *data, gsize len, gsize start, Line *line)
{
	const char *lf = memchr(data + start, '\n', len - start);
	line->start = start;
	line->terminated = lf != NULL;
	line->next = lf ? (gsize)(lf - data) + 1 : len;
	line->end = lf ? (gsize)(lf - data) : len;
	if (lf != NULL && line->end > start && data[line->end - 1] == '\r')
		line->end--;
}

static gboolean
is_empty_line(const Line *line)
{
	return line->terminated && line->end == line->start;
}

static gboolean
is_continuation(const char *data, const Line *line)
{
	return line->end > line->start && (data[line->start] == ' ' || data[line->start] == '\t');
}

/* "Name:" with printable name characters (RFC 5322 ftext), blanks before the colon
 * allowed when `blanks`. */
static gboolean
is_field(const char *data, const Line *line, gboolean blanks)
{
	gsize p = line->start;
	while (p < line->end && data[p] > 32 && data[p] < 127 && data[p] != ':')
		p++;
	if (p == line->start)
		return FALSE;
	while (blanks && p < line->end && (data[p] == ' ' || data[p] == '\t'))
		p++;
	return p < line->end && data[p] == ':';
}

/* The line is the field `name` (any case; `name` without the colon). */
static gboolean
is_named(const char *data, const Line *line, const char *name, gboolean blanks)
{
	gsize n = strlen(name);
	if (line->end - line->start < n || g_ascii_strncasecmp(data + line->start, name, n) != 0)
		return FALSE;
	gsize p = line->start + n;
	while (blanks && p < line->end && (data[p] == ' ' || data[p] == '\t'))
		p++;
	return p < line->end && data[p] == ':';
}

/* `n` decimal digits at `p` into `*out`. */
static gboolean
digits(const char *p, guint n, gint *out)
{
	gint v = 0;
	for (guint i = 0; i < n; i++) {
		if (!g_ascii_isdigit(p[i]))
			return FALSE;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return TRUE;
}

static gint
name_index(const char *p, const char *const *names, guint n)
{
	for (guint i = 0; i < n; i++)
		if (memcmp(p, names[i], 3) == 0)
			return (gint)i;
	return -1;
}

/* "Ddd, DD Mon YYYY HH:MM:SS +0000" (31 bytes at `p`), the weekday right. */
static gboolean
parse_date(const char *p, gint64 *out)
{
	gint wday = name_index(p, weekdays, 7), mon = name_index(p + 8, months, 12);
	gint day, year, hour, minute, second;

	if (wday < 0 || mon < 0 || memcmp(p + 3, ", ", 2) != 0 || p[7] != ' ' || p[11] != ' ' ||
	    p[16] != ' ' || p[19] != ':' || p[22] != ':' || memcmp(p + 25, " +0000", 6) != 0 ||
	    !digits(p + 5, 2, &day) || !digits(p + 12, 4, &year) || !digits(p + 17, 2, &hour) ||
	    !digits(p + 20, 2, &minute) || !digits(p + 23, 2, &second) || year < 1)
		return FALSE;
	g_autoptr(GDateTime) dt = g_date_time_new_utc(year, mon + 1, day, hour, minute, second);
	if (dt == NULL || g_date_time_get_day_of_week(dt) != wday + 1)
		return FALSE;
	*out = g_date_time_to_unix(dt);
	return TRUE;
}

/* Parse the delivery header line's text [p, end) into `t`. */
static gboolean
parse_line(const char *p, const char *end, LmtpTrace *t)
{
	static const char comment[] = " (mbox2cyrus ";
	static const char *const flags[] = { " +message-id", " +date" };
	gsize flen = strlen(FIELD);
	guint64 n = 0;

	if ((gsize)(end - p) < flen + 1 + 31 + strlen(comment) + 16 + 3 ||
	    g_ascii_strncasecmp(p, FIELD, flen) != 0 || p[flen] != ' ')
		return FALSE;
	p += flen + 1;
	if (!parse_date(p, &t->date))
		return FALSE;
	p += 31;
	if (memcmp(p, comment, strlen(comment)) != 0)
		return FALSE;
	p += strlen(comment);
	for (guint i = 0; i < 16; i++)
		if (!g_ascii_isxdigit(p[i]) || g_ascii_isupper(p[i]))
			return FALSE;
	memcpy(t->key, p, 16);
	t->key[16] = '\0';
	p += 16;
	if (*p++ != '.' || p >= end || *p < '1' || *p > '9')
		return FALSE;
	while (p < end && g_ascii_isdigit(*p) && n <= G_MAXUINT32)
		n = n * 10 + (guint64)(*p++ - '0');
	if (n > G_MAXUINT32)
		return FALSE;
	t->number = n;
	t->adds = 0;
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		gsize l = strlen(flags[i]);
		if ((gsize)(end - p) >= l && memcmp(p, flags[i], l) == 0) {
			t->adds |= 1u << i;
			p += l;
		}
	}
	return end - p == 1 && *p == ')';
}

gboolean
lmtp_trace_find(const char *data, gsize len, LmtpTrace *trace_out)
{
	Line line, delivery = { 0 };
	gboolean found = FALSE;
	/* the last two lines of the block: [1] the last, [0] the one before */
	Line last[2] = { { 0 }, { 0 } };
	guint nlast = 0;
	gsize at = 0, block_end = len;

	if (data == NULL && len > 0)
		return FALSE;
	while (at < len) {
		line_at(data, len, at, &line);
		if (is_empty_line(&line)) {
			block_end = line.start;
			break;
		}
		if (!found) {
			if (is_named(data, &line, "X-DeliveredInternalDate", FALSE)) {
				if (!line.terminated || !parse_line(data + line.start, data + line.end, trace_out))
					return FALSE;
				delivery = line;
				found = TRUE;
			} else if (is_continuation(data, &line) ? at == 0 : !is_field(data, &line, TRUE)) {
				return FALSE;   /* not a header line: not Cyrus's prepending */
			}
		} else {
			if (line.start == delivery.next && is_continuation(data, &line))
				return FALSE;   /* our line is never folded */
			last[0] = last[1];
			last[1] = line;
			nlast = MIN(nlast + 1, 2u);
		}
		at = line.next;
	}
	if (!found)
		return FALSE;
	trace_out->head_start = delivery.next;
	trace_out->body_start = block_end;
	gsize head_end = block_end;
	/* Cyrus's additions, from the block's end: Date (last), then Message-ID */
	static const struct { guint add; const char *name; } added[] = {
		{ LMTP_TRACE_ADDS_DATE, "Date" }, { LMTP_TRACE_ADDS_MESSAGE_ID, "Message-ID" },
	};
	gint i = 1;   /* last[i]: the next line from the end; nlast of them are lines */
	for (guint a = 0; a < G_N_ELEMENTS(added); a++) {
		if (!(trace_out->adds & added[a].add))
			continue;
		if (i < 2 - (gint)nlast || !last[i].terminated || !is_named(data, &last[i], added[a].name, FALSE))
			return FALSE;
		head_end = last[i--].start;
	}
	trace_out->head_end = head_end;
	return TRUE;
}

gboolean
lmtp_trace_has_field(const char *data, gsize len, const char *name)
{
	Line line;
	for (gsize at = 0; at < len; at = line.next) {
		line_at(data, len, at, &line);
		if (is_empty_line(&line))
			break;
		if (is_named(data, &line, name, TRUE))
			return TRUE;
	}
	return FALSE;
}

/* The part of [at, at + len) inside [from, to), to `write`. */
static gboolean
copy_range(guint64 from, guint64 to, guint64 at, const char *data, gsize len,
           LmtpTraceWriteFunc write, gpointer user_data, GError **error)
{
	guint64 lo = MAX(from, at), hi = MIN(to, at + len);
	if (lo >= hi)
		return TRUE;
	return write(data + (lo - at), (gsize)(hi - lo), user_data, error);
}

gboolean
lmtp_trace_copy(const LmtpTrace *trace, guint64 at, const char *data, gsize len,
                LmtpTraceWriteFunc write, gpointer user_data, GError **error)
{
	return copy_range(trace->head_start, trace->head_end, at, data, len, write, user_data, error) &&
	       copy_range(trace->body_start, G_MAXUINT64, at, data, len, write, user_data, error);
}

typedef enum {
	DIGEST_HEADER,    /* holding the header block */
	DIGEST_BODY,      /* ours: hashing the rest */
	DIGEST_NOT_OURS,  /* passing the rest by */
} DigestState;

struct LmtpTraceDigest {
	gsize limit;
	DigestState state;
	GByteArray *header;
	gsize scanned;        /* the header's lines before this are not empty */
	guint64 stored;       /* bytes fed */
	guint64 size;         /* the original's bytes hashed */
	LmtpTrace trace;
	GChecksum *sha1;
};

LmtpTraceDigest *
lmtp_trace_digest_new(gsize header_limit)
{
	LmtpTraceDigest *d = g_new0(LmtpTraceDigest, 1);
	d->limit = header_limit ? header_limit : LMTP_TRACE_HEADER_LIMIT;
	d->header = g_byte_array_new();
	d->sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	return d;
}

void
lmtp_trace_digest_free(LmtpTraceDigest *d)
{
	if (d == NULL)
		return;
	g_byte_array_unref(d->header);
	g_checksum_free(d->sha1);
	g_free(d);
}

void
lmtp_trace_digest_reset(LmtpTraceDigest *d)
{
	d->state = DIGEST_HEADER;
	g_byte_array_set_size(d->header, 0);
	d->scanned = 0;
	d->stored = d->size = 0;
	g_checksum_reset(d->sha1);
}

static void
hash(LmtpTraceDigest *d, const guint8 *data, gsize len)
{
	g_checksum_update(d->sha1, data, (gssize)len);
	d->size += len;
}

/* The held bytes, the header block ending at `block_end` (or the whole message):
 * ours or not; when ours, what of them the original has, hashed. */
static void
decide(LmtpTraceDigest *d, gsize block_end)
{
	const guint8 *h = d->header->data;
	if (!lmtp_trace_find((const char *)h, block_end, &d->trace)) {
		d->state = DIGEST_NOT_OURS;
		g_byte_array_set_size(d->header, 0);
		return;
	}
	d->state = DIGEST_BODY;
	hash(d, h + d->trace.head_start, d->trace.head_end - d->trace.head_start);
	hash(d, h + d->trace.body_start, d->header->len - d->trace.body_start);
}

void
lmtp_trace_digest_feed(LmtpTraceDigest *d, const char *data, gsize len)
{
	d->stored += len;
	if (d->state == DIGEST_BODY) {
		hash(d, (const guint8 *)data, len);
		return;
	}
	if (d->state == DIGEST_NOT_OURS)
		return;
	g_byte_array_append(d->header, (const guint8 *)data, (guint)len);
	const char *h = (const char *)d->header->data;
	for (;;) {
		Line line;
		line_at(h, d->header->len, d->scanned, &line);
		if (!line.terminated || line.next > d->limit)
			break;
		if (is_empty_line(&line)) {
			decide(d, line.next);
			return;
		}
		d->scanned = line.next;
	}
	if (d->header->len > d->limit) {
		d->state = DIGEST_NOT_OURS;
		g_byte_array_set_size(d->header, 0);
	}
}

gboolean
lmtp_trace_digest_finish(LmtpTraceDigest *d, LmtpTrace *trace_out, guint8 sha1_out[20],
                         guint64 *size_out)
{
	gsize n = 20;
	if (d->state == DIGEST_HEADER)
		decide(d, d->header->len);   /* no empty line: the whole message */
	if (d->state != DIGEST_BODY)
		return FALSE;
	*trace_out = d->trace;
	g_checksum_get_digest(d->sha1, sha1_out, &n);
	*size_out = d->size;
	return TRUE;
}

gboolean
lmtp_trace_secret(const char *state_dir, gboolean create, guchar secret[32], GError **error)
{
	g_autofree char *path = g_build_filename(state_dir, "lmtp.secret", NULL);
	if (create && g_mkdir_with_parents(state_dir, 0700) != 0) {
		failure_set_errno(error, errno, "%s", state_dir);
		return FALSE;
	}
	for (int attempt = 0; attempt < 50; attempt++) {
		int fd = create ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
		if (fd >= 0) {
			gboolean ok = getrandom(secret, 32, 0) == 32 && write(fd, secret, 32) == 32 &&
			              fsync(fd) == 0;
			int e = errno;
			close(fd);
			if (!ok) {
				unlink(path);
				failure_set_errno(error, e, "%s", path);
			}
			return ok;
		}
		if (create && errno != EEXIST) {
			failure_set_errno(error, errno, "%s", path);
			return FALSE;
		}
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			failure_set_errno(error, errno, "%s", path);
			return FALSE;
		}
		ssize_t n = read(fd, secret, 32);
		close(fd);
		if (n == 32)
			return TRUE;
		g_usleep(20000);   /* another run is writing it */
	}
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not 32 bytes: delete it", path);
	return FALSE;
}

void
lmtp_trace_key(const guchar secret[32], const char *mailbox, const char *source,
               guint32 uidvalidity, char key_out[17])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *v = g_strdup_printf("%u", uidvalidity);
	g_checksum_update(sum, secret, 32);
	g_checksum_update(sum, (const guchar *)mailbox, (gssize)strlen(mailbox) + 1);
	g_checksum_update(sum, (const guchar *)source, (gssize)strlen(source) + 1);
	g_checksum_update(sum, (const guchar *)v, -1);
	memcpy(key_out, g_checksum_get_string(sum), 16);
	key_out[16] = '\0';
}

GHashTable *
lmtp_trace_keys(const guchar secret[32], const char *mailbox, const GPtrArray *sources,
                guint32 uidvalidity)
{
	GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; sources != NULL && i < sources->len; i++) {
		const char *source = g_ptr_array_index(sources, i);
		char key[17];
		if (source == NULL)
			continue;
		lmtp_trace_key(secret, mailbox, source, uidvalidity, key);
		g_hash_table_add(keys, g_strdup(key));
	}
	return keys;
}
