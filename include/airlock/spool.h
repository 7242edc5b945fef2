/*
 * spool.h - temporary storage for message and part bytes.
 *
 * Small data stays in memory; past a threshold it moves to an anonymous
 * temp file in the spool directory (O_TMPFILE, or mkstemp then unlink), so
 * the file disappears when its descriptor closes, also on a crash. Nothing
 * from the mail is ever used in a path.
 *
 * al_content is the read-only view of one part's decoded bytes that typing
 * and scanning use. al_spool is a growing buffer (the milter's message,
 * a decoded part) that becomes an al_content when done.
 *
 * Errors: ENOSPC, EIO... are reported as AL_ERROR_IO with the directory.
 */
#ifndef AIRLOCK_SPOOL_H
#define AIRLOCK_SPOOL_H

#include <glib.h>
#include <gmime/gmime.h>

/* Decoded bytes of one part: in memory (bytes != NULL) or in an unlinked
 * temp file (fd >= 0). size is the total length either way.
 * Read a file with al_content_pread() or pread(): streams made by
 * al_content_stream() share its file offset. Spool files are never fds
 * 0..2, so a zeroed struct owns no file. */
struct al_content {
	GBytes *bytes;
	int fd;
	gsize size;
};

/* Empties c: unrefs the bytes, closes the fd. Safe on a zeroed struct. */
void al_content_clear(struct al_content *c);

/* Reads up to len bytes at offset into buf; returns the count read (short
 * only at end of content) or -1 with error set. */
gssize al_content_pread(const struct al_content *c, goffset offset, void *buf, gsize len,
			GError **error);

/* Returns a new stream over the content (transfer full). */
GMimeStream *al_content_stream(const struct al_content *c);

/* Opens an anonymous temp file in dir; returns the fd or -1 with error. */
int al_spool_tmpfile(const char *dir, GError **error);

struct al_spool;

/* A buffer that stays in memory up to threshold_bytes, then moves to an
 * anonymous file in dir. Caller frees with al_spool_free(). */
struct al_spool *al_spool_new(const char *dir, gsize threshold_bytes);

/* Appends; on failure (disk full...) returns -1 with error set and the
 * spool must be discarded. */
int al_spool_write(struct al_spool *spool, const void *data, gsize len, GError **error);

gsize al_spool_size(const struct al_spool *spool);

/* Moves the bytes into content_r (the spool is emptied, still to be freed).
 * Files are flushed and rewound first. */
int al_spool_finish(struct al_spool *spool, struct al_content *content_r, GError **error);

void al_spool_free(struct al_spool **spool);

#endif
