/*
 * store_sql.c - the statement helpers every store_*.c file uses.
 *
 * DESCRIPTION
 *	Prepared statements with values bound from a type string ('t' text,
 *	'i' integer, 'b' bytes), single-row queries, and transactions run
 *	under the store's lock, on either engine: each call goes to the
 *	store's driver (store_sqlite.c, store_pg.c). Errors name the
 *	database. SQL text is always a constant of the caller: values are
 *	bound, never pasted.
 */
#include "store_private.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* Serialization failures retried before the error is returned. */
#define TRANSACTION_TRIES 5

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

struct al_store_stmt *al_store_sql_prepare(struct al_store *store, GError **error,
					   const char *sql, const char *types, ...)
{
	struct al_store_stmt *stmt;
	va_list args;

	va_start(args, types);
	stmt = store->driver->prepare(store, sql, types, args, error);
	va_end(args);
	return stmt;
}

int al_store_sql_run(struct al_store *store, GError **error, const char *sql, const char *types,
		     ...)
{
	struct al_store_stmt *stmt;
	va_list args;
	int rc;

	va_start(args, types);
	stmt = store->driver->prepare(store, sql, types, args, error);
	va_end(args);
	if (stmt == NULL)
		return -1;
	rc = store->driver->step(store, stmt, error);
	al_store_sql_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

int al_store_sql_step(struct al_store *store, struct al_store_stmt *stmt, GError **error)
{
	return store->driver->step(store, stmt, error);
}

gint64 al_store_sql_column_int(struct al_store_stmt *stmt, int column)
{
	return stmt->driver->column_int(stmt, column);
}

const char *al_store_sql_column_text(struct al_store_stmt *stmt, int column)
{
	return stmt->driver->column_text(stmt, column);
}

GBytes *al_store_sql_column_blob(struct al_store_stmt *stmt, int column)
{
	return stmt->driver->column_blob(stmt, column);
}

void al_store_sql_finalize(struct al_store_stmt *stmt)
{
	if (stmt != NULL)
		stmt->driver->finalize(stmt);
}

gint64 al_store_sql_changes(struct al_store *store)
{
	return store->driver->changes(store);
}

int al_store_sql_query_int(struct al_store *store, gint64 *value_r, GError **error, const char *sql,
			   const char *types, ...)
{
	struct al_store_stmt *stmt;
	va_list args;
	int rc;

	va_start(args, types);
	stmt = store->driver->prepare(store, sql, types, args, error);
	va_end(args);
	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	*value_r = rc > 0 ? al_store_sql_column_int(stmt, 0) : 0;
	al_store_sql_finalize(stmt);
	return rc;
}

int al_store_sql_exec(struct al_store *store, const char *sql, GError **error)
{
	return store->driver->exec(store, sql, error);
}

/* One try: begin, fn, commit; rolled back on failure. */
static int run_once(struct al_store *store, enum al_store_txn txn, al_store_transaction_fn fn,
		    const void *data, GError **error)
{
	int rc = store->driver->begin(store, txn, error);

	if (rc == 0)
		rc = fn(store, data, error);
	if (rc == 0)
		rc = store->driver->commit(store, txn, error);
	if (rc < 0)
		store->driver->rollback(store, txn);
	return rc;
}

int al_store_sql_transaction(struct al_store *store, enum al_store_txn txn,
			     al_store_transaction_fn fn, const void *data, GError **error)
{
	int rc;

	g_mutex_lock(&store->lock);
	for (int try = 1;; try++) {
		GError *local = NULL;

		rc = run_once(store, txn, fn, data, &local);
		if (rc == 0 || try == TRANSACTION_TRIES || !store->driver->should_retry(store)) {
			if (local != NULL)
				g_propagate_error(error, local);
			break;
		}
		g_error_free(local);
	}
	g_mutex_unlock(&store->lock);
	return rc;
}

char *al_store_sql_column_dup(struct al_store_stmt *stmt, int column)
{
	return g_strdup(al_store_sql_column_text(stmt, column));
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
