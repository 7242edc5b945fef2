/*
 * store_message.c - reading and changing one quarantined message: its
 * row and recipients, its status, its audit events.
 *
 * DESCRIPTION
 *	A status change is one UPDATE guarded by the expected status plus
 *	its audit event, in one BEGIN IMMEDIATE transaction: of two admins
 *	releasing the same message at once, one succeeds and the other is
 *	told it is already released.
 */
#include "store_private.h"

#include <string.h>

/* ---- events and status ---- */

static int require_message(struct al_store *store, const char *id, GError **error)
{
	gint64 one;
	int rc = al_store_sql_query_int(store, &one, error, "SELECT 1 FROM messages WHERE id = ?",
	                                "t", id);

	if (rc == 0)
		return al_store_not_found(error, id);
	return rc < 0 ? -1 : 0;
}

struct event_job {
	const char *id;
	const char *expected_status; /* NULL: any */
	const char *new_status;
	const char *event;
	const char *who;
	const char *detail;
};

static int record_event(struct al_store *store, const void *data, GError **error)
{
	const struct event_job *job = data;

	if (require_message(store, job->id, error) < 0)
		return -1;
	return al_store_insert_event(store, job->id, job->event, job->who, job->detail, error);
}

int al_store_add_event(struct al_store *store, const char *id, const char *event, const char *who,
                       const char *detail, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct event_job job = {
	    .id = canonical,
	    .event = event,
	    .who = who,
	    .detail = detail,
	};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, "BEGIN IMMEDIATE", record_event, &job, error);
}

/* Why no row changed: no such message, or not in the expected status. */
static int status_conflict(struct al_store *store, const struct event_job *job, GError **error)
{
	sqlite3_stmt *stmt = al_store_sql_prepare(
	    store, error, "SELECT status FROM messages WHERE id = ?", "t", job->id);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc == 0) {
		al_store_not_found(error, job->id);
	} else if (rc > 0) {
		const char *current = (const char *)sqlite3_column_text(stmt, 0);

		if (g_strcmp0(current, "quarantined") == 0)
			g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE,
			            "%s is quarantined, not %s", job->id, job->expected_status);
		else
			g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE, "%s is already %s",
			            job->id, current);
	}
	sqlite3_finalize(stmt);
	return -1;
}

static int change_status(struct al_store *store, const void *data, GError **error)
{
	const struct event_job *job = data;

	if (al_store_sql_run(store, error,
	                     "UPDATE messages SET status = ? WHERE id = ? AND status = ?", "ttt",
	                     job->new_status, job->id, job->expected_status) < 0)
		return -1;
	if (sqlite3_changes(store->db) == 0)
		return status_conflict(store, job, error);
	return al_store_insert_event(store, job->id, job->event, job->who, job->detail, error);
}

int al_store_set_status(struct al_store *store, const char *id, const char *expected_status,
                        const char *new_status, const char *who, const char *event,
                        const char *detail, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct event_job job = {
	    .id = canonical,
	    .expected_status = expected_status,
	    .new_status = new_status,
	    .event = event,
	    .who = who,
	    .detail = detail,
	};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, "BEGIN IMMEDIATE", change_status, &job, error);
}

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

static int read_recipients(struct al_store *store, struct al_store_message *m, GError **error)
{
	sqlite3_stmt *stmt =
	    al_store_sql_prepare(store, error,
	                         "SELECT address FROM recipients WHERE message_id = ?"
	                         " ORDER BY rowid",
	                         "t", m->id);
	GPtrArray *addresses = g_ptr_array_new();
	int rc;

	if (stmt == NULL) {
		g_ptr_array_free(addresses, TRUE);
		return -1;
	}
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(addresses, al_store_sql_column_dup(stmt, 0));
	sqlite3_finalize(stmt);
	g_ptr_array_add(addresses, NULL);
	m->recipients = (char **)g_ptr_array_free(addresses, FALSE);
	return rc;
}

static int read_message(struct al_store *store, const void *data, GError **error)
{
	struct al_store_message *m = (struct al_store_message *)data;
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
	if (rc < 0)
		return -1;
	return read_recipients(store, m, error);
}

int al_store_get_message(struct al_store *store, const char *id, struct al_store_message *message_r,
                         GError **error)
{
	*message_r = (struct al_store_message){0};
	if (al_store_user_id(id, message_r->id, error) < 0)
		return -1;
	if (al_store_sql_transaction(store, "BEGIN", read_message, message_r, error) < 0) {
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
	*message = (struct al_store_message){0};
}

char *al_store_original_path(struct al_store *store, const char *id)
{
	char canonical[AL_STORE_ID_LEN + 1];

	if (!al_store_parse_id(id, canonical))
		return NULL;
	return al_store_file_path(store, canonical);
}
