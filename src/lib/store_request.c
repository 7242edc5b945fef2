/*
 * store_request.c - what recipients and the web admin leave in the store:
 * release requests and their decision, "delete for me", airlock-web
 * admin accounts, and when each address was last sent a digest.
 *
 * DESCRIPTION
 *	Each change is one BEGIN IMMEDIATE transaction with its audit
 *	event. A request names the recipient as stored (the message's own
 *	spelling of the address), found case-insensitively; the unique
 *	partial index requests_pending keeps one pending request per
 *	message and recipient even across processes. Who may do what is
 *	workflow.h's business: these functions only check what the rows
 *	say (the message is quarantined, the address is its recipient).
 */
#include "store_private.h"

#include <stdarg.h>
#include <string.h>

static gint64 now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

static int state_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int state_error(GError **error, const char *fmt, ...)
{
	va_list args;
	g_autofree char *text = NULL;

	va_start(args, fmt);
	text = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_set_error_literal(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE, text);
	return -1;
}

/* The recipient row of address (any case) for message id: its stored
 * spelling (transfer full), whether released and dismissed, and the
 * message's status. NOT_FOUND when there is no such message or address
 * is not one of its recipients. */
struct recipient_row {
	char *address;
	gboolean released;
	gboolean dismissed;
	char *status;
};

static void recipient_row_clear(struct recipient_row *row)
{
	g_free(row->address);
	g_free(row->status);
}

static int read_recipient_row(struct al_store *store, const char *id, const char *address,
			      struct recipient_row *row, GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT r.address, r.released_at IS NOT NULL, r.dismissed_at IS NOT NULL, m.status"
	    " FROM recipients r JOIN messages m ON m.id = r.message_id"
	    " WHERE r.message_id = ? AND lower(r.address) = lower(?) ORDER BY r.rowid LIMIT 1",
	    "tt", id, address);
	int rc;

	*row = (struct recipient_row){0};
	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0) {
		row->address = al_store_sql_column_dup(stmt, 0);
		row->released = al_store_sql_column_int(stmt, 1) != 0;
		row->dismissed = al_store_sql_column_int(stmt, 2) != 0;
		row->status = al_store_sql_column_dup(stmt, 3);
	}
	al_store_sql_finalize(stmt);
	if (rc == 0)
		return al_store_not_found(error, id);
	return rc < 0 ? -1 : 0;
}

/* ---- requests ---- */

struct request_job {
	const char *id;
	const char *recipient;
	const char *note;
	const char *who;
	gboolean approved;
	const char *why;
};

static int pending_count(struct al_store *store, const char *id, const char *address,
			 gint64 *count_r, GError **error)
{
	return al_store_sql_query_int(store, count_r, error,
				      "SELECT count(*) FROM requests WHERE message_id = ?"
				      " AND recipient = ? AND state = 'pending'",
				      "tt", id, address) < 0
		   ? -1
		   : 0;
}

static int add_request(struct al_store *store, const void *data, GError **error)
{
	const struct request_job *job = data;
	struct recipient_row row;
	gint64 pending;
	int rc = -1;

	if (read_recipient_row(store, job->id, job->recipient, &row, error) < 0)
		return -1;
	if (strcmp(row.status, "quarantined") != 0)
		state_error(error, "%s is already %s", job->id, row.status);
	else if (row.released)
		state_error(error, "%s was already released to %s", job->id, row.address);
	else if (pending_count(store, job->id, row.address, &pending, error) < 0)
		;
	else if (pending > 0)
		state_error(error, "the release of %s to %s was already requested", job->id,
			    row.address);
	else if (al_store_sql_run(store, error,
				  "INSERT INTO requests (message_id, recipient, requested_at, note,"
				  " state) VALUES (?, ?, ?, ?, 'pending')",
				  "ttit", job->id, row.address, now_seconds(), job->note) == 0)
		rc = al_store_insert_event(store, job->id, "release-requested", job->who, job->note,
					   error);
	recipient_row_clear(&row);
	return rc;
}

int al_store_add_request(struct al_store *store, const char *id, const char *recipient,
			 const char *note, const char *who, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct request_job job = {
	    .id = canonical, .recipient = recipient, .note = note, .who = who};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, AL_STORE_WRITE, add_request, &job, error);
}

