/*
 * ctl_status_print.c - airlockctl status's output (see ctl_status.h).
 *
 * Text, for people and Nagios: a first line "AIRLOCK STATE - summary",
 * then one line per problem, worst first ("CRITICAL: ..."), then one
 * line per figure. JSON, for Zabbix and scripts: one object holding
 * every figure (times in unix seconds, null when unknown) and the
 * problems as {severity, what}; the members are listed in airlockctl(8).
 */
#include "ctl_admin.h"
#include "ctl_status.h"

#include "airlock/json.h"

#include <stdio.h>

static const char *const severity_names[] = {
    [STATUS_OK] = "OK",
    [STATUS_WARNING] = "WARNING",
    [STATUS_CRITICAL] = "CRITICAL",
    [STATUS_UNKNOWN] = "UNKNOWN",
};

const char *status_name(enum status_severity severity)
{
	return severity_names[severity];
}

/* UNKNOWN (the check could not be made) outranks CRITICAL. */
enum status_severity status_worst(const struct status_report *report)
{
	enum status_severity worst = STATUS_OK;

	for (guint i = 0; i < report->problems->len; i++) {
		const struct status_problem *p = report->problems->pdata[i];

		worst = MAX(worst, p->severity);
	}
	return worst;
}

/* The problems, worst first, in the order found within a severity. */
static GPtrArray *sorted_problems(const struct status_report *report)
{
	GPtrArray *sorted = g_ptr_array_new();

	for (int s = STATUS_UNKNOWN; s > STATUS_OK; s--)
		for (guint i = 0; i < report->problems->len; i++) {
			struct status_problem *p = report->problems->pdata[i];

			if ((int)p->severity == s)
				g_ptr_array_add(sorted, p);
		}
	return sorted;
}

char *status_duration(gint64 seconds)
{
	if (seconds >= 2 * 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT " days", seconds / 86400);
	if (seconds >= 2 * 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT " h", seconds / 3600);
	if (seconds >= 120)
		return g_strdup_printf("%" G_GINT64_FORMAT " min", seconds / 60);
	return g_strdup_printf("%" G_GINT64_FORMAT " s", MAX(seconds, 0));
}

static char *ago_text(const struct status_report *r, gint64 at)
{
	g_autofree char *duration = status_duration(r->now - at);

	return g_strconcat(duration, " ago", NULL);
}

/* ---- text ---- */

static void summary(const struct status_report *r, GString *out)
{
	g_string_append(out, r->answering ? "daemon answering" : "daemon NOT answering");
	if (r->have_state)
		g_string_append_printf(out, ", %u signatures", r->state.signatures);
	if (!r->database_found) {
		g_string_append(out, ", no ClamAV database");
	} else if (r->database_built_at > 0) {
		g_autofree char *age = ago_text(r, r->database_built_at);

		g_string_append_printf(out, ", ClamAV database built %s", age);
	}
	if (r->store_reachable)
		g_string_append_printf(out, ", %" G_GUINT64_FORMAT " quarantined",
				       r->store.quarantined);
	else
		g_string_append(out, ", store unreachable");
	if (r->have_state)
		g_string_append_printf(out, ", %u judged in 24 h", r->judged);
}

static void print_daemon(const struct status_report *r)
{
	const struct al_daemon_state *s = &r->state;

	if (r->answering)
		printf("daemon:          answering on %s (milter protocol %u)",
		       r->config->milter_socket, (unsigned)r->milter_version);
	else
		printf("daemon:          not answering: %s", r->probe_error);
	if (r->pid != 0)
		printf(", pid %" G_GINT64_FORMAT " %s", r->pid, r->pid_alive ? "running" : "gone");
	printf("\n");
	if (r->have_state) {
		g_autofree char *written = ago_text(r, s->written_at);
		g_autofree char *started = ctl_local_time(s->started_at);

		printf("state file:      %s, written %s by airlock-milter %s (pid %" G_GINT64_FORMAT
		       ", started %s)\n",
		       r->config->milter_status_file, written, s->version ? s->version : "?",
		       s->pid, started);
	} else {
		printf("state file:      %s\n", r->state_error);
	}
}

static void print_engine(const struct status_report *r)
{
	const struct al_daemon_state *s = &r->state;
	const struct al_daemon_reload *reload = &s->last_reload;

	if (!r->have_state)
		return;
	if (s->engine_loaded_at > 0) {
		g_autofree char *loaded = ctl_local_time(s->engine_loaded_at);
		g_autofree char *loaded_ago = ago_text(r, s->engine_loaded_at);

		printf("engine:          %u signatures, generation %u, loaded %s (%s), ClamAV "
		       "database %s\n",
		       s->signatures, s->generation, loaded, loaded_ago,
		       s->clamav_loaded ? "included" : "not included");
	}
	if (reload->at > 0) {
		g_autofree char *at = ago_text(r, reload->at);

		printf("last reload:     %s, %s: %s%s\n", reload->trigger ? reload->trigger : "?",
		       at, reload->ok ? "ok" : "FAILED: ", reload->ok ? "" : reload->error);
	}
}

