/* fuzz-manifest.c -- libFuzzer target for lib/manifest.c (and mailbox-name, mutf7 and
 * tsv under it): any bytes as a manifest.  What parses is validated under three
 * namings (the '.' and '/' separators, '.' with virtual domains), then written again
 * with its settings and must read back the same: writer and reader agree on every
 * row the reader takes.  A crash, an assertion or a sanitizer report is a bug.
 *
 *   make fuzz [FUZZ_SECONDS=600]      (clang, -fsanitize=fuzzer,address,undefined)
 */
#include <stdint.h>
#include <string.h>

#include "manifest.h"

static void
assert_same_bytes(GBytes *a, GBytes *b)
{
	g_assert((a == NULL) == (b == NULL));
	g_assert(a == NULL || g_bytes_equal(a, b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const MailboxNaming namings[] = {
		{ .separator = '.' },
		{ .separator = '/' },
		{ .separator = '.', .virtdomains = TRUE },
	};
	g_autoptr(GError) error = NULL;
	g_auto(ManifestSettings) settings = { 0 };
	g_auto(ManifestSettings) settings_again = { 0 };
	g_autoptr(GPtrArray) rows = manifest_parse("fuzz.tsv", (const char *)data, size, &settings,
	                                           &error);

	if (rows == NULL) {
		g_assert(error != NULL && error->domain == M2C_MANIFEST_ERROR);
		return 0;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(namings); i++) {
		g_autoptr(GError) invalid = NULL;
		gboolean ok = manifest_validate("fuzz.tsv", rows, &namings[i], &invalid);
		g_assert(ok == (invalid == NULL));
		g_assert(ok || g_error_matches(invalid, M2C_MANIFEST_ERROR, M2C_MANIFEST_ERROR_INVALID));
	}

	/* written again (sorted), read back: the same rows, the same settings */
	g_autofree char *line = manifest_settings_format(&settings, NULL);
	const char *comments[] = { line, NULL };
	g_autofree char *text = manifest_format(comments, rows);
	g_autoptr(GPtrArray) again = manifest_parse("again.tsv", text, strlen(text), &settings_again,
	                                            &error);
	g_assert(again != NULL && again->len == rows->len);
	for (guint i = 0; i < rows->len; i++) {
		const ManifestRow *a = g_ptr_array_index(rows, i), *b = g_ptr_array_index(again, i);
		g_assert(strcmp(a->user, b->user) == 0);
		g_assert(g_strcmp0(a->mailbox, b->mailbox) == 0);
		assert_same_bytes(a->source, b->source);
		g_assert(a->action == b->action && a->messages == b->messages && a->bytes == b->bytes &&
		         a->subscribed == b->subscribed);
		g_assert(g_strcmp0(a->note, b->note) == 0);
	}
	g_assert(settings.separator == settings_again.separator &&
	         settings.check_owner == settings_again.check_owner &&
	         settings.follow_links_inside_home == settings_again.follow_links_inside_home);
	g_assert(g_strcmp0(settings.inbox_dir, settings_again.inbox_dir) == 0);
	g_assert(g_strcmp0(settings.home_template, settings_again.home_template) == 0);
	return 0;
}
