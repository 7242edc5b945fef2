/*
 * test_workflow.c - al_workflow_release() with a real store, the real
 * pipeline (libclamav with Airlock's signatures) and release_command a
 * script that records what it is handed: what is delivered and to whom,
 * every refusal (not found, already released, virus without force, a
 * recipient beyond self_release, another recipient's id), every failure
 * step (no scanner, unreadable original, the MTA refusing, then a second
 * try that works) and two releases at once delivering once.
 */
#include "support/workflow_fixture.h"

#include <glib/gstdio.h>
#include <string.h>

#define SIGNATURES AL_SOURCE_DIR "/signatures"

static const struct al_actor admin = {.kind = AL_ACTOR_ADMIN, .name = "root", .from = "cli"};
static const struct al_actor alice = {
    .kind = AL_ACTOR_RECIPIENT, .name = "Alice@Clinic.example", .from = "web 192.0.2.7"};
static const struct al_actor carol = {
    .kind = AL_ACTOR_RECIPIENT, .name = "carol@clinic.example", .from = "web 192.0.2.8"};

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

static enum al_store_status status_of(struct wf_fixture *f, const char *id)
{
	struct al_store_message m;
	enum al_store_status status;

	g_assert_cmpint(al_store_get_message(f->store, id, &m, NULL), ==, 0);
	status = m.status;
	al_store_message_clear(&m);
	return status;
}

/* Releases and expects the error code; nothing delivered. */
static void assert_refused(struct wf_fixture *f, const char *id, const char *const *only,
			   const struct al_actor *actor, unsigned flags, int code,
			   const char *words)
{
	struct al_release_result result;
	GError *error = NULL;
	guint before = wf_count(f->deliveries, ".eml");

	g_assert_cmpint(al_workflow_release(f->workflow, id, only, actor, flags, &result, &error),
			==, -1);
	g_assert_error(error, AL_WORKFLOW_ERROR, code);
	if (words != NULL && strstr(error->message, words) == NULL)
		g_error("'%s' lacks '%s'", error->message, words);
	g_assert_null(result.released);
	g_assert_null(result.forced);
	g_clear_error(&error);
	g_assert_cmpuint(wf_count(f->deliveries, ".eml"), ==, before);
}

static void test_admin_release_delivers_signed_original_once(struct wf_fixture *f,
							     gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_release_result result;
	GError *error = NULL;
	g_autofree char *original = NULL;
	g_autofree char *delivered = NULL;
	g_autofree char *args = NULL;
	g_autofree char *events = NULL;
	const char *body;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	g_assert_cmpint(al_workflow_release(f->workflow, id, NULL, &admin, 0, &result, &error), ==,
			0);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(result.released), ==, 2);
	g_assert_cmpstr(result.released[0], ==, "alice@clinic.example");
	g_assert_null(result.forced);
	al_release_result_clear(&result);

	original = test_read_original(f->store, id);
	delivered = wf_only(f->deliveries, ".eml");
	g_assert_true(g_str_has_prefix(delivered, AL_RELEASE_HEADER ": v=1; id="));
	body = strstr(delivered, "\r\n");
	g_assert_nonnull(body);
	g_assert_cmpstr(body + 2, ==, original); /* byte for byte after our header */
	args = wf_only(f->deliveries, ".args");
	g_assert_cmpstr(args, ==,
			"-f stranger@unknown.example -- alice@clinic.example bob@clinic.example\n");
	g_assert_cmpint(status_of(f, id), ==, AL_STATUS_RELEASED);
	events = wf_events(f, id);
	g_assert_cmpstr(events, ==, "quarantined:airlock,released:root (cli)");

	assert_refused(f, id, NULL, &admin, 0, AL_WORKFLOW_ERROR_STATE, "is already released");
}

