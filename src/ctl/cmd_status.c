/*
 * cmd_status.c - airlockctl status: is Airlock doing its job, in a form
 * that monitoring (Nagios, Icinga, Zabbix, cron) can use.
 *
 *   airlockctl status [-c FILE] [--json] [--timeout SECONDS]
 *
 * What is checked, and how bad each finding is:
 *	daemon	a real milter negotiation on [milter] socket (an alive pid
 *		proves little); no answer: CRITICAL. Its state file
 *		([milter] status_file, written every minute) missing or
 *		older than 3 minutes while it answers: WARNING.
 *	engine	no engine loaded: CRITICAL; the last reload failed:
 *		WARNING. The ClamAV database on disk missing, or built more
 *		than [scan] max_database_age days ago, or newer than what
 *		the daemon loaded for longer than twice [scan]
 *		database_check_seconds (10 minutes when that is 0): WARNING.
 *	store	not reachable, or a schema newer than this build's:
 *		CRITICAL; older: WARNING. Free space of its file system
 *		below [quarantine] min_free, or the daemon's disk guard
 *		refusing mail: CRITICAL; below twice min_free: WARNING. An
 *		original kept longer than retention_days + 1 day (purge
 *		does not run): WARNING.
 *	24 h	tempfailed: WARNING when at least 5 and more than 10% of the
 *		messages judged (fewer is the noise of MTA timeouts; more
 *		is mail waiting at the sender's MTA).
 * Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the config
 * cannot be read, a bad option): the Nagios plugin convention.
 *
 * As root, the daemon is asked first, then the store is read as its
 * owner (like the other store commands: SQLite's -shm file must stay
 * the daemon's). Another user needs the daemon's rights to read it.
 */
#include "ctl_admin.h"
#include "ctl_probe.h"
#include "ctl_status.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_SECONDS 5
#define STATE_STALE_SECONDS     180
#define DAY_SECONDS             86400
#define RELOAD_GRACE_NO_CHECK   600
#define TEMPFAIL_MIN_COUNT      5
#define TEMPFAIL_MAX_PERCENT    10

struct status_options {
	char *config_path;
	gboolean json;
	gint timeout_seconds;
};

void status_problem(struct status_report *report, enum status_severity severity, const char *fmt,
		    ...)
{
	struct status_problem *problem = g_new0(struct status_problem, 1);
	va_list args;

	va_start(args, fmt);
	problem->severity = severity;
	problem->what = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_ptr_array_add(report->problems, problem);
}

static void problem_free(gpointer data)
{
	struct status_problem *problem = data;

	g_free(problem->what);
	g_free(problem);
}

/* ---- the daemon ---- */

static void read_pidfile(struct status_report *r)
{
	g_autofree char *text = NULL;
	guint64 pid;

	if (!g_file_get_contents(r->config->milter_pidfile, &text, NULL, NULL) ||
	    !g_ascii_string_to_unsigned(g_strstrip(text), 10, 1, G_MAXINT, &pid, NULL))
		return;
	r->pid = (gint64)pid;
	r->pid_alive = kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static void not_answering(struct status_report *r)
{
	const char *pidfile = r->config->milter_pidfile;

	if (r->pid_alive)
		status_problem(r, STATUS_CRITICAL,
			       "airlock-milter (pid %" G_GINT64_FORMAT ") is not answering: %s",
			       r->pid, r->probe_error);
	else if (r->pid != 0)
		status_problem(r, STATUS_CRITICAL,
			       "airlock-milter is not running (%s names pid %" G_GINT64_FORMAT
			       ", which is gone): %s",
			       pidfile, r->pid, r->probe_error);
	else
		status_problem(r, STATUS_CRITICAL,
			       "airlock-milter is not running (no pid file %s): %s", pidfile,
			       r->probe_error);
}

static void read_state(struct status_report *r)
{
	g_autoptr(GError) error = NULL;
	const char *path = r->config->milter_status_file;

	if (al_daemon_state_read(path, &r->state, &error) == 0) {
		r->have_state = TRUE;
		al_daemon_state_last_day(&r->state, r->now, &r->judged, &r->quarantined,
					 &r->tempfailed);
	} else if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		r->state_error = g_strdup_printf("no state file %s", path);
	} else {
		r->state_error = g_strdup(error->message);
	}
}

