/*
 * store_admin.c - what changes a quarantined message: audit events,
 * status changes, release claims, the release tokens the milter uses up,
 * delete and purge.
 *
 * DESCRIPTION
 *	Every change is one BEGIN IMMEDIATE transaction: the guarded UPDATE
 *	and its audit event commit together or not at all, so of two admins
 *	acting on the same message at once one succeeds and the other is
 *	told why not.
 *
 *	Releasing is claim, send, and unclaim if the MTA refused: the claim
 *	marks the recipients released before anything leaves, so a second
 *	release cannot send the message again meanwhile.
 *
 *	Deleting (and purging) renames msg/ID.eml to msg/ID.eml.del inside
 *	the transaction (renamed back if the commit fails) and unlinks it
 *	after: a failed delete changes nothing, a crash after the commit
 *	leaves a .del file that the next purge removes. The rows stay: the
 *	audit trail outlives the mail.
 */
#include "store_private.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	const char *expected_status;
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
	return al_store_sql_transaction(store, AL_STORE_WRITE, record_event, &job, error);
}

/* Why no row changed: no such message, or not in the expected status. */
static int status_conflict(struct al_store *store, const struct event_job *job, GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error, "SELECT status FROM messages WHERE id = ?", "t", job->id);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc == 0) {
		al_store_not_found(error, job->id);
	} else if (rc > 0) {
		const char *current = al_store_sql_column_text(stmt, 0);

		if (g_strcmp0(current, "quarantined") == 0)
			g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE,
				    "%s is quarantined, not %s", job->id, job->expected_status);
		else
			g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE, "%s is already %s",
				    job->id, current);
	}
	al_store_sql_finalize(stmt);
	return -1;
}

static int change_status(struct al_store *store, const void *data, GError **error)
{
	const struct event_job *job = data;

	if (al_store_sql_run(store, error,
			     "UPDATE messages SET status = ? WHERE id = ? AND status = ?", "ttt",
			     job->new_status, job->id, job->expected_status) < 0)
		return -1;
	if (al_store_sql_changes(store) == 0)
		return status_conflict(store, job, error);
	return al_store_insert_event(store, job->id, job->event, job->who, job->detail, error);
}

int al_store_set_status(struct al_store *store, const char *id,
			enum al_store_status expected_status, enum al_store_status new_status,
			const char *who, const char *event, const char *detail, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct event_job job = {
	    .id = canonical,
	    .expected_status = al_store_status_name(expected_status),
	    .new_status = al_store_status_name(new_status),
	    .event = event,
	    .who = who,
	    .detail = detail,
	};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, AL_STORE_WRITE, change_status, &job, error);
}

/* ---- release ---- */

struct claim_job {
	const char *id;
	const char *const *only;
	const char *who;
	GPtrArray *claimed;
};

static int state_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int state_error(GError **error, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	g_set_error_literal(error, AL_STORE_ERROR, AL_STORE_ERROR_STATE, "");
	if (error != NULL && *error != NULL) {
		g_free((*error)->message);
		(*error)->message = g_strdup_vprintf(fmt, args);
	}
	va_end(args);
	return -1;
}

/* The status of id in status_r (transfer full); NOT_FOUND if none. */
static int read_status(struct al_store *store, const char *id, char **status_r, GError **error)
{
	struct al_store_stmt *stmt =
	    al_store_sql_prepare(store, error, "SELECT status FROM messages WHERE id = ?", "t", id);
	int rc;

	*status_r = NULL;
	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		*status_r = al_store_sql_column_dup(stmt, 0);
	al_store_sql_finalize(stmt);
	if (rc == 0)
		return al_store_not_found(error, id);
	return rc < 0 ? -1 : 0;
}

/* Claims one recipient (exact address as stored): 1 claimed, 0 it was
 * already released, -1 error. */
