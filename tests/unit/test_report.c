/*
 * test_report.c - airlockctl report's library side: a real store filled
 * through the store's own functions (quarantine, counters, status), then
 * moved to known days with SQL; the report's numbers, the choice of
 * examples, and the escaping of hostile mail strings in every format.
 */
#include "airlock/json.h"
#include "airlock/report.h"
#include "support/store_backend.h"
#include "airlock/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#define HOSTILE_SUBJECT "<script>alert(1)</script>\"\u202e"
#define HOSTILE_FILE    "-2+3 <b>x</b>\u202egnp.exe"

static const guint8 key_a[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const guint8 key_b[32] = {42};

/* ---- building verdicts ---- */

static struct al_item *make_item(const char *part, const char *filename, const char *detected,
				 al_reason_set reasons)
{
	struct al_item *item = al_item_new();
	static const char content[] = "not really anything";

	item->part = g_strdup(part);
	item->filename = g_strdup(filename);
	item->declared_type =
	    g_strdup(filename != NULL ? "application/octet-stream" : "text/plain");
	item->detected_type = g_strdup(detected);
	item->is_body = filename == NULL;
	item->reasons = reasons;
	item->quarantine = reasons != 0;
	item->content.bytes = g_bytes_new(content, sizeof(content));
	item->content.fd = -1;
	item->content.size = sizeof(content);
	item->details = g_ptr_array_new_with_free_func(g_free);
	item->virus_names = g_ptr_array_new_with_free_func(g_free);
	item->inner = g_ptr_array_new_with_free_func(al_inner_free_ptr);
	return item;
}

static struct al_verdict *make_verdict(enum al_action action, const char *from, const char *subject)
{
	struct al_verdict *verdict = g_new0(struct al_verdict, 1);

	verdict->action = action;
	verdict->origin.why = g_strdup("sender not trusted");
	verdict->message = g_new0(struct al_message, 1);
	verdict->message->items = g_ptr_array_new_with_free_func(al_item_free_ptr);
	verdict->message->details = g_ptr_array_new_with_free_func(g_free);
	verdict->message->subject = g_strdup(subject);
	verdict->message->from = g_strdup(from);
	g_ptr_array_add(verdict->message->items, make_item("1", NULL, "text/plain", 0));
	return verdict;
}

static void add_item(struct al_verdict *verdict, const char *filename, const char *detected,
		     al_reason_set reasons)
{
	g_autofree char *part = g_strdup_printf("%u", verdict->message->items->len + 1);

	g_ptr_array_add(verdict->message->items, make_item(part, filename, detected, reasons));
	verdict->reasons |= reasons;
}

static void free_verdict(struct al_verdict *verdict)
{
	g_free(verdict->origin.why);
	g_ptr_array_unref(verdict->message->items);
	g_ptr_array_unref(verdict->message->details);
	g_free(verdict->message->subject);
	g_free(verdict->message->from);
	g_free(verdict->message);
	g_free(verdict);
}

/* ---- fixture: a store with known content ---- */

struct fixture {
	char *tmp;
	char *dir;
	char *db;
	struct al_store *store;
	char released_id[AL_STORE_ID_LEN + 1];
	char deleted_id[AL_STORE_ID_LEN + 1];
};

/* Runs statement with ?1, ?2 text and ?3 an integer. */
static void sql(struct fixture *f, const char *statement, const char *a, const char *b, gint64 n)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;

	if (test_backend_is_pg()) {
		test_pg_run(f->dir, statement, a, b, n);
		return;
	}
	g_assert_cmpint(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_busy_timeout(db, 5000), ==, SQLITE_OK);
	if (sqlite3_prepare_v2(db, statement, -1, &stmt, NULL) != SQLITE_OK)
		g_error("%s: %s", statement, sqlite3_errmsg(db));
	g_assert_cmpint(sqlite3_bind_text(stmt, 1, a, -1, SQLITE_TRANSIENT), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_bind_text(stmt, 2, b, -1, SQLITE_TRANSIENT), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_bind_int64(stmt, 3, n), ==, SQLITE_OK);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		g_error("%s: %s", statement, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static gint64 unix_day(const char *day, int hour)
{
	GDate date;
	g_autoptr(GDateTime) t = NULL;

	g_assert_true(al_report_parse_date(day, &date));
	t = g_date_time_new_utc(g_date_get_year(&date), g_date_get_month(&date),
				g_date_get_day(&date), hour, 0, 0);
	return g_date_time_to_unix(t);
}

/* Counts the verdict, quarantines it unless accepted or rejected, and
 * moves what was written today to day (UTC) at hour. Frees verdict. */
static void judge(struct fixture *f, struct al_verdict *verdict, const char *const *rcpts,
		  const char *day, int hour, char id_r[AL_STORE_ID_LEN + 1])
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *today = g_date_time_format(now, "%Y-%m-%d");
	static const char original[] = "Subject: x\r\n\r\nbody\r\n";
	const struct al_smtp_context smtp = {
	    .queue_id = "Q1",
	    .envelope_from = "<bounce@envelope.example>",
	    .recipients = rcpts,
	};
	GMimeStream *stream;
	GError *error = NULL;

	g_assert_cmpint(al_store_count_message(f->store, verdict, &error), ==, 0);
	g_assert_no_error(error);
	sql(f,
	    "INSERT INTO daily_counters (day, kind, key, count) SELECT ?1, kind, key, count"
	    " FROM daily_counters WHERE day = ?2 AND ?3 = 0"
	    " ON CONFLICT (day, kind, key) DO UPDATE SET count = daily_counters.count + excluded.count",
	    day, today, 0);
	sql(f, "DELETE FROM daily_counters WHERE day = ?2 AND ?1 <> ?2 AND ?3 = 0", day, today, 0);
	id_r[0] = '\0';
	if (verdict->action == AL_ACTION_ACCEPT || verdict->action == AL_ACTION_REJECT) {
		free_verdict(verdict);
		return;
	}
	stream = g_mime_stream_mem_new_with_buffer(original, strlen(original));
	al_store_new_id(id_r);
	g_assert_cmpint(al_store_quarantine(f->store, id_r, stream, &smtp, verdict, &error), ==, 0);
	g_assert_no_error(error);
	g_object_unref(stream);
	sql(f, "UPDATE messages SET received_at = ?3 WHERE id = ?1 AND ?2 = ?2", id_r, "",
	    unix_day(day, hour));
	free_verdict(verdict);
}

static const char *const rcpt_ab[] = {"Alice@Corp.example", "<bob@corp.example>", NULL};
static const char *const rcpt_a[] = {"alice@corp.example", NULL};
static const char *const rcpt_c[] = {"carol@corp.example", NULL};
static const char *const rcpt_d[] = {"dave@corp.example", NULL};

static void fill(struct fixture *f)
{
	char id[AL_STORE_ID_LEN + 1];
	struct al_verdict *v;

	v = make_verdict(AL_ACTION_STRIP, "billing@Evil.example", "Votre facture");
	add_item(v, "facture.pdf.exe", "application/x-dosexec",
		 AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED));
	add_item(v, "notes.txt", "text/plain", 0);
	judge(f, v, rcpt_ab, "2020-03-03", 9, f->released_id);
	v = make_verdict(AL_ACTION_ACCEPT, "partner@partner.example", "Report");
	add_item(v, "report.pdf", "application/pdf", 0);
	judge(f, v, rcpt_a, "2020-03-03", 10, id);
	v = make_verdict(AL_ACTION_HOLD, "x@bad.example", "Document");
	add_item(v, "eicar.txt", "text/plain", AL_REASON_BIT(AL_REASON_VIRUS));
	judge(f, v, rcpt_a, "2020-03-10", 8, f->deleted_id);
	v = make_verdict(AL_ACTION_STRIP, "someone@hostile.example", HOSTILE_SUBJECT);
	add_item(v, HOSTILE_FILE, "image/png", AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
	judge(f, v, rcpt_d, "2020-03-10", 9, id);
	v = make_verdict(AL_ACTION_REJECT, "r@reject.example", "Rejected");
	add_item(v, "setup.exe", "application/x-dosexec", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	judge(f, v, rcpt_a, "2020-03-10", 10, id);
	v = make_verdict(AL_ACTION_STRIP, "a@partner.example", "Re: write to bob@corp.example");
	add_item(v, "minutes of frank@corp.example.doc", "application/msword",
		 AL_REASON_BIT(AL_REASON_MACRO));
	judge(f, v, rcpt_c, "2020-03-20", 12, id);
	/* Outside the period. */
	v = make_verdict(AL_ACTION_STRIP, "old@old.example", "Old");
	add_item(v, "old.exe", "application/x-dosexec", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	judge(f, v, rcpt_a, "2020-02-15", 12, id);
	g_assert_cmpint(al_store_set_status(f->store, f->released_id, AL_STATUS_QUARANTINED,
					    AL_STATUS_RELEASED, "admin", "released", NULL, NULL),
			==, 0);
	g_assert_cmpint(al_store_set_status(f->store, f->deleted_id, AL_STATUS_QUARANTINED,
					    AL_STATUS_DELETED, "admin", "deleted", NULL, NULL),
			==, 0);
}

static void fixture_setup(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;

	(void)data;
	f->tmp = g_dir_make_tmp("airlock-report-XXXXXX", &error);
	g_assert_no_error(error);
	f->dir = g_build_filename(f->tmp, "store", NULL);
	f->db = g_build_filename(f->dir, "airlock.db", NULL);
	f->store = test_store_open(f->dir, TRUE, &error);
	g_assert_no_error(error);
	fill(f);
}

static void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir == NULL) {
		g_assert_true(unlink(path) == 0 || errno == ENOENT);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		remove_tree(child);
	}
	g_dir_close(dir);
	g_assert_cmpint(rmdir(path), ==, 0);
}

static void fixture_teardown(struct fixture *f, gconstpointer data)
{
	(void)data;
	al_store_close(&f->store);
	remove_tree(f->tmp);
	g_free(f->tmp);
	g_free(f->dir);
	g_free(f->db);
}

/* March 2020, with options. */
static void gather(struct fixture *f, const struct al_report_options *options,
		   struct al_report *report)
{
	GDate since, until;
	GError *error = NULL;

	g_assert_true(al_report_parse_date("2020-03-01", &since));
	g_assert_true(al_report_parse_date("2020-03-31", &until));
	g_assert_cmpint(al_report_gather(f->store, &since, &until, options, report, &error), ==, 0);
	g_assert_no_error(error);
}

static char *render(const struct al_report *report, const char *format, const char *lang)
{
	GString *out = g_string_new(NULL);

	if (strcmp(format, "text") == 0)
		al_report_render_text(report, lang, out);
	else if (strcmp(format, "html") == 0)
		al_report_render_html(report, lang, out);
	else if (strcmp(format, "csv") == 0)
		al_report_render_csv(report, lang, out);
	else
		al_report_render_json(report, lang, out);
	return g_string_free(out, FALSE);
}

static const struct al_report_count *find_count(const GPtrArray *rows, const char *key)
{
	for (guint i = 0; i < rows->len; i++) {
		const struct al_report_count *row = rows->pdata[i];

		if (g_strcmp0(row->key, key) == 0)
			return row;
	}
	g_error("no row %s", key);
	return NULL;
}

static const struct al_report_options plain = {.now = 1585000000};

/* ---- numbers ---- */

static void test_report_totals_come_from_the_daily_counters(struct fixture *f, gconstpointer data)
{
	struct al_report r;

	(void)data;
	gather(f, &plain, &r);
	g_assert_cmpuint(r.days, ==, 31);
	g_assert_false(r.weekly);
	g_assert_cmpint(r.totals.messages, ==, 6);
	g_assert_cmpint(r.totals.messages_by_action[AL_ACTION_ACCEPT], ==, 1);
	g_assert_cmpint(r.totals.messages_by_action[AL_ACTION_STRIP], ==, 3);
	g_assert_cmpint(r.totals.messages_by_action[AL_ACTION_HOLD], ==, 1);
	g_assert_cmpint(r.totals.messages_by_action[AL_ACTION_REJECT], ==, 1);
	g_assert_cmpint(r.totals.messages_by_action[AL_ACTION_TEMPFAIL], ==, 0);
	g_assert_cmpint(r.totals.attachments, ==, 7);
	g_assert_cmpint(r.totals.attachments_accepted, ==, 2);
	g_assert_cmpint(r.totals.attachments_stopped, ==, 5);
	g_assert_cmpint(r.quarantined, ==, 4);
	g_assert_cmpint(r.reasons[AL_REASON_EXECUTABLE].attachments, ==, 2);
	g_assert_cmpint(r.reasons[AL_REASON_EXECUTABLE].messages, ==, 2);
	g_assert_cmpint(r.reasons[AL_REASON_DISGUISED].attachments, ==, 1);
	g_assert_cmpint(r.reasons[AL_REASON_VIRUS].attachments, ==, 1);
	g_assert_cmpint(r.reasons[AL_REASON_MACRO].attachments, ==, 1);
	g_assert_cmpint(r.reasons[AL_REASON_UNKNOWN_ORIGIN].attachments, ==, 1);
	g_assert_cmpint(r.reasons[AL_REASON_ENCRYPTED].attachments, ==, 0);
	g_assert_cmphex(r.reasons_seen, ==,
			AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED) |
			    AL_REASON_BIT(AL_REASON_VIRUS) | AL_REASON_BIT(AL_REASON_MACRO) |
			    AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN));
	al_report_free(&r);
}

