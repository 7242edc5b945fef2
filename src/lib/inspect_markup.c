/*
 * inspect_markup.c - active content in markup and text formats: HTML
 * smuggling, SVG with script, RTF fields, templates and objects, and
 * formulas in text spreadsheets.
 *
 * DESCRIPTION
 *	Which reader applies is decided here, by content first:
 *	  RTF    the file starts with "{\rt" (Word reads that as RTF whatever
 *	         the name): inspect_rtf.c;
 *	  SVG    named .svg, or "<svg" in the first HEAD_WINDOW bytes before
 *	         any "<html" (a page with inline icons is a page);
 *	  HTML   named .htm, .html, .xhtml, .shtml, .mht, .mhtml, or its
 *	         first HEAD_WINDOW bytes hold "<html", "<!doctype html",
 *	         "<script", "<head", "<body" or "<iframe" (an unnamed second
 *	         HTML part, which Outlook offers as ATT00001.htm, included);
 *	  CSV    text (no NUL byte) named .csv, .tsv, .tab, .txt or .prn,
 *	         which Excel opens as a sheet: inspect_csv.c.
 *
 *	SVG is parsed as XML by libxml2 (inspect_markup_tree.c walks it).
 *	An SVG image runs script when opened in the browser, so each of these
 *	is `executable`: a script element (any namespace prefix, content in
 *	CDATA or character references), an on...= event handler, a
 *	javascript:/vbscript: URL in any attribute (href, xlink:href, the
 *	to= or values= of <set> and <animate>), a data: URL that is not a
 *	raster image or a font, a frame, embed or object inside
 *	<foreignObject>. An SVG that is not well-formed XML is read by the
 *	HTML parser, leniently as browsers do, with the same rules.
 *
 *	HTML is parsed by libxml2's HTML parser; the text of script
 *	elements, event handlers and javascript: URLs is read by
 *	inspect_script.c (escapes decoded, strings folded), and each of these
 *	is HTML smuggling, `executable` (the page writes a file to disk past
 *	the mail filter):
 *	  - msSaveOrOpenBlob / msSaveBlob;
 *	  - createObjectURL with a Blob or File and a download or a click;
 *	  - a data:application/ URL, in an attribute or built by script;
 *	  - <meta http-equiv=refresh> to a data: URL;
 *	  - a download (attribute or script) of a data: URL that is not an
 *	    image;
 *	  - a script with a decoder (atob, fromCharCode, charCodeAt,
 *	    Uint8Array...) and a base64 string of MIN_PAYLOAD_CHARS or more,
 *	    or a string of as many binary characters.
 *	HTML inside an iframe srcdoc or a data:text/html URL is read too.
 *
 *	SVG or HTML past AL_MARKUP_MAX_BYTES, or whose tree or script goes
 *	past the walk's limits, is `limits`: it is not delivered unread.
 */
#include "inspect_markup_private.h"

#include <libxml/parser.h>
#include <string.h>

#define HEAD_WINDOW 4096
#define MIN_PAYLOAD_CHARS 1024

enum markup_kind { MARKUP_NONE, MARKUP_HTML, MARKUP_SVG, MARKUP_RTF, MARKUP_CSV };

static gboolean head_has(const struct inspection *in, const char *needle)
{
	return al_inspect_find_nocase(in->data, MIN(in->len, (gsize)HEAD_WINDOW), needle) != NULL;
}

/* Where needle first appears in the head, or HEAD_WINDOW. */
static gsize head_offset(const struct inspection *in, const char *needle)
{
	const guint8 *at = al_inspect_find_nocase(in->data, MIN(in->len, (gsize)HEAD_WINDOW), needle);

	return at != NULL ? (gsize)(at - in->data) : HEAD_WINDOW;
}

static enum markup_kind markup_kind(const struct inspection *in)
{
	static const char *const html_ext[] = { "htm", "html", "xhtml", "shtml", "mht", "mhtml",
						NULL };
	static const char *const html_heads[] = { "<script", "<head", "<body", "<iframe", NULL };
	static const char *const svg_ext[] = { "svg", NULL };
	static const char *const csv_ext[] = { "csv", "tsv", "tab", "txt", "prn", NULL };
	gsize svg_at = head_offset(in, "<svg");
	gsize html_at = MIN(head_offset(in, "<html"), head_offset(in, "<!doctype html"));

	if (in->len >= 4 && memcmp(in->data, "{\\rt", 4) == 0)
		return MARKUP_RTF;
	if (al_inspect_has_extension(in, svg_ext))
		return MARKUP_SVG;
	if (al_inspect_has_extension(in, html_ext))
		return MARKUP_HTML;
	/* A page with inline <svg> icons is a page; an SVG is an SVG. */
	if (svg_at < html_at)
		return MARKUP_SVG;
	if (html_at < HEAD_WINDOW)
		return MARKUP_HTML;
	for (guint i = 0; html_heads[i] != NULL; i++)
		if (head_has(in, html_heads[i]))
			return MARKUP_HTML;
	if (al_inspect_has_extension(in, csv_ext) &&
	    memchr(in->data, 0, MIN(in->len, (gsize)HEAD_WINDOW)) == NULL)
		return MARKUP_CSV;
	return MARKUP_NONE;
}

