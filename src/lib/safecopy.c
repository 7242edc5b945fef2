/*
 * safecopy.c - which items get a safe copy, what the copy is called, and
 * the copies of one message within its time budget.
 *
 * SYNOPSIS
 *	guint made = al_safecopy_make_all(pipeline, verdict);
 *	... item->safe_copy->content, ->filename, ->failure ...
 *
 * DESCRIPTION
 *	An item is offered a copy when it is quarantined, has at least one
 *	reason and all of them are in [safecopy] reasons, and libmagic's
 *	type is one the helper rebuilds. Uuencoded blocks inside a text part
 *	are not offered one: their notice is appended to the text, there is
 *	no part beside which a copy could go.
 *
 *	A polyglot (`polyglot` among its reasons and in [safecopy] reasons)
 *	may also carry `executable` and `disguised`: a DICOM image whose
 *	preamble is a Windows program is all three. Those findings are the
 *	hidden program, and the copy is rebuilt without it (the preamble
 *	zeroed, anything after the data set dropped; a PDF or an image
 *	redrawn from pixels). Each copy is then judged like an attachment of
 *	its own (al_pipeline_judge_content()) and kept only when that finds
 *	nothing: a helper that left a program in, or a copy the scanner
 *	could not read, gives no copy. A message that carries a virus gets
 *	no copy at all: it is an attack, not a document with a flaw.
 *
 *	An Office document is offered a copy only when [safecopy] office
 *	found LibreOffice (config->safecopy_soffice); its copy is a PDF.
 *
 *	The copy's name keeps the attachment's own stem: "ordonnance.pdf"
 *	gives "ordonnance (copie sûre).pdf" (first configured language
 *	French) or "ordonnance (safe copy).pdf"; an image keeps its
 *	extension ("photo (safe copy).JPG"). The stem is made printable
 *	(control and bidi characters escaped, slashes replaced) and cut.
 *
 *	The copies of one message share [safecopy] max_seconds: each helper
 *	gets what is left; an item reached after it ran out gets no copy
 *	(AL_SAFECOPY_TIMEOUT) without a helper being started.
 */
#include "airlock/safecopy.h"

#include "notice_private.h"

#include <string.h>

#define STEM_MAX_CHARS 120

struct kind_info {
	const char *mime_type; /* libmagic's */
	enum al_safecopy_kind kind;
	const char *name; /* --kind */
	const char *extension;
};