static void test_report_released_and_deleted_per_reason(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	const struct al_report_reason *exe, *virus, *origin;

	(void)data;
	gather(f, &plain, &r);
	exe = &r.reasons[AL_REASON_EXECUTABLE];
	virus = &r.reasons[AL_REASON_VIRUS];
	origin = &r.reasons[AL_REASON_UNKNOWN_ORIGIN];
	/* The rejected executable was never stored: one quarantined message. */
	g_assert_cmpint(exe->released, ==, 1);
	g_assert_cmpint(exe->deleted + exe->pending + exe->purged, ==, 0);
	g_assert_cmpint(r.reasons[AL_REASON_DISGUISED].released, ==, 1);
	g_assert_cmpint(virus->deleted, ==, 1);
	g_assert_cmpint(virus->released + virus->pending, ==, 0);
	g_assert_cmpint(origin->pending, ==, 1);
	g_assert_cmpint(r.reasons[AL_REASON_MACRO].pending, ==, 1);
	al_report_free(&r);
	/* Deleted after its release: still a false positive. */
	g_assert_cmpint(al_store_set_status(f->store, f->released_id, AL_STATUS_RELEASED,
					    AL_STATUS_DELETED, "admin", "deleted", NULL, NULL),
			==, 0);
	gather(f, &plain, &r);
	g_assert_cmpint(r.reasons[AL_REASON_EXECUTABLE].released, ==, 1);
	g_assert_cmpint(r.reasons[AL_REASON_EXECUTABLE].deleted, ==, 0);
	al_report_free(&r);
}

