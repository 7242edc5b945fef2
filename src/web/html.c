/*
 * html.c - the pages' frame (inline CSS, a viewport for phones, the
 * language switch), HTML escaping of everything that came from mail or
 * from a browser, and the words shared by the staff and admin pages in
 * French and English.
 *
 * Escaping: & < > " ' become entities; control characters other than
 * tab and newline become U+FFFD; invalid UTF-8 is replaced. Nothing from
 * mail is ever written into a page without web_html_escape().
 */
#include "web.h"

#include "airlock/notice.h"

#include <string.h>

static const char style[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	"color:#1d2733;background:#f4f6f8;line-height:1.45}"
	"header{background:#1f4e79;color:#fff;padding:.6em 1em;display:flex;"
	"flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5em}"
	"header a{color:#fff}main{max-width:60em;margin:0 auto;padding:1em}"
	"h1{font-size:1.35em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.2em 0 .4em}"
	".card{background:#fff;border:1px solid #d5dce3;border-radius:6px;padding:.8em 1em;"
	"margin:.7em 0;overflow-wrap:anywhere}"
	".meta{color:#52606d;font-size:.92em}.why{margin:.4em 0}"
	".state{display:inline-block;padding:0 .5em;border-radius:1em;background:#e4e7eb;"
	"font-size:.85em}.ok{background:#d9f2e0}.bad{background:#fde2e1}"
	"form.inline{display:inline-block;margin:.3em .4em .3em 0}"
	"button,input[type=submit]{font-size:1em;padding:.45em .9em;border-radius:4px;"
	"border:1px solid #1f4e79;background:#1f4e79;color:#fff;cursor:pointer}"
	"button.quiet{background:#fff;color:#1f4e79}button.danger{background:#a61b1b;"
	"border-color:#a61b1b}"
	"input[type=text],input[type=password],input[type=date],select,textarea{"
	"font-size:1em;padding:.35em;max-width:100%;box-sizing:border-box}"
	"table{border-collapse:collapse;width:100%;background:#fff}"
	"td,th{border-bottom:1px solid #e4e7eb;padding:.35em .4em;text-align:left;"
	"vertical-align:top;overflow-wrap:anywhere}"
	".filters{display:flex;flex-wrap:wrap;gap:.5em;align-items:flex-end}"
	".filters label{display:flex;flex-direction:column;font-size:.9em}"
	"nav a{margin-right:1em}";

void web_html_escape(GString *out, const char *text)
{
	g_autofree char *valid = NULL;

	if (text == NULL)
		return;
	valid = g_utf8_make_valid(text, -1);
	for (const char *p = valid; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		switch (c) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		case '\'':
			g_string_append(out, "&#39;");
			break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n')
				g_string_append(out, "\xef\xbf\xbd");
			else
				g_string_append_c(out, (char)c);
		}
	}
}

