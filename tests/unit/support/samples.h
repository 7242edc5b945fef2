/*
 * samples.h - small binary samples built in memory, for the unit tests
 * of typing, scanning and the content inspectors.
 */
#ifndef AIRLOCK_TEST_SAMPLES_H
#define AIRLOCK_TEST_SAMPLES_H

#include <glib.h>

/* Little-endian integers written at p. */
void put_le16(guint8 *p, guint16 v);
void put_le32(guint8 *p, guint32 v);

/* A minimal PE32 (512 bytes): MZ header, e_lfanew -> "PE\0\0", a COFF
 * header for i386 and the magic of a PE32 optional header: what libmagic
 * needs to call it a PE (transfer full). */
GBytes *sample_pe(void);

/* CRC-32 as zip and PNG use it. */
guint32 sample_crc32(const guint8 *data, gsize length);

/* A 64x64 RGB PNG, its deflate stream stored (uncompressed): red rises
 * with x, green with y, blue is a 16-pixel checkerboard. SAMPLE_PNG_FUZZY
 * is its image fuzzy hash (sigtool --fuzzy-img), which depends only on
 * the pixels (transfer full). */
GBytes *sample_png(void);
#define SAMPLE_PNG_FUZZY "8a0f8d272c52fe72"

#endif
