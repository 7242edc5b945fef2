/*
 * state.h - the daemon's state for airlockctl status (see
 * airlock/daemon_state.h): what it counts and what it loaded, kept under
 * one lock and written to [milter] status_file at start, after each
 * reload attempt and every minute (state_write(), from the main thread).
 *
 * Counting is cheap (a lock, three additions) and never fails; a state
 * file that cannot be written is logged once per cause, mail is not
 * affected.
 */
#ifndef AIRLOCK_MILTER_STATE_H
#define AIRLOCK_MILTER_STATE_H

#include "runtime.h"

#include <glib.h>

/* At start, with the first config: where to write, and the counts a
 * previous run left in that file (the last 24 hours survive a restart). */
void state_init(const struct al_config *config);

/* One message answered: judged, quarantined (strip or hold stored), or
 * tempfailed (a 4xx for any cause). */
void state_count(guint judged, guint quarantined, guint tempfailed);

/* A load of the engine: trigger "start", "signal" or "database-change";
 * rt the snapshot now in use (NULL: none, with concurrent_reload = false
 * after a failed load); ok whether this load succeeded, error why not. */
void state_engine(const struct runtime *rt, const char *trigger, gboolean ok, const char *error);

/* The signature directories were looked at for changes. */
void state_database_checked(void);

/* What the disk guard last measured. */
void state_disk(gboolean low, guint64 free_bytes, guint64 min_free_bytes);

/* Writes the state file now. */
void state_write(void);

void state_shutdown(void);

#endif
