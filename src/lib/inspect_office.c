/*
 * inspect_office.c - active content in the XML of Office documents
 * (OOXML parts, Flat OPC, Word 2003 XML, ODF), read with libxml2.
 *
 * SYNOPSIS
 *	al_inspect_office(&inspection);
 *
 * DESCRIPTION
 *	Applies to a file that starts like XML (a byte order mark, blanks or
 *	'<', also UTF-16). libclamav reports each part of an OOXML or ODF zip
 *	as a layer named by its base name only ("settings.xml.rels"), so the
 *	part is recognised by its root element's namespace, or by a name
 *	ending in ".rels" in any case; other XML (XHTML, SVG, HL7 CDA) is left
 *	after its root element. A SAX2 pass reads the rest, so encodings,
 *	whitespace, attribute order and namespace prefixes are the parser's
 *	business. It finds:
 *	  relationships  Type vbaProject, wordVbaData, xlMacrosheet,
 *	                 xlIntlMacrosheet, control, activeXControlBinary, or a
 *	                 target in macrosheets/: `macro`; TargetMode External
 *	                 with Type attachedTemplate, oleObject, subDocument or
 *	                 frame, or any external non-hyperlink Target that is
 *	                 an http(s), ftp, file, mhtml or UNC URL to a document
 *	                 or template (remote template injection): `macro`;
 *	  content types  [Content_Types].xml declaring a VBA project, a macro
 *	                 sheet or an ActiveX part: `macro`;
 *	  Word fields    w:instrText pieces joined across runs up to the next
 *	                 w:fldChar, and w:fldSimple/@w:instr, whose keyword
 *	                 (quotes and backslashes skipped) is DDE or DDEAUTO,
 *	                 or INCLUDETEXT of a remote URL: `macro`;
 *	  Excel          ddeLink with a ddeService (DDE link part), a formula
 *	                 holding a DDE reference (app|topic!item), a macro
 *	                 sheet (xm:macrosheet), an Auto_Open defined name:
 *	                 `macro`;
 *	  ActiveX        an ax:ocx part: `macro`;
 *	  Word 2003 XML  w:binData named *.mso (editdata.mso) or holding
 *	                 ActiveMime (base64 "QWN0aXZlTWltZQ"), w:docSuppData:
 *	                 `macro`;
 *	  Flat OPC       a pkg:part named vbaProject.bin or of a VBA, macro
 *	                 sheet or ActiveX content type: `macro` (its XML
 *	                 parts are read by the checks above);
 *	  ODF            manifest entries under Basic/ or Scripts/, an
 *	                 office:script, a script:event-listener, a
 *	                 presentation:event-listener that executes a program,
 *	                 a text:execute-macro field, a Basic module
 *	                 (script:module): `macro`; a manifest entry with
 *	                 manifest:encryption-data (password-protected
 *	                 document, its parts cannot be read): `encrypted`.
 *	Limits: parts above AL_INSPECT_OFFICE_MAX_PART_BYTES, or with more
 *	than MAX_NODES elements and text nodes, are not fully read: `limits`.
 *	Never network (XML_PARSE_NONET), no entity substitution, and a
 *	document type declaration stops the parse before its internal subset
 *	is read (billion laughs): Office refuses DTDs in its parts. A part
 *	that does not parse is no finding by itself (Office refuses to open
 *	it too), but a sentence in the details says so.
 *
 * THREADS
 *	libxml2 is initialised once (g_once); each call has its own parser.
 */
#include "inspect_private.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <string.h>

#define CHUNK_BYTES 65536
#define MAX_NODES 2000000u
#define MAX_FINDINGS 8	       /* sentences per part; reasons still count */
#define MAX_FIELD_BYTES 1024   /* a field code kept for the DDE test */
#define MAX_SHOWN 120	       /* characters of a target or field quoted */
#define ACTIVEMIME_B64 "QWN0aXZlTWltZQ"