static void test_refusals(struct wf_fixture *f, gconstpointer data)
{
	char pdf[AL_STORE_ID_LEN + 1], virus[AL_STORE_ID_LEN + 1], unknown[AL_STORE_ID_LEN + 1];
	const char *const eve[] = {"eve@clinic.example", NULL};

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, pdf);
	wf_quarantine(f, WF_EICAR, virus);
	al_store_new_id(unknown);
	assert_refused(f, unknown, NULL, &admin, 0, AL_WORKFLOW_ERROR_NOT_FOUND, unknown);
	assert_refused(f, "../../etc/passwd", NULL, &admin, 0, AL_WORKFLOW_ERROR_NOT_FOUND, NULL);
	assert_refused(f, virus, NULL, &admin, 0, AL_WORKFLOW_ERROR_DANGEROUS, "virus");
	assert_refused(f, virus, NULL, &alice, AL_WORKFLOW_FORCE, AL_WORKFLOW_ERROR_DANGEROUS,
		       "virus");
	assert_refused(f, pdf, eve, &admin, 0, AL_WORKFLOW_ERROR_STATE, "is not a recipient");
	/* Another recipient's id: as if it did not exist. */
	assert_refused(f, pdf, NULL, &carol, 0, AL_WORKFLOW_ERROR_NOT_FOUND, NULL);
	/* A reason self_release does not list. */
	f->config->web_self_release = 0;
	assert_refused(f, pdf, NULL, &alice, 0, AL_WORKFLOW_ERROR_NOT_ALLOWED, "unknown-origin");
	g_assert_cmpint(status_of(f, pdf), ==, AL_STATUS_QUARANTINED);
	g_assert_cmpint(status_of(f, virus), ==, AL_STATUS_QUARANTINED);
}

static void test_force_releases_a_virus_with_an_event(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_release_result result;
	GError *error = NULL;
	g_autofree char *events = NULL;

	(void)data;
	wf_quarantine(f, WF_EICAR, id);
	g_assert_cmpint(
	    al_workflow_release(f->workflow, id, NULL, &admin, AL_WORKFLOW_FORCE, &result, &error),
	    ==, 0);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(result.forced, "virus"));
	al_release_result_clear(&result);
	g_assert_cmpuint(wf_count(f->deliveries, ".eml"), ==, 1);
	events = wf_events(f, id);
	g_assert_cmpstr(events, ==, "quarantined:airlock,released:root (cli),forced:root (cli)");
}

static void test_recipient_self_release_only_to_them(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	const char *const bob[] = {"bob@clinic.example", NULL};
	struct al_release_result result;
	struct al_recipient_rights rights;
	GError *error = NULL;
	g_autofree char *args = NULL;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	g_assert_cmpint(al_workflow_rights(f->workflow, id, alice.name, &rights, &error), ==, 0);
	g_assert_true(rights.can_release);
	g_assert_true(rights.can_request);
	/* only is ignored for a recipient: their own address. */
	g_assert_cmpint(al_workflow_release(f->workflow, id, bob, &alice, 0, &result, &error), ==,
			0);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(result.released), ==, 1);
	g_assert_cmpstr(result.released[0], ==, "alice@clinic.example");
	al_release_result_clear(&result);
	args = wf_only(f->deliveries, ".args");
	g_assert_cmpstr(args, ==, "-f stranger@unknown.example -- alice@clinic.example\n");
	g_assert_cmpint(status_of(f, id), ==, AL_STATUS_QUARANTINED); /* bob still waits */
	assert_refused(f, id, NULL, &alice, 0, AL_WORKFLOW_ERROR_STATE, "already released");
	g_assert_cmpint(al_workflow_rights(f->workflow, id, alice.name, &rights, &error), ==, 0);
	g_assert_false(rights.can_release);
	g_assert_false(rights.can_request);
}

static void test_virus_gives_a_recipient_no_right(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_recipient_rights rights;
	GError *error = NULL;

	(void)data;
	wf_quarantine(f, WF_EICAR, id);
	g_assert_cmpint(al_workflow_rights(f->workflow, id, alice.name, &rights, &error), ==, 0);
	g_assert_false(rights.can_release);
	g_assert_true(rights.can_request);
	g_assert_true(rights.can_dismiss);
	g_assert_cmpint(al_workflow_rights(f->workflow, id, carol.name, &rights, &error), ==, -1);
	g_assert_error(error, AL_WORKFLOW_ERROR, AL_WORKFLOW_ERROR_NOT_FOUND);
	g_clear_error(&error);
}

static void test_no_scanner_releases_nothing(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	g_autofree char *events = NULL;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	g_free(f->config->signatures_dir);
	f->config->signatures_dir = g_build_filename(f->tmp, "missing-signatures", NULL);
	assert_refused(f, id, NULL, &admin, 0, AL_WORKFLOW_ERROR_RESCAN, "scanner");
	g_assert_cmpint(status_of(f, id), ==, AL_STATUS_QUARANTINED);
	events = wf_events(f, id);
	g_assert_cmpstr(events, ==, "quarantined:airlock");
}

static void test_unreadable_original_releases_nothing(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	g_autofree char *path = NULL;
	g_autofree char *aside = NULL;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	if (test_backend_is_pg()) {
		test_pg_run(f->config->quarantine_dir, "DELETE FROM originals WHERE message_id = ?1",
			    id, NULL, 0);
	} else {
		path = al_store_original_path(f->store, id);
		aside = g_strconcat(path, ".aside", NULL);
		g_assert_cmpint(g_rename(path, aside), ==, 0);
	}
	assert_refused(f, id, NULL, &admin, 0, AL_WORKFLOW_ERROR_STORE, "cannot read");
	g_assert_cmpint(status_of(f, id), ==, AL_STATUS_QUARANTINED);
}

