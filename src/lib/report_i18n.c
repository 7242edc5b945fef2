/*
 * report_i18n.c - the words of the report, in French and English.
 *
 * SYNOPSIS
 *	words = report_words_for(lang)
 *	report_reason_title(reason, lang), report_reason_lesson(...),
 *	report_reason_tip(...)
 *	report_format_date(&date, lang) -> "29 novembre 2026"
 *
 * DESCRIPTION
 *	Every sentence a report shows exists in both languages, in tables
 *	here; the explanation of each reason is the one recipients already
 *	read in their notices (al_notice_reason_sentence()), so staff meet
 *	the same words in both places. Month names are in tables too: the
 *	report does not depend on the locales installed on the machine.
 *	Dates are UTC days, as the store counts them.
 */
#include "report_private.h"

#include <string.h>

struct reason_words {
	const char *title[2]; /* [0] fr, [1] en */
	const char *lesson[2];
	const char *tip[2];
};

static const struct reason_words reason_words[AL_REASON_COUNT] = {
	[AL_REASON_VIRUS] = {
		.title = {"Virus", "Virus"},
		.lesson = {"Même un message d'apparence ordinaire peut transporter un virus : le "
			   "filtre l'a arrêté avant que quelqu'un ne l'ouvre.",
			   "Even a message that looks ordinary can carry a virus: the filter caught "
			   "it before anyone opened it."},
		.tip = {"Signalez toute pièce jointe inattendue à l'administrateur ; ne la "
			"transférez jamais à un collègue « pour vérifier ».",
			"Report any unexpected attachment to the administrator; never forward it to "
			"a colleague \"to check\"."},
	},
	[AL_REASON_EXECUTABLE] = {
		.title = {"Programme", "Program"},
		.lesson = {"Personne n'envoie de vraie facture, de résultat ou de compte rendu sous "
			   "forme de programme : un programme joint à un courriel est presque "
			   "toujours une attaque.",
			   "Nobody sends a real invoice, result or report as a program: a program "
			   "attached to an email is almost always an attack."},
		.tip = {"N'ouvrez jamais un fichier reçu par courriel qui se termine par .exe, .js, "
			".vbs, .bat, .scr, .lnk ou .iso, quoi qu'il prétende être.",
			"Never open a file received by email whose name ends in .exe, .js, .vbs, "
			".bat, .scr, .lnk or .iso, whatever it claims to be."},
	},
	[AL_REASON_DISGUISED] = {
		.title = {"Fichier déguisé", "Disguised file"},
		.lesson = {"Une « facture » qui est en réalité un programme : regardez la vraie fin "
			   "du nom du fichier et ne vous fiez jamais à l'icône.",
			   "An \"invoice\" that is really a program: look at the real end of the file "
			   "name, and never trust the icon."},
		.tip = {"Activez l'affichage des extensions de fichiers dans l'Explorateur Windows : "
			"le vrai type d'un fichier devient visible.",
			"Turn on \"File name extensions\" in Windows Explorer, so that the real type "
			"of a file is visible."},
	},
	[AL_REASON_MACRO] = {
		.title = {"Document avec macros", "Document with macros"},
		.lesson = {"Un document qui demande d'« activer le contenu » ou d'« activer les "
			   "macros » cherche à lancer un programme.",
			   "A document that asks you to \"enable content\" or \"enable macros\" is "
			   "trying to run a program."},
		.tip = {"Ne cliquez jamais sur « Activer le contenu » ou « Activer la modification » "
			"dans un document reçu par courriel.",
			"Never click \"Enable content\" or \"Enable editing\" in a document received "
			"by email."},
	},
	[AL_REASON_ENCRYPTED] = {
		.title = {"Protégé par mot de passe", "Password-protected"},
		.lesson = {"Un mot de passe donné dans le même courriel ne protège rien : les "
			   "attaquants s'en servent pour cacher le fichier au filtre.",
			   "A password given in the same email protects nothing: attackers use it to "
			   "hide the file from the filter."},
		.tip = {"Demandez aux correspondants d'envoyer les documents confidentiels par le "
			"canal sécurisé convenu, pas en archive protégée par mot de passe.",
			"Ask correspondents to send confidential documents through the agreed secure "
			"channel, not as password-protected archives."},
	},
	[AL_REASON_LIMITS] = {
		.title = {"Trop gros ou trop complexe", "Too large or too complex"},
		.lesson = {"Des archives énormes ou imbriquées servent à déborder les contrôles de "
			   "sécurité.",
			   "Huge or deeply nested archives are a way to overwhelm security checks."},
		.tip = {"Pour les gros fichiers (imagerie), utilisez la plateforme de transfert "
			"habituelle plutôt que le courriel.",
			"For large files (imaging), use the usual transfer platform rather than "
			"email."},
	},
	[AL_REASON_MALFORMED] = {
		.title = {"Structure anormale", "Abnormal structure"},
		.lesson = {"Un courriel construit de façon anormale cherche à passer sous le filtre ; "
			   "le logiciel d'un vrai correspondant ne fait pas cela.",
			   "Mail built in an abnormal way is trying to slip past the filter; a genuine "
			   "correspondent's software does not do that."},
		.tip = {"Un message qui paraît vide ou cassé ne doit pas être redemandé : "
			"prévenez l'administrateur.",
			"Do not ask for a message that looks empty or broken to be sent again: tell "
			"the administrator."},
	},
	[AL_REASON_POLYGLOT] = {
		.title = {"Deux formats à la fois", "Two formats at once"},
		.lesson = {"Un fichier peut être à la fois une image et un programme : seul son "
			   "contenu réel compte, pas son nom ni son apparence.",
			   "A file can be an image and a program at the same time: only its real "
			   "content counts, not its name or how it looks."},
		.tip = {"Les images médicales (DICOM) arrivent par le PACS et les partenaires connus ; "
			"une image reçue d'ailleurs est suspecte.",
			"Medical images (DICOM) come through the PACS and known partners; an image "
			"received from anywhere else is suspicious."},
	},
	[AL_REASON_UNKNOWN_TYPE] = {
		.title = {"Type de fichier non reconnu", "Unrecognised file type"},
		.lesson = {"Seuls les types de fichiers connus sans danger passent : un type "
			   "inhabituel, même envoyé par un correspondant connu, peut lancer un "
			   "programme (.rdp, .iqy, .msc...).",
			   "Only file types known to be harmless get through: an unusual type, even "
			   "from a known correspondent, can start a program (.rdp, .iqy, .msc...)."},
		.tip = {"Si un partenaire doit vous envoyer un format particulier, demandez à "
			"l'administrateur de l'autoriser une fois pour toutes plutôt que de le faire "
			"libérer à chaque envoi.",
			"If a partner must send you a special format, ask the administrator to allow "
			"it once and for all rather than having it released each time."},
	},
	[AL_REASON_UNSCANNABLE] = {
		.title = {"Impossible à ouvrir", "Could not be opened"},
		.lesson = {"Une archive que le filtre ne sait pas ouvrir ne peut pas être vérifiée : "
			   "les attaquants choisissent exprès des formats rares.",
			   "An archive the filter cannot open cannot be checked: attackers pick rare "
			   "formats on purpose."},
		.tip = {"Demandez aux correspondants d'envoyer des fichiers ZIP ordinaires ou les "
			"documents eux-mêmes.",
			"Ask correspondents to send ordinary ZIP files or the documents themselves."},
	},
	[AL_REASON_UNKNOWN_ORIGIN] = {
		.title = {"Expéditeur inconnu", "Unknown sender"},
		.lesson = {"Un fichier d'un expéditeur que nous ne connaissons pas : vérifiez qu'il "
			   "l'a bien envoyé avant d'en demander la libération.",
			   "A file from a sender we do not know: check that they really sent it before "
			   "asking for it to be released."},
		.tip = {"Avant de demander la libération d'un fichier, appelez l'expéditeur à un "
			"numéro que vous connaissez déjà pour confirmer l'envoi.",
			"Before asking for a file to be released, call the sender on a number you "
			"already know to confirm they sent it."},
	},
};

