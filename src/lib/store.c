/*
 * store.c - the quarantine store on SQLite.
 *
 * SYNOPSIS
 *	store = al_store_open(dir, create, &error)
 *	al_store_new_id(id)
 *	al_store_quarantine(store, id, stream, smtp, verdict, &error)
 *	al_store_count_message(store, verdict, &error)    (store_counters.c)
 *	al_store_get_message(store, id, &message, &error) (store_message.c)
 *	al_store_close(&store)
 *
 * DESCRIPTION
 *	dir holds airlock.db and msg/ID.eml, one file per quarantined
 *	original. dir and msg/ must be 0700: a store that other users can
 *	read is refused at open rather than silently fixed, so the admin
 *	learns that mail was exposed. Files are made 0600 whatever the
 *	umask (the database and its -wal/-shm are chmod'ed after open).
 *
 *	A quarantine writes msg/ID.eml.tmp (O_EXCL, O_NOFOLLOW), hashing
 *	and counting on the way, fsyncs it, renames it to msg/ID.eml without
 *	ever replacing an existing file, fsyncs msg/, and only then inserts
 *	the rows in one BEGIN IMMEDIATE transaction. If the rows cannot be
 *	committed the file is removed, so no row names a missing file and
 *	no failed call leaves a file behind (a crash between the rename and
 *	the commit may; the file then has no row and harms nothing).
 *
 *	The schema is a list of numbered migrations; schema_version holds
 *	one row, the last one applied. Each pending migration runs in its
 *	own transaction that first re-reads the version, so two processes
 *	opening a new store at once apply each migration once.
 *
 *	SQL text is constant: every value from mail or users is bound to a
 *	prepared statement.
 *
 * THREADS
 *	The connection is opened without SQLite's own mutex; store->lock
 *	serialises every use of it (statement, transaction, error message).
 *	Other processes use their own connection; WAL and a busy timeout
 *	arbitrate.
 *
 *	Ids: store_id.c.
 */
#include "store_private.h"

#include "airlock/json.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS  5000
#define COPY_CHUNK_BYTES 65536
#define QUARANTINE_WHO   "airlock"


G_DEFINE_QUARK(airlock - store - error - quark, al_store_error)

/* ---- open and close ---- */

static int not_a_store(const char *path, GError **error)
{
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s does not exist: run airlockctl init", path);
	return -1;
}

