/*
 * store_backup.c - the store's side of a backup: a consistent snapshot
 * of the database, what backup.c asks of a snapshot (the originals it
 * keeps, the ones that vanished meanwhile, its schema version), and, for
 * a restore, the rows of the target's database and its replacement when
 * it has none.
 *
 * DESCRIPTION
 *	The snapshot uses SQLite's online backup API with one step over
 *	every page: one read transaction on the live database, so the
 *	daemon keeps writing (WAL) and the copy holds each quarantine whole
 *	or not at all. The copy is then switched to a rollback journal: a
 *	backup is one file, with no -wal or -shm beside it.
 *
 *	A snapshot is not a live store (it has no msg/ of its own yet), so
 *	these functions open it on their own connection, wrapped in a
 *	struct al_store for the SQL helpers. Reading uses SQLite's
 *	immutable mode: no lock, no -shm, fine on read-only media, and the
 *	file is verified against the manifest before it is read at restore.
 *
 *	A restore may replace the database of an empty store: one that
 *	airlockctl init or a first start of the daemon created, with the
 *	schema and no row in any table (no message, no event, nothing
 *	learned, no counter: nothing of the new installation is lost).
 *	It is opened read-write, not immutable, so that the WAL of a daemon
 *	that stopped counts; closing checkpoints it. The replacement counts
 *	again, removes what is left beside the old file (a stale WAL would
 *	be applied to the new one), then renames the new file over it.
 */
#include "store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BACKUP_BUSY_RETRIES 200
#define BACKUP_BUSY_SLEEP_US 50000
#define GONE_DETAIL "the original was removed from the store while the backup was taken"

/* ---- a snapshot's own connection ---- */

static void close_snapshot(struct al_store *s)
{
	if (s->db != NULL)
		(void)sqlite3_close_v2(s->db);
	g_mutex_clear(&s->lock);
	g_free(s->db_path);
	*s = (struct al_store){0};
}

/* Opens db_path as s: read-only and immutable, or read-write. */
static int open_snapshot(const char *db_path, gboolean writable, struct al_store *s,
			 GError **error)
{
	g_autofree char *escaped = g_uri_escape_string(db_path, "/", FALSE);
	g_autofree char *uri = g_strconcat("file:", escaped, writable ? "" : "?immutable=1", NULL);
	int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW |
		    (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);

	*s = (struct al_store){0};
	g_mutex_init(&s->lock);
	s->driver = &al_store_sqlite_driver;
	s->db_path = g_strdup(db_path);
	if (!g_file_test(db_path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: no such database file", db_path);
		return -1;
	}
	if (sqlite3_open_v2(uri, &s->db, flags, NULL) != SQLITE_OK)
		return al_store_db_error(s, error);
	if (sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK)
		return al_store_db_error(s, error);
	return 0;
}

/* ---- the snapshot ---- */

static int create_private_file(const char *path, GError **error)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return al_store_io_error(error, path, "cannot create", errno);
	if (fchmod(fd, 0600) < 0) {
		int errsv = errno;

		(void)close(fd);
		return al_store_io_error(error, path, "cannot chmod 600", errsv);
	}
	if (close(fd) < 0)
		return al_store_io_error(error, path, "close failed", errno);
	return 0;
}

static int fsync_file(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc = 0;

	if (fd < 0)
		return al_store_io_error(error, path, "cannot open", errno);
	if (fsync(fd) < 0)
		rc = al_store_io_error(error, path, "fsync failed", errno);
	if (close(fd) < 0 && rc == 0)
		rc = al_store_io_error(error, path, "close failed", errno);
	return rc;
}

/* Every page in one step, retried while the source is busy (only during
 * a WAL recovery or a checkpoint that must truncate). */
