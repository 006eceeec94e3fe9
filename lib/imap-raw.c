/* imap-raw.c -- the commands whose answers libetpan cannot take: the DIGEST.SHA1
 * listing (its item is unknown to libetpan's parser) and bodies streamed in pieces
 * (libetpan's parser holds a literal whole).  Both send the command on libetpan's
 * stream and read the untagged lines raw; the tagged answer goes back to libetpan's
 * parser, so errors read as every other command's (imap-session.h). */
#include <string.h>

#include "imap-session-private.h"

/* Send "TAG command\r\n" (its answer will be long: imap_session_ack_at_once); the
 * tag's text ("N ") into `tag_out` (new). */
static gboolean
send_raw(ImapSession *session, const char *command, char **tag_out, GError **error)
{
	mailimap *imap = session->imap;
	int r;

	if (!imap_session_check_usable(session, command, error))
		return FALSE;
	r = mailimap_send_current_tag(imap);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(imap->imap_stream, command, strlen(command)) < 0 ||
	     mailstream_write(imap->imap_stream, "\r\n", 2) < 0 ||
	     mailstream_flush(imap->imap_stream) < 0))
		r = MAILIMAP_ERROR_STREAM;
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, command, error);
	imap_session_ack_at_once(session);
	/* mailimap_send_current_tag() sent imap_tag as a decimal number */
	*tag_out = g_strdup_printf("%d ", imap->imap_tag);
	return TRUE;
}

int
imap_raw_next_line(ImapSession *session, const char *command, const char *tag, const char **line,
          gsize *len, GError **error)
{
	mailimap *imap = session->imap;
	if (mailimap_read_line(imap) == NULL) {
		imap_session_fail(session, MAILIMAP_ERROR_STREAM, command, error);
		return -1;
	}
	*line = imap->imap_stream_buffer->str;
	*len = imap->imap_stream_buffer->len;
	return !(*len >= strlen(tag) && strncmp(*line, tag, strlen(tag)) == 0);
}

/* The line just read is the tagged answer: parse it with libetpan, FALSE unless OK. */
static gboolean
finish_raw(ImapSession *session, const char *command, GError **error)
{
	struct mailimap_response *response = NULL;
	int r = mailimap_parse_response(session->imap, &response), state;

	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, command, error);
	state = response->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(response);
	if (state != MAILIMAP_RESP_COND_STATE_OK)
		return imap_session_fail(session, MAILIMAP_ERROR_CUSTOM_COMMAND, command, error);
	return TRUE;
}

gboolean
imap_raw_broken(ImapSession *session, const char *command, const char *why, GError **error)
{
	session->broken = TRUE;
	g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL,
	            "%s: unexpected response from %s (%s)", command, session->host, why);
	return FALSE;
}

void
imap_raw_tagged_error(ImapSession *session, const char *command, const char *text,
                      GError **error)
{
	const char *p = text, *code = NULL;
	gsize code_len = 0;
	gboolean bad = g_ascii_strncasecmp(p, "BAD", 3) == 0;
	M2cImapError kind = M2C_IMAP_ERROR_NO;

	p += g_ascii_strncasecmp(p, "NO", 2) == 0 ? 2 : bad ? 3 : 0;
	while (*p == ' ')
		p++;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (close != NULL) {
			code = p + 1;
			code_len = strcspn(code, " ]");
		}
	}
	g_autofree char *code_text = code != NULL ? g_strndup(code, code_len) : NULL;
	if (bad)
		kind = M2C_IMAP_ERROR_BAD;
	else
		kind = imap_error_from_code(code_text, p);
	(void)session;
	g_set_error(error, M2C_IMAP_ERROR, kind, "%s: server said %s: %s", command,
	            bad ? "BAD" : "NO", p);
}