static int check_private_dir(const char *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return not_a_store(path, error);
		return al_store_io_error(error, path, "cannot access", errno);
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s is not a directory", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "%s is readable by others (mode %04o): run chmod 700 %s", path,
			    (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int al_store_check_private_dir(const char *path, GError **error)
{
	return check_private_dir(path, error);
}

static int make_dirs(struct al_store *store, GError **error)
{
	gboolean existed = g_file_test(store->dir, G_FILE_TEST_IS_DIR);

	if (g_mkdir_with_parents(store->dir, 0700) < 0)
		return al_store_io_error(error, store->dir, "cannot create directory", errno);
	if (!existed && chmod(store->dir, 0700) < 0)
		return al_store_io_error(error, store->dir, "cannot chmod", errno);
	/* Nothing is made inside a directory that others can read. */
	if (check_private_dir(store->dir, error) < 0)
		return -1;
	if (mkdir(store->msg_dir, 0700) == 0) {
		if (chmod(store->msg_dir, 0700) < 0)
			return al_store_io_error(error, store->msg_dir, "cannot chmod", errno);
	} else if (errno != EEXIST) {
		return al_store_io_error(error, store->msg_dir, "cannot create directory", errno);
	}
	return 0;
}

/* chmod 0600; a missing file is fine when it is optional (-wal, -shm). */
static int restrict_file(const char *path, gboolean optional, GError **error)
{
	if (chmod(path, 0600) == 0 || (optional && errno == ENOENT))
		return 0;
	return al_store_io_error(error, path, "cannot chmod 600", errno);
}

static int open_db(struct al_store *store, gboolean create, GError **error)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
	g_autofree char *wal = g_strconcat(store->db_path, "-wal", NULL);
	g_autofree char *shm = g_strconcat(store->db_path, "-shm", NULL);

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	else if (!g_file_test(store->db_path, G_FILE_TEST_EXISTS))
		return not_a_store(store->db_path, error);
	store->driver = &al_store_sqlite_driver;
	if (sqlite3_open_v2(store->db_path, &store->db, flags, NULL) != SQLITE_OK)
		return al_store_db_error(store, error);
	/* Before WAL mode: SQLite gives -wal and -shm the database's mode. */
	if (restrict_file(store->db_path, FALSE, error) < 0)
		return -1;
	if (sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		return al_store_db_error(store, error);
	if (al_store_journal_mode(store, "wal", error) < 0 ||
	    al_store_sql_exec(store, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", error) <
		0)
		return -1;
	if (restrict_file(wal, TRUE, error) < 0 || restrict_file(shm, TRUE, error) < 0)
		return -1;
	return 0;
}

int al_store_read_version(struct al_store *store, gint64 *version_r, GError **error)
{
	gboolean exists;

	*version_r = 0;
	if (store->driver->table_exists(store, "schema_version", &exists, error) < 0)
		return -1;
	if (!exists)
		return 0;
	if (al_store_sql_query_int(store, version_r, error,
				   "SELECT COALESCE(MAX(version), 0) FROM schema_version", "") < 0)
		return -1;
	return 0;
}

static int apply_migration(struct al_store *store, const void *data, GError **error)
{
	gint64 target = *(const gint64 *)data;
	gint64 current;

	if (al_store_sql_exec(
		store, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
		error) < 0 ||
	    al_store_read_version(store, &current, error) < 0)
		return -1;
	if (current >= target)
		return 0; /* another process was first */
	if (al_store_sql_exec(store, store->driver->migrations[target - 1], error) < 0 ||
	    al_store_sql_run(store, error, "DELETE FROM schema_version", "") < 0)
		return -1;
	return al_store_sql_run(store, error, "INSERT INTO schema_version (version) VALUES (?)",
				"i", target);
}

static int migrate_locked(struct al_store *store, GError **error)
{
	gint64 version;

	if (al_store_read_version(store, &version, error) < 0)
		return -1;
	if (version > AL_STORE_SCHEMA_VERSION) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "%s: schema version %" G_GINT64_FORMAT
			    " is newer than this airlock's (%d): upgrade airlock",
			    store->db_path, version, AL_STORE_SCHEMA_VERSION);
		return -1;
	}
	for (gint64 v = version + 1; v <= AL_STORE_SCHEMA_VERSION; v++)
		if (al_store_sql_transaction(store, AL_STORE_WRITE, apply_migration, &v, error) <
		    0)
			return -1;
	return 0;
}

/* Two gateways starting on a new PostgreSQL database at once: the
 * driver's lock (a session advisory lock, taken before any snapshot)
 * lets one create the schema while the other waits, then finds it. */
int al_store_migrate(struct al_store *store, GError **error)
{
	int rc;

	if (store->driver->migration_lock != NULL &&
	    al_store_sql_exec(store, store->driver->migration_lock, error) < 0)
		return -1;
	rc = migrate_locked(store, error);
	if (store->driver->migration_unlock != NULL &&
	    al_store_sql_exec(store, store->driver->migration_unlock, rc < 0 ? NULL : error) < 0)
		rc = -1;
	return rc;
}

struct al_store *al_store_open(const char *dir, gboolean create, GError **error)
{
	struct al_store *store = g_new0(struct al_store, 1);

	g_mutex_init(&store->lock);
	store->dir = g_canonicalize_filename(dir, NULL);
	store->msg_dir = g_build_filename(store->dir, "msg", NULL);
	store->db_path = g_build_filename(store->dir, "airlock.db", NULL);
	if (create && make_dirs(store, error) < 0)
		goto fail;
	if (check_private_dir(store->dir, error) < 0 ||
	    check_private_dir(store->msg_dir, error) < 0)
		goto fail;
	if (open_db(store, create, error) < 0 || al_store_migrate(store, error) < 0)
		goto fail;
	return store;
fail:
	al_store_close(&store);
	return NULL;
}

void al_store_close(struct al_store **store)
{
	struct al_store *s = *store;

	if (s == NULL)
		return;
	if (s->driver != NULL)
		s->driver->close(s);
	g_mutex_clear(&s->lock);
	g_free(s->dir);
	g_free(s->msg_dir);
	g_free(s->db_path);
	g_free(s);
	*store = NULL;
}

/* ---- the original's file ---- */

struct original_file {
	gint64 size;
	char sha256[65];
	GBytes *content; /* PostgreSQL: the bytes, stored with the rows */
};

static int copy_stream(GMimeStream *stream, int fd, const char *path, GChecksum *checksum,
		       gint64 *size_r, GError **error)
{
	g_autofree char *buffer = g_malloc(COPY_CHUNK_BYTES);
	gint64 size = 0;
	gssize n;

	if (g_mime_stream_reset(stream) < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "cannot rewind the message to quarantine");
		return -1;
	}
	while ((n = g_mime_stream_read(stream, buffer, COPY_CHUNK_BYTES)) > 0) {
		g_checksum_update(checksum, (const guchar *)buffer, n);
		if (al_write_all(fd, buffer, (gsize)n) < 0)
			return al_store_io_error(error, path, "write failed", errno);
		size += n;
	}
	if (n < 0 || !g_mime_stream_eos(stream)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "reading the message to quarantine failed after %" G_GINT64_FORMAT
			    " bytes",
			    size);
		return -1;
	}
	*size_r = size;
	return 0;
}

