/*
 * inspect_pdf_private.h - what the PDF inspector's files share: the
 * state of one walk over a PDF's objects (inspect_pdf.c), the checks on
 * each dictionary (inspect_pdf_actions.c) and the stream decoding and
 * XFA parsing (inspect_pdf_xfa.c). Not installed.
 *
 * Handles (qpdf_oh) passed to these functions stay the caller's; a
 * function that gets a handle from qpdf releases it.
 */
#ifndef AIRLOCK_INSPECT_PDF_PRIVATE_H
#define AIRLOCK_INSPECT_PDF_PRIVATE_H

#include "inspect_private.h"

#include <qpdf/qpdf-c.h>

#define PDF_MAX_NAMES 4
#define PDF_MAX_ACTION_CHAIN 16
#define PDF_MAX_ARRAY_ACTIONS 64
#define PDF_MAX_NAME_CHARS 80
/* Raw bytes of one stream this inspector asks qpdf to decode (qpdf
 * decodes in memory): with one expanding filter at most, a decoded
 * stream stays within about a thousand times this. */
#define PDF_MAX_STREAM_RAW_BYTES (256u * 1024)

enum pdf_found {
	PDF_SCRIPT = 1 << 0,
	PDF_LAUNCH = 1 << 1,
	PDF_EMBEDDED = 1 << 2,
	PDF_ATTACHMENT = 1 << 3,
	PDF_PROGRAM_URI = 1 << 4,
	PDF_REMOTE_FILE = 1 << 5,
	PDF_XFA_SCRIPT = 1 << 6,
	PDF_XFA_UNREADABLE = 1 << 7,
};

struct pdf_walk {
	qpdf_data pdf;
	guint found;		/* enum pdf_found bits */
	GPtrArray *file_names;	/* launched, embedded, attached (char*, at most PDF_MAX_NAMES) */
	char *program_uri;	/* the first /URI to a program run on its own */
	char *remote_file;	/* the first remote file an automatic action uses */
	GHashTable *seen;	/* object number << 16 | generation, queued once */
	GQueue pending;		/* the same keys (guint64*), still to visit */
	guint objects;
	gsize decoded_bytes;
	gint64 deadline;	/* g_get_monotonic_time() */
	const char *limit;	/* the first limit reached: the walk stops */
};

/* The walk (inspect_pdf.c). */
void al_pdf_visit(struct pdf_walk *w, qpdf_oh oh, guint depth);
GPtrArray *al_pdf_keys(struct pdf_walk *w, qpdf_oh dict);
gboolean al_pdf_failed(struct pdf_walk *w);
void al_pdf_limit(struct pdf_walk *w, const char *what);
void al_pdf_add_name(struct pdf_walk *w, const char *name);
/* text as valid UTF-8 without control characters, at most max_chars
 * characters (transfer full). */
char *al_pdf_printable(const char *text, glong max_chars);

/* The checks (inspect_pdf_actions.c). */
gboolean al_pdf_name_is(struct pdf_walk *w, qpdf_oh dict, const char *key, const char *name);
void al_pdf_judge_dictionary(struct pdf_walk *w, qpdf_oh dict);

/* Streams (inspect_pdf_xfa.c). */
GByteArray *al_pdf_decode(struct pdf_walk *w, qpdf_oh stream);
void al_pdf_object_stream(struct pdf_walk *w, qpdf_oh stream, guint depth);
void al_pdf_check_xfa(struct pdf_walk *w, qpdf_oh xfa);

/* 1 when the XML has <script> or <execute> (any namespace), 0 when not,
 * -1 when libxml2 cannot parse it. */
int al_inspect_xfa_has_script(const guint8 *xml, gsize len);

#endif
