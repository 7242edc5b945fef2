/*
 * test_store.c - the quarantine store: private directory and files, the
 * original written byte for byte before its rows, nothing left behind by
 * a failure, counters, learned correspondents, ids, status changes and
 * migrations. Rows are checked with SQL of our own on the database.
 */
#include "../../src/lib/store_private.h"
#include "support/store_fixture.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* ---- open ---- */

static void test_store_open_creates_private_dir_and_db(void)
{
	g_autofree char *tmp = g_dir_make_tmp("airlock-store-XXXXXX", NULL);
	g_autofree char *dir = g_build_filename(tmp, "a", "store", NULL);
	g_autofree char *msg = g_build_filename(dir, "msg", NULL);
	g_autofree char *db = g_build_filename(dir, "airlock.db", NULL);
	const char *suffixes[] = {"-wal", "-shm"};
	GError *error = NULL;
	mode_t old_umask = umask(0); /* the store must not depend on it */
	struct al_store *store = al_store_open(dir, TRUE, &error);

	umask(old_umask);
	g_assert_no_error(error);
	g_assert_cmpuint(file_mode(dir), ==, 0700);
	g_assert_cmpuint(file_mode(msg), ==, 0700);
	g_assert_cmpuint(file_mode(db), ==, 0600);
	for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *side = g_strconcat(db, suffixes[i], NULL);

		if (g_file_test(side, G_FILE_TEST_EXISTS))
			g_assert_cmpuint(file_mode(side), ==, 0600);
	}
	g_assert_cmpint(sql_int(db, "SELECT version FROM schema_version", NULL), ==,
			AL_STORE_SCHEMA_VERSION);
	assert_sql_text(db, "PRAGMA journal_mode", NULL, "wal");
	al_store_close(&store);
	remove_tree(tmp);
}

static void test_store_open_refuses_dir_readable_by_others(void)
{
	g_autofree char *tmp = g_dir_make_tmp("airlock-store-XXXXXX", NULL);
	g_autofree char *dir = g_build_filename(tmp, "store", NULL);
	g_autofree char *msg = g_build_filename(dir, "msg", NULL);
	g_autofree char *expected = NULL;
	GError *error = NULL;
	struct al_store *store;

	g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
	g_assert_cmpint(chmod(dir, 0755), ==, 0);
	for (int create = 0; create <= 1; create++) {
		store = al_store_open(dir, create, &error);
		g_assert_null(store);
		g_assert_error(error, AL_ERROR, AL_ERROR_IO);
		expected = g_strdup_printf("%s is readable by others (mode 0755): run chmod 700 %s",
					   dir, dir);
		g_assert_cmpstr(error->message, ==, expected);
		g_clear_pointer(&expected, g_free);
		g_clear_error(&error);
	}
	/* The same for msg/, where the originals are. */
	g_assert_cmpint(chmod(dir, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(msg, 0750), ==, 0);
	g_assert_cmpint(chmod(msg, 0750), ==, 0);
	store = al_store_open(dir, TRUE, &error);
	g_assert_null(store);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "msg is readable by others (mode 0750)"));
	g_clear_error(&error);
	remove_tree(tmp);
}

static void test_store_open_without_create_needs_an_existing_store(void)
{
	g_autofree char *tmp = g_dir_make_tmp("airlock-store-XXXXXX", NULL);
	g_autofree char *dir = g_build_filename(tmp, "store", NULL);
	g_autofree char *msg = g_build_filename(dir, "msg", NULL);
	GError *error = NULL;

	g_assert_null(al_store_open(dir, FALSE, &error));
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "does not exist: run airlockctl init"));
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
	g_clear_error(&error);

	/* A private directory without a database is no store either. */
	g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(msg, 0700), ==, 0);
	g_assert_null(al_store_open(dir, FALSE, &error));
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "airlock.db does not exist"));
	g_clear_error(&error);
	remove_tree(tmp);
}

static void test_store_reopen_applies_no_migration_twice(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(100);
	struct al_verdict *verdict = make_strip_verdict();
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, 0);
	g_assert_no_error(error);
	for (int i = 0; i < 2; i++) {
		al_store_close(&f->store);
		f->store = test_store_open(f->dir, i == 0, &error);
		g_assert_no_error(error);
	}
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM schema_version", NULL), ==, 1);
	g_assert_cmpint(sql_int(f->db, "SELECT version FROM schema_version", NULL), ==,
			AL_STORE_SCHEMA_VERSION);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM messages WHERE id = ?", id), ==, 1);
	free_verdict(verdict);
}

