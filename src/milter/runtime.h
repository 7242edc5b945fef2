/*
 * runtime.h - the daemon's loaded state: config, pipeline (type table and
 * ClamAV engine) and quarantine store, as one refcounted snapshot.
 *
 * Each message takes a reference when it starts (MAIL FROM) and drops it
 * when it ends, so a reload (SIGHUP) builds a new snapshot aside, swaps
 * it in, and the old one is freed only when the last message using it is
 * done. A reload that fails keeps the current snapshot.
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
	struct al_store *store;
	struct al_release_key release_key;
	guint generation; /* 1 for the first load, +1 per reload */
};

/* Loads config_path and builds a snapshot; warnings are logged. */
struct runtime *runtime_load(const char *config_path, GError **error);

/* Installs rt as the current snapshot (transfer full). */
void runtime_install(struct runtime *rt);

/* The current snapshot with a new reference (never NULL once installed). */
struct runtime *runtime_acquire(void);

void runtime_release(struct runtime **rt);

/* The same for one message: also counted in runtime_in_flight(). */
struct runtime *runtime_acquire_message(void);
void runtime_release_message(struct runtime **rt);

/* Rebuilds from the same config file and swaps; 0 or -1 (logged). */
int runtime_reload(const char *config_path);

/* Drops the current snapshot (at exit). */
void runtime_shutdown(void);

/* Messages currently holding a snapshot. */
guint runtime_in_flight(void);

#endif
