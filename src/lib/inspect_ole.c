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
 *	Streams are read through their FAT or mini FAT chains (at most
 *	MAX_STREAM_READ_BYTES of each) for two more checks:
 *	  \x01Ole10Native   an OLE Package object: a file (name, path, data)
 *	                    packed into the document, which the reader opens
 *	                    with a double click -> `executable`, the detail
 *	                    naming the file (a .doc's ObjectPool, an OOXML
 *	                    word/embeddings/ parts);
 *	  Workbook, Book    BOUNDSHEET records (MS-XLS 2.4.28) of the globals
 *	                    substream whose sheet type is an Excel 4.0 macro
 *	                    sheet or an Excel 5 VBA module -> `macro`.
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
#define STREAM_HEAD_BYTES 64 /* enough for the encryption checks */
#define MAX_STREAM_READ_BYTES (1024u * 1024) /* of a workbook's globals */
#define NATIVE_HEAD_BYTES 2048		     /* an Ole10Native's names */
#define MINI_SECTOR_BYTES 64
#define BIFF_BOUNDSHEET 0x0085u
#define BIFF_EOF 0x000Au
#define SHEET_MACRO 1	   /* BOUNDSHEET dt: Excel 4.0 macro sheet */
#define SHEET_VBA_MODULE 6 /* Excel 5 VBA module */

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
	struct stream_ref ole10native; /* the first OLE Package object */
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
			else if (strcmp(name, "\x01ole10native") == 0 && s[off + 66] == 2 &&
				 !legacy->ole10native.present)
				legacy->ole10native = stream_of(s + off);
			first = FALSE;
		}
		id = next_sector(cfb, id);
	}
	return found;
}

/* The sectors of a chain, in order, at most max_count of them (a chain
 * that loops ends there). Transfer full. */
static GArray *chain_of(const struct cfb *cfb, guint32 id, guint64 max_count)
{
	GArray *chain = g_array_new(FALSE, FALSE, sizeof(guint32));

	max_count = MIN(max_count, cfb->sectors);
	while (id < END_OF_CHAIN - 4 && chain->len < max_count) {
		g_array_append_val(chain, id);
		id = next_sector(cfb, id);
	}
	return chain;
}

/* The next mini sector after id, through the mini FAT (a chain of
 * regular sectors starting at header offset 60). */
static guint32 next_mini_sector(const struct cfb *cfb, const GArray *minifat, guint32 id)
{
	gsize per = cfb->sector_bytes / 4;
	const guint8 *s;

	if (id / per >= minifat->len)
		return END_OF_CHAIN;
	s = sector(cfb, g_array_index(minifat, guint32, id / per));
	return s != NULL ? le32(s + (id % per) * 4) : END_OF_CHAIN;
}

static gsize read_mini(const struct cfb *cfb, const struct legacy_streams *legacy,
		       const struct stream_ref *stream, guint8 *out, gsize max)
{
	const guint8 *header = cfb->in->data;
	GArray *root = chain_of(cfb, legacy->root.start,
				legacy->root.size / cfb->sector_bytes + 1);
	GArray *minifat = chain_of(cfb, le32(header + 60), le32(header + 64));
	guint32 id = stream->start;
	gsize done = 0;

	for (guint64 steps = 0; done < max && id < END_OF_CHAIN - 4 && steps < max; steps++) {
		guint64 offset = (guint64)id * MINI_SECTOR_BYTES;
		guint64 index = offset / cfb->sector_bytes;
		const guint8 *s = index < root->len ? sector(cfb, g_array_index(root, guint32,
										   index))
						    : NULL;
		gsize n = MIN((gsize)MINI_SECTOR_BYTES, max - done);

		if (s == NULL || offset + MINI_SECTOR_BYTES > legacy->root.size)
			break;
		memcpy(out + done, s + offset % cfb->sector_bytes, n);
		done += n;
		id = next_mini_sector(cfb, minifat, id);
	}
	g_array_unref(root);
	g_array_unref(minifat);
	return done;
}

/* Copies the first bytes of a stream (at most max and its size) into out,
 * from its regular sectors or, under the cut-off size, from the mini
 * stream. Returns how many bytes were read: fewer when the chain leaves
 * the file. */
static gsize read_stream(const struct cfb *cfb, const struct legacy_streams *legacy,
			 const struct stream_ref *stream, guint8 *out, gsize max)
{
	const guint8 *header = cfb->in->data;
	guint32 id = stream->start;
	gsize done = 0;

	max = MIN(max, (gsize)stream->size);
	if (stream->size < le32(header + 56)) {
		guint mini_shift = (guint)(header[32] | header[33] << 8);

		if (!legacy->root.present || mini_shift != 6)
			return 0;
		return read_mini(cfb, legacy, stream, out, max);
	}
	for (guint64 steps = 0; done < max && steps < cfb->sectors; steps++) {
		const guint8 *s = sector(cfb, id);
		gsize n = MIN(cfb->sector_bytes, max - done);

		if (s == NULL)
			break;
		memcpy(out + done, s, n);
		done += n;
		id = next_sector(cfb, id);
	}
	return done;
}

