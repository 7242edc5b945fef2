/*
 * cmd_report.c - airlockctl report: what Airlock stopped over a period,
 * for staff training and policy tuning.
 *
 *   airlockctl report [-c FILE] [--since DATE --until DATE | --days N]
 *                     [--format text|html|csv|json] [--lang fr|en]
 *                     [--anonymize] [-o FILE]
 *
 * Default: the last 30 days (UTC, today included), text, the first of the
 * config's [notice] languages that is fr or en, on stdout. DATE is
 * YYYY-MM-DD, a UTC day, included. --anonymize replaces recipients with
 * pseudonyms keyed by the release key (readable by root and the daemon's
 * user). As root the store is read as its owner (ctl_admin_open()); the
 * output file is opened before that, as the invoking user: 0600, or
 * 0644 for an anonymised report. Exit 0, 1 on a store, key or write
 * error, 2 on a usage error.
 */
#include "ctl.h"
#include "ctl_admin.h"

#include "airlock/release.h"
#include "airlock/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_DAYS 30
#define MAX_DAYS     3660
#define DAYS_UNSET   G_MININT

struct report_options {
	char *config_path;
	char *since;
	char *until;
	gint days;
	char *format;
	char *lang;
	gboolean anonymize;
	char *output;
};

static void options_clear(struct report_options *o)
{
	g_free(o->config_path);
	g_free(o->since);
	g_free(o->until);
	g_free(o->format);
	g_free(o->lang);
	g_free(o->output);
}

static int parse_options(int argc, char **argv, struct report_options *o)
{
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
		  "FILE" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &o->since, "first day (UTC), included",
		  "YYYY-MM-DD" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &o->until, "last day (UTC), included",
		  "YYYY-MM-DD" },
		{ "days", 0, 0, G_OPTION_ARG_INT, &o->days, "the last N days, today included (30)",
		  "N" },
		{ "format", 0, 0, G_OPTION_ARG_STRING, &o->format, "text (default), html, csv or json",
		  "FORMAT" },
		{ "lang", 0, 0, G_OPTION_ARG_STRING, &o->lang, "fr or en (default: the config's)",
		  "LANG" },
		{ "anonymize", 0, 0, G_OPTION_ARG_NONE, &o->anonymize,
		  "stable pseudonyms instead of recipients, addresses blanked", NULL },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output, "write to FILE, not stdout",
		  "FILE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- report what was stopped");

	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_summary(context,
		"Totals, reasons with their lessons, trend, top lists, released vs deleted,\n"
		"examples and tips over a period, for staff training and policy tuning.");
	if (!ctl_parse_options(context, "report", &argc, &argv, FALSE))
		return -1;
	if (argc > 1) {
		ctl_error("report: unexpected argument '%s'", argv[1]);
		return -1;
	}
	return 0;
}

static int parse_day(const char *name, const char *text, GDate *date_r)
{
	if (al_report_parse_date(text, date_r))
		return 0;
	ctl_error("report: --%s: '%s' is not a date (YYYY-MM-DD)", name, text);
	return -1;
}

/* The period from the options; usage errors return -1. */
static int period(const struct report_options *o, GDate *since_r, GDate *until_r)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	gboolean days_given = o->days != DAYS_UNSET;
	gint days = days_given ? o->days : DEFAULT_DAYS;

	if (days_given && (o->since != NULL || o->until != NULL)) {
		ctl_error("report: --days cannot be used with --since or --until");
		return -1;
	}
	if (days < 1 || days > MAX_DAYS) {
		ctl_error("report: --days must be between 1 and %d", MAX_DAYS);
		return -1;
	}
	g_date_clear(until_r, 1);
	g_date_set_dmy(until_r, (GDateDay)g_date_time_get_day_of_month(now),
		       (GDateMonth)g_date_time_get_month(now), (GDateYear)g_date_time_get_year(now));
	if (o->until != NULL && parse_day("until", o->until, until_r) < 0)
		return -1;
	*since_r = *until_r;
	g_date_subtract_days(since_r, (guint)days - 1);
	if (o->since != NULL && parse_day("since", o->since, since_r) < 0)
		return -1;
	if (g_date_compare(since_r, until_r) > 0) {
		ctl_error("report: --since %s is after --until", o->since);
		return -1;
	}
	return 0;
}

static const char *const formats[] = { "text", "html", "csv", "json" };

