/*
 * report_store.c - the part of a report read from the quarantined
 * messages: what became of them per reason, the top lists (detected
 * types, disguises, sender domains, recipients) and the examples.
 *
 * DESCRIPTION
 *	Messages count in the period by their received_at (UTC). Sender
 *	domains are taken from the header From address (what staff saw),
 *	else from the envelope sender. Recipient addresses are compared in
 *	lower case; with anonymize they become pseudonyms here, before
 *	anything is stored in the report, and addresses in subjects and
 *	file names are blanked, so no renderer ever sees one.
 *
 *	A disguise is summed up as what the file looked like (the
 *	extension a reader sees: the one before the real one, or the end
 *	of the name once a right-to-left override is applied, else the
 *	declared type) and what it really was (the detected type).
 *
 *	Examples: for each reason seen, from the most dangerous down, the
 *	most recent case; then more recent cases whose combination of
 *	reasons and real type is not in the table yet.
 */
#include "report_private.h"

#include <string.h>

#define SUBJECT_MAX_CHARS   60
#define FILENAME_MAX_CHARS  80
#define DOMAIN_MAX_CHARS    100
#define EXTENSION_MAX_CHARS 10
#define REDACTED            "[…]"

/* ---- tallies: key -> count, then the top rows ---- */

static GHashTable *tally_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, report_count_free);
}

static void tally_add(GHashTable *tally, const char *key, const char *detail, gint64 count,
		      gint64 messages)
{
	g_autofree char *id = g_strconcat(detail != NULL ? detail : "", "\n", key, NULL);
	struct al_report_count *row = g_hash_table_lookup(tally, id);

	if (row == NULL) {
		row = g_new0(struct al_report_count, 1);
		row->key = g_strdup(key);
		row->detail = g_strdup(detail);
		g_hash_table_insert(tally, g_steal_pointer(&id), row);
	}
	row->count += count;
	row->messages += messages;
}

static gint compare_counts(gconstpointer a, gconstpointer b)
{
	const struct al_report_count *x = *(const struct al_report_count *const *)a;
	const struct al_report_count *y = *(const struct al_report_count *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return g_strcmp0(x->key, y->key) != 0 ? g_strcmp0(x->key, y->key)
					      : g_strcmp0(x->detail, y->detail);
}

/* Moves the top rows of tally into list (most first) and frees tally. */
static void tally_finish(GHashTable *tally, GPtrArray *list, guint top_rows)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(report_count_free);
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, tally);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_ptr_array_add(rows, value);
		g_hash_table_iter_steal(&iter);
		g_free(key);
	}
	g_hash_table_unref(tally);
	g_ptr_array_sort(rows, compare_counts);
	for (guint i = 0; i < rows->len && i < top_rows; i++) {
		g_ptr_array_add(list, rows->pdata[i]);
		rows->pdata[i] = NULL;
	}
}

/* ---- strings from mail ---- */

/* Valid UTF-8, white space runs (CR, LF, tab...) made one space, cut to
 * max_chars with an ellipsis; addresses blanked when redact. */
static char *clean_text(const char *s, glong max_chars, gboolean redact)
{
	static GRegex *address_re;
	g_autofree char *valid = NULL;
	g_autofree char *blanked = NULL;
	GString *out = g_string_new(NULL);

	if (s == NULL) {
		g_string_free(out, TRUE);
		return NULL;
	}
	if (g_once_init_enter(&address_re))
		g_once_init_leave(
		    &address_re,
		    g_regex_new("[^\\s@<>()\\[\\],;:\"']*@[^\\s<>()\\[\\],;:\"']*", 0, 0, NULL));
	valid = g_utf8_make_valid(s, -1);
	if (redact)
		blanked = g_regex_replace_literal(address_re, valid, -1, 0, REDACTED, 0, NULL);
	for (const char *p = blanked != NULL ? blanked : valid; *p != '\0';
	     p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c))
			c = ' ';
		if (c == ' ' && (out->len == 0 || out->str[out->len - 1] == ' '))
			continue;
		if ((glong)g_utf8_strlen(out->str, (gssize)out->len) >= max_chars) {
			g_string_append(out, "…");
			break;
		}
		g_string_append_unichar(out, c);
	}
	if (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

/* The lower-case domain of an address as stored ("<a@B.example>"). */
static char *address_domain(const char *address, gboolean redact)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;
	g_autofree char *domain = NULL;

	if (at == NULL)
		return NULL;
	domain = g_strdup(at + 1);
	g_strdelimit(domain, ">", ' ');
	g_strstrip(domain);
	if (domain[0] == '\0')
		return NULL;
	{
		g_autofree char *lower = g_utf8_strdown(domain, -1);

		return clean_text(lower, DOMAIN_MAX_CHARS, redact);
	}
}

