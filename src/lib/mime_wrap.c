/*
 * mime_wrap.c - content inside wrappers: TNEF (winmail.dat), S/MIME and
 * PGP, found during the MIME walk (see mime.c).
 *
 * DESCRIPTION
 *	Every leaf part, once it is an item, goes through al_mime_unwrap(),
 *	and so does every item a wrapper makes (a winmail.dat inside an
 *	opaque-signed message is opened too):
 *	  - TNEF: declared application/ms-tnef (or vnd.ms-tnef), named
 *	    winmail.dat, or content starting with the TNEF signature
 *	    0x223E9F78. mime_tnef.c makes an item of each attachment and of
 *	    the RTF body, after the TNEF item ("2.t1", "2.t2"...).
 *	  - S/MIME: declared application/pkcs7-mime, x-pkcs7-mime,
 *	    pkcs7-signature or x-pkcs7-signature, or named .p7m, .p7z, .p7s.
 *	    mime_smime.c reads the CMS structure: the content of signed or
 *	    compressed data is walked as MIME, like an attached message
 *	    ("2.1"...); enveloped data is `encrypted`.
 *	  - PGP: an armored "-----BEGIN PGP MESSAGE-----" block at the start
 *	    of a line of any part (a PGP/MIME multipart/encrypted's data, a
 *	    .asc file, inline PGP in a text body), or a part named .pgp,
 *	    .gpg or .asc whose content is a binary OpenPGP packet. The first
 *	    packet says what it is: an encrypted session key or encrypted
 *	    data (tags 1, 3, 9, 18, 20) is `encrypted`; anything else (a
 *	    signed or compressed message Airlock does not open) is
 *	    `unscannable`. A clearsigned text (BEGIN PGP SIGNED MESSAGE) is
 *	    readable text: nothing to say.
 *	The depth of a wrapper's content is the wrapper's plus one: past
 *	max_depth the message gets `limits` and the wrapper is not opened.
 *	Each item made counts against max_parts and max_part_bytes.
 *
 *	Items made from a wrapper carry the outermost wrapper's part in
 *	wrapper_part, since they are not parts of the message's own tree:
 *	a notice replaces that whole part. The opened wrapper is marked
 *	`wrapper` (its own bytes are judged through what it holds).
 *
 * ERRORS
 *	Only reading content and spooling fail (-1 with error): the message
 *	is then tempfailed. Content a wrapper's parser refuses is a finding.
 */
#include "mime_private.h"

#include <string.h>

#define PGP_ARMOR "-----BEGIN PGP MESSAGE-----"
/* Enough base64 after the armor headers for the first packet's header. */
#define PGP_ARMOR_PEEK_BYTES 512

GBytes *al_mime_wrap_content(const struct al_item *item, GError **error)
{
	guint8 *data;
	gssize n;

	if (item->content.bytes != NULL)
		return g_bytes_ref(item->content.bytes);
	data = g_try_malloc(MAX(item->content.size, 1));
	if (data == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_NOMEM, "part %s: out of memory", item->part);
		return NULL;
	}
	n = al_content_pread(&item->content, 0, data, item->content.size, error);
	if (n < 0) {
		g_free(data);
		return NULL;
	}
	return g_bytes_new_take(data, (gsize)n);
}

int al_mime_wrap_add_item(struct walk *w, const char *path, const char *filename,
			  const char *declared_type, const guint8 *data, gsize len,
			  struct al_item **item_r, GError **error)
{
	const guint64 max = w->limits->max_part_bytes;
	struct al_spool *spool;
	struct al_item *item;
	gsize keep = (guint64)len > max ? (gsize)max : len;
	int rc = -1;

	*item_r = NULL;
	if (!al_mime_count_part(w))
		return 0;
	item = al_item_new();
	item->part = g_strdup(path);
	item->filename = filename != NULL && *filename != '\0' ? g_utf8_make_valid(filename, -1)
							       : NULL;
	item->declared_type = g_strdup(declared_type);
	item->disposition = g_strdup("attachment");
	g_ptr_array_add(w->message->items, item);
	spool = al_mime_new_spool(w->limits);
	if (al_spool_write(spool, data, keep, error) < 0 ||
	    al_spool_finish(spool, &item->content, error) < 0)
		goto out;
	if (keep < len)
		al_item_flag(item, AL_REASON_LIMITS, "attachment larger than %" G_GUINT64_FORMAT
			     " bytes", max);
	*item_r = item;
	rc = 0;
out:
	if (rc < 0)
		g_prefix_error(error, "part %s: ", path);
	al_spool_free(&spool);
	return rc;
}

