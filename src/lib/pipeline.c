/*
 * pipeline.c - one message through mime, typeid, scan, origin and policy.
 *
 * The pipeline owns the type table and the scanner (the loaded ClamAV
 * engine) and borrows the config. al_pipeline_run() is thread-safe: the
 * only shared state is read-only or internally locked (libmagic pool,
 * libclamav engine).
 *
 * Order matters for safety: every item is typed and scanned before the
 * policy runs, and any failure to read or scan an item aborts the run
 * with an error, so an `accept` can only come from a complete scan.
 */
#include "airlock/pipeline.h"
#include "airlock/safecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

struct al_pipeline {
	const struct al_config *config;
	struct al_typeid *typeid;
	struct al_scanner *scanner;
	al_origin_learned_fn learned;
	void *learned_context;
};

struct al_pipeline *al_pipeline_new(const struct al_config *config, GPtrArray **warnings_r,
				    GError **error)
{
	struct al_pipeline *pipeline = g_new0(struct al_pipeline, 1);
	g_autofree char *table = NULL;
	g_autofree char *safecopy_warning = NULL;

	pipeline->config = config;
	al_mime_global_init();
	if (al_scan_global_init(error) < 0)
		goto fail;
	table = g_build_filename(config->signatures_dir, "filetypes.conf", NULL);
	pipeline->typeid = al_typeid_new(table, error);
	if (pipeline->typeid == NULL)
		goto fail;
	pipeline->scanner = al_scanner_new(config, pipeline->typeid, warnings_r, error);
	if (pipeline->scanner == NULL)
		goto fail;
	safecopy_warning = al_safecopy_config_warning(config);
	if (warnings_r != NULL && *warnings_r != NULL && safecopy_warning != NULL)
		g_ptr_array_add(*warnings_r, g_steal_pointer(&safecopy_warning));
	return pipeline;
fail:
	al_pipeline_free(&pipeline);
	return NULL;
}

void al_pipeline_free(struct al_pipeline **pipeline)
{
	struct al_pipeline *p = *pipeline;

	if (p == NULL)
		return;
	al_scanner_unref(&p->scanner);
	al_typeid_free(&p->typeid);
	g_free(p);
	*pipeline = NULL;
}

const struct al_config *al_pipeline_config(const struct al_pipeline *pipeline)
{
	return pipeline->config;
}

guint al_pipeline_signature_count(const struct al_pipeline *pipeline)
{
	return al_scanner_signature_count(pipeline->scanner);
}

gboolean al_pipeline_clamav_loaded(const struct al_pipeline *pipeline)
{
	return al_scanner_clamav_loaded(pipeline->scanner);
}

const char *al_pipeline_image_fuzzy_hash(const struct al_pipeline *pipeline)
{
	return al_scanner_image_fuzzy_hash(pipeline->scanner) ? "on" : "off";
}

void al_pipeline_set_learned(struct al_pipeline *pipeline, al_origin_learned_fn learned,
			     void *context)
{
	pipeline->learned = learned;
	pipeline->learned_context = context;
}

static void mime_limits_from_config(const struct al_config *config, struct al_mime_limits *limits)
{
	*limits = (struct al_mime_limits){
		.max_depth = config->max_mime_depth,
		.max_parts = config->max_parts,
		.max_part_bytes = config->max_attachment_bytes,
		.memory_threshold_bytes = config->memory_threshold_bytes,
		.spool_dir = config->spool_dir,
	};
}

/* A part declared as text whose content is not text is an attachment in
 * disguise, not a body the reader sees. */
static void demote_fake_body(struct al_item *item)
{
	const char *type = item->detected_type;

	if (!item->is_body || type == NULL)
		return;
	if (g_str_has_prefix(type, "text/") || strcmp(type, "application/x-empty") == 0)
		return;
	item->is_body = FALSE;
	g_ptr_array_add(item->details,
			g_strdup_printf("declared as %s but the content is %s", item->declared_type
			? item->declared_type : "text", type));
}

/* Names a mail client may show that typing did not look at: a second
 * name, and names broken by quotes or NUL bytes (a quote cannot appear in
 * a Windows file name: the header was cut to hide the real extension). */
static void check_other_names(struct al_typeid *typeid, struct al_item *item)
{
	const char *alt = item->alt_filename;

	if (item->filename != NULL && strchr(item->filename, '"') != NULL)
		al_item_flag(item, AL_REASON_DISGUISED,
			     "the file name is malformed (a quote or NUL byte in the header) and may "
			     "hide its real extension");
	if (alt == NULL)
		return;
	item->reasons |= al_typeid_check_name(typeid, alt, item->details);
	if (al_category_is_dangerous(al_typeid_category_of_name(typeid, alt))) {
		al_item_flag(item, AL_REASON_EXECUTABLE, "its other name '%s' is a program or script",
			     alt);
		al_item_flag(item, AL_REASON_DISGUISED,
			     "the part carries two different names, one of them dangerous");
	}
}

