/* mbox-meta.c -- see mbox-meta.h. */
#include "mbox-meta.h"

#include <stdlib.h>
#include <string.h>

enum {
	SEEN = 1 << 0,
	ANSWERED = 1 << 1,
	FLAGGED = 1 << 2,
	DELETED = 1 << 3,
	DRAFT = 1 << 4,
};

static const char *const system_names[] = { "\\Seen", "\\Answered", "\\Flagged",
                                            "\\Deleted", "\\Draft" };

struct MboxFlagSet {
	guint system;
	GPtrArray *keywords;
};

MboxFlagSet *
mbox_flag_set_new(void)
{
	MboxFlagSet *set = g_new0(MboxFlagSet, 1);
	set->keywords = g_ptr_array_new_with_free_func(g_free);
	return set;
}

void
mbox_flag_set_free(MboxFlagSet *set)
{
	if (set == NULL)
		return;
	g_ptr_array_unref(set->keywords);
	g_free(set);
}

gboolean
mbox_meta_is_valid_keyword(const char *keyword)
{
	/* RFC 3501 atom: no atom-specials "(){ %*\"\\]" and no controls or 8-bit */
	if (keyword[0] == '\0' || keyword[0] == '\\')
		return FALSE;
	for (const char *p = keyword; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return FALSE;
	}
	return TRUE;
}

static void
add_keyword(MboxFlagSet *set, const char *keyword, GPtrArray *warnings)
{
	if (!mbox_meta_is_valid_keyword(keyword)) {
		if (warnings != NULL)
			g_ptr_array_add(warnings, g_strdup_printf("keyword \"%s\" is not a valid "
			                                          "IMAP keyword, dropped", keyword));
		return;
	}
	for (guint i = 0; i < set->keywords->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(set->keywords, i), keyword) == 0)
			return;
	g_ptr_array_add(set->keywords, g_strdup(keyword));
}

static void
add_keyword_list(MboxFlagSet *set, const char *value, GPtrArray *warnings)
{
	g_auto(GStrv) words = g_strsplit_set(value, " \t,", -1);
	for (char **w = words; *w != NULL; w++)
		if (**w != '\0')
			add_keyword(set, *w, warnings);
}

void
mbox_flag_set_add_field(MboxFlagSet *set, const char *name, const char *value,
                        GPtrArray *warnings)
{
	if (g_ascii_strcasecmp(name, "Status") == 0) {
		for (const char *p = value; *p != '\0'; p++)
			if (*p == 'R')
				set->system |= SEEN;
			else if (*p == 'D')
				set->system |= DELETED;
	} else if (g_ascii_strcasecmp(name, "X-Status") == 0) {
		for (const char *p = value; *p != '\0'; p++)
			switch (*p) {
			case 'A': set->system |= ANSWERED; break;
			case 'F': set->system |= FLAGGED; break;
			case 'T': set->system |= DRAFT; break;
			case 'D': set->system |= DELETED; break;
			default: break;
			}
	} else if (g_ascii_strcasecmp(name, "X-Keywords") == 0 ||
	           g_ascii_strcasecmp(name, "X-Mozilla-Keys") == 0) {
		add_keyword_list(set, value, warnings);
	} else if (g_ascii_strcasecmp(name, "X-Mozilla-Status") == 0) {
		g_autofree char *copy = g_strstrip(g_strdup(value));
		char *end = NULL;
		guint64 bits = g_ascii_strtoull(copy, &end, 16);
		if (end == copy || *end != '\0') {
			if (warnings != NULL)
				g_ptr_array_add(warnings, g_strdup_printf("X-Mozilla-Status \"%s\" is not "
				                                          "hexadecimal, ignored", copy));
			return;
		}
		if (bits & 0x1) set->system |= SEEN;
		if (bits & 0x2) set->system |= ANSWERED;
		if (bits & 0x4) set->system |= FLAGGED;
		if (bits & 0x8) set->system |= DELETED;
		if (bits & 0x1000) add_keyword(set, "$Forwarded", warnings);
	}
}

char **
mbox_flag_set_to_strv(const MboxFlagSet *set)
{
	GPtrArray *out = g_ptr_array_new();

	for (gsize i = 0; i < G_N_ELEMENTS(system_names); i++)
		if (set->system & (1u << i))
			g_ptr_array_add(out, g_strdup(system_names[i]));
	for (guint i = 0; i < set->keywords->len; i++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(set->keywords, i)));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

gboolean
mbox_meta_is_internal_field(const char *name, gsize len)
{
	static const char *const internal[] = {
		"Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase",
		"Content-Length", "X-Mozilla-Status", "X-Mozilla-Status2", "X-Mozilla-Keys",
		"X-Mbox2cyrus-SHA1",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(internal); i++)
		if (strlen(internal[i]) == len && g_ascii_strncasecmp(name, internal[i], len) == 0)
			return TRUE;
	return FALSE;
}

gboolean
mbox_meta_parse_imapbase(const char *value, guint32 *uidvalidity_out, guint32 *last_uid_out,
                         char ***keywords_out)
{
	g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
	GPtrArray *keywords;
	guint64 numbers[2];
	int found = 0;
	char **w = words;

	for (; *w != NULL && found < 2; w++) {
		char *end;
		if (**w == '\0')
			continue;
		numbers[found] = g_ascii_strtoull(*w, &end, 10);
		if (*end != '\0' || numbers[found] > G_MAXUINT32)
			return FALSE;
		found++;
	}
	if (found < 2)
		return FALSE;
	*uidvalidity_out = (guint32)numbers[0];
	*last_uid_out = (guint32)numbers[1];
	if (keywords_out == NULL)
		return TRUE;
	keywords = g_ptr_array_new();
	for (; *w != NULL; w++)
		if (**w != '\0' && mbox_meta_is_valid_keyword(*w))
			g_ptr_array_add(keywords, g_strdup(*w));
	g_ptr_array_add(keywords, NULL);
	*keywords_out = (char **)g_ptr_array_free(keywords, FALSE);
	return TRUE;
}
