/*
 * fuzz_pipeline.c - libFuzzer target: one message through the whole
 * pipeline (MIME walk, typing with libmagic, scanning with libclamav and
 * the repository's signatures, origin, policy), exactly as the milter
 * and airlockctl check judge it.
 *
 * The pipeline is built once (loading the engine takes a while) from a
 * config written into a private temporary directory, which also holds
 * the spool for large parts. memory_threshold is small so that both the
 * memory and the spool-file content paths run. Each verdict must be
 * complete: a valid action, an origin with its reason, items with their
 * part path, and names that are valid UTF-8.
 */
#include "airlock/pipeline.h"

#include <glib/gstdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *work_dir;
static struct al_config *config;
static struct al_pipeline *pipeline;

static const char *const recipients[] = {"bob@sink.test", NULL};
static const struct al_smtp_context smtp = {
    .queue_id = "FUZZ",
    .client_addr = "198.51.100.7",
    .client_name = "client.example",
    .helo = "client.example",
    .envelope_from = "stranger@unknown.example",
    .recipients = recipients,
};

static void remove_work_dir(void)
{
	g_autofree char *conf = g_build_filename(work_dir, "airlock.conf", NULL);
	g_autofree char *spool = g_build_filename(work_dir, "spool", NULL);

	al_pipeline_free(&pipeline);
	al_config_free(&config);
	g_unlink(conf);
	g_rmdir(spool);
	g_rmdir(work_dir);
}

static void build_pipeline(void)
{
	GError *error = NULL;
	g_autofree char *conf = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) warnings = NULL;

	work_dir = g_dir_make_tmp("airlock-fuzz-pipeline-XXXXXX", &error);
	if (work_dir == NULL)
		g_error("fuzz_pipeline: %s", error->message);
	conf = g_build_filename(work_dir, "airlock.conf", NULL);
	text = g_strdup_printf("[scan]\nsignatures = %s/signatures\n"
			       "clamav_database = /nonexistent\nmax_seconds = 10\n"
			       "[limits]\nmemory_threshold = 4K\nspool_dir = spool\n"
			       "max_parts = 200\nmax_mime_depth = 16\n"
			       "[origin]\nauthserv_id = mx.test.example\n"
			       "trusted_senders = partner.example\n"
			       "[quarantine]\ndir = quarantine\n",
			       AL_SOURCE_DIR);
	if (!g_file_set_contents(conf, text, -1, &error))
		g_error("fuzz_pipeline: %s", error->message);
	g_autofree char *spool = g_build_filename(work_dir, "spool", NULL);
	if (g_mkdir(spool, 0700) < 0)
		g_error("fuzz_pipeline: cannot create %s", spool);
	config = al_config_load(conf, TRUE, &error);
	if (config == NULL)
		g_error("fuzz_pipeline: %s", error->message);
	pipeline = al_pipeline_new(config, &warnings, &error);
	if (pipeline == NULL)
		g_error("fuzz_pipeline: %s", error->message);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	build_pipeline();
	atexit(remove_work_dir);
	return 0;
}

static void check_verdict(const struct al_verdict *verdict)
{
	const struct al_message *message = verdict->message;

	if (verdict->action >= AL_ACTION_COUNT || verdict->origin.why == NULL || message == NULL)
		abort();
	/* An accepted message has no finding at all. */
	if (verdict->action == AL_ACTION_ACCEPT && verdict->reasons != 0)
		abort();
	for (guint i = 0; i < message->items->len; i++) {
		const struct al_item *item = message->items->pdata[i];

		if (item->part == NULL || item->declared_type == NULL ||
		    (item->filename != NULL && !g_utf8_validate(item->filename, -1, NULL)) ||
		    (item->alt_filename != NULL && !g_utf8_validate(item->alt_filename, -1, NULL)))
			abort();
		if (item->reasons != 0 && verdict->action == AL_ACTION_ACCEPT)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data, size);
	struct al_verdict *verdict = NULL;
	GError *error = NULL;

	if (al_pipeline_run(pipeline, stream, &smtp, &verdict, &error) < 0) {
		/* Memory streams cannot fail to read; only a scanner failure may. */
		if (error == NULL || error->domain != AL_ERROR || error->code != AL_ERROR_SCAN)
			abort();
		g_clear_error(&error);
	} else {
		check_verdict(verdict);
	}
	al_verdict_free(&verdict);
	g_object_unref(stream);
	return 0;
}