static gboolean has_suffix_nocase(const char *name, const char *suffix)
{
	gsize len = name != NULL ? strlen(name) : 0;
	gsize suffix_len = strlen(suffix);

	return len >= suffix_len && g_ascii_strcasecmp(name + len - suffix_len, suffix) == 0;
}

static gboolean named(const struct al_item *item, const char *suffix)
{
	return has_suffix_nocase(item->filename, suffix) ||
	       has_suffix_nocase(item->alt_filename, suffix);
}

static gboolean declared(const struct al_item *item, const char *type)
{
	return g_strcmp0(item->declared_type, type) == 0;
}

static gboolean is_tnef(const struct al_item *item, const guint8 *head, gsize head_len)
{
	static const guint8 signature[4] = { 0x78, 0x9f, 0x3e, 0x22 };

	return declared(item, "application/ms-tnef") ||
	       declared(item, "application/vnd.ms-tnef") ||
	       (item->filename != NULL && g_ascii_strcasecmp(item->filename, "winmail.dat") == 0) ||
	       (head_len >= 4 && memcmp(head, signature, 4) == 0);
}

static gboolean is_cms(const struct al_item *item)
{
	return declared(item, "application/pkcs7-mime") ||
	       declared(item, "application/x-pkcs7-mime") ||
	       declared(item, "application/pkcs7-signature") ||
	       declared(item, "application/x-pkcs7-signature") || named(item, ".p7m") ||
	       named(item, ".p7z") || named(item, ".p7s");
}

/* What the first OpenPGP packet (RFC 4880 4.2) says: 1 encrypted, 0
 * another packet, -1 not a packet header. */
static int pgp_packet_encrypted(const guint8 *data, gsize len)
{
	guint tag;

	if (len < 2 || (data[0] & 0x80) == 0)
		return -1;
	tag = (data[0] & 0x40) != 0 ? (guint)(data[0] & 0x3f) : (guint)((data[0] >> 2) & 0x0f);
	switch (tag) {
	case 1:	 /* public-key encrypted session key */
	case 3:	 /* symmetric-key encrypted session key */
	case 9:	 /* symmetrically encrypted data */
	case 18: /* symmetrically encrypted integrity protected data */
	case 20: /* AEAD encrypted data */
		return 1;
	case 0:
		return -1;
	default:
		return 0;
	}
}

static void flag_pgp(struct al_item *item, int encrypted, const char *what)
{
	if (encrypted > 0)
		al_item_flag(item, AL_REASON_ENCRYPTED, "encrypted PGP message (%s): cannot be scanned",
			     what);
	else
		al_item_flag(item, AL_REASON_UNSCANNABLE,
			     "PGP message (%s) that Airlock cannot open: its content cannot be "
			     "scanned",
			     what);
}

/* The armored block starting at the armor line in text: armor headers
 * up to a blank line, then base64 whose first bytes hold the first
 * packet's header. */
static int armored_packet_encrypted(const char *text, gsize len)
{
	const char *end = text + len;
	const char *p = memchr(text, '\n', len);
	g_autoptr(GString) b64 = g_string_new(NULL);
	g_autofree guint8 *decoded = NULL;
	gsize decoded_len = 0;

	while (p != NULL && p + 1 < end) { /* armor headers ("Version: ...") */
		const char *line = p + 1;
		const char *eol = memchr(line, '\n', (gsize)(end - line));
		gsize line_len = (eol != NULL ? (gsize)(eol - line) : (gsize)(end - line));

		p = eol;
		if (line_len == 0 || (line_len == 1 && line[0] == '\r'))
			break;
		if (memchr(line, ':', line_len) == NULL) { /* no blank line: data already */
			p = line - 1;
			break;
		}
	}
	for (const char *q = p != NULL ? p + 1 : end; q < end && b64->len < 64; q++) {
		if (g_ascii_isalnum(*q) || *q == '+' || *q == '/')
			g_string_append_c(b64, *q);
		else if (*q == '=' || *q == '-')
			break;
	}
	g_string_truncate(b64, b64->len - b64->len % 4);
	if (b64->len == 0)
		return -1;
	decoded = g_base64_decode(b64->str, &decoded_len);
	return pgp_packet_encrypted(decoded, decoded_len);
}

/* Looks for the armor line at the start of a line anywhere in the
 * content, chunk by chunk (the marker may straddle two chunks). */
