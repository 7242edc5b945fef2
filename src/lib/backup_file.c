/*
 * backup_file.c - the file operations of backups: copy with SHA-256 and
 * fsync, hash, directory fsync, errors naming the file.
 *
 * DESCRIPTION
 *	Copies never follow a symlink, never replace a file (O_EXCL), are
 *	0600 whatever the umask, handle short writes and EINTR, and are
 *	fsynced before they count as done. A failed copy leaves nothing.
 */
#include "backup_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK_BYTES 65536

G_DEFINE_QUARK(airlock - backup - error - quark, al_backup_error)

int backup_io_error(GError **error, const char *path, const char *what, int errsv)
{
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: %s: %s", path, what, g_strerror(errsv));
	return -1;
}

int backup_mismatch(GError **error, const char *dir, const char *path, const char *why)
{
	g_autofree char *full = g_build_filename(dir, path, NULL);

	g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_MISMATCH, "%s: %s", full, why);
	return -1;
}

/* Reads fd to its end into checksum (and out_fd when >= 0). */
static int pump(int fd, int out_fd, const char *src, const char *dst, GChecksum *checksum,
		gint64 *size_r, GError **error)
{
	g_autofree guint8 *buffer = g_malloc(COPY_CHUNK_BYTES);
	gint64 size = 0;

	for (;;) {
		ssize_t n = read(fd, buffer, COPY_CHUNK_BYTES);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return backup_io_error(error, src, "read failed", errno);
		if (n == 0)
			break;
		g_checksum_update(checksum, buffer, n);
		if (out_fd >= 0 && al_write_all(out_fd, buffer, (gsize)n) < 0)
			return backup_io_error(error, dst, "write failed", errno);
		size += n;
	}
	*size_r = size;
	return 0;
}

static int open_regular(const char *path, int *fd_r, GError **error)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*fd_r = -1;
	if (fd < 0)
		return errno == ENOENT ? 1 : backup_io_error(error, path, "cannot open", errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: not a regular file", path);
		return -1;
	}
	*fd_r = fd;
	return 0;
}

int backup_hash_file(const char *path, char sha256_r[65], gint64 *size_r, GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	int fd;
	int rc = open_regular(path, &fd, error);

	if (rc > 0)
		return backup_io_error(error, path, "cannot open", ENOENT);
	if (rc < 0)
		return -1;
	rc = pump(fd, -1, path, NULL, checksum, size_r, error);
	(void)close(fd);
	if (rc == 0)
		g_strlcpy(sha256_r, g_checksum_get_string(checksum), 65);
	return rc;
}

static int create_exclusive(const char *dst, GError **error)
{
	int fd = open(dst, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return backup_io_error(error, dst, "cannot create", errno);
	if (fchmod(fd, 0600) < 0) {
		int errsv = errno;

		(void)close(fd);
		(void)unlink(dst);
		return backup_io_error(error, dst, "cannot chmod 600", errsv);
	}
	return fd;
}

int backup_copy_file(const char *src, const char *dst, char sha256_r[65], gint64 *size_r,
		     GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	int in, out = -1;
	int rc = open_regular(src, &in, error);

	if (rc != 0)
		return rc;
	out = create_exclusive(dst, error);
	if (out < 0) {
		rc = -1;
		goto out;
	}
	rc = pump(in, out, src, dst, checksum, size_r, error);
	if (rc == 0 && fsync(out) < 0)
		rc = backup_io_error(error, dst, "fsync failed", errno);
	if (close(out) < 0 && rc == 0)
		rc = backup_io_error(error, dst, "close failed", errno);
	if (rc < 0)
		(void)unlink(dst);
	else
		g_strlcpy(sha256_r, g_checksum_get_string(checksum), 65);
out:
	(void)close(in);
	return rc;
}

int backup_fsync_dir(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return backup_io_error(error, path, "cannot open", errno);
	if (fsync(fd) < 0)
		rc = backup_io_error(error, path, "fsync failed", errno);
	if (close(fd) < 0 && rc == 0)
		rc = backup_io_error(error, path, "close failed", errno);
	return rc;
}

/* ---- removing a backup ---- */

static gboolean is_backup_file(const char *name)
{
	return g_strcmp0(name, AL_BACKUP_MANIFEST) == 0 || g_strcmp0(name, BACKUP_DB) == 0 ||
	       g_strcmp0(name, BACKUP_KEY) == 0;
}

static int remove_file(const char *path, GError **error)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : backup_io_error(error, path, "cannot access", errno);
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "%s: not removed: not a file a backup holds", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return backup_io_error(error, path, "cannot remove", errno);
	return 0;
}

static int remove_msg_dir(const char *msg, GError **error)
{
	g_autoptr(GDir) dir = g_dir_open(msg, 0, NULL);
	const char *name;

	if (dir == NULL)
		return 0; /* never made */
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *relative = g_strconcat(BACKUP_MSG "/", name, NULL);
		g_autofree char *path = g_build_filename(msg, name, NULL);

		if (!backup_is_valid_path(relative)) {
			g_set_error(error, AL_ERROR, AL_ERROR_IO,
				    "%s: not removed: not a file a backup holds", path);
			return -1;
		}
		if (remove_file(path, error) < 0)
			return -1;
	}
	if (rmdir(msg) < 0)
		return backup_io_error(error, msg, "cannot remove", errno);
	return 0;
}

int backup_remove_dir(const char *dir, GError **error)
{
	g_autofree char *manifest = g_build_filename(dir, AL_BACKUP_MANIFEST, NULL);
	g_autofree char *msg = g_build_filename(dir, BACKUP_MSG, NULL);
	g_autoptr(GDir) listing = NULL;
	const char *name;

	/* The manifest first: a half-removed backup never verifies. */
	if (remove_file(manifest, error) < 0 || remove_msg_dir(msg, error) < 0)
		return -1;
	listing = g_dir_open(dir, 0, error);
	if (listing == NULL)
		return -1;
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (!is_backup_file(name)) {
			g_set_error(error, AL_ERROR, AL_ERROR_IO,
				    "%s: not removed: not a file a backup holds", path);
			return -1;
		}
		if (remove_file(path, error) < 0)
			return -1;
	}
	if (rmdir(dir) < 0)
		return backup_io_error(error, dir, "cannot remove", errno);
	return 0;
}