static void test_store_newer_schema_is_refused(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;

	(void)data;
	al_store_close(&f->store);
	sql_exec(f->db, "UPDATE schema_version SET version = 99");
	g_assert_null(test_store_open(f->dir, FALSE, &error));
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "schema version 99 is newer"));
	g_clear_error(&error);
}

/* ---- quarantine ---- */

static void check_message_row(struct fixture *f, const char *id, const GByteArray *original)
{
	g_autofree char *sha =
	    g_compute_checksum_for_data(G_CHECKSUM_SHA256, original->data, original->len);
	static const struct {
		const char *column;
		const char *value;
	} expected[] = {
	    {"queue_id", "4F2A1C3"},
	    {"envelope_from", "<bounce@evil.example>"},
	    {"header_from", "billing@evil.example"},
	    {"subject", "Facture \"urgente\""},
	    {"client_addr", "192.0.2.7"},
	    {"client_name", "mail.evil.example"},
	    {"helo", "evil.example"},
	    {"auth_user", NULL},
	    {"origin_why", "sender not trusted"},
	    {"action", "strip"},
	    {"reasons", "executable,disguised"},
	    {"status", "quarantined"},
	};
	g_autofree char *path = g_strconcat("msg/", id, ".eml", NULL);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree char *sql =
		    g_strdup_printf("SELECT %s FROM messages WHERE id = ?", expected[i].column);
		g_autofree char *value = sql_text(f->db, sql, id);

		g_assert_cmpstr(value, ==, expected[i].value);
	}
	assert_sql_text(f->db, "SELECT sha256 FROM messages WHERE id = ?", id, sha);
	assert_sql_text(f->db, "SELECT path FROM messages WHERE id = ?", id, path);
	g_assert_cmpint(sql_int(f->db, "SELECT size FROM messages WHERE id = ?", id), ==,
			original->len);
	g_assert_cmpint(sql_int(f->db, "SELECT origin_known FROM messages WHERE id = ?", id), ==,
			0);
	g_assert_cmpint(sql_int(f->db, "SELECT received_at FROM messages WHERE id = ?", id), <=,
			now);
	g_assert_cmpint(sql_int(f->db, "SELECT received_at FROM messages WHERE id = ?", id), >=,
			now - 60);
}

static void check_item_rows(struct fixture *f, const char *id)
{
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM items WHERE message_id = ?", id), ==,
			3);
	g_assert_cmpint(count_rows(f,
				   "SELECT count(*) FROM items WHERE message_id = ?"
				   " AND quarantined = 1",
				   id),
			==, 1);
	assert_sql_text(f->db,
			"SELECT filename || '|' || part || '|' || declared_type || '|'"
			" || detected_type || '|' || size || '|' || reasons"
			" FROM items WHERE message_id = ? AND quarantined = 1",
			id,
			"facture.pdf.exe|2|application/pdf|application/x-dosexec|26|"
			"executable,disguised");
	assert_sql_text(f->db, "SELECT details FROM items WHERE message_id = ? AND part = '2'", id,
			"[\"content is a Windows program (PE)\","
			"\"name ends in .exe after .pdf\"]");
	assert_sql_text(f->db, "SELECT viruses FROM items WHERE message_id = ? AND part = '2'", id,
			"[\"Test.Sig\"]");
	assert_sql_text(f->db, "SELECT \"inner\" FROM items WHERE message_id = ? AND part = '2'",
			id,
			"[{\"path\":\"a.zip/b.exe\",\"type\":\"CL_TYPE_MSEXE\","
			"\"detected_type\":null,\"depth\":1,\"size\":42,\"encrypted\":false,"
			"\"reasons\":[\"executable\"]}]");
	assert_sql_text(f->db,
			"SELECT reasons || details || viruses || \"inner\" FROM items"
			" WHERE message_id = ? AND part = '1'",
			id, "[][][]");
}