static void test_report_trend_per_day(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	const struct al_report_bucket *b3, *b10, *b20;
	gint64 stopped = 0;

	(void)data;
	gather(f, &plain, &r);
	g_assert_cmpuint(r.trend->len, ==, 31);
	b3 = &g_array_index(r.trend, struct al_report_bucket, 2);
	b10 = &g_array_index(r.trend, struct al_report_bucket, 9);
	b20 = &g_array_index(r.trend, struct al_report_bucket, 19);
	g_assert_cmpuint(g_date_get_day(&b3->start), ==, 3);
	g_assert_cmpint(b3->messages, ==, 2);
	g_assert_cmpint(b3->messages_stopped, ==, 1);
	g_assert_cmpint(b3->attachments, ==, 3);
	g_assert_cmpint(b3->attachments_stopped, ==, 1);
	g_assert_cmpint(b10->messages, ==, 3);
	g_assert_cmpint(b10->messages_stopped, ==, 3);
	g_assert_cmpint(b10->attachments_stopped, ==, 3);
	g_assert_cmpint(b20->attachments_stopped, ==, 1);
	for (guint i = 0; i < r.trend->len; i++)
		stopped += g_array_index(r.trend, struct al_report_bucket, i).attachments_stopped;
	g_assert_cmpint(stopped, ==, r.totals.attachments_stopped);
	al_report_free(&r);
}

