/*
 * unpack_names.c - the names an archive member carries besides the one
 * libarchive reports, and the ZIP features libclamav cannot read.
 *
 * DESCRIPTION
 *	ZIP (APPNOTE 4.3.12, 4.3.14-16, 4.6.9): the central directory is
 *	found through the end record (and the ZIP64 end record its locator
 *	points at); for each entry, its raw name, its Info-ZIP Unicode Path
 *	extra field (0x7075: version, CRC of the raw name, UTF-8 name), its
 *	method, and whether it has a ZIP64 extra field (0x0001). Bytes before
 *	the archive (a self-extractor) shift every offset, as in
 *	inspect_zip.c.
 *	tar (POSIX.1-2001 pax, GNU tar's format): headers are walked block by
 *	block; typeflag 'x' (PAX extended header), 'L' and 'K' (GNU long name
 *	and link) rename the next entry, and the ustar name (prefix "/" name)
 *	of that entry is what tools that ignore them show.
 *	Every read is bounded by the buffer; at most UNPACK_MAX_ZIP_ENTRIES
 *	entries and MAX_TAR_HEADERS headers are read.
 */
#include "unpack_private.h"

#include <string.h>

#define EOCD_BYTES 22
#define EOCD64_LOCATOR_BYTES 20
#define EOCD64_BYTES 56
#define CENTRAL_BYTES 46
#define MAX_COMMENT 65535
#define TAR_BLOCK 512
#define MAX_TAR_HEADERS 100000

static guint16 le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

static guint32 le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static guint64 le64(const guint8 *p)
{
	return (guint64)le32(p) | (guint64)le32(p + 4) << 32;
}

static gssize find_eocd(const guint8 *data, gsize size)
{
	gsize lowest = size > EOCD_BYTES + MAX_COMMENT ? size - EOCD_BYTES - MAX_COMMENT : 0;

	if (size < EOCD_BYTES)
		return -1;
	for (gsize pos = size - EOCD_BYTES + 1; pos-- > lowest;)
		if (memcmp(data + pos, "PK\x05\x06", 4) == 0 &&
		    pos + EOCD_BYTES + le16(data + pos + 20) <= size)
			return (gssize)pos;
	return -1;
}

static void entry_free(gpointer data)
{
	struct unpack_zip_entry *entry = data;

	g_free(entry->raw_name);
	g_free(entry->unicode_name);
	g_free(entry);
}

void al_unpack_zip_directory_free(struct unpack_zip_directory **dir)
{
	if (*dir == NULL)
		return;
	g_ptr_array_unref((*dir)->entries);
	g_free(*dir);
	*dir = NULL;
}

/* The extra fields of one central entry: Unicode Path and ZIP64. */
static void read_extra(struct unpack_zip_directory *dir, struct unpack_zip_entry *entry,
		       const guint8 *extra, gsize length)
{
	gsize pos = 0;

	while (pos + 4 <= length) {
		guint16 id = le16(extra + pos), field = le16(extra + pos + 2);

		if (pos + 4 + field > length)
			break;
		if (id == 0x0001)
			dir->zip64 = TRUE;
		if (id == 0x7075 && field > 5 && entry->unicode_name == NULL) {
			entry->unicode_name = g_utf8_make_valid((const char *)extra + pos + 9,
								field - 5);
			dir->unicode_paths = TRUE;
		}
		pos += 4 + field;
	}
}

/* Where the central directory starts and how many entries it has, from
 * the ZIP64 end record when its locator precedes the end record. */
static gboolean locate_directory(const guint8 *data, gsize size, gsize eocd, guint64 *offset_r,
				 guint64 *count_r, gboolean *zip64_r)
{
	const guint8 *e = data + eocd;
	guint64 record;

	*offset_r = le32(e + 16);
	*count_r = le16(e + 10);
	if (eocd >= EOCD64_LOCATOR_BYTES &&
	    memcmp(data + eocd - EOCD64_LOCATOR_BYTES, "PK\x06\x07", 4) == 0) {
		*zip64_r = TRUE;
		record = le64(data + eocd - EOCD64_LOCATOR_BYTES + 8);
		if (record > size || size - record < EOCD64_BYTES ||
		    memcmp(data + record, "PK\x06\x06", 4) != 0)
			return FALSE;
		*count_r = le64(data + record + 32);
		*offset_r = le64(data + record + 48);
		return TRUE;
	}
	if (*offset_r == 0xFFFFFFFF || *count_r == 0xFFFF)
		*zip64_r = TRUE;
	/* A self-extractor's stub shifts the directory: it ends where the
	 * end record starts. */
	if (le32(e + 12) <= eocd && *offset_r <= eocd - le32(e + 12))
		*offset_r = eocd - le32(e + 12);
	return TRUE;
}

