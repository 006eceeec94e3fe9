/* fuzz-backout.c -- libFuzzer target for what backout reads from Cyrus and writes:
 *   first byte even: the bytes are mbexamine's output for "user.fuzz", fed in pieces
 *     whose sizes come from the second byte; the parser must accept or refuse (an
 *     error naming the mailbox), never crash, assert or leak;
 *   first byte odd: the bytes are a stored message, written by the mbox writer in
 *     pieces (sizes from the second byte, header limit from the third); the output is
 *     read back by the project's reader, which must find exactly one message, whose
 *     copy is the input's bytes with CRLF -- or, when the input does not end in a line
 *     end, the same with one added.
 *
 *   make fuzz [FUZZ_SECONDS=600]      (clang, -fsanitize=fuzzer,address,undefined)
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "imap-digest.h"
#include "mbexamine.h"
#include "mbox-reader.h"
#include "mbox-writer.h"

static gboolean
append(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)error;
	g_byte_array_append(user_data, (const guint8 *)data, (guint)len);
	return TRUE;
}

static void
fuzz_mbexamine(const uint8_t *data, size_t size, gsize piece)
{
	g_autoptr(MbExamineParser) parser = mbexamine_parser_new("user.fuzz");
	g_autoptr(GError) error = NULL;
	MbExamineMailbox mailbox = { 0 };
	gboolean ok = TRUE;
	for (size_t at = 0; at < size && ok; at += piece)
		ok = mbexamine_parser_feed(parser, (const char *)data + at, MIN(piece, size - at), &error);
	if (ok)
		ok = mbexamine_parser_finish(parser, &mailbox, &error);
	if (ok) {
		g_assert_nonnull(mailbox.path);
		for (guint i = 1; i < mailbox.messages->len; i++)
			g_assert_cmpuint(((ImapDigest *)mailbox.messages->pdata[i - 1])->uid, <,
			                 ((ImapDigest *)mailbox.messages->pdata[i])->uid);
		mbexamine_mailbox_clear(&mailbox);
	} else {
		g_assert_nonnull(error);
	}
}

/* The message as convert stores it: the input with every line ending CRLF. */
static GByteArray *
stored(const uint8_t *data, size_t size)
{
	GByteArray *out = g_byte_array_new();
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			g_byte_array_append(out, (const guint8 *)"\r", 1);
		g_byte_array_append(out, data + i, 1);
	}
	return out;
}

static void
fuzz_writer(const uint8_t *data, size_t size, gsize piece, gsize header_limit)
{
	static char *dir;
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	MboxWriterSettings settings = { .quoting = MBOX_QUOTING_MBOXRD, .max_header_bytes = header_limit,
	                                .hostname = "fuzz" };
	g_autoptr(MboxWriter) writer = mbox_writer_new(&settings, append, out);
	const char *const flags[] = { "\\Seen", "$Label1", NULL };

	/* bare CRs and NULs make the reader's view differ by design; only check the rest */
	gboolean plain = memchr(data, '\r', size) == NULL && memchr(data, '\0', size) == NULL;
	g_assert_true(mbox_writer_begin(writer, NULL, 1046871912, flags, 7, &error));
	for (size_t at = 0; at < size; at += piece)
		g_assert_true(mbox_writer_write(writer, (const char *)data + at, MIN(piece, size - at), &error));
	g_assert_true(mbox_writer_end(writer, &error));
	if (!plain || size == 0)
		return;

	if (dir == NULL)
		dir = g_dir_make_tmp("m2c-fuzz-backout-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "out.mbox", NULL);
	g_assert_true(g_file_set_contents(path, (const char *)out->data, (gssize)out->len, NULL));
	MboxReaderSettings rs;
	mbox_reader_settings_init(&rs);
	rs.quoting = MBOX_QUOTING_MBOXRD;
	rs.use_content_length = FALSE;
	g_autoptr(MboxReader) reader = mbox_reader_open(path, &rs, &error);
	g_assert_no_error(error);
	g_autoptr(MboxMessage) m = mbox_reader_next(reader, &error);
	g_assert_no_error(error);
	g_assert_nonnull(m);
	g_autoptr(GByteArray) back = g_byte_array_new();
	g_assert_true(mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, append, back, &error));
	g_autoptr(MboxMessage) extra = mbox_reader_next(reader, &error);
	g_assert_null(extra);
	g_autoptr(GByteArray) want = stored(data, size);
	if (data[size - 1] != '\n')
		g_byte_array_append(want, (const guint8 *)"\r\n", 2);
	/* the writer's documented limits: a message without an empty line after its
	 * headers, header lines it had to cut, and the internal headers it drops are not
	 * compared byte for byte */
	g_autofree char *lower = g_ascii_strdown((const char *)data, (gssize)size);
	static const char *const internal[] = { "status:", "x-keywords", "x-uid", "x-imap",
	                                        "content-length", "x-mozilla", "x-mbox2cyrus",
	                                        NULL };
	gboolean has_internal = FALSE;
	for (guint i = 0; internal[i] != NULL; i++)
		has_internal |= strstr(lower, internal[i]) != NULL;
	if (!has_internal && memmem(data, size, "\n\n", 2) != NULL && data[0] != '\n' &&
	    size < header_limit) {
		g_assert_cmpuint(back->len, ==, want->len);
		g_assert_true(memcmp(back->data, want->data, want->len) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	gsize piece = 1 + data[1] % 64;
	if (data[0] % 2 == 0)
		fuzz_mbexamine(data + 2, size - 2, piece);
	else
		fuzz_writer(data + 3, size - 3, piece, 64 + (gsize)data[2] * 16);
	return 0;
}
