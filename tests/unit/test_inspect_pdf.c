/*
 * test_inspect_pdf.c - the PDF inspector (inspect_pdf*.c) on PDFs built
 * here object by object: what runs (JavaScript, XFA script), what opens
 * files (/Launch, embedded files, attachments, automatic actions to
 * programs or remote files), object streams through filter chains,
 * encryption (written by qpdf's own writer), files qpdf cannot open and
 * the limits. Every threat has a harmless twin that must give nothing.
 */
#include "airlock/inspect.h"

#include <qpdf/qpdf-c.h>
#include <string.h>

#define EXEC AL_REASON_BIT(AL_REASON_EXECUTABLE)
#define MACRO AL_REASON_BIT(AL_REASON_MACRO)
#define ENCR AL_REASON_BIT(AL_REASON_ENCRYPTED)
#define LIMITS AL_REASON_BIT(AL_REASON_LIMITS)
#define UNSCAN AL_REASON_BIT(AL_REASON_UNSCANNABLE)

/* Reasons for data; the details joined by " | " in *details_r if asked. */
static al_reason_set inspect(const void *data, gsize len, char **details_r)
{
	g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);
	al_reason_set reasons = al_inspect_buffer(data, len, "a.pdf", details);

	g_assert_cmpuint(details->len, >=, (guint)__builtin_popcount(reasons));
	if (details_r != NULL) {
		g_ptr_array_add(details, NULL);
		*details_r = g_strjoinv(" | ", (char **)details->pdata);
	}
	return reasons;
}

/* A PDF whose object n is objects[n - 1], with its cross reference table. */
static GString *pdf_file(const char *const *objects, const char *trailer_extra)
{
	GString *out = g_string_new("%PDF-1.7\n");
	g_autoptr(GArray) offsets = g_array_new(FALSE, FALSE, sizeof(gsize));
	gsize xref, count = g_strv_length((char **)objects);

	for (gsize i = 0; i < count; i++) {
		g_array_append_val(offsets, out->len);
		g_string_append_printf(out, "%" G_GSIZE_FORMAT " 0 obj\n%s\nendobj\n", i + 1,
				       objects[i]);
	}
	xref = out->len;
	g_string_append_printf(out, "xref\n0 %" G_GSIZE_FORMAT "\n0000000000 65535 f \n",
			       count + 1);
	for (gsize i = 0; i < count; i++)
		g_string_append_printf(out, "%010" G_GSIZE_FORMAT " 00000 n \n",
				       g_array_index(offsets, gsize, i));
	g_string_append_printf(out,
			       "trailer\n<< /Size %" G_GSIZE_FORMAT " /Root 1 0 R%s >>\n"
			       "startxref\n%" G_GSIZE_FORMAT "\n%%%%EOF\n",
			       count + 1, trailer_extra != NULL ? trailer_extra : "", xref);
	return out;
}

#define CATALOG(extra) "<< /Type /Catalog /Pages 2 0 R" extra " >>"
#define PAGES "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
#define PAGE(extra) "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]" extra " >>"

static al_reason_set inspect_objects(const char *const *objects, char **details_r)
{
	g_autoptr(GString) pdf = pdf_file(objects, NULL);

	return inspect(pdf->str, pdf->len, details_r);
}

/* One catalog opening with the action as object 4. */
static al_reason_set inspect_open_action(const char *action, char **details_r)
{
	const char *const objects[] = { CATALOG(" /OpenAction 4 0 R"), PAGES, PAGE(""), action,
					NULL };

	return inspect_objects(objects, details_r);
}

static void test_inspect_pdf_javascript(void)
{
	const char *const names_tree[] = { CATALOG(" /Names 4 0 R"), PAGES, PAGE(""),
					   "<< /JavaScript 5 0 R >>",
					   "<< /Names [(a) 6 0 R] >>",
					   "<< /S /JavaScript /JS (app.alert\\(1\\)) >>", NULL };
	const char *const page_aa[] = { CATALOG(""), PAGES,
					PAGE(" /AA << /O << /S /JavaScript /JS (x) >> >>"), NULL };
	const char *const stream_bytes[] = { CATALOG(""), PAGES, PAGE(" /Contents 4 0 R"),
					     "<< /Length 8 >>\nstream\nxx/JS yy\nendstream", NULL };
	g_autofree char *details = NULL;

	g_assert_cmphex(inspect_open_action("<< /S /JavaScript /JS (app.alert\\(1\\)) >>", &details),
			==, MACRO);
	g_assert_nonnull(strstr(details, "JavaScript"));
	g_assert_cmphex(inspect_open_action("<< /S /J#61vaScr#69pt /J#53 (x) >>", NULL), ==, MACRO);
	g_assert_cmphex(inspect_objects(names_tree, NULL), ==, MACRO);
	g_assert_cmphex(inspect_objects(page_aa, NULL), ==, MACRO);
	/* Bytes in ordinary stream data are not names. */
	g_assert_cmphex(inspect_objects(stream_bytes, NULL), ==, 0);
	/* /OpenAction to a destination is a view setting. */
	g_assert_cmphex(inspect_open_action("[3 0 R /Fit]", NULL), ==, 0);
	/* Not a PDF: the names mean nothing. */
	g_assert_cmphex(al_inspect_buffer((const guint8 *)"notes about /JavaScript and /Launch\n",
					  36, "notes.txt", NULL),
			==, 0);
}

