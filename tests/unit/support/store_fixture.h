/*
 * store_fixture.h - what the store's unit tests (and others that need a
 * filled store) share: a fresh store in a temporary directory, verdicts
 * built by hand, originals quarantined from memory, SQL of our own on
 * the database file. Failures abort the test (g_assert/g_error).
 */
#ifndef AIRLOCK_TEST_STORE_FIXTURE_H
#define AIRLOCK_TEST_STORE_FIXTURE_H

#include "airlock/store.h"
#include "store_backend.h"

#include <sqlite3.h>

struct fixture {
	char *tmp;
	char *dir;
	char *db;
	char *msg;
	struct al_store *store;
};

extern const char *const test_recipients[];
extern const struct al_smtp_context test_smtp;

void remove_tree(const char *path);
guint file_mode(const char *path);
guint count_entries(const char *path);
sqlite3_stmt *sql_prepare(const char *db_path, const char *sql, const char *param, sqlite3 **db_r);
gint64 sql_int(const char *db_path, const char *sql, const char *param);
char *sql_text(const char *db_path, const char *sql, const char *param);
void assert_sql_text(const char *db_path, const char *sql, const char *param, const char *expected);
void sql_exec(const char *db_path, const char *sql);
struct al_item *make_item(const char *part, const char *filename, gboolean is_body,
			  gboolean quarantine);
struct al_verdict *make_verdict(enum al_action action, al_reason_set reasons);
void add_item(struct al_verdict *verdict, struct al_item *item);
struct al_verdict *make_strip_verdict(void);
GByteArray *make_original(gsize body_bytes);
void free_verdict(struct al_verdict *verdict);
int quarantine_bytes(struct al_store *store, char *id, const GByteArray *bytes,
		     const struct al_verdict *verdict, GError **error);
void fixture_setup(struct fixture *f, gconstpointer data);
void fixture_teardown(struct fixture *f, gconstpointer data);
gint64 count_rows(struct fixture *f, const char *table_sql, const char *id);
void assert_original(struct al_store *store, const char *id, const GByteArray *expected);
guint count_originals(struct fixture *f);

#endif
