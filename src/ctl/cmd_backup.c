/*
 * cmd_backup.c - airlockctl backup and restore: a consistent copy of
 * the quarantine store while the daemon runs, and its way back.
 *
 *   airlockctl backup [-c FILE] [--with-key] DIR
 *   airlockctl backup [-c FILE] [--with-key] --into PARENT [--keep-days N]
 *   airlockctl restore [-c FILE] DIR
 *
 * backup writes DIR (new or empty; see backup.h for what a backup
 * holds). --into PARENT writes PARENT/airlock-backup-YYYYMMDDTHHMMSSZ,
 * then removes the backups in PARENT older than N days (default
 * [quarantine] retention_days): the retention of the store applies to
 * its copies. The release key only with --with-key.
 *
 * restore verifies DIR and restores it into [quarantine] dir, which must
 * hold no quarantined data (missing, or the empty store airlockctl init
 * makes), and the key to [quarantine] release_key if the backup has one.
 * It refuses while airlock-milter answers on [milter] socket: a daemon
 * that has the store open would keep writing to the database the restore
 * replaces.
 *
 * Run as root, both work as the store's owner ([milter] user for a
 * restore), after root has made the directories they need and given
 * them to that user, as airlockctl init does.
 */
#include "ctl_admin.h"
#include "ctl_probe.h"

#include "airlock/backup.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESTORE_PROBE_TIMEOUT_MS 5000

/* As root: path exists (parents 0755, itself 0700), owned by uid. */
static int make_owned_dir(const char *path, uid_t uid, gid_t gid)
{
	g_autofree char *parent = g_path_get_dirname(path);

	if (geteuid() != 0)
		return 0;
	if (g_mkdir_with_parents(parent, 0755) < 0) {
		ctl_error("cannot create %s: %s", parent, g_strerror(errno));
		return -1;
	}
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return 0;
		ctl_error("cannot create %s: %s", path, g_strerror(errno));
		return -1;
	}
	if (chmod(path, 0700) < 0 || chown(path, uid, gid) < 0) {
		ctl_error("cannot give %s to uid %u: %s", path, (unsigned)uid, g_strerror(errno));
		return -1;
	}
	return 0;
}

/* A backup inside the store would be copied by the next backup. */
static gboolean inside(const char *path, const char *dir)
{
	g_autofree char *p = g_canonicalize_filename(path, NULL);
	g_autofree char *d = g_canonicalize_filename(dir, NULL);
	gsize n = strlen(d);

	return strncmp(p, d, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

/* Loads the config, checks target and, as root, makes it for the store's
 * owner. target is DIR, or PARENT with --into. */
static int prepare_target(const char *config_path, const char *target)
{
	g_autoptr(GError) error = NULL;
	struct al_config *config =
	    al_config_load(config_path ? config_path : al_config_default_path(), FALSE, &error);
	struct stat st;
	int rc = -1;

	if (config == NULL) {
		ctl_error("%s", error->message);
		return -1;
	}
	if (g_strcmp0(config->quarantine_backend, "postgresql") == 0) {
		ctl_error("the store is in PostgreSQL ([quarantine] backend): back it up with "
			  "pg_dump; airlockctl backup copies a SQLite store");
		goto out;
	}
	if (inside(target, config->quarantine_dir)) {
		ctl_error("%s is inside the store %s: back up elsewhere", target,
			  config->quarantine_dir);
		goto out;
	}
	if (geteuid() == 0 && stat(config->quarantine_dir, &st) < 0) {
		ctl_error("cannot access %s: %s", config->quarantine_dir, g_strerror(errno));
		goto out;
	}
	rc = geteuid() == 0 ? make_owned_dir(target, st.st_uid, st.st_gid) : 0;
out:
	al_config_free(&config);
	return rc;
}

static void print_summary(const char *dir, const struct al_backup_summary *s)
{
	printf("backup %s: %u original%s, %" G_GINT64_FORMAT " bytes, schema %" G_GINT64_FORMAT
	       ", release key %s\n",
	       dir, s->originals, s->originals == 1 ? "" : "s", s->bytes, s->schema_version,
	       s->with_key ? "included" : "not included");
	if (s->gone > 0)
		printf("note: %u original%s removed from the store during the backup: marked "
		       "purged in the backup\n",
		       s->gone, s->gone == 1 ? " was" : "s were");
}

struct backup_options {
	char *config_path;
	char *into;
	gboolean with_key;
	gint keep_days;
	char **dirs;
};

static int run_backup(const struct backup_options *o)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *name = NULL;
	g_autofree char *dir = NULL;
	struct ctl_admin admin = {0};
	struct al_backup_summary summary;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	guint days, pruned = 0;
	int status = CTL_EXIT_FAILURE;

	if (o->into != NULL) {
		name = al_backup_name(now);
		dir = g_build_filename(o->into, name, NULL);
	} else {
		dir = g_strdup(o->dirs[0]);
	}
	if (prepare_target(o->config_path, o->into != NULL ? o->into : dir) < 0 ||
	    ctl_admin_open(o->config_path, &admin) < 0)
		goto out;
	if (al_backup_create(admin.store, dir, o->with_key ? admin.config->release_key : NULL,
			     admin.who, &summary, &error) < 0) {
		ctl_error("backup failed: %s", error->message);
		goto out;
	}
	print_summary(dir, &summary);
	if (o->into != NULL) {
		days = o->keep_days >= 0 ? (guint)o->keep_days : admin.config->retention_days;
		if (al_backup_prune(o->into, now - (gint64)days * 86400, name, &pruned, &error) < 0) {
			ctl_error("pruning old backups failed: %s", error->message);
			goto out;
		}
		printf("removed %u backup%s older than %u days from %s\n", pruned,
		       pruned == 1 ? "" : "s", days, o->into);
	}
	status = CTL_EXIT_OK;
out:
	ctl_admin_close(&admin);
	return status;
}

int ctl_backup(int argc, char **argv)
{
	struct backup_options o = {.keep_days = -1};
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_path, "configuration file", "FILE"},
	    {"with-key", 0, 0, G_OPTION_ARG_NONE, &o.with_key,
	     "include the release key (whoever holds the backup can then sign releases)", NULL},
	    {"into", 0, 0, G_OPTION_ARG_FILENAME, &o.into,
	     "write PARENT/airlock-backup-TIME and prune the old ones", "PARENT"},
	    {"keep-days", 0, 0, G_OPTION_ARG_INT, &o.keep_days,
	     "with --into: keep backups this many days (default: retention_days)", "N"},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.dirs, NULL, "DIR"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("DIR | --into PARENT - back up the quarantine store");
	int status = CTL_EXIT_USAGE;
	guint ndirs;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "backup", &argc, &argv, FALSE))
		goto out;
	ndirs = o.dirs != NULL ? g_strv_length(o.dirs) : 0;
	if ((o.into != NULL) == (ndirs == 1) || ndirs > 1) {
		ctl_error("backup: give one DIR, or --into PARENT");
		goto out;
	}
	if (o.keep_days >= 0 && o.into == NULL) {
		ctl_error("backup: --keep-days goes with --into");
		goto out;
	}
	status = run_backup(&o);
