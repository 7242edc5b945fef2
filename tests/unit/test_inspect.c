/*
 * test_inspect.c - the content inspectors (inspect.h) on files built here
 * byte by byte: DICOM preambles, polyglots, HTML smuggling and
 * SVG script, OOXML relationships, ZIP structure, OLE2 directories.
 * Each case checks the exact reasons returned, and that one sentence per
 * finding explains it; the harmless twin of every threat must give none.
 */
#include "airlock/inspect.h"
#include "support/samples.h"

#include <string.h>

#define EXEC AL_REASON_BIT(AL_REASON_EXECUTABLE)
#define MACRO AL_REASON_BIT(AL_REASON_MACRO)
#define ENCR AL_REASON_BIT(AL_REASON_ENCRYPTED)
#define LIMITS AL_REASON_BIT(AL_REASON_LIMITS)
#define MALF AL_REASON_BIT(AL_REASON_MALFORMED)
#define POLY AL_REASON_BIT(AL_REASON_POLYGLOT)

/* Inspects and checks that there is one sentence per reason at least;
 * the first sentence is returned in *first_r when asked. */
static al_reason_set inspect(const void *data, gsize len, const char *name, char **first_r)
{
	g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);
	al_reason_set reasons = al_inspect_buffer(data, len, name, details);

	g_assert_cmpuint(details->len, >=, (guint)__builtin_popcount(reasons));
	if (first_r != NULL)
		*first_r = details->len > 0 ? g_strdup(details->pdata[0]) : NULL;
	return reasons;
}

static al_reason_set inspect_text(const char *text, const char *name)
{
	return inspect(text, strlen(text), name, NULL);
}

/* ------------------------------------------------------------ DICOM */

/* 128-byte preamble, "DICM", a group length element. */
static GByteArray *dicom(const guint8 *preamble, gsize preamble_len)
{
	GByteArray *out = g_byte_array_new();
	guint8 zeros[128] = { 0 };
	static const guint8 meta[] = { 0x02, 0x00, 0x00, 0x00, 'U', 'L', 4, 0, 0, 0, 0, 0 };

	g_byte_array_append(out, zeros, sizeof(zeros));
	memcpy(out->data, preamble, MIN(preamble_len, sizeof(zeros)));
	g_byte_array_append(out, (const guint8 *)"DICM", 4);
	g_byte_array_append(out, meta, sizeof(meta));
	return out;
}

static void test_inspect_dicom_preambles(void)
{
	guint8 pe[128] = { 'M', 'Z' };
	g_autofree char *sentence = NULL;
	struct {
		const char *label;
		const guint8 *preamble;
		gsize len;
		al_reason_set want;
	} cases[] = {
		{ "zeros", (const guint8 *)"", 0, 0 },
		{ "TIFF little endian", (const guint8 *)"II*\0\x08\0\0\0", 8, 0 },
		{ "TIFF big endian", (const guint8 *)"MM\0*\0\0\0\x08", 8, 0 },
		{ "PE", pe, sizeof(pe), POLY },
		{ "ELF", (const guint8 *)"\x7f" "ELF\x02\x01\x01", 7, POLY },
		{ "Mach-O", (const guint8 *)"\xcf\xfa\xed\xfe", 4, POLY },
		{ "script", (const guint8 *)"#!/bin/sh\n", 10, POLY },
		{ "other", (const guint8 *)"\x01", 1, POLY },
	};

	put_le32(pe + 0x3c, 0x40);
	memcpy(pe + 0x40, "PE\0\0", 4);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GByteArray) file = dicom(cases[i].preamble, cases[i].len);

		g_test_message("preamble: %s", cases[i].label);
		g_assert_cmphex(inspect(file->data, file->len, "IM0001", NULL), ==, cases[i].want);
	}
	{
		g_autoptr(GByteArray) file = dicom(pe, sizeof(pe));

		inspect(file->data, file->len, "scan.dcm", &sentence);
		g_assert_nonnull(strstr(sentence, "Windows program (PE)"));
		g_assert_nonnull(strstr(sentence, "CVE-2019-11687"));
	}
	/* Without "DICM" at 128 a leading MZ is not the DICOM inspector's. */
	g_assert_cmphex(inspect(pe, sizeof(pe), "x.bin", NULL), ==, 0);
}

/* ------------------------------------------------------------ polyglots */

