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

static void read_message_row(struct al_store_stmt *stmt, struct al_store_message *m)
{
	m->received_at = al_store_sql_column_int(stmt, 0);
	m->queue_id = al_store_sql_column_dup(stmt, 1);
	m->envelope_from = al_store_sql_column_dup(stmt, 2);
	m->header_from = al_store_sql_column_dup(stmt, 3);
	m->subject = al_store_sql_column_dup(stmt, 4);
	m->client_addr = al_store_sql_column_dup(stmt, 5);
	m->client_name = al_store_sql_column_dup(stmt, 6);
	m->helo = al_store_sql_column_dup(stmt, 7);
	m->auth_user = al_store_sql_column_dup(stmt, 8);
	m->origin_known = al_store_sql_column_int(stmt, 9) != 0;
	m->origin_why = al_store_sql_column_dup(stmt, 10);
	m->action = al_store_sql_column_dup(stmt, 11);
	m->reasons = al_store_parse_reasons(al_store_sql_column_text(stmt, 12));
	m->size = al_store_sql_column_int(stmt, 13);
	m->sha256 = al_store_sql_column_dup(stmt, 14);
	m->path = al_store_sql_column_dup(stmt, 15);
	m->status = (enum al_store_status)MAX(
	    al_store_status_from_name(al_store_sql_column_text(stmt, 16)), 0);
}

/* The first column of every row of sql (bound to id) as a
 * NULL-terminated array in strings_r, never NULL on success. */
static int read_strings(struct al_store *store, const char *sql, const char *id, char ***strings_r,
			GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(store, error, sql, "t", id);
	GPtrArray *strings = g_ptr_array_new();
	int rc;

	if (stmt == NULL) {
		g_ptr_array_free(strings, TRUE);
		return -1;
	}
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(strings, al_store_sql_column_dup(stmt, 0));
	al_store_sql_finalize(stmt);
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
	return read_json_strings(store,
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
	struct al_store_stmt *stmt = al_store_sql_prepare(
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
		item->size = al_store_sql_column_int(stmt, 5);
		item->reasons = al_store_parse_reasons(al_store_sql_column_text(stmt, 6));
		item->quarantined = al_store_sql_column_int(stmt, 7) != 0;
		item->inner_json = al_store_sql_column_dup(stmt, 8);
		if (read_item_lists(store, item, al_store_sql_column_int(stmt, 0), error) < 0) {
			rc = -1;
			break;
		}
	}
	al_store_sql_finalize(stmt);
	return rc;
}

static int read_events(struct al_store *store, struct al_store_message *m, GError **error)
{
	struct al_store_stmt *stmt =
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

		event->at = al_store_sql_column_int(stmt, 0);
		event->event = al_store_sql_column_dup(stmt, 1);
		event->who = al_store_sql_column_dup(stmt, 2);
		event->detail = al_store_sql_column_dup(stmt, 3);
		g_ptr_array_add(m->events, event);
	}
	al_store_sql_finalize(stmt);
	return rc;
}

/* The row, recipients and items of m->id (in the caller's transaction). */
static int read_message(struct al_store *store, struct al_store_message *m, GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
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
	al_store_sql_finalize(stmt);
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
	if (al_store_sql_transaction(store, AL_STORE_READ, read_full_message, message_r, error) < 0) {
		al_store_message_clear(message_r);
		return -1;
	}
	return 0;
}

/* The state of recipient address (any case) for m->id: 1 and state_r,
 * 0 when address is not a recipient, -1 with error. */
static int read_recipient_state(struct al_store *store, const char *id, const char *address,
				enum al_recipient_state *state_r, GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT r.released_at IS NOT NULL, r.dismissed_at IS NOT NULL,"
	    " (SELECT q.state FROM requests q WHERE q.message_id = r.message_id"
	    "  AND q.recipient = r.address ORDER BY q.id DESC LIMIT 1)"
	    " FROM recipients r WHERE r.message_id = ? AND lower(r.address) = lower(?)"
	    " ORDER BY r.rowid LIMIT 1",
	    "tt", id, address);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0) {
		const char *request = al_store_sql_column_text(stmt, 2);

		if (al_store_sql_column_int(stmt, 0) != 0)
			*state_r = AL_RCPT_RELEASED;
		else if (al_store_sql_column_int(stmt, 1) != 0)
			*state_r = AL_RCPT_DISMISSED;
		else if (g_strcmp0(request, "pending") == 0)
			*state_r = AL_RCPT_REQUESTED;
		else if (g_strcmp0(request, "denied") == 0)
			*state_r = AL_RCPT_DENIED;
		else
			*state_r = AL_RCPT_QUARANTINED;
	}
	al_store_sql_finalize(stmt);
	return rc;
}

struct for_job {
	struct al_store_message *message;
	const char *address;
};

static int read_message_for(struct al_store *store, const void *data, GError **error)
{
	const struct for_job *job = data;
	int rc = read_recipient_state(store, job->message->id, job->address,
				      &job->message->recipient_state, error);

	if (rc == 0)
		return al_store_not_found(error, job->message->id);
	if (rc < 0)
		return -1;
	return read_full_message(store, job->message, error);
}

