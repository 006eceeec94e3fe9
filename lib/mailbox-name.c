/* mailbox-name.c -- see mailbox-name.h for the rules. */
#include "mailbox-name.h"

#include <string.h>

#include "cyrus-conf.h"
#include "mutf7.h"
#include "tsv.h"

G_DEFINE_QUARK(m2c-name-error-quark, m2c_name_error)

/* Cyrus 3.6 CREATE refuses these anywhere in a name (measured, both separators). */
static const char refused[] = "!\"%/;<>\\`{|}";

struct MailboxNameSet {
	MailboxNaming naming;
	GHashTable *taken;   /* NFC + case-folded full names */
};

void
mailbox_naming_from_conf(MailboxNaming *naming, const CyrusConf *conf)
{
	const char *vd = cyrus_conf_get(conf, "virtdomains");
	naming->separator = cyrus_conf_get_bool(conf, "unixhierarchysep", TRUE) ? '/' : '.';
	naming->virtdomains = vd != NULL && g_ascii_strcasecmp(vd, "off") != 0 &&
	                      g_ascii_strcasecmp(vd, "no") != 0;
}

gboolean
mailbox_naming_check(const MailboxNaming *naming, GError **error)
{
	const char *charsets[] = { naming->fs_charset, naming->fs_charset_fallback };
	for (gsize i = 0; i < G_N_ELEMENTS(charsets); i++) {
		GIConv cd;
		if (charsets[i] == NULL)
			continue;
		cd = g_iconv_open("UTF-8", charsets[i]);
		if (cd == (GIConv)-1) {
			g_set_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_CHARSET,
			            "unknown charset \"%s\" (see iconv --list)", charsets[i]);
			return FALSE;
		}
		g_iconv_close(cd);
	}
	return TRUE;
}

static gboolean
is_utf8_charset(const char *charset)
{
	return charset == NULL || g_ascii_strcasecmp(charset, "UTF-8") == 0 ||
	       g_ascii_strcasecmp(charset, "UTF8") == 0;
}

/* Step 1: bytes to UTF-8. */
static char *
decode(const MailboxNaming *naming, const char *bytes, gsize len, GString *notes)
{
	char *utf8;

	if (is_utf8_charset(naming->fs_charset)) {
		if (g_utf8_validate_len(bytes, len, NULL))
			return g_strndup(bytes, len);
	} else if ((utf8 = g_convert(bytes, (gssize)len, "UTF-8", naming->fs_charset,
	                             NULL, NULL, NULL)) != NULL) {
		return utf8;
	}
	if (naming->fs_charset_fallback != NULL &&
	    (utf8 = g_convert(bytes, (gssize)len, "UTF-8", naming->fs_charset_fallback,
	                      NULL, NULL, NULL)) != NULL) {
		if (notes != NULL)
			g_string_append_printf(notes, "%sname read as %s", notes->len ? "; " : "",
			                       naming->fs_charset_fallback);
		return utf8;
	}
	/* what neither charset reads: valid UTF-8 runs kept, other bytes -> U+F700+b */
	GString *out = g_string_new(NULL);
	const char *p = bytes, *end = bytes + len;
	while (p < end) {
		const char *valid_end;
		g_utf8_validate_len(p, (gsize)(end - p), &valid_end);
		g_string_append_len(out, p, valid_end - p);
		p = valid_end;
		if (p < end)
			g_string_append_unichar(out, 0xF700 + (guchar)*p++);
	}
	if (notes != NULL)
		g_string_append_printf(notes, "%sbytes of the name that are not %s kept as U+F7xx",
		                       notes->len ? "; " : "",
		                       naming->fs_charset_fallback ? "valid in either charset"
		                                                    : "UTF-8");
	return g_string_free(out, FALSE);
}

char *
mailbox_name_map_component(const MailboxNaming *naming, const char *bytes, gsize len,
                           GString *notes)
{
	g_autofree char *utf8 = decode(naming, bytes, len, notes);
	g_autofree char *nfc = g_utf8_normalize(utf8, -1, G_NORMALIZE_NFC);
	GString *out = g_string_new(NULL);
	gboolean mapped = FALSE, controls = FALSE;
	gboolean first = TRUE;

	for (const char *p = nfc; *p != '\0'; p = g_utf8_next_char(p), first = FALSE) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f) {
			g_string_append_unichar(out, c == 0x7f ? 0x2421 : 0x2400 + c);
			controls = TRUE;
		} else if ((c < 0x80 && strchr(refused, (int)c) != NULL) ||
		           c == (gunichar)naming->separator ||
		           (c == '^' && naming->separator == '/') ||
		           (c == '@' && naming->virtdomains) ||
		           (first && (c == '.' || c == '~'))) {
			g_string_append_unichar(out, c + 0xFEE0);   /* the fullwidth form */
			mapped = TRUE;
		} else {
			g_string_append_unichar(out, c);
		}
	}
	if (notes != NULL && mapped)
		g_string_append_printf(notes, "%scharacters Cyrus refuses written as fullwidth forms",
		                       notes->len ? "; " : "");
	if (notes != NULL && controls)
		g_string_append_printf(notes, "%scontrol characters written as U+24xx",
		                       notes->len ? "; " : "");
	return g_string_free(out, FALSE);
}

