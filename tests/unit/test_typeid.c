/*
 * test_typeid.c - the file type table, libmagic detection, name tricks and
 * contradictions between name, declared type and content.
 *
 * Samples (a minimal PE, an ELF header, a PNG, a PDF) are built here, byte
 * by byte, so anyone can see what they hold.
 */
#include "airlock/typeid.h"
#include "support/samples.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define TABLE AL_SOURCE_DIR "/signatures/filetypes.conf"

#define EXEC AL_REASON_BIT(AL_REASON_EXECUTABLE)
#define DISG AL_REASON_BIT(AL_REASON_DISGUISED)

static struct al_typeid *typeid;

/* ------------------------------------------------------------ samples */

/* An MS-DOS header alone, no PE behind it. */
static GBytes *sample_dos(void)
{
	guint8 *dos = g_malloc0(64);

	dos[0] = 'M';
	dos[1] = 'Z';
	return g_bytes_new_take(dos, 64);
}

static GBytes *sample_elf(void)
{
	guint8 *elf = g_malloc0(64);

	memcpy(elf,
	       "\x7f"
	       "ELF",
	       4);
	elf[4] = 2;		  /* 64-bit */
	elf[5] = 1;		  /* little endian */
	elf[6] = 1;		  /* version */
	put_le16(elf + 16, 2);	  /* ET_EXEC */
	put_le16(elf + 18, 0x3e); /* x86-64 */
	put_le32(elf + 20, 1);
	return g_bytes_new_take(elf, 64);
}

static GBytes *text_bytes(const char *text)
{
	return g_bytes_new_static(text, strlen(text));
}

static GBytes *sample_pdf(void)
{
	return text_bytes(
		"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n");
}

static struct al_item *item_with(GBytes *content, const char *filename, const char *declared)
{
	struct al_item *item = al_item_new();

	item->part = g_strdup("2");
	item->filename = g_strdup(filename);
	item->declared_type = g_strdup(declared);
	item->content.fd = -1;
	item->content.size = g_bytes_get_size(content);
	item->content.bytes = content;
	return item;
}

static gboolean details_contain(GPtrArray *details, const char *needle)
{
	for (guint i = 0; details != NULL && i < details->len; i++)
		if (strstr(details->pdata[i], needle) != NULL)
			return TRUE;
	return FALSE;
}

static char *reasons_text(al_reason_set reasons)
{
	GString *text = g_string_new(NULL);

	al_reason_set_append(text, reasons, ",");
	return g_string_free(text, FALSE);
}

static void assert_reasons(al_reason_set got, al_reason_set want, const char *what)
{
	g_autofree char *got_text = reasons_text(got);
	g_autofree char *want_text = reasons_text(want);

	if (got != want)
		g_error("%s: reasons [%s], expected [%s]", what, got_text, want_text);
}

/* --------------------------------------------------------------- table */