static void test_store_quarantine_writes_original_and_rows(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(200000);
	struct al_verdict *verdict = make_strip_verdict();
	char id[AL_STORE_ID_LEN + 1];
	g_autofree char *path = NULL;
	g_autofree char *contents = NULL;
	gsize length = 0;
	GError *error = NULL;

	(void)data;
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, 0);
	g_assert_no_error(error);

	assert_original(f->store, id, original);
	g_assert_cmpuint(count_originals(f), ==, 1); /* no .tmp left */
	if (!test_backend_is_pg()) { /* msg/ID.eml, 0600 */
		path = al_store_original_path(f->store, id);
		g_assert_true(g_path_is_absolute(path));
		g_assert_true(g_file_get_contents(path, &contents, &length, NULL));
		g_assert_cmpmem(contents, length, original->data, original->len);
		g_assert_cmpuint(file_mode(path), ==, 0600);
	}

	check_message_row(f, id, original);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM recipients WHERE message_id = ?", id),
			==, 2);
	check_item_rows(f, id);
	assert_sql_text(f->db,
			"SELECT event || '|' || who || '|' || detail FROM events"
			" WHERE message_id = ?",
			id, "quarantined|airlock|strip");
	free_verdict(verdict);
}

static void assert_nothing_stored(struct fixture *f, const char *id)
{
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM messages WHERE id = ?", id), ==, 0);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM items WHERE message_id = ?", id), ==,
			0);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM events WHERE message_id = ?", id), ==,
			0);
}

static void test_store_quarantine_fails_when_msg_is_not_a_directory(struct fixture *f,
								    gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(100);
	struct al_verdict *verdict = make_strip_verdict();
	g_autofree char *saved = g_strconcat(f->msg, ".saved", NULL);
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	g_assert_cmpint(rename(f->msg, saved), ==, 0);
	g_assert_true(g_file_set_contents(f->msg, "not a directory", -1, NULL));
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, id));
	g_assert_nonnull(strstr(error->message, ".eml.tmp: cannot create"));
	g_clear_error(&error);
	assert_nothing_stored(f, id);
	g_assert_cmpint(unlink(f->msg), ==, 0);
	g_assert_cmpint(rename(saved, f->msg), ==, 0);
	free_verdict(verdict);
}

/* A write that fails halfway (here: the file size limit, as a full disk
 * would) leaves neither a file nor a row. Works as root too. */
static void test_store_quarantine_write_failure_leaves_nothing(struct fixture *f,
							       gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(300000);
	struct al_verdict *verdict = make_strip_verdict();
	char id[AL_STORE_ID_LEN + 1];
	struct rlimit saved_limit, small_limit;
	void (*saved_handler)(int) = signal(SIGXFSZ, SIG_IGN);
	GError *error = NULL;
	int rc;

	(void)data;
	g_assert_true(saved_handler != SIG_ERR);
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &saved_limit), ==, 0);
	small_limit = (struct rlimit){.rlim_cur = 65536, .rlim_max = saved_limit.rlim_max};
	al_store_new_id(id);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small_limit), ==, 0);
	rc = quarantine_bytes(f->store, id, original, verdict, &error);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &saved_limit), ==, 0);
	g_assert_true(signal(SIGXFSZ, saved_handler) != SIG_ERR);

	g_assert_cmpint(rc, ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, ".eml.tmp: write failed: "));
	g_clear_error(&error);
	g_assert_cmpuint(count_entries(f->msg), ==, 0);
	assert_nothing_stored(f, id);
	free_verdict(verdict);
}

/* A commit that fails removes the file it had written. */
static void test_store_quarantine_db_failure_removes_file(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(1000);
	struct al_verdict *verdict = make_strip_verdict();
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	sql_exec(f->db, "CREATE TRIGGER fail_items BEFORE INSERT ON items"
			" BEGIN SELECT RAISE(ABORT, 'items refused'); END");
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "items refused"));
	g_clear_error(&error);
	g_assert_cmpuint(count_entries(f->msg), ==, 0);
	assert_nothing_stored(f, id);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM recipients WHERE message_id = ?", id),
			==, 0);

	/* The store is usable again, with the same id. */
	sql_exec(f->db, "DROP TRIGGER fail_items");
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM messages WHERE id = ?", id), ==, 1);
	free_verdict(verdict);
}