/* `name` for an error message: escaped as tsv.h says, cut after 80 bytes; new. */
static char *
quoted(const char *name)
{
	return tsv_escape_cut(name, strlen(name), 80);
}

/* Why Cyrus would refuse `mailbox` (new), or NULL when it would take it. */
static char *
refusal(const MailboxNaming *naming, const char *mailbox)
{
	gsize len = strlen(mailbox);
	const char *at = NULL;   /* the '@' before the domain, with virtual domains */

	if (len == 0)
		return g_strdup("an empty name");
	if (len > MAILBOX_NAME_MAX)   /* measured: 490 bytes taken, 491 refused */
		return g_strdup_printf("%zu bytes long, Cyrus takes at most %d", len, MAILBOX_NAME_MAX);
	for (const char *p = mailbox; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80)
			return g_strdup_printf("an 8-bit byte (0x%02x): names are modified UTF-7", c);
		if (c < 0x20 || c == 0x7f)
			return g_strdup_printf("a control character (0x%02x)", c);
		if (c != (unsigned char)naming->separator && strchr(refused, c) != NULL)
			return g_strdup_printf("'%c', which Cyrus refuses", c);
		if (c == '^' && naming->separator == '/')
			return g_strdup("'^', which Cyrus refuses with the '/' separator");
		if (c == '@' && naming->virtdomains) {
			if (at != NULL)
				return g_strdup("a second '@' (with virtual domains the last '@' starts "
				                "the domain: a folder name holds none)");
			at = p;
		}
	}
	if (at != NULL && at[1] == '\0')
		return g_strdup("nothing after the '@'");
	/* the parts before the domain: Cyrus collapses an empty one ("a..b" is "a.b") */
	for (const char *part = mailbox, *end = at != NULL ? at : mailbox + len;;) {
		const char *sep = memchr(part, naming->separator, (gsize)(end - part));
		if ((sep != NULL ? sep : end) == part)
			return g_strdup("an empty part (two separators in a row, or one at an end)");
		if (sep == NULL)
			break;
		part = sep + 1;
	}
	if (!mutf7_is_canonical(mailbox))
		return g_strdup("an '&' that does not start canonical modified UTF-7 "
		                "(\"&-\" is an '&' itself)");
	return NULL;
}

gboolean
mailbox_name_check(const MailboxNaming *naming, const char *mailbox, GError **error)
{
	g_autofree char *why = refusal(naming, mailbox);

	if (why != NULL) {
		g_autofree char *name = quoted(mailbox);
		g_set_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_BAD_NAME, "mailbox name \"%s\": %s",
		            name, why);
		return FALSE;
	}
	return TRUE;
}

gboolean
mailbox_name_user(const MailboxNaming *naming, const char *user, char **prefix_out,
                  char **domain_out, GError **error)
{
	const char *at = strchr(user, '@');
	g_autofree char *local = at != NULL ? g_strndup(user, (gsize)(at - user)) : g_strdup(user);
	const char *domain = at != NULL ? at + 1 : NULL;
	g_autofree char *prefix = NULL, *suffix = NULL, *inbox = NULL, *why = NULL;

	if (*user == '\0' || (at != NULL && !naming->virtdomains) || *local == '\0' ||
	    (domain != NULL && (*domain == '\0' || strchr(domain, '@') != NULL)))
		goto bad;
	for (const char *p = user; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr(refused, c) != NULL || c == '^')
			goto bad;
	}
	/* measured: CREATE user.anyone and user.anonymous are refused (Cyrus's own ids) */
	if (strcmp(local, "anyone") == 0 || strcmp(local, "anonymous") == 0) {
		why = g_strdup("a name Cyrus keeps for itself");
		goto bad;
	}
	if (naming->separator == '.')
		g_strdelimit(local, ".", '^');   /* john.doe -> user.john^doe */
	prefix = g_strdup_printf("user%c%s", naming->separator, local);
	suffix = domain != NULL ? g_strdup_printf("@%s", domain) : g_strdup("");
	inbox = g_strconcat(prefix, suffix, NULL);
	if ((why = refusal(naming, inbox)) != NULL)   /* '&', a 500-byte name, ... */
		goto bad;
	*prefix_out = g_steal_pointer(&prefix);
	*domain_out = g_steal_pointer(&suffix);
	return TRUE;
bad:
	{
		g_autofree char *name = quoted(user);
		g_set_error(error, M2C_NAME_ERROR, M2C_NAME_ERROR_BAD_USER,
		            "user name \"%s\" cannot be a Cyrus user%s%s%s", name,
		            at != NULL && !naming->virtdomains ? " (an '@' needs virtdomains)" : "",
		            why != NULL ? ": " : "", why != NULL ? why : "");
	}
	return FALSE;
}

MailboxNameSet *
mailbox_name_set_new(const MailboxNaming *naming)
{
	MailboxNameSet *set = g_new0(MailboxNameSet, 1);
	set->naming = *naming;
	set->taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return set;
}

