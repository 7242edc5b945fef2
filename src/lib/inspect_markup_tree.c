/*
 * inspect_markup_tree.c - what an SVG or HTML tree holds that can run:
 * the walk over a document libxml2 parsed, for inspect_markup.c.
 *
 * DESCRIPTION
 *	libxml2 decodes what a browser decodes (character references,
 *	CDATA sections, namespace prefixes, attribute quoting), so the walk
 *	sees names and values as the browser does. Element and attribute
 *	names are compared by local name, case-insensitively: <svg:script>,
 *	<script> in a default namespace and <SCRIPT> are one element. The
 *	walk records:
 *	  - the text of every script element, of every on...= event handler
 *	    and of every javascript:/vbscript: URL (for inspect_script.c);
 *	  - data: URLs of a type that is not a raster image or a font, and
 *	    whether one is data:application/ (a file carried in the page);
 *	  - <meta http-equiv=refresh> to a data: URL;
 *	  - a download attribute;
 *	  - frames, embeds and objects inside an SVG <foreignObject>;
 *	  - values of <set>/<animate> (values="a;javascript:...").
 *	HTML given as an iframe srcdoc or a data:text/html URL is parsed and
 *	walked too, AL_MARKUP_MAX_NESTING deep.
 *
 *	Limits: no network (XML_PARSE_NONET), no DTD loading, no entity
 *	substitution by the parser; entities declared in the document are
 *	followed by the walk (browsers expand them), every element,
 *	attribute and entity visit counts against AL_MARKUP_MAX_NODES, and
 *	script text stops at AL_MARKUP_MAX_SCRIPT_BYTES; going past either
 *	sets over_limit, which the caller reports as `limits`.
 */
#include "inspect_markup_private.h"

#include <libxml/HTMLparser.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <string.h>

#define MAX_TREE_DEPTH 1024
#define MAX_DATA_TYPE_BYTES 80

static const char *local_name(const xmlChar *name)
{
	const char *colon = strrchr((const char *)name, ':');

	return colon != NULL ? colon + 1 : (const char *)name;
}

static gboolean named(const xmlChar *name, const char *wanted)
{
	return name != NULL && g_ascii_strcasecmp(local_name(name), wanted) == 0;
}

/* The value without the blanks and controls browsers drop from URLs,
 * lower case, at most limit bytes (transfer full). */
static char *url_head(const char *value, gsize limit)
{
	GString *out = g_string_new(NULL);

	while (*value != '\0' && ((guint8)*value <= 0x20))
		value++;
	for (; *value != '\0' && out->len < limit; value++)
		if (*value != '\t' && *value != '\n' && *value != '\r')
			g_string_append_c(out, g_ascii_tolower(*value));
	return g_string_free(out, FALSE);
}

gboolean al_markup_is_script_url(const char *value)
{
	g_autofree char *head = url_head(value, 16);

	return g_str_has_prefix(head, "javascript:") || g_str_has_prefix(head, "vbscript:");
}

char *al_markup_data_url_type(const char *value)
{
	g_autofree char *head = url_head(value, MAX_DATA_TYPE_BYTES + 5);
	gsize n;

	if (!g_str_has_prefix(head, "data:"))
		return NULL;
	n = strcspn(head + 5, ";,");
	return g_strndup(head + 5, n);
}

gboolean al_markup_data_type_is_inert(const char *type)
{
	static const char *const inert[] = { "image/png", "image/jpeg", "image/jpg", "image/gif",
					     "image/webp", "image/bmp", "image/avif", "font/",
					     "application/font-woff", "application/x-font-", NULL };

	for (guint i = 0; inert[i] != NULL; i++)
		if (g_str_has_prefix(type, inert[i]))
			return TRUE;
	return FALSE;
}

static void add_script(struct markup_facts *facts, const char *text, gsize len)
{
	if (facts->script->len + len + 2 > AL_MARKUP_MAX_SCRIPT_BYTES) {
		facts->over_limit = TRUE;
		return;
	}
	g_string_append_len(facts->script, text, (gssize)len);
	g_string_append(facts->script, "\n;\n");
}

