/*
 * inspect_pdf_xfa.c - the PDF streams the PDF inspector decodes itself:
 * XFA forms, parsed with libxml2, and object streams nothing in the
 * cross reference points at.
 *
 * DESCRIPTION
 *	qpdf decodes every filter chain (qpdf_dl_generalized). Before it
 *	does, the stream's /Length must be at most PDF_MAX_STREAM_RAW_BYTES
 *	and its /Filter chain at most four filters with one expanding one
 *	(Flate, LZW, RunLength); afterwards the decoded bytes count against
 *	AL_INSPECT_MAX_INFLATE_BYTES for the whole file. Past either,
 *	the walk stops with `limits`.
 *	XFA (/AcroForm /XFA): a stream, or an array of (name, stream) pairs
 *	whose streams together make one XML document. libxml2 reads it
 *	without network (XML_PARSE_NONET), without entity substitution or
 *	DTD loading, with its own size and depth limits and no messages. An
 *	element named script or execute in any namespace is script the
 *	reader runs (event handlers hold their script in <script>). XFA
 *	that cannot be decoded or parsed is `unscannable`.
 *	Object streams (/Type /ObjStm): the header's pairs of numbers give
 *	each object's offset after /First; each object's text goes through
 *	qpdf's object parser and the same walk.
 */
#include "inspect_pdf_private.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#define PDF_MAX_FILTERS 4

static gboolean is_expanding(const char *filter)
{
	static const char *const names[] = { "/FlateDecode", "/Fl", "/LZWDecode", "/LZW",
					      "/RunLengthDecode", "/RL" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(filter, names[i]) == 0)
			return TRUE;
	return FALSE;
}

/* Whether qpdf may decode the stream within the limits. */
static gboolean decodable(struct pdf_walk *w, qpdf_oh dict)
{
	qpdf_oh length = qpdf_oh_get_key(w->pdf, dict, "/Length");
	qpdf_oh filter = qpdf_oh_get_key(w->pdf, dict, "/Filter");
	long long raw = qpdf_oh_is_integer(w->pdf, length) ? qpdf_oh_get_int_value(w->pdf, length)
							    : 0;
	int count = 0, expanding = 0;

	if (qpdf_oh_is_name(w->pdf, filter)) {
		count = 1;
		expanding = is_expanding(qpdf_oh_get_name(w->pdf, filter));
	} else if (qpdf_oh_is_array(w->pdf, filter)) {
		count = qpdf_oh_get_array_n_items(w->pdf, filter);
		for (int i = 0; i < count && i < PDF_MAX_FILTERS + 1; i++) {
			qpdf_oh item = qpdf_oh_get_array_item(w->pdf, filter, i);

			expanding += qpdf_oh_is_name(w->pdf, item) &&
				     is_expanding(qpdf_oh_get_name(w->pdf, item));
			qpdf_oh_release(w->pdf, item);
		}
	}
	qpdf_oh_release(w->pdf, length);
	qpdf_oh_release(w->pdf, filter);
	al_pdf_failed(w);
	if (raw < 0 || raw > (long long)PDF_MAX_STREAM_RAW_BYTES || count > PDF_MAX_FILTERS ||
	    expanding > 1) {
		al_pdf_limit(w, "a stream too large or with too many filters to decode");
		return FALSE;
	}
	return TRUE;
}

GByteArray *al_pdf_decode(struct pdf_walk *w, qpdf_oh stream)
{
	qpdf_oh dict = qpdf_oh_get_dict(w->pdf, stream);
	gboolean ok = decodable(w, dict);
	unsigned char *buffer = NULL;
	size_t len = 0;
	QPDF_BOOL filtered = QPDF_FALSE;
	GByteArray *out = NULL;

	qpdf_oh_release(w->pdf, dict);
	if (!ok)
		return NULL;
	if (qpdf_oh_get_stream_data(w->pdf, stream, qpdf_dl_generalized, &filtered, &buffer,
				    &len) & QPDF_ERRORS) {
		al_pdf_failed(w);
		goto out;
	}
	w->decoded_bytes += len;
	if (w->decoded_bytes > AL_INSPECT_MAX_INFLATE_BYTES)
		al_pdf_limit(w, "more decoded stream data than allowed");
	else if (filtered && buffer != NULL)
		out = g_byte_array_append(g_byte_array_new(), buffer, (guint)len);
out:
	free(buffer);
	return out;
}

static gboolean read_offsets(const GByteArray *data, long long first, long long n,
			     GArray *offsets)
{
	const char *p = (const char *)data->data;
	const char *end = p + MIN((gsize)first, data->len);

	for (long long i = 0; i < 2 * n; i++) {
		char *stop;
		guint64 value;

		while (p < end && g_ascii_isspace(*p))
			p++;
		if (p >= end || !g_ascii_isdigit(*p))
			return FALSE;
		value = g_ascii_strtoull(p, &stop, 10);
		if (stop > end || value > data->len)
			return FALSE;
		p = stop;
		if (i % 2 == 1)
			g_array_append_val(offsets, value);
	}
	return TRUE;
}