static int decide_request(struct al_store *store, const void *data, GError **error)
{
	const struct request_job *job = data;
	struct recipient_row row;
	int rc = -1;

	if (read_recipient_row(store, job->id, job->recipient, &row, error) < 0)
		return -1;
	if (al_store_sql_run(
		store, error,
		"UPDATE requests SET state = ?, decided_at = ?, decided_by = ?, why = ?"
		" WHERE message_id = ? AND recipient = ? AND state = 'pending'",
		"titttt", job->approved ? "approved" : "denied", now_seconds(), job->who, job->why,
		job->id, row.address) < 0)
		;
	else if (al_store_sql_changes(store) == 0)
		state_error(error, "%s has no pending release request for %s", job->id,
			    row.address);
	else
		rc = al_store_insert_event(
		    store, job->id, job->approved ? "request-approved" : "request-denied", job->who,
		    job->approved ? row.address : (job->why != NULL ? job->why : ""), error);
	recipient_row_clear(&row);
	return rc;
}

int al_store_decide_request(struct al_store *store, const char *id, const char *recipient,
			    gboolean approved, const char *who, const char *why, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct request_job job = {
	    .id = canonical,
	    .recipient = recipient,
	    .who = who,
	    .approved = approved,
	    .why = why,
	};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, AL_STORE_WRITE, decide_request, &job, error);
}

void al_store_request_free(struct al_store_request *request)
{
	if (request == NULL)
		return;
	g_free(request->recipient);
	g_free(request->note);
	g_free(request->envelope_from);
	g_free(request->subject);
	g_free(request);
}

#define REQUEST_COLUMNS                                                                            \
	"SELECT q.message_id, q.recipient, q.requested_at, q.note, m.envelope_from, m.subject,"    \
	" m.reasons FROM requests q JOIN messages m ON m.id = q.message_id"

static struct al_store_request *read_request_row(struct al_store_stmt *stmt)
{
	struct al_store_request *request = g_new0(struct al_store_request, 1);

	g_strlcpy(request->id, al_store_sql_column_text(stmt, 0), sizeof(request->id));
	request->recipient = al_store_sql_column_dup(stmt, 1);
	request->requested_at = al_store_sql_column_int(stmt, 2);
	request->note = al_store_sql_column_dup(stmt, 3);
	request->envelope_from = al_store_sql_column_dup(stmt, 4);
	request->subject = al_store_sql_column_dup(stmt, 5);
	request->reasons = al_store_parse_reasons(al_store_sql_column_text(stmt, 6));
	return request;
}

static int list_pending(struct al_store *store, const void *data, GError **error)
{
	GPtrArray *requests = (GPtrArray *)data;
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error, REQUEST_COLUMNS " WHERE q.state = 'pending' ORDER BY q.id", "");
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(requests, read_request_row(stmt));
	al_store_sql_finalize(stmt);
	return rc;
}

GPtrArray *al_store_pending_requests(struct al_store *store, GError **error)
{
	GPtrArray *requests = g_ptr_array_new_with_free_func((GDestroyNotify)al_store_request_free);

	if (al_store_sql_transaction(store, AL_STORE_READ, list_pending, requests, error) < 0) {
		g_ptr_array_unref(requests);
		return NULL;
	}
	return requests;
}

struct get_request_job {
	const char *id;
	const char *recipient;
	struct al_store_request *found;
};

static int get_request(struct al_store *store, const void *data, GError **error)
{
	struct get_request_job *job = (struct get_request_job *)data;
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    REQUEST_COLUMNS " WHERE q.message_id = ? AND lower(q.recipient) = lower(?)"
			    " AND q.state = 'pending' LIMIT 1",
	    "tt", job->id, job->recipient);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		job->found = read_request_row(stmt);
	al_store_sql_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

int al_store_get_request(struct al_store *store, const char *id, const char *recipient,
			 struct al_store_request **request_r, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct get_request_job job = {.id = canonical, .recipient = recipient};

	if (request_r != NULL)
		*request_r = NULL;
	if (al_store_user_id(id, canonical, error) < 0 ||
	    al_store_sql_transaction(store, AL_STORE_READ, get_request, &job, error) < 0)
		return -1;
	if (job.found == NULL)
		return 0;
	if (request_r != NULL)
		*request_r = job.found;
	else
		al_store_request_free(job.found);
	return 1;
}

/* ---- delete for me ---- */

static int dismiss(struct al_store *store, const void *data, GError **error)
{
	const struct request_job *job = data;
	struct recipient_row row;
	int rc = -1;

	if (read_recipient_row(store, job->id, job->recipient, &row, error) < 0)
		return -1;
	if (row.dismissed)
		state_error(error, "%s was already removed from the list of %s", job->id,
			    row.address);
	else if (al_store_sql_run(store, error,
				  "UPDATE recipients SET dismissed_at = ? WHERE message_id = ?"
				  " AND address = ?",
				  "itt", now_seconds(), job->id, row.address) == 0)
		rc = al_store_insert_event(store, job->id, "dismissed", job->who, row.address,
					   error);
	recipient_row_clear(&row);
	return rc;
}

