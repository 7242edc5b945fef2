/*
 * backup_restore.c - verifying a backup, and restoring it into an empty
 * store.
 *
 * DESCRIPTION
 *	Verification reads, never writes: the manifest (complete, unedited,
 *	known paths only), then every file it lists (present, regular, the
 *	same size and SHA-256), then every file present (none that the
 *	manifest does not list), then the database (its schema no newer
 *	than ours; every original it keeps is in the backup). The first
 *	problem is the error, naming the file.
 *
 *	Restore refuses a destination that already holds data (a row in
 *	any table of its airlock.db but schema_version, or anything in msg/)
 *	or a release key it would replace. An empty store (airlockctl init
 *	made it, nothing wrote since) is fine: its database is replaced. It
 *	copies the originals, the key, then the database under a temporary
 *	name, re-hashing each copy against the manifest, so a file changed
 *	after the verification is caught too. The database then takes its
 *	place: linked (never replacing a database a daemon created
 *	meanwhile), or renamed over the empty one after counting its rows
 *	again. On failure every file it created is removed (an empty
 *	database it replaced is gone: airlockctl init makes a new one).
 */
#include "backup_private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- verify ---- */

static int check_entry(const char *dir, const struct backup_entry *entry, GError **error)
{
	g_autofree char *path = g_build_filename(dir, entry->path, NULL);
	char sha256[65];
	gint64 size = 0;
	struct stat st;

	if (lstat(path, &st) < 0)
		return backup_mismatch(error, dir, entry->path, "listed in the manifest but missing");
	if (!S_ISREG(st.st_mode))
		return backup_mismatch(error, dir, entry->path, "not a regular file");
	if (backup_hash_file(path, sha256, &size, error) < 0)
		return -1;
	if (size != entry->size || strcmp(sha256, entry->sha256) != 0)
		return backup_mismatch(error, dir, entry->path,
				       "does not match the manifest (size or SHA-256)");
	return 0;
}

/* Every file under dir (and dir/msg) must be listed. */
static int check_extra(const char *dir, const char *sub, const struct backup_manifest *manifest,
		       GError **error)
{
	g_autofree char *path = sub != NULL ? g_build_filename(dir, sub, NULL) : g_strdup(dir);
	g_autoptr(GDir) listing = g_dir_open(path, 0, error);
	const char *name;

	if (listing == NULL)
		return -1;
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *relative =
		    sub != NULL ? g_strconcat(sub, "/", name, NULL) : g_strdup(name);
		g_autofree char *full = g_build_filename(dir, relative, NULL);

		if (sub == NULL && (strcmp(name, AL_BACKUP_MANIFEST) == 0 ||
				    (strcmp(name, BACKUP_MSG) == 0 &&
				     g_file_test(full, G_FILE_TEST_IS_DIR) &&
				     !g_file_test(full, G_FILE_TEST_IS_SYMLINK))))
			continue;
		if (backup_manifest_find(manifest, relative) == NULL)
			return backup_mismatch(error, dir, relative,
					       "not listed in the manifest (extra file)");
	}
	return 0;
}

static int check_database(const char *dir, const struct backup_manifest *manifest,
			  gint64 *version_r, GError **error)
{
	g_autofree char *db = g_build_filename(dir, BACKUP_DB, NULL);
	g_autoptr(GPtrArray) originals = NULL;

	if (backup_manifest_find(manifest, BACKUP_DB) == NULL)
		return backup_mismatch(error, dir, BACKUP_DB, "not in the manifest");
	if (al_store_snapshot_version(db, version_r, error) < 0)
		return -1;
	if (*version_r > AL_STORE_SCHEMA_VERSION) {
		g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_VERSION,
			    "%s: schema version %" G_GINT64_FORMAT
			    " is newer than this airlock's (%d): restore with a newer airlock",
			    db, *version_r, AL_STORE_SCHEMA_VERSION);
		return -1;
	}
	originals = al_store_snapshot_originals(db, error);
	if (originals == NULL)
		return -1;
	for (guint i = 0; i < originals->len; i++)
		if (backup_manifest_find(manifest, originals->pdata[i]) == NULL)
			return backup_mismatch(error, dir, originals->pdata[i],
					       "kept by the database but not in the backup");
	return 0;
}

