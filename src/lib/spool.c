/*
 * spool.c - temporary storage for message and part bytes.
 *
 * SYNOPSIS
 *	struct al_spool *spool = al_spool_new(dir, threshold_bytes);
 *	al_spool_write(spool, data, len, &error);	(repeated)
 *	al_spool_finish(spool, &content, &error);
 *	al_spool_free(&spool);
 *	... al_content_pread(&content, ...), al_content_stream(&content) ...
 *	al_content_clear(&content);
 *
 * DESCRIPTION
 *	A spool keeps its bytes in one heap buffer until they would pass
 *	threshold_bytes; it then copies them into an anonymous temp file in
 *	dir and appends there. Temp files are opened with O_TMPFILE, or with
 *	mkostemp() and an immediate unlink() where the file system lacks it,
 *	so they never have a name another process could open, and they vanish
 *	when the last descriptor closes, also after a crash. The name of the
 *	fallback file is fixed ("airlock-XXXXXX"): nothing from the mail is
 *	used in a path.
 *
 *	A finished spool becomes an al_content: the buffer is handed over as
 *	GBytes without a copy, or the file descriptor is rewound and handed
 *	over. Temp descriptors are always above 2, so that a zeroed
 *	al_content (fd 0) is never mistaken for an open file and a stray
 *	write to stdout or stderr can never land in a spool.
 *
 * ERRORS
 *	Memory that cannot be grown is AL_ERROR_NOMEM; open, write and seek
 *	failures (ENOSPC, EIO, a missing directory...) are AL_ERROR_IO with
 *	the directory and strerror. A spool that failed once refuses every
 *	later write: the message must be tempfailed, not judged on a part.
 */
#include "airlock/spool.h"

#include "airlock/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct al_spool {
	char *dir;
	gsize threshold_bytes;
	guint8 *data; /* memory mode: the bytes so far */
	gsize capacity;
	int fd; /* file mode: >= 0 */
	gsize size;
	gboolean failed;
};

/* The content owns a file only for descriptors above stdio (see above). */
static gboolean content_has_file(const struct al_content *c)
{
	return c->bytes == NULL && c->fd > 2;
}

void al_content_clear(struct al_content *c)
{
	if (c == NULL)
		return;
	g_clear_pointer(&c->bytes, g_bytes_unref);
	if (c->fd > 2)
		close(c->fd);
	c->fd = -1;
	c->size = 0;
}

static gssize pread_file(int fd, goffset offset, guint8 *buf, gsize len, GError **error)
{
	gsize done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, offset + (goffset)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			g_set_error(error, AL_ERROR, AL_ERROR_IO,
				    "cannot read a spooled part at offset %" G_GINT64_FORMAT ": %s",
				    (gint64)offset + (gint64)done, g_strerror(saved));
			return -1;
		}
		if (n == 0)
			break;
		done += (gsize)n;
	}
	return (gssize)done;
}

gssize al_content_pread(const struct al_content *c, goffset offset, void *buf, gsize len,
			GError **error)
{
	gsize available;

	if (offset < 0 || (guint64)offset >= c->size || len == 0)
		return 0;
	available = c->size - (gsize)offset;
	len = MIN(len, MIN(available, (gsize)G_MAXSSIZE));
	if (c->bytes != NULL) {
		gsize bytes_size = 0;
		const guint8 *data = g_bytes_get_data(c->bytes, &bytes_size);

		len = MIN(len, bytes_size - MIN(bytes_size, (gsize)offset));
		if (len > 0)
			memcpy(buf, data + offset, len);
		return (gssize)len;
	}
	if (!content_has_file(c)) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL,
			    "content of %" G_GSIZE_FORMAT " bytes has neither bytes nor a file",
			    c->size);
		return -1;
	}
	return pread_file(c->fd, offset, buf, len, error);
}

/*
 * Memory content is copied into the stream: it is at most the memory
 * threshold, so the copy is small and the stream does not depend on the
 * content's lifetime. A file gets its own descriptor, mapped when it is
 * small enough and not empty, read otherwise; should dup() fail
 * (descriptor limit), the stream borrows the content's descriptor, which
 * is then only valid while the content lives (every caller keeps it).
 * Sharing is safe either way: GMime seeks before each read.
 */
#define MAP_MAX_BYTES (8 * 1024 * 1024)

GMimeStream *al_content_stream(const struct al_content *c)
{
	GMimeStream *stream;
	int fd;

	if (c->bytes != NULL) {
		gsize size = 0;
		const char *data = g_bytes_get_data(c->bytes, &size);

		if (data == NULL || size == 0)
			return g_mime_stream_mem_new();
		return g_mime_stream_mem_new_with_buffer(data, size);
	}
	if (!content_has_file(c))
		return g_mime_stream_mem_new();
	/* Starting at 0 but with no end bound: the file holds exactly the
	 * content, and a bounded GMimeStreamFs answers -1 (not 0) to a read
	 * at its end, which sequential readers would take for an I/O error.
	 * The start is given, not taken from the descriptor: a dup() shares
	 * the offset another reader may have left anywhere. */
	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0) {
		/* Mapped up to MAP_MAX_BYTES: the parser's 4 KiB reads become
		 * copies from the page cache instead of an lseek() and a read()
		 * each (parsing a 2.7 MB message with a 2 MB image: 11.5 ->
		 * 8.0 ms). Larger files are read: mapped, their pages would
		 * count in the daemon's memory while it judges them. */
		stream = c->size <= MAP_MAX_BYTES
				 ? g_mime_stream_mmap_new(fd, PROT_READ, MAP_PRIVATE)
				 : NULL;
		if (stream != NULL)
			return stream;
		return g_mime_stream_fs_new_with_bounds(fd, 0, -1);
	}
	stream = g_mime_stream_fs_new_with_bounds(c->fd, 0, -1);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(stream), FALSE);
	return stream;
}

