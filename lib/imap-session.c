/* imap-session.c -- see imap-session.h; connecting is in imap-connect.c.
 *
 * libetpan reports a tagged BAD as MAILIMAP_ERROR_PROTOCOL and a NO as the command's
 * own error (MAILIMAP_ERROR_CREATE, ...), leaving the server's text in
 * session->imap_response and a response code such as [OVERQUOTA] in
 * imap_response_info->rsp_atom, which is reset for every response (mailimap.c,
 * response_store).  That is all we need to build errors that carry the server's words.
 */
#include "imap-session.h"

#include <string.h>

#include "etpan-auto.h"
#include "imap-session-private.h"

G_DEFINE_QUARK(m2c-imap-error-quark, m2c_imap_error)


gboolean
imap_error_is_temporary(const GError *error)
{
	return error != NULL && error->domain == M2C_IMAP_ERROR &&
	       (error->code == M2C_IMAP_ERROR_NETWORK || error->code == M2C_IMAP_ERROR_OVERQUOTA);
}

M2cImapError
imap_error_from_code(const char *code, const char *text)
{
	if (code != NULL && g_ascii_strcasecmp(code, "OVERQUOTA") == 0)
		return M2C_IMAP_ERROR_OVERQUOTA;
	if (code != NULL && g_ascii_strcasecmp(code, "TRYCREATE") == 0)
		return M2C_IMAP_ERROR_TRYCREATE;
	if (code != NULL && g_ascii_strcasecmp(code, "TOOBIG") == 0)
		return M2C_IMAP_ERROR_TOOBIG;
	/* Cyrus 3.6: "NO Over quota", without the code (measured) */
	if (code == NULL && text != NULL && g_ascii_strncasecmp(text, "Over quota", 10) == 0)
		return M2C_IMAP_ERROR_OVERQUOTA;
	return M2C_IMAP_ERROR_NO;
}

gboolean
imap_session_fail(ImapSession *session, int r, const char *what, GError **error)
{
	const char *text = session->imap->imap_response;
	const char *code = NULL;
	g_autofree char *said = NULL;

	if (session->imap->imap_response_info != NULL) {
		code = session->imap->imap_response_info->rsp_atom;
		/* libetpan parses [TRYCREATE] into a field of its own, not rsp_atom */
		if (code == NULL && session->imap->imap_response_info->rsp_trycreate)
			code = "TRYCREATE";
	}
	said = g_strdup_printf("%s%s%s%s", code != NULL ? "[" : "", code != NULL ? code : "",
	                       code != NULL ? "] " : "", text != NULL ? text : "(no text)");

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		session->broken = TRUE;
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK,
		            "%s: connection to %s lost or timed out", what, session->host);
		break;
	case MAILIMAP_ERROR_FATAL:
		session->broken = TRUE;
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK,
		            "%s: server closed the connection: %s", what, said);
		break;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_BAD_STATE:
		session->broken = TRUE;
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_PROTOCOL,
		            "%s: unexpected response from %s (libetpan error %d)", what,
		            session->host, r);
		break;
	case MAILIMAP_ERROR_PROTOCOL:
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_BAD,
		            "%s: server said BAD: %s", what, said);
		break;
	case MAILIMAP_ERROR_LOGIN:
	case MAILIMAP_ERROR_SASL:
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_AUTH,
		            "%s: login refused: %s", what, said);
		break;
	default:
		g_set_error(error, M2C_IMAP_ERROR, imap_error_from_code(code, text), "%s: server said NO: %s", what, said);
		break;
	}
	return FALSE;
}

gboolean
imap_session_check_usable(ImapSession *session, const char *what, GError **error)
{
	if (!session->broken)
		return TRUE;
	g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NETWORK,
	            "%s: connection to %s is unusable after an earlier failure", what,
	            session->host);
	return FALSE;
}

void
imap_session_free(ImapSession *session)
{
	if (session == NULL)
		return;
	if (session->imap->imap_stream != NULL && !session->broken) {
		(void)mailimap_logout(session->imap);   /* closes the stream, whatever the answer */
	} else if (session->imap->imap_stream != NULL) {
		/* mailimap_free() sends LOGOUT on a stream still open, and waits for the answer:
		 * not on a connection that failed (the wait may be the whole timeout again),
		 * nor to a server whose certificate did not verify (imap-connect.c) */
		mailstream_close(session->imap->imap_stream);
		session->imap->imap_stream = NULL;
	}
	mailimap_free(session->imap);
	g_free(session->host);
	g_free(session);
}

