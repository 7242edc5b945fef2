/*
 * report.h - what Airlock stopped over a period, for staff training and
 * for tuning the policy (airlockctl report).
 *
 * al_report_gather() reads the store once (one read transaction) and
 * fills a struct al_report: totals from daily_counters (every judged
 * message, accepted ones included), the rest from the quarantined
 * messages, their items and recipients. The renderers turn one report
 * into text (terminal), HTML (one self-contained page, inline CSS and
 * SVG, printable on A4), CSV (one long table, see below) or JSON (one
 * object, for a SIEM), in French or English.
 *
 * Days are UTC days, as daily_counters counts them; since and until are
 * both included.
 *
 * Mail is hostile: every string in the report that came from mail
 * (subjects, file names, domains, addresses) is kept as gathered (valid
 * UTF-8) and escaped by each renderer for its format: HTML entities and
 * bidi/format controls shown as visible codes in HTML, control
 * characters as \u{..} in text, formula prefixes neutralised in CSV, JSON
 * escapes in JSON.
 *
 * With options.anonymize, recipients are replaced by stable pseudonyms
 * (HMAC-SHA256 of the lower-case address, keyed by options.key: the same
 * address gives the same pseudonym in every report made with the same
 * key, and the address cannot be recovered from it), and addresses found
 * in subjects and file names are blanked. No address reaches the report.
 *
 * Ownership: a gathered report owns every string and array in it;
 * al_report_free() releases all of it. Renderers append to a caller's
 * GString and cannot fail.
 */
#ifndef AIRLOCK_REPORT_H
#define AIRLOCK_REPORT_H

#include "airlock/common.h"
#include "airlock/store.h"

#include <glib.h>

/* Default sizes of the top lists and of the examples table. */
#define AL_REPORT_TOP_ROWS     10
#define AL_REPORT_EXAMPLE_ROWS 12
/* Periods longer than this many days are trended per week. */
#define AL_REPORT_DAILY_MAX_DAYS 62

struct al_report_options {
	gboolean anonymize;
	const guint8 *key; /* pseudonym key (required with anonymize), borrowed */
	gsize key_bytes;
	guint top_rows;	    /* 0: AL_REPORT_TOP_ROWS */
	guint example_rows; /* 0: AL_REPORT_EXAMPLE_ROWS */
	gint64 now;	    /* unix seconds of "generated at"; 0: the clock */
};

/* Messages seen per action and attachments seen, from daily_counters. */
struct al_report_totals {
	gint64 messages;
	gint64 messages_by_action[AL_ACTION_COUNT]; /* accept, strip, hold, reject, tempfail */
	gint64 attachments;
	gint64 attachments_accepted;
	gint64 attachments_stopped;
};

/* One reason over the period. */
struct al_report_reason {
	gint64 attachments; /* stopped attachments with this reason (daily_counters) */
	gint64 messages;    /* judged messages with this reason (daily_counters) */
	/* Quarantined messages (the store) with this reason, by what
	 * became of them: still quarantined, released (false positives),
	 * deleted (true positives), purged by retention. */
	gint64 pending;
	gint64 released;
	gint64 deleted;
	gint64 purged;
};

/* One bar of the trend: a day, or a week (Monday to Sunday, clipped to
 * the period) when the period is longer than AL_REPORT_DAILY_MAX_DAYS. */
struct al_report_bucket {
	GDate start;
	GDate end;
	gint64 messages;
	gint64 messages_stopped; /* strip + hold + reject */
	gint64 attachments;
	gint64 attachments_stopped;
};

/* A row of a top list: detected types, sender domains, recipients. */
struct al_report_count {
	char *key;	    /* the type, domain, address or pseudonym */
	char *detail;	    /* disguises: what the file looked like (".pdf"); else NULL */
	gint64 count;	    /* attachments */
	gint64 messages;    /* messages (domains, recipients), else 0 */
};

/* One row of the examples table. */
struct al_report_example {
	gint64 received_at; /* unix seconds */
	char *sender_domain; /* or NULL (bounce, no sender) */
	char *subject;	     /* shortened, or NULL */
	char *filename;	     /* or NULL: the message as a whole */
	char *detected_type; /* or NULL */
	al_reason_set reasons;
};

struct al_report {
	GDate since; /* first day, included */
	GDate until; /* last day, included */
	guint days;
	gboolean weekly; /* trend buckets are weeks */
	gboolean anonymized;
	gint64 generated_at; /* unix seconds */

	struct al_report_totals totals;
	struct al_report_reason reasons[AL_REASON_COUNT];
	al_reason_set reasons_seen; /* any count above zero */
	gint64 quarantined;	    /* quarantined messages in the store for the period */
	gint64 safe_copies;	    /* safe copies delivered (safe-copy events, issue 17) */

	GArray *trend;		   /* struct al_report_bucket, in time order */
	GPtrArray *detected_types; /* struct al_report_count*, most first */
	GPtrArray *disguises;	   /* struct al_report_count*: key real type, detail look */
	GPtrArray *sender_domains; /* struct al_report_count* */
	GPtrArray *recipients;	   /* struct al_report_count*: key address or pseudonym */
	GPtrArray *examples;	   /* struct al_report_example* */
};

/*
 * Reads the store for since..until (UTC days, included; until before
 * since is an error) in one read transaction and fills report_r (zeroed
 * first; free it with al_report_free() whatever the result). Returns 0,
 * or -1 with error (AL_ERROR_IO for the database, AL_ERROR_CONFIG for a
 * bad period or a missing key with anonymize).
 */
int al_report_gather(struct al_store *store, const GDate *since, const GDate *until,
		     const struct al_report_options *options, struct al_report *report_r,
		     GError **error);

/* Frees what report holds and zeroes it. Safe on a zeroed report. */
void al_report_free(struct al_report *report);

/* The stable pseudonym of address under key ("P-" and 10 upper-case hex
 * digits of HMAC-SHA256(key, lower-case address)), transfer full. */
char *al_report_pseudonym(const guint8 *key, gsize key_bytes, const char *address);

/*
 * Renderers: append the whole report to out in lang ("fr" or "en"; any
 * other value gives English).
 *
 * text: for a terminal, UTF-8, control and format characters as \u{..}.
 * html: one self-contained page (no script, no external resource).
 * json: one object on one line, ending with a newline; dates ISO 8601,
 *	 sentences in lang.
 * csv:  RFC 4180 with a header line "section,key,field,value": one row
 *	 per value (a long table a spreadsheet pivots), dates ISO 8601,
 *	 sentences in lang, cells starting with = + - @ (or a tab or CR)
 *	 prefixed with a quote ('). Sections and fields: airlockctl(8).
 */
void al_report_render_text(const struct al_report *report, const char *lang, GString *out);
void al_report_render_html(const struct al_report *report, const char *lang, GString *out);
void al_report_render_json(const struct al_report *report, const char *lang, GString *out);
void al_report_render_csv(const struct al_report *report, const char *lang, GString *out);

/* Parses "YYYY-MM-DD" into date_r; FALSE if it is not a valid date. */
gboolean al_report_parse_date(const char *text, GDate *date_r);

#endif