void web_hidden(GString *out, const char *name, const char *value)
{
	g_string_append_printf(out, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	web_html_escape(out, value);
	g_string_append(out, "\">");
}

void web_page_start(struct web_request *req, struct web_reply *reply, const char *title)
{
	GString *o = reply->body;
	gboolean fr = g_str_equal(req->lang, "fr");

	g_string_append_printf(o,
			       "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
			       "<meta name=\"viewport\" content=\"width=device-width, "
			       "initial-scale=1\"><meta name=\"robots\" content=\"noindex\">"
			       "<title>",
			       req->lang);
	web_html_escape(o, title);
	g_string_append_printf(o, " – Airlock</title><style>%s</style></head><body><header>"
				  "<strong>Airlock</strong>",
			       style);
	/* The switch keeps the path (and a staff link's token): "?lang=";
	 * after an admin's form, the admin's first page. */
	g_string_append_printf(o, "<a href=\"%s?lang=%s\" hreflang=\"%s\" id=\"lang\">%s</a>",
			       g_str_equal(req->method, "POST") &&
					       g_str_has_prefix(req->path, "/admin")
				       ? "/admin" : "",
			       fr ? "en" : "fr", fr ? "en" : "fr", fr ? "English" : "Français");
	g_string_append(o, "</header><main><h1>");
	web_html_escape(o, title);
	g_string_append(o, "</h1>");
}

void web_page_end(struct web_reply *reply)
{
	g_string_append(reply->body, "</main></body></html>\n");
}

void web_page_result(struct web_request *req, struct web_reply *reply, guint status,
		     const char *title, const char *sentence, const char *back_href,
		     const char *back_label)
{
	reply->status = status;
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE && reply->retry_after == NULL)
		reply->retry_after = g_strdup("60");
	g_string_truncate(reply->body, 0);
	web_page_start(req, reply, title);
	g_string_append(reply->body, "<p id=\"message\">");
	web_html_escape(reply->body, sentence);
	g_string_append(reply->body, "</p>");
	if (back_href != NULL) {
		g_string_append(reply->body, "<p><a id=\"back\" href=\"");
		web_html_escape(reply->body, back_href);
		g_string_append(reply->body, "\">");
		web_html_escape(reply->body, back_label);
		g_string_append(reply->body, "</a></p>");
	}
	web_page_end(reply);
}

void web_page_simple(struct web_request *req, struct web_reply *reply, guint status,
		     const char *title, const char *sentence)
{
	web_page_result(req, reply, status, title, sentence, NULL, NULL);
}

void web_page_unavailable(struct web_request *req, struct web_reply *reply)
{
	web_page_simple(req, reply, MHD_HTTP_SERVICE_UNAVAILABLE,
			L(req, "Temporarily unavailable", "Indisponible pour le moment"),
			L(req,
			  "The quarantine cannot be read right now. Nothing was changed. Try again "
			  "in a few minutes; if it lasts, tell your administrator.",
			  "La quarantaine ne peut pas être lue pour le moment. Rien n'a été modifié. "
			  "Réessayez dans quelques minutes ; si cela dure, prévenez votre "
			  "administrateur."));
}

void web_page_not_found(struct web_request *req, struct web_reply *reply)
{
	web_page_simple(req, reply, MHD_HTTP_NOT_FOUND, L(req, "Not found", "Introuvable"),
			L(req, "There is nothing here.", "Il n'y a rien ici."));
}

const char *web_workflow_sentence(struct web_request *req, const GError *error)
{
	if (error == NULL || error->domain != AL_WORKFLOW_ERROR)
		return L(req, "The quarantine cannot be read right now. Nothing was changed.",
			 "La quarantaine ne peut pas être lue pour le moment. Rien n'a été "
			 "modifié.");
	switch ((enum al_workflow_error_code)error->code) {
	case AL_WORKFLOW_ERROR_NOT_FOUND:
		return L(req, "This message does not exist (or is not yours).",
			 "Ce message n'existe pas (ou ne vous concerne pas).");
	case AL_WORKFLOW_ERROR_STATE:
		return L(req, "This was already done (released, deleted or decided); nothing "
			      "was changed.",
			 "Cela a déjà été fait (libéré, supprimé ou décidé) ; rien n'a été "
			 "modifié.");
	case AL_WORKFLOW_ERROR_DANGEROUS:
		return L(req, "This message holds a virus or a disguised file: only an "
			      "administrator may release it, after confirming.",
			 "Ce message contient un virus ou un fichier déguisé : seul un "
			 "administrateur peut le libérer, après confirmation.");
	case AL_WORKFLOW_ERROR_NOT_ALLOWED:
		return L(req, "You may not release this message yourself; ask for its release "
			      "instead.",
			 "Vous ne pouvez pas libérer ce message vous-même ; demandez sa "
			 "libération.");
	case AL_WORKFLOW_ERROR_RESCAN:
		return L(req, "The message could not be checked again, so nothing was released. "
			      "Try again later.",
			 "Le message n'a pas pu être analysé à nouveau, rien n'a donc été libéré. "
			 "Réessayez plus tard.");
	case AL_WORKFLOW_ERROR_DELIVERY:
		return L(req, "The mail server refused it: nothing was released. Try again later.",
			 "Le serveur de messagerie l'a refusé : rien n'a été libéré. Réessayez "
			 "plus tard.");
	case AL_WORKFLOW_ERROR_STORE:
	default:
		return L(req, "The quarantine cannot be read right now. Nothing was changed.",
			 "La quarantaine ne peut pas être lue pour le moment. Rien n'a été "
			 "modifié.");
	}
}

