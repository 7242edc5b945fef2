/*
 * image.c - images decoded to pixels and encoded again in their format.
 *
 * DESCRIPTION
 *	JPEG, PNG and TIFF go through gdk-pixbuf: its loaders are the ones
 *	every GNOME desktop trusts with mail attachments, they share one API
 *	and its savers write pixels and nothing else unless asked (no EXIF,
 *	XMP, comment, text chunk or ICC profile is copied). The EXIF
 *	orientation is applied to the pixels first, so the copy looks the way
 *	the original does once its EXIF is gone. TIFF: the first page only.
 *	gdk-pixbuf cannot save GIF or WebP, so:
 *	- GIF: giflib decodes every frame to its colour indices and encodes
 *	  them again (LZW rewritten); of the extension blocks only the graphic
 *	  controls (delays, transparency) are kept: comments, application
 *	  blocks (XMP, loop counts) and plain-text blocks are dropped;
 *	- WebP: libwebp decodes to RGBA and encodes again, lossless when the
 *	  original was, at quality 90 otherwise; EXIF, XMP and ICC chunks are
 *	  not written. An animated WebP gets no copy.
 *	HEIC is not handled: Debian 12's libheif decodes it but this build
 *	has no encoder wired in, so such a file gets no copy (SC_UNSUPPORTED).
 */
#include "safecopy.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gif_lib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/encode.h>

void sc_image_preload(const char *kind)
{
	/* Loads the loader module (a shared object for TIFF) before the filter. */
	GdkPixbufLoader *loader = gdk_pixbuf_loader_new_with_type(kind, NULL);
	if (loader != NULL) {
		gdk_pixbuf_loader_close(loader, NULL);
		g_object_unref(loader);
	}
}

static gboolean append_saved(const gchar *buf, gsize count, GError **error, gpointer out)
{
	(void)error;
	g_byte_array_append(out, (const guint8 *)buf, (guint)count);
	return TRUE;
}

static int pixbuf_convert(const char *kind, const guint8 *data, size_t len, GByteArray *out,
                          const char **why_r)
{
	GdkPixbufLoader *loader = gdk_pixbuf_loader_new_with_type(kind, NULL);
	int status = SC_INVALID;
	*why_r = "the image cannot be decoded";
	if (loader == NULL) {
		*why_r = "no gdk-pixbuf loader for this image type";
		return SC_UNSUPPORTED;
	}
	gboolean read = gdk_pixbuf_loader_write(loader, data, len, NULL);
	read = gdk_pixbuf_loader_close(loader, NULL) && read;
	GdkPixbuf *decoded = read ? gdk_pixbuf_loader_get_pixbuf(loader) : NULL;
	GdkPixbuf *upright = decoded != NULL ? gdk_pixbuf_apply_embedded_orientation(decoded) : NULL;
	if (upright != NULL) {
		gboolean saved = strcmp(kind, "jpeg") == 0
		        ? gdk_pixbuf_save_to_callback(upright, append_saved, out, kind, NULL,
		                                      "quality", "90", NULL)
		        : gdk_pixbuf_save_to_callback(upright, append_saved, out, kind, NULL, NULL);
		status = saved ? SC_OK : SC_INVALID;
		if (!saved)
			*why_r = "the image cannot be encoded again";
		g_object_unref(upright);
	}
	g_object_unref(loader);
	return status;
}

struct gif_input {
	const guint8 *data;
	size_t len, pos;
};

static int gif_read(GifFileType *gif, GifByteType *buf, int want)
{
	struct gif_input *in = gif->UserData;
	size_t count = MIN((size_t)want, in->len - in->pos);
	memcpy(buf, in->data + in->pos, count);
	in->pos += count;
	return (int)count;
}

static int gif_write(GifFileType *gif, const GifByteType *buf, int count)
{
	g_byte_array_append(gif->UserData, buf, (guint)count);
	return count;
}

