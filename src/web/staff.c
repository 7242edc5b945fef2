/*
 * staff.c - one recipient's page, opened by the signed link of a notice
 * or a digest: GET /r/TOKEN lists their messages (date, sender, subject,
 * the names of the files kept, the reason in the notices' words, where
 * it stands) with the buttons al_workflow_rights() allows; POST
 * /r/TOKEN does one of release, request (with an optional note) or
 * dismiss ("delete for me") through the workflow, as that recipient,
 * from "web ADDRESS".
 *
 * The link is the credential: al_weblink_verify() gives the address
 * (a forged, altered or expired link: 403 with how to get a new one),
 * and every lookup is scoped to that address (al_store_list with
 * filter.recipient, al_store_get_message_for), so another recipient's
 * id gives 404 and nothing about it.
 *
 * CSRF: a form posts to the same /r/TOKEN URL and carries
 * csrf = hex(HMAC-SHA512-256(process key, TOKEN)) in a hidden field.
 * A page elsewhere cannot know TOKEN (links are not in Referer headers:
 * Referrer-Policy no-referrer), so it can neither aim a form at this
 * URL nor compute the field; the field also ties the form to this very
 * link. The process key is random at each start: a form left open
 * across a restart is refused as stale ("reload the page"). No body,
 * attachment content or preview is ever shown.
 */
#include "web.h"

#include "airlock/weblink.h"

#include <string.h>

#define STAFF_MAX_MESSAGES 200
#define STAFF_NOTE_MAX_CHARS 1000

static char *csrf_for(const struct web *web, const char *token)
{
	guint8 mac[crypto_auth_BYTES];
	char hex[crypto_auth_BYTES * 2 + 1];

	crypto_auth(mac, (const guint8 *)token, strlen(token), web->csrf_key);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	return g_strdup(hex);
}

static gboolean csrf_ok(const struct web *web, const char *token, const char *field)
{
	guint8 mac[crypto_auth_BYTES];
	size_t len = 0;

	if (field == NULL || strlen(field) != crypto_auth_BYTES * 2 ||
	    sodium_hex2bin(mac, sizeof(mac), field, strlen(field), NULL, &len, NULL) != 0 ||
	    len != sizeof(mac))
		return FALSE;
	return crypto_auth_verify(mac, (const guint8 *)token, strlen(token), web->csrf_key) == 0;
}

static void refused_link(struct web_request *req, struct web_reply *reply)
{
	web_page_simple(req, reply, MHD_HTTP_FORBIDDEN,
			L(req, "This link does not open", "Ce lien ne s'ouvre pas"),
			L(req,
			  "This link is not valid: it has expired or was altered. The next daily "
			  "summary of your quarantine brings a new link; if you need it sooner, ask "
			  "your administrator for a new link.",
			  "Ce lien n'est pas valide : il a expiré ou a été modifié. Le prochain "
			  "résumé quotidien de votre quarantaine apporte un nouveau lien ; si vous "
			  "en avez besoin plus tôt, demandez un nouveau lien à votre "
			  "administrateur."));
}

static void file_names(GString *o, const struct al_store_message *m)
{
	gboolean any = FALSE;

	for (guint i = 0; m->items != NULL && i < m->items->len; i++) {
		const struct al_store_item *item = m->items->pdata[i];

		if (!item->quarantined)
			continue;
		g_string_append(o, any ? ", " : "");
		g_string_append(o, "<span class=\"file\">");
		web_html_escape(o, item->filename != NULL ? item->filename : item->part);
		g_string_append(o, "</span>");
		any = TRUE;
	}
}

static void button_form(struct web_request *req, GString *o, const char *token,
			const char *csrf, const char *id, const char *action, const char *label,
			gboolean note)
{
	g_string_append_printf(o, "<form class=\"inline\" method=\"post\" action=\"/r/%s\">",
			       token);
	web_hidden(o, "csrf", csrf);
	web_hidden(o, "id", id);
	web_hidden(o, "action", action);
	if (note) {
		g_string_append_printf(o, "<input type=\"text\" name=\"note\" maxlength=\"%d\" "
					  "placeholder=\"%s\"> ",
				       STAFF_NOTE_MAX_CHARS,
				       L(req, "Note for the administrator (optional)",
					 "Note pour l'administrateur (facultatif)"));
	}
	g_string_append_printf(o, "<button type=\"submit\" name=\"do\" value=\"%s\"%s>%s</button>",
			       action, g_str_equal(action, "dismiss") ? " class=\"quiet\"" : "",
			       label);
	g_string_append(o, "</form>");
}