/* Does the line (`len` bytes, ending in LF) end with a literal "{N}"?  Its N. */
static gboolean
ends_in_literal(const char *line, gsize len, guint64 *size_out)
{
	gsize end = len;
	guint64 n = 0, scale = 1;
	if (end > 0 && line[end - 1] == '\n')
		end--;
	if (end > 0 && line[end - 1] == '\r')
		end--;
	if (end < 3 || line[end - 1] != '}')
		return FALSE;
	gsize i = end - 1;
	while (i > 0 && g_ascii_isdigit(line[i - 1]) && scale <= 1000000000000ULL) {
		n += (guint64)(line[i - 1] - '0') * scale;
		scale *= 10;
		i--;
	}
	if (i == end - 1 || i == 0 || line[i - 1] != '{')
		return FALSE;
	*size_out = n;
	return TRUE;
}

static gint
digest_uid_cmp(gconstpointer a, gconstpointer b)
{
	const ImapDigest *x = *(const ImapDigest *const *)a, *y = *(const ImapDigest *const *)b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

gboolean
imap_session_fetch_digests(ImapSession *session, GPtrArray **digests_out, GError **error)
{
	static const char command[] = "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE DIGEST.SHA1)";
	g_autoptr(GPtrArray) digests = g_ptr_array_new_with_free_func((GDestroyNotify)imap_digest_free);
	g_autofree char *tag = NULL;
	guint64 ignored;

	if (!send_raw(session, command, &tag, error))
		return FALSE;
	for (;;) {
		const char *line;
		gsize len;
		int kind = imap_raw_next_line(session, command, tag, &line, &len, error);
		if (kind < 0)
			return FALSE;
		if (kind == 0)
			break;
		if (imap_digest_is_fetch(line, len)) {
			ImapDigest *d = imap_digest_parse(line, len, error);
			if (d == NULL) {
				session->broken = TRUE;
				g_prefix_error(error, "%s: ", command);
				return FALSE;
			}
			g_ptr_array_add(digests, d);
			continue;
		}
		/* another untagged response, on one line: a literal would make its next
		 * line look like a response of its own */
		if (len >= 2 && line[0] == '*' && line[1] == ' ' && !ends_in_literal(line, len, &ignored))
			continue;
		return imap_raw_broken(session, command, "not an untagged line, or a literal", error);
	}
	if (!finish_raw(session, command, error))
		return FALSE;
	g_ptr_array_sort(digests, digest_uid_cmp);
	*digests_out = g_steal_pointer(&digests);
	return TRUE;
}

/* The UID of "* N FETCH (ITEMS BODY[SECTION] {n}" where ITEMS hold "UID u" and may hold
 * "FLAGS (...)" or "MODSEQ (n)" too, in any order (Cyrus sends UID first, but a flag
 * changed by another session meanwhile comes first, unasked: measured); 0 when the
 * line is not of that form. */
static guint32
body_line_uid(const char *line, gsize len)
{
	const char *p = line, *end = line + len;
	guint64 uid = 0;
	if (!imap_digest_is_fetch(line, len) || (p = memchr(line, '(', len)) == NULL)
		return 0;
	p++;
	for (;;) {
		if (end - p >= 9 && g_ascii_strncasecmp(p, "BODY[", 5) == 0) {
			/* BODY[] or BODY[HEADER.FIELDS (...)], then " {n}" and the line's end */
			const char *close = memchr(p, ']', (gsize)(end - p));
			if (close == NULL || end - close < 3 || close[1] != ' ' || close[2] != '{')
				return 0;
			return uid > 0 && uid <= G_MAXUINT32 ? (guint32)uid : 0;
		}
		if (end - p >= 4 && g_ascii_strncasecmp(p, "UID ", 4) == 0 && uid == 0) {
			for (p += 4; p < end && g_ascii_isdigit(*p) && uid <= G_MAXUINT32; p++)
				uid = uid * 10 + (guint64)(*p - '0');
		} else if ((end - p >= 7 && g_ascii_strncasecmp(p, "FLAGS (", 7) == 0) ||
		           (end - p >= 8 && g_ascii_strncasecmp(p, "MODSEQ (", 8) == 0)) {
			const char *close = memchr(p, ')', (gsize)(end - p));
			if (close == NULL)
				return 0;
			p = close + 1;
		} else {
			return 0;
		}
		if (p >= end || *p != ' ')
			return 0;
		p++;
	}
}

/* "a:b,c" for up to `max` ranges of `uids` from `*i` on (advanced). */
static char *
uid_set(const guint32 *uids, gsize n, gsize *i, guint max)
{
	GString *set = g_string_new(NULL);
	for (guint ranges = 0; *i < n && ranges < max; ranges++) {
		gsize j = *i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (set->len > 0)
			g_string_append_c(set, ',');
		if (j == *i)
			g_string_append_printf(set, "%u", uids[*i]);
		else
			g_string_append_printf(set, "%u:%u", uids[*i], uids[j]);
		*i = j + 1;
	}
	return g_string_free(set, FALSE);
}

/* One command's worth: UID FETCH set (UID BODY.PEEK[section]). */
static gboolean
fetch_bodies_once(ImapSession *session, const char *set, const char *section,
                  const ImapBodySink *sink, gpointer data, gsize piece, GError **sink_error,
                  GError **error)
{
	g_autofree char *command = g_strdup_printf("UID FETCH %s (UID BODY.PEEK[%s])", set, section);
	g_autofree char *tag = NULL;
	g_autofree char *buf = g_malloc(piece);
	mailimap *imap = session->imap;

	if (!send_raw(session, command, &tag, error))
		return FALSE;
	for (;;) {
		guint64 size;
		const char *line;
		gsize len;
		int kind = imap_raw_next_line(session, command, tag, &line, &len, error);
		if (kind < 0)
			return FALSE;
		if (kind == 0)
			break;
		if (!ends_in_literal(line, len, &size)) {
			if (len >= 2 && line[0] == '*' && line[1] == ' ')
				continue;        /* EXISTS, a FLAGS change: one line */
			return imap_raw_broken(session, command, "not an untagged line", error);
		}
		guint32 uid = body_line_uid(line, len);
		if (uid == 0)
			return imap_raw_broken(session, command, "a literal that is not \"UID n BODY[...] {size}\"", error);
		/* the caller's error stops the calls, not the reading: the literal is read
		 * to its end so that the session stays usable */
		if (*sink_error == NULL)
			(void)sink->begin(uid, size, data, sink_error);
		while (size > 0) {
			ssize_t got = mailstream_read(imap->imap_stream, buf, size < piece ? size : piece);
			if (got <= 0)
				return imap_session_fail(session, MAILIMAP_ERROR_STREAM, command, error);
			if (*sink_error == NULL)
				(void)sink->body(buf, (gsize)got, data, sink_error);
			size -= (guint64)got;
		}
		/* the rest of the response: ")" */
		if (imap_raw_next_line(session, command, tag, &line, &len, error) < 0)
			return FALSE;
		if (len < 1 || line[0] != ')' || ends_in_literal(line, len, &size))
			return imap_raw_broken(session, command, "no \")\" after a body", error);
		if (*sink_error == NULL)
			(void)sink->end(uid, data, sink_error);
	}
	return finish_raw(session, command, error);
}

gboolean
imap_session_fetch_bodies(ImapSession *session, const guint32 *uids, gsize n,
                          const ImapBodySink *sink, gpointer data, gsize piece, GError **error)
{
	g_autoptr(GError) sink_error = NULL;
	gsize i = 0;

	if (piece == 0)
		piece = 256 * 1024;
	while (i < n && sink_error == NULL) {
		g_autofree char *set = uid_set(uids, n, &i, 500);
		if (!fetch_bodies_once(session, set, "", sink, data, piece, &sink_error, error))
			return FALSE;
	}
	if (sink_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&sink_error));
		return FALSE;
	}
	return TRUE;
}