static void summarize(const struct backup_manifest *manifest, gint64 version,
		      struct al_backup_summary *summary_r)
{
	*summary_r = (struct al_backup_summary){
	    .with_key = manifest->with_key,
	    .schema_version = version,
	};
	g_strlcpy(summary_r->created, manifest->created, sizeof(summary_r->created));
	for (guint i = 0; i < manifest->entries->len; i++) {
		const struct backup_entry *entry = manifest->entries->pdata[i];

		summary_r->bytes += entry->size;
		if (g_str_has_prefix(entry->path, BACKUP_MSG "/"))
			summary_r->originals++;
	}
}

static struct backup_manifest *verify(const char *dir, struct al_backup_summary *summary_r,
				      GError **error)
{
	g_autoptr(backup_manifest) manifest = backup_manifest_read(dir, error);
	gint64 version = 0;

	if (manifest == NULL)
		return NULL;
	if (manifest->with_key != (backup_manifest_find(manifest, BACKUP_KEY) != NULL)) {
		backup_mismatch(error, dir, AL_BACKUP_MANIFEST, "the key line contradicts the files");
		return NULL;
	}
	for (guint i = 0; i < manifest->entries->len; i++)
		if (check_entry(dir, manifest->entries->pdata[i], error) < 0)
			return NULL;
	if (check_extra(dir, NULL, manifest, error) < 0 ||
	    (g_file_test(dir, G_FILE_TEST_IS_DIR) && check_extra(dir, BACKUP_MSG, manifest, error) < 0) ||
	    check_database(dir, manifest, &version, error) < 0)
		return NULL;
	summarize(manifest, version, summary_r);
	return g_steal_pointer(&manifest);
}

int al_backup_verify(const char *dir, struct al_backup_summary *summary_r, GError **error)
{
	g_autoptr(backup_manifest) manifest = verify(dir, summary_r, error);

	return manifest != NULL ? 0 : -1;
}

/* ---- the destination ---- */

static int not_empty(GError **error, const char *path, const char *why)
{
	g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY,
		    "%s %s: restore only into an empty store (move it aside first)", path, why);
	return -1;
}

/* "3 messages", or "no message but 2 events, 1 learned correspondent"
 * (transfer full). */
static char *describe_rows(const struct al_store_rows *rows)
{
	const struct {
		gint64 count;
		const char *one, *many;
	} others[] = {
	    {.count = rows->recipients, .one = "recipient", .many = "recipients"},
	    {.count = rows->items, .one = "attachment", .many = "attachments"},
	    {.count = rows->events, .one = "event", .many = "events"},
	    {.count = rows->correspondents,
	     .one = "learned correspondent",
	     .many = "learned correspondents"},
	    {.count = rows->daily_counters, .one = "daily counter", .many = "daily counters"},
	    {.count = rows->release_tokens, .one = "used release", .many = "used releases"},
	    {.count = rows->requests, .one = "release request", .many = "release requests"},
	    {.count = rows->admins, .one = "web admin", .many = "web admins"},
	    {.count = rows->digests, .one = "digest sent", .many = "digests sent"},
	};
	GString *text = g_string_new(NULL);
	const char *separator = " but ";

	if (rows->messages > 0) {
		g_string_printf(text, "%" G_GINT64_FORMAT " message%s", rows->messages,
				rows->messages == 1 ? "" : "s");
		return g_string_free(text, FALSE);
	}
	g_string_append(text, "no message");
	for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
		if (others[i].count == 0)
			continue;
		g_string_append_printf(text, "%s%" G_GINT64_FORMAT " %s", separator, others[i].count,
				       others[i].count == 1 ? others[i].one : others[i].many);
		separator = ", ";
	}
	return g_string_free(text, FALSE);
}

