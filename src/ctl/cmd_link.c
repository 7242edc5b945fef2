/*
 * cmd_link.c - airlockctl link: a fresh signed link to one recipient's
 * quarantine page in airlock-web, for the admin to send by hand.
 *
 *   airlockctl link [-c FILE] ADDRESS
 *
 * The link (weblink.h) opens every quarantined item of ADDRESS, and
 * nothing else, for [web] link_days; it is printed on stdout alone. Send
 * it to that recipient only.
 */
#include "ctl_admin.h"

#include "airlock/weblink.h"

#include <stdio.h>

int ctl_link(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	g_auto(GStrv) args = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE"},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &args, NULL, "ADDRESS"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("ADDRESS - print a recipient's link to their quarantine page");
	g_autoptr(GError) error = NULL;
	g_autofree char *url = NULL;
	struct ctl_admin admin = {0};
	struct al_release_key key;
	int status = CTL_EXIT_FAILURE;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "link", &argc, &argv, FALSE))
		return CTL_EXIT_USAGE;
	if (args == NULL || g_strv_length(args) != 1) {
		ctl_error("link: give one recipient address (usage: airlockctl link ADDRESS)");
		return CTL_EXIT_USAGE;
	}
	if (ctl_admin_open(config_path, &admin) < 0)
		return CTL_EXIT_FAILURE;
	if (al_release_key_load(admin.config->release_key, FALSE, &key, &error) < 0) {
		ctl_error("link: %s (airlockctl init creates the key)", error->message);
		goto out;
	}
	url = al_weblink_url(admin.config, &key, args[0], g_get_real_time() / G_USEC_PER_SEC);
	if (url == NULL) {
		g_autofree char *shown = ctl_printable(args[0]);

		ctl_error("link: '%s' is not one mail address", shown);
		goto out;
	}
	printf("%s\n", url);
	status = CTL_EXIT_OK;
out:
	ctl_admin_close(&admin);
	return status;
}
