/* mbox-source.c -- opening an mbox file for the reader: safety checks, line-ending
 * detection, transparent decompression.
 *
 * Compressed folders (gzip, bzip2, xz, compress .Z) are decompressed with libarchive
 * (raw format) into an O_TMPFILE file that is never linked into the file system, so
 * both reader phases can pread it.  libarchive, not GIO: GZlibDecompressor stops
 * after the first member of a multi-member .gz (DESIGN.md) and GIO has no bzip2/.Z.
 */
#include "mbox-reader-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <zlib.h>
#include <gio/gio.h>

const char *
mbox_compression_of(const unsigned char *magic, gssize len)
{
	if (len >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		return "gzip";
	if (len >= 3 && memcmp(magic, "BZh", 3) == 0)
		return "bzip2";
	if (len >= 2 && magic[0] == 0x1f && magic[1] == 0x9d)
		return "compress";
	if (len >= 6 && memcmp(magic, "\xfd" "7zXZ\0", 6) == 0)
		return "xz";
	return NULL;
}

static int
temp_copy(const char *name, GError **error)
{
	int out = open(g_get_tmp_dir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out < 0)
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO,
		            "%s: cannot make a temporary file in %s to decompress into: %s",
		            name, g_get_tmp_dir(), g_strerror(errno));
	return out;
}

static gboolean
write_all(int out, const char *buf, gsize len, const char *name, GError **error)
{
	for (gsize done = 0; done < len;) {
		ssize_t w = write(out, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO,
			            "%s: writing the decompressed copy failed: %s", name, g_strerror(errno));
			return FALSE;
		}
		done += (gsize)w;
	}
	return TRUE;
}

/* gzip through zlib, not libarchive: libarchive 3.6 does not check a member's CRC
 * and length, so a .gz damaged in the middle came out short with no error (22 of 40
 * messages lost, measured); gzread checks both and reads every member. */
static int
decompress_gzip(int fd, const char *name, GError **error)
{
	int copy = dup(fd);
	gzFile gz = copy >= 0 && lseek(copy, 0, SEEK_SET) == 0 ? gzdopen(copy, "rb") : NULL;
	char buf[64 * 1024];
	int out = -1, got, errnum = Z_OK;

	if (gz == NULL) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: cannot read gzip data: %s",
		            name, g_strerror(errno ? errno : ENOMEM));
		if (copy >= 0)
			close(copy);
		return -1;
	}
	gzbuffer(gz, 128 * 1024);
	if ((out = temp_copy(name, error)) < 0)
		goto out;
	while ((got = gzread(gz, buf, sizeof buf)) > 0)
		if (!write_all(out, buf, (gsize)got, name, error))
			goto fail;
	const char *why = gzerror(gz, &errnum);
	if (got < 0 || errnum != Z_OK) {
		const char *colon = g_str_has_prefix(why, "<fd:") ? strstr(why, ": ") : NULL;
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_COMPRESSED,
		            "%s: gzip data is damaged: %s", name,
		            errnum == Z_ERRNO ? g_strerror(errno) : colon ? colon + 2 : why);
		goto fail;
	}
	goto out;
fail:
	close(out);
	out = -1;
out:
	gzclose_r(gz);
	return out;
}

/* Decompress `fd` into a new unlinked temporary file; returns its fd or -1. */
static int
decompress(int fd, const char *name, const char *kind, GError **error)
{
	if (strcmp(kind, "gzip") == 0)
		return decompress_gzip(fd, name, error);

	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	int out = -1;
	char buf[64 * 1024];
	la_ssize_t got;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, fd, sizeof buf) != ARCHIVE_OK ||
	    archive_read_next_header(a, &entry) != ARCHIVE_OK) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_COMPRESSED,
		            "%s: cannot read %s data: %s", name, kind, archive_error_string(a));
		goto out;
	}
	if ((out = temp_copy(name, error)) < 0)
		goto out;
	while ((got = archive_read_data(a, buf, sizeof buf)) > 0) {
		if (!write_all(out, buf, (gsize)got, name, error)) {
			close(out);
			out = -1;
			goto out;
		}
	}
	if (got < 0) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_COMPRESSED,
		            "%s: %s data is damaged: %s", name, kind, archive_error_string(a));
		close(out);
		out = -1;
	}
out:
	archive_read_free(a);
	return out;
}

gboolean
mbox_reader_detect_line_ending(MboxReader *reader, GError **error)
{
	char buf[64 * 1024];
	ssize_t got = pread(reader->fd, buf, sizeof buf, reader->start);

	if (got < 0) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: read failed: %s",
		            reader->name, g_strerror(errno));
		return FALSE;
	}
	const char *lf = memchr(buf, '\n', (gsize)got);
	const char *cr = memchr(buf, '\r', (gsize)got);
	reader->terminator = '\n';
	reader->summary.line_ending = "LF";
	if (lf == NULL && cr != NULL) {
		reader->terminator = '\r';
		reader->summary.line_ending = "CR";
	} else if (lf != NULL && lf > buf && lf[-1] == '\r') {
		reader->summary.line_ending = "CRLF";
	}
	return TRUE;
}

