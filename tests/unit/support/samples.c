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
