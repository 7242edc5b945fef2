/*
 * report_svg.c - the charts of the HTML report, as inline SVG.
 *
 * DESCRIPTION
 *	Plain SVG shapes and text with a viewBox, so the charts scale to
 *	the page on screen and on A4 paper; no script, no external font or
 *	image. A <title> on each bar gives its exact value on hover. Only
 *	our own words and numbers are drawn here (no string from mail),
 *	and they still go through report_html_text().
 */
#include "report_private.h"

#define CHART_WIDTH  700
#define ROW_HEIGHT   26
#define LABEL_WIDTH  230
#define BAR_MAX	     270 /* leaves room for the value after the bar */
#define OUTCOME_MAX  380

static const char *const reason_colours[AL_REASON_COUNT] = {
	[AL_REASON_VIRUS] = "#b71c1c",	   [AL_REASON_EXECUTABLE] = "#d84315",
	[AL_REASON_DISGUISED] = "#6a1b9a", [AL_REASON_MACRO] = "#ad1457",
	[AL_REASON_ENCRYPTED] = "#1565c0", [AL_REASON_LIMITS] = "#00838f",
	[AL_REASON_MALFORMED] = "#4e342e", [AL_REASON_POLYGLOT] = "#283593",
	[AL_REASON_UNKNOWN_TYPE] = "#558b2f",	   [AL_REASON_UNSCANNABLE] = "#37474f",
	[AL_REASON_UNKNOWN_ORIGIN] = "#f9a825",
};

const char *report_reason_colour(enum al_reason reason)
{
	return reason_colours[reason];
}

/* The top of a value axis with a labelled middle: an even number >= value,
 * then the smallest of 1, 2, 5 times a power of ten. */
static gint64 nice_ceiling(gint64 value)
{
	gint64 step = 10;

	if (value <= 10)
		return MAX(2, value + value % 2);
	for (;;) {
		if (value <= step)
			return step;
		if (value <= 2 * step)
			return 2 * step;
		if (value <= 5 * step)
			return 5 * step;
		step *= 10;
	}
}

static void svg_open(GString *out, int height, const char *label)
{
	g_string_append_printf(out,
			       "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
			       "xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"",
			       CHART_WIDTH, height);
	report_html_text(out, label);
	g_string_append(out, "\">\n");
}

static void text_at(GString *out, double x, double y, const char *anchor, const char *cls,
		    const char *text)
{
	g_string_append_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">",
			       x, y, anchor, cls);
	report_html_text(out, text);
	g_string_append(out, "</text>\n");
}

static void bar(GString *out, double x, double y, double w, double h, const char *colour,
		const char *title)
{
	g_string_append_printf(out,
			       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			       "fill=\"%s\"><title>",
			       x, y, w, h, colour);
	report_html_text(out, title);
	g_string_append(out, "</title></rect>\n");
}

/* ---- trend ---- */

static void trend_axes(GString *out, gint64 top, double left, double right, double bottom,
		       double height)
{
	for (int k = 0; k <= 2; k++) {
		double y = bottom - height * k / 2.0;
		char value[32];

		g_snprintf(value, sizeof(value), "%" G_GINT64_FORMAT, top * k / 2);
		g_string_append_printf(out,
				       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				       "class=\"grid\"/>\n",
				       left, y, right, y);
		text_at(out, left - 6, y + 4, "end", "axis", value);
	}
}

void report_svg_trend(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	const double left = 44, right = CHART_WIDTH - 10, top_y = 12, bottom = 170;
	guint n = report->trend->len;
	guint label_every = n <= 8 ? 1 : (n + 7) / 8;
	gint64 max = 0, top;
	double slot = (right - left) / MAX(n, 1);

	for (guint i = 0; i < n; i++)
		max = MAX(max, g_array_index(report->trend, struct al_report_bucket, i)
				   .attachments_stopped);
	top = nice_ceiling(MAX(max, 1));
	svg_open(out, 200, report->weekly ? w->trend_week_note : w->trend_day_note);
	trend_axes(out, top, left, right, bottom, bottom - top_y);
	for (guint i = 0; i < n; i++) {
		const struct al_report_bucket *b =
		    &g_array_index(report->trend, struct al_report_bucket, i);
		double h = (bottom - top_y) * (double)b->attachments_stopped / (double)top;
		g_autofree char *day = report_format_date(&b->start, lang);
		g_autofree char *title =
		    g_strdup_printf("%s: %" G_GINT64_FORMAT, day, b->attachments_stopped);

		bar(out, left + slot * i + slot * 0.12, bottom - h, slot * 0.76, h, "#0b4f6c", title);
		if (i % label_every == 0) {
			g_autofree char *label = report_format_short_date(&b->start, lang);

			text_at(out, left + slot * (i + 0.5), bottom + 16, "middle", "axis", label);
		}
	}
	g_string_append(out, "</svg>\n");
}

