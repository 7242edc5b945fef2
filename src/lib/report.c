/*
 * report.c - gathering a report from the quarantine store.
 *
 * SYNOPSIS
 *	al_report_gather(store, &since, &until, &options, &report, &error)
 *	al_report_render_html(&report, "fr", out)   (report_html.c, ...)
 *	al_report_free(&report)
 *
 * DESCRIPTION
 *	Everything is read in one read transaction ("BEGIN"), so the
 *	totals, the top lists and the examples describe the same state of
 *	the store even while the daemon writes to it.
 *
 *	Totals, reasons per attachment and message, and the trend come from
 *	daily_counters, which counts every judged message (accepted ones
 *	too) per UTC day; the rest comes from the quarantined messages
 *	received in the period (report_store.c). Rejected messages are
 *	counted but not stored, so they appear in the totals only.
 *
 *	Pseudonyms are HMAC-SHA256 (GLib's GHmac) of the lower-case
 *	address under the caller's key (airlockctl uses the release key):
 *	stable from one report to the next, not reversible without the key,
 *	which only root and the daemon read.
 */
#include "report_private.h"

#include <stdio.h>
#include <string.h>

/* Longer periods are refused: a report is read by people. */
#define MAX_PERIOD_DAYS 3660

/* ---- small helpers ---- */

gboolean al_report_parse_date(const char *text, GDate *date_r)
{
	guint year, month, day;
	char tail;

	g_date_clear(date_r, 1);
	if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		return FALSE;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !g_ascii_isdigit(text[i]))
			return FALSE;
	if (sscanf(text, "%4u-%2u-%2u%c", &year, &month, &day, &tail) != 3)
		return FALSE;
	if (!g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year))
		return FALSE;
	g_date_set_dmy(date_r, (GDateDay)day, (GDateMonth)month, (GDateYear)year);
	return TRUE;
}

al_reason_set report_parse_reasons(const char *list)
{
	g_auto(GStrv) names = g_strsplit(list != NULL ? list : "", ",", -1);
	al_reason_set set = 0;

	for (char **name = names; *name != NULL; name++) {
		int r = al_reason_from_name(g_strstrip(*name));

		if (r >= 0)
			set |= AL_REASON_BIT(r);
	}
	return set;
}

char *al_report_pseudonym(const guint8 *key, gsize key_bytes, const char *address)
{
	g_autofree char *lower = g_utf8_strdown(address != NULL ? address : "", -1);
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_bytes);
	g_autofree char *upper = NULL;
	static const char context[] = "airlock-report-pseudonym-v1\n";

	g_hmac_update(hmac, (const guchar *)context, sizeof(context) - 1);
	g_hmac_update(hmac, (const guchar *)lower, (gssize)strlen(lower));
	upper = g_ascii_strup(g_hmac_get_string(hmac), 10);
	return g_strconcat("P-", upper, NULL);
}

static gint64 day_start(const GDate *date)
{
	g_autoptr(GDateTime) dt =
	    g_date_time_new_utc((gint)g_date_get_year(date), (gint)g_date_get_month(date),
				(gint)g_date_get_day(date), 0, 0, 0);

	return dt != NULL ? g_date_time_to_unix(dt) : 0;
}

/* ---- trend ---- */

static void make_buckets(struct al_report *report)
{
	GDate start = report->since;

	if (report->weekly) /* back to the Monday of the first week */
		g_date_subtract_days(&start, g_date_get_weekday(&start) - G_DATE_MONDAY);
	while (g_date_compare(&start, &report->until) <= 0) {
		struct al_report_bucket bucket = {.start = start, .end = start};

		if (report->weekly)
			g_date_add_days(&bucket.end, 6);
		if (g_date_compare(&bucket.start, &report->since) < 0)
			bucket.start = report->since;
		if (g_date_compare(&bucket.end, &report->until) > 0)
			bucket.end = report->until;
		g_array_append_val(report->trend, bucket);
		g_date_add_days(&start, report->weekly ? 7 : 1);
	}
}

static struct al_report_bucket *bucket_for(struct al_report *report, const GDate *day)
{
	for (guint i = 0; i < report->trend->len; i++) {
		struct al_report_bucket *b =
		    &g_array_index(report->trend, struct al_report_bucket, i);

		if (g_date_compare(day, &b->start) >= 0 && g_date_compare(day, &b->end) <= 0)
			return b;
	}
	return NULL;
}

/* ---- daily counters ---- */

static void count_messages(struct al_report *report, struct al_report_bucket *bucket,
			   const char *key, gint64 count)
{
	int action = al_action_from_name(key);
	int reason = g_str_has_prefix(key, "reason:") ? al_reason_from_name(key + 7) : -1;

	if (strcmp(key, "total") == 0) {
		report->totals.messages += count;
		bucket->messages += count;
	} else if (action >= 0) {
		report->totals.messages_by_action[action] += count;
		if (action == AL_ACTION_STRIP || action == AL_ACTION_HOLD ||
		    action == AL_ACTION_REJECT)
			bucket->messages_stopped += count;
	} else if (reason >= 0) {
		report->reasons[reason].messages += count;
	}
}