static int claim_one(struct al_store *store, const char *id, const char *address, gint64 now,
		     GError **error)
{
	if (al_store_sql_run(store, error,
			     "UPDATE recipients SET released_at = ? WHERE message_id = ?"
			     " AND address = ? AND released_at IS NULL",
			     "itt", now, id, address) < 0)
		return -1;
	return al_store_sql_changes(store) > 0 ? 1 : 0;
}

/* The stored spelling of address among the recipients of id, or NULL. */
static char *find_recipient(struct al_store *store, const char *id, const char *address,
			    GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT address FROM recipients WHERE message_id = ? AND lower(address) = lower(?)"
	    " ORDER BY rowid LIMIT 1",
	    "tt", id, address);
	char *found = NULL;

	if (stmt == NULL)
		return NULL;
	if (al_store_sql_step(store, stmt, error) > 0)
		found = al_store_sql_column_dup(stmt, 0);
	al_store_sql_finalize(stmt);
	return found;
}

static int claim_listed(struct al_store *store, struct claim_job *job, gint64 now, GError **error)
{
	for (gsize i = 0; job->only[i] != NULL; i++) {
		g_autofree char *address = find_recipient(store, job->id, job->only[i], error);
		int rc;

		if (address == NULL)
			return error != NULL && *error != NULL
				   ? -1
				   : state_error(error, "%s is not a recipient of %s", job->only[i],
						 job->id);
		rc = claim_one(store, job->id, address, now, error);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return state_error(error, "%s was already released to %s", job->id,
					   address);
		g_ptr_array_add(job->claimed, g_steal_pointer(&address));
	}
	return 0;
}

static int claim_remaining(struct al_store *store, struct claim_job *job, gint64 now,
			   GError **error)
{
	struct al_store_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT address FROM recipients WHERE message_id = ? AND released_at IS NULL"
	    " ORDER BY rowid",
	    "t", job->id);
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(job->claimed, al_store_sql_column_dup(stmt, 0));
	al_store_sql_finalize(stmt);
	for (guint i = 0; rc == 0 && i < job->claimed->len; i++)
		rc = claim_one(store, job->id, job->claimed->pdata[i], now, error) < 0 ? -1 : 0;
	if (rc == 0 && job->claimed->len == 0)
		return state_error(error, "%s was already released to every recipient", job->id);
	return rc;
}

/* released once no recipient is left; "released" event naming them. */
static int finish_claim(struct al_store *store, struct claim_job *job, GError **error)
{
	g_autofree char *detail = NULL;
	gint64 left;

	g_ptr_array_add(job->claimed, NULL);
	detail = g_strjoinv(", ", (char **)job->claimed->pdata);
	g_ptr_array_remove_index(job->claimed, job->claimed->len - 1);
	if (al_store_sql_query_int(store, &left, error,
				   "SELECT count(*) FROM recipients WHERE message_id = ?"
				   " AND released_at IS NULL",
				   "t", job->id) < 0)
		return -1;
	if (left == 0 &&
	    al_store_sql_run(store, error, "UPDATE messages SET status = 'released' WHERE id = ?",
			     "t", job->id) < 0)
		return -1;
	return al_store_insert_event(store, job->id, "released", job->who, detail, error);
}

static int claim(struct al_store *store, const void *data, GError **error)
{
	struct claim_job *job = (struct claim_job *)data;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *status = NULL;

	g_ptr_array_set_size(job->claimed, 0); /* a retried transaction starts over */
	if (read_status(store, job->id, &status, error) < 0)
		return -1;
	if (strcmp(status, "quarantined") != 0)
		return state_error(error, "%s is already %s", job->id, status);
	if ((job->only != NULL ? claim_listed(store, job, now, error)
			       : claim_remaining(store, job, now, error)) < 0)
		return -1;
	return finish_claim(store, job, error);
}

