/*
 * notice_workflow.c - the mails of the release workflow and of the
 * digests, in the configured languages (French then English by
 * default), plain text like the hold notices:
 *
 *	request	 to [notice] admin_address: a recipient asks for a release;
 *	denied	 to the recipient: the admin's reason, and their link;
 *	link	 to one recipient of a stripped message that had several:
 *		 their own link, kept out of the notice all of them share;
 *	digest	 to one recipient: what was held for them, and their link;
 *	requests to the admin: the pending release requests.
 *
 * DESCRIPTION
 *	A link opens every quarantined item of its recipient: each mail
 *	that carries one goes to that recipient alone. Strings from mail
 *	(senders, subjects, file names) and from people (notes, reasons)
 *	go through al_notice_printable() like every notice's.
 */
#include "notice_private.h"

#include "airlock/origin.h"

#include <string.h>

/* clang-format off */
struct flow_words {
	const char *code;
	const char *request_subject, *request_intro, *requested_by, *note_label, *request_howto;
	const char *denied_subject, *denied_intro, *denied_reason;
	const char *link_label, *link_private, *link_days[2], *link_separate;
	const char *link_subject, *link_intro;
	const char *digest_subject, *digest_intro[2], *digest_outro;
	const char *requests_subject, *requests_intro, *requested_on, *for_label;
	const char *sender_label, *subject_label, *date_label, *files_label, *id_label;
	const char *why_label, *no_subject, *unknown;
};

static const struct flow_words flow_french = {
	.code = "fr",
	.request_subject = "Demande de libération",
	.request_intro = "Un destinataire demande la libération d'un message retenu par Airlock.",
	.requested_by = "Demandé par : ",
	.note_label = "Son message : ",
	.request_howto = "Pour accepter ou refuser : la console d'administration, ou "
			 "airlockctl approve ID ADRESSE / airlockctl deny ID ADRESSE --reason TEXTE.",
	.denied_subject = "Libération refusée",
	.denied_intro = "L'administrateur a refusé de vous remettre le message suivant.",
	.denied_reason = "Motif : ",
	.link_label = "Votre page de quarantaine : ",
	.link_private = "Ce lien est personnel : il ouvre la liste de tous les messages retenus "
			"pour vous. Ne le transférez pas.",
	.link_days = {"Il est valable ", " jours."},
	.link_separate = "Chaque destinataire reçoit par un message séparé son lien personnel "
			 "vers sa page de quarantaine.",
	.link_subject = "Votre lien de quarantaine",
	.link_intro = "Un message adressé à plusieurs personnes, dont vous, a été remis sans "
		      "certaines pièces jointes. Chaque destinataire reçoit séparément son "
		      "propre lien, pour ne voir que ses messages retenus.",
	.digest_subject = "Messages retenus pour vous",
	.digest_intro = {"Airlock a retenu pour vous ", " message(s) :"},
	.digest_outro = "Sur votre page, vous pouvez voir chacun d'eux, le libérer quand c'est "
			"permis, demander sa libération ou le retirer de votre liste.",
	.requests_subject = "Demandes de libération en attente",
	.requests_intro = "Demandes de libération en attente de votre décision :",
	.requested_on = "demandé le ",
	.for_label = "pour ",
	.sender_label = "Expéditeur : ",
	.subject_label = "Objet : ",
	.date_label = "Reçu le : ",
	.files_label = "Fichiers : ",
	.id_label = "Identifiant de quarantaine : ",
	.why_label = "Raisons :",
	.no_subject = "(sans objet)",
	.unknown = "(inconnu)",
};

