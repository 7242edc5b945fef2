/*
 * mime_check.c - MIME structure that parsers disagree on: the tricks used
 * to hide an attachment from a filter while a mail client still shows it.
 *
 * DESCRIPTION
 *	Called by the MIME walk (mime.c) on every entity it enters:
 *	  - an entity with two Content-Type, Content-Transfer-Encoding or
 *	    Content-Disposition headers: GMime keeps the first, some clients
 *	    the last, so the filter and the reader may see different parts;
 *	  - a multipart whose boundary equals the boundary of a multipart
 *	    around it: where each part ends depends on the parser;
 *	  - a multipart preamble or epilogue (the text before the first and
 *	    after the last boundary, which readers never show) that carries
 *	    MIME headers, or more than MAX_QUIET_BYTES of text: a part hidden
 *	    where filters do not look.
 *	Each is `malformed` on the message (and on the leaf part concerned),
 *	which the policy holds whole.
 *
 *	And on every leaf part, names that hide the real one, read from the
 *	raw Content-Disposition and Content-Type (mime_params.c), since
 *	GMime keeps one value per parameter: two filename= (or name=)
 *	parameters with different values, RFC 2231 and plain values that
 *	disagree, Content-Type name= and Content-Disposition filename= that
 *	disagree, a NUL inside an encoded name (%00, =00), a parameter
 *	without its ';' ("attachment filename=x.exe", which GMime does not
 *	read). Names that differ in their extension, a NUL and a missing
 *	';' are `disguised` on the item; the other name goes to
 *	alt_filename, which the pipeline judges like the first.
 */
#include "mime_check.h"
#include "mime_private.h"

#include <string.h>

#define MAX_QUIET_BYTES 2048

static const char *const unique_headers[] = {
	"Content-Type",
	"Content-Transfer-Encoding",
	"Content-Disposition",
};

void al_mime_check_headers(struct al_message *message, GMimeObject *object, struct al_item *item)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(object);
	int count = headers != NULL ? g_mime_header_list_get_count(headers) : 0;

	for (guint u = 0; u < G_N_ELEMENTS(unique_headers); u++) {
		int seen = 0;

		for (int i = 0; i < count; i++)
			if (g_ascii_strcasecmp(g_mime_header_get_name(g_mime_header_list_get_header_at(
						       headers, i)),
					       unique_headers[u]) == 0)
				seen++;
		if (seen < 2)
			continue;
		al_message_flag(message, AL_REASON_MALFORMED,
				"a MIME entity has %d %s headers: mail programs disagree on which one "
				"counts",
				seen, unique_headers[u]);
		if (item != NULL)
			al_item_flag(item, AL_REASON_MALFORMED, "the part has %d %s headers", seen,
				     unique_headers[u]);
	}
}

static gboolean hides_content(const char *text)
{
	static const char *const markers[] = { "content-type:", "content-transfer-encoding:",
					       "content-disposition:", "\nbegin 6" };
	g_autofree char *lower = NULL;

	if (text == NULL)
		return FALSE;
	if (strlen(text) > MAX_QUIET_BYTES)
		return TRUE;
	lower = g_ascii_strdown(text, -1);
	for (guint i = 0; i < G_N_ELEMENTS(markers); i++)
		if (strstr(lower, markers[i]) != NULL)
			return TRUE;
	return FALSE;
}

void al_mime_check_multipart(struct al_message *message, GMimeMultipart *multipart,
			     GPtrArray *ancestor_boundaries)
{
	const char *boundary = g_mime_multipart_get_boundary(multipart);

	for (guint i = 0; boundary != NULL && i < ancestor_boundaries->len; i++)
		if (strcmp(boundary, ancestor_boundaries->pdata[i]) == 0)
			al_message_flag(message, AL_REASON_MALFORMED,
					"a nested multipart reuses the boundary of the multipart "
					"around it: mail programs disagree on where parts end");
	if (hides_content(g_mime_multipart_get_prologue(multipart)))
		al_message_flag(message, AL_REASON_MALFORMED,
				"content hidden in a multipart preamble, which readers never show");
	if (hides_content(g_mime_multipart_get_epilogue(multipart)))
		al_message_flag(message, AL_REASON_MALFORMED,
				"content hidden in a multipart epilogue, which readers never show");
}

/* ------------------------------------------------------------ names */

#define MAX_SHOWN_NAME_BYTES 120

