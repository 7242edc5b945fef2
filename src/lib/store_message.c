/*
 * store_message.c - reading quarantined messages: one by id (with its
 * items, recipients and audit events) or a filtered list, newest first.
 *
 * DESCRIPTION
 *	Every read runs in one read transaction, so a message is never
 *	seen half-written. The items' details and virus names are kept as
 *	JSON arrays in their rows; SQLite's json_each() splits them here.
 *	Filters are bound values, never SQL text.
 */
#include "store_private.h"

#include <string.h>

/* ---- reading messages ---- */

static void read_message_row(sqlite3_stmt *stmt, struct al_store_message *m)
{
	m->received_at = sqlite3_column_int64(stmt, 0);
	m->queue_id = al_store_sql_column_dup(stmt, 1);
	m->envelope_from = al_store_sql_column_dup(stmt, 2);
	m->header_from = al_store_sql_column_dup(stmt, 3);
	m->subject = al_store_sql_column_dup(stmt, 4);
	m->client_addr = al_store_sql_column_dup(stmt, 5);
	m->client_name = al_store_sql_column_dup(stmt, 6);
	m->helo = al_store_sql_column_dup(stmt, 7);
	m->auth_user = al_store_sql_column_dup(stmt, 8);
	m->origin_known = sqlite3_column_int64(stmt, 9) != 0;
	m->origin_why = al_store_sql_column_dup(stmt, 10);
	m->action = al_store_sql_column_dup(stmt, 11);
	m->reasons = al_store_sql_column_dup(stmt, 12);
	m->size = sqlite3_column_int64(stmt, 13);
	m->sha256 = al_store_sql_column_dup(stmt, 14);
	m->path = al_store_sql_column_dup(stmt, 15);
	m->status = al_store_sql_column_dup(stmt, 16);
}

/* The first column of every row of sql (bound to id) as a
 * NULL-terminated array in strings_r, never NULL on success. */
static int read_strings(struct al_store *store, const char *sql, const char *id, char ***strings_r,
			GError **error)
{
	sqlite3_stmt *stmt = al_store_sql_prepare(store, error, sql, "t", id);
	GPtrArray *strings = g_ptr_array_new();
	int rc;

	if (stmt == NULL) {
		g_ptr_array_free(strings, TRUE);
		return -1;
	}
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(strings, al_store_sql_column_dup(stmt, 0));
	sqlite3_finalize(stmt);
	g_ptr_array_add(strings, NULL);
	*strings_r = (char **)g_ptr_array_free(strings, FALSE);
	return rc;
}

static int read_recipients(struct al_store *store, struct al_store_message *m, GError **error)
{
	if (read_strings(store,
			 "SELECT address FROM recipients WHERE message_id = ? ORDER BY rowid",
			 m->id, &m->recipients, error) < 0)
		return -1;
	return read_strings(store,
			    "SELECT address FROM recipients WHERE message_id = ?"
			    " AND released_at IS NOT NULL ORDER BY rowid",
			    m->id, &m->released_to, error);
}

static void item_free(gpointer data)
{
	struct al_store_item *item = data;

	g_free(item->part);
	g_free(item->filename);
	g_free(item->declared_type);
	g_free(item->detected_type);
	g_free(item->reasons);
	g_strfreev(item->details);
	g_strfreev(item->viruses);
	g_free(item->inner_json);
	g_strfreev(item->inner);
	g_free(item);
}

static void event_free(gpointer data)
{
	struct al_store_event *event = data;

	g_free(event->event);
	g_free(event->who);
	g_free(event->detail);
	g_free(event);
}

/* The strings of a JSON array column of the item at rowid. */
static int read_json_strings(struct al_store *store, const char *column_sql, gint64 rowid,
			     char ***strings_r, GError **error)
{
	g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, rowid);

	return read_strings(store, column_sql, id, strings_r, error);
}