#define NS_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define NS_CT "http://schemas.openxmlformats.org/package/2006/content-types"
#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_W_STRICT "http://purl.oclc.org/ooxml/wordprocessingml/main"
#define NS_W2003 "http://schemas.microsoft.com/office/word/2003/wordml"
#define NS_SS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_SS_STRICT "http://purl.oclc.org/ooxml/spreadsheetml/main"
#define NS_XM "http://schemas.microsoft.com/office/excel/2006/main"
#define NS_AX "http://schemas.microsoft.com/office/2006/activeX"
#define NS_PKG "http://schemas.microsoft.com/office/2006/xmlPackage"
#define NS_MANIFEST "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_SCRIPT "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
#define NS_PRESENTATION "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_OOO_SCRIPT "http://openoffice.org/2000/script"

enum ns {
	NS_OTHER,
	NS_IS_REL,
	NS_IS_CT,
	NS_IS_WORD, /* 2007+ transitional or strict, and 2003 */
	NS_IS_SHEET,
	NS_IS_XM,
	NS_IS_AX,
	NS_IS_PKG,
	NS_IS_ODF_MANIFEST,
	NS_IS_ODF_OFFICE,
	NS_IS_ODF_SCRIPT,
	NS_IS_ODF_PRESENTATION,
	NS_IS_ODF_TEXT,
	NS_IS_OOO_SCRIPT,
};

struct office_xml {
	struct inspection *in;
	xmlParserCtxtPtr parser;
	gboolean rels_name; /* the part is named *.rels */
	gboolean root_seen;
	gboolean office;    /* the root is an Office part */
	gboolean stopped;   /* by us: not an XML error */
	guint64 nodes;
	guint findings;
	GString *field;	    /* w:instrText since the last w:fldChar */
	gboolean in_instr;
	GString *formula;   /* the text of a spreadsheet f element */
	gboolean in_formula;
	gboolean in_bindata;
	GString *bindata_head;
	gboolean encrypted_seen;
	gboolean basic_seen;
	char *error;	    /* the parser's first complaint */
};

static enum ns ns_of(const xmlChar *uri)
{
	static const struct {
		const char *uri;
		enum ns ns;
	} known[] = {
		{ NS_REL, NS_IS_REL },
		{ NS_CT, NS_IS_CT },
		{ NS_W, NS_IS_WORD },
		{ NS_W_STRICT, NS_IS_WORD },
		{ NS_W2003, NS_IS_WORD },
		{ NS_SS, NS_IS_SHEET },
		{ NS_SS_STRICT, NS_IS_SHEET },
		{ NS_XM, NS_IS_XM },
		{ NS_AX, NS_IS_AX },
		{ NS_PKG, NS_IS_PKG },
		{ NS_MANIFEST, NS_IS_ODF_MANIFEST },
		{ NS_OFFICE, NS_IS_ODF_OFFICE },
		{ NS_SCRIPT, NS_IS_ODF_SCRIPT },
		{ NS_PRESENTATION, NS_IS_ODF_PRESENTATION },
		{ NS_TEXT, NS_IS_ODF_TEXT },
		{ NS_OOO_SCRIPT, NS_IS_OOO_SCRIPT },
	};

	if (uri == NULL)
		return NS_OTHER;
	for (guint i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp((const char *)uri, known[i].uri) == 0)
			return known[i].ns;
	return NS_OTHER;
}

static void found(struct office_xml *ox, enum al_reason reason, const char *what,
		  const char *value)
{
	g_autofree char *shown = NULL;

	if (ox->findings++ >= MAX_FINDINGS) {
		ox->in->reasons |= AL_REASON_BIT(reason);
		return;
	}
	if (value == NULL) {
		al_inspect_found(ox->in, reason, "%s", what);
		return;
	}
	shown = g_utf8_make_valid(value, MIN(strlen(value), (gsize)MAX_SHOWN));
	al_inspect_found(ox->in, reason, "%s: %s", what, shown);
}

