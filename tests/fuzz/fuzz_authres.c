/*
 * fuzz_authres.c - libFuzzer target: al_authres_parse() on one header
 * value. The input is the value as raw bytes (a NUL inside ends it, as
 * it would in a header GMime hands over). A parsed result must be
 * consistent: an authserv-id and only complete method results.
 */
#include "airlock/authres.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = g_strndup((const char *)data, size);
	struct al_authres *authres = al_authres_parse(value);

	if (authres != NULL) {
		if (authres->authserv_id == NULL || authres->results == NULL)
			abort();
		for (guint i = 0; i < authres->results->len; i++) {
			const struct al_authres_result *r = authres->results->pdata[i];

			if (r->method == NULL || r->result == NULL)
				abort();
		}
	}
	al_authres_free(&authres);
	if (authres != NULL)
		abort();
	g_free(value);
	return 0;
}
