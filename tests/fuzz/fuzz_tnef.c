/*
 * fuzz_tnef.c - libFuzzer target: the input as the decoded content of an
 * application/ms-tnef part named winmail.dat (mime_tnef.c: record checks,
 * libytnef, the RTF body decompressor), through fuzz_part.h.
 */
#include "fuzz_part.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	al_mime_global_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_part(data, size, "application/ms-tnef; name=\"winmail.dat\"");
}
