/*
 * inspect.c - content inspectors: the dispatcher, DICOM preambles,
 * polyglots and app package manifests.
 *
 * SYNOPSIS
 *	reasons = al_inspect_buffer(data, len, "scan.dcm", details);
 *
 * DESCRIPTION
 *	Every inspector looks at the whole file and decides by itself
 *	whether it applies (magic bytes, or for markup the name too), so a
 *	misnamed file is inspected as what it is. The others live in
 *	inspect_pdf.c, inspect_markup.c, inspect_zip.c, inspect_ole.c and
 *	inspect_office.c (the XML of Office documents).
 *
 *	DICOM (PS3.10 7.1): bytes 128-131 are "DICM"; the preamble before
 *	them is for applications, and PS3.10 only foresees zeros or a TIFF
 *	header. CVE-2019-11687 puts a Windows program header there: the file
 *	opens as an image in a viewer and runs as a program when renamed.
 *	Any non-zero preamble that is not a TIFF header is `polyglot`, with
 *	the kind of program named when it is one.
 *
 *	Trailing data: a program or an archive after the end of a PDF (last
 *	%%EOF), a PNG (IEND chunk), a JPEG (EOI after the last scan) or a GIF
 *	(the trailer after its blocks) is `polyglot`; ZIPs are checked in inspect_zip.c. A program (MZ) that
 *	carries "%PDF-" in its first 1024 bytes opens as a document in PDF
 *	readers: `polyglot` too.
 */
#include "inspect_private.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>

#define DICOM_PREAMBLE_BYTES 128
#define PDF_HEADER_WINDOW 1024
#define PNG_SIGNATURE "\x89PNG\r\n\x1a\n"

void al_inspect_found(struct inspection *in, enum al_reason reason, const char *format, ...)
{
	va_list args;

	in->reasons |= AL_REASON_BIT(reason);
	if (in->details == NULL)
		return;
	va_start(args, format);
	g_ptr_array_add(in->details, g_strdup_vprintf(format, args));
	va_end(args);
}

const guint8 *al_inspect_find(const guint8 *data, gsize len, const char *needle)
{
	return memmem(data, len, needle, strlen(needle));
}

