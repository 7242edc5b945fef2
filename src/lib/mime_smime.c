/*
 * mime_smime.c - the content of S/MIME parts (CMS, RFC 5652), walked as
 * MIME like an attached message (see mime_wrap.c).
 *
 * DESCRIPTION
 *	The part's decoded bytes are read with OpenSSL's d2i_CMS_bio (DER
 *	or BER, OpenSSL's own nesting limit), then by content type:
 *	  - signed data (opaque-signed mail, or a signature carrying its
 *	    content): the encapsulated content. Signatures are not checked:
 *	    whether the signer is genuine says nothing about the files.
 *	    A detached signature has none: the item is only a signature.
 *	  - compressed data (RFC 3274): the content is a zlib stream,
 *	    inflated here with GLib's zlib converter (Debian's OpenSSL has
 *	    no zlib), at most max_part_bytes (past it: `limits`).
 *	  - plain data: the content.
 *	  - enveloped, authenticated-enveloped or encrypted data:
 *	    `encrypted` ("encrypted S/MIME: cannot be scanned").
 *	  - anything else, or bytes OpenSSL cannot read: `unscannable`.
 *	The content is a MIME entity (headers and body): GMime parses it
 *	and mime.c's walk goes through it one level deeper, its parts
 *	continuing the item's path ("2.1", "2.2"... or "2.1" for a single
 *	part), with the depth and part limits of the whole message.
 */
#include "mime_private.h"

#include <gio/gio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

/* Walks content (a MIME entity) below item. */
static int walk_content(struct walk *w, struct al_item *item, const guint8 *data, gsize len,
			guint depth, al_mime_walk_fn walk, GError **error)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeObject *object = g_mime_parser_construct_part(parser, NULL);
	g_autofree char *path = NULL;
	int rc;

	item->wrapper = TRUE;
	if (object == NULL) {
		struct al_item *raw;

		path = g_strdup_printf("%s.1", item->part);
		rc = al_mime_wrap_add_item(w, path, NULL, "application/octet-stream", data, len,
					   &raw, error);
		if (rc == 0 && raw != NULL)
			rc = al_mime_unwrap_item(w, raw, depth + 1, walk, error);
	} else {
		path = GMIME_IS_MULTIPART(object) ? g_strdup(item->part)
						  : g_strdup_printf("%s.1", item->part);
		rc = walk(w, object, path, depth + 1, TRUE, error); /* the signed message's body */
	}
	g_clear_object(&object);
	g_object_unref(parser);
	g_object_unref(stream);
	return rc;
}

/* Inflates a zlib stream, at most max bytes (transfer full); NULL when
 * it is not one. *over_r when it holds more than max. */
static GByteArray *inflate_bounded(const guint8 *in, gsize len, guint64 max, gboolean *over_r)
{
	GConverter *zlib = G_CONVERTER(g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB));
	GByteArray *out = g_byte_array_new();
	guint8 chunk[16384];
	gsize pos = 0;

	*over_r = FALSE;
	for (;;) {
		gsize read = 0;
		gsize written = 0;
		GConverterResult result = g_converter_convert(
			zlib, in + pos, len - pos, chunk, sizeof(chunk), G_CONVERTER_INPUT_AT_END,
			&read, &written, NULL);

		if (result == G_CONVERTER_ERROR || (read == 0 && written == 0 &&
						    result != G_CONVERTER_FINISHED)) {
			g_clear_pointer(&out, g_byte_array_unref);
			break;
		}
		pos += read;
		if ((guint64)out->len + written > max) {
			*over_r = TRUE;
			break;
		}
		g_byte_array_append(out, chunk, (guint)written);
		if (result == G_CONVERTER_FINISHED)
			break;
	}
	g_object_unref(zlib);
	return out;
}

static int unwrap_compressed(struct walk *w, struct al_item *item, const ASN1_OCTET_STRING *octets,
			     guint depth, al_mime_walk_fn walk, GError **error)
{
	gboolean over = FALSE;
	g_autoptr(GByteArray) content =
		inflate_bounded(ASN1_STRING_get0_data(octets), (gsize)ASN1_STRING_length(octets),
				w->limits->max_part_bytes, &over);

	if (over) {
		al_item_flag(item, AL_REASON_LIMITS,
			     "compressed S/MIME content larger than %" G_GUINT64_FORMAT " bytes",
			     w->limits->max_part_bytes);
		return 0;
	}
	if (content == NULL) {
		al_item_flag(item, AL_REASON_UNSCANNABLE,
			     "compressed S/MIME whose content cannot be decompressed: cannot be "
			     "scanned");
		return 0;
	}
	return walk_content(w, item, content->data, content->len, depth, walk, error);
}

static int unwrap_parsed(struct walk *w, struct al_item *item, CMS_ContentInfo *cms, guint depth,
			 al_mime_walk_fn walk, GError **error)
{
	int type = OBJ_obj2nid(CMS_get0_type(cms));
	ASN1_OCTET_STRING **content = NULL;

	switch (type) {
	case NID_pkcs7_enveloped:
	case NID_id_smime_ct_authEnvelopedData:
	case NID_pkcs7_encrypted:
		al_item_flag(item, AL_REASON_ENCRYPTED, "encrypted S/MIME: cannot be scanned");
		return 0;
	case NID_pkcs7_signed:
	case NID_pkcs7_data:
	case NID_id_smime_ct_compressedData:
		content = CMS_get0_content(cms);
		break;
	default:
		al_item_flag(item, AL_REASON_UNSCANNABLE,
			     "S/MIME of a kind Airlock cannot open (%s): cannot be scanned",
			     OBJ_nid2sn(type));
		return 0;
	}
	if (content == NULL || *content == NULL) {
		if (type == NID_pkcs7_signed) {
			item->wrapper = TRUE; /* a detached signature: nothing inside */
			return 0;
		}
		al_item_flag(item, AL_REASON_UNSCANNABLE, "S/MIME without its content");
		return 0;
	}
	if (type == NID_id_smime_ct_compressedData)
		return unwrap_compressed(w, item, *content, depth, walk, error);
	return walk_content(w, item, ASN1_STRING_get0_data(*content),
			    (gsize)ASN1_STRING_length(*content), depth, walk, error);
}

int al_mime_unwrap_cms(struct walk *w, struct al_item *item, guint depth, al_mime_walk_fn walk,
		       GError **error)
{
	g_autoptr(GBytes) bytes = al_mime_wrap_content(item, error);
	CMS_ContentInfo *cms = NULL;
	BIO *bio = NULL;
	gsize len = 0;
	const void *data;
	int rc = -1;

	if (bytes == NULL)
		return -1;
	data = g_bytes_get_data(bytes, &len);
	if (len > G_MAXINT) {
		al_item_flag(item, AL_REASON_LIMITS, "S/MIME larger than OpenSSL reads");
		return 0;
	}
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_NOMEM, "part %s: out of memory", item->part);
		goto out;
	}
	cms = d2i_CMS_bio(bio, NULL);
	if (cms == NULL)
		al_item_flag(item, AL_REASON_UNSCANNABLE,
			     "S/MIME that cannot be read (not a CMS structure): cannot be scanned");
	rc = cms != NULL ? unwrap_parsed(w, item, cms, depth, walk, error) : 0;
out:
	ERR_clear_error(); /* OpenSSL's queue is per thread: leave it empty */
	CMS_ContentInfo_free(cms);
	BIO_free(bio);
	return rc;
}