static int find_pgp_armor(struct walk *w, struct al_item *item, GError **error)
{
	const gsize marker_len = strlen(PGP_ARMOR);
	goffset offset = 0;

	while ((guint64)offset < item->content.size) {
		gssize n = al_content_pread(&item->content, offset, w->buf, CHUNK_BYTES, error);
		const char *hit = NULL;

		if (n < 0)
			return -1;
		for (const char *p = w->buf;
		     (p = memmem(p, (gsize)(w->buf + n - p), PGP_ARMOR, marker_len)) != NULL; p++) {
			if ((p == w->buf && offset == 0) || (p > w->buf && p[-1] == '\n')) {
				hit = p;
				break;
			}
		}
		if (hit != NULL) {
			gchar peek[PGP_ARMOR_PEEK_BYTES + 1];
			goffset at = offset + (hit - w->buf);
			gssize got = al_content_pread(&item->content, at, peek, PGP_ARMOR_PEEK_BYTES,
						      error);

			if (got < 0)
				return -1;
			flag_pgp(item, armored_packet_encrypted(peek, (gsize)got), "armored");
			return 1;
		}
		if ((gsize)n < CHUNK_BYTES)
			break;
		offset += n - (gssize)marker_len; /* keep the line start before it too */
	}
	return 0;
}

/* Parts that may hold an armored message: text, untyped data and PGP's
 * own types; a PDF or an image declared as such is typed by content. */
static gboolean may_hold_armor(const struct al_item *item)
{
	const char *type = item->declared_type;

	return type == NULL || g_str_has_prefix(type, "text/") ||
	       strcmp(type, "application/octet-stream") == 0 ||
	       g_str_has_prefix(type, "application/pgp") || named(item, ".asc") ||
	       named(item, ".pgp") || named(item, ".gpg");
}

static int check_pgp(struct walk *w, struct al_item *item, const guint8 *head, gsize head_len,
		     GError **error)
{
	int found = may_hold_armor(item) ? find_pgp_armor(w, item, error) : 0;

	if (found != 0)
		return found < 0 ? -1 : 0;
	if ((named(item, ".pgp") || named(item, ".gpg") || named(item, ".asc")) &&
	    pgp_packet_encrypted(head, head_len) >= 0)
		flag_pgp(item, pgp_packet_encrypted(head, head_len), "binary");
	return 0;
}

/* Items made from a wrapper belong, for notices, to the outermost one:
 * the caller runs last and overwrites what nested wrappers set. */
static void mark_made(struct walk *w, const struct al_item *wrapper, guint first)
{
	const char *outer = wrapper->wrapper_part != NULL ? wrapper->wrapper_part : wrapper->part;

	for (guint i = first; i < w->message->items->len; i++) {
		struct al_item *made = w->message->items->pdata[i];

		g_free(made->wrapper_part);
		made->wrapper_part = g_strdup(outer);
	}
}

int al_mime_unwrap_item(struct walk *w, struct al_item *item, guint depth, al_mime_walk_fn walk,
			GError **error)
{
	guint8 head[8];
	gssize head_len;
	guint first = w->message->items->len;
	int rc = 0;

	if (item->content.size == 0 || (item->reasons & AL_REASON_BIT(AL_REASON_LIMITS)) != 0)
		return 0;
	head_len = al_content_pread(&item->content, 0, head, sizeof(head), error);
	if (head_len < 0)
		return -1;
	if (!is_tnef(item, head, (gsize)head_len) && !is_cms(item))
		return check_pgp(w, item, head, (gsize)head_len, error);
	if (depth + 1 > w->limits->max_depth) {
		al_message_flag(w->message, AL_REASON_LIMITS, "MIME nesting deeper than %u levels",
				w->limits->max_depth);
		return 0;
	}
	if (is_tnef(item, head, (gsize)head_len))
		rc = al_mime_unwrap_tnef(w, item, depth, walk, error);
	else
		rc = al_mime_unwrap_cms(w, item, depth, walk, error);
	mark_made(w, item, first);
	return rc;
}

int al_mime_unwrap(struct walk *w, const char *path, guint depth, al_mime_walk_fn walk,
		   GError **error)
{
	GPtrArray *items = w->message->items;

	/* The part's item is the last one with its path (uuencoded blocks
	 * of a text part come after it); none when max_parts was reached. */
	for (guint i = items->len; i > 0; i--) {
		struct al_item *item = items->pdata[i - 1];

		if (!item->from_uuencode && item->part != NULL && strcmp(item->part, path) == 0)
			return al_mime_unwrap_item(w, item, depth, walk, error);
	}
	return 0;
}
