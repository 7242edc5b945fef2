/*
 * fuzz_unpack.c - libFuzzer target: the input as a container read by
 * al_unpack_buffer() (unpack.c, unpack_names.c: libarchive with every
 * filter and format, the ZIP central directory and tar header walks) and
 * sniffed by al_unpack_needed(). Every member must have a first name, at
 * most max_member_bytes of data, and no more members than max_members
 * may come out.
 */
#include "airlock/unpack.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct al_unpack_limits limits = {
	.max_member_bytes = 256 * 1024,
	.max_total_bytes = 4 * 1024 * 1024,
	.max_members = 64,
	.max_ratio = 100,
	.min_ratio_bytes = 1024 * 1024,
};

static int on_member(const struct al_unpack_member *member, void *user)
{
	guint *count = user;

	if (member->names == NULL || member->names[0] == NULL ||
	    member->size > limits.max_member_bytes || ++*count > limits.max_members)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *format = NULL, *sentence = NULL;
	guint count = 0;

	(void)al_unpack_needed(data, size, "CL_TYPE_ZIP");
	(void)al_unpack_buffer(data, size, "fuzz.tar.zst", &limits, on_member, &count, &format,
			       &sentence);
	return 0;
}
