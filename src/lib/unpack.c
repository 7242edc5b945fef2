/*
 * unpack.c - containers libclamav does not open, read with libarchive
 * (see unpack.h).
 *
 * WHAT LIBCLAMAV OPENS HERE
 *	Measured with Debian 12's libclamav 1.4.6 (file-inspection callback,
 *	every parser on), one 1.5 KB PE inside each:
 *	  RAR 4, RAR 5 (stored)     top layer CL_TYPE_RAR, no member: Debian
 *	                            builds it without unrar; not even EICAR
 *	                            stored in a RAR is found
 *	  .zst, .tar.zst            CL_TYPE_TEXT_UTF16BE or BINARY_DATA only
 *	  .lz (lzip), .Z (compress), .lzma (xz --format=lzma)
 *	                            CL_TYPE_BINARY_DATA only
 *	  .xz                       opened (CL_TYPE_XZ, member unnamed)
 *	  ar (binutils)             not opened; the stored PE is found only
 *	                            as an embedded program by its MZ header
 *	  cpio (newc)               opened, member named
 *	  ZIP method 12 (bzip2)     opened
 *	  ZIP method 14 (LZMA), 95 (XZ), 93 (Zstandard)
 *	                            CL_TYPE_ZIP, no member
 *	  ZIP64 (zip -fz)           CL_TYPE_ZIP, no member
 *	  7z LZMA2, PPMd, BCJ2, solid
 *	                            opened, members named
 *	  7z -mhe=on                Heuristics.Encrypted.7Zip
 *	  tar with PAX `path`       opened, but the member is named by its
 *	                            ustar name ("report.pdf" for a PAX path
 *	                            "report.pdf.exe")
 *	  tar with GNU long names   opened, name cut at 100 bytes
 *	  ZIP Unicode Path (0x7075) opened, named by the header's raw name
 *
 * THE RULE (al_unpack_needed)
 *	Opened here: RAR (any version), Zstandard, lzip, LZMA alone, compress,
 *	ar; ZIP whose central directory has a member method other than
 *	stored, deflate, deflate64 or bzip2, ZIP64 records, or a Unicode
 *	Path field; uncompressed tar with PAX or GNU renaming headers. 7z is
 *	left to libclamav, which opens every variant measured; the scanner
 *	falls back on libarchive for any archive in which libclamav found no
 *	member (scan.c). Members libclamav already reported with the same
 *	path, type and size are merged by scan.c, not listed twice.
 *
 * READING
 *	archive_read_support_filter_all, archive_read_support_format_all and
 *	raw (a single compressed stream: one member named after the container
 *	without its compression extension). Raw data with no filter is not an
 *	archive: AL_UNPACK_FAILED. Each member is read up to max_member_bytes
 *	(`cut` past that); what follows is drained in chunks counted against
 *	max_total_bytes and the deadline. Encrypted members
 *	(archive_entry_is_encrypted) are reported without data; an archive
 *	that fails while it reports encrypted entries is AL_UNPACK_ENCRYPTED.
 *	An archive in which libarchive finds no entry at all is FAILED too:
 *	libarchive ends some truncated archives (RAR 5) without an error.
 *	Names: libarchive's pathname (UTF-8) first; for ZIP, the central
 *	directory's raw name and Unicode Path of the same entry; for an
 *	uncompressed tar, the ustar name of the entry (unpack_names.c).
 */
#include "unpack_private.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#define CHUNK_BYTES (64 * 1024)
#define MAX_NAMES 4

struct reader {
	struct archive *archive;
	const guint8 *data;
	gsize size;
	const char *container_name;
	const struct al_unpack_limits *limits;
	struct unpack_zip_directory *zip; /* for ZIP containers, or NULL */
	gboolean plain_tar;		  /* tar without a compression filter */
	guint members;
	guint entries; /* every header, directories included */
	guint64 total_bytes;
	char *sentence;
};

static gboolean starts(const guint8 *data, gsize size, const char *magic, gsize length)
{
	return size >= length && memcmp(data, magic, length) == 0;
}

/* LZMA alone (.lzma): properties 0x5D, a power-of-two dictionary of 4 KiB
 * to 1 GiB, an unknown (all ones) or plausible size. */
