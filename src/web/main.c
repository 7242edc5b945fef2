/*
 * main.c - airlock-web: options, start-up, privileges, signals.
 *
 *   airlock-web [-c FILE] [-f] [-t] [-V]
 *
 * Start-up: load and check the config, read the TLS certificate and key
 * when [web] names them, bind [web] listen (as root if started as root:
 * a port under 1024 works), drop to [milter] user (the store's owner),
 * go to the background unless -f, then serve with libmicrohttpd (one
 * thread per connection, at most 64 at once). The store is opened at the
 * first request that needs it (backend.c).
 *
 * Signals are blocked in every thread; the main thread waits for them:
 * SIGTERM and SIGINT stop (libmicrohttpd finishes the requests in
 * progress), SIGHUP is logged and ignored (a new configuration needs a
 * restart: the daemon keeps no state worth a reload).
 */
#include "log.h"
#include "web.h"

#include "airlock/version.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 64

struct options {
	char *config_path;
	gboolean foreground;
	gboolean check_only;
	gboolean version;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
		  "FILE" },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &o->foreground,
		  "stay in the foreground and log to stderr too", NULL },
		{ "test", 't', 0, G_OPTION_ARG_NONE, &o->check_only,
		  "check the configuration, then exit", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "print the version", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- Airlock quarantine console");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc > 1) {
		fprintf(stderr, "airlock-web: %s\n",
			error != NULL ? error->message : "unexpected argument");
		return -1;
	}
	if (o->config_path == NULL)
		o->config_path = g_strdup(al_config_default_path());
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT" (numeric) -> its address; NULL with why_r. */
static struct addrinfo *parse_listen(const char *listen_text, char **why_r)
{
	g_autofree char *host = NULL;
	const char *colon = strrchr(listen_text, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc;

	if (colon == NULL || colon == listen_text || colon[1] == '\0') {
		*why_r = g_strdup("not HOST:PORT");
		return NULL;
	}
	host = g_strndup(listen_text, (gsize)(colon - listen_text));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		char *inner = g_strndup(host + 1, strlen(host) - 2);

		g_free(host);
		host = inner;
	}
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		*why_r = g_strdup(gai_strerror(rc));
		return NULL;
	}
	return res;
}