static void test_mta_refuses_claim_given_back_then_retry(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_release_result result;
	GError *error = NULL;
	g_autofree char *events = NULL;

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	g_assert_true(g_file_set_contents(f->refuse_flag, "", 0, NULL));
	assert_refused(f, id, NULL, &admin, 0, AL_WORKFLOW_ERROR_DELIVERY, "refused");
	g_assert_cmpint(status_of(f, id), ==, AL_STATUS_QUARANTINED);
	g_assert_cmpint(g_unlink(f->refuse_flag), ==, 0);
	g_assert_cmpint(al_workflow_release(f->workflow, id, NULL, &admin, 0, &result, &error), ==,
			0);
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(result.released), ==, 2);
	al_release_result_clear(&result);
	g_assert_cmpuint(wf_count(f->deliveries, ".eml"), ==, 1);
	events = wf_events(f, id);
	g_assert_cmpstr(events, ==,
			"quarantined:airlock,released:root (cli),release-failed:root (cli),"
			"released:root (cli)");
}

struct racer {
	struct wf_fixture *f;
	const char *id;
	GMutex *lock;
	GCond *cond;
	gboolean *go;
	int rc;
	int code;
};

/* Its own store connection and workflow, as another process would. */
static gpointer race(gpointer data)
{
	struct racer *r = data;
	struct al_store *store = test_store_open(r->f->config->quarantine_dir, FALSE, NULL);
	struct al_workflow *workflow = al_workflow_new(r->f->config, store);
	struct al_release_result result;
	GError *error = NULL;

	g_mutex_lock(r->lock);
	while (!*r->go)
		g_cond_wait(r->cond, r->lock);
	g_mutex_unlock(r->lock);
	r->rc = al_workflow_release(workflow, r->id, NULL, &admin, 0, &result, &error);
	r->code = error != NULL ? error->code : -1;
	g_clear_error(&error);
	al_release_result_clear(&result);
	al_workflow_free(&workflow);
	al_store_close(&store);
	return NULL;
}

static void test_two_releases_at_once_deliver_once(struct wf_fixture *f, gconstpointer data)
{
	char id[AL_STORE_ID_LEN + 1];
	GMutex lock;
	GCond cond;
	gboolean go = FALSE;
	struct racer racers[2];
	GThread *threads[2];

	(void)data;
	wf_quarantine(f, WF_PDF_STRANGER, id);
	g_mutex_init(&lock);
	g_cond_init(&cond);
	for (int i = 0; i < 2; i++) {
		racers[i] =
		    (struct racer){.f = f, .id = id, .lock = &lock, .cond = &cond, .go = &go};
		threads[i] = g_thread_new("release", race, &racers[i]);
	}
	g_mutex_lock(&lock);
	go = TRUE;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
	for (int i = 0; i < 2; i++)
		g_thread_join(threads[i]);
	g_assert_cmpint(racers[0].rc + racers[1].rc, ==, -1); /* one 0, one -1 */
	g_assert_cmpint(racers[racers[0].rc == 0 ? 1 : 0].code, ==, AL_WORKFLOW_ERROR_STATE);
	g_assert_cmpuint(wf_count(f->deliveries, ".eml"), ==, 1);
	g_mutex_clear(&lock);
	g_cond_clear(&cond);
}

#define ADD(path, fn) g_test_add(path, struct wf_fixture, NULL, setup, fn, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	ADD("/workflow/release/admin-delivers-signed-original-once",
	    test_admin_release_delivers_signed_original_once);
	ADD("/workflow/release/refusals", test_refusals);
	ADD("/workflow/release/force-virus-with-event", test_force_releases_a_virus_with_an_event);
	ADD("/workflow/release/recipient-self-release-only-to-them",
	    test_recipient_self_release_only_to_them);
	ADD("/workflow/rights/virus-no-self-release", test_virus_gives_a_recipient_no_right);
	ADD("/workflow/failure/no-scanner", test_no_scanner_releases_nothing);
	ADD("/workflow/failure/unreadable-original", test_unreadable_original_releases_nothing);
	ADD("/workflow/failure/mta-refuses-then-retry",
	    test_mta_refuses_claim_given_back_then_retry);
	ADD("/workflow/race/two-releases-deliver-once", test_two_releases_at_once_deliver_once);
	return g_test_run();
}