static void message_card(struct web_request *req, GString *o, struct al_workflow *wf,
			 const char *address, const char *token, const char *csrf,
			 const struct al_store_message *m)
{
	struct al_recipient_rights rights = { 0 };
	g_autoptr(GError) error = NULL;
	g_autofree char *when = web_format_time(m->received_at);
	enum al_recipient_state state = m->recipient_state;
	int rc;

	g_mutex_lock(&req->web->workflow_lock);
	rc = al_workflow_rights(wf, m->id, address, &rights, &error);
	g_mutex_unlock(&req->web->workflow_lock);
	if (rc < 0)
		rights = (struct al_recipient_rights){ 0 };
	g_string_append_printf(o, "<div class=\"card\" id=\"m-%s\"><div class=\"meta\">%s · ",
			       m->id, when);
	web_html_escape(o, m->header_from != NULL ? m->header_from : m->envelope_from);
	g_string_append_printf(o, " · <span class=\"state%s\">%s</span></div><div><strong>",
			       state == AL_RCPT_RELEASED ? " ok"
			       : state == AL_RCPT_DENIED ? " bad" : "",
			       web_state_name(req, state));
	web_html_escape(o, m->subject != NULL && m->subject[0] != '\0'
				   ? m->subject : L(req, "(no subject)", "(sans objet)"));
	g_string_append_printf(o, "</strong></div><div class=\"files\">%s ",
			       L(req, "Kept:", "Retenu :"));
	file_names(o, m);
	g_string_append(o, "</div>");
	web_reason_sentences(req, o, m->reasons);
	if (rights.can_release)
		button_form(req, o, token, csrf, m->id, "release",
			    L(req, "Release to me", "Me le libérer"), FALSE);
	if (rights.can_request)
		button_form(req, o, token, csrf, m->id, "request",
			    L(req, "Ask for release", "Demander la libération"), TRUE);
	if (rights.can_dismiss)
		button_form(req, o, token, csrf, m->id, "dismiss",
			    L(req, "Delete for me", "Supprimer pour moi"), FALSE);
	g_string_append(o, "</div>");
}

static void list_page(struct web_request *req, struct web_reply *reply, const char *address,
		      const char *token)
{
	struct al_store_filter filter = AL_STORE_FILTER_INIT;
	struct al_store *store = web_store(req, reply);
	struct al_workflow *wf = store != NULL ? web_workflow(req, reply) : NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *csrf = csrf_for(req->web, token);
	GString *o = reply->body;

	if (wf == NULL)
		return;
	filter.recipient = address;
	filter.limit = STAFF_MAX_MESSAGES;
	list = al_store_list(store, &filter, &error);
	if (list == NULL) {
		web_store_error(req, reply, error);
		return;
	}
	web_page_start(req, reply, L(req, "Your quarantine", "Votre quarantaine"));
	g_string_append_printf(o, "<p class=\"meta\">%s <strong>",
			       L(req, "Messages kept for", "Messages retenus pour"));
	web_html_escape(o, address);
	g_string_append_printf(o, "</strong>. %s</p>",
			       L(req,
				 "Only the names of the files are shown, never their content.",
				 "Seuls les noms des fichiers sont affichés, jamais leur contenu."));
	if (list->len == 0)
		g_string_append_printf(o, "<p id=\"empty\">%s</p>",
				       L(req, "Nothing is kept for you.",
					 "Rien n'est retenu pour vous."));
	for (guint i = 0; i < list->len; i++)
		message_card(req, o, wf, address, token, csrf, list->pdata[i]);
	web_page_end(reply);
}

