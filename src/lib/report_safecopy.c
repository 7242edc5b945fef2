/*
 * report_safecopy.c - the training report's count of safe copies: one
 * per "safe-copy" event (the milter adds one for each copy it delivered,
 * safecopy.h) of the period's quarantined messages, read through the
 * store's report visitor.
 */
#include "report_private.h"

static void on_safe_copies(gint64 count, void *data)
{
	struct report_job *job = data;

	job->report->safe_copies = count;
}

void report_safe_copies_visit(struct al_store_report_visitor *visitor)
{
	visitor->safe_copies = on_safe_copies;
}

const char *report_safe_copies_label(const char *lang)
{
	return g_strcmp0(lang, "fr") == 0 ? "dont remises en copie s\xc3\xbbre"
	                                   : "of which delivered as a safe copy";
}
