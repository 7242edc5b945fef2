/*
 * test_store_admin.c - what the admin does to quarantined messages: read
 * one with its items and events, list with filters, release (claim,
 * unclaim, two claims at once), the milter's one-use release tokens,
 * delete and purge (files gone, audit rows kept).
 */
#include "support/store_fixture.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

/* Quarantines a strip verdict's message under a new id in id_r. */
static void quarantine_one(struct fixture *f, char id_r[AL_STORE_ID_LEN + 1])
{
	static guint serial;
	/* Other bytes each time: the same ones would be a retry (stored once). */
	g_autoptr(GByteArray) original = make_original(100 + serial++);
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

static gboolean original_exists(struct fixture *f, const char *id)
{
	g_autofree char *path = al_store_original_path(f->store, id);

	if (test_backend_is_pg())
		return sql_int(f->db, "SELECT count(*) FROM originals WHERE message_id = ?", id) > 0;
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

static void test_store_get_message_has_items_and_events(struct fixture *f, gconstpointer data)
{
	struct al_store_message m = {0};
	const struct al_store_item *bad;
	GError *error = NULL;
	char id[AL_STORE_ID_LEN + 1];

	(void)data;
	quarantine_one(f, id);
	g_assert_cmpint(al_store_get_message(f->store, id, &m, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(m.items->len, ==, 3);
	bad = m.items->pdata[1];
	g_assert_cmpstr(bad->part, ==, "2");
	g_assert_cmpstr(bad->filename, ==, "facture.pdf.exe");
	g_assert_cmpstr(bad->detected_type, ==, "application/x-dosexec");
	g_assert_cmpuint(bad->reasons, ==,
			 AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED));
	g_assert_true(bad->quarantined);
	g_assert_cmpuint(g_strv_length(bad->details), ==, 2);
	g_assert_cmpstr(bad->details[0], ==, "content is a Windows program (PE)");
	g_assert_cmpstr(bad->details[1], ==, "name ends in .exe after .pdf");
	g_assert_cmpuint(g_strv_length(bad->viruses), ==, 1);
	g_assert_cmpstr(bad->viruses[0], ==, "Test.Sig");
	g_assert_nonnull(strstr(bad->inner_json, "\"path\":\"a.zip/b.exe\""));
	g_assert_cmpuint(g_strv_length(bad->inner), ==, 1);
	g_assert_cmpstr(bad->inner[0], ==, "a.zip/b.exe (CL_TYPE_MSEXE): executable");
	g_assert_false(((struct al_store_item *)m.items->pdata[2])->quarantined);
	g_assert_cmpuint(g_strv_length(((struct al_store_item *)m.items->pdata[2])->details), ==,
			 0);
	g_assert_cmpuint(m.events->len, ==, 1);
	g_assert_cmpstr(((struct al_store_event *)m.events->pdata[0])->event, ==, "quarantined");
	g_assert_cmpuint(g_strv_length(m.released_to), ==, 0);
	al_store_message_clear(&m);
}

#define VIRUS     AL_REASON_BIT(AL_REASON_VIRUS)
#define DISGUISED AL_REASON_BIT(AL_REASON_DISGUISED)

static guint list_count(struct fixture *f, const struct al_store_filter *filter)
{
	GError *error = NULL;
	GPtrArray *list = al_store_list(f->store, filter, &error);
	struct al_store_filter all = *filter;
	guint64 count = 0;
	guint n;

	g_assert_no_error(error);
	g_assert_nonnull(list);
	n = list->len;
	g_ptr_array_unref(list);
	/* The count for paging: what the list gives without limit and offset. */
	all.limit = all.offset = 0;
	g_assert_cmpint(al_store_count(f->store, &all, &count, &error), ==, 0);
	g_assert_no_error(error);
	if (filter->limit == 0 && filter->offset == 0)
		g_assert_cmpuint(count, ==, n);
	return n;
}

static void test_store_list_filters_and_orders_newest_first(struct fixture *f, gconstpointer data)
{
	char ids[3][AL_STORE_ID_LEN + 1];
	GError *error = NULL;
	GPtrArray *list;

	(void)data;
	for (int i = 0; i < 3; i++) {
		quarantine_one(f, ids[i]);
		g_usleep(2000); /* ids sort by millisecond */
	}
	set_received_at(f, ids[0], 1000);
	g_assert_cmpint(al_store_delete(f->store, ids[1], "admin", &error), ==, 0);
	g_assert_no_error(error);

	list = al_store_list(f->store, &(struct al_store_filter)AL_STORE_FILTER_INIT, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 3);
	g_assert_cmpstr(((struct al_store_message *)list->pdata[0])->id, ==, ids[2]);
	g_assert_cmpstr(((struct al_store_message *)list->pdata[2])->id, ==, ids[0]);
	g_assert_cmpuint(((struct al_store_message *)list->pdata[0])->items->len, ==, 3);
	g_assert_null(((struct al_store_message *)list->pdata[0])->events);
	g_ptr_array_unref(list);

	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .since = 2000}), ==,
			 2);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .until = 2000}), ==,
			 1);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = AL_STATUS_DELETED}), ==,
			 1);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = AL_STATUS_QUARANTINED}),
			 ==, 2);
	g_assert_cmpuint(
	    list_count(f, &(struct al_store_filter){.status = -1, .reasons = DISGUISED}), ==, 3);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .reasons = VIRUS}),
			 ==, 0);
	g_assert_cmpuint(
	    list_count(f, &(struct al_store_filter){.status = -1, .reasons = VIRUS | DISGUISED}),
	    ==, 3);
	g_assert_cmpuint(
	    list_count(f, &(struct al_store_filter){.status = -1, .from = "EVIL.example"}), ==, 3);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .from = "nobody"}),
			 ==, 0);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .from = "%"}), ==,
			 0);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .rcpt = "bob@"}), ==,
			 3);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .rcpt = "carol"}),
			 ==, 0);
	/* recipient: the whole address, any case, not a part of it. */
	g_assert_cmpuint(
	    list_count(f, &(struct al_store_filter){.status = -1, .recipient = "BOB@corp.example"}),
	    ==, 3);
	g_assert_cmpuint(
	    list_count(f, &(struct al_store_filter){.status = -1, .recipient = "bob@"}), ==, 0);
	g_assert_cmpuint(list_count(f, &(struct al_store_filter){.status = -1, .limit = 2}), ==, 2);
	list = al_store_list(
	    f->store, &(struct al_store_filter){.status = -1, .limit = 2, .offset = 2}, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpstr(((struct al_store_message *)list->pdata[0])->id, ==, ids[0]);
	g_ptr_array_unref(list);
}

