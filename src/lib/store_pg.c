/*
 * store_pg.c - the store's driver for PostgreSQL (several gateways, one
 * quarantine).
 *
 * DESCRIPTION
 *	The operations of struct al_store_driver on one libpq connection
 *	(store->pg), used under store->lock like SQLite's. The SQL text is
 *	the store's own: '?' and '?N' placeholders become $n, values are
 *	sent with their types (text, int8, bytea) by PQexecParams(), never
 *	pasted. Rows are read from the whole result.
 *
 *	Writes run as SERIALIZABLE transactions: two gateways claiming the
 *	same release, using the same token or learning the same
 *	correspondent cannot both win; the loser's transaction fails with
 *	SQLSTATE 40001 (or 40P01, a deadlock) and store_sql.c runs it
 *	again. Reads are REPEATABLE READ, READ ONLY: one view of the store.
 *	A relaxed write sets synchronous_commit off for itself.
 *
 *	statement_timeout is set on every (re)connection, so a stuck
 *	database fails a statement before the MTA gives up on the milter.
 *	When the connection is lost, the next transaction reconnects
 *	(PQreset); while the server stays unreachable, tries are spaced
 *	1, 2, 4 ... 30 seconds apart and every transaction in between fails
 *	at once with AL_ERROR_IO (the milter answers 451). Errors carry the
 *	server's message; the DSN (which may hold a password) is never in
 *	them.
 */
#include "store_private.h"

#include <libpq-fe.h>
#include <string.h>

#define OID_BYTEA	 17
#define OID_INT8	 20
#define OID_TEXT	 25
#define BACKOFF_FIRST_US (1 * G_USEC_PER_SEC)
#define BACKOFF_MAX_US	 (30 * G_USEC_PER_SEC)

struct al_store_pg {
	PGconn *conn;
	guint statement_timeout_ms;
	gboolean readonly;
	gint64 changes;
	char sqlstate[6];	/* of the last failure, "" if none */
	gint64 next_connect_us; /* monotonic: no reconnection before */
	gint64 backoff_us;
};

struct pg_stmt {
	struct al_store_stmt base;
	PGresult *result;
	int row; /* -1 before the first step */
};

/* ---- errors ---- */

static void note_sqlstate(struct al_store *store, const PGresult *result)
{
	const char *state = result != NULL ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;

	g_strlcpy(store->pg->sqlstate, state != NULL ? state : "", sizeof(store->pg->sqlstate));
}

/* The server's (or libpq's) message, on one line. */
static int pg_error(struct al_store *store, const PGresult *result, GError **error)
{
	const char *text = result != NULL ? PQresultErrorMessage(result) : "";
	g_autofree char *message = NULL;

	if (text == NULL || *text == '\0')
		text = PQerrorMessage(store->pg->conn);
	message = g_strstrip(g_strdelimit(g_strdup(text), "\r\n", ' '));
	note_sqlstate(store, result);
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: %s", store->db_path,
		    *message != '\0' ? message : "connection lost");
	return -1;
}

/* ---- placeholders ---- */

/* sql with '?' and '?N' as $n (outside quotes), transfer full. A bare
 * '?' takes the number after the largest used so far, as in SQLite. */
static char *dollar_placeholders(const char *sql)
{
	GString *out = g_string_sized_new(strlen(sql) + 16);
	char quote = '\0';
	long largest = 0;

	for (const char *p = sql; *p != '\0'; p++) {
		if (quote != '\0') {
			if (*p == quote)
				quote = '\0';
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			char *end;
			long n = strtol(p + 1, &end, 10);

			if (end == p + 1)
				n = largest + 1;
			largest = MAX(largest, n);
			g_string_append_printf(out, "$%ld", n);
			p = end - 1;
			continue;
		}
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* ---- statements ---- */

#define MAX_PARAMS 32

struct params {
	int count;
	Oid types[MAX_PARAMS];
	const char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS];
	int formats[MAX_PARAMS];
	char *owned[MAX_PARAMS];
	GBytes *bytes[MAX_PARAMS];
};

static void params_clear(struct params *p)
{
	for (int i = 0; i < p->count; i++) {
		g_free(p->owned[i]);
		if (p->bytes[i] != NULL)
			g_bytes_unref(p->bytes[i]);
	}
}

static int read_params(struct params *p, const char *types, va_list args, GError **error)
{
	*p = (struct params){.count = (int)strlen(types)};
	if (p->count > (int)G_N_ELEMENTS(p->types)) {
		p->count = 0;
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL, "too many SQL parameters");
		return -1;
	}
	for (int i = 0; i < p->count; i++) {
		if (types[i] == 't') {
			p->types[i] = OID_TEXT;
			p->values[i] = va_arg(args, const char *);
		} else if (types[i] == 'b') {
			GBytes *bytes = va_arg(args, GBytes *);
			gsize size = 0;

			p->types[i] = OID_BYTEA;
			p->formats[i] = 1; /* binary: the bytes as they are */
			if (bytes == NULL)
				continue;
			p->bytes[i] = g_bytes_ref(bytes);
			p->values[i] = g_bytes_get_data(bytes, &size);
			if (p->values[i] == NULL)
				p->values[i] = "";
			p->lengths[i] = (int)size;
		} else {
			p->types[i] = OID_INT8;
			p->owned[i] = g_strdup_printf("%" G_GINT64_FORMAT, va_arg(args, gint64));
			p->values[i] = p->owned[i];
		}
	}
	return 0;
}