static void count_attachments(struct al_report *report, struct al_report_bucket *bucket,
			      const char *key, gint64 count)
{
	int reason = g_str_has_prefix(key, "reason:") ? al_reason_from_name(key + 7) : -1;

	if (strcmp(key, "total") == 0) {
		report->totals.attachments += count;
		bucket->attachments += count;
	} else if (strcmp(key, "accepted") == 0) {
		report->totals.attachments_accepted += count;
	} else if (strcmp(key, "quarantined") == 0) {
		report->totals.attachments_stopped += count;
		bucket->attachments_stopped += count;
	} else if (reason >= 0) {
		report->reasons[reason].attachments += count;
	}
}

static void on_counter(const struct al_store_report_counter *row, void *data)
{
	struct report_job *job = data;
	struct al_report_bucket *bucket;
	GDate day;

	if (!al_report_parse_date(row->day, &day) ||
	    (bucket = bucket_for(job->report, &day)) == NULL)
		return; /* not a row of ours */
	if (strcmp(row->kind, "messages") == 0)
		count_messages(job->report, bucket, row->key, row->count);
	else if (strcmp(row->kind, "attachments") == 0)
		count_attachments(job->report, bucket, row->key, row->count);
}

static int gather_all(struct al_store *store, struct report_job *job, GError **error)
{
	struct al_report *report = job->report;
	struct al_store_report_visitor visitor = {0};
	int rc;

	report_quarantine_begin(job, &visitor);
	visitor.counter = on_counter;
	rc = al_store_read_report(store, job->since_iso, job->until_iso, job->from_t, job->to_t,
				  REPORT_EXAMPLE_CANDIDATES, &visitor, error);
	report_quarantine_end(job, rc == 0);
	if (rc < 0)
		return -1;
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];

		if (c->attachments + c->messages + c->pending + c->released + c->deleted +
			c->purged >
		    0)
			report->reasons_seen |= AL_REASON_BIT(r);
	}
	return 0;
}

/* ---- the report ---- */

static int check_request(const GDate *since, const GDate *until,
			 const struct al_report_options *options, GError **error)
{
	if (!g_date_valid(since) || !g_date_valid(until) || g_date_compare(since, until) > 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "the report period is empty: its first day is after its last");
		return -1;
	}
	if (g_date_days_between(since, until) >= MAX_PERIOD_DAYS) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "the report period is longer than %d days", MAX_PERIOD_DAYS);
		return -1;
	}
	if (options->anonymize && (options->key == NULL || options->key_bytes == 0)) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "an anonymised report needs a pseudonym key");
		return -1;
	}
	return 0;
}

static void init_report(struct al_report *report, const GDate *since, const GDate *until,
			const struct al_report_options *options)
{
	report->since = *since;
	report->until = *until;
	report->days = (guint)g_date_days_between(since, until) + 1;
	report->weekly = report->days > AL_REPORT_DAILY_MAX_DAYS;
	report->anonymized = options->anonymize;
	report->generated_at =
	    options->now != 0 ? options->now : g_get_real_time() / G_USEC_PER_SEC;
	report->trend = g_array_new(FALSE, TRUE, sizeof(struct al_report_bucket));
	report->detected_types = g_ptr_array_new_with_free_func(report_count_free);
	report->disguises = g_ptr_array_new_with_free_func(report_count_free);
	report->sender_domains = g_ptr_array_new_with_free_func(report_count_free);
	report->recipients = g_ptr_array_new_with_free_func(report_count_free);
	report->examples = g_ptr_array_new_with_free_func(report_example_free);
	make_buckets(report);
}

int al_report_gather(struct al_store *store, const GDate *since, const GDate *until,
		     const struct al_report_options *options, struct al_report *report_r,
		     GError **error)
{
	struct report_job job = {.report = report_r, .options = *options};
	GDate after_until;
	g_autofree char *since_iso = NULL;
	g_autofree char *until_iso = NULL;

	*report_r = (struct al_report){0};
	if (check_request(since, until, options, error) < 0)
		return -1;
	init_report(report_r, since, until, options);
	if (job.options.top_rows == 0)
		job.options.top_rows = AL_REPORT_TOP_ROWS;
	if (job.options.example_rows == 0)
		job.options.example_rows = AL_REPORT_EXAMPLE_ROWS;
	since_iso = report_iso_date(since);
	until_iso = report_iso_date(until);
	g_strlcpy(job.since_iso, since_iso, sizeof(job.since_iso));
	g_strlcpy(job.until_iso, until_iso, sizeof(job.until_iso));
	after_until = *until;
	g_date_add_days(&after_until, 1);
	job.from_t = day_start(since);
	job.to_t = day_start(&after_until);
	return gather_all(store, &job, error);
}

void report_count_free(gpointer data)
{
	struct al_report_count *count = data;

	if (count == NULL)
		return;
	g_free(count->key);
	g_free(count->detail);
	g_free(count);
}

void report_example_free(gpointer data)
{
	struct al_report_example *example = data;

	if (example == NULL)
		return;
	g_free(example->sender_domain);
	g_free(example->subject);
	g_free(example->filename);
	g_free(example->detected_type);
	g_free(example);
}

void al_report_free(struct al_report *report)
{
	if (report->trend != NULL)
		g_array_free(report->trend, TRUE);
	g_clear_pointer(&report->detected_types, g_ptr_array_unref);
	g_clear_pointer(&report->disguises, g_ptr_array_unref);
	g_clear_pointer(&report->sender_domains, g_ptr_array_unref);
	g_clear_pointer(&report->recipients, g_ptr_array_unref);
	g_clear_pointer(&report->examples, g_ptr_array_unref);
	*report = (struct al_report){0};
}
