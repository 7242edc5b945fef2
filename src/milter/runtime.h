/*
 * runtime.h - the daemon's loaded state: config, pipeline (type table and
 * ClamAV engine) and quarantine store, as one refcounted snapshot.
 *
 * Each message takes a reference when it starts (MAIL FROM) and drops it
 * when it ends, so a reload (SIGHUP) builds a new snapshot aside, swaps
 * it in, and the old one is freed only when the last message using it is
 * done. A reload that fails keeps the current snapshot.
 *
 * The quarantine store inside a snapshot can break while the daemon runs
 * (database locked, corrupt, replaced, read-only, file system full). Every
 * use goes through runtime_store_begin()/runtime_store_end(): a use that
 * failed marks the store, and the next use reopens it first (a database
 * file the admin replaced is picked up; a store that cannot be opened,
 * even at start, makes each use fail with a clear error: the message is
 * tempfailed and the MTA retries). So the daemon recovers by itself once
 * the cause is gone.
 */
#ifndef AIRLOCK_MILTER_RUNTIME_H
#define AIRLOCK_MILTER_RUNTIME_H

#include "airlock/config.h"
#include "airlock/pipeline.h"
#include "airlock/release.h"
#include "airlock/store.h"

#include <glib.h>

struct runtime {
	gint refs;
	struct al_config *config;
	struct al_pipeline *pipeline;
	GRWLock store_lock;  /* readers: uses of store; writer: reopening */
	struct al_store *store; /* NULL while it cannot be opened */
	gint store_failed;	/* the next use reopens it first */
	char *store_error;	/* why it could not be opened, or NULL */
	struct al_release_key release_key;
	guint generation; /* 1 for the first load, +1 per reload */
};

/* Loads config_path and builds a snapshot; warnings are logged. */
struct runtime *runtime_load(const char *config_path, GError **error);

/* Installs rt as the current snapshot (transfer full). */
void runtime_install(struct runtime *rt);

/* The current snapshot with a new reference; NULL before the first
 * install and, with concurrent_reload = false, while a reload runs or
 * after one failed. */
struct runtime *runtime_acquire(void);

void runtime_release(struct runtime **rt);

/* The same for one message: also counted in runtime_in_flight(). */
struct runtime *runtime_acquire_message(void);
void runtime_release_message(struct runtime **rt);

/* The store for one use, or NULL with error when it is unavailable (the
 * caller answers tempfail). Non-NULL must be followed by
 * runtime_store_end(rt, failed), failed TRUE when the use failed. */
struct al_store *runtime_store_begin(struct runtime *rt, GError **error);
/* Logs a store failure of a step that does not change the verdict
 * (counters, learning) at most once a minute, with how many were left
 * out. */
void runtime_store_warning(const char *queue_id, const char *what, const GError *error);
void runtime_store_end(struct runtime *rt, gboolean failed);

/* Rebuilds from the same config file and swaps; 0 or -1 (logged, and
 * recorded in the state for airlockctl status). trigger: "signal" or
 * "database-change". With [scan] concurrent_reload = false the running
 * engine is freed first: messages are answered tempfail until the new
 * one is installed, and after a failed load until a reload succeeds. */
int runtime_reload(const char *config_path, const char *trigger);

/* Whether the signature directories changed on disk since the last load
 * began (al_scan_databases_fingerprint()); TRUE when no engine is
 * loaded. */
gboolean runtime_databases_changed(void);

/* Drops the current snapshot (at exit). */
void runtime_shutdown(void);

/* Messages currently holding a snapshot. */
guint runtime_in_flight(void);

#endif