static void test_store_release_all_then_again_is_refused(struct fixture *f, gconstpointer data)
{
	g_autofree char *expected = NULL;
	struct al_store_message m = {0};
	GError *error = NULL;
	char id[AL_STORE_ID_LEN + 1];
	char **claimed;

	(void)data;
	quarantine_one(f, id);
	claimed = al_store_claim_release(f->store, id, NULL, "admin", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(claimed), ==, 2);
	g_assert_cmpstr(claimed[0], ==, "alice@corp.example");
	g_assert_cmpstr(claimed[1], ==, "bob@corp.example");
	g_strfreev(claimed);

	g_assert_null(al_store_claim_release(f->store, id, NULL, "admin2", &error));
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	expected = g_strdup_printf("%s is already released", id);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);

	g_assert_cmpint(al_store_get_message(f->store, id, &m, &error), ==, 0);
	g_assert_cmpint(m.status, ==, AL_STATUS_RELEASED);
	g_assert_cmpuint(g_strv_length(m.released_to), ==, 2);
	g_assert_cmpstr(((struct al_store_event *)m.events->pdata[1])->event, ==, "released");
	g_assert_cmpstr(((struct al_store_event *)m.events->pdata[1])->who, ==, "admin");
	g_assert_cmpstr(((struct al_store_event *)m.events->pdata[1])->detail, ==,
			"alice@corp.example, bob@corp.example");
	al_store_message_clear(&m);
}

