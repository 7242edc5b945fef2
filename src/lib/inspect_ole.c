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
 */
#include "inspect_private.h"

#include <string.h>

#define HEADER_BYTES 512
#define DIFAT_IN_HEADER 109
#define ENTRY_BYTES 128
#define END_OF_CHAIN 0xFFFFFFFEu
#define MAX_SECTOR_SHIFT 16

enum {
	FOUND_VBA = 1 << 0,
	FOUND_ENCRYPTED = 1 << 1,
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

static guint scan_directory(const struct cfb *cfb)
{
	guint32 id = le32(cfb->in->data + 48);
	guint found = 0;

	for (guint64 steps = 0; steps < cfb->sectors && id < END_OF_CHAIN - 4; steps++) {
		const guint8 *s = sector(cfb, id);

		if (s == NULL)
			break;
		for (gsize off = 0; off + ENTRY_BYTES <= cfb->sector_bytes; off += ENTRY_BYTES) {
			char name[33];

			entry_name(s + off, name);
			if (strcmp(name, "_vba_project") == 0)
				found |= FOUND_VBA;
			else if (strcmp(name, "encryptedpackage") == 0)
				found |= FOUND_ENCRYPTED;
		}
		id = next_sector(cfb, id);
	}
	return found;
}

void al_inspect_ole(struct inspection *in)
{
	static const guint8 signature[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
	struct cfb cfb = { .in = in };
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
	found = scan_directory(&cfb);
	g_array_unref(cfb.fat_sectors);
	if (found & FOUND_VBA)
		al_inspect_found(in, AL_REASON_MACRO,
				 "office document with a VBA macro project (_VBA_PROJECT)");
	if (found & FOUND_ENCRYPTED)
		al_inspect_found(in, AL_REASON_ENCRYPTED,
				 "password-protected office document (EncryptedPackage): its content "
				 "cannot be scanned");
}