static char *sender_domain(const char *header_from, const char *envelope_from, gboolean redact)
{
	char *domain = address_domain(header_from, redact);

	return domain != NULL ? domain : address_domain(envelope_from, redact);
}

/* "<Bob@Example.org> " -> "bob@example.org"; NULL when empty. */
static char *normalize_address(const char *address)
{
	g_autofree char *copy = g_strdup(address != NULL ? address : "");
	char *start;
	gsize length;

	start = g_strstrip(copy);
	length = strlen(start);
	if (length > 0 && start[length - 1] == '>')
		start[--length] = '\0';
	if (start[0] == '<')
		start++;
	g_strstrip(start);
	if (start[0] == '\0')
		return NULL;
	{
		g_autofree char *valid = g_utf8_make_valid(start, -1);

		return g_utf8_strdown(valid, -1);
	}
}

/* ---- disguises ---- */

/* The name as a reader's screen shows it: what follows a right-to-left
 * override is displayed reversed; other format characters vanish. */
static char *visual_name(const char *name)
{
	g_autofree char *valid = g_utf8_make_valid(name, -1);
	const char *rlo = strstr(valid, "\u202e");
	GString *out = g_string_new(NULL);
	g_autofree char *reversed = NULL;

	if (rlo != NULL)
		reversed = g_utf8_strreverse(rlo, -1);
	for (const char *p = valid; *p != '\0' && p != rlo; p = g_utf8_next_char(p))
		if (!report_is_hidden_char(g_utf8_get_char(p)))
			g_string_append_unichar(out, g_utf8_get_char(p));
	for (const char *p = reversed; p != NULL && *p != '\0'; p = g_utf8_next_char(p))
		if (!report_is_hidden_char(g_utf8_get_char(p)))
			g_string_append_unichar(out, g_utf8_get_char(p));
	return g_string_free(out, FALSE);
}

/* ".pdf" for the extension that ends at end (exclusive), or NULL. */
static char *extension_before(const char *name, const char *end)
{
	const char *dot = end;
	g_autofree char *ext = NULL;

	while (dot > name && dot[-1] != '.')
		dot--;
	if (dot == name || dot == end)
		return NULL;
	ext = g_strndup(dot, (gsize)(end - dot));
	g_strstrip(ext);
	if (ext[0] == '\0' || strlen(ext) > EXTENSION_MAX_CHARS)
		return NULL;
	for (const char *p = ext; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p))
			return NULL;
	return g_strconcat(".", ext, NULL);
}

static char *looked_like(const char *filename, const char *declared_type)
{
	g_autofree char *shown = filename != NULL ? visual_name(filename) : NULL;
	char *ext = NULL;

	if (shown != NULL) {
		char *lower = g_ascii_strdown(shown, -1);
		const char *last_dot = strrchr(lower, '.');

		g_free(shown);
		shown = lower;
		/* "facture.pdf.exe": the reader sees ".pdf" when extensions are
		 * hidden; with an override the visible end is what counts. */
		if (filename != NULL && strstr(filename, "\u202e") == NULL && last_dot != NULL)
			ext = extension_before(shown, last_dot);
		if (ext == NULL)
			ext = extension_before(shown, shown + strlen(shown));
	}
	if (ext == NULL && declared_type != NULL)
		ext = clean_text(declared_type, 60, TRUE);
	return ext != NULL ? ext : g_strdup("?");
}

/* ---- what the period's quarantined messages became ---- */

/* released: a release went out (to some or all recipients; the event
 * stays when the message is deleted afterwards, and a failed release
 * adds a "release-failed" event); else deleted or purged by status;
 * else still quarantined. */
static void count_outcome(struct al_report *report, al_reason_set reasons,
			  enum al_store_status status, gboolean released)
{
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		struct al_report_reason *c = &report->reasons[r];

		if (!(reasons & AL_REASON_BIT(r)))
			continue;
		if (released || status == AL_STATUS_RELEASED)
			c->released++;
		else if (status == AL_STATUS_DELETED)
			c->deleted++;
		else if (status == AL_STATUS_PURGED)
			c->purged++;
		else
			c->pending++;
	}
}

static void on_message(const struct al_store_report_message *row, void *data)
{
	struct report_job *job = data;
	g_autofree char *domain =
	    sender_domain(row->header_from, row->envelope_from, job->options.anonymize);

	job->report->quarantined++;
	count_outcome(job->report, row->reasons, row->status, row->released);
	tally_add(job->domains, domain != NULL ? domain : "", NULL, row->stopped_items, 1);
}

static void on_item(const struct al_store_report_item *row, void *data)
{
	struct report_job *job = data;
	g_autofree char *type = clean_text(row->detected_type, 80, job->options.anonymize);

	tally_add(job->types, type != NULL ? type : "?", NULL, 1, 0);
	if (row->reasons & AL_REASON_BIT(AL_REASON_DISGUISED)) {
		g_autofree char *look = looked_like(row->filename, row->declared_type);

		tally_add(job->disguises, type != NULL ? type : "?", look, 1, 0);
	}
}