static gboolean is_lzma_alone(const guint8 *data, gsize size)
{
	guint32 dict;
	guint64 length = 0;

	if (size < 13 || data[0] != 0x5D)
		return FALSE;
	dict = (guint32)data[1] | (guint32)data[2] << 8 | (guint32)data[3] << 16 |
	       (guint32)data[4] << 24;
	for (int i = 12; i >= 5; i--)
		length = length << 8 | data[i];
	return dict >= 4096 && dict <= (1u << 30) && (dict & (dict - 1)) == 0 &&
	       (length == G_MAXUINT64 || length < ((guint64)1 << 40));
}

static const char *zip_needed(const guint8 *data, gsize size, const char *clamav_type)
{
	struct unpack_zip_directory *dir;
	const char *format = NULL;

	if (!starts(data, size, "PK\x03\x04", 4) &&
	    (clamav_type == NULL || strcmp(clamav_type, "CL_TYPE_ZIP") != 0))
		return NULL;
	dir = al_unpack_zip_directory(data, size);
	if (dir == NULL)
		return NULL;
	if (dir->zip64)
		format = "ZIP64";
	else if (dir->other_methods)
		format = "ZIP (LZMA, XZ, Zstandard or another method)";
	else if (dir->unicode_paths)
		format = "ZIP (Unicode Path names)";
	al_unpack_zip_directory_free(&dir);
	return format;
}

/* ---------------------------------------------- decompressor memory */

/* liblzma allocates the dictionary an LZMA or LZMA2 header asks for, up
 * to 4 GiB, before it decodes a byte, and libarchive sets no memory
 * limit: a few bytes could make the milter allocate gigabytes. The
 * headers are read here first; a dictionary past this is `limits`
 * (xz -9 and 7-Zip's "ultra" use 64 MiB). */
#define UNPACK_MAX_DICTIONARY_BYTES (256u * 1024 * 1024)