static void stop(struct office_xml *ox)
{
	ox->stopped = TRUE;
	xmlStopParser(ox->parser);
}

/* An attribute by local name, whatever its prefix (NULL when absent,
 * transfer full). SAX2 gives localname, prefix, URI, value, end. */
static char *attribute(int count, const xmlChar **attributes, const char *local)
{
	for (int i = 0; i < count; i++) {
		const xmlChar **a = attributes + 5 * i;

		if (strcmp((const char *)a[0], local) == 0)
			return g_strndup((const char *)a[3], (gsize)(a[4] - a[3]));
	}
	return NULL;
}

/* The last path segment of a relationship or content type. */
static const char *last_segment(const char *uri)
{
	const char *slash = strrchr(uri, '/');

	return slash != NULL ? slash + 1 : uri;
}

static gboolean in_list(const char *value, const char *const *list)
{
	for (; *list != NULL; list++)
		if (g_ascii_strcasecmp(value, *list) == 0)
			return TRUE;
	return FALSE;
}

/* Office opens these from a URL: a template or a document. */
static gboolean document_target(const char *target)
{
	static const char *const extensions[] = {
		"doc", "docx", "docm", "dot", "dotx", "dotm", "xls", "xlsx", "xlsm", "xlsb",
		"xlt", "xltx", "xltm", "xla", "xlam", "ppt", "pptx", "pptm", "pot", "potx",
		"potm", "ppa", "ppam", "rtf", "htm", "html", "mht", "mhtml", "xml", "odt",
		"ods", "odp", "wbk", "wiz", NULL
	};
	g_autofree char *path = g_strndup(target, strcspn(target, "?#"));
	const char *dot = strrchr(path, '.');

	return dot != NULL && strchr(dot, '/') == NULL && in_list(dot + 1, extensions);
}

static gboolean remote_target(const char *target)
{
	static const char *const schemes[] = { "http://", "https://", "ftp://", "file:",
					       "mhtml:", "\\\\", "//", NULL };

	while (g_ascii_isspace(*target))
		target++;
	for (const char *const *s = schemes; *s != NULL; s++)
		if (g_ascii_strncasecmp(target, *s, strlen(*s)) == 0)
			return TRUE;
	return FALSE;
}

static void check_relationship(struct office_xml *ox, int count, const xmlChar **attributes)
{
	static const char *const active[] = { "vbaProject", "wordVbaData", "xlMacrosheet",
					      "xlIntlMacrosheet", "control",
					      "activeXControlBinary", NULL };
	static const char *const remote[] = { "attachedTemplate", "oleObject", "subDocument",
					      "frame", NULL };
	g_autofree char *type = attribute(count, attributes, "Type");
	g_autofree char *target = attribute(count, attributes, "Target");
	g_autofree char *mode = attribute(count, attributes, "TargetMode");
	const char *kind = type != NULL ? last_segment(type) : "";
	gboolean external = mode != NULL && g_ascii_strcasecmp(g_strstrip(mode), "External") == 0;
	g_autofree char *lower = target != NULL ? g_ascii_strdown(target, -1) : NULL;
	g_autofree char *what = NULL;

	if (in_list(kind, active) ||
	    (!external && lower != NULL && strstr(lower, "macrosheets/") != NULL)) {
		what = g_strdup_printf("office document with active content (a %s relationship, "
				       "VBA, Excel 4.0 macro sheet or ActiveX control)",
				       *kind != '\0' ? kind : "macrosheet");
		found(ox, AL_REASON_MACRO, what, target);
	} else if (external && target != NULL &&
		   (in_list(kind, remote) ||
		    (g_ascii_strcasecmp(kind, "hyperlink") != 0 && remote_target(target) &&
		     document_target(target)))) {
		what = g_strdup_printf("office document loads a remote %s when opened (template "
				       "injection) from",
				       *kind != '\0' ? kind : "document");
		found(ox, AL_REASON_MACRO, what, target);
	}
}

