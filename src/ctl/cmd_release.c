/*
 * cmd_release.c - airlockctl release: deliver a quarantined message after
 * all, attachments included.
 *
 *   airlockctl release [-c FILE] [--to ADDR]... [--force] ID
 *
 * The steps (rescan with the current engine, a virus or a polyglot only
 * with --force, the claim of the recipients exactly once, the signed copy
 * handed to release_command, the claim given back when the MTA refuses)
 * are al_workflow_release()'s (workflow.h); this only translates the
 * options and prints the outcome. The recipients are all those not yet
 * released, or only the --to ones, which must be original recipients.
 */
#include "ctl_admin.h"

#include "airlock/workflow.h"

#include <stdio.h>

struct release_options {
	char *config_path;
	char **to;
	gboolean force;
	char **args;
};

static void options_clear(struct release_options *o)
{
	g_free(o->config_path);
	g_strfreev(o->to);
	g_strfreev(o->args);
}

static int parse_options(int argc, char **argv, struct release_options *o)
{
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
	     "FILE"},
	    {"to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->to,
	     "release only to this original recipient (repeatable)", "ADDR"},
	    {"force", 0, 0, G_OPTION_ARG_NONE, &o->force,
	     "release even a message with a virus or a polyglot file", NULL},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->args, NULL, "ID"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("ID - deliver a quarantined message");

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "release", &argc, &argv, FALSE))
		return -1;
	if (o->args == NULL || g_strv_length(o->args) != 1) {
		ctl_error(
		    "release: give one quarantine id (usage: airlockctl release [--to ADDR]... "
		    "[--force] ID)");
		return -1;
	}
	return 0;
}

int ctl_release(int argc, char **argv)
{
	struct release_options o = {0};
	struct ctl_admin admin = {0};
	struct al_workflow *workflow = NULL;
	struct al_release_result result = {0};
	g_autoptr(GError) error = NULL;
	g_autofree char *joined = NULL;
	struct al_actor me = {.kind = AL_ACTOR_ADMIN, .from = "cli"};
	char id[AL_STORE_ID_LEN + 1];
	int status = CTL_EXIT_USAGE;

	if (parse_options(argc, argv, &o) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	if (ctl_admin_open(o.config_path, &admin) < 0)
		goto out;
	me.name = admin.who;
	workflow = al_workflow_new(admin.config, admin.store);
	if (al_workflow_release(workflow, o.args[0], (const char *const *)o.to, &me,
				o.force ? AL_WORKFLOW_FORCE : 0, &result, &error) < 0) {
		if (g_error_matches(error, AL_WORKFLOW_ERROR, AL_WORKFLOW_ERROR_DANGEROUS))
			ctl_error("%s. If you are sure, add --force", error->message);
		else
			ctl_error("%s", error->message);
		goto out;
	}
	joined = g_strjoinv(", ", result.released);
	if (!al_store_parse_id(o.args[0], id))
		g_strlcpy(id, o.args[0], sizeof(id));
	printf("%s: released to %s\n", id, joined);
	status = CTL_EXIT_OK;
out:
	al_release_result_clear(&result);
	al_workflow_free(&workflow);
	ctl_admin_close(&admin);
	options_clear(&o);
	return status;
}
