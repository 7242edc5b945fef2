/*
 * test_policy.c - the policy table: every reason with its default and
 * configured action, origin rules for attachments, message-level findings.
 */
#include "airlock/policy.h"

#include <string.h>

struct fake_item {
	const char *detected_type;
	gboolean is_body;
	gboolean referenced_by_cid;
	al_reason_set reasons;
};

/* Runs the policy on items built from specs; returns the result and the
 * items' final reasons in reasons_r. */
static struct al_policy_result run(const struct al_policy_settings *settings, gboolean known,
				   const struct fake_item *specs, guint count,
				   al_reason_set message_reasons, al_reason_set *reasons_r)
{
	struct al_item *items[16];
	struct al_policy_result result;
	struct al_policy_input input = {
		.origin_known = known,
		.items = items,
		.item_count = count,
		.message_reasons = message_reasons,
	};

	g_assert_cmpuint(count, <=, G_N_ELEMENTS(items));
	for (guint i = 0; i < count; i++) {
		items[i] = al_item_new();
		items[i]->detected_type = g_strdup(specs[i].detected_type);
		items[i]->is_body = specs[i].is_body;
		items[i]->referenced_by_cid = specs[i].referenced_by_cid;
		items[i]->reasons = specs[i].reasons;
	}
	al_policy_decide(settings, &input, &result);
	for (guint i = 0; i < count; i++) {
		if (reasons_r != NULL)
			reasons_r[i] = items[i]->reasons;
		g_assert_cmpint(items[i]->quarantine, ==, items[i]->reasons != 0);
		al_item_free(&items[i]);
	}
	return result;
}

static void test_policy_default_action_per_reason(void)
{
	static const struct {
		enum al_reason reason;
		enum al_action action;
	} table[] = {
		{ AL_REASON_VIRUS, AL_ACTION_HOLD },	    { AL_REASON_POLYGLOT, AL_ACTION_HOLD },
		{ AL_REASON_EXECUTABLE, AL_ACTION_STRIP },  { AL_REASON_DISGUISED, AL_ACTION_STRIP },
		{ AL_REASON_MACRO, AL_ACTION_STRIP },	    { AL_REASON_ENCRYPTED, AL_ACTION_STRIP },
		{ AL_REASON_LIMITS, AL_ACTION_STRIP },	    { AL_REASON_MALFORMED, AL_ACTION_STRIP },
		{ AL_REASON_UNKNOWN_ORIGIN, AL_ACTION_STRIP },
	};
	struct al_policy_settings settings;

	al_policy_settings_defaults(&settings);
	for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
		struct fake_item item = { .detected_type = "application/pdf",
					  .reasons = AL_REASON_BIT(table[i].reason) };
		struct al_policy_result result = run(&settings, TRUE, &item, 1, 0, NULL);

		g_assert_cmpstr(al_action_name(result.action), ==, al_action_name(table[i].action));
		g_assert_cmpuint(result.reasons, ==, AL_REASON_BIT(table[i].reason));
		g_assert_cmpuint(result.quarantined_items, ==, 1);
	}
}

static void test_policy_configured_action_is_used_for_every_reason(void)
{
	struct al_policy_settings settings;

	al_policy_settings_defaults(&settings);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		for (int a = 0; a < AL_ACTION_COUNT; a++) {
			struct fake_item item = { .detected_type = "application/pdf",
						  .reasons = AL_REASON_BIT(r) };
			struct al_policy_result result;

			settings.action_for[r] = a;
			result = run(&settings, TRUE, &item, 1, 0, NULL);
			g_assert_cmpint(result.action, ==, a);
		}
		al_policy_settings_defaults(&settings);
	}
}

