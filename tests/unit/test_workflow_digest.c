/*
 * test_workflow_digest.c - al_workflow_digest() with a real store: each
 * recipient with held messages in the period is mailed once, alone, with
 * their own link; nothing for a recipient with nothing (released to them,
 * dismissed, or older than the period); a second run sends only what is
 * new; the admin gets the pending requests once, again when one is new.
 */
#include "support/store_fixture.h"
#include "support/workflow_fixture.h"

#include "airlock/weblink.h"

#include <string.h>

#define SIGNATURES AL_SOURCE_DIR "/signatures"
#define DAY        86400

static const struct al_actor bob = {.kind = AL_ACTOR_RECIPIENT, .name = "bob@clinic.example"};

static void setup(struct wf_fixture *f, gconstpointer data)
{
	(void)data;
	wf_setup(f, SIGNATURES);
}

static void teardown(struct wf_fixture *f, gconstpointer data)
{
	(void)data;
	wf_teardown(f);
}

static void set_received(struct wf_fixture *f, const char *id, gint64 at)
{
	g_autofree char *db = g_build_filename(f->config->quarantine_dir, "airlock.db", NULL);
	g_autofree char *sql = g_strdup_printf(
	    "UPDATE messages SET received_at = %" G_GINT64_FORMAT " WHERE id = '%s'", at, id);

	sql_exec(db, sql);
}

static struct al_digest_result run(struct wf_fixture *f, gint64 now)
{
	struct al_digest_result result;
	GError *error = NULL;

	g_assert_cmpint(al_workflow_digest(f->workflow, DAY, now, &result, &error), ==, 0);
	g_assert_no_error(error);
	return result;
}

/* The decoded digest mailed to address (exactly one). */
static char *digest_to(struct wf_fixture *f, const char *address)
{
	g_autoptr(GDir) dir = g_dir_open(f->notices, 0, NULL);
	g_autofree char *want = g_strdup_printf("-- %s\n", address);
	char *found = NULL;
	const char *name;

	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(f->notices, name, NULL);
		g_autofree char *args = NULL;
		g_autofree char *mail_path = NULL;
		g_autofree char *mail = NULL;

		if (!g_str_has_suffix(name, ".args"))
			continue;
		g_assert_true(g_file_get_contents(path, &args, NULL, NULL));
		if (!g_str_has_suffix(args, want))
			continue;
		g_assert_null(found);
		mail_path =
		    g_strdup_printf("%.*s.eml", (int)(strlen(path) - strlen(".args")), path);
		g_assert_true(g_file_get_contents(mail_path, &mail, NULL, NULL));
		found = wf_decoded(mail);
	}
	g_assert_nonnull(found);
	return found;
}

static void test_each_recipient_once_with_their_link(struct wf_fixture *f, gconstpointer data)
{
	char recent[AL_STORE_ID_LEN + 1], old[AL_STORE_ID_LEN + 1];
	char released[AL_STORE_ID_LEN + 1];
	const char *const alice_only[] = {"alice@clinic.example", NULL};
	gint64 now;
	struct al_release_result rr;
	struct al_digest_result result;
	g_autofree char *bob_text = NULL;
	g_autofree char *alice_text = NULL;
	g_autofree char *address = NULL;
	const char *link;
	char token[400];

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, recent);
	wf_quarantine(f, WF_PDF_STRANGER, old);
	wf_quarantine(f, WF_PDF_STRANGER, released);
	now = g_get_real_time() / G_USEC_PER_SEC;
	set_received(f, old, now - 3 * DAY);
	g_assert_cmpint(
	    al_workflow_release(f->workflow, released, alice_only,
				&(struct al_actor){.kind = AL_ACTOR_ADMIN, .name = "root"}, 0, &rr,
				NULL),
	    ==, 0);
	al_release_result_clear(&rr);
	result = run(f, now + 1);
	g_assert_cmpuint(result.recipients, ==, 2);
	g_assert_cmpuint(result.messages, ==, 3); /* alice: recent; bob: recent, released */
	g_assert_cmpuint(result.requests, ==, 0);
	g_assert_cmpuint(wf_count(f->notices, ".eml"), ==, 2);

	bob_text = digest_to(f, "bob@clinic.example");
	g_assert_nonnull(strstr(bob_text, "Airlock held 2 message(s) for you"));
	g_assert_nonnull(strstr(bob_text, recent));
	g_assert_nonnull(strstr(bob_text, released));
	g_assert_null(strstr(bob_text, old));
	link = strstr(bob_text, "https://airlock.clinic.example/r/");
	g_assert_nonnull(link);
	g_assert_cmpint(sscanf(link, "https://airlock.clinic.example/r/%399[A-Za-z0-9_.-]", token),
			==, 1);
	g_assert_true(al_weblink_verify(&f->key, token, now, &address, NULL));
	g_assert_cmpstr(address, ==, "bob@clinic.example");
	alice_text = digest_to(f, "alice@clinic.example");
	g_assert_nonnull(strstr(alice_text, "Airlock held 1 message(s) for you"));
	g_assert_null(strstr(alice_text, released));

	/* The timer again the same day: nothing new, nothing sent. */
	result = run(f, now + 60);
	g_assert_cmpuint(result.recipients, ==, 0);
	g_assert_cmpuint(wf_count(f->notices, ".eml"), ==, 2);
}

