/*
 * backup_private.h - what backup*.c share: the manifest in memory, file
 * copies with their SHA-256, the layout of a backup. Not part of the
 * library's contract.
 */
#ifndef AIRLOCK_BACKUP_PRIVATE_H
#define AIRLOCK_BACKUP_PRIVATE_H

#include "airlock/backup.h"

#define BACKUP_DB  "airlock.db"
#define BACKUP_KEY "release.key"
#define BACKUP_MSG "msg"

struct backup_entry {
	char sha256[65];
	gint64 size;
	char *path; /* relative: airlock.db, release.key or msg/ID.eml */
};

struct backup_manifest {
	gint64 format;
	char *airlock_version;
	gint64 schema_version;
	char *created;
	gboolean with_key;
	GPtrArray *entries; /* struct backup_entry *, in manifest order */
};

struct backup_manifest *backup_manifest_new(void);
void backup_manifest_free(struct backup_manifest *manifest);
typedef struct backup_manifest backup_manifest;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(backup_manifest, backup_manifest_free)

struct backup_entry *backup_entry_new(const char *path, const char *sha256, gint64 size);
/* The entry for path, or NULL. */
const struct backup_entry *backup_manifest_find(const struct backup_manifest *manifest,
						const char *path);

/* airlock.db, release.key, or msg/ID.eml with a canonical id. */
gboolean backup_is_valid_path(const char *path);

/* Writes dir/MANIFEST (new file, 0600, fsynced, then dir fsynced). */
int backup_manifest_write(const char *dir, const struct backup_manifest *manifest,
			  GError **error);
/* Reads and checks dir/MANIFEST (AL_BACKUP_ERROR_MISMATCH if it is
 * incomplete, edited or malformed). NULL with error. */
struct backup_manifest *backup_manifest_read(const char *dir, GError **error);

/* Copies src to a new file dst (O_EXCL, 0600, fsynced), hashing it.
 * Returns 0, 1 if src does not exist (nothing created), -1 with error
 * (dst removed). */
int backup_copy_file(const char *src, const char *dst, char sha256_r[65], gint64 *size_r,
		     GError **error);
/* The SHA-256 and size of a regular file (not a symlink). */
int backup_hash_file(const char *path, char sha256_r[65], gint64 *size_r, GError **error);
int backup_fsync_dir(const char *path, GError **error);
int backup_io_error(GError **error, const char *path, const char *what, int errsv);
/* AL_BACKUP_ERROR_MISMATCH about a file of the backup. */
int backup_mismatch(GError **error, const char *dir, const char *path, const char *why);

/* Removes what a backup directory may hold (MANIFEST first), then the
 * directory; anything else inside stops it with an error. */
int backup_remove_dir(const char *dir, GError **error);

#endif
