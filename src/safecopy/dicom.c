/*
 * dicom.c - a DICOM file with its preamble zeroed and its tail cut.
 *
 * DESCRIPTION
 *	A DICOM Part 10 file (PS3.10 7.1) is a 128-byte preamble that no
 *	viewer reads, "DICM", the file meta group (0002,xxxx: explicit VR
 *	little endian) and the data set in the transfer syntax the meta group
 *	names. CVE-2019-11687 hides a PE header in the preamble; anything
 *	appended after the last element is read by no viewer either.
 *
 *	The copy is: 128 zero bytes, "DICM", then every data element from the
 *	meta group up to the last whole element, byte for byte. The walk
 *	follows PS3.5 7.1: explicit or implicit VR, little or big endian,
 *	defined and undefined lengths, sequences of items and encapsulated
 *	pixel data, with a nesting limit. It ends at the end of the file or
 *	at the first thing that is not a data element (an unknown VR, a
 *	length past the end, a tag not greater than the one before): that
 *	and everything after it is dropped. A deflated data set (whose end
 *	cannot be found without inflating it) gets no copy, nor does a file
 *	without "DICM" or without any element after the meta group.
 */
#include "safecopy.h"

#include <string.h>

#define PREAMBLE_BYTES 128
#define MAX_NESTING 16
#define UNDEFINED_LENGTH 0xFFFFFFFFu

struct walk {
	const guint8 *data;
	size_t len;
	gboolean explicit_vr;
	gboolean big_endian;
};

static guint32 read_u16(const struct walk *w, size_t pos)
{
	const guint8 *p = w->data + pos;
	return w->big_endian ? (guint32)(p[0] << 8 | p[1]) : (guint32)(p[1] << 8 | p[0]);
}

static guint32 read_u32(const struct walk *w, size_t pos)
{
	return w->big_endian ? read_u16(w, pos) << 16 | read_u16(w, pos + 2)
	                     : read_u16(w, pos + 2) << 16 | read_u16(w, pos);
}

/* VRs of PS3.5 table 7.1-1; *long_r for those with a 32-bit length. */
static gboolean known_vr(const guint8 *vr, gboolean *long_r)
{
	static const char short_vrs[] = "AEASATCSDADSDTFLFDISLOLTPNSHSLSSSTTMUIULUS";
	static const char long_vrs[] = "OBODOFOLOVOWSQUCUNURUTSVUV";
	for (size_t i = 0; i + 1 < sizeof long_vrs; i += 2)
		if (memcmp(vr, long_vrs + i, 2) == 0)
			return *long_r = TRUE;
	*long_r = FALSE;
	for (size_t i = 0; i + 1 < sizeof short_vrs; i += 2)
		if (memcmp(vr, short_vrs + i, 2) == 0)
			return TRUE;
	return FALSE;
}

static int walk_dataset(const struct walk *w, size_t pos, size_t end, int depth, size_t *end_r);

/* The items of a sequence or of encapsulated pixel data, up to (FFFE,E0DD). */
static int walk_items(const struct walk *w, size_t pos, size_t end, int depth, size_t *end_r)
{
	while (pos + 8 <= end) {
		guint32 group = read_u16(w, pos), element = read_u16(w, pos + 2);
		guint32 length = read_u32(w, pos + 4);
		pos += 8;
		if (group != 0xFFFE)
			return -1;
		if (element == 0xE0DD) {
			*end_r = pos;
			return 0;
		}
		if (element != 0xE000)
			return -1;
		if (length == UNDEFINED_LENGTH) {
			if (walk_dataset(w, pos, end, depth + 1, &pos) != 0)
				return -1;
		} else if (length > end - pos) {
			return -1;
		} else {
			pos += length;
		}
	}
	return -1;
}

