/*
 * report_html.c - a report as one self-contained HTML page.
 *
 * DESCRIPTION
 *	One file: inline CSS (screen and print: @page A4), inline SVG
 *	charts (report_svg.c), no script, no link, no image, no font to
 *	fetch. A Content-Security-Policy meta element forbids scripts and
 *	every external load anyway, as a second line of defence.
 *
 *	Every string that came from mail (subjects, file names, domains,
 *	addresses) goes through report_html_text(): the five HTML
 *	specials become entities, and control and format characters (the
 *	bidi overrides and isolates of the "invoice\u202efdp.exe" trick,
 *	zero-width characters) are not emitted but shown as a red "U+202E"
 *	marker, so they can neither run markup nor reorder the page; each
 *	such string also sits in a <bdi> element, so right-to-left letters
 *	stay inside their own cell.
 */
#include "report_private.h"

#include "airlock/notice.h"
#include "airlock/version.h"

static const char style[] =
    "@page{size:A4;margin:14mm 12mm}"
    "*{box-sizing:border-box}"
    "body{font-family:'DejaVu Sans',Arial,Helvetica,sans-serif;color:#1f2933;"
    "max-width:200mm;margin:0 auto;padding:16px;font-size:10.5pt;line-height:1.45;"
    "background:#fff}"
    "h1{font-size:19pt;color:#0b4f6c;margin:0 0 4px;border-bottom:3px solid #0b4f6c;"
    "padding-bottom:6px}"
    "h2{font-size:13pt;color:#0b4f6c;margin:20px 0 6px;break-after:avoid}"
    "p{margin:4px 0}.period{font-size:11.5pt;font-weight:bold}.muted{color:#52606d}"
    ".note{color:#52606d;font-size:9.5pt}"
    ".anon{background:#fff8e1;border:1px solid #f9a825;padding:4px 8px;border-radius:4px}"
    ".cards{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}"
    ".card{flex:1 1 110px;border:1px solid #d9e2ec;border-radius:6px;padding:6px 9px;"
    "background:#f5f7fa;break-inside:avoid}"
    ".card b{display:block;font-size:17pt;color:#0b4f6c}.card.stop b{color:#b71c1c}"
    "table{border-collapse:collapse;width:100%;margin:4px 0 8px}"
    "th,td{border-bottom:1px solid #d9e2ec;padding:3px 6px;text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}"
    "th{background:#eef2f6;font-size:9.5pt}tr{break-inside:avoid}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    ".reason{border-left:5px solid #999;padding:4px 10px;margin:8px 0;break-inside:avoid;"
    "background:#fafbfc}"
    ".reason h3{margin:0;font-size:11pt}.lesson{font-weight:bold}"
    ".cc{color:#b71c1c;font-family:'DejaVu Sans Mono',monospace;font-size:85%;"
    "border:1px solid #b71c1c;border-radius:2px;padding:0 1px}"
    ".chart{width:100%;height:auto;display:block;margin:4px 0 8px}"
    ".chart text{font-family:'DejaVu Sans',Arial,sans-serif}"
    ".chart .axis{font-size:10px;fill:#52606d}.chart .label{font-size:12px;fill:#1f2933}"
    ".chart .value{font-size:11px;fill:#1f2933}.chart .grid{stroke:#d9e2ec;stroke-width:1}"
    ".tips li{margin:3px 0}.cols{display:flex;gap:16px}.cols>div{flex:1 1 0;min-width:0}"
    "footer{margin-top:18px;font-size:8.5pt;color:#7b8794;border-top:1px solid #d9e2ec}"
    "@media print{body{max-width:none;padding:0;font-size:10pt}"
    ".card{background:#fff}section{break-inside:auto}}";

void report_html_text(GString *out, const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s != NULL ? s : "", -1);

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			if (report_is_hidden_char(c))
				g_string_append_printf(out, "<span class=\"cc\">U+%04X</span>",
						       (unsigned)c);
			else
				g_string_append_unichar(out, c);
		}
	}
}

