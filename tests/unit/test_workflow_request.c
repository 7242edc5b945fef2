/*
 * test_workflow_request.c - the request steps of workflow.h with a real
 * store and pipeline: a recipient's request mails the admin (fr and en),
 * once; the approval releases to that recipient only and closes it; the
 * denial needs a pending request and a reason and mails the recipient the
 * reason with their own link; "delete for me" and the admin's delete;
 * who may call what.
 */
#include "support/workflow_fixture.h"

#include "airlock/weblink.h"

#include <string.h>

#define SIGNATURES AL_SOURCE_DIR "/signatures"

static const struct al_actor admin = {
    .kind = AL_ACTOR_ADMIN, .name = "root", .from = "web 192.0.2.1"};
static const struct al_actor bob = {
    .kind = AL_ACTOR_RECIPIENT, .name = "bob@clinic.example", .from = "web 192.0.2.9"};

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

static void assert_error(int rc, GError **error, int code)
{
	g_assert_cmpint(rc, ==, -1);
	g_assert_error(*error, AL_WORKFLOW_ERROR, code);
	g_clear_error(error);
}

static void assert_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		g_error("no '%s' in:\n%s", part, text);
}

static void test_request_mails_admin_once(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;
	g_autofree char *raw = NULL;
	g_autofree char *mail = NULL;
	g_autofree char *args = NULL;
	GPtrArray *pending;

	(void)data;
	wf_quarantine(f, WF_EICAR, id);
	g_assert_cmpint(al_workflow_request(f->workflow, id, &bob, "from my lab", &error), ==, 0);
	g_assert_no_error(error);
	args = wf_only(f->notices, ".args");
	g_assert_cmpstr(args, ==, "-f  -- admin@clinic.example\n");
	raw = wf_only(f->notices, ".eml");
	mail = wf_decoded(raw);
	assert_contains(mail, "To: admin@clinic.example");
	assert_contains(mail, "Demande de libération");
	assert_contains(mail, "Release request");
	assert_contains(mail, id);
	assert_contains(mail, "bob@clinic.example");
	assert_contains(mail, "from my lab");
	pending = al_store_pending_requests(f->store, &error);
	g_assert_cmpuint(pending->len, ==, 1);
	g_ptr_array_unref(pending);

	assert_error(al_workflow_request(f->workflow, id, &bob, NULL, &error), &error,
		     AL_WORKFLOW_ERROR_STATE);
	assert_error(al_workflow_request(f->workflow, id, &admin, NULL, &error), &error,
		     AL_WORKFLOW_ERROR_NOT_ALLOWED);
	g_assert_cmpuint(wf_count(f->notices, ".eml"), ==, 1);
}

static void test_approve_releases_to_that_recipient(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_release_result result;
	GError *error = NULL;
	g_autofree char *args = NULL;
	g_autofree char *events = NULL;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	assert_error(
	    al_workflow_approve(f->workflow, id, "bob@clinic.example", &admin, 0, &result, &error),
	    &error, AL_WORKFLOW_ERROR_STATE); /* nothing asked yet */
	g_assert_cmpint(al_workflow_request(f->workflow, id, &bob, NULL, &error), ==, 0);
	assert_error(
	    al_workflow_approve(f->workflow, id, "bob@clinic.example", &bob, 0, &result, &error),
	    &error, AL_WORKFLOW_ERROR_NOT_ALLOWED);
	g_assert_cmpint(
	    al_workflow_approve(f->workflow, id, "bob@clinic.example", &admin, 0, &result, &error),
	    ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(result.released), ==, 1);
	al_release_result_clear(&result);
	args = wf_only(f->deliveries, ".args");
	g_assert_cmpstr(args, ==, "-f stranger@unknown.example -- bob@clinic.example\n");
	events = wf_events(f, id);
	g_assert_cmpstr(events, ==,
			"quarantined:airlock,release-requested:bob@clinic.example (web 192.0.2.9),"
			"released:root (web 192.0.2.1),request-approved:root (web 192.0.2.1)");
	g_assert_cmpint(al_store_get_request(f->store, id, "bob@clinic.example", NULL, &error), ==,
			0);
}

static void test_approve_of_a_virus_needs_force(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_release_result result;
	GError *error = NULL;

	(void)data;
	wf_quarantine(f, WF_EICAR, id);
	g_assert_cmpint(al_workflow_request(f->workflow, id, &bob, NULL, &error), ==, 0);
	assert_error(
	    al_workflow_approve(f->workflow, id, "bob@clinic.example", &admin, 0, &result, &error),
	    &error, AL_WORKFLOW_ERROR_DANGEROUS);
	/* Still pending: the admin may force it, or deny it. */
	g_assert_cmpint(al_store_get_request(f->store, id, "bob@clinic.example", NULL, &error), ==,
			1);
	g_assert_cmpuint(wf_count(f->deliveries, ".eml"), ==, 0);
}

