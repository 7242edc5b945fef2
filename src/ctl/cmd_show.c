/*
 * cmd_show.c - airlockctl show: everything about one quarantined message.
 *
 *   airlockctl show [-c FILE] [--json | --raw] ID
 *
 * The header fields of the original, the SMTP context, the origin
 * verdict and why, each part with its verdict, reasons and details, and
 * the audit history. --json: one object (list --json's shape plus the
 * events). --raw: the original message, byte for byte, on stdout (for a
 * mail client or a sandbox; nothing is scanned or changed). The id may
 * be typed as a notice prints it (any case, with dashes or spaces).
 */
#include "ctl_admin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HEADER_SHOWN_BYTES 65536

struct show_options {
	char *config_path;
	gboolean json;
	gboolean raw;
	char **args;
};

static int parse_options(int argc, char **argv, struct show_options *o)
{
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
	     "FILE"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &o->json, "one JSON object", NULL},
	    {"raw", 0, 0, G_OPTION_ARG_NONE, &o->raw, "the original message on stdout", NULL},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->args, NULL, "ID"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("ID - show a quarantined message");

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "show", &argc, &argv, FALSE))
		return -1;
	if (o->args == NULL || g_strv_length(o->args) != 1) {
		ctl_error(
		    "show: give one quarantine id (usage: airlockctl show [--json|--raw] ID)");
		return -1;
	}
	if (o->json && o->raw) {
		ctl_error("show: --json and --raw exclude each other");
		return -1;
	}
	return 0;
}

static GMimeStream *open_original(struct ctl_admin *admin, const struct al_store_message *m)
{
	g_autoptr(GError) error = NULL;
	GMimeStream *stream = al_store_open_original(admin->store, m->id, &error);

	if (stream == NULL &&
	    g_error_matches(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND))
		ctl_error("%s is %s: its original is no longer kept", m->id,
			  al_store_status_name(m->status));
	else if (stream == NULL)
		ctl_error("cannot read %s: %s", m->id, error->message);
	return stream;
}

static int copy_raw(struct ctl_admin *admin, const struct al_store_message *m)
{
	GMimeStream *stream = open_original(admin, m);
	char buffer[65536];
	gssize n;

	if (stream == NULL)
		return -1;
	while ((n = g_mime_stream_read(stream, buffer, sizeof(buffer))) > 0)
		if (fwrite(buffer, 1, (size_t)n, stdout) != (size_t)n)
			break;
	g_object_unref(stream);
	if (n != 0) {
		ctl_error("%s: copy failed: %s", m->id,
			  n < 0 ? "cannot read the original" : g_strerror(errno));
		return -1;
	}
	if (fflush(stdout) != 0) {
		ctl_error("%s: cannot write stdout: %s", m->id, g_strerror(errno));
		return -1;
	}
	return 0;
}

/* The header block of the original (up to the first empty line), each
 * line escaped; nothing when the original is gone. */
static void print_headers(struct ctl_admin *admin, const struct al_store_message *m)
{
	g_autofree char *buffer = g_malloc(HEADER_SHOWN_BYTES + 1);
	GMimeStream *stream =
	    m->status == AL_STATUS_QUARANTINED || m->status == AL_STATUS_RELEASED
		? open_original(admin, m)
		: NULL;
	gssize n = 0, got;
	g_auto(GStrv) lines = NULL;

	if (stream == NULL)
		return;
	while (n < HEADER_SHOWN_BYTES &&
	       (got = g_mime_stream_read(stream, buffer + n, HEADER_SHOWN_BYTES - n)) > 0)
		n += got;
	g_object_unref(stream);
	if (n <= 0)
		return;
	buffer[n] = '\0';
	lines = g_strsplit(buffer, "\n", -1);
	printf("Headers:\n");
	for (gsize i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++) {
		g_autofree char *line = NULL;

		g_strchomp(lines[i]);
		if (lines[i][0] == '\0')
			break;
		line = ctl_printable(lines[i]);
		printf("  %s\n", line);
	}
}

static void print_field(const char *name, const char *value)
{
	g_autofree char *shown = ctl_printable(value != NULL && value[0] != '\0' ? value : "-");

	printf("%-10s %s\n", name, shown);
}