/* A string from mail: escaped, isolated from the text around it. */
static void mail_text(GString *out, const char *s)
{
	g_string_append(out, "<bdi>");
	report_html_text(out, s);
	g_string_append(out, "</bdi>");
}

static void element(GString *out, const char *tag, const char *cls, const char *text)
{
	if (cls != NULL)
		g_string_append_printf(out, "<%s class=\"%s\">", tag, cls);
	else
		g_string_append_printf(out, "<%s>", tag);
	report_html_text(out, text);
	g_string_append_printf(out, "</%s>\n", tag);
}

static void cell_number(GString *out, gint64 value)
{
	g_string_append_printf(out, "<td class=\"n\">%" G_GINT64_FORMAT "</td>", value);
}

static void header_row(GString *out, const char *const *labels, guint numeric_from)
{
	g_string_append(out, "<tr>");
	for (guint i = 0; labels[i] != NULL; i++) {
		g_string_append(out, i >= numeric_from ? "<th class=\"n\">" : "<th>");
		report_html_text(out, labels[i]);
		g_string_append(out, "</th>");
	}
	g_string_append(out, "</tr>\n");
}

/* ---- sections ---- */

static void head(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	g_autofree char *since = report_format_date(&report->since, lang);
	g_autofree char *until = report_format_date(&report->until, lang);
	g_autofree char *generated = report_format_time(report->generated_at, lang);
	g_autofree char *period = g_strdup_printf(
	    "%s%s%s%s (%u %s)", w->period_fmt_before, since, w->period_between, until,
	    report->days, report->days == 1 ? w->days_one : w->days_many);
	g_autofree char *made = g_strdup_printf("%s %s", w->generated, generated);

	g_string_append_printf(out,
			       "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
			       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
			       "'none'; style-src 'unsafe-inline'\">\n"
			       "<meta name=\"viewport\" content=\"width=device-width, "
			       "initial-scale=1\">\n<title>",
			       w->code);
	report_html_text(out, w->title);
	g_string_append(out, " - ");
	report_html_text(out, period);
	g_string_append_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
	element(out, "h1", NULL, w->title);
	element(out, "p", "period", period);
	element(out, "p", "muted", made);
	element(out, "p", NULL, w->intro);
	if (report->anonymized)
		element(out, "p", "anon", w->anonymized);
}

static void card(GString *out, const char *label, gint64 value, gboolean stop)
{
	g_string_append_printf(out, "<div class=\"card%s\"><b>%" G_GINT64_FORMAT "</b>",
			       stop ? " stop" : "", value);
	report_html_text(out, label);
	g_string_append(out, "</div>\n");
}

static void totals(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	const struct al_report_totals *t = &report->totals;

	element(out, "h2", NULL, w->totals_title);
	g_string_append(out, "<div class=\"cards\">\n");
	card(out, w->messages_seen, t->messages, FALSE);
	for (int a = 0; a < AL_ACTION_COUNT; a++)
		if (a != AL_ACTION_TEMPFAIL || t->messages_by_action[a] > 0)
			card(out, w->action_label[a], t->messages_by_action[a], a != AL_ACTION_ACCEPT);
	g_string_append(out, "</div>\n<div class=\"cards\">\n");
	card(out, w->attachments_seen, t->attachments, FALSE);
	card(out, w->attachments_accepted, t->attachments_accepted, FALSE);
	card(out, w->attachments_stopped, t->attachments_stopped, TRUE);
	g_string_append(out, "</div>\n");
}

