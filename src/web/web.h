/*
 * web.h - airlock-web, the quarantine console: what its files share.
 *
 * One struct web per process: the configuration, the store (opened at
 * the first request that needs it, and again after a failure, so a
 * store that is down gives 503 pages instead of a daemon that does not
 * start), the workflow (the library's release/request/approve/deny/
 * dismiss/delete), the release key (the recipients' links), a random
 * key of this process (CSRF tokens of the staff pages) and the admin
 * sessions and login throttle (auth.c).
 *
 * Threads: libmicrohttpd runs one thread per connection (a failed login
 * sleeps in its own connection's thread only). The store serialises its
 * calls inside; the workflow is used under web->workflow_lock.
 *
 * A request (http.c) is parsed into a struct web_request: the method,
 * path, query and form fields, the language, the client's address. A
 * page is written into a struct web_reply (status, HTML body, cookies);
 * http.c adds the security headers to every reply.
 */
#ifndef AIRLOCK_WEB_H
#define AIRLOCK_WEB_H

#include "airlock/config.h"
#include "airlock/release.h"
#include "airlock/store.h"
#include "airlock/workflow.h"

#include <glib.h>
#include <microhttpd.h>
#include <sodium.h>

#define WEB_CSRF_KEY_BYTES crypto_auth_KEYBYTES

struct web_auth;

struct web {
	const struct al_config *config;
	gboolean tls;	       /* served over HTTPS itself */
	gboolean secure_cookies; /* TLS here or public_url is https:// */
	char *tls_certificate_pem; /* read as root at start, kept while serving */
	char *tls_key_pem;
	struct al_release_key link_key;
	gboolean link_key_loaded;
	guint8 csrf_key[WEB_CSRF_KEY_BYTES];

	GMutex store_lock; /* guards store and workflow pointers */
	struct al_store *store;
	struct al_workflow *workflow;
	GMutex workflow_lock; /* one workflow call at a time */

	struct web_auth *auth;
};

/* One form or query field may be given several times (checkboxes). */
struct web_request {
	struct web *web;
	struct MHD_Connection *connection;
	char *method;
	char *path;
	GHashTable *query; /* name -> GPtrArray of char * */
	GHashTable *form;  /* the same, for POST bodies */
	const char *lang;  /* "fr" or "en" */
	gboolean lang_switched; /* ?lang= given: the reply sets the cookie */
	char *ip;	   /* the client's numeric address */
	char *from;	   /* for the audit trail: "web 192.0.2.7" */
	gsize body_bytes;
	gboolean body_too_big;
	struct MHD_PostProcessor *post;
};

struct web_reply {
	guint status;
	GString *body;
	const char *content_type; /* default text/html; charset=utf-8 */
	GPtrArray *cookies;	  /* Set-Cookie values (char *) */
	char *retry_after;	  /* seconds, for 503 */
	char *location;		  /* for 303 */
};

/* http.c */
const char *web_query(const struct web_request *req, const char *name);
const char *web_field(const struct web_request *req, const char *name);
/* Every value of a repeated form field (NULL-terminated, transfer container). */
const char **web_field_all(const struct web_request *req, const char *name);
const char *web_cookie(const struct web_request *req, const char *name);
void web_reply_cookie(struct web_reply *reply, const char *cookie);
struct MHD_Daemon *web_http_start(struct web *web, int listen_fd);

/* store.c: the store and the workflow, opened on demand. NULL with a
 * 503 page written in reply when the store cannot be opened. */
struct al_store *web_store(struct web_request *req, struct web_reply *reply);
struct al_workflow *web_workflow(struct web_request *req, struct web_reply *reply);
void web_store_close(struct web *web);
/* After a failing store call: logs it and writes the 503 page. */
void web_store_error(struct web_request *req, struct web_reply *reply, const GError *error);
/* One log line per action: "ID: action=A by=WHO from=web IP result=...". */
void web_log_action(struct web_request *req, const char *who, const char *action,
		    const char *id, const GError *error);
