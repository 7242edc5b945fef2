/*
 * fuzz_mimeparams.c - libFuzzer target: the raw header parameter parser
 * (mime_params.c) and the yEnc / begin-base64 decoders (mime_yenc.c).
 *
 * The first input byte picks the route:
 *   even: the rest is a raw Content-Disposition value: parsed, and every
 *         name it gives (filename, name) must be valid UTF-8, non-empty
 *         and bounded in number;
 *   odd:  the rest is the body of a text/plain message walked by
 *         al_mime_parse(), after a "=ybegin ... name=" line when the byte
 *         is 1 mod 4, so that yEnc and begin-base64 blocks are decoded:
 *         every item stays within max_part_bytes and max_parts.
 */
#include "../../src/lib/mime_private.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct al_mime_limits limits = {
    .max_depth = 8,
    .max_parts = 16,
    .max_part_bytes = 64 * 1024,
    .memory_threshold_bytes = 1024 * 1024,
    .spool_dir = "/tmp",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	al_mime_global_init();
	return 0;
}

static void parse_params(const char *raw)
{
	static const char *const names[] = { "filename", "name" };
	struct al_mime_params params;

	al_mime_params_parse(raw, &params);
	for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
		GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
		gboolean nul = FALSE;

		al_mime_params_names(&params, names[n], found, &nul);
		if (found->len > 16)
			abort();
		for (guint i = 0; i < found->len; i++) {
			const char *name = found->pdata[i];

			if (name[0] == '\0' || !g_utf8_validate(name, -1, NULL))
				abort();
		}
		g_ptr_array_unref(found);
	}
	if (params.params->len > 64)
		abort();
	al_mime_params_clear(&params);
}

static void walk_text(const char *body, size_t len, gboolean yenc_header)
{
	GString *text = g_string_new("From: a@example.org\r\nMIME-Version: 1.0\r\n"
				     "Content-Type: text/plain\r\n\r\n");
	GMimeStream *stream;
	GError *error = NULL;
	struct al_message *message;

	if (yenc_header)
		g_string_append(text, "=ybegin part=1 line=128 size=100 name=a.bin\r\n");
	g_string_append_len(text, body, (gssize)len);
	stream = g_mime_stream_mem_new_with_buffer(text->str, text->len);
	message = al_mime_parse(stream, &limits, &error);
	if (message == NULL)
		abort(); /* only I/O failures may fail, and memory has none */
	if (message->items->len > limits.max_parts)
		abort();
	for (guint i = 0; i < message->items->len; i++) {
		const struct al_item *item = message->items->pdata[i];

		if (item->content.size > limits.max_part_bytes)
			abort();
		if (item->filename != NULL && !g_utf8_validate(item->filename, -1, NULL))
			abort();
	}
	al_message_free(&message);
	g_object_unref(stream);
	g_string_free(text, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rest;

	if (size == 0)
		return 0;
	rest = g_strndup((const char *)data + 1, size - 1);
	if (data[0] % 2 == 0)
		parse_params(rest);
	else
		walk_text((const char *)data + 1, size - 1, data[0] % 4 == 1);
	g_free(rest);
	return 0;
}
