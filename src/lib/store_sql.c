/*
 * store_sql.c - the statement helpers every store_*.c file uses.
 *
 * DESCRIPTION
 *	Prepared statements with values bound from a type string ('t' text,
 *	'i' integer), single-row queries, and transactions run under the
 *	store's lock. Errors name the database file. SQL text is always a
 *	constant of the caller: values are bound, never pasted.
 */
#include "store_private.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* ---- errors ---- */

int al_store_io_error(GError **error, const char *path, const char *what, int errsv)
{
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: %s: %s", path, what, g_strerror(errsv));
	return -1;
}

int al_store_db_error(struct al_store *store, GError **error)
{
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: %s", store->db_path,
		    sqlite3_errmsg(store->db));
	return -1;
}

int al_store_not_found(GError **error, const char *id)
{
	g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND, "no quarantined message %s",
		    id);
	return -1;
}

/* ---- statements ---- */

/* Binds values described by types: 't' a const char * (NULL binds NULL),
 * 'i' a gint64. */
static int bind_values(sqlite3_stmt *stmt, const char *types, va_list args)
{
	for (int i = 0; types[i] != '\0'; i++) {
		int rc;

		if (types[i] == 't')
			rc = sqlite3_bind_text(stmt, i + 1, va_arg(args, const char *), -1,
					       SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(stmt, i + 1, va_arg(args, gint64));
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static sqlite3_stmt *al_store_sql_prepare_va(struct al_store *store, GError **error,
					     const char *sql, const char *types, va_list args)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);

	if (rc == SQLITE_OK)
		rc = bind_values(stmt, types, args);
	if (rc != SQLITE_OK) {
		al_store_db_error(store, error);
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

/* A prepared statement with its values bound (see bind_values()). */
sqlite3_stmt *al_store_sql_prepare(struct al_store *store, GError **error, const char *sql,
				   const char *types, ...)
{
	sqlite3_stmt *stmt;
	va_list args;

	va_start(args, types);
	stmt = al_store_sql_prepare_va(store, error, sql, types, args);
	va_end(args);
	return stmt;
}

/* Runs one statement that returns no rows. */
int al_store_sql_run(struct al_store *store, GError **error, const char *sql, const char *types,
		     ...)
{
	sqlite3_stmt *stmt;
	va_list args;
	int rc = 0;

	va_start(args, types);
	stmt = al_store_sql_prepare_va(store, error, sql, types, args);
	va_end(args);
	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = al_store_db_error(store, error);
	sqlite3_finalize(stmt);
	return rc;
}

/* Steps once: 1 for a row, 0 for none, -1 with error. */
int al_store_sql_step(struct al_store *store, sqlite3_stmt *stmt, GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return al_store_db_error(store, error);
}

/* The first column of the first row as an integer in value_r: 1, 0 if
 * there is no row, or -1 with error. */
int al_store_sql_query_int(struct al_store *store, gint64 *value_r, GError **error, const char *sql,
			   const char *types, ...)
{
	sqlite3_stmt *stmt;
	va_list args;
	int rc;

	va_start(args, types);
	stmt = al_store_sql_prepare_va(store, error, sql, types, args);
	va_end(args);
	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	*value_r = rc > 0 ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	return rc;
}

/* Constant SQL only (transactions, pragmas, migrations). */
int al_store_sql_exec(struct al_store *store, const char *sql, GError **error)
{
	if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return al_store_db_error(store, error);
	return 0;
}

void al_store_sql_rollback(struct al_store *store)
{
	/* A failed rollback leaves nothing better to do: SQLite rolls the
	 * transaction back itself when the connection closes. */
	if (!sqlite3_get_autocommit(store->db))
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs fn under the lock in one transaction (begin: "BEGIN" to read,
 * "BEGIN IMMEDIATE" to write), committed only if fn returns 0. */
int al_store_sql_transaction(struct al_store *store, const char *begin, al_store_transaction_fn fn,
			     const void *data, GError **error)
{
	int rc;

	g_mutex_lock(&store->lock);
	rc = al_store_sql_exec(store, begin, error);
	if (rc == 0)
		rc = fn(store, data, error);
	if (rc == 0)
		rc = al_store_sql_exec(store, "COMMIT", error);
	if (rc < 0)
		al_store_sql_rollback(store);
	g_mutex_unlock(&store->lock);
	return rc;
}

int al_store_sql_transaction_relaxed(struct al_store *store, al_store_transaction_fn fn,
				     const void *data, GError **error)
{
	int rc;

	g_mutex_lock(&store->lock);
	rc = al_store_sql_exec(store, "PRAGMA synchronous = NORMAL", error);
	if (rc == 0)
		rc = al_store_sql_exec(store, "BEGIN IMMEDIATE", error);
	if (rc == 0)
		rc = fn(store, data, error);
	if (rc == 0)
		rc = al_store_sql_exec(store, "COMMIT", error);
	if (rc < 0)
		al_store_sql_rollback(store);
	/* Back to FULL whatever happened: every other commit must be on
	 * disk before the MTA is answered. Should even this fail, the
	 * connection is useless for quarantine: report it. */
	if (sqlite3_exec(store->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK &&
	    rc == 0)
		rc = al_store_db_error(store, error);
	g_mutex_unlock(&store->lock);
	return rc;
}

char *al_store_sql_column_dup(sqlite3_stmt *stmt, int column)
{
	return g_strdup((const char *)sqlite3_column_text(stmt, column));
}

/* ---- typed values ---- */

static const char *const status_names[AL_STATUS_COUNT] = {
    [AL_STATUS_QUARANTINED] = "quarantined",
    [AL_STATUS_RELEASED] = "released",
    [AL_STATUS_DELETED] = "deleted",
    [AL_STATUS_PURGED] = "purged",
};

const char *al_store_status_name(enum al_store_status status)
{
	return (unsigned)status < AL_STATUS_COUNT ? status_names[status] : "unknown";
}

int al_store_status_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < AL_STATUS_COUNT; i++)
		if (strcmp(name, status_names[i]) == 0)
			return i;
	return -1;
}

const char *al_recipient_state_name(enum al_recipient_state state)
{
	switch (state) {
	case AL_RCPT_QUARANTINED:
		return "quarantined";
	case AL_RCPT_REQUESTED:
		return "requested";
	case AL_RCPT_DENIED:
		return "denied";
	case AL_RCPT_RELEASED:
		return "released";
	case AL_RCPT_DISMISSED:
		return "dismissed";
	}
	return "unknown";
}

al_reason_set al_store_parse_reasons(const char *text)
{
	g_auto(GStrv) names = g_strsplit(text != NULL ? text : "", ",", -1);
	al_reason_set set = 0;

	for (gsize i = 0; names[i] != NULL; i++) {
		int reason = al_reason_from_name(g_strstrip(names[i]));

		if (reason >= 0)
			set |= AL_REASON_BIT(reason);
	}
	return set;
}
