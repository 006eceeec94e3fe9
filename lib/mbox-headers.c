/* mbox-headers.c -- steps 2 and 5 of reading a message (mbox-reader.c has the order):
 * keep the header fields phase 1 needs, then turn them into flags, a UID, a date with
 * its fallbacks, MIME boundaries, and the UW-IMAP pseudo-message's folder data. */
#include "mbox-reader-private.h"

#include <string.h>

#include "from-line.h"
#include "mbox-meta.h"
#include "tsv.h"

static const char *const field_names[N_FIELDS] = {
	"Status", "X-Status", "X-Keywords", "X-Mozilla-Status", "X-Mozilla-Keys", "X-UID",
	"X-IMAP", "X-IMAPbase", "Content-Length", "Content-Type", "Date", "Received",
	"Subject", "X-Mbox2cyrus-SHA1",
};

void
mbox_headers_clear(Headers *h)
{
	for (int i = 0; i < N_FIELDS; i++)
		if (h->values[i] != NULL)
			g_string_free(h->values[i], TRUE);
}

const char *
mbox_headers_value(const Headers *h, int field)
{
	return h->values[field] != NULL ? h->values[field]->str : NULL;
}

/* One header line (not the empty line that ends them). */
void
mbox_headers_add_line(Headers *h, MboxMessage *msg, GPtrArray *warnings, const Line *line,
            gsize max_header_bytes)
{
	const char *data = line->data;
	gsize len = line->len;

	for (gsize i = 0; i < len; i++)
		if ((unsigned char)data[i] >= 0x80) {
			msg->has_8bit_header = TRUE;
			break;
		}
	h->header_bytes += len;
	if (h->header_bytes > max_header_bytes) {
		if (!h->over_limit)
			g_ptr_array_add(warnings, g_strdup_printf("headers longer than %zu bytes: "
			                "the rest are not read for flags and dates", max_header_bytes));
		h->over_limit = TRUE;
		return;
	}
	if (line->is_continuation || (len > 0 && (data[0] == ' ' || data[0] == '\t'))) {
		if (h->current >= 0 && h->values[h->current]->len < FIELD_VALUE_MAX)
			g_string_append_len(h->values[h->current], data, (gssize)MIN(len, FIELD_VALUE_MAX));
		return;
	}
	const char *colon = memchr(data, ':', len);
	h->current = -1;
	if (colon == NULL || colon == data) {
		if (!msg->has_bad_header_line) {
			g_autoptr(GString) shown = g_string_new(NULL);
			tsv_escape_append(shown, data, MIN(len, 40));
			g_ptr_array_add(warnings, g_strdup_printf("header line without a colon: "
			                "\"%s\" (IMAP APPEND refuses this message)", shown->str));
		}
		msg->has_bad_header_line = TRUE;
		return;
	}
	gsize name_len = (gsize)(colon - data);
	while (name_len > 0 && (data[name_len - 1] == ' ' || data[name_len - 1] == '\t'))
		name_len--;  /* "Subject :" occurs in the field */
	for (int f = 0; f < N_FIELDS; f++)
		if (strlen(field_names[f]) == name_len &&
		    g_ascii_strncasecmp(data, field_names[f], name_len) == 0) {
			if (h->values[f] != NULL)
				return;  /* keep the first: the most recent Received: */
			gsize vlen = MIN(len - (name_len + 1), FIELD_VALUE_MAX);
			h->values[f] = g_string_new_len(data + (colon - data) + 1, (gssize)vlen);
			h->current = f;
			return;
		}
}

/* boundary="..." or boundary=token inside a Content-Type value; NULL when none. */
char *
mbox_headers_find_boundary(const char *text, gsize len)
{
	static const char key[] = "boundary=";
	for (gsize i = 0; i + sizeof key - 1 <= len; i++) {
		if (g_ascii_strncasecmp(text + i, key, sizeof key - 1) != 0)
			continue;
		const char *v = text + i + sizeof key - 1, *end = text + len;
		if (v < end && *v == '"') {
			const char *q = memchr(v + 1, '"', (gsize)(end - v - 1));
			return q != NULL && q > v + 1 ? g_strndup(v + 1, (gsize)(q - v - 1)) : NULL;
		}
		const char *e = v;
		while (e < end && *e != ';' && *e != ' ' && *e != '\t')
			e++;
		return e > v ? g_strndup(v, (gsize)(e - v)) : NULL;
	}
	return NULL;
}

