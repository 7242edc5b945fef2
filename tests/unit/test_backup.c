/*
 * test_backup.c - backups of the store and their restore: a round trip
 * gives identical rows and files; a tampered, incomplete or padded
 * backup is refused before anything is written, so is one whose schema
 * is newer than this build's; the empty store airlockctl init makes is
 * replaced, a store with any row (even in a WAL) is never overwritten;
 * the key only with its option; an original
 * that vanished during the backup leaves a consistent backup; old
 * backups are pruned, nothing else.
 */
#include "support/store_fixture.h"

#include "airlock/backup.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const tables[] = {"messages",	"recipients",	  "items",
				      "events",		"correspondents", "daily_counters",
				      "release_tokens", "schema_version"};

static void quarantine_one(struct fixture *f, char id_r[AL_STORE_ID_LEN + 1])
{
	static guint serial;
	g_autoptr(GByteArray) original = make_original(200 + serial++);
	struct al_verdict *verdict = make_strip_verdict();
	GError *error = NULL;

	al_store_new_id(id_r);
	g_assert_cmpint(quarantine_bytes(f->store, id_r, original, verdict, &error), ==, 0);
	g_assert_no_error(error);
	free_verdict(verdict);
}

/* Every row of table, each value with its type, in rowid order. */
static char *dump_table(const char *db_path, const char *table)
{
	g_autofree char *sql = g_strdup_printf("SELECT * FROM %s ORDER BY rowid", table);
	GString *out = g_string_new(NULL);
	sqlite3 *db;
	sqlite3_stmt *stmt = sql_prepare(db_path, sql, NULL, &db);

	while (sqlite3_step(stmt) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(stmt); i++)
			g_string_append_printf(out, "%d:%s|", sqlite3_column_type(stmt, i),
					       (const char *)sqlite3_column_text(stmt, i));
		g_string_append_c(out, '\n');
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return g_string_free(out, FALSE);
}

static void assert_same_rows(const char *db_a, const char *db_b)
{
	for (gsize i = 0; i < G_N_ELEMENTS(tables); i++) {
		g_autofree char *a = dump_table(db_a, tables[i]);
		g_autofree char *b = dump_table(db_b, tables[i]);

		g_assert_cmpstr(a, ==, b);
	}
}

static void assert_same_file(const char *a, const char *b)
{
	g_autofree char *da = NULL, *db = NULL;
	gsize la, lb;

	g_assert_true(g_file_get_contents(a, &da, &la, NULL));
	g_assert_true(g_file_get_contents(b, &db, &lb, NULL));
	g_assert_cmpmem(da, la, db, lb);
}

static char *make_key(struct fixture *f)
{
	char *key = g_build_filename(f->dir, "release.key", NULL);

	g_assert_true(g_file_set_contents(key, "0123456789abcdef0123456789abcdef", -1, NULL));
	g_assert_cmpint(chmod(key, 0600), ==, 0);
	return key;
}

static char *backup_ok(struct fixture *f, const char *key, struct al_backup_summary *summary)
{
	char *dir = g_build_filename(f->tmp, "backup", NULL);
	GError *error = NULL;

	g_assert_cmpint(al_backup_create(f->store, dir, key, "admin", summary, &error), ==, 0);
	g_assert_no_error(error);
	return dir;
}

static void restore_refused(const char *dir, const char *target, const char *key, gint code,
			    const char *expected)
{
	struct al_backup_summary summary;
	GError *error = NULL;

	g_assert_cmpint(al_backup_restore(dir, target, key, &summary, &error), ==, -1);
	g_assert_error(error, AL_BACKUP_ERROR, code);
	if (strstr(error->message, expected) == NULL)
		g_error("'%s' lacks '%s'", error->message, expected);
	g_error_free(error);
	g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
}

