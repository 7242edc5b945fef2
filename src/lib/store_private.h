/*
 * store_private.h - what the store_*.c files share inside libairlock:
 * the store's state and the SQL helpers. Not part of the library's
 * contract: nothing outside src/lib/store*.c and the report includes it.
 */
#ifndef AIRLOCK_STORE_PRIVATE_H
#define AIRLOCK_STORE_PRIVATE_H

#include "airlock/store.h"

#include <sqlite3.h>

struct al_store {
	GMutex lock; /* every use of db */
	sqlite3 *db;
	char *dir; /* absolute */
	char *msg_dir;
	char *db_path;
};

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

/* A prepared statement with values bound from types ('t' a const char *,
 * NULL binds NULL; 'i' a gint64), or NULL with error. Caller holds the
 * lock and finalizes. */
sqlite3_stmt *al_store_sql_prepare(struct al_store *store, GError **error, const char *sql,
				   const char *types, ...);
/* Runs one statement that returns no rows. */
int al_store_sql_run(struct al_store *store, GError **error, const char *sql, const char *types,
		     ...);
/* Steps once: 1 for a row, 0 for none, -1 with error. */
int al_store_sql_step(struct al_store *store, sqlite3_stmt *stmt, GError **error);
/* The first column of the first row in value_r: 1, 0 if no row, -1. */
int al_store_sql_query_int(struct al_store *store, gint64 *value_r, GError **error, const char *sql,
			   const char *types, ...);
/* Constant SQL only (transactions, pragmas, migrations). */
int al_store_sql_exec(struct al_store *store, const char *sql, GError **error);
void al_store_sql_rollback(struct al_store *store);

typedef int (*al_store_transaction_fn)(struct al_store *store, const void *data, GError **error);
/* Runs fn under the lock in one transaction (begin: "BEGIN" to read,
 * "BEGIN IMMEDIATE" to write), committed only if fn returns 0. */
int al_store_sql_transaction(struct al_store *store, const char *begin, al_store_transaction_fn fn,
			     const void *data, GError **error);

/* A write transaction whose commit does not wait for the disk
 * (synchronous = NORMAL for it alone): statistics that a power cut may
 * roll back by a few seconds, never a quarantine record. The WAL is
 * synced by the next normal commit or checkpoint. */
int al_store_sql_transaction_relaxed(struct al_store *store, al_store_transaction_fn fn,
				     const void *data, GError **error);
/* A text column, transfer full (NULL for SQL NULL). */
char *al_store_sql_column_dup(sqlite3_stmt *stmt, int column);

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

/* store.c: PRAGMA journal_mode = mode ("wal", "delete"), checked. */
int al_store_journal_mode(struct al_store *store, const char *mode, GError **error);

#endif