static gboolean count_node(struct markup_facts *facts)
{
	if (++facts->nodes > AL_MARKUP_MAX_NODES) {
		facts->over_limit = TRUE;
		return FALSE;
	}
	return TRUE;
}

/* The payload of a data:text/html URL, decoded (transfer full), or NULL. */
static GBytes *data_url_payload(const char *value)
{
	const char *comma = strchr(value, ',');
	gsize len = 0;
	guchar *bytes;

	if (comma == NULL)
		return NULL;
	if (g_strstr_len(value, comma - value, ";base64") != NULL) {
		g_autofree char *text = g_strdup(comma + 1);

		bytes = g_base64_decode(g_strstrip(text), &len);
		return g_bytes_new_take(bytes, len);
	}
	bytes = (guchar *)g_uri_unescape_string(comma + 1, NULL);
	return bytes != NULL ? g_bytes_new_take(bytes, strlen((char *)bytes)) : NULL;
}

static void walk_nested_html(struct markup_facts *facts, const guint8 *data, gsize len)
{
	if (facts->nesting >= AL_MARKUP_MAX_NESTING) {
		facts->over_limit = TRUE;
		return;
	}
	facts->nesting++;
	(void)al_markup_walk_html(data, len, facts);
	facts->nesting--;
}

static void data_url(struct markup_facts *facts, const char *value)
{
	g_autofree char *type = al_markup_data_url_type(value);

	if (type == NULL || al_markup_data_type_is_inert(type))
		return;
	if (g_str_has_prefix(type, "application/"))
		facts->data_application = TRUE;
	if (facts->data_url == NULL)
		facts->data_url = g_strdup(type[0] != '\0' ? type : "text/plain");
	if (strcmp(type, "text/html") == 0 || strcmp(type, "image/svg+xml") == 0) {
		g_autoptr(GBytes) payload = data_url_payload(value);

		if (payload != NULL)
			walk_nested_html(facts, g_bytes_get_data(payload, NULL),
					 g_bytes_get_size(payload));
	}
}

/* One URL-like value: script to read, data: URLs to weigh. */
static void url_value(struct markup_facts *facts, const char *value)
{
	if (al_markup_is_script_url(value)) {
		facts->javascript_url = TRUE;
		add_script(facts, strchr(value, ':') + 1, strlen(strchr(value, ':') + 1));
	}
	data_url(facts, value);
}

static void refresh(struct markup_facts *facts, xmlNode *meta)
{
	xmlChar *equiv = xmlGetProp(meta, (const xmlChar *)"http-equiv");
	xmlChar *content = xmlGetProp(meta, (const xmlChar *)"content");

	if (equiv != NULL && content != NULL &&
	    g_ascii_strcasecmp((const char *)equiv, "refresh") == 0) {
		const char *target = (const char *)content;
		const char *url = strchr(target, ';');

		url = url != NULL ? url + 1 : target;
		while (g_ascii_isspace(*url))
			url++;
		if (g_ascii_strncasecmp(url, "url", 3) == 0 && strchr(url, '=') != NULL)
			url = strchr(url, '=') + 1;
		while (g_ascii_isspace(*url) || *url == '\'' || *url == '"')
			url++;
		if (g_ascii_strncasecmp(url, "data:", 5) == 0)
			facts->refresh_to_data = TRUE;
		url_value(facts, url);
	}
	xmlFree(equiv);
	xmlFree(content);
}