static void test_backup_round_trip_identical_rows_and_files(struct fixture *f, gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *key = make_key(f);
	g_autofree char *dir = NULL;
	g_autofree char *target = g_build_filename(f->tmp, "restored", NULL);
	g_autofree char *new_key = g_build_filename(target, "release.key", NULL);
	g_autofree char *target_db = g_build_filename(target, "airlock.db", NULL);
	char ids[3][AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	for (int i = 0; i < 3; i++)
		quarantine_one(f, ids[i]);
	g_strfreev(al_store_claim_release(f->store, ids[1], NULL, "admin", &error));
	g_assert_no_error(error);
	g_assert_cmpint(al_store_delete(f->store, ids[2], "admin", &error), ==, 0);
	dir = backup_ok(f, key, &summary);
	g_assert_cmpuint(summary.originals, ==, 2);
	g_assert_cmpuint(summary.gone, ==, 0);
	g_assert_true(summary.with_key);
	g_assert_cmpint(summary.schema_version, ==, AL_STORE_SCHEMA_VERSION);
	g_assert_cmpuint(file_mode(dir), ==, 0700);
	g_assert_cmpuint(count_entries(dir), ==, 4); /* airlock.db msg release.key MANIFEST */

	g_assert_cmpint(al_backup_restore(dir, target, new_key, &summary, &error), ==, 0);
	g_assert_no_error(error);
	assert_same_rows(f->db, target_db);
	for (int i = 0; i < 2; i++) {
		g_autofree char *name = g_strconcat(ids[i], ".eml", NULL);
		g_autofree char *a = g_build_filename(f->msg, name, NULL);
		g_autofree char *b = g_build_filename(target, "msg", name, NULL);

		assert_same_file(a, b);
		g_assert_cmpuint(file_mode(b), ==, 0600);
	}
	assert_same_file(key, new_key);
	g_assert_cmpuint(file_mode(target), ==, 0700);
	g_assert_cmpuint(file_mode(target_db), ==, 0600);
	g_assert_cmpuint(count_entries(target), ==, 3); /* airlock.db msg release.key */
	{
		struct al_store *restored = al_store_open(target, FALSE, &error);

		g_assert_no_error(error);
		al_store_close(&restored);
	}
}

/* Changes one byte of path. */
static void flip_byte(const char *path, gsize offset)
{
	g_autofree char *data = NULL;
	gsize length;

	g_assert_true(g_file_get_contents(path, &data, &length, NULL));
	g_assert_cmpuint(offset, <, length);
	data[offset] ^= 0x01;
	g_assert_true(g_file_set_contents(path, data, length, NULL));
}

static char *first_original(const char *dir)
{
	g_autofree char *msg = g_build_filename(dir, "msg", NULL);
	g_autoptr(GDir) listing = g_dir_open(msg, 0, NULL);
	const char *name = g_dir_read_name(listing);

	g_assert_nonnull(name);
	return g_build_filename(msg, name, NULL);
}

static void test_backup_tampered_missing_extra_refused(struct fixture *f, gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *dir = NULL;
	g_autofree char *target = g_build_filename(f->tmp, "restored", NULL);
	g_autofree char *key = g_build_filename(target, "release.key", NULL);
	g_autofree char *original = NULL;
	g_autofree char *manifest = NULL;
	g_autofree char *extra = NULL;
	g_autofree char *saved = NULL;
	gsize length;
	char id[AL_STORE_ID_LEN + 1];

	(void)data;
	quarantine_one(f, id);
	quarantine_one(f, id);
	dir = backup_ok(f, NULL, &summary);
	original = first_original(dir);
	manifest = g_build_filename(dir, "MANIFEST", NULL);
	extra = g_build_filename(dir, "msg", "notes.txt", NULL);

	flip_byte(original, 60);
	restore_refused(dir, target, key, AL_BACKUP_ERROR_MISMATCH, "does not match the manifest");
	flip_byte(original, 60);
	g_assert_true(g_file_get_contents(original, &saved, &length, NULL));
	g_assert_cmpint(unlink(original), ==, 0);
	restore_refused(dir, target, key, AL_BACKUP_ERROR_MISMATCH, "missing");
	g_assert_true(g_file_set_contents(original, saved, length, NULL));
	g_assert_true(g_file_set_contents(extra, "x", -1, NULL));
	restore_refused(dir, target, key, AL_BACKUP_ERROR_MISMATCH, "extra file");
	g_assert_cmpint(unlink(extra), ==, 0);
	flip_byte(manifest, 20);
	restore_refused(dir, target, key, AL_BACKUP_ERROR_MISMATCH, "MANIFEST");
	flip_byte(manifest, 20);
	{
		GError *error = NULL;

		g_assert_cmpint(al_backup_verify(dir, &summary, &error), ==, 0);
		g_assert_no_error(error);
		g_assert_cmpuint(summary.originals, ==, 2);
	}
}

static void test_backup_restore_into_non_empty_store_refused(struct fixture *f,
							     gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *dir = NULL;
	g_autofree char *key = g_build_filename(f->tmp, "other.key", NULL);
	g_autofree char *before = NULL;
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	quarantine_one(f, id);
	dir = backup_ok(f, NULL, &summary);
	before = dump_table(f->db, "messages");
	g_assert_cmpint(al_backup_restore(dir, f->dir, key, &summary, &error), ==, -1);
	g_assert_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY);
	g_clear_error(&error);
	{
		g_autofree char *after = dump_table(f->db, "messages");

		g_assert_cmpstr(before, ==, after);
	}
	/* A backup into a directory that holds something is refused too. */
	g_assert_cmpint(al_backup_create(f->store, dir, NULL, "admin", &summary, &error), ==, -1);
	g_assert_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY);
	g_clear_error(&error);
}

