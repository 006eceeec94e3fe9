/* imap-append.c -- see imap-append.h.  The command goes out on libetpan's stream
 * (mailimap_send_current_tag, mailstream_write); the answers are read raw
 * (imap_raw_next_line) because libetpan's parser cannot wait for a "+" in the middle
 * of a command that it did not send itself. */
#include "imap-append.h"

#include <string.h>

#include "imap-session-private.h"

struct ImapAppend {
	ImapSession *session;
	char *mailbox;
	char *what;              /* APPEND to "mailbox", for messages */
	ImapAppendCaps caps;
	guint64 sync_above;
	char *tag;               /* "N ", once the command is begun */
	guint count;
	GError *refused;         /* the server's refusal before the command's end */
};

gboolean
imap_append_caps(ImapSession *session, ImapAppendCaps *caps, GError **error)
{
	struct mailimap_capability_data *data = NULL;
	int r;

	memset(caps, 0, sizeof *caps);
	if (!imap_session_check_usable(session, "CAPABILITY", error))
		return FALSE;
	r = mailimap_capability(session->imap, &data);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, "CAPABILITY", error);
	for (clistiter *it = clist_begin(data->cap_list); it != NULL; it = clist_next(it)) {
		struct mailimap_capability *c = clist_content(it);
		const char *name = c->cap_data.cap_name;
		if (c->cap_type != MAILIMAP_CAPABILITY_NAME || name == NULL)
			continue;
		if (g_ascii_strcasecmp(name, "MULTIAPPEND") == 0)
			caps->multiappend = TRUE;
		else if (g_ascii_strcasecmp(name, "LITERAL+") == 0)
			caps->literal_plus = TRUE;
		else if (g_ascii_strcasecmp(name, "UIDPLUS") == 0)
			caps->uidplus = TRUE;
		else if (g_ascii_strncasecmp(name, "APPENDLIMIT=", 12) == 0)
			caps->append_limit = g_ascii_strtoull(name + 12, NULL, 10);
	}
	mailimap_capability_data_free(data);
	/* tests: act as with a server that lacks these (M2C_IMAP_WITHOUT="MULTIAPPEND
	 * LITERAL+"), to run the one-message, synchronising path against the real Cyrus */
	const char *without = g_getenv("M2C_IMAP_WITHOUT");
	if (without != NULL) {
		g_auto(GStrv) names = g_strsplit(without, " ", -1);
		for (guint i = 0; names[i] != NULL; i++) {
			if (g_ascii_strcasecmp(names[i], "MULTIAPPEND") == 0)
				caps->multiappend = FALSE;
			else if (g_ascii_strcasecmp(names[i], "LITERAL+") == 0)
				caps->literal_plus = FALSE;
		}
	}
	return TRUE;
}

ImapAppend *
imap_append_new(ImapSession *session, const char *mailbox, const ImapAppendCaps *caps,
                guint64 sync_above)
{
	ImapAppend *a = g_new0(ImapAppend, 1);
	a->session = session;
	a->mailbox = g_strdup(mailbox);
	a->what = g_strdup_printf("APPEND to \"%s\"", mailbox);
	a->caps = *caps;
	a->sync_above = sync_above;
	return a;
}

void
imap_append_free(ImapAppend *a)
{
	if (a == NULL)
		return;
	g_free(a->mailbox);
	g_free(a->what);
	g_free(a->tag);
	g_clear_error(&a->refused);
	g_free(a);
}

guint
imap_append_count(const ImapAppend *a)
{
	return a->count;
}

static gboolean
send_bytes(const char *data, gsize len, gpointer session_data, GError **error)
{
	ImapSession *session = session_data;
	if (len > 0 && mailstream_write(session->imap->imap_stream, data, len) < 0)
		return imap_session_fail(session, MAILIMAP_ERROR_STREAM, "APPEND", error);
	return TRUE;
}