/* meanwhile: the rows appeared after the check, as the restore wrote. */
static int holds_rows(GError **error, const char *store_dir, const struct al_store_rows *rows,
		      gboolean meanwhile)
{
	g_autofree char *described = describe_rows(rows);

	if (meanwhile)
		g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY,
			    "%s got %s during the restore: restore only into an empty store (stop "
			    "airlock-milter first)",
			    store_dir, described);
	else
		g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY,
			    "%s already holds a store with %s: restore only into an empty store "
			    "(move it aside first)",
			    store_dir, described);
	return -1;
}

/* airlock.db missing (nothing beside it either), or holding no row:
 * *replace_r, the restore replaces it. */
static int check_store_database(const char *store_dir, gboolean *replace_r, GError **error)
{
	static const char *const beside[] = {"airlock.db-wal", "airlock.db-shm",
					     "airlock.db-journal"};
	g_autofree char *db = g_build_filename(store_dir, BACKUP_DB, NULL);
	struct al_store_rows rows;
	struct stat st;

	*replace_r = FALSE;
	if (lstat(db, &st) < 0) {
		if (errno != ENOENT)
			return backup_io_error(error, db, "cannot access", errno);
		for (gsize i = 0; i < G_N_ELEMENTS(beside); i++) {
			g_autofree char *path = g_build_filename(store_dir, beside[i], NULL);

			if (lstat(path, &st) == 0 || errno != ENOENT)
				return not_empty(error, store_dir,
						 "holds the files of a store database without "
						 "airlock.db");
		}
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return not_empty(error, db, "is not a regular file");
	if (al_store_count_rows(db, &rows, error) < 0)
		return -1;
	if (!al_store_rows_empty(&rows))
		return holds_rows(error, store_dir, &rows, FALSE);
	*replace_r = TRUE;
	return 0;
}

/* The store directory: missing, or private with no data (see above). */
static int check_store_dir(const char *store_dir, gboolean *replace_db_r, GError **error)
{
	g_autofree char *msg = g_build_filename(store_dir, BACKUP_MSG, NULL);
	struct stat st;

	*replace_db_r = FALSE;
	if (lstat(store_dir, &st) < 0)
		return errno == ENOENT ? 0 : backup_io_error(error, store_dir, "cannot access", errno);
	if (!S_ISDIR(st.st_mode))
		return not_empty(error, store_dir, "is not a directory");
	if ((st.st_mode & 077) != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "%s is readable by others (mode %04o): run chmod 700 %s", store_dir,
			    (unsigned)(st.st_mode & 07777), store_dir);
		return -1;
	}
	if (check_store_database(store_dir, replace_db_r, error) < 0)
		return -1;
	if (lstat(msg, &st) < 0)
		return errno == ENOENT ? 0 : backup_io_error(error, msg, "cannot access", errno);
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 077) != 0)
		return not_empty(error, msg, "is not a private directory");
	{
		g_autoptr(GDir) listing = g_dir_open(msg, 0, error);

		if (listing == NULL)
			return -1;
		if (g_dir_read_name(listing) != NULL)
			return not_empty(error, msg, "is not empty");
	}
	return 0;
}

/* ---- restore ---- */

struct restore_job {
	const char *dir;
	const char *store_dir;
	const char *key_path;
	const struct backup_manifest *manifest;
	gboolean replace_db; /* the store holds an empty airlock.db */
	GPtrArray *created;  /* paths to remove on failure, newest last */
};

/* Copies the backup's path to dst, checking the copy's hash. */
static int restore_file(struct restore_job *job, const struct backup_entry *entry,
			const char *dst, GError **error)
{
	g_autofree char *src = g_build_filename(job->dir, entry->path, NULL);
	char sha256[65];
	gint64 size = 0;
	int rc = backup_copy_file(src, dst, sha256, &size, error);

	if (rc > 0)
		return backup_mismatch(error, job->dir, entry->path, "disappeared during the restore");
	if (rc < 0)
		return -1;
	g_ptr_array_add(job->created, g_strdup(dst));
	if (size != entry->size || strcmp(sha256, entry->sha256) != 0)
		return backup_mismatch(error, job->dir, entry->path,
				       "changed during the restore: does not match the manifest");
	return 0;
}