static void test_nothing_for_a_recipient_with_nothing(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	struct al_digest_result result;
	GError *error = NULL;

	(void)data;
	result = run(f, now);
	g_assert_cmpuint(result.recipients, ==, 0);
	g_assert_cmpuint(wf_count(f->notices, ".eml"), ==, 0);
	wf_quarantine(f, WF_PDF_STRANGER, id);
	g_assert_cmpint(al_workflow_dismiss(f->workflow, id, &bob, &error), ==, 0);
	now = g_get_real_time() / G_USEC_PER_SEC;
	result = run(f, now + 1);
	g_assert_cmpuint(result.recipients, ==, 1); /* alice only */
	g_assert_cmpuint(wf_count(f->notices, ".eml"), ==, 1);
	g_free(digest_to(f, "alice@clinic.example"));
}

static void test_admin_gets_pending_requests_once(struct wf_fixture *f, gconstpointer data)
{
	char first[AL_STORE_ID_LEN + 1], second[AL_STORE_ID_LEN + 1];
	gint64 now;
	struct al_digest_result result;
	GError *error = NULL;
	g_autofree char *text = NULL;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, first);
	wf_quarantine(f, WF_PDF_STRANGER, second);
	g_assert_cmpint(al_workflow_request(f->workflow, first, &bob, "lab", &error), ==, 0);
	wf_clear(f->notices); /* the request's own mail to the admin */
	now = g_get_real_time() / G_USEC_PER_SEC;
	result = run(f, now + 1);
	g_assert_cmpuint(result.requests, ==, 1);
	text = digest_to(f, "admin@clinic.example");
	g_assert_nonnull(strstr(text, "Pending release requests"));
	g_assert_nonnull(strstr(text, first));
	g_assert_null(strstr(text, "/r/"));
	wf_clear(f->notices);
	result = run(f, now + 2);
	g_assert_cmpuint(result.requests, ==, 0);
	g_assert_cmpuint(wf_count(f->notices, ".eml"), ==, 0);
	/* A new request: the admin hears of both. */
	g_usleep(1100 * 1000); /* requested_at is in seconds */
	g_assert_cmpint(al_workflow_request(f->workflow, second, &bob, NULL, &error), ==, 0);
	wf_clear(f->notices);
	result = run(f, g_get_real_time() / G_USEC_PER_SEC + 3);
	g_assert_cmpuint(result.requests, ==, 2);
}

#define ADD(path, fn) g_test_add(path, struct wf_fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	ADD("/workflow-digest/each-recipient-once-with-link",
	    test_each_recipient_once_with_their_link);
	ADD("/workflow-digest/nothing-for-nothing", test_nothing_for_a_recipient_with_nothing);
	ADD("/workflow-digest/admin-pending-requests-once", test_admin_gets_pending_requests_once);
	return g_test_run();
}
