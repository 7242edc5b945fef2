/*
 * fuzz_filename.c - libFuzzer target: file names as found in mail.
 *
 * The first input byte picks the route:
 *   even: al_mime_decode_filename() on the rest (RFC 2047 words);
 *   odd:  the rest becomes the parameters of the Content-Type and the
 *         Content-Disposition of one attachment (RFC 2231 continuations,
 *         charsets, quoting...) and the message goes through
 *         al_mime_parse(), as the milter would see it.
 * Every name that comes out must be valid UTF-8 (the library promises
 * it: names reach logs, JSON, SQL and notices).
 */
#include "airlock/mime.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct al_mime_limits limits = {
    .max_depth = 8,
    .max_parts = 16,
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

static void require_utf8(const char *name)
{
	if (name != NULL && !g_utf8_validate(name, -1, NULL))
		abort();
}

static void decode_direct(const char *raw)
{
	char *name = al_mime_decode_filename(raw);

	if (name == NULL)
		abort();
	require_utf8(name);
	g_free(name);
}

static void parse_one_part(const char *params, size_t len)
{
	GString *text = g_string_new("From: a@example.org\r\nMIME-Version: 1.0\r\n"
				     "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
				     "--b\r\nContent-Type: application/octet-stream; ");
	GMimeStream *stream;
	GError *error = NULL;
	struct al_message *message;

	g_string_append_len(text, params, (gssize)len);
	g_string_append(text, "\r\nContent-Disposition: attachment; ");
	g_string_append_len(text, params, (gssize)len);
	g_string_append(text, "\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAA==\r\n--b--\r\n");
	stream = g_mime_stream_mem_new_with_buffer(text->str, text->len);
	message = al_mime_parse(stream, &limits, &error);
	if (message == NULL)
		abort(); /* only I/O failures may fail, and memory has none */
	for (guint i = 0; i < message->items->len; i++) {
		const struct al_item *item = message->items->pdata[i];

		require_utf8(item->filename);
		require_utf8(item->alt_filename);
		require_utf8(item->declared_type);
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
		decode_direct(rest);
	else
		parse_one_part((const char *)data + 1, size - 1);
	g_free(rest);
	return 0;
}
