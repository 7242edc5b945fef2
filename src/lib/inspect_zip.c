/*
 * inspect_zip.c - ZIP structure: what archive tools disagree on.
 *
 * DESCRIPTION
 *	Applies to files whose last 64 KiB hold an end-of-central-directory
 *	record (APPNOTE 4.3.16), so also to ZIPs glued behind something else.
 *	  - an end record that names another disk (a piece of a split
 *	    archive), or counts differing between this disk and the total:
 *	    `malformed`;
 *	  - each central directory entry must point at a local header with
 *	    the same name and method, and the same sizes unless a data
 *	    descriptor follows (flag bit 3): otherwise `malformed` (tools
 *	    that read local headers see other files than those that read the
 *	    directory);
 *	  - two entries whose data overlap (the non-recursive bomb of
 *	    Fifield 2019), or declared sizes that add up to more than
 *	    AL_INSPECT_BOMB_MIN_BYTES at a ratio above
 *	    AL_INSPECT_BOMB_MIN_RATIO to the archive: `limits`;
 *	  - data before the archive that is an image or a PDF (a ZIP glued
 *	    to a picture), or a program or an archive after the end record:
 *	    `polyglot`. A program before the archive is a self-extractor,
 *	    a program already.
 *	Zip64 archives (0xFFFFFFFF in the end record) are not cross-checked.
 *	At most MAX_ENTRIES entries are read.
 */
#include "inspect_private.h"

#include <stdlib.h>
#include <string.h>

#define EOCD_BYTES 22
#define CENTRAL_BYTES 46
#define LOCAL_BYTES 30
#define MAX_COMMENT 65535
#define MAX_ENTRIES 65535
#define MAX_REPORTED 3

struct zip_entry_range {
	guint64 start;
	guint64 end;
};

static guint16 le16(const guint8 *p)
{
	return (guint16)(p[0] | p[1] << 8);
}

