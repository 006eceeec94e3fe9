/* map-user.c -- see map-user.h.  mapnames and upload both call map_user(). */
#include "map-user.h"

#include <string.h>

#include "manifest.h"

/* --special-use: Pine, mutt and elm folder names to the conventional ones. */
static const struct {
	const char *from, *to;
} special_use[] = {
	{ "sent-mail", "Sent" }, { "sent", "Sent" }, { "Sent", "Sent" },
	{ "saved-messages", "Saved" },
	{ "postponed-msgs", "Drafts" }, { "postponed", "Drafts" }, { "Drafts", "Drafts" },
	{ "drafts", "Drafts" }, { "Trash", "Trash" }, { "trash", "Trash" },
};

static void
append_note(GString *notes, const char *text)
{
	if (text != NULL && *text != '\0')
		g_string_append_printf(notes, "%s%s", notes->len ? "; " : "", text);
}

char *
map_user_component(const MapUserSettings *settings, const char *bytes, gsize len,
                   gboolean top_level, GString *notes)
{
	for (gsize s = 0; settings->special_use && top_level && s < G_N_ELEMENTS(special_use); s++) {
		if (strlen(special_use[s].from) != len || memcmp(bytes, special_use[s].from, len) != 0)
			continue;
		if (strcmp(special_use[s].from, special_use[s].to) != 0 && notes != NULL)
			g_string_append_printf(notes, "%sspecial use: %s is %s", notes->len ? "; " : "",
			                       special_use[s].from, special_use[s].to);
		bytes = special_use[s].to;
		len = strlen(bytes);
		break;
	}
	return mailbox_name_map_component(settings->naming, bytes, len, notes);
}

/* mapnames --scan: count what the reader finds. */
static void
count_messages(ManifestRow *row, const char *path, const MboxReaderSettings *settings,
               Report *report)
{
	g_autoptr(GError) error = NULL;
	MboxMessage *m;
	gint64 n = 0;
	g_autoptr(MboxReader) reader = mbox_reader_open(path, settings, &error);
	while (reader != NULL && (m = mbox_reader_next(reader, &error)) != NULL) {
		n++;
		mbox_message_free(m);
	}
	if (error != NULL) {
		report_at(report, REPORT_WARNING, path, 0, -1, "%s", error->message);
		g_autofree char *old = row->note;
		row->note = g_strdup_printf("%s%sscan: %s", old ? old : "", old ? "; " : "",
		                            error->message);
		return;
	}
	row->messages = n;
	row->bytes = mbox_reader_summary(reader)->size;
}

/* A skip row for `path` of `user`, said as a warning. */
static void
add_skip(GPtrArray *rows, const char *user, const char *path, const char *note, Report *report)
{
	report_at(report, REPORT_WARNING, path, 0, -1, "skipped: %s", note);
	g_ptr_array_add(rows, manifest_row_new(user, NULL, path, path ? strlen(path) : 0,
	                                       MANIFEST_SKIP, note));
}