static void test_inspect_pdf_files(void)
{
	const char *const embedded[] = {
		CATALOG(" /Names << /EmbeddedFiles 4 0 R >>"), PAGES, PAGE(""),
		"<< /Names [(notes.txt) 5 0 R] >>",
		"<< /Type /Filespec /F (notes.txt) /UF (notes.txt) /EF << /F 6 0 R >> >>",
		"<< /Type /EmbeddedFile /Length 2 >>\nstream\nhi\nendstream", NULL
	};
	const char *const attachment[] = {
		CATALOG(""), PAGES, PAGE(" /Annots [4 0 R]"),
		"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS (run.js) >>", NULL
	};
	g_autofree char *launch = NULL;
	g_autofree char *files = NULL;
	g_autofree char *annotation = NULL;

	g_assert_cmphex(inspect_open_action("<< /S /Launch /F (invoice.exe) >>", &launch), ==, EXEC);
	g_assert_nonnull(strstr(launch, "invoice.exe"));
	g_assert_cmphex(inspect_objects(embedded, &files), ==, EXEC);
	g_assert_nonnull(strstr(files, "notes.txt"));
	g_assert_cmphex(inspect_objects(attachment, &annotation), ==, EXEC);
	g_assert_nonnull(strstr(annotation, "run.js"));
}

static void test_inspect_pdf_automatic_actions(void)
{
	const char *const clicked[] = {
		CATALOG(""), PAGES, PAGE(" /Annots [4 0 R]"),
		"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI "
		"/URI (http://198.51.100.7/update.exe) >> >>",
		NULL
	};
	g_autofree char *details = NULL;

	g_assert_cmphex(inspect_open_action("<< /S /URI /URI (http://198.51.100.7/update.exe) >>",
					    &details),
			==, EXEC);
	g_assert_nonnull(strstr(details, "http://198.51.100.7/update.exe"));
	g_assert_cmphex(inspect_open_action("<< /S /URI /URI (http://192.0.2.1/a/run%2Ehta?x=1) >>",
					    NULL),
			==, EXEC);
	g_assert_cmphex(inspect_open_action("<< /S /GoTo /D [3 0 R /Fit] /Next << /S /URI "
					    "/URI (https://example.org/x.ps1) >> >>",
					    NULL),
			==, EXEC);
	g_assert_cmphex(inspect_open_action("<< /S /GoToR /F (\\\\\\\\192.0.2.1\\\\s\\\\a.pdf) "
					    "/D [0 /Fit] >>",
					    NULL),
			==, EXEC);
	g_assert_cmphex(inspect_open_action("<< /S /SubmitForm /F << /FS /URL /F "
					    "(https://example.org/collect) >> >>",
					    NULL),
			==, EXEC);
	/* Web pages, a host that ends like an extension, a local file, a
	 * link the user clicks: nothing runs by itself. */
	g_assert_cmphex(inspect_open_action("<< /S /URI /URI (https://example.org/page.html) >>",
					    NULL),
			==, 0);
	g_assert_cmphex(inspect_open_action("<< /S /URI /URI (https://example.com) >>", NULL), ==,
			0);
	g_assert_cmphex(inspect_open_action("<< /S /GoToR /F (annexe.pdf) /D [0 /Fit] >>", NULL),
			==, 0);
	g_assert_cmphex(inspect_objects(clicked, NULL), ==, 0);
}

