/*
 * admin_act.c - what the admin does, each through the workflow with an
 * AL_ACTOR_ADMIN actor (their login, "web ADDRESS"), so each is in the
 * audit trail: approve a request (a release to that recipient), deny it
 * with a reason (mailed to the requester), release to the ticked
 * recipients (AL_WORKFLOW_FORCE only with the confirmation box), delete
 * the original (with its confirmation box); and the training report for
 * a chosen period (the report library's own HTML page).
 */
#include "web.h"

#include "airlock/report.h"

#include <string.h>

#define DENY_REASON_MAX_CHARS 500
#define REPORT_DEFAULT_DAYS 30

static gboolean read_id(struct web_request *req, char id_r[AL_STORE_ID_LEN + 1])
{
	const char *id = web_field(req, "id");

	return id != NULL && al_store_parse_id(id, id_r);
}

static unsigned force_flag(struct web_request *req)
{
	const char *force = web_field(req, "force");

	return force != NULL && g_str_equal(force, "1") ? AL_WORKFLOW_FORCE : 0;
}

static void released_page(struct web_request *req, struct web_reply *reply, const char *id,
			  const struct al_release_result *result)
{
	g_autoptr(GString) sentence = g_string_new(L(req, "Released to: ", "Libéré pour : "));
	g_autofree char *back = g_strdup_printf("/admin/message?id=%s", id);

	for (guint i = 0; result->released != NULL && result->released[i] != NULL; i++)
		g_string_append_printf(sentence, "%s%s", i > 0 ? ", " : "", result->released[i]);
	if (result->forced != NULL)
		g_string_append_printf(sentence, L(req, " (forced: %s)", " (forcé : %s)"),
				       result->forced);
	g_string_append_c(sentence, '.');
	web_page_result(req, reply, MHD_HTTP_OK, L(req, "Released", "Libéré"), sentence->str,
			back, L(req, "Back to the message", "Retour au message"));
}

static void failed_page(struct web_request *req, struct web_reply *reply, const GError *error)
{
	g_autoptr(GString) sentence = g_string_new(web_workflow_sentence(req, error));

	/* The admin also gets the library's own words (English). */
	if (error != NULL)
		g_string_append_printf(sentence, " (%s)", error->message);
	web_page_result(req, reply, web_workflow_status(error), L(req, "Not done", "Non effectué"),
			sentence->str, "/admin", L(req, "Administration", "Administration"));
}

static void bad_form(struct web_request *req, struct web_reply *reply, const char *sentence)
{
	web_page_result(req, reply, MHD_HTTP_BAD_REQUEST, L(req, "Not done", "Non effectué"),
			sentence, "/admin", L(req, "Administration", "Administration"));
}

void web_admin_approve(struct web_request *req, struct web_reply *reply,
		       const struct web_admin *a)
{
	char id[AL_STORE_ID_LEN + 1];
	const char *rcpt = web_field(req, "rcpt");
	struct al_release_result result = { 0 };
	g_autoptr(GError) error = NULL;
	struct al_workflow *wf;
	int rc;

	if (!read_id(req, id) || rcpt == NULL || rcpt[0] == '\0') {
		bad_form(req, reply, L(req, "Which request?", "Quelle demande ?"));
		return;
	}
	if ((wf = web_workflow(req, reply)) == NULL)
		return;
	g_mutex_lock(&req->web->workflow_lock);
	rc = al_workflow_approve(wf, id, rcpt, &a->actor, force_flag(req), &result, &error);
	g_mutex_unlock(&req->web->workflow_lock);
	web_log_action(req, a->name, "approve", id, rc < 0 ? error : NULL);
	if (rc < 0)
		failed_page(req, reply, error);
	else
		released_page(req, reply, id, &result);
	al_release_result_clear(&result);
}

void web_admin_deny(struct web_request *req, struct web_reply *reply, const struct web_admin *a)
{
	char id[AL_STORE_ID_LEN + 1];
	const char *rcpt = web_field(req, "rcpt");
	const char *reason = web_field(req, "reason");
	g_autofree char *trimmed = NULL;
	g_autoptr(GError) error = NULL;
	struct al_workflow *wf;
	int rc;

	if (!read_id(req, id) || rcpt == NULL || rcpt[0] == '\0') {
		bad_form(req, reply, L(req, "Which request?", "Quelle demande ?"));
		return;
	}
	trimmed = web_text_prefix(reason, DENY_REASON_MAX_CHARS);
	if (trimmed != NULL)
		g_strstrip(trimmed);
	if (trimmed == NULL || trimmed[0] == '\0') {
		bad_form(req, reply, L(req, "Give the reason to send to the requester.",
				       "Indiquez la raison à envoyer au demandeur."));
		return;
	}
	if ((wf = web_workflow(req, reply)) == NULL)
		return;
	g_mutex_lock(&req->web->workflow_lock);
	rc = al_workflow_deny(wf, id, rcpt, &a->actor, trimmed, &error);
	g_mutex_unlock(&req->web->workflow_lock);
	web_log_action(req, a->name, "deny", id, rc < 0 ? error : NULL);
	if (rc < 0)
		failed_page(req, reply, error);
	else
		web_page_result(req, reply, MHD_HTTP_OK, L(req, "Denied", "Refusé"),
				L(req, "The request was denied and the requester was told why.",
				  "La demande a été refusée et le demandeur en a reçu la raison."),
				"/admin", L(req, "Administration", "Administration"));
}