gboolean
imap_session_login(ImapSession *session, const char *user, const char *password,
                   GError **error)
{
	g_autofree char *what = g_strdup_printf("LOGIN \"%s\"", user);
	int r;

	if (!imap_session_check_usable(session, what, error))
		return FALSE;
	r = mailimap_login(session->imap, user, password);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, what, error);
	return imap_session_start_compress(session, error);
}

gboolean
imap_session_login_as(ImapSession *session, const char *user, const char *admin,
                      const char *password, GError **error)
{
	g_autofree char *what = g_strdup_printf("AUTHENTICATE PLAIN as \"%s\" by \"%s\"",
	                                        user, admin);
	int r;

	if (!imap_session_check_usable(session, what, error))
		return FALSE;
	/* login = authorization id (who we act as), auth_name = who we prove to be:
	 * libetpan sends "user\0admin\0password" (verified on the wire, DESIGN.md) */
	r = mailimap_authenticate(session->imap, "PLAIN", session->host, NULL, NULL,
	                          user, admin, password, NULL);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, what, error);
	return imap_session_start_compress(session, error);
}

gboolean
imap_session_create(ImapSession *session, const char *mailbox, GError **error)
{
	g_autofree char *what = g_strdup_printf("CREATE \"%s\"", mailbox);
	int r;

	if (!imap_session_check_usable(session, what, error))
		return FALSE;
	r = mailimap_create(session->imap, mailbox);
	return r == MAILIMAP_NO_ERROR || imap_session_fail(session, r, what, error);
}

/* One flag in libetpan's form; NULL for \Recent, which APPEND may not set. */
static struct mailimap_flag *
flag_new(const char *name)
{
	static const struct {
		const char *name;
		struct mailimap_flag *(*make)(void);
	} system_flags[] = {
		{ "\\Seen", mailimap_flag_new_seen },
		{ "\\Answered", mailimap_flag_new_answered },
		{ "\\Flagged", mailimap_flag_new_flagged },
		{ "\\Deleted", mailimap_flag_new_deleted },
		{ "\\Draft", mailimap_flag_new_draft },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(system_flags); i++)
		if (g_ascii_strcasecmp(name, system_flags[i].name) == 0)
			return system_flags[i].make();
	if (g_ascii_strcasecmp(name, "\\Recent") == 0)
		return NULL;
	/* libetpan owns these strings and frees them with free(): strdup, not g_strdup */
	if (name[0] == '\\')
		return mailimap_flag_new_flag_extension(strdup(name + 1));
	return mailimap_flag_new_flag_keyword(strdup(name));
}

static EtpanDateTime *
date_time_new(GDateTime *when)
{
	gint64 offset_min = g_date_time_get_utc_offset(when) / G_TIME_SPAN_MINUTE;
	int zone = (int)((ABS(offset_min) / 60) * 100 + ABS(offset_min) % 60);

	return mailimap_date_time_new(g_date_time_get_day_of_month(when),
	                              g_date_time_get_month(when), g_date_time_get_year(when),
	                              g_date_time_get_hour(when), g_date_time_get_minute(when),
	                              g_date_time_get_second(when),
	                              offset_min < 0 ? -zone : zone);
}

static GDateTime *
date_time_to_gdatetime(const struct mailimap_date_time *dt)
{
	int zone = ABS(dt->dt_zone);
	int seconds = ((zone / 100) * 60 + zone % 100) * 60;
	g_autoptr(GTimeZone) tz = g_time_zone_new_offset(dt->dt_zone < 0 ? -seconds : seconds);

	return g_date_time_new(tz, dt->dt_year, dt->dt_month, dt->dt_day, dt->dt_hour,
	                       dt->dt_min, dt->dt_sec);
}

gboolean
imap_session_append(ImapSession *session, const char *mailbox, const char *const *flags,
                    GDateTime *internaldate, const char *message, gsize len,
                    guint32 *uid_out, GError **error)
{
	g_autofree char *what = g_strdup_printf("APPEND to \"%s\"", mailbox);
	g_autoptr(EtpanFlagList) flag_list = mailimap_flag_list_new_empty();
	g_autoptr(EtpanDateTime) date = NULL;
	uint32_t uidvalidity = 0, uid = 0;
	int r;

	if (!imap_session_check_usable(session, what, error))
		return FALSE;
	for (gsize i = 0; flags != NULL && flags[i] != NULL; i++) {
		struct mailimap_flag *flag = flag_new(flags[i]);
		if (flag != NULL && mailimap_flag_list_add(flag_list, flag) != MAILIMAP_NO_ERROR)
			g_error("out of memory");
	}
	if (internaldate != NULL)
		date = date_time_new(internaldate);
	r = mailimap_uidplus_append(session->imap, mailbox, flag_list, date, message, len,
	                            &uidvalidity, &uid);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, what, error);
	if (uid_out != NULL)
		*uid_out = uid;
	return TRUE;
}