gboolean
imap_session_fetch_header_fields(ImapSession *session, const char *set, const char *fields,
                                 const ImapBodySink *sink, gpointer data, GError **error)
{
	g_autoptr(GError) sink_error = NULL;
	g_autofree char *section = g_strdup_printf("HEADER.FIELDS (%s)", fields);
	if (!fetch_bodies_once(session, set, section, sink, data, 64 * 1024, &sink_error, error))
		return FALSE;
	if (sink_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&sink_error));
		return FALSE;
	}
	return TRUE;
}

/* "VERB MAILBOX[ ARGS]" (the name quoted), its untagged lines that start with
 * `prefix` (CRLF taken off) into `lines`. */
static gboolean
raw_untagged(ImapSession *session, const char *verb, const char *mailbox, const char *args,
             const char *prefix, GPtrArray *lines, GError **error)
{
	g_autofree char *quoted = imap_quote(mailbox);
	g_autofree char *command = g_strdup_printf("%s %s%s%s", verb, quoted, args ? " " : "",
	                                           args ? args : "");
	g_autofree char *tag = NULL;
	if (!send_raw(session, command, &tag, error))
		return FALSE;
	for (;;) {
		const char *line;
		gsize len;
		int kind = imap_raw_next_line(session, command, tag, &line, &len, error);
		if (kind < 0)
			return FALSE;
		if (kind == 0)
			break;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len >= strlen(prefix) && g_ascii_strncasecmp(line, prefix, strlen(prefix)) == 0)
			g_ptr_array_add(lines, g_strndup(line, len));
	}
	return finish_raw(session, command, error);
}

