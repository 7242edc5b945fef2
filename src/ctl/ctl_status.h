/*
 * ctl_status.h - what airlockctl status gathers (cmd_status.c) and
 * prints (ctl_status_print.c): every figure, and the problems found,
 * each with its severity.
 */
#ifndef AIRLOCK_CTL_STATUS_H
#define AIRLOCK_CTL_STATUS_H

#include "ctl.h"

#include "airlock/config.h"
#include "airlock/daemon_state.h"
#include "airlock/store.h"

/* Nagios plugin states, which are also the exit codes. */
enum status_severity {
	STATUS_OK = 0,
	STATUS_WARNING = 1,
	STATUS_CRITICAL = 2,
	STATUS_UNKNOWN = 3,
};

struct status_problem {
	enum status_severity severity;
	char *what;
};

struct status_report {
	const struct al_config *config; /* borrowed; NULL when it cannot be read */
	const char *config_path;
	gint64 now;          /* unix seconds */
	GPtrArray *problems; /* struct status_problem *, in the order found */

	/* The daemon: its pid file, its socket, its state file. */
	gint64 pid; /* from the pid file; 0: none */
	gboolean pid_alive;
	gboolean answering;     /* negotiated on the socket */
	guint32 milter_version; /* what it answered */
	char *probe_error;
	gboolean have_state;
	struct al_daemon_state state;
	char *state_error;                     /* why there is no state */
	guint judged, quarantined, tempfailed; /* the last 24 hours */

	/* The ClamAV database on disk. */
	gboolean database_found;
	gint64 database_built_at;
	guint database_version;
	char *database_error;

	/* The store and its file system. */
	gboolean store_reachable;
	struct al_store_summary store;
	char *store_error;
	const char *store_backend; /* "sqlite" or "postgresql" */
	char *store_where;	    /* the directory, or the PostgreSQL database and host */
	gboolean disk_measured;
	guint64 disk_free_bytes, disk_total_bytes, min_free_bytes;
	char *disk_error;
};

/* The worst severity among the problems (STATUS_OK when none). */
enum status_severity status_worst(const struct status_report *report);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *status_name(enum status_severity severity);

/* A duration for people: "3 days", "5 h", "12 min", "40 s" (transfer
 * full). */
char *status_duration(gint64 seconds);

/* Adds a problem (printf-like). */
void status_problem(struct status_report *report, enum status_severity severity, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

/* Prints report on stdout: text (Nagios style) or one JSON object. */
void status_print_text(const struct status_report *report);
void status_print_json(const struct status_report *report);

#endif
