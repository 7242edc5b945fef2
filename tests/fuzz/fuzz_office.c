/*
 * fuzz_office.c - libFuzzer target: the Office inspectors (inspect.h:
 * inspect_office.c's libxml2 SAX pass over OOXML, Flat OPC, Word 2003
 * XML and ODF parts; inspect_ole.c's stream reader, OLE Package objects
 * and BIFF8 sheets).
 *
 * The first input byte picks the name the rest is inspected under (a
 * .rels part is read in any namespace; the others by their content):
 *   0 "settings.xml.rels", 1 "document.xml", 2 "manifest.xml",
 *   3 "report.xml", other "oleObject1.bin".
 * Every finding must come with its sentence.
 */
#include "airlock/inspect.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "settings.xml.rels", "document.xml", "manifest.xml",
					     "report.xml", "oleObject1.bin" };
	GPtrArray *details;
	al_reason_set reasons;

	if (size < 1)
		return 0;
	details = g_ptr_array_new_with_free_func(g_free);
	reasons = al_inspect_buffer(data + 1, size - 1, names[MIN(data[0], 4)], details);
	if (details->len < (guint)__builtin_popcount(reasons))
		abort();
	g_ptr_array_unref(details);
	return 0;
}
