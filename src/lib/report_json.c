/*
 * report_json.c - a report as one JSON object (for a SIEM or a script).
 *
 * DESCRIPTION
 *	One line, ending with a newline. Dates are ISO 8601 (UTC days),
 *	times unix seconds, reasons their stable codes; the sentences
 *	(explanation, lesson, tips) are in the chosen language. Strings go
 *	through al_json_append_string(), so a hostile subject arrives
 *	intact and cannot break the object. Layout: airlockctl(8).
 */
#include "report_private.h"

#include "airlock/json.h"
#include "airlock/notice.h"

static void member(GString *out, const char *name, const char *value)
{
	g_string_append_printf(out, "\"%s\":", name);
	al_json_append_string(out, value);
}

static void number(GString *out, const char *name, gint64 value)
{
	g_string_append_printf(out, "\"%s\":%" G_GINT64_FORMAT, name, value);
}

static void date_member(GString *out, const char *name, const GDate *date)
{
	g_autofree char *iso = report_iso_date(date);

	member(out, name, iso);
}

static void period(GString *out, const struct al_report *report, const char *lang)
{
	GDate generated;

	report_date_from_time(report->generated_at, &generated);
	g_string_append(out, "{\"report\":\"airlock\",\"version\":1,");
	member(out, "language", report_words_for(lang)->code);
	g_string_append(out, ",\"period\":{");
	date_member(out, "since", &report->since);
	g_string_append_c(out, ',');
	date_member(out, "until", &report->until);
	g_string_append_printf(out, ",\"days\":%u,\"trend\":\"%s\"},", report->days,
			       report->weekly ? "week" : "day");
	number(out, "generated_at", report->generated_at);
	g_string_append_printf(out, ",\"anonymized\":%s,", report->anonymized ? "true" : "false");
}

static void totals(GString *out, const struct al_report *report)
{
	const struct al_report_totals *t = &report->totals;

	g_string_append(out, "\"totals\":{\"messages\":{");
	number(out, "seen", t->messages);
	for (int a = 0; a < AL_ACTION_COUNT; a++) {
		g_string_append_c(out, ',');
		number(out, al_action_name(a), t->messages_by_action[a]);
	}
	g_string_append(out, "},\"attachments\":{");
	number(out, "seen", t->attachments);
	g_string_append_c(out, ',');
	number(out, "accepted", t->attachments_accepted);
	g_string_append_c(out, ',');
	number(out, "stopped", t->attachments_stopped);
	g_string_append(out, "},");
	number(out, "quarantined_messages", report->quarantined);
	g_string_append_c(out, ',');
	number(out, "safe_copies", report->safe_copies);
	g_string_append(out, "},");
}

static void reasons(GString *out, const struct al_report *report, const char *lang)
{
	gboolean first = TRUE;

	g_string_append(out, "\"reasons\":[");
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		int fp = report_fp_percent(c);

		if (!(report->reasons_seen & AL_REASON_BIT(r)))
			continue;
		g_string_append(out, first ? "{" : ",{");
		first = FALSE;
		member(out, "reason", al_reason_name(r));
		g_string_append_c(out, ',');
		member(out, "title", report_reason_title(r, lang));
		g_string_append_printf(out, ",\"attachments\":%" G_GINT64_FORMAT
				       ",\"messages\":%" G_GINT64_FORMAT ",",
				       c->attachments, c->messages);
		member(out, "explanation", al_notice_reason_sentence(r, lang));
		g_string_append_c(out, ',');
		member(out, "lesson", report_reason_lesson(r, lang));
		g_string_append_printf(out,
				       ",\"quarantined\":{\"pending\":%" G_GINT64_FORMAT
				       ",\"released\":%" G_GINT64_FORMAT ",\"deleted\":%" G_GINT64_FORMAT
				       ",\"purged\":%" G_GINT64_FORMAT "},",
				       c->pending, c->released, c->deleted, c->purged);
		if (fp >= 0)
			g_string_append_printf(out, "\"false_positive_percent\":%d}", fp);
		else
			g_string_append(out, "\"false_positive_percent\":null}");
	}
	g_string_append(out, "],");
}