static const struct flow_words flow_english = {
	.code = "en",
	.request_subject = "Release request",
	.request_intro = "A recipient asks for the release of a message held by Airlock.",
	.requested_by = "Asked by: ",
	.note_label = "Their note: ",
	.request_howto = "To approve or deny it: the admin console, or airlockctl approve ID "
			 "ADDRESS / airlockctl deny ID ADDRESS --reason TEXT.",
	.denied_subject = "Release denied",
	.denied_intro = "The administrator declined to deliver the following message to you.",
	.denied_reason = "Reason: ",
	.link_label = "Your quarantine page: ",
	.link_private = "This link is personal: it opens the list of every message held for "
			"you. Do not forward it.",
	.link_days = {"It is valid for ", " days."},
	.link_separate = "Each recipient is sent their own personal link to their quarantine "
			 "page in a separate message.",
	.link_subject = "Your quarantine link",
	.link_intro = "A message addressed to several people, you among them, was delivered "
		      "without some of its attachments. Each recipient gets their own link "
		      "separately, so that they see only the messages held for them.",
	.digest_subject = "Messages held for you",
	.digest_intro = {"Airlock held ", " message(s) for you:"},
	.digest_outro = "On your page you can see each of them, release it when that is "
			"allowed, ask for its release or remove it from your list.",
	.requests_subject = "Pending release requests",
	.requests_intro = "Release requests waiting for your decision:",
	.requested_on = "asked on ",
	.for_label = "for ",
	.sender_label = "Sender: ",
	.subject_label = "Subject: ",
	.date_label = "Received: ",
	.files_label = "Files: ",
	.id_label = "Quarantine id: ",
	.why_label = "Reasons:",
	.no_subject = "(no subject)",
	.unknown = "(unknown)",
};
/* clang-format on */

static const struct flow_words *flow_words_of(const struct words *w)
{
	return strcmp(w->code, "fr") == 0 ? &flow_french : &flow_english;
}

static char *local_date(gint64 at)
{
	g_autoptr(GDateTime) date = g_date_time_new_from_unix_local(at);

	return date != NULL ? g_date_time_format(date, "%Y-%m-%d %H:%M") : g_strdup("?");
}

/* The mail around text, to one address (transfer full). */
static char *build_mail(const struct al_config *config, const char *to, const char *const *subjects,
			guint n, const char *about, const char *text)
{
	GMimeMessage *mail;
	GMimeObject *body;
	GString *subject = g_string_new("[Airlock] ");
	g_autofree char *safe_to = al_notice_printable(to, ADDRESS_MAX_CHARS);
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *domain = NULL;
	g_autofree char *message_id = NULL;
	InternetAddressList *from;
	char *result;

	al_mime_global_init();
	mail = g_mime_message_new(TRUE);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(subject, "%s%s", i > 0 ? " / " : "", subjects[i]);
	if (about != NULL)
		g_string_append_printf(subject, ": %s", about);
	al_notice_add_sender(mail, config);
	g_mime_message_add_mailbox(mail, GMIME_ADDRESS_TYPE_TO, NULL, safe_to);
	from = g_mime_message_get_addresses(mail, GMIME_ADDRESS_TYPE_FROM);
	domain = al_address_domain(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(from, 0))));
	message_id = g_mime_utils_generate_message_id(domain != NULL ? domain : g_get_host_name());
	g_mime_message_set_subject(mail, subject->str, "utf-8");
	g_mime_message_set_date(mail, now);
	g_mime_message_set_message_id(mail, message_id);
	g_mime_object_set_header(GMIME_OBJECT(mail), "MIME-Version", "1.0", NULL);
	g_mime_object_set_header(GMIME_OBJECT(mail), "Auto-Submitted", "auto-generated", NULL);
	body = al_notice_part(text);
	g_mime_message_set_mime_part(mail, body);
	result = g_mime_object_to_string(GMIME_OBJECT(mail), NULL);
	g_object_unref(body);
	g_object_unref(mail);
	g_string_free(subject, TRUE);
	return result;
}

void al_notice_append_link(GString *out, const struct words *w, const char *link, guint link_days)
{
	const struct flow_words *f = flow_words_of(w);

	if (link == NULL)
		return;
	g_string_append_printf(out, "\n%s%s\n%s %s%u%s\n", f->link_label, link, f->link_private,
			       f->link_days[0], link_days, f->link_days[1]);
}

void al_notice_append_separate(GString *out, const struct words *w)
{
	g_string_append_printf(out, "\n%s\n", flow_words_of(w)->link_separate);
}