static void test_store_quarantine_never_replaces_an_original(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) first = make_original(500);
	g_autoptr(GByteArray) second = make_original(900);
	struct al_verdict *verdict = make_strip_verdict();
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, first, verdict, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(quarantine_bytes(f->store, id, second, verdict, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_clear_error(&error);

	assert_original(f->store, id, first);
	g_assert_cmpuint(count_originals(f), ==, 1);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM messages WHERE id = ?", id), ==, 1);
	g_assert_cmpint(count_rows(f, "SELECT count(*) FROM items WHERE message_id = ?", id), ==,
			3);
	free_verdict(verdict);
}

static void test_store_quarantine_refuses_ids_that_are_not_canonical(struct fixture *f,
								     gconstpointer data)
{
	static const char *const bad[] = {
	    "../../../../tmp/x",
	    "01arz3ndektsv4rrffq69g5fav",
	    "01ARZ3NDEK-TSV4RRFFQ69G5FAV",
	    "",
	};
	g_autoptr(GByteArray) original = make_original(10);
	struct al_verdict *verdict = make_strip_verdict();
	GError *error = NULL;

	(void)data;
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		char id[64];

		g_strlcpy(id, bad[i], sizeof(id));
		g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, -1);
		g_assert_error(error, AL_ERROR, AL_ERROR_INTERNAL);
		g_clear_error(&error);
	}
	g_assert_cmpuint(count_originals(f), ==, 0);
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM messages", NULL), ==, 0);
	free_verdict(verdict);
}

/* ---- reading, events and status ---- */