static int check_choices(const struct report_options *o)
{
	gboolean known = o->format == NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(formats) && !known; i++)
		known = strcmp(o->format, formats[i]) == 0;
	if (!known) {
		ctl_error("report: --format must be text, html, csv or json, not '%s'", o->format);
		return -1;
	}
	if (o->lang != NULL && strcmp(o->lang, "fr") != 0 && strcmp(o->lang, "en") != 0) {
		ctl_error("report: --lang must be fr or en, not '%s'", o->lang);
		return -1;
	}
	return 0;
}

/* --lang, else the first configured notice language we have, else en. */
static const char *report_lang(const struct report_options *o, const struct al_config *config)
{
	if (o->lang != NULL)
		return o->lang;
	for (guint i = 0; config->languages != NULL && config->languages[i] != NULL; i++)
		if (g_ascii_strcasecmp(config->languages[i], "fr") == 0)
			return "fr";
		else if (g_ascii_strcasecmp(config->languages[i], "en") == 0)
			return "en";
	return "en";
}

static void render(const struct al_report *report, const char *format, const char *lang,
		   GString *out)
{
	if (format == NULL || strcmp(format, "text") == 0)
		al_report_render_text(report, lang, out);
	else if (strcmp(format, "html") == 0)
		al_report_render_html(report, lang, out);
	else if (strcmp(format, "csv") == 0)
		al_report_render_csv(report, lang, out);
	else
		al_report_render_json(report, lang, out);
}

/* Opened before privileges are dropped: the admin's file, not the
 * daemon user's. */
static int open_output(const struct report_options *o)
{
	int fd;

	if (o->output == NULL || strcmp(o->output, "-") == 0)
		return STDOUT_FILENO;
	fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  o->anonymize ? 0644 : 0600);
	if (fd < 0)
		ctl_error("cannot write %s: %s", o->output, g_strerror(errno));
	return fd;
}

static int load_key(const struct al_config *config, struct al_release_key *key_r)
{
	g_autoptr(GError) error = NULL;

	if (al_release_key_load(config->release_key, FALSE, key_r, &error) == 0)
		return 0;
	ctl_error("--anonymize needs the release key for its pseudonyms: %s", error->message);
	return -1;
}

static int make_report(const struct report_options *o, struct ctl_admin *admin, GString *out)
{
	struct al_release_key key = { 0 };
	struct al_report report = { 0 };
	struct al_report_options options = {
		.anonymize = o->anonymize,
		.key = key.bytes,
		.key_bytes = sizeof(key.bytes),
	};
	g_autoptr(GError) error = NULL;
	GDate since, until;
	int rc = -1;

	if (period(o, &since, &until) < 0)
		return -2;
	if (o->anonymize && load_key(admin->config, &key) < 0)
		return -1;
	if (al_report_gather(admin->store, &since, &until, &options, &report, &error) < 0) {
		ctl_error("report: %s", error->message);
		goto out;
	}
	render(&report, o->format, report_lang(o, admin->config), out);
	rc = 0;
out:
	al_report_free(&report);
	explicit_bzero(&key, sizeof(key));
	return rc;
}

int ctl_report(int argc, char **argv)
{
	struct report_options o = { .days = DAYS_UNSET };
	struct ctl_admin admin = { 0 };
	GString *out = g_string_new(NULL);
	int status = CTL_EXIT_USAGE;
	int fd = -1, rc;

	if (parse_options(argc, argv, &o) < 0 || check_choices(&o) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	if ((fd = open_output(&o)) < 0)
		goto out;
	if (ctl_admin_open(o.config_path, &admin) < 0)
		goto out;
	rc = make_report(&o, &admin, out);
	if (rc < 0) {
		status = rc == -2 ? CTL_EXIT_USAGE : CTL_EXIT_FAILURE;
		goto out;
	}
	if (al_write_all(fd, out->str, out->len) < 0 || (fd != STDOUT_FILENO && fsync(fd) < 0)) {
		ctl_error("cannot write %s: %s", o.output ? o.output : "the report",
			  g_strerror(errno));
		goto out;
	}
	status = CTL_EXIT_OK;
out:
	if (fd > STDOUT_FILENO && close(fd) < 0 && status == CTL_EXIT_OK) {
		ctl_error("cannot write %s: %s", o.output, g_strerror(errno));
		status = CTL_EXIT_FAILURE;
	}
	/* Best effort: once the store owner, we may not remove it. */
	if (fd > STDOUT_FILENO && status != CTL_EXIT_OK)
		(void)unlink(o.output);
	ctl_admin_close(&admin);
	g_string_free(out, TRUE);
	options_clear(&o);
	return status;
}