static const char pdf_clean[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
				"trailer\n<< /Root 1 0 R >>\n%%EOF\n";

static void test_inspect_polyglots(void)
{
	guint8 pe[0x80] = { 'M', 'Z' };
	g_autoptr(GByteArray) file = g_byte_array_new();
	static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 'J', 'F',
				       0xff, 0xda, 0x00, 0x02, 0x12, 0xff, 0x00, 0x34,
				       0xff, 0xd0, 0x56, 0xff, 0xd9 };

	put_le32(pe + 0x3c, 0x40);
	memcpy(pe + 0x40, "PE\0\0", 4);
	g_assert_cmphex(inspect_text(pdf_clean, "a.pdf"), ==, 0);
	g_byte_array_append(file, (const guint8 *)pdf_clean, sizeof(pdf_clean) - 1);
	g_byte_array_append(file, pe, sizeof(pe));
	g_assert_cmphex(inspect(file->data, file->len, "a.pdf", NULL), ==, POLY);
	/* What follows the last %%EOF counts, near misses ("%%EO%", "%EOF")
	 * in the program or not; an incremental update ends with a %%EOF of
	 * its own. */
	g_byte_array_set_size(file, 0);
	g_byte_array_append(file, (const guint8 *)pdf_clean, sizeof(pdf_clean) - 1);
	memcpy(pe + 0x60, "%%EO%%%EO%EOF%", 14);
	g_byte_array_append(file, pe, sizeof(pe));
	g_assert_cmphex(inspect(file->data, file->len, "a.pdf", NULL), ==, POLY);
	g_byte_array_append(file, (const guint8 *)"\nxref\ntrailer\n<< >>\n%%EOF\n", 26);
	g_assert_cmphex(inspect(file->data, file->len, "a.pdf", NULL), ==, 0);

	g_byte_array_set_size(file, 0);
	g_byte_array_append(file, jpeg, sizeof(jpeg));
	g_assert_cmphex(inspect(file->data, file->len, "a.jpg", NULL), ==, 0);
	g_byte_array_append(file, (const guint8 *)"\x7f" "ELF\x02\x01", 6);
	g_assert_cmphex(inspect(file->data, file->len, "a.jpg", NULL), ==, POLY);

	/* A GIF whose image data holds the trailer's byte (0x3B): only the
	 * trailer after the last block ends it. */
	{
		static const guint8 gif[] = {
			'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, /* screen, 2 colours */
			0, 0, 0, 0xff, 0xff, 0xff,			      /* colour table */
			0x21, 0xf9, 4, 0, 0, 0, 0, 0,			      /* graphic control */
			0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0,		      /* image descriptor */
			2, 2, 0x3b, 0x01, 0,				      /* LZW data */
			0x3b,						      /* trailer */
		};

		g_byte_array_set_size(file, 0);
		g_byte_array_append(file, gif, sizeof(gif));
		g_assert_cmphex(inspect(file->data, file->len, "a.gif", NULL), ==, 0);
		g_byte_array_append(file, (const guint8 *)"\r\n\x7f" "ELF\x02\x01", 8);
		g_assert_cmphex(inspect(file->data, file->len, "a.gif", NULL), ==, POLY);
		/* Cut inside the image data: no trailer, nothing said. */
		g_assert_cmphex(inspect(gif, 40, "a.gif", NULL), ==, 0);
	}

	/* A program whose first 1024 bytes carry a PDF header. */
	memcpy(pe + 0x50, "%PDF-1.4", 8);
	g_assert_cmphex(inspect(pe, sizeof(pe), "a.pdf", NULL), ==, POLY);
}

/* PDF: tests/unit/test_inspect_pdf.c (PDFs qpdf can open). */

/* ------------------------------------------------------------ markup */

