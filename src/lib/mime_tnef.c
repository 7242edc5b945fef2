/*
 * mime_tnef.c - the files inside a TNEF part (winmail.dat: Outlook's
 * "rich text" wrapper), as items after it (see mime_wrap.c).
 *
 * DESCRIPTION
 *	The attribute records are first checked here (signature, then each
 *	record's level, id, length, data and checksum fitting the part, at
 *	most MAX_RECORDS of them, MAPI property lists holding 1 to 1000
 *	properties, no attribute twice in the message or in one attachment):
 *	libytnef allocates whatever length a record claims before it reads
 *	it, allocates a repeated attribute again without freeing the first,
 *	and prints its complaints on stdout, so only a well-formed stream is
 *	handed to it. libytnef (TNEFParseMemory)
 *	then reads the attributes and the MAPI properties.
 *
 *	Each attachment becomes an item "P.t1", "P.t2"... named by its long
 *	file name (MAPI PR_ATTACH_LONG_FILENAME) or else its 8.3 title, its
 *	data being attAttachData or, for an embedded object, the
 *	PR_ATTACH_DATA_OBJ property after its 16-byte interface id. The
 *	message's RTF body (PR_RTF_COMPRESSED) is decompressed here
 *	(MS-OXRTFCP: LZFu or stored) into an unnamed application/rtf item
 *	after the attachments, so RTF inspection applies to it. Every item
 *	counts as a part, is cut at max_part_bytes (`limits`) and is opened
 *	in turn if it is a wrapper (a TNEF inside a TNEF).
 *
 *	A stream that is not well formed, or that libytnef refuses, is
 *	`unscannable` on the TNEF item: its files cannot be seen.
 */
#include "mime_private.h"

#include <string.h>
/* libytnef's headers define BYTE, WORD, DWORD... as macros: last. */
#include <ytnef.h>

/* Outlook writes a few dozen records per attachment. */
#define MAX_RECORDS 100000
/* libytnef's own bound: it refuses (and prints) lists of 0 or more. */
#define MAX_MAPI_PROPERTIES 1000
#define TNEF_HEADER_BYTES 6 /* signature and key */
#define RECORD_OVERHEAD 11  /* level, id, length ... checksum */
#define RTF_HEADER_BYTES 16
#define RTF_MAGIC_COMPRESSED 0x75465a4cu /* "LZFu" */
#define RTF_MAGIC_STORED 0x414c454du	 /* "MELA" */
#define RTF_DICTIONARY_BYTES 4096

/* MS-OXRTFCP 2.1.2.1: the dictionary's initial content (207 bytes). */
static const char rtf_prebuf[] =
	"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
	"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
	"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
G_STATIC_ASSERT(sizeof(rtf_prebuf) - 1 == 207);

static guint32 le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

/* Attributes holding MAPI property lists (attMAPIProps, attAttachment). */
static gboolean is_mapi_block(guint32 attribute)
{
	return attribute == 0x00069003u || attribute == 0x00069005u;
}

/* The attributes an attachment repeats: attAttachRenddata (starts one),
 * attAttachTransportFilename, attAttachment, attAttachData,
 * attAttachTitle, attAttachMetaFile, attAttachCreateDate,
 * attAttachModifyDate. */
static gboolean is_attachment_attribute(guint32 attribute)
{
	static const guint32 ids[] = { 0x00069002u, 0x00069001u, 0x00069005u, 0x0006800Fu,
				       0x00018010u, 0x00068011u, 0x00038012u, 0x00038013u };

	for (guint i = 0; i < G_N_ELEMENTS(ids); i++)
		if (ids[i] == attribute)
			return TRUE;
	return FALSE;
}

/* An attribute met twice in its scope (the whole stream for the
 * message's, one attachment for an attachment's, whatever level the
 * record claims): libytnef allocates its value again without freeing the
 * first (attOemCodepage leaked, also given at attachment level), and
 * Outlook never writes one twice. TRUE the first time. */
static gboolean first_in_scope(GHashTable *message, GHashTable *attachment, guint32 attribute)
{
	if (!is_attachment_attribute(attribute))
		return g_hash_table_add(message, GUINT_TO_POINTER(attribute));
	if (attribute == 0x00069002u) /* attAttachRenddata: a new attachment */
		g_hash_table_remove_all(attachment);
	return g_hash_table_add(attachment, GUINT_TO_POINTER(attribute));
}

