/*
 * store_original.c - where a store is, and reading its originals back.
 *
 * SYNOPSIS
 *	al_store_where_config(config, &where)
 *	store = al_store_open_at(&where, create, &error)
 *	stream = al_store_open_original(store, id, &error)
 *
 * DESCRIPTION
 *	[quarantine] backend chooses the driver: SQLite in dir (store.c,
 *	store_sqlite.c), or PostgreSQL at dsn (store_pg.c), whose schema is
 *	created and migrated like SQLite's. The originals are read from
 *	msg/ID.eml or from the originals table; callers see one stream.
 */
#include "store_private.h"

#include "airlock/config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void al_store_where_config(const struct al_config *config, struct al_store_where *where_r)
{
	*where_r = (struct al_store_where){
	    .backend = g_strcmp0(config->quarantine_backend, "postgresql") == 0
			   ? AL_STORE_POSTGRESQL
			   : AL_STORE_SQLITE,
	    .dir = config->quarantine_dir,
	    .dsn = config->quarantine_dsn,
	    .statement_timeout_ms = config->statement_timeout_seconds * 1000,
	};
}

static struct al_store *open_pg(const struct al_store_where *where, gboolean readonly,
				GError **error)
{
	struct al_store *store = g_new0(struct al_store, 1);

	g_mutex_init(&store->lock);
	if (where->dsn == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "[quarantine] backend = postgresql needs a dsn");
		g_mutex_clear(&store->lock);
		g_free(store);
		return NULL;
	}
	if (al_store_pg_connect(store, where->dsn, where->statement_timeout_ms, readonly, error) <
		0 ||
	    (!readonly && al_store_migrate(store, error) < 0))
		al_store_close(&store);
	return store;
}

struct al_store *al_store_open_at(const struct al_store_where *where, gboolean create,
				  GError **error)
{
	if (where->backend == AL_STORE_POSTGRESQL)
		return open_pg(where, FALSE, error);
	return al_store_open(where->dir, create, error);
}

struct al_store *al_store_open_readonly_at(const struct al_store_where *where, GError **error)
{
	if (where->backend == AL_STORE_POSTGRESQL)
		return open_pg(where, TRUE, error);
	return al_store_open_readonly(where->dir, error);
}

const char *al_store_backend_name(const struct al_store *store)
{
	return store->driver->name;
}

gboolean al_store_reconnects(const struct al_store *store)
{
	return store->driver == &al_store_pg_driver;
}

const char *al_store_describe(const struct al_store *store)
{
	return store->driver == &al_store_sqlite_driver ? store->dir : store->db_path;
}

static GMimeStream *open_file(struct al_store *store, const char *id, GError **error)
{
	g_autofree char *path = al_store_file_path(store, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	GMimeStream *stream;

	if (fd < 0) {
		if (errno == ENOENT) {
			g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND,
				    "the original of %s is no longer in the store", id);
			return NULL;
		}
		al_store_io_error(error, path, "cannot open", errno);
		return NULL;
	}
	stream = g_mime_stream_fs_new(fd);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(stream), TRUE);
	return stream;
}

struct read_job {
	const char *id;
	GBytes *content;
};

static int read_content(struct al_store *store, const void *data, GError **error)
{
	struct read_job *job = (struct read_job *)data;
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error, "SELECT content FROM originals WHERE message_id = ?", "t", job->id);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		job->content = al_store_sql_column_blob(stmt, 0);
	al_store_sql_finalize(stmt);
	if (rc == 0 || (rc > 0 && job->content == NULL)) {
		g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND,
			    "the original of %s is no longer in the store", job->id);
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

GMimeStream *al_store_open_original(struct al_store *store, const char *id, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct read_job job = {.id = canonical};
	GByteArray *array;

	if (al_store_user_id(id, canonical, error) < 0)
		return NULL;
	if (!store->driver->originals_in_db)
		return open_file(store, canonical, error);
	if (al_store_sql_transaction(store, AL_STORE_READ, read_content, &job, error) < 0)
		return NULL;
	array = g_bytes_unref_to_array(job.content);
	return g_mime_stream_mem_new_with_byte_array(array);
}