static guint32 le32_at(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

/* LZMA properties: lc/lp/pb byte, then the dictionary size. */
static gboolean lzma_dict_too_big(const guint8 *props, gsize available)
{
	return available >= 5 && props[0] < 225 && le32_at(props + 1) > UNPACK_MAX_DICTIONARY_BYTES;
}

/* ZIP members stored with method 14 (LZMA): the local headers in order. */
static gboolean zip_lzma_too_big(const guint8 *data, gsize size)
{
	gsize pos = 0;

	for (guint n = 0; n < UNPACK_MAX_ZIP_ENTRIES && size - pos >= 30 &&
			  memcmp(data + pos, "PK\x03\x04", 4) == 0;
	     n++) {
		guint16 method = (guint16)(data[pos + 8] | data[pos + 9] << 8);
		guint32 packed = le32_at(data + pos + 18);
		gsize start = pos + 30 + (data[pos + 26] | data[pos + 27] << 8) +
			      (data[pos + 28] | data[pos + 29] << 8);

		if (start > size)
			return FALSE;
		/* version (2 bytes), properties size (2), properties */
		if (method == 14 && size - start >= 9 && lzma_dict_too_big(data + start + 4, 5))
			return TRUE;
		if (packed == 0 || packed == 0xFFFFFFFFu || packed > size - start)
			return FALSE; /* sizes after the data, or ZIP64: stop looking */
		pos = start + packed;
	}
	return FALSE;
}

/* An XZ stream's first block: its LZMA2 filter's dictionary. */
static gboolean xz_dict_too_big(const guint8 *data, gsize size)
{
	gsize header, filters, pos = 14;

	if (size < 14 || memcmp(data, "\xfd" "7zXZ\0", 6) != 0 || data[12] == 0)
		return FALSE;
	header = ((gsize)data[12] + 1) * 4;
	filters = (gsize)(data[13] & 0x03) + 1;
	if (header > size - 12)
		return FALSE;
	for (int field = 0x40; field <= 0x80; field <<= 1) /* optional sizes: varints */
		if (data[13] & field)
			while (pos < size && pos < 12 + header && (data[pos++] & 0x80) != 0)
				;
	for (gsize i = 0; i < filters && pos + 3 <= 12 + header && pos + 3 <= size; i++) {
		if (data[pos] == 0x21 && data[pos + 1] == 1) {
			guint d = data[pos + 2] & 0x3f;

			return d > 40 || ((guint64)(2 | (d & 1)) << (d / 2 + 11)) >
						 UNPACK_MAX_DICTIONARY_BYTES;
		}
		pos += 2 + (gsize)data[pos + 1];
	}
	return FALSE;
}

static gboolean dictionary_too_big(const guint8 *data, gsize size)
{
	return (size >= 13 && lzma_dict_too_big(data, size) && data[0] == 0x5D) ||
	       zip_lzma_too_big(data, size) || xz_dict_too_big(data, size);
}

const char *al_unpack_needed(const guint8 *data, gsize size, const char *clamav_type)
{
	if (data == NULL || size == 0)
		return NULL;
	if (starts(data, size, "Rar!\x1a\x07", 6))
		return "RAR";
	if (starts(data, size, "\x28\xb5\x2f\xfd", 4))
		return "Zstandard";
	if (starts(data, size, "LZIP", 4))
		return "lzip";
	if (starts(data, size, "\x1f\x9d", 2))
		return "compress (.Z)";
	if (starts(data, size, "!<arch>\n", 8))
		return "ar";
	if (is_lzma_alone(data, size))
		return "LZMA";
	if (size >= 512 && memcmp(data + 257, "ustar", 5) == 0 && al_unpack_tar_renames(data, size))
		return "tar (PAX or GNU long names)";
	return zip_needed(data, size, clamav_type);
}

const char *al_unpack_archive_type(const char *clamav_type)
{
	static const struct {
		const char *clamav_type, *format;
	} archives[] = {
		{ "CL_TYPE_ZIP", "ZIP" },	   { "CL_TYPE_7Z", "7z" },
		{ "CL_TYPE_RAR", "RAR" },	   { "CL_TYPE_GZ", "gzip" },
		{ "CL_TYPE_BZ", "bzip2" },	   { "CL_TYPE_XZ", "XZ" },
		{ "CL_TYPE_POSIX_TAR", "tar" },	   { "CL_TYPE_OLD_TAR", "tar" },
		{ "CL_TYPE_CPIO_OLD", "cpio" },	   { "CL_TYPE_CPIO_ODC", "cpio" },
		{ "CL_TYPE_CPIO_NEWC", "cpio" },   { "CL_TYPE_CPIO_CRC", "cpio" },
		{ "CL_TYPE_MSCAB", "CAB" },	   { "CL_TYPE_LHA_LZH", "LHA" },
		{ "CL_TYPE_XAR", "XAR" },	   { "CL_TYPE_ARJ", "ARJ" },
	};

	for (guint i = 0; clamav_type != NULL && i < G_N_ELEMENTS(archives); i++)
		if (strcmp(clamav_type, archives[i].clamav_type) == 0)
			return archives[i].format;
	return NULL;
}

/* ------------------------------------------------------------- limits */

static gboolean past_limit(struct reader *r)
{
	const struct al_unpack_limits *l = r->limits;

	if (r->sentence != NULL)
		return TRUE;
	if (l->deadline_us > 0 && g_get_monotonic_time() > l->deadline_us)
		r->sentence = g_strdup("unpacking took longer than the scan time limit");
	else if (l->max_total_bytes > 0 && r->total_bytes > l->max_total_bytes)
		r->sentence = g_strdup_printf("holds more than %" G_GUINT64_FORMAT
					      " bytes in all (the scan size limit)",
					      l->max_total_bytes);
	else if (l->max_ratio > 0 && r->total_bytes >= l->min_ratio_bytes &&
		 r->total_bytes / l->max_ratio > r->size)
		r->sentence = g_strdup_printf("expands %" G_GSIZE_FORMAT " bytes into more than %"
					      G_GUINT64_FORMAT " bytes (more than %u times its "
					      "size): a compression bomb",
					      r->size, r->total_bytes, l->max_ratio);
	return r->sentence != NULL;
}

/* ------------------------------------------------------------- names */

static void add_name(const char **names, guint *count, const char *name)
{
	if (name == NULL || *name == '\0' || *count >= MAX_NAMES)
		return;
	for (guint i = 0; i < *count; i++)
		if (strcmp(names[i], name) == 0)
			return;
	names[(*count)++] = name;
}

static struct unpack_zip_entry *zip_match(struct reader *r, const char *pathname)
{
	if (r->zip == NULL || pathname == NULL)
		return NULL;
	for (guint i = 0; i < r->zip->entries->len; i++) {
		struct unpack_zip_entry *e = r->zip->entries->pdata[i];

		if (e->used)
			continue;
		if (strcmp(e->raw_name, pathname) == 0 ||
		    (e->unicode_name != NULL && strcmp(e->unicode_name, pathname) == 0)) {
			e->used = TRUE;
			return e;
		}
	}
	return NULL;
}

/* Single compressed stream: the container's name without ".zst"... */
static char *raw_member_name(const char *container_name)
{
	static const char *const suffixes[] = { ".gz", ".bz2", ".xz", ".lzma", ".lz", ".zst",
						".Z", ".z", ".zstd", ".tgz" };
	const char *base;

	if (container_name == NULL || *container_name == '\0')
		return g_strdup("data");
	base = strrchr(container_name, '/');
	base = base != NULL ? base + 1 : container_name;
	for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++)
		if (g_str_has_suffix(base, suffixes[i]) && strlen(base) > strlen(suffixes[i]))
			return g_strndup(base, strlen(base) - strlen(suffixes[i]));
	return g_strdup(base);
}

