/*
 * cmd_check.c - airlockctl check: the milter's pipeline on .eml files,
 * without an MTA.
 *
 *   airlockctl check [--json] [-c FILE] [--from ADDR] [--rcpt ADDR]...
 *                    [--client-addr IP] [--auth USER] FILE.eml...
 *
 * Prints one verdict per file: a JSON object per line with --json, a
 * readable block otherwise. Exit 0 when every file was judged, whatever
 * the verdicts; 1 when a file could not be read or judged (one line on
 * stderr per file, the other files are still judged) or the config is
 * bad; 2 on a usage error.
 */
#include "ctl.h"

#include "airlock/json.h"
#include "airlock/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct check_options {
	gboolean json;
	char *config_path;
	char *from;
	char **rcpts;
	char *client_addr;
	char *auth_user;
	char **files;
};

static void options_clear(struct check_options *o)
{
	g_free(o->config_path);
	g_free(o->from);
	g_strfreev(o->rcpts);
	g_free(o->client_addr);
	g_free(o->auth_user);
	g_strfreev(o->files);
}

static int parse_options(int argc, char **argv, struct check_options *o)
{
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o->json, "one JSON object per line", NULL },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
		  "FILE" },
		{ "from", 0, 0, G_OPTION_ARG_STRING, &o->from, "envelope sender", "ADDR" },
		{ "rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->rcpts, "envelope recipient (repeatable)",
		  "ADDR" },
		{ "client-addr", 0, 0, G_OPTION_ARG_STRING, &o->client_addr, "SMTP client address",
		  "IP" },
		{ "auth", 0, 0, G_OPTION_ARG_STRING, &o->auth_user, "SMTP AUTH user", "USER" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->files, NULL, "FILE.eml..." },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("FILE.eml... - judge messages");

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_summary(context,
		"Runs the milter's pipeline (MIME, typing, ClamAV, origin, policy) on each file.");
	if (!ctl_parse_options(context, "check", &argc, &argv, FALSE))
		return -1;
	if (o->files == NULL || o->files[0] == NULL) {
		ctl_error("check: no .eml file given (usage: airlockctl check [--json] FILE.eml...)");
		return -1;
	}
	return 0;
}

static void print_item(const struct al_item *item)
{
	g_autofree char *name = ctl_printable(item->is_body ? "(message text)" : item->filename
					      ? item->filename : "(no name)");
	GString *reasons = g_string_new(NULL);

	al_reason_set_append(reasons, item->reasons, ",");
	printf("  %-8s %-10s %-28s %-36s %s\n", item->part, item->quarantine ? "QUARANTINE" : "clean",
	       reasons->len ? reasons->str : "-", item->detected_type ? item->detected_type : "?",
	       name);
	for (guint i = 0; item->details != NULL && i < item->details->len; i++) {
		g_autofree char *detail = ctl_printable(item->details->pdata[i]);

		printf("  %-8s   - %s\n", "", detail);
	}
	g_string_free(reasons, TRUE);
}

static void print_text(const char *file, const struct al_verdict *verdict)
{
	g_autofree char *shown = ctl_printable(file);
	g_autofree char *why = ctl_printable(verdict->origin.why);
	GString *reasons = g_string_new(NULL);

	al_reason_set_append(reasons, verdict->reasons, ", ");
	printf("%s: %s%s%s%s\n", shown, al_action_name(verdict->action), reasons->len ? " (" : "",
	       reasons->str, reasons->len ? ")" : "");
	printf("  origin: %s (%s)\n", verdict->origin.known ? "known" : "unknown", why);
	for (guint i = 0; i < verdict->message->details->len; i++) {
		g_autofree char *detail = ctl_printable(verdict->message->details->pdata[i]);

		printf("  message: %s\n", detail);
	}
	printf("  %-8s %-10s %-28s %-36s %s\n", "part", "verdict", "reasons", "detected type", "name");
	for (guint i = 0; i < verdict->message->items->len; i++)
		print_item(verdict->message->items->pdata[i]);
	g_string_free(reasons, TRUE);
}

static int check_file(struct al_pipeline *pipeline, const struct check_options *o,
		      const char *file, GString *json)
{
	g_autoptr(GError) error = NULL;
	GMimeStream *stream;
	int rc = -1;
	struct al_verdict *verdict = NULL;
	const struct al_smtp_context smtp = {
		.client_addr = o->client_addr,
		.auth_user = o->auth_user,
		.envelope_from = o->from,
		.recipients = (const char *const *)o->rcpts,
	};
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		ctl_error("cannot read %s: %s", file, g_strerror(errno));
		return -1;
	}
	/* Mapped as the milter maps its spooled messages (empty: read). */
	stream = g_mime_stream_mmap_new(fd, PROT_READ, MAP_PRIVATE);
	if (stream == NULL)
		stream = g_mime_stream_fs_new(fd);
	if (al_pipeline_run(pipeline, stream, &smtp, &verdict, &error) < 0) {
		ctl_error("%s: not judged: %s (the milter would answer tempfail)", file,
			  error->message);
		goto out;
	}
	if (o->json) {
		g_string_truncate(json, 0);
		al_json_append_verdict(json, file, verdict);
		puts(json->str);
	} else {
		print_text(file, verdict);
	}
	al_verdict_free(&verdict);
	rc = 0;
out:
	g_object_unref(stream);
	return rc;
}

int ctl_check(int argc, char **argv)
{
	struct check_options o = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	struct al_config *config = NULL;
	struct al_pipeline *pipeline = NULL;
	GString *json = g_string_new(NULL);
	int status = CTL_EXIT_USAGE;

	if (parse_options(argc, argv, &o) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	config = al_config_load(o.config_path ? o.config_path : al_config_default_path(), TRUE,
				&error);
	if (config == NULL) {
		ctl_error("%s", error->message);
		goto out;
	}
	pipeline = al_pipeline_new(config, &warnings, &error);
	if (pipeline == NULL) {
		ctl_error("%s", error->message);
		goto out;
	}
	for (guint i = 0; warnings != NULL && i < warnings->len; i++)
		ctl_error("warning: %s", (const char *)warnings->pdata[i]);
	status = CTL_EXIT_OK;
	for (char **file = o.files; *file != NULL; file++) {
		if (check_file(pipeline, &o, *file, json) < 0)
			status = CTL_EXIT_FAILURE;
		fflush(stdout);
	}
out:
	al_pipeline_free(&pipeline);
	al_config_free(&config);
	g_string_free(json, TRUE);
	options_clear(&o);
	return status;
}