static int inspect_items(struct al_pipeline *pipeline, struct al_message *message,
			 struct al_stage_times *times, GError **error)
{
	for (guint i = 0; i < message->items->len; i++) {
		struct al_item *item = message->items->pdata[i];
		gint64 start = g_get_monotonic_time();
		int rc = al_typeid_classify_item(pipeline->typeid, item, error);

		times->typeid_us += g_get_monotonic_time() - start;
		if (rc < 0)
			return -1;
		check_other_names(pipeline->typeid, item);
		demote_fake_body(item);
		start = g_get_monotonic_time();
		rc = al_scanner_scan_item(pipeline->scanner, item, error);
		times->scan_us += g_get_monotonic_time() - start;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The values of the top-level Authentication-Results headers only: those
 * inside attached messages are the attacker's to write. */
static char **top_level_authres(GMimeMessage *message)
{
	GPtrArray *values = g_ptr_array_new();
	GMimeHeaderList *headers;
	int count;

	if (message != NULL) {
		headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
		count = g_mime_header_list_get_count(headers);
		for (int i = 0; i < count; i++) {
			GMimeHeader *header = g_mime_header_list_get_header_at(headers, i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(header),
					       "Authentication-Results") == 0)
				g_ptr_array_add(values, g_strdup(g_mime_header_get_raw_value(header)));
		}
	}
	g_ptr_array_add(values, NULL);
	return (char **)g_ptr_array_free(values, FALSE);
}

static void decide(struct al_pipeline *pipeline, const struct al_smtp_context *smtp,
		   struct al_verdict *verdict)
{
	const struct al_config *config = pipeline->config;
	struct al_message *message = verdict->message;
	g_auto(GStrv) authres = top_level_authres(message->message);
	struct al_policy_settings settings;
	struct al_policy_result result;
	struct al_policy_input input = {
		.items = (struct al_item *const *)message->items->pdata,
		.item_count = message->items->len,
		.message_reasons = message->reasons,
	};

	al_origin_decide(config, smtp, message->from, (const char *const *)authres, pipeline->learned,
			 pipeline->learned_context, &verdict->origin);
	input.origin_known = verdict->origin.known;
	memcpy(settings.action_for, config->action_for, sizeof(settings.action_for));
	settings.safe_types = (const char *const *)config->safe_types;
	settings.safe_inline_images = config->safe_inline_images;
	al_policy_decide(&settings, &input, &result);
	verdict->action = result.action;
	verdict->reasons = result.reasons;
}

int al_pipeline_run(struct al_pipeline *pipeline, GMimeStream *stream,
		    const struct al_smtp_context *smtp, struct al_verdict **verdict_r,
		    GError **error)
{
	struct al_verdict *verdict = g_new0(struct al_verdict, 1);
	struct al_mime_limits limits;
	gint64 start = g_get_monotonic_time();

	mime_limits_from_config(pipeline->config, &limits);
	verdict->message = al_mime_parse(stream, &limits, error);
	verdict->times.parse_us = g_get_monotonic_time() - start;
	if (verdict->message == NULL)
		goto fail;
	if (inspect_items(pipeline, verdict->message, &verdict->times, error) < 0)
		goto fail;
	start = g_get_monotonic_time();
	decide(pipeline, smtp, verdict);
	verdict->times.policy_us = g_get_monotonic_time() - start;
	*verdict_r = verdict;
	return 0;
fail:
	al_verdict_free(&verdict);
	*verdict_r = NULL;
	return -1;
}

/* A second view of content for an item of its own (closing the item must
 * not close the caller's file). */
static int share_content(const struct al_content *from, struct al_content *to, GError **error)
{
	to->size = from->size;
	if (from->bytes != NULL) {
		to->bytes = g_bytes_ref(from->bytes);
		return 0;
	}
	to->fd = from->size > 0 ? fcntl(from->fd, F_DUPFD_CLOEXEC, 3) : -1;
	if (from->size == 0) {
		to->bytes = g_bytes_new(NULL, 0);
		return 0;
	}
	if (to->fd < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot share a spooled file: %s",
			    g_strerror(errno));
		return -1;
	}
	return 0;
}

int al_pipeline_judge_content(struct al_pipeline *pipeline, const struct al_content *content,
			      const char *filename, const char *declared_type,
			      al_reason_set *reasons_r, char **detail_r, GError **error)
{
	struct al_item *item = al_item_new();
	int rc = -1;

	item->part = g_strdup("1");
	item->filename = g_strdup(filename);
	item->declared_type = g_strdup(declared_type);
	item->disposition = g_strdup("attachment");
	if (share_content(content, &item->content, error) < 0 ||
	    al_typeid_classify_item(pipeline->typeid, item, error) < 0)
		goto out;
	check_other_names(pipeline->typeid, item);
	if (al_scanner_scan_item(pipeline->scanner, item, error) < 0)
		goto out;
	*reasons_r = item->reasons;
	if (detail_r != NULL)
		*detail_r = item->details->len > 0 ? g_strdup(item->details->pdata[0]) : NULL;
	rc = 0;
out:
	al_item_free(&item);
	return rc;
}

void al_verdict_free(struct al_verdict **verdict)
{
	struct al_verdict *v = *verdict;

	if (v == NULL)
		return;
	al_origin_clear(&v->origin);
	al_message_free(&v->message);
	g_free(v);
	*verdict = NULL;
}