/* Keeps only the graphic control blocks of a copied frame. */
static int keep_graphic_controls(SavedImage *frame)
{
	ExtensionBlock *blocks = frame->ExtensionBlocks;
	int count = frame->ExtensionBlockCount, rc = GIF_OK;
	frame->ExtensionBlocks = NULL;
	frame->ExtensionBlockCount = 0;
	for (int i = 0; i < count && rc == GIF_OK; i++)
		if (blocks[i].Function == GRAPHICS_EXT_FUNC_CODE)
			rc = GifAddExtensionBlock(&frame->ExtensionBlockCount, &frame->ExtensionBlocks,
			                          GRAPHICS_EXT_FUNC_CODE, blocks[i].ByteCount,
			                          blocks[i].Bytes);
	GifFreeExtensions(&count, &blocks);
	return rc;
}

static int gif_copy(GifFileType *in, GifFileType *out)
{
	out->SWidth = in->SWidth;
	out->SHeight = in->SHeight;
	out->SColorResolution = in->SColorResolution;
	out->SBackGroundColor = in->SBackGroundColor;
	if (in->SColorMap != NULL) {
		out->SColorMap = GifMakeMapObject(in->SColorMap->ColorCount, in->SColorMap->Colors);
		if (out->SColorMap == NULL)
			return GIF_ERROR;
	}
	for (int i = 0; i < in->ImageCount; i++) {
		SavedImage *frame = GifMakeSavedImage(out, &in->SavedImages[i]);
		if (frame == NULL || keep_graphic_controls(frame) != GIF_OK)
			return GIF_ERROR;
	}
	return GIF_OK;
}

static int gif_convert(const guint8 *data, size_t len, GByteArray *out, const char **why_r)
{
	struct gif_input input = { .data = data, .len = len };
	int error = 0;
	GifFileType *in = DGifOpen(&input, gif_read, &error);
	if (in == NULL || DGifSlurp(in) != GIF_OK || in->ImageCount < 1) {
		*why_r = "the GIF cannot be decoded";
		if (in != NULL)
			DGifCloseFile(in, &error);
		return SC_INVALID;
	}
	GifFileType *copy = EGifOpen(out, gif_write, &error);
	int rc = copy != NULL ? gif_copy(in, copy) : GIF_ERROR;
	if (copy != NULL && rc == GIF_OK)
		rc = EGifSpew(copy); /* writes and closes */
	else if (copy != NULL)
		EGifCloseFile(copy, &error);
	DGifCloseFile(in, &error);
	if (rc != GIF_OK) {
		*why_r = "the GIF cannot be encoded again";
		return SC_INVALID;
	}
	return SC_OK;
}

static int webp_convert(const guint8 *data, size_t len, GByteArray *out, const char **why_r)
{
	WebPBitstreamFeatures features;
	int width = 0, height = 0;
	if (WebPGetFeatures(data, len, &features) != VP8_STATUS_OK) {
		*why_r = "the WebP image cannot be decoded";
		return SC_INVALID;
	}
	if (features.has_animation) {
		*why_r = "animated WebP images are not copied";
		return SC_UNSUPPORTED;
	}
	uint8_t *rgba = WebPDecodeRGBA(data, len, &width, &height);
	uint8_t *encoded = NULL;
	size_t size = 0;
	if (rgba != NULL)
		size = features.format == 2
		               ? WebPEncodeLosslessRGBA(rgba, width, height, width * 4, &encoded)
		               : WebPEncodeRGBA(rgba, width, height, width * 4, 90, &encoded);
	if (size > 0)
		g_byte_array_append(out, encoded, (guint)size);
	WebPFree(encoded);
	WebPFree(rgba);
	if (size == 0) {
		*why_r = "the WebP image cannot be decoded or encoded again";
		return SC_INVALID;
	}
	return SC_OK;
}

int sc_image_convert(const char *kind, const guint8 *data, size_t len, GByteArray *out,
                     const char **why_r)
{
	if (strcmp(kind, "gif") == 0)
		return gif_convert(data, len, out, why_r);
	if (strcmp(kind, "webp") == 0)
		return webp_convert(data, len, out, why_r);
	return pixbuf_convert(kind, data, len, out, why_r);
}