static void check_content_type(struct office_xml *ox, int count, const xmlChar **attributes)
{
	g_autofree char *type = attribute(count, attributes, "ContentType");
	g_autofree char *lower = type != NULL ? g_ascii_strdown(type, -1) : NULL;

	if (lower != NULL && (strstr(lower, "vbaproject") != NULL ||
			      strstr(lower, "macrosheet") != NULL ||
			      strstr(lower, "activex") != NULL))
		found(ox, AL_REASON_MACRO,
		      "office document declaring a part with macros or ActiveX controls", type);
}

/* A field code's keyword, quotes and backslashes skipped: Word runs
 * "DDEAUTO", "\"DDE\"" and "dde" alike. */
static void check_field(struct office_xml *ox, const char *code)
{
	const char *p = code;
	gsize n;

	while (*p != '\0' && (g_ascii_isspace(*p) || *p == '"' || *p == '\\'))
		p++;
	for (n = 0; g_ascii_isalpha(p[n]); n++)
		;
	if ((n == 3 && g_ascii_strncasecmp(p, "DDE", 3) == 0) ||
	    (n == 7 && g_ascii_strncasecmp(p, "DDEAUTO", 7) == 0))
		found(ox, AL_REASON_MACRO,
		      "Word field that starts a program through DDE when the document opens", code);
	else if (n == 11 && g_ascii_strncasecmp(p, "INCLUDETEXT", 11) == 0) {
		p += n;
		while (*p != '\0' && (g_ascii_isspace(*p) || *p == '"'))
			p++;
		if (remote_target(p))
			found(ox, AL_REASON_MACRO,
			      "Word field that loads a remote document when updated", code);
	}
}

static void end_field(struct office_xml *ox)
{
	if (ox->field->len > 0)
		check_field(ox, ox->field->str);
	g_string_truncate(ox->field, 0);
}

/* A DDE reference in a formula: app|topic!item, outside string literals. */
static void check_formula(struct office_xml *ox)
{
	gboolean quoted = FALSE;
	const char *f = ox->formula->str;

	for (gsize i = 0; f[i] != '\0'; i++) {
		if (f[i] == '"')
			quoted = !quoted;
		else if (!quoted && f[i] == '|' && i > 0 && g_ascii_isalnum(f[i - 1]) &&
			 strchr(f + i, '!') != NULL) {
			found(ox, AL_REASON_MACRO,
			      "spreadsheet formula that starts a program through DDE", f);
			return;
		}
	}
}

static void on_word(struct office_xml *ox, const char *local, int count,
		    const xmlChar **attributes)
{
	g_autofree char *value = NULL;

	if (strcmp(local, "instrText") == 0) {
		ox->in_instr = TRUE;
	} else if (strcmp(local, "fldChar") == 0) {
		end_field(ox);
	} else if (strcmp(local, "fldSimple") == 0) {
		value = attribute(count, attributes, "instr");
		if (value != NULL)
			check_field(ox, value);
	} else if (strcmp(local, "binData") == 0) {
		value = attribute(count, attributes, "name");
		if (value != NULL && strlen(value) > 4 &&
		    g_ascii_strcasecmp(value + strlen(value) - 4, ".mso") == 0)
			found(ox, AL_REASON_MACRO,
			      "Word 2003 XML document carrying an ActiveMime macro container",
			      value);
		ox->in_bindata = TRUE;
		g_string_truncate(ox->bindata_head, 0);
	} else if (strcmp(local, "docSuppData") == 0) {
		found(ox, AL_REASON_MACRO,
		      "Word 2003 XML document with supplementary data (a VBA project)", NULL);
	}
}