static const struct kind_info kinds[] = {
	{ .mime_type = "application/pdf", .kind = AL_SAFECOPY_PDF, .name = "pdf", .extension = ".pdf" },
	{ .mime_type = "image/jpeg", .kind = AL_SAFECOPY_JPEG, .name = "jpeg", .extension = ".jpg" },
	{ .mime_type = "image/png", .kind = AL_SAFECOPY_PNG, .name = "png", .extension = ".png" },
	{ .mime_type = "image/gif", .kind = AL_SAFECOPY_GIF, .name = "gif", .extension = ".gif" },
	{ .mime_type = "image/tiff", .kind = AL_SAFECOPY_TIFF, .name = "tiff", .extension = ".tif" },
	{ .mime_type = "image/webp", .kind = AL_SAFECOPY_WEBP, .name = "webp", .extension = ".webp" },
	{ .mime_type = "image/heic", .kind = AL_SAFECOPY_HEIC, .name = "heic", .extension = ".heic" },
	{ .mime_type = "application/dicom", .kind = AL_SAFECOPY_DICOM, .name = "dicom",
	  .extension = ".dcm" },
#define OFFICE(type) { .mime_type = type, .kind = AL_SAFECOPY_OFFICE, .name = "office", \
	               .extension = ".pdf" }
	OFFICE("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
	OFFICE("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
	OFFICE("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
	OFFICE("application/vnd.ms-word.document.macroEnabled.12"),
	OFFICE("application/vnd.ms-excel.sheet.macroEnabled.12"),
	OFFICE("application/vnd.ms-powerpoint.presentation.macroEnabled.12"),
	OFFICE("application/msword"),
	OFFICE("application/vnd.ms-excel"),
	OFFICE("application/vnd.ms-powerpoint"),
	OFFICE("application/vnd.oasis.opendocument.text"),
	OFFICE("application/vnd.oasis.opendocument.spreadsheet"),
	OFFICE("application/vnd.oasis.opendocument.presentation"),
	OFFICE("text/rtf"),
#undef OFFICE
};

static const char *const soffice_paths[] = { "/usr/bin/soffice",
	                                      "/usr/lib/libreoffice/program/soffice", NULL };

static const struct kind_info *info_of(enum al_safecopy_kind kind)
{
	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

enum al_safecopy_kind al_safecopy_kind_of(const char *detected_type)
{
	for (gsize i = 0; detected_type != NULL && i < G_N_ELEMENTS(kinds); i++)
		if (g_ascii_strcasecmp(kinds[i].mime_type, detected_type) == 0)
			return kinds[i].kind;
	return AL_SAFECOPY_NONE;
}

const char *al_safecopy_kind_name(enum al_safecopy_kind kind)
{
	const struct kind_info *info = info_of(kind);
	return info != NULL ? info->name : "none";
}

const char *al_safecopy_content_type(enum al_safecopy_kind kind)
{
	if (kind == AL_SAFECOPY_OFFICE)
		return "application/pdf";
	const struct kind_info *info = info_of(kind);
	return info != NULL ? info->mime_type : "application/octet-stream";
}

void al_safecopy_free(struct al_safecopy **copy)
{
	if (copy == NULL || *copy == NULL)
		return;
	al_content_clear(&(*copy)->content);
	g_free((*copy)->filename);
	g_free((*copy)->content_type);
	g_free((*copy)->sha256);
	g_free((*copy)->detail);
	g_free(*copy);
	*copy = NULL;
}

const char *al_safecopy_find_soffice(void)
{
	for (gsize i = 0; soffice_paths[i] != NULL; i++)
		if (g_file_test(soffice_paths[i], G_FILE_TEST_IS_EXECUTABLE))
			return soffice_paths[i];
	return NULL;
}

gboolean al_safecopy_wanted(const struct al_config *config, const struct al_item *item)
{
	enum al_safecopy_kind kind = al_safecopy_kind_of(item->detected_type);
	const al_reason_set polyglot = AL_REASON_BIT(AL_REASON_POLYGLOT);
	al_reason_set allowed = config->safecopy_reasons;

	if (kind == AL_SAFECOPY_OFFICE && config->safecopy_soffice == NULL)
		return FALSE;
	/* The hidden program of a polyglot: the copy leaves it out. */
	if ((allowed & polyglot) != 0 && (item->reasons & polyglot) != 0)
		allowed |= AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED);
	return item->quarantine && !item->from_uuencode && !item->wrapper && item->reasons != 0 &&
	       (item->reasons & ~allowed) == 0 && kind != AL_SAFECOPY_NONE;
}

char *al_safecopy_filename(const char *filename, enum al_safecopy_kind kind, const char *lang)
{
	const char *label = g_strcmp0(lang, "fr") == 0 ? "copie s\xc3\xbbre" : "safe copy";
	const char *dot = filename != NULL ? strrchr(filename, '.') : NULL;
	g_autofree char *stem = NULL;
	g_autofree char *printable = NULL;
	const char *extension = info_of(kind)->extension;

	if (dot != NULL && dot != filename && strlen(dot) <= 6) {
		stem = g_strndup(filename, (gsize)(dot - filename));
		if (kind != AL_SAFECOPY_PDF)
			extension = dot;
	} else {
		stem = g_strdup(filename != NULL && filename[0] != '\0' ? filename : "document");
	}
	g_strdelimit(stem, "/\\", '_');
	printable = al_notice_printable(stem, STEM_MAX_CHARS);
	return g_strdup_printf("%s (%s)%s", printable, label, extension);
}

static struct al_safecopy *failed_copy(enum al_safecopy_kind kind, enum al_safecopy_failure why,
                                       const char *detail)
{
	struct al_safecopy *copy = g_new0(struct al_safecopy, 1);

	copy->kind = kind == AL_SAFECOPY_OFFICE ? AL_SAFECOPY_PDF : kind;
	copy->content.fd = -1;
	copy->failure = why;
	copy->content_type = g_strdup(al_safecopy_content_type(kind));
	copy->detail = g_strdup(detail);
	return copy;
}

void al_safecopy_check(struct al_pipeline *pipeline, struct al_safecopy *copy)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *finding = NULL;
	al_reason_set reasons = 0;
	GString *names;

	if (al_pipeline_judge_content(pipeline, &copy->content, copy->filename, copy->content_type,
	                              &reasons, &finding, &error) == 0 &&
	    reasons == 0)
		return;
	copy->failure = AL_SAFECOPY_FAILED;
	al_content_clear(&copy->content);
	g_clear_pointer(&copy->sha256, g_free);
	if (error != NULL) {
		copy->detail = g_strdup_printf("the copy could not be checked: %s", error->message);
		return;
	}
	names = g_string_new(NULL);
	al_reason_set_append(names, reasons, ",");
	copy->detail = g_strdup_printf("the copy itself was judged %s%s%s", names->str,
	                               finding != NULL ? ": " : "", finding != NULL ? finding : "");
	g_string_free(names, TRUE);
}

guint al_safecopy_make_all(struct al_pipeline *pipeline, struct al_verdict *verdict)
{
	const struct al_config *config = al_pipeline_config(pipeline);
	const gint64 deadline_us =
	    g_get_monotonic_time() + (gint64)config->safecopy_max_seconds * G_USEC_PER_SEC;
	const char *lang = config->languages[0];
	guint made = 0;

	if ((verdict->reasons & AL_REASON_BIT(AL_REASON_VIRUS)) != 0)
		return 0;
	for (guint i = 0; verdict->message != NULL && i < verdict->message->items->len; i++) {
		struct al_item *item = verdict->message->items->pdata[i];
		enum al_safecopy_kind kind = al_safecopy_kind_of(item->detected_type);
		gint64 left_ms = (deadline_us - g_get_monotonic_time()) / 1000;

		if (item->safe_copy != NULL || !al_safecopy_wanted(config, item))
			continue;
		if (left_ms <= 0)
			item->safe_copy = failed_copy(kind, AL_SAFECOPY_TIMEOUT,
			                              "[safecopy] max_seconds used up by other copies");
		else
			item->safe_copy = al_safecopy_make(config, kind, &item->content, left_ms);
		item->safe_copy->filename =
		    al_safecopy_filename(item->filename, item->safe_copy->kind, lang);
		if (item->safe_copy->failure == AL_SAFECOPY_OK)
			al_safecopy_check(pipeline, item->safe_copy);
		made += item->safe_copy->failure == AL_SAFECOPY_OK;
	}
	return made;
}

char *al_safecopy_config_warning(const struct al_config *config)
{
	if (config->safecopy_reasons == 0 ||
	    g_file_test(config->safecopy_helper, G_FILE_TEST_IS_EXECUTABLE))
		return NULL;
	return g_strdup_printf("[safecopy] helper %s is not an executable file: no safe copy "
	                       "will be made (the notices say so)", config->safecopy_helper);
}

char *al_safecopy_event_detail(const struct al_item *item)
{
	const struct al_safecopy *copy = item->safe_copy;

	return g_strdup_printf("part %s: %s, %" G_GSIZE_FORMAT " bytes, sha256 %s", item->part,
	                       copy->filename, copy->content.size, copy->sha256);
}