static GString *hex_of_deflated(const char *text)
{
	g_autoptr(GConverter) compressor =
		G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9));
	guint8 packed[1024];
	gsize read = 0, written = 0;
	GString *hex = g_string_new(NULL);

	g_assert_cmpint(g_converter_convert(compressor, text, strlen(text), packed,
					    sizeof(packed), G_CONVERTER_INPUT_AT_END, &read,
					    &written, NULL),
			==, G_CONVERTER_FINISHED);
	for (gsize i = 0; i < written; i++)
		g_string_append_printf(hex, "%02x", packed[i]);
	g_string_append_c(hex, '>');
	return hex;
}

/* Object 4 (the opening action) lives in object stream 5, encoded
 * ASCIIHex over Flate; object 6 is the cross reference stream. */
static GString *object_stream_pdf(const char *action)
{
	g_autofree char *content = g_strdup_printf("4 0 %s", action);
	g_autoptr(GString) hex = hex_of_deflated(content);
	GString *out = g_string_new("%PDF-1.7\n");
	gsize offsets[7] = { 0 };
	const char *objects[] = { CATALOG(" /OpenAction 4 0 R"), PAGES, PAGE("") };
	guint8 rows[7 * 4];

	for (int i = 0; i < 3; i++) {
		offsets[i + 1] = out->len;
		g_string_append_printf(out, "%d 0 obj\n%s\nendobj\n", i + 1, objects[i]);
	}
	offsets[5] = out->len;
	g_string_append_printf(out,
			       "5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter [/ASCIIHexDecode "
			       "/FlateDecode] /Length %" G_GSIZE_FORMAT " >>\nstream\n%s\n"
			       "endstream\nendobj\n",
			       hex->len, hex->str);
	offsets[6] = out->len;
	for (int i = 0; i < 7; i++) {
		guint8 *row = rows + 4 * i;

		row[0] = i == 0 ? 0 : i == 4 ? 2 : 1;
		row[1] = (guint8)((i == 4 ? 5 : offsets[i]) >> 8);
		row[2] = (guint8)(i == 4 ? 5 : offsets[i]);
		row[3] = 0;
	}
	g_string_append_printf(out,
			       "6 0 obj\n<< /Type /XRef /Size 7 /W [1 2 1] /Root 1 0 R /Length %d "
			       ">>\nstream\n",
			       (int)sizeof(rows));
	g_string_append_len(out, (const char *)rows, sizeof(rows));
	g_string_append_printf(out, "\nendstream\nendobj\nstartxref\n%" G_GSIZE_FORMAT "\n%%%%EOF\n",
			       offsets[6]);
	return out;
}

static void test_inspect_pdf_object_streams(void)
{
	g_autoptr(GString) script = object_stream_pdf("<< /S /JavaScript /JS (x) >>");
	g_autoptr(GString) launch = object_stream_pdf("<< /S /Launch /F (x.exe) >>");
	g_autoptr(GString) view = object_stream_pdf("[3 0 R /Fit]");
	g_autoptr(GString) orphan = g_string_new("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n");
	g_autoptr(GString) hex = hex_of_deflated("6 0 << /S /JavaScript /JS (x) >>");

	g_assert_cmphex(inspect(script->str, script->len, NULL), ==, MACRO);
	g_assert_cmphex(inspect(launch->str, launch->len, NULL), ==, EXEC);
	g_assert_cmphex(inspect(view->str, view->len, NULL), ==, 0);
	/* An object stream nothing in the cross reference points at. */
	g_string_append_printf(orphan,
			       "<< /Type /ObjStm /N 1 /First 4 /Filter [/AHx /Fl] /Length %" G_GSIZE_FORMAT
			       " >>\nstream\n%s\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n",
			       hex->len, hex->str);
	g_assert_cmphex(inspect(orphan->str, orphan->len, NULL), ==, MACRO);
}

static al_reason_set inspect_xfa(const char *xml)
{
	g_autofree char *stream = g_strdup_printf("<< /Length %" G_GSIZE_FORMAT " >>\nstream\n%s\nendstream",
						  strlen(xml), xml);
	const char *const objects[] = { CATALOG(" /AcroForm << /Fields [] /XFA [(template) 4 0 R] >>"),
					PAGES, PAGE(""), stream, NULL };

	return inspect_objects(objects, NULL);
}

static void test_inspect_pdf_xfa(void)
{
	g_assert_cmphex(inspect_xfa("<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'><t:template "
				    "xmlns:t='http://www.xfa.org/schema/xfa-template/3.3/'><t:event>"
				    "<t:script>xfa.host.messageBox(1)</t:script></t:event>"
				    "</t:template></xdp:xdp>"),
			==, MACRO);
	g_assert_cmphex(inspect_xfa("<xdp><template><execute connection='c'/></template></xdp>"),
			==, MACRO);
	g_assert_cmphex(inspect_xfa("<xdp><template><field name='n'/></template></xdp>"), ==, 0);
	g_assert_cmphex(inspect_xfa("<xdp><template><field"), ==, UNSCAN);
}

