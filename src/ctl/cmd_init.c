/*
 * cmd_init.c - airlockctl init: create the quarantine store and the
 * release key, or check them.
 *
 *   airlockctl init [-c FILE]
 *
 * Run as root (as an install step would): makes [quarantine] dir (0700)
 * owned by the daemon's user ([milter] user), creates the database
 * (schema migrations applied) and the release key (0600) as that user.
 * Idempotent: on an existing store it only checks. Permissions that
 * expose mail or the key (a directory or key readable by others, a store
 * owned by another user) are reported, not silently changed, so the
 * admin learns about the exposure; exit 1 then.
 */
#include "ctl_admin.h"

#include "airlock/release.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As root: dir exists (parents 0755, itself 0700) and belongs to user. */
static int make_store_dir(const char *dir, const struct passwd *user)
{
	g_autofree char *parent = g_path_get_dirname(dir);
	struct stat st;

	if (g_mkdir_with_parents(parent, 0755) < 0) {
		ctl_error("cannot create %s: %s", parent, g_strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) < 0 || chown(dir, user->pw_uid, user->pw_gid) < 0) {
			ctl_error("cannot give %s to %s: %s", dir, user->pw_name,
				  g_strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST || stat(dir, &st) < 0) {
		ctl_error("cannot create %s: %s", dir, g_strerror(errno));
		return -1;
	}
	if (st.st_uid != user->pw_uid) {
		struct passwd *owner = getpwuid(st.st_uid);

		ctl_error(
		    "%s belongs to %s, but the daemon runs as %s ([milter] user): run chown -R "
		    "%s %s",
		    dir, owner != NULL ? owner->pw_name : "another user", user->pw_name,
		    user->pw_name, dir);
		return -1;
	}
	return 0;
}

/* As root, a key outside the store directory is made by root and given
 * to the daemon's user (inside it, the user makes it after the switch). */
static int make_outside_key(const struct al_config *config, const struct passwd *user)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *key_dir = g_path_get_dirname(config->release_key);
	struct al_release_key key;

	if (strcmp(key_dir, config->quarantine_dir) == 0 ||
	    g_file_test(config->release_key, G_FILE_TEST_EXISTS))
		return 0;
	if (al_release_key_load(config->release_key, TRUE, &key, &error) < 0) {
		ctl_error("%s", error->message);
		return -1;
	}
	if (chown(config->release_key, user->pw_uid, user->pw_gid) < 0) {
		ctl_error("cannot give %s to %s: %s", config->release_key, user->pw_name,
			  g_strerror(errno));
		return -1;
	}
	return 0;
}

static int prepare_as_root(const struct al_config *config)
{
	struct passwd *user = getpwnam(config->milter_user);

	if (user == NULL) {
		ctl_error("the daemon's user %s ([milter] user in %s) does not exist: create it "
			  "(useradd --system %s) or change the setting",
			  config->milter_user, config->path, config->milter_user);
		return -1;
	}
	if (make_store_dir(config->quarantine_dir, user) < 0 || make_outside_key(config, user) < 0)
		return -1;
	return ctl_become(user->pw_uid, user->pw_gid, config->quarantine_dir);
}

static void print_path(const char *what, const char *path, const char *state)
{
	struct stat st;
	struct passwd *owner = NULL;

	if (stat(path, &st) == 0)
		owner = getpwuid(st.st_uid);
	printf("%-12s %s (owner %s, mode %04o): %s\n", what, path,
	       owner != NULL ? owner->pw_name : "?", (unsigned)(st.st_mode & 07777), state);
}

int ctl_init(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("- create or check the quarantine store and release key");
	g_autoptr(GError) error = NULL;
	struct al_config *config = NULL;
	struct al_store *store = NULL;
	struct al_store_where where;
	struct al_release_key key;
	g_autofree char *db_path = NULL;
	gboolean had_store, had_key;
	int status = CTL_EXIT_FAILURE;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "init", &argc, &argv, TRUE))
		return CTL_EXIT_USAGE;
	config =
	    al_config_load(config_path ? config_path : al_config_default_path(), FALSE, &error);
	if (config == NULL) {
		ctl_error("%s", error->message);
		return CTL_EXIT_FAILURE;
	}
	db_path = g_build_filename(config->quarantine_dir, "airlock.db", NULL);
	had_store = g_file_test(db_path, G_FILE_TEST_EXISTS);
	had_key = g_file_test(config->release_key, G_FILE_TEST_EXISTS);
	if (geteuid() == 0 && prepare_as_root(config) < 0)
		goto out;
	al_store_where_config(config, &where);
	store = al_store_open_at(&where, TRUE, &error);
	if (store == NULL || al_release_key_load(config->release_key, TRUE, &key, &error) < 0) {
		ctl_error("%s", error->message);
		goto out;
	}
	if (where.backend == AL_STORE_POSTGRESQL)
		print_path("store", al_store_describe(store), "checked");
	else
		print_path("store", config->quarantine_dir, had_store ? "checked" : "created");
	print_path("release key", config->release_key, had_key ? "checked" : "created");
	if (geteuid() != 0 && g_strcmp0(g_get_user_name(), config->milter_user) != 0)
		printf(
		    "note: the daemon runs as %s ([milter] user); as root, airlockctl init gives "
		    "it the store\n",
		    config->milter_user);
	status = CTL_EXIT_OK;
out:
	al_store_close(&store);
	al_config_free(&config);
	return status;
}