static guint32 le32(const guint8 *p)
{
	return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

/* The last end record whose comment length fits the file; -1 if none.
 * Runs on every file libclamav reports, so it jumps from 'P' to 'P'. */
static gssize find_eocd(const struct inspection *in)
{
	const guint8 *lowest;
	const guint8 *p;

	if (in->len < EOCD_BYTES)
		return -1;
	lowest = in->data + (in->len > EOCD_BYTES + MAX_COMMENT ? in->len - EOCD_BYTES - MAX_COMMENT
								 : 0);
	p = in->data + in->len - EOCD_BYTES + 1;
	while (p > lowest && (p = memrchr(lowest, 'P', (gsize)(p - lowest))) != NULL) {
		gsize pos = (gsize)(p - in->data);

		if (memcmp(p, "PK\x05\x06", 4) == 0 && pos + EOCD_BYTES + le16(p + 20) <= in->len)
			return (gssize)pos;
	}
	return -1;
}

static int compare_ranges(const void *a, const void *b)
{
	const struct zip_entry_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void check_overlap(struct inspection *in, struct zip_entry_range *ranges, guint count)
{
	qsort(ranges, count, sizeof(*ranges), compare_ranges);
	for (guint i = 1; i < count; i++) {
		if (ranges[i].start < ranges[i - 1].end) {
			al_inspect_found(in, AL_REASON_LIMITS,
					 "ZIP entries share the same compressed data (overlapping "
					 "entries: a zip bomb technique)");
			return;
		}
	}
}

/* Compares one central entry with its local header; FALSE on mismatch. */
static gboolean local_matches(const struct inspection *in, const guint8 *central, guint64 local,
			      guint64 *data_end_r)
{
	const guint8 *l = in->data + local;
	guint16 name_len = le16(central + 28);
	guint16 flags = le16(central + 8);

	if (local + LOCAL_BYTES > in->len || memcmp(l, "PK\x03\x04", 4) != 0)
		return FALSE;
	*data_end_r = local + LOCAL_BYTES + le16(l + 26) + le16(l + 28) + le32(central + 20);
	if (le16(l + 26) != name_len || local + LOCAL_BYTES + name_len > in->len ||
	    memcmp(l + LOCAL_BYTES, central + CENTRAL_BYTES, name_len) != 0 ||
	    le16(l + 8) != le16(central + 10))
		return FALSE;
	/* Sizes 0xFFFFFFFF in a local header mean "in its ZIP64 extra field"
	 * (Python's zipfile, Java and 7-Zip write that even for small files):
	 * not a contradiction of the central directory's real sizes. */
	if ((flags & 0x08) == 0 && (le16(l + 6) & 0x08) == 0 &&
	    le32(l + 18) != 0xFFFFFFFF && le32(l + 22) != 0xFFFFFFFF &&
	    (le32(l + 18) != le32(central + 20) || le32(l + 22) != le32(central + 24)))
		return FALSE;
	return TRUE;
}

static void report_mismatch(struct inspection *in, const guint8 *central, guint *reported)
{
	guint16 name_len = le16(central + 28);
	g_autofree char *name = g_utf8_make_valid((const char *)central + CENTRAL_BYTES,
						  MIN(name_len, 120));

	if ((*reported)++ >= MAX_REPORTED)
		return;
	al_inspect_found(in, AL_REASON_MALFORMED,
			 "ZIP central directory entry '%s' contradicts its local header: tools "
			 "that read one or the other see different files",
			 name);
}

struct directory {
	guint64 shift; /* bytes before the archive */
	guint64 offset;
	guint64 size;
	guint count;
};

static void walk_directory(struct inspection *in, const struct directory *dir)
{
	struct zip_entry_range *ranges = g_new(struct zip_entry_range, MAX(dir->count, 1));
	guint64 pos = dir->shift + dir->offset, expanded = 0;
	guint entries = 0, reported = 0;

	while (entries < dir->count && pos + CENTRAL_BYTES <= in->len &&
	       memcmp(in->data + pos, "PK\x01\x02", 4) == 0) {
		const guint8 *c = in->data + pos;
		guint64 local = dir->shift + le32(c + 42), data_end = 0;
		guint64 next = pos + CENTRAL_BYTES + le16(c + 28) + le16(c + 30) + le16(c + 32);

		if (next > in->len)
			break;
		if (!local_matches(in, c, local, &data_end))
			report_mismatch(in, c, &reported);
		ranges[entries] = (struct zip_entry_range){ .start = local, .end = MAX(data_end,
										       local + 1) };
		expanded += le32(c + 24);
		entries++;
		pos = next;
	}
	check_overlap(in, ranges, entries);
	g_free(ranges);
	if (expanded >= AL_INSPECT_BOMB_MIN_BYTES && expanded / AL_INSPECT_BOMB_MIN_RATIO > in->len)
		al_inspect_found(in, AL_REASON_LIMITS,
				 "ZIP archive of %" G_GSIZE_FORMAT " bytes declares %" G_GUINT64_FORMAT
				 " bytes of content (more than %d times its size): a compression bomb",
				 in->len, expanded, AL_INSPECT_BOMB_MIN_RATIO);
}

static void check_surroundings(struct inspection *in, guint64 shift, gsize eocd)
{
	const guint8 *p = in->data;
	gsize end = eocd + EOCD_BYTES + le16(in->data + eocd + 20);
	const char *trailing;

	if (shift > 0 && (memcmp(p, "\x89PNG", 4) == 0 || memcmp(p, "\xff\xd8\xff", 3) == 0 ||
			  memcmp(p, "GIF8", 4) == 0 || memcmp(p, "%PDF-", 5) == 0 ||
			  memcmp(p, "BM", 2) == 0))
		al_inspect_found(in, AL_REASON_POLYGLOT,
				 "a ZIP archive is glued behind an image or a PDF (%" G_GUINT64_FORMAT
				 " bytes in): the file is two formats at once",
				 shift);
	while (end < in->len && (g_ascii_isspace(p[end]) || p[end] == 0))
		end++;
	if (end < in->len && (trailing = al_inspect_program_header(p + end, in->len - end)) != NULL)
		al_inspect_found(in, AL_REASON_POLYGLOT,
				 "a ZIP archive followed by %s at byte %" G_GSIZE_FORMAT
				 ": the file is two formats at once",
				 trailing, end);
}

void al_inspect_zip(struct inspection *in)
{
	gssize found = find_eocd(in);
	const guint8 *e;
	struct directory dir;

	if (found < 0)
		return;
	e = in->data + found;
	if (le16(e + 4) != 0 || le16(e + 6) != 0 || le16(e + 8) != le16(e + 10))
		al_inspect_found(in, AL_REASON_MALFORMED,
				 "ZIP archive split over several disks (this is disk %u, its directory "
				 "starts on disk %u): the other pieces cannot be checked",
				 le16(e + 4), le16(e + 6));
	dir = (struct directory){ .offset = le32(e + 16), .size = le32(e + 12),
				  .count = MIN(le16(e + 10), MAX_ENTRIES) };
	if (dir.offset == 0xFFFFFFFF || dir.size == 0xFFFFFFFF || le16(e + 10) == 0xFFFF)
		return;
	if (dir.offset + dir.size > (guint64)found) {
		al_inspect_found(in, AL_REASON_MALFORMED,
				 "ZIP end record points past itself: the archive is inconsistent");
		return;
	}
	dir.shift = (guint64)found - dir.offset - dir.size;
	check_surroundings(in, dir.shift, (gsize)found);
	walk_directory(in, &dir);
}