static void on_sheet(struct office_xml *ox, const char *local, int count,
		     const xmlChar **attributes)
{
	g_autofree char *value = NULL;

	if (strcmp(local, "ddeLink") == 0) {
		value = attribute(count, attributes, "ddeService");
		if (value != NULL)
			found(ox, AL_REASON_MACRO,
			      "spreadsheet DDE link that starts a program when the workbook opens",
			      value);
	} else if (strcmp(local, "f") == 0) {
		ox->in_formula = TRUE;
		g_string_truncate(ox->formula, 0);
	} else if (strcmp(local, "definedName") == 0) {
		value = attribute(count, attributes, "name");
		if (value != NULL && (g_ascii_strncasecmp(value, "Auto_Open", 9) == 0 ||
				      g_ascii_strncasecmp(value, "_xlnm.Auto_Open", 15) == 0))
			found(ox, AL_REASON_MACRO,
			      "workbook with an Auto_Open name (runs an Excel 4.0 macro when opened)",
			      value);
	}
}

static void on_package_part(struct office_xml *ox, int count, const xmlChar **attributes)
{
	g_autofree char *name = attribute(count, attributes, "name");
	g_autofree char *type = attribute(count, attributes, "contentType");
	g_autofree char *lower = type != NULL ? g_ascii_strdown(type, -1) : NULL;

	if ((name != NULL && g_ascii_strcasecmp(last_segment(name), "vbaProject.bin") == 0) ||
	    (lower != NULL &&
	     (strstr(lower, "vbaproject") != NULL || strstr(lower, "macrosheet") != NULL ||
	      strstr(lower, "activex") != NULL)))
		found(ox, AL_REASON_MACRO,
		      "flat XML office document carrying a VBA project, a macro sheet or an "
		      "ActiveX control",
		      name);
}

static void on_manifest(struct office_xml *ox, const char *local, int count,
			const xmlChar **attributes)
{
	g_autofree char *path = NULL;

	if (strcmp(local, "encryption-data") == 0 && !ox->encrypted_seen) {
		ox->encrypted_seen = TRUE;
		found(ox, AL_REASON_ENCRYPTED,
		      "password-protected OpenDocument file: its content cannot be scanned", NULL);
	} else if (strcmp(local, "file-entry") == 0 && !ox->basic_seen) {
		path = attribute(count, attributes, "full-path");
		if (path != NULL && (g_ascii_strncasecmp(path, "Basic/", 6) == 0 ||
				     g_ascii_strncasecmp(path, "Scripts/", 8) == 0)) {
			ox->basic_seen = TRUE;
			found(ox, AL_REASON_MACRO, "OpenDocument file with macros", path);
		}
	}
}

static void on_odf(struct office_xml *ox, enum ns ns, const char *local, int count,
		   const xmlChar **attributes)
{
	g_autofree char *value = NULL;

	if (ns == NS_IS_ODF_OFFICE && strcmp(local, "script") == 0) {
		value = attribute(count, attributes, "language");
		found(ox, AL_REASON_MACRO, "OpenDocument file with an embedded script", value);
	} else if (ns == NS_IS_ODF_SCRIPT && strcmp(local, "event-listener") == 0) {
		value = attribute(count, attributes, "macro-name");
		if (value == NULL)
			value = attribute(count, attributes, "href");
		found(ox, AL_REASON_MACRO, "OpenDocument file that runs a script on an event",
		      value);
	} else if (ns == NS_IS_ODF_PRESENTATION && strcmp(local, "event-listener") == 0) {
		value = attribute(count, attributes, "action");
		if (value != NULL && g_ascii_strcasecmp(value, "execute") == 0)
			found(ox, AL_REASON_MACRO,
			      "presentation that starts a program or a document on a click", NULL);
	} else if (ns == NS_IS_ODF_TEXT && strcmp(local, "execute-macro") == 0) {
		found(ox, AL_REASON_MACRO, "OpenDocument text with a field that runs a macro",
		      NULL);
	} else if (ns == NS_IS_OOO_SCRIPT && strcmp(local, "module") == 0) {
		value = attribute(count, attributes, "name");
		found(ox, AL_REASON_MACRO, "OpenDocument Basic macro module", value);
	}
}

/* The first element decides whether the part is one of ours. */
static gboolean office_root(const struct office_xml *ox, enum ns ns)
{
	return ns != NS_OTHER || ox->rels_name;
}