void
map_user(const MapUserSettings *settings, MailboxNameSet *names, GHashTable *sources,
         const char *user, GPtrArray *rows, Report *report)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *prefix = NULL, *domain = NULL, *home = NULL;
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify)found_free);
	g_autoptr(GHashTable) subs = NULL;

	if (!mailbox_name_user(settings->naming, user, &prefix, &domain, &error) ||
	    !discover_user(settings->discover, user, found, &home, &error)) {
		report_msg(report, REPORT_FAILED, "user \"%s\": %s", user, error->message);
		g_ptr_array_add(rows, manifest_row_new(user, NULL, NULL, 0, MANIFEST_SKIP, error->message));
		return;
	}
	subs = discover_subscriptions(settings->discover, user, home);
	mailbox_name_set_add_inbox(names, prefix, domain);

	for (guint i = 0; i < found->len; i++) {
		Found *f = g_ptr_array_index(found, i);
		g_autoptr(GString) notes = g_string_new(NULL);
		g_autofree char *mailbox = NULL;
		ManifestRow *row;

		/* two users with one home (--no-owner-check): the mail goes to the first only */
		const char *owner = f->action != MANIFEST_SKIP && f->path != NULL
		                    ? g_hash_table_lookup(sources, f->path) : NULL;
		if (owner != NULL) {
			g_autofree char *note = g_strdup_printf("mapped for user %s already (it would be "
			                                        "delivered twice)", owner);
			add_skip(rows, user, f->path, note, report);
			continue;
		}
		append_note(notes, f->note);
		if (f->action == MANIFEST_INBOX) {
			mailbox = g_strconcat(prefix, domain, NULL);
		} else if (f->action == MANIFEST_FOLDER) {
			guint n = g_strv_length(f->components);
			g_auto(GStrv) mapped = g_new0(char *, n + 1);
			for (guint k = 0; k < n; k++)
				mapped[k] = map_user_component(settings, f->components[k], strlen(f->components[k]),
				                               n == 1, notes);
			mailbox = mailbox_name_set_add(names, prefix, domain, mapped, notes, &error);
		}
		if (f->action == MANIFEST_FOLDER && mailbox == NULL) {
			/* the directories above it alone make a name Cyrus refuses (490 bytes) */
			g_autofree char *note = g_strdup_printf("no mailbox name fits: %s (give it one "
			                                        "in the manifest)", error->message);
			g_clear_error(&error);
			add_skip(rows, user, f->path, note, report);
			continue;
		}
		if (f->action != MANIFEST_SKIP && f->path != NULL)
			g_hash_table_insert(sources, g_strdup(f->path), g_strdup(user));
		row = manifest_row_new(user, mailbox, f->path, f->path ? strlen(f->path) : 0,
		                       f->action, notes->str);
		if (f->action == MANIFEST_INBOX)
			row->subscribed = 1;
		else if (f->action == MANIFEST_FOLDER)
			row->subscribed = f->relative != NULL && g_hash_table_contains(subs, f->relative);
		if (settings->scan != NULL && f->action != MANIFEST_SKIP && f->path != NULL)
			count_messages(row, f->path, settings->scan, report);
		else if (settings->scan != NULL && f->action == MANIFEST_INBOX)
			row->messages = row->bytes = 0;
		if (f->action == MANIFEST_SKIP)
			report_at(report, REPORT_INFO, f->path, 0, -1, "skipped: %s", f->note);
		g_ptr_array_add(rows, row);
	}
}

/* Add a copy of `user` to `users` unless `seen` has it.  `seen` borrows its keys
 * from `users`, which outlives it; never from the lines of --users, freed as soon
 * as the file is read. */
static void
add_user(GPtrArray *users, GHashTable *seen, const char *user)
{
	char *copy;

	if (g_hash_table_contains(seen, user))
		return;
	copy = g_strdup(user);
	g_ptr_array_add(users, copy);
	g_hash_table_add(seen, copy);
}

/* The users of --users FILE, then USER...; each once, in the order first named. */
GPtrArray *
map_read_users(const char *users_file, char **args, GHashTable *servers, GError **error)
{
	g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	if (users_file != NULL) {
		g_autofree char *text = NULL;
		if (!g_file_get_contents(users_file, &text, NULL, error))
			return NULL;
		g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
		for (char **l = lines; *l != NULL; l++) {
			char *u = g_strstrip(*l);
			if (*u == '\0' || *u == '#')
				continue;
			/* "user server": the Murder backend the user's mail goes to */
			char *blank = strpbrk(u, " \t");
			if (blank != NULL) {
				*blank = '\0';
				const char *server = g_strstrip(blank + 1);
				if (servers != NULL && *server != '\0')
					g_hash_table_replace(servers, g_strdup(u), g_strdup(server));
			}
			add_user(users, seen, u);
		}
	}
	for (char **a = args; a != NULL && *a != NULL; a++)
		add_user(users, seen, *a);
	return g_steal_pointer(&users);
}