/* One element at pos: its end in *end_r and its tag in *tag_r. */
static int walk_element(const struct walk *w, size_t pos, size_t end, int depth, size_t *end_r,
                        guint32 *tag_r)
{
	gboolean long_length = TRUE;
	size_t header = 8;
	guint32 length;

	if (end - pos < 8)
		return -1;
	*tag_r = read_u16(w, pos) << 16 | read_u16(w, pos + 2);
	if (*tag_r >> 16 != 0xFFFE && w->explicit_vr) {
		if (!known_vr(w->data + pos + 4, &long_length))
			return -1;
		header = long_length ? 12 : 8;
		if (end - pos < header)
			return -1;
	}
	length = long_length ? read_u32(w, pos + header - 4) : read_u16(w, pos + 6);
	pos += header;
	if (length == UNDEFINED_LENGTH)
		return depth < MAX_NESTING ? walk_items(w, pos, end, depth, end_r) : -1;
	if (length > end - pos)
		return -1;
	*end_r = pos + length;
	return 0;
}

/*
 * Elements in ascending tag order from pos. Nested (depth > 0): up to the
 * item delimiter, any fault is an error. Top level: up to the end or to
 * the first fault, *end_r being the end of the last whole element.
 */
static int walk_dataset(const struct walk *w, size_t pos, size_t end, int depth, size_t *end_r)
{
	guint32 previous = 0, tag = 0;
	size_t next = pos;
	while (pos < end) {
		if (walk_element(w, pos, end, depth, &next, &tag) != 0 ||
		    (tag <= previous && tag != 0xFFFEE00D))
			break;
		if (depth > 0 && tag == 0xFFFEE00D) {
			*end_r = next;
			return 0;
		}
		previous = tag;
		pos = next;
	}
	*end_r = pos;
	return depth == 0 ? 0 : -1;
}

/* The meta group: explicit VR little endian; the transfer syntax read. */
static int walk_meta(const struct walk *w, size_t pos, size_t *end_r, char *syntax, size_t room)
{
	guint32 tag = 0;
	size_t next = pos;
	while (pos + 4 <= w->len && read_u16(w, pos) == 0x0002) {
		if (walk_element(w, pos, w->len, 0, &next, &tag) != 0)
			return -1;
		if (tag == 0x00020010 && next - pos - 8 < room) {
			memcpy(syntax, w->data + pos + 8, next - pos - 8);
			syntax[next - pos - 8] = '\0';
			g_strchomp(syntax);
		}
		pos = next;
	}
	*end_r = pos;
	return syntax[0] != '\0' ? 0 : -1;
}

int sc_dicom_convert(const guint8 *data, size_t len, GByteArray *out, const char **why_r)
{
	static const guint8 zeros[PREAMBLE_BYTES] = { 0 };
	struct walk w = { .data = data, .len = len, .explicit_vr = TRUE };
	char syntax[65] = "";
	size_t meta_end = 0, data_end = 0;

	*why_r = "not a DICOM file (no DICM at offset 128)";
	if (len < PREAMBLE_BYTES + 4 || memcmp(data + PREAMBLE_BYTES, "DICM", 4) != 0)
		return SC_INVALID;
	*why_r = "the DICOM file meta group cannot be read";
	if (walk_meta(&w, PREAMBLE_BYTES + 4, &meta_end, syntax, sizeof syntax) != 0)
		return SC_INVALID;
	if (g_str_has_prefix(syntax, "1.2.840.10008.1.2.1.99") ||
	    strcmp(syntax, "1.2.840.10008.1.2.8.1") == 0) {
		*why_r = "deflated DICOM data sets are not copied";
		return SC_UNSUPPORTED;
	}
	w.explicit_vr = strcmp(syntax, "1.2.840.10008.1.2") != 0;
	w.big_endian = strcmp(syntax, "1.2.840.10008.1.2.2") == 0;
	walk_dataset(&w, meta_end, len, 0, &data_end);
	if (data_end == meta_end) {
		*why_r = "the DICOM file has no data element after its meta group";
		return SC_INVALID;
	}
	g_byte_array_append(out, zeros, PREAMBLE_BYTES);
	g_byte_array_append(out, data + PREAMBLE_BYTES, (guint)(data_end - PREAMBLE_BYTES));
	return SC_OK;
}