void
mailbox_name_set_free(MailboxNameSet *set)
{
	if (set == NULL)
		return;
	g_hash_table_unref(set->taken);
	g_free(set);
}

static char *
fold(const char *utf8)
{
	g_autofree char *nfc = g_utf8_normalize(utf8, -1, G_NORMALIZE_NFC);
	char *folded = g_utf8_casefold(nfc, -1);
	/* kept in a MailboxNameSet, one for every mailbox of a site: not in the 128 bytes
	 * g_utf8_casefold leaves it in */
	return g_realloc(folded, strlen(folded) + 1);
}

void
mailbox_name_set_add_inbox(MailboxNameSet *set, const char *prefix, const char *domain)
{
	g_autofree char *full = g_strconcat(prefix, domain, NULL);
	g_hash_table_add(set->taken, fold(full));
}

static char *
join(const MailboxNameSet *set, const char *prefix, const char *domain, char *const *components,
     const char *last)
{
	GString *out = g_string_new(prefix);
	for (char *const *c = components; *c != NULL; c++) {
		g_string_append_c(out, set->naming.separator);
		g_string_append(out, c[1] == NULL && last != NULL ? last : *c);
	}
	g_string_append(out, domain);
	return g_string_free(out, FALSE);
}

/* Step 5 for a name whose last component is `last`: at most 490 bytes encoded, by
 * cutting `last` and adding "~" and 8 hex digits of a hash of `full` (the name before
 * any change).  Returns the encoded name; *utf8 is updated to match. */
static char *
fit(const MailboxNameSet *set, const char *prefix, const char *domain, char *const *components,
    const char *last, const char *full, char **utf8, gboolean *cut_out)
{
	char *encoded = mutf7_encode(*utf8, NULL);
	g_assert(encoded != NULL);
	*cut_out = FALSE;
	if (strlen(encoded) <= MAILBOX_NAME_MAX)
		return encoded;
	g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA1, full, -1);
	glong chars = g_utf8_strlen(last, -1);
	while (strlen(encoded) > MAILBOX_NAME_MAX && chars > 0) {
		g_autofree char *cut = g_utf8_substring(last, 0, --chars);
		g_autofree char *shorter = g_strdup_printf("%s~%.8s", cut, hash);
		g_free(*utf8);
		*utf8 = join(set, prefix, domain, components, shorter);
		g_free(encoded);
		encoded = mutf7_encode(*utf8, NULL);
	}
	*cut_out = TRUE;
	return encoded;
}

char *
mailbox_name_set_add(MailboxNameSet *set, const char *prefix, const char *domain,
                     char *const *components, GString *notes, GError **error)
{
	gsize n = g_strv_length((char **)components);
	g_assert(n > 0);
	const char *last = components[n - 1];
	g_autofree char *full = join(set, prefix, domain, components, NULL);
	char *encoded = NULL;
	gboolean cut = FALSE;
	guint k;

	/* steps 4 and 5: the first of last, last~2, last~3, ... whose final (maybe cut)
	 * form is not taken, after NFC and case folding */
	for (k = 1;; k++) {
		g_autofree char *candidate = k == 1 ? g_strdup(last) : g_strdup_printf("%s~%u", last, k);
		g_autofree char *utf8 = join(set, prefix, domain, components, candidate);
		g_autofree char *with_k = k == 1 ? g_strdup(full) : g_strdup_printf("%s~%u", full, k);
		encoded = fit(set, prefix, domain, components, candidate, with_k, &utf8, &cut);
		/* only the last part was cut: the levels above it may still be too long */
		if (!mailbox_name_check(&set->naming, encoded, error)) {
			g_free(encoded);
			return NULL;
		}
		g_autofree char *key = fold(utf8);
		if (!g_hash_table_contains(set->taken, key)) {
			g_hash_table_add(set->taken, g_steal_pointer(&key));
			break;
		}
		g_free(encoded);
	}
	if (notes != NULL && k > 1)
		g_string_append_printf(notes, "%sname taken (same letters, maybe in another case): "
		                       "\"~%u\" added", notes->len ? "; " : "", k);
	if (notes != NULL && cut)
		g_string_append_printf(notes, "%sname longer than %d bytes: cut, a hash added",
		                       notes->len ? "; " : "", MAILBOX_NAME_MAX);
	return encoded;
}

char *
mailbox_name_personal(const MailboxNaming *naming, gboolean altnamespace, const char *prefix,
                      const char *domain, const char *mailbox)
{
	gsize plen = strlen(prefix), dlen = strlen(domain), mlen = strlen(mailbox);

	if (mlen < plen + dlen || strncmp(mailbox, prefix, plen) != 0 ||
	    strcmp(mailbox + mlen - dlen, domain) != 0)
		return NULL;
	if (mlen == plen + dlen)
		return g_strdup("INBOX");
	if (mailbox[plen] != naming->separator || mlen == plen + dlen + 1)
		return NULL;
	g_autofree char *rest = g_strndup(mailbox + plen + 1, mlen - plen - 1 - dlen);
	return altnamespace ? g_steal_pointer(&rest)
	                    : g_strdup_printf("INBOX%c%s", naming->separator, rest);
}
