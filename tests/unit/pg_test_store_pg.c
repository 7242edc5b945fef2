/*
 * pg_test_store_pg.c - what only the PostgreSQL store has. al_store_copy()
 * (airlockctl migrate --to postgresql): a filled SQLite store copied
 * into an empty PostgreSQL store reads the same there, ids, audit trail
 * and originals included; a non-empty target and a tampered original
 * are refused with nothing copied. A connection the server ended is
 * made again by the next call. Needs the postgres fixture (registered
 * as unit/test_store_pg/postgresql only).
 */
#include "support/store_fixture.h"

#include <string.h>

struct migrate_fixture {
	char *tmp;
	char *sqlite_dir;
	char *pg_dir; /* names the target's schema */
	struct al_store *from;
	struct al_store *to;
	char ids[3][AL_STORE_ID_LEN + 1]; /* quarantined, released, deleted */
	GByteArray *originals[3];
};

static void quarantine(struct migrate_fixture *f, int i)
{
	struct al_verdict *verdict = make_strip_verdict();
	GError *error = NULL;

	f->originals[i] = make_original(1000 + (gsize)i);
	al_store_new_id(f->ids[i]);
	g_assert_cmpint(quarantine_bytes(f->from, f->ids[i], f->originals[i], verdict, &error), ==,
			0);
	g_assert_no_error(error);
	free_verdict(verdict);
}

static void fill(struct migrate_fixture *f)
{
	static const char *const learned[] = {"Doctor@Clinic.example", NULL};
	GError *error = NULL;

	for (int i = 0; i < 3; i++)
		quarantine(f, i);
	g_strfreev(al_store_claim_release(f->from, f->ids[1], NULL, "admin", &error));
	g_assert_no_error(error);
	g_assert_cmpint(al_store_use_release(f->from, f->ids[1], "token-1", "QID1", &error), ==, 0);
	g_assert_cmpint(al_store_delete(f->from, f->ids[2], "admin", &error), ==, 0);
	g_assert_cmpint(al_store_add_request(f->from, f->ids[0], test_recipients[0], "please",
					     test_recipients[0], &error),
			==, 0);
	g_assert_cmpint(al_store_learn(f->from, learned, &error), ==, 0);
	g_assert_cmpint(al_store_set_admin(f->from, "admin", "$argon2id$x", &error), ==, 0);
	g_assert_no_error(error);
}

static void setup(struct migrate_fixture *f, gconstpointer data)
{
	GError *error = NULL;

	(void)data;
	f->tmp = g_dir_make_tmp("airlock-migrate-XXXXXX", NULL);
	f->sqlite_dir = g_build_filename(f->tmp, "sqlite", NULL);
	f->pg_dir = g_build_filename(f->tmp, "pg", NULL);
	f->from = al_store_open(f->sqlite_dir, TRUE, &error); /* SQLite whatever the run */
	g_assert_no_error(error);
	f->to = test_store_open(f->pg_dir, TRUE, &error);
	g_assert_no_error(error);
	fill(f);
}

static void teardown(struct migrate_fixture *f, gconstpointer data)
{
	(void)data;
	al_store_close(&f->from);
	al_store_close(&f->to);
	test_pg_forget(f->pg_dir);
	remove_tree(f->tmp);
	for (int i = 0; i < 3; i++)
		g_byte_array_unref(f->originals[i]);
	g_free(f->tmp);
	g_free(f->sqlite_dir);
	g_free(f->pg_dir);
}