/* A PDF with JavaScript encrypted by qpdf's writer (RC4 128, R3). */
static GByteArray *encrypted(const char *user_password)
{
	const char *const objects[] = { CATALOG(" /OpenAction 4 0 R"), PAGES, PAGE(""),
					"<< /S /JavaScript /JS (x) >>", NULL };
	g_autoptr(GString) plain = pdf_file(objects, NULL);
	qpdf_data pdf = qpdf_init();
	GByteArray *out = g_byte_array_new();

	qpdf_silence_errors(pdf);
	g_assert_cmpint(qpdf_read_memory(pdf, "test", plain->str, plain->len, NULL) & QPDF_ERRORS,
			==, 0);
	g_assert_cmpint(qpdf_init_write_memory(pdf) & QPDF_ERRORS, ==, 0);
	qpdf_set_static_ID(pdf, QPDF_TRUE);
	qpdf_set_r3_encryption_parameters_insecure(pdf, user_password, "owner", QPDF_TRUE,
						   QPDF_TRUE, QPDF_TRUE, QPDF_TRUE, QPDF_TRUE,
						   QPDF_TRUE, qpdf_r3p_full);
	g_assert_cmpint(qpdf_write(pdf) & QPDF_ERRORS, ==, 0);
	g_byte_array_append(out, qpdf_get_buffer(pdf), (guint)qpdf_get_buffer_length(pdf));
	qpdf_cleanup(&pdf);
	return out;
}

static void test_inspect_pdf_encrypted(void)
{
	g_autoptr(GByteArray) locked = encrypted("secret");
	g_autoptr(GByteArray) open = encrypted("");

	g_assert_cmphex(inspect(locked->data, locked->len, NULL), ==, ENCR);
	/* An empty user password opens: what it runs is seen. */
	g_assert_cmphex(inspect(open->data, open->len, NULL), ==, MACRO);
}

static void test_inspect_pdf_unopenable_and_limits(void)
{
	static const char broken[] = "%PDF-1.7\n<< /S /JavaScript /JS (x) >>\n%%EOF\n";
	static const char late[] = "junk line\n%PDF-1.7\nnothing here\n%%EOF\n";
	g_autoptr(GString) deep = g_string_new(NULL);
	g_autofree char *details = NULL;
	const char *objects[] = { CATALOG(" /Deep 4 0 R"), PAGES, PAGE(""), NULL, NULL };
	g_autoptr(GString) pdf = NULL;

	g_assert_cmphex(inspect(broken, sizeof(broken) - 1, &details), ==, UNSCAN);
	g_assert_nonnull(strstr(details, "qpdf"));
	/* Not a PDF by content (typeid's allow-list judges it). */
	g_assert_cmphex(inspect(late, sizeof(late) - 1, NULL), ==, 0);
	for (int i = 0; i < 40; i++)
		g_string_append(deep, "[");
	for (int i = 0; i < 40; i++)
		g_string_append(deep, "]");
	objects[3] = deep->str;
	pdf = pdf_file(objects, NULL);
	g_assert_cmphex(inspect(pdf->str, pdf->len, NULL), ==, LIMITS);
}

static void test_inspect_pdf_truncated(void)
{
	g_autoptr(GString) pdf = object_stream_pdf("<< /S /JavaScript /JS (x) >>");

	for (gsize len = 0; len < pdf->len; len += 7)
		inspect(pdf->str, len, NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/inspect_pdf/javascript", test_inspect_pdf_javascript);
	g_test_add_func("/inspect_pdf/files", test_inspect_pdf_files);
	g_test_add_func("/inspect_pdf/automatic_actions", test_inspect_pdf_automatic_actions);
	g_test_add_func("/inspect_pdf/object_streams", test_inspect_pdf_object_streams);
	g_test_add_func("/inspect_pdf/xfa", test_inspect_pdf_xfa);
	g_test_add_func("/inspect_pdf/encrypted", test_inspect_pdf_encrypted);
	g_test_add_func("/inspect_pdf/unopenable_and_limits", test_inspect_pdf_unopenable_and_limits);
	g_test_add_func("/inspect_pdf/truncated", test_inspect_pdf_truncated);
	return g_test_run();
}