static struct al_store_stmt *pg_prepare(struct al_store *store, const char *sql, const char *types,
					va_list args, GError **error)
{
	g_autofree char *text = dollar_placeholders(sql);
	struct params p;
	PGresult *result;
	ExecStatusType status;
	struct pg_stmt *stmt;

	if (read_params(&p, types, args, error) < 0)
		return NULL;
	result = PQexecParams(store->pg->conn, text, p.count, p.types, p.values, p.lengths,
			      p.formats, 0);
	params_clear(&p);
	status = PQresultStatus(result);
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
		pg_error(store, result, error);
		PQclear(result);
		return NULL;
	}
	store->pg->changes = g_ascii_strtoll(PQcmdTuples(result), NULL, 10);
	stmt = g_new0(struct pg_stmt, 1);
	stmt->base.driver = &al_store_pg_driver;
	stmt->result = result;
	stmt->row = -1;
	return &stmt->base;
}

static int pg_step(struct al_store *store, struct al_store_stmt *base, GError **error)
{
	struct pg_stmt *stmt = (struct pg_stmt *)base;

	(void)store;
	(void)error;
	if (stmt->row >= PQntuples(stmt->result))
		return 0;
	stmt->row++;
	return stmt->row < PQntuples(stmt->result) ? 1 : 0;
}

static gint64 pg_column_int(struct al_store_stmt *base, int column)
{
	struct pg_stmt *stmt = (struct pg_stmt *)base;
	const char *value;

	if (PQgetisnull(stmt->result, stmt->row, column))
		return 0;
	value = PQgetvalue(stmt->result, stmt->row, column);
	if (strcmp(value, "t") == 0 || strcmp(value, "f") == 0) /* a boolean */
		return value[0] == 't';
	return g_ascii_strtoll(value, NULL, 10);
}

static const char *pg_column_text(struct al_store_stmt *base, int column)
{
	struct pg_stmt *stmt = (struct pg_stmt *)base;

	if (PQgetisnull(stmt->result, stmt->row, column))
		return NULL;
	return PQgetvalue(stmt->result, stmt->row, column);
}

static GBytes *pg_column_blob(struct al_store_stmt *base, int column)
{
	struct pg_stmt *stmt = (struct pg_stmt *)base;
	size_t size = 0;
	unsigned char *data;
	GBytes *bytes;

	if (PQgetisnull(stmt->result, stmt->row, column))
		return NULL;
	data = PQunescapeBytea(
	    (const unsigned char *)PQgetvalue(stmt->result, stmt->row, column), &size);
	if (data == NULL)
		return NULL;
	bytes = g_bytes_new(data, size);
	PQfreemem(data);
	return bytes;
}

static void pg_finalize(struct al_store_stmt *base)
{
	struct pg_stmt *stmt = (struct pg_stmt *)base;

	PQclear(stmt->result);
	g_free(stmt);
}

static gint64 pg_changes(struct al_store *store)
{
	return store->pg->changes;
}

static int pg_exec(struct al_store *store, const char *sql, GError **error)
{
	PGresult *result = PQexec(store->pg->conn, sql);
	ExecStatusType status = PQresultStatus(result);
	int rc = 0;

	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		rc = pg_error(store, result, error);
	PQclear(result);
	return rc;
}

/* ---- connection ---- */

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* the library never prints */
}

/* What every new connection is told first. */
static int set_up_session(struct al_store *store, GError **error)
{
	g_autofree char *sql = g_strdup_printf(
	    "SET statement_timeout = %u; SET client_min_messages = warning%s",
	    store->pg->statement_timeout_ms,
	    store->pg->readonly ? "; SET default_transaction_read_only = on" : "");

	PQsetNoticeProcessor(store->pg->conn, quiet_notices, NULL);
	return pg_exec(store, sql, error);
}