/* A store as airlockctl init leaves it: the schema, no row, msg/ empty. */
static char *make_empty_store(struct fixture *f, const char *name)
{
	char *dir = g_build_filename(f->tmp, name, NULL);
	GError *error = NULL;
	struct al_store *store = al_store_open(dir, TRUE, &error);

	g_assert_no_error(error);
	al_store_close(&store);
	return dir;
}

static void test_backup_restore_into_fresh_empty_store(struct fixture *f, gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *dir = NULL;
	g_autofree char *target = make_empty_store(f, "fresh");
	g_autofree char *target_db = g_build_filename(target, "airlock.db", NULL);
	g_autofree char *key = g_build_filename(target, "release.key", NULL);
	char ids[2][AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	for (int i = 0; i < 2; i++)
		quarantine_one(f, ids[i]);
	dir = backup_ok(f, NULL, &summary);
	g_assert_cmpint(sql_int(target_db, "SELECT count(*) FROM messages", NULL), ==, 0);

	g_assert_cmpint(al_backup_restore(dir, target, key, &summary, &error), ==, 0);
	g_assert_no_error(error);
	assert_same_rows(f->db, target_db);
	for (int i = 0; i < 2; i++) {
		g_autofree char *name = g_strconcat(ids[i], ".eml", NULL);
		g_autofree char *a = g_build_filename(f->msg, name, NULL);
		g_autofree char *b = g_build_filename(target, "msg", name, NULL);

		assert_same_file(a, b);
	}
	g_assert_cmpuint(file_mode(target_db), ==, 0600);
	g_assert_cmpuint(count_entries(target), ==, 2); /* airlock.db msg: no -wal, no temp */
	{
		struct al_store *restored = al_store_open(target, FALSE, &error);

		g_assert_no_error(error);
		al_store_close(&restored);
	}
}

static void assert_store_refused(const char *dir, const char *target, const char *expected)
{
	g_autofree char *target_db = g_build_filename(target, "airlock.db", NULL);
	g_autofree char *key = g_build_filename(target, "release.key", NULL);
	g_autofree char *msg = g_build_filename(target, "msg", NULL);
	g_autofree char *before = dump_table(target_db, "messages");
	g_autofree char *after = NULL;
	guint files = count_entries(msg);
	struct al_backup_summary summary;
	GError *error = NULL;

	g_assert_cmpint(al_backup_restore(dir, target, key, &summary, &error), ==, -1);
	g_assert_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_NOT_EMPTY);
	if (strstr(error->message, expected) == NULL)
		g_error("'%s' lacks '%s'", error->message, expected);
	g_clear_error(&error);
	after = dump_table(target_db, "messages");
	g_assert_cmpstr(before, ==, after);
	g_assert_cmpuint(count_entries(msg), ==, files);
	g_assert_false(g_file_test(key, G_FILE_TEST_EXISTS));
}

