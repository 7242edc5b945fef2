/*
 * runtime.c - the refcounted snapshot of config, pipeline and store, its
 * reload, and the reopening of a store that failed (see runtime.h).
 */
#include "runtime.h"

#include "log.h"
#include "state.h"

#define DROP_POLL_US (50 * 1000)
#define STORE_WARNING_US (60 * G_USEC_PER_SEC)

static GMutex current_lock;
static struct runtime *current;
static guint generation;
static gint in_flight;
/* The signature directories as they were when the last load began
 * (successful or not): a change since then asks for a reload. */
static char *attempted_fingerprint;

static void runtime_free(struct runtime *rt)
{
	al_store_close(&rt->store);
	g_free(rt->store_error);
	g_rw_lock_clear(&rt->store_lock);
	al_pipeline_free(&rt->pipeline);
	al_config_free(&rt->config);
	g_free(rt);
}

static void log_open_failure(const struct runtime *rt, const char *why)
{
	if (rt->store != NULL)
		log_msg(LOG_ERR, "cannot reopen the quarantine store, still using the open one: %s",
			why);
	else
		log_msg(LOG_ERR, "quarantine store unavailable: %s; messages that must be "
				 "quarantined are answered tempfail until it opens",
			why);
}

/* Under the writer lock: a new connection replaces the old one. When
 * none can be opened the old one (if any) stays in use, still marked, so
 * the next use tries again. */
static void reopen_store(struct runtime *rt)
{
	g_autoptr(GError) error = NULL;
	struct al_store_where where;
	struct al_store *store;

	al_store_where_config(rt->config, &where);
	g_rw_lock_writer_lock(&rt->store_lock);
	if (!g_atomic_int_get(&rt->store_failed))
		goto out; /* another thread just did it */
	if (rt->store != NULL && al_store_reconnects(rt->store)) {
		/* PostgreSQL: the open store reconnects by itself, with
		 * backoff; a new one would only wait for the server too. */
		g_atomic_int_set(&rt->store_failed, FALSE);
		goto out;
	}
	store = al_store_open_at(&where, TRUE, &error);
	if (store == NULL) {
		/* One log line per cause, not one per message. */
		if (g_strcmp0(rt->store_error, error->message) != 0)
			log_open_failure(rt, error->message);
		g_free(rt->store_error);
		rt->store_error = g_strdup(error->message);
		goto out;
	}
	if (rt->store_error != NULL)
		log_msg(LOG_NOTICE, "quarantine store %s is available again",
			al_store_describe(store));
	al_store_close(&rt->store);
	rt->store = store;
	g_clear_pointer(&rt->store_error, g_free);
	g_atomic_int_set(&rt->store_failed, FALSE);
out:
	g_rw_lock_writer_unlock(&rt->store_lock);
}

struct al_store *runtime_store_begin(struct runtime *rt, GError **error)
{
	if (g_atomic_int_get(&rt->store_failed))
		reopen_store(rt);
	g_rw_lock_reader_lock(&rt->store_lock);
	if (rt->store != NULL)
		return rt->store;
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "quarantine store unavailable: %s",
		    rt->store_error != NULL ? rt->store_error : "not open");
	g_rw_lock_reader_unlock(&rt->store_lock);
	return NULL;
}

/* At most one line a minute while the store stays down (PostgreSQL
 * unreachable: every clean message would otherwise log one). */
void runtime_store_warning(const char *queue_id, const char *what, const GError *error)
{
	static GMutex lock;
	static gint64 last_us;
	static guint suppressed;
	gint64 now = g_get_monotonic_time();

	g_mutex_lock(&lock);
	if (last_us != 0 && now - last_us < STORE_WARNING_US) {
		suppressed++;
		g_mutex_unlock(&lock);
		return;
	}
	log_msg(LOG_WARNING, "%s: %s: %s (%u similar lines left out in the last minute)",
		queue_id, what, error != NULL ? error->message : "store unavailable", suppressed);
	last_us = now;
	suppressed = 0;
	g_mutex_unlock(&lock);
}

void runtime_store_end(struct runtime *rt, gboolean failed)
{
	if (failed)
		g_atomic_int_set(&rt->store_failed, TRUE);
	g_rw_lock_reader_unlock(&rt->store_lock);
}

/* The learned-correspondents lookup of the pipeline, through the store
 * of the snapshot that owns it. */
static gboolean is_learned(const char *address, void *context)
{
	struct runtime *rt = context;
	struct al_store *store = runtime_store_begin(rt, NULL);
	gboolean learned;

	if (store == NULL)
		return FALSE;
	learned = al_store_is_learned(address, store);
	runtime_store_end(rt, FALSE);
	return learned;
}

struct runtime *runtime_load(const char *config_path, GError **error)
{
	struct runtime *rt = g_new0(struct runtime, 1);
	g_autoptr(GPtrArray) warnings = NULL;