static void test_typeid_table_maps_types_names_and_clamav_types(void)
{
	static const struct {
		const char *mime;
		enum al_category category;
	} types[] = {
		{ "application/x-dosexec", AL_CAT_EXECUTABLE },
		{ "application/vnd.microsoft.portable-executable", AL_CAT_EXECUTABLE },
		{ "application/x-pie-executable", AL_CAT_EXECUTABLE },
		{ "application/x-mach-binary", AL_CAT_EXECUTABLE },
		{ "text/x-shellscript", AL_CAT_SCRIPT },
		{ "application/x-msi", AL_CAT_INSTALLER },
		{ "application/x-iso9660-image", AL_CAT_DISK_IMAGE },
		{ "application/x-ms-shortcut", AL_CAT_SHORTCUT },
		{ "application/msonenote", AL_CAT_ACTIVE_DOC },
		{ "application/vnd.ms-cab-compressed", AL_CAT_ARCHIVE },
		{ "application/pdf", AL_CAT_DOCUMENT },
		{ "image/png", AL_CAT_IMAGE },
		{ "image/x-anything-new", AL_CAT_IMAGE },
		{ "text/plain", AL_CAT_TEXT },
		{ "text/plain; charset=utf-8", AL_CAT_TEXT },
		{ "Text/HTML", AL_CAT_TEXT },
		{ "application/x-ole-storage", AL_CAT_CONTAINER },
		{ "application/octet-stream", AL_CAT_OTHER },
		{ NULL, AL_CAT_OTHER },
	};
	static const struct {
		const char *name;
		enum al_category category;
	} names[] = {
		{ "a.exe", AL_CAT_EXECUTABLE },	    { "A.EXE", AL_CAT_EXECUTABLE },
		{ "a.exe. . ", AL_CAT_EXECUTABLE }, { "run.js", AL_CAT_SCRIPT },
		{ "x.msix", AL_CAT_INSTALLER },	    { "disk.vhdx", AL_CAT_DISK_IMAGE },
		{ "go.url", AL_CAT_SHORTCUT },	    { "notes.one", AL_CAT_ACTIVE_DOC },
		{ "a.tar.gz", AL_CAT_ARCHIVE },	    { "scan.dcm", AL_CAT_DOCUMENT },
		{ "README", AL_CAT_OTHER },	    { "dir.exe/file", AL_CAT_OTHER },
		{ "c:\\x\\y.bat", AL_CAT_SCRIPT },  { NULL, AL_CAT_OTHER },
	};

	for (guint i = 0; i < G_N_ELEMENTS(types); i++)
		g_assert_cmpstr(al_category_name(al_typeid_category_of_type(typeid, types[i].mime)),
				==, al_category_name(types[i].category));
	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		g_assert_cmpstr(al_category_name(al_typeid_category_of_name(typeid, names[i].name)),
				==, al_category_name(names[i].category));
	g_assert_cmpint(al_typeid_category_of_clamav(typeid, "CL_TYPE_MSEXE"), ==,
			AL_CAT_EXECUTABLE);
	g_assert_cmpint(al_typeid_category_of_clamav(typeid, "CL_TYPE_ISO9660"), ==,
			AL_CAT_DISK_IMAGE);
	g_assert_cmpint(al_typeid_category_of_clamav(typeid, "CL_TYPE_ONENOTE"), ==,
			AL_CAT_ACTIVE_DOC);
	g_assert_cmpint(al_typeid_category_of_clamav(typeid, "CL_TYPE_MSCAB"), ==, AL_CAT_ARCHIVE);
	g_assert_cmpint(al_typeid_category_of_clamav(typeid, "CL_TYPE_MSOLE2"), ==, AL_CAT_CONTAINER);
	g_assert_true(al_category_is_dangerous(AL_CAT_SHORTCUT));
	g_assert_false(al_category_is_dangerous(AL_CAT_ARCHIVE));
	g_assert_cmpstr(al_category_name(AL_CAT_DISK_IMAGE), ==, "disk-image");
}

static void test_typeid_table_errors_name_file_and_line(void)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "# comment\nexecutable ext exe\nfoo ext bar\n", ":3: unknown category 'foo'" },
		{ "script magic x\n", ":1: unknown kind 'magic'" },
		{ "script ext js\n\nscript ext JS # again\n",
		  ":3: ext JS is already listed on line 1" },
		{ "script ext\n", ":1: expected CATEGORY KIND VALUE" },
		{ "script ext js vbs\n", ":1: expected CATEGORY KIND VALUE" },
		{ "script ext .js\n", "without dot" },
		{ "text mime plain\n", "needs a '/'" },
		{ "text clamav TEXT\n", "starts with CL_TYPE_" },
		{ "# nothing but comments\n\n", ": no rules" },
	};
	g_autofree char *dir = g_dir_make_tmp("airlock-typeid-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "filetypes.conf", NULL);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		struct al_typeid *bad;

		g_assert_true(g_file_set_contents(path, cases[i].text, -1, NULL));
		bad = al_typeid_new(path, &error);
		g_assert_null(bad);
		g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
		g_assert_nonnull(strstr(error->message, path));
		if (strstr(error->message, cases[i].message) == NULL)
			g_error("case %u: '%s' lacks '%s'", i, error->message, cases[i].message);
	}
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_null(al_typeid_new(path, NULL));
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* ---------------------------------------------------------------- names */