/* ---- per reason ---- */

static int seen_count(const struct al_report *report)
{
	int n = 0;

	for (int r = 0; r < AL_REASON_COUNT; r++)
		n += (report->reasons_seen & AL_REASON_BIT(r)) != 0;
	return n;
}

void report_svg_reasons(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	gint64 max = 1;
	int row = 0;

	for (int r = 0; r < AL_REASON_COUNT; r++)
		max = MAX(max, report->reasons[r].attachments);
	svg_open(out, seen_count(report) * ROW_HEIGHT + 8, w->reasons_title);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		double y = 4 + row * ROW_HEIGHT;
		double length = BAR_MAX * (double)c->attachments / (double)max;
		g_autofree char *value = NULL;

		if (!(report->reasons_seen & AL_REASON_BIT(r)))
			continue;
		row++;
		value = report_counts_phrase(c->attachments, c->messages, lang);
		text_at(out, LABEL_WIDTH - 8, y + 15, "end", "label", report_reason_title(r, lang));
		bar(out, LABEL_WIDTH, y + 3, MAX(length, 2.0), ROW_HEIGHT - 8, reason_colours[r],
		    value);
		text_at(out, LABEL_WIDTH + MAX(length, 2.0) + 6, y + 15, "start", "value", value);
	}
	g_string_append(out, "</svg>\n");
}

/* ---- released or deleted ---- */

static const char *const outcome_colours[4] = {"#9aa5b1", "#e67e22", "#2e7d32", "#cbd2d9"};

static void outcome_legend(GString *out, const struct report_words *w, double y)
{
	const char *labels[4] = {w->col_pending, w->col_released, w->col_deleted, w->col_purged};

	for (int k = 0; k < 4; k++) {
		double x = LABEL_WIDTH + k * 110;

		g_string_append_printf(out,
				       "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" "
				       "fill=\"%s\"/>\n",
				       x, y, outcome_colours[k]);
		text_at(out, x + 16, y + 10, "start", "axis", labels[k]);
	}
}

static void outcome_row(GString *out, const struct al_report_reason *c, double y,
			const struct report_words *w)
{
	const gint64 parts[4] = {c->pending, c->released, c->deleted, c->purged};
	const char *labels[4] = {w->col_pending, w->col_released, w->col_deleted, w->col_purged};
	gint64 total = parts[0] + parts[1] + parts[2] + parts[3];
	double x = LABEL_WIDTH;

	for (int k = 0; k < 4; k++) {
		double length = OUTCOME_MAX * (double)parts[k] / (double)total;
		g_autofree char *title = NULL;

		if (parts[k] == 0)
			continue;
		title = g_strdup_printf("%s: %" G_GINT64_FORMAT, labels[k], parts[k]);
		bar(out, x, y + 3, length, ROW_HEIGHT - 8, outcome_colours[k], title);
		x += length;
	}
}

void report_svg_outcome(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	int rows = 0, row = 0;

	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];

		rows += c->pending + c->released + c->deleted + c->purged > 0;
	}
	svg_open(out, rows * ROW_HEIGHT + 30, w->outcome_title);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		double y = 4 + row * ROW_HEIGHT;
		int fp = report_fp_percent(c);

		if (c->pending + c->released + c->deleted + c->purged == 0)
			continue;
		row++;
		text_at(out, LABEL_WIDTH - 8, y + 15, "end", "label", report_reason_title(r, lang));
		outcome_row(out, c, y, w);
		if (fp >= 0) {
			g_autofree char *rate = g_strdup_printf("%d %%", fp);

			text_at(out, CHART_WIDTH - 4, y + 15, "end", "value", rate);
		}
	}
	outcome_legend(out, w, 4 + rows * ROW_HEIGHT + 6);
	g_string_append(out, "</svg>\n");
}
