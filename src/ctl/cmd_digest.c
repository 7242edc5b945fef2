/*
 * cmd_digest.c - airlockctl digest: the daily summaries (a systemd timer
 * runs it: conf/airlock-digest.timer).
 *
 *   airlockctl digest [-c FILE] [--since DURATION]
 *
 * Each recipient with messages held in the last DURATION (default 24h;
 * a number with s, m, h, d or w) is mailed one fr+en summary with their
 * own link; [notice] admin_address is mailed the pending release
 * requests. A second run the same day sends only what is new (see
 * al_workflow_digest() in workflow.h). Prints what was sent; exits 1
 * when a mail could not be handed to [notice] command.
 */
#include "ctl_admin.h"

#include "airlock/workflow.h"

#include <stdio.h>
#include <string.h>

/* "24h", "90m", "2d", "1w", "3600s" as seconds; -1 when not that. */
static gint64 parse_duration(const char *text)
{
	static const struct {
		char unit;
		gint64 seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	gsize len = text != NULL ? strlen(text) : 0;
	guint64 value;
	char *end = NULL;

	if (len < 2 || !g_ascii_isdigit(text[0]))
		return -1;
	value = g_ascii_strtoull(text, &end, 10);
	if (end != text + len - 1 || value == 0 || value > 3660 * 86400)
		return -1;
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
		if (text[len - 1] == units[i].unit &&
		    (gint64)value * units[i].seconds <= 3660 * 86400)
			return (gint64)value * units[i].seconds;
	return -1;
}

int ctl_digest(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	g_autofree char *since = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE"},
	    {"since", 0, 0, G_OPTION_ARG_STRING, &since, "the period (default 24h)", "DURATION"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("- mail each recipient a summary of what was held for them");
	g_autoptr(GError) error = NULL;
	struct ctl_admin admin = {0};
	struct al_workflow *workflow = NULL;
	struct al_digest_result result;
	gint64 period;
	int status = CTL_EXIT_FAILURE;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "digest", &argc, &argv, TRUE))
		return CTL_EXIT_USAGE;
	period = since != NULL ? parse_duration(since) : 86400;
	if (period < 0) {
		ctl_error("digest: --since %s: not a duration (a number and s, m, h, d or w, "
			  "e.g. 24h)",
			  since);
		return CTL_EXIT_USAGE;
	}
	if (ctl_admin_open(config_path, &admin) < 0)
		return CTL_EXIT_FAILURE;
	workflow = al_workflow_new(admin.config, admin.store);
	if (al_workflow_digest(workflow, period, g_get_real_time() / G_USEC_PER_SEC, &result,
			       &error) < 0) {
		ctl_error("digest: %s", error->message);
		goto out;
	}
	printf("digest: %u recipient%s mailed (%u message%s), %u pending request%s mailed to the "
	       "admin\n",
	       result.recipients, result.recipients == 1 ? "" : "s", result.messages,
	       result.messages == 1 ? "" : "s", result.requests, result.requests == 1 ? "" : "s");
	if (result.failed > 0)
		ctl_error("digest: %u mail%s could not be sent (see the log); a later run sends "
			  "them",
			  result.failed, result.failed == 1 ? "" : "s");
	else
		status = CTL_EXIT_OK;
out:
	al_workflow_free(&workflow);
	ctl_admin_close(&admin);
	return status;
}
