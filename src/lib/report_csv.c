/*
 * report_csv.c - a report as one CSV table, for spreadsheets.
 *
 * DESCRIPTION
 *	A long table: the header line "section,key,field,value", then one
 *	row per value, so that every section fits the same four columns and
 *	a spreadsheet's pivot table rebuilds any view. Sections, keys and
 *	fields are listed in airlockctl(8); dates are ISO 8601 (UTC days),
 *	numbers plain integers, sentences in the chosen language.
 *
 *	RFC 4180: every cell quoted, quotes doubled, lines end with CRLF.
 *	Mail is hostile and spreadsheets run formulas: a cell that starts
 *	with = + - @, a tab or a carriage return gets a leading quote (')
 *	so that it is shown as text and never evaluated (the OWASP advice
 *	for CSV injection). Text is otherwise kept as gathered.
 */
#include "report_private.h"

#include "airlock/notice.h"

#include <string.h>

static void cell(GString *out, const char *value)
{
	g_autofree char *valid = g_utf8_make_valid(value != NULL ? value : "", -1);

	g_string_append_c(out, '"');
	if (strchr("=+-@\t\r", valid[0]) != NULL && valid[0] != '\0')
		g_string_append_c(out, '\'');
	for (const char *p = valid; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void row(GString *out, const char *section, const char *key, const char *field,
		const char *value)
{
	cell(out, section);
	g_string_append_c(out, ',');
	cell(out, key);
	g_string_append_c(out, ',');
	cell(out, field);
	g_string_append_c(out, ',');
	cell(out, value);
	g_string_append(out, "\r\n");
}

static void row_number(GString *out, const char *section, const char *key, const char *field,
		       gint64 value)
{
	char text[32];

	g_snprintf(text, sizeof(text), "%" G_GINT64_FORMAT, value);
	row(out, section, key, field, text);
}

static void row_date(GString *out, const char *section, const char *key, const char *field,
		     const GDate *date)
{
	g_autofree char *iso = report_iso_date(date);

	row(out, section, key, field, iso);
}

static void meta(GString *out, const struct al_report *report, const char *lang)
{
	GDate generated;

	report_date_from_time(report->generated_at, &generated);
	row(out, "meta", "report", "language", report_words_for(lang)->code);
	row_date(out, "meta", "report", "generated", &generated);
	row(out, "meta", "report", "anonymized", report->anonymized ? "true" : "false");
	row_date(out, "meta", "period", "since", &report->since);
	row_date(out, "meta", "period", "until", &report->until);
	row_number(out, "meta", "period", "days", report->days);
	row(out, "meta", "period", "trend", report->weekly ? "week" : "day");
}

static void totals(GString *out, const struct al_report *report)
{
	const struct al_report_totals *t = &report->totals;

	row_number(out, "totals", "messages", "seen", t->messages);
	for (int a = 0; a < AL_ACTION_COUNT; a++)
		row_number(out, "totals", "messages", al_action_name(a), t->messages_by_action[a]);
	row_number(out, "totals", "messages", "quarantined", report->quarantined);
	row_number(out, "totals", "attachments", "seen", t->attachments);
	row_number(out, "totals", "attachments", "accepted", t->attachments_accepted);
	row_number(out, "totals", "attachments", "stopped", t->attachments_stopped);
	row_number(out, "totals", "attachments", "safe_copies", report->safe_copies);
}

static void reasons(GString *out, const struct al_report *report, const char *lang)
{
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		const char *code = al_reason_name(r);
		int fp = report_fp_percent(c);

		if (!(report->reasons_seen & AL_REASON_BIT(r)))
			continue;
		row(out, "reason", code, "title", report_reason_title(r, lang));
		row_number(out, "reason", code, "attachments", c->attachments);
		row_number(out, "reason", code, "messages", c->messages);
		row_number(out, "reason", code, "pending", c->pending);
		row_number(out, "reason", code, "released", c->released);
		row_number(out, "reason", code, "deleted", c->deleted);
		row_number(out, "reason", code, "purged", c->purged);
		if (fp >= 0)
			row_number(out, "reason", code, "false_positive_percent", fp);
		else
			row(out, "reason", code, "false_positive_percent", "");
		row(out, "reason", code, "explanation", al_notice_reason_sentence(r, lang));
		row(out, "reason", code, "lesson", report_reason_lesson(r, lang));
	}
}

static void trend(GString *out, const struct al_report *report)
{
	for (guint i = 0; i < report->trend->len; i++) {
		const struct al_report_bucket *b =
		    &g_array_index(report->trend, struct al_report_bucket, i);
		g_autofree char *key = report_iso_date(&b->start);

		row_date(out, "trend", key, "end", &b->end);
		row_number(out, "trend", key, "messages", b->messages);
		row_number(out, "trend", key, "messages_stopped", b->messages_stopped);
		row_number(out, "trend", key, "attachments", b->attachments);
		row_number(out, "trend", key, "attachments_stopped", b->attachments_stopped);
	}
}

/* Top lists keyed by rank ("1", "2"...): key_field holds the key. */
static void top_list(GString *out, const char *section, const GPtrArray *rows,
		     const char *key_field, const char *detail_field, gboolean with_messages)
{
	for (guint i = 0; i < rows->len; i++) {
		const struct al_report_count *r = rows->pdata[i];
		char rank[16];

		g_snprintf(rank, sizeof(rank), "%u", i + 1);
		row(out, section, rank, key_field, r->key);
		if (detail_field != NULL)
			row(out, section, rank, detail_field, r->detail);
		row_number(out, section, rank, "attachments", r->count);
		if (with_messages)
			row_number(out, section, rank, "messages", r->messages);
	}
}

static void examples(GString *out, const struct al_report *report)
{
	for (guint i = 0; i < report->examples->len; i++) {
		const struct al_report_example *e = report->examples->pdata[i];
		g_autoptr(GString) codes = g_string_new(NULL);
		char rank[16];
		GDate day;

		g_snprintf(rank, sizeof(rank), "%u", i + 1);
		report_date_from_time(e->received_at, &day);
		al_reason_set_append(codes, e->reasons, ",");
		row_date(out, "example", rank, "date", &day);
		row(out, "example", rank, "sender_domain", e->sender_domain);
		row(out, "example", rank, "subject", e->subject);
		row(out, "example", rank, "filename", e->filename);
		row(out, "example", rank, "detected_type", e->detected_type);
		row(out, "example", rank, "reasons", codes->str);
	}
}

static void tips(GString *out, const struct al_report *report, const char *lang)
{
	for (int r = 0; r < AL_REASON_COUNT; r++)
		if (report->reasons_seen & AL_REASON_BIT(r))
			row(out, "tip", al_reason_name(r), "text", report_reason_tip(r, lang));
	row(out, "tip", "general", "text", report_words_for(lang)->tip_always);
}

void al_report_render_csv(const struct al_report *report, const char *lang, GString *out)
{
	g_string_append(out, "section,key,field,value\r\n");
	meta(out, report, lang);
	totals(out, report);
	reasons(out, report, lang);
	trend(out, report);
	top_list(out, "detected_type", report->detected_types, "type", NULL, FALSE);
	top_list(out, "disguise", report->disguises, "real_type", "looked_like", FALSE);
	top_list(out, "sender_domain", report->sender_domains, "domain", NULL, TRUE);
	top_list(out, "recipient", report->recipients, "recipient", NULL, TRUE);
	examples(out, report);
	tips(out, report, lang);
}
