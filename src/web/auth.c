/*
 * auth.c - the admin's login, sessions and CSRF tokens.
 *
 * Passwords: the store keeps an argon2id string per admin (airlockctl
 * passwd); a login is checked with crypto_pwhash_str_verify(). An
 * unknown name is checked against a hash made at start, so it takes as
 * long as a wrong password. One check at a time (each takes tens of
 * megabytes of memory).
 *
 * Failed logins: counted per client address. After the Nth failure in a
 * row the answer waits min(N, LOGIN_MAX_DELAY_SECONDS) seconds, in that
 * request's own thread (libmicrohttpd runs one thread per connection, so
 * no other request waits), and while an attempt from an address is being
 * checked or delayed, another one from the same address is refused at
 * once (429): guessing in parallel gains nothing. The count is forgotten
 * after LOGIN_FORGET_SECONDS without failure and on a good login. The
 * failed page says how many failures in a row the address has.
 *
 * Sessions: 32 random bytes (hex) in cookie al_admin, HttpOnly,
 * SameSite=Strict, Path=/admin, Secure under TLS or an https public_url,
 * Max-Age SESSION_SECONDS; the session ends SESSION_IDLE_SECONDS after
 * its last request, or at logout. Each session has its own CSRF token
 * (32 random bytes, hex) that every form carries in field "csrf"; a POST
 * without it or with another is refused (403), whatever the cookie.
 */
#include "web.h"

#include "log.h"

#include <string.h>

#define LOGIN_MAX_DELAY_SECONDS 10
#define LOGIN_FORGET_SECONDS (15 * 60)
#define SESSION_SECONDS (8 * 3600)
#define SESSION_IDLE_SECONDS (30 * 60)
#define SESSION_MAX 256
#define TOKEN_BYTES 32
#define NAME_MAX_CHARS 64
#define PASSWORD_MAX_BYTES 1024

struct session {
	char *name;
	char csrf[TOKEN_BYTES * 2 + 1];
	gint64 created_at, used_at; /* unix seconds */
};

struct failures {
	guint count;
	gboolean busy;
	gint64 last_at;
};

struct web_auth {
	GMutex lock;
	GHashTable *sessions; /* cookie value -> struct session */
	GHashTable *failures; /* client address -> struct failures */
	GMutex verify_lock;
	char dummy_hash[crypto_pwhash_STRBYTES];
};

static void session_free(gpointer data)
{
	struct session *s = data;

	g_free(s->name);
	g_free(s);
}

struct web_auth *web_auth_new(void)
{
	struct web_auth *auth = g_new0(struct web_auth, 1);
	char random_password[TOKEN_BYTES * 2 + 1];
	guint8 bytes[TOKEN_BYTES];

	g_mutex_init(&auth->lock);
	g_mutex_init(&auth->verify_lock);
	auth->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, session_free);
	auth->failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	randombytes_buf(bytes, sizeof(bytes));
	sodium_bin2hex(random_password, sizeof(random_password), bytes, sizeof(bytes));
	if (crypto_pwhash_str(auth->dummy_hash, random_password, strlen(random_password),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_msg(LOG_ERR, "crypto_pwhash_str: out of memory");
		web_auth_free(&auth);
	}
	return auth;
}

void web_auth_free(struct web_auth **auth)
{
	if (*auth == NULL)
		return;
	g_hash_table_unref((*auth)->sessions);
	g_hash_table_unref((*auth)->failures);
	g_mutex_clear(&(*auth)->lock);
	g_mutex_clear(&(*auth)->verify_lock);
	g_free(*auth);
	*auth = NULL;
}

static gint64 now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static void random_hex(char hex_r[TOKEN_BYTES * 2 + 1])
{
	guint8 bytes[TOKEN_BYTES];

	randombytes_buf(bytes, sizeof(bytes));
	sodium_bin2hex(hex_r, TOKEN_BYTES * 2 + 1, bytes, sizeof(bytes));
}

static gboolean session_alive(const struct session *s, gint64 now)
{
	return now < s->created_at + SESSION_SECONDS && now < s->used_at + SESSION_IDLE_SECONDS;
}

static gboolean expired_entry(gpointer key, gpointer value, gpointer now)
{
	(void)key;
	return !session_alive(value, *(gint64 *)now);
}

static gboolean forgotten_entry(gpointer key, gpointer value, gpointer now)
{
	const struct failures *f = value;

	(void)key;
	return !f->busy && f->last_at + LOGIN_FORGET_SECONDS < *(gint64 *)now;
}

