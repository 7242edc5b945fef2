/*
 * report_text.c - a report for the terminal.
 *
 * DESCRIPTION
 *	Plain UTF-8 text, 80 columns where the values allow, sections in
 *	capitals, bars of '#' for the trend. Every string that came from
 *	mail goes through escaped(): control characters, bidi overrides and
 *	other invisible format characters are written as \u{XXXX}, so a
 *	subject can neither move the cursor nor reorder a line on screen.
 */
#include "report_private.h"

#include "airlock/notice.h"

#include <string.h>

#define BAR_MAX_CHARS 40

/* s made safe for a terminal (transfer full); NULL gives "". */
static char *escaped(const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s != NULL ? s : "", -1);
	GString *out = g_string_new(NULL);

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '\\')
			g_string_append(out, "\\\\");
		else if (report_is_hidden_char(c))
			g_string_append_printf(out, "\\u{%04x}", (unsigned)c);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/* Appends s (already safe) padded with spaces to width characters. */
static void pad(GString *out, const char *s, glong width)
{
	glong chars = g_utf8_strlen(s, -1);

	g_string_append(out, s);
	for (; chars < width; chars++)
		g_string_append_c(out, ' ');
}

static void heading(GString *out, const char *title, const char *note)
{
	g_autofree char *upper = g_utf8_strup(title, -1);

	g_string_append_printf(out, "\n%s\n", upper);
	if (note != NULL)
		g_string_append_printf(out, "  %s\n", note);
}

static void number_line(GString *out, int indent, const char *label, gint64 value)
{
	g_string_append_printf(out, "%*s", indent, "");
	pad(out, label, 52 - indent);
	g_string_append_printf(out, "%8" G_GINT64_FORMAT "\n", value);
}

static void head(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	g_autofree char *since = report_format_date(&report->since, lang);
	g_autofree char *until = report_format_date(&report->until, lang);
	g_autofree char *generated = report_format_time(report->generated_at, lang);

	g_string_append_printf(out, "%s\n%s%s%s%s (%u %s) - %s %s\n%s\n", w->title,
			       w->period_fmt_before, since, w->period_between, until, report->days,
			       report->days == 1 ? w->days_one : w->days_many, w->generated,
			       generated, w->intro);
	if (report->anonymized)
		g_string_append_printf(out, "%s\n", w->anonymized);
}

static void totals(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	const struct al_report_totals *t = &report->totals;

	heading(out, w->totals_title, NULL);
	number_line(out, 2, w->messages_seen, t->messages);
	for (int a = 0; a < AL_ACTION_COUNT; a++)
		number_line(out, 4, w->action_label[a], t->messages_by_action[a]);
	number_line(out, 2, w->attachments_seen, t->attachments);
	number_line(out, 4, w->attachments_accepted, t->attachments_accepted);
	number_line(out, 4, w->attachments_stopped, t->attachments_stopped);
	number_line(out, 4, report_safe_copies_label(lang), report->safe_copies);
}

static void reasons(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	heading(out, w->reasons_title, w->reasons_note);
	if (report->reasons_seen == 0)
		g_string_append_printf(out, "  %s\n", w->nothing_stopped);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		char *phrase;

		if (!(report->reasons_seen & AL_REASON_BIT(r)))
			continue;
		phrase = report_counts_phrase(c->attachments, c->messages, lang);
		g_string_append_printf(out, "  %s (%s) - %s\n", report_reason_title(r, lang),
				       al_reason_name(r), phrase);
		g_free(phrase);
		g_string_append_printf(out, "    %s %s\n    %s %s\n", w->why_label,
				       al_notice_reason_sentence(r, lang), w->lesson_label,
				       report_reason_lesson(r, lang));
	}
}

static void trend(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	gint64 max = 1;

	heading(out, w->trend_title, report->weekly ? w->trend_week_note : w->trend_day_note);
	for (guint i = 0; i < report->trend->len; i++)
		max = MAX(max, g_array_index(report->trend, struct al_report_bucket, i)
				   .attachments_stopped);
	g_string_append(out, "  ");
	pad(out, report->weekly ? w->col_week : w->col_day, 22);
	g_string_append_printf(out, "%s / %s\n", w->col_stopped_attachments, w->col_stopped_messages);
	for (guint i = 0; i < report->trend->len; i++) {
		const struct al_report_bucket *b =
		    &g_array_index(report->trend, struct al_report_bucket, i);
		g_autofree char *day = report_format_date(&b->start, lang);
		gint64 bar = (b->attachments_stopped * BAR_MAX_CHARS + max - 1) / max;

		g_string_append(out, "  ");
		pad(out, day, 22);
		g_string_append_printf(out, "%6" G_GINT64_FORMAT " %6" G_GINT64_FORMAT " ",
				       b->attachments_stopped, b->messages_stopped);
		for (gint64 k = 0; k < bar; k++)
			g_string_append_c(out, '#');
		g_string_append_c(out, '\n');
	}
}

