/*
 * inspect_ole.c - OLE2 compound files (MS-CFB): VBA projects and
 * password-protected Office documents.
 *
 * DESCRIPTION
 *	Applies to files that start with the compound file signature. The
 *	directory is read through the FAT (FAT sectors from the header's
 *	DIFAT array and the DIFAT chain), every chain bounded by the number
 *	of sectors in the file, so loops end. Entry names decide:
 *	  _VBA_PROJECT      a VBA project: the document carries macros
 *	                    (`macro`), also inside an OOXML vbaProject.bin;
 *	  EncryptedPackage  an OOXML document encrypted with a password
 *	                    (ECMA-376 agile or standard encryption): its
 *	                    content cannot be scanned (`encrypted`).
 *	libclamav's own macro heuristic only fires once it has parsed the
 *	VBA "dir" stream; the directory entry is enough for us.
 *
 *	Word and Excel 97-2003 encrypt inside their own streams, which
 *	libclamav 1.4 does not notice, so the first bytes of two streams are
 *	read (from a regular sector, or from the mini stream for a stream
 *	under the cut-off size):
 *	  WordDocument      the FIB (MS-DOC 2.5.2): wIdent 0xA5EC and the
 *	                    fEncrypted flag (RC4, CryptoAPI RC4 or XOR
 *	                    obfuscation) -> `encrypted`;
 *	  Workbook, Book    a BOF record followed by FILEPASS (MS-XLS
 *	                    2.4.117) -> `encrypted`;
 *	  Current User      PowerPoint's CurrentUserAtom: its headerToken is
 *	                    0xF3D1C4DF in an encrypted presentation (MS-PPT
 *	                    2.3.2, 2.3.7) -> `encrypted`; so is an
 *	                    EncryptedSummary stream (its properties
 *	                    encrypted too).
 */
#include "inspect_private.h"

#include <string.h>

#define HEADER_BYTES 512
#define DIFAT_IN_HEADER 109
#define ENTRY_BYTES 128
#define END_OF_CHAIN 0xFFFFFFFEu
#define MAX_SECTOR_SHIFT 16

#define FIB_IDENT 0xA5ECu
#define FIB_ENCRYPTED 0x0100u /* fEncrypted, in the flags at offset 0x0A */
#define BIFF_BOF 0x0809u
#define BIFF_FILEPASS 0x002Fu
#define PPT_CURRENT_USER_ATOM 0x0FF6u
#define PPT_ENCRYPTED_TOKEN 0xF3D1C4DFu
#define STREAM_HEAD_BYTES 64 /* one mini sector: enough for both checks */

enum {
	FOUND_VBA = 1 << 0,
	FOUND_ENCRYPTED = 1 << 1,
	FOUND_LEGACY_ENCRYPTED = 1 << 2,
};

/* Where a stream starts: its first sector (regular or mini) and size. */
struct stream_ref {
	gboolean present;
	guint32 start;
	guint32 size;
};

struct legacy_streams {
	struct stream_ref root; /* the mini stream */
	struct stream_ref word;
	struct stream_ref workbook;
	struct stream_ref current_user;
};

struct cfb {
	const struct inspection *in;
	gsize sector_bytes;
	guint64 sectors; /* in the file */
	GArray *fat_sectors; /* guint32 */
};

static guint32 le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

/* The bytes of sector id, or NULL when it lies outside the file. */
static const guint8 *sector(const struct cfb *cfb, guint32 id)
{
	guint64 offset = ((guint64)id + 1) * cfb->sector_bytes;

	if (id >= END_OF_CHAIN - 4 || offset + cfb->sector_bytes > cfb->in->len)
		return NULL;
	return cfb->in->data + offset;
}

static guint32 next_sector(const struct cfb *cfb, guint32 id)
{
	gsize per = cfb->sector_bytes / 4;
	const guint8 *fat;

	if (id / per >= cfb->fat_sectors->len)
		return END_OF_CHAIN;
	fat = sector(cfb, g_array_index(cfb->fat_sectors, guint32, id / per));
	return fat != NULL ? le32(fat + (id % per) * 4) : END_OF_CHAIN;
}