static void check_state_file(struct status_report *r)
{
	const char *path = r->config->milter_status_file;
	gint64 age = r->now - r->state.written_at;
	g_autofree char *age_text = status_duration(age);

	if (!r->have_state)
		status_problem(r, STATUS_WARNING,
			       "%s: airlock-milter writes it every minute (see "
			       "its log for why it cannot); engine and 24-hour figures unknown",
			       r->state_error);
	else if (age > STATE_STALE_SECONDS)
		status_problem(r, STATUS_WARNING,
			       "the state file %s was last written %s ago "
			       "(airlock-milter writes it every minute): its figures are old",
			       path, age_text);
}

static void check_daemon(struct status_report *r, guint timeout_seconds)
{
	g_autoptr(GError) error = NULL;

	read_pidfile(r);
	r->answering = ctl_milter_probe(r->config->milter_socket, timeout_seconds * 1000,
					&r->milter_version, &error) == 0;
	if (!r->answering)
		r->probe_error = g_strdup(error->message);
	read_state(r);
	if (!r->answering)
		not_answering(r);
	else
		check_state_file(r);
}

/* ---- the engine and the ClamAV database ---- */

static void check_engine(struct status_report *r)
{
	const struct al_daemon_reload *reload = &r->state.last_reload;
	g_autofree char *when = status_duration(r->now - reload->at);

	if (!r->answering || !r->have_state)
		return;
	if (r->state.signatures == 0)
		status_problem(r, STATUS_CRITICAL,
			       "airlock-milter has no engine loaded (%s): every "
			       "message is tempfailed",
			       reload->error ? reload->error : "none yet");
	else if (reload->at > 0 && !reload->ok)
		status_problem(r, STATUS_WARNING,
			       "the last reload (%s, %s ago) failed, the previous "
			       "engine stays in use: %s",
			       reload->trigger ? reload->trigger : "?", when,
			       reload->error ? reload->error : "no reason given");
}

/* The daemon loaded an older ClamAV database than the one on disk, and
 * had the time to notice the new one. */
static gboolean engine_is_behind(const struct status_report *r, const char *dir)
{
	const struct al_config *c = r->config;
	gint64 grace = c->scan_database_check_seconds > 0
			   ? 2 * (gint64)c->scan_database_check_seconds
			   : RELOAD_GRACE_NO_CHECK;
	GStatBuf st;

	if (!r->answering || !r->have_state || r->state.signatures == 0)
		return FALSE;
	if (r->database_built_at <= r->state.clamav_built_at &&
	    r->database_version <= r->state.clamav_version)
		return FALSE;
	/* Files are replaced by rename: the directory's time is when the
	 * update arrived. */
	if (g_stat(dir, &st) == 0 && r->now - (gint64)st.st_mtime <= grace)
		return FALSE;
	return r->now - r->state.engine_loaded_at > grace;
}

static void check_database_age(struct status_report *r, const char *dir)
{
	guint max_days = r->config->scan_max_database_age_days;
	gint64 age = r->now - r->database_built_at;
	g_autofree char *age_text = status_duration(age);
	g_autofree char *loaded_text = status_duration(r->now - r->state.engine_loaded_at);

	if (r->database_built_at > 0 && age > (gint64)max_days * DAY_SECONDS)
		status_problem(r, STATUS_WARNING,
			       "the ClamAV database in %s was built %s ago, more "
			       "than [scan] max_database_age (%u days): is freshclam running?",
			       dir, age_text, max_days);
	if (engine_is_behind(r, dir))
		status_problem(r, STATUS_WARNING,
			       "airlock-milter did not pick up the update of the "
			       "ClamAV database in %s (its engine was loaded %s ago): reload it "
			       "(systemctl reload airlock-milter)",
			       dir, loaded_text);
}

