/*
 * main.c - airlock-milter: options, start-up, privileges, signals.
 *
 *   airlock-milter [-c FILE] [-f] [-t] [-V]
 *
 * Start-up: load and check the config and the signatures, bind the
 * socket (as root if started as root), drop to the configured user, load
 * the runtime (engine and store, owned by that user), then serve.
 *
 * Signals: libmilter runs its own signal thread that turns SIGHUP into a
 * stop. To make SIGHUP a reload instead, smfi_main() runs in a second
 * thread (libmilter blocks the signals there and in the threads it
 * creates) while the main thread, the only one with the signals
 * unblocked, is where Linux delivers them: its handlers only write a
 * byte to a pipe, and the main loop reloads (SIGHUP) or stops (SIGTERM,
 * SIGINT) after the messages in flight. libmilter's signal thread never
 * takes them: sigwait.c replaces the sigwait() it waits in.
 */
#include "filter.h"
#include "guard.h"
#include "log.h"
#include "runtime.h"
#include "state.h"

#include "airlock/version.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct options {
	char *config_path;
	gboolean foreground;
	gboolean check_only;
	gboolean version;
};

/* The state file for airlockctl status and the disk guard's own look. */
#define STATE_INTERVAL_SECONDS 60
/* With no engine (a failed load with concurrent_reload = false): how
 * often a new load is tried. */
#define NO_ENGINE_RETRY_SECONDS 30

static int signal_pipe[2] = { -1, -1 };

static int parse_options(int argc, char **argv, struct options *o)
{
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
		  "FILE" },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &o->foreground,
		  "stay in the foreground and log to stderr too", NULL },
		{ "test", 't', 0, G_OPTION_ARG_NONE, &o->check_only,
		  "check the configuration and signatures, then exit", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "print the version", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- Airlock attachment filter");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error) || argc > 1) {
		fprintf(stderr, "airlock-milter: %s\n",
			error != NULL ? error->message : "unexpected argument");
		return -1;
	}
	if (o->config_path == NULL)
		o->config_path = g_strdup(al_config_default_path());
	return 0;
}

/* -t: the config, the type table and the signatures load. */
static int check_config(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	struct al_config *config = al_config_load(path, TRUE, &error);
	struct al_pipeline *pipeline = NULL;

	if (config != NULL)
		pipeline = al_pipeline_new(config, &warnings, &error);
	if (pipeline == NULL) {
		fprintf(stderr, "airlock-milter: %s\n", error->message);
		al_config_free(&config);
		return 1;
	}
	for (guint i = 0; warnings != NULL && i < warnings->len; i++)
		fprintf(stderr, "airlock-milter: warning: %s\n", (const char *)warnings->pdata[i]);
	printf("%s: configuration OK, %u signatures, image fuzzy hashes %s\n", path,
	       al_pipeline_signature_count(pipeline), al_pipeline_image_fuzzy_hash(pipeline));
	al_pipeline_free(&pipeline);
	al_config_free(&config);
	return 0;
}

/* "unix:PATH" or "local:PATH" -> PATH; NULL for inet sockets. */
static const char *unix_socket_path(const char *socket)
{
	if (g_str_has_prefix(socket, "unix:"))
		return socket + 5;
	if (g_str_has_prefix(socket, "local:"))
		return socket + 6;
	if (socket[0] == '/')
		return socket;
	return NULL;
}

static int make_owned_dir(const char *dir, mode_t mode, const struct passwd *user)
{
	if (g_mkdir_with_parents(dir, mode) < 0) {
		log_msg(LOG_ERR, "cannot create %s: %s", dir, g_strerror(errno));
		return -1;
	}
	if (user != NULL && chown(dir, user->pw_uid, user->pw_gid) < 0) {
		log_msg(LOG_ERR, "cannot give %s to %s: %s", dir, user->pw_name, g_strerror(errno));
		return -1;
	}
	return 0;
}

/* As root, before binding: the directories the daemon's user must own. */
static int prepare_dirs(const struct al_config *config, const struct passwd *user)
{
	const char *socket_path = unix_socket_path(config->milter_socket);
	g_autofree char *socket_dir = socket_path ? g_path_get_dirname(socket_path) : NULL;
	g_autofree char *pid_dir = g_path_get_dirname(config->milter_pidfile);

	if (socket_dir != NULL && !g_file_test(socket_dir, G_FILE_TEST_IS_DIR) &&
	    make_owned_dir(socket_dir, 0755, user) < 0)
		return -1;
	if (!g_file_test(pid_dir, G_FILE_TEST_IS_DIR) && make_owned_dir(pid_dir, 0755, user) < 0)
		return -1;
	if (!g_file_test(config->quarantine_dir, G_FILE_TEST_IS_DIR))
		return make_owned_dir(config->quarantine_dir, 0700, user);
	return 0;
}

