/*
 * main.c - airlockctl, the admin's tool: dispatches to one file per
 * subcommand. Exit codes: 0 success, 1 user error (one line on stderr),
 * 2 usage error.
 */
#include "ctl.h"

#include "airlock/version.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ .name = "check", .run = ctl_check, .summary = "judge .eml files exactly as the milter would" },
	{ .name = "init", .run = ctl_init, .summary = "create or check the quarantine store and key" },
	{ .name = "list", .run = ctl_list, .summary = "list quarantined messages, newest first" },
	{ .name = "show", .run = ctl_show, .summary = "everything about one quarantined message" },
	{ .name = "release", .run = ctl_release, .summary = "rescan and deliver a quarantined message" },
	{ .name = "delete", .run = ctl_delete, .summary = "remove quarantined messages (audit kept)" },
	{ .name = "purge", .run = ctl_purge, .summary = "remove originals past the retention period" },
	{ .name = "report", .run = ctl_report, .summary = "what was stopped: training and tuning report" },
	{ .name = "status", .run = ctl_status, .summary = "is Airlock working? (for Nagios, Zabbix, cron)" },
	{ .name = "backup", .run = ctl_backup, .summary = "consistent backup of the store, while it runs" },
	{ .name = "safecopy", .run = ctl_safecopy, .summary = "the safe copy of a quarantined attachment" },
	{ .name = "migrate", .run = ctl_migrate, .summary = "copy the SQLite store into PostgreSQL (several gateways)" },
	{ .name = "restore", .run = ctl_restore, .summary = "verify a backup and restore it into an empty store" },
	{ .name = "link", .run = ctl_link, .summary = "print a recipient's link to their quarantine page" },
	{ .name = "digest", .run = ctl_digest, .summary = "mail each recipient a summary of what was held" },
	{ .name = "requests", .run = ctl_requests, .summary = "list the pending release requests" },
	{ .name = "approve", .run = ctl_approve, .summary = "release a message to a recipient who asked" },
	{ .name = "deny", .run = ctl_deny, .summary = "refuse a release request, with a reason" },
	{ .name = "passwd", .run = ctl_passwd, .summary = "set an airlock-web admin's password (from stdin)" },
};

void ctl_error(const char *fmt, ...)
{
	va_list args;

	fputs("airlockctl: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

gboolean ctl_parse_options(GOptionContext *context, const char *command, int *argc, char ***argv,
			   gboolean no_arguments)
{
	g_autoptr(GError) error = NULL;

	if (!g_option_context_parse(context, argc, argv, &error)) {
		ctl_error("%s: %s", command, error->message);
		return FALSE;
	}
	if (no_arguments && *argc > 1) {
		ctl_error("%s: unexpected argument", command);
		return FALSE;
	}
	return TRUE;
}

char *ctl_printable(const char *s)
{
	g_autofree char *valid = NULL;
	GString *out;

	if (s == NULL)
		return g_strdup("");
	valid = g_utf8_make_valid(s, -1);
	out = g_string_new(NULL);
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || g_unichar_type(c) == G_UNICODE_FORMAT)
			g_string_append_printf(out, "\\u{%04x}", (unsigned)c);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: airlockctl COMMAND [OPTIONS] ...\n\ncommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n'airlockctl COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return CTL_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("airlockctl %s\n", AL_VERSION);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	ctl_error("unknown command '%s' (try 'airlockctl --help')", argv[1]);
	return CTL_EXIT_USAGE;
}