static void check_database(struct status_report *r)
{
	const char *dir = r->config->clamav_database_dir;
	g_autoptr(GError) error = NULL;
	g_autofree char *ours = NULL;

	if (dir == NULL)
		dir = "(unset)";
	else if (al_clamav_database_info(dir, &r->database_found, &r->database_built_at,
					 &r->database_version, &error) < 0) {
		r->database_error = g_strdup(error->message);
		status_problem(r, STATUS_WARNING, "%s", r->database_error);
		return;
	}
	if (r->database_found) {
		check_database_age(r, dir);
		return;
	}
	ours = r->have_state ? g_strdup_printf("%u ", r->state.signatures) : g_strdup("");
	status_problem(r, STATUS_WARNING,
		       "no ClamAV database in %s: only Airlock's own %s"
		       "signatures are in use (install clamav-freshclam)",
		       dir, ours);
}

/* ---- the store ---- */

static void check_schema(struct status_report *r)
{
	gint64 version = r->store.schema_version;

	if (version > AL_STORE_SCHEMA_VERSION)
		status_problem(r, STATUS_CRITICAL,
			       "the store's schema version %" G_GINT64_FORMAT
			       " is newer than this airlock's (%d): upgrade airlock",
			       version, AL_STORE_SCHEMA_VERSION);
	else if (version < AL_STORE_SCHEMA_VERSION)
		status_problem(r, STATUS_WARNING,
			       "the store's schema version %" G_GINT64_FORMAT
			       " is older than this airlock's (%d): restart airlock-milter to "
			       "migrate it",
			       version, AL_STORE_SCHEMA_VERSION);
}

static void check_retention(struct status_report *r)
{
	guint days = r->config->retention_days;
	gint64 oldest = r->store.oldest_kept_at;
	g_autofree char *received = ctl_local_time(oldest);
	g_autofree char *age = status_duration(r->now - oldest);

	if (oldest > 0 && r->now - oldest > ((gint64)days + 1) * DAY_SECONDS)
		status_problem(r, STATUS_WARNING,
			       "the oldest original kept (received %s, %s ago) "
			       "is past [quarantine] retention_days (%u): airlockctl purge has not "
			       "run (enable airlock-purge.timer)",
			       received, age, days);
}

/* As root: become the store directory's owner (for good: the store is
 * the last thing looked at). */
static int become_store_owner(struct status_report *r)
{
	const char *dir = r->config->quarantine_dir;
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(dir, &st) < 0) {
		r->store_error = g_strdup_printf("%s: %s", dir, g_strerror(errno));
		return -1;
	}
	if (ctl_become(st.st_uid, st.st_gid, dir) < 0) {
		r->store_error = g_strdup_printf("cannot become the owner of %s", dir);
		return -1;
	}
	return 0;
}

static void read_store(struct status_report *r)
{
	g_autoptr(GError) error = NULL;
	struct al_store *store = NULL;
	struct al_store_where where;

	al_store_where_config(r->config, &where);
	/* PostgreSQL: no directory to own; the passfile is read as root. */
	if (where.backend == AL_STORE_SQLITE && become_store_owner(r) < 0)
		return;
	r->store_backend = where.backend == AL_STORE_POSTGRESQL ? "postgresql" : "sqlite";
	store = al_store_open_readonly_at(&where, &error);
	if (store != NULL && where.backend == AL_STORE_POSTGRESQL)
		r->store_where = g_strdup(al_store_describe(store));
	if (store != NULL && al_store_get_status(store, &r->store, &error) == 0)
		r->store_reachable = TRUE;
	else
		r->store_error = g_strdup(error->message);
	al_store_close(&store);
}

