/*
 * backup.c - backups of the quarantine store: snapshot, copy, manifest;
 * names and retention.
 *
 * SYNOPSIS
 *	al_backup_create(store, dir, key_path, who, &summary, &error)
 *	al_backup_verify(dir, &summary, &error)              (backup_restore.c)
 *	al_backup_restore(dir, store_dir, key_path, ...)     (backup_restore.c)
 *	name = al_backup_name(now); al_backup_prune(parent, before, keep, ...)
 *
 * DESCRIPTION
 *	Order matters: the database snapshot first, then the originals it
 *	keeps. The store fsyncs an original before its row commits, so
 *	every row of the snapshot has its file; one deleted or purged
 *	between the snapshot and its copy is marked purged in the backup's
 *	database (store_backup.c), and a message quarantined after the
 *	snapshot is simply not in this backup. The key, if asked for, then
 *	the manifest, written last: a backup without one is incomplete and
 *	never restored. A failed backup removes what it wrote.
 *
 *	Retention: backups hold patients' mail like the store does. The
 *	store's originals go after retention_days (purge); a backup taken
 *	on day D holds originals up to retention_days old, so removing it
 *	once it is retention_days old bounds every copy of a message to
 *	twice the retention period. al_backup_prune() does that for the
 *	backups named by al_backup_name() in one parent directory.
 */
#include "backup_private.h"

#include "airlock/version.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_TIME_FORMAT "%Y%m%dT%H%M%SZ"

/* dir missing (made 0700) or an empty directory (chmod 0700). */
static int prepare_dir(const char *dir, GError **error)
{
	g_autoptr(GDir) listing = NULL;

	if (g_mkdir_with_parents(dir, 0700) < 0)
		return backup_io_error(error, dir, "cannot create directory", errno);
	listing = g_dir_open(dir, 0, error);
	if (listing == NULL)
		return -1;
	if (g_dir_read_name(listing) != NULL) {
		g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY,
			    "%s is not empty: back up into a new or empty directory", dir);
		return -1;
	}
	if (chmod(dir, 0700) < 0)
		return backup_io_error(error, dir, "cannot chmod 700", errno);
	return 0;
}

struct backup_job {
	struct al_store *store;
	const char *dir;
	const char *who;
	struct backup_manifest *manifest;
	struct al_backup_summary *summary;
};

static void add_entry(struct backup_job *job, const char *path, const char *sha256, gint64 size)
{
	g_ptr_array_add(job->manifest->entries, backup_entry_new(path, sha256, size));
	job->summary->bytes += size;
}

/* Copies the originals the snapshot keeps; gone_r: those that vanished. */
static int copy_originals(struct backup_job *job, const GPtrArray *paths, GPtrArray *gone_r,
			  GError **error)
{
	for (guint i = 0; i < paths->len; i++) {
		const char *path = paths->pdata[i];
		g_autofree char *id = g_strndup(path + 4, AL_STORE_ID_LEN);
		g_autofree char *src = al_store_original_path(job->store, id);
		g_autofree char *dst = g_build_filename(job->dir, path, NULL);
		char sha256[65];
		gint64 size = 0;
		int rc = backup_copy_file(src, dst, sha256, &size, error);

		if (rc < 0)
			return -1;
		if (rc > 0) {
			g_ptr_array_add(gone_r, g_strdup(path));
			continue;
		}
		add_entry(job, path, sha256, size);
		job->summary->originals++;
	}
	return 0;
}

static int snapshot_and_copy(struct backup_job *job, GError **error)
{
	g_autofree char *db = g_build_filename(job->dir, BACKUP_DB, NULL);
	g_autofree char *msg = g_build_filename(job->dir, BACKUP_MSG, NULL);
	g_autoptr(GPtrArray) paths = NULL;
	g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
	char sha256[65];
	gint64 size;

	if (mkdir(msg, 0700) < 0 || chmod(msg, 0700) < 0)
		return backup_io_error(error, msg, "cannot create directory", errno);
	if (al_store_backup_database(job->store, db, error) < 0 ||
	    al_store_snapshot_version(db, &job->manifest->schema_version, error) < 0)
		return -1;
	paths = al_store_snapshot_originals(db, error);
	if (paths == NULL || copy_originals(job, paths, gone, error) < 0)
		return -1;
	job->summary->gone = gone->len;
	g_ptr_array_add(gone, NULL);
	if (gone->len > 1 && al_store_snapshot_mark_gone(db, (const char *const *)gone->pdata,
							 job->who, error) < 0)
		return -1;
	if (backup_hash_file(db, sha256, &size, error) < 0 || backup_fsync_dir(msg, error) < 0)
		return -1;
	/* The database first in the manifest: restore copies it last. */
	g_ptr_array_insert(job->manifest->entries, 0, backup_entry_new(BACKUP_DB, sha256, size));
	job->summary->bytes += size;
	return 0;
}