/* " (\Seen kw) "dd-Mon-yyyy hh:mm:ss +zzzz" {n+}" */
static char *
message_prefix(const ImapAppend *a, const char *const *flags, GDateTime *date, guint64 size,
               gboolean sync)
{
	GString *s = g_string_new(" (");
	for (guint i = 0; flags != NULL && flags[i] != NULL; i++) {
		if (i > 0)
			g_string_append_c(s, ' ');
		g_string_append(s, flags[i]);
	}
	g_string_append_c(s, ')');
	if (date != NULL) {
		/* RFC 3501 date-time; Cyrus keeps the instant (DESIGN.md) */
		static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		                                  "Aug", "Sep", "Oct", "Nov", "Dec" };
		gint64 off = g_date_time_get_utc_offset(date) / G_TIME_SPAN_MINUTE;
		g_string_append_printf(s, " \"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"",
		                       g_date_time_get_day_of_month(date),
		                       months[g_date_time_get_month(date) - 1],
		                       g_date_time_get_year(date), g_date_time_get_hour(date),
		                       g_date_time_get_minute(date), g_date_time_get_second(date),
		                       off < 0 ? '-' : '+', (int)(ABS(off) / 60), (int)(ABS(off) % 60));
	}
	g_string_append_printf(s, " {%" G_GUINT64_FORMAT "%s}\r\n", size,
	                       sync || !a->caps.literal_plus ? "" : "+");
	return g_string_free(s, FALSE);
}

/* The server's answer to the command: a tagged line.  Turn a refusal into
 * `a->refused`; an OK is left for the caller (APPENDUID).  FALSE when the line is
 * not the tagged answer of this command or the connection failed. */
static gboolean
read_until_tagged_or_plus(ImapAppend *a, gboolean want_plus, const char **line, gsize *len,
                          gboolean *tagged_out, GError **error)
{
	for (;;) {
		int kind = imap_raw_next_line(a->session, a->what, a->tag, line, len, error);
		if (kind < 0)
			return FALSE;
		if (kind == 0) {
			*tagged_out = TRUE;
			return TRUE;
		}
		if (*len >= 1 && (*line)[0] == '+') {
			if (want_plus) {
				*tagged_out = FALSE;
				return TRUE;
			}
			return imap_raw_broken(a->session, a->what, "a \"+\" nobody asked for", error);
		}
		if (*len >= 2 && (*line)[0] == '*' && (*line)[1] == ' ')
			continue;   /* EXISTS, EXPUNGE, an alert: one line each */
		return imap_raw_broken(a->session, a->what, "not an untagged line", error);
	}
}

/* A tagged line that is not OK: the refusal, as an error of imap-session.h. */
static void
set_refusal(ImapAppend *a, const char *line, gsize len, GError **error)
{
	g_autofree char *text = g_strndup(line + strlen(a->tag), len - strlen(a->tag));
	g_strchomp(text);
	imap_raw_tagged_error(a->session, a->what, text, error);
}

gboolean
imap_append_add(ImapAppend *a, const char *const *flags, GDateTime *date, guint64 size,
                ImapLiteralProducer produce, gpointer produce_data, GError **error)
{
	mailimap *imap = a->session->imap;
	gboolean sync = !a->caps.literal_plus || (a->sync_above > 0 && size > a->sync_above);

	g_return_val_if_fail(size > 0, FALSE);
	if (a->refused != NULL) {
		g_propagate_error(error, g_error_copy(a->refused));
		return FALSE;
	}
	if (a->count > 0 && !a->caps.multiappend) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_BAD, "%s: the server does not "
		            "offer MULTIAPPEND: one message per command", a->what);
		return FALSE;
	}
	if (!imap_session_check_usable(a->session, a->what, error))
		return FALSE;
	if (a->tag == NULL) {
		g_autofree char *q = imap_quote(a->mailbox);
		int r = mailimap_send_current_tag(imap);
		if (r != MAILIMAP_NO_ERROR)
			return imap_session_fail(a->session, r, a->what, error);
		a->tag = g_strdup_printf("%d ", imap->imap_tag);
		if (!send_bytes("APPEND ", 7, a->session, error) || !send_bytes(q, strlen(q), a->session, error))
			return FALSE;
	}
	g_autofree char *prefix = message_prefix(a, flags, date, size, sync);
	if (!send_bytes(prefix, strlen(prefix), a->session, error))
		return FALSE;
	if (sync) {
		const char *line;
		gsize len;
		gboolean tagged;
		if (mailstream_flush(imap->imap_stream) < 0)
			return imap_session_fail(a->session, MAILIMAP_ERROR_STREAM, a->what, error);
		if (!read_until_tagged_or_plus(a, TRUE, &line, &len, &tagged, error))
			return FALSE;
		if (tagged) {
			/* refused before the literal: the command is over, nothing stored */
			if (len >= strlen(a->tag) + 2 && g_ascii_strncasecmp(line + strlen(a->tag), "OK", 2) == 0)
				return imap_raw_broken(a->session, a->what, "OK before the literal", error);
			set_refusal(a, line, len, &a->refused);
			g_propagate_error(error, g_error_copy(a->refused));
			return FALSE;
		}
	}
	/* the literal is announced: from here any failure leaves the session unusable */
	if (!produce(produce_data, send_bytes, a->session, error)) {
		a->session->broken = TRUE;
		return FALSE;
	}
	a->count++;
	return TRUE;
}