void
mbox_headers_take_date(MboxReader *reader, MboxMessage *msg, const Headers *h, GPtrArray *warnings,
          gboolean from_line_had_date)
{
	const char *value;

	if (msg->date != NULL) {
		msg->date_source = MBOX_DATE_FROM_LINE;
		return;
	}
	if ((value = mbox_headers_value(h, F_DATE)) != NULL &&
	    (msg->date = from_line_parse_date(value, strlen(value), reader->settings.source_tz))) {
		msg->date_source = MBOX_DATE_DATE_HEADER;
	} else if ((value = mbox_headers_value(h, F_RECEIVED)) != NULL && strrchr(value, ';') != NULL &&
	           (msg->date = from_line_parse_date(strrchr(value, ';') + 1,
	                                             strlen(strrchr(value, ';') + 1),
	                                             reader->settings.source_tz))) {
		msg->date_source = MBOX_DATE_RECEIVED;
	} else {
		msg->date = g_date_time_new_from_unix_utc(reader->mtime);
		msg->date_source = MBOX_DATE_MTIME;
	}
	g_ptr_array_add(warnings, g_strdup_printf("%s; date taken from the %s",
	                from_line_had_date ? "From_ line date is not valid"
	                                   : "From_ line has no date",
	                msg->date_source == MBOX_DATE_DATE_HEADER ? "Date: header"
	                : msg->date_source == MBOX_DATE_RECEIVED ? "Received: header"
	                                                         : "file's modification time"));
}

/* Step 5: everything the kept header values say.  Returns TRUE when the message is
 * the UW-IMAP "FOLDER INTERNAL DATA" pseudo-message (folder data, not a message). */
gboolean
mbox_headers_take_metadata(MboxReader *reader, MboxMessage *msg, const Headers *h, GPtrArray *warnings)
{
	g_autoptr(MboxFlagSet) flags = mbox_flag_set_new();
	const char *value;
	gboolean first = reader->next_number == 1 && !reader->summary.has_internal_data;

	if (first && (value = mbox_headers_value(h, F_X_IMAP)) != NULL &&
	    (mbox_headers_value(h, F_SUBJECT) == NULL ||
	     strstr(mbox_headers_value(h, F_SUBJECT), "FOLDER INTERNAL DATA") != NULL)) {
		g_strfreev(reader->summary.keywords);
		reader->summary.keywords = NULL;
		if (!mbox_meta_parse_imapbase(value, &reader->summary.uidvalidity,
		                              &reader->summary.last_uid, &reader->summary.keywords))
			g_ptr_array_add(reader->file_warnings, g_strdup_printf(
				"FOLDER INTERNAL DATA has an unreadable X-IMAP \"%s\"", value));
		reader->summary.has_internal_data = TRUE;
		return TRUE;
	}
	if (first && (value = mbox_headers_value(h, F_X_IMAPBASE)) != NULL &&
	    !mbox_meta_parse_imapbase(value, &reader->summary.uidvalidity,
	                              &reader->summary.last_uid, &reader->summary.keywords))
		g_ptr_array_add(warnings, g_strdup_printf("unreadable X-IMAPbase \"%s\"", value));

	for (int f = F_STATUS; f <= F_X_MOZILLA_KEYS; f++)
		if ((value = mbox_headers_value(h, f)) != NULL)
			mbox_flag_set_add_field(flags, field_names[f], value, warnings);
	msg->flags = mbox_flag_set_to_strv(flags);

	/* backout's mark: the digest Cyrus had of the message it wrote here, and how the
	 * file is read ("HEX file-quoting=Q", mbox-writer.h) */
	if ((value = mbox_headers_value(h, F_X_MBOX2CYRUS_SHA1)) != NULL) {
		g_autofree char *copy = g_strstrip(g_strdup(value));
		g_auto(GStrv) words = g_strsplit_set(copy, " \t", -1);
		gboolean ok = words[0] != NULL && strlen(words[0]) == 40;
		for (int i = 0; ok && i < 20; i++) {
			int hi = g_ascii_xdigit_value(words[0][2 * i]), lo = g_ascii_xdigit_value(words[0][2 * i + 1]);
			ok = hi >= 0 && lo >= 0;
			if (ok)
				msg->backout_sha1[i] = (guint8)(hi << 4 | lo);
		}
		msg->backout_quoting = MBOX_QUOTING_AUTO;
		for (guint i = 1; ok && words[i] != NULL; i++)
			if (g_str_has_prefix(words[i], "file-quoting=") &&
			    !mbox_quoting_from_name(words[i] + strlen("file-quoting="), &msg->backout_quoting))
				msg->backout_quoting = MBOX_QUOTING_AUTO;
		msg->has_backout_sha1 = ok;
		if (!ok)
			g_ptr_array_add(warnings, g_strdup_printf("X-Mbox2cyrus-SHA1 \"%s\" is not a SHA-1, ignored", copy));
	}
	if ((value = mbox_headers_value(h, F_X_UID)) != NULL) {
		g_autofree char *copy = g_strstrip(g_strdup(value));
		char *end;
		guint64 uid = g_ascii_strtoull(copy, &end, 10);
		if (end != copy && *end == '\0' && uid > 0 && uid <= G_MAXUINT32)
			msg->uid = (guint32)uid;
		else
			g_ptr_array_add(warnings, g_strdup_printf("X-UID \"%s\" is not a UID, ignored", copy));
	}
	return FALSE;
}

