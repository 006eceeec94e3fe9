/* backout-write.c -- one file of a backout: its target, the mbox writer, the bodies
 * streamed through them from the source (the BackoutBodyHandler below), the commit
 * and the journal.
 *
 * MERGE writes each message first to a scratch file and reads it back with this
 * project's reader, as the next --merge will read the file: the message is appended
 * only when that form (its SHA-1 as convert would store it) is not one the sources
 * already hold.  So a message the writer changes on the way (a Status or
 * Content-Length header it drops, a last line end it adds) is still found the second
 * time, and a second --merge adds nothing. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/evp.h>

#include "backout-private.h"
#include "fault.h"
#include "fd-io.h"
#include "imap-digest.h"

/* MERGE: one message written as an mbox of its own, to be read back. */
typedef struct {
	int fd;
	MboxReaderSettings reader;
} Scratch;

static gboolean
scratch_write(const char *data, gsize len, gpointer user_data, GError **error)
{
	Scratch *s = user_data;
	return fd_write_all(s->fd, data, len, "write a scratch file", error);
}

static gboolean
digest_write(const char *data, gsize len, gpointer user_data, GError **error)
{
	(void)error;
	return EVP_DigestUpdate(user_data, data, len) == 1;
}

/* The SHA-1 of the scratch file's one message as the reader gives it back. */
static gboolean
scratch_digest(Scratch *s, guint8 sha1[20], GError **error)
{
	int fd = dup(s->fd);
	if (fd < 0) {
		failure_set_errno(error, errno, "dup");
		return FALSE;
	}
	g_autoptr(MboxReader) reader = mbox_reader_open_fd(fd, "(scratch)", &s->reader, error);
	g_autoptr(MboxMessage) m = reader ? mbox_reader_next(reader, error) : NULL;
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	unsigned int n = 0;
	gboolean ok = m != NULL && sha != NULL && EVP_DigestInit_ex(sha, EVP_sha1(), NULL) == 1 &&
	              mbox_reader_copy_message(reader, m, MBOX_COPY_CRLF, digest_write, sha, error) &&
	              EVP_DigestFinal_ex(sha, sha1, &n) == 1 && n == 20;
	EVP_MD_CTX_free(sha);
	if (!ok && error != NULL && *error == NULL)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "a message written cannot be read back");
	return ok;
}

/* Append the scratch file to the target. */
static gboolean
scratch_copy(Scratch *s, BackoutTarget *target, GError **error)
{
	char buf[64 * 1024];
	off_t at = 0;
	for (;;) {
		ssize_t n = pread(s->fd, buf, sizeof buf, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			failure_set_errno(error, errno, "read a scratch file");
			return FALSE;
		}
		if (n == 0)
			return TRUE;
		if (!backout_target_write(buf, (gsize)n, target, error))
			return FALSE;
		at += n;
	}
}

/* Between backout_write_file and the source's fetch: the message being written. */
typedef struct {
	Job *job;
	FileWork *fw;
	BackoutTarget *target;
	MboxWriter *writer;        /* to the target, or (MERGE) to the scratch file */
	HeldSet *held;             /* MERGE: what the sources hold */
	MboxQuoting file_quoting;  /* how the file is to be read (the marks say it) */
	Scratch *scratch;          /* MERGE */
	const BackoutMailbox *list;
	const BackoutDelivered *delivered;  /* the message's, when convert --method lmtp
	                                     * delivered it: what lmtpd added is left out */
	guint64 at;                /* the offset in the stored message of the next piece */
	guint next;                /* index into fw->messages */
	gboolean begun;            /* a message is being written (begin called) */
	guint64 start;             /* the target's offset where it began */
	guint64 messages, bytes, held_count;
	guint failed;
} Writing;

static gboolean
on_begin(const ImapDigest *message, gpointer data, GError **error)
{
	Writing *w = data;
	const char *sender = NULL;

	while (w->next < w->fw->messages->len && g_ptr_array_index(w->fw->messages, w->next) != message)
		w->next++;
	if (w->next < w->fw->senders->len)
		sender = g_ptr_array_index(w->fw->senders, w->next);
	w->start = backout_target_offset(w->target);
	w->begun = TRUE;
	w->delivered = backout_delivered_of(w->list, message->uid);
	w->at = 0;
	if (w->scratch != NULL && (ftruncate(w->scratch->fd, 0) != 0 || lseek(w->scratch->fd, 0, SEEK_SET) < 0)) {
		failure_set_errno(error, errno, "empty a scratch file");
		return FALSE;
	}
	/* marked, so that a later --merge knows it for one it wrote however the file reads
	 * by then; MERGE appends without X-UID: the old file's UIDs are another server's */
	mbox_writer_mark(w->writer, message->sha1, w->file_quoting);
	return mbox_writer_begin(w->writer, sender, message->internaldate,
	                         (const char *const *)message->flags, w->scratch ? 0 : message->uid, error);
}