static void test_typeid_name_tricks_are_found(void)
{
	static const struct {
		const char *name;
		al_reason_set reasons;
		const char *detail;
	} cases[] = {
		{ "facture.pdf.exe", EXEC | DISG, "looks like a .pdf but is a .exe" },
		{ "FACTURE.PDF.EXE", EXEC | DISG, "looks like a .pdf but is a .exe" },
		{ "invoice\u202Efdp.exe", EXEC | DISG, "right-to-left override" },
		{ "invoice\u2067fdp.pdf", DISG, "right-to-left override" },
		{ "report\u200E.pdf", DISG, "bidirectional control U+200E" },
		{ "report\u200B.pdf", DISG, "invisible character U+200B" },
		{ "report\u00AD.pdf", DISG, "invisible character U+00AD" },
		{ "report\u3164.pdf", DISG, "invisible character U+3164" },
		{ "report\t.pdf", DISG, "control character U+0009" },
		{ "report.pdf       .exe", EXEC | DISG, "behind 7 spaces" },
		{ "photo.jpg      .scr", EXEC | DISG, "looks like a .jpg but is a .scr" },
		{ "invoice.pdf .exe", EXEC | DISG, "looks like a .pdf but is a .exe" },
		{ "invoice.pdf\u200B.exe", EXEC | DISG, "looks like a .pdf but is a .exe" },
		{ "data       .xyz", DISG, "behind 7 spaces" },
		{ "setup.exe", EXEC, "ends in .exe, a program" },
		{ "run.js", EXEC, "ends in .js, a script Windows runs when opened" },
		{ "setup.exe. .", EXEC, "ends in .exe" },
		{ "mount.iso", EXEC, "disk image" },
		{ "report.pdf", 0, NULL },
		{ "archive.tar.gz", 0, NULL },
		{ "tool.exe.zip", 0, NULL },
		{ "Q1 report   final.pdf", 0, NULL },
		{ "summary      .pdf", 0, NULL },
		{ "résumé.docx", 0, NULL },
		{ "no extension", 0, NULL },
		{ "", 0, NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);
		al_reason_set reasons = al_typeid_check_name(typeid, cases[i].name, details);

		assert_reasons(reasons, cases[i].reasons, cases[i].name);
		if (cases[i].detail != NULL && !details_contain(details, cases[i].detail))
			g_error("%s: no detail with '%s'", cases[i].name, cases[i].detail);
		if (cases[i].reasons == 0)
			g_assert_cmpuint(details->len, ==, 0);
	}
	g_assert_cmpuint(al_typeid_check_name(typeid, NULL, NULL), ==, 0);
	g_assert_cmpuint(al_typeid_check_name(typeid, "a.pdf.exe", NULL), ==, EXEC | DISG);
}

static void test_typeid_details_do_not_echo_bidi_controls(void)
{
	g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);

	al_typeid_check_name(typeid, "data     .x\u202Eyz", details);
	g_assert_true(details_contain(details, "<U+202E>"));
	for (guint i = 0; i < details->len; i++)
		g_assert_null(strstr(details->pdata[i], "\u202E"));
}

/* -------------------------------------------------------------- content */

