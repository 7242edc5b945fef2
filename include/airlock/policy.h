/*
 * policy.h - the decision: origin and findings in, verdicts and the
 * message action out.
 *
 * A pure function of plain structs: no I/O, no globals. For each item:
 *  - reasons found by typing and scanning stay;
 *  - unknown origin adds `unknown-origin` to every attachment (not the
 *    text body) except safe ones: detected types listed in safe_types,
 *    and, if safe_inline_images, images the HTML body refers to by cid:
 *    whose content really is an image;
 *  - an item with any reason is quarantined.
 * The message action is the most severe action configured for the
 * reasons found (accept < strip < hold < reject < tempfail). Findings on
 * the message as a whole (limits, malformed) cannot be stripped from one
 * part: a `strip` for them becomes `hold`, so nothing dangerous is
 * delivered and nothing is lost.
 */
#ifndef AIRLOCK_POLICY_H
#define AIRLOCK_POLICY_H

#include "airlock/common.h"
#include "airlock/item.h"

#include <glib.h>

struct al_policy_settings {
	enum al_action action_for[AL_REASON_COUNT];
	const char *const *safe_types; /* NULL-terminated; "image/png" or "image/" + "*" */
	gboolean safe_inline_images;
};

struct al_policy_input {
	gboolean origin_known;
	struct al_item *const *items; /* modified: reasons, quarantine */
	guint item_count;
	al_reason_set message_reasons;
};

struct al_policy_result {
	enum al_action action;
	al_reason_set reasons; /* union over the message and every item */
	guint quarantined_items;
};

/* The defaults of DESIGN.md: virus and polyglot hold, the rest strip. */
void al_policy_settings_defaults(struct al_policy_settings *settings);

void al_policy_decide(const struct al_policy_settings *settings, const struct al_policy_input *input,
		      struct al_policy_result *result_r);

/* TRUE if mime_type matches one of patterns ("type/subtype", or "type/" followed by a star). */
gboolean al_policy_type_matches(const char *mime_type, const char *const *patterns);

#endif