static gboolean
write_original(const char *bytes, gsize len, gpointer data, GError **error)
{
	return mbox_writer_write(data, bytes, len, error);
}

static gboolean
on_body(const char *bytes, gsize len, gpointer data, GError **error)
{
	Writing *w = data;
	guint64 at = w->at;
	w->at += len;
	if (w->delivered != NULL)
		return lmtp_trace_copy(&w->delivered->trace, at, bytes, len, write_original, w->writer, error);
	return mbox_writer_write(w->writer, bytes, len, error);
}

/* Leave the message out: the file back to where it began (nothing to undo for one the
 * source gave up on before it began: gone from the mailbox). */
static gboolean
roll_back(Writing *w, GError **error)
{
	if (!w->begun)
		return TRUE;
	w->begun = FALSE;
	mbox_writer_abort(w->writer);
	return backout_target_truncate(w->target, w->start, error);
}

static gboolean
on_error(const ImapDigest *message, const GError *why, gpointer data, GError **error)
{
	Writing *w = data;
	w->failed++;
	backout_fail(w->job, FAILURE_MESSAGE, backout_target_path(w->target), message->uid, why);
	return roll_back(w, error);
}

static gboolean
on_end(const ImapDigest *message, const guint8 sha1[20], gpointer data, GError **error)
{
	Writing *w = data;

	if (memcmp(sha1, message->sha1, 20) != 0) {
		char want[41], got[41];
		imap_digest_hex(message->sha1, want);
		imap_digest_hex(sha1, got);
		g_autoptr(GError) why = g_error_new(G_FILE_ERROR, G_FILE_ERROR_FAILED,
		                                    "its bytes (SHA-1 %s) are not what Cyrus's index "
		                                    "says (%s): a damaged message file", got, want);
		return on_error(message, why, data, error);
	}
	w->begun = FALSE;
	if (!mbox_writer_end(w->writer, error))
		return FALSE;
	if (w->scratch != NULL) {
		guint8 back[20];
		if (!scratch_digest(w->scratch, back, error))
			return FALSE;
		if (backout_held_claim(w->held, back) != NULL) {
			w->held_count++;     /* the file has it already, as a merge wrote it */
			return TRUE;
		}
		if (!scratch_copy(w->scratch, w->target, error))
			return FALSE;
	}
	fault_point("backout-message");
	w->messages++;
	w->bytes += w->delivered ? w->delivered->size : message->size;
	progress_add(w->job->ctx->progress, 1, (gint64)message->size);
	return TRUE;
}

static gboolean
backup_made(const char *backup, gpointer data, GError **error)
{
	Writing *w = data;
	if (!journal_append(w->job->journal, "backup", backout_target_path(w->target), backup, error))
		return FALSE;
	fault_point("backout-backup");
	return TRUE;
}

static gboolean
appending(const BackoutAppend *append, gpointer data, GError **error)
{
	Writing *w = data;
	g_autofree char *detail = backout_append_format(append);
	return journal_append(w->job->journal, "appending", backout_target_path(w->target), detail, error);
}

/* MERGE, after the append, the file still locked: read as the next merge will read it,
 * the old messages must be what they were and ours all there after them.  A
 * Content-Length that did not fit before and fits now (one counting the line end the
 * file lacked), or a quoting decision that flips, would make an old message read
 * otherwise and come back twice: the append is undone and the mailbox named. */
static gboolean
appended_check(const BackoutAppend *a, gpointer data, GError **error)
{
	Writing *w = data;
	BackoutContext *ctx = w->job->ctx;
	MboxReaderSettings rs = ctx->server->reader;
	g_autoptr(GArray) now = g_array_new(FALSE, TRUE, sizeof(SourceDigest));
	guint old_n = w->fw->old != NULL ? w->fw->old->len : 0, before = 0;
	guint64 after = 0;

	g_array_set_clear_func(now, source_digest_clear);
	rs.quoting = w->fw->quoting;
	if (!source_digests_read(ctx->manifest, &rs, &ctx->server->fix, w->job->access,
	                         w->fw->path, now, NULL, NULL, NULL,
	                         error))
		return FALSE;
	for (guint i = 0; i < now->len; i++) {
		const SourceDigest *d = &g_array_index(now, SourceDigest, i);
		if ((guint64)d->offset >= a->at) {
			after++;
			continue;
		}
		if (before >= old_n || memcmp(d->sha1, g_array_index(w->fw->old, SourceDigest, before).sha1, 20) != 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "appending would change how its "
			            "message %" G_GUINT64_FORMAT " (offset %" G_GINT64_FORMAT ") reads (a "
			            "Content-Length that fits only with what follows?): not appended, the "
			            "mail stays in Cyrus (--into writes it to a separate file)", d->number,
			            d->offset);
			return FALSE;
		}
		before++;
	}
	if (before == old_n && after == w->messages)
		return TRUE;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "appended %" G_GUINT64_FORMAT " messages, "
	            "but the file reads as %u old and %" G_GUINT64_FORMAT " new: not appended, the mail "
	            "stays in Cyrus (--into writes it to a separate file)", w->messages, before, after);
	return FALSE;
}

