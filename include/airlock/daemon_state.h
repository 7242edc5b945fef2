/*
 * daemon_state.h - what the running daemon tells airlockctl status.
 *
 * airlock-milter writes its state to [milter] status_file (a GKeyFile,
 * replaced atomically: written beside it, fsynced, renamed) at start, at
 * each reload attempt and every minute; airlockctl status reads it. The
 * file is the daemon's word only: status checks for itself that the
 * daemon answers on its socket (the pid may be stale after a crash).
 *
 * The last 24 hours: the daemon counts, per hour (UTC, unix seconds /
 * 3600), the messages it judged (every end of message that got an
 * answer), quarantined (strip or hold written to the store) and
 * tempfailed (answered 4xx, whatever the cause). Counts live in memory
 * and are written with the state; a restarted daemon reads the file
 * back (al_daemon_state_read()) and goes on counting.
 *
 * Ownership: strings in struct al_daemon_state are transfer full, freed
 * by al_daemon_state_clear().
 */
#ifndef AIRLOCK_DAEMON_STATE_H
#define AIRLOCK_DAEMON_STATE_H

#include <glib.h>

#define AL_DAEMON_STATE_HOURS 24

struct al_daemon_hour {
	gint64 hour; /* unix seconds / 3600; 0: an unused slot */
	guint judged;
	guint quarantined;
	guint tempfailed;
};

/* What the last reload (or the first load) did. */
struct al_daemon_reload {
	gint64 at;       /* unix seconds; 0: none yet */
	gboolean ok;     /* the new engine is in use */
	char *trigger;   /* "start", "signal" (SIGHUP) or "database-change" */
	char *error;     /* why it failed (ok FALSE), else NULL */
};

struct al_daemon_state {
	gint64 pid;
	char *version;
	gint64 started_at;      /* unix seconds */
	gint64 written_at;      /* unix seconds: when this state was written */
	char *socket;           /* [milter] socket */
	guint generation;       /* of the engine in use */
	guint signatures;       /* signatures in the engine in use; 0: none loaded */
	gint64 engine_loaded_at; /* unix seconds */
	gboolean clamav_loaded; /* the ClamAV database was part of that load */
	gint64 clamav_built_at; /* build time of the newest ClamAV database file loaded; 0: unknown */
	guint clamav_version;   /* its version number (daily.cvd/cld), 0: unknown */
	gint64 database_checked_at; /* last look for changed signature files; 0: never */
	struct al_daemon_reload last_reload;
	gboolean disk_low;      /* the disk guard is refusing mail that needs the quarantine */
	guint64 disk_free_bytes; /* free space when last checked */
	guint64 disk_min_free_bytes;
	struct al_daemon_hour hours[AL_DAEMON_STATE_HOURS];
};

/* Writes state to path atomically (a unique PATH.XXXXXX beside it,
 * fsync, rename, fsync of the directory), mode 0644. Returns 0, or -1
 * with error (AL_ERROR_IO) naming the file; path is then unchanged. */
int al_daemon_state_write(const struct al_daemon_state *state, const char *path, GError **error);

/* Reads path into state_r (zeroed first). Returns 0, or -1 with error:
 * G_FILE_ERROR_NOENT when there is no file (the daemon never ran, or it
 * stopped cleanly and removed it), AL_ERROR_IO for a file that is not a
 * state file. */
int al_daemon_state_read(const char *path, struct al_daemon_state *state_r, GError **error);

/* Frees the strings of state and zeroes it. Safe on a zeroed struct. */
void al_daemon_state_clear(struct al_daemon_state *state);

/* Counting: adds to the slot of hour now_seconds / 3600 (reusing the
 * oldest slot for a new hour). */
void al_daemon_state_count(struct al_daemon_state *state, gint64 now_seconds, guint judged,
			   guint quarantined, guint tempfailed);

/* Sums over the hours in (now - 24 h, now]. */
void al_daemon_state_last_day(const struct al_daemon_state *state, gint64 now_seconds,
			      guint *judged_r, guint *quarantined_r, guint *tempfailed_r);

/*
 * The ClamAV database in dir: whether it holds any file libclamav loads
 * as a database (the test the engine itself makes), the newest build time
 * and the highest version found in the headers of its .cvd, .cld and .cud
 * files (a 512-byte text header "ClamAV-VDB:DATE:VERSION:SIGS:FLEVEL:
 * MD5:DSIG:BUILDER:STIME"; the build time is STIME, unix seconds, or
 * DATE when STIME is absent). When no such header can be read, plain
 * signature files (.hdb, .ndb...) give their newest modification time as
 * the build time (0 when none). Returns 0 with found_r FALSE for a
 * missing or empty directory; -1 with error only when dir exists but
 * cannot be read.
 */
int al_clamav_database_info(const char *dir, gboolean *found_r, gint64 *built_at_r,
			    guint *version_r, GError **error);

#endif
