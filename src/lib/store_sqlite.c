/*
 * store_sqlite.c - the store's driver for SQLite (one machine).
 *
 * DESCRIPTION
 *	The operations of struct al_store_driver on store->db: statements
 *	prepared by sqlite3_prepare_v2() (SQLite reads '?' and '?N'
 *	itself), writes in "BEGIN IMMEDIATE" transactions (one writer at a
 *	time: nothing to retry), a relaxed write with synchronous = NORMAL
 *	for that transaction alone. The originals stay in msg/ID.eml
 *	(store.c, store_original.c).
 */
#include "store_private.h"

#include <string.h>

struct sqlite_stmt {
	struct al_store_stmt base;
	sqlite3_stmt *stmt;
};

static const char *const migrations[] = {
    /* 1: the first schema. */
    "CREATE TABLE messages ("
    " id TEXT PRIMARY KEY NOT NULL, received_at INTEGER NOT NULL,"
    " queue_id TEXT, envelope_from TEXT, header_from TEXT, subject TEXT,"
    " client_addr TEXT, client_name TEXT, helo TEXT, auth_user TEXT,"
    " origin_known INTEGER NOT NULL, origin_why TEXT,"
    " action TEXT NOT NULL, reasons TEXT NOT NULL,"
    " size INTEGER NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,"
    " status TEXT NOT NULL"
    "  CHECK (status IN ('quarantined', 'released', 'deleted', 'purged')));"
    "CREATE TABLE recipients ("
    " message_id TEXT NOT NULL REFERENCES messages (id),"
    " address TEXT NOT NULL, released_at INTEGER);"
    "CREATE TABLE items ("
    " message_id TEXT NOT NULL REFERENCES messages (id),"
    " part TEXT, filename TEXT, declared_type TEXT, detected_type TEXT,"
    " size INTEGER NOT NULL, reasons TEXT NOT NULL, details TEXT NOT NULL,"
    " viruses TEXT NOT NULL, \"inner\" TEXT NOT NULL, quarantined INTEGER NOT NULL);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY, message_id TEXT NOT NULL REFERENCES messages (id),"
    " at INTEGER NOT NULL, event TEXT NOT NULL, who TEXT NOT NULL, detail TEXT);"
    "CREATE TABLE correspondents ("
    " address TEXT PRIMARY KEY NOT NULL, first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL, count INTEGER NOT NULL);"
    "CREATE TABLE daily_counters ("
    " day TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY (day, kind, key));"
    "CREATE INDEX messages_received_at ON messages (received_at);"
    "CREATE INDEX messages_status ON messages (status);"
    "CREATE INDEX recipients_message_id ON recipients (message_id);"
    "CREATE INDEX items_message_id ON items (message_id);"
    "CREATE INDEX events_message_id ON events (message_id);",
    /* 2: release headers used (a signed release passes once). */
    "CREATE TABLE release_tokens ("
    " token TEXT PRIMARY KEY NOT NULL, message_id TEXT NOT NULL REFERENCES messages (id),"
    " used_at INTEGER NOT NULL);",
    /* 3: the release workflow (issue 16): per-recipient dismissal,
     * release requests, airlock-web admins, digests sent. */
    "ALTER TABLE recipients ADD COLUMN dismissed_at INTEGER;"
    "CREATE TABLE requests ("
    " id INTEGER PRIMARY KEY, message_id TEXT NOT NULL REFERENCES messages (id),"
    " recipient TEXT NOT NULL, requested_at INTEGER NOT NULL, note TEXT,"
    " state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),"
    " decided_at INTEGER, decided_by TEXT, why TEXT);"
    "CREATE UNIQUE INDEX requests_pending ON requests (message_id, recipient)"
    " WHERE state = 'pending';"
    "CREATE INDEX requests_message_id ON requests (message_id);"
    "CREATE INDEX recipients_address ON recipients (lower(address));"
    "CREATE TABLE admins ("
    " name TEXT PRIMARY KEY NOT NULL, hash TEXT NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE digests ("
    " address TEXT PRIMARY KEY NOT NULL, sent_at INTEGER NOT NULL);",
};

G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == AL_STORE_SCHEMA_VERSION);

