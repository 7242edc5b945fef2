/*
 * cmd_delete.c - airlockctl delete and purge: remove quarantined
 * originals for good, keeping the audit trail.
 *
 *   airlockctl delete [-c FILE] ID...
 *   airlockctl purge [-c FILE] [--older-than DAYS]
 *
 * delete removes the original of each message (quarantined or already
 * released); purge removes every original received more than DAYS days
 * ago (default: [quarantine] retention_days), as the GDPR retention
 * requires. The rows and their events stay, so the audit trail and the
 * reports outlive the mail. Each message is one transaction.
 */
#include "ctl_admin.h"

#include "airlock/workflow.h"

#include <stdio.h>

int ctl_delete(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	g_auto(GStrv) ids = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE"},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &ids, NULL, "ID..."},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("ID... - delete quarantined messages");
	struct ctl_admin admin = {0};
	struct al_actor me = {.kind = AL_ACTOR_ADMIN, .from = "cli"};
	struct al_workflow *workflow = NULL;
	int status = CTL_EXIT_OK;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "delete", &argc, &argv, FALSE))
		return CTL_EXIT_USAGE;
	if (ids == NULL || ids[0] == NULL) {
		ctl_error("delete: give at least one quarantine id");
		return CTL_EXIT_USAGE;
	}
	if (ctl_admin_open(config_path, &admin) < 0)
		return CTL_EXIT_FAILURE;
	me.name = admin.who;
	workflow = al_workflow_new(admin.config, admin.store);
	for (char **id = ids; *id != NULL; id++) {
		g_autoptr(GError) local = NULL;
		char canonical[AL_STORE_ID_LEN + 1];

		if (al_workflow_delete(workflow, *id, &me, &local) < 0) {
			ctl_error("%s", local->message);
			status = CTL_EXIT_FAILURE;
			continue;
		}
		al_store_parse_id(*id, canonical);
		printf("%s: deleted (its record stays in the audit trail)\n", canonical);
	}
	al_workflow_free(&workflow);
	ctl_admin_close(&admin);
	return status;
}

int ctl_purge(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	gint older_than_days = -1;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE"},
	    {"older-than", 0, 0, G_OPTION_ARG_INT, &older_than_days,
	     "received more than DAYS days ago (default: retention_days)", "DAYS"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("- remove originals past the retention period");
	g_autoptr(GError) error = NULL;
	struct ctl_admin admin = {0};
	guint days, purged = 0;
	int status = CTL_EXIT_FAILURE;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "purge", &argc, &argv, TRUE))
		return CTL_EXIT_USAGE;
	if (ctl_admin_open(config_path, &admin) < 0)
		return CTL_EXIT_FAILURE;
	days = older_than_days >= 0 ? (guint)older_than_days : admin.config->retention_days;
	if (al_store_purge(admin.store, g_get_real_time() / G_USEC_PER_SEC - (gint64)days * 86400,
			   admin.who, &purged, &error) < 0) {
		ctl_error("purge stopped after %u messages: %s", purged, error->message);
		goto out;
	}
	printf("purged %u message%s received more than %u days ago\n", purged,
	       purged == 1 ? "" : "s", days);
	status = CTL_EXIT_OK;
out:
	ctl_admin_close(&admin);
	return status;
}