/* The raw value of the first header called name, or NULL. */
static const char *raw_header(GMimeObject *object, const char *name)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(object);
	int count = headers != NULL ? g_mime_header_list_get_count(headers) : 0;

	for (int i = 0; i < count; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);

		if (g_ascii_strcasecmp(g_mime_header_get_name(header), name) == 0)
			return g_mime_header_get_raw_value(header);
	}
	return NULL;
}

/* What a name opens as: after its last dot, without the trailing dots
 * and spaces Windows ignores, in lower case; "" without one. */
static char *extension_of(const char *name)
{
	g_autofree char *trimmed = g_strdup(name != NULL ? name : "");
	gsize len = strlen(trimmed);
	const char *dot;

	while (len > 0 && (trimmed[len - 1] == '.' || trimmed[len - 1] == ' '))
		trimmed[--len] = '\0';
	dot = strrchr(trimmed, '.');
	return g_utf8_strdown(dot != NULL ? dot + 1 : "", -1);
}

/* A name fit for a sentence: bounded, control characters as '?'. */
static char *shown(const char *name)
{
	GString *out = g_string_new(NULL);

	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (out->len >= MAX_SHOWN_NAME_BYTES) {
			g_string_append(out, "...");
			break;
		}
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			g_string_append_c(out, '?');
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static gboolean name_without_semicolon(const struct al_mime_params *params, const char *name)
{
	for (guint i = 0; params->params != NULL && i < params->params->len; i++) {
		const struct al_mime_param *param = params->params->pdata[i];

		if (param->missing_semicolon && strcmp(param->name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The other name to check: the first whose extension differs from the
 * item's, else the first that differs at all. */
static const char *other_name(const char *filename, GPtrArray *names, gboolean *ext_differs_r)
{
	g_autofree char *ext = extension_of(filename);
	const char *different = NULL;

	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autofree char *other_ext = extension_of(name);

		if (strcmp(name, filename) == 0)
			continue;
		if (strcmp(other_ext, ext) != 0) {
			*ext_differs_r = TRUE;
			return name;
		}
		if (different == NULL)
			different = name;
	}
	return different;
}

static void judge_names(struct al_item *item, GPtrArray *names, gboolean nul,
			gboolean no_semicolon)
{
	gboolean ext_differs = FALSE;
	const char *other = item->filename != NULL ? other_name(item->filename, names, &ext_differs)
						   : NULL;
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;

	if (other == NULL && !nul && !no_semicolon)
		return;
	first = shown(item->filename != NULL ? item->filename : "");
	second = shown(other != NULL ? other : "");
	if (other != NULL && item->alt_filename == NULL)
		item->alt_filename = g_strdup(other);
	if (nul)
		al_item_flag(item, AL_REASON_DISGUISED,
			     "a file name holds a NUL byte: programs that stop there and programs "
			     "that do not show different names ('%s', '%s')", first, second);
	else if (ext_differs)
		al_item_flag(item, AL_REASON_DISGUISED,
			     "the part's headers give it names with different extensions ('%s', "
			     "'%s'): mail programs differ in which one they use", first, second);
	if (no_semicolon)
		al_item_flag(item, AL_REASON_DISGUISED,
			     "a file name parameter without its ';' ('%s'): filters miss it, some mail "
			     "programs still use it", first);
}

void al_mime_check_names(struct al_item *item, GMimeObject *object)
{
	struct al_mime_params disposition;
	struct al_mime_params content_type;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	gboolean nul = FALSE;
	gboolean no_semicolon;

	al_mime_params_parse(raw_header(object, "Content-Disposition"), &disposition);
	al_mime_params_parse(raw_header(object, "Content-Type"), &content_type);
	if (disposition.token != NULL && disposition.token[0] != '\0') {
		g_free(item->disposition);
		item->disposition = g_utf8_make_valid(disposition.token, -1);
	}
	al_mime_params_names(&disposition, "filename", names, &nul);
	al_mime_params_names(&content_type, "name", names, &nul);
	if (item->filename == NULL && names->len > 0)
		item->filename = g_strdup(names->pdata[0]);
	no_semicolon = name_without_semicolon(&disposition, "filename") ||
		       name_without_semicolon(&content_type, "name");
	judge_names(item, names, nul, no_semicolon);
	al_mime_params_clear(&disposition);
	al_mime_params_clear(&content_type);
}