/* "[APPENDUID v set]" in the text after "OK ": `v` and the UIDs, which must be `n`. */
static gboolean
parse_appenduid(const char *text, guint n, guint32 *uidvalidity, GArray *uids)
{
	const char *p = text;
	char *end;
	guint64 v;
	guint added = 0;

	if (g_ascii_strncasecmp(p, "[APPENDUID ", 11) != 0)
		return FALSE;
	p += 11;
	v = g_ascii_strtoull(p, &end, 10);
	if (end == p || *end != ' ' || v == 0 || v > G_MAXUINT32)
		return FALSE;
	p = end + 1;
	for (;;) {
		guint64 a = g_ascii_strtoull(p, &end, 10), b;
		if (end == p || a == 0 || a > G_MAXUINT32)
			return FALSE;
		b = a;
		p = end;
		if (*p == ':') {
			b = g_ascii_strtoull(++p, &end, 10);
			if (end == p || b < a || b > G_MAXUINT32)
				return FALSE;
			p = end;
		}
		if (b - a + 1 > (guint64)(n - added))
			return FALSE;
		for (guint64 u = a; u <= b; u++, added++) {
			guint32 u32 = (guint32)u;
			g_array_append_val(uids, u32);
		}
		if (*p == ',') {
			p++;
			continue;
		}
		break;
	}
	*uidvalidity = (guint32)v;
	return *p == ']' && added == n;
}

gboolean
imap_append_finish(ImapAppend *a, guint32 *uidvalidity_out, GArray *uids_out, GError **error)
{
	const char *line;
	gsize len;
	gboolean tagged;
	guint had = uids_out->len;

	if (a->refused != NULL) {
		g_propagate_error(error, g_error_copy(a->refused));
		return FALSE;
	}
	if (a->tag == NULL)
		return TRUE;   /* nothing added */
	if (!send_bytes("\r\n", 2, a->session, error))
		return FALSE;
	if (mailstream_flush(a->session->imap->imap_stream) < 0)
		return imap_session_fail(a->session, MAILIMAP_ERROR_STREAM, a->what, error);
	if (!read_until_tagged_or_plus(a, FALSE, &line, &len, &tagged, error))
		return FALSE;
	const char *rest = line + strlen(a->tag);
	if (len < strlen(a->tag) + 2 || g_ascii_strncasecmp(rest, "OK", 2) != 0) {
		set_refusal(a, line, len, &a->refused);
		g_propagate_error(error, g_error_copy(a->refused));
		return FALSE;
	}
	rest += 2;
	while (*rest == ' ')
		rest++;
	if (!parse_appenduid(rest, a->count, uidvalidity_out, uids_out)) {
		g_array_set_size(uids_out, had);
		return imap_raw_broken(a->session, a->what, "an OK without an APPENDUID for every "
		                       "message (the server must offer UIDPLUS)", error);
	}
	return TRUE;
}