out:
	g_free(o.config_path);
	g_free(o.into);
	g_strfreev(o.dirs);
	return status;
}

/* ---- restore ---- */

/* As root: the store directory for [milter] user, then become it. */
static int become_store_user(const struct al_config *config)
{
	struct passwd *user;

	if (geteuid() != 0)
		return 0;
	user = getpwnam(config->milter_user);
	if (user == NULL) {
		ctl_error("the daemon's user %s ([milter] user in %s) does not exist",
			  config->milter_user, config->path);
		return -1;
	}
	if (make_owned_dir(config->quarantine_dir, user->pw_uid, user->pw_gid) < 0)
		return -1;
	return ctl_become(user->pw_uid, user->pw_gid, config->quarantine_dir);
}

/* A negotiation that succeeds: the daemon runs. A daemon that does not
 * answer (stopped, or a stale socket file) lets the restore go on. */
static int refuse_running_daemon(const struct al_config *config)
{
	g_autoptr(GError) error = NULL;
	guint32 version = 0;

	if (ctl_milter_probe(config->milter_socket, RESTORE_PROBE_TIMEOUT_MS, &version, &error) < 0)
		return 0;
	ctl_error("restore refused: airlock-milter is running on %s: stop it first",
		  config->milter_socket);
	return -1;
}

static int restore(const struct al_config *config, const char *dir)
{
	g_autoptr(GError) error = NULL;
	struct al_backup_summary s;
	struct al_store *store;

	if (g_strcmp0(config->quarantine_backend, "postgresql") == 0) {
		ctl_error("restore refused: the store is in PostgreSQL ([quarantine] backend): "
			  "restore it with pg_restore; a SQLite backup is restored with backend = "
			  "sqlite, then copied with airlockctl migrate --to postgresql");
		return -1;
	}
	/* Refused before anything is made, even the store directory. */
	if (al_backup_verify(dir, &s, &error) < 0) {
		ctl_error("restore refused: %s", error->message);
		return -1;
	}
	if (refuse_running_daemon(config) < 0 || become_store_user(config) < 0)
		return -1;
	if (al_backup_restore(dir, config->quarantine_dir, config->release_key, &s, &error) < 0) {
		ctl_error("restore refused: %s", error->message);
		return -1;
	}
	/* Applies the migrations a backup from an older airlock needs. */
	store = al_store_open(config->quarantine_dir, FALSE, &error);
	if (store == NULL) {
		ctl_error("restored, but the store does not open: %s", error->message);
		return -1;
	}
	al_store_close(&store);
	printf("restored %s (taken %s): %u original%s, schema %" G_GINT64_FORMAT " into %s\n", dir,
	       s.created, s.originals, s.originals == 1 ? "" : "s", s.schema_version,
	       config->quarantine_dir);
	if (!s.with_key && !g_file_test(config->release_key, G_FILE_TEST_EXISTS))
		printf("note: the backup holds no release key: airlockctl init creates a new one\n");
	return 0;
}

int ctl_restore(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	g_auto(GStrv) dirs = NULL;
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE"},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, NULL, "DIR"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("DIR - verify a backup and restore it into an empty store");
	g_autoptr(GError) error = NULL;
	struct al_config *config;
	int status;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "restore", &argc, &argv, FALSE))
		return CTL_EXIT_USAGE;
	if (dirs == NULL || g_strv_length(dirs) != 1) {
		ctl_error("restore: give one backup directory");
		return CTL_EXIT_USAGE;
	}
	config =
	    al_config_load(config_path ? config_path : al_config_default_path(), FALSE, &error);
	if (config == NULL) {
		ctl_error("%s", error->message);
		return CTL_EXIT_FAILURE;
	}
	status = restore(config, dirs[0]) < 0 ? CTL_EXIT_FAILURE : CTL_EXIT_OK;
	al_config_free(&config);
	return status;
}
