/*
 * store_migrate.c - copies a store into another, empty one (airlockctl
 * migrate --to postgresql).
 *
 * SYNOPSIS
 *	al_store_copy(from, to, &copied, &error)
 *
 * DESCRIPTION
 *	Both stores are open and migrated to this build's schema. The
 *	target must hold no row at all (refused otherwise: nothing is
 *	merged). Every table is copied row by row with its ids (the events'
 *	and requests' ids, the insertion order of recipients and items),
 *	then every original still kept (status quarantined or released),
 *	each checked against its row's SHA-256 before it is written, all
 *	in one write transaction of the target: a failed copy leaves it
 *	empty. Before the commit the target's rows are counted table by
 *	table and must equal the source's, and every original is read back
 *	from the target and hashed again.
 *
 *	Values travel as text and the INSERTs cast the integer columns, so
 *	one SQL text serves both engines.
 */
#include "store_private.h"

#include <string.h>

#define MAX_COLUMNS 18

struct copied_table {
	const char *name;
	gsize offset; /* in struct al_store_rows */
	int columns;
	const char *select_sql;
	const char *insert_sql;
	const char *count_sql;
};

#define ROWS(field) G_STRUCT_OFFSET(struct al_store_rows, field)
#define I	    "CAST(? AS BIGINT)"

/* In the order foreign keys need: messages first. */
static const struct copied_table tables[] = {
    {.name = "messages",
     .offset = ROWS(messages),
     .columns = 18,
     .select_sql = "SELECT id, received_at, queue_id, envelope_from, header_from, subject,"
		   " client_addr, client_name, helo, auth_user, origin_known, origin_why, action,"
		   " reasons, size, sha256, path, status FROM messages ORDER BY id",
     .insert_sql = "INSERT INTO messages (id, received_at, queue_id, envelope_from, header_from,"
		   " subject, client_addr, client_name, helo, auth_user, origin_known,"
		   " origin_why, action, reasons, size, sha256, path, status)"
		   " VALUES (?, " I ", ?, ?, ?, ?, ?, ?, ?, ?, " I ", ?, ?, ?, " I ", ?, ?, ?)",
     .count_sql = "SELECT count(*) FROM messages"},
    {.name = "recipients",
     .offset = ROWS(recipients),
     .columns = 5,
     .select_sql = "SELECT rowid, message_id, address, released_at, dismissed_at"
		   " FROM recipients ORDER BY rowid",
     .insert_sql = "INSERT INTO recipients (rowid, message_id, address, released_at,"
		   " dismissed_at) VALUES (" I ", ?, ?, " I ", " I ")",
     .count_sql = "SELECT count(*) FROM recipients"},
    {.name = "items",
     .offset = ROWS(items),
     .columns = 12,
     .select_sql = "SELECT rowid, message_id, part, filename, declared_type, detected_type,"
		   " size, reasons, details, viruses, \"inner\", quarantined FROM items"
		   " ORDER BY rowid",
     .insert_sql = "INSERT INTO items (rowid, message_id, part, filename, declared_type,"
		   " detected_type, size, reasons, details, viruses, \"inner\", quarantined)"
		   " VALUES (" I ", ?, ?, ?, ?, ?, " I ", ?, ?, ?, ?, " I ")",
     .count_sql = "SELECT count(*) FROM items"},
    {.name = "events",
     .offset = ROWS(events),
     .columns = 6,
     .select_sql = "SELECT id, message_id, at, event, who, detail FROM events ORDER BY id",
     .insert_sql = "INSERT INTO events (id, message_id, at, event, who, detail)"
		   " VALUES (" I ", ?, " I ", ?, ?, ?)",
     .count_sql = "SELECT count(*) FROM events"},
    {.name = "correspondents",
     .offset = ROWS(correspondents),
     .columns = 4,
     .select_sql = "SELECT address, first_seen, last_seen, count FROM correspondents"
		   " ORDER BY address",
     .insert_sql = "INSERT INTO correspondents (address, first_seen, last_seen, count)"
		   " VALUES (?, " I ", " I ", " I ")",
     .count_sql = "SELECT count(*) FROM correspondents"},
    {.name = "daily_counters",
     .offset = ROWS(daily_counters),
     .columns = 4,
     .select_sql = "SELECT day, kind, key, count FROM daily_counters ORDER BY day, kind, key",
     .insert_sql = "INSERT INTO daily_counters (day, kind, key, count) VALUES (?, ?, ?, " I ")",
     .count_sql = "SELECT count(*) FROM daily_counters"},
    {.name = "release_tokens",
     .offset = ROWS(release_tokens),
     .columns = 3,
     .select_sql = "SELECT token, message_id, used_at FROM release_tokens ORDER BY token",
     .insert_sql = "INSERT INTO release_tokens (token, message_id, used_at)"
		   " VALUES (?, ?, " I ")",
     .count_sql = "SELECT count(*) FROM release_tokens"},
    {.name = "requests",
     .offset = ROWS(requests),
     .columns = 9,
     .select_sql = "SELECT id, message_id, recipient, requested_at, note, state, decided_at,"
		   " decided_by, why FROM requests ORDER BY id",
     .insert_sql = "INSERT INTO requests (id, message_id, recipient, requested_at, note, state,"
		   " decided_at, decided_by, why)"
		   " VALUES (" I ", ?, ?, " I ", ?, ?, " I ", ?, ?)",
     .count_sql = "SELECT count(*) FROM requests"},
    {.name = "admins",
     .offset = ROWS(admins),
     .columns = 3,
     .select_sql = "SELECT name, hash, updated_at FROM admins ORDER BY name",
     .insert_sql = "INSERT INTO admins (name, hash, updated_at) VALUES (?, ?, " I ")",
     .count_sql = "SELECT count(*) FROM admins"},
    {.name = "digests",
     .offset = ROWS(digests),
     .columns = 2,
     .select_sql = "SELECT address, sent_at FROM digests ORDER BY address",
     .insert_sql = "INSERT INTO digests (address, sent_at) VALUES (?, " I ")",
     .count_sql = "SELECT count(*) FROM digests"},
};

