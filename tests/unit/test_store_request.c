/*
 * test_store_request.c - what recipients and the web admin leave in the
 * store: one recipient's view of a message, release requests (one
 * pending per recipient, decided once), "delete for me", admin
 * accounts, digest recipients and markers.
 */
#include "support/store_fixture.h"

#include <string.h>

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

static enum al_recipient_state state_of(struct fixture *f, const char *id, const char *address)
{
	struct al_store_message m;
	GError *error = NULL;
	enum al_recipient_state state;

	g_assert_cmpint(al_store_get_message_for(f->store, id, address, &m, &error), ==, 0);
	g_assert_no_error(error);
	state = m.recipient_state;
	al_store_message_clear(&m);
	return state;
}

static void test_get_message_for_only_its_recipients(struct fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_store_message m;
	GError *error = NULL;

	(void)data;
	quarantine_one(f, id);
	g_assert_cmpint(al_store_get_message_for(f->store, id, "ALICE@corp.example", &m, &error),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(m.recipient_state, ==, AL_RCPT_QUARANTINED);
	g_assert_cmpint(m.status, ==, AL_STATUS_QUARANTINED);
	g_assert_cmpuint(m.items->len, ==, 3);
	al_store_message_clear(&m);
	g_assert_cmpint(al_store_get_message_for(f->store, id, "carol@corp.example", &m, &error),
			==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_null(m.recipients);
	g_assert_cmpint(al_store_get_message_for(f->store, id, "alice@corp", &m, &error), ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
}

static void test_request_once_then_decided_once(struct fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;
	GPtrArray *pending;
	struct al_store_request *request = NULL;

	(void)data;
	quarantine_one(f, id);
	g_assert_cmpint(al_store_add_request(f->store, id, "Bob@Corp.example", "my lab results",
					     "bob@corp.example", &error),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(state_of(f, id, "bob@corp.example"), ==, AL_RCPT_REQUESTED);
	g_assert_cmpint(state_of(f, id, "alice@corp.example"), ==, AL_RCPT_QUARANTINED);

	g_assert_cmpint(al_store_add_request(f->store, id, "bob@corp.example", NULL,
					     "bob@corp.example", &error),
			==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_clear_error(&error);
	g_assert_cmpint(al_store_add_request(f->store, id, "carol@corp.example", NULL,
					     "carol@corp.example", &error),
			==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);

	pending = al_store_pending_requests(f->store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(pending->len, ==, 1);
	request = pending->pdata[0];
	g_assert_cmpstr(request->id, ==, id);
	g_assert_cmpstr(request->recipient, ==, "bob@corp.example");
	g_assert_cmpstr(request->note, ==, "my lab results");
	g_assert_cmpstr(request->subject, ==, "Facture \"urgente\"");
	g_assert_cmpuint(request->reasons & AL_REASON_BIT(AL_REASON_EXECUTABLE), !=, 0);
	g_ptr_array_unref(pending);
	g_assert_cmpint(al_store_get_request(f->store, id, "BOB@corp.example", &request, &error),
			==, 1);
	g_assert_cmpstr(request->recipient, ==, "bob@corp.example");
	al_store_request_free(request);

	g_assert_cmpint(al_store_decide_request(f->store, id, "bob@corp.example", FALSE, "admin",
						"not a lab we know", &error),
			==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(state_of(f, id, "bob@corp.example"), ==, AL_RCPT_DENIED);
	g_assert_cmpint(
	    al_store_decide_request(f->store, id, "bob@corp.example", TRUE, "admin", NULL, &error),
	    ==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_clear_error(&error);
	g_assert_cmpint(al_store_get_request(f->store, id, "bob@corp.example", NULL, &error), ==,
			0);
	pending = al_store_pending_requests(f->store, &error);
	g_assert_cmpuint(pending->len, ==, 0);
	g_ptr_array_unref(pending);
	/* Denied: may ask again. */
	g_assert_cmpint(al_store_add_request(f->store, id, "bob@corp.example", NULL,
					     "bob@corp.example", &error),
			==, 0);
	assert_sql_text(f->db,
			"SELECT group_concat(event || ':' || who || ':' || coalesce(detail, '-'),"
			" ',') FROM (SELECT * FROM events WHERE message_id = ? ORDER BY id) AS e",
			id,
			"quarantined:airlock:strip,"
			"release-requested:bob@corp.example:my lab results,"
			"request-denied:admin:not a lab we know,"
			"release-requested:bob@corp.example:-");
}

static void test_request_refused_once_released(struct fixture *f, gconstpointer data)
{
	const char *const bob[] = {"bob@corp.example", NULL};
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;
	char **claimed;

	(void)data;
	quarantine_one(f, id);
	claimed = al_store_claim_release(f->store, id, bob, "admin", &error);
	g_assert_no_error(error);
	g_strfreev(claimed);
	g_assert_cmpint(state_of(f, id, "bob@corp.example"), ==, AL_RCPT_RELEASED);
	g_assert_cmpint(al_store_add_request(f->store, id, "bob@corp.example", NULL,
					     "bob@corp.example", &error),
			==, -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_clear_error(&error);
}

static void test_dismiss_hides_from_that_recipient_only(struct fixture *f, gconstpointer data)
{
	struct al_store_filter alice = {.status = -1, .recipient = "alice@corp.example"};
	struct al_store_filter bob = {.status = -1, .recipient = "bob@corp.example"};
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;
	guint64 count;
	GPtrArray *list;

	(void)data;
	quarantine_one(f, id);
	g_assert_cmpint(
	    al_store_dismiss(f->store, id, "ALICE@corp.example", "alice@corp.example", &error), ==,
	    0);
	g_assert_no_error(error);
	g_assert_cmpint(
	    al_store_dismiss(f->store, id, "alice@corp.example", "alice@corp.example", &error), ==,
	    -1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE);
	g_clear_error(&error);
	g_assert_cmpint(al_store_dismiss(f->store, id, "carol@corp.example", "carol", &error), ==,
			-1);
	g_assert_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_cmpint(al_store_count(f->store, &alice, &count, &error), ==, 0);
	g_assert_cmpuint(count, ==, 0);
	list = al_store_list(f->store, &bob, &error);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_cmpint(((struct al_store_message *)list->pdata[0])->recipient_state, ==,
			AL_RCPT_QUARANTINED);
	g_ptr_array_unref(list);
	g_assert_cmpint(state_of(f, id, "alice@corp.example"), ==, AL_RCPT_DISMISSED);
}

static void test_admins_set_replace_get(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;
	char *hash = NULL;

	(void)data;
	g_assert_cmpint(al_store_get_admin(f->store, "root", &hash, &error), ==, 1);
	g_assert_null(hash);
	g_assert_cmpint(al_store_set_admin(f->store, "root", "$argon2id$one", &error), ==, 0);
	g_assert_cmpint(al_store_set_admin(f->store, "root", "$argon2id$two", &error), ==, 0);
	g_assert_cmpint(al_store_get_admin(f->store, "root", &hash, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(hash, ==, "$argon2id$two");
	g_free(hash);
	g_assert_cmpint(al_store_set_admin(f->store, "", "x", &error), ==, -1);
	g_clear_error(&error);
	g_assert_cmpint(sql_int(f->db, "SELECT count(*) FROM admins", NULL), ==, 1);
}

static void test_digest_recipients_and_markers(struct fixture *f, gconstpointer data)
{
	char old[AL_STORE_ID_LEN + 1], recent[AL_STORE_ID_LEN + 1];
	g_autofree char *sql = NULL;
	GError *error = NULL;
	gint64 at = 0;
	char **who;

	(void)data;
	quarantine_one(f, old);
	quarantine_one(f, recent);
	sql = g_strdup_printf("UPDATE messages SET received_at = 1000 WHERE id = '%s'", old);
	sql_exec(f->db, sql);
	g_assert_cmpint(al_store_dismiss(f->store, recent, "alice@corp.example", "alice", &error),
			==, 0);
	who = al_store_digest_recipients(f->store, 2000, G_MAXINT64, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(who), ==, 1);
	g_assert_cmpstr(who[0], ==, "bob@corp.example");
	g_strfreev(who);
	who = al_store_digest_recipients(f->store, 0, 2000, &error);
	g_assert_cmpuint(g_strv_length(who), ==, 2);
	g_strfreev(who);

	g_assert_cmpint(al_store_get_digest_sent(f->store, "bob@corp.example", &at, &error), ==, 0);
	g_assert_cmpint(al_store_set_digest_sent(f->store, "bob@corp.example", 5000, &error), ==,
			0);
	g_assert_cmpint(al_store_set_digest_sent(f->store, "bob@corp.example", 6000, &error), ==,
			0);
	g_assert_cmpint(al_store_get_digest_sent(f->store, "bob@corp.example", &at, &error), ==, 1);
	g_assert_cmpint(at, ==, 6000);
}

#define ADD_FIXTURE_TEST(path, fn)                                                                 \
	g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	ADD_FIXTURE_TEST("/store-request/get-for/only-its-recipients",
			 test_get_message_for_only_its_recipients);
	ADD_FIXTURE_TEST("/store-request/request/once-then-decided-once",
			 test_request_once_then_decided_once);
	ADD_FIXTURE_TEST("/store-request/request/refused-once-released",
			 test_request_refused_once_released);
	ADD_FIXTURE_TEST("/store-request/dismiss/that-recipient-only",
			 test_dismiss_hides_from_that_recipient_only);
	ADD_FIXTURE_TEST("/store-request/admins/set-replace-get", test_admins_set_replace_get);
	ADD_FIXTURE_TEST("/store-request/digest/recipients-and-markers",
			 test_digest_recipients_and_markers);
	return g_test_run();
}
