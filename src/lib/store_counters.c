/*
 * store_counters.c - what the store counts besides quarantined mail:
 * daily counters of every judged message (reports need totals, not only
 * what was stopped) and the learned correspondents (addresses our own
 * staff wrote to).
 */
#include "store_private.h"

#include <string.h>

/* ---- counters ---- */

struct count_job {
	const struct al_verdict *verdict;
	const char *day;
};

static int bump(struct al_store *store, const char *day, const char *kind, const char *key,
		GError **error)
{
	return al_store_sql_run(
	    store, error,
	    "INSERT INTO daily_counters (day, kind, key, count) VALUES (?, ?, ?, 1)"
	    " ON CONFLICT (day, kind, key) DO UPDATE SET count = daily_counters.count + 1",
	    "ttt", day, kind, key);
}

static int bump_reasons(struct al_store *store, const char *day, const char *kind,
			al_reason_set reasons, GError **error)
{
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		g_autofree char *key = NULL;

		if (!(reasons & AL_REASON_BIT(r)))
			continue;
		key = g_strconcat("reason:", al_reason_name(r), NULL);
		if (bump(store, day, kind, key, error) < 0)
			return -1;
	}
	return 0;
}

static int count_item(struct al_store *store, const char *day, const struct al_item *item,
		      GError **error)
{
	if (bump(store, day, "attachments", "total", error) < 0 ||
	    bump(store, day, "attachments", item->quarantine ? "quarantined" : "accepted", error) <
		0)
		return -1;
	return item->quarantine ? bump_reasons(store, day, "attachments", item->reasons, error) : 0;
}

static int count_all(struct al_store *store, const void *data, GError **error)
{
	const struct count_job *job = data;
	const struct al_message *message = job->verdict->message;

	if (bump(store, job->day, "messages", "total", error) < 0 ||
	    bump(store, job->day, "messages", al_action_name(job->verdict->action), error) < 0 ||
	    bump_reasons(store, job->day, "messages", job->verdict->reasons, error) < 0)
		return -1;
	for (guint i = 0; message != NULL && i < message->items->len; i++) {
		const struct al_item *item = message->items->pdata[i];

		if (!item->is_body && count_item(store, job->day, item, error) < 0)
			return -1;
	}
	return 0;
}

int al_store_count_message(struct al_store *store, const struct al_verdict *verdict, GError **error)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *day = g_date_time_format(now, "%Y-%m-%d");
	struct count_job job = {.verdict = verdict, .day = day};

	return al_store_sql_transaction(store, AL_STORE_WRITE_RELAXED, count_all, &job, error);
}

/* ---- correspondents ---- */

/* Lower case, without surrounding spaces and angle brackets; NULL when
 * nothing is left (the bounce address "<>"). */
static char *normalize_address(const char *address)
{
	g_autofree char *copy = g_strstrip(g_strdup(address));
	char *start = copy;
	gsize length = strlen(start);

	if (length > 0 && start[length - 1] == '>')
		start[--length] = '\0';
	if (start[0] == '<')
		start++;
	g_strstrip(start);
	if (start[0] == '\0')
		return NULL;
	return g_ascii_strdown(start, -1);
}

static int learn_all(struct al_store *store, const void *data, GError **error)
{
	const char *const *addresses = data;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	for (gsize i = 0; addresses[i] != NULL; i++) {
		g_autofree char *address = normalize_address(addresses[i]);

		if (address == NULL)
			continue;
		if (al_store_sql_run(
			store, error,
			"INSERT INTO correspondents (address, first_seen, last_seen, count)"
			" VALUES (?, ?, ?, 1) ON CONFLICT (address) DO UPDATE"
			" SET last_seen = excluded.last_seen, count = correspondents.count + 1",
			"tii", address, now, now) < 0)
			return -1;
	}
	return 0;
}

int al_store_learn(struct al_store *store, const char *const *addresses, GError **error)
{
	if (addresses == NULL || addresses[0] == NULL)
		return 0;
	return al_store_sql_transaction(store, AL_STORE_WRITE_RELAXED, learn_all, addresses, error);
}

gboolean al_store_is_learned(const char *address, void *context)
{
	struct al_store *store = context;
	g_autofree char *normal = address != NULL ? normalize_address(address) : NULL;
	gint64 one;
	int rc;

	if (normal == NULL)
		return FALSE;
	g_mutex_lock(&store->lock);
	rc = al_store_sql_query_int(store, &one, NULL,
				    "SELECT 1 FROM correspondents WHERE address = ?", "t", normal);
	g_mutex_unlock(&store->lock);
	return rc > 0;
}