static void test_store_release_to_some_recipients(struct fixture *f, gconstpointer data)
{
	const char *const bob[] = {"BOB@corp.example", NULL};
	const char *const carol[] = {"carol@corp.example", NULL};
	struct al_store_message m = {0};
	GError *error = NULL;
	char id[AL_STORE_ID_LEN + 1];
	char **claimed;

	(void)data;
	quarantine_one(f, id);
	g_assert_null(al_store_claim_release(f->store, id, carol, "admin", &error));
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_assert_nonnull(strstr(error->message, "carol@corp.example is not a recipient of"));
	g_clear_error(&error);

	claimed = al_store_claim_release(f->store, id, bob, "admin", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(claimed[0], ==, "bob@corp.example"); /* as stored */
	g_strfreev(claimed);
	g_assert_null(al_store_claim_release(f->store, id, bob, "admin", &error));
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_assert_nonnull(strstr(error->message, "was already released to bob@corp.example"));
	g_clear_error(&error);

	g_assert_cmpint(al_store_get_message(f->store, id, &m, &error), ==, 0);
	g_assert_cmpint(m.status, ==, AL_STATUS_QUARANTINED); /* alice still waits */
	al_store_message_clear(&m);
	claimed = al_store_claim_release(f->store, id, NULL, "admin", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(claimed), ==, 1);
	g_assert_cmpstr(claimed[0], ==, "alice@corp.example");
	g_strfreev(claimed);
	g_assert_cmpint(al_store_get_message(f->store, id, &m, &error), ==, 0);
	g_assert_cmpint(m.status, ==, AL_STATUS_RELEASED);
	al_store_message_clear(&m);
}

static void test_store_unclaim_gives_the_release_back(struct fixture *f, gconstpointer data)
{
	struct al_store_message m = {0};
	GError *error = NULL;
	char id[AL_STORE_ID_LEN + 1];
	char **claimed;

	(void)data;
	quarantine_one(f, id);
	claimed = al_store_claim_release(f->store, id, NULL, "admin", &error);
	g_assert_no_error(error);
	g_assert_cmpint(al_store_unclaim_release(f->store, id, (const char *const *)claimed,
						 "admin", "sendmail exited 75", &error),
			==, 0);
	g_assert_no_error(error);
	g_strfreev(claimed);
	g_assert_cmpint(al_store_get_message(f->store, id, &m, &error), ==, 0);
	g_assert_cmpint(m.status, ==, AL_STATUS_QUARANTINED);
	g_assert_cmpuint(g_strv_length(m.released_to), ==, 0);
	g_assert_cmpuint(m.events->len, ==, 3);
	g_assert_cmpstr(((struct al_store_event *)m.events->pdata[2])->event, ==, "release-failed");
	g_assert_cmpstr(((struct al_store_event *)m.events->pdata[2])->detail, ==,
			"sendmail exited 75");
	al_store_message_clear(&m);
	claimed = al_store_claim_release(f->store, id, NULL, "admin", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(claimed), ==, 2);
	g_strfreev(claimed);
}

struct race {
	const char *dir;
	const char *id;
	gint wins;
	gint refusals;
};

/* Each thread opens its own connection, as two airlockctl would. */
static gpointer claim_in_thread(gpointer data)
{
	struct race *race = data;
	GError *error = NULL;
	struct al_store *store = test_store_open(race->dir, FALSE, &error);
	char **claimed;

	g_assert_no_error(error);
	claimed = al_store_claim_release(store, race->id, NULL, "admin", &error);
	if (claimed != NULL)
		g_atomic_int_inc(&race->wins);
	else if (g_error_matches(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE))
		g_atomic_int_inc(&race->refusals);
	g_clear_error(&error);
	g_strfreev(claimed);
	al_store_close(&store);
	return NULL;
}

static void test_store_two_releases_at_once_release_once(struct fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct race race = {.dir = f->dir, .id = id};
	GThread *threads[8];

	(void)data;
	quarantine_one(f, id);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("claim", claim_in_thread, &race);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	g_assert_cmpint(race.wins, ==, 1);
	g_assert_cmpint(race.refusals, ==, (gint)G_N_ELEMENTS(threads) - 1);
	g_assert_cmpint(sql_int(f->db,
				"SELECT count(*) FROM events WHERE event = 'released'"
				" AND message_id = ?",
				id),
			==, 1);
}

static void test_store_release_token_passes_once(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	char id[AL_STORE_ID_LEN + 1];

	(void)data;
	quarantine_one(f, id);
	g_assert_cmpint(al_store_use_release(f->store, id, "v=1; mac=aa", "QID1", &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(al_store_use_release(f->store, id, "v=1; mac=aa", "QID2", &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_clear_error(&error);
	g_assert_cmpint(al_store_use_release(f->store, id, "v=1; mac=bb", "QID3", &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(sql_int(f->db,
				"SELECT count(*) FROM events WHERE event = 'delivered'"
				" AND message_id = ?",
				id),
			==, 2);
	g_assert_cmpint(
	    al_store_use_release(f->store, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "x", "Q", &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
}

static void test_store_delete_removes_file_keeps_rows(struct fixture *f, gconstpointer data)
{
	struct al_store_message m = {0};
	GError *error = NULL;
	char id[AL_STORE_ID_LEN + 1];

	(void)data;
	quarantine_one(f, id);
	g_assert_true(original_exists(f, id));
	g_assert_cmpint(al_store_delete(f->store, id, "admin", &error), ==, 0);
	g_assert_no_error(error);
	g_assert_false(original_exists(f, id));
	g_assert_cmpuint(count_originals(f), ==, 0);
	g_assert_cmpint(al_store_get_message(f->store, id, &m, &error), ==, 0);
	g_assert_cmpint(m.status, ==, AL_STATUS_DELETED);
	g_assert_cmpuint(m.items->len, ==, 3);
	g_assert_cmpstr(((struct al_store_event *)m.events->pdata[1])->event, ==, "deleted");
	al_store_message_clear(&m);

	g_assert_cmpint(al_store_delete(f->store, id, "admin", &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_clear_error(&error);
	g_assert_cmpint(al_store_delete(f->store, "not-an-id", "admin", &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
}

static void test_store_delete_failure_changes_nothing(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	g_autofree char *aside = NULL;
	GError *error = NULL;
	char id[AL_STORE_ID_LEN + 1];

	(void)data;
	quarantine_one(f, id);
	/* A directory where the file would be set aside: rename fails. */
	path = al_store_original_path(f->store, id);
	aside = g_strconcat(path, ".del", NULL);
	g_assert_cmpint(g_mkdir(aside, 0700), ==, 0);
	g_assert_cmpint(al_store_delete(f->store, id, "admin", &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_clear_error(&error);
	g_assert_true(original_exists(f, id));
	g_assert_cmpint(sql_int(f->db,
				"SELECT count(*) FROM messages WHERE id = ?"
				" AND status = 'quarantined'",
				id),
			==, 1);
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM events WHERE message_id = ?", id), ==,
			1);
	g_assert_cmpint(g_rmdir(aside), ==, 0);
}

static void test_store_purge_removes_old_files_keeps_audit(struct fixture *f, gconstpointer data)
{
	char old_id[AL_STORE_ID_LEN + 1], released_id[AL_STORE_ID_LEN + 1];
	char new_id[AL_STORE_ID_LEN + 1];
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *stray =
	    g_build_filename(f->msg, "01ARZ3NDEKTSV4RRFFQ69G5FAV.eml.tmp", NULL);
	struct utimbuf times = {.actime = 1000, .modtime = 1000};
	GError *error = NULL;
	char **claimed;
	guint purged = 99;

	(void)data;
	quarantine_one(f, old_id);
	quarantine_one(f, released_id);
	quarantine_one(f, new_id);
	claimed = al_store_claim_release(f->store, released_id, NULL, "admin", &error);
	g_strfreev(claimed);
	set_received_at(f, old_id, now - 40 * 86400);
	set_received_at(f, released_id, now - 31 * 86400);
	if (!test_backend_is_pg()) { /* a .tmp left in msg/ by a failed write */
		g_assert_true(g_file_set_contents(stray, "partial", -1, NULL));
		g_assert_cmpint(utime(stray, &times), ==, 0);
	}

	g_assert_cmpint(al_store_purge(f->store, now - 30 * 86400, "admin", &purged, &error), ==,
			0);
	g_assert_no_error(error);
	g_assert_cmpuint(purged, ==, 2);
	g_assert_false(original_exists(f, old_id));
	g_assert_false(original_exists(f, released_id));
	g_assert_true(original_exists(f, new_id));
	g_assert_false(g_file_test(stray, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(count_originals(f), ==, 1); /* the new one */
	g_assert_cmpint(sql_int(f->db,
				"SELECT count(*) FROM messages WHERE status = 'purged'"
				" AND id <> ?",
				new_id),
			==, 2);
	g_assert_cmpint(sql_int(f->db,
				"SELECT count(*) FROM events WHERE event = 'purged'"
				" AND message_id <> ?",
				new_id),
			==, 2);
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM items WHERE message_id = ?", old_id),
			==, 3);
	/* Again: nothing left to purge. */
	g_assert_cmpint(al_store_purge(f->store, now - 30 * 86400, "admin", &purged, &error), ==,
			0);
	g_assert_cmpuint(purged, ==, 0);
}

/* The MTA retries a message whose answer was lost (daemon killed after
 * the commit): the same bytes, sender and recipients are not stored
 * twice; the existing message gets a "received-again" event. */
static void test_store_retried_message_is_stored_once(struct fixture *f, gconstpointer data)
{
	g_autoptr(GByteArray) original = make_original(100);
	g_autoptr(GByteArray) other = make_original(101);
	struct al_verdict *verdict = make_strip_verdict();
	char first[AL_STORE_ID_LEN + 1], again[AL_STORE_ID_LEN + 1];
	char different[AL_STORE_ID_LEN + 1];
	g_autofree char *again_new = NULL;
	GError *error = NULL;

	(void)data;
	al_store_new_id(first);
	g_assert_cmpint(quarantine_bytes(f->store, first, original, verdict, &error), ==, 0);
	al_store_new_id(again);
	again_new = g_strdup(again);
	g_assert_cmpint(quarantine_bytes(f->store, again, original, verdict, &error), ==, 1);
	g_assert_no_error(error);
	g_assert_cmpstr(again, ==, first);
	g_assert_false(original_exists(f, again_new));
	g_assert_cmpuint(count_originals(f), ==, 1);
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM messages WHERE id <> ?", first), ==,
			0);
	g_assert_cmpint(sql_int(f->db,
				"SELECT count(*) FROM events WHERE event = 'received-again'"
				" AND message_id = ?",
				first),
			==, 1);
	/* Other bytes are another message. */
	al_store_new_id(different);
	g_assert_cmpint(quarantine_bytes(f->store, different, other, verdict, &error), ==, 0);
	g_assert_cmpuint(count_originals(f), ==, 2);
	/* Once released, the same bytes again are a new quarantine. */
	g_strfreev(al_store_claim_release(f->store, first, NULL, "admin", &error));
	g_assert_no_error(error);
	al_store_new_id(again);
	g_assert_cmpint(quarantine_bytes(f->store, again, original, verdict, &error), ==, 0);
	g_assert_cmpstr(again, !=, first);
	free_verdict(verdict);
}

#define ADD_FIXTURE_TEST(path, fn)                                                                 \
	g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	ADD_FIXTURE_TEST("/store-admin/get/items-and-events",
			 test_store_get_message_has_items_and_events);
	ADD_FIXTURE_TEST("/store-admin/list/filters-newest-first",
			 test_store_list_filters_and_orders_newest_first);
	ADD_FIXTURE_TEST("/store-admin/release/all-then-again-refused",
			 test_store_release_all_then_again_is_refused);
	ADD_FIXTURE_TEST("/store-admin/release/some-recipients",
			 test_store_release_to_some_recipients);
	ADD_FIXTURE_TEST("/store-admin/release/unclaim", test_store_unclaim_gives_the_release_back);
	ADD_FIXTURE_TEST("/store-admin/release/two-at-once-release-once",
			 test_store_two_releases_at_once_release_once);
	ADD_FIXTURE_TEST("/store-admin/release/token-passes-once",
			 test_store_release_token_passes_once);
	ADD_FIXTURE_TEST("/store-admin/quarantine/retried-message-stored-once",
			 test_store_retried_message_is_stored_once);
	ADD_FIXTURE_TEST("/store-admin/delete/removes-file-keeps-rows",
			 test_store_delete_removes_file_keeps_rows);
	if (!test_backend_is_pg()) /* msg/ID.eml.del: SQLite's */
		ADD_FIXTURE_TEST("/store-admin/delete/failure-changes-nothing",
			 test_store_delete_failure_changes_nothing);
	ADD_FIXTURE_TEST("/store-admin/purge/old-files-removed-audit-kept",
			 test_store_purge_removes_old_files_keeps_audit);
	return g_test_run();
}