/* A lost connection is made again, at most once per backoff period. */
static int reconnect(struct al_store *store, GError **error)
{
	struct al_store_pg *pg = store->pg;
	gint64 now = g_get_monotonic_time();

	if (now < pg->next_connect_us) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "%s: the connection is lost; next try in %" G_GINT64_FORMAT " s",
			    store->db_path, (pg->next_connect_us - now) / G_USEC_PER_SEC + 1);
		return -1;
	}
	PQreset(pg->conn);
	if (PQstatus(pg->conn) == CONNECTION_OK && set_up_session(store, error) == 0) {
		pg->backoff_us = 0;
		return 0;
	}
	pg->backoff_us = pg->backoff_us == 0 ? BACKOFF_FIRST_US : MIN(pg->backoff_us * 2, BACKOFF_MAX_US);
	pg->next_connect_us = now + pg->backoff_us;
	if (error != NULL && *error == NULL)
		pg_error(store, NULL, error);
	return -1;
}

static int pg_begin(struct al_store *store, enum al_store_txn txn, GError **error)
{
	static const char *const begin[] = {
	    [AL_STORE_READ] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
	    [AL_STORE_WRITE] = "BEGIN ISOLATION LEVEL SERIALIZABLE",
	    [AL_STORE_WRITE_RELAXED] =
		"BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit = off",
	};

	GError *local = NULL;

	store->pg->sqlstate[0] = '\0';
	if (PQstatus(store->pg->conn) != CONNECTION_OK && reconnect(store, error) < 0)
		return -1;
	if (pg_exec(store, begin[txn], &local) == 0)
		return 0;
	if (PQstatus(store->pg->conn) == CONNECTION_OK) {
		g_propagate_error(error, local);
		return -1;
	}
	/* The server went away since the last statement: once more on a
	 * new connection. */
	g_error_free(local);
	if (reconnect(store, error) < 0)
		return -1;
	return pg_exec(store, begin[txn], error);
}

static int pg_commit(struct al_store *store, enum al_store_txn txn, GError **error)
{
	(void)txn;
	return pg_exec(store, "COMMIT", error);
}

static void pg_rollback(struct al_store *store, enum al_store_txn txn)
{
	(void)txn;
	if (PQstatus(store->pg->conn) == CONNECTION_OK &&
	    PQtransactionStatus(store->pg->conn) != PQTRANS_IDLE)
		PQclear(PQexec(store->pg->conn, "ROLLBACK"));
}

static gboolean pg_should_retry(struct al_store *store)
{
	return strcmp(store->pg->sqlstate, "40001") == 0 ||
	       strcmp(store->pg->sqlstate, "40P01") == 0;
}

static int pg_table_exists(struct al_store *store, const char *name, gboolean *exists_r,
			   GError **error)
{
	gint64 count;

	if (al_store_sql_query_int(store, &count, error,
				   "SELECT count(*) FROM pg_catalog.pg_tables"
				   " WHERE schemaname = current_schema() AND tablename = ?",
				   "t", name) < 0)
		return -1;
	*exists_r = count > 0;
	return 0;
}

static void pg_close(struct al_store *store)
{
	if (store->pg == NULL)
		return;
	PQfinish(store->pg->conn);
	g_clear_pointer(&store->pg, g_free);
}

int al_store_pg_connect(struct al_store *store, const char *dsn, guint statement_timeout_ms,
			gboolean readonly, GError **error)
{
	const char *const keywords[] = {"dbname", "connect_timeout", NULL};
	const char *const values[] = {dsn, "10", NULL};

	store->driver = &al_store_pg_driver;
	store->pg = g_new0(struct al_store_pg, 1);
	store->pg->statement_timeout_ms = statement_timeout_ms;
	store->pg->readonly = readonly;
	/* expand_dbname: dsn is a whole connection string; what it says
	 * wins over the connect_timeout given here. */
	store->pg->conn = PQconnectdbParams(keywords, values, 1);
	if (store->pg->conn == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_NOMEM, "PostgreSQL: out of memory");
		return -1;
	}
	g_free(store->db_path);
	store->db_path = g_strdup_printf("PostgreSQL database %s on %s",
					 PQdb(store->pg->conn) != NULL ? PQdb(store->pg->conn) : "?",
					 PQhost(store->pg->conn) != NULL ? PQhost(store->pg->conn)
									 : "?");
	if (PQstatus(store->pg->conn) != CONNECTION_OK)
		return pg_error(store, NULL, error);
	return set_up_session(store, error);
}

const struct al_store_driver al_store_pg_driver = {
    .name = "postgresql",
    .originals_in_db = TRUE,
    .prepare = pg_prepare,
    .step = pg_step,
    .column_int = pg_column_int,
    .column_text = pg_column_text,
    .column_blob = pg_column_blob,
    .finalize = pg_finalize,
    .changes = pg_changes,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .should_retry = pg_should_retry,
    .table_exists = pg_table_exists,
    .migrations = al_store_pg_migration_sql,
    .after_copy = al_store_pg_after_copy_sql,
    .migration_lock = "SELECT pg_advisory_lock(7242019)",
    .migration_unlock = "SELECT pg_advisory_unlock(7242019)",
    .close = pg_close,
};