static void append_field(GString *out, const char *label, const char *value, glong max,
			 const char *fallback)
{
	g_autofree char *safe = al_notice_printable(value, max);

	g_string_append_printf(out, "%s%s\n", label, safe != NULL ? safe : fallback);
}

/* Sender, subject, date, held files and id of m. */
static void append_message(GString *out, const struct al_store_message *m,
			   const struct flow_words *f, const char *indent)
{
	g_autofree char *date = local_date(m->received_at);
	GString *files = g_string_new(NULL);

	g_string_append(out, indent);
	append_field(out, f->sender_label,
		     m->header_from != NULL ? m->header_from : m->envelope_from, ADDRESS_MAX_CHARS,
		     f->unknown);
	g_string_append(out, indent);
	append_field(out, f->subject_label, m->subject, SUBJECT_MAX_CHARS, f->no_subject);
	g_string_append_printf(out, "%s%s%s\n", indent, f->date_label, date);
	for (guint i = 0; m->items != NULL && i < m->items->len; i++) {
		const struct al_store_item *item = m->items->pdata[i];
		g_autofree char *name = al_notice_printable(item->filename, NAME_MAX_CHARS);

		if (item->quarantined && name != NULL && files->len < 1000)
			g_string_append_printf(files, "%s%s", files->len > 0 ? ", " : "", name);
	}
	if (files->len > 0)
		g_string_append_printf(out, "%s%s%s\n", indent, f->files_label, files->str);
	g_string_append_printf(out, "%s%s%s\n", indent, f->id_label, m->id);
	g_string_free(files, TRUE);
}

/* Each language's text by fn, separated as the other notices are. */
typedef void (*text_fn)(GString *out, const struct words *w, const struct flow_words *f,
			const void *data);

static char *mail_of(const struct al_config *config, const char *to, glong subject_offset,
		     const char *about, text_fn fn, const void *data)
{
	const struct words *langs[2];
	const char *subjects[2] = {NULL, NULL};
	guint n = al_notice_languages(config, langs);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree char *safe_about = al_notice_printable(about, SUBJECT_MAX_CHARS);

	for (guint i = 0; i < n; i++) {
		const struct flow_words *f = flow_words_of(langs[i]);

		if (i > 0)
			g_string_append(text, "\n" SEPARATOR "\n");
		fn(text, langs[i], f, data);
		subjects[i] = G_STRUCT_MEMBER(const char *, f, subject_offset);
	}
	return build_mail(config, to, subjects, n, safe_about, text->str);
}

/* ---- request, denied, link ---- */

struct one_message {
	const struct al_config *config;
	const struct al_store_message *m;
	const char *recipient;
	const char *extra; /* note or reason */
	const char *link;
};

static void request_text(GString *out, const struct words *w, const struct flow_words *f,
			 const void *data)
{
	const struct one_message *d = data;

	g_string_append_printf(out, "%s\n\n", f->request_intro);
	append_field(out, f->requested_by, d->recipient, ADDRESS_MAX_CHARS, f->unknown);
	if (d->extra != NULL && *d->extra != '\0')
		append_field(out, f->note_label, d->extra, SUBJECT_MAX_CHARS, "");
	g_string_append_c(out, '\n');
	append_message(out, d->m, f, "");
	if (d->m->reasons != 0) {
		g_string_append_printf(out, "\n%s\n", f->why_label);
		al_notice_append_reasons(out, d->m->reasons, w);
	}
	g_string_append_printf(out, "\n%s\n", f->request_howto);
}

char *al_notice_request_mail(const struct al_config *config, const struct al_store_message *m,
			     const char *recipient, const char *note)
{
	struct one_message d = {.config = config, .m = m, .recipient = recipient, .extra = note};

	return mail_of(config, config->admin_address,
		       G_STRUCT_OFFSET(struct flow_words, request_subject), m->subject,
		       request_text, &d);
}

static void denied_text(GString *out, const struct words *w, const struct flow_words *f,
			const void *data)
{
	const struct one_message *d = data;

	g_string_append_printf(out, "%s\n\n", f->denied_intro);
	append_message(out, d->m, f, "");
	g_string_append_c(out, '\n');
	append_field(out, f->denied_reason, d->extra, 2000, "-");
	al_notice_append_link(out, w, d->link, d->config->web_link_days);
}

