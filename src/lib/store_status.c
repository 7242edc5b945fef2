/*
 * store_status.c - the store as airlockctl status sees it: opened
 * read-only, a few figures read.
 *
 * SYNOPSIS
 *	store = al_store_open_readonly(dir, &error)
 *	al_store_get_status(store, &status, &error)
 *	al_store_close(&store)
 *
 * DESCRIPTION
 *	A status check must not change what it looks at: no migration (an
 *	older schema is reported, and the daemon migrates it when it next
 *	opens the store), no directory or database created. The checks of
 *	al_store_open() still apply: a store that others can read is
 *	refused, as the daemon would refuse it. SQLite may create the -shm
 *	file of a WAL database to read it; callers run as the store's owner
 *	(see airlockctl), so that file stays the daemon's.
 */
#include "store_private.h"

#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 5000

static int open_readonly(struct al_store *store, GError **error)
{
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

	if (al_store_check_private_dir(store->dir, error) < 0 ||
	    al_store_check_private_dir(store->msg_dir, error) < 0)
		return -1;
	if (!g_file_test(store->db_path, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s does not exist: run airlockctl init",
			    store->db_path);
		return -1;
	}
	store->driver = &al_store_sqlite_driver;
	if (sqlite3_open_v2(store->db_path, &store->db, flags, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		return al_store_db_error(store, error);
	return 0;
}

struct al_store *al_store_open_readonly(const char *dir, GError **error)
{
	struct al_store *store = g_new0(struct al_store, 1);

	g_mutex_init(&store->lock);
	store->dir = g_canonicalize_filename(dir, NULL);
	store->msg_dir = g_build_filename(store->dir, "msg", NULL);
	store->db_path = g_build_filename(store->dir, "airlock.db", NULL);
	if (open_readonly(store, error) < 0)
		al_store_close(&store);
	return store;
}

static int read_figures(struct al_store *store, const void *data, GError **error)
{
	struct al_store_summary *status = (struct al_store_summary *)data;
	gint64 count;

	if (al_store_read_version(store, &status->schema_version, error) < 0)
		return -1;
	if (status->schema_version == 0)
		return 0; /* an empty database: nothing to count */
	if (al_store_sql_query_int(store, &count, error,
				   "SELECT count(*) FROM messages WHERE status = 'quarantined'",
				   "") < 0 ||
	    al_store_sql_query_int(
		store, &status->oldest_quarantined_at, error,
		"SELECT COALESCE(MIN(received_at), 0) FROM messages WHERE status = 'quarantined'",
		"") < 0 ||
	    al_store_sql_query_int(store, &status->oldest_kept_at, error,
				   "SELECT COALESCE(MIN(received_at), 0) FROM messages"
				   " WHERE status IN ('quarantined', 'released')",
				   "") < 0)
		return -1;
	status->quarantined = (guint64)MAX(count, 0);
	if (status->schema_version < 3)
		return 0; /* no requests table yet */
	if (al_store_sql_query_int(store, &count, error,
				   "SELECT count(*) FROM requests WHERE state = 'pending'", "") < 0)
		return -1;
	status->pending_requests = (guint64)MAX(count, 0);
	return 0;
}

int al_store_get_status(struct al_store *store, struct al_store_summary *status_r, GError **error)
{
	*status_r = (struct al_store_summary){0};
	return al_store_sql_transaction(store, AL_STORE_READ, read_figures, status_r, error);
}
