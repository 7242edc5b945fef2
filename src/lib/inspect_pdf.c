/*
 * inspect_pdf.c - the names a PDF uses to run code when it is opened.
 *
 * DESCRIPTION
 *	Applies to files with "%PDF-" in their first 1024 bytes (where
 *	readers look for it). Every name (/Name) outside stream data is
 *	decoded (#xx escapes: /J#61vaScript is /JavaScript) and compared:
 *	  /JavaScript, /JS             script run by the reader: `macro`
 *	  /Launch                      starts a program or opens a file:
 *	                               `executable`
 *	  /EmbeddedFile, /EmbeddedFiles files the reader offers to open:
 *	                               `executable`
 *	/OpenAction and /AA are how such actions start on opening; they are
 *	harmless alone (a view setting) and not reported by themselves.
 *	Object streams (/Type /ObjStm, PDF 1.5) hide dictionaries inside
 *	compressed data: FlateDecode ones are inflated, at most
 *	AL_INSPECT_MAX_INFLATE_BYTES in all, and searched the same way.
 *	Other stream data is skipped, so that compressed bytes that happen
 *	to spell "/JS" are not taken for a name.
 */
#include "inspect_private.h"

#include <gio/gio.h>
#include <string.h>

#define HEADER_WINDOW 1024
#define MAX_NAME_BYTES 127
#define DICTIONARY_LOOKBACK 2048

enum {
	FOUND_SCRIPT = 1 << 0,
	FOUND_LAUNCH = 1 << 1,
	FOUND_EMBEDDED = 1 << 2,
};

struct pdf_scan {
	guint found;
	gsize inflate_left;
};

static gboolean is_delimiter(guint8 c)
{
	return g_ascii_isspace(c) || c == 0 || strchr("()<>[]{}/%", c) != NULL;
}

/* Reads the name after the '/' at p; returns its length in the input. */
static gsize read_name(const guint8 *p, const guint8 *end, char *out)
{
	const guint8 *start = p;
	gsize n = 0;

	while (p < end && !is_delimiter(*p)) {
		guint8 c = *p++;

		if (c == '#' && end - p >= 2 && g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1])) {
			c = (guint8)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
			p += 2;
		}
		if (n < MAX_NAME_BYTES)
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return (gsize)(p - start);
}

static void classify_name(struct pdf_scan *scan, const char *name)
{
	if (strcmp(name, "JavaScript") == 0 || strcmp(name, "JS") == 0)
		scan->found |= FOUND_SCRIPT;
	else if (strcmp(name, "Launch") == 0)
		scan->found |= FOUND_LAUNCH;
	else if (strcmp(name, "EmbeddedFile") == 0 || strcmp(name, "EmbeddedFiles") == 0)
		scan->found |= FOUND_EMBEDDED;
}

/* Inflates a zlib stream into at most scan->inflate_left bytes (transfer
 * full), or NULL. */
static GBytes *inflate(struct pdf_scan *scan, const guint8 *data, gsize len)
{
	g_autoptr(GZlibDecompressor) decompressor =
		g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB);
	GByteArray *out = g_byte_array_new();
	guint8 buffer[16384];
	gsize in_done = 0;

	while (in_done < len && out->len < scan->inflate_left) {
		gsize read = 0, written = 0;
		GConverterResult rc = g_converter_convert(
			G_CONVERTER(decompressor), data + in_done, len - in_done, buffer,
			MIN(sizeof(buffer), scan->inflate_left - out->len), G_CONVERTER_INPUT_AT_END,
			&read, &written, NULL);

		if (rc == G_CONVERTER_ERROR)
			break;
		in_done += read;
		g_byte_array_append(out, buffer, (guint)written);
		if (rc == G_CONVERTER_FINISHED || (read == 0 && written == 0))
			break;
	}
	scan->inflate_left -= out->len;
	return g_byte_array_free_to_bytes(out);
}

static void scan_names(struct pdf_scan *scan, const guint8 *data, gsize len, gboolean top);

/* At the "stream" keyword at p: inflates an object stream, and returns
 * where the stream data ends. */
static const guint8 *handle_stream(struct pdf_scan *scan, const guint8 *data, const guint8 *p,
				   const guint8 *end)
{
	const guint8 *body = p + 6;
	const guint8 *stop;
	const guint8 *dict = p - MIN((gsize)(p - data), (gsize)DICTIONARY_LOOKBACK);
	const guint8 *obj = dict;

	if (body < end && *body == '\r')
		body++;
	if (body < end && *body == '\n')
		body++;
	stop = al_inspect_find(body, (gsize)(end - body), "endstream");
	if (stop == NULL)
		stop = end;
	for (const guint8 *q = dict; (q = al_inspect_find(q, (gsize)(p - q), " obj")) != NULL; q++)
		obj = q;
	if (al_inspect_find(obj, (gsize)(p - obj), "/ObjStm") != NULL &&
	    al_inspect_find(obj, (gsize)(p - obj), "/FlateDecode") != NULL && scan->inflate_left > 0) {
		g_autoptr(GBytes) inflated = inflate(scan, body, (gsize)(stop - body));
		gsize size = 0;
		const guint8 *bytes = g_bytes_get_data(inflated, &size);

		scan_names(scan, bytes, size, FALSE);
	}
	return stop;
}

static gboolean is_stream_keyword(const guint8 *data, const guint8 *p, const guint8 *end)
{
	return end - p > 7 && memcmp(p, "stream", 6) == 0 && (p[6] == '\r' || p[6] == '\n') &&
	       p > data && (g_ascii_isspace(p[-1]) || p[-1] == '>');
}

static void scan_names(struct pdf_scan *scan, const guint8 *data, gsize len, gboolean top)
{
	const guint8 *end = data + len;
	const guint8 *p = data;

	while (p < end) {
		char name[MAX_NAME_BYTES + 1];

		if (*p == '/') {
			p++;
			p += read_name(p, end, name);
			classify_name(scan, name);
			continue;
		}
		if (top && *p == 's' && is_stream_keyword(data, p, end)) {
			p = handle_stream(scan, data, p, end);
			continue;
		}
		p++;
	}
}

void al_inspect_pdf(struct inspection *in)
{
	struct pdf_scan scan = { .inflate_left = AL_INSPECT_MAX_INFLATE_BYTES };

	if (al_inspect_find(in->data, MIN(in->len, (gsize)HEADER_WINDOW), "%PDF-") == NULL)
		return;
	scan_names(&scan, in->data, in->len, TRUE);
	if (scan.found & FOUND_SCRIPT)
		al_inspect_found(in, AL_REASON_MACRO,
				 "PDF document with JavaScript (/JavaScript or /JS), which the "
				 "reader runs");
	if (scan.found & FOUND_LAUNCH)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "PDF document with a /Launch action, which starts a program or "
				 "opens a file");
	if (scan.found & FOUND_EMBEDDED)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "PDF document carrying embedded files (/EmbeddedFile), which the "
				 "reader offers to open");
}
