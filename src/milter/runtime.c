/*
 * runtime.c - the refcounted snapshot of config, pipeline and store, and
 * its reload (see runtime.h).
 */
#include "runtime.h"

#include "log.h"

static GMutex current_lock;
static struct runtime *current;
static guint generation;
static gint in_flight;

static void runtime_free(struct runtime *rt)
{
	al_store_close(&rt->store);
	al_pipeline_free(&rt->pipeline);
	al_config_free(&rt->config);
	g_free(rt);
}

struct runtime *runtime_load(const char *config_path, GError **error)
{
	struct runtime *rt = g_new0(struct runtime, 1);
	g_autoptr(GPtrArray) warnings = NULL;

	rt->refs = 1;
	rt->config = al_config_load(config_path, TRUE, error);
	if (rt->config == NULL)
		goto fail;
	rt->pipeline = al_pipeline_new(rt->config, &warnings, error);
	if (rt->pipeline == NULL)
		goto fail;
	for (guint i = 0; warnings != NULL && i < warnings->len; i++)
		log_msg(LOG_WARNING, "warning: %s", (const char *)warnings->pdata[i]);
	rt->store = al_store_open(rt->config->quarantine_dir, TRUE, error);
	if (rt->store == NULL)
		goto fail;
	if (al_release_key_load(rt->config->release_key, TRUE, &rt->release_key, error) < 0)
		goto fail;
	if (rt->config->learn_correspondents)
		al_pipeline_set_learned(rt->pipeline, al_store_is_learned, rt->store);
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

int runtime_reload(const char *config_path)
{
	g_autoptr(GError) error = NULL;
	struct runtime *rt = runtime_load(config_path, &error);

	if (rt == NULL) {
		log_msg(LOG_ERR, "reload failed, keeping the running configuration and signatures: %s",
			error->message);
		return -1;
	}
	runtime_install(rt);
	log_msg(LOG_INFO, "reloaded %s: %u signatures, generation %u", config_path,
		al_pipeline_signature_count(rt->pipeline), rt->generation);
	return 0;
}

void runtime_shutdown(void)
{
	struct runtime *old;

	g_mutex_lock(&current_lock);
	old = current;
	current = NULL;
	g_mutex_unlock(&current_lock);
	unref(old);
}
