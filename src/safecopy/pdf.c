/*
 * pdf.c - a PDF rebuilt from the pixels of its pages.
 *
 * DESCRIPTION
 *	poppler-glib opens the document from memory; each page is rendered
 *	for printing (form fields and stamps as printed, no interactive
 *	annotation) on a white RGB cairo image surface at --dpi, then drawn
 *	as one image on a page of the same size of a new PDF written by
 *	cairo's PDF surface. The copy holds images and nothing else: no
 *	text, no font, no link, no form, no JavaScript, no OpenAction, no
 *	embedded file, no metadata from the original.
 *
 *	A page image is stored as a JPEG (gdk-pixbuf's encoder, quality 85),
 *	which cairo embeds as is, when that is smaller than its pixels
 *	deflated (what cairo writes otherwise): a scanned page weighs some
 *	hundred KB instead of megabytes, a page of text stays lossless.
 *
 *	A page whose rendering at --dpi would exceed MAX_PAGE_PIXELS is
 *	rendered at the lower resolution that fits. A document with more
 *	than --max-pages pages, an encrypted one or one poppler cannot open
 *	gives no copy at all.
 */
#include "safecopy.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <poppler.h>
#include <zlib.h>

#define MAX_PAGE_PIXELS (40.0 * 1000 * 1000)
#define MAX_PAGE_POINTS 14400.0 /* 200 inches, PDF's own limit */
#define JPEG_QUALITY    "85"

void sc_pdf_preload(void)
{
	/* fontconfig reads its configuration and caches before the filter. */
	FcInit();
	g_autoptr(GBytes) nothing = g_bytes_new_static("", 0);
	PopplerDocument *doc = poppler_document_new_from_bytes(nothing, NULL, NULL);
	g_clear_object(&doc);
}

static cairo_status_t append_output(void *closure, const unsigned char *data, unsigned int len)
{
	g_byte_array_append(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* How many bytes zlib (fastest level) makes of len bytes. */
static gsize deflated_size(const guint8 *data, gsize len)
{
	uLongf size = compressBound(len);
	guint8 *out = g_try_malloc(size);
	gsize result = G_MAXSIZE;

	if (out != NULL && compress2(out, &size, data, len, Z_BEST_SPEED) == Z_OK)
		result = size;
	g_free(out);
	return result;
}

/* Attaches a JPEG encoding of image (RGB24) for cairo's PDF surface to
 * embed instead of its pixels; without it the pixels go in losslessly. */
static void attach_jpeg(cairo_surface_t *image)
{
	const int width = cairo_image_surface_get_width(image);
	const int height = cairo_image_surface_get_height(image);
	const int stride = cairo_image_surface_get_stride(image);
	const guint8 *pixels = cairo_image_surface_get_data(image);
	GdkPixbuf *rgb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, width, height);
	gchar *jpeg = NULL;
	gsize size = 0;

	if (rgb == NULL)
		return;
	for (int y = 0; y < height; y++) {
		const guint32 *from = (const guint32 *)(const void *)(pixels + (gsize)y * stride);
		guint8 *to = gdk_pixbuf_get_pixels(rgb) + (gsize)y * gdk_pixbuf_get_rowstride(rgb);
		for (int x = 0; x < width; x++) {
			to[3 * x] = (guint8)(from[x] >> 16);
			to[3 * x + 1] = (guint8)(from[x] >> 8);
			to[3 * x + 2] = (guint8)from[x];
		}
	}
	if (gdk_pixbuf_save_to_buffer(rgb, &jpeg, &size, "jpeg", NULL, "quality", JPEG_QUALITY,
	                              NULL) &&
	    size < deflated_size(gdk_pixbuf_read_pixels(rgb), gdk_pixbuf_get_byte_length(rgb)) &&
	    cairo_surface_set_mime_data(image, CAIRO_MIME_TYPE_JPEG, (const unsigned char *)jpeg,
	                                size, g_free, jpeg) == CAIRO_STATUS_SUCCESS)
		jpeg = NULL;
	g_free(jpeg);
	g_object_unref(rgb);
}

/* Renders page onto a new RGB surface; NULL when cairo cannot have it. */
static cairo_surface_t *render_page(PopplerPage *page, double width_pt, double height_pt,
                                    unsigned dpi, double *scale_r)
{
	double scale = dpi / 72.0;
	if (width_pt * scale * height_pt * scale > MAX_PAGE_PIXELS)
		scale = sqrt(MAX_PAGE_PIXELS / (width_pt * height_pt));
	int width = (int)ceil(width_pt * scale), height = (int)ceil(height_pt * scale);
	cairo_surface_t *image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	if (cairo_surface_status(image) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(image);
		return NULL;
	}
	cairo_t *cr = cairo_create(image);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, scale, scale);
	poppler_page_render_for_printing(page, cr);
	cairo_destroy(cr);
	cairo_surface_flush(image);
	attach_jpeg(image);
	*scale_r = scale;
	return image;
}

