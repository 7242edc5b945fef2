/*
 * fuzz_config.c - libFuzzer target: al_config_load() on an arbitrary
 * file. al_config_load() takes a path, so each input is written to one
 * file in a private temporary directory made at start-up (removed at
 * exit). A load either succeeds with a complete config or fails with an
 * AL_ERROR_CONFIG message naming the file.
 */
#include "airlock/config.h"

#include <glib/gstdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *work_dir;
static char *config_path;

static void remove_work_dir(void)
{
	g_unlink(config_path);
	g_rmdir(work_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GError *error = NULL;

	(void)argc;
	(void)argv;
	work_dir = g_dir_make_tmp("airlock-fuzz-config-XXXXXX", &error);
	if (work_dir == NULL)
		g_error("fuzz_config: %s", error->message);
	config_path = g_build_filename(work_dir, "airlock.conf", NULL);
	atexit(remove_work_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *error = NULL;
	struct al_config *config;

	if (!g_file_set_contents(config_path, (const char *)data, (gssize)size, &error))
		g_error("fuzz_config: %s", error->message);
	config = al_config_load(config_path, FALSE, &error);
	if (config == NULL) {
		if (error == NULL || error->domain != AL_ERROR || error->code != AL_ERROR_CONFIG ||
		    error->message == NULL || error->message[0] == '\0')
			abort();
		g_clear_error(&error);
		return 0;
	}
	if (error != NULL || config->quarantine_dir == NULL || config->signatures_dir == NULL ||
	    config->milter_socket == NULL || strcmp(config->path, config_path) != 0)
		abort();
	al_config_free(&config);
	if (config != NULL)
		abort();
	return 0;
}
