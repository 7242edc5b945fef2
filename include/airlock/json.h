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

/* Appends one verdict object; file may be NULL (no "file" member). */
void al_json_append_verdict(GString *out, const char *file, const struct al_verdict *verdict);

#endif