/* Renames tmp to path, never replacing an existing path. */
static int publish(const char *tmp, const char *path, GError **error)
{
	int errsv;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return al_store_io_error(error, path, "cannot rename into place", errno);
	/* A file system without RENAME_NOREPLACE: link() never replaces. */
	if (link(tmp, path) < 0)
		return al_store_io_error(error, path, "cannot link into place", errno);
	if (unlink(tmp) == 0)
		return 0;
	errsv = errno;
	(void)unlink(path);
	return al_store_io_error(error, tmp, "cannot remove", errsv);
}

static int fsync_dir(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return al_store_io_error(error, path, "cannot open", errno);
	if (fsync(fd) < 0)
		rc = al_store_io_error(error, path, "fsync failed", errno);
	if (close(fd) < 0 && rc == 0)
		rc = al_store_io_error(error, path, "close failed", errno);
	return rc;
}

/* Writes, fsyncs and publishes the original as path; on failure nothing
 * is left behind. */
static int write_original(struct al_store *store, GMimeStream *original, const char *path,
			  struct original_file *file_r, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc;

	if (fd < 0)
		return al_store_io_error(error, tmp, "cannot create", errno);
	rc = fchmod(fd, 0600) < 0 ? al_store_io_error(error, tmp, "cannot chmod 600", errno) : 0;
	if (rc == 0)
		rc = copy_stream(original, fd, tmp, checksum, &file_r->size, error);
	if (rc == 0 && fsync(fd) < 0)
		rc = al_store_io_error(error, tmp, "fsync failed", errno);
	if (close(fd) < 0 && rc == 0)
		rc = al_store_io_error(error, tmp, "close failed", errno);
	if (rc == 0)
		rc = publish(tmp, path, error);
	if (rc < 0) {
		(void)unlink(tmp); /* best effort: the error is already reported */
		return -1;
	}
	if (fsync_dir(store->msg_dir, error) < 0) {
		(void)unlink(path);
		return -1;
	}
	g_strlcpy(file_r->sha256, g_checksum_get_string(checksum), sizeof(file_r->sha256));
	return 0;
}

/* ---- quarantine rows ---- */

struct quarantine_job {
	const char *id;
	const struct al_smtp_context *smtp;
	const struct al_verdict *verdict;
	struct original_file *file;
	char *same_as; /* an identical message already quarantined, or NULL */
};

