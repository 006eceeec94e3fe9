/* fuzz-mbox-reader.c -- libFuzzer target for lib/mbox-reader (and from-line, mbox-meta,
 * line-reader under it): any bytes as an mbox file, every message read and copied out
 * both ways, with a small window and short reads chosen by the input's first byte.
 *
 *   make fuzz [FUZZ_SECONDS=600]      (clang, -fsanitize=fuzzer,address,undefined)
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mbox-reader.h"

static gboolean
discard(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)error;
	*(gsize *)user_data += len;
	(void)data;
	return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MboxReaderSettings settings;
	g_autoptr(GError) error = NULL;
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	MboxMessage *m;
	int fd = memfd_create("fuzz-mbox", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	mbox_reader_settings_init(&settings);
	settings.source_tz = utc;
	settings.window = 8192;
	settings.max_read = size > 0 ? data[0] % 8 : 0;
	settings.quoting = size > 1 ? data[1] % 4 : MBOX_QUOTING_AUTO;
	g_autoptr(MboxReader) reader = mbox_reader_open_fd(fd, "fuzz", &settings, &error);
	if (reader == NULL)
		return 0;
	while ((m = mbox_reader_next(reader, &error)) != NULL) {
		gsize bytes = 0;
		g_assert(m->from_offset <= m->header_offset && m->body_offset <= m->end_offset &&
		         m->end_offset <= m->next_offset && m->next_offset <= (gint64)size);
		g_assert(mbox_reader_copy_message(reader, m, 0, discard, &bytes, &error));
		g_assert(mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF | MBOX_COPY_KEEP_INTERNAL,
		                                  discard, &bytes, &error));
		mbox_message_free(m);
	}
	(void)mbox_reader_summary(reader);
	return 0;
}