static int open_socket(const struct al_config *config, const struct passwd *user)
{
	const char *path = unix_socket_path(config->milter_socket);

	if (smfi_setconn((char *)config->milter_socket) != MI_SUCCESS ||
	    smfi_settimeout((int)config->milter_timeout_seconds) != MI_SUCCESS ||
	    smfi_register(filter_description) != MI_SUCCESS ||
	    smfi_opensocket(TRUE) != MI_SUCCESS) {
		log_msg(LOG_ERR, "cannot listen on %s (set by [milter] socket in %s)",
			config->milter_socket, config->path);
		return -1;
	}
	/* The MTA's user reaches the socket through the group. */
	if (path != NULL && chmod(path, 0660) < 0) {
		log_msg(LOG_ERR, "cannot chmod %s: %s", path, g_strerror(errno));
		return -1;
	}
	if (path != NULL && user != NULL && chown(path, user->pw_uid, user->pw_gid) < 0) {
		log_msg(LOG_ERR, "cannot chown %s: %s", path, g_strerror(errno));
		return -1;
	}
	return 0;
}

static int drop_privileges(const struct passwd *user)
{
	if (user == NULL)
		return 0;
	if (initgroups(user->pw_name, user->pw_gid) < 0 || setgid(user->pw_gid) < 0 ||
	    setuid(user->pw_uid) < 0) {
		log_msg(LOG_ERR, "cannot become user %s: %s", user->pw_name, g_strerror(errno));
		return -1;
	}
	if (user->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		log_msg(LOG_ERR, "still able to become root after dropping privileges: stopping");
		return -1;
	}
	return 0;
}

/* Started as root: the configured user, which must exist and not be
 * root. Started as another user: no change (NULL). */
static int resolve_user(const struct al_config *config, struct passwd **user_r)
{
	struct passwd *user;

	*user_r = NULL;
	if (geteuid() != 0)
		return 0;
	user = getpwnam(config->milter_user);
	if (user == NULL) {
		log_msg(LOG_ERR, "user '%s' ([milter] user in %s) does not exist: create it "
				 "(useradd --system %s) or name another",
			config->milter_user, config->path, config->milter_user);
		return -1;
	}
	if (user->pw_uid == 0) {
		log_msg(LOG_ERR, "refusing to run as root: set [milter] user in %s", config->path);
		return -1;
	}
	*user_r = user;
	return 0;
}

static int write_pidfile(const char *path)
{
	g_autofree char *text = g_strdup_printf("%ld\n", (long)getpid());
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, text, -1, &error)) {
		log_msg(LOG_ERR, "cannot write pid file: %s", error->message);
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	unsigned char byte = (unsigned char)sig;
	int saved = errno;

	if (write(signal_pipe[1], &byte, 1) < 0) {
		/* Nothing safe to do in a handler; the pipe is never full in practice. */
	}
	errno = saved;
}

static int install_signals(void)
{
	struct sigaction action = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigset_t unblock;

	if (pipe2(signal_pipe, O_CLOEXEC) < 0)
		return -1;
	sigemptyset(&action.sa_mask);
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGHUP);
	sigaddset(&unblock, SIGTERM);
	sigaddset(&unblock, SIGINT);
	if (sigaction(SIGHUP, &action, NULL) < 0 || sigaction(SIGTERM, &action, NULL) < 0 ||
	    sigaction(SIGINT, &action, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return pthread_sigmask(SIG_UNBLOCK, &unblock, NULL) == 0 ? 0 : -1;
}

static void *serve(void *unused)
{
	int rc;

	(void)unused;
	rc = smfi_main();
	on_signal(rc == MI_SUCCESS ? 0 : 255);
	return NULL;
}

/* Waits for messages in flight to finish, at most timeout_seconds. */
static void drain(guint timeout_seconds)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_seconds * G_USEC_PER_SEC;

	while (runtime_in_flight() > 0 && g_get_monotonic_time() < deadline)
		g_usleep(50 * 1000);
	if (runtime_in_flight() > 0)
		log_msg(LOG_WARNING, "stopping with %u messages unfinished (the MTA retries them)",
			runtime_in_flight());
}

/* What the main thread does between signals, from the current config. */
struct ticks {
	gint64 next_state_us;    /* state file and disk guard: every minute */
	gint64 next_database_us; /* signature directories: database_check_seconds */
};

static void periodic(const char *config_path, struct ticks *t)
{
	gint64 now = g_get_monotonic_time();
	struct runtime *rt = runtime_acquire();
	guint check_seconds = rt != NULL ? rt->config->scan_database_check_seconds
					 : NO_ENGINE_RETRY_SECONDS;

	/* A reload may have shortened the interval. */
	if (check_seconds > 0 && t->next_database_us > now + (gint64)check_seconds * G_USEC_PER_SEC)
		t->next_database_us = now + (gint64)check_seconds * G_USEC_PER_SEC;
	if (check_seconds > 0 && now >= t->next_database_us) {
		t->next_database_us = now + (gint64)check_seconds * G_USEC_PER_SEC;
		state_database_checked();
		if (runtime_databases_changed()) {
			if (rt != NULL)
				log_msg(LOG_NOTICE, "signature files changed in %s or %s: reloading",
					rt->config->signatures_dir, rt->config->clamav_database_dir);
			runtime_release(&rt);
			runtime_reload(config_path, "database-change");
			rt = runtime_acquire();
		}
	}
	if (now >= t->next_state_us) {
		t->next_state_us = now + STATE_INTERVAL_SECONDS * G_USEC_PER_SEC;
		guard_tick(rt);
		state_write();
	}
	runtime_release(&rt);
}

