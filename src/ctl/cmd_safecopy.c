/*
 * cmd_safecopy.c - airlockctl safecopy: the safe copy of a quarantined
 * attachment, for the admin.
 *
 *   airlockctl safecopy [-c FILE] [--item PART] -o FILE ID
 *
 * The stored original is parsed again (GMime, as the milter did), the
 * attachment at PART (as `airlockctl show` numbers parts) is handed to
 * the same confined helper the milter uses ([safecopy] helper, dpi,
 * max_pages, max_seconds), and the copy is written to FILE (0600,
 * replacing it atomically). Without --item, the message must have exactly
 * one quarantined attachment of a type the helper rebuilds. Unlike the
 * milter, [safecopy] reasons does not apply: the admin asks for this
 * copy, whatever the file was stopped for; the helper's confinement is
 * the same, and so is the check of the copy (judged like an attachment:
 * a copy with any finding is not written). Prints the copy's size and SHA-256; exit 1 with the reason
 * when the helper gives no copy.
 */
#include "ctl_admin.h"

#include "airlock/mime.h"
#include "airlock/safecopy.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct safecopy_options {
	char *config_path;
	char *item;
	char *output;
	char **args;
};

static int parse_options(int argc, char **argv, struct safecopy_options *o)
{
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
	     "FILE"},
	    {"item", 0, 0, G_OPTION_ARG_STRING, &o->item, "the part (as show numbers it)", "PART"},
	    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output, "where to write the copy",
	     "FILE"},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->args, NULL, "ID"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("ID - the safe copy of a quarantined attachment");

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "safecopy", &argc, &argv, FALSE))
		return -1;
	if (o->args == NULL || g_strv_length(o->args) != 1 || o->output == NULL) {
		ctl_error("safecopy: give one quarantine id and -o FILE "
		          "(usage: airlockctl safecopy [--item PART] -o FILE ID)");
		return -1;
	}
	return 0;
}

/* The stored item the copy is made of, or NULL (error printed). */
static const struct al_store_item *choose_item(const struct al_store_message *m, const char *part)
{
	const struct al_store_item *found = NULL;
	guint candidates = 0;

	for (guint i = 0; i < m->items->len; i++) {
		const struct al_store_item *item = m->items->pdata[i];

		if (part != NULL && strcmp(item->part, part) == 0)
			found = item;
		else if (part == NULL && item->quarantined &&
		         al_safecopy_kind_of(item->detected_type) != AL_SAFECOPY_NONE)
			found = item, candidates++;
	}
	if (part != NULL && found == NULL)
		ctl_error("safecopy: %s has no part %s (see airlockctl show)", m->id, part);
	else if (part == NULL && candidates != 1)
		ctl_error("safecopy: %s has %u quarantined attachments a copy can be made of: "
		          "choose one with --item PART", m->id, candidates);
	else if (al_safecopy_kind_of(found->detected_type) == AL_SAFECOPY_NONE)
		ctl_error("safecopy: part %s is %s: no safe copy is made of that type", part,
		          found->detected_type != NULL ? found->detected_type : "of unknown type");
	else
		return found;
	return NULL;
}

/* The decoded content of part in the stored original, moved into
 * content_r; -1 (error printed) when it cannot be read. */
static int stored_content(struct ctl_admin *admin, const char *id, const char *part,
                          struct al_content *content_r)
{
	const struct al_config *c = admin->config;
	const struct al_mime_limits limits = {
		.max_depth = c->max_mime_depth, .max_parts = c->max_parts,
		.max_part_bytes = c->max_attachment_bytes,
		.memory_threshold_bytes = c->memory_threshold_bytes, .spool_dir = c->spool_dir,
	};
	g_autoptr(GError) error = NULL;
	GMimeStream *stream = NULL;
	struct al_message *message = NULL;
	int rc = -1;