static const struct report_words french = {
	.code = "fr",
	.title = "Rapport Airlock : les pièces jointes arrêtées",
	.period_fmt_before = "Du ",
	.period_between = " au ",
	.days_one = "jour",
	.days_many = "jours",
	.generated = "Établi le",
	.anonymized = "Rapport anonymisé : chaque destinataire est remplacé par un pseudonyme "
		      "stable, les adresses sont masquées.",
	.intro = "Ce que le filtre de messagerie a arrêté pendant la période, pourquoi, et ce que "
		 "nous pouvons en apprendre.",
	.totals_title = "En chiffres",
	.messages_seen = "Messages analysés",
	.action_label = {
		[AL_ACTION_ACCEPT] = "remis tels quels",
		[AL_ACTION_STRIP] = "remis sans les pièces jointes dangereuses",
		[AL_ACTION_HOLD] = "retenus en quarantaine",
		[AL_ACTION_REJECT] = "refusés",
		[AL_ACTION_TEMPFAIL] = "différés (nouvel essai de l'expéditeur)",
	},
	.attachments_seen = "Pièces jointes analysées",
	.attachments_accepted = "laissées passer",
	.attachments_stopped = "arrêtées",
	.reasons_title = "Pourquoi elles ont été arrêtées",
	.reasons_note = "Une pièce jointe peut avoir plusieurs raisons.",
	.col_reason = "Raison",
	.col_attachments = "Pièces jointes",
	.col_messages = "Messages",
	.attachment_units = {"pièce jointe", "pièces jointes"},
	.message_units = {"message", "messages"},
	.why_label = "Pourquoi :",
	.lesson_label = "À retenir :",
	.trend_title = "Évolution",
	.trend_day_note = "Pièces jointes arrêtées par jour.",
	.trend_week_note = "Pièces jointes arrêtées par semaine (du lundi au dimanche).",
	.col_day = "Jour",
	.col_week = "Semaine du",
	.col_stopped_attachments = "Pièces jointes arrêtées",
	.col_stopped_messages = "Messages touchés",
	.types_title = "Types de fichiers détectés",
	.col_type = "Type réel",
	.disguises_title = "Déguisements",
	.col_looks_like = "Se présentait comme",
	.col_really = "Était en réalité",
	.domains_title = "Domaines expéditeurs des messages arrêtés",
	.col_domain = "Domaine",
	.recipients_title = "Pièces jointes arrêtées par destinataire",
	.recipients_note_anon = "Pseudonymes stables : le même destinataire garde le même "
				"pseudonyme d'un rapport à l'autre.",
	.col_recipient = "Destinataire",
	.outcome_title = "Libérés ou supprimés (réglage de la politique)",
	.outcome_note = "Un message libéré par l'administrateur était un faux positif. Une raison "
			"souvent libérée mérite d'être réglée (action, expéditeurs de confiance).",
	.col_pending = "En quarantaine",
	.col_released = "Libérés",
	.col_deleted = "Supprimés",
	.col_purged = "Expirés",
	.col_fp_rate = "Taux de faux positifs",
	.examples_title = "Exemples à retenir",
	.examples_note = "Des cas réels de la période, choisis pour couvrir chaque raison.",
	.col_date = "Date",
	.col_sender_domain = "Domaine expéditeur",
	.col_subject = "Objet",
	.col_file = "Fichier",
	.whole_message = "(le message entier)",
	.no_sender = "(aucun)",
	.no_subject = "(sans objet)",
	.tips_title = "Conseils",
	.tip_always = "En cas de doute, n'ouvrez pas : appelez l'administrateur (le numéro de "
		      "quarantaine indiqué dans l'avis lui suffit).",
	.nothing = "Rien pendant la période.",
	.nothing_stopped = "Aucune pièce jointe n'a été arrêtée pendant la période.",
};