static void on_start(void *user, const xmlChar *localname, const xmlChar *prefix,
		     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
		     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct office_xml *ox = user;
	const char *local = (const char *)localname;
	enum ns ns = ns_of(uri);

	(void)prefix, (void)nb_namespaces, (void)namespaces, (void)nb_defaulted;
	if (!ox->root_seen) {
		ox->root_seen = TRUE;
		ox->office = office_root(ox, ns);
		if (!ox->office) {
			stop(ox);
			return;
		}
	}
	if (++ox->nodes > MAX_NODES) {
		found(ox, AL_REASON_LIMITS,
		      "office document part with too many XML elements: not fully inspected", NULL);
		stop(ox);
		return;
	}
	/* A .rels part in no namespace still opens in some readers. */
	if (strcmp(local, "Relationship") == 0 &&
	    (ns == NS_IS_REL || (ox->rels_name && ns == NS_OTHER)))
		check_relationship(ox, nb_attributes, attributes);
	else if (ns == NS_IS_CT && (strcmp(local, "Override") == 0 || strcmp(local, "Default") == 0))
		check_content_type(ox, nb_attributes, attributes);
	else if (ns == NS_IS_WORD)
		on_word(ox, local, nb_attributes, attributes);
	else if (ns == NS_IS_SHEET)
		on_sheet(ox, local, nb_attributes, attributes);
	else if ((ns == NS_IS_XM || ns == NS_IS_SHEET) && strcmp(local, "macrosheet") == 0)
		found(ox, AL_REASON_MACRO, "Excel 4.0 (XLM) macro sheet", NULL);
	else if (ns == NS_IS_AX && strcmp(local, "ocx") == 0)
		found(ox, AL_REASON_MACRO, "office document with an ActiveX control", NULL);
	else if (ns == NS_IS_PKG && strcmp(local, "part") == 0)
		on_package_part(ox, nb_attributes, attributes);
	else if (ns == NS_IS_ODF_MANIFEST)
		on_manifest(ox, local, nb_attributes, attributes);
	else if (ns != NS_OTHER)
		on_odf(ox, ns, local, nb_attributes, attributes);
}

static void on_end(void *user, const xmlChar *localname, const xmlChar *prefix,
		   const xmlChar *uri)
{
	struct office_xml *ox = user;

	(void)prefix, (void)uri;
	if (ox->in_formula && strcmp((const char *)localname, "f") == 0) {
		check_formula(ox);
		ox->in_formula = FALSE;
	}
	ox->in_instr = FALSE;
	ox->in_bindata = FALSE;
}

static void append_bounded(GString *to, const xmlChar *text, int len, gsize max)
{
	if (to->len < max)
		g_string_append_len(to, (const char *)text, MIN((gsize)len, max - to->len));
}

static void on_text(void *user, const xmlChar *text, int len)
{
	struct office_xml *ox = user;

	if (++ox->nodes > MAX_NODES) {
		found(ox, AL_REASON_LIMITS,
		      "office document part with too many XML nodes: not fully inspected", NULL);
		stop(ox);
		return;
	}
	if (ox->in_instr)
		append_bounded(ox->field, text, len, MAX_FIELD_BYTES);
	else if (ox->in_formula)
		append_bounded(ox->formula, text, len, MAX_FIELD_BYTES);
	else if (ox->in_bindata && ox->bindata_head->len < sizeof(ACTIVEMIME_B64)) {
		for (int i = 0; i < len; i++)
			if (!g_ascii_isspace(text[i]) &&
			    ox->bindata_head->len < sizeof(ACTIVEMIME_B64))
				g_string_append_c(ox->bindata_head, (char)text[i]);
		if (g_str_has_prefix(ox->bindata_head->str, ACTIVEMIME_B64)) {
			found(ox, AL_REASON_MACRO,
			      "Word 2003 XML document carrying an ActiveMime (macro) container",
			      NULL);
			ox->in_bindata = FALSE;
		}
	}
}