static void reasons(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	g_string_append(out, "<section>\n");
	element(out, "h2", NULL, w->reasons_title);
	if (report->reasons_seen == 0) {
		element(out, "p", NULL, w->nothing_stopped);
		g_string_append(out, "</section>\n");
		return;
	}
	report_svg_reasons(out, report, lang);
	element(out, "p", "note", w->reasons_note);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		char *phrase;

		if (!(report->reasons_seen & AL_REASON_BIT(r)))
			continue;
		g_string_append_printf(out,
				       "<div class=\"reason\" style=\"border-left-color:%s\">\n<h3>",
				       report_reason_colour(r));
		report_html_text(out, report_reason_title(r, lang));
		g_string_append_printf(out, " <span class=\"muted\">(%s) - ", al_reason_name(r));
		phrase = report_counts_phrase(c->attachments, c->messages, lang);
		report_html_text(out, phrase);
		g_free(phrase);
		g_string_append(out, "</span></h3>\n<p>");
		report_html_text(out, al_notice_reason_sentence(r, lang));
		g_string_append(out, "</p>\n<p class=\"lesson\">");
		report_html_text(out, w->lesson_label);
		g_string_append_c(out, ' ');
		report_html_text(out, report_reason_lesson(r, lang));
		g_string_append(out, "</p>\n</div>\n");
	}
	g_string_append(out, "</section>\n");
}

static void trend(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	g_string_append(out, "<section>\n");
	element(out, "h2", NULL, w->trend_title);
	element(out, "p", "note", report->weekly ? w->trend_week_note : w->trend_day_note);
	report_svg_trend(out, report, lang);
	g_string_append(out, "</section>\n");
}

/* A top list as a table; col_detail (the first column) may be NULL. */
static void top_table(GString *out, const GPtrArray *rows, const char *col_detail,
		      const char *col_key, gboolean with_messages, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	const char *labels[5] = {0};
	guint n = 0;

	if (rows->len == 0) {
		element(out, "p", "muted", w->nothing);
		return;
	}
	if (col_detail != NULL)
		labels[n++] = col_detail;
	labels[n++] = col_key;
	labels[n++] = w->col_attachments;
	if (with_messages)
		labels[n++] = w->col_messages;
	g_string_append(out, "<table>\n");
	header_row(out, labels, col_detail != NULL ? 2 : 1);
	for (guint i = 0; i < rows->len; i++) {
		const struct al_report_count *row = rows->pdata[i];

		g_string_append(out, "<tr>");
		if (col_detail != NULL) {
			g_string_append(out, "<td>");
			mail_text(out, row->detail);
			g_string_append(out, "</td>");
		}
		g_string_append(out, "<td>");
		mail_text(out, row->key[0] != '\0' ? row->key : w->no_sender);
		g_string_append(out, "</td>");
		cell_number(out, row->count);
		if (with_messages)
			cell_number(out, row->messages);
		g_string_append(out, "</tr>\n");
	}
	g_string_append(out, "</table>\n");
}

static void top_lists(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	g_string_append(out, "<section class=\"cols\">\n<div>\n");
	element(out, "h2", NULL, w->types_title);
	top_table(out, report->detected_types, NULL, w->col_type, FALSE, lang);
	g_string_append(out, "</div>\n<div>\n");
	element(out, "h2", NULL, w->disguises_title);
	top_table(out, report->disguises, w->col_looks_like, w->col_really, FALSE, lang);
	g_string_append(out, "</div>\n</section>\n<section class=\"cols\">\n<div>\n");
	element(out, "h2", NULL, w->domains_title);
	top_table(out, report->sender_domains, NULL, w->col_domain, TRUE, lang);
	g_string_append(out, "</div>\n<div>\n");
	element(out, "h2", NULL, w->recipients_title);
	top_table(out, report->recipients, NULL, w->col_recipient, TRUE, lang);
	if (report->anonymized)
		element(out, "p", "note", w->recipients_note_anon);
	g_string_append(out, "</div>\n</section>\n");
}