G_STATIC_ASSERT(AL_STORE_SCHEMA_VERSION == 3); /* a new table or column is copied here too */

struct copy_job {
	struct al_store *from;
	const struct al_store_rows *source;
	struct al_store_copied *copied;
};

/* Counts every table of store (under the caller's lock or transaction). */
static int count_all(struct al_store *store, struct al_store_rows *rows, GError **error)
{
	*rows = (struct al_store_rows){0};
	for (gsize i = 0; i < G_N_ELEMENTS(tables); i++)
		if (al_store_sql_query_int(store, G_STRUCT_MEMBER_P(rows, tables[i].offset), error,
					   tables[i].count_sql, "") < 0)
			return -1;
	return 0;
}

static int copy_table(struct al_store *from, struct al_store *to, const struct copied_table *t,
		      GError **error)
{
	char types[MAX_COLUMNS + 1] = {0};
	struct al_store_stmt *stmt;
	int rc;

	memset(types, 't', (gsize)t->columns);
	g_mutex_lock(&from->lock);
	stmt = al_store_sql_prepare(from, error, t->select_sql, "");
	while (stmt != NULL && (rc = al_store_sql_step(from, stmt, error)) > 0) {
		const char *v[MAX_COLUMNS] = {NULL};

		for (int c = 0; c < t->columns; c++)
			v[c] = al_store_sql_column_text(stmt, c);
		/* Fewer columns than arguments: the rest are not read. */
		if (al_store_sql_run(to, error, t->insert_sql, types, v[0], v[1], v[2], v[3], v[4],
				     v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
				     v[14], v[15], v[16], v[17]) < 0) {
			rc = -1;
			break;
		}
	}
	if (stmt == NULL)
		rc = -1;
	al_store_sql_finalize(stmt);
	g_mutex_unlock(&from->lock);
	return rc < 0 ? -1 : 0;
}

static GBytes *read_all(GMimeStream *stream, GError **error, const char *id)
{
	GByteArray *bytes = g_byte_array_new();
	char buffer[65536];
	gssize n;

	while ((n = g_mime_stream_read(stream, buffer, sizeof(buffer))) > 0)
		g_byte_array_append(bytes, (const guint8 *)buffer, (guint)n);
	if (n < 0) {
		g_byte_array_unref(bytes);
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: reading the original failed", id);
		return NULL;
	}
	return g_byte_array_free_to_bytes(bytes);
}

static gboolean same_hash(GBytes *bytes, const char *sha256)
{
	g_autofree char *sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, bytes);

	return g_strcmp0(sum, sha256) == 0;
}

/* One original: read from the source, checked, written. */
static int copy_original(struct al_store *from, struct al_store *to, const char *id,
			 const char *sha256, GError **error)
{
	GMimeStream *stream = al_store_open_original(from, id, error);
	g_autoptr(GBytes) bytes = NULL;

	if (stream == NULL)
		return -1;
	bytes = read_all(stream, error, id);
	g_object_unref(stream);
	if (bytes == NULL)
		return -1;
	if (!same_hash(bytes, sha256)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "%s: the original does not match its SHA-256 %s: not copied", id, sha256);
		return -1;
	}
	return al_store_sql_run(to, error, "INSERT INTO originals (message_id, content) VALUES (?, ?)",
				"tb", id, bytes);
}

/* The kept messages of from: ids and hashes (the lock is not held while
 * their originals are read: al_store_open_original() takes it). */