/* NULL when every record fits and checks, else why not. */
static const char *records_problem(const guint8 *data, gsize len)
{
	g_autoptr(GHashTable) message = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GHashTable) attachment = g_hash_table_new(g_direct_hash, g_direct_equal);
	gsize pos = TNEF_HEADER_BYTES;
	guint records = 0;

	if (len < TNEF_HEADER_BYTES || le32(data) != 0x223E9F78u)
		return "no TNEF signature";
	while (pos < len) {
		guint32 length;
		guint16 sum = 0;

		if (++records > MAX_RECORDS)
			return "too many attributes";
		if (len - pos < RECORD_OVERHEAD)
			return "a truncated attribute";
		length = le32(data + pos + 5);
		if (length == 0 || length > len - pos - RECORD_OVERHEAD)
			return "an attribute longer than the data";
		for (gsize i = 0; i < length; i++)
			sum = (guint16)(sum + data[pos + 9 + i]);
		if (sum != (guint16)(data[pos + 9 + length] | data[pos + 10 + length] << 8))
			return "an attribute checksum mismatch";
		if (!first_in_scope(message, attachment, le32(data + pos + 1)))
			return "an attribute given twice";
		if (is_mapi_block(le32(data + pos + 1)) &&
		    (length < 4 || le32(data + pos + 9) == 0 ||
		     le32(data + pos + 9) > MAX_MAPI_PROPERTIES))
			return "a MAPI property list with no or too many properties";
		pos += RECORD_OVERHEAD + length;
	}
	return NULL;
}

/* A property of props as bytes, or NULL (libytnef: MAPI_UNDEFINED). */
static const variableLength *find_property(MAPIProps *props, guint type, guint id)
{
	variableLength *found = MAPIFindProperty(props, PROP_TAG(type, id));

	return found == MAPI_UNDEFINED || found == NULL || found->data == NULL ? NULL : found;
}

/* Strings from libytnef: 8-bit or already UTF-8 (from UTF-16), maybe not
 * NUL-terminated (transfer full). */
static char *property_string(MAPIProps *props, guint id)
{
	const variableLength *v = find_property(props, PT_UNICODE, id);

	if (v == NULL)
		v = find_property(props, PT_STRING8, id);
	if (v == NULL || v->size <= 0)
		return NULL;
	return g_strndup((const char *)v->data, (gsize)v->size);
}

static char *attachment_name(Attachment *a)
{
	char *name = property_string(&a->MAPI, PR_ATTACH_LONG_FILENAME);

	if (name == NULL || *name == '\0') {
		g_free(name);
		name = a->Title.size > 0 ? g_strndup((const char *)a->Title.data, (gsize)a->Title.size)
					 : NULL;
	}
	return name;
}

static int add_made_item(struct walk *w, struct al_item *tnef, guint index, const char *name,
			 const char *type, const guint8 *data, gsize len, guint depth,
			 al_mime_walk_fn walk, GError **error)
{
	g_autofree char *path = g_strdup_printf("%s.t%u", tnef->part, index);
	struct al_item *item;

	if (al_mime_wrap_add_item(w, path, name, type, data, len, &item, error) < 0)
		return -1;
	return item != NULL ? al_mime_unwrap_item(w, item, depth + 1, walk, error) : 0;
}

static int add_attachments(struct walk *w, struct al_item *tnef, TNEFStruct *parsed,
			   guint *index_r, guint depth, al_mime_walk_fn walk, GError **error)
{
	for (Attachment *a = parsed->starting_attach.next; a != NULL; a = a->next) {
		g_autofree char *name = attachment_name(a);
		const guint8 *data = a->FileData.data;
		gsize len = a->FileData.size > 0 ? (gsize)a->FileData.size : 0;

		if (len == 0) {
			const variableLength *object =
				find_property(&a->MAPI, PT_OBJECT, PR_ATTACH_DATA_OBJ);

			if (object != NULL && object->size > 16) {
				data = object->data + 16; /* after the interface id */
				len = (gsize)object->size - 16;
			}
		}
		if (len == 0 && name == NULL)
			continue; /* a rendering record with nothing attached */
		if (add_made_item(w, tnef, ++*index_r, name, "application/octet-stream",
				  len > 0 ? data : (const guint8 *)"", len, depth, walk, error) < 0)
			return -1;
	}
	return 0;
}

/* MS-OXRTFCP 2.2.3: LZ77 over a 4096-byte ring primed with rtf_prebuf;
 * a control byte's bits (low first) say literal (0) or a reference (1:
 * 12-bit offset, 4-bit length - 2); a reference to the write position
 * ends the stream. Stops at max bytes out. */
