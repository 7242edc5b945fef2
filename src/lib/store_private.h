/*
 * store_private.h - what the store_*.c files share inside libairlock:
 * the store's state and the SQL helpers. Not part of the library's
 * contract: nothing outside src/lib/store*.c and the report includes it.
 */
#ifndef AIRLOCK_STORE_PRIVATE_H
#define AIRLOCK_STORE_PRIVATE_H

#include "airlock/store.h"

#include <sqlite3.h>

struct al_store_driver;
struct al_store_pg; /* store_pg.c */

struct al_store {
	GMutex lock; /* every use of the connection */
	const struct al_store_driver *driver;
	sqlite3 *db;		/* SQLite */
	struct al_store_pg *pg; /* PostgreSQL */
	char *dir;		/* absolute; SQLite only */
	char *msg_dir;
	char *db_path; /* SQLite: the file; PostgreSQL: a name for errors */
};

/* A statement of either engine: each driver's own struct starts with
 * this one. */
struct al_store_stmt {
	const struct al_store_driver *driver;
};

enum al_store_txn {
	AL_STORE_READ,	/* one consistent view */
	AL_STORE_WRITE, /* serialised against every other writer */
	AL_STORE_WRITE_RELAXED,
};

/*
 * What differs between SQLite and PostgreSQL. The SQL text is the same
 * for both ('?' and '?N' placeholders); the types of prepare: 't' a
 * const char * (NULL binds NULL), 'i' a gint64, 'b' a GBytes * (NULL
 * binds NULL).
 */
struct al_store_driver {
	const char *name;
	gboolean originals_in_db; /* PostgreSQL: table originals; SQLite: msg/ */
	struct al_store_stmt *(*prepare)(struct al_store *store, const char *sql, const char *types,
					 va_list args, GError **error);
	int (*step)(struct al_store *store, struct al_store_stmt *stmt, GError **error);
	gint64 (*column_int)(struct al_store_stmt *stmt, int column);
	const char *(*column_text)(struct al_store_stmt *stmt, int column);
	/* transfer full; NULL for SQL NULL */
	GBytes *(*column_blob)(struct al_store_stmt *stmt, int column);
	void (*finalize)(struct al_store_stmt *stmt);
	gint64 (*changes)(struct al_store *store);
	int (*exec)(struct al_store *store, const char *sql, GError **error);
	int (*begin)(struct al_store *store, enum al_store_txn txn, GError **error);
	int (*commit)(struct al_store *store, enum al_store_txn txn, GError **error);
	void (*rollback)(struct al_store *store, enum al_store_txn txn);
	/* TRUE when the last failure may succeed if the transaction is
	 * run again (a serialization failure or a deadlock). */
	gboolean (*should_retry)(struct al_store *store);
	int (*table_exists)(struct al_store *store, const char *name, gboolean *exists_r,
			    GError **error);
	const char *const *migrations; /* AL_STORE_SCHEMA_VERSION of them */
	/* Constant SQL run after rows were copied in with their ids
	 * (al_store_copy()): identity columns continue after them. */
	const char *after_copy;
	/* Constant SQL around the migrations (NULL: none needed). */
	const char *migration_lock, *migration_unlock;
	void (*close)(struct al_store *store);
};

extern const struct al_store_driver al_store_sqlite_driver;
extern const struct al_store_driver al_store_pg_driver;
extern const char *const al_store_pg_migration_sql[AL_STORE_SCHEMA_VERSION]; /* store_pg_schema.c */
extern const char al_store_pg_after_copy_sql[];

/* store_pg.c: connects store (driver, pg, db_path set) to dsn. */
int al_store_pg_connect(struct al_store *store, const char *dsn, guint statement_timeout_ms,
			gboolean readonly, GError **error);

/* store.c: applies the pending migrations (either engine). */
int al_store_migrate(struct al_store *store, GError **error);

/* An id as a path may use it: exactly what al_store_new_id() writes
 * (store_id.c). */
gboolean al_store_is_canonical_id(const char *id);

/* dir exists, is a directory, and others cannot read it (store.c). */
int al_store_check_private_dir(const char *path, GError **error);

/* Errors: a system call on path, the last SQLite error (names the
 * database), no message id. All return -1. */
int al_store_io_error(GError **error, const char *path, const char *what, int errsv);
int al_store_db_error(struct al_store *store, GError **error);
int al_store_not_found(GError **error, const char *id);

/* A prepared statement with values bound from types (see struct
 * al_store_driver), or NULL with error. Caller holds the lock and
 * finalizes. */
struct al_store_stmt *al_store_sql_prepare(struct al_store *store, GError **error, const char *sql,
				   const char *types, ...);
/* Runs one statement that returns no rows. */
int al_store_sql_run(struct al_store *store, GError **error, const char *sql, const char *types,
		     ...);
/* Steps once: 1 for a row, 0 for none, -1 with error. */
int al_store_sql_step(struct al_store *store, struct al_store_stmt *stmt, GError **error);
gint64 al_store_sql_column_int(struct al_store_stmt *stmt, int column);
/* Borrowed until the next step or finalize; NULL for SQL NULL. */
const char *al_store_sql_column_text(struct al_store_stmt *stmt, int column);
GBytes *al_store_sql_column_blob(struct al_store_stmt *stmt, int column);
void al_store_sql_finalize(struct al_store_stmt *stmt);
/* Rows changed by the last statement run. */
gint64 al_store_sql_changes(struct al_store *store);
/* The first column of the first row in value_r: 1, 0 if no row, -1. */
int al_store_sql_query_int(struct al_store *store, gint64 *value_r, GError **error, const char *sql,
			   const char *types, ...);
/* Constant SQL only (transactions, pragmas, migrations). */
int al_store_sql_exec(struct al_store *store, const char *sql, GError **error);

typedef int (*al_store_transaction_fn)(struct al_store *store, const void *data, GError **error);
/* Runs fn under the lock in one transaction, committed only if fn
 * returns 0. A write transaction that PostgreSQL aborts as a
 * serialization failure or a deadlock is run again (fn must start from
 * its job as given each time). AL_STORE_WRITE_RELAXED: a write whose
 * commit does not wait for the disk: statistics that a power cut may
 * roll back by a few seconds, never a quarantine record. */
int al_store_sql_transaction(struct al_store *store, enum al_store_txn txn,
			     al_store_transaction_fn fn, const void *data, GError **error);
/* A text column, transfer full (NULL for SQL NULL). */
char *al_store_sql_column_dup(struct al_store_stmt *stmt, int column);

/* Parses an id typed by a user (AL_STORE_ERROR_NOT_FOUND if it cannot be
 * one). */
int al_store_user_id(const char *text, char id_r[AL_STORE_ID_LEN + 1], GError **error);
/* msg/ID.eml under the store, transfer full; id canonical. */
char *al_store_file_path(struct al_store *store, const char *id);
/* Inserts an audit event row (inside the caller's transaction). */
int al_store_insert_event(struct al_store *store, const char *id, const char *event,
			  const char *who, const char *detail, GError **error);

/* A comma list of reason names as stored, as a set (unknown names are
 * left out: a newer build's reason). NULL is the empty set. */
al_reason_set al_store_parse_reasons(const char *text);

/* store.c: the schema version recorded in the database (0: none yet). */
int al_store_read_version(struct al_store *store, gint64 *version_r, GError **error);

/* store_sqlite.c: PRAGMA journal_mode = mode ("wal", "delete"), checked. */
int al_store_journal_mode(struct al_store *store, const char *mode, GError **error);

#endif