	al_mime_global_init();
	/* Either backend: msg/ID.eml or PostgreSQL's originals table. */
	stream = al_store_open_original(admin->store, id, &error);
	if (stream != NULL)
		message = al_mime_parse(stream, &limits, &error);
	for (guint i = 0; message != NULL && i < message->items->len && rc < 0; i++) {
		struct al_item *item = message->items->pdata[i];

		if (strcmp(item->part, part) != 0)
			continue;
		*content_r = item->content;
		item->content = (struct al_content){ .fd = -1 };
		rc = 0;
	}
	if (rc < 0)
		ctl_error("safecopy: cannot read part %s of the original of %s%s%s", part, id,
		          error != NULL ? ": " : "", error != NULL ? error->message : "");
	al_message_free(&message);
	g_clear_object(&stream);
	return rc;
}

/* Writes content to path (0600), atomically. */
static int write_copy(const struct al_content *content, const char *path, GError **error)
{
	guint8 *buf = g_malloc(content->size + 1);
	gboolean ok = al_content_pread(content, 0, buf, content->size, error) ==
	                  (gssize)content->size &&
	              g_file_set_contents_full(path, (const char *)buf, (gssize)content->size,
	                                       G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);

	g_free(buf);
	return ok ? 0 : -1;
}

static const char *failure_text(enum al_safecopy_failure failure)
{
	switch (failure) {
	case AL_SAFECOPY_TOO_MANY_PAGES: return "more pages than [safecopy] max_pages";
	case AL_SAFECOPY_TIMEOUT: return "not done within [safecopy] max_seconds";
	case AL_SAFECOPY_TOO_LARGE: return "too large";
	default: return "no safe copy could be made";
	}
}

static int make_copy(struct ctl_admin *admin, const struct al_store_message *m,
                     const struct safecopy_options *o)
{
	const struct al_store_item *item = choose_item(m, o->item);
	struct al_content data = { .fd = -1 };
	struct al_safecopy *copy = NULL;
	struct al_pipeline *pipeline = NULL;
	g_autoptr(GError) error = NULL;
	int rc = -1;

	if (item == NULL || stored_content(admin, m->id, item->part, &data) < 0)
		return -1;
	copy = al_safecopy_make(admin->config, al_safecopy_kind_of(item->detected_type), &data,
	                        (gint64)admin->config->safecopy_max_seconds * 1000);
	copy->filename = al_safecopy_filename(item->filename, copy->kind,
	                                      admin->config->languages[0]);
	if (copy->failure == AL_SAFECOPY_OK) {
		/* The same check as the milter's, with today's signatures. */
		pipeline = al_pipeline_new(admin->config, NULL, &error);
		if (pipeline == NULL) {
			ctl_error("safecopy: the copy cannot be checked: %s", error->message);
			goto out;
		}
		al_safecopy_check(pipeline, copy);
	}
	if (copy->failure != AL_SAFECOPY_OK) {
		g_autofree char *detail = ctl_printable(copy->detail);
		ctl_error("safecopy: no copy of part %s: %s (%s)", item->part,
		          failure_text(copy->failure), detail);
	} else if (write_copy(&copy->content, o->output, &error) < 0) {
		ctl_error("safecopy: %s", error->message);
	} else {
		printf("%s: %" G_GSIZE_FORMAT " bytes, sha256 %s\n", o->output, copy->content.size,
		       copy->sha256);
		rc = 0;
	}
out:
	al_pipeline_free(&pipeline);
	al_safecopy_free(&copy);
	al_content_clear(&data);
	return rc;
}

int ctl_safecopy(int argc, char **argv)
{
	struct safecopy_options o = {0};
	struct ctl_admin admin = {0};
	struct al_store_message m = {0};
	g_autoptr(GError) error = NULL;
	int status = CTL_EXIT_USAGE;

	/* The helper may stop reading its input early. */
	signal(SIGPIPE, SIG_IGN);
	if (parse_options(argc, argv, &o) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	if (ctl_admin_open(o.config_path, &admin) < 0)
		goto out;
	if (al_store_get_message(admin.store, o.args[0], &m, &error) < 0) {
		ctl_error("%s", error->message);
		goto out;
	}
	if (make_copy(&admin, &m, &o) == 0)
		status = CTL_EXIT_OK;
out:
	al_store_message_clear(&m);
	ctl_admin_close(&admin);
	g_free(o.config_path);
	g_free(o.item);
	g_free(o.output);
	g_strfreev(o.args);
	return status;
}