static void on_recipient(const struct al_store_report_recipient *row, void *data)
{
	struct report_job *job = data;
	g_autofree char *address = normalize_address(row->address);
	g_autofree char *shown = NULL;

	if (address == NULL)
		return;
	shown = job->options.anonymize
		    ? al_report_pseudonym(job->options.key, job->options.key_bytes, address)
		    : g_steal_pointer(&address);
	tally_add(job->recipients, shown, NULL, row->stopped_items, 1);
}

/* ---- examples ---- */

/* From the most dangerous down: the order in which examples are picked. */
static const enum al_reason example_order[] = {
    AL_REASON_VIRUS,       AL_REASON_POLYGLOT,     AL_REASON_DISGUISED,      AL_REASON_EXECUTABLE,
    AL_REASON_MACRO,       AL_REASON_ENCRYPTED,    AL_REASON_MALFORMED,      AL_REASON_LIMITS,
    AL_REASON_UNSCANNABLE, AL_REASON_UNKNOWN_TYPE, AL_REASON_UNKNOWN_ORIGIN,
};

static void on_example(const struct al_store_report_example *row, void *data)
{
	struct report_job *job = data;
	gboolean redact = job->options.anonymize;
	struct al_report_example *e = g_new0(struct al_report_example, 1);

	e->received_at = row->received_at;
	e->sender_domain = sender_domain(row->header_from, row->envelope_from, redact);
	e->subject = clean_text(row->subject, SUBJECT_MAX_CHARS, redact);
	e->filename = clean_text(row->filename, FILENAME_MAX_CHARS, redact);
	e->detected_type = clean_text(row->detected_type, 80, redact);
	e->reasons = row->reasons;
	g_ptr_array_add(job->candidates, e);
}

static gboolean covered(const GPtrArray *picked, const struct al_report_example *e)
{
	for (guint i = 0; i < picked->len; i++) {
		const struct al_report_example *p = picked->pdata[i];

		if (p->reasons == e->reasons && g_strcmp0(p->detected_type, e->detected_type) == 0)
			return TRUE;
	}
	return FALSE;
}

static void take(GPtrArray *candidates, guint i, GPtrArray *picked)
{
	g_ptr_array_add(picked, candidates->pdata[i]);
	candidates->pdata[i] = NULL;
}

static void pick_examples(GPtrArray *candidates, GPtrArray *picked, guint max)
{
	for (guint r = 0; r < G_N_ELEMENTS(example_order) && picked->len < max; r++)
		for (guint i = 0; i < candidates->len; i++) {
			const struct al_report_example *e = candidates->pdata[i];

			if (e != NULL && (e->reasons & AL_REASON_BIT(example_order[r]))) {
				take(candidates, i, picked);
				break;
			}
		}
	for (guint i = 0; i < candidates->len && picked->len < max; i++)
		if (candidates->pdata[i] != NULL && !covered(picked, candidates->pdata[i]))
			take(candidates, i, picked);
}

static gint compare_examples(gconstpointer a, gconstpointer b)
{
	const struct al_report_example *x = *(const struct al_report_example *const *)a;
	const struct al_report_example *y = *(const struct al_report_example *const *)b;

	return x->received_at < y->received_at ? -1 : x->received_at > y->received_at;
}

void report_quarantine_begin(struct report_job *job, struct al_store_report_visitor *visitor)
{
	job->domains = tally_new();
	job->types = tally_new();
	job->disguises = tally_new();
	job->recipients = tally_new();
	job->candidates = g_ptr_array_new_with_free_func(report_example_free);
	visitor->message = on_message;
	visitor->item = on_item;
	visitor->recipient = on_recipient;
	visitor->example = on_example;
	report_safe_copies_visit(visitor);
	visitor->data = job;
}

void report_quarantine_end(struct report_job *job, gboolean complete)
{
	struct al_report *report = job->report;

	if (complete) {
		tally_finish(job->domains, report->sender_domains, job->options.top_rows);
		tally_finish(job->types, report->detected_types, job->options.top_rows);
		tally_finish(job->disguises, report->disguises, job->options.top_rows);
		tally_finish(job->recipients, report->recipients, job->options.top_rows);
		pick_examples(job->candidates, report->examples, job->options.example_rows);
		g_ptr_array_sort(report->examples, compare_examples);
	} else {
		g_hash_table_unref(job->domains);
		g_hash_table_unref(job->types);
		g_hash_table_unref(job->disguises);
		g_hash_table_unref(job->recipients);
	}
	g_ptr_array_unref(job->candidates);
}
