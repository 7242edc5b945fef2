/*
 * policy.c - the decision: which items are quarantined and what the MTA
 * is told.
 *
 * Pure and deterministic: reads the settings and the findings already
 * attached to each item, adds `unknown-origin` where the origin rules
 * require it, marks quarantined items, and folds the configured actions
 * into one message action. No I/O and no globals, so every rule is
 * tested directly (tests/unit/test_policy.c).
 */
#include "airlock/policy.h"

#include <string.h>

void al_policy_settings_defaults(struct al_policy_settings *settings)
{
	static const char *const no_types[] = { NULL };

	for (int r = 0; r < AL_REASON_COUNT; r++)
		settings->action_for[r] = AL_ACTION_STRIP;
	settings->action_for[AL_REASON_VIRUS] = AL_ACTION_HOLD;
	settings->action_for[AL_REASON_POLYGLOT] = AL_ACTION_HOLD;
	settings->safe_types = no_types;
	settings->safe_inline_images = TRUE;
}

gboolean al_policy_type_matches(const char *mime_type, const char *const *patterns)
{
	if (mime_type == NULL || patterns == NULL)
		return FALSE;
	for (; *patterns != NULL; patterns++) {
		const char *pattern = *patterns;
		gsize len = strlen(pattern);

		if (len >= 2 && strcmp(pattern + len - 2, "/*") == 0) {
			if (g_ascii_strncasecmp(mime_type, pattern, len - 1) == 0)
				return TRUE;
		} else if (g_ascii_strcasecmp(mime_type, pattern) == 0) {
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean is_image(const char *mime_type)
{
	return mime_type != NULL && g_ascii_strncasecmp(mime_type, "image/", 6) == 0;
}

/* An attachment an unknown sender may still send: a listed type, or an
 * image the HTML body shows inline. Only clean content qualifies: a
 * finding already made (disguised, virus...) is never excused. */
static gboolean safe_from_unknown(const struct al_policy_settings *settings,
				  const struct al_item *item)
{
	if (item->reasons != 0)
		return FALSE;
	if (al_policy_type_matches(item->detected_type, settings->safe_types))
		return TRUE;
	return settings->safe_inline_images && item->referenced_by_cid &&
	       is_image(item->detected_type);
}

static enum al_action action_for_set(const struct al_policy_settings *settings, al_reason_set set)
{
	enum al_action action = AL_ACTION_ACCEPT;

	for (int r = 0; r < AL_REASON_COUNT; r++)
		if ((set & AL_REASON_BIT(r)) && settings->action_for[r] > action)
			action = settings->action_for[r];
	return action;
}

void al_policy_decide(const struct al_policy_settings *settings, const struct al_policy_input *input,
		      struct al_policy_result *result_r)
{
	al_reason_set item_reasons = 0;
	enum al_action message_action;

	memset(result_r, 0, sizeof(*result_r));
	for (guint i = 0; i < input->item_count; i++) {
		struct al_item *item = input->items[i];

		if (!input->origin_known && !item->is_body && !safe_from_unknown(settings, item))
			item->reasons |= AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN);
		item->quarantine = item->reasons != 0;
		if (item->quarantine)
			result_r->quarantined_items++;
		item_reasons |= item->reasons;
	}
	/* A finding about the whole message cannot be cut out of one part. */
	message_action = action_for_set(settings, input->message_reasons);
	if (message_action == AL_ACTION_STRIP)
		message_action = AL_ACTION_HOLD;
	result_r->action = MAX(message_action, action_for_set(settings, item_reasons));
	result_r->reasons = item_reasons | input->message_reasons;
}
