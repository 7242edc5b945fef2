/*
 * store_backend.h - the store's unit tests run against either backend:
 * SQLite (the default), or PostgreSQL when AIRLOCK_TEST_PG_DSN_FILE
 * names the file where the postgres-start fixture wrote its connection
 * string (tests/CMakeLists.txt registers each store test twice). Each
 * store directory a test uses maps to its own PostgreSQL schema, so the
 * same test code opens, reopens and inspects "its" store either way.
 * Failures abort the test (g_error): a missing database is never a skip.
 */
#ifndef AIRLOCK_TEST_STORE_BACKEND_H
#define AIRLOCK_TEST_STORE_BACKEND_H

#include "airlock/store.h"

gboolean test_backend_is_pg(void);

/* al_store_open() / al_store_open_readonly() on the backend under test. */
struct al_store *test_store_open(const char *dir, gboolean create, GError **error);
struct al_store *test_store_open_readonly(const char *dir, GError **error);

/* PostgreSQL: the connection string of dir's schema (transfer full). */
char *test_pg_dsn(const char *dir);
/* PostgreSQL: drops dir's schema (end of a test). */
void test_pg_forget(const char *dir);

/* PostgreSQL: sql with at most one '?' (bound to param), on dir's
 * schema: the first column of the first row (asserted to exist). */
gint64 test_pg_int(const char *dir, const char *sql, const char *param);
char *test_pg_text(const char *dir, const char *sql, const char *param);
void test_pg_exec(const char *dir, const char *sql);
/* PostgreSQL: sql with ?1, ?2 (text a, b) and ?3 (integer n) on dir's
 * schema, returning no rows. */
void test_pg_run(const char *dir, const char *sql, const char *a, const char *b, gint64 n);

/* PostgreSQL: ends every session of dir's schema but the asking one
 * (a lost connection, as when the server restarts); how many. */
int test_pg_drop_sessions(const char *dir);

/* The original of id as al_store_open_original() gives it (transfer
 * full, NUL-terminated). */
char *test_read_original(struct al_store *store, const char *id);

#endif