void web_login_form(struct web_request *req, struct web_reply *reply, const char *problem)
{
	GString *o = reply->body;

	g_string_truncate(o, 0);
	web_page_start(req, reply, L(req, "Administration", "Administration"));
	if (problem != NULL) {
		g_string_append(o, "<p id=\"problem\" class=\"card bad\">");
		web_html_escape(o, problem);
		g_string_append(o, "</p>");
	}
	g_string_append_printf(
		o,
		"<form method=\"post\" action=\"/admin/login\" class=\"card\">"
		"<p><label>%s<br><input type=\"text\" name=\"name\" autocomplete=\"username\" "
		"maxlength=\"%d\" required></label></p>"
		"<p><label>%s<br><input type=\"password\" name=\"password\" "
		"autocomplete=\"current-password\" required></label></p>"
		"<p><button type=\"submit\" id=\"login\">%s</button></p></form>",
		L(req, "Name", "Nom"), NAME_MAX_CHARS, L(req, "Password", "Mot de passe"),
		L(req, "Log in", "Se connecter"));
	web_page_end(reply);
}

/* The stored hash of name, or the dummy one: 0 found, 1 not, -1 store. */
static int admin_hash(struct web_request *req, struct web_reply *reply, const char *name,
		      char **hash_r)
{
	struct al_store *store = web_store(req, reply);
	g_autoptr(GError) error = NULL;
	int rc;

	*hash_r = NULL;
	if (store == NULL)
		return -1;
	rc = al_store_get_admin(store, name, hash_r, &error);
	if (rc < 0)
		web_store_error(req, reply, error);
	return rc;
}

static gboolean password_ok(struct web_auth *auth, const char *hash, const char *password)
{
	int rc;

	g_mutex_lock(&auth->verify_lock);
	rc = crypto_pwhash_str_verify(hash != NULL ? hash : auth->dummy_hash, password,
				      strlen(password));
	g_mutex_unlock(&auth->verify_lock);
	return rc == 0 && hash != NULL;
}

static void start_session(struct web_request *req, struct web_reply *reply, const char *name)
{
	struct web_auth *auth = req->web->auth;
	struct session *s = g_new0(struct session, 1);
	char id[TOKEN_BYTES * 2 + 1];
	gint64 now = now_seconds();
	g_autofree char *cookie = NULL;

	random_hex(id);
	random_hex(s->csrf);
	s->name = g_strdup(name);
	s->created_at = s->used_at = now;
	g_mutex_lock(&auth->lock);
	g_hash_table_foreach_remove(auth->sessions, expired_entry, &now);
	if (g_hash_table_size(auth->sessions) >= SESSION_MAX) {
		/* Full of live sessions: the oldest goes (any will do). */
		GHashTableIter iter;
		gpointer key;

		g_hash_table_iter_init(&iter, auth->sessions);
		if (g_hash_table_iter_next(&iter, &key, NULL))
			g_hash_table_iter_remove(&iter);
	}
	g_hash_table_insert(auth->sessions, g_strdup(id), s);
	g_mutex_unlock(&auth->lock);
	cookie = g_strdup_printf("al_admin=%s; Path=/admin; Max-Age=%d; HttpOnly; "
				 "SameSite=Strict%s",
				 id, SESSION_SECONDS, req->web->secure_cookies ? "; Secure" : "");
	web_reply_cookie(reply, cookie);
	reply->status = MHD_HTTP_SEE_OTHER;
	reply->location = g_strdup("/admin");
	web_page_simple(req, reply, MHD_HTTP_SEE_OTHER, L(req, "Logged in", "Connecté"),
			L(req, "Go on to /admin.", "Continuez vers /admin."));
}

/* Takes the address's turn: FALSE when another attempt is in progress. */
static gboolean begin_attempt(struct web_auth *auth, const char *ip)
{
	struct failures *f;
	gint64 now = now_seconds();
	gboolean ok;

	g_mutex_lock(&auth->lock);
	g_hash_table_foreach_remove(auth->failures, forgotten_entry, &now);
	f = g_hash_table_lookup(auth->failures, ip);
	if (f == NULL) {
		f = g_new0(struct failures, 1);
		g_hash_table_insert(auth->failures, g_strdup(ip), f);
	}
	ok = !f->busy;
	f->busy = TRUE;
	g_mutex_unlock(&auth->lock);
	return ok;
}

/* Records the outcome; returns the failures in a row (0 after success). */
static guint end_attempt(struct web_auth *auth, const char *ip, gboolean success)
{
	struct failures *f;
	guint count = 0;

	g_mutex_lock(&auth->lock);
	f = g_hash_table_lookup(auth->failures, ip);
	if (f != NULL && success) {
		g_hash_table_remove(auth->failures, ip);
	} else if (f != NULL) {
		count = ++f->count;
		f->last_at = now_seconds();
	}
	g_mutex_unlock(&auth->lock);
	return count;
}

static void release_turn(struct web_auth *auth, const char *ip)
{
	struct failures *f;

	g_mutex_lock(&auth->lock);
	f = g_hash_table_lookup(auth->failures, ip);
	if (f != NULL)
		f->busy = FALSE;
	g_mutex_unlock(&auth->lock);
}

