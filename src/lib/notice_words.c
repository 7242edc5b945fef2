/*
 * notice_words.c - the notices' words in French and English, and the
 * helpers that put mail's strings into them safely.
 *
 * DESCRIPTION
 *	Every text exists in French and English and is written for staff,
 *	not for experts: one sentence per reason code. Names, subjects and
 *	addresses from mail are attacker-controlled: control, format (bidi
 *	overrides, zero-width) and line-separator characters are shown as
 *	visible escapes ("<U+202E>") and long values are cut.
 */
#include "notice_private.h"

#include <string.h>

struct reason_text {
	const char *fr;
	const char *en;
};

/* clang-format off */
static const struct reason_text reason_sentences[AL_REASON_COUNT] = {
	[AL_REASON_VIRUS] = {
		.fr = "Ce fichier contient un virus ou un logiciel malveillant connu.",
		.en = "This file contains a known virus or other malicious software.",
	},
	[AL_REASON_EXECUTABLE] = {
		.fr = "Ce fichier est un programme : l'ouvrir pourrait installer un logiciel "
		      "malveillant.",
		.en = "This file is a program: opening it could install malicious software.",
	},
	[AL_REASON_DISGUISED] = {
		.fr = "Le nom ou le type de ce fichier ne correspond pas à son contenu réel (par "
		      "exemple une « facture » qui est en fait un programme).",
		.en = "The name or type of this file does not match its real content (for example "
		      "an \"invoice\" that is in fact a program).",
	},
	[AL_REASON_MACRO] = {
		.fr = "Ce document contient des macros, de petits programmes qui peuvent se lancer "
		      "à son ouverture et prendre le contrôle de l'ordinateur.",
		.en = "This document contains macros, small programs that can run when it is opened "
		      "and take control of the computer.",
	},
	[AL_REASON_ENCRYPTED] = {
		.fr = "Ce fichier est protégé par mot de passe : il n'a pas pu être analysé.",
		.en = "This file is password-protected: it could not be checked.",
	},
	[AL_REASON_LIMITS] = {
		.fr = "Ce fichier est trop gros ou trop complexe pour être analysé sans risque.",
		.en = "This file is too large or too complex to be checked safely.",
	},
	[AL_REASON_MALFORMED] = {
		.fr = "Ce contenu est construit de façon anormale, ce qui peut servir à cacher une "
		      "partie de ce qu'il contient.",
		.en = "This content is built in an abnormal way, which can be used to hide part of "
		      "what it contains.",
	},
	[AL_REASON_POLYGLOT] = {
		.fr = "Ce fichier est en même temps de deux types différents (par exemple une image "
		      "qui est aussi un programme) : c'est une technique d'attaque connue.",
		.en = "This file is two different kinds of file at once (for example an image that "
		      "is also a program): this is a known attack technique.",
	},
	[AL_REASON_UNKNOWN_TYPE] = {
		.fr = "Ce type de fichier ne fait pas partie des types reconnus sans danger "
		      "(documents, images, textes...) : il est retenu par précaution, même d'un "
		      "expéditeur connu.",
		.en = "This kind of file is not one of the types known to be harmless (documents, "
		      "pictures, text...): it is withheld as a precaution, even from a known sender.",
	},
	[AL_REASON_UNSCANNABLE] = {
		.fr = "Ce fichier est une archive ou une enveloppe qui n'a pas pu être ouverte : "
		      "son contenu n'a pas pu être analysé.",
		.en = "This file is an archive or a wrapper that could not be opened: what it "
		      "contains could not be checked.",
	},
	[AL_REASON_UNKNOWN_ORIGIN] = {
		.fr = "L'expéditeur n'est pas reconnu comme un correspondant de confiance : ses "
		      "pièces jointes sont retenues par précaution.",
		.en = "The sender is not recognised as a trusted correspondent: their attachments "
		      "are withheld as a precaution.",
	},
};

/* Every other text of the notices, per language. Pairs are the words
 * before and after a value (no format strings from tables). */

static const struct words french = {
	.code = "fr",
	.reason_lang = "fr",
	.withheld = { "Pièce jointe retenue par Airlock", "Pièces jointes retenues par Airlock" },
	.removed = { "Cette pièce jointe a été retirée du message et mise en quarantaine par "
		     "mesure de sécurité.",
		     "Ces pièces jointes ont été retirées du message et mises en quarantaine par "
		     "mesure de sécurité." },
	.file_label = "Fichier : ",
	.no_name = "(sans nom)",
	.id_label = "Identifiant de quarantaine : ",
	.contact_files = { { "Si vous attendiez ce fichier, contactez ",
			     " en indiquant cet identifiant." },
			   { "Si vous attendiez ces fichiers, contactez ",
			     " en indiquant cet identifiant." } },
	.held_subject = "Message retenu",
	.held_intro = "Un message qui vous était adressé a été retenu par Airlock, le filtre de "
		      "sécurité de la messagerie : il ne vous a pas été remis et reste en "
		      "quarantaine.",
	.sender_label = "Expéditeur : ",
	.envelope = { " (adresse technique d'envoi : ", ")" },
	.unknown = "(inconnu)",
	.subject_label = "Objet : ",
	.no_subject = "(sans objet)",
	.date_label = "Date : ",
	.why_label = "Pourquoi il a été retenu :",
	.files_label = "Pièces jointes concernées :",
	.more_files = { "  - et ", " autre", " autres" },
	.contact_message = { "Si vous attendiez ce message, contactez ",
			     " en indiquant cet identifiant." },
};