static int kept_messages(struct al_store *from, GPtrArray *ids, GPtrArray *sums, GError **error)
{
	struct al_store_stmt *stmt;
	int rc = -1;

	g_mutex_lock(&from->lock);
	stmt = al_store_sql_prepare(from, error,
				    "SELECT id, sha256 FROM messages"
				    " WHERE status IN ('quarantined', 'released') ORDER BY id",
				    "");
	while (stmt != NULL && (rc = al_store_sql_step(from, stmt, error)) > 0) {
		g_ptr_array_add(ids, al_store_sql_column_dup(stmt, 0));
		g_ptr_array_add(sums, al_store_sql_column_dup(stmt, 1));
	}
	al_store_sql_finalize(stmt);
	g_mutex_unlock(&from->lock);
	return rc < 0 ? -1 : 0;
}

/* Every original in the target, read back and hashed again. */
static int verify_originals(struct al_store *to, gint64 expected, GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    to, error,
	    "SELECT o.message_id, o.content, m.sha256 FROM originals o"
	    " JOIN messages m ON m.id = o.message_id ORDER BY o.message_id",
	    "");
	gint64 seen = 0;
	int rc = -1;

	while (stmt != NULL && (rc = al_store_sql_step(to, stmt, error)) > 0) {
		g_autoptr(GBytes) bytes = al_store_sql_column_blob(stmt, 1);

		if (bytes == NULL || !same_hash(bytes, al_store_sql_column_text(stmt, 2))) {
			g_set_error(error, AL_ERROR, AL_ERROR_IO,
				    "%s: the copied original does not match its SHA-256",
				    al_store_sql_column_text(stmt, 0));
			rc = -1;
			break;
		}
		seen++;
	}
	al_store_sql_finalize(stmt);
	if (rc == 0 && seen != expected) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "%" G_GINT64_FORMAT " originals copied, %" G_GINT64_FORMAT " read back",
			    expected, seen);
		rc = -1;
	}
	return rc < 0 ? -1 : 0;
}

static int copy_originals(struct al_store *from, struct al_store *to,
			  struct al_store_copied *copied, GError **error)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) sums = g_ptr_array_new_with_free_func(g_free);

	if (kept_messages(from, ids, sums, error) < 0)
		return -1;
	for (guint i = 0; i < ids->len; i++)
		if (copy_original(from, to, ids->pdata[i], sums->pdata[i], error) < 0)
			return -1;
	copied->originals = ids->len;
	return verify_originals(to, copied->originals, error);
}

static int compare_counts(struct al_store *to, const struct al_store_rows *expected,
			  GError **error)
{
	struct al_store_rows got;

	if (count_all(to, &got, error) < 0)
		return -1;
	for (gsize i = 0; i < G_N_ELEMENTS(tables); i++) {
		gint64 want = G_STRUCT_MEMBER(gint64, expected, tables[i].offset);
		gint64 have = G_STRUCT_MEMBER(gint64, &got, tables[i].offset);

		if (want != have) {
			g_set_error(error, AL_ERROR, AL_ERROR_IO,
				    "table %s: %" G_GINT64_FORMAT " rows in the source, %" G_GINT64_FORMAT
				    " copied",
				    tables[i].name, want, have);
			return -1;
		}
	}
	return 0;
}

static int refuse_non_empty(struct al_store *to, GError **error)
{
	struct al_store_rows rows;
	gboolean has_originals = FALSE;
	gint64 originals = 0;

	if (count_all(to, &rows, error) < 0 ||
	    (to->driver->originals_in_db &&
	     al_store_sql_query_int(to, &originals, error, "SELECT count(*) FROM originals", "") <
		 0))
		return -1;
	has_originals = originals > 0;
	if (al_store_rows_empty(&rows) && !has_originals)
		return 0;
	g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
		    "%s is not empty (%" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT
		    " events): nothing copied",
		    to->db_path, rows.messages, rows.events);
	return -1;
}

static int copy_all(struct al_store *to, const void *data, GError **error)
{
	const struct copy_job *job = data;

	*job->copied = (struct al_store_copied){0};
	if (refuse_non_empty(to, error) < 0)
		return -1;
	for (gsize i = 0; i < G_N_ELEMENTS(tables); i++)
		if (copy_table(job->from, to, &tables[i], error) < 0)
			return -1;
	if (to->driver->originals_in_db && copy_originals(job->from, to, job->copied, error) < 0)
		return -1;
	if (to->driver->after_copy != NULL && al_store_sql_exec(to, to->driver->after_copy, error) < 0)
		return -1;
	return compare_counts(to, job->source, error);
}

int al_store_copy(struct al_store *from, struct al_store *to, struct al_store_copied *copied_r,
		  GError **error)
{
	struct al_store_rows source;
	struct copy_job job = {.from = from, .source = &source, .copied = copied_r};
	int rc;

	if (!to->driver->originals_in_db) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "the target must keep the originals in its database (PostgreSQL)");
		return -1;
	}
	g_mutex_lock(&from->lock);
	rc = count_all(from, &source, error);
	g_mutex_unlock(&from->lock);
	if (rc < 0)
		return -1;
	rc = al_store_sql_transaction(to, AL_STORE_WRITE, copy_all, &job, error);
	if (rc == 0)
		copied_r->rows = source; /* verified equal before the commit */
	return rc;
}