static void test_deny_mails_reason_and_link(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	GError *error = NULL;
	g_autofree char *raw = NULL;
	g_autofree char *mail = NULL;
	g_autofree char *address = NULL;
	const char *link;
	char token[400];

	(void)data;
	wf_quarantine(f, WF_EICAR, id);
	assert_error(al_workflow_deny(f->workflow, id, "bob@clinic.example", &admin, "no", &error),
		     &error, AL_WORKFLOW_ERROR_STATE); /* no request to deny */
	g_assert_cmpint(al_workflow_request(f->workflow, id, &bob, NULL, &error), ==, 0);
	wf_clear(f->notices); /* the admin's mail: the first test's */
	assert_error(al_workflow_deny(f->workflow, id, "bob@clinic.example", &admin, "  ", &error),
		     &error, AL_WORKFLOW_ERROR_NOT_ALLOWED);
	assert_error(al_workflow_deny(f->workflow, id, "bob@clinic.example", &bob, "x", &error),
		     &error, AL_WORKFLOW_ERROR_NOT_ALLOWED);
	g_assert_cmpint(al_workflow_deny(f->workflow, id, "bob@clinic.example", &admin,
					 "a known virus: ask the lab to send it again", &error),
			==, 0);
	g_assert_no_error(error);
	raw = wf_only(f->notices, ".eml");
	mail = wf_decoded(raw);
	assert_contains(mail, "To: bob@clinic.example");
	assert_contains(mail, "Libération refusée");
	assert_contains(mail, "Release denied");
	assert_contains(mail, "a known virus: ask the lab to send it again");
	link = strstr(mail, "https://airlock.clinic.example/r/");
	g_assert_nonnull(link);
	g_assert_cmpint(sscanf(link, "https://airlock.clinic.example/r/%399[A-Za-z0-9_.-]", token),
			==, 1);
	g_assert_true(
	    al_weblink_verify(&f->key, token, g_get_real_time() / G_USEC_PER_SEC, &address, NULL));
	g_assert_cmpstr(address, ==, "bob@clinic.example");
	assert_error(
	    al_workflow_deny(f->workflow, id, "bob@clinic.example", &admin, "again", &error),
	    &error, AL_WORKFLOW_ERROR_STATE);
}

static void test_dismiss_and_delete(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_recipient_rights rights;
	struct al_store_filter mine = {.status = -1, .recipient = "bob@clinic.example"};
	guint64 count = 9;
	GError *error = NULL;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	g_assert_cmpint(al_workflow_dismiss(f->workflow, id, &bob, &error), ==, 0);
	g_assert_no_error(error);
	assert_error(al_workflow_dismiss(f->workflow, id, &bob, &error), &error,
		     AL_WORKFLOW_ERROR_STATE);
	g_assert_cmpint(al_workflow_rights(f->workflow, id, bob.name, &rights, &error), ==, 0);
	g_assert_false(rights.can_dismiss);
	g_assert_cmpint(al_store_count(f->store, &mine, &count, &error), ==, 0);
	g_assert_cmpuint(count, ==, 0);

	assert_error(al_workflow_delete(f->workflow, id, &bob, &error), &error,
		     AL_WORKFLOW_ERROR_NOT_ALLOWED);
	g_assert_cmpint(al_workflow_delete(f->workflow, id, &admin, &error), ==, 0);
	assert_error(al_workflow_delete(f->workflow, id, &admin, &error), &error,
		     AL_WORKFLOW_ERROR_STATE);
	assert_error(al_workflow_request(f->workflow, id, &bob, NULL, &error), &error,
		     AL_WORKFLOW_ERROR_STATE);
}

#define ADD(path, fn) g_test_add(path, struct wf_fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	ADD("/workflow-request/request/mails-admin-once", test_request_mails_admin_once);
	ADD("/workflow-request/approve/releases-to-that-recipient",
	    test_approve_releases_to_that_recipient);
	ADD("/workflow-request/approve/virus-needs-force", test_approve_of_a_virus_needs_force);
	ADD("/workflow-request/deny/mails-reason-and-link", test_deny_mails_reason_and_link);
	ADD("/workflow-request/dismiss-and-delete", test_dismiss_and_delete);
	return g_test_run();
}