static const struct report_words english = {
	.code = "en",
	.title = "Airlock report: stopped attachments",
	.period_fmt_before = "From ",
	.period_between = " to ",
	.days_one = "day",
	.days_many = "days",
	.generated = "Generated on",
	.anonymized = "Anonymised report: each recipient is replaced by a stable pseudonym, "
		      "addresses are blanked.",
	.intro = "What the mail filter stopped during the period, why, and what we can learn "
		 "from it.",
	.totals_title = "In figures",
	.messages_seen = "Messages checked",
	.action_label = {
		[AL_ACTION_ACCEPT] = "delivered as they were",
		[AL_ACTION_STRIP] = "delivered without the dangerous attachments",
		[AL_ACTION_HOLD] = "held in quarantine",
		[AL_ACTION_REJECT] = "refused",
		[AL_ACTION_TEMPFAIL] = "deferred (the sender retries)",
	},
	.attachments_seen = "Attachments checked",
	.attachments_accepted = "let through",
	.attachments_stopped = "stopped",
	.reasons_title = "Why they were stopped",
	.reasons_note = "An attachment can have several reasons.",
	.col_reason = "Reason",
	.col_attachments = "Attachments",
	.col_messages = "Messages",
	.attachment_units = {"attachment", "attachments"},
	.message_units = {"message", "messages"},
	.why_label = "Why:",
	.lesson_label = "Lesson:",
	.trend_title = "Trend",
	.trend_day_note = "Attachments stopped per day.",
	.trend_week_note = "Attachments stopped per week (Monday to Sunday).",
	.col_day = "Day",
	.col_week = "Week of",
	.col_stopped_attachments = "Attachments stopped",
	.col_stopped_messages = "Messages affected",
	.types_title = "File types detected",
	.col_type = "Real type",
	.disguises_title = "Disguises",
	.col_looks_like = "Looked like",
	.col_really = "Was really",
	.domains_title = "Sender domains of stopped mail",
	.col_domain = "Domain",
	.recipients_title = "Stopped attachments per recipient",
	.recipients_note_anon = "Stable pseudonyms: the same recipient keeps the same pseudonym "
				"from one report to the next.",
	.col_recipient = "Recipient",
	.outcome_title = "Released or deleted (policy tuning)",
	.outcome_note = "A message the administrator released was a false positive. A reason "
			"that is often released deserves tuning (its action, trusted senders).",
	.col_pending = "In quarantine",
	.col_released = "Released",
	.col_deleted = "Deleted",
	.col_purged = "Expired",
	.col_fp_rate = "False-positive rate",
	.examples_title = "Examples to learn from",
	.examples_note = "Real cases from the period, chosen to cover every reason.",
	.col_date = "Date",
	.col_sender_domain = "Sender domain",
	.col_subject = "Subject",
	.col_file = "File",
	.whole_message = "(the whole message)",
	.no_sender = "(none)",
	.no_subject = "(no subject)",
	.tips_title = "Tips",
	.tip_always = "When in doubt, do not open: call the administrator (the quarantine number "
		      "in the notice is all they need).",
	.nothing = "Nothing during the period.",
	.nothing_stopped = "No attachment was stopped during the period.",
};