static const struct words english = {
	.code = "en",
	.reason_lang = "en",
	.withheld = { "Attachment withheld by Airlock", "Attachments withheld by Airlock" },
	.removed = { "This attachment was removed from the message and kept in quarantine for "
		     "safety.",
		     "These attachments were removed from the message and kept in quarantine for "
		     "safety." },
	.file_label = "File: ",
	.no_name = "(no name)",
	.id_label = "Quarantine id: ",
	.contact_files = { { "If you expected this file, contact ", " and quote this id." },
			   { "If you expected these files, contact ", " and quote this id." } },
	.held_subject = "Message held",
	.held_intro = "A message addressed to you was held by Airlock, the mail security filter: "
		      "it has not been delivered to you and is kept in quarantine.",
	.sender_label = "Sender: ",
	.envelope = { " (technical sending address: ", ")" },
	.unknown = "(unknown)",
	.subject_label = "Subject: ",
	.no_subject = "(no subject)",
	.date_label = "Date: ",
	.why_label = "Why it was held:",
	.files_label = "Attachments concerned:",
	.more_files = { "  - and ", " more", " more" },
	.contact_message = { "If you expected this message, contact ", " and quote this id." },
};

/* clang-format on */

const char *al_notice_reason_sentence(enum al_reason reason, const char *lang)
{
	if ((int)reason < 0 || reason >= AL_REASON_COUNT)
		return NULL;
	if (lang != NULL && g_ascii_strcasecmp(lang, "fr") == 0)
		return reason_sentences[reason].fr;
	return reason_sentences[reason].en;
}

/* The configured languages that we have, in order, without repeats. */
guint al_notice_languages(const struct al_config *config, const struct words *out[2])
{
	static const struct words *const known[] = {&french, &english};
	guint n = 0;

	for (guint i = 0; config->languages != NULL && config->languages[i] != NULL; i++) {
		for (guint k = 0; k < G_N_ELEMENTS(known); k++) {
			gboolean seen =
			    (n > 0 && out[0] == known[k]) || (n > 1 && out[1] == known[k]);

			if (!seen && n < 2 &&
			    g_ascii_strcasecmp(config->languages[i], known[k]->code) == 0)
				out[n++] = known[k];
		}
	}
	if (n == 0) {
		out[n++] = &french;
		out[n++] = &english;
	}
	return n;
}

static gboolean is_invisible(gunichar c)
{
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_FORMAT:
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
	case G_UNICODE_SURROGATE:
		return TRUE;
	default:
		return FALSE;
	}
}

/*
 * text from mail made safe to show: valid UTF-8, every control, format
 * (bidi, zero-width) or line-separator character written as "<U+XXXX>",
 * cut after max_chars characters with "...". NULL for NULL.
 */
char *al_notice_printable(const char *text, glong max_chars)
{
	g_autofree char *valid = NULL;
	GString *out;
	glong shown = 0;

	if (text == NULL)
		return NULL;
	valid = g_utf8_make_valid(text, -1);
	out = g_string_sized_new(strlen(valid));
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (shown >= max_chars) {
			g_string_append(out, "...");
			break;
		}
		if (is_invisible(c)) {
			g_string_append_printf(out, "<U+%04" G_GINT32_MODIFIER "X>", (gint32)c);
			shown += 8;
		} else {
			g_string_append_unichar(out, c);
			shown++;
		}
	}
	return g_string_free(out, FALSE);
}

char *al_notice_admin_contact(const struct al_config *config)
{
	const char *admin = config->admin_contact;

	return al_notice_printable(admin != NULL && *admin != '\0' ? admin : "postmaster",
				   ADDRESS_MAX_CHARS);
}

void al_notice_append_reasons(GString *out, al_reason_set reasons, const struct words *w)
{
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		if ((reasons & AL_REASON_BIT(r)) == 0)
			continue;
		g_string_append(out, "  - ");
		g_string_append(out, al_notice_reason_sentence((enum al_reason)r, w->reason_lang));
		g_string_append_c(out, '\n');
	}
}

void al_notice_append_pair(GString *out, const char *const pair[2], const char *value)
{
	g_string_append(out, pair[0]);
	g_string_append(out, value);
	g_string_append(out, pair[1]);
	g_string_append_c(out, '\n');
}

/* Makes text (UTF-8) the content of part: charset=utf-8,
 * quoted-printable (safe on any transport, readable as source). */
void al_notice_set_utf8_text(GMimePart *part, const char *text, gsize len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, len);
	GMimeDataWrapper *content =
	    g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, content);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(content);
	g_object_unref(stream);
}

/* A new text/plain; charset=utf-8 quoted-printable inline part holding
 * text (transfer full). */
GMimeObject *al_notice_part(const char *text)
{
	GMimePart *part = g_mime_part_new_with_type("text", "plain");

	al_notice_set_utf8_text(part, text, strlen(text));
	g_mime_object_set_disposition(GMIME_OBJECT(part), "inline");
	return GMIME_OBJECT(part);
}