static GByteArray *rtf_decompress(const guint8 *in, gsize len, gsize max)
{
	guint8 ring[RTF_DICTIONARY_BYTES];
	GByteArray *out = g_byte_array_new();
	guint write = sizeof(rtf_prebuf) - 1;
	gsize pos = 0;

	memset(ring, 0, sizeof(ring));
	memcpy(ring, rtf_prebuf, write);
	while (pos < len && out->len < max) {
		guint8 control = in[pos++];

		for (int bit = 0; bit < 8 && pos < len && out->len < max; bit++) {
			guint offset;
			guint count;

			if ((control & (1u << bit)) == 0) {
				ring[write] = in[pos++];
				g_byte_array_append(out, &ring[write], 1);
				write = (write + 1) % RTF_DICTIONARY_BYTES;
				continue;
			}
			if (len - pos < 2)
				return out;
			offset = (guint)in[pos] << 4 | in[pos + 1] >> 4;
			count = (in[pos + 1] & 0x0f) + 2;
			pos += 2;
			if (offset == write)
				return out;
			for (guint i = 0; i < count && out->len < max; i++) {
				ring[write] = ring[(offset + i) % RTF_DICTIONARY_BYTES];
				g_byte_array_append(out, &ring[write], 1);
				write = (write + 1) % RTF_DICTIONARY_BYTES;
			}
		}
	}
	return out;
}

static int add_rtf_body(struct walk *w, struct al_item *tnef, TNEFStruct *parsed, guint index,
			guint depth, al_mime_walk_fn walk, GError **error)
{
	const variableLength *v =
		find_property(&parsed->MapiProperties, PT_BINARY, PR_RTF_COMPRESSED);
	const guint64 max = w->limits->max_part_bytes;
	g_autoptr(GByteArray) rtf = NULL;
	guint32 raw_size;
	guint32 magic;
	const guint8 *body;
	gsize body_len;

	if (v == NULL || v->size < RTF_HEADER_BYTES)
		return 0;
	raw_size = le32(v->data + 4);
	magic = le32(v->data + 8);
	body = v->data + RTF_HEADER_BYTES;
	body_len = (gsize)v->size - RTF_HEADER_BYTES;
	if (magic == RTF_MAGIC_STORED) {
		rtf = g_byte_array_new();
		g_byte_array_append(rtf, body, (guint)MIN(body_len, (gsize)raw_size));
	} else if (magic == RTF_MAGIC_COMPRESSED) {
		/* One byte more than allowed shows the body is too large. */
		rtf = rtf_decompress(body, body_len, (gsize)MIN((guint64)raw_size, max + 1));
	} else {
		al_item_flag(tnef, AL_REASON_UNSCANNABLE,
			     "TNEF (winmail.dat) body in an unknown compression (0x%08x): cannot be "
			     "checked",
			     magic);
		return 0;
	}
	return add_made_item(w, tnef, index, NULL, "application/rtf", rtf->data, rtf->len, depth,
			     walk, error);
}

/* libytnef frees a property's values by its counts, which a failed parse
 * may leave set with nothing allocated. */
static void settle_props(MAPIProps *props)
{
	if (props->properties == NULL) {
		props->count = 0;
		return;
	}
	for (DWORD i = 0; i < props->count; i++) {
		MAPIProperty *p = &props->properties[i];

		if (p->data == NULL)
			p->count = 0;
		if (p->propnames == NULL)
			p->namedproperty = 0;
	}
}

static void free_parsed(TNEFStruct *parsed)
{
	settle_props(&parsed->MapiProperties);
	settle_props(&parsed->starting_attach.MAPI);
	for (Attachment *a = parsed->starting_attach.next; a != NULL; a = a->next)
		settle_props(&a->MAPI);
	TNEFFreeAttachment(&parsed->starting_attach);
	TNEFFree(parsed);
}

int al_mime_unwrap_tnef(struct walk *w, struct al_item *item, guint depth, al_mime_walk_fn walk,
			GError **error)
{
	g_autoptr(GBytes) bytes = al_mime_wrap_content(item, error);
	TNEFStruct parsed;
	const char *problem;
	gsize len = 0;
	guint8 *data;
	guint index = 0;
	int rc = -1;

	if (bytes == NULL)
		return -1;
	data = (guint8 *)g_bytes_get_data(bytes, &len);
	problem = records_problem(data, len);
	if (problem != NULL) {
		al_item_flag(item, AL_REASON_UNSCANNABLE,
			     "TNEF (winmail.dat) that cannot be read (%s): its files cannot be "
			     "checked",
			     problem);
		return 0;
	}
	TNEFInitialize(&parsed);
	parsed.Debug = 0;
	if (TNEFParseMemory(data, (long)len, &parsed) < 0) {
		al_item_flag(item, AL_REASON_UNSCANNABLE,
			     "TNEF (winmail.dat) that libytnef cannot read: its files cannot be "
			     "checked");
		rc = 0;
		goto out;
	}
	item->wrapper = TRUE;
	if (add_attachments(w, item, &parsed, &index, depth, walk, error) < 0)
		goto out;
	rc = add_rtf_body(w, item, &parsed, index + 1, depth, walk, error);
out:
	free_parsed(&parsed);
	return rc;
}
