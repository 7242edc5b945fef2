/*
 * notice_alert.c - operational alerts mailed to [notice] admin_address:
 * the quarantine's disk is nearly full. French and English, in the order
 * of [notice] languages, like the other notices.
 */
#include "notice_private.h"

#include <string.h>

/* "300.0 MiB", with a plain space (GLib puts a no-break space). */
static void append_size(GString *out, guint64 bytes)
{
	g_autofree char *text = g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
	const char *nbsp = strstr(text, "\u00a0");

	if (nbsp == NULL) {
		g_string_append(out, text);
		return;
	}
	g_string_append_len(out, text, nbsp - text);
	g_string_append_c(out, ' ');
	g_string_append(out, nbsp + strlen("\u00a0"));
}

static void append_french(GString *out, const char *host, const char *dir, guint64 free_bytes,
			  guint64 min_bytes)
{
	g_string_append_printf(out, "Le disque de la quarantaine d'Airlock sur %s est presque "
				    "plein.\n\n", host);
	g_string_append_printf(out, "Dossier : %s\nEspace libre : ", dir);
	append_size(out, free_bytes);
	g_string_append(out, "\nMinimum demandé ([quarantine] min_free) : ");
	append_size(out, min_bytes);
	g_string_append(out,
			"\n\nLes messages qui doivent aller en quarantaine sont refusés "
			"temporairement (451) : les serveurs d'envoi les gardent et les "
			"représentent, rien n'est perdu, mais ils arriveront en retard. Le "
			"courrier sans pièce jointe dangereuse passe toujours.\n\n"
			"Libérez de la place (airlockctl purge, ou agrandissez le disque) : "
			"Airlock reprend tout seul dès que l'espace libre dépasse le minimum.\n");
}

static void append_english(GString *out, const char *host, const char *dir, guint64 free_bytes,
			   guint64 min_bytes)
{
	g_string_append_printf(out, "The disk of Airlock's quarantine on %s is almost full.\n\n",
			       host);
	g_string_append_printf(out, "Directory: %s\nFree space: ", dir);
	append_size(out, free_bytes);
	g_string_append(out, "\nMinimum asked for ([quarantine] min_free): ");
	append_size(out, min_bytes);
	g_string_append(out,
			"\n\nMessages that must be quarantined are refused for now (451): the "
			"sending servers keep them and try again, nothing is lost, but they "
			"will arrive late. Mail without a dangerous attachment still flows.\n\n"
			"Free some space (airlockctl purge, or a larger disk): Airlock resumes "
			"by itself as soon as the free space is above the minimum.\n");
}

char *al_notice_disk_alert(const struct al_config *config, guint64 free_bytes,
			   guint64 min_bytes)
{
	const char *host = g_get_host_name();
	GString *text = g_string_new(NULL);
	GString *subject = g_string_new("[Airlock] ");
	GMimeMessage *alert;
	GMimeObject *body;
	GDateTime *now = g_date_time_new_now_local();
	g_autofree char *message_id = g_mime_utils_generate_message_id(host);
	char *result;

	al_mime_global_init();
	for (char **lang = config->languages; lang != NULL && *lang != NULL; lang++) {
		gboolean french = strcmp(*lang, "fr") == 0;

		if (text->len > 0) {
			g_string_append(text, "\n" SEPARATOR "\n");
			g_string_append(subject, " / ");
		}
		if (french)
			append_french(text, host, config->quarantine_dir, free_bytes, min_bytes);
		else
			append_english(text, host, config->quarantine_dir, free_bytes, min_bytes);
		g_string_append(subject, french ? "disque de la quarantaine presque plein"
						: "quarantine disk almost full");
	}
	alert = g_mime_message_new(TRUE);
	al_notice_add_sender(alert, config);
	g_mime_message_add_mailbox(alert, GMIME_ADDRESS_TYPE_TO, NULL, config->admin_address);
	g_mime_message_set_subject(alert, subject->str, "utf-8");
	g_mime_message_set_date(alert, now);
	g_mime_message_set_message_id(alert, message_id);
	g_mime_object_set_header(GMIME_OBJECT(alert), "MIME-Version", "1.0", NULL);
	g_mime_object_set_header(GMIME_OBJECT(alert), "Auto-Submitted", "auto-generated", NULL);
	body = al_notice_part(text->str);
	g_mime_message_set_mime_part(alert, body);
	result = g_mime_object_to_string(GMIME_OBJECT(alert), NULL);
	g_object_unref(body);
	g_object_unref(alert);
	g_date_time_unref(now);
	g_string_free(subject, TRUE);
	g_string_free(text, TRUE);
	return result;
}