static gboolean
journal_written(Journal *journal, const char *path, guint64 messages, guint64 bytes, GError **error)
{
	g_autofree char *detail = g_strdup_printf("messages=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT,
	                                          messages, bytes);
	return journal_append(journal, "written", path, detail, error);
}

/* Fetch the file's messages through the handler. */
static gboolean
fetch(Job *job, FileWork *fw, Writing *w, GError **error)
{
	static const BackoutBodyHandler handler = { on_begin, on_body, on_end, on_error };
	if (fw->messages->len == 0)
		return TRUE;
	return job->ctx->source->fetch(job->src, (const ImapDigest *const *)fw->messages->pdata,
	                               fw->messages->len, &handler, w, error);
}

gboolean
backout_write_file(Job *job, const BackoutMailbox *list, FileWork *fw, HeldSet *held,
                   BackoutTarget *target)
{
	BackoutContext *ctx = job->ctx;
	gboolean merge = ctx->target.mode == BACKOUT_MERGE;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_strdup(backout_target_path(target));
	g_autoptr(MboxWriter) writer = mbox_writer_new(&ctx->writer, backout_target_write, target);
	g_autoptr(MboxWriter) scratch_writer = NULL;
	Scratch scratch = { .fd = -1, .reader = ctx->server->reader };
	Writing w = { .job = job, .fw = fw, .target = target, .held = held, .writer = writer, .list = list,
	              .file_quoting = merge ? fw->quoting : ctx->writer.quoting == MBOX_QUOTING_MBOXO
	                                                    ? MBOX_QUOTING_MBOXO : MBOX_QUOTING_MBOXRD };
	gboolean ok = TRUE;

	if (merge) {
		g_autofree char *name = NULL;
		MboxWriterSettings ws = ctx->writer;
		scratch.fd = g_file_open_tmp("m2c-backout-XXXXXX", &name, &error);
		if (scratch.fd >= 0)
			g_unlink(name);
		/* written as the file is quoted (a file that reads as unquoted gets mboxo's
		 * quoting: only the lines that would start a message), read back as the file
		 * is read (fw->quoting, pinned) */
		ws.quoting = fw->quoting == MBOX_QUOTING_MBOXRD ? MBOX_QUOTING_MBOXRD : MBOX_QUOTING_MBOXO;
		scratch.reader.quoting = fw->quoting;
		w.scratch = &scratch;
		w.writer = scratch_writer = mbox_writer_new(&ws, scratch_write, &scratch);
		ok = scratch.fd >= 0;
	}
	if (ok && (!merge || !backout_target_had_file(target)))
		ok = mbox_writer_folder_data(writer, list->uidvalidity, list->uidnext - 1,
		                             (const char *const *)list->keywords,
		                             g_get_real_time() / G_USEC_PER_SEC, &error);
	/* MERGE with nothing to add writes nothing: not even a new file of folder data */
	ok = ok && fetch(job, fw, &w, &error) &&
	     ((merge && w.messages == 0) || backout_target_commit(target, backup_made, appending, appended_check, &w,
	                                                          &error));
	if (scratch.fd >= 0)
		close(scratch.fd);
	/* unlocked before the journal says so: a kill in between redoes the file, which
	 * is harmless, never leaves our lock behind */
	backout_target_free(target);
	if (!ok) {
		backout_fail(job, FAILURE_MAILBOX, path, 0, error);
		return FALSE;
	}
	fault_point("backout-commit");
	job->result->files += w.messages > 0 || !merge;
	job->result->messages += w.messages;
	job->result->bytes += w.bytes;
	job->result->held += w.held_count;
	if (w.failed > 0)
		return FALSE;
	if (journal_written(job->journal, path, w.messages, w.bytes, &error))
		return TRUE;
	backout_fail(job, FAILURE_MAILBOX, path, 0, error);
	return FALSE;
}
