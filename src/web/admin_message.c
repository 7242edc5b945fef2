/*
 * admin_message.c - one quarantined message for the admin: what was
 * received (SMTP context, origin), its items (names, declared and
 * detected types, sizes, reasons, details, viruses, inner files), its
 * recipients and to whom it was released, the audit trail, and the
 * forms: release to all or some recipients (checkboxes; a virus or a
 * polyglot needs the confirmation box: AL_WORKFLOW_FORCE) and delete
 * (with its own confirmation box). No body or attachment content.
 */
#include "web.h"

#include <string.h>

static void row(GString *o, const char *label, const char *value)
{
	g_string_append_printf(o, "<tr><th>%s</th><td>", label);
	web_html_escape(o, value != NULL ? value : "");
	g_string_append(o, "</td></tr>");
}

static void summary(struct web_request *req, GString *o, const struct al_store_message *m)
{
	g_autofree char *when = web_format_time(m->received_at);
	g_autofree char *size = g_strdup_printf("%" G_GINT64_FORMAT, m->size);
	g_autoptr(GString) reasons = g_string_new(NULL);

	al_reason_set_append(reasons, m->reasons, ", ");
	g_string_append(o, "<table id=\"summary\">");
	row(o, "Id", m->id);
	row(o, L(req, "Received", "Reçu"), when);
	row(o, L(req, "Status", "État"), web_status_name(req, m->status));
	row(o, L(req, "Subject", "Objet"), m->subject);
	row(o, L(req, "Envelope sender", "Expéditeur (enveloppe)"), m->envelope_from);
	row(o, L(req, "From header", "En-tête From"), m->header_from);
	row(o, L(req, "Client", "Client"), m->client_addr);
	row(o, L(req, "Client name", "Nom du client"), m->client_name);
	row(o, "HELO", m->helo);
	row(o, L(req, "Authenticated as", "Authentifié comme"), m->auth_user);
	row(o, L(req, "Origin", "Origine"), m->origin_why);
	row(o, L(req, "Action", "Action"), m->action);
	row(o, L(req, "Reasons", "Raisons"), reasons->str);
	row(o, L(req, "Size (bytes)", "Taille (octets)"), size);
	row(o, "SHA-256", m->sha256);
	g_string_append(o, "</table>");
	web_reason_sentences(req, o, m->reasons);
}

static void string_list(GString *o, char **values)
{
	for (guint i = 0; values != NULL && values[i] != NULL; i++) {
		g_string_append(o, "<div>");
		web_html_escape(o, values[i]);
		g_string_append(o, "</div>");
	}
}

