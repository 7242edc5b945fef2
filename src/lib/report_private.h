/*
 * report_private.h - what the report_*.c files share inside libairlock:
 * the words of each language (report_i18n.c) and small helpers the
 * renderers have in common. Not part of the library's contract.
 */
#ifndef AIRLOCK_REPORT_PRIVATE_H
#define AIRLOCK_REPORT_PRIVATE_H

#include "airlock/report.h"

#include <glib.h>

/* Every sentence and label of a report, in one language. */
struct report_words {
	const char *code; /* "fr", "en" */
	const char *title;
	const char *period_fmt_before; /* "From " */
	const char *period_between;    /* " to " */
	const char *days_one;          /* "day" */
	const char *days_many;         /* "days" */
	const char *generated;         /* "Generated on" */
	const char *anonymized;        /* note shown with --anonymize */
	const char *intro;

	const char *totals_title;
	const char *messages_seen;
	const char *action_label[AL_ACTION_COUNT];
	const char *attachments_seen;
	const char *attachments_accepted;
	const char *attachments_stopped;

	const char *reasons_title;
	const char *reasons_note;
	const char *col_reason;
	const char *col_attachments;
	const char *col_messages;
	const char *attachment_units[2]; /* "attachment", "attachments" */
	const char *message_units[2];    /* "message", "messages" */
	const char *why_label;           /* "Why:" */
	const char *lesson_label;        /* "Lesson:" */

	const char *trend_title;
	const char *trend_day_note;
	const char *trend_week_note;
	const char *col_day;
	const char *col_week;
	const char *col_stopped_attachments;
	const char *col_stopped_messages;

	const char *types_title;
	const char *col_type;
	const char *disguises_title;
	const char *col_looks_like;
	const char *col_really;
	const char *domains_title;
	const char *col_domain;
	const char *recipients_title;
	const char *recipients_note_anon;
	const char *col_recipient;

	const char *outcome_title;
	const char *outcome_note;
	const char *col_pending;
	const char *col_released;
	const char *col_deleted;
	const char *col_purged;
	const char *col_fp_rate;

	const char *examples_title;
	const char *examples_note;
	const char *col_date;
	const char *col_sender_domain;
	const char *col_subject;
	const char *col_file;
	const char *whole_message; /* file column of a message-level finding */
	const char *no_sender;
	const char *no_subject;

	const char *tips_title;
	const char *tip_always;
	const char *nothing; /* an empty table */
	const char *nothing_stopped;
};

/* The words for lang ("fr" or "en"; anything else: English). */
const struct report_words *report_words_for(const char *lang);

/* "1 attachment, 3 messages" in lang (transfer full). */
char *report_counts_phrase(gint64 attachments, gint64 messages, const char *lang);

/* Short name of a reason for titles ("Disguised file"). */
const char *report_reason_title(enum al_reason reason, const char *lang);
/* The lesson staff should draw from a reason, one sentence. */
const char *report_reason_lesson(enum al_reason reason, const char *lang);
/* A tip shown when the reason was seen in the period. */
const char *report_reason_tip(enum al_reason reason, const char *lang);

/* "29 novembre 2026" / "29 November 2026" (transfer full). */
char *report_format_date(const GDate *date, const char *lang);
/* "29 nov." / "29 Nov" for chart labels (transfer full). */
char *report_format_short_date(const GDate *date, const char *lang);
/* The UTC day of unix time t, formatted as above (transfer full). */
char *report_format_time(gint64 t, const char *lang);
/* "2026-11-29" (transfer full). */
char *report_iso_date(const GDate *date);
/* UTC day of unix seconds t. */
void report_date_from_time(gint64 t, GDate *date_r);

/* Released / (released + deleted) as a percentage, or -1 when nothing was
 * released or deleted. */
int report_fp_percent(const struct al_report_reason *reason);

/* TRUE for characters a renderer must never emit raw: controls (C0, C1,
 * DEL) and format characters (bidi overrides and isolates, zero-width
 * joiners, soft hyphens...). */
gboolean report_is_hidden_char(gunichar c);

/* ---- gathering (report.c, report_store.c) ---- */

struct al_store;

/* What the gathering steps share: the report being filled, the options
 * with defaults applied, and the period as unix seconds [from, to). */
struct report_job {
	struct al_report *report;
	struct al_report_options options;
	gint64 from_t;
	gint64 to_t;
	char since_iso[11];
	char until_iso[11];
	/* report_store.c, between begin and end */
	GHashTable *domains, *types, *disguises, *recipients; /* tallies */
	GPtrArray *candidates;                                /* examples */
};

/* The most example rows the store is asked for. */
#define REPORT_EXAMPLE_CANDIDATES 5000

/* report_store.c: the quarantined messages, items and recipients of the
 * period (outcome per reason, top lists, examples). begin sets the
 * visitor's message, item, recipient and example functions, which fill
 * job while al_store_read_report() runs; end puts the top rows and the
 * examples into the report (complete), or only frees (after a failure). */
void report_quarantine_begin(struct report_job *job, struct al_store_report_visitor *visitor);
void report_quarantine_end(struct report_job *job, gboolean complete);

/* report_safecopy.c: sets the visitor's function that counts the safe
 * copies delivered with the period's messages; their label in lang. */
void report_safe_copies_visit(struct al_store_report_visitor *visitor);
const char *report_safe_copies_label(const char *lang);

/* GDestroyNotify for struct al_report_count* and al_report_example*;
 * NULL is ignored. */
void report_count_free(gpointer count);
void report_example_free(gpointer example);

/* The reasons of a comma list ("executable,disguised"); unknown names
 * are ignored. */
al_reason_set report_parse_reasons(const char *list);

/* ---- HTML (report_html.c, report_svg.c) ---- */

/* Appends s as HTML text: & < > " ' as entities, invalid UTF-8 replaced,
 * hidden characters (report_is_hidden_char()) as a visible "U+202E"
 * marker, so they can neither run markup nor reorder the page. */
void report_html_text(GString *out, const char *s);

/* Inline SVG charts: stopped attachments per day or week, per reason,
 * and what became of quarantined messages per reason. */
void report_svg_trend(GString *out, const struct al_report *report, const char *lang);
void report_svg_reasons(GString *out, const struct al_report *report, const char *lang);
void report_svg_outcome(GString *out, const struct al_report *report, const char *lang);

/* The colour of a reason in charts and tables ("#c0392b"). */
const char *report_reason_colour(enum al_reason reason);

#endif