static int insert_item(struct al_store *store, const char *id, const struct al_item *item,
		       GError **error)
{
	g_autoptr(GString) reasons = g_string_new(NULL);
	g_autoptr(GString) details = g_string_new(NULL);
	g_autoptr(GString) viruses = g_string_new(NULL);
	g_autoptr(GString) inner = g_string_new(NULL);

	al_reason_set_append(reasons, item->reasons, ",");
	al_json_append_strings(details, item->details);
	al_json_append_strings(viruses, item->virus_names);
	al_json_append_inner(inner, item->inner);
	return al_store_sql_run(
	    store, error,
	    "INSERT INTO items (message_id, part, filename, declared_type, detected_type,"
	    " size, reasons, details, viruses, \"inner\", quarantined)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "tttttitttti", id, item->part, item->filename, item->declared_type, item->detected_type,
	    (gint64)item->content.size, reasons->str, details->str, viruses->str, inner->str,
	    (gint64)(item->quarantine ? 1 : 0));
}

int al_store_insert_event(struct al_store *store, const char *id, const char *event,
			  const char *who, const char *detail, GError **error)
{
	return al_store_sql_run(
	    store, error,
	    "INSERT INTO events (message_id, at, event, who, detail) VALUES (?, ?, ?, ?, ?)",
	    "tittt", id, (gint64)(g_get_real_time() / G_USEC_PER_SEC), event, who, detail);
}

static int insert_message(struct al_store *store, const struct quarantine_job *job, GError **error)
{
	const struct al_smtp_context *smtp = job->smtp;
	const struct al_message *message = job->verdict->message;
	g_autoptr(GString) reasons = g_string_new(NULL);
	g_autofree char *path = g_strconcat("msg/", job->id, ".eml", NULL);

	al_reason_set_append(reasons, job->verdict->reasons, ",");
	return al_store_sql_run(
	    store, error,
	    "INSERT INTO messages (id, received_at, queue_id, envelope_from, header_from,"
	    " subject, client_addr, client_name, helo, auth_user, origin_known, origin_why,"
	    " action, reasons, size, sha256, path, status)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'quarantined')",
	    "tittttttttitttitt", job->id, (gint64)(g_get_real_time() / G_USEC_PER_SEC),
	    smtp->queue_id, smtp->envelope_from, message ? message->from : NULL,
	    message ? message->subject : NULL, smtp->client_addr, smtp->client_name, smtp->helo,
	    smtp->auth_user, (gint64)(job->verdict->origin.known ? 1 : 0), job->verdict->origin.why,
	    al_action_name(job->verdict->action), reasons->str, job->file->size, job->file->sha256,
	    path);
}

/* The newest message still quarantined with the same bytes, envelope
 * sender and recipients (in order), received in the retry window. */
static int find_same(struct al_store *store, struct quarantine_job *job, GError **error)
{
	const char *const *recipients = job->smtp->recipients;
	g_autofree char *joined =
		recipients != NULL ? g_strjoinv("\n", (char **)recipients) : g_strdup("");
	struct al_store_stmt *stmt = al_store_sql_prepare(
		store, error,
		"SELECT id FROM messages m WHERE sha256 = ? AND status = 'quarantined'"
		" AND received_at >= ? AND envelope_from IS NOT DISTINCT FROM ?"
		" AND coalesce((SELECT group_concat(address, ?) FROM"
		"  (SELECT address FROM recipients r WHERE r.message_id = m.id ORDER BY rowid) AS a),"
		"  '') = ? ORDER BY id DESC LIMIT 1",
		"tittt", job->file->sha256,
		(gint64)(g_get_real_time() / G_USEC_PER_SEC) - AL_STORE_RETRY_WINDOW_SECONDS,
		job->smtp->envelope_from, "\n", joined);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		job->same_as = al_store_sql_column_dup(stmt, 0);
	al_store_sql_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

static int record_quarantine(struct al_store *store, const void *data, GError **error)
{
	struct quarantine_job *job = (struct quarantine_job *)data;
	const struct al_message *message = job->verdict->message;
	const char *const *recipients = job->smtp->recipients;

	g_clear_pointer(&job->same_as, g_free); /* a retried transaction starts over */
	if (find_same(store, job, error) < 0)
		return -1;
	if (job->same_as != NULL)
		return al_store_insert_event(store, job->same_as, "received-again", QUARANTINE_WHO,
					     job->smtp->queue_id, error);
	if (insert_message(store, job, error) < 0)
		return -1;
	if (job->file->content != NULL &&
	    al_store_sql_run(store, error,
			     "INSERT INTO originals (message_id, content) VALUES (?, ?)", "tb",
			     job->id, job->file->content) < 0)
		return -1;
	for (gsize i = 0; recipients != NULL && recipients[i] != NULL; i++)
		if (al_store_sql_run(store, error,
				     "INSERT INTO recipients (message_id, address) VALUES (?, ?)",
				     "tt", job->id, recipients[i]) < 0)
			return -1;
	for (guint i = 0; message != NULL && i < message->items->len; i++)
		if (insert_item(store, job->id, message->items->pdata[i], error) < 0)
			return -1;
	return al_store_insert_event(store, job->id, "quarantined", QUARANTINE_WHO,
				     al_action_name(job->verdict->action), error);
}

/* The original in memory (PostgreSQL keeps it in the rows' transaction):
 * bounded by [limits] max_message_size upstream. */
static int read_original(GMimeStream *stream, struct original_file *file_r, GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	GByteArray *bytes = g_byte_array_new();
	g_autofree char *buffer = g_malloc(COPY_CHUNK_BYTES);
	gssize n;

	if (g_mime_stream_reset(stream) < 0) {
		g_byte_array_unref(bytes);
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "cannot rewind the message to quarantine");
		return -1;
	}
	while ((n = g_mime_stream_read(stream, buffer, COPY_CHUNK_BYTES)) > 0) {
		g_checksum_update(checksum, (const guchar *)buffer, n);
		g_byte_array_append(bytes, (const guint8 *)buffer, (guint)n);
	}
	if (n < 0 || !g_mime_stream_eos(stream)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "reading the message to quarantine failed after %u bytes", bytes->len);
		g_byte_array_unref(bytes);
		return -1;
	}
	file_r->size = bytes->len;
	g_strlcpy(file_r->sha256, g_checksum_get_string(checksum), sizeof(file_r->sha256));
	file_r->content = g_byte_array_free_to_bytes(bytes);
	return 0;
}