/* A bound, listening socket for listen_text; -1 with why_r. */
static int open_listener(const char *listen_text, char **why_r)
{
	struct addrinfo *res = parse_listen(listen_text, why_r);
	int fd = -1, one = 1;

	if (res == NULL)
		return -1;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		*why_r = g_strdup(g_strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static gboolean tls_configured(const struct al_config *config)
{
	return config->web_tls_certificate != NULL && config->web_tls_key != NULL;
}

/* -t: the configuration loads and the TLS files (if any) can be read. */
static int check_config(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *why = NULL;
	struct al_config *config = al_config_load(path, TRUE, &error);
	struct addrinfo *res = NULL;
	int status = 1;

	if (config == NULL) {
		fprintf(stderr, "airlock-web: %s\n", error->message);
		return 1;
	}
	res = parse_listen(config->web_listen, &why);
	if (res == NULL) {
		fprintf(stderr, "airlock-web: [web] listen = %s in %s: %s\n", config->web_listen,
			path, why);
		goto out;
	}
	freeaddrinfo(res);
	if (tls_configured(config) &&
	    (!g_file_test(config->web_tls_certificate, G_FILE_TEST_IS_REGULAR) ||
	     access(config->web_tls_certificate, R_OK) < 0 ||
	     access(config->web_tls_key, R_OK) < 0)) {
		fprintf(stderr, "airlock-web: cannot read %s or %s ([web] in %s)\n",
			config->web_tls_certificate, config->web_tls_key, path);
		goto out;
	}
	printf("%s: configuration OK, listen %s, links %s/r/... valid %u days%s\n", path,
	       config->web_listen, config->web_public_url, config->web_link_days,
	       tls_configured(config) ? ", TLS" : "");
	status = 0;
out:
	al_config_free(&config);
	return status;
}

static int drop_privileges(const struct al_config *config)
{
	struct passwd *user;

	if (geteuid() != 0)
		return 0;
	user = getpwnam(config->milter_user);
	if (user == NULL) {
		log_msg(LOG_ERR, "user '%s' ([milter] user in %s) does not exist",
			config->milter_user, config->path);
		return -1;
	}
	if (user->pw_uid == 0) {
		log_msg(LOG_ERR, "refusing to run as root: set [milter] user in %s", config->path);
		return -1;
	}
	if (initgroups(user->pw_name, user->pw_gid) < 0 || setgid(user->pw_gid) < 0 ||
	    setuid(user->pw_uid) < 0) {
		log_msg(LOG_ERR, "cannot become user %s: %s", user->pw_name, g_strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		log_msg(LOG_ERR, "still able to become root after dropping privileges: stopping");
		return -1;
	}
	return 0;
}

static int read_tls(struct web *web, const struct al_config *config)
{
	g_autoptr(GError) error = NULL;

	if (!tls_configured(config))
		return 0;
	if (!g_file_get_contents(config->web_tls_certificate, &web->tls_certificate_pem, NULL,
				 &error) ||
	    !g_file_get_contents(config->web_tls_key, &web->tls_key_pem, NULL, &error)) {
		log_msg(LOG_ERR, "cannot read the TLS files ([web] in %s): %s", config->path,
			error->message);
		return -1;
	}
	web->tls = TRUE;
	return 0;
}

static int wait_for_stop(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			return -1;
		if (sig != SIGHUP)
			return sig;
		log_msg(LOG_NOTICE, "SIGHUP: airlock-web has nothing to reload; restart it to "
				    "apply a new configuration");
	}
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

/* MHD owns *fd once started (it closes it at stop). */
static int serve(struct web *web, int *fd)
{
	struct MHD_Daemon *daemon = NULL;
	int sig;

	web->auth = web_auth_new();
	if (web->auth == NULL)
		return 1;
	if (block_signals() < 0)
		return 1;
	daemon = web_http_start(web, *fd);
	if (daemon == NULL) {
		log_msg(LOG_ERR, "cannot start the HTTP server on %s", web->config->web_listen);
		return 1;
	}
	*fd = -1;
	log_msg(LOG_INFO, "airlock-web %s ready on %s%s, links %s", AL_VERSION,
		web->config->web_listen, web->tls ? " (TLS)" : "", web->config->web_public_url);
	sig = wait_for_stop();
	log_msg(LOG_INFO, "stopping (signal %d) after the requests in progress", sig);
	MHD_stop_daemon(daemon);
	return 0;
}

static int start(const struct options *o)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *why = NULL;
	struct al_config *config = al_config_load(o->config_path, TRUE, &error);
	struct web web = { 0 };
	int fd = -1, status = 1;

	if (config == NULL) {
		log_msg(LOG_ERR, "%s", error->message);
		return 1;
	}
	web.config = config;
	web.secure_cookies = tls_configured(config) ||
			     g_str_has_prefix(config->web_public_url, "https://");
	g_mutex_init(&web.store_lock);
	g_mutex_init(&web.workflow_lock);
	if (sodium_init() < 0) {
		log_msg(LOG_ERR, "libsodium cannot start");
		goto out;
	}
	randombytes_buf(web.csrf_key, sizeof(web.csrf_key));
	if (read_tls(&web, config) < 0)
		goto out;
	fd = open_listener(config->web_listen, &why);
	if (fd < 0) {
		log_msg(LOG_ERR, "cannot listen on %s ([web] listen in %s): %s", config->web_listen,
			config->path, why);
		goto out;
	}
	if (drop_privileges(config) < 0)
		goto out;
	if (!o->foreground && daemon(0, 0) < 0) {
		log_msg(LOG_ERR, "cannot go to the background: %s", g_strerror(errno));
		goto out;
	}
	status = serve(&web, &fd);
out:
	web_store_close(&web);
	web_auth_free(&web.auth);
	if (fd >= 0)
		close(fd);
	sodium_memzero(web.csrf_key, sizeof(web.csrf_key));
	sodium_memzero(&web.link_key, sizeof(web.link_key));
	if (web.tls_key_pem != NULL)
		sodium_memzero(web.tls_key_pem, strlen(web.tls_key_pem));
	g_free(web.tls_key_pem);
	g_free(web.tls_certificate_pem);
	g_mutex_clear(&web.store_lock);
	g_mutex_clear(&web.workflow_lock);
	al_config_free(&config);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int status;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	if (o.version) {
		printf("airlock-web %s\n", AL_VERSION);
		status = 0;
	} else if (o.check_only) {
		status = check_config(o.config_path);
	} else {
		log_open("airlock-web", o.foreground);
		status = start(&o);
	}
	g_free(o.config_path);
	return status;
}