static void read_fat_list(struct cfb *cfb)
{
	const guint8 *header = cfb->in->data;
	guint32 count = (guint32)MIN(le32(header + 44), cfb->sectors);
	guint32 difat = le32(header + 68);
	gsize per = cfb->sector_bytes / 4;

	for (guint i = 0; i < DIFAT_IN_HEADER && cfb->fat_sectors->len < count; i++) {
		guint32 id = le32(header + 76 + i * 4);

		g_array_append_val(cfb->fat_sectors, id);
	}
	for (guint64 steps = 0; cfb->fat_sectors->len < count && steps < cfb->sectors; steps++) {
		const guint8 *s = sector(cfb, difat);

		if (s == NULL)
			return;
		for (gsize i = 0; i + 1 < per && cfb->fat_sectors->len < count; i++) {
			guint32 id = le32(s + i * 4);

			g_array_append_val(cfb->fat_sectors, id);
		}
		difat = le32(s + (per - 1) * 4);
	}
}

/* An entry's name in ASCII lower case ('?' for other characters). */
static void entry_name(const guint8 *entry, char *out)
{
	guint length = MIN((guint)(entry[64] | entry[65] << 8), 64u) / 2;
	guint n = 0;

	for (guint i = 0; i < length; i++) {
		guint16 c = (guint16)(entry[2 * i] | entry[2 * i + 1] << 8);

		if (c == 0)
			break;
		out[n++] = c < 0x80 ? g_ascii_tolower((char)c) : '?';
	}
	out[n] = '\0';
}

static struct stream_ref stream_of(const guint8 *entry)
{
	return (struct stream_ref){
		.present = TRUE,
		.start = le32(entry + 116),
		.size = le32(entry + 120),
	};
}

static guint scan_directory(const struct cfb *cfb, struct legacy_streams *legacy)
{
	guint32 id = le32(cfb->in->data + 48);
	guint found = 0;
	gboolean first = TRUE;

	for (guint64 steps = 0; steps < cfb->sectors && id < END_OF_CHAIN - 4; steps++) {
		const guint8 *s = sector(cfb, id);

		if (s == NULL)
			break;
		for (gsize off = 0; off + ENTRY_BYTES <= cfb->sector_bytes; off += ENTRY_BYTES) {
			char name[33];

			entry_name(s + off, name);
			if (first) {
				if (s[off + 66] == 5) /* the root entry: the mini stream */
					legacy->root = stream_of(s + off);
			} else if (strcmp(name, "_vba_project") == 0)
				found |= FOUND_VBA;
			else if (strcmp(name, "encryptedpackage") == 0)
				found |= FOUND_ENCRYPTED;
			else if (strcmp(name, "worddocument") == 0 && s[off + 66] == 2)
				legacy->word = stream_of(s + off);
			else if ((strcmp(name, "workbook") == 0 || strcmp(name, "book") == 0) &&
				 s[off + 66] == 2)
				legacy->workbook = stream_of(s + off);
			else if (strcmp(name, "current user") == 0 && s[off + 66] == 2)
				legacy->current_user = stream_of(s + off);
			else if (strcmp(name, "encryptedsummary") == 0)
				found |= FOUND_LEGACY_ENCRYPTED;
			first = FALSE;
		}
		id = next_sector(cfb, id);
	}
	return found;
}

/* The first bytes of a stream (at most STREAM_HEAD_BYTES, and what its
 * sector holds): in a regular sector, or at its place in the mini stream
 * for a stream under the cut-off. NULL when it lies outside the file. */