static void test_inspect_html_smuggling(void)
{
	static const char blob[] =
		"<html><script>var b = new Blob([d]); var a = document.createElement('a');"
		"a.href = URL.createObjectURL(b); a.download = 'x.iso'; a.click();</script></html>";
	static const char mssave[] = "<html><script>navigator.msSaveOrOpenBlob(b, 'x.zip')"
				     "</script></html>";
	static const char data_uri[] = "<html><a href=\"data:application/octet-stream;base64,"
				       "TVqQAAMAAAAEAAAA\" download=\"x.exe\">x</a></html>";
	static const char clean[] = "<html><img src=\"data:image/png;base64,iVBORw0KGgo=\">"
				    "<p>Download the leaflet</p><script>document.title='x'"
				    "</script></html>";
	g_autoptr(GString) payload = g_string_new("<html><script>var p = \"");

	g_assert_cmphex(inspect_text(blob, "a.html"), ==, EXEC);
	g_assert_cmphex(inspect_text(mssave, "a.htm"), ==, EXEC);
	g_assert_cmphex(inspect_text(data_uri, "a.html"), ==, EXEC);
	g_assert_cmphex(inspect_text(clean, "a.html"), ==, 0);
	for (int i = 0; i < 100; i++)
		g_string_append(payload, "TVqQAAMAAAAEAAAA");
	g_string_append(payload, "\"; var bin = atob(p);</script></html>");
	g_assert_cmphex(inspect(payload->str, payload->len, "a.html", NULL), ==, EXEC);
	/* The same text is not markup in a file that is neither named nor
	 * shaped like HTML. */
	g_assert_cmphex(inspect_text("msSaveOrOpenBlob is an old IE API.\n", "notes.txt"), ==, 0);
}

static void test_inspect_svg_script(void)
{
	g_assert_cmphex(inspect_text("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)"
				     "</script></svg>",
				     "a.svg"),
			==, EXEC);
	g_assert_cmphex(inspect_text("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect "
				     "onload=\"alert(1)\"/></svg>",
				     "a.svg"),
			==, EXEC);
	g_assert_cmphex(inspect_text("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"1\" "
				     "fill=\"red\"/></svg>",
				     "a.svg"),
			==, 0);
}

/* ------------------------------------------------------------ OOXML */

static void test_inspect_ooxml_relationships(void)
{
	static const char remote[] =
		"<Relationships><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
		"officeDocument/2006/relationships/attachedTemplate\" Target=\"http://198.51.100.7/"
		"t.dotm\" TargetMode=\"External\"/></Relationships>";
	static const char link[] =
		"<Relationships><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/"
		"officeDocument/2006/relationships/hyperlink\" Target=\"https://www.example.com/\" "
		"TargetMode=\"External\"/></Relationships>";
	g_autofree char *sentence = NULL;

	g_assert_cmphex(inspect(remote, strlen(remote), "settings.xml.rels", &sentence), ==, MACRO);
	g_assert_nonnull(strstr(sentence, "http://198.51.100.7/t.dotm"));
	g_assert_cmphex(inspect_text(link, "document.xml.rels"), ==, 0);
	/* Only relationship parts count. */
	g_assert_cmphex(inspect_text(remote, "notes.xml"), ==, 0);
	g_assert_cmphex(inspect_text("<Types/>", "AppxManifest.xml"), ==, EXEC);
}

/* ------------------------------------------------------------ ZIP */

/* One stored member; fields can be spoiled after building. */
struct zip {
	guint8 bytes[512];
	gsize len;
	gsize central; /* offset of the central entry */
	gsize end;     /* offset of the end record */
};

static void build_zip(struct zip *z, const char *name, const char *central_name, guint32 size,
		      guint32 declared)
{
	guint16 n = (guint16)strlen(name), cn = (guint16)strlen(central_name);
	guint8 *p = z->bytes;

	memset(z, 0, sizeof(*z));
	put_le32(p, 0x04034b50);
	put_le32(p + 18, size);
	put_le32(p + 22, declared);
	put_le16(p + 26, n);
	memcpy(p + 30, name, n);
	z->central = 30 + n + size;
	p = z->bytes + z->central;
	put_le32(p, 0x02014b50);
	put_le32(p + 20, size);
	put_le32(p + 24, declared);
	put_le16(p + 28, cn);
	memcpy(p + 46, central_name, cn);
	z->end = z->central + 46 + cn;
	p = z->bytes + z->end;
	put_le32(p, 0x06054b50);
	put_le16(p + 8, 1);
	put_le16(p + 10, 1);
	put_le32(p + 12, (guint32)(46 + cn));
	put_le32(p + 16, (guint32)z->central);
	z->len = z->end + 22;
}

