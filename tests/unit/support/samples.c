/*
 * samples.c - small binary samples for the unit tests (see samples.h).
 */
#include "samples.h"

#include <string.h>

void put_le16(guint8 *p, guint16 v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

void put_le32(guint8 *p, guint32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

GBytes *sample_pe(void)
{
	guint8 *pe = g_malloc0(512);

	pe[0] = 'M';
	pe[1] = 'Z';
	put_le32(pe + 0x3c, 0x80);
	memcpy(pe + 0x80, "PE\0\0", 4);
	put_le16(pe + 0x84, 0x14c); /* machine: i386 */
	put_le16(pe + 0x86, 1);	    /* sections */
	put_le16(pe + 0x94, 0xe0);  /* optional header size */
	put_le16(pe + 0x96, 0x102); /* characteristics: executable, 32-bit */
	put_le16(pe + 0x98, 0x10b); /* PE32 */
	return g_bytes_new_take(pe, 512);
}

guint32 sample_crc32(const guint8 *data, gsize length)
{
	guint32 crc = 0xffffffffu;

	for (gsize i = 0; i < length; i++) {
		crc ^= data[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void put_be32(guint8 *p, guint32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (24 - 8 * i)) & 0xff;
}

static void png_chunk(GByteArray *png, const char *kind, const guint8 *data, guint32 length)
{
	guint8 word[4];
	gsize start;

	put_be32(word, length);
	g_byte_array_append(png, word, 4);
	start = png->len;
	g_byte_array_append(png, (const guint8 *)kind, 4);
	if (length > 0)
		g_byte_array_append(png, data, length);
	put_be32(word, sample_crc32(png->data + start, png->len - start));
	g_byte_array_append(png, word, 4);
}

GBytes *sample_png(void)
{
	enum { SIDE = 64, ROW = 1 + 3 * SIDE, RAW = ROW * SIDE };
	static const guint8 signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	guint8 header[13] = {0};
	guint8 *zdata = g_malloc0(2 + 5 + RAW + 4);
	guint8 *raw = zdata + 7;
	guint32 a = 1, b = 0;
	GByteArray *png = g_byte_array_new();

	put_be32(header, SIDE);
	put_be32(header + 4, SIDE);
	header[8] = 8; /* bits per sample */
	header[9] = 2; /* RGB */
	for (int y = 0; y < SIDE; y++) {
		guint8 *row = raw + y * ROW;

		row[0] = 0; /* no filter */
		for (int x = 0; x < SIDE; x++) {
			row[1 + 3 * x] = (guint8)(x * 4);
			row[2 + 3 * x] = (guint8)(y * 4);
			row[3 + 3 * x] = ((x / 16 + y / 16) % 2) ? 255 : 0;
		}
	}
	/* zlib header, one final stored block, Adler-32 of the raw rows. */
	zdata[0] = 0x78;
	zdata[1] = 0x01;
	zdata[2] = 0x01;
	put_le16(zdata + 3, RAW);
	put_le16(zdata + 5, (guint16)~RAW);
	for (gsize i = 0; i < RAW; i++) {
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	put_be32(zdata + 7 + RAW, (b << 16) | a);
	g_byte_array_append(png, signature, sizeof(signature));
	png_chunk(png, "IHDR", header, sizeof(header));
	png_chunk(png, "IDAT", zdata, 2 + 5 + RAW + 4);
	png_chunk(png, "IEND", NULL, 0);
	g_free(zdata);
	return g_byte_array_free_to_bytes(png);
}