	rt->refs = 1;
	g_rw_lock_init(&rt->store_lock);
	rt->config = al_config_load(config_path, TRUE, error);
	if (rt->config == NULL)
		goto fail;
	g_free(attempted_fingerprint);
	attempted_fingerprint = al_scan_databases_fingerprint(rt->config);
	rt->pipeline = al_pipeline_new(rt->config, &warnings, error);
	if (rt->pipeline == NULL)
		goto fail;
	for (guint i = 0; warnings != NULL && i < warnings->len; i++)
		log_msg(LOG_WARNING, "warning: %s", (const char *)warnings->pdata[i]);
	/* A store that cannot be opened now is not fatal: it is retried at
	 * each use, and mail that needs it waits at the MTA meanwhile. */
	rt->store_failed = TRUE;
	reopen_store(rt);
	if (al_release_key_load(rt->config->release_key, TRUE, &rt->release_key, error) < 0)
		goto fail;
	if (rt->config->learn_correspondents)
		al_pipeline_set_learned(rt->pipeline, is_learned, rt);
	return rt;
fail:
	runtime_free(rt);
	return NULL;
}

void runtime_install(struct runtime *rt)
{
	struct runtime *old;

	g_mutex_lock(&current_lock);
	old = current;
	rt->generation = ++generation;
	current = rt;
	g_mutex_unlock(&current_lock);
	runtime_release(&old);
}

struct runtime *runtime_acquire(void)
{
	struct runtime *rt;

	g_mutex_lock(&current_lock);
	rt = current;
	if (rt != NULL)
		g_atomic_int_inc(&rt->refs);
	g_mutex_unlock(&current_lock);
	return rt;
}

struct runtime *runtime_acquire_message(void)
{
	struct runtime *rt = runtime_acquire();

	if (rt != NULL)
		g_atomic_int_inc(&in_flight);
	return rt;
}

static void unref(struct runtime *rt)
{
	if (rt != NULL && g_atomic_int_dec_and_test(&rt->refs))
		runtime_free(rt);
}

void runtime_release(struct runtime **rt)
{
	unref(*rt);
	*rt = NULL;
}

guint runtime_in_flight(void)
{
	return (guint)g_atomic_int_get(&in_flight);
}

void runtime_release_message(struct runtime **rt)
{
	if (*rt == NULL)
		return;
	g_atomic_int_add(&in_flight, -1);
	runtime_release(rt);
}

/* concurrent_reload = false: the running snapshot is uninstalled (new
 * messages are answered tempfail) and freed once the messages using it
 * are done (at most timeout_seconds; then it is freed by the last one),
 * so that two engines are never in memory at once. */
static void drop_current(guint timeout_seconds)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_seconds * G_USEC_PER_SEC;
	struct runtime *old;

	g_mutex_lock(&current_lock);
	old = current;
	current = NULL;
	g_mutex_unlock(&current_lock);
	if (old == NULL)
		return;
	log_msg(LOG_NOTICE, "freeing the engine before loading the new one (concurrent_reload = "
			    "false): messages are answered tempfail meanwhile");
	while (g_atomic_int_get(&old->refs) > 1 && g_get_monotonic_time() < deadline)
		g_usleep(DROP_POLL_US);
	unref(old);
}

static gboolean running_config(gboolean *concurrent_r, guint *timeout_r)
{
	struct runtime *rt = runtime_acquire();

	if (rt == NULL)
		return FALSE;
	*concurrent_r = rt->config->scan_concurrent_reload;
	*timeout_r = rt->config->milter_timeout_seconds;
	runtime_release(&rt);
	return TRUE;
}

int runtime_reload(const char *config_path, const char *trigger)
{
	g_autoptr(GError) error = NULL;
	gboolean concurrent = TRUE;
	guint timeout_seconds = 0;
	gboolean had_engine = running_config(&concurrent, &timeout_seconds);
	struct runtime *rt;

	if (had_engine && !concurrent)
		drop_current(timeout_seconds);
	rt = runtime_load(config_path, &error);
	if (rt == NULL) {
		struct runtime *still = runtime_acquire();

		if (still != NULL)
			log_msg(LOG_ERR, "reload failed, keeping the running configuration and "
					 "signatures: %s",
				error->message);
		else
			log_msg(LOG_ERR, "reload failed and no engine is loaded: every message is "
					 "answered tempfail until a reload succeeds: %s",
				error->message);
		state_engine(still, trigger, FALSE, error->message);
		runtime_release(&still);
		state_write();
		return -1;
	}
	runtime_install(rt);
	log_msg(LOG_INFO, "reloaded %s (%s): %u signatures, image fuzzy hashes %s, generation %u",
		config_path, trigger, al_pipeline_signature_count(rt->pipeline),
		al_pipeline_image_fuzzy_hash(rt->pipeline), rt->generation);
	state_engine(rt, trigger, TRUE, NULL);
	state_write();
	return 0;
}

gboolean runtime_databases_changed(void)
{
	struct runtime *rt = runtime_acquire();
	g_autofree char *now = NULL;

	if (rt == NULL)
		return TRUE; /* no engine: always worth another try */
	now = al_scan_databases_fingerprint(rt->config);
	runtime_release(&rt);
	return g_strcmp0(now, attempted_fingerprint) != 0;
}

void runtime_shutdown(void)
{
	struct runtime *old;

	g_mutex_lock(&current_lock);
	old = current;
	current = NULL;
	g_mutex_unlock(&current_lock);
	unref(old);
	g_clear_pointer(&attempted_fingerprint, g_free);
}