static int act(struct web_request *req, struct al_workflow *wf, const char *action,
	       const char *id, const struct al_actor *actor, GError **error)
{
	struct al_release_result result = { 0 };
	const char *typed = web_field(req, "note");
	g_autofree char *note = NULL;
	int rc = -1;

	/* A note is kept to its first STAFF_NOTE_MAX_CHARS characters. */
	if (typed != NULL && typed[0] != '\0')
		note = web_text_prefix(typed, STAFF_NOTE_MAX_CHARS);
	g_mutex_lock(&req->web->workflow_lock);
	if (g_str_equal(action, "release"))
		rc = al_workflow_release(wf, id, NULL, actor, 0, &result, error);
	else if (g_str_equal(action, "request"))
		rc = al_workflow_request(wf, id, actor, note, error);
	else if (g_str_equal(action, "dismiss"))
		rc = al_workflow_dismiss(wf, id, actor, error);
	g_mutex_unlock(&req->web->workflow_lock);
	al_release_result_clear(&result);
	web_log_action(req, actor->name, action, id, rc < 0 ? *error : NULL);
	return rc;
}

static const char *done_sentence(struct web_request *req, const char *action)
{
	if (g_str_equal(action, "release"))
		return L(req, "Released: the message is on its way to your mailbox with its "
			      "attachments.",
			 "Libéré : le message arrive dans votre boîte avec ses pièces jointes.");
	if (g_str_equal(action, "request"))
		return L(req, "Your request was sent to the administrator. You will receive the "
			      "message if it is approved.",
			 "Votre demande a été transmise à l'administrateur. Vous recevrez le "
			 "message si elle est acceptée.");
	return L(req, "Removed from your list.", "Retiré de votre liste.");
}

static void action_page(struct web_request *req, struct web_reply *reply, const char *address,
			const char *token)
{
	const char *action = web_field(req, "action");
	char id[AL_STORE_ID_LEN + 1];
	struct al_actor actor = { .kind = AL_ACTOR_RECIPIENT, .name = address,
				  .from = req->from };
	g_autofree char *back = g_strdup_printf("/r/%s", token);
	g_autoptr(GError) error = NULL;
	struct al_workflow *wf;

	if (!csrf_ok(req->web, token, web_field(req, "csrf"))) {
		web_page_simple(req, reply, MHD_HTTP_FORBIDDEN,
				L(req, "Form refused", "Formulaire refusé"),
				L(req, "This form is stale or did not come from your page: open "
				       "your link again and retry.",
				  "Ce formulaire est périmé ou ne vient pas de votre page : "
				  "rouvrez votre lien et recommencez."));
		return;
	}
	if (action == NULL || web_field(req, "id") == NULL ||
	    !al_store_parse_id(web_field(req, "id"), id) ||
	    !(g_str_equal(action, "release") || g_str_equal(action, "request") ||
	      g_str_equal(action, "dismiss"))) {
		web_page_not_found(req, reply);
		return;
	}
	wf = web_workflow(req, reply);
	if (wf == NULL)
		return;
	if (act(req, wf, action, id, &actor, &error) < 0)
		web_page_result(req, reply, web_workflow_status(error),
				L(req, "Not done", "Non effectué"),
				web_workflow_sentence(req, error), back,
				L(req, "Back to your quarantine", "Retour à votre quarantaine"));
	else
		web_page_result(req, reply, MHD_HTTP_OK, L(req, "Done", "C'est fait"),
				done_sentence(req, action), back,
				L(req, "Back to your quarantine", "Retour à votre quarantaine"));
}

void web_staff(struct web_request *req, struct web_reply *reply, const char *token)
{
	struct al_release_key key;
	g_autofree char *address = NULL;

	/* The token is base64url and digits; anything else cannot be one
	 * (and is never echoed into a page). */
	if (token[0] == '\0' || strlen(token) > 1024 ||
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=") !=
		    strlen(token)) {
		refused_link(req, reply);
		return;
	}
	if (!web_link_key(req->web, &key)) {
		web_page_unavailable(req, reply);
		return;
	}
	if (!al_weblink_verify(&key, token, g_get_real_time() / G_USEC_PER_SEC, &address, NULL)) {
		sodium_memzero(&key, sizeof(key));
		refused_link(req, reply);
		return;
	}
	sodium_memzero(&key, sizeof(key));
	if (g_str_equal(req->method, "POST"))
		action_page(req, reply, address, token);
	else
		list_page(req, reply, address, token);
}
