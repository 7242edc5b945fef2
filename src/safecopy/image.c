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
 *	- HEIC (iPhone photos): libheif decodes the primary image (libde265)
 *	  to RGB(A) and encodes it again as HEVC (x265, quality 90, preset
 *	  ultrafast: a 12-megapixel photo takes seconds, not half a minute) in a new
 *	  file: no EXIF, XMP, depth map, thumbnail or other image of the
 *	  original (bursts and Live Photos keep their primary image only).
 */
#include "safecopy.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gif_lib.h>
#include <libheif/heif.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/encode.h>

void sc_image_preload(const char *kind)
{
	if (strcmp(kind, "heic") == 0) {
		/* Plugins (none in Debian 12's 1.15) and codecs set up before
		 * the filter. */
		heif_init(NULL);
		return;
	}
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

static struct heif_error heic_write(struct heif_context *ctx, const void *data, size_t size,
                                    void *out)
{
	const struct heif_error ok = { .code = heif_error_Ok, .subcode = heif_suberror_Unspecified,
	                               .message = "" };
	(void)ctx;
	g_byte_array_append(out, data, (guint)size);
	return ok;
}

/* The primary image decoded, then encoded alone into a new context. */
static int heic_encode(struct heif_image_handle *handle, GByteArray *out)
{
	const gboolean alpha = heif_image_handle_has_alpha_channel(handle);
	struct heif_image *pixels = NULL;
	struct heif_context *copy = heif_context_alloc();
	struct heif_encoder *encoder = NULL;
	struct heif_writer writer = { .writer_api_version = 1, .write = heic_write };
	int status = SC_INVALID;

	if (heif_decode_image(handle, &pixels, heif_colorspace_RGB,
	                      alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB,
	                      NULL).code != heif_error_Ok)
		goto out;
	if (heif_context_get_encoder_for_format(copy, heif_compression_HEVC, &encoder).code !=
	        heif_error_Ok ||
	    heif_encoder_set_lossy_quality(encoder, 90).code != heif_error_Ok ||
	    heif_encoder_set_parameter_string(encoder, "preset", "ultrafast").code != heif_error_Ok ||
	    heif_context_encode_image(copy, pixels, encoder, NULL, NULL).code != heif_error_Ok ||
	    heif_context_write(copy, &writer, out).code != heif_error_Ok)
		goto out;
	status = SC_OK;
out:
	if (encoder != NULL)
		heif_encoder_release(encoder);
	if (pixels != NULL)
		heif_image_release(pixels);
	heif_context_free(copy);
	return status;
}

static int heic_convert(const guint8 *data, size_t len, GByteArray *out, const char **why_r)
{
	struct heif_context *original = heif_context_alloc();
	struct heif_image_handle *handle = NULL;
	int status = SC_INVALID;

	*why_r = "the HEIC image cannot be decoded or encoded again";
	if (heif_context_read_from_memory_without_copy(original, data, len, NULL).code ==
	        heif_error_Ok &&
	    heif_context_get_primary_image_handle(original, &handle).code == heif_error_Ok)
		status = heic_encode(handle, out);
	if (handle != NULL)
		heif_image_handle_release(handle);
	heif_context_free(original);
	return status;
}

int sc_image_convert(const char *kind, const guint8 *data, size_t len, GByteArray *out,
                     const char **why_r)
{
	if (strcmp(kind, "gif") == 0)
		return gif_convert(data, len, out, why_r);
	if (strcmp(kind, "webp") == 0)
		return webp_convert(data, len, out, why_r);
	if (strcmp(kind, "heic") == 0)
		return heic_convert(data, len, out, why_r);
	return pixbuf_convert(kind, data, len, out, why_r);
}
