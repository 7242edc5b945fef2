/*
 * admin.c - the admin's pages that only read: the pending release
 * requests (with approve and deny forms), the quarantine list with its
 * filters and paging. One message is admin_message.c's, the actions
 * admin_act.c's. Every form carries the session's CSRF
 * token; everything from mail is escaped.
 */
#include "web.h"

#include "airlock/report.h"

#include <stdlib.h>
#include <string.h>

#define LIST_PAGE_ROWS 50

static void csrf_field(GString *o, const struct web_admin *a)
{
	web_hidden(o, "csrf", a->csrf);
}

void web_admin_nav(struct web_request *req, struct web_reply *reply, const struct web_admin *a)
{
	GString *o = reply->body;

	g_string_append_printf(o, "<nav class=\"card\"><a href=\"/admin\">%s</a>"
				  "<a href=\"/admin/list\">%s</a><a href=\"/admin/report\">%s</a>",
			       L(req, "Requests", "Demandes"), L(req, "Quarantine", "Quarantaine"),
			       L(req, "Report", "Rapport"));
	g_string_append(o, "<form class=\"inline\" method=\"post\" action=\"/admin/logout\">");
	csrf_field(o, a);
	g_string_append_printf(o, "<button class=\"quiet\" type=\"submit\" id=\"logout\">%s (",
			       L(req, "Log out", "Se déconnecter"));
	web_html_escape(o, a->name);
	g_string_append(o, ")</button></form></nav>");
}

gboolean web_dangerous(al_reason_set reasons)
{
	return (reasons & (AL_REASON_BIT(AL_REASON_VIRUS) | AL_REASON_BIT(AL_REASON_POLYGLOT))) != 0;
}

void web_force_box(struct web_request *req, GString *o)
{
	g_string_append_printf(o, "<label><input type=\"checkbox\" name=\"force\" value=\"1\"> %s"
				  "</label> ",
			       L(req, "I confirm: release it although it holds a virus or a "
				      "disguised file",
				 "Je confirme : le libérer bien qu'il contienne un virus ou un "
				 "fichier déguisé"));
}

static void request_row(struct web_request *req, GString *o, const struct web_admin *a,
			const struct al_store_request *r)
{
	g_autofree char *when = web_format_time(r->requested_at);

	g_string_append_printf(o, "<div class=\"card request\"><div class=\"meta\">%s · "
				  "<a href=\"/admin/message?id=%s\">%s</a></div><div>",
			       when, r->id, r->id);
	web_html_escape(o, r->recipient);
	g_string_append_printf(o, " %s ", L(req, "asks for", "demande"));
	web_html_escape(o, r->subject != NULL ? r->subject : "");
	g_string_append_printf(o, " (%s ", L(req, "from", "de"));
	web_html_escape(o, r->envelope_from != NULL ? r->envelope_from : "<>");
	g_string_append(o, ")</div><div class=\"meta\">");
	web_reason_names(o, r->reasons);
	g_string_append(o, "</div>");
	if (r->note != NULL) {
		g_string_append_printf(o, "<div>%s « ", L(req, "Note:", "Note :"));
		web_html_escape(o, r->note);
		g_string_append(o, " »</div>");
	}
	g_string_append(o, "<form class=\"inline\" method=\"post\" action=\"/admin/approve\">");
	csrf_field(o, a);
	web_hidden(o, "id", r->id);
	web_hidden(o, "rcpt", r->recipient);
	if (web_dangerous(r->reasons))
		web_force_box(req, o);
	g_string_append_printf(o, "<button type=\"submit\" class=\"approve\">%s</button></form>",
			       L(req, "Approve (release)", "Accepter (libérer)"));
	g_string_append(o, "<form class=\"inline\" method=\"post\" action=\"/admin/deny\">");
	csrf_field(o, a);
	web_hidden(o, "id", r->id);
	web_hidden(o, "rcpt", r->recipient);
	g_string_append_printf(o, "<input type=\"text\" name=\"reason\" required maxlength=\"500\" "
				  "placeholder=\"%s\"> <button type=\"submit\" class=\"danger "
				  "deny\">%s</button></form></div>",
			       L(req, "Why (mailed to them)", "Pourquoi (envoyé par courriel)"),
			       L(req, "Deny", "Refuser"));
}