static gpointer init_libxml2(gpointer unused)
{
	(void)unused;
	xmlInitParser();
	return NULL;
}

/* ------------------------------------------------------------ HTML */

static const char *smuggling(const struct markup_facts *facts, const struct script_features *f)
{
	if (f->save_blob)
		return "its script saves a file it builds (msSaveOrOpenBlob)";
	if (f->object_url && f->blob && (f->download || f->click || facts->download_attribute))
		return "its script builds a file (Blob, createObjectURL) and downloads it";
	if (facts->data_application || f->data_application)
		return "it carries a file in a data:application/ URL";
	if (facts->refresh_to_data)
		return "it sends the browser to a data: URL (meta refresh)";
	if ((facts->download_attribute || f->download) &&
	    (facts->data_url != NULL || f->data_other))
		return "it offers a download of a file carried in a data: URL";
	if (f->decoder && f->longest_base64 >= MIN_PAYLOAD_CHARS)
		return "its script decodes a base64 payload";
	if ((f->decoder || f->blob) && f->longest_binary >= MIN_PAYLOAD_CHARS)
		return "its script carries a binary payload in escaped strings";
	return NULL;
}

static void report_smuggling(struct inspection *in, const struct markup_facts *facts)
{
	struct script_features features = { 0 };
	const char *why;

	al_script_features(facts->script->str, facts->script->len, &features);
	why = smuggling(facts, &features);
	if (why != NULL)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "web page that delivers a file past the mail filter (HTML "
				 "smuggling): %s",
				 why);
	if (features.over_limit)
		al_inspect_found(in, AL_REASON_LIMITS,
				 "web page whose script is too large to inspect");
}

static void report_over_limit(struct inspection *in, const struct markup_facts *facts,
			      const char *what)
{
	if (facts->over_limit)
		al_inspect_found(in, AL_REASON_LIMITS,
				 "%s too large or too deeply nested to inspect (more than %u "
				 "elements or %u bytes of script)",
				 what, AL_MARKUP_MAX_NODES, AL_MARKUP_MAX_SCRIPT_BYTES);
}

static void inspect_html(struct inspection *in)
{
	struct markup_facts facts = { .script = g_string_new(NULL) };

	if (!al_markup_walk_html(in->data, in->len, &facts))
		/* No tree (an encoding libxml2 refused): read it all as script. */
		g_string_append_len(facts.script, (const char *)in->data,
				    (gssize)MIN(in->len, (gsize)AL_MARKUP_MAX_SCRIPT_BYTES));
	report_smuggling(in, &facts);
	report_over_limit(in, &facts, "web page");
	al_markup_facts_clear(&facts);
}

/* ------------------------------------------------------------ SVG */

static void report_svg(struct inspection *in, const struct markup_facts *facts)
{
	g_autofree char *why = NULL;

	if (facts->script_element != NULL)
		why = g_strdup(facts->script_element);
	else if (facts->event_handler != NULL)
		why = g_strdup_printf("an event handler (%s)", facts->event_handler);
	else if (facts->javascript_url)
		why = g_strdup("a javascript: link");
	else if (facts->active_foreign != NULL)
		why = g_strdup_printf("HTML in a foreignObject (<%s>)", facts->active_foreign);
	else if (facts->data_url != NULL)
		why = g_strdup_printf("a data: URL of type %s", facts->data_url);
	if (why != NULL)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "SVG image with %s: a browser runs it when the image is opened",
				 why);
}

static void inspect_svg(struct inspection *in)
{
	struct markup_facts facts = { .script = g_string_new(NULL) };
	xmlDoc *doc;

	doc = xmlReadMemory((const char *)in->data, (int)in->len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc != NULL) {
		al_markup_walk(doc, &facts);
		xmlFreeDoc(doc);
	} else if (!al_markup_walk_html(in->data, in->len, &facts)) {
		g_string_append_len(facts.script, (const char *)in->data, (gssize)in->len);
		facts.script_element = "content that no parser could read";
	}
	report_svg(in, &facts);
	report_smuggling(in, &facts);
	report_over_limit(in, &facts, "SVG image");
	al_markup_facts_clear(&facts);
}

/* ------------------------------------------------------------ dispatch */

void al_inspect_markup(struct inspection *in)
{
	static GOnce libxml2_once = G_ONCE_INIT;
	enum markup_kind kind = markup_kind(in);

	if (kind == MARKUP_NONE)
		return;
	/* RTF and CSV are read in one pass; only trees are bounded by size. */
	if ((kind == MARKUP_SVG || kind == MARKUP_HTML) &&
	    (in->len > AL_MARKUP_MAX_BYTES || in->len > G_MAXINT)) {
		al_inspect_found(in, AL_REASON_LIMITS,
				 "markup file of %" G_GSIZE_FORMAT " bytes: larger than the %u "
				 "bytes Airlock parses for script",
				 in->len, AL_MARKUP_MAX_BYTES);
		return;
	}
	g_once(&libxml2_once, init_libxml2, NULL);
	switch (kind) {
	case MARKUP_RTF: al_inspect_rtf(in); break;
	case MARKUP_SVG: inspect_svg(in); break;
	case MARKUP_HTML: inspect_html(in); break;
	case MARKUP_CSV: al_inspect_csv(in); break;
	case MARKUP_NONE: break;
	}
}