static int bind_values(sqlite3_stmt *stmt, const char *types, va_list args)
{
	for (int i = 0; types[i] != '\0'; i++) {
		int rc;

		if (types[i] == 't') {
			rc = sqlite3_bind_text(stmt, i + 1, va_arg(args, const char *), -1,
					       SQLITE_TRANSIENT);
		} else if (types[i] == 'b') {
			GBytes *bytes = va_arg(args, GBytes *);
			gsize size = 0;
			const void *data = bytes != NULL ? g_bytes_get_data(bytes, &size) : NULL;

			rc = bytes == NULL ? sqlite3_bind_null(stmt, i + 1)
					   : sqlite3_bind_blob64(stmt, i + 1, data != NULL ? data : "",
								 size, SQLITE_TRANSIENT);
		} else {
			rc = sqlite3_bind_int64(stmt, i + 1, va_arg(args, gint64));
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static struct al_store_stmt *sqlite_prepare(struct al_store *store, const char *sql,
					    const char *types, va_list args, GError **error)
{
	struct sqlite_stmt *s = g_new0(struct sqlite_stmt, 1);
	int rc = sqlite3_prepare_v2(store->db, sql, -1, &s->stmt, NULL);

	s->base.driver = &al_store_sqlite_driver;
	if (rc == SQLITE_OK)
		rc = bind_values(s->stmt, types, args);
	if (rc != SQLITE_OK) {
		al_store_db_error(store, error);
		sqlite3_finalize(s->stmt);
		g_free(s);
		return NULL;
	}
	return &s->base;
}

static int sqlite_step(struct al_store *store, struct al_store_stmt *stmt, GError **error)
{
	int rc = sqlite3_step(((struct sqlite_stmt *)stmt)->stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return al_store_db_error(store, error);
}

static gint64 sqlite_column_int(struct al_store_stmt *stmt, int column)
{
	return sqlite3_column_int64(((struct sqlite_stmt *)stmt)->stmt, column);
}

static const char *sqlite_column_text(struct al_store_stmt *stmt, int column)
{
	return (const char *)sqlite3_column_text(((struct sqlite_stmt *)stmt)->stmt, column);
}

static GBytes *sqlite_column_blob(struct al_store_stmt *stmt, int column)
{
	sqlite3_stmt *s = ((struct sqlite_stmt *)stmt)->stmt;
	const void *data = sqlite3_column_blob(s, column);

	if (sqlite3_column_type(s, column) == SQLITE_NULL)
		return NULL;
	return g_bytes_new(data, (gsize)sqlite3_column_bytes(s, column));
}

static void sqlite_finalize(struct al_store_stmt *stmt)
{
	sqlite3_finalize(((struct sqlite_stmt *)stmt)->stmt);
	g_free(stmt);
}

static gint64 sqlite_changes(struct al_store *store)
{
	return sqlite3_changes64(store->db);
}

static int sqlite_exec(struct al_store *store, const char *sql, GError **error)
{
	if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return al_store_db_error(store, error);
	return 0;
}

static int sqlite_begin(struct al_store *store, enum al_store_txn txn, GError **error)
{
	if (txn == AL_STORE_READ)
		return sqlite_exec(store, "BEGIN", error);
	if (txn == AL_STORE_WRITE_RELAXED &&
	    sqlite_exec(store, "PRAGMA synchronous = NORMAL", error) < 0)
		return -1;
	return sqlite_exec(store, "BEGIN IMMEDIATE", error);
}

/* Back to FULL after a relaxed transaction, whatever happened: every
 * other commit must be on disk before the MTA is answered. */
static int restore_synchronous(struct al_store *store, GError **error)
{
	return sqlite_exec(store, "PRAGMA synchronous = FULL", error);
}

static int sqlite_commit(struct al_store *store, enum al_store_txn txn, GError **error)
{
	if (sqlite_exec(store, "COMMIT", error) < 0)
		return -1;
	if (txn == AL_STORE_WRITE_RELAXED)
		return restore_synchronous(store, error);
	return 0;
}

static void sqlite_rollback(struct al_store *store, enum al_store_txn txn)
{
	/* A failed rollback leaves nothing better to do: SQLite rolls the
	 * transaction back itself when the connection closes. */
	if (!sqlite3_get_autocommit(store->db))
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	/* Should this fail, the next relaxed or normal transaction still
	 * starts from whatever SQLite kept; nothing more to do here. */
	if (txn == AL_STORE_WRITE_RELAXED)
		(void)restore_synchronous(store, NULL);
}

static gboolean sqlite_should_retry(struct al_store *store)
{
	(void)store;
	return FALSE; /* BEGIN IMMEDIATE waits (busy timeout) instead */
}

static int sqlite_table_exists(struct al_store *store, const char *name, gboolean *exists_r,
			       GError **error)
{
	gint64 count;

	if (al_store_sql_query_int(store, &count, error,
				   "SELECT count(*) FROM sqlite_master"
				   " WHERE type = 'table' AND name = ?",
				   "t", name) < 0)
		return -1;
	*exists_r = count > 0;
	return 0;
}

static void sqlite_close(struct al_store *store)
{
	/* close_v2 cannot fail on a valid handle: it defers if needed. */
	(void)sqlite3_close_v2(store->db);
	store->db = NULL;
}

int al_store_journal_mode(struct al_store *store, const char *mode, GError **error)
{
	g_autofree char *sql = g_strdup_printf("PRAGMA journal_mode = %s", mode);
	struct al_store_stmt *stmt = al_store_sql_prepare(store, error, sql, "");
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc == 0 || (rc > 0 && g_strcmp0(al_store_sql_column_text(stmt, 0), mode) != 0)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: cannot use journal mode %s",
			    store->db_path, mode);
		rc = -1;
	}
	al_store_sql_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

const struct al_store_driver al_store_sqlite_driver = {
    .name = "sqlite",
    .originals_in_db = FALSE,
    .prepare = sqlite_prepare,
    .step = sqlite_step,
    .column_int = sqlite_column_int,
    .column_text = sqlite_column_text,
    .column_blob = sqlite_column_blob,
    .finalize = sqlite_finalize,
    .changes = sqlite_changes,
    .exec = sqlite_exec,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .should_retry = sqlite_should_retry,
    .table_exists = sqlite_table_exists,
    .migrations = migrations,
    .close = sqlite_close,
};