int al_store_dismiss(struct al_store *store, const char *id, const char *recipient, const char *who,
		     GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct request_job job = {.id = canonical, .recipient = recipient, .who = who};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, AL_STORE_WRITE, dismiss, &job, error);
}

/* ---- admin accounts ---- */

struct admin_job {
	const char *name;
	const char *hash;
	char *found;
};

static int set_admin(struct al_store *store, const void *data, GError **error)
{
	const struct admin_job *job = data;

	return al_store_sql_run(store, error,
				"INSERT INTO admins (name, hash, updated_at) VALUES (?, ?, ?)"
				" ON CONFLICT (name) DO UPDATE SET hash = excluded.hash,"
				" updated_at = excluded.updated_at",
				"tti", job->name, job->hash, now_seconds());
}

int al_store_set_admin(struct al_store *store, const char *name, const char *hash, GError **error)
{
	struct admin_job job = {.name = name, .hash = hash};

	if (name == NULL || *name == '\0' || hash == NULL || *hash == '\0') {
		g_set_error_literal(error, AL_ERROR, AL_ERROR_INTERNAL,
				    "an admin needs a name and a password hash");
		return -1;
	}
	return al_store_sql_transaction(store, AL_STORE_WRITE, set_admin, &job, error);
}

static int get_admin(struct al_store *store, const void *data, GError **error)
{
	struct admin_job *job = (struct admin_job *)data;
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error, "SELECT hash FROM admins WHERE name = ?", "t", job->name);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		job->found = al_store_sql_column_dup(stmt, 0);
	al_store_sql_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

int al_store_get_admin(struct al_store *store, const char *name, char **hash_r, GError **error)
{
	struct admin_job job = {.name = name};

	*hash_r = NULL;
	if (al_store_sql_transaction(store, AL_STORE_READ, get_admin, &job, error) < 0)
		return -1;
	if (job.found == NULL)
		return 1;
	*hash_r = job.found;
	return 0;
}

/* ---- digests ---- */

struct digest_job {
	gint64 since, until;
	const char *address;
	gint64 at;
	int found;
	GPtrArray *addresses;
};

static int digest_recipients(struct al_store *store, const void *data, GError **error)
{
	const struct digest_job *job = data;
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT DISTINCT lower(r.address) FROM recipients r JOIN messages m"
	    " ON m.id = r.message_id WHERE m.received_at >= ? AND m.received_at < ?"
	    " AND m.status = 'quarantined' AND r.released_at IS NULL"
	    " AND r.dismissed_at IS NULL ORDER BY 1",
	    "ii", job->since, job->until);
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(job->addresses, al_store_sql_column_dup(stmt, 0));
	al_store_sql_finalize(stmt);
	return rc;
}

char **al_store_digest_recipients(struct al_store *store, gint64 since, gint64 until,
				  GError **error)
{
	struct digest_job job = {
	    .since = since,
	    .until = until,
	    .addresses = g_ptr_array_new_with_free_func(g_free),
	};

	if (al_store_sql_transaction(store, AL_STORE_READ, digest_recipients, &job, error) < 0) {
		g_ptr_array_unref(job.addresses);
		return NULL;
	}
	g_ptr_array_add(job.addresses, NULL);
	return (char **)g_ptr_array_free(job.addresses, FALSE);
}

static int get_digest_sent(struct al_store *store, const void *data, GError **error)
{
	struct digest_job *job = (struct digest_job *)data;

	job->found = al_store_sql_query_int(store, &job->at, error,
					    "SELECT sent_at FROM digests WHERE address = ?", "t",
					    job->address);
	return job->found < 0 ? -1 : 0;
}

int al_store_get_digest_sent(struct al_store *store, const char *address, gint64 *at_r,
			     GError **error)
{
	struct digest_job job = {.address = address};

	*at_r = 0;
	if (al_store_sql_transaction(store, AL_STORE_READ, get_digest_sent, &job, error) < 0)
		return -1;
	if (job.found > 0)
		*at_r = job.at;
	return job.found;
}

static int set_digest_sent(struct al_store *store, const void *data, GError **error)
{
	const struct digest_job *job = data;

	return al_store_sql_run(store, error,
				"INSERT INTO digests (address, sent_at) VALUES (?, ?)"
				" ON CONFLICT (address) DO UPDATE SET sent_at = excluded.sent_at",
				"ti", job->address, job->at);
}

int al_store_set_digest_sent(struct al_store *store, const char *address, gint64 at, GError **error)
{
	struct digest_job job = {.address = address, .at = at};

	return al_store_sql_transaction(store, AL_STORE_WRITE, set_digest_sent, &job, error);
}