/* Phase 1's line source, from the first byte after a BOM. */
static void
start_lines(MboxReader *reader)
{
	line_reader_free(reader->lines);
	reader->lines = line_reader_new(reader->fd, reader->start, reader->size,
	                                reader->terminator, reader->settings.window > 0
	                                ? reader->settings.window : MBOX_READ_WINDOW);
	line_reader_set_max_read(reader->lines, reader->settings.max_read);
}

void
mbox_reader_rewind(MboxReader *reader)
{
	MboxSummary fresh = { .size = reader->summary.size,
	                      .line_ending = reader->summary.line_ending,
	                      .compression = reader->summary.compression };

	g_strfreev(reader->summary.keywords);
	g_strfreev(reader->summary.warnings);
	reader->summary = fresh;
	g_ptr_array_set_size(reader->file_warnings, reader->open_warnings);
	g_clear_pointer(&reader->pending_text, g_free);
	reader->started = reader->finished = FALSE;
	reader->next_number = 1;
	memset(&reader->evidence, 0, sizeof reader->evidence);
	start_lines(reader);
}

MboxReader *
mbox_reader_open_fd(int fd, const char *name, const MboxReaderSettings *settings,
                    GError **error)
{
	g_autoptr(MboxReader) reader = g_new0(MboxReader, 1);
	struct stat st;
	unsigned char magic[6];
	ssize_t got;
	const char *kind;

	reader->fd = fd;
	reader->name = g_strdup(name);
	reader->file_warnings = g_ptr_array_new_with_free_func(g_free);
	reader->next_number = 1;
	if (settings != NULL)
		reader->settings = *settings;
	else
		mbox_reader_settings_init(&reader->settings);
	reader->settings.source_tz = settings != NULL && settings->source_tz != NULL
	                             ? g_time_zone_ref(settings->source_tz) : g_time_zone_new_local();
	/* never cut a From_ line or a header name: at least 8 KiB in memory */
	if (reader->settings.window > 0 && reader->settings.window < MBOX_MIN_WINDOW)
		reader->settings.window = MBOX_MIN_WINDOW;
	reader->quoting = reader->settings.quoting;
	reader->quoting_decided = reader->quoting != MBOX_QUOTING_AUTO;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_NOT_REGULAR,
		            "%s: not a regular file", name);
		return NULL;
	}
	reader->mtime = st.st_mtime;
	got = pread(fd, magic, sizeof magic, 0);
	if (got < 0) {
		g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: read failed: %s",
		            name, g_strerror(errno));
		return NULL;
	}
	if ((kind = mbox_compression_of(magic, got)) != NULL) {
		int plain = decompress(fd, name, kind, error);
		if (plain < 0)
			return NULL;
		close(fd);
		reader->fd = plain;
		reader->summary.compression = kind;
		if (fstat(plain, &st) < 0) {
			g_set_error(error, M2C_MBOX_ERROR, M2C_MBOX_ERROR_IO, "%s: %s", name,
			            g_strerror(errno));
			return NULL;
		}
		got = pread(plain, magic, sizeof magic, 0);
	}
	reader->size = st.st_size;
	reader->summary.size = st.st_size;
	/* a UTF-8 byte order mark before the first From_ line (corpus: mimekit unmunged) */
	if (got >= 3 && memcmp(magic, "\xef\xbb\xbf", 3) == 0) {
		reader->start = 3;
		g_ptr_array_add(reader->file_warnings, g_strdup("UTF-8 byte order mark skipped"));
	}
	if (!mbox_reader_detect_line_ending(reader, error))
		return NULL;
	reader->open_warnings = reader->file_warnings->len;
	start_lines(reader);
	return g_steal_pointer(&reader);
}

MboxReader *
mbox_reader_open(const char *path, const MboxReaderSettings *settings, GError **error)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; cleared below */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	MboxReader *reader;

	if (fd < 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", path,
		            saved == ELOOP ? "is a symbolic link, not followed" : g_strerror(saved));
		return NULL;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	reader = mbox_reader_open_fd(fd, path, settings, error);   /* owns fd, even on failure */
	return reader;
}

void
mbox_reader_free(MboxReader *reader)
{
	if (reader == NULL)
		return;
	if (reader->fd >= 0)
		close(reader->fd);
	line_reader_free(reader->lines);
	if (reader->settings.source_tz != NULL)
		g_time_zone_unref(reader->settings.source_tz);
	g_free(reader->name);
	g_free(reader->pending_text);
	g_strfreev(reader->summary.keywords);
	g_strfreev(reader->summary.warnings);
	if (reader->file_warnings != NULL)
		g_ptr_array_unref(reader->file_warnings);
	g_free(reader);
}
