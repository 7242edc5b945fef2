/*
 * fuzz_markup.c - libFuzzer target: the markup and text readers of
 * inspect_markup.c (SVG and HTML through libxml2 and the script reader,
 * RTF, CSV), through the public al_inspect_buffer().
 *
 * The first input byte picks the file name the rest is inspected under,
 * so each reader gets inputs whatever their first bytes (RTF is chosen by
 * content: "{\rt" at offset 0):
 *   0 x.svg   1 x.html   2 x.rtf   3 x.csv   4 x.txt   5 no name
 * Every reason found must come with a sentence (the library's promise,
 * which notices and logs rely on), and nothing may crash, leak or read out
 * of bounds.
 */
#include "airlock/inspect.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "x.svg", "x.html", "x.rtf", "x.csv", "x.txt", NULL };
	GPtrArray *details;
	al_reason_set reasons;
	guint8 *copy;

	if (size == 0)
		return 0;
	/* An exact-size copy, so ASan sees any read past the end. */
	copy = g_memdup2(data + 1, size - 1);
	details = g_ptr_array_new_with_free_func(g_free);
	reasons = al_inspect_buffer(copy, size - 1, names[data[0] % G_N_ELEMENTS(names)], details);
	if (details->len < (guint)__builtin_popcount(reasons))
		abort();
	g_ptr_array_free(details, TRUE);
	g_free(copy);
	return 0;
}