/* The links' key (read once); FALSE when it cannot be read (logged). */
gboolean web_link_key(struct web *web, struct al_release_key *key_r);

/* html.c */
#define L(req, en, fr) (g_str_equal((req)->lang, "fr") ? (fr) : (en))
void web_html_escape(GString *out, const char *text);
void web_page_start(struct web_request *req, struct web_reply *reply, const char *title);
void web_page_end(struct web_reply *reply);
/* A page of one sentence, and a link back when back_href is not NULL. */
void web_page_result(struct web_request *req, struct web_reply *reply, guint status,
		     const char *title, const char *sentence, const char *back_href,
		     const char *back_label);
void web_page_simple(struct web_request *req, struct web_reply *reply, guint status,
		     const char *title, const char *sentence);
void web_page_error(struct web_request *req, struct web_reply *reply, const GError *error);
void web_page_unavailable(struct web_request *req, struct web_reply *reply);
void web_page_not_found(struct web_request *req, struct web_reply *reply);
char *web_format_time(gint64 unix_seconds); /* "2026-12-06 19:05 UTC", transfer full */
const char *web_state_name(struct web_request *req, enum al_recipient_state state);
const char *web_status_name(struct web_request *req, enum al_store_status status);
void web_reason_sentences(struct web_request *req, GString *out, al_reason_set reasons);
void web_reason_names(GString *out, al_reason_set reasons);
void web_hidden(GString *out, const char *name, const char *value);
/* The first max_chars characters of text (transfer full); NULL when text
 * is NULL or not UTF-8. */
char *web_text_prefix(const char *text, glong max_chars);
/* The workflow's error as a sentence in the request's language. */
const char *web_workflow_sentence(struct web_request *req, const GError *error);
guint web_workflow_status(const GError *error);

/* staff.c: GET and POST /r/TOKEN */
void web_staff(struct web_request *req, struct web_reply *reply, const char *token);

/* auth.c: admin sessions, CSRF, login throttle */
struct web_auth *web_auth_new(void);
void web_auth_free(struct web_auth **auth);
/* The admin's name (transfer full) if the request carries a live session
 * (and, for POST, its CSRF token in field "csrf"); NULL otherwise, with
 * the login form or a 403 page written. csrf_r receives the session's
 * token for the forms (transfer full). */
char *web_admin_session(struct web_request *req, struct web_reply *reply, char **csrf_r);
void web_admin_login(struct web_request *req, struct web_reply *reply);
void web_admin_logout(struct web_request *req, struct web_reply *reply);
void web_login_form(struct web_request *req, struct web_reply *reply, const char *problem);

/* admin.c, admin_act.c: the admin's pages (the caller checked the session) */
struct web_admin {
	const char *name;
	const char *csrf;
	struct al_actor actor;
};
void web_admin_nav(struct web_request *req, struct web_reply *reply, const struct web_admin *a);
/* virus or polyglot: releasing needs the force box ticked */
gboolean web_dangerous(al_reason_set reasons);
void web_force_box(struct web_request *req, GString *o);
void web_admin_requests(struct web_request *req, struct web_reply *reply,
			const struct web_admin *a);
void web_admin_list(struct web_request *req, struct web_reply *reply, const struct web_admin *a);
void web_admin_message(struct web_request *req, struct web_reply *reply,
		       const struct web_admin *a);
void web_admin_report(struct web_request *req, struct web_reply *reply,
		      const struct web_admin *a);
void web_admin_approve(struct web_request *req, struct web_reply *reply,
		       const struct web_admin *a);
void web_admin_deny(struct web_request *req, struct web_reply *reply, const struct web_admin *a);
void web_admin_release(struct web_request *req, struct web_reply *reply,
		       const struct web_admin *a);
void web_admin_delete(struct web_request *req, struct web_reply *reply,
		      const struct web_admin *a);

#endif