/* ------------------------------------------------------------- reading */

/* Reads the current member: its start into bytes, the rest drained.
 * Returns FALSE when the data cannot be read (damaged). */
static gboolean read_member(struct reader *r, GByteArray *bytes, gboolean *cut_r)
{
	guint64 max = r->limits->max_member_bytes > 0 ? r->limits->max_member_bytes : G_MAXUINT64;
	guint8 chunk[CHUNK_BYTES];
	la_ssize_t got;

	*cut_r = FALSE;
	while ((got = archive_read_data(r->archive, chunk, sizeof(chunk))) > 0) {
		guint64 room = max > bytes->len ? max - bytes->len : 0;

		r->total_bytes += (guint64)got;
		if (room > 0)
			g_byte_array_append(bytes, chunk, (guint)MIN((guint64)got, room));
		if ((guint64)got > room)
			*cut_r = TRUE;
		if (past_limit(r))
			return TRUE;
	}
	return got == 0;
}

static int give_member(struct reader *r, struct archive_entry *entry,
		       al_unpack_member_fn on_member, void *user)
{
	const char *names[MAX_NAMES + 1] = { NULL };
	g_autofree char *raw_name = NULL, *own_name = NULL;
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	const char *pathname = archive_entry_pathname_utf8(entry);
	struct unpack_zip_entry *zip;
	struct al_unpack_member member = { .names = names };
	guint count = 0;

	if (pathname == NULL)
		pathname = archive_entry_pathname(entry);
	if (archive_format(r->archive) == ARCHIVE_FORMAT_RAW)
		pathname = raw_name = raw_member_name(r->container_name);
	add_name(names, &count, pathname);
	if ((zip = zip_match(r, pathname)) != NULL) {
		add_name(names, &count, zip->raw_name);
		add_name(names, &count, zip->unicode_name);
	}
	if (r->plain_tar)
		own_name = al_unpack_tar_own_name(r->data, r->size,
						  archive_read_header_position(r->archive));
	add_name(names, &count, own_name);
	if (count == 0)
		names[count++] = "?"; /* an entry without a name */
	member.link_target = archive_entry_symlink_utf8(entry);
	if (member.link_target == NULL)
		member.link_target = archive_entry_hardlink_utf8(entry);
	member.encrypted = archive_entry_is_encrypted(entry) != 0;
	if (member.link_target == NULL && !member.encrypted) {
		if (!read_member(r, bytes, &member.cut))
			return -1;
		member.data = bytes->data;
		member.size = bytes->len;
	}
	return on_member(&member, user) != 0 ? 1 : 0;
}

/* Regular files and links; ar members carry no file type at all, and
 * the ar symbol and name tables ("/", "//") are not files. */