char **al_store_claim_release(struct al_store *store, const char *id, const char *const *only,
			      const char *who, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct claim_job job = {
	    .id = canonical,
	    .only = only != NULL && only[0] != NULL ? only : NULL,
	    .who = who,
	    .claimed = g_ptr_array_new_with_free_func(g_free),
	};

	if (al_store_user_id(id, canonical, error) < 0 ||
	    al_store_sql_transaction(store, AL_STORE_WRITE, claim, &job, error) < 0) {
		g_ptr_array_unref(job.claimed);
		return NULL;
	}
	g_ptr_array_add(job.claimed, NULL);
	return (char **)g_ptr_array_free(job.claimed, FALSE);
}

struct unclaim_job {
	const char *id;
	const char *const *claimed;
	const char *who;
	const char *why;
};

static int unclaim(struct al_store *store, const void *data, GError **error)
{
	const struct unclaim_job *job = data;

	for (gsize i = 0; job->claimed[i] != NULL; i++)
		if (al_store_sql_run(store, error,
				     "UPDATE recipients SET released_at = NULL"
				     " WHERE message_id = ? AND address = ?",
				     "tt", job->id, job->claimed[i]) < 0)
			return -1;
	if (al_store_sql_run(store, error,
			     "UPDATE messages SET status = 'quarantined'"
			     " WHERE id = ? AND status = 'released'",
			     "t", job->id) < 0)
		return -1;
	return al_store_insert_event(store, job->id, "release-failed", job->who, job->why, error);
}

int al_store_unclaim_release(struct al_store *store, const char *id, const char *const *claimed,
			     const char *who, const char *why, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct unclaim_job job = {.id = canonical, .claimed = claimed, .who = who, .why = why};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, AL_STORE_WRITE, unclaim, &job, error);
}

struct token_job {
	const char *id;
	const char *token;
	const char *detail;
};

static int use_token(struct al_store *store, const void *data, GError **error)
{
	const struct token_job *job = data;
	gint64 used;
	int rc = al_store_sql_query_int(store, &used, error,
					"SELECT used_at FROM release_tokens WHERE token = ?", "t",
					job->token);

	if (rc < 0)
		return -1;
	if (rc > 0)
		return state_error(error, "this release of %s was already delivered", job->id);
	if (require_message(store, job->id, error) < 0 ||
	    al_store_sql_run(
		store, error,
		"INSERT INTO release_tokens (token, message_id, used_at) VALUES (?, ?, ?)", "tti",
		job->token, job->id, (gint64)(g_get_real_time() / G_USEC_PER_SEC)) < 0)
		return -1;
	return al_store_insert_event(store, job->id, "delivered", "airlock-milter", job->detail,
				     error);
}

int al_store_use_release(struct al_store *store, const char *id, const char *token,
			 const char *detail, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];
	struct token_job job = {.id = canonical, .token = token, .detail = detail};

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return al_store_sql_transaction(store, AL_STORE_WRITE, use_token, &job, error);
}

/* ---- delete and purge ---- */

struct delete_job {
	const char *id;
	const char *new_status; /* and event: "deleted" or "purged" */
	const char *who;
	char *aside; /* msg/ID.eml.del once renamed, for the caller to unlink */
};

static int set_aside(struct al_store *store, struct delete_job *job, GError **error)
{
	g_autofree char *path = al_store_file_path(store, job->id);
	g_autofree char *aside = g_strconcat(path, ".del", NULL);

	if (rename(path, aside) < 0) {
		if (errno != ENOENT)
			return al_store_io_error(error, path, "cannot move aside", errno);
		return 0; /* already gone: the rows still say what happened */
	}
	job->aside = g_steal_pointer(&aside);
	return 0;
}

