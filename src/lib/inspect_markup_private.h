/*
 * inspect_markup_private.h - what the markup and text inspectors share
 * (inspect_markup.c dispatches; inspect_markup_tree.c walks SVG and HTML
 * trees parsed by libxml2; inspect_script.c reads script; inspect_rtf.c
 * and inspect_csv.c read RTF and text spreadsheets). Not installed.
 */
#ifndef AIRLOCK_INSPECT_MARKUP_PRIVATE_H
#define AIRLOCK_INSPECT_MARKUP_PRIVATE_H

#include "inspect_private.h"

#include <libxml/tree.h>

/* Larger markup or text files are not parsed: `limits`. */
#define AL_MARKUP_MAX_BYTES (32u * 1024 * 1024)
/* Elements, attributes and entity expansions visited in one tree. */
#define AL_MARKUP_MAX_NODES 1000000u
/* Script text (elements, handlers, javascript: URLs) read from one file. */
#define AL_MARKUP_MAX_SCRIPT_BYTES (16u * 1024 * 1024)
/* Nested documents (iframe srcdoc, data:text/html) read inside one file. */
#define AL_MARKUP_MAX_NESTING 3

/* What a walk over an SVG or HTML tree saw. The first finding of each
 * kind is kept as a sentence fragment (static strings or owned copies). */
struct markup_facts {
	GString *script;	  /* script elements, handlers, javascript: URLs */
	const char *script_element; /* "<script>" or "<svg:script>"... */
	char *event_handler;	  /* attribute name, owned */
	gboolean javascript_url;
	char *data_url;		  /* a non-image data: URL's type, owned */
	char *active_foreign;	  /* element name inside foreignObject, owned */
	gboolean refresh_to_data; /* <meta http-equiv=refresh> to a data: URL */
	gboolean download_attribute;
	gboolean data_application; /* a data:application/ URL anywhere */
	gboolean over_limit;
	guint nodes;
	guint nesting;
};

/* What a script does, read from its tokens (inspect_script.c). */
struct script_features {
	gboolean save_blob;	 /* msSaveOrOpenBlob, msSaveBlob */
	gboolean object_url;	 /* createObjectURL */
	gboolean blob;		 /* Blob or File objects */
	gboolean download;	 /* a download attribute or property */
	gboolean click;		 /* click() or dispatchEvent() */
	gboolean decoder;	 /* atob, fromCharCode, charCodeAt, Uint8Array... */
	gboolean data_application; /* a "data:application/..." string */
	gboolean data_other;	 /* any other non-image "data:" string */
	gsize longest_base64;	 /* longest base64 string (constant-folded) */
	gsize longest_binary;	 /* longest string of non-text bytes (\xHH) */
	gboolean over_limit;	 /* tokens or folded text past the limits */
	gsize folded_bytes;	 /* work done so far (limit) */
};

void al_markup_facts_clear(struct markup_facts *facts);

/* Walks doc (an XML or HTML tree), adding to facts. */
void al_markup_walk(xmlDoc *doc, struct markup_facts *facts);

/* Parses data as HTML (libxml2, no network) and walks it; FALSE when
 * libxml2 returned no tree. */
gboolean al_markup_walk_html(const guint8 *data, gsize len, struct markup_facts *facts);

/* The MIME type of a data: URL (lower case, at most 80 bytes, transfer
 * full), or NULL when value is not one. Whitespace browsers ignore is
 * ignored. */
char *al_markup_data_url_type(const char *value);

/* TRUE for the data: URL types that cannot run: raster images, fonts. */
gboolean al_markup_data_type_is_inert(const char *type);

/* TRUE when value is a javascript: or vbscript: URL (browser rules:
 * leading blanks and embedded tabs and newlines ignored). */
gboolean al_markup_is_script_url(const char *value);

/* Reads script text (JavaScript) into features (zeroed by the caller). */
void al_script_features(const char *text, gsize len, struct script_features *features);

void al_inspect_rtf(struct inspection *in);
void al_inspect_csv(struct inspection *in);

#endif