static void trend(GString *out, const struct al_report *report)
{
	g_string_append(out, "\"trend\":[");
	for (guint i = 0; i < report->trend->len; i++) {
		const struct al_report_bucket *b =
		    &g_array_index(report->trend, struct al_report_bucket, i);

		g_string_append(out, i > 0 ? ",{" : "{");
		date_member(out, "start", &b->start);
		g_string_append_c(out, ',');
		date_member(out, "end", &b->end);
		g_string_append_printf(out,
				       ",\"messages\":%" G_GINT64_FORMAT
				       ",\"messages_stopped\":%" G_GINT64_FORMAT
				       ",\"attachments\":%" G_GINT64_FORMAT
				       ",\"attachments_stopped\":%" G_GINT64_FORMAT "}",
				       b->messages, b->messages_stopped, b->attachments,
				       b->attachments_stopped);
	}
	g_string_append(out, "],");
}

/* A top list; detail_name: the member for row->detail, or NULL. */
static void top_list(GString *out, const char *name, const GPtrArray *rows, const char *key_name,
		     const char *detail_name, gboolean with_messages)
{
	g_string_append_printf(out, "\"%s\":[", name);
	for (guint i = 0; i < rows->len; i++) {
		const struct al_report_count *row = rows->pdata[i];

		g_string_append(out, i > 0 ? ",{" : "{");
		member(out, key_name, row->key[0] != '\0' ? row->key : NULL);
		if (detail_name != NULL) {
			g_string_append_c(out, ',');
			member(out, detail_name, row->detail);
		}
		g_string_append_c(out, ',');
		number(out, "attachments", row->count);
		if (with_messages) {
			g_string_append_c(out, ',');
			number(out, "messages", row->messages);
		}
		g_string_append_c(out, '}');
	}
	g_string_append(out, "],");
}

static void reason_codes(GString *out, al_reason_set reasons)
{
	g_string_append(out, "\"reasons\":");
	al_json_append_reasons(out, reasons);
}

static void examples(GString *out, const struct al_report *report)
{
	g_string_append(out, "\"examples\":[");
	for (guint i = 0; i < report->examples->len; i++) {
		const struct al_report_example *e = report->examples->pdata[i];
		GDate day;

		report_date_from_time(e->received_at, &day);
		g_string_append(out, i > 0 ? ",{" : "{");
		date_member(out, "date", &day);
		g_string_append_c(out, ',');
		number(out, "received_at", e->received_at);
		g_string_append_c(out, ',');
		member(out, "sender_domain", e->sender_domain);
		g_string_append_c(out, ',');
		member(out, "subject", e->subject);
		g_string_append_c(out, ',');
		member(out, "filename", e->filename);
		g_string_append_c(out, ',');
		member(out, "detected_type", e->detected_type);
		g_string_append_c(out, ',');
		reason_codes(out, e->reasons);
		g_string_append_c(out, '}');
	}
	g_string_append(out, "],");
}

static void tips(GString *out, const struct al_report *report, const char *lang)
{
	g_string_append(out, "\"tips\":[");
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		if (!(report->reasons_seen & AL_REASON_BIT(r)))
			continue;
		g_string_append_printf(out, "{\"reason\":\"%s\",", al_reason_name(r));
		member(out, "text", report_reason_tip(r, lang));
		g_string_append(out, "},");
	}
	g_string_append(out, "{\"reason\":null,");
	member(out, "text", report_words_for(lang)->tip_always);
	g_string_append(out, "}]");
}

void al_report_render_json(const struct al_report *report, const char *lang, GString *out)
{
	period(out, report, lang);
	totals(out, report);
	reasons(out, report, lang);
	trend(out, report);
	top_list(out, "detected_types", report->detected_types, "type", NULL, FALSE);
	top_list(out, "disguises", report->disguises, "real_type", "looked_like", FALSE);
	top_list(out, "sender_domains", report->sender_domains, "domain", NULL, TRUE);
	top_list(out, "recipients", report->recipients, "recipient", NULL, TRUE);
	examples(out, report);
	tips(out, report, lang);
	g_string_append(out, "}\n");
}