static int remove_message(struct al_store *store, const void *data, GError **error)
{
	struct delete_job *job = (struct delete_job *)data;
	g_autofree char *status = NULL;

	if (read_status(store, job->id, &status, error) < 0)
		return -1;
	if (strcmp(status, "quarantined") != 0 && strcmp(status, "released") != 0)
		return state_error(error, "%s is already %s", job->id, status);
	if (al_store_sql_run(store, error, "UPDATE messages SET status = ? WHERE id = ?", "tt",
			     job->new_status, job->id) < 0 ||
	    al_store_insert_event(store, job->id, job->new_status, job->who, NULL, error) < 0)
		return -1;
	if (store->driver->originals_in_db)
		return al_store_sql_run(store, error, "DELETE FROM originals WHERE message_id = ?",
					"t", job->id);
	return set_aside(store, job, error);
}

/* One message removed: the transaction, then the unlink (or the file
 * put back when the transaction failed after it was moved aside). */
static int delete_one(struct al_store *store, const char *id, const char *new_status,
		      const char *who, GError **error)
{
	struct delete_job job = {.id = id, .new_status = new_status, .who = who};
	int rc = al_store_sql_transaction(store, AL_STORE_WRITE, remove_message, &job, error);

	if (job.aside != NULL) {
		if (rc < 0) {
			g_autofree char *path = al_store_file_path(store, id);

			(void)rename(job.aside, path); /* the original, as before */
		} else if (unlink(job.aside) < 0 && errno != ENOENT) {
			rc = al_store_io_error(error, job.aside,
					       "deleted in the store but not removed", errno);
		}
	}
	g_free(job.aside);
	return rc;
}

int al_store_delete(struct al_store *store, const char *id, const char *who, GError **error)
{
	char canonical[AL_STORE_ID_LEN + 1];

	if (al_store_user_id(id, canonical, error) < 0)
		return -1;
	return delete_one(store, canonical, "deleted", who, error);
}

static int select_expired(struct al_store *store, const void *data, GError **error)
{
	GPtrArray *ids = ((GPtrArray *const *)data)[0];
	const gint64 *before = ((const gint64 *const *)data)[1];
	struct al_store_stmt *stmt =
	    al_store_sql_prepare(store, error,
				 "SELECT id FROM messages WHERE received_at < ?"
				 " AND status IN ('quarantined', 'released') ORDER BY id",
				 "i", *before);
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		g_ptr_array_add(ids, al_store_sql_column_dup(stmt, 0));
	al_store_sql_finalize(stmt);
	return rc;
}

/* msg/ files that no committed row keeps: .tmp of a failed write, .del
 * of a crash after a delete, older than before. */
static int remove_leftovers(struct al_store *store, gint64 before, GError **error)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;

	if (store->driver->originals_in_db)
		return 0; /* no msg/ */
	dir = g_dir_open(store->msg_dir, 0, error);
	if (dir == NULL)
		return -1;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(store->msg_dir, name, NULL);
		struct stat st;

		if (!g_str_has_suffix(name, ".tmp") && !g_str_has_suffix(name, ".del"))
			continue;
		if (lstat(path, &st) < 0 || st.st_mtime >= before)
			continue;
		if (unlink(path) < 0 && errno != ENOENT)
			return al_store_io_error(error, path, "cannot remove", errno);
	}
	return 0;
}

int al_store_purge(struct al_store *store, gint64 before, const char *who, guint *purged_r,
		   GError **error)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	const void *job[2] = {ids, &before};

	*purged_r = 0;
	if (al_store_sql_transaction(store, AL_STORE_READ, select_expired, job, error) < 0)
		return -1;
	for (guint i = 0; i < ids->len; i++) {
		g_autoptr(GError) local = NULL;

		if (delete_one(store, ids->pdata[i], "purged", who, &local) < 0) {
			/* Released or deleted meanwhile by someone else: not ours. */
			if (g_error_matches(local, AL_STORE_ERROR, AL_STORE_ERROR_STATE))
				continue;
			g_propagate_error(error, g_steal_pointer(&local));
			return -1;
		}
		(*purged_r)++;
	}
	return remove_leftovers(store, before, error);
}
