/*
 * cmd_migrate.c - airlockctl migrate --to postgresql: the SQLite store
 * of [quarantine] dir copied into an empty PostgreSQL store.
 *
 * DESCRIPTION
 *	The target is --dsn or [quarantine] dsn; its schema is created.
 *	Every row (audit trail included) and every original still kept go
 *	over in one transaction, verified by counts and SHA-256 (see
 *	al_store_copy()). A target that holds anything is refused. Stop
 *	airlock-milter and airlock-web first; afterwards set [quarantine]
 *	backend = postgresql and start them. The SQLite store is left as
 *	it was.
 */
#include "ctl.h"
#include "ctl_admin.h"

#include "airlock/config.h"
#include "airlock/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct migrate_options {
	char *config_path;
	char *to;
	char *dsn;
};

/* As root: the store directory's owner reads the SQLite store. */
static int become_owner(const char *dir)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(dir, &st) < 0) {
		ctl_error("cannot access %s: %s", dir, g_strerror(errno));
		return -1;
	}
	return ctl_become(st.st_uid, st.st_gid, dir);
}

static void print_copied(const struct al_store_copied *c, const char *where)
{
	const struct al_store_rows *r = &c->rows;

	printf("copied into %s:\n", where);
	printf("  %" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT
	       " originals (SHA-256 verified), %" G_GINT64_FORMAT " recipients, %" G_GINT64_FORMAT
	       " items, %" G_GINT64_FORMAT " events\n",
	       r->messages, c->originals, r->recipients, r->items, r->events);
	printf("  %" G_GINT64_FORMAT " correspondents, %" G_GINT64_FORMAT
	       " daily counters, %" G_GINT64_FORMAT " release tokens, %" G_GINT64_FORMAT
	       " requests, %" G_GINT64_FORMAT " admins, %" G_GINT64_FORMAT " digests\n",
	       r->correspondents, r->daily_counters, r->release_tokens, r->requests, r->admins,
	       r->digests);
	printf("now set [quarantine] backend = postgresql and start airlock-milter\n");
}

static int run_migrate(const struct migrate_options *o)
{
	g_autoptr(GError) error = NULL;
	struct al_config *config = al_config_load(
	    o->config_path ? o->config_path : al_config_default_path(), FALSE, &error);
	struct al_store_where where = {.backend = AL_STORE_POSTGRESQL};
	struct al_store *from = NULL, *to = NULL;
	struct al_store_copied copied;
	int status = CTL_EXIT_FAILURE;

	if (config == NULL) {
		ctl_error("%s", error->message);
		return CTL_EXIT_FAILURE;
	}
	where.dsn = o->dsn != NULL ? o->dsn : config->quarantine_dsn;
	if (where.dsn == NULL) {
		ctl_error("migrate: give --dsn or set [quarantine] dsn");
		goto out;
	}
	if (become_owner(config->quarantine_dir) < 0)
		goto out;
	from = al_store_open(config->quarantine_dir, FALSE, &error);
	if (from == NULL) {
		ctl_error("migrate: the SQLite store: %s", error->message);
		goto out;
	}
	to = al_store_open_at(&where, FALSE, &error);
	if (to == NULL || al_store_copy(from, to, &copied, &error) < 0) {
		ctl_error("migrate: nothing copied: %s", error->message);
		goto out;
	}
	print_copied(&copied, al_store_describe(to));
	status = CTL_EXIT_OK;
out:
	al_store_close(&to);
	al_store_close(&from);
	al_config_free(&config);
	return status;
}

int ctl_migrate(int argc, char **argv)
{
	struct migrate_options o = {0};
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_path, "configuration file", "FILE"},
	    {"to", 0, 0, G_OPTION_ARG_STRING, &o.to, "the target backend: postgresql", "BACKEND"},
	    {"dsn", 0, 0, G_OPTION_ARG_STRING, &o.dsn,
	     "libpq connection string of the target (default: [quarantine] dsn)", "DSN"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("--to postgresql - copy the SQLite store into PostgreSQL");
	int status = CTL_EXIT_USAGE;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "migrate", &argc, &argv, FALSE))
		goto out;
	if (argc > 1 || g_strcmp0(o.to, "postgresql") != 0) {
		ctl_error("migrate: usage: airlockctl migrate --to postgresql [--dsn DSN]");
		goto out;
	}
	status = run_migrate(&o);
out:
	g_free(o.config_path);
	g_free(o.to);
	g_free(o.dsn);
	return status;
}