static int copy_pages(struct al_store *store, struct al_store *dest, GError **error)
{
	sqlite3_backup *backup;
	int rc = SQLITE_BUSY;

	g_mutex_lock(&store->lock);
	backup = sqlite3_backup_init(dest->db, "main", store->db, "main");
	if (backup == NULL) {
		g_mutex_unlock(&store->lock);
		return al_store_db_error(dest, error);
	}
	for (int tries = 0; tries < BACKUP_BUSY_RETRIES; tries++) {
		rc = sqlite3_backup_step(backup, -1);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		g_usleep(BACKUP_BUSY_SLEEP_US);
	}
	(void)sqlite3_backup_finish(backup);
	g_mutex_unlock(&store->lock);
	if (rc != SQLITE_DONE) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: backup to %s failed: %s",
			    store->db_path, dest->db_path, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

int al_store_backup_database(struct al_store *store, const char *dest_path, GError **error)
{
	struct al_store dest;
	int rc = -1;

	if (store->driver != &al_store_sqlite_driver) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "%s: a PostgreSQL store is backed up with pg_dump, not airlockctl backup",
			    store->db_path);
		return -1;
	}
	if (create_private_file(dest_path, error) < 0)
		return -1;
	if (open_snapshot(dest_path, TRUE, &dest, error) < 0)
		goto out;
	if (copy_pages(store, &dest, error) < 0 || al_store_journal_mode(&dest, "delete", error) < 0 /* one file */)
		goto out;
	rc = 0;
out:
	close_snapshot(&dest);
	if (rc == 0)
		rc = fsync_file(dest_path, error);
	if (rc < 0)
		(void)unlink(dest_path);
	return rc;
}

/* ---- what a snapshot keeps ---- */

/* "msg/ID.eml" with a canonical id, nothing else. */
static gboolean is_original_path(const char *path)
{
	char id[AL_STORE_ID_LEN + 1];

	if (path == NULL || strlen(path) != 4 + AL_STORE_ID_LEN + 4 ||
	    strncmp(path, "msg/", 4) != 0 || strcmp(path + 4 + AL_STORE_ID_LEN, ".eml") != 0)
		return FALSE;
	memcpy(id, path + 4, AL_STORE_ID_LEN);
	id[AL_STORE_ID_LEN] = '\0';
	return al_store_is_canonical_id(id);
}

static int list_originals(struct al_store *s, GPtrArray *paths, GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    s, error,
	    "SELECT path FROM messages WHERE status IN ('quarantined', 'released') ORDER BY path",
	    "");
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(s, stmt, error)) > 0) {
		const char *path = al_store_sql_column_text(stmt, 0);

		if (!is_original_path(path)) {
			g_set_error(error, AL_ERROR, AL_ERROR_PARSE,
				    "%s: a message's path is not msg/ID.eml: %s", s->db_path,
				    path != NULL ? path : "(null)");
			rc = -1;
			break;
		}
		g_ptr_array_add(paths, g_strdup(path));
	}
	al_store_sql_finalize(stmt);
	return rc;
}

GPtrArray *al_store_snapshot_originals(const char *db_path, GError **error)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	struct al_store s;
	int rc = open_snapshot(db_path, FALSE, &s, error);

	if (rc == 0)
		rc = list_originals(&s, paths, error);
	close_snapshot(&s);
	if (rc < 0)
		g_clear_pointer(&paths, g_ptr_array_unref);
	return paths;
}

struct gone_job {
	const char *const *paths;
	const char *who;
};

static int mark_gone(struct al_store *s, const void *data, GError **error)
{
	const struct gone_job *job = data;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	for (gsize i = 0; job->paths[i] != NULL; i++)
		if (al_store_sql_run(s, error,
				     "INSERT INTO events (message_id, at, event, who, detail)"
				     " SELECT id, ?, 'purged', ?, ? FROM messages WHERE path = ?"
				     " AND status IN ('quarantined', 'released')",
				     "ittt", now, job->who, GONE_DETAIL, job->paths[i]) < 0 ||
		    al_store_sql_run(s, error,
				     "UPDATE messages SET status = 'purged' WHERE path = ?"
				     " AND status IN ('quarantined', 'released')",
				     "t", job->paths[i]) < 0)
			return -1;
	return 0;
}

int al_store_snapshot_mark_gone(const char *db_path, const char *const *paths, const char *who,
				GError **error)
{
	struct gone_job job = {.paths = paths, .who = who};
	struct al_store s;
	int rc = open_snapshot(db_path, TRUE, &s, error);

	if (rc == 0)
		rc = al_store_sql_transaction(&s, AL_STORE_WRITE, mark_gone, &job, error);
	close_snapshot(&s);
	return rc;
}

