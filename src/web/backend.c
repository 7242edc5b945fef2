/*
 * backend.c - the store, the workflow and the links' key, opened at the
 * first request that needs them and kept. When the store cannot be
 * opened (missing, unreadable, a newer schema), the request gets a 503
 * page and the next request tries again, so the daemon starts (and
 * says so) before the store exists, and recovers once it does. The
 * links' key ([quarantine] release_key) is read the same way.
 */
#include "web.h"

#include "log.h"

#include <microhttpd.h>

static gboolean open_locked(struct web *web)
{
	g_autoptr(GError) error = NULL;
	struct al_store_where where;

	if (web->store != NULL)
		return TRUE;
	al_store_where_config(web->config, &where);
	web->store = al_store_open_at(&where, FALSE, &error);
	if (web->store == NULL) {
		log_msg(LOG_ERR, "cannot open the store: %s", error->message);
		return FALSE;
	}
	web->workflow = al_workflow_new(web->config, web->store);
	if (web->workflow == NULL) {
		log_msg(LOG_ERR, "cannot set up the release workflow");
		al_store_close(&web->store);
		return FALSE;
	}
	return TRUE;
}

struct al_store *web_store(struct web_request *req, struct web_reply *reply)
{
	struct web *web = req->web;
	struct al_store *store;

	g_mutex_lock(&web->store_lock);
	store = open_locked(web) ? web->store : NULL;
	g_mutex_unlock(&web->store_lock);
	if (store == NULL)
		web_page_unavailable(req, reply);
	return store;
}

struct al_workflow *web_workflow(struct web_request *req, struct web_reply *reply)
{
	struct web *web = req->web;
	struct al_workflow *workflow;

	g_mutex_lock(&web->store_lock);
	workflow = open_locked(web) ? web->workflow : NULL;
	g_mutex_unlock(&web->store_lock);
	if (workflow == NULL)
		web_page_unavailable(req, reply);
	return workflow;
}

/* A store call failed: logged, and the 503 page. The store stays open
 * (other threads may be using it; SQLite reopens its files itself). */
void web_store_error(struct web_request *req, struct web_reply *reply, const GError *error)
{
	log_msg(LOG_ERR, "store: %s (%s %s answered 503)",
		error != NULL ? error->message : "unknown error", req->method, req->path);
	web_page_unavailable(req, reply);
}

void web_store_close(struct web *web)
{
	g_mutex_lock(&web->store_lock);
	al_workflow_free(&web->workflow);
	al_store_close(&web->store);
	g_mutex_unlock(&web->store_lock);
}

gboolean web_link_key(struct web *web, struct al_release_key *key_r)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	g_mutex_lock(&web->store_lock);
	if (!web->link_key_loaded) {
		if (al_release_key_load(web->config->release_key, FALSE, &web->link_key,
					&error) == 0)
			web->link_key_loaded = TRUE;
		else
			log_msg(LOG_ERR, "cannot read the links' key: %s", error->message);
	}
	ok = web->link_key_loaded;
	if (ok)
		*key_r = web->link_key;
	g_mutex_unlock(&web->store_lock);
	return ok;
}

void web_log_action(struct web_request *req, const char *who, const char *action,
		    const char *id, const GError *error)
{
	g_autofree char *safe_who = log_escape(who, 320);

	if (error == NULL)
		log_msg(LOG_INFO, "%s: action=%s by=%s from=%s result=done", id, action, safe_who,
			req->from);
	else
		log_msg(LOG_NOTICE, "%s: action=%s by=%s from=%s result=refused why=\"%s\"", id,
			action, safe_who, req->from, error->message);
}