static void assert_same_message(struct migrate_fixture *f, const char *id)
{
	struct al_store_message a = {0}, b = {0};
	GError *error = NULL;

	g_assert_cmpint(al_store_get_message(f->from, id, &a, &error), ==, 0);
	g_assert_cmpint(al_store_get_message(f->to, id, &b, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(a.status, ==, b.status);
	g_assert_cmpint(a.received_at, ==, b.received_at);
	g_assert_cmpstr(a.sha256, ==, b.sha256);
	g_assert_cmpstr(a.subject, ==, b.subject);
	g_assert_cmpuint(g_strv_length(a.recipients), ==, g_strv_length(b.recipients));
	for (guint i = 0; a.recipients[i] != NULL; i++)
		g_assert_cmpstr(a.recipients[i], ==, b.recipients[i]);
	g_assert_cmpuint(g_strv_length(a.released_to), ==, g_strv_length(b.released_to));
	g_assert_cmpuint(a.items->len, ==, b.items->len);
	for (guint i = 0; i < a.items->len; i++) {
		const struct al_store_item *x = a.items->pdata[i], *y = b.items->pdata[i];

		g_assert_cmpstr(x->filename, ==, y->filename);
		g_assert_cmpuint(g_strv_length(x->details), ==, g_strv_length(y->details));
		g_assert_cmpuint(g_strv_length(x->inner), ==, g_strv_length(y->inner));
	}
	g_assert_cmpuint(a.events->len, ==, b.events->len);
	for (guint i = 0; i < a.events->len; i++) {
		const struct al_store_event *x = a.events->pdata[i], *y = b.events->pdata[i];

		g_assert_cmpstr(x->event, ==, y->event);
		g_assert_cmpstr(x->who, ==, y->who);
		g_assert_cmpstr(x->detail, ==, y->detail);
		g_assert_cmpint(x->at, ==, y->at);
	}
	al_store_message_clear(&a);
	al_store_message_clear(&b);
}

static void test_copy_reads_the_same(struct migrate_fixture *f, gconstpointer data)
{
	struct al_store_copied copied;
	GError *error = NULL;
	g_autofree char *hash = NULL;
	char next[AL_STORE_ID_LEN + 1];
	struct al_verdict *verdict = make_strip_verdict();
	g_autoptr(GByteArray) more = make_original(4321);

	(void)data;
	g_assert_cmpint(al_store_copy(f->from, f->to, &copied, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(copied.rows.messages, ==, 3);
	g_assert_cmpint(copied.originals, ==, 2); /* the deleted one has none */
	g_assert_cmpint(copied.rows.requests, ==, 1);
	g_assert_cmpint(copied.rows.release_tokens, ==, 1);
	g_assert_cmpint(copied.rows.admins, ==, 1);
	for (int i = 0; i < 3; i++)
		assert_same_message(f, f->ids[i]);
	assert_original(f->to, f->ids[0], f->originals[0]);
	assert_original(f->to, f->ids[1], f->originals[1]);
	g_assert_null(al_store_open_original(f->to, f->ids[2], &error));
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(al_store_is_learned("doctor@clinic.example", f->to));
	g_assert_cmpint(al_store_get_admin(f->to, "admin", &hash, &error), ==, 0);
	g_assert_cmpstr(hash, ==, "$argon2id$x");
	g_assert_cmpint(al_store_get_request(f->to, f->ids[0], test_recipients[0], NULL, &error),
			==, 1);
	/* The token stays used; new rows continue after the copied ids. */
	g_assert_cmpint(al_store_use_release(f->to, f->ids[1], "token-1", "QID2", &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_clear_error(&error);
	g_assert_cmpint(al_store_add_event(f->to, f->ids[0], "note", "admin", "after", &error), ==,
			0);
	al_store_new_id(next);
	g_assert_cmpint(quarantine_bytes(f->to, next, more, verdict, &error), ==, 0);
	g_assert_no_error(error);
	free_verdict(verdict);
}

static void test_copy_refuses_a_target_with_rows(struct migrate_fixture *f, gconstpointer data)
{
	struct al_store_copied copied;
	GError *error = NULL;

	(void)data;
	g_assert_cmpint(al_store_copy(f->from, f->to, &copied, &error), ==, 0);
	g_assert_cmpint(al_store_copy(f->from, f->to, &copied, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "is not empty"));
	g_clear_error(&error);
	g_assert_cmpint(test_pg_int(f->pg_dir, "SELECT count(*) FROM messages", NULL), ==, 3);
	g_assert_cmpint(test_pg_int(f->pg_dir, "SELECT count(*) FROM originals", NULL), ==, 2);
}

static void test_copy_refuses_a_tampered_original(struct migrate_fixture *f, gconstpointer data)
{
	g_autofree char *path = al_store_original_path(f->from, f->ids[1]);
	struct al_store_copied copied;
	GError *error = NULL;

	(void)data;
	g_assert_true(g_file_set_contents(path, "altered", -1, NULL));
	g_assert_cmpint(al_store_copy(f->from, f->to, &copied, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "does not match its SHA-256"));
	g_clear_error(&error);
	g_assert_cmpint(test_pg_int(f->pg_dir, "SELECT count(*) FROM messages", NULL), ==, 0);
	g_assert_cmpint(test_pg_int(f->pg_dir, "SELECT count(*) FROM events", NULL), ==, 0);
	g_assert_cmpint(test_pg_int(f->pg_dir, "SELECT count(*) FROM originals", NULL), ==, 0);
}

/* The server ends the store's session (a restart, an admin's
 * pg_terminate_backend): the next calls work on a new connection. */
static void test_lost_connection_is_made_again(struct migrate_fixture *f, gconstpointer data)
{
	struct al_store_message m = {0};
	GError *error = NULL;

	(void)data;
	for (int round = 0; round < 2; round++) {
		g_assert_cmpint(test_pg_drop_sessions(f->pg_dir), ==, 1);
		g_assert_cmpint(al_store_add_event(f->to, f->ids[0], "note", "admin", NULL, &error),
				==, -1); /* no such message in the target: it answers */
		g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
		g_clear_error(&error);
	}
	g_assert_cmpint(test_pg_drop_sessions(f->pg_dir), ==, 1);
	g_assert_cmpint(al_store_get_message(f->to, f->ids[0], &m, &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(al_store_learn(f->to, (const char *const[]){"x@y.example", NULL}, &error) ==
		      0);
	g_assert_no_error(error);
	g_assert_true(al_store_is_learned("x@y.example", f->to));
}

static gpointer open_store(gpointer dir)
{
	GError *error = NULL;
	struct al_store *store = test_store_open(dir, TRUE, &error);

	if (store == NULL) {
		g_printerr("open: %s\n", error->message);
		g_error_free(error);
		return GINT_TO_POINTER(1);
	}
	al_store_close(&store);
	return NULL;
}

/* Gateways starting at once on a new database: each opens, the schema
 * is made once. */
static void test_concurrent_first_opens_make_one_schema(struct migrate_fixture *f,
							 gconstpointer data)
{
	g_autofree char *dir = g_build_filename(f->tmp, "fresh", NULL);
	GThread *threads[4];

	(void)data;
	g_free(test_pg_dsn(dir)); /* the test's schema, made before the race */
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("open", open_store, dir);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_assert_null(g_thread_join(threads[i]));
	g_assert_cmpint(test_pg_int(dir, "SELECT count(*) FROM schema_version", NULL), ==, 1);
	g_assert_cmpint(test_pg_int(dir, "SELECT version FROM schema_version", NULL), ==,
			AL_STORE_SCHEMA_VERSION);
	test_pg_forget(dir);
}

#define ADD(path, fn) g_test_add(path, struct migrate_fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	if (!test_backend_is_pg())
		g_error("needs AIRLOCK_TEST_PG_DSN_FILE (the postgres fixture)");
	ADD("/store-migrate/copy/reads-the-same", test_copy_reads_the_same);
	ADD("/store-migrate/copy/refuses-a-target-with-rows", test_copy_refuses_a_target_with_rows);
	ADD("/store-migrate/copy/refuses-a-tampered-original",
	    test_copy_refuses_a_tampered_original);
	ADD("/store-pg/connection/lost-is-made-again", test_lost_connection_is_made_again);
	ADD("/store-pg/open/concurrent-first-opens-make-one-schema",
	    test_concurrent_first_opens_make_one_schema);
	return g_test_run();
}
