/*
 * cmd_requests.c - the release requests of recipients, for the admin at a
 * shell (airlock-web's /admin does the same):
 *
 *   airlockctl requests [-c FILE]
 *   airlockctl approve [-c FILE] [--force] ID ADDRESS
 *   airlockctl deny [-c FILE] --reason TEXT ID ADDRESS
 *
 * approve releases message ID to ADDRESS (al_workflow_approve(): the
 * rescan and every rule of airlockctl release); deny mails ADDRESS the
 * reason with their link. Both close the request in the audit trail.
 */
#include "ctl_admin.h"

#include "airlock/workflow.h"

#include <stdio.h>

int ctl_requests(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- pending release requests");
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) pending = NULL;
	struct ctl_admin admin = {0};

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "requests", &argc, &argv, TRUE))
		return CTL_EXIT_USAGE;
	if (ctl_admin_open(config_path, &admin) < 0)
		return CTL_EXIT_FAILURE;
	pending = al_store_pending_requests(admin.store, &error);
	ctl_admin_close(&admin);
	if (pending == NULL) {
		ctl_error("requests: %s", error->message);
		return CTL_EXIT_FAILURE;
	}
	if (pending->len == 0)
		printf("no pending release request\n");
	for (guint i = 0; i < pending->len; i++) {
		const struct al_store_request *r = pending->pdata[i];
		g_autofree char *date = ctl_local_time(r->requested_at);
		g_autofree char *rcpt = ctl_printable(r->recipient);
		g_autofree char *from = ctl_printable(r->envelope_from);
		g_autofree char *subject = ctl_printable(r->subject);
		g_autofree char *note = ctl_printable(r->note);

		printf("%s  %.16s  %s  from %s: %s%s%s\n", r->id, date, rcpt, from, subject,
		       r->note != NULL ? "  note: " : "", r->note != NULL ? note : "");
	}
	return CTL_EXIT_OK;
}

/* Options and arguments of approve and deny. */
struct decide_options {
	char *config_path;
	gboolean force;
	char *reason;
	char **args;
};

static void decide_clear(struct decide_options *o)
{
	g_free(o->config_path);
	g_free(o->reason);
	g_strfreev(o->args);
}

static int parse_decide(int argc, char **argv, const char *command, struct decide_options *o)
{
	gboolean approve = g_str_equal(command, "approve");
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
	     "FILE"},
	    approve ? (GOptionEntry){"force", 0, 0, G_OPTION_ARG_NONE, &o->force,
				     "release even a virus or a polyglot file", NULL}
		    : (GOptionEntry){"reason", 0, 0, G_OPTION_ARG_STRING, &o->reason,
				     "why (mailed to the recipient)", "TEXT"},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->args, NULL, "ID ADDRESS"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new(approve ? "ID ADDRESS - release to a recipient who asked"
					 : "ID ADDRESS - refuse a recipient's release request");

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, command, &argc, &argv, FALSE))
		return -1;
	if (o->args == NULL || g_strv_length(o->args) != 2) {
		ctl_error("%s: give the quarantine id and the recipient's address", command);
		return -1;
	}
	if (!approve && (o->reason == NULL || *g_strstrip(o->reason) == '\0')) {
		ctl_error("deny: give --reason TEXT (it is mailed to the recipient)");
		return -1;
	}
	return 0;
}

static int decide(int argc, char **argv, const char *command)
{
	struct decide_options o = {0};
	struct ctl_admin admin = {0};
	struct al_workflow *workflow = NULL;
	struct al_release_result result = {0};
	struct al_actor me = {.kind = AL_ACTOR_ADMIN, .from = "cli"};
	g_autoptr(GError) error = NULL;
	gboolean approve = g_str_equal(command, "approve");
	int status = CTL_EXIT_USAGE;
	int rc;

	if (parse_decide(argc, argv, command, &o) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	if (ctl_admin_open(o.config_path, &admin) < 0)
		goto out;
	me.name = admin.who;
	workflow = al_workflow_new(admin.config, admin.store);
	rc = approve ? al_workflow_approve(workflow, o.args[0], o.args[1], &me,
					   o.force ? AL_WORKFLOW_FORCE : 0, &result, &error)
		     : al_workflow_deny(workflow, o.args[0], o.args[1], &me, o.reason, &error);
	if (rc < 0) {
		ctl_error("%s%s", error->message,
			  g_error_matches(error, AL_WORKFLOW_ERROR, AL_WORKFLOW_ERROR_DANGEROUS)
			      ? ". If you are sure, add --force"
			      : "");
		goto out;
	}
	if (approve)
		printf("%s: released to %s\n", o.args[0], result.released[0]);
	else
		printf("%s: request of %s denied, reason mailed\n", o.args[0], o.args[1]);
	status = CTL_EXIT_OK;
out:
	al_release_result_clear(&result);
	al_workflow_free(&workflow);
	ctl_admin_close(&admin);
	decide_clear(&o);
	return status;
}

int ctl_approve(int argc, char **argv)
{
	return decide(argc, argv, "approve");
}

int ctl_deny(int argc, char **argv)
{
	return decide(argc, argv, "deny");
}