static guint16 le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

/* Word's FIB, Excel's BOF then FILEPASS, PowerPoint's current user:
 * encrypted by the program itself. */
static gboolean legacy_encrypted(const struct cfb *cfb, const struct legacy_streams *legacy)
{
	guint8 head[STREAM_HEAD_BYTES];
	gsize len;

	if (legacy->word.present &&
	    (len = read_stream(cfb, legacy, &legacy->word, head, sizeof(head))) >= 12 &&
	    le16(head) == FIB_IDENT && (le16(head + 0x0A) & FIB_ENCRYPTED) != 0)
		return TRUE;
	if (legacy->workbook.present &&
	    (len = read_stream(cfb, legacy, &legacy->workbook, head, sizeof(head))) >= 8 &&
	    le16(head) == BIFF_BOF) {
		gsize next = 4 + (gsize)le16(head + 2);

		if (next + 2 <= len && le16(head + next) == BIFF_FILEPASS)
			return TRUE;
	}
	/* Record header (version, type, length), then the atom's size and
	 * headerToken. */
	if (legacy->current_user.present &&
	    (len = read_stream(cfb, legacy, &legacy->current_user, head, sizeof(head))) >= 16 &&
	    le16(head + 2) == PPT_CURRENT_USER_ATOM && le32(head + 12) == PPT_ENCRYPTED_TOKEN)
		return TRUE;
	return FALSE;
}

/* A NUL-terminated string at *pos in an Ole10Native header (ANSI), made
 * valid UTF-8 for a sentence; NULL when it runs off the end. */
static char *native_string(const guint8 *p, gsize len, gsize *pos)
{
	const guint8 *nul = *pos < len ? memchr(p + *pos, 0, len - *pos) : NULL;
	char *out;

	if (nul == NULL)
		return NULL;
	out = g_utf8_make_valid((const char *)p + *pos, MIN((gsize)(nul - p) - *pos, 120));
	*pos = (gsize)(nul - p) + 1;
	return out;
}

/* An OLE Package (MS-OLEDS 2.3.6 for OLE1; the Ole10Native stream of a
 * Package object): size, a 2-byte type, the label, the source path. */
static void report_package(struct inspection *in, const struct cfb *cfb,
			   const struct legacy_streams *legacy)
{
	guint8 head[NATIVE_HEAD_BYTES];
	gsize len = read_stream(cfb, legacy, &legacy->ole10native, head, sizeof(head));
	gsize pos = 6;
	g_autofree char *label = len > pos ? native_string(head, len, &pos) : NULL;
	g_autofree char *path = label != NULL ? native_string(head, len, &pos) : NULL;

	al_inspect_found(in, AL_REASON_EXECUTABLE,
			 "office document with an embedded OLE Package object: the file '%s'%s%s%s "
			 "opens with a double click",
			 label != NULL && *label != '\0' ? label : "(unnamed)",
			 path != NULL && *path != '\0' ? " (from " : "",
			 path != NULL && *path != '\0' ? path : "",
			 path != NULL && *path != '\0' ? ")" : "");
}

/* BOUNDSHEET records of the workbook globals, up to their EOF record: a
 * macro sheet or a VBA module sheet. */
static void check_sheets(struct inspection *in, const struct cfb *cfb,
			 const struct legacy_streams *legacy)
{
	guint8 *book = g_malloc(MIN((gsize)legacy->workbook.size, MAX_STREAM_READ_BYTES) + 1);
	gsize len = read_stream(cfb, legacy, &legacy->workbook, book, MAX_STREAM_READ_BYTES);
	gsize pos = 0;

	if (len < 4 || le16(book) != BIFF_BOF)
		goto out;
	while (pos + 4 <= len) {
		guint16 type = le16(book + pos), size = le16(book + pos + 2);
		const guint8 *rec = book + pos + 4;

		if (pos + 4 + size > len || type == BIFF_EOF)
			break;
		if (type == BIFF_BOUNDSHEET && size >= 8 &&
		    (rec[5] == SHEET_MACRO || rec[5] == SHEET_VBA_MODULE)) {
			g_autofree char *name = g_utf8_make_valid((const char *)rec + 8,
								  MIN((gsize)rec[6], size - 8u));

			al_inspect_found(in, AL_REASON_MACRO,
					 "Excel workbook with %s sheet '%s'",
					 rec[5] == SHEET_MACRO ? "an Excel 4.0 (XLM) macro"
							       : "a VBA module",
					 rec[7] == 0 ? name : "(UTF-16 name)");
		}
		pos += 4 + (gsize)size;
	}
out:
	g_free(book);
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
	if (legacy.ole10native.present)
		report_package(in, &cfb, &legacy);
	if (legacy.workbook.present)
		check_sheets(in, &cfb, &legacy);
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