static const char *const months_fr[12] = {
	"janvier", "février", "mars",	   "avril",   "mai",	  "juin",
	"juillet", "août",    "septembre", "octobre", "novembre", "décembre",
};

static const char *const months_en[12] = {
	"January", "February", "March",	    "April",   "May",	   "June",
	"July",	   "August",   "September", "October", "November", "December",
};

static const char *const short_months_fr[12] = {
	"janv.", "févr.", "mars", "avr.", "mai", "juin",
	"juil.", "août", "sept.", "oct.", "nov.", "déc.",
};

static const char *const short_months_en[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static gboolean is_french(const char *lang)
{
	return lang != NULL && g_ascii_strcasecmp(lang, "fr") == 0;
}

const struct report_words *report_words_for(const char *lang)
{
	return is_french(lang) ? &french : &english;
}

/* French uses the singular for 0 and 1, English only for 1. */
static const char *unit(const char *const units[2], gint64 n, gboolean fr)
{
	return (n == 1 || (fr && n == 0)) ? units[0] : units[1];
}

char *report_counts_phrase(gint64 attachments, gint64 messages, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	gboolean fr = is_french(lang);

	return g_strdup_printf("%" G_GINT64_FORMAT " %s, %" G_GINT64_FORMAT " %s", attachments,
			       unit(w->attachment_units, attachments, fr), messages,
			       unit(w->message_units, messages, fr));
}

const char *report_reason_title(enum al_reason reason, const char *lang)
{
	return reason_words[reason].title[is_french(lang) ? 0 : 1];
}

const char *report_reason_lesson(enum al_reason reason, const char *lang)
{
	return reason_words[reason].lesson[is_french(lang) ? 0 : 1];
}

const char *report_reason_tip(enum al_reason reason, const char *lang)
{
	return reason_words[reason].tip[is_french(lang) ? 0 : 1];
}

char *report_format_date(const GDate *date, const char *lang)
{
	guint day = g_date_get_day(date);
	guint month = g_date_get_month(date);
	guint year = g_date_get_year(date);

	if (is_french(lang))
		return g_strdup_printf("%u%s %s %u", day, day == 1 ? "er" : "", months_fr[month - 1],
				       year);
	return g_strdup_printf("%u %s %u", day, months_en[month - 1], year);
}

char *report_format_short_date(const GDate *date, const char *lang)
{
	const char *const *months = is_french(lang) ? short_months_fr : short_months_en;

	return g_strdup_printf("%u %s", g_date_get_day(date), months[g_date_get_month(date) - 1]);
}

void report_date_from_time(gint64 t, GDate *date_r)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	g_date_clear(date_r, 1);
	if (dt == NULL) /* out of GDateTime's range: not a date of this world */
		dt = g_date_time_new_from_unix_utc(0);
	g_date_set_dmy(date_r, (GDateDay)g_date_time_get_day_of_month(dt),
		       (GDateMonth)g_date_time_get_month(dt), (GDateYear)g_date_time_get_year(dt));
}

char *report_format_time(gint64 t, const char *lang)
{
	GDate date;

	report_date_from_time(t, &date);
	return report_format_date(&date, lang);
}

char *report_iso_date(const GDate *date)
{
	return g_strdup_printf("%04u-%02u-%02u", g_date_get_year(date), g_date_get_month(date),
			       g_date_get_day(date));
}

int report_fp_percent(const struct al_report_reason *reason)
{
	gint64 decided = reason->released + reason->deleted;

	if (decided <= 0)
		return -1;
	return (int)((reason->released * 100 + decided / 2) / decided);
}

gboolean report_is_hidden_char(gunichar c)
{
	GUnicodeType type = g_unichar_type(c);

	return type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT ||
	       type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR ||
	       type == G_UNICODE_UNASSIGNED || type == G_UNICODE_PRIVATE_USE ||
	       type == G_UNICODE_SURROGATE;
}