struct unpack_zip_directory *al_unpack_zip_directory(const guint8 *data, gsize size)
{
	gssize eocd = find_eocd(data, size);
	struct unpack_zip_directory *dir;
	guint64 pos, count;
	gboolean zip64 = FALSE;

	if (eocd < 0 || !locate_directory(data, size, (gsize)eocd, &pos, &count, &zip64))
		return NULL;
	dir = g_new0(struct unpack_zip_directory, 1);
	dir->entries = g_ptr_array_new_with_free_func(entry_free);
	dir->zip64 = zip64;
	while (dir->entries->len < MIN(count, (guint64)UNPACK_MAX_ZIP_ENTRIES) &&
	       pos <= size && size - pos >= CENTRAL_BYTES &&
	       memcmp(data + pos, "PK\x01\x02", 4) == 0) {
		const guint8 *c = data + pos;
		gsize name = le16(c + 28), extra = le16(c + 30), comment = le16(c + 32);
		struct unpack_zip_entry *entry;

		if (size - pos - CENTRAL_BYTES < name + extra + comment)
			break;
		entry = g_new0(struct unpack_zip_entry, 1);
		entry->raw_name = g_utf8_make_valid((const char *)c + CENTRAL_BYTES, (gssize)name);
		entry->method = le16(c + 10);
		if (entry->method != 0 && entry->method != 8 && entry->method != 9 &&
		    entry->method != 12)
			dir->other_methods = TRUE;
		read_extra(dir, entry, c + CENTRAL_BYTES + name, extra);
		g_ptr_array_add(dir->entries, entry);
		pos += CENTRAL_BYTES + name + extra + comment;
	}
	return dir;
}

/* ------------------------------------------------------------------ tar */

static gboolean tar_header(const guint8 *data, gsize size, gsize pos)
{
	return pos <= size && size - pos >= TAR_BLOCK && memcmp(data + pos + 257, "ustar", 5) == 0;
}

/* The size field: octal, or base-256 when the high bit is set; -1 when
 * it does not fit (the walk stops). */
static gint64 tar_size(const guint8 *header)
{
	const guint8 *field = header + 124;
	guint64 value = 0;

	if (field[0] & 0x80) {
		for (int i = 1; i < 12; i++) {
			if (value >> 48)
				return -1;
			value = value << 8 | field[i];
		}
		return (gint64)value;
	}
	for (int i = 0; i < 12 && field[i] >= '0' && field[i] <= '7'; i++)
		value = value << 3 | (guint64)(field[i] - '0');
	return value >> 48 ? -1 : (gint64)value;
}

static gsize tar_next(gsize pos, gint64 length)
{
	return pos + TAR_BLOCK + (((gsize)length + TAR_BLOCK - 1) / TAR_BLOCK) * TAR_BLOCK;
}

static gboolean renames(guint8 typeflag)
{
	return typeflag == 'x' || typeflag == 'L' || typeflag == 'K';
}

gboolean al_unpack_tar_renames(const guint8 *data, gsize size)
{
	gsize pos = 0;

	for (guint i = 0; i < MAX_TAR_HEADERS && tar_header(data, size, pos); i++) {
		gint64 length = tar_size(data + pos);

		if (renames(data[pos + 156]))
			return TRUE;
		if (length < 0 || (guint64)length > size)
			return FALSE;
		pos = tar_next(pos, length);
	}
	return FALSE;
}

char *al_unpack_tar_own_name(const guint8 *data, gsize size, gint64 offset)
{
	gsize pos = (gsize)MAX(offset, 0);
	g_autoptr(GString) name = g_string_new(NULL);

	for (guint i = 0; i < 16 && tar_header(data, size, pos); i++) {
		const guint8 *h = data + pos;
		gint64 length = tar_size(h);

		if (renames(h[156]) || h[156] == 'g') {
			if (length < 0 || (guint64)length > size)
				return NULL;
			pos = tar_next(pos, length);
			continue;
		}
		if (h[345] != '\0' && memcmp(h + 257, "ustar\0", 6) == 0) {
			g_string_append_len(name, (const char *)h + 345, (gssize)strnlen((const char *)h + 345, 155));
			g_string_append_c(name, '/');
		}
		g_string_append_len(name, (const char *)h, (gssize)strnlen((const char *)h, 100));
		return g_utf8_make_valid(name->str, (gssize)name->len);
	}
	return NULL;
}