gboolean
imap_session_select(ImapSession *session, const char *mailbox, gboolean read_only,
                    guint32 *exists_out, guint32 *uidvalidity_out, GError **error)
{
	g_autofree char *what = g_strdup_printf("%s \"%s\"", read_only ? "EXAMINE" : "SELECT",
	                                        mailbox);
	int r;

	if (!imap_session_check_usable(session, what, error))
		return FALSE;
	r = read_only ? mailimap_examine(session->imap, mailbox)
	              : mailimap_select(session->imap, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, what, error);
	if (exists_out != NULL)
		*exists_out = session->imap->imap_selection_info->sel_exists;
	if (uidvalidity_out != NULL)
		*uidvalidity_out = session->imap->imap_selection_info->sel_uidvalidity;
	return TRUE;
}

guint32
imap_session_selected_uidnext(ImapSession *session)
{
	const struct mailimap_selection_info *info = session->imap->imap_selection_info;
	return info != NULL ? info->sel_uidnext : 0;
}

void
imap_message_free(ImapMessage *message)
{
	if (message == NULL)
		return;
	g_strfreev(message->flags);
	g_clear_pointer(&message->internaldate, g_date_time_unref);
	g_clear_pointer(&message->body, g_bytes_unref);
	g_free(message);
}

static char *
flag_name(const struct mailimap_flag *flag)
{
	switch (flag->fl_type) {
	case MAILIMAP_FLAG_ANSWERED: return g_strdup("\\Answered");
	case MAILIMAP_FLAG_FLAGGED:  return g_strdup("\\Flagged");
	case MAILIMAP_FLAG_DELETED:  return g_strdup("\\Deleted");
	case MAILIMAP_FLAG_SEEN:     return g_strdup("\\Seen");
	case MAILIMAP_FLAG_DRAFT:    return g_strdup("\\Draft");
	case MAILIMAP_FLAG_KEYWORD:  return g_strdup(flag->fl_data.fl_keyword);
	default:                     return g_strconcat("\\", flag->fl_data.fl_extension, NULL);
	}
}

char **
imap_session_selected_keywords(ImapSession *session)
{
	const struct mailimap_selection_info *info = session->imap->imap_selection_info;
	GPtrArray *out = g_ptr_array_new();
	if (info != NULL && info->sel_flags != NULL && info->sel_flags->fl_list != NULL)
		for (clistiter *c = clist_begin(info->sel_flags->fl_list); c != NULL; c = clist_next(c)) {
			const struct mailimap_flag *flag = clist_content(c);
			if (flag->fl_type == MAILIMAP_FLAG_KEYWORD)
				g_ptr_array_add(out, g_strdup(flag->fl_data.fl_keyword));
		}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void
message_take_item(ImapMessage *message, GPtrArray *flags, struct mailimap_msg_att_item *item)
{
	if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
		for (clistiter *c = clist_begin(item->att_data.att_dyn->att_list); c != NULL;
		     c = clist_next(c)) {
			struct mailimap_flag_fetch *ff = clist_content(c);
			if (ff->fl_type == MAILIMAP_FLAG_FETCH_RECENT)
				g_ptr_array_add(flags, g_strdup("\\Recent"));
			else if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER)
				g_ptr_array_add(flags, flag_name(ff->fl_flag));
		}
		return;
	}
	if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
		return;
	struct mailimap_msg_att_static *att = item->att_data.att_static;
	switch (att->att_type) {
	case MAILIMAP_MSG_ATT_UID:
		message->uid = att->att_data.att_uid;
		break;
	case MAILIMAP_MSG_ATT_INTERNALDATE:
		if (att->att_data.att_internal_date != NULL)
			message->internaldate = date_time_to_gdatetime(att->att_data.att_internal_date);
		break;
	case MAILIMAP_MSG_ATT_BODY_SECTION: {
		struct mailimap_msg_att_body_section *sec = att->att_data.att_body_section;
		if (sec != NULL && sec->sec_body_part != NULL)
			message->body = g_bytes_new(sec->sec_body_part, sec->sec_length);
		else
			message->body = g_bytes_new(NULL, 0);
		break;
	}
	default:
		break;
	}
}