static void test_backup_restore_into_store_with_one_message_refused(struct fixture *f,
								    gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *dir = NULL;
	g_autofree char *target = make_empty_store(f, "used");
	g_autofree char *target_db = g_build_filename(target, "airlock.db", NULL);
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	quarantine_one(f, id);
	quarantine_one(f, id);
	dir = backup_ok(f, NULL, &summary);
	{
		struct al_store *store = al_store_open(target, FALSE, &error);
		struct fixture other = {.store = store};

		g_assert_no_error(error);
		quarantine_one(&other, id);
		al_store_close(&store);
	}
	assert_store_refused(dir, target, "already holds a store with 1 message:");
	g_assert_cmpint(sql_int(target_db, "SELECT count(*) FROM messages", NULL), ==, 1);
}

static void test_backup_restore_into_store_with_counters_refused(struct fixture *f,
								 gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *dir = NULL;
	g_autofree char *target = make_empty_store(f, "counted");
	g_autofree char *target_db = g_build_filename(target, "airlock.db", NULL);
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;
	struct al_store *store;

	(void)data;
	quarantine_one(f, id);
	dir = backup_ok(f, NULL, &summary);
	sql_exec(target_db, "INSERT INTO correspondents VALUES ('a@example.org', 1, 2, 3)");
	assert_store_refused(dir, target, "with no message but 1 learned correspondent:");
	/* A row still in the WAL of a store someone has open counts too. */
	store = al_store_open(target, FALSE, &error);
	g_assert_no_error(error);
	sql_exec(target_db,
		 "DELETE FROM correspondents;"
		 "INSERT INTO daily_counters VALUES ('2024-01-02', 'action', 'strip', 4)");
	assert_store_refused(dir, target, "with no message but 1 daily counter:");
	al_store_close(&store);
	g_assert_cmpint(sql_int(target_db, "SELECT count(*) FROM daily_counters", NULL), ==, 1);
}

static void test_backup_newer_schema_refused(struct fixture *f, gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *sql = g_strdup_printf("UPDATE schema_version SET version = %d",
					       AL_STORE_SCHEMA_VERSION + 1);
	g_autofree char *dir = NULL;
	g_autofree char *target = g_build_filename(f->tmp, "restored", NULL);
	g_autofree char *key = g_build_filename(target, "release.key", NULL);
	g_autofree char *empty = make_empty_store(f, "fresh");
	g_autofree char *empty_db = g_build_filename(empty, "airlock.db", NULL);
	g_autofree char *empty_key = g_build_filename(empty, "release.key", NULL);
	g_autofree char *before = NULL;
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	quarantine_one(f, id);
	sql_exec(f->db, sql);
	dir = backup_ok(f, NULL, &summary);
	g_assert_cmpint(summary.schema_version, ==, AL_STORE_SCHEMA_VERSION + 1);
	restore_refused(dir, target, key, AL_BACKUP_ERROR_VERSION, "is newer than this airlock's");
	/* Nor is an empty store's database replaced by it. */
	before = dump_table(empty_db, "schema_version");
	g_assert_cmpint(al_backup_restore(dir, empty, empty_key, &summary, &error), ==, -1);
	g_assert_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_VERSION);
	g_clear_error(&error);
	{
		g_autofree char *after = dump_table(empty_db, "schema_version");

		g_assert_cmpstr(before, ==, after);
	}
}