static void test_inspect_zip_structure(void)
{
	struct zip z;
	g_autoptr(GByteArray) glued = g_byte_array_new();

	build_zip(&z, "readme.txt", "readme.txt", 4, 4);
	g_assert_cmphex(inspect(z.bytes, z.len, "a.zip", NULL), ==, 0);
	build_zip(&z, "setup.exe", "readme.txt", 4, 4);
	g_assert_cmphex(inspect(z.bytes, z.len, "a.zip", NULL), ==, MALF);
	build_zip(&z, "readme.txt", "readme.txt", 4, 4);
	put_le16(z.bytes + z.end + 4, 2);
	g_assert_cmphex(inspect(z.bytes, z.len, "a.zip", NULL), ==, MALF);
	/* 64 MiB declared in a few hundred bytes. */
	build_zip(&z, "disk.raw", "disk.raw", 4, 64u << 20);
	g_assert_cmphex(inspect(z.bytes, z.len, "a.zip", NULL), ==, LIMITS);
	/* A ZIP glued behind a PNG signature. */
	build_zip(&z, "readme.txt", "readme.txt", 4, 4);
	g_byte_array_append(glued, (const guint8 *)"\x89PNG\r\n\x1a\n", 8);
	g_byte_array_append(glued, z.bytes, (guint)z.len);
	g_assert_cmphex(inspect(glued->data, glued->len, "a.png", NULL), ==, POLY);
}

/* ------------------------------------------------------------ OLE2 */

/* A 3-sector compound file: header, FAT, one directory sector whose
 * second entry is named name. */
static GByteArray *compound_file(const char *name)
{
	GByteArray *file = g_byte_array_sized_new(512 * 3);
	static const guint8 signature[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
	guint8 *p;

	g_byte_array_set_size(file, 512 * 3);
	p = file->data;
	memset(p, 0, file->len);
	memcpy(p, signature, 8);
	put_le16(p + 26, 3);
	put_le16(p + 30, 9);
	put_le32(p + 44, 1);  /* one FAT sector */
	put_le32(p + 48, 1);  /* directory at sector 1 */
	put_le32(p + 68, 0xFFFFFFFE);
	put_le32(p + 76, 0);  /* FAT at sector 0 */
	for (int i = 1; i < 109; i++)
		put_le32(p + 76 + 4 * i, 0xFFFFFFFF);
	put_le32(p + 512, 0xFFFFFFFD);
	put_le32(p + 516, 0xFFFFFFFE);
	p = file->data + 1024;
	put_le16(p, 'R');
	put_le16(p + 64, 4);
	p += 128;
	for (gsize i = 0; name[i] != '\0'; i++)
		put_le16(p + 2 * i, (guint16)name[i]);
	put_le16(p + 64, (guint16)(2 * strlen(name) + 2));
	return file;
}

static void test_inspect_ole_directory(void)
{
	g_autoptr(GByteArray) vba = compound_file("_VBA_PROJECT");
	g_autoptr(GByteArray) encrypted = compound_file("EncryptedPackage");
	g_autoptr(GByteArray) plain = compound_file("WordDocument");

	g_assert_cmphex(inspect(vba->data, vba->len, "a.doc", NULL), ==, MACRO);
	g_assert_cmphex(inspect(encrypted->data, encrypted->len, "a.docx", NULL), ==, ENCR);
	g_assert_cmphex(inspect(plain->data, plain->len, "a.doc", NULL), ==, 0);
	/* A directory chain that loops on itself ends. */
	put_le32(plain->data + 512 + 4, 1);
	g_assert_cmphex(inspect(plain->data, plain->len, "a.doc", NULL), ==, 0);
}

static void test_inspect_empty_and_truncated(void)
{
	g_autoptr(GByteArray) vba = compound_file("_VBA_PROJECT");

	g_assert_cmphex(al_inspect_buffer(NULL, 0, NULL, NULL), ==, 0);
	for (gsize len = 0; len < vba->len; len += 61)
		inspect(vba->data, len, NULL, NULL);
	for (gsize len = 0; len < sizeof(pdf_clean); len++)
		inspect(pdf_clean, len, "a.pdf", NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/inspect/dicom_preambles", test_inspect_dicom_preambles);
	g_test_add_func("/inspect/polyglots", test_inspect_polyglots);
	g_test_add_func("/inspect/html_smuggling", test_inspect_html_smuggling);
	g_test_add_func("/inspect/svg_script", test_inspect_svg_script);
	g_test_add_func("/inspect/ooxml_relationships", test_inspect_ooxml_relationships);
	g_test_add_func("/inspect/zip_structure", test_inspect_zip_structure);
	g_test_add_func("/inspect/ole_directory", test_inspect_ole_directory);
	g_test_add_func("/inspect/empty_and_truncated", test_inspect_empty_and_truncated);
	return g_test_run();
}
