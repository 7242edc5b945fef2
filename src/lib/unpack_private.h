/*
 * unpack_private.h - what unpack.c (libarchive) and unpack_names.c (the
 * names and methods a ZIP central directory or a tar header carries)
 * share inside libairlock.
 */
#ifndef AIRLOCK_UNPACK_PRIVATE_H
#define AIRLOCK_UNPACK_PRIVATE_H

#include "airlock/unpack.h"

/* One ZIP central directory entry. */
struct unpack_zip_entry {
	char *raw_name;	    /* the header's name, made valid UTF-8 */
	char *unicode_name; /* the Unicode Path extra field (0x7075), or NULL */
	guint16 method;
	gboolean used; /* matched with a libarchive entry already */
};

struct unpack_zip_directory {
	GPtrArray *entries; /* struct unpack_zip_entry* */
	gboolean zip64;	    /* ZIP64 end records or extra fields */
	gboolean other_methods; /* a method libclamav lacks (not 0, 8, 9, 12) */
	gboolean unicode_paths; /* some entry has a Unicode Path field */
};

/* The central directory of data, or NULL when there is none (transfer
 * full: free with al_unpack_zip_directory_free). At most
 * UNPACK_MAX_ZIP_ENTRIES entries are read. */
struct unpack_zip_directory *al_unpack_zip_directory(const guint8 *data, gsize size);
void al_unpack_zip_directory_free(struct unpack_zip_directory **dir);

#define UNPACK_MAX_ZIP_ENTRIES 65535u

/* Whether an uncompressed tar holds a PAX extended header or a GNU long
 * name or link ('x', 'L', 'K'): names libclamav's tar reader ignores. */
gboolean al_unpack_tar_renames(const guint8 *data, gsize size);

/* The name in the ustar header of the entry whose first header block is
 * at offset (after its PAX and GNU blocks), or NULL (transfer full). */
char *al_unpack_tar_own_name(const guint8 *data, gsize size, gint64 offset);

#endif