static void parse_objects(struct pdf_walk *w, const GByteArray *data, long long first,
			  const GArray *offsets, guint depth)
{
	for (guint i = 0; i < offsets->len && w->limit == NULL; i++) {
		guint64 start = (guint64)first + g_array_index(offsets, guint64, i);
		guint64 stop = i + 1 < offsets->len ? (guint64)first + g_array_index(offsets, guint64, i + 1)
						    : data->len;
		g_autofree char *text = NULL;
		qpdf_oh object;

		if (++w->objects > AL_INSPECT_PDF_MAX_OBJECTS) {
			al_pdf_limit(w, "too many objects");
			return;
		}
		if (start >= stop || stop > data->len)
			continue;
		text = g_strndup((const char *)data->data + start, (gsize)(stop - start));
		object = qpdf_oh_parse(w->pdf, text);
		if (!al_pdf_failed(w))
			al_pdf_visit(w, object, depth + 1);
		qpdf_oh_release(w->pdf, object);
	}
}

static long long int_at(struct pdf_walk *w, qpdf_oh dict, const char *key)
{
	qpdf_oh value = qpdf_oh_get_key(w->pdf, dict, key);
	long long n = qpdf_oh_is_integer(w->pdf, value) ? qpdf_oh_get_int_value(w->pdf, value) : -1;

	qpdf_oh_release(w->pdf, value);
	al_pdf_failed(w);
	return n;
}

void al_pdf_object_stream(struct pdf_walk *w, qpdf_oh stream, guint depth)
{
	qpdf_oh dict = qpdf_oh_get_dict(w->pdf, stream);
	long long n = int_at(w, dict, "/N");
	long long first = int_at(w, dict, "/First");
	g_autoptr(GByteArray) data = NULL;
	g_autoptr(GArray) offsets = g_array_new(FALSE, FALSE, sizeof(guint64));

	qpdf_oh_release(w->pdf, dict);
	if (n <= 0 || first < 0)
		return;
	if (n > AL_INSPECT_PDF_MAX_OBJECTS) {
		al_pdf_limit(w, "too many objects");
		return;
	}
	data = al_pdf_decode(w, stream);
	if (data != NULL && (guint64)first <= data->len && read_offsets(data, first, n, offsets))
		parse_objects(w, data, first, offsets, depth);
}

static gboolean is_script_element(const xmlNode *node)
{
	return node->type == XML_ELEMENT_NODE &&
	       (xmlStrcasecmp(node->name, BAD_CAST "script") == 0 ||
		xmlStrcasecmp(node->name, BAD_CAST "execute") == 0);
}

static gboolean has_script(const xmlNode *node)
{
	/* Iterative: depth is libxml2's to limit, not the C stack's. */
	while (node != NULL) {
		if (is_script_element(node))
			return TRUE;
		if (node->children != NULL && node->type == XML_ELEMENT_NODE) {
			node = node->children;
			continue;
		}
		while (node != NULL && node->next == NULL)
			node = node->parent != NULL && node->parent->type == XML_ELEMENT_NODE
				       ? node->parent
				       : NULL;
		if (node != NULL)
			node = node->next;
	}
	return FALSE;
}

int al_inspect_xfa_has_script(const guint8 *xml, gsize len)
{
	xmlDoc *doc;
	int found;

	static gsize parser_ready;

	if (g_once_init_enter(&parser_ready)) {
		xmlInitParser(); /* once, before threads share libxml2 */
		g_once_init_leave(&parser_ready, 1);
	}
	if (len > G_MAXINT)
		return -1;
	doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL)
		return -1;
	found = has_script(xmlDocGetRootElement(doc)) ? 1 : 0;
	xmlFreeDoc(doc);
	return found;
}

static void append_stream(struct pdf_walk *w, qpdf_oh oh, GByteArray *xml, gboolean *bad_r)
{
	g_autoptr(GByteArray) part = NULL;

	if (!qpdf_oh_is_stream(w->pdf, oh))
		return;
	part = al_pdf_decode(w, oh);
	if (part == NULL)
		*bad_r = TRUE;
	else
		g_byte_array_append(xml, part->data, part->len);
}

void al_pdf_check_xfa(struct pdf_walk *w, qpdf_oh xfa)
{
	g_autoptr(GByteArray) xml = g_byte_array_new();
	gboolean bad = FALSE;
	int script;

	if (qpdf_oh_is_array(w->pdf, xfa)) {
		int n = qpdf_oh_get_array_n_items(w->pdf, xfa);

		for (int i = 0; i < n && w->limit == NULL; i++) {
			qpdf_oh item = qpdf_oh_get_array_item(w->pdf, xfa, i);

			append_stream(w, item, xml, &bad);
			qpdf_oh_release(w->pdf, item);
		}
	} else {
		append_stream(w, xfa, xml, &bad);
	}
	al_pdf_failed(w);
	if (w->limit != NULL)
		return;
	script = bad ? -1 : al_inspect_xfa_has_script(xml->data, xml->len);
	if (script > 0)
		w->found |= PDF_XFA_SCRIPT;
	else if (script < 0)
		w->found |= PDF_XFA_UNREADABLE;
}
