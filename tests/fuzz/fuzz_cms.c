/*
 * fuzz_cms.c - libFuzzer target: the input as the decoded content of an
 * application/pkcs7-mime part named smime.p7m (mime_smime.c: OpenSSL's CMS
 * reader, zlib, the walk of the content as MIME), through al_mime_parse()
 * as the milter would see it. Every item must have a path and a type, and
 * no more items than max_parts may come out.
 */
#include "airlock/mime.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct al_mime_limits limits = {
    .max_depth = 8,
    .max_parts = 64,
    .max_part_bytes = 1024 * 1024,
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *b64 = g_base64_encode(data, size);
	g_autofree char *text = g_strdup_printf(
		"From: a@example.org\r\nMIME-Version: 1.0\r\n"
		"Content-Type: application/pkcs7-mime; name=\"smime.p7m\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n",
		b64);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	struct al_message *message = al_mime_parse(stream, &limits, NULL);

	if (message != NULL) {
		if (message->items->len > limits.max_parts)
			__builtin_trap();
		for (guint i = 0; i < message->items->len; i++) {
			const struct al_item *item = message->items->pdata[i];

			if (item->part == NULL || item->declared_type == NULL)
				__builtin_trap();
		}
	}
	al_message_free(&message);
	g_object_unref(stream);
	return 0;
}
