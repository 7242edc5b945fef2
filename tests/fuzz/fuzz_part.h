/*
 * fuzz_part.h - what the wrapper targets (fuzz_tnef.c, fuzz_cms.c) share:
 * the input as the base64 content of one attachment whose Content-Type
 * line the target gives, through al_mime_parse() as the milter would see
 * it. Every item must have a path and a type, and no more items than
 * max_parts may come out. Header-only: each target is one program.
 */
#ifndef AIRLOCK_FUZZ_PART_H
#define AIRLOCK_FUZZ_PART_H

#include "airlock/mime.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const struct al_mime_limits fuzz_part_limits = {
    .max_depth = 8,
    .max_parts = 64,
    .max_part_bytes = 1024 * 1024,
    .memory_threshold_bytes = 1024 * 1024,
    .spool_dir = "/tmp",
};

static int fuzz_part(const uint8_t *data, size_t size, const char *content_type)
{
	g_autofree char *b64 = g_base64_encode(data, size);
	g_autofree char *text = g_strdup_printf("From: a@example.org\r\nMIME-Version: 1.0\r\n"
						"Content-Type: %s\r\n"
						"Content-Transfer-Encoding: base64\r\n\r\n%s\r\n",
						content_type, b64);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	struct al_message *message = al_mime_parse(stream, &fuzz_part_limits, NULL);

	if (message != NULL) {
		if (message->items->len > fuzz_part_limits.max_parts)
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

#endif
