/*
 * cmd_list.c - airlockctl list: what the quarantine holds, newest first.
 *
 *   airlockctl list [-c FILE] [--since DATE | --days N] [--reason R]
 *                   [--from ADDR] [--rcpt ADDR] [--status S] [--limit N]
 *                   [--json]
 *
 * A table (id, date, sender, recipients, subject, files, reasons,
 * status) or, with --json, one object per line (the shape of show
 * --json without the events). --from and --rcpt match any part of the
 * address, in any case. At most --limit messages (default 100, 0 for
 * all); the table says when some were left out.
 */
#include "ctl_admin.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_LIMIT 100

struct list_options {
	char *config_path;
	char *since;
	gint days;
	char *reason;
	char *from;
	char *rcpt;
	char *status;
	gint limit;
	gboolean json;
};

static void options_clear(struct list_options *o)
{
	g_free(o->config_path);
	g_free(o->since);
	g_free(o->reason);
	g_free(o->from);
	g_free(o->rcpt);
	g_free(o->status);
}

static int check_options(const struct list_options *o, struct al_store_filter *filter)
{
	if (o->since != NULL && o->days > 0) {
		ctl_error("list: give --since or --days, not both");
		return -1;
	}
	if (o->since != NULL && ctl_parse_date(o->since, &filter->since) < 0) {
		ctl_error("list: --since %s: not a date (YYYY-MM-DD)", o->since);
		return -1;
	}
	if (o->days > 0)
		filter->since = g_get_real_time() / G_USEC_PER_SEC - (gint64)o->days * 86400;
	if (o->reason != NULL && al_reason_from_name(o->reason) < 0) {
		ctl_error("list: --reason %s: not a reason code (virus, executable, disguised, "
			  "macro, encrypted, limits, malformed, polyglot, unknown-origin)",
			  o->reason);
		return -1;
	}
	if (o->status != NULL && al_store_status_from_name(o->status) < 0) {
		ctl_error(
		    "list: --status %s: not a status (quarantined, released, deleted, purged)",
		    o->status);
		return -1;
	}
	if (o->days < 0 || o->limit < 0) {
		ctl_error("list: --days and --limit take a number >= 0");
		return -1;
	}
	if (o->reason != NULL)
		filter->reasons = AL_REASON_BIT(al_reason_from_name(o->reason));
	filter->from = o->from;
	filter->rcpt = o->rcpt;
	filter->status = o->status != NULL ? al_store_status_from_name(o->status) : -1;
	/* One more than shown, to tell whether some were left out. */
	filter->limit = o->limit > 0 ? (guint)o->limit + 1 : 0;
	return 0;
}

static int parse_options(int argc, char **argv, struct list_options *o)
{
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
	     "FILE"},
	    {"since", 0, 0, G_OPTION_ARG_STRING, &o->since, "received on or after", "YYYY-MM-DD"},
	    {"days", 0, 0, G_OPTION_ARG_INT, &o->days, "received in the last N days", "N"},
	    {"reason", 0, 0, G_OPTION_ARG_STRING, &o->reason, "with this reason code", "R"},
	    {"from", 0, 0, G_OPTION_ARG_STRING, &o->from, "sender contains", "ADDR"},
	    {"rcpt", 0, 0, G_OPTION_ARG_STRING, &o->rcpt, "a recipient contains", "ADDR"},
	    {"status", 0, 0, G_OPTION_ARG_STRING, &o->status,
	     "quarantined, released, deleted or purged", "S"},
	    {"limit", 0, 0, G_OPTION_ARG_INT, &o->limit, "at most N messages (0: all)", "N"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &o->json, "one JSON object per line", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- list quarantined messages");

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "list", &argc, &argv, FALSE))
		return -1;
	if (argc > 1) {
		ctl_error("list: unexpected argument '%s'", argv[1]);
		return -1;
	}
	return 0;
}

/* s made printable and cut to width characters ("..." when cut). */
static char *cell(const char *s, glong width)
{
	g_autofree char *shown = ctl_printable(s != NULL && s[0] != '\0' ? s : "-");
	g_autofree char *cut = NULL;

	if (g_utf8_strlen(shown, -1) <= width)
		return g_steal_pointer(&shown);
	cut = g_utf8_substring(shown, 0, width - 3);
	return g_strconcat(cut, "...", NULL);
}

static char *files_of(const struct al_store_message *m)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < m->items->len; i++) {
		const struct al_store_item *item = m->items->pdata[i];

		if (!item->quarantined)
			continue;
		if (out->len > 0)
			g_string_append(out, ", ");
		g_string_append(out, item->filename != NULL ? item->filename : "(no name)");
	}
	return g_string_free(out, FALSE);
}

static void print_row(const struct al_store_message *m)
{
	g_autofree char *date = ctl_local_time(m->received_at);
	g_autofree char *rcpts_joined = g_strjoinv(", ", m->recipients);
	g_autofree char *files_joined = files_of(m);
	g_autofree char *from = cell(m->envelope_from, 28);
	g_autofree char *rcpts = cell(rcpts_joined, 28);
	g_autofree char *subject = cell(m->subject, 30);
	g_autofree char *files = cell(files_joined, 24);
	g_autofree char *reasons = ctl_reasons_text(m->reasons, ",");

	/* %-*s pads bytes; pad by characters for UTF-8 cells. */
	printf("%s  %.16s  ", m->id, date);
	printf("%s%*s  ", from, (int)(28 - g_utf8_strlen(from, -1)), "");
	printf("%s%*s  ", rcpts, (int)(28 - g_utf8_strlen(rcpts, -1)), "");
	printf("%s%*s  ", subject, (int)(30 - g_utf8_strlen(subject, -1)), "");
	printf("%s%*s  ", files, (int)(24 - g_utf8_strlen(files, -1)), "");
	printf("%-24s  %s\n", reasons, al_store_status_name(m->status));
}

static void print_table(const GPtrArray *list, guint shown, gboolean more)
{
	if (list->len == 0) {
		printf("no quarantined message matches\n");
		return;
	}
	printf("%-26s  %-16s  %-28s  %-28s  %-30s  %-24s  %-24s  %s\n", "ID", "RECEIVED", "FROM",
	       "TO", "SUBJECT", "FILES", "REASONS", "STATUS");
	for (guint i = 0; i < shown; i++)
		print_row(list->pdata[i]);
	if (more)
		printf("(only the %u newest are shown: --limit 0 lists them all)\n", shown);
}

int ctl_list(int argc, char **argv)
{
	struct list_options o = {.limit = DEFAULT_LIMIT};
	struct al_store_filter filter = AL_STORE_FILTER_INIT;
	struct ctl_admin admin = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = NULL;
	int status = CTL_EXIT_USAGE;
	guint shown;

	if (parse_options(argc, argv, &o) < 0 || check_options(&o, &filter) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	if (ctl_admin_open(o.config_path, &admin) < 0)
		goto out;
	list = al_store_list(admin.store, &filter, &error);
	if (list == NULL) {
		ctl_error("%s", error->message);
		goto out;
	}
	shown = o.limit > 0 ? MIN(list->len, (guint)o.limit) : list->len;
	if (o.json) {
		g_autoptr(GString) json = g_string_new(NULL);

		for (guint i = 0; i < shown; i++) {
			g_string_truncate(json, 0);
			ctl_json_message(json, list->pdata[i]);
			puts(json->str);
		}
	} else {
		print_table(list, shown, shown < list->len);
	}
	status = CTL_EXIT_OK;
out:
	ctl_admin_close(&admin);
	options_clear(&o);
	return status;
}