static void test_typeid_detects_samples(void)
{
	struct {
		GBytes *bytes;
		const char *type;
	} cases[] = {
		{ sample_pe(), "application/vnd.microsoft.portable-executable" },
		{ sample_dos(), "application/x-dosexec" },
		{ sample_elf(), "application/x-executable" },
		{ sample_png(), "image/png" },
		{ sample_pdf(), "application/pdf" },
		{ text_bytes("#!/bin/sh\necho hello\n"), "text/x-shellscript" },
		{ text_bytes("Dear colleague,\nplease find the report.\n"), "text/plain" },
		{ text_bytes(""), "application/x-empty" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		gsize size;
		const void *data = g_bytes_get_data(cases[i].bytes, &size);
		g_autofree char *description = NULL;
		g_autofree char *type = al_typeid_detect(typeid, data, size, &description);

		g_assert_cmpstr(type, ==, cases[i].type);
		g_assert_nonnull(description);
		g_bytes_unref(cases[i].bytes);
	}
}

static void test_typeid_pe_named_pdf_is_executable_and_disguised(void)
{
	struct al_item *item = item_with(sample_pe(), "report.pdf", "application/pdf");

	g_assert_cmpint(al_typeid_classify_item(typeid, item, NULL), ==, 0);
	g_assert_cmpstr(item->detected_type, ==, "application/vnd.microsoft.portable-executable");
	g_assert_nonnull(strstr(item->detected_description, "PE32"));
	assert_reasons(item->reasons, EXEC | DISG, "PE as report.pdf");
	g_assert_true(details_contain(item->details, "content is a program"));
	g_assert_true(details_contain(item->details, "named .pdf but content is a program"));
	g_assert_true(details_contain(item->details, "declared as application/pdf but content"));
	al_item_free(&item);
	g_assert_null(item);
}

static void test_typeid_item_verdicts(void)
{
	struct {
		GBytes *content;
		const char *filename;
		const char *declared;
		gboolean is_body;
		al_reason_set reasons;
	} cases[] = {
		{ sample_pdf(), "report.pdf", "application/pdf", FALSE, 0 },
		{ sample_png(), "photo.png", "image/png", FALSE, 0 },
		{ sample_png(), "photo.jpg", "image/jpeg", FALSE, 0 },
		{ text_bytes("{\\rtf1\\ansi hello}\n"), "letter.doc", "application/msword", FALSE,
		  0 },
		{ sample_pe(), "tool.exe", "application/octet-stream", FALSE, EXEC },
		{ sample_pe(), NULL, "application/octet-stream", FALSE, EXEC },
		{ sample_elf(), "run", NULL, FALSE, EXEC },
		{ sample_elf(), "photo.png", NULL, FALSE, EXEC | DISG },
		{ sample_pdf(), "report.pdf.exe", "application/pdf", FALSE, EXEC | DISG },
		{ text_bytes("#!/bin/sh\nrm -rf /\n"), "notes.txt", "text/plain", FALSE,
		  EXEC | DISG },
		{ text_bytes("#!/bin/sh\nthis is only text\n"), NULL, "text/plain", TRUE, 0 },
		{ text_bytes(""), "empty.exe", "application/octet-stream", FALSE, EXEC },
		{ text_bytes(""), "empty.txt", "text/plain", FALSE, 0 },
		{ text_bytes("hello\n"), NULL, "application/x-msdownload", FALSE, EXEC },
		{ text_bytes("hello\n"), "a.txt", "application/x-msdownload", FALSE, 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct al_item *item =
			item_with(cases[i].content, cases[i].filename, cases[i].declared);
		g_autofree char *what = g_strdup_printf("case %u (%s)", i, cases[i].filename);

		item->is_body = cases[i].is_body;
		g_assert_cmpint(al_typeid_classify_item(typeid, item, NULL), ==, 0);
		g_assert_nonnull(item->detected_type);
		assert_reasons(item->reasons, cases[i].reasons, what);
		al_item_free(&item);
	}
}

static void test_typeid_empty_content_is_x_empty(void)
{
	struct al_item *item = al_item_new();

	item->filename = g_strdup("nothing.pdf");
	item->content.fd = -1;
	g_assert_cmpint(al_typeid_classify_item(typeid, item, NULL), ==, 0);
	g_assert_cmpstr(item->detected_type, ==, "application/x-empty");
	assert_reasons(item->reasons, 0, "empty pdf");
	al_item_free(&item);
}

/* The same PE, read from a file descriptor instead of memory. */
static void test_typeid_reads_file_backed_content(void)
{
	g_autoptr(GBytes) pe = sample_pe();
	g_autofree char *path = NULL;
	struct al_item *item = al_item_new();
	int fd = g_file_open_tmp("airlock-typeid-XXXXXX", &path, NULL);
	gsize size;
	const void *data = g_bytes_get_data(pe, &size);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, data, size), ==, (gssize)size);
	g_assert_cmpint(g_unlink(path), ==, 0);
	item->filename = g_strdup("invoice.pdf");
	item->content.fd = fd;
	item->content.size = size;
	g_assert_cmpint(al_typeid_classify_item(typeid, item, NULL), ==, 0);
	g_assert_cmpstr(item->detected_type, ==, "application/vnd.microsoft.portable-executable");
	assert_reasons(item->reasons, EXEC | DISG, "file-backed PE");
	al_item_free(&item);
}