void web_admin_requests(struct web_request *req, struct web_reply *reply,
			const struct web_admin *a)
{
	struct al_store *store = web_store(req, reply);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;

	if (store == NULL)
		return;
	list = al_store_pending_requests(store, &error);
	if (list == NULL) {
		web_store_error(req, reply, error);
		return;
	}
	web_page_start(req, reply, L(req, "Release requests", "Demandes de libération"));
	web_admin_nav(req, reply, a);
	if (list->len == 0)
		g_string_append_printf(reply->body, "<p id=\"none\">%s</p>",
				       L(req, "No request is waiting.",
					 "Aucune demande en attente."));
	for (guint i = 0; i < list->len; i++)
		request_row(req, reply->body, a, list->pdata[i]);
	web_page_end(reply);
}

/* "YYYY-MM-DD" -> unix seconds at 00:00 UTC (plus days); 0 if empty or bad. */
static gint64 day_start(const char *text, int plus_days)
{
	GDate date;
	g_autoptr(GDateTime) t = NULL;

	if (text == NULL || text[0] == '\0' || !al_report_parse_date(text, &date))
		return 0;
	g_date_add_days(&date, (guint)plus_days);
	t = g_date_time_new_utc(g_date_get_year(&date), g_date_get_month(&date),
				g_date_get_day(&date), 0, 0, 0);
	return t != NULL ? g_date_time_to_unix(t) : 0;
}

static void text_filter(struct web_request *req, GString *o, const char *name,
			const char *label, const char *type)
{
	g_string_append_printf(o, "<label>%s<input type=\"%s\" name=\"%s\" value=\"", label, type,
			       name);
	web_html_escape(o, web_query(req, name));
	g_string_append(o, "\"></label>");
}

static void filter_form(struct web_request *req, GString *o)
{
	const char *reason = web_query(req, "reason");
	const char *status = web_query(req, "status");

	g_string_append(o, "<form method=\"get\" action=\"/admin/list\" class=\"card filters\">");
	g_string_append_printf(o, "<label>%s<select name=\"reason\"><option value=\"\">%s</option>",
			       L(req, "Reason", "Raison"), L(req, "any", "toutes"));
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const char *n = al_reason_name((enum al_reason)r);

		g_string_append_printf(o, "<option%s>%s</option>",
				       reason != NULL && g_str_equal(reason, n) ? " selected" : "",
				       n);
	}
	g_string_append_printf(o, "</select></label><label>%s<select name=\"status\">"
				  "<option value=\"\">%s</option>",
			       L(req, "Status", "État"), L(req, "any", "tous"));
	for (int s = 0; s < AL_STATUS_COUNT; s++) {
		const char *n = al_store_status_name((enum al_store_status)s);

		g_string_append_printf(o, "<option value=\"%s\"%s>%s</option>", n,
				       status != NULL && g_str_equal(status, n) ? " selected" : "",
				       web_status_name(req, (enum al_store_status)s));
	}
	g_string_append(o, "</select></label>");
	text_filter(req, o, "from", L(req, "Sender", "Expéditeur"), "text");
	text_filter(req, o, "rcpt", L(req, "Recipient", "Destinataire"), "text");
	text_filter(req, o, "since", L(req, "From (day)", "Du (jour)"), "date");
	text_filter(req, o, "until", L(req, "To (day)", "Au (jour)"), "date");
	g_string_append_printf(o, "<button type=\"submit\">%s</button></form>",
			       L(req, "Filter", "Filtrer"));
}

static void list_row(struct web_request *req, GString *o, const struct al_store_message *m)
{
	g_autofree char *when = web_format_time(m->received_at);

	g_string_append_printf(o, "<tr><td>%s</td><td><a href=\"/admin/message?id=%s\">", when,
			       m->id);
	web_html_escape(o, m->subject != NULL && m->subject[0] != '\0' ? m->subject : m->id);
	g_string_append(o, "</a></td><td>");
	web_html_escape(o, m->envelope_from);
	g_string_append(o, "</td><td>");
	for (guint i = 0; m->recipients != NULL && m->recipients[i] != NULL; i++) {
		web_html_escape(o, m->recipients[i]);
		g_string_append(o, "<br>");
	}
	g_string_append(o, "</td><td>");
	web_reason_names(o, m->reasons);
	g_string_append_printf(o, "</td><td>%s</td></tr>", web_status_name(req, m->status));
}