static void print_context(const struct al_store_message *m)
{
	g_autofree char *date = ctl_local_time(m->received_at);
	g_autofree char *to = g_strjoinv(", ", m->recipients);
	g_autofree char *released = g_strjoinv(", ", m->released_to);
	g_autofree char *client =
	    g_strdup_printf("%s [%s] helo=%s, %s%s", m->client_name ? m->client_name : "unknown",
			    m->client_addr ? m->client_addr : "?", m->helo ? m->helo : "-",
			    m->auth_user ? "authenticated as " : "not authenticated",
			    m->auth_user ? m->auth_user : "");
	g_autofree char *origin = g_strdup_printf("%s (%s)", m->origin_known ? "known" : "unknown",
						  m->origin_why ? m->origin_why : "-");
	g_autofree char *reasons = ctl_reasons_text(m->reasons, ",");
	g_autofree char *action = g_strdup_printf("%s (%s)", m->action, reasons);
	g_autofree char *size =
	    g_strdup_printf("%" G_GINT64_FORMAT " bytes, sha256 %s", m->size, m->sha256);

	printf("Quarantine %s: %s\n", m->id, al_store_status_name(m->status));
	print_field("Received:", date);
	print_field("Queue id:", m->queue_id);
	print_field("From:", m->envelope_from);
	print_field("  header:", m->header_from);
	print_field("To:", to);
	if (m->released_to[0] != NULL)
		print_field("Released:", released);
	print_field("Subject:", m->subject);
	print_field("Client:", client);
	print_field("Origin:", origin);
	print_field("Action:", action);
	print_field("Original:", size);
}

static void print_list(const char *label, char *const *lines)
{
	for (gsize i = 0; lines != NULL && lines[i] != NULL; i++) {
		g_autofree char *line = ctl_printable(lines[i]);

		printf("      %s %s\n", label, line);
	}
}

static void print_items(const struct al_store_message *m)
{
	printf("Parts:\n");
	for (guint i = 0; i < m->items->len; i++) {
		const struct al_store_item *item = m->items->pdata[i];
		g_autofree char *name =
		    ctl_printable(item->filename != NULL ? item->filename : "(no name)");
		g_autofree char *reasons = ctl_reasons_text(item->reasons, ",");

		printf("  %-6s %s  %s, %s, %" G_GINT64_FORMAT " bytes  %s%s%s\n", item->part, name,
		       item->detected_type ? item->detected_type : "?",
		       item->declared_type ? item->declared_type : "?", item->size,
		       item->quarantined ? "QUARANTINED" : "clean", reasons[0] != '\0' ? ": " : "",
		       reasons);
		print_list("-", item->details);
		print_list("virus:", item->viruses);
		print_list("inside:", item->inner);
	}
}

static void print_events(const struct al_store_message *m)
{
	printf("History:\n");
	for (guint i = 0; i < m->events->len; i++) {
		const struct al_store_event *e = m->events->pdata[i];
		g_autofree char *at = ctl_local_time(e->at);
		g_autofree char *who = ctl_printable(e->who);
		g_autofree char *detail = ctl_printable(e->detail);

		printf("  %s  %-14s by %s%s%s\n", at, e->event, who, e->detail ? ": " : "",
		       e->detail ? detail : "");
	}
}

int ctl_show(int argc, char **argv)
{
	struct show_options o = {0};
	struct ctl_admin admin = {0};
	struct al_store_message m = {0};
	g_autoptr(GError) error = NULL;
	int status = CTL_EXIT_USAGE;

	if (parse_options(argc, argv, &o) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	if (ctl_admin_open(o.config_path, &admin) < 0)
		goto out;
	if (al_store_get_message(admin.store, o.args[0], &m, &error) < 0) {
		ctl_error("%s", error->message);
		goto out;
	}
	if (o.raw) {
		if (copy_raw(&admin, &m) < 0)
			goto out;
	} else if (o.json) {
		g_autoptr(GString) json = g_string_new(NULL);

		ctl_json_message(json, &m);
		puts(json->str);
	} else {
		print_context(&m);
		print_headers(&admin, &m);
		print_items(&m);
		print_events(&m);
	}
	status = CTL_EXIT_OK;
out:
	al_store_message_clear(&m);
	ctl_admin_close(&admin);
	g_free(o.config_path);
	g_strfreev(o.args);
	return status;
}