void web_admin_release(struct web_request *req, struct web_reply *reply,
		       const struct web_admin *a)
{
	char id[AL_STORE_ID_LEN + 1];
	g_autofree const char **only = web_field_all(req, "rcpt");
	struct al_release_result result = { 0 };
	g_autoptr(GError) error = NULL;
	struct al_workflow *wf;
	int rc;

	if (!read_id(req, id)) {
		web_page_not_found(req, reply);
		return;
	}
	if (only[0] == NULL) {
		bad_form(req, reply, L(req, "Tick at least one recipient.",
				       "Cochez au moins un destinataire."));
		return;
	}
	if ((wf = web_workflow(req, reply)) == NULL)
		return;
	g_mutex_lock(&req->web->workflow_lock);
	rc = al_workflow_release(wf, id, only, &a->actor, force_flag(req), &result, &error);
	g_mutex_unlock(&req->web->workflow_lock);
	web_log_action(req, a->name, "release", id, rc < 0 ? error : NULL);
	if (rc < 0)
		failed_page(req, reply, error);
	else
		released_page(req, reply, id, &result);
	al_release_result_clear(&result);
}

void web_admin_delete(struct web_request *req, struct web_reply *reply,
		      const struct web_admin *a)
{
	char id[AL_STORE_ID_LEN + 1];
	const char *confirm = web_field(req, "confirm");
	g_autoptr(GError) error = NULL;
	struct al_workflow *wf;
	int rc;

	if (!read_id(req, id)) {
		web_page_not_found(req, reply);
		return;
	}
	if (confirm == NULL || !g_str_equal(confirm, "1")) {
		bad_form(req, reply, L(req, "Tick the confirmation box to delete.",
				       "Cochez la case de confirmation pour supprimer."));
		return;
	}
	if ((wf = web_workflow(req, reply)) == NULL)
		return;
	g_mutex_lock(&req->web->workflow_lock);
	rc = al_workflow_delete(wf, id, &a->actor, &error);
	g_mutex_unlock(&req->web->workflow_lock);
	web_log_action(req, a->name, "delete", id, rc < 0 ? error : NULL);
	if (rc < 0)
		failed_page(req, reply, error);
	else
		web_page_result(req, reply, MHD_HTTP_OK, L(req, "Deleted", "Supprimé"),
				L(req, "The original was deleted; its audit trail stays.",
				  "L'original a été supprimé ; son journal reste."),
				"/admin/list", L(req, "Quarantine", "Quarantaine"));
}

static void report_form(struct web_request *req, struct web_reply *reply,
			const struct web_admin *a)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) start = g_date_time_add_days(now, -REPORT_DEFAULT_DAYS);
	g_autofree char *until = g_date_time_format(now, "%Y-%m-%d");
	g_autofree char *since = g_date_time_format(start, "%Y-%m-%d");

	web_page_start(req, reply, L(req, "Training report", "Rapport de sensibilisation"));
	web_admin_nav(req, reply, a);
	g_string_append_printf(reply->body,
			       "<form method=\"get\" action=\"/admin/report\" class=\"card "
			       "filters\"><label>%s<input type=\"date\" name=\"since\" "
			       "value=\"%s\" required></label><label>%s<input type=\"date\" "
			       "name=\"until\" value=\"%s\" required></label><button "
			       "type=\"submit\">%s</button></form>",
			       L(req, "From (day)", "Du (jour)"), since, L(req, "To (day)", "Au (jour)"),
			       until, L(req, "Show the report", "Afficher le rapport"));
	web_page_end(reply);
}

void web_admin_report(struct web_request *req, struct web_reply *reply,
		      const struct web_admin *a)
{
	const char *since_text = web_query(req, "since");
	const char *until_text = web_query(req, "until");
	struct al_report_options options = { 0 };
	struct al_report report = { 0 };
	g_autoptr(GError) error = NULL;
	struct al_store *store;
	GDate since, until;

	if (since_text == NULL || until_text == NULL) {
		report_form(req, reply, a);
		return;
	}
	if (!al_report_parse_date(since_text, &since) ||
	    !al_report_parse_date(until_text, &until) || g_date_compare(&until, &since) < 0) {
		web_page_result(req, reply, MHD_HTTP_BAD_REQUEST,
				L(req, "Bad period", "Période invalide"),
				L(req, "Give two days, the first one not after the second.",
				  "Indiquez deux jours, le premier au plus tard le second."),
				"/admin/report", L(req, "Report", "Rapport"));
		return;
	}
	if ((store = web_store(req, reply)) == NULL)
		return;
	if (al_report_gather(store, &since, &until, &options, &report, &error) < 0) {
		al_report_free(&report);
		web_store_error(req, reply, error);
		return;
	}
	al_report_render_html(&report, req->lang, reply->body);
	al_report_free(&report);
}