const guint8 *al_inspect_find_last(const guint8 *data, gsize len, const char *needle)
{
	gsize n = strlen(needle);
	const guint8 *p = data + len;

	if (n == 0 || len < n)
		return NULL;
	while ((p = memrchr(data, needle[0], (gsize)(p - data))) != NULL)
		if ((gsize)(data + len - p) >= n && memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

const guint8 *al_inspect_find_nocase(const guint8 *data, gsize len, const char *needle)
{
	gsize n = strlen(needle);
	guint8 first = (guint8)g_ascii_tolower(needle[0]);

	if (n == 0 || len < n)
		return NULL;
	for (gsize i = 0; i + n <= len; i++)
		if (g_ascii_tolower(data[i]) == first &&
		    g_ascii_strncasecmp((const char *)data + i, needle, n) == 0)
			return data + i;
	return NULL;
}

static guint32 le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

/* MZ confirmed by "PE\0\0" at the offset stored at 0x3C. */
static gboolean is_pe(const guint8 *p, gsize len)
{
	guint32 pe;

	if (len < 0x40 || p[0] != 'M' || p[1] != 'Z')
		return FALSE;
	pe = le32(p + 0x3C);
	return pe <= len - 4 && memcmp(p + pe, "PE\0\0", 4) == 0;
}

const char *al_inspect_program_header(const guint8 *p, gsize len)
{
	static const struct {
		const char *magic;
		gsize length;
		const char *what;
	} headers[] = {
		{ "\x7f" "ELF", 4, "a Linux program (ELF)" },
		{ "\xcf\xfa\xed\xfe", 4, "a macOS program (Mach-O)" },
		{ "\xce\xfa\xed\xfe", 4, "a macOS program (Mach-O)" },
		{ "\xfe\xed\xfa\xcf", 4, "a macOS program (Mach-O)" },
		{ "\xfe\xed\xfa\xce", 4, "a macOS program (Mach-O)" },
		{ "\xca\xfe\xba\xbe", 4, "a macOS universal program or Java class" },
		{ "PK\x03\x04", 4, "a ZIP archive" },
		{ "Rar!\x1a\x07", 6, "a RAR archive" },
		{ "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive" },
	};

	if (is_pe(p, len))
		return "a Windows program (PE)";
	if (len >= 2 && p[0] == 'M' && p[1] == 'Z')
		return "an MS-DOS program header (MZ)";
	for (guint i = 0; i < G_N_ELEMENTS(headers); i++)
		if (len >= headers[i].length && memcmp(p, headers[i].magic, headers[i].length) == 0)
			return headers[i].what;
	return NULL;
}

gboolean al_inspect_has_extension(const struct inspection *in, const char *const *extensions)
{
	if (in->extension == NULL)
		return FALSE;
	for (; *extensions != NULL; extensions++)
		if (strcmp(in->extension, *extensions) == 0)
			return TRUE;
	return FALSE;
}

/* ------------------------------------------------------------ DICOM */

static const char *preamble_kind(const guint8 *p)
{
	const char *program = al_inspect_program_header(p, DICOM_PREAMBLE_BYTES);

	if (program != NULL)
		return program;
	if (p[0] == '#' && p[1] == '!')
		return "a script (#!)";
	return NULL;
}

static void inspect_dicom(struct inspection *in)
{
	const guint8 *p = in->data;
	const char *kind;
	gboolean zero = TRUE;

	if (in->len < DICOM_PREAMBLE_BYTES + 4 || memcmp(p + DICOM_PREAMBLE_BYTES, "DICM", 4) != 0)
		return;
	for (gsize i = 0; i < DICOM_PREAMBLE_BYTES && zero; i++)
		zero = p[i] == 0;
	if (zero || memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0)
		return;
	kind = preamble_kind(p);
	if (kind != NULL)
		al_inspect_found(in, AL_REASON_POLYGLOT,
				 "DICOM image whose 128-byte preamble holds %s: the file is both an "
				 "image and a program (CVE-2019-11687)",
				 kind);
	else
		al_inspect_found(in, AL_REASON_POLYGLOT,
				 "DICOM image whose 128-byte preamble holds data that is neither zeros "
				 "nor a TIFF header (CVE-2019-11687)");
}

/* ------------------------------------------------------------ trailing data */

/* What follows end (blanks and NUL padding skipped) when it is a program
 * or an archive. */
static const char *trailing_kind(const struct inspection *in, gsize end, gsize *at_r)
{
	while (end < in->len && (g_ascii_isspace(in->data[end]) || in->data[end] == 0))
		end++;
	*at_r = end;
	if (end >= in->len)
		return NULL;
	return al_inspect_program_header(in->data + end, in->len - end);
}

static void report_trailing(struct inspection *in, const char *format_name, gsize end)
{
	gsize at = 0;
	const char *kind = trailing_kind(in, end, &at);

	if (kind != NULL)
		al_inspect_found(in, AL_REASON_POLYGLOT,
				 "%s followed by %s at byte %" G_GSIZE_FORMAT
				 ": the file is two formats at once",
				 format_name, kind, at);
}

static void trailing_after_pdf(struct inspection *in)
{
	const guint8 *header = al_inspect_find(in->data, MIN(in->len, PDF_HEADER_WINDOW), "%PDF-");
	const guint8 *last;

	if (header == NULL || header != in->data)
		return;
	/* From the end: a 50 MB PDF is not read again for its last line. */
	last = al_inspect_find_last(in->data, in->len, "%%EOF");
	if (last != NULL)
		report_trailing(in, "a PDF document", (gsize)(last - in->data) + 5);
}

static void trailing_after_png(struct inspection *in)
{
	gsize pos = 8;

	if (in->len < 8 || memcmp(in->data, PNG_SIGNATURE, 8) != 0)
		return;
	while (pos + 12 <= in->len) {
		guint32 length = (guint32)in->data[pos] << 24 | (guint32)in->data[pos + 1] << 16 |
				 (guint32)in->data[pos + 2] << 8 | in->data[pos + 3];
		gboolean end = memcmp(in->data + pos + 4, "IEND", 4) == 0;

		if (length > in->len - pos - 12)
			return;
		pos += 12 + (gsize)length;
		if (end) {
			report_trailing(in, "a PNG image", pos);
			return;
		}
	}
}

/* Skips the entropy-coded data of a scan: up to a marker that is neither
 * a stuffed 0x00 nor a restart marker. Returns the marker's offset. */
static gsize skip_scan(const struct inspection *in, gsize pos)
{
	while (pos + 1 < in->len) {
		const guint8 *ff = memchr(in->data + pos, 0xFF, in->len - pos - 1);
		guint8 next;

		if (ff == NULL)
			return in->len;
		pos = (gsize)(ff - in->data);
		next = in->data[pos + 1];
		if (next != 0x00 && next != 0xFF && (next < 0xD0 || next > 0xD7))
			return pos;
		pos++;
	}
	return in->len;
}

static void trailing_after_jpeg(struct inspection *in)
{
	gsize pos = 2;

	if (in->len < 4 || in->data[0] != 0xFF || in->data[1] != 0xD8 || in->data[2] != 0xFF)
		return;
	while (pos + 4 <= in->len && in->data[pos] == 0xFF) {
		guint8 marker = in->data[pos + 1];
		gsize length;

		if (marker == 0xFF) {
			pos++;
			continue;
		}
		if (marker == 0xD9) {
			report_trailing(in, "a JPEG image", pos + 2);
			return;
		}
		length = (gsize)in->data[pos + 2] << 8 | in->data[pos + 3];
		if (length < 2 || length > in->len - pos - 2)
			return;
		pos += 2 + length;
		if (marker == 0xDA)
			pos = skip_scan(in, pos);
	}
}

/* Skips a chain of GIF data sub-blocks (size byte, data) up to the empty
 * one; returns the offset after it, or 0 when the chain is cut short. */
static gsize skip_gif_sub_blocks(const struct inspection *in, gsize pos)
{
	while (pos < in->len) {
		guint8 size = in->data[pos];

		if (size == 0)
			return pos + 1;
		pos += 1 + (gsize)size;
	}
	return 0;
}

/* GIF89a: header, logical screen descriptor and its colour table, then
 * extensions (0x21) and images (0x2C) up to the trailer (0x3B). */
static void trailing_after_gif(struct inspection *in)
{
	gsize pos = 13;

	if (in->len < 14 ||
	    (memcmp(in->data, "GIF87a", 6) != 0 && memcmp(in->data, "GIF89a", 6) != 0))
		return;
	if (in->data[10] & 0x80)
		pos += 3 * ((gsize)2 << (in->data[10] & 0x07));
	while (pos < in->len) {
		guint8 block = in->data[pos];

		if (block == 0x3B) {
			report_trailing(in, "a GIF image", pos + 1);
			return;
		}
		if (block == 0x21 && pos + 2 <= in->len) {
			pos = skip_gif_sub_blocks(in, pos + 2);
		} else if (block == 0x2C && pos + 10 <= in->len) {
			guint8 flags = in->data[pos + 9];

			pos += 10;
			if (flags & 0x80)
				pos += 3 * ((gsize)2 << (flags & 0x07));
			/* The LZW minimum code size, then the image data. */
			pos = pos + 1 < in->len ? skip_gif_sub_blocks(in, pos + 1) : 0;
		} else {
			return;
		}
		if (pos == 0)
			return;
	}
}

static void pdf_header_in_program(struct inspection *in)
{
	if (in->len < 2 || in->data[0] != 'M' || in->data[1] != 'Z')
		return;
	if (al_inspect_find(in->data, MIN(in->len, PDF_HEADER_WINDOW), "%PDF-") != NULL)
		al_inspect_found(in, AL_REASON_POLYGLOT,
				 "a program that also carries a PDF header in its first %d bytes: "
				 "readers show a document, Windows runs a program",
				 PDF_HEADER_WINDOW);
}

/* ------------------------------------------------------------ app packages */

static void inspect_package_member(struct inspection *in)
{
	const char *base;

	if (in->name == NULL)
		return;
	base = strrchr(in->name, '/');
	base = base != NULL ? base + 1 : in->name;
	if (g_ascii_strcasecmp(base, "AppxManifest.xml") == 0 ||
	    g_ascii_strcasecmp(base, "AppxBlockMap.xml") == 0 ||
	    g_ascii_strcasecmp(base, "AppxBundleManifest.xml") == 0)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "the archive is a Windows app package (MSIX/APPX: %s), which "
				 "installs a program",
				 base);
}

/* ------------------------------------------------------------ dispatch */

static char *extension_of(const char *name)
{
	const char *dot;
	const char *slash;

	if (name == NULL)
		return NULL;
	dot = strrchr(name, '.');
	slash = strrchr(name, '/');
	if (dot == NULL || (slash != NULL && slash > dot) || dot[1] == '\0' || strlen(dot) > 16)
		return NULL;
	return g_ascii_strdown(dot + 1, -1);
}

al_reason_set al_inspect_buffer(const guint8 *data, gsize len, const char *name,
				GPtrArray *details)
{
	struct inspection in = {
		.data = data,
		.len = len,
		.name = name,
		.extension = extension_of(name),
		.details = details,
	};

	if (data != NULL && len > 0) {
		inspect_dicom(&in);
		trailing_after_pdf(&in);
		trailing_after_png(&in);
		trailing_after_jpeg(&in);
		trailing_after_gif(&in);
		pdf_header_in_program(&in);
		inspect_package_member(&in);
		al_inspect_office(&in);
		al_inspect_pdf(&in);
		al_inspect_markup(&in);
		al_inspect_zip(&in);
		al_inspect_ole(&in);
	}
	g_free(in.extension);
	return in.reasons;
}

int al_inspect_content(const struct al_content *content, const char *name, GPtrArray *details,
		       al_reason_set *reasons_r, GError **error)
{
	void *map;

	*reasons_r = 0;
	if (content->size == 0)
		return 0;
	if (content->bytes != NULL) {
		gsize size = 0;
		const guint8 *data = g_bytes_get_data(content->bytes, &size);

		*reasons_r = al_inspect_buffer(data, size, name, details);
		return 0;
	}
	map = mmap(NULL, content->size, PROT_READ, MAP_PRIVATE, content->fd, 0);
	if (map == MAP_FAILED) {
		int saved = errno;

		g_set_error(error, AL_ERROR, saved == ENOMEM ? AL_ERROR_NOMEM : AL_ERROR_IO,
			    "cannot map %" G_GSIZE_FORMAT " bytes of a spooled part to inspect it: %s",
			    content->size, g_strerror(saved));
		return -1;
	}
	*reasons_r = al_inspect_buffer(map, content->size, name, details);
	if (munmap(map, content->size) != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot unmap an inspected part: %s",
			    g_strerror(errno));
		return -1;
	}
	return 0;
}