static void test_policy_known_origin_clean_pdf_is_accepted(void)
{
	struct al_policy_settings settings;
	struct fake_item items[] = {
		{ .detected_type = "text/plain", .is_body = TRUE },
		{ .detected_type = "application/pdf" },
	};
	struct al_policy_result result;

	al_policy_settings_defaults(&settings);
	result = run(&settings, TRUE, items, 2, 0, NULL);
	g_assert_cmpint(result.action, ==, AL_ACTION_ACCEPT);
	g_assert_cmpuint(result.reasons, ==, 0);
	g_assert_cmpuint(result.quarantined_items, ==, 0);
}

static void test_policy_unknown_origin_pdf_is_stripped(void)
{
	struct al_policy_settings settings;
	struct fake_item items[] = {
		{ .detected_type = "text/plain", .is_body = TRUE },
		{ .detected_type = "application/pdf" },
	};
	al_reason_set reasons[2];
	struct al_policy_result result;

	al_policy_settings_defaults(&settings);
	result = run(&settings, FALSE, items, 2, 0, reasons);
	g_assert_cmpint(result.action, ==, AL_ACTION_STRIP);
	g_assert_cmpuint(reasons[0], ==, 0);
	g_assert_cmpuint(reasons[1], ==, AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
	g_assert_cmpuint(result.quarantined_items, ==, 1);
}

static void test_policy_unknown_origin_text_only_is_accepted(void)
{
	struct al_policy_settings settings;
	struct fake_item items[] = {
		{ .detected_type = "text/plain", .is_body = TRUE },
		{ .detected_type = "text/html", .is_body = TRUE },
	};

	al_policy_settings_defaults(&settings);
	g_assert_cmpint(run(&settings, FALSE, items, 2, 0, NULL).action, ==, AL_ACTION_ACCEPT);
}

static void test_policy_unknown_origin_cid_image_is_safe(void)
{
	struct al_policy_settings settings;
	struct fake_item items[] = {
		{ .detected_type = "text/html", .is_body = TRUE },
		{ .detected_type = "image/png", .referenced_by_cid = TRUE },
		{ .detected_type = "image/png" },
		{ .detected_type = "application/x-dosexec", .referenced_by_cid = TRUE },
	};
	al_reason_set reasons[4];
	struct al_policy_result result;

	al_policy_settings_defaults(&settings);
	result = run(&settings, FALSE, items, 4, 0, reasons);
	g_assert_cmpuint(reasons[1], ==, 0);
	g_assert_cmpuint(reasons[2], ==, AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
	g_assert_cmpuint(reasons[3], ==, AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
	g_assert_cmpint(result.action, ==, AL_ACTION_STRIP);

	settings.safe_inline_images = FALSE;
	run(&settings, FALSE, items, 2, 0, reasons);
	g_assert_cmpuint(reasons[1], ==, AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
}

static void test_policy_safe_types_never_excuse_a_finding(void)
{
	static const char *const safe[] = { "image/*", "application/pdf", NULL };
	struct al_policy_settings settings;
	struct fake_item items[] = {
		{ .detected_type = "image/jpeg" },
		{ .detected_type = "application/pdf" },
		{ .detected_type = "application/pdf", .reasons = AL_REASON_BIT(AL_REASON_DISGUISED) },
		{ .detected_type = "application/zip" },
	};
	al_reason_set reasons[4];

	al_policy_settings_defaults(&settings);
	settings.safe_types = safe;
	run(&settings, FALSE, items, 4, 0, reasons);
	g_assert_cmpuint(reasons[0], ==, 0);
	g_assert_cmpuint(reasons[1], ==, 0);
	g_assert_cmpuint(reasons[2], ==,
			 AL_REASON_BIT(AL_REASON_DISGUISED) | AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
	g_assert_cmpuint(reasons[3], ==, AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
}

static void test_policy_most_severe_action_wins(void)
{
	struct al_policy_settings settings;
	struct fake_item items[] = {
		{ .detected_type = "application/x-dosexec",
		  .reasons = AL_REASON_BIT(AL_REASON_EXECUTABLE) },
		{ .detected_type = "application/zip", .reasons = AL_REASON_BIT(AL_REASON_VIRUS) },
	};

	al_policy_settings_defaults(&settings);
	g_assert_cmpint(run(&settings, TRUE, items, 2, 0, NULL).action, ==, AL_ACTION_HOLD);
	settings.action_for[AL_REASON_EXECUTABLE] = AL_ACTION_REJECT;
	g_assert_cmpint(run(&settings, TRUE, items, 2, 0, NULL).action, ==, AL_ACTION_REJECT);
}

static void test_policy_message_level_strip_becomes_hold(void)
{
	struct al_policy_settings settings;
	struct fake_item body = { .detected_type = "text/plain", .is_body = TRUE };
	struct al_policy_result result;

	al_policy_settings_defaults(&settings);
	result = run(&settings, TRUE, &body, 1, AL_REASON_BIT(AL_REASON_LIMITS), NULL);
	g_assert_cmpint(result.action, ==, AL_ACTION_HOLD);
	g_assert_cmpuint(result.reasons, ==, AL_REASON_BIT(AL_REASON_LIMITS));

	settings.action_for[AL_REASON_MALFORMED] = AL_ACTION_REJECT;
	result = run(&settings, TRUE, &body, 1, AL_REASON_BIT(AL_REASON_MALFORMED), NULL);
	g_assert_cmpint(result.action, ==, AL_ACTION_REJECT);

	settings.action_for[AL_REASON_MALFORMED] = AL_ACTION_ACCEPT;
	result = run(&settings, TRUE, &body, 1, AL_REASON_BIT(AL_REASON_MALFORMED), NULL);
	g_assert_cmpint(result.action, ==, AL_ACTION_ACCEPT);
}

static void test_policy_no_items_known_origin_is_accepted(void)
{
	struct al_policy_settings settings;

	al_policy_settings_defaults(&settings);
	g_assert_cmpint(run(&settings, TRUE, NULL, 0, 0, NULL).action, ==, AL_ACTION_ACCEPT);
}

static void test_policy_type_matches_patterns(void)
{
	static const char *const patterns[] = { "image/*", "application/pdf", NULL };

	g_assert_true(al_policy_type_matches("image/png", patterns));
	g_assert_true(al_policy_type_matches("Application/PDF", patterns));
	g_assert_false(al_policy_type_matches("imagex/png", patterns));
	g_assert_false(al_policy_type_matches("application/pdfx", patterns));
	g_assert_false(al_policy_type_matches(NULL, patterns));
	g_assert_false(al_policy_type_matches("image/png", NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy/default-action-per-reason", test_policy_default_action_per_reason);
	g_test_add_func("/policy/configured-action-per-reason",
			test_policy_configured_action_is_used_for_every_reason);
	g_test_add_func("/policy/known-origin-clean-pdf-accepted",
			test_policy_known_origin_clean_pdf_is_accepted);
	g_test_add_func("/policy/unknown-origin-pdf-stripped",
			test_policy_unknown_origin_pdf_is_stripped);
	g_test_add_func("/policy/unknown-origin-text-only-accepted",
			test_policy_unknown_origin_text_only_is_accepted);
	g_test_add_func("/policy/unknown-origin-cid-image-safe",
			test_policy_unknown_origin_cid_image_is_safe);
	g_test_add_func("/policy/safe-types-never-excuse-a-finding",
			test_policy_safe_types_never_excuse_a_finding);
	g_test_add_func("/policy/most-severe-action-wins", test_policy_most_severe_action_wins);
	g_test_add_func("/policy/message-level-strip-becomes-hold",
			test_policy_message_level_strip_becomes_hold);
	g_test_add_func("/policy/no-items-known-origin-accepted",
			test_policy_no_items_known_origin_is_accepted);
	g_test_add_func("/policy/type-matches-patterns", test_policy_type_matches_patterns);
	return g_test_run();
}
