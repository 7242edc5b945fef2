/*
 * inspect_private.h - what the inspector files (inspect*.c) share: the
 * view of one file and the findings being collected. Not installed; the
 * contract is include/airlock/inspect.h.
 */
#ifndef AIRLOCK_INSPECT_PRIVATE_H
#define AIRLOCK_INSPECT_PRIVATE_H

#include "airlock/inspect.h"

#include <glib.h>

struct inspection {
	const guint8 *data;
	gsize len;
	const char *name;	/* may be NULL */
	char *extension;	/* lower case, without the dot, or NULL */
	al_reason_set reasons;
	GPtrArray *details;	/* may be NULL */
};

/* Adds reason with a printf-formatted sentence. */
void al_inspect_found(struct inspection *in, enum al_reason reason, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

/* memmem over a range; NULL when absent. */
const guint8 *al_inspect_find(const guint8 *data, gsize len, const char *needle);

/* The last occurrence of needle, searched from the end; NULL when absent. */
const guint8 *al_inspect_find_last(const guint8 *data, gsize len, const char *needle);

/* Case-insensitive (ASCII) search; NULL when absent. */
const guint8 *al_inspect_find_nocase(const guint8 *data, gsize len, const char *needle);

/* What an executable or archive header at p (len bytes left) is, or NULL. */
const char *al_inspect_program_header(const guint8 *p, gsize len);

gboolean al_inspect_has_extension(const struct inspection *in, const char *const *extensions);

void al_inspect_pdf(struct inspection *in);
void al_inspect_markup(struct inspection *in);
void al_inspect_zip(struct inspection *in);
void al_inspect_ole(struct inspection *in);
/* The XML of Office documents (inspect_office.c). */
void al_inspect_office(struct inspection *in);

#endif
