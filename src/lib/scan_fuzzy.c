/*
 * scan_fuzzy.c - does a signature directory use image fuzzy hashes?
 *
 * SYNOPSIS
 *	if (al_scan_dir_uses_fuzzy_img(dir)) ...
 *
 * DESCRIPTION
 *	Since 0.105 libclamav decodes every PNG, JPEG, GIF and TIFF it meets
 *	to compute a perceptual hash (pHash), for logical signatures with a
 *	"fuzzy_img#HASH#DIST" subsignature. Decoding a 2 MB photo costs more
 *	than scanning it: a quarter of the milter's CPU on a clinic's mix in
 *	our benchmark. The hash serves nothing unless such a signature is
 *	loaded, so with [scan] image_fuzzy_hash = auto the scanner asks this
 *	file whether any database holds one.
 *
 *	Every database file libclamav would load is searched for the text
 *	"fuzzy_img#": plain databases as they are, signed and unsigned
 *	containers (.cvd, .cld, .cud: a 512-byte header, then a tar archive,
 *	gzip-compressed or not) through GLib's zlib decompressor. The answer
 *	errs on the safe side: a file that cannot be read or decoded, or a
 *	container of an unknown layout, counts as using fuzzy hashes, and so
 *	does the text appearing anywhere (a comment, another field).
 *
 * COST
 *	One sequential read of every database, and for the official ones
 *	the inflation of main.cvd and daily.cvd, at each engine load (start
 *	and reload), in the thread that builds the engine. Measured: a
 *	30 MB .cvd holding 66 MB of signatures in 0.29 s (230 MB/s of
 *	inflated text), plain files at page-cache speed; the official
 *	databases should take a few seconds, against the 15 to 20 s
 *	libclamav takes to load their 8.7 million signatures.
 *
 * LIMITS
 *	The files are read just after libclamav loaded them: should
 *	freshclam replace one in between and the new one differ on this
 *	point, the answer follows the new file until the next reload (which
 *	freshclam's OnUpdateExecute can send as a SIGHUP).
 */
#include "scan_private.h"

#include <gio/gio.h>
#include <string.h>

#define NEEDLE "fuzzy_img#"
#define CHUNK (64 * 1024)
#define CVD_HEADER_BYTES 512

/* TRUE when the stream holds NEEDLE or cannot be read to its end. */
static gboolean stream_has_needle(GInputStream *in)
{
	const gsize keep = sizeof(NEEDLE) - 2; /* a match across two reads */
	g_autofree char *buffer = g_malloc(CHUNK + keep);
	gsize held = 0;

	for (;;) {
		gssize got = g_input_stream_read(in, buffer + held, CHUNK, NULL, NULL);

		if (got < 0)
			return TRUE;
		if (got == 0)
			return FALSE;
		held += (gsize)got;
		if (memmem(buffer, held, NEEDLE, sizeof(NEEDLE) - 1) != NULL)
			return TRUE;
		if (held > keep) {
			memmove(buffer, buffer + held - keep, keep);
			held = keep;
		}
	}
}

static gboolean is_container(const char *name)
{
	return g_str_has_suffix(name, ".cvd") || g_str_has_suffix(name, ".cld") ||
	       g_str_has_suffix(name, ".cud");
}

/* A container: "ClamAV-VDB:" header, then gzip or a bare tar. */
static gboolean container_has_needle(GInputStream *in)
{
	char header[CVD_HEADER_BYTES];
	gsize got = 0;
	g_autoptr(GZlibDecompressor) inflate = NULL;
	g_autoptr(GInputStream) inflated = NULL;
	g_autoptr(GBufferedInputStream) buffered = NULL;
	gsize peeked = 0;
	const guchar *start;

	if (!g_input_stream_read_all(in, header, sizeof(header), &got, NULL, NULL) ||
	    got != sizeof(header) || strncmp(header, "ClamAV-VDB:", 11) != 0)
		return TRUE;
	buffered = G_BUFFERED_INPUT_STREAM(g_buffered_input_stream_new(in));
	if (g_buffered_input_stream_fill(buffered, 2, NULL, NULL) < 0)
		return TRUE;
	start = g_buffered_input_stream_peek_buffer(buffered, &peeked);
	if (peeked >= 2 && start[0] == 0x1f && start[1] == 0x8b) {
		inflate = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
		inflated = g_converter_input_stream_new(G_INPUT_STREAM(buffered),
							G_CONVERTER(inflate));
		return stream_has_needle(inflated);
	}
	return stream_has_needle(G_INPUT_STREAM(buffered));
}

static gboolean file_has_needle(const char *path, gboolean container)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) in = g_file_read(file, NULL, NULL);

	if (in == NULL)
		return TRUE;
	return container ? container_has_needle(G_INPUT_STREAM(in))
			 : stream_has_needle(G_INPUT_STREAM(in));
}

gboolean al_scan_dir_uses_fuzzy_img(const char *dir)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	const char *name;

	if (listing == NULL)
		return TRUE;
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = NULL;

		if (!al_scan_is_database_file(name))
			continue;
		path = g_build_filename(dir, name, NULL);
		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
			continue;
		if (file_has_needle(path, is_container(name)))
			return TRUE;
	}
	return FALSE;
}