ImapMessage *
imap_session_fetch_uid(ImapSession *session, guint32 uid, GError **error)
{
	g_autofree char *what = g_strdup_printf("UID FETCH %u", uid);
	g_autoptr(EtpanSet) set = mailimap_set_new_single(uid);
	g_autoptr(EtpanFetchType) type = mailimap_fetch_type_new_fetch_att_list_empty();
	g_autoptr(EtpanFetchResult) result = NULL;
	g_autoptr(ImapMessage) message = g_new0(ImapMessage, 1);
	g_autoptr(GPtrArray) flags = g_ptr_array_new_with_free_func(g_free);
	int r;

	if (!imap_session_check_usable(session, what, error))
		return NULL;
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_flags());
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_internaldate());
	mailimap_fetch_type_new_fetch_att_list_add(type,
		mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	r = mailimap_uid_fetch(session->imap, set, type, &result);
	if (r != MAILIMAP_NO_ERROR) {
		imap_session_fail(session, r, what, error);
		return NULL;
	}
	for (clistiter *m = clist_begin(result); m != NULL; m = clist_next(m)) {
		struct mailimap_msg_att *att = clist_content(m);
		guint32 seen_uid = 0;
		/* a server may send unsolicited FETCH responses for other messages */
		for (clistiter *i = clist_begin(att->att_list); i != NULL; i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);
			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				seen_uid = item->att_data.att_static->att_data.att_uid;
		}
		if (seen_uid != uid)
			continue;
		for (clistiter *i = clist_begin(att->att_list); i != NULL; i = clist_next(i))
			message_take_item(message, flags, clist_content(i));
	}
	if (message->uid != uid || message->body == NULL) {
		g_set_error(error, M2C_IMAP_ERROR, M2C_IMAP_ERROR_NO,
		            "%s: no such message in the selected mailbox", what);
		return NULL;
	}
	g_ptr_array_add(flags, NULL);
	message->flags = (char **)g_ptr_array_free(g_steal_pointer(&flags), FALSE);
	return g_steal_pointer(&message);
}

gboolean
imap_session_status(ImapSession *session, const char *mailbox, guint32 *messages_out,
                    guint32 *uidnext_out, GError **error)
{
	g_autofree char *what = g_strdup_printf("STATUS \"%s\"", mailbox);
	struct mailimap_status_att_list *atts = mailimap_status_att_list_new_empty();
	struct mailimap_mailbox_data_status *result = NULL;
	int r;

	if (!imap_session_check_usable(session, what, error)) {
		mailimap_status_att_list_free(atts);
		return FALSE;
	}
	mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_MESSAGES);
	mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UIDNEXT);
	r = mailimap_status(session->imap, mailbox, atts, &result);
	mailimap_status_att_list_free(atts);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, what, error);
	for (clistiter *c = clist_begin(result->st_info_list); c != NULL; c = clist_next(c)) {
		struct mailimap_status_info *info = clist_content(c);
		if (info->st_att == MAILIMAP_STATUS_ATT_MESSAGES && messages_out != NULL)
			*messages_out = info->st_value;
		if (info->st_att == MAILIMAP_STATUS_ATT_UIDNEXT && uidnext_out != NULL)
			*uidnext_out = info->st_value;
	}
	mailimap_mailbox_data_status_free(result);
	return TRUE;
}

gboolean
imap_session_add_flags(ImapSession *session, const guint32 *uids, gsize n_uids,
                       const char *const *flags, GError **error)
{
	gsize i = 0;

	while (i < n_uids) {
		g_autofree char *what = NULL;
		g_autoptr(EtpanSet) set = mailimap_set_new_empty();
		g_autoptr(EtpanFlagList) flag_list = mailimap_flag_list_new_empty();
		struct mailimap_store_att_flags *store;
		gsize ranges = 0;
		int r;

		/* ranges of consecutive UIDs; a bounded number per command */
		while (i < n_uids && ranges < 500) {
			gsize j = i;
			while (j + 1 < n_uids && uids[j + 1] == uids[j] + 1)
				j++;
			mailimap_set_add_interval(set, uids[i], uids[j]);
			ranges++;
			i = j + 1;
		}
		for (gsize k = 0; flags != NULL && flags[k] != NULL; k++) {
			struct mailimap_flag *flag = flag_new(flags[k]);
			if (flag != NULL)
				mailimap_flag_list_add(flag_list, flag);
		}
		what = g_strdup_printf("UID STORE +FLAGS.SILENT (%zu range%s)", ranges,
		                       ranges == 1 ? "" : "s");
		if (!imap_session_check_usable(session, what, error))
			return FALSE;
		store = mailimap_store_att_flags_new_add_flags_silent(g_steal_pointer(&flag_list));
		r = mailimap_uid_store(session->imap, set, store);
		mailimap_store_att_flags_free(store);
		if (r != MAILIMAP_NO_ERROR)
			return imap_session_fail(session, r, what, error);
	}
	return TRUE;
}