static int mkstemp_unlinked(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, "airlock-XXXXXX", NULL);
	int fd = mkostemp(path, O_CLOEXEC);
	int saved;

	if (fd < 0)
		return -1;
	if (unlink(path) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Moves fd above 0..2 (see the description). */
static int above_stdio(int fd)
{
	int moved;
	int saved;

	if (fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	close(fd);
	errno = saved;
	return moved;
}

int al_spool_tmpfile(const char *dir, GError **error)
{
	int fd;
	int saved;

	if (dir == NULL)
		dir = g_get_tmp_dir();
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
		fd = mkstemp_unlinked(dir);
	if (fd >= 0)
		fd = above_stdio(fd);
	if (fd < 0) {
		saved = errno;
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot create a temp file in %s: %s",
			    dir, g_strerror(saved));
		return -1;
	}
	return fd;
}

struct al_spool *al_spool_new(const char *dir, gsize threshold_bytes)
{
	struct al_spool *spool = g_new(struct al_spool, 1);

	*spool = (struct al_spool){
		.dir = g_strdup(dir != NULL ? dir : g_get_tmp_dir()),
		.threshold_bytes = threshold_bytes,
		.fd = -1,
	};
	return spool;
}

static int write_all(struct al_spool *spool, const guint8 *data, gsize len, GError **error)
{
	while (len > 0) {
		ssize_t n = write(spool->fd, data, MIN(len, (gsize)G_MAXSSIZE));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* write() returning 0 for a non-empty buffer: treat as full. */
			int saved = n < 0 ? errno : ENOSPC;

			g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot write to the spool in %s: %s",
				    spool->dir, g_strerror(saved));
			return -1;
		}
		data += n;
		len -= (gsize)n;
	}
	return 0;
}

static int append_memory(struct al_spool *spool, const void *data, gsize len, GError **error)
{
	gsize needed = spool->size + len;

	if (needed > spool->capacity) {
		gsize capacity = MAX(spool->capacity, (gsize)4096);
		guint8 *grown;

		while (capacity < needed)
			capacity = capacity > G_MAXSIZE / 2 ? needed : capacity * 2;
		capacity = MIN(capacity, MAX(spool->threshold_bytes, needed));
		grown = g_try_realloc(spool->data, capacity);
		if (grown == NULL) {
			g_set_error(error, AL_ERROR, AL_ERROR_NOMEM,
				    "out of memory spooling %" G_GSIZE_FORMAT " bytes", needed);
			return -1;
		}
		spool->data = grown;
		spool->capacity = capacity;
	}
	memcpy(spool->data + spool->size, data, len);
	return 0;
}

/* Past the threshold: the bytes so far go to a new temp file. */
static int move_to_file(struct al_spool *spool, GError **error)
{
	spool->fd = al_spool_tmpfile(spool->dir, error);
	if (spool->fd < 0)
		return -1;
	if (write_all(spool, spool->data, spool->size, error) < 0)
		return -1;
	g_clear_pointer(&spool->data, g_free);
	spool->capacity = 0;
	return 0;
}

int al_spool_write(struct al_spool *spool, const void *data, gsize len, GError **error)
{
	int rc;

	if (spool->failed) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "the spool in %s failed earlier and holds an incomplete copy", spool->dir);
		return -1;
	}
	if (len == 0)
		return 0;
	if (len > G_MAXSIZE - spool->size) {
		g_set_error(error, AL_ERROR, AL_ERROR_NOMEM, "spool size overflow");
		rc = -1;
	} else if (spool->fd < 0 && spool->size + len <= spool->threshold_bytes) {
		rc = append_memory(spool, data, len, error);
	} else {
		rc = spool->fd < 0 ? move_to_file(spool, error) : 0;
		if (rc == 0)
			rc = write_all(spool, data, len, error);
	}
	if (rc < 0) {
		spool->failed = TRUE;
		return -1;
	}
	spool->size += len;
	return 0;
}

gsize al_spool_size(const struct al_spool *spool)
{
	return spool->size;
}

static GBytes *take_memory(struct al_spool *spool)
{
	guint8 *data = spool->data;

	if (data == NULL)
		return g_bytes_new(NULL, 0);
	/* Give back the unused growth room; keep the buffer if that fails. */
	if (spool->capacity > spool->size && spool->size > 0) {
		guint8 *shrunk = g_try_realloc(data, spool->size);

		if (shrunk != NULL)
			data = shrunk;
	}
	spool->data = NULL;
	spool->capacity = 0;
	return g_bytes_new_take(data, spool->size);
}

int al_spool_finish(struct al_spool *spool, struct al_content *content_r, GError **error)
{
	*content_r = (struct al_content){ .fd = -1 };
	if (spool->failed) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "the spool in %s failed earlier and holds an incomplete copy", spool->dir);
		return -1;
	}
	if (spool->fd >= 0 && lseek(spool->fd, 0, SEEK_SET) < 0) {
		int saved = errno;

		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot rewind the spool in %s: %s",
			    spool->dir, g_strerror(saved));
		spool->failed = TRUE;
		return -1;
	}
	content_r->size = spool->size;
	if (spool->fd >= 0) {
		content_r->fd = spool->fd;
		spool->fd = -1;
	} else {
		content_r->bytes = take_memory(spool);
	}
	spool->size = 0;
	return 0;
}

void al_spool_free(struct al_spool **spool)
{
	struct al_spool *s = *spool;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	g_free(s->data);
	g_free(s->dir);
	g_free(s);
	*spool = NULL;
}
