/* fuzz-journal.c -- libFuzzer target for lib/journal.c: any bytes as a user's journal
 * file.  journal_open() must either read it (then every record is looked up again and
 * one more appended, as a rerun does) or fail with DAMAGED naming the line; never
 * crash, assert or leak.
 *
 *   make fuzz [FUZZ_SECONDS=600]      (clang, -fsanitize=fuzzer,address,undefined)
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "journal.h"

static const char *const steps[] = { "created", "delivered", "finished", "flagged", "subscribed",
                                      "problem", "failed", "done", NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *dir;
	g_autoptr(GError) error = NULL;

	if (dir == NULL)
		dir = g_dir_make_tmp("m2c-fuzz-journal-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "fuzz.journal", NULL);
	if (!g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
		return 0;
	Journal *j = journal_open(dir, "fuzz", steps, &error);
	if (j == NULL) {
		g_assert_nonnull(error);
		if (error->domain == M2C_JOURNAL_ERROR && error->code == M2C_JOURNAL_ERROR_DAMAGED)
			g_assert_true(g_str_has_prefix(error->message, path));
		return 0;
	}
	for (guint i = 0; i < journal_n_records(j); i++) {
		const JournalRecord *r = journal_record_at(j, i);
		const JournalRecord *last = journal_find(j, r->step, r->key);
		g_assert_nonnull(last);
		g_assert_cmpuint(last->line, >=, r->line);
	}
	g_assert_true(journal_append(j, "done", "", NULL, NULL));
	journal_free(j);
	/* what was appended reads back */
	j = journal_open(dir, "fuzz", steps, &error);
	g_assert_nonnull(j);
	g_assert_nonnull(journal_find(j, "done", ""));
	journal_free(j);
	g_unlink(path);
	return 0;
}
