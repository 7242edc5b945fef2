/*
 * fuzz_pdf.c - libFuzzer target: the PDF inspector (qpdf's object reader,
 * the walk, object streams, XFA through libxml2) on any bytes.
 *
 * Inputs that do not start with "%PDF-" get it prepended, so that every
 * mutation reaches qpdf. The inspector must return without crashing,
 * leaking or printing, and explain each reason it gives.
 */
#include "airlock/inspect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *details = g_ptr_array_new_with_free_func(g_free);
	GByteArray *pdf = g_byte_array_new();
	al_reason_set reasons;

	if (size < 5 || memcmp(data, "%PDF-", 5) != 0)
		g_byte_array_append(pdf, (const guint8 *)"%PDF-1.7\n", 9);
	g_byte_array_append(pdf, data, (guint)size);
	reasons = al_inspect_buffer(pdf->data, pdf->len, "fuzz.pdf", details);
	if (details->len < (guint)__builtin_popcount(reasons))
		abort();
	g_byte_array_free(pdf, TRUE);
	g_ptr_array_free(details, TRUE);
	return 0;
}
