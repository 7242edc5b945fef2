/*
 * state.c - the daemon's state, counted in memory and written for
 * airlockctl status (see state.h).
 */
#include "state.h"

#include "log.h"

#include "airlock/daemon_state.h"
#include "airlock/version.h"

#include <string.h>
#include <unistd.h>

static GMutex lock;
static struct al_daemon_state state;
static char *status_path;
static char *last_write_error;

static gint64 now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

void state_init(const struct al_config *config)
{
	struct al_daemon_state previous = { 0 };

	g_mutex_lock(&lock);
	status_path = g_strdup(config->milter_status_file);
	if (al_daemon_state_read(status_path, &previous, NULL) == 0)
		memcpy(state.hours, previous.hours, sizeof(state.hours));
	al_daemon_state_clear(&previous);
	state.pid = getpid();
	state.version = g_strdup(AL_VERSION);
	state.started_at = now_seconds();
	state.socket = g_strdup(config->milter_socket);
	g_mutex_unlock(&lock);
}

void state_count(guint judged, guint quarantined, guint tempfailed)
{
	g_mutex_lock(&lock);
	al_daemon_state_count(&state, now_seconds(), judged, quarantined, tempfailed);
	g_mutex_unlock(&lock);
}

void state_engine(const struct runtime *rt, const char *trigger, gboolean ok, const char *error)
{
	gint64 now = now_seconds();

	g_mutex_lock(&lock);
	g_free(state.last_reload.trigger);
	g_free(state.last_reload.error);
	state.last_reload = (struct al_daemon_reload){
		.at = now,
		.ok = ok,
		.trigger = g_strdup(trigger),
		.error = g_strdup(error),
	};
	if (ok || rt == NULL) {
		state.generation = rt != NULL ? rt->generation : 0;
		state.signatures = rt != NULL ? al_pipeline_signature_count(rt->pipeline) : 0;
		state.engine_loaded_at = rt != NULL ? now : 0;
		state.clamav_loaded = rt != NULL && al_pipeline_clamav_loaded(rt->pipeline);
		state.clamav_built_at = 0;
		state.clamav_version = 0;
		if (state.clamav_loaded) {
			gboolean found = FALSE;

			al_clamav_database_info(rt->config->clamav_database_dir, &found,
						&state.clamav_built_at, &state.clamav_version, NULL);
		}
	}
	if (rt != NULL) {
		g_free(status_path);
		status_path = g_strdup(rt->config->milter_status_file);
	}
	g_mutex_unlock(&lock);
}

void state_database_checked(void)
{
	g_mutex_lock(&lock);
	state.database_checked_at = now_seconds();
	g_mutex_unlock(&lock);
}

void state_disk(gboolean low, guint64 free_bytes, guint64 min_free_bytes)
{
	g_mutex_lock(&lock);
	state.disk_low = low;
	state.disk_free_bytes = free_bytes;
	state.disk_min_free_bytes = min_free_bytes;
	g_mutex_unlock(&lock);
}

void state_write(void)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_mutex_lock(&lock);
	if (status_path == NULL) {
		g_mutex_unlock(&lock);
		return;
	}
	state.written_at = now_seconds();
	rc = al_daemon_state_write(&state, status_path, &error);
	if (rc < 0 && g_strcmp0(last_write_error, error->message) != 0)
		log_msg(LOG_WARNING, "state for airlockctl status not written: %s", error->message);
	if (rc < 0) {
		g_free(last_write_error);
		last_write_error = g_strdup(error->message);
	} else {
		g_clear_pointer(&last_write_error, g_free);
	}
	g_mutex_unlock(&lock);
}

void state_shutdown(void)
{
	g_mutex_lock(&lock);
	al_daemon_state_clear(&state);
	g_clear_pointer(&status_path, g_free);
	g_clear_pointer(&last_write_error, g_free);
	g_mutex_unlock(&lock);
}
