/* spool-writer.c -- see spool-writer.h. */
#include "spool-writer.h"
#include "failure.h"
#include "fd-io.h"
#include "fault.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

typedef struct {
	int fd;
	gint64 bytes;
} FileSink;

static gboolean
write_all(const char *data, gsize len, gpointer user_data, GError **error)
{
	FileSink *sink = user_data;
	if (!fd_write_all(sink->fd, data, len, "cannot write a message file", error))
		return FALSE;
	sink->bytes += (gint64)len;
	return TRUE;
}

gboolean
spool_plan_uids(MboxReader *reader, gboolean *keep_x_uid_out, GError **error)
{
	g_autoptr(GError) local = NULL;
	guint32 last = 0;
	gboolean keep = TRUE;
	MboxMessage *m;

	while ((m = mbox_reader_next(reader, &local)) != NULL) {
		gboolean in_order = m->uid > last;
		last = m->uid;
		mbox_message_free(m);
		if (!in_order) {   /* no X-UID, or out of order: settled, read no further */
			keep = FALSE;
			break;
		}
	}
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	mbox_reader_rewind(reader);
	*keep_x_uid_out = keep && last > 0;
	return TRUE;
}

guint32
spool_uid_of(const MboxMessage *message, gboolean keep_x_uid, guint32 base)
{
	return keep_x_uid ? message->uid : base + (guint32)message->number;
}

/* One message as file `name` in `dirfd`.  Returns FALSE with an error for failures
 * of the directory (the mailbox fails); `*skipped_out` for an empty message. */
static gboolean
write_one(const SpoolSettings *settings, MboxReader *reader, const MboxMessage *m, int dirfd,
          const char *name, gint64 *bytes_out, gboolean *existed_out, gboolean *skipped_out,
          GError **error)
{
	char proc[64];
	FileSink sink = { .fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600) };
	gint64 when = g_date_time_to_unix(m->date);
	struct timespec times[2] = { { .tv_sec = when }, { .tv_sec = when } };
	gboolean ok = FALSE;

	*existed_out = *skipped_out = FALSE;
	if (sink.fd < 0) {
		failure_set_errno(error, errno, "cannot create a file in the mailbox directory");
		return FALSE;
	}
	if (!mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, write_all, &sink, error))
		goto out;
	if (sink.bytes == 0) {
		*skipped_out = TRUE;
		ok = TRUE;
		goto out;
	}
	if (fchown(sink.fd, settings->uid, settings->gid) != 0 || futimens(sink.fd, times) != 0 ||
	    (settings->fsync == SPOOL_FSYNC_EACH && fsync(sink.fd) != 0)) {
		failure_set_errno(error, errno, "%s", name);
		goto out;
	}
	g_snprintf(proc, sizeof proc, "/proc/self/fd/%d", sink.fd);
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) != 0) {
		if (errno != EEXIST) {
			failure_set_errno(error, errno, "cannot link %s", name);
			goto out;
		}
		*existed_out = TRUE;   /* never overwritten */
	}
	*bytes_out = sink.bytes;
	ok = TRUE;
out:
	close(sink.fd);
	return ok;
}

gboolean
spool_write_messages(const SpoolSettings *settings, MboxReader *reader,
                     const DeliveryTarget *target, const char *dir, guint32 uid_base,
                     SpoolCounts *counts, GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean keep = FALSE;
	MboxMessage *m;
	int dirfd;

	memset(counts, 0, sizeof *counts);
	/* one reader for both passes: a compressed source is decompressed once; several
	 * sources into one mailbox are numbered on, never by X-UID */
	if (target->n_sources == 1 && !spool_plan_uids(reader, &keep, error))
		return FALSE;
	counts->kept_x_uid = keep;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		failure_set_errno(error, errno, "mailbox directory %s", dir);
		return FALSE;
	}
	while ((m = mbox_reader_next(reader, &local)) != NULL) {
		g_autoptr(MboxMessage) msg = m;
		guint32 uid = spool_uid_of(msg, keep, uid_base);
		char name[32];
		struct stat st;
		gint64 bytes = 0;
		gboolean existed, skipped;

		counts->messages++;
		for (char **w = msg->warnings; *w != NULL; w++)
			target->problem(target->data, msg, TRUE, *w);
		g_snprintf(name, sizeof name, "%u.", uid);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			counts->existed++;   /* written by an earlier run: never rewritten */
			counts->bytes += st.st_size;
			target->stored(target->data, msg, uid);
			continue;
		}
		if (!write_one(settings, reader, msg, dirfd, name, &bytes, &existed, &skipped, error)) {
			g_prefix_error(error, "msg %" G_GUINT64_FORMAT ": offset %" G_GINT64_FORMAT ": ",
			               msg->number, msg->from_offset);
			close(dirfd);
			return FALSE;
		}
		if (skipped) {
			counts->skipped++;
			target->problem(target->data, msg, FALSE,
			                "an empty message: Cyrus's reconstruct deletes empty files, not stored");
			continue;
		}
		counts->bytes += bytes;
		if (existed)
			counts->existed++;
		else
			counts->written++;
		target->stored(target->data, msg, uid);
		fault_point("write");
	}
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		close(dirfd);
		return FALSE;
	}
	if (settings->fsync == SPOOL_FSYNC_BATCH && syncfs(dirfd) != 0) {
		failure_set_errno(error, errno, "syncfs %s", dir);
		close(dirfd);
		return FALSE;
	}
	close(dirfd);
	return TRUE;
}