static int copy_key(struct backup_job *job, const char *key_path, GError **error)
{
	g_autofree char *dst = g_build_filename(job->dir, BACKUP_KEY, NULL);
	char sha256[65];
	gint64 size = 0;
	int rc = backup_copy_file(key_path, dst, sha256, &size, error);

	if (rc > 0)
		return backup_io_error(error, key_path, "cannot back up the release key", ENOENT);
	if (rc < 0)
		return -1;
	add_entry(job, BACKUP_KEY, sha256, size);
	job->manifest->with_key = TRUE;
	job->summary->with_key = TRUE;
	return 0;
}

static void fill_header(struct backup_manifest *manifest, struct al_backup_summary *summary)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *created = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");

	manifest->format = AL_BACKUP_FORMAT;
	manifest->airlock_version = g_strdup(AL_VERSION);
	manifest->created = g_strdup(created);
	g_strlcpy(summary->created, created, sizeof(summary->created));
}

int al_backup_create(struct al_store *store, const char *dir, const char *key_path, const char *who,
		     struct al_backup_summary *summary_r, GError **error)
{
	g_autoptr(backup_manifest) manifest = backup_manifest_new();
	struct backup_job job = {
	    .store = store, .dir = dir, .who = who, .manifest = manifest, .summary = summary_r};

	*summary_r = (struct al_backup_summary){0};
	fill_header(manifest, summary_r);
	if (prepare_dir(dir, error) < 0)
		return -1;
	if (snapshot_and_copy(&job, error) < 0 ||
	    (key_path != NULL && copy_key(&job, key_path, error) < 0) ||
	    backup_fsync_dir(dir, error) < 0 || backup_manifest_write(dir, manifest, error) < 0) {
		(void)backup_remove_dir(dir, NULL); /* the error to report is the first */
		return -1;
	}
	summary_r->schema_version = manifest->schema_version;
	return 0;
}

/* ---- names and retention ---- */

char *al_backup_name(gint64 unix_seconds)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_seconds);
	g_autofree char *stamp = g_date_time_format(t, NAME_TIME_FORMAT);

	return g_strconcat(AL_BACKUP_PREFIX, stamp, NULL);
}

/* The time in a name made by al_backup_name(), or -1. */
static gint64 name_time(const char *name)
{
	int y, mo, d, h, mi, s;
	char z, end;
	g_autoptr(GDateTime) t = NULL;

	if (!g_str_has_prefix(name, AL_BACKUP_PREFIX) ||
	    strlen(name) != strlen(AL_BACKUP_PREFIX) + 16 ||
	    sscanf(name + strlen(AL_BACKUP_PREFIX), "%4d%2d%2dT%2d%2d%2d%c%c", &y, &mo, &d, &h,
		   &mi, &s, &z, &end) != 7 ||
	    z != 'Z')
		return -1;
	t = g_date_time_new_utc(y, mo, d, h, mi, s);
	return t != NULL ? g_date_time_to_unix(t) : -1;
}

int al_backup_prune(const char *parent, gint64 before, const char *keep, guint *pruned_r,
		    GError **error)
{
	g_autoptr(GDir) listing = g_dir_open(parent, 0, error);
	const char *name;

	*pruned_r = 0;
	if (listing == NULL)
		return -1;
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = g_build_filename(parent, name, NULL);
		gint64 at = name_time(name);

		if (at < 0 || at >= before || g_strcmp0(name, keep) == 0 ||
		    !g_file_test(path, G_FILE_TEST_IS_DIR) ||
		    g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			continue;
		if (backup_remove_dir(path, error) < 0)
			return -1;
		(*pruned_r)++;
	}
	return 0;
}