static gboolean wanted_entry(struct archive_entry *entry)
{
	mode_t type = archive_entry_filetype(entry);
	const char *name = archive_entry_pathname(entry);

	if (type == 0)
		return name != NULL && strcmp(name, "/") != 0 && strcmp(name, "//") != 0;
	return type == AE_IFREG || type == AE_IFLNK || archive_entry_hardlink(entry) != NULL;
}

static enum al_unpack_status failed(struct reader *r, const char *what)
{
	const char *error = archive_error_string(r->archive);

	if (archive_read_has_encrypted_entries(r->archive) > 0) {
		r->sentence = g_strdup("its entries are encrypted and cannot be read");
		return AL_UNPACK_ENCRYPTED;
	}
	r->sentence = g_strdup_printf("%s: %s", what, error != NULL ? error : "unreadable");
	return AL_UNPACK_FAILED;
}

static enum al_unpack_status walk(struct reader *r, al_unpack_member_fn on_member, void *user)
{
	struct archive_entry *entry;
	int rc;

	while ((rc = archive_read_next_header(r->archive, &entry)) == ARCHIVE_OK ||
	       rc == ARCHIVE_WARN) {
		if (archive_format(r->archive) == ARCHIVE_FORMAT_RAW &&
		    archive_filter_count(r->archive) <= 1)
			return failed(r, "not an archive or compressed file libarchive knows");
		r->entries++;
		if (!wanted_entry(entry))
			continue;
		if (r->limits->max_members > 0 && ++r->members > r->limits->max_members) {
			r->sentence = g_strdup_printf("holds more than %u files (the scan limit)",
						      r->limits->max_members);
			return AL_UNPACK_LIMITS;
		}
		rc = give_member(r, entry, on_member, user);
		if (rc < 0)
			return failed(r, "a member cannot be read");
		if (rc > 0)
			return AL_UNPACK_STOPPED;
		if (past_limit(r))
			return AL_UNPACK_LIMITS;
	}
	if (rc != ARCHIVE_EOF)
		return failed(r, "cannot be read");
	/* libarchive ends some truncated archives (RAR 5) quietly: an archive
	 * that shows nothing at all is not proof of harmlessness. */
	if (r->entries == 0)
		return failed(r, "no file can be read from it");
	return AL_UNPACK_OK;
}

enum al_unpack_status al_unpack_buffer(const guint8 *data, gsize size, const char *container_name,
				       const struct al_unpack_limits *limits,
				       al_unpack_member_fn on_member, void *user, char **format_r,
				       char **sentence_r)
{
	struct reader r = { .data = data, .size = size, .container_name = container_name,
			    .limits = limits };
	enum al_unpack_status status = AL_UNPACK_FAILED;

	*sentence_r = NULL;
	if (format_r != NULL)
		*format_r = NULL;
	r.archive = archive_read_new();
	if (r.archive == NULL) {
		*sentence_r = g_strdup("out of memory");
		return AL_UNPACK_FAILED;
	}
	if (dictionary_too_big(data, size)) {
		r.sentence = g_strdup_printf("asks its decompressor for a dictionary of more than "
					     "%u MiB: not opened",
					     UNPACK_MAX_DICTIONARY_BYTES >> 20);
		status = AL_UNPACK_LIMITS;
		goto out;
	}
	archive_read_support_filter_all(r.archive);
	archive_read_support_format_all(r.archive);
	archive_read_support_format_raw(r.archive);
	if (size == 0 || archive_read_open_memory(r.archive, data, size) != ARCHIVE_OK) {
		status = failed(&r, "cannot be opened");
		goto out;
	}
	r.zip = al_unpack_zip_directory(data, size);
	r.plain_tar = size >= 512 && memcmp(data + 257, "ustar", 5) == 0;
	status = walk(&r, on_member, user);
	if (format_r != NULL && archive_format_name(r.archive) != NULL)
		*format_r = g_strdup(archive_format_name(r.archive));
out:
	*sentence_r = g_steal_pointer(&r.sentence);
	al_unpack_zip_directory_free(&r.zip);
	archive_read_free(r.archive);
	return status;
}