static int read_item_lists(struct al_store *store, struct al_store_item *item, gint64 rowid,
			   GError **error)
{
	if (read_json_strings(store,
			      "SELECT j.value FROM items i, json_each(i.details) j"
			      " WHERE i.rowid = CAST(? AS INTEGER) ORDER BY j.key",
			      rowid, &item->details, error) < 0)
		return -1;
	if (read_json_strings(store,
			      "SELECT j.value FROM items i, json_each(i.viruses) j"
			      " WHERE i.rowid = CAST(? AS INTEGER) ORDER BY j.key",
			      rowid, &item->viruses, error) < 0)
		return -1;
	return read_json_strings(
	    store,
	    "SELECT coalesce(json_extract(j.value, '$.path'), '?') || ' ('"
	    " || coalesce(json_extract(j.value, '$.type'), '?') || ')'"
	    " || coalesce(': ' || (SELECT group_concat(r.value, ', ')"
	    "                     FROM json_each(j.value, '$.reasons') r), '')"
	    " FROM items i, json_each(i.\"inner\") j"
	    " WHERE i.rowid = CAST(? AS INTEGER) ORDER BY j.key",
	    rowid, &item->inner, error);
}

static int read_items(struct al_store *store, struct al_store_message *m, GError **error)
{
	sqlite3_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT rowid, part, filename, declared_type, detected_type, size, reasons,"
	    " quarantined, \"inner\" FROM items WHERE message_id = ? ORDER BY rowid",
	    "t", m->id);
	int rc;

	m->items = g_ptr_array_new_with_free_func(item_free);
	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0) {
		struct al_store_item *item = g_new0(struct al_store_item, 1);

		g_ptr_array_add(m->items, item);
		item->part = al_store_sql_column_dup(stmt, 1);
		item->filename = al_store_sql_column_dup(stmt, 2);
		item->declared_type = al_store_sql_column_dup(stmt, 3);
		item->detected_type = al_store_sql_column_dup(stmt, 4);
		item->size = sqlite3_column_int64(stmt, 5);
		item->reasons = al_store_sql_column_dup(stmt, 6);
		item->quarantined = sqlite3_column_int64(stmt, 7) != 0;
		item->inner_json = al_store_sql_column_dup(stmt, 8);
		if (read_item_lists(store, item, sqlite3_column_int64(stmt, 0), error) < 0) {
			rc = -1;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int read_events(struct al_store *store, struct al_store_message *m, GError **error)
{
	sqlite3_stmt *stmt =
	    al_store_sql_prepare(store, error,
				 "SELECT at, event, who, detail FROM events WHERE message_id = ?"
				 " ORDER BY id",
				 "t", m->id);
	int rc;

	m->events = g_ptr_array_new_with_free_func(event_free);
	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0) {
		struct al_store_event *event = g_new0(struct al_store_event, 1);

		event->at = sqlite3_column_int64(stmt, 0);
		event->event = al_store_sql_column_dup(stmt, 1);
		event->who = al_store_sql_column_dup(stmt, 2);
		event->detail = al_store_sql_column_dup(stmt, 3);
		g_ptr_array_add(m->events, event);
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* The row, recipients and items of m->id (in the caller's transaction). */
static int read_message(struct al_store *store, struct al_store_message *m, GError **error)
{
	sqlite3_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT received_at, queue_id, envelope_from, header_from, subject, client_addr,"
	    " client_name, helo, auth_user, origin_known, origin_why, action, reasons, size,"
	    " sha256, path, status FROM messages WHERE id = ?",
	    "t", m->id);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		read_message_row(stmt, m);
	sqlite3_finalize(stmt);
	if (rc == 0)
		return al_store_not_found(error, m->id);
	if (rc < 0 || read_recipients(store, m, error) < 0)
		return -1;
	return read_items(store, m, error);
}

static int read_full_message(struct al_store *store, const void *data, GError **error)
{
	struct al_store_message *m = (struct al_store_message *)data;

	if (read_message(store, m, error) < 0)
		return -1;
	return read_events(store, m, error);
}

int al_store_get_message(struct al_store *store, const char *id, struct al_store_message *message_r,
			 GError **error)
{
	*message_r = (struct al_store_message){0};
	if (al_store_user_id(id, message_r->id, error) < 0)
		return -1;
	if (al_store_sql_transaction(store, "BEGIN", read_full_message, message_r, error) < 0) {
		al_store_message_clear(message_r);
		return -1;
	}
	return 0;
}

void al_store_message_clear(struct al_store_message *message)
{
	g_free(message->queue_id);
	g_free(message->envelope_from);
	g_free(message->header_from);
	g_free(message->subject);
	g_free(message->client_addr);
	g_free(message->client_name);
	g_free(message->helo);
	g_free(message->auth_user);
	g_free(message->origin_why);
	g_free(message->action);
	g_free(message->reasons);
	g_free(message->sha256);
	g_free(message->path);
	g_free(message->status);
	g_strfreev(message->recipients);
	g_strfreev(message->released_to);
	if (message->items != NULL)
		g_ptr_array_unref(message->items);
	if (message->events != NULL)
		g_ptr_array_unref(message->events);
	*message = (struct al_store_message){0};
}

char *al_store_original_path(struct al_store *store, const char *id)
{
	char canonical[AL_STORE_ID_LEN + 1];

	if (!al_store_parse_id(id, canonical))
		return NULL;
	return al_store_file_path(store, canonical);
}

/* ---- lists ---- */

struct list_job {
	const struct al_store_filter *filter;
	GPtrArray *messages;
};

static void message_free(gpointer data)
{
	al_store_message_clear(data);
	g_free(data);
}

/* LIKE pattern for "contains", with the wildcards of s escaped. */
static char *contains_pattern(const char *s)
{
	GString *out = g_string_new("%");

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '%');
	return g_string_free(out, FALSE);
}

static sqlite3_stmt *prepare_list(struct al_store *store, const struct al_store_filter *f,
				  GError **error)
{
	g_autofree char *from = f->from != NULL ? contains_pattern(f->from) : NULL;
	g_autofree char *rcpt = f->rcpt != NULL ? contains_pattern(f->rcpt) : NULL;

	/* NULL parameters select everything: one constant statement. */
	return al_store_sql_prepare(
	    store, error,
	    "SELECT id FROM messages m WHERE received_at >= ?1"
	    " AND (?2 IS NULL OR ',' || reasons || ',' LIKE '%,' || ?2 || ',%')"
	    " AND (?3 IS NULL OR envelope_from LIKE ?3 ESCAPE '\\'"
	    "      OR header_from LIKE ?3 ESCAPE '\\')"
	    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id"
	    "      AND r.address LIKE ?4 ESCAPE '\\'))"
	    " AND (?5 IS NULL OR status = ?5)"
	    " ORDER BY id DESC LIMIT ?6",
	    "itttti", f->since, f->reason, from, rcpt, f->status,
	    f->limit > 0 ? (gint64)f->limit : (gint64)-1);
}

static int list_messages(struct al_store *store, const void *data, GError **error)
{
	const struct list_job *job = data;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *stmt = prepare_list(store, job->filter, error);
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(ids, al_store_sql_column_dup(stmt, 0));
	sqlite3_finalize(stmt);
	for (guint i = 0; rc == 0 && i < ids->len; i++) {
		struct al_store_message *m = g_new0(struct al_store_message, 1);

		g_strlcpy(m->id, ids->pdata[i], sizeof(m->id));
		g_ptr_array_add(job->messages, m);
		rc = read_message(store, m, error);
	}
	return rc;
}

GPtrArray *al_store_list(struct al_store *store, const struct al_store_filter *filter,
			 GError **error)
{
	struct list_job job = {
	    .filter = filter,
	    .messages = g_ptr_array_new_with_free_func(message_free),
	};

	if (al_store_sql_transaction(store, "BEGIN", list_messages, &job, error) < 0) {
		g_ptr_array_unref(job.messages);
		return NULL;
	}
	return job.messages;
}
