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
 */
#include "mime_check.h"

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