static void print_loaded(const struct status_report *r)
{
	const struct al_daemon_state *s = &r->state;
	g_autofree char *built = ctl_local_time(s->clamav_built_at);

	if (!r->have_state)
		return;
	if (!s->clamav_loaded)
		printf("; the daemon runs without it");
	else if (s->clamav_version > 0)
		printf("; the daemon loaded version %u", s->clamav_version);
	else if (s->clamav_built_at > 0)
		printf("; the daemon loaded the one of %s", built);
}

static void print_database(const struct status_report *r)
{
	const char *dir = r->config->clamav_database_dir ? r->config->clamav_database_dir : "";
	g_autofree char *built = ctl_local_time(r->database_built_at);
	g_autofree char *age = ago_text(r, r->database_built_at);

	if (r->database_error != NULL) {
		printf("ClamAV database: %s\n", r->database_error);
		return;
	}
	if (!r->database_found) {
		printf("ClamAV database: none in %s\n", dir);
		return;
	}
	printf("ClamAV database: %s", dir);
	if (r->database_version > 0)
		printf(", version %u", r->database_version);
	if (r->database_built_at > 0)
		printf(", built %s (%s)", built, age);
	print_loaded(r);
	printf("\n");
}

static void print_store(const struct status_report *r)
{
	const struct al_config *c = r->config;

	if (!r->store_reachable) {
		printf("store:           %s: unreachable: %s\n",
		       g_strcmp0(r->store_backend, "postgresql") == 0 ? "postgresql"
								      : c->quarantine_dir,
		       r->store_error);
	} else {
		printf("store:           %s, schema %" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT
		       " quarantined",
		       r->store_where != NULL ? r->store_where : c->quarantine_dir,
		       r->store.schema_version, r->store.quarantined);
		if (r->store.oldest_kept_at > 0) {
			g_autofree char *oldest = ago_text(r, r->store.oldest_kept_at);

			printf(", oldest original kept received %s", oldest);
		}
		if (r->store.pending_requests > 0)
			printf(", %" G_GUINT64_FORMAT " release request%s pending",
			       r->store.pending_requests, r->store.pending_requests == 1 ? "" : "s");
		printf(" (retention %u days)\n", c->retention_days);
	}
	if (r->disk_measured) {
		g_autofree char *free_text =
		    g_format_size_full(r->disk_free_bytes, G_FORMAT_SIZE_IEC_UNITS);
		g_autofree char *total =
		    g_format_size_full(r->disk_total_bytes, G_FORMAT_SIZE_IEC_UNITS);
		g_autofree char *min =
		    g_format_size_full(r->min_free_bytes, G_FORMAT_SIZE_IEC_UNITS);

		printf("disk:            %s free of %s (min_free %s)\n", free_text, total, min);
	}
}

void status_print_text(const struct status_report *r)
{
	g_autoptr(GString) line = g_string_new(NULL);
	g_autoptr(GPtrArray) problems = sorted_problems(r);
	enum status_severity worst = status_worst(r);

	if (r->config == NULL) {
		printf("AIRLOCK UNKNOWN - %s\n",
		       ((struct status_problem *)problems->pdata[0])->what);
		return;
	}
	summary(r, line);
	printf("AIRLOCK %s - %s\n", status_name(worst), line->str);
	for (guint i = 0; i < problems->len; i++) {
		const struct status_problem *p = problems->pdata[i];
		g_autofree char *what = ctl_printable(p->what);

		printf("%s: %s\n", status_name(p->severity), what);
	}
	print_daemon(r);
	print_engine(r);
	print_database(r);
	print_store(r);
	if (r->have_state)
		printf("last 24 hours:   %u judged, %u quarantined, %u tempfailed\n", r->judged,
		       r->quarantined, r->tempfailed);
}

/* ---- JSON ---- */

static void key(GString *out, const char *name)
{
	if (out->len > 0 && out->str[out->len - 1] != '{')
		g_string_append_c(out, ',');
	g_string_append_printf(out, "\"%s\":", name);
}

static void json_str(GString *out, const char *name, const char *value)
{
	key(out, name);
	al_json_append_string(out, value);
}

static void json_int(GString *out, const char *name, gint64 value)
{
	key(out, name);
	g_string_append_printf(out, "%" G_GINT64_FORMAT, value);
}

static void json_u64(GString *out, const char *name, guint64 value)
{
	key(out, name);
	g_string_append_printf(out, "%" G_GUINT64_FORMAT, value);
}

static void json_bool(GString *out, const char *name, gboolean value)
{
	key(out, name);
	g_string_append(out, value ? "true" : "false");
}

/* Unix seconds, null for 0 (unknown, never). */
static void json_time(GString *out, const char *name, gint64 at)
{
	key(out, name);
	if (at > 0)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, at);
	else
		g_string_append(out, "null");
}

static void json_open(GString *out, const char *name)
{
	key(out, name);
	g_string_append_c(out, '{');
}