void web_admin_login(struct web_request *req, struct web_reply *reply)
{
	struct web_auth *auth = req->web->auth;
	const char *name = web_field(req, "name");
	const char *password = web_field(req, "password");
	g_autofree char *hash = NULL;
	g_autofree char *problem = NULL;
	g_autofree char *who = NULL;
	gboolean ok;
	guint failures;

	if (name == NULL || password == NULL || name[0] == '\0' ||
	    g_utf8_strlen(name, -1) > NAME_MAX_CHARS || strlen(password) > PASSWORD_MAX_BYTES) {
		reply->status = MHD_HTTP_BAD_REQUEST;
		web_login_form(req, reply, L(req, "Give a name and a password.",
					     "Indiquez un nom et un mot de passe."));
		return;
	}
	if (!begin_attempt(auth, req->ip)) {
		reply->status = MHD_HTTP_TOO_MANY_REQUESTS;
		web_login_form(req, reply,
			       L(req, "Another login from your address is being checked: wait "
				      "for its answer, then retry.",
				 "Une autre connexion depuis votre adresse est en cours de "
				 "vérification : attendez sa réponse, puis recommencez."));
		return;
	}
	if (admin_hash(req, reply, name, &hash) < 0) {
		release_turn(auth, req->ip);
		return;
	}
	ok = password_ok(auth, hash, password);
	failures = end_attempt(auth, req->ip, ok);
	who = log_escape(name, NAME_MAX_CHARS * 4);
	if (ok) {
		release_turn(auth, req->ip);
		log_msg(LOG_NOTICE, "admin %s logged in from %s", who, req->from);
		start_session(req, reply, name);
		return;
	}
	log_msg(LOG_WARNING, "failed login as %s from %s (%u in a row)", who, req->from, failures);
	g_usleep((gulong)MIN(failures, LOGIN_MAX_DELAY_SECONDS) * G_USEC_PER_SEC);
	release_turn(auth, req->ip);
	problem = g_strdup_printf(L(req, "Wrong name or password. Failed attempts in a row from "
					 "your address: %u.",
				    "Nom ou mot de passe incorrect. Échecs consécutifs depuis "
				    "votre adresse : %u."),
				  failures);
	reply->status = MHD_HTTP_FORBIDDEN;
	web_login_form(req, reply, problem);
}

static const char *session_id(struct web_request *req)
{
	const char *id = web_cookie(req, "al_admin");

	return id != NULL && strlen(id) == TOKEN_BYTES * 2 ? id : NULL;
}

char *web_admin_session(struct web_request *req, struct web_reply *reply, char **csrf_r)
{
	struct web_auth *auth = req->web->auth;
	const char *id = session_id(req);
	const char *field = web_field(req, "csrf");
	gboolean post = g_str_equal(req->method, "POST");
	struct session *s = NULL;
	gboolean csrf_matches = FALSE;
	char *name = NULL;
	gint64 now = now_seconds();

	*csrf_r = NULL;
	g_mutex_lock(&auth->lock);
	if (id != NULL)
		s = g_hash_table_lookup(auth->sessions, id);
	if (s != NULL && !session_alive(s, now)) {
		g_hash_table_remove(auth->sessions, id);
		s = NULL;
	}
	if (s != NULL) {
		csrf_matches = field != NULL && strlen(field) == strlen(s->csrf) &&
			       sodium_memcmp(field, s->csrf, strlen(s->csrf)) == 0;
		if (!post || csrf_matches) {
			s->used_at = now;
			name = g_strdup(s->name);
			*csrf_r = g_strdup(s->csrf);
		}
	}
	g_mutex_unlock(&auth->lock);
	if (name != NULL)
		return name;
	if (s == NULL && !post) {
		web_login_form(req, reply, NULL);
		return NULL;
	}
	web_page_result(req, reply, MHD_HTTP_FORBIDDEN, L(req, "Form refused", "Formulaire refusé"),
			s == NULL ? L(req, "Your session has ended: log in again.",
				      "Votre session est terminée : reconnectez-vous.")
				  : L(req, "This form is stale or did not come from this console: "
					   "nothing was done.",
				      "Ce formulaire est périmé ou ne vient pas de cette console : "
				      "rien n'a été fait."),
			"/admin", L(req, "Administration", "Administration"));
	return NULL;
}

void web_admin_logout(struct web_request *req, struct web_reply *reply)
{
	struct web_auth *auth = req->web->auth;
	const char *id = session_id(req);

	g_mutex_lock(&auth->lock);
	if (id != NULL)
		g_hash_table_remove(auth->sessions, id);
	g_mutex_unlock(&auth->lock);
	web_reply_cookie(reply, "al_admin=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict");
	web_login_form(req, reply, L(req, "You are logged out.", "Vous êtes déconnecté."));
}