static void attribute(struct markup_facts *facts, xmlNode *element, xmlAttr *attr)
{
	const char *name = local_name(attr->name);
	xmlChar *value = xmlNodeListGetString(element->doc, attr->children, 1);
	const char *text = value != NULL ? (const char *)value : "";

	if (g_ascii_strncasecmp(name, "on", 2) == 0 && name[2] != '\0') {
		if (facts->event_handler == NULL)
			facts->event_handler = g_ascii_strdown(name, -1);
		add_script(facts, text, strlen(text));
	} else if (g_ascii_strcasecmp(name, "download") == 0) {
		facts->download_attribute = TRUE;
	} else if (g_ascii_strcasecmp(name, "srcdoc") == 0) {
		walk_nested_html(facts, (const guint8 *)text, strlen(text));
	} else if (g_ascii_strcasecmp(name, "values") == 0) {
		g_auto(GStrv) parts = g_strsplit(text, ";", 64);

		for (guint i = 0; parts[i] != NULL; i++)
			url_value(facts, parts[i]);
	} else {
		url_value(facts, text);
	}
	xmlFree(value);
}

static gboolean is_active_in_foreign(const xmlChar *name)
{
	static const char *const active[] = { "iframe", "frame", "frameset", "embed", "object",
					      "applet", "portal", "base", NULL };

	for (guint i = 0; active[i] != NULL; i++)
		if (named(name, active[i]))
			return TRUE;
	return FALSE;
}

static void walk_nodes(struct markup_facts *facts, xmlNode *node, guint depth,
		       gboolean in_foreign);

static void element(struct markup_facts *facts, xmlNode *node, guint depth, gboolean in_foreign)
{
	if (named(node->name, "script")) {
		xmlChar *text = xmlNodeGetContent(node);

		gboolean prefixed = strchr((const char *)node->name, ':') != NULL ||
				    (node->ns != NULL && node->ns->prefix != NULL);

		if (facts->script_element == NULL)
			facts->script_element = prefixed ? "a namespaced <script> element"
							 : "a <script> element";
		if (text != NULL)
			add_script(facts, (const char *)text, strlen((const char *)text));
		xmlFree(text);
	}
	if (named(node->name, "meta"))
		refresh(facts, node);
	if (in_foreign && facts->active_foreign == NULL && is_active_in_foreign(node->name))
		facts->active_foreign = g_ascii_strdown(local_name(node->name), -1);
	for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next)
		if (count_node(facts))
			attribute(facts, node, attr);
	walk_nodes(facts, node->children, depth + 1,
		   in_foreign || named(node->name, "foreignObject"));
}

static void walk_nodes(struct markup_facts *facts, xmlNode *node, guint depth,
		       gboolean in_foreign)
{
	if (depth > MAX_TREE_DEPTH) {
		facts->over_limit = node != NULL;
		return;
	}
	for (; node != NULL && !facts->over_limit; node = node->next) {
		if (!count_node(facts))
			return;
		if (node->type == XML_ELEMENT_NODE) {
			element(facts, node, depth, in_foreign);
		} else if (node->type == XML_ENTITY_REF_NODE && node->children != NULL &&
			   node->children->type == XML_ENTITY_DECL) {
			/* A declared entity a browser would expand here. */
			walk_nodes(facts, node->children->children, depth + 1, in_foreign);
		}
	}
}

void al_markup_walk(xmlDoc *doc, struct markup_facts *facts)
{
	walk_nodes(facts, xmlDocGetRootElement(doc), 0, FALSE);
}

gboolean al_markup_walk_html(const guint8 *data, gsize len, struct markup_facts *facts)
{
	xmlDoc *doc;

	if (len == 0 || len > AL_MARKUP_MAX_BYTES || len > G_MAXINT)
		return FALSE;
	doc = htmlReadMemory((const char *)data, (int)len, NULL, NULL,
			     HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				     HTML_PARSE_RECOVER | HTML_PARSE_COMPACT);
	if (doc == NULL)
		return FALSE;
	al_markup_walk(doc, facts);
	xmlFreeDoc(doc);
	return TRUE;
}

void al_markup_facts_clear(struct markup_facts *facts)
{
	if (facts->script != NULL)
		g_string_free(facts->script, TRUE);
	g_free(facts->event_handler);
	g_free(facts->data_url);
	g_free(facts->active_foreign);
	*facts = (struct markup_facts){ 0 };
}