/* Waits up to one second for a signal byte: 1 with *sig_r, 0 on time out. */
static int wait_signal(unsigned char *sig_r)
{
	struct pollfd pfd = { .fd = signal_pipe[0], .events = POLLIN };
	int n = poll(&pfd, 1, 1000);

	if (n <= 0)
		return 0;
	return read(signal_pipe[0], sig_r, 1) == 1 ? 1 : 0;
}

static int main_loop(const char *config_path, guint timeout_seconds)
{
	pthread_t server;
	unsigned char sig = 0;
	gboolean stopping = FALSE;
	gint64 now = g_get_monotonic_time();
	struct ticks ticks = { .next_state_us = now, .next_database_us = now };
	struct runtime *rt = runtime_acquire();

	if (rt != NULL && rt->config->scan_database_check_seconds > 0)
		ticks.next_database_us += (gint64)rt->config->scan_database_check_seconds *
					  G_USEC_PER_SEC;
	runtime_release(&rt);
	if (pthread_create(&server, NULL, serve, NULL) != 0) {
		log_msg(LOG_ERR, "cannot start the milter thread");
		return 1;
	}
	while (!stopping) {
		if (wait_signal(&sig) == 0) {
			periodic(config_path, &ticks);
			continue;
		}
		if (sig == SIGHUP) {
			runtime_reload(config_path, "signal");
			continue;
		}
		stopping = TRUE;
	}
	if (sig == SIGTERM || sig == SIGINT) {
		log_msg(LOG_INFO, "stopping (signal %d) after messages in flight", sig);
		smfi_stop();
	} else {
		/* Nobody asked: exit 1, so that the service manager (Restart=
		 * on-failure) starts the milter again. */
		log_msg(LOG_ERR, "libmilter stopped serving on its own (its reason is in the "
				 "system log): exiting with status 1");
	}
	pthread_join(server, NULL);
	drain(timeout_seconds);
	state_write();
	return sig == SIGTERM || sig == SIGINT ? 0 : 1;
}

static int start(const struct options *o)
{
	g_autoptr(GError) error = NULL;
	struct al_config *config = al_config_load(o->config_path, TRUE, &error);
	struct passwd *user = NULL;
	struct runtime *rt = NULL;
	int status = 1;

	if (config == NULL) {
		log_msg(LOG_ERR, "%s", error->message);
		return 1;
	}
	if (resolve_user(config, &user) < 0 || prepare_dirs(config, user) < 0 ||
	    open_socket(config, user) < 0 || drop_privileges(user) < 0)
		goto out;
	rt = runtime_load(o->config_path, &error);
	if (rt == NULL) {
		log_msg(LOG_ERR, "%s", error->message);
		goto out;
	}
	runtime_install(rt);
	if (!o->foreground && daemon(0, 0) < 0) {
		log_msg(LOG_ERR, "cannot go to the background: %s", g_strerror(errno));
		goto out;
	}
	if (write_pidfile(config->milter_pidfile) < 0 || install_signals() < 0)
		goto out;
	state_init(rt->config);
	state_engine(rt, "start", TRUE, NULL);
	state_write();
	log_msg(LOG_INFO, "airlock-milter %s ready on %s, %u signatures, image fuzzy hashes %s",
		AL_VERSION, config->milter_socket, al_pipeline_signature_count(rt->pipeline),
		al_pipeline_image_fuzzy_hash(rt->pipeline));
	status = main_loop(o->config_path, config->milter_timeout_seconds);
	unlink(config->milter_pidfile);
out:
	runtime_shutdown();
	state_shutdown();
	al_config_free(&config);
	return status;
}

/* glibc gives each busy thread its own malloc arena (up to 8 per core),
 * each keeping the memory its big messages freed: with one per core the
 * daemon's RSS stays flat over thousands of messages. */
static void limit_arenas(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (mallopt(M_ARENA_MAX, (int)CLAMP(cores, 2, 64)) != 1)
		log_msg(LOG_WARNING, "cannot limit malloc arenas: memory use may grow");
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int status;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	if (o.version) {
		printf("airlock-milter %s\n", AL_VERSION);
		status = 0;
	} else if (o.check_only) {
		status = check_config(o.config_path);
	} else {
		log_open("airlock-milter", o.foreground);
		limit_arenas();
		status = start(&o);
	}
	g_free(o.config_path);
	return status;
}