static int add_page(PopplerDocument *doc, int index, const struct sc_limits *limits,
                    cairo_surface_t *pdf, const char **why_r)
{
	PopplerPage *page = poppler_document_get_page(doc, index);
	double width_pt = 0, height_pt = 0, scale = 1;
	if (page == NULL) {
		*why_r = "a page cannot be read";
		return SC_INVALID;
	}
	poppler_page_get_size(page, &width_pt, &height_pt);
	if (!(width_pt >= 1 && height_pt >= 1 && width_pt <= MAX_PAGE_POINTS &&
	      height_pt <= MAX_PAGE_POINTS)) {
		g_object_unref(page);
		*why_r = "a page has no sensible size";
		return SC_INVALID;
	}
	cairo_surface_t *image = render_page(page, width_pt, height_pt, limits->dpi, &scale);
	g_object_unref(page);
	if (image == NULL) {
		*why_r = "out of memory rendering a page";
		return SC_TOO_LARGE;
	}
	cairo_pdf_surface_set_size(pdf, width_pt, height_pt);
	cairo_t *cr = cairo_create(pdf);
	cairo_scale(cr, 1 / scale, 1 / scale);
	cairo_set_source_surface(cr, image, 0, 0);
	cairo_paint(cr);
	cairo_show_page(cr);
	int status = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? SC_OK : SC_TOO_LARGE;
	cairo_destroy(cr);
	cairo_surface_destroy(image);
	if (status != SC_OK)
		*why_r = "cairo cannot write a page";
	return status;
}

int sc_pdf_convert(const guint8 *data, size_t len, const struct sc_limits *limits,
                   GByteArray *out, const char **why_r)
{
	g_autoptr(GBytes) bytes = g_bytes_new_static(data, len);
	g_autoptr(GError) error = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &error);
	int status = SC_OK;
	int pages = doc != NULL ? poppler_document_get_n_pages(doc) : 0;

	if (doc == NULL) {
		*why_r = g_error_matches(error, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED)
		                 ? "the PDF is encrypted"
		                 : "poppler cannot open the PDF";
		return SC_INVALID;
	}
	if (pages <= 0 || (unsigned)pages > limits->max_pages) {
		*why_r = pages <= 0 ? "the PDF has no page" : "the PDF has more pages than --max-pages";
		g_object_unref(doc);
		return pages <= 0 ? SC_INVALID : SC_TOO_MANY_PAGES;
	}
	cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(append_output, out, 595, 842);
	cairo_pdf_surface_restrict_to_version(pdf, CAIRO_PDF_VERSION_1_5);
	for (int i = 0; i < pages && status == SC_OK; i++)
		status = add_page(doc, i, limits, pdf, why_r);
	cairo_surface_finish(pdf);
	if (status == SC_OK && cairo_surface_status(pdf) != CAIRO_STATUS_SUCCESS) {
		*why_r = "cairo cannot finish the PDF";
		status = SC_TOO_LARGE;
	}
	cairo_surface_destroy(pdf);
	g_object_unref(doc);
	return status;
}