/* A top list: key (and detail) then the counts. */
static void top_list(GString *out, const GPtrArray *rows, const char *title, const char *col_key,
		     const char *col_detail, gboolean with_messages, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	heading(out, title, NULL);
	if (rows->len == 0) {
		g_string_append_printf(out, "  %s\n", w->nothing);
		return;
	}
	g_string_append(out, "  ");
	if (col_detail != NULL)
		pad(out, col_detail, 22);
	pad(out, col_key, 44);
	g_string_append_printf(out, "%s%s%s\n", w->col_attachments, with_messages ? " / " : "",
			       with_messages ? w->col_messages : "");
	for (guint i = 0; i < rows->len; i++) {
		const struct al_report_count *row = rows->pdata[i];
		g_autofree char *key = escaped(row->key[0] != '\0' ? row->key : w->no_sender);
		g_autofree char *detail = escaped(row->detail);

		g_string_append(out, "  ");
		if (col_detail != NULL)
			pad(out, detail, 22);
		pad(out, key, 44);
		g_string_append_printf(out, "%6" G_GINT64_FORMAT, row->count);
		if (with_messages)
			g_string_append_printf(out, " / %" G_GINT64_FORMAT, row->messages);
		g_string_append_c(out, '\n');
	}
}

static void outcome(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	heading(out, w->outcome_title, w->outcome_note);
	g_string_append(out, "  ");
	pad(out, w->col_reason, 28);
	g_string_append_printf(out, "%s | %s | %s | %s | %s\n", w->col_pending, w->col_released,
			       w->col_deleted, w->col_purged, w->col_fp_rate);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		int fp = report_fp_percent(c);

		if (c->pending + c->released + c->deleted + c->purged == 0)
			continue;
		g_string_append(out, "  ");
		pad(out, report_reason_title(r, lang), 28);
		g_string_append_printf(out,
				       "%6" G_GINT64_FORMAT " | %6" G_GINT64_FORMAT
				       " | %6" G_GINT64_FORMAT " | %6" G_GINT64_FORMAT " | ",
				       c->pending, c->released, c->deleted, c->purged);
		if (fp >= 0)
			g_string_append_printf(out, "%d %%\n", fp);
		else
			g_string_append(out, "-\n");
	}
}

static void reason_titles(GString *out, al_reason_set reasons, const char *lang)
{
	gboolean first = TRUE;

	for (int r = 0; r < AL_REASON_COUNT; r++) {
		if (!(reasons & AL_REASON_BIT(r)))
			continue;
		g_string_append_printf(out, "%s%s", first ? "" : ", ", report_reason_title(r, lang));
		first = FALSE;
	}
}

static void examples(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	heading(out, w->examples_title, w->examples_note);
	if (report->examples->len == 0)
		g_string_append_printf(out, "  %s\n", w->nothing);
	for (guint i = 0; i < report->examples->len; i++) {
		const struct al_report_example *e = report->examples->pdata[i];
		g_autofree char *date = report_format_time(e->received_at, lang);
		g_autofree char *domain = escaped(e->sender_domain ? e->sender_domain : w->no_sender);
		g_autofree char *subject = escaped(e->subject ? e->subject : w->no_subject);
		g_autofree char *file = escaped(e->filename ? e->filename : w->whole_message);
		g_autofree char *type = escaped(e->detected_type);

		g_string_append_printf(out, "  %s - %s - %s \"%s\"\n    %s %s%s%s%s - ", date,
				       domain, w->col_subject, subject, w->col_file, file,
				       type[0] ? " (" : "", type, type[0] ? ")" : "");
		reason_titles(out, e->reasons, lang);
		g_string_append_c(out, '\n');
	}
}

static void tips(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	heading(out, w->tips_title, NULL);
	for (int r = 0; r < AL_REASON_COUNT; r++)
		if (report->reasons_seen & AL_REASON_BIT(r))
			g_string_append_printf(out, "  * %s\n", report_reason_tip(r, lang));
	g_string_append_printf(out, "  * %s\n", w->tip_always);
}

void al_report_render_text(const struct al_report *report, const char *lang, GString *out)
{
	const struct report_words *w = report_words_for(lang);

	head(out, report, lang);
	totals(out, report, lang);
	reasons(out, report, lang);
	trend(out, report, lang);
	top_list(out, report->detected_types, w->types_title, w->col_type, NULL, FALSE, lang);
	top_list(out, report->disguises, w->disguises_title, w->col_really, w->col_looks_like,
		 FALSE, lang);
	top_list(out, report->sender_domains, w->domains_title, w->col_domain, NULL, TRUE, lang);
	top_list(out, report->recipients, w->recipients_title, w->col_recipient, NULL, TRUE, lang);
	if (report->anonymized)
		g_string_append_printf(out, "  %s\n", w->recipients_note_anon);
	outcome(out, report, lang);
	examples(out, report, lang);
	tips(out, report, lang);
}