/* The filter from the query; FALSE (and a 400 page) for a bad value. */
static gboolean read_filter(struct web_request *req, struct al_store_filter *f, guint *page_r)
{
	const char *reason = web_query(req, "reason");
	const char *status = web_query(req, "status");
	const char *page = web_query(req, "page");
	int value;

	if (reason != NULL && reason[0] != '\0') {
		if ((value = al_reason_from_name(reason)) < 0)
			return FALSE;
		f->reasons = AL_REASON_BIT(value);
	}
	if (status != NULL && status[0] != '\0') {
		if ((value = al_store_status_from_name(status)) < 0)
			return FALSE;
		f->status = value;
	}
	f->from = web_query(req, "from") != NULL && web_query(req, "from")[0] != '\0'
			  ? web_query(req, "from") : NULL;
	f->rcpt = web_query(req, "rcpt") != NULL && web_query(req, "rcpt")[0] != '\0'
			  ? web_query(req, "rcpt") : NULL;
	f->since = day_start(web_query(req, "since"), 0);
	f->until = day_start(web_query(req, "until"), 1);
	*page_r = page != NULL ? (guint)CLAMP(atoi(page), 1, 1000000) : 1;
	f->limit = LIST_PAGE_ROWS;
	f->offset = (*page_r - 1) * LIST_PAGE_ROWS;
	return TRUE;
}

static void page_links(struct web_request *req, GString *o, guint page, guint64 total)
{
	guint64 pages = total == 0 ? 1 : (total + LIST_PAGE_ROWS - 1) / LIST_PAGE_ROWS;
	g_autoptr(GString) keep = g_string_new(NULL);
	const char *names[] = { "reason", "status", "from", "rcpt", "since", "until" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *v = web_query(req, names[i]);
		g_autofree char *escaped = v != NULL ? g_uri_escape_string(v, NULL, FALSE) : NULL;

		if (escaped != NULL)
			g_string_append_printf(keep, "&amp;%s=%s", names[i], escaped);
	}
	g_string_append_printf(o, "<p class=\"meta\" id=\"paging\">%" G_GUINT64_FORMAT " %s · %s "
				  "%u/%" G_GUINT64_FORMAT,
			       total, L(req, "messages", "messages"), L(req, "page", "page"), page,
			       pages);
	if (page > 1)
		g_string_append_printf(o, " <a href=\"/admin/list?page=%u%s\" rel=\"prev\">%s</a>",
				       page - 1, keep->str, L(req, "previous", "précédente"));
	if (page < pages)
		g_string_append_printf(o, " <a href=\"/admin/list?page=%u%s\" rel=\"next\">%s</a>",
				       page + 1, keep->str, L(req, "next", "suivante"));
	g_string_append(o, "</p>");
}

void web_admin_list(struct web_request *req, struct web_reply *reply, const struct web_admin *a)
{
	struct al_store_filter filter = AL_STORE_FILTER_INIT;
	struct al_store *store = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	guint64 total = 0;
	guint page = 1;
	GString *o = reply->body;

	if (!read_filter(req, &filter, &page)) {
		web_page_result(req, reply, MHD_HTTP_BAD_REQUEST, L(req, "Bad filter", "Filtre invalide"),
				L(req, "Unknown reason or status.", "Raison ou état inconnu."),
				"/admin/list", L(req, "Quarantine", "Quarantaine"));
		return;
	}
	if ((store = web_store(req, reply)) == NULL)
		return;
	if (al_store_count(store, &filter, &total, &error) < 0 ||
	    (list = al_store_list(store, &filter, &error)) == NULL) {
		web_store_error(req, reply, error);
		return;
	}
	web_page_start(req, reply, L(req, "Quarantine", "Quarantaine"));
	web_admin_nav(req, reply, a);
	filter_form(req, o);
	page_links(req, o, page, total);
	g_string_append_printf(o, "<table id=\"list\"><tr><th>%s</th><th>%s</th><th>%s</th>"
				  "<th>%s</th><th>%s</th><th>%s</th></tr>",
			       L(req, "Received", "Reçu"), L(req, "Subject", "Objet"),
			       L(req, "Sender", "Expéditeur"), L(req, "Recipients", "Destinataires"),
			       L(req, "Reasons", "Raisons"), L(req, "Status", "État"));
	for (guint i = 0; i < list->len; i++)
		list_row(req, o, list->pdata[i]);
	g_string_append(o, "</table>");
	web_page_end(reply);
}