int al_store_get_message_for(struct al_store *store, const char *id, const char *address,
			     struct al_store_message *message_r, GError **error)
{
	struct for_job job = {.message = message_r, .address = address};

	*message_r = (struct al_store_message){0};
	if (al_store_user_id(id, message_r->id, error) < 0)
		return -1;
	if (al_store_sql_transaction(store, AL_STORE_READ, read_message_for, &job, error) < 0) {
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
	g_free(message->sha256);
	g_free(message->path);
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

/* The JSON array of the reason names of set, or NULL for the empty set. */
static char *reasons_json(al_reason_set set)
{
	GString *out;
	const char *sep = "";

	if (set == 0)
		return NULL;
	out = g_string_new("[");
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		if (!(set & AL_REASON_BIT(r)))
			continue;
		g_string_append_printf(out, "%s\"%s\"", sep, al_reason_name((enum al_reason)r));
		sep = ",";
	}
	g_string_append_c(out, ']');
	return g_string_free(out, FALSE);
}

/* The WHERE clause of a filter: ?1 since, ?2 until, ?3 reasons (JSON
 * array), ?4 from, ?5 rcpt, ?6 recipient, ?7 status. Constant text: NULL
 * or 0 parameters select everything. */
#define FILTER_WHERE                                                                               \
	" WHERE (?1 = 0 OR m.received_at >= ?1) AND (?2 = 0 OR m.received_at < ?2)"                \
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(?3) j"                                \
	"      WHERE ',' || m.reasons || ',' LIKE '%,' || j.value || ',%'))"                       \
	" AND (?4 IS NULL OR lower(m.envelope_from) LIKE lower(?4) ESCAPE '\\'"                    \
	"      OR lower(m.header_from) LIKE lower(?4) ESCAPE '\\')"                                \
	" AND (?5 IS NULL OR EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id"         \
	"      AND lower(r.address) LIKE lower(?5) ESCAPE '\\'))"                                  \
	" AND (?6 IS NULL OR EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id"         \
	"      AND lower(r.address) = lower(?6) AND r.dismissed_at IS NULL))"                      \
	" AND (?7 IS NULL OR m.status = ?7)"

/* sql: FILTER_WHERE, and with paged ?8 limit and ?9 offset. */
static struct al_store_stmt *prepare_filter(struct al_store *store, const struct al_store_filter *f,
				    const char *sql, gboolean paged, GError **error)
{
	g_autofree char *reasons = reasons_json(f->reasons);
	g_autofree char *from = f->from != NULL ? contains_pattern(f->from) : NULL;
	g_autofree char *rcpt = f->rcpt != NULL ? contains_pattern(f->rcpt) : NULL;
	const char *status = f->status >= 0 && f->status < AL_STATUS_COUNT
				 ? al_store_status_name((enum al_store_status)f->status)
				 : NULL;

	return al_store_sql_prepare(store, error, sql, paged ? "iitttttii" : "iittttt", f->since,
				    f->until, reasons, from, rcpt, f->recipient, status,
				    f->limit > 0 ? (gint64)f->limit : G_MAXINT64,
				    (gint64)f->offset);
}

static struct al_store_stmt *prepare_list(struct al_store *store, const struct al_store_filter *f,
				  GError **error)
{
	return prepare_filter(store, f,
			      "SELECT m.id FROM messages m" FILTER_WHERE
			      " ORDER BY m.id DESC LIMIT ?8 OFFSET ?9",
			      TRUE, error);
}

static int list_messages(struct al_store *store, const void *data, GError **error)
{
	const struct list_job *job = data;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	struct al_store_stmt *stmt = prepare_list(store, job->filter, error);
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(ids, al_store_sql_column_dup(stmt, 0));
	al_store_sql_finalize(stmt);
	for (guint i = 0; rc == 0 && i < ids->len; i++) {
		struct al_store_message *m = g_new0(struct al_store_message, 1);

		g_strlcpy(m->id, ids->pdata[i], sizeof(m->id));
		g_ptr_array_add(job->messages, m);
		rc = read_message(store, m, error);
		if (rc == 0 && job->filter->recipient != NULL)
			rc = read_recipient_state(store, m->id, job->filter->recipient,
						  &m->recipient_state, error) < 0
				 ? -1
				 : 0;
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

	if (al_store_sql_transaction(store, AL_STORE_READ, list_messages, &job, error) < 0) {
		g_ptr_array_unref(job.messages);
		return NULL;
	}
	return job.messages;
}

struct count_job {
	const struct al_store_filter *filter;
	guint64 *count;
};

static int count_messages(struct al_store *store, const void *data, GError **error)
{
	const struct count_job *job = data;
	struct al_store_stmt *stmt = prepare_filter(
	    store, job->filter, "SELECT count(*) FROM messages m" FILTER_WHERE, FALSE, error);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		*job->count = (guint64)MAX(al_store_sql_column_int(stmt, 0), 0);
	al_store_sql_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

int al_store_count(struct al_store *store, const struct al_store_filter *filter, guint64 *count_r,
		   GError **error)
{
	struct count_job job = {.filter = filter, .count = count_r};

	*count_r = 0;
	return al_store_sql_transaction(store, AL_STORE_READ, count_messages, &job, error);
}
