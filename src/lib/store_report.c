/*
 * store_report.c - the rows a report reads (see al_store_read_report()
 * in store.h), so that report*.c never sees a table.
 *
 * DESCRIPTION
 *	Five constant, bound statements in one read transaction: the
 *	daily counters of the period, then the messages received in it
 *	with their quarantined item count and whether a release went out,
 *	their quarantined items, their recipients, and the newest example
 *	rows. Text columns are handed to the visitor as SQLite returns
 *	them, valid until the next step.
 */
#include "store_private.h"

struct report_read {
	const char *since_day, *until_day;
	gint64 from, to;
	guint example_limit;
	const struct al_store_report_visitor *v;
};

#define TEXT(stmt, i) (al_store_sql_column_text(stmt, i))
#define STOPPED_ITEMS                                                                              \
	"(SELECT count(*) FROM items i WHERE i.message_id = m.id AND i.quarantined = 1)"
#define RELEASES(event)                                                                            \
	"(SELECT count(*) FROM events e WHERE e.message_id = m.id AND e.event = '" event "')"

typedef void (*row_fn)(struct al_store_stmt *stmt, const struct al_store_report_visitor *v);

/* Every row of sql to fn: bound to the days ("tt") or to the integers
 * a, b and c (as many as types has 'i's; the others are not read). */
static int each_row(struct al_store *store, const struct report_read *r, const char *sql,
		    const char *types, gint64 a, gint64 b, gint64 c, row_fn fn, GError **error)
{
	struct al_store_stmt *stmt =
	    types[0] == 't'
		? al_store_sql_prepare(store, error, sql, types, r->since_day, r->until_day)
		: al_store_sql_prepare(store, error, sql, types, a, b, c);
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = al_store_sql_step(store, stmt, error)) > 0)
		fn(stmt, r->v);
	al_store_sql_finalize(stmt);
	return rc;
}

static void counter_row(struct al_store_stmt *stmt, const struct al_store_report_visitor *v)
{
	const struct al_store_report_counter row = {
	    .day = TEXT(stmt, 0),
	    .kind = TEXT(stmt, 1),
	    .key = TEXT(stmt, 2),
	    .count = al_store_sql_column_int(stmt, 3),
	};

	if (v->counter != NULL && row.day != NULL && row.kind != NULL && row.key != NULL)
		v->counter(&row, v->data);
}

static void message_row(struct al_store_stmt *stmt, const struct al_store_report_visitor *v)
{
	int status = al_store_status_from_name(TEXT(stmt, 3));
	const struct al_store_report_message row = {
	    .header_from = TEXT(stmt, 0),
	    .envelope_from = TEXT(stmt, 1),
	    .reasons = al_store_parse_reasons(TEXT(stmt, 2)),
	    .status = status >= 0 ? (enum al_store_status)status : AL_STATUS_QUARANTINED,
	    .stopped_items = al_store_sql_column_int(stmt, 4),
	    .released = al_store_sql_column_int(stmt, 5) != 0,
	};

	if (v->message != NULL)
		v->message(&row, v->data);
}

static void item_row(struct al_store_stmt *stmt, const struct al_store_report_visitor *v)
{
	const struct al_store_report_item row = {
	    .detected_type = TEXT(stmt, 0),
	    .filename = TEXT(stmt, 1),
	    .declared_type = TEXT(stmt, 2),
	    .reasons = al_store_parse_reasons(TEXT(stmt, 3)),
	};

	if (v->item != NULL)
		v->item(&row, v->data);
}

static void recipient_row(struct al_store_stmt *stmt, const struct al_store_report_visitor *v)
{
	const struct al_store_report_recipient row = {
	    .address = TEXT(stmt, 0),
	    .stopped_items = al_store_sql_column_int(stmt, 1),
	};

	if (v->recipient != NULL)
		v->recipient(&row, v->data);
}

static void example_row(struct al_store_stmt *stmt, const struct al_store_report_visitor *v)
{
	const struct al_store_report_example row = {
	    .received_at = al_store_sql_column_int(stmt, 0),
	    .header_from = TEXT(stmt, 1),
	    .envelope_from = TEXT(stmt, 2),
	    .subject = TEXT(stmt, 3),
	    .filename = TEXT(stmt, 4),
	    .detected_type = TEXT(stmt, 5),
	    .reasons = al_store_parse_reasons(TEXT(stmt, 6)),
	};

	if (v->example != NULL)
		v->example(&row, v->data);
}

static void safe_copies_row(struct al_store_stmt *stmt, const struct al_store_report_visitor *v)
{
	if (v->safe_copies != NULL)
		v->safe_copies(al_store_sql_column_int(stmt, 0), v->data);
}

static int read_report(struct al_store *store, const void *data, GError **error)
{
	const struct report_read *r = data;

	if (each_row(store, r,
		     "SELECT day, kind, key, count FROM daily_counters WHERE day >= ? AND day <= ?",
		     "tt", 0, 0, 0, counter_row, error) < 0 ||
	    each_row(store, r,
		     "SELECT m.header_from, m.envelope_from, m.reasons, m.status, " STOPPED_ITEMS
		     ", " RELEASES("released") " > " RELEASES(
			 "release-failed") " FROM messages m WHERE m.received_at >= ? AND "
					   "m.received_at < ?",
		     "ii", r->from, r->to, 0, message_row, error) < 0 ||
	    each_row(store, r,
		     "SELECT i.detected_type, i.filename, i.declared_type, i.reasons FROM items i"
		     " JOIN messages m ON m.id = i.message_id WHERE i.quarantined = 1"
		     " AND m.received_at >= ? AND m.received_at < ?",
		     "ii", r->from, r->to, 0, item_row, error) < 0 ||
	    each_row(store, r,
		     "SELECT r.address, " STOPPED_ITEMS " FROM recipients r"
		     " JOIN messages m ON m.id = r.message_id"
		     " WHERE m.received_at >= ? AND m.received_at < ?",
		     "ii", r->from, r->to, 0, recipient_row, error) < 0 ||
	    each_row(store, r,
		     "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id"
		     " WHERE e.event = 'safe-copy' AND m.received_at >= ? AND m.received_at < ?",
		     "ii", r->from, r->to, 0, safe_copies_row, error) < 0)
		return -1;
	return each_row(
		   store, r,
		   "SELECT m.received_at, m.header_from, m.envelope_from, m.subject, i.filename,"
		   " i.detected_type, COALESCE(i.reasons, m.reasons) FROM messages m"
		   " LEFT JOIN items i ON i.message_id = m.id AND i.quarantined = 1"
		   " WHERE m.received_at >= ? AND m.received_at < ?"
		   " ORDER BY m.received_at DESC, m.id DESC, i.rowid LIMIT ?",
		   "iii", r->from, r->to, (gint64)r->example_limit, example_row, error) < 0
		   ? -1
		   : 0;
}

int al_store_read_report(struct al_store *store, const char *since_day, const char *until_day,
			 gint64 from, gint64 to, guint example_limit,
			 const struct al_store_report_visitor *visitor, GError **error)
{
	const struct report_read r = {
	    .since_day = since_day,
	    .until_day = until_day,
	    .from = from,
	    .to = to,
	    .example_limit = example_limit,
	    .v = visitor,
	};

	return al_store_sql_transaction(store, AL_STORE_READ, read_report, &r, error);
}