static void test_backup_key_only_when_asked(struct fixture *f, gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *key = make_key(f);
	g_autofree char *dir = backup_ok(f, NULL, &summary);
	g_autofree char *in_backup = g_build_filename(dir, "release.key", NULL);
	g_autofree char *target = g_build_filename(f->tmp, "restored", NULL);
	g_autofree char *new_key = g_build_filename(target, "release.key", NULL);
	GError *error = NULL;

	(void)data;
	g_assert_false(summary.with_key);
	g_assert_false(g_file_test(in_backup, G_FILE_TEST_EXISTS));
	g_assert_cmpint(al_backup_restore(dir, target, new_key, &summary, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_false(summary.with_key);
	g_assert_false(g_file_test(new_key, G_FILE_TEST_EXISTS));
}

static void test_backup_vanished_original_marked_purged(struct fixture *f, gconstpointer data)
{
	struct al_backup_summary summary;
	g_autofree char *dir = NULL;
	g_autofree char *path = NULL;
	g_autofree char *db = NULL;
	char kept[AL_STORE_ID_LEN + 1], gone[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	quarantine_one(f, kept);
	quarantine_one(f, gone);
	/* As if purged between the snapshot and the copy. */
	path = al_store_original_path(f->store, gone);
	g_assert_cmpint(unlink(path), ==, 0);
	dir = backup_ok(f, NULL, &summary);
	g_assert_cmpuint(summary.originals, ==, 1);
	g_assert_cmpuint(summary.gone, ==, 1);
	db = g_build_filename(dir, "airlock.db", NULL);
	assert_sql_text(db, "SELECT status FROM messages WHERE id = ?", gone, "purged");
	assert_sql_text(db, "SELECT status FROM messages WHERE id = ?", kept, "quarantined");
	assert_sql_text(db, "SELECT event FROM events WHERE message_id = ? ORDER BY id DESC", gone,
			"purged");
	g_assert_cmpint(al_backup_verify(dir, &summary, &error), ==, 0);
	g_assert_no_error(error);
}

static void test_backup_prune_removes_old_backups_only(struct fixture *f, gconstpointer data)
{
	g_autofree char *parent = g_build_filename(f->tmp, "backups", NULL);
	g_autofree char *other = g_build_filename(parent, "airlock-notes", NULL);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *old_name = al_backup_name(now - 40 * 86400);
	g_autofree char *new_name = al_backup_name(now);
	g_autofree char *old_dir = g_build_filename(parent, old_name, NULL);
	g_autofree char *new_dir = g_build_filename(parent, new_name, NULL);
	struct al_backup_summary summary;
	GError *error = NULL;
	guint pruned = 0;
	char id[AL_STORE_ID_LEN + 1];

	(void)data;
	quarantine_one(f, id);
	g_assert_cmpint(al_backup_create(f->store, old_dir, NULL, "admin", &summary, &error), ==, 0);
	g_assert_cmpint(al_backup_create(f->store, new_dir, NULL, "admin", &summary, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(g_mkdir(other, 0700), ==, 0);
	g_assert_cmpint(al_backup_prune(parent, now - 30 * 86400, new_name, &pruned, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(pruned, ==, 1);
	g_assert_false(g_file_test(old_dir, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(new_dir, G_FILE_TEST_IS_DIR));
	g_assert_true(g_file_test(other, G_FILE_TEST_IS_DIR));
	g_assert_cmpint(al_backup_verify(new_dir, &summary, &error), ==, 0);
	g_assert_no_error(error);
}

#define ADD_FIXTURE_TEST(path, fn)                                                                 \
	g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	ADD_FIXTURE_TEST("/backup/round-trip-identical",
			 test_backup_round_trip_identical_rows_and_files);
	ADD_FIXTURE_TEST("/backup/tampered-missing-extra-refused",
			 test_backup_tampered_missing_extra_refused);
	ADD_FIXTURE_TEST("/backup/non-empty-store-refused",
			 test_backup_restore_into_non_empty_store_refused);
	ADD_FIXTURE_TEST("/backup/fresh-empty-store-restored",
			 test_backup_restore_into_fresh_empty_store);
	ADD_FIXTURE_TEST("/backup/store-with-one-message-refused",
			 test_backup_restore_into_store_with_one_message_refused);
	ADD_FIXTURE_TEST("/backup/store-with-counters-refused",
			 test_backup_restore_into_store_with_counters_refused);
	ADD_FIXTURE_TEST("/backup/newer-schema-refused", test_backup_newer_schema_refused);
	ADD_FIXTURE_TEST("/backup/key-only-when-asked", test_backup_key_only_when_asked);
	ADD_FIXTURE_TEST("/backup/vanished-original-marked-purged",
			 test_backup_vanished_original_marked_purged);
	ADD_FIXTURE_TEST("/backup/prune-old-only", test_backup_prune_removes_old_backups_only);
	return g_test_run();
}
