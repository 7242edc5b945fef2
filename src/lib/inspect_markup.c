/*
 * inspect_markup.c - HTML smuggling and SVG with script.
 *
 * DESCRIPTION
 *	HTML smuggling sends a harmless-looking web page whose script builds
 *	the real file in the browser and saves it, past every filter that
 *	only looks at attachments. A file is markup when its name ends in
 *	.htm, .html, .xhtml, .shtml, .mht, .mhtml or .svg, or when its first
 *	1024 bytes hold "<html", "<!doctype html", "<svg" or "<script".
 *	In HTML, each of these is `executable`:
 *	  - msSaveOrOpenBlob / msSaveBlob (script saves a file);
 *	  - URL.createObjectURL on a Blob, with a download attribute or a
 *	    scripted click (script builds a file and downloads it);
 *	  - a data: URI of an application/ type in base64 (a file inside the
 *	    page; images and fonts in data: URIs are ordinary);
 *	  - a script that decodes base64 (atob, charCodeAt, Uint8Array) and
 *	    holds a base64 run of MIN_PAYLOAD_CHARS or more.
 *	An SVG image with a <script> element, an on...= event handler or a
 *	javascript: link runs script when opened in a browser: `executable`.
 *	Matching is case-insensitive over the whole file.
 */
#include "inspect_private.h"

#include <string.h>

#define HEAD_WINDOW 1024
#define MIN_PAYLOAD_CHARS 1024

static gboolean is_markup(const struct inspection *in, gboolean *svg_r)
{
	static const char *const html_ext[] = { "htm", "html", "xhtml", "shtml", "mht", "mhtml",
						NULL };
	static const char *const svg_ext[] = { "svg", NULL };
	gsize head = MIN(in->len, (gsize)HEAD_WINDOW);

	*svg_r = al_inspect_has_extension(in, svg_ext) ||
		 al_inspect_find_nocase(in->data, head, "<svg") != NULL;
	return *svg_r || al_inspect_has_extension(in, html_ext) ||
	       al_inspect_find_nocase(in->data, head, "<html") != NULL ||
	       al_inspect_find_nocase(in->data, head, "<!doctype html") != NULL ||
	       al_inspect_find_nocase(in->data, head, "<script") != NULL;
}

static gboolean has(const struct inspection *in, const char *needle)
{
	return al_inspect_find_nocase(in->data, in->len, needle) != NULL;
}

static gboolean is_base64_char(guint8 c)
{
	return g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
}

/* The longest base64 run inside <script> elements. */
static gsize longest_script_base64(const struct inspection *in)
{
	const guint8 *end = in->data + in->len;
	const guint8 *p = in->data;
	gsize longest = 0;

	while ((p = al_inspect_find_nocase(p, (gsize)(end - p), "<script")) != NULL) {
		const guint8 *stop = al_inspect_find_nocase(p, (gsize)(end - p), "</script");
		gsize run = 0;

		if (stop == NULL)
			stop = end;
		for (; p < stop; p++) {
			run = is_base64_char(*p) ? run + 1 : 0;
			longest = MAX(longest, run);
		}
	}
	return longest;
}

/* "data:application/...;base64," anywhere. */
static gboolean has_application_data_uri(const struct inspection *in)
{
	const guint8 *end = in->data + in->len;
	const guint8 *p = in->data;

	while ((p = al_inspect_find_nocase(p, (gsize)(end - p), "data:application/")) != NULL) {
		const guint8 *comma = memchr(p, ',', (gsize)(end - p));

		if (comma != NULL && comma - p < 200 &&
		    al_inspect_find_nocase(p, (gsize)(comma - p + 1), ";base64,") != NULL)
			return TRUE;
		p += 17;
	}
	return FALSE;
}

static void inspect_html(struct inspection *in)
{
	const char *why = NULL;

	if (has(in, "mssaveoropenblob") || has(in, "mssaveblob"))
		why = "its script saves a file it builds (msSaveOrOpenBlob)";
	else if (has(in, "createobjecturl") && has(in, "blob") &&
		 (has(in, "download") || has(in, ".click(")))
		why = "its script builds a file (Blob, createObjectURL) and downloads it";
	else if (has_application_data_uri(in))
		why = "it carries a file in a data:application/ URI";
	else if ((has(in, "atob(") || has(in, "charcodeat") || has(in, "uint8array")) &&
		 longest_script_base64(in) >= MIN_PAYLOAD_CHARS)
		why = "its script decodes a base64 payload";
	if (why != NULL)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "web page that delivers a file past the mail filter (HTML "
				 "smuggling): %s",
				 why);
}

static gboolean has_event_handler(const struct inspection *in)
{
	const guint8 *end = in->data + in->len;

	for (const guint8 *p = in->data; p + 4 < end; p++) {
		const guint8 *q;

		if (!g_ascii_isspace(p[0]) || g_ascii_tolower(p[1]) != 'o' ||
		    g_ascii_tolower(p[2]) != 'n' || !g_ascii_isalpha(p[3]))
			continue;
		for (q = p + 3; q < end && g_ascii_isalpha(*q); q++)
			;
		while (q < end && g_ascii_isspace(*q))
			q++;
		if (q < end && *q == '=')
			return TRUE;
	}
	return FALSE;
}

static void inspect_svg(struct inspection *in)
{
	const char *why = NULL;

	if (has(in, "<script"))
		why = "a <script> element";
	else if (has(in, "javascript:"))
		why = "a javascript: link";
	else if (has_event_handler(in))
		why = "an event handler (on...=)";
	if (why != NULL)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "SVG image with %s: a browser runs it when the image is opened", why);
}

void al_inspect_markup(struct inspection *in)
{
	gboolean svg = FALSE;

	if (!is_markup(in, &svg))
		return;
	if (svg)
		inspect_svg(in);
	else
		inspect_html(in);
}