int al_store_snapshot_version(const char *db_path, gint64 *version_r, GError **error)
{
	struct al_store s;
	int rc = open_snapshot(db_path, FALSE, &s, error);

	*version_r = 0;
	if (rc == 0)
		rc = al_store_sql_query_int(&s, version_r, error,
					    "SELECT COALESCE(MAX(version), 0) FROM schema_version",
					    "");
	close_snapshot(&s);
	if (rc == 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_PARSE, "%s: no schema version", db_path);
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

/* ---- an empty store's database, replaced by a restore ---- */

struct counted_table {
	const char *name;
	glong offset; /* of its count in struct al_store_rows */
	const char *count_sql;
};

static const struct counted_table counted_tables[] = {
    {.name = "messages",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, messages),
     .count_sql = "SELECT count(*) FROM messages"},
    {.name = "recipients",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, recipients),
     .count_sql = "SELECT count(*) FROM recipients"},
    {.name = "items",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, items),
     .count_sql = "SELECT count(*) FROM items"},
    {.name = "events",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, events),
     .count_sql = "SELECT count(*) FROM events"},
    {.name = "correspondents",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, correspondents),
     .count_sql = "SELECT count(*) FROM correspondents"},
    {.name = "daily_counters",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, daily_counters),
     .count_sql = "SELECT count(*) FROM daily_counters"},
    {.name = "release_tokens",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, release_tokens),
     .count_sql = "SELECT count(*) FROM release_tokens"},
    {.name = "requests",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, requests),
     .count_sql = "SELECT count(*) FROM requests"},
    {.name = "admins",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, admins),
     .count_sql = "SELECT count(*) FROM admins"},
    {.name = "digests",
     .offset = G_STRUCT_OFFSET(struct al_store_rows, digests),
     .count_sql = "SELECT count(*) FROM digests"},
};

/* Counts one table of sqlite_master; schema_version holds no data. */
static int count_table(struct al_store *s, const char *name, struct al_store_rows *rows,
		       GError **error)
{
	if (strcmp(name, "schema_version") == 0)
		return 0;
	for (gsize i = 0; i < G_N_ELEMENTS(counted_tables); i++)
		if (strcmp(name, counted_tables[i].name) == 0)
			return al_store_sql_query_int(
				   s, G_STRUCT_MEMBER_P(rows, counted_tables[i].offset), error,
				   counted_tables[i].count_sql, "") < 0
				   ? -1
				   : 0;
	g_set_error(error, AL_ERROR, AL_ERROR_IO,
		    "%s: table %s is unknown to this airlock (a newer schema?): its rows cannot be "
		    "counted",
		    s->db_path, name);
	return -1;
}

static int count_rows(struct al_store *s, const void *data, GError **error)
{
	struct al_store_rows *rows = (struct al_store_rows *)data;
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    s, error,
	    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%'"
	    " ESCAPE '!' ORDER BY name",
	    "");
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(s, stmt, error)) > 0)
		if (count_table(s, al_store_sql_column_text(stmt, 0), rows, error) < 0) {
			rc = -1;
			break;
		}
	al_store_sql_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

int al_store_count_rows(const char *db_path, struct al_store_rows *rows_r, GError **error)
{
	struct al_store s;
	int rc;

	*rows_r = (struct al_store_rows){0};
	/* Read-write, not immutable: a stopped daemon's WAL is read, and
	 * checkpointed into the file when this last connection closes. */
	rc = open_snapshot(db_path, TRUE, &s, error);
	if (rc == 0)
		rc = al_store_sql_transaction(&s, AL_STORE_READ, count_rows, rows_r, error);
	close_snapshot(&s);
	return rc;
}

gboolean al_store_rows_empty(const struct al_store_rows *rows)
{
	for (gsize i = 0; i < G_N_ELEMENTS(counted_tables); i++)
		if (G_STRUCT_MEMBER(gint64, rows, counted_tables[i].offset) != 0)
			return FALSE;
	return TRUE;
}

int al_store_replace_empty_database(const char *db_path, const char *new_path,
				    struct al_store_rows *rows_r, GError **error)
{
	static const char *const beside[] = {"-wal", "-shm", "-journal"};

	if (al_store_count_rows(db_path, rows_r, error) < 0)
		return -1;
	if (!al_store_rows_empty(rows_r))
		return 1;
	/* Counted and closed: whatever is left beside the old file belongs
	 * to it, and SQLite would apply it to the new one. */
	for (gsize i = 0; i < G_N_ELEMENTS(beside); i++) {
		g_autofree char *path = g_strconcat(db_path, beside[i], NULL);

		if (unlink(path) < 0 && errno != ENOENT)
			return al_store_io_error(error, path, "cannot remove", errno);
	}
	if (rename(new_path, db_path) < 0)
		return al_store_io_error(error, db_path, "cannot replace", errno);
	return 0;
}
