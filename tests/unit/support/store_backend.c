/*
 * store_backend.c - the backend the store tests run against: see
 * store_backend.h.
 */
#include "store_backend.h"

#include <gmime/gmime.h>
#include <libpq-fe.h>
#include <string.h>

#define DSN_FILE_ENV "AIRLOCK_TEST_PG_DSN_FILE"

gboolean test_backend_is_pg(void)
{
	return g_getenv(DSN_FILE_ENV) != NULL;
}

static char *base_dsn(void)
{
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (!g_file_get_contents(g_getenv(DSN_FILE_ENV), &text, NULL, &error))
		g_error("%s: %s (is the postgres-start fixture run?)", DSN_FILE_ENV,
			error->message);
	return g_strstrip(text);
}

static char *schema_of(const char *dir)
{
	g_autofree char *canonical = g_canonicalize_filename(dir, NULL);
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, canonical, -1);

	return g_strdup_printf("t_%.24s", sum);
}

static PGconn *connect_to(const char *dsn)
{
	PGconn *conn = PQconnectdb(dsn);

	if (PQstatus(conn) != CONNECTION_OK)
		g_error("PostgreSQL: %s", PQerrorMessage(conn));
	return conn;
}

static void exec_on(PGconn *conn, const char *sql)
{
	PGresult *result = PQexec(conn, sql);

	if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
		g_error("%s: %s", sql, PQresultErrorMessage(result));
	PQclear(result);
}

char *test_pg_dsn(const char *dir)
{
	g_autofree char *base = base_dsn();
	g_autofree char *schema = schema_of(dir);
	g_autofree char *create = g_strdup_printf("SET client_min_messages = warning;"
						  " CREATE SCHEMA IF NOT EXISTS %s",
						  schema);
	PGconn *conn = connect_to(base);

	exec_on(conn, create);
	PQfinish(conn);
	/* application_name: a test can find its store's own sessions. */
	return g_strdup_printf("%s options='-c search_path=%s' application_name=%s", base, schema,
			       schema);
}

void test_pg_forget(const char *dir)
{
	g_autofree char *base = base_dsn();
	g_autofree char *schema = schema_of(dir);
	g_autofree char *drop = g_strdup_printf("SET client_min_messages = warning;"
						"DROP SCHEMA IF EXISTS %s CASCADE",
						schema);
	PGconn *conn = connect_to(base);

	exec_on(conn, drop);
	PQfinish(conn);
}

static struct al_store *open_pg(const char *dir, gboolean readonly, GError **error)
{
	g_autofree char *dsn = test_pg_dsn(dir);
	const struct al_store_where where = {
	    .backend = AL_STORE_POSTGRESQL,
	    .dsn = dsn,
	    .statement_timeout_ms = 10000,
	};

	return readonly ? al_store_open_readonly_at(&where, error)
			: al_store_open_at(&where, TRUE, error);
}

struct al_store *test_store_open(const char *dir, gboolean create, GError **error)
{
	if (test_backend_is_pg())
		return open_pg(dir, FALSE, error);
	return al_store_open(dir, create, error);
}

struct al_store *test_store_open_readonly(const char *dir, GError **error)
{
	if (test_backend_is_pg())
		return open_pg(dir, TRUE, error);
	return al_store_open_readonly(dir, error);
}

/* sql's '?' as $1 (the tests' own SQL: one parameter at most). */
static PGresult *query(const char *dir, const char *sql, const char *param)
{
	g_autofree char *dsn = test_pg_dsn(dir);
	g_auto(GStrv) parts = g_strsplit(sql, "?", -1);
	g_autofree char *text = g_strjoinv("$1", parts);
	PGconn *conn = connect_to(dsn);
	const char *values[1] = {param};
	PGresult *result = PQexecParams(conn, text, param != NULL ? 1 : 0, NULL, values, NULL,
					NULL, 0);

	if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
		g_error("%s: %s", sql, PQresultErrorMessage(result));
	PQfinish(conn);
	return result;
}

char *test_pg_text(const char *dir, const char *sql, const char *param)
{
	PGresult *result = query(dir, sql, param);
	char *value;

	g_assert_cmpint(PQntuples(result), >, 0);
	value = PQgetisnull(result, 0, 0) ? NULL : g_strdup(PQgetvalue(result, 0, 0));
	PQclear(result);
	return value;
}

gint64 test_pg_int(const char *dir, const char *sql, const char *param)
{
	g_autofree char *text = test_pg_text(dir, sql, param);

	if (g_strcmp0(text, "t") == 0 || g_strcmp0(text, "f") == 0)
		return text[0] == 't';
	return text != NULL ? g_ascii_strtoll(text, NULL, 10) : 0;
}

void test_pg_exec(const char *dir, const char *sql)
{
	PQclear(query(dir, sql, NULL));
}

void test_pg_run(const char *dir, const char *sql, const char *a, const char *b, gint64 n)
{
	g_autofree char *dsn = test_pg_dsn(dir);
	g_autofree char *number = g_strdup_printf("%" G_GINT64_FORMAT, n);
	g_autoptr(GString) text = g_string_new(sql);
	static const Oid types[3] = {25, 25, 20}; /* text, text, int8 */
	const char *values[3] = {a, b, number};
	PGconn *conn = connect_to(dsn);
	PGresult *result;

	g_string_replace(text, "?", "$", 0);
	result = PQexecParams(conn, text->str, 3, types, values, NULL, NULL, 0);
	if (PQresultStatus(result) != PGRES_COMMAND_OK)
		g_error("%s: %s", sql, PQresultErrorMessage(result));
	PQclear(result);
	PQfinish(conn);
}

char *test_read_original(struct al_store *store, const char *id)
{
	g_autoptr(GError) error = NULL;
	GMimeStream *stream = al_store_open_original(store, id, &error);
	GString *text = g_string_new(NULL);
	char buffer[8192];
	gssize n;

	g_assert_no_error(error);
	while ((n = g_mime_stream_read(stream, buffer, sizeof(buffer))) > 0)
		g_string_append_len(text, buffer, n);
	g_assert_cmpint(n, ==, 0);
	g_object_unref(stream);
	return g_string_free(text, FALSE);
}

int test_pg_drop_sessions(const char *dir)
{
	g_autofree char *schema = schema_of(dir);
	g_autofree char *sql = g_strdup_printf(
	    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
	    " WHERE application_name = '%s' AND pid <> pg_backend_pid()",
	    schema);

	return (int)test_pg_int(dir, sql, NULL);
}