static void outcome(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	const char *const labels[] = {w->col_reason,  w->col_pending, w->col_released,
				      w->col_deleted, w->col_purged,  w->col_fp_rate, NULL};

	g_string_append(out, "<section>\n");
	element(out, "h2", NULL, w->outcome_title);
	element(out, "p", "note", w->outcome_note);
	if (report->quarantined == 0) {
		element(out, "p", "muted", w->nothing);
		g_string_append(out, "</section>\n");
		return;
	}
	report_svg_outcome(out, report, lang);
	g_string_append(out, "<table>\n");
	header_row(out, labels, 1);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const struct al_report_reason *c = &report->reasons[r];
		int fp = report_fp_percent(c);

		if (c->pending + c->released + c->deleted + c->purged == 0)
			continue;
		g_string_append(out, "<tr><td>");
		report_html_text(out, report_reason_title(r, lang));
		g_string_append(out, "</td>");
		cell_number(out, c->pending);
		cell_number(out, c->released);
		cell_number(out, c->deleted);
		cell_number(out, c->purged);
		if (fp >= 0)
			g_string_append_printf(out, "<td class=\"n\">%d %%</td></tr>\n", fp);
		else
			g_string_append(out, "<td class=\"n\">-</td></tr>\n");
	}
	g_string_append(out, "</table>\n</section>\n");
}

static void example_row(GString *out, const struct al_report_example *e, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	g_autofree char *date = report_format_time(e->received_at, lang);
	gboolean first = TRUE;

	g_string_append(out, "<tr><td class=\"n\">");
	report_html_text(out, date);
	g_string_append(out, "</td><td>");
	mail_text(out, e->sender_domain != NULL ? e->sender_domain : w->no_sender);
	g_string_append(out, "</td><td>");
	mail_text(out, e->subject != NULL ? e->subject : w->no_subject);
	g_string_append(out, "</td><td>");
	mail_text(out, e->filename != NULL ? e->filename : w->whole_message);
	if (e->detected_type != NULL) {
		g_string_append(out, "<br><span class=\"note\">");
		mail_text(out, e->detected_type);
		g_string_append(out, "</span>");
	}
	g_string_append(out, "</td><td>");
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		if (!(e->reasons & AL_REASON_BIT(r)))
			continue;
		g_string_append_printf(out, "%s<span style=\"color:%s\">&#9632;</span> ",
				       first ? "" : "<br>", report_reason_colour(r));
		report_html_text(out, report_reason_title(r, lang));
		first = FALSE;
	}
	g_string_append(out, "</td></tr>\n");
}

static void examples(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);
	const char *const labels[] = {w->col_date,    w->col_sender_domain, w->col_subject,
				      w->col_file,    w->col_reason,	    NULL};

	element(out, "h2", NULL, w->examples_title);
	if (report->examples->len == 0) {
		element(out, "p", "muted", w->nothing);
		return;
	}
	element(out, "p", "note", w->examples_note);
	g_string_append(out, "<table>\n");
	header_row(out, labels, G_MAXUINT);
	for (guint i = 0; i < report->examples->len; i++)
		example_row(out, report->examples->pdata[i], lang);
	g_string_append(out, "</table>\n");
}

static void tips(GString *out, const struct al_report *report, const char *lang)
{
	const struct report_words *w = report_words_for(lang);

	g_string_append(out, "<section>\n");
	element(out, "h2", NULL, w->tips_title);
	g_string_append(out, "<ul class=\"tips\">\n");
	for (int r = 0; r < AL_REASON_COUNT; r++)
		if (report->reasons_seen & AL_REASON_BIT(r))
			element(out, "li", NULL, report_reason_tip(r, lang));
	element(out, "li", NULL, w->tip_always);
	g_string_append(out, "</ul>\n</section>\n");
}

void al_report_render_html(const struct al_report *report, const char *lang, GString *out)
{
	head(out, report, lang);
	totals(out, report, lang);
	reasons(out, report, lang);
	trend(out, report, lang);
	top_lists(out, report, lang);
	outcome(out, report, lang);
	examples(out, report, lang);
	tips(out, report, lang);
	g_string_append(out, "<footer>Airlock " AL_VERSION "</footer>\n</body>\n</html>\n");
}