static void test_store_get_message_reads_row_and_recipients(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(321);
	struct al_verdict *verdict = make_strip_verdict();
	struct al_store_message message;
	char id[AL_STORE_ID_LEN + 1];
	g_autofree char *lower = NULL;
	GError *error = NULL;

	(void)data;
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, 0);
	lower = g_ascii_strdown(id, -1);
	g_assert_cmpint(al_store_get_message(f->store, lower, &message, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(message.id, ==, id);
	g_assert_cmpstr(message.queue_id, ==, "4F2A1C3");
	g_assert_cmpstr(message.header_from, ==, "billing@evil.example");
	g_assert_cmpstr(message.subject, ==, "Facture \"urgente\"");
	g_assert_null(message.auth_user);
	g_assert_false(message.origin_known);
	g_assert_cmpstr(message.action, ==, "strip");
	g_assert_cmpuint(message.reasons, ==,
			 AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED));
	g_assert_cmpint(message.size, ==, original->len);
	g_assert_cmpint(message.status, ==, AL_STATUS_QUARANTINED);
	g_assert_cmpuint(g_strv_length(message.recipients), ==, 2);
	g_assert_cmpstr(message.recipients[0], ==, "alice@corp.example");
	g_assert_cmpstr(message.recipients[1], ==, "bob@corp.example");
	g_assert_true(g_str_has_suffix(message.path, ".eml"));
	al_store_message_clear(&message);
	g_assert_null(message.recipients);

	al_store_new_id(id);
	g_assert_cmpint(al_store_get_message(f->store, id, &message, &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_assert_null(message.queue_id);
	g_clear_error(&error);
	g_assert_null(al_store_original_path(f->store, "not an id"));
	free_verdict(verdict);
}

static void test_store_set_status_succeeds_only_once(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(10);
	struct al_verdict *verdict = make_strip_verdict();
	char id[AL_STORE_ID_LEN + 1];
	g_autofree char *expected = NULL;
	g_autofree char *dashed = NULL;
	GError *error = NULL;

	(void)data;
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, 0);
	dashed = g_strdup_printf("%.5s-%s", id, id + 5);
	g_assert_cmpint(al_store_set_status(f->store, dashed, AL_STATUS_QUARANTINED,
					    AL_STATUS_RELEASED, "admin", "released",
					    "to 2 recipients", &error),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(al_store_set_status(f->store, id, AL_STATUS_QUARANTINED, AL_STATUS_RELEASED,
					    "admin2", "released", NULL, &error),
			==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	expected = g_strdup_printf("%s is already released", id);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);

	assert_sql_text(f->db, "SELECT status FROM messages WHERE id = ?", id, "released");
	assert_sql_text(f->db,
			"SELECT group_concat(event || ':' || who || ':' || coalesce(detail,"
			" '-'), ',') FROM (SELECT * FROM events WHERE message_id = ?"
			" ORDER BY id) AS e",
			id, "quarantined:airlock:strip,released:admin:to 2 recipients");

	al_store_new_id(id);
	g_assert_cmpint(al_store_set_status(f->store, id, AL_STATUS_QUARANTINED, AL_STATUS_DELETED,
					    "admin", "deleted", NULL, &error),
			==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	free_verdict(verdict);
}

static void test_store_add_event_records_who_and_what(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(10);
	struct al_verdict *verdict = make_strip_verdict();
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;

	(void)data;
	al_store_new_id(id);
	g_assert_cmpint(quarantine_bytes(f->store, id, original, verdict, &error), ==, 0);
	g_assert_cmpint(
	    al_store_add_event(f->store, id, "notified", "airlock-milter", NULL, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(count_rows(f,
				   "SELECT count(*) FROM events WHERE message_id = ?"
				   " AND event = 'notified' AND who = 'airlock-milter'"
				   " AND detail IS NULL",
				   id),
			==, 1);

	al_store_new_id(id);
	g_assert_cmpint(al_store_add_event(f->store, id, "notified", "x", NULL, &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_cmpint(al_store_add_event(f->store, "garbage", "notified", "x", NULL, &error), ==,
			-1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	free_verdict(verdict);
}

/* ---- counters ---- */

static gint64 counter(struct fixture *f, const char *kind, const char *key)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *day = g_date_time_format(now, "%Y-%m-%d");
	g_autofree char *sql = g_strdup_printf("SELECT coalesce(sum(count), 0) FROM daily_counters"
					       " WHERE day = ? AND kind = '%s' AND key = '%s'",
					       kind, key);

	return sql_int(f->db, sql, day);
}

static void test_store_counters_after_three_messages(struct fixture *f, gconstpointer data)
{
	struct al_verdict *accepted = make_verdict(AL_ACTION_ACCEPT, 0);
	struct al_verdict *stripped = make_strip_verdict();
	struct al_verdict *held = make_verdict(
	    AL_ACTION_HOLD, AL_REASON_BIT(AL_REASON_VIRUS) | AL_REASON_BIT(AL_REASON_EXECUTABLE));
	struct al_item *virus = make_item("2", "a.zip", FALSE, TRUE);
	struct al_item *program = make_item("3", "b.exe", FALSE, TRUE);
	static const struct {
		const char *kind;
		const char *key;
		gint64 count;
	} expected[] = {
	    {"messages", "total", 3},
	    {"messages", "accept", 1},
	    {"messages", "strip", 1},
	    {"messages", "hold", 1},
	    {"messages", "reason:virus", 1},
	    {"messages", "reason:executable", 2},
	    {"messages", "reason:disguised", 1},
	    {"attachments", "total", 5},
	    {"attachments", "accepted", 2},
	    {"attachments", "quarantined", 3},
	    {"attachments", "reason:virus", 1},
	    {"attachments", "reason:executable", 2},
	    {"attachments", "reason:disguised", 1},
	};
	struct al_verdict *all[] = {accepted, stripped, held};
	gint64 rows = 0;
	GError *error = NULL;

	(void)data;
	add_item(accepted, make_item("1", NULL, TRUE, FALSE));
	add_item(accepted, make_item("2", "report.pdf", FALSE, FALSE));
	al_item_flag(virus, AL_REASON_VIRUS, NULL);
	al_item_flag(program, AL_REASON_EXECUTABLE, NULL);
	add_item(held, virus);
	add_item(held, program);
	for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
		g_assert_cmpint(al_store_count_message(f->store, all[i], &error), ==, 0);
		g_assert_no_error(error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_test_message("%s/%s", expected[i].kind, expected[i].key);
		g_assert_cmpint(counter(f, expected[i].kind, expected[i].key), ==,
				expected[i].count);
		rows++;
	}
	/* Nothing else was counted (no body, no unknown key). */
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM daily_counters", NULL), ==, rows);
	/* Counting commits without waiting for the disk, then the store's
	 * connection is back to FULL for quarantine records (2 = FULL).
	 * PostgreSQL: SET LOCAL, gone with the transaction. */
	if (!test_backend_is_pg()) {
		sqlite3_stmt *stmt = NULL;

		g_assert_cmpint(
		    sqlite3_prepare_v2(f->store->db, "PRAGMA synchronous", -1, &stmt, NULL), ==,
		    SQLITE_OK);
		g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
		g_assert_cmpint(sqlite3_column_int(stmt, 0), ==, 2);
		sqlite3_finalize(stmt);
	}
	for (guint i = 0; i < G_N_ELEMENTS(all); i++)
		free_verdict(all[i]);
}

struct counting_thread {
	struct al_store *store;
	const struct al_verdict *verdict;
};

static gpointer count_many(gpointer data)
{
	const struct counting_thread *t = data;

	for (int i = 0; i < 50; i++)
		if (al_store_count_message(t->store, t->verdict, NULL) < 0)
			return GINT_TO_POINTER(1);
	return NULL;
}

static void test_store_is_safe_to_share_between_threads(struct fixture *f, gconstpointer data)
{
	struct al_verdict *verdict = make_strip_verdict();
	struct counting_thread t = {.store = f->store, .verdict = verdict};
	GThread *threads[4];

	(void)data;
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("count", count_many, &t);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_assert_null(g_thread_join(threads[i]));
	g_assert_cmpint(counter(f, "messages", "total"), ==, 200);
	g_assert_cmpint(counter(f, "attachments", "total"), ==, 400);
	free_verdict(verdict);
}

/* ---- correspondents ---- */

static void test_store_learn_is_case_insensitive(struct fixture *f, gconstpointer data)
{
	static const char *const first[] = {"Alice@Example.ORG", " <bob@x.example> ", "<>", NULL};
	static const char *const second[] = {"alice@example.org", NULL};
	GError *error = NULL;

	(void)data;
	g_assert_false(al_store_is_learned("alice@example.org", f->store));
	g_assert_cmpint(al_store_learn(f->store, first, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(al_store_learn(f->store, second, &error), ==, 0);
	g_assert_true(al_store_is_learned("alice@example.org", f->store));
	g_assert_true(al_store_is_learned("ALICE@example.org", f->store));
	g_assert_true(al_store_is_learned("bob@x.example", f->store));
	g_assert_false(al_store_is_learned("carol@x.example", f->store));
	g_assert_false(al_store_is_learned("", f->store));
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM correspondents", NULL), ==, 2);
	g_assert_cmpint(sql_int(f->db, "SELECT count FROM correspondents WHERE address = ?",
				"alice@example.org"),
			==, 2);
	g_assert_cmpint(sql_int(f->db,
				"SELECT last_seen >= first_seen FROM correspondents"
				" WHERE address = ?",
				"alice@example.org"),
			==, 1);
}

/* ---- ids ---- */

static guint64 id_time_ms(const char *id)
{
	guint64 ms = 0;

	for (int i = 0; i < 10; i++)
		ms = ms * 32 + (guint64)(strchr(crockford, id[i]) - crockford);
	return ms;
}

static void test_store_new_ids_are_unique_and_time_sortable(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint64 before = (guint64)(g_get_real_time() / 1000);
	char previous_max[AL_STORE_ID_LEN + 1] = "";
	char id[AL_STORE_ID_LEN + 1];
	char parsed[AL_STORE_ID_LEN + 1];
	guint64 after;

	for (int i = 0; i < 10000; i++) {
		al_store_new_id(id);
		g_assert_cmpuint(strlen(id), ==, AL_STORE_ID_LEN);
		g_assert_true(al_store_parse_id(id, parsed));
		g_assert_cmpstr(parsed, ==, id);
		g_assert_true(g_hash_table_add(seen, g_strdup(id)));
		if (strcmp(id, previous_max) > 0)
			memcpy(previous_max, id, sizeof(id));
	}
	after = (guint64)(g_get_real_time() / 1000);
	g_assert_cmpuint(id_time_ms(previous_max), >=, before);
	g_assert_cmpuint(id_time_ms(previous_max), <=, after);
	/* A later millisecond sorts after every earlier id. */
	g_usleep(2000);
	al_store_new_id(id);
	g_assert_cmpint(strcmp(id, previous_max), >, 0);
	g_assert_cmpuint(id_time_ms(id), >, after);
}

static void test_store_parse_id_table(void)
{
	static const struct {
		const char *text;
		const char *id; /* NULL: refused */
	} table[] = {
	    {"01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	    {"01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	    {"01ARZ-3NDEK-TSV4R-RFFQ6-9G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	    {"01ARZ 3NDEK TSV4R RFFQ6 9G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	    {"OlARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	    {"0iARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	    {"7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
	    {"01ARZ3NDEKTSV4RRFFQ69G5FA", NULL},   /* too short */
	    {"01ARZ3NDEKTSV4RRFFQ69G5FAVA", NULL}, /* too long */
	    {"81ARZ3NDEKTSV4RRFFQ69G5FAV", NULL},  /* more than 128 bits */
	    {"01ARZ3NDEKTSV4RRFFQ69G5FAU", NULL},  /* U is not Crockford */
	    {"01ARZ3NDEKTSV4RRFFQ69G5FA!", NULL},
	    {"../ARZ3NDEKTSV4RRFFQ69G5FAV", NULL},
	    {"01ARZ3NDEK\tTSV4RRFFQ69G5FAV", NULL},
	    {"01ARZ3NDEKTSV4RRFFQ69G5FA\xc3\xa9", NULL},
	    {"--------------------------", NULL},
	    {"", NULL},
	};
	char id[AL_STORE_ID_LEN + 1];

	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
		gboolean ok = al_store_parse_id(table[i].text, id);

		g_test_message("%s", table[i].text);
		g_assert_cmpint(ok, ==, table[i].id != NULL);
		g_assert_cmpstr(ok ? id : NULL, ==, table[i].id);
	}
	g_assert_false(al_store_parse_id(NULL, id));
}

#define ADD_FIXTURE_TEST(path, fn)                                                                 \
	g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown)

/* Tests of what only SQLite has (a directory, files, SQLite's triggers):
 * registered for the SQLite run alone. */
#define ADD_SQLITE_TEST(path, fn)                                                                  \
	do {                                                                                       \
		if (!test_backend_is_pg())                                                         \
			ADD_FIXTURE_TEST(path, fn);                                                \
	} while (0)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	if (!test_backend_is_pg()) {
		g_test_add_func("/store/open/creates-private-dir-and-db",
				test_store_open_creates_private_dir_and_db);
		g_test_add_func("/store/open/refuses-dir-readable-by-others",
				test_store_open_refuses_dir_readable_by_others);
		g_test_add_func("/store/open/without-create-needs-an-existing-store",
				test_store_open_without_create_needs_an_existing_store);
	}
	ADD_FIXTURE_TEST("/store/open/reopen-applies-no-migration-twice",
			 test_store_reopen_applies_no_migration_twice);
	ADD_FIXTURE_TEST("/store/open/newer-schema-is-refused", test_store_newer_schema_is_refused);
	ADD_FIXTURE_TEST("/store/quarantine/writes-original-and-rows",
			 test_store_quarantine_writes_original_and_rows);
	ADD_SQLITE_TEST("/store/quarantine/fails-when-msg-is-not-a-directory",
			 test_store_quarantine_fails_when_msg_is_not_a_directory);
	ADD_SQLITE_TEST("/store/quarantine/write-failure-leaves-nothing",
			 test_store_quarantine_write_failure_leaves_nothing);
	ADD_SQLITE_TEST("/store/quarantine/db-failure-removes-file",
			 test_store_quarantine_db_failure_removes_file);
	ADD_FIXTURE_TEST("/store/quarantine/never-replaces-an-original",
			 test_store_quarantine_never_replaces_an_original);
	ADD_FIXTURE_TEST("/store/quarantine/refuses-ids-that-are-not-canonical",
			 test_store_quarantine_refuses_ids_that_are_not_canonical);
	ADD_FIXTURE_TEST("/store/get-message/reads-row-and-recipients",
			 test_store_get_message_reads_row_and_recipients);
	ADD_FIXTURE_TEST("/store/set-status/succeeds-only-once",
			 test_store_set_status_succeeds_only_once);
	ADD_FIXTURE_TEST("/store/add-event/records-who-and-what",
			 test_store_add_event_records_who_and_what);
	ADD_FIXTURE_TEST("/store/counters/after-three-messages",
			 test_store_counters_after_three_messages);
	ADD_FIXTURE_TEST("/store/threads/safe-to-share",
			 test_store_is_safe_to_share_between_threads);
	ADD_FIXTURE_TEST("/store/learn/is-case-insensitive", test_store_learn_is_case_insensitive);
	g_test_add_func("/store/id/new-ids-are-unique-and-time-sortable",
			test_store_new_ids_are_unique_and_time_sortable);
	g_test_add_func("/store/id/parse-table", test_store_parse_id_table);
	return g_test_run();
}