static void items(struct web_request *req, GString *o, const struct al_store_message *m)
{
	g_string_append_printf(o, "<h2>%s</h2><table id=\"items\"><tr><th>%s</th><th>%s</th>"
				  "<th>%s</th><th>%s</th><th>%s</th></tr>",
			       L(req, "Parts", "Parties"), L(req, "Name", "Nom"),
			       L(req, "Type (declared / detected)", "Type (déclaré / détecté)"),
			       L(req, "Size", "Taille"), L(req, "Reasons", "Raisons"),
			       L(req, "Details", "Détails"));
	for (guint i = 0; m->items != NULL && i < m->items->len; i++) {
		const struct al_store_item *item = m->items->pdata[i];

		g_string_append(o, "<tr><td>");
		web_html_escape(o, item->filename != NULL ? item->filename : item->part);
		g_string_append_printf(o, "%s</td><td>",
				       item->quarantined ? L(req, " (kept)", " (retenu)") : "");
		web_html_escape(o, item->declared_type);
		g_string_append(o, " / ");
		web_html_escape(o, item->detected_type);
		g_string_append_printf(o, "</td><td>%" G_GINT64_FORMAT "</td><td>", item->size);
		web_reason_names(o, item->reasons);
		g_string_append(o, "</td><td>");
		string_list(o, item->details);
		string_list(o, item->viruses);
		string_list(o, item->inner);
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</table>");
}

static gboolean released_to(const struct al_store_message *m, const char *rcpt)
{
	for (guint i = 0; m->released_to != NULL && m->released_to[i] != NULL; i++)
		if (g_ascii_strcasecmp(m->released_to[i], rcpt) == 0)
			return TRUE;
	return FALSE;
}

static void release_form(struct web_request *req, GString *o, const struct web_admin *a,
			 const struct al_store_message *m)
{
	gboolean any = FALSE;

	g_string_append_printf(o, "<h2>%s</h2><form method=\"post\" action=\"/admin/release\" "
				  "class=\"card\" id=\"release\">",
			       L(req, "Recipients", "Destinataires"));
	web_hidden(o, "csrf", a->csrf);
	web_hidden(o, "id", m->id);
	for (guint i = 0; m->recipients != NULL && m->recipients[i] != NULL; i++) {
		const char *r = m->recipients[i];

		if (released_to(m, r) || m->status != AL_STATUS_QUARANTINED) {
			g_string_append(o, "<div>");
			web_html_escape(o, r);
			g_string_append_printf(o, " <span class=\"state ok\">%s</span></div>",
					       released_to(m, r) ? L(req, "released", "libéré") : "");
			continue;
		}
		g_string_append(o, "<div><label><input type=\"checkbox\" name=\"rcpt\" value=\"");
		web_html_escape(o, r);
		g_string_append(o, "\" checked> ");
		web_html_escape(o, r);
		g_string_append(o, "</label></div>");
		any = TRUE;
	}
	if (any) {
		if (web_dangerous(m->reasons))
			web_force_box(req, o);
		g_string_append_printf(o, "<p><button type=\"submit\">%s</button></p>",
				       L(req, "Release to the ticked recipients",
					 "Libérer aux destinataires cochés"));
	}
	g_string_append(o, "</form>");
}

static void delete_form(struct web_request *req, GString *o, const struct web_admin *a,
			const struct al_store_message *m)
{
	if (m->status != AL_STATUS_QUARANTINED && m->status != AL_STATUS_RELEASED)
		return;
	g_string_append(o, "<form method=\"post\" action=\"/admin/delete\" class=\"card\" "
			   "id=\"delete\">");
	web_hidden(o, "csrf", a->csrf);
	web_hidden(o, "id", m->id);
	g_string_append_printf(o, "<label><input type=\"checkbox\" name=\"confirm\" value=\"1\" "
				  "required> %s</label> <button type=\"submit\" class=\"danger\">%s"
				  "</button></form>",
			       L(req, "I confirm: delete the original for good",
				 "Je confirme : supprimer l'original définitivement"),
			       L(req, "Delete", "Supprimer"));
}

static void events(struct web_request *req, GString *o, const struct al_store_message *m)
{
	g_string_append_printf(o, "<h2>%s</h2><table id=\"events\"><tr><th>%s</th><th>%s</th>"
				  "<th>%s</th><th>%s</th></tr>",
			       L(req, "Audit trail", "Journal"), L(req, "When", "Quand"),
			       L(req, "Event", "Événement"), L(req, "Who", "Qui"),
			       L(req, "Detail", "Détail"));
	for (guint i = 0; m->events != NULL && i < m->events->len; i++) {
		const struct al_store_event *e = m->events->pdata[i];
		g_autofree char *when = web_format_time(e->at);

		g_string_append_printf(o, "<tr><td>%s</td><td>", when);
		web_html_escape(o, e->event);
		g_string_append(o, "</td><td>");
		web_html_escape(o, e->who);
		g_string_append(o, "</td><td>");
		web_html_escape(o, e->detail);
		g_string_append(o, "</td></tr>");
	}
	g_string_append(o, "</table>");
}

void web_admin_message(struct web_request *req, struct web_reply *reply,
		       const struct web_admin *a)
{
	struct al_store_message m = { 0 };
	struct al_store *store;
	g_autoptr(GError) error = NULL;
	const char *id = web_query(req, "id");
	char canonical[AL_STORE_ID_LEN + 1];
	GString *o = reply->body;

	if (id == NULL || !al_store_parse_id(id, canonical)) {
		web_page_not_found(req, reply);
		return;
	}
	if ((store = web_store(req, reply)) == NULL)
		return;
	if (al_store_get_message(store, canonical, &m, &error) < 0) {
		if (error->domain == AL_STORE_ERROR && error->code == AL_STORE_ERROR_NOT_FOUND)
			web_page_not_found(req, reply);
		else
			web_store_error(req, reply, error);
		return;
	}
	web_page_start(req, reply, L(req, "Quarantined message", "Message en quarantaine"));
	web_admin_nav(req, reply, a);
	summary(req, o, &m);
	items(req, o, &m);
	release_form(req, o, a, &m);
	delete_form(req, o, a, &m);
	events(req, o, &m);
	web_page_end(reply);
	al_store_message_clear(&m);
}