/* PostgreSQL: the original and the rows in one transaction. */
static int quarantine_in_db(struct al_store *store, char id[AL_STORE_ID_LEN + 1],
			    GMimeStream *original, struct quarantine_job *job, GError **error)
{
	struct original_file *file = job->file;
	int rc = read_original(original, file, error);

	if (rc == 0)
		rc = al_store_sql_transaction(store, AL_STORE_WRITE, record_quarantine, job, error);
	g_clear_pointer(&file->content, g_bytes_unref);
	if (rc < 0 || job->same_as == NULL)
		return rc;
	g_strlcpy(id, job->same_as, AL_STORE_ID_LEN + 1);
	g_clear_pointer(&job->same_as, g_free);
	return 1;
}

char *al_store_file_path(struct al_store *store, const char *id)
{
	g_autofree char *name = g_strconcat(id, ".eml", NULL);

	return g_build_filename(store->msg_dir, name, NULL);
}

int al_store_quarantine(struct al_store *store, char id[AL_STORE_ID_LEN + 1], GMimeStream *original,
			const struct al_smtp_context *smtp, const struct al_verdict *verdict,
			GError **error)
{
	static const struct al_smtp_context no_smtp = {0};
	struct original_file file = {0};
	g_autofree char *path = NULL;
	struct quarantine_job job = {
	    .id = id,
	    .smtp = smtp != NULL ? smtp : &no_smtp,
	    .verdict = verdict,
	    .file = &file,
	};

	if (id == NULL || !al_store_is_canonical_id(id)) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL, "'%s' is not a quarantine id",
			    id != NULL ? id : "");
		return -1;
	}
	if (store->driver->originals_in_db)
		return quarantine_in_db(store, id, original, &job, error);
	path = al_store_file_path(store, id);
	if (write_original(store, original, path, &file, error) < 0)
		return -1;
	if (al_store_sql_transaction(store, AL_STORE_WRITE, record_quarantine, &job, error) < 0) {
		(void)unlink(path); /* best effort: no row names it */
		return -1;
	}
	if (job.same_as == NULL)
		return 0;
	/* Stored once already: the new copy goes (a failure leaves a file
	 * that no row names, which harms nothing). */
	(void)unlink(path);
	g_strlcpy(id, job.same_as, AL_STORE_ID_LEN + 1);
	g_free(job.same_as);
	return 1;
}