/* A document type declaration: refused before its internal subset. */
static void on_doctype(void *user, const xmlChar *name, const xmlChar *external_id,
		       const xmlChar *system_id)
{
	struct office_xml *ox = user;

	(void)name, (void)external_id, (void)system_id;
	if (ox->error == NULL)
		ox->error = g_strdup("a document type declaration (refused: entity expansion)");
	stop(ox);
}

static void on_error(void *user, xmlErrorPtr error)
{
	struct office_xml *ox = user;

	if (ox->error == NULL && !ox->stopped && error != NULL && error->message != NULL)
		ox->error = g_strstrip(g_utf8_make_valid(error->message, -1));
}

static gboolean looks_like_xml(const struct inspection *in)
{
	const guint8 *p = in->data;
	gsize i = 0;

	if (in->len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
		return TRUE;
	if (in->len >= 2 && ((p[0] == '<' && p[1] == 0) || (p[0] == 0 && p[1] == '<')))
		return TRUE;
	if (in->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < in->len && i < 64 && g_ascii_isspace(p[i]))
		i++;
	return i < in->len && p[i] == '<';
}

static gpointer init_libxml(gpointer unused)
{
	(void)unused;
	xmlInitParser();
	return NULL;
}

static void parse(struct office_xml *ox)
{
	xmlSAXHandler sax = {
		.initialized = XML_SAX2_MAGIC,
		.startElementNs = on_start,
		.endElementNs = on_end,
		.characters = on_text,
		.ignorableWhitespace = on_text,
		.cdataBlock = on_text,
		.internalSubset = on_doctype,
		.serror = on_error,
	};
	const struct inspection *in = ox->in;
	gsize pos = MIN(in->len, (gsize)4); /* what the encoding is detected on */

	ox->parser = xmlCreatePushParserCtxt(&sax, ox, (const char *)in->data, (int)pos, NULL);
	if (ox->parser == NULL)
		return;
	xmlCtxtUseOptions(ox->parser, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					      XML_PARSE_HUGE);
	while (pos < in->len && pos < AL_INSPECT_OFFICE_MAX_PART_BYTES && !ox->stopped) {
		gsize n = MIN(in->len - pos, (gsize)CHUNK_BYTES);

		if (xmlParseChunk(ox->parser, (const char *)in->data + pos, (int)n, 0) != 0)
			break;
		pos += n;
	}
	if (pos >= in->len && !ox->stopped)
		xmlParseChunk(ox->parser, NULL, 0, 1);
	if (pos < in->len && pos >= AL_INSPECT_OFFICE_MAX_PART_BYTES && !ox->stopped &&
	    ox->office)
		found(ox, AL_REASON_LIMITS,
		      "office document part larger than the inspection limit: not fully "
		      "inspected",
		      NULL);
	xmlFreeParserCtxt(ox->parser);
	ox->parser = NULL;
}

void al_inspect_office(struct inspection *in)
{
	static GOnce once = G_ONCE_INIT;
	struct office_xml ox = {
		.in = in,
		.rels_name = in->name != NULL && strlen(in->name) >= 5 &&
			     g_ascii_strcasecmp(in->name + strlen(in->name) - 5, ".rels") == 0,
	};

	if (!looks_like_xml(in))
		return;
	g_once(&once, init_libxml, NULL);
	ox.field = g_string_new(NULL);
	ox.formula = g_string_new(NULL);
	ox.bindata_head = g_string_new(NULL);
	parse(&ox);
	end_field(&ox);
	if (ox.error != NULL && in->details != NULL && (ox.rels_name || ox.office))
		g_ptr_array_add(in->details,
				g_strdup_printf("office XML part that does not parse (%s): Office "
						"refuses it; inspected up to the error",
						ox.error));
	g_free(ox.error);
	g_string_free(ox.field, TRUE);
	g_string_free(ox.formula, TRUE);
	g_string_free(ox.bindata_head, TRUE);
}