char *al_notice_denied_mail(const struct al_config *config, const struct al_store_message *m,
			    const char *recipient, const char *reason, const char *link)
{
	struct one_message d = {
	    .config = config, .m = m, .recipient = recipient, .extra = reason, .link = link};

	return mail_of(config, recipient, G_STRUCT_OFFSET(struct flow_words, denied_subject),
		       m->subject, denied_text, &d);
}

static void link_text(GString *out, const struct words *w, const struct flow_words *f,
		      const void *data)
{
	const struct one_message *d = data;

	g_string_append_printf(out, "%s\n\n", f->link_intro);
	g_string_append_printf(out, "%s%s\n", f->id_label, d->extra);
	al_notice_append_link(out, w, d->link, d->config->web_link_days);
}

char *al_notice_link_mail(const struct al_config *config, const char *recipient,
			  const char *quarantine_id, const char *subject, const char *link)
{
	struct one_message d = {
	    .config = config, .recipient = recipient, .extra = quarantine_id, .link = link};

	return mail_of(config, recipient, G_STRUCT_OFFSET(struct flow_words, link_subject), subject,
		       link_text, &d);
}

/* ---- digests ---- */

struct digest {
	const struct al_config *config;
	const GPtrArray *items;
	const char *link;
};

static void digest_text(GString *out, const struct words *w, const struct flow_words *f,
			const void *data)
{
	const struct digest *d = data;

	g_string_append_printf(out, "%s%u%s\n", f->digest_intro[0], d->items->len,
			       f->digest_intro[1]);
	for (guint i = 0; i < d->items->len; i++) {
		g_string_append_c(out, '\n');
		append_message(out, d->items->pdata[i], f, "  ");
	}
	g_string_append_printf(out, "\n%s\n", f->digest_outro);
	al_notice_append_link(out, w, d->link, d->config->web_link_days);
}

char *al_notice_digest_mail(const struct al_config *config, const char *recipient,
			    const GPtrArray *messages, const char *link)
{
	struct digest d = {.config = config, .items = messages, .link = link};

	return mail_of(config, recipient, G_STRUCT_OFFSET(struct flow_words, digest_subject), NULL,
		       digest_text, &d);
}

static void requests_text(GString *out, const struct words *w, const struct flow_words *f,
			  const void *data)
{
	const struct digest *d = data;

	(void)w;
	g_string_append_printf(out, "%s\n", f->requests_intro);
	for (guint i = 0; i < d->items->len; i++) {
		const struct al_store_request *r = d->items->pdata[i];
		g_autofree char *date = local_date(r->requested_at);
		g_autofree char *from = al_notice_printable(r->envelope_from, ADDRESS_MAX_CHARS);
		g_autofree char *subject = al_notice_printable(r->subject, SUBJECT_MAX_CHARS);
		g_autofree char *rcpt = al_notice_printable(r->recipient, ADDRESS_MAX_CHARS);
		g_autofree char *note = al_notice_printable(r->note, SUBJECT_MAX_CHARS);

		g_string_append_printf(out, "\n  %s%s\n  %s%s, %s%s\n", f->id_label, r->id,
				       f->for_label, rcpt, f->requested_on, date);
		g_string_append_printf(out, "  %s%s\n  %s%s\n", f->sender_label,
				       from != NULL ? from : f->unknown, f->subject_label,
				       subject != NULL ? subject : f->no_subject);
		if (note != NULL && *note != '\0')
			g_string_append_printf(out, "  %s%s\n", f->note_label, note);
	}
	g_string_append_printf(out, "\n%s\n", f->request_howto);
}

char *al_notice_requests_mail(const struct al_config *config, const GPtrArray *requests)
{
	struct digest d = {.config = config, .items = requests};

	return mail_of(config, config->admin_address,
		       G_STRUCT_OFFSET(struct flow_words, requests_subject), NULL, requests_text,
		       &d);
}