static void test_report_long_period_is_trended_per_week(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	GDate since, until;
	GError *error = NULL;
	gint64 stopped = 0;
	const struct al_report_bucket *first, *second, *last;

	(void)data;
	/* 2020-01-15 is a Wednesday: the first week is clipped to it. */
	g_assert_true(al_report_parse_date("2020-01-15", &since));
	g_assert_true(al_report_parse_date("2020-04-30", &until));
	g_assert_cmpint(al_report_gather(f->store, &since, &until, &plain, &r, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_true(r.weekly);
	first = &g_array_index(r.trend, struct al_report_bucket, 0);
	second = &g_array_index(r.trend, struct al_report_bucket, 1);
	last = &g_array_index(r.trend, struct al_report_bucket, r.trend->len - 1);
	g_assert_cmpint(g_date_compare(&first->start, &since), ==, 0);
	g_assert_cmpuint(g_date_get_day(&first->end), ==, 19);
	g_assert_cmpint(g_date_get_weekday(&second->start), ==, G_DATE_MONDAY);
	g_assert_cmpint(g_date_compare(&last->end, &until), ==, 0);
	for (guint i = 0; i < r.trend->len; i++)
		stopped += g_array_index(r.trend, struct al_report_bucket, i).attachments_stopped;
	/* February's executable now counts too. */
	g_assert_cmpint(stopped, ==, 6);
	g_assert_cmpint(r.totals.attachments_stopped, ==, 6);
	al_report_free(&r);
}

static void test_report_top_lists(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	const struct al_report_count *row;

	(void)data;
	gather(f, &plain, &r);
	/* Recipients compared in lower case, without brackets. */
	row = find_count(r.recipients, "alice@corp.example");
	g_assert_cmpint(row->messages, ==, 2);
	g_assert_cmpint(row->count, ==, 2);
	row = find_count(r.recipients, "bob@corp.example");
	g_assert_cmpint(row->count, ==, 1);
	g_assert_cmpuint(r.recipients->len, ==, 4);
	g_assert_cmpstr(((struct al_report_count *)r.recipients->pdata[0])->key, ==,
			"alice@corp.example");
	/* Domains from the header From, lower case. */
	row = find_count(r.sender_domains, "evil.example");
	g_assert_cmpint(row->messages, ==, 1);
	g_assert_cmpint(row->count, ==, 1);
	g_assert_cmpuint(r.sender_domains->len, ==, 4);
	row = find_count(r.detected_types, "application/x-dosexec");
	g_assert_cmpint(row->count, ==, 1);
	g_assert_cmpuint(r.disguises->len, ==, 1);
	row = r.disguises->pdata[0];
	g_assert_cmpstr(row->key, ==, "application/x-dosexec");
	g_assert_cmpstr(row->detail, ==, ".pdf");
	al_report_free(&r);
}

static void test_report_examples_cover_reasons_most_dangerous_first(struct fixture *f,
								    gconstpointer data)
{
	struct al_report r;
	const struct al_report_options two = {.example_rows = 2, .now = 1};
	const struct al_report_example *e;

	(void)data;
	gather(f, &plain, &r);
	g_assert_cmpuint(r.examples->len, ==, 4);
	al_report_free(&r);
	gather(f, &two, &r);
	/* The virus, then the disguise; shown in date order. */
	g_assert_cmpuint(r.examples->len, ==, 2);
	e = r.examples->pdata[0];
	g_assert_cmpstr(e->filename, ==, "facture.pdf.exe");
	g_assert_cmpstr(e->sender_domain, ==, "evil.example");
	g_assert_cmpstr(e->subject, ==, "Votre facture");
	g_assert_cmpint(e->received_at, ==, unix_day("2020-03-03", 9));
	e = r.examples->pdata[1];
	g_assert_cmpstr(e->filename, ==, "eicar.txt");
	g_assert_cmphex(e->reasons, ==, AL_REASON_BIT(AL_REASON_VIRUS));
	al_report_free(&r);
}

static void test_report_empty_period(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	GDate since, until;
	GError *error = NULL;

	(void)data;
	g_assert_true(al_report_parse_date("2019-01-01", &since));
	g_assert_true(al_report_parse_date("2019-01-01", &until));
	g_assert_cmpint(al_report_gather(f->store, &since, &until, &plain, &r, &error), ==, 0);
	g_assert_cmpint(r.totals.messages, ==, 0);
	g_assert_cmpuint(r.examples->len, ==, 0);
	g_assert_cmpuint(r.trend->len, ==, 1);
	for (const char *const *fmt = (const char *const[]){"text", "html", "csv", "json", NULL};
	     *fmt != NULL; fmt++) {
		g_autofree char *out = render(&r, *fmt, "fr");

		g_assert_cmpuint(strlen(out), >, 100);
	}
	al_report_free(&r);
}

static void test_report_bad_requests_are_errors(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	GDate since, until;
	GError *error = NULL;
	const struct al_report_options anon_no_key = {.anonymize = TRUE};

	(void)data;
	g_assert_true(al_report_parse_date("2020-03-31", &since));
	g_assert_true(al_report_parse_date("2020-03-01", &until));
	g_assert_cmpint(al_report_gather(f->store, &since, &until, &plain, &r, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_clear_error(&error);
	al_report_free(&r);
	g_assert_cmpint(al_report_gather(f->store, &until, &since, &anon_no_key, &r, &error), ==,
			-1);
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_clear_error(&error);
	al_report_free(&r);
}

/* ---- escaping ---- */

static void test_report_html_escapes_hostile_strings(struct fixture *f, gconstpointer data)
{
	struct al_report r;

	(void)data;
	gather(f, &plain, &r);
	for (const char *const *lang = (const char *const[]){"fr", "en", NULL}; *lang; lang++) {
		g_autofree char *html = render(&r, "html", *lang);
		g_autofree char *lower = g_ascii_strdown(html, -1);

		g_assert_null(strstr(lower, "<script"));
		g_assert_null(strstr(lower, "<b>x"));
		g_assert_null(strstr(html, "\u202e"));
		g_assert_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;"
					      "<span class=\"cc\">U+202E</span>"));
		g_assert_nonnull(strstr(html, "-2+3 &lt;b&gt;x&lt;/b&gt;<span class=\"cc\">U+202E"
					      "</span>gnp.exe"));
		/* Self-contained: nothing to fetch, nothing to run. */
		g_assert_null(strstr(lower, "src="));
		g_assert_null(strstr(lower, "href="));
		g_assert_null(strstr(lower, "url("));
		g_assert_null(strstr(lower, "@import"));
		g_assert_nonnull(strstr(lower, "@page{size:a4"));
		g_assert_nonnull(strstr(lower, "<svg"));
		g_assert_true(g_utf8_validate(html, -1, NULL));
	}
	al_report_free(&r);
}

static void test_report_json_keeps_hostile_strings_intact(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	g_autofree char *json = NULL;
	GString *subject = g_string_new("\"subject\":");
	GString *file = g_string_new("\"filename\":");

	(void)data;
	gather(f, &plain, &r);
	json = render(&r, "json", "en");
	al_json_append_string(subject, HOSTILE_SUBJECT);
	al_json_append_string(file, HOSTILE_FILE);
	g_assert_nonnull(strstr(json, subject->str));
	g_assert_nonnull(strstr(json, file->str));
	g_assert_nonnull(strstr(json, "\"messages\":{\"seen\":6,\"accept\":1,\"strip\":3,"
				      "\"hold\":1,\"reject\":1,\"tempfail\":0}"));
	g_assert_nonnull(strstr(json, "\"attachments\":{\"seen\":7,\"accepted\":2,\"stopped\":5}"));
	g_assert_nonnull(strstr(json, "\"reason\":\"executable\""));
	g_assert_nonnull(strstr(json, "\"false_positive_percent\":100"));
	g_assert_cmpint(json[strlen(json) - 1], ==, '\n');
	g_assert_null(strchr(json, '\n') == json + strlen(json) - 1 ? NULL : "more than one line");
	g_string_free(subject, TRUE);
	g_string_free(file, TRUE);
	al_report_free(&r);
}

static void test_report_text_escapes_controls(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	g_autofree char *text = NULL;

	(void)data;
	gather(f, &plain, &r);
	text = render(&r, "text", "en");
	g_assert_null(strstr(text, "\u202e"));
	g_assert_nonnull(strstr(text, "<script>alert(1)</script>\"\\u{202e}"));
	g_assert_nonnull(strstr(text, "1 March 2020"));
	g_assert_nonnull(strstr(text, "Disguised file (disguised)"));
	al_report_free(&r);
}

/* No cell may start with a formula character. */
static void test_report_csv_guards_formulas(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	g_autofree char *csv = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GRegex) formula = g_regex_new("(^|,)\"[=+\\-@\\t\\r]", 0, 0, NULL);

	(void)data;
	gather(f, &plain, &r);
	csv = render(&r, "csv", "fr");
	g_assert_true(g_str_has_prefix(csv, "section,key,field,value\r\n"));
	g_assert_nonnull(strstr(csv, "\"'-2+3 <b>x</b>\u202egnp.exe\""));
	g_assert_nonnull(strstr(csv, "\"<script>alert(1)</script>\"\"\u202e\""));
	g_assert_nonnull(strstr(csv, "\"totals\",\"messages\",\"seen\",\"6\"\r\n"));
	g_assert_nonnull(strstr(csv, "\"reason\",\"executable\",\"released\",\"1\"\r\n"));
	lines = g_strsplit(csv, "\r\n", -1);
	for (char **line = lines; *line != NULL; line++)
		g_assert_false(g_regex_match(formula, *line, 0, NULL));
	al_report_free(&r);
}

/* ---- anonymised ---- */

static void test_report_anonymized_has_no_address_anywhere(struct fixture *f, gconstpointer data)
{
	const struct al_report_options anon = {
	    .anonymize = TRUE, .key = key_a, .key_bytes = sizeof(key_a), .now = 1};
	g_autoptr(GRegex) address = g_regex_new("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+", 0, 0, NULL);
	g_autofree char *alice = al_report_pseudonym(key_a, sizeof(key_a), "ALICE@corp.example");
	struct al_report r;

	(void)data;
	gather(f, &anon, &r);
	g_assert_true(r.anonymized);
	g_assert_cmpint(find_count(r.recipients, alice)->count, ==, 2);
	for (const char *const *fmt = (const char *const[]){"text", "html", "csv", "json", NULL};
	     *fmt != NULL; fmt++)
		for (const char *const *lang = (const char *const[]){"fr", "en", NULL}; *lang;
		     lang++) {
			g_autofree char *out = render(&r, *fmt, *lang);

			if (g_regex_match(address, out, 0, NULL))
				g_error("%s/%s holds an address:\n%s", *fmt, *lang, out);
			g_assert_null(strstr(out, "alice"));
			g_assert_null(strstr(out, "frank"));
			g_assert_nonnull(strstr(out, alice));
		}
	al_report_free(&r);
}

static void test_report_pseudonyms_are_stable_and_keyed(void)
{
	g_autofree char *a1 = al_report_pseudonym(key_a, sizeof(key_a), "bob@corp.example");
	g_autofree char *a2 = al_report_pseudonym(key_a, sizeof(key_a), "Bob@Corp.Example");
	g_autofree char *b = al_report_pseudonym(key_b, sizeof(key_b), "bob@corp.example");
	g_autofree char *other = al_report_pseudonym(key_a, sizeof(key_a), "carol@corp.example");

	g_assert_cmpstr(a1, ==, a2);
	g_assert_cmpstr(a1, !=, b);
	g_assert_cmpstr(a1, !=, other);
	g_assert_cmpuint(strlen(a1), ==, 12);
	g_assert_true(g_str_has_prefix(a1, "P-"));
}

/* ---- words and dates ---- */

static void test_report_dates_in_each_language(struct fixture *f, gconstpointer data)
{
	struct al_report r;
	g_autofree char *fr = NULL;
	g_autofree char *en = NULL;

	(void)data;
	gather(f, &plain, &r);
	fr = render(&r, "html", "fr");
	en = render(&r, "html", "en");
	g_assert_nonnull(strstr(fr, "Du 1er mars 2020 au 31 mars 2020 (31 jours)"));
	g_assert_nonnull(strstr(en, "From 1 March 2020 to 31 March 2020 (31 days)"));
	g_assert_nonnull(strstr(fr, "<html lang=\"fr\">"));
	/* The notices' sentence, and a tip only for reasons seen. */
	g_assert_nonnull(strstr(en, "This file is a program: opening it could install malicious "
				    "software."));
	g_assert_nonnull(strstr(fr, "Ce fichier est un programme"));
	g_assert_nonnull(strstr(en, "Enable content"));
	g_assert_null(strstr(en, "transfer platform"));
	al_report_free(&r);
}

static void test_report_parse_date_table(void)
{
	static const struct {
		const char *text;
		gboolean ok;
	} cases[] = {
	    {"2020-02-29", TRUE},  {"2021-02-29", FALSE},  {"2020-13-01", FALSE},
	    {"2020-1-01", FALSE},  {"2020-01-01x", FALSE}, {"", FALSE},
	    {"+020-01-01", FALSE}, {"2020-00-10", FALSE},  {"1999-12-31", TRUE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		GDate date;

		g_assert_cmpint(al_report_parse_date(cases[i].text, &date), ==, cases[i].ok);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/report/gather/totals-come-from-the-daily-counters",
	    test_report_totals_come_from_the_daily_counters);
	ADD("/report/gather/released-and-deleted-per-reason",
	    test_report_released_and_deleted_per_reason);
	ADD("/report/gather/trend-per-day", test_report_trend_per_day);
	ADD("/report/gather/long-period-is-trended-per-week",
	    test_report_long_period_is_trended_per_week);
	ADD("/report/gather/top-lists", test_report_top_lists);
	ADD("/report/gather/examples-cover-reasons-most-dangerous-first",
	    test_report_examples_cover_reasons_most_dangerous_first);
	ADD("/report/gather/empty-period", test_report_empty_period);
	ADD("/report/gather/bad-requests-are-errors", test_report_bad_requests_are_errors);
	ADD("/report/render/html-escapes-hostile-strings",
	    test_report_html_escapes_hostile_strings);
	ADD("/report/render/json-keeps-hostile-strings-intact",
	    test_report_json_keeps_hostile_strings_intact);
	ADD("/report/render/text-escapes-controls", test_report_text_escapes_controls);
	ADD("/report/render/csv-guards-formulas", test_report_csv_guards_formulas);
	ADD("/report/render/dates-in-each-language", test_report_dates_in_each_language);
	ADD("/report/anonymize/no-address-anywhere",
	    test_report_anonymized_has_no_address_anywhere);
#undef ADD
	g_test_add_func("/report/anonymize/pseudonyms-are-stable-and-keyed",
			test_report_pseudonyms_are_stable_and_keyed);
	g_test_add_func("/report/parse-date-table", test_report_parse_date_table);
	return g_test_run();
}
