/*
 * fuzz_cms.c - libFuzzer target: the input as the decoded content of an
 * application/pkcs7-mime part named smime.p7m (mime_smime.c: OpenSSL's CMS
 * reader, zlib, the walk of the content as MIME), through fuzz_part.h.
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
	return fuzz_part(data, size, "application/pkcs7-mime; name=\"smime.p7m\"");
}