static const guint8 *stream_head(const struct cfb *cfb, const struct legacy_streams *legacy,
				 const struct stream_ref *stream, gsize *len_r)
{
	const guint8 *header = cfb->in->data;
	guint32 cutoff = le32(header + 56);
	guint mini_shift = (guint)(header[32] | header[33] << 8);
	guint64 offset;
	guint32 id;
	const guint8 *s;

	if (stream->size < cutoff) {
		if (!legacy->root.present || mini_shift < 6 || mini_shift > 12)
			return NULL;
		offset = (guint64)stream->start << mini_shift;
		if (offset >= legacy->root.size)
			return NULL;
		id = legacy->root.start;
		if (offset / cfb->sector_bytes >= cfb->sectors)
			return NULL;
		for (guint64 steps = offset / cfb->sector_bytes; steps > 0; steps--) {
			id = next_sector(cfb, id);
			if (id >= END_OF_CHAIN - 4)
				return NULL;
		}
		s = sector(cfb, id);
		offset %= cfb->sector_bytes;
		*len_r = MIN((gsize)1 << mini_shift, cfb->sector_bytes - (gsize)offset);
	} else {
		s = sector(cfb, stream->start);
		offset = 0;
		*len_r = cfb->sector_bytes;
	}
	*len_r = MIN(MIN(*len_r, (gsize)STREAM_HEAD_BYTES), (gsize)stream->size);
	return s != NULL ? s + offset : NULL;
}

static guint16 le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

/* Word's FIB, Excel's BOF then FILEPASS, PowerPoint's current user:
 * encrypted by the program itself. */
static gboolean legacy_encrypted(const struct cfb *cfb, const struct legacy_streams *legacy)
{
	const guint8 *head;
	gsize len = 0;

	if (legacy->word.present &&
	    (head = stream_head(cfb, legacy, &legacy->word, &len)) != NULL && len >= 12 &&
	    le16(head) == FIB_IDENT && (le16(head + 0x0A) & FIB_ENCRYPTED) != 0)
		return TRUE;
	if (legacy->workbook.present &&
	    (head = stream_head(cfb, legacy, &legacy->workbook, &len)) != NULL && len >= 8 &&
	    le16(head) == BIFF_BOF) {
		gsize next = 4 + (gsize)le16(head + 2);

		if (next + 2 <= len && le16(head + next) == BIFF_FILEPASS)
			return TRUE;
	}
	/* Record header (version, type, length), then the atom's size and
	 * headerToken. */
	if (legacy->current_user.present &&
	    (head = stream_head(cfb, legacy, &legacy->current_user, &len)) != NULL && len >= 16 &&
	    le16(head + 2) == PPT_CURRENT_USER_ATOM && le32(head + 12) == PPT_ENCRYPTED_TOKEN)
		return TRUE;
	return FALSE;
}

void al_inspect_ole(struct inspection *in)
{
	static const guint8 signature[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
	struct cfb cfb = { .in = in };
	struct legacy_streams legacy = { .root.present = FALSE };
	guint shift;
	guint found;

	if (in->len < HEADER_BYTES || memcmp(in->data, signature, sizeof(signature)) != 0)
		return;
	shift = (guint)(in->data[30] | in->data[31] << 8);
	if (shift < 7 || shift > MAX_SECTOR_SHIFT)
		return;
	cfb.sector_bytes = (gsize)1 << shift;
	cfb.sectors = in->len / cfb.sector_bytes;
	cfb.fat_sectors = g_array_new(FALSE, FALSE, sizeof(guint32));
	read_fat_list(&cfb);
	found = scan_directory(&cfb, &legacy);
	if (legacy_encrypted(&cfb, &legacy))
		found |= FOUND_LEGACY_ENCRYPTED;
	g_array_unref(cfb.fat_sectors);
	if (found & FOUND_VBA)
		al_inspect_found(in, AL_REASON_MACRO,
				 "office document with a VBA macro project (_VBA_PROJECT)");
	if (found & FOUND_ENCRYPTED)
		al_inspect_found(in, AL_REASON_ENCRYPTED,
				 "password-protected office document (EncryptedPackage): its content "
				 "cannot be scanned");
	if (found & FOUND_LEGACY_ENCRYPTED)
		al_inspect_found(in, AL_REASON_ENCRYPTED,
				 "password-protected Word, Excel or PowerPoint 97-2003 document: its "
				 "content cannot be scanned");
}
