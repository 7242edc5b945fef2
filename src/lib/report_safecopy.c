/*
 * report_safecopy.c - the training report's count of safe copies: one
 * per "safe-copy" event (the milter adds one for each copy it delivered,
 * safecopy.h) of the period's quarantined messages.
 */
#include "report_private.h"

#include "store_private.h"

int report_gather_safe_copies(struct al_store *store, struct report_job *job, GError **error)
{
	sqlite3_stmt *stmt = al_store_sql_prepare(
	    store, error,
	    "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id"
	    " WHERE e.event = 'safe-copy' AND m.received_at >= ? AND m.received_at < ?",
	    "ii", job->from_t, job->to_t);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = al_store_sql_step(store, stmt, error);
	if (rc > 0)
		job->report->safe_copies = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc < 0 ? -1 : 0;
}

const char *report_safe_copies_label(const char *lang)
{
	return g_strcmp0(lang, "fr") == 0 ? "dont remises en copie s\xc3\xbbre"
	                                   : "of which delivered as a safe copy";
}