static void json_daemon(GString *out, const struct status_report *r)
{
	const struct al_daemon_state *s = &r->state;

	json_open(out, "daemon");
	json_str(out, "socket", r->config->milter_socket);
	json_bool(out, "answering", r->answering);
	json_int(out, "milter_version", r->answering ? r->milter_version : 0);
	json_str(out, "error", r->probe_error);
	json_int(out, "pid", r->pid);
	json_bool(out, "pid_alive", r->pid_alive);
	json_str(out, "state_file", r->config->milter_status_file);
	json_str(out, "state_error", r->state_error);
	json_time(out, "state_written_at", r->have_state ? s->written_at : 0);
	json_str(out, "version", r->have_state ? s->version : NULL);
	json_time(out, "started_at", r->have_state ? s->started_at : 0);
	g_string_append_c(out, '}');
}

static void json_engine(GString *out, const struct status_report *r)
{
	const struct al_daemon_state *s = &r->state;
	const struct al_daemon_reload *reload = &s->last_reload;

	json_open(out, "engine");
	json_bool(out, "known", r->have_state);
	json_int(out, "signatures", s->signatures);
	json_int(out, "generation", s->generation);
	json_time(out, "loaded_at", s->engine_loaded_at);
	json_bool(out, "clamav_loaded", s->clamav_loaded);
	json_time(out, "clamav_built_at", s->clamav_built_at);
	json_int(out, "clamav_version", s->clamav_version);
	json_time(out, "database_checked_at", s->database_checked_at);
	json_open(out, "last_reload");
	json_time(out, "at", reload->at);
	json_bool(out, "ok", reload->ok);
	json_str(out, "trigger", reload->trigger);
	json_str(out, "error", reload->error);
	g_string_append(out, "}}");
}

static void json_database(GString *out, const struct status_report *r)
{
	json_open(out, "clamav_database");
	json_str(out, "dir", r->config->clamav_database_dir);
	json_bool(out, "found", r->database_found);
	json_time(out, "built_at", r->database_built_at);
	key(out, "age_seconds");
	if (r->database_built_at > 0)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, r->now - r->database_built_at);
	else
		g_string_append(out, "null");
	json_int(out, "version", r->database_version);
	json_int(out, "max_age_days", r->config->scan_max_database_age_days);
	json_str(out, "error", r->database_error);
	g_string_append_c(out, '}');
}

static void json_store(GString *out, const struct status_report *r)
{
	json_open(out, "store");
	json_str(out, "dir", r->config->quarantine_dir);
	json_bool(out, "reachable", r->store_reachable);
	json_str(out, "backend", r->store_backend);
	json_str(out, "error", r->store_error);
	json_int(out, "schema_version", r->store.schema_version);
	json_int(out, "expected_schema_version", AL_STORE_SCHEMA_VERSION);
	json_u64(out, "quarantined", r->store.quarantined);
	json_time(out, "oldest_quarantined_at", r->store.oldest_quarantined_at);
	json_time(out, "oldest_kept_at", r->store.oldest_kept_at);
	json_u64(out, "pending_requests", r->store.pending_requests);
	json_int(out, "retention_days", r->config->retention_days);
	g_string_append_c(out, '}');
	json_open(out, "disk");
	json_bool(out, "measured", r->disk_measured);
	json_u64(out, "free_bytes", r->disk_free_bytes);
	json_u64(out, "total_bytes", r->disk_total_bytes);
	json_u64(out, "min_free_bytes", r->min_free_bytes);
	json_bool(out, "daemon_disk_low", r->have_state && r->state.disk_low);
	json_str(out, "error", r->disk_error);
	g_string_append_c(out, '}');
}

static void json_problems(GString *out, const struct status_report *r)
{
	g_autoptr(GPtrArray) problems = sorted_problems(r);

	key(out, "problems");
	g_string_append_c(out, '[');
	for (guint i = 0; i < problems->len; i++) {
		const struct status_problem *p = problems->pdata[i];
		g_autofree char *severity = g_ascii_strdown(status_name(p->severity), -1);

		g_string_append(out, i > 0 ? ",{" : "{");
		json_str(out, "severity", severity);
		json_str(out, "what", p->what);
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
}

void status_print_json(const struct status_report *r)
{
	g_autoptr(GString) out = g_string_new("{");
	enum status_severity worst = status_worst(r);

	json_str(out, "status", status_name(worst));
	json_int(out, "exit", worst);
	json_time(out, "checked_at", r->now);
	json_str(out, "config", r->config != NULL ? r->config->path : r->config_path);
	json_problems(out, r);
	if (r->config != NULL) {
		json_daemon(out, r);
		json_engine(out, r);
		json_database(out, r);
		json_store(out, r);
		json_open(out, "last_24h");
		json_bool(out, "known", r->have_state);
		json_int(out, "judged", r->judged);
		json_int(out, "quarantined", r->quarantined);
		json_int(out, "tempfailed", r->tempfailed);
		g_string_append_c(out, '}');
	}
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
}