gboolean
imap_session_namespace(ImapSession *session, char **prefix_out, char *delimiter_out,
                       GError **error)
{
	struct mailimap_namespace_data *ns = NULL;
	int r;

	*prefix_out = NULL;
	*delimiter_out = 0;
	if (!imap_session_check_usable(session, "NAMESPACE", error))
		return FALSE;
	r = mailimap_namespace(session->imap, &ns);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, "NAMESPACE", error);
	if (ns != NULL && ns->ns_personal != NULL && ns->ns_personal->ns_data_list != NULL &&
	    clist_begin(ns->ns_personal->ns_data_list) != NULL) {
		struct mailimap_namespace_info *info = clist_content(clist_begin(ns->ns_personal->ns_data_list));
		*prefix_out = g_strdup(info->ns_prefix != NULL ? info->ns_prefix : "");
		*delimiter_out = info->ns_delimiter;
	}
	if (ns != NULL)
		mailimap_namespace_data_free(ns);
	return TRUE;
}

gboolean
imap_session_subscribe(ImapSession *session, const char *mailbox, GError **error)
{
	g_autofree char *what = g_strdup_printf("SUBSCRIBE \"%s\"", mailbox);
	int r;

	if (!imap_session_check_usable(session, what, error))
		return FALSE;
	r = mailimap_subscribe(session->imap, mailbox);
	return r == MAILIMAP_NO_ERROR || imap_session_fail(session, r, what, error);
}

static gint
uid_cmp(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
	return x < y ? -1 : x > y;
}

gboolean
imap_session_search_header(ImapSession *session, const char *field, const char *value,
                           GArray **uids_out, GError **error)
{
	g_autofree char *what = g_strdup_printf("UID SEARCH HEADER %s \"%s\"", field, value);
	clist *result = NULL;
	int r;

	if (!imap_session_check_usable(session, what, error))
		return FALSE;
	/* the key takes its strings, to be freed with free() */
	struct mailimap_search_key *key = mailimap_search_key_new_header(strdup(field), strdup(value));
	r = mailimap_uid_search(session->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, what, error);
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (clistiter *c = clist_begin(result); c != NULL; c = clist_next(c)) {
		guint32 uid = *(uint32_t *)clist_content(c);
		g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(result);
	g_array_sort(uids, uid_cmp);
	*uids_out = uids;
	return TRUE;
}

gboolean
imap_session_command(ImapSession *session, const char *command, GError **error)
{
	struct mailimap_response *response = NULL;
	int r, state;

	if (!imap_session_check_usable(session, command, error))
		return FALSE;
	/* not mailimap_custom_command(): it sends a space after the command, and Cyrus
	 * answers "BAD Unexpected extra arguments" (measured with CREATE ... (PARTITION p)) */
	r = mailimap_send_current_tag(session->imap);
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(session->imap->imap_stream, command, strlen(command)) < 0 ||
	     mailstream_write(session->imap->imap_stream, "\r\n", 2) < 0 ||
	     mailstream_flush(session->imap->imap_stream) < 0))
		r = MAILIMAP_ERROR_STREAM;
	if (r == MAILIMAP_NO_ERROR)
		imap_session_ack_at_once(session);   /* CAPABILITY's answer comes in pieces */
	if (r == MAILIMAP_NO_ERROR && mailimap_read_line(session->imap) == NULL)
		r = MAILIMAP_ERROR_STREAM;
	if (r == MAILIMAP_NO_ERROR)
		r = mailimap_parse_response(session->imap, &response);
	if (r != MAILIMAP_NO_ERROR)
		return imap_session_fail(session, r, command, error);
	state = response->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(response);
	return state == MAILIMAP_RESP_COND_STATE_OK ||
	       imap_session_fail(session, MAILIMAP_ERROR_CUSTOM_COMMAND, command, error);
}

char *
imap_quote(const char *text)
{
	GString *out = g_string_new("\"");
	for (const char *p = text; *p != '\0'; p++) {
		g_assert(*p != '\r' && *p != '\n');
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
	return g_string_free(out, FALSE);
}