/* ---------------------------------------------------------------- inner */

static void test_typeid_inner_files(void)
{
	g_autoptr(GBytes) pe = sample_pe();
	g_autoptr(GBytes) mz_letter = text_bytes("MZ Associates, annual report.\nDear all,\n");
	g_autoptr(GBytes) pdf = sample_pdf();
	struct {
		const char *name;
		const char *clamav_type;
		GBytes *head;
		al_reason_set reasons;
		const char *detail;
	} cases[] = {
		{ "b.exe", "CL_TYPE_MSEXE", pe, EXEC, "content is a program" },
		{ "a.pdf.exe", "CL_TYPE_MSEXE", pe, EXEC | DISG, "looks like a .pdf" },
		{ "b.pdf", "CL_TYPE_MSEXE", pe, EXEC | DISG, "named .pdf but content" },
		{ NULL, "CL_TYPE_MSEXE", pe, EXEC, "content is a program" },
		{ "letter.txt", "CL_TYPE_MSEXE", mz_letter, 0, NULL },
		{ "doc.pdf", "CL_TYPE_PDF", pdf, 0, NULL },
		{ "x", "CL_TYPE_ONENOTE", pdf, EXEC, "ClamAV type CL_TYPE_ONENOTE" },
		{ "unknown.bin", "CL_TYPE_ISO9660", NULL, EXEC, "a disk image" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct al_inner *inner = al_inner_new();
		gsize size = 0;
		const void *head = cases[i].head ? g_bytes_get_data(cases[i].head, &size) : NULL;

		inner->clamav_type = g_strdup(cases[i].clamav_type);
		inner->size = size > 0 ? size : 2048;
		al_typeid_classify_inner(typeid, inner, cases[i].name, head, size);
		assert_reasons(inner->reasons, cases[i].reasons,
			       cases[i].name ? cases[i].name : "(no name)");
		if (cases[i].detail != NULL)
			g_assert_nonnull(strstr(inner->detail, cases[i].detail));
		else
			g_assert_null(inner->detail);
		if (head != NULL)
			g_assert_nonnull(inner->detected_type);
		al_inner_free_ptr(inner);
	}
}

/* ClamAV's type of the whole item, when libmagic saw no program. */
static void test_typeid_item_clamav_type_adds_what_libmagic_missed(void)
{
	struct al_item *item = item_with(text_bytes("\x01\x02 opaque"), "scan.pdf", NULL);
	struct al_item *letter = item_with(text_bytes("MZ Associates\n"), "letter.txt", NULL);
	struct al_item *pe = item_with(sample_pe(), "prog.exe", NULL);
	guint pe_details;

	g_assert_cmpint(al_typeid_classify_item(typeid, item, NULL), ==, 0);
	assert_reasons(item->reasons, 0, "opaque bytes");
	al_typeid_classify_item_clamav(typeid, item, "CL_TYPE_ELF");
	assert_reasons(item->reasons, EXEC | DISG, "ELF by ClamAV");
	g_assert_true(details_contain(item->details, "named .pdf but content is a program"));

	g_assert_cmpint(al_typeid_classify_item(typeid, letter, NULL), ==, 0);
	al_typeid_classify_item_clamav(typeid, letter, "CL_TYPE_MSEXE");
	assert_reasons(letter->reasons, 0, "text starting with MZ");

	g_assert_cmpint(al_typeid_classify_item(typeid, pe, NULL), ==, 0);
	pe_details = pe->details->len;
	al_typeid_classify_item_clamav(typeid, pe, "CL_TYPE_MSEXE");
	g_assert_cmpuint(pe->details->len, ==, pe_details);
	al_item_free(&item);
	al_item_free(&letter);
	al_item_free(&pe);
}

/* Many threads share one al_typeid: the libmagic pool must hand each its
 * own cookie. */
static gpointer detect_many(gpointer data)
{
	(void)data;
	g_autoptr(GBytes) pe = sample_pe();
	g_autoptr(GBytes) png = sample_png();

	for (int i = 0; i < 200; i++) {
		GBytes *bytes = i % 2 ? pe : png;
		const char *want =
			i % 2 ? "application/vnd.microsoft.portable-executable" : "image/png";
		gsize size;
		const void *data_ptr = g_bytes_get_data(bytes, &size);
		g_autofree char *description = NULL;
		/* Every fourth call without a description: through the cache. */
		g_autofree char *type =
			al_typeid_detect(typeid, data_ptr, size, i % 4 < 2 ? NULL : &description);

		if (g_strcmp0(type, want) != 0)
			return GINT_TO_POINTER(1);
	}
	return NULL;
}

static void test_typeid_detection_is_thread_safe(void)
{
	GThread *threads[8];

	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("detect", detect_many, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_assert_null(g_thread_join(threads[i]));
}

/* libmagic's answers for small contents are remembered, keyed by the
 * whole content: a different content of the same length gets its own. */
static void test_typeid_small_contents_are_typed_once(void)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
				  "content-types\"><Default Extension=\"xml\"/></Types>\n";
	g_autofree char *script = g_strnfill(sizeof(xml) - 1, ' ');
	g_autofree char *large = g_strnfill(9000, 'a');
	guint64 hits0, misses0, hits, misses;
	g_autofree char *first = NULL, *again = NULL, *other = NULL, *big1 = NULL, *big2 = NULL;

	memcpy(script, "#!/bin/sh\nrm -rf /home\n", 24);
	al_typeid_cache_stats(typeid, &hits0, &misses0);
	first = al_typeid_detect(typeid, xml, sizeof(xml) - 1, NULL);
	again = al_typeid_detect(typeid, xml, sizeof(xml) - 1, NULL);
	al_typeid_cache_stats(typeid, &hits, &misses);
	g_assert_cmpstr(first, ==, "text/xml");
	g_assert_cmpstr(again, ==, "text/xml");
	g_assert_cmpuint(hits - hits0, ==, 1);
	g_assert_cmpuint(misses - misses0, ==, 1);

	other = al_typeid_detect(typeid, script, sizeof(xml) - 1, NULL);
	g_assert_cmpstr(other, ==, "text/x-shellscript");

	/* Larger contents are always given to libmagic. */
	al_typeid_cache_stats(typeid, &hits0, &misses0);
	big1 = al_typeid_detect(typeid, large, 9000, NULL);
	big2 = al_typeid_detect(typeid, large, 9000, NULL);
	al_typeid_cache_stats(typeid, &hits, &misses);
	g_assert_cmpstr(big1, ==, big2);
	g_assert_cmpuint(hits, ==, hits0);
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	typeid = al_typeid_new(TABLE, &error);
	g_assert_no_error(error);
	g_test_add_func("/typeid/table_maps_types_names_and_clamav_types",
			test_typeid_table_maps_types_names_and_clamav_types);
	g_test_add_func("/typeid/table_errors_name_file_and_line",
			test_typeid_table_errors_name_file_and_line);
	g_test_add_func("/typeid/name_tricks_are_found", test_typeid_name_tricks_are_found);
	g_test_add_func("/typeid/details_do_not_echo_bidi_controls",
			test_typeid_details_do_not_echo_bidi_controls);
	g_test_add_func("/typeid/detects_samples", test_typeid_detects_samples);
	g_test_add_func("/typeid/pe_named_pdf_is_executable_and_disguised",
			test_typeid_pe_named_pdf_is_executable_and_disguised);
	g_test_add_func("/typeid/item_verdicts", test_typeid_item_verdicts);
	g_test_add_func("/typeid/empty_content_is_x_empty", test_typeid_empty_content_is_x_empty);
	g_test_add_func("/typeid/reads_file_backed_content", test_typeid_reads_file_backed_content);
	g_test_add_func("/typeid/inner_files", test_typeid_inner_files);
	g_test_add_func("/typeid/item_clamav_type_adds_what_libmagic_missed",
			test_typeid_item_clamav_type_adds_what_libmagic_missed);
	g_test_add_func("/typeid/detection_is_thread_safe", test_typeid_detection_is_thread_safe);
	g_test_add_func("/typeid/small_contents_are_typed_once",
			test_typeid_small_contents_are_typed_once);
	rc = g_test_run();
	al_typeid_free(&typeid);
	return rc;
}
