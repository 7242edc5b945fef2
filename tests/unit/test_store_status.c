/*
 * test_store_status.c - the store as airlockctl status reads it: opened
 * read-only without migrating or creating anything, the schema version,
 * how many messages are quarantined and since when.
 */
#include "support/store_fixture.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static void quarantine_one(struct fixture *f, char id_r[AL_STORE_ID_LEN + 1])
{
	static guint serial;
	g_autoptr(GByteArray) original = make_original(300 + serial++);
	struct al_verdict *verdict = make_strip_verdict();
	GError *error = NULL;

	al_store_new_id(id_r);
	g_assert_cmpint(quarantine_bytes(f->store, id_r, original, verdict, &error), ==, 0);
	g_assert_no_error(error);
	free_verdict(verdict);
}

static void set_received_at(struct fixture *f, const char *id, gint64 at)
{
	g_autofree char *sql = g_strdup_printf(
	    "UPDATE messages SET received_at = %" G_GINT64_FORMAT " WHERE id = '%s'", at, id);

	sql_exec(f->db, sql);
}

static void read_status(const char *dir, struct al_store_summary *status)
{
	GError *error = NULL;
	struct al_store *store = test_store_open_readonly(dir, &error);

	g_assert_no_error(error);
	g_assert_nonnull(store);
	g_assert_cmpint(al_store_get_status(store, status, &error), ==, 0);
	g_assert_no_error(error);
	al_store_close(&store);
	g_assert_null(store);
}

static void test_store_status_counts_quarantined_and_the_oldest(struct fixture *f,
								gconstpointer data)
{
	struct al_store_summary status;
	char a[AL_STORE_ID_LEN + 1], b[AL_STORE_ID_LEN + 1], c[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	read_status(f->dir, &status);
	g_assert_cmpint(status.schema_version, ==, AL_STORE_SCHEMA_VERSION);
	g_assert_cmpuint(status.quarantined, ==, 0);
	g_assert_cmpint(status.oldest_quarantined_at, ==, 0);
	g_assert_cmpint(status.oldest_kept_at, ==, 0);
	quarantine_one(f, a);
	quarantine_one(f, b);
	quarantine_one(f, c);
	set_received_at(f, a, 1000);
	set_received_at(f, b, 2000);
	set_received_at(f, c, 3000);
	g_assert_cmpint(al_store_set_status(f->store, a, AL_STATUS_QUARANTINED, AL_STATUS_RELEASED,
					    "admin", "released", NULL, &error),
			==, 0);
	g_assert_no_error(error);
	read_status(f->dir, &status);
	g_assert_cmpuint(status.quarantined, ==, 2);
	g_assert_cmpint(status.oldest_quarantined_at, ==, 2000);
	g_assert_cmpint(status.oldest_kept_at, ==, 1000); /* released: still kept */
	g_assert_cmpint(al_store_delete(f->store, a, "admin", &error), ==, 0);
	read_status(f->dir, &status);
	g_assert_cmpint(status.oldest_kept_at, ==, 2000);
	g_assert_cmpuint(status.pending_requests, ==, 0);
	g_assert_cmpint(al_store_add_request(f->store, b, "bob@corp.example", NULL, "bob", &error),
			==, 0);
	read_status(f->dir, &status);
	g_assert_cmpuint(status.pending_requests, ==, 1);
}

static void test_store_status_does_not_migrate_or_write(struct fixture *f, gconstpointer data)
{
	struct al_store_summary status;
	struct al_store *store;
	GError *error = NULL;

	(void)data;
	al_store_close(&f->store);
	sql_exec(f->db, "UPDATE schema_version SET version = 1");
	read_status(f->dir, &status);
	g_assert_cmpint(status.schema_version, ==, 1);
	g_assert_cmpint(sql_int(f->db, "SELECT version FROM schema_version", NULL), ==, 1);
	sql_exec(f->db, "UPDATE schema_version SET version = 99");
	read_status(f->dir, &status);
	g_assert_cmpint(status.schema_version, ==, 99);
	/* Writes fail. */
	store = test_store_open_readonly(f->dir, &error);
	g_assert_nonnull(store);
	g_assert_cmpint(
	    al_store_add_event(store, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "x", "y", NULL, &error), ==,
	    -1);
	g_assert_nonnull(error);
	g_clear_error(&error);
	al_store_close(&store);
}

static void test_store_status_refuses_missing_or_exposed_stores(struct fixture *f,
								gconstpointer data)
{
	g_autofree char *missing = g_build_filename(f->tmp, "nowhere", NULL);
	struct al_store *store;
	GError *error = NULL;

	(void)data;
	store = al_store_open_readonly(missing, &error);
	g_assert_null(store);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "airlockctl init"));
	g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS)); /* nothing created */
	g_clear_error(&error);
	g_assert_cmpint(g_chmod(f->dir, 0755), ==, 0);
	store = al_store_open_readonly(f->dir, &error);
	g_assert_null(store);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "chmod 700"));
	g_clear_error(&error);
	g_assert_cmpint(g_chmod(f->dir, 0700), ==, 0);
	al_store_close(&f->store);
	g_assert_cmpint(g_unlink(f->db), ==, 0);
	store = al_store_open_readonly(f->dir, &error);
	g_assert_null(store);
	g_assert_nonnull(strstr(error->message, "does not exist"));
	g_assert_false(g_file_test(f->db, G_FILE_TEST_EXISTS));
	g_clear_error(&error);
}

static void add(const char *path, void (*fn)(struct fixture *, gconstpointer))
{
	g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	add("/store_status/counts_quarantined_and_the_oldest",
	    test_store_status_counts_quarantined_and_the_oldest);
	add("/store_status/does_not_migrate_or_write", test_store_status_does_not_migrate_or_write);
	/* directories and files: SQLite's */
	if (!test_backend_is_pg())
		add("/store_status/refuses_missing_or_exposed_stores",
		    test_store_status_refuses_missing_or_exposed_stores);
	return g_test_run();
}
