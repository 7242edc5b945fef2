/*
 * store_fixture.c - helpers for tests that need a quarantine store: see
 * store_fixture.h.
 */
#include "store_fixture.h"

#include "store_backend.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers: files ---- */

void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_dir_close(dir);
		g_assert_cmpint(rmdir(path), ==, 0);
		return;
	}
	if (unlink(path) < 0)
		g_assert_cmpint(errno, ==, ENOENT);
}

guint file_mode(const char *path)
{
	struct stat st;

	g_assert_cmpint(stat(path, &st), ==, 0);
	return st.st_mode & 07777;
}

guint count_entries(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	guint count = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir) != NULL)
		count++;
	return count;
}

/* ---- helpers: SQL on the store's database ---- */

/* Prepares sql on a new connection, binding param (if any) to ?1. */
sqlite3_stmt *sql_prepare(const char *db_path, const char *sql, const char *param, sqlite3 **db_r)
{
	sqlite3_stmt *stmt = NULL;

	g_assert_cmpint(sqlite3_open_v2(db_path, db_r, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_busy_timeout(*db_r, 5000), ==, SQLITE_OK);
	if (sqlite3_prepare_v2(*db_r, sql, -1, &stmt, NULL) != SQLITE_OK)
		g_error("%s: %s", sql, sqlite3_errmsg(*db_r));
	if (param != NULL)
		g_assert_cmpint(sqlite3_bind_text(stmt, 1, param, -1, SQLITE_TRANSIENT), ==,
				SQLITE_OK);
	return stmt;
}

gint64 sql_int(const char *db_path, const char *sql, const char *param)
{
	if (test_backend_is_pg()) {
		g_autofree char *dir = g_path_get_dirname(db_path);

		return test_pg_int(dir, sql, param);
	}
	sqlite3 *db;
	sqlite3_stmt *stmt = sql_prepare(db_path, sql, param, &db);
	gint64 value;

	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

/* The text of the first column of the first row, or NULL for SQL NULL. */
char *sql_text(const char *db_path, const char *sql, const char *param)
{
	if (test_backend_is_pg()) {
		g_autofree char *dir = g_path_get_dirname(db_path);

		return test_pg_text(dir, sql, param);
	}
	sqlite3 *db;
	sqlite3_stmt *stmt = sql_prepare(db_path, sql, param, &db);
	char *value;

	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

void assert_sql_text(const char *db_path, const char *sql, const char *param, const char *expected)
{
	g_autofree char *value = sql_text(db_path, sql, param);

	g_assert_cmpstr(value, ==, expected);
}

void sql_exec(const char *db_path, const char *sql)
{
	sqlite3 *db;
	char *message = NULL;

	if (test_backend_is_pg()) {
		g_autofree char *dir = g_path_get_dirname(db_path);

		test_pg_exec(dir, sql);
		return;
	}
	g_assert_cmpint(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		g_error("%s: %s", sql, message);
	sqlite3_close(db);
}

/* ---- helpers: verdicts ---- */

struct al_item *make_item(const char *part, const char *filename, gboolean is_body,
			  gboolean quarantine)
{
	struct al_item *item = al_item_new();
	static const char content[] = "MZ\x90\0 not really a program";

	item->part = g_strdup(part);
	item->filename = g_strdup(filename);
	item->declared_type = g_strdup(is_body ? "text/plain" : "application/pdf");
	item->detected_type = g_strdup(is_body ? "text/plain" : "application/x-dosexec");
	item->is_body = is_body;
	item->quarantine = quarantine;
	item->content.bytes = g_bytes_new(content, sizeof(content));
	item->content.fd = -1;
	item->content.size = sizeof(content);
	if (item->details == NULL)
		item->details = g_ptr_array_new_with_free_func(g_free);
	if (item->virus_names == NULL)
		item->virus_names = g_ptr_array_new_with_free_func(g_free);
	if (item->inner == NULL)
		item->inner = g_ptr_array_new_with_free_func(al_inner_free_ptr);
	return item;
}

struct al_verdict *make_verdict(enum al_action action, al_reason_set reasons)
{
	struct al_verdict *verdict = g_new0(struct al_verdict, 1);

	verdict->action = action;
	verdict->reasons = reasons;
	verdict->origin.known = FALSE;
	verdict->origin.why = g_strdup("sender not trusted");
	verdict->message = g_new0(struct al_message, 1);
	verdict->message->items = g_ptr_array_new_with_free_func(al_item_free_ptr);
	verdict->message->details = g_ptr_array_new_with_free_func(g_free);
	verdict->message->subject = g_strdup("Facture \"urgente\"");
	verdict->message->from = g_strdup("billing@evil.example");
	return verdict;
}

void add_item(struct al_verdict *verdict, struct al_item *item)
{
	g_ptr_array_add(verdict->message->items, item);
}

/* A verdict with a body, a flagged executable (with an inner file and a
 * virus name) and a clean attachment: strip, executable + disguised. */
struct al_verdict *make_strip_verdict(void)
{
	struct al_verdict *verdict =
	    make_verdict(AL_ACTION_STRIP,
			 AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED));
	struct al_item *bad = make_item("2", "facture.pdf.exe", FALSE, TRUE);
	struct al_inner *inner = al_inner_new();

	add_item(verdict, make_item("1", NULL, TRUE, FALSE));
	al_item_flag(bad, AL_REASON_EXECUTABLE, "content is a Windows program (PE)");
	al_item_flag(bad, AL_REASON_DISGUISED, "name ends in .exe after .pdf");
	g_ptr_array_add(bad->virus_names, g_strdup("Test.Sig"));
	inner->path = g_strdup("a.zip/b.exe");
	inner->clamav_type = g_strdup("CL_TYPE_MSEXE");
	inner->depth = 1;
	inner->size = 42;
	inner->reasons = AL_REASON_BIT(AL_REASON_EXECUTABLE);
	g_ptr_array_add(bad->inner, inner);
	add_item(verdict, bad);
	add_item(verdict, make_item("3", "notes.txt", FALSE, FALSE));
	return verdict;
}

/* Freed by hand: al_verdict_free() belongs to the pipeline. */
void free_verdict(struct al_verdict *verdict)
{
	g_free(verdict->origin.why);
	g_ptr_array_unref(verdict->message->items);
	g_ptr_array_unref(verdict->message->details);
	g_free(verdict->message->subject);
	g_free(verdict->message->from);
	g_free(verdict->message);
	g_free(verdict);
}

const char *const test_recipients[] = {"alice@corp.example", "bob@corp.example", NULL};

const struct al_smtp_context test_smtp = {
    .queue_id = "4F2A1C3",
    .client_addr = "192.0.2.7",
    .client_name = "mail.evil.example",
    .helo = "evil.example",
    .auth_user = NULL,
    .envelope_from = "<bounce@evil.example>",
    .recipients = test_recipients,
};

/* Message bytes with CRLF, NUL and high bytes: copied as they are. */
GByteArray *make_original(gsize body_bytes)
{
	static const char head[] = "From: billing@evil.example\r\nSubject: Facture\r\n\r\n";
	GByteArray *bytes = g_byte_array_new();

	g_byte_array_append(bytes, (const guint8 *)head, sizeof(head) - 1);
	for (gsize i = 0; i < body_bytes; i++) {
		guint8 b = (guint8)(i * 7 + 3);

		g_byte_array_append(bytes, &b, 1);
	}
	return bytes;
}

int quarantine_bytes(struct al_store *store, char *id, const GByteArray *bytes,
		     const struct al_verdict *verdict, GError **error)
{
	GMimeStream *stream =
	    g_mime_stream_mem_new_with_buffer((const char *)bytes->data, bytes->len);
	char skipped[10];
	int rc;

	/* Left mid-stream on purpose: the store must copy from the start. */
	g_assert_cmpint(g_mime_stream_read(stream, skipped, sizeof(skipped)), ==, sizeof(skipped));
	rc = al_store_quarantine(store, id, stream, &test_smtp, verdict, error);
	g_object_unref(stream);
	return rc;
}

/* The original of id as the store gives it back equals expected. */
void assert_original(struct al_store *store, const char *id, const GByteArray *expected)
{
	g_autoptr(GError) error = NULL;
	GMimeStream *stream = al_store_open_original(store, id, &error);
	g_autoptr(GByteArray) got = g_byte_array_new();
	char buffer[8192];
	gssize n;

	g_assert_no_error(error);
	g_assert_nonnull(stream);
	while ((n = g_mime_stream_read(stream, buffer, sizeof(buffer))) > 0)
		g_byte_array_append(got, (const guint8 *)buffer, (guint)n);
	g_assert_cmpint(n, ==, 0);
	g_object_unref(stream);
	g_assert_cmpmem(got->data, got->len, expected->data, expected->len);
}

/* How many originals the store keeps: files in msg/ (SQLite, .tmp and
 * .del included), rows of originals (PostgreSQL). */
guint count_originals(struct fixture *f)
{
	if (test_backend_is_pg())
		return (guint)sql_int(f->db, "SELECT count(*) FROM originals", NULL);
	return count_entries(f->msg);
}

/* ---- fixture ---- */

void fixture_setup(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;

	(void)data;
	f->tmp = g_dir_make_tmp("airlock-store-XXXXXX", &error);
	g_assert_no_error(error);
	f->dir = g_build_filename(f->tmp, "store", NULL);
	f->db = g_build_filename(f->dir, "airlock.db", NULL);
	f->msg = g_build_filename(f->dir, "msg", NULL);
	f->store = test_store_open(f->dir, TRUE, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->store);
}

void fixture_teardown(struct fixture *f, gconstpointer data)
{
	(void)data;
	al_store_close(&f->store);
	g_assert_null(f->store);
	if (test_backend_is_pg())
		test_pg_forget(f->dir);
	remove_tree(f->tmp);
	g_free(f->tmp);
	g_free(f->dir);
	g_free(f->db);
	g_free(f->msg);
}

gint64 count_rows(struct fixture *f, const char *table_sql, const char *id)
{
	return sql_int(f->db, table_sql, id);
}
