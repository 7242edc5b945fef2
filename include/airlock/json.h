/*
 * json.h - JSON text for verdicts (airlockctl check --json, the store).
 *
 * Writes the object shape of DESIGN.md, one line, with every string
 * escaped (control characters, quotes, backslashes; invalid UTF-8
 * replaced). No parser here.
 */
#ifndef AIRLOCK_JSON_H
#define AIRLOCK_JSON_H

#include "airlock/pipeline.h"

#include <glib.h>

/* Appends s as a JSON string literal (with quotes); NULL gives null. */
void al_json_append_string(GString *out, const char *s);

/* Appends a JSON array of the reason names in set, in code order. */
void al_json_append_reasons(GString *out, al_reason_set set);

/* Appends a JSON array of strings (char *); NULL gives []. */
void al_json_append_strings(GString *out, const GPtrArray *strings);

/* Appends a JSON array of inner files (struct al_inner *), in the shape
 * of the "inner" member of a verdict's items; NULL gives []. */
void al_json_append_inner(GString *out, const GPtrArray *inner);

/* Appends one verdict object; file may be NULL (no "file" member). */
void al_json_append_verdict(GString *out, const char *file, const struct al_verdict *verdict);

#endif