static int make_private_dir(struct restore_job *job, const char *path, GError **error)
{
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return 0; /* checked empty and private */
		return backup_io_error(error, path, "cannot create directory", errno);
	}
	g_ptr_array_add(job->created, g_strdup(path));
	if (chmod(path, 0700) < 0)
		return backup_io_error(error, path, "cannot chmod 700", errno);
	return 0;
}

/* tmp (the last file created) over the empty database checked before,
 * if it is still empty. */
static int replace_database(struct restore_job *job, const char *tmp, const char *db,
			    GError **error)
{
	struct al_store_rows rows;
	int rc = al_store_replace_empty_database(db, tmp, &rows, error);

	if (rc > 0)
		return holds_rows(error, job->store_dir, &rows, TRUE);
	if (rc < 0)
		return -1;
	g_ptr_array_remove_index(job->created, job->created->len - 1);
	g_ptr_array_add(job->created, g_strdup(db));
	return 0;
}

static int restore_database(struct restore_job *job, GError **error)
{
	g_autofree char *tmp = g_build_filename(job->store_dir, "airlock.db.restore", NULL);
	g_autofree char *db = g_build_filename(job->store_dir, BACKUP_DB, NULL);

	if (restore_file(job, backup_manifest_find(job->manifest, BACKUP_DB), tmp, error) < 0)
		return -1;
	if (job->replace_db)
		return replace_database(job, tmp, db, error);
	/* link() never replaces: a daemon that created a store meanwhile wins. */
	if (link(tmp, db) < 0) {
		if (errno == EEXIST)
			return not_empty(error, job->store_dir, "got a store database meanwhile");
		return backup_io_error(error, db, "cannot link into place", errno);
	}
	g_ptr_array_add(job->created, g_strdup(db));
	if (unlink(tmp) < 0)
		return backup_io_error(error, tmp, "cannot remove", errno);
	g_ptr_array_remove_index(job->created, job->created->len - 2);
	return 0;
}

static int restore_files(struct restore_job *job, GError **error)
{
	g_autofree char *msg = g_build_filename(job->store_dir, BACKUP_MSG, NULL);
	g_autofree char *key_dir = g_path_get_dirname(job->key_path);
	const struct backup_entry *key = backup_manifest_find(job->manifest, BACKUP_KEY);

	if (make_private_dir(job, job->store_dir, error) < 0 || make_private_dir(job, msg, error) < 0)
		return -1;
	for (guint i = 0; i < job->manifest->entries->len; i++) {
		const struct backup_entry *entry = job->manifest->entries->pdata[i];
		g_autofree char *dst = g_build_filename(job->store_dir, entry->path, NULL);

		if (g_str_has_prefix(entry->path, BACKUP_MSG "/") &&
		    restore_file(job, entry, dst, error) < 0)
			return -1;
	}
	if (key != NULL && restore_file(job, key, job->key_path, error) < 0)
		return -1;
	if (restore_database(job, error) < 0 || backup_fsync_dir(msg, error) < 0 ||
	    backup_fsync_dir(job->store_dir, error) < 0)
		return -1;
	return key != NULL ? backup_fsync_dir(key_dir, error) : 0;
}

static void undo(struct restore_job *job)
{
	for (guint i = job->created->len; i > 0; i--) {
		const char *path = job->created->pdata[i - 1];

		if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			(void)rmdir(path);
		else
			(void)unlink(path);
	}
}

int al_backup_restore(const char *dir, const char *store_dir, const char *key_path,
		      struct al_backup_summary *summary_r, GError **error)
{
	g_autoptr(backup_manifest) manifest = verify(dir, summary_r, error);
	g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func(g_free);
	struct restore_job job = {
	    .dir = dir,
	    .store_dir = store_dir,
	    .key_path = key_path,
	    .manifest = manifest,
	    .created = created,
	};

	if (manifest == NULL || check_store_dir(store_dir, &job.replace_db, error) < 0)
		return -1;
	if (manifest->with_key && g_file_test(key_path, G_FILE_TEST_EXISTS)) {
		g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY,
			    "%s exists: the restore does not replace a release key (move it aside "
			    "first)",
			    key_path);
		return -1;
	}
	if (restore_files(&job, error) < 0) {
		undo(&job);
		return -1;
	}
	return 0;
}