gboolean
imap_session_myrights(ImapSession *session, const char *mailbox, char **rights_out, GError **error)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	*rights_out = NULL;
	if (!raw_untagged(session, "MYRIGHTS", mailbox, NULL, "* MYRIGHTS ", lines, error))
		return FALSE;
	/* * MYRIGHTS name rights: the rights are the last word */
	const char *last = lines->len > 0 ? strrchr(g_ptr_array_index(lines, 0), ' ') : NULL;
	*rights_out = g_strdup(last != NULL ? last + 1 : "");
	return TRUE;
}

gboolean
imap_session_quota_roots(ImapSession *session, const char *mailbox, char ***roots_out,
                         GError **error)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *roots = g_ptr_array_new();
	*roots_out = NULL;
	if (!raw_untagged(session, "GETQUOTAROOT", mailbox, NULL, "* QUOTA ", lines, error)) {
		g_ptr_array_free(roots, TRUE);
		return FALSE;
	}
	/* * QUOTA root (STORAGE used limit ...): the root is what lies before " (" */
	for (guint i = 0; i < lines->len; i++) {
		const char *text = (const char *)g_ptr_array_index(lines, i) + strlen("* QUOTA ");
		const char *paren = strrchr(text, '(');
		gsize n = paren != NULL ? (gsize)(paren - text) : strlen(text);
		while (n > 0 && text[n - 1] == ' ')
			n--;
		g_ptr_array_add(roots, g_strndup(text, n));
	}
	g_ptr_array_add(roots, NULL);
	*roots_out = (char **)g_ptr_array_free(roots, FALSE);
	return TRUE;
}

gboolean
imap_session_mailboxid(ImapSession *session, const char *mailbox, char **id_out, GError **error)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	*id_out = NULL;
	if (!raw_untagged(session, "STATUS", mailbox, "(MAILBOXID)", "* STATUS ", lines, error))
		return FALSE;
	/* * STATUS name (MAILBOXID (id)) */
	const char *p = lines->len > 0 ? strstr(g_ptr_array_index(lines, 0), "MAILBOXID (") : NULL;
	if (p != NULL) {
		p += strlen("MAILBOXID (");
		gsize n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
		if (n > 0 && n < 256 && p[n] == ')')
			*id_out = g_strndup(p, n);
	}
	return TRUE;
}