static void check_disk(struct status_report *r)
{
	const struct al_config *c = r->config;
	g_autoptr(GError) error = NULL;
	g_autofree char *free_text = NULL, *min_text = NULL;
	g_autofree char *daemon_free =
	    g_format_size_full(r->state.disk_free_bytes, G_FORMAT_SIZE_IEC_UNITS);

	if (al_disk_space(c->quarantine_dir, &r->disk_free_bytes, &r->disk_total_bytes, &error) <
	    0) {
		r->disk_error = g_strdup(error->message);
		if (r->store_reachable)
			status_problem(r, STATUS_WARNING, "%s", r->disk_error);
		return;
	}
	r->disk_measured = TRUE;
	r->min_free_bytes = al_free_space_bytes(&c->quarantine_min_free, r->disk_total_bytes);
	free_text = g_format_size_full(r->disk_free_bytes, G_FORMAT_SIZE_IEC_UNITS);
	min_text = g_format_size_full(r->min_free_bytes, G_FORMAT_SIZE_IEC_UNITS);
	if (r->disk_free_bytes < r->min_free_bytes)
		status_problem(r, STATUS_CRITICAL,
			       "only %s free on the file system of %s, below "
			       "[quarantine] min_free (%s): mail that must be quarantined is "
			       "tempfailed",
			       free_text, c->quarantine_dir, min_text);
	else if (r->disk_free_bytes / 2 < r->min_free_bytes)
		status_problem(r, STATUS_WARNING,
			       "only %s free on the file system of %s, less than "
			       "twice [quarantine] min_free (%s)",
			       free_text, c->quarantine_dir, min_text);
	/* Its word counts too: it measures where it writes, at its own time. */
	if (r->disk_free_bytes >= r->min_free_bytes && r->answering && r->have_state &&
	    r->state.disk_low)
		status_problem(r, STATUS_CRITICAL,
			       "airlock-milter's disk guard is refusing mail "
			       "that must be quarantined (%s free when it last looked)",
			       daemon_free);
}

static void check_store(struct status_report *r)
{
	read_store(r);
	if (!r->store_reachable)
		status_problem(r, STATUS_CRITICAL, "the quarantine store is unreachable: %s",
			       r->store_error);
	else
		check_schema(r);
	check_disk(r);
	if (r->store_reachable)
		check_retention(r);
}

/* ---- the last 24 hours ---- */

static void check_last_day(struct status_report *r)
{
	if (!r->answering || !r->have_state)
		return;
	if (r->tempfailed >= TEMPFAIL_MIN_COUNT &&
	    (guint64)r->tempfailed * 100 > (guint64)r->judged * TEMPFAIL_MAX_PERCENT)
		status_problem(r, STATUS_WARNING,
			       "%u of the %u messages judged in the last 24 hours "
			       "were tempfailed (more than %d%%): see airlock-milter's log",
			       r->tempfailed, r->judged, TEMPFAIL_MAX_PERCENT);
}

/* ---- the command ---- */

static int parse_options(int argc, char **argv, struct status_options *o)
{
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
	     "FILE"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &o->json, "one JSON object", NULL},
	    {"timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout_seconds,
	     "seconds the daemon has to answer (default 5)", "SECONDS"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("- is Airlock working? (exit 0 OK, 1 WARNING, 2 CRITICAL)");

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "status", &argc, &argv, TRUE))
		return -1;
	if (o->timeout_seconds < 0 || o->timeout_seconds > 600) {
		ctl_error("status: --timeout takes 1 to 600 seconds");
		return -1;
	}
	if (o->timeout_seconds == 0)
		o->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
	return 0;
}

static void report_clear(struct status_report *r)
{
	g_ptr_array_unref(r->problems);
	g_free(r->probe_error);
	al_daemon_state_clear(&r->state);
	g_free(r->state_error);
	g_free(r->database_error);
	g_free(r->store_error);
	g_free(r->store_where);
	g_free(r->disk_error);
}

int ctl_status(int argc, char **argv)
{
	struct status_options o = {0};
	struct status_report r = {0};
	g_autoptr(GError) error = NULL;
	struct al_config *config = NULL;
	enum status_severity worst;

	if (parse_options(argc, argv, &o) < 0) {
		g_free(o.config_path);
		return STATUS_UNKNOWN;
	}
	r.problems = g_ptr_array_new_with_free_func(problem_free);
	r.now = g_get_real_time() / G_USEC_PER_SEC;
	r.config_path = o.config_path ? o.config_path : al_config_default_path();
	config = al_config_load(r.config_path, FALSE, &error);
	r.config = config;
	if (config == NULL) {
		status_problem(&r, STATUS_UNKNOWN, "%s", error->message);
	} else {
		check_daemon(&r, (guint)o.timeout_seconds);
		check_engine(&r);
		check_database(&r);
		check_last_day(&r);
		check_store(&r);
	}
	if (o.json)
		status_print_json(&r);
	else
		status_print_text(&r);
	worst = status_worst(&r);
	report_clear(&r);
	al_config_free(&config);
	g_free(o.config_path);
	return (int)worst;
}