guint web_workflow_status(const GError *error)
{
	if (error == NULL || error->domain != AL_WORKFLOW_ERROR)
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	switch ((enum al_workflow_error_code)error->code) {
	case AL_WORKFLOW_ERROR_NOT_FOUND:
		return MHD_HTTP_NOT_FOUND;
	case AL_WORKFLOW_ERROR_STATE:
		return MHD_HTTP_CONFLICT;
	case AL_WORKFLOW_ERROR_DANGEROUS:
	case AL_WORKFLOW_ERROR_NOT_ALLOWED:
		return MHD_HTTP_FORBIDDEN;
	case AL_WORKFLOW_ERROR_DELIVERY:
		return MHD_HTTP_BAD_GATEWAY;
	case AL_WORKFLOW_ERROR_RESCAN:
	case AL_WORKFLOW_ERROR_STORE:
	default:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
}

void web_page_error(struct web_request *req, struct web_reply *reply, const GError *error)
{
	web_page_simple(req, reply, web_workflow_status(error), L(req, "Not done", "Non effectué"),
			web_workflow_sentence(req, error));
}

char *web_format_time(gint64 unix_seconds)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_seconds);

	return t != NULL ? g_date_time_format(t, "%Y-%m-%d %H:%M UTC") : g_strdup("?");
}

const char *web_state_name(struct web_request *req, enum al_recipient_state state)
{
	switch (state) {
	case AL_RCPT_QUARANTINED:
		return L(req, "in quarantine", "en quarantaine");
	case AL_RCPT_REQUESTED:
		return L(req, "release requested", "libération demandée");
	case AL_RCPT_DENIED:
		return L(req, "release refused", "libération refusée");
	case AL_RCPT_RELEASED:
		return L(req, "released", "libéré");
	case AL_RCPT_DISMISSED:
		return L(req, "deleted for you", "supprimé pour vous");
	}
	return "?";
}

const char *web_status_name(struct web_request *req, enum al_store_status status)
{
	switch (status) {
	case AL_STATUS_QUARANTINED:
		return L(req, "quarantined", "en quarantaine");
	case AL_STATUS_RELEASED:
		return L(req, "released", "libéré");
	case AL_STATUS_DELETED:
		return L(req, "deleted", "supprimé");
	case AL_STATUS_PURGED:
		return L(req, "purged (retention)", "purgé (durée de conservation)");
	case AL_STATUS_COUNT:
		break;
	}
	return "?";
}

/* One line per reason, in the notices' plain words. */
void web_reason_sentences(struct web_request *req, GString *out, al_reason_set reasons)
{
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const char *sentence;

		if ((reasons & AL_REASON_BIT(r)) == 0)
			continue;
		sentence = al_notice_reason_sentence((enum al_reason)r, req->lang);
		g_string_append(out, "<div class=\"why\">");
		web_html_escape(out, sentence != NULL ? sentence : al_reason_name((enum al_reason)r));
		g_string_append(out, "</div>");
	}
}

void web_reason_names(GString *out, al_reason_set reasons)
{
	g_autoptr(GString) names = g_string_new(NULL);

	al_reason_set_append(names, reasons, ", ");
	web_html_escape(out, names->str);
}

char *web_text_prefix(const char *text, glong max_chars)
{
	if (text == NULL || !g_utf8_validate(text, -1, NULL))
		return NULL;
	if (g_utf8_strlen(text, -1) <= max_chars)
		return g_strdup(text);
	return g_utf8_substring(text, 0, max_chars);
}
