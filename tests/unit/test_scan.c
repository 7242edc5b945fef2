/*
 * test_scan.c - libclamav with Airlock's own signatures: signature hits in
 * memory, in files and inside archives, inner files and their paths,
 * heuristics mapped to reasons, engine loading errors.
 *
 * The EICAR test string is kept here only as hex and decoded at run time,
 * so no file in the repository trips a virus scanner. Archives are built
 * by the test: stored zips by hand (write_zip), compressed or encrypted
 * ones with the zip(1) program.
 */
#include "airlock/scan.h"
#include "support/samples.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define SIGNATURES AL_SOURCE_DIR "/signatures"
#define TESTFILES "/usr/share/clamav-testfiles"

#define VIRUS AL_REASON_BIT(AL_REASON_VIRUS)
#define EXEC AL_REASON_BIT(AL_REASON_EXECUTABLE)
#define DISG AL_REASON_BIT(AL_REASON_DISGUISED)
#define MACRO AL_REASON_BIT(AL_REASON_MACRO)
#define ENCR AL_REASON_BIT(AL_REASON_ENCRYPTED)
#define LIMITS AL_REASON_BIT(AL_REASON_LIMITS)

static const char eicar_hex[] =
	"58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e44"
	"4152442d414e544956495255532d544553542d46494c452124482b482a";

static struct al_typeid *typeid;
static struct al_scanner *scanner;

/* ------------------------------------------------------------ samples */

static GBytes *from_hex(const char *hex)
{
	gsize length = strlen(hex) / 2;
	guint8 *bytes = g_malloc(length);

	for (gsize i = 0; i < length; i++)
		bytes[i] = (guint8)(g_ascii_xdigit_value(hex[2 * i]) << 4 |
				    g_ascii_xdigit_value(hex[2 * i + 1]));
	return g_bytes_new_take(bytes, length);
}

static GBytes *eicar(void)
{
	GBytes *bytes = from_hex(eicar_hex);

	g_assert_cmpuint(g_bytes_get_size(bytes), ==, 68);
	return bytes;
}

static GBytes *text_bytes(const char *text)
{
	return g_bytes_new(text, strlen(text));
}

struct zip_entry {
	const char *name;
	GBytes *content;
};

/* A zip archive with stored (uncompressed) members. */
static GBytes *write_zip(const struct zip_entry *entries, guint count)
{
	GByteArray *zip = g_byte_array_new();
	GByteArray *central = g_byte_array_new();
	guint8 header[46];
	guint32 central_offset;

	for (guint i = 0; i < count; i++) {
		gsize size;
		const guint8 *data = g_bytes_get_data(entries[i].content, &size);
		guint16 name_length = (guint16)strlen(entries[i].name);
		guint32 crc = sample_crc32(data, size);
		guint32 offset = zip->len;

		memset(header, 0, sizeof(header));
		put_le32(header, 0x04034b50);
		put_le16(header + 4, 10);
		put_le32(header + 14, crc);
		put_le32(header + 18, (guint32)size);
		put_le32(header + 22, (guint32)size);
		put_le16(header + 26, name_length);
		g_byte_array_append(zip, header, 30);
		g_byte_array_append(zip, (const guint8 *)entries[i].name, name_length);
		g_byte_array_append(zip, data, (guint)size);

		memset(header, 0, sizeof(header));
		put_le32(header, 0x02014b50);
		put_le16(header + 4, 20);
		put_le16(header + 6, 10);
		put_le32(header + 16, crc);
		put_le32(header + 20, (guint32)size);
		put_le32(header + 24, (guint32)size);
		put_le16(header + 28, name_length);
		put_le32(header + 42, offset);
		g_byte_array_append(central, header, 46);
		g_byte_array_append(central, (const guint8 *)entries[i].name, name_length);
	}
	central_offset = zip->len;
	g_byte_array_append(zip, central->data, central->len);
	memset(header, 0, sizeof(header));
	put_le32(header, 0x06054b50);
	put_le16(header + 8, (guint16)count);
	put_le16(header + 10, (guint16)count);
	put_le32(header + 12, central->len);
	put_le32(header + 16, central_offset);
	g_byte_array_append(zip, header, 22);
	g_byte_array_unref(central);
	return g_byte_array_free_to_bytes(zip);
}

/* Runs zip(1) in a scratch directory holding member (with content);
 * extra_args go before the archive name. Returns the archive. */
static GBytes *run_zip(const char *member, GBytes *content, const char *const *extra_args)
{
	g_autofree char *dir = g_dir_make_tmp("airlock-scan-XXXXXX", NULL);
	g_autofree char *member_path = g_build_filename(dir, member, NULL);
	g_autofree char *zip_path = g_build_filename(dir, "out.zip", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *archive = NULL;
	gsize archive_size;
	int status;

	g_assert_nonnull(dir);
	g_assert_true(g_file_set_contents(member_path, g_bytes_get_data(content, NULL),
					  (gssize)g_bytes_get_size(content), NULL));
	g_ptr_array_add(argv, "zip");
	g_ptr_array_add(argv, "-q");
	for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)extra_args[i]);
	g_ptr_array_add(argv, "out.zip");
	g_ptr_array_add(argv, (gpointer)member);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(dir, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		     &status, &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_true(g_file_get_contents(zip_path, &archive, &archive_size, NULL));
	g_assert_cmpint(g_unlink(member_path), ==, 0);
	g_assert_cmpint(g_unlink(zip_path), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	return g_bytes_new_take(g_steal_pointer(&archive), archive_size);
}

static GBytes *testfile(const char *name)
{
	g_autofree char *path = g_build_filename(TESTFILES, name, NULL);
	g_autoptr(GError) error = NULL;
	char *data = NULL;
	gsize size;

	if (!g_file_get_contents(path, &data, &size, &error))
		g_error("%s: %s (install the clamav-testfiles package)", path, error->message);
	return g_bytes_new_take(data, size);
}

/* -------------------------------------------------------------- helpers */

static struct al_config test_config(const char *signatures_dir, const char *database_dir)
{
	return (struct al_config){
		.signatures_dir = (char *)signatures_dir,
		.clamav_database_dir = (char *)database_dir,
		.scan_max_filesize_bytes = 25 * 1024 * 1024,
		.scan_max_scansize_bytes = 100 * 1024 * 1024,
		.scan_max_recursion = 16,
		.scan_max_files = 10000,
		.scan_max_seconds = 120,
	};
}

static struct al_item *item_with(GBytes *content, const char *filename)
{
	struct al_item *item = al_item_new();

	item->part = g_strdup("2");
	item->filename = g_strdup(filename);
	item->content.fd = -1;
	item->content.size = g_bytes_get_size(content);
	item->content.bytes = content;
	return item;
}

/* Types the item, as the pipeline does, then scans it. */
static struct al_item *scan_with(struct al_scanner *with, GBytes *content, const char *filename)
{
	struct al_item *item = item_with(content, filename);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(al_typeid_classify_item(typeid, item, &error), ==, 0);
	g_assert_cmpint(al_scanner_scan_item(with, item, &error), ==, 0);
	g_assert_no_error(error);
	return item;
}

static struct al_item *scan(GBytes *content, const char *filename)
{
	return scan_with(scanner, content, filename);
}

static gboolean has_string(GPtrArray *strings, const char *needle, gboolean substring)
{
	for (guint i = 0; strings != NULL && i < strings->len; i++) {
		const char *s = strings->pdata[i];

		if (substring ? strstr(s, needle) != NULL : strcmp(s, needle) == 0)
			return TRUE;
	}
	return FALSE;
}

static const struct al_inner *find_inner(const struct al_item *item, const char *path)
{
	for (guint i = 0; item->inner != NULL && i < item->inner->len; i++) {
		const struct al_inner *inner = item->inner->pdata[i];

		if (strcmp(inner->path, path) == 0)
			return inner;
	}
	return NULL;
}

static void assert_reasons(al_reason_set got, al_reason_set want, const char *what)
{
	GString *got_text = g_string_new(NULL);
	GString *want_text = g_string_new(NULL);

	al_reason_set_append(got_text, got, ",");
	al_reason_set_append(want_text, want, ",");
	if (got != want)
		g_error("%s: reasons [%s], expected [%s]", what, got_text->str, want_text->str);
	g_string_free(got_text, TRUE);
	g_string_free(want_text, TRUE);
}

/* --------------------------------------------------------------- engine */

static void test_scan_missing_system_database_is_a_warning(void)
{
	struct al_config config = test_config(SIGNATURES, "/nonexistent/airlock-clamav-db");
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(GError) error = NULL;
	struct al_scanner *other = al_scanner_new(&config, typeid, &warnings, &error);

	g_assert_no_error(error);
	g_assert_nonnull(other);
	g_assert_cmpuint(al_scanner_signature_count(other), >=, 2);
	g_assert_nonnull(warnings);
	g_assert_cmpuint(warnings->len, ==, 1);
	g_assert_true(has_string(warnings, "/nonexistent/airlock-clamav-db", TRUE));
	al_scanner_unref(&other);
	g_assert_null(other);
}

static void test_scan_empty_system_database_is_a_warning(void)
{
	g_autofree char *empty = g_dir_make_tmp("airlock-db-XXXXXX", NULL);
	struct al_config config = test_config(SIGNATURES, empty);
	g_autoptr(GPtrArray) warnings = NULL;
	struct al_scanner *other = al_scanner_new(&config, typeid, &warnings, NULL);

	g_assert_nonnull(other);
	g_assert_true(has_string(warnings, "holds no database", TRUE));
	al_scanner_unref(&other);
	g_assert_cmpint(g_rmdir(empty), ==, 0);
}

static void test_scan_no_signature_at_all_is_an_error(void)
{
	g_autofree char *empty = g_dir_make_tmp("airlock-sigs-XXXXXX", NULL);
	struct al_config config = test_config(empty, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_null(al_scanner_new(&config, typeid, NULL, &error));
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, empty));
	g_assert_cmpint(g_rmdir(empty), ==, 0);
}

static void test_scan_broken_signature_file_is_named(void)
{
	g_autofree char *dir = g_dir_make_tmp("airlock-sigs-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "broken.ndb", NULL);
	struct al_config config = test_config(dir, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, "Broken.Rule:0:0:zz\n", -1, NULL));
	g_assert_null(al_scanner_new(&config, typeid, NULL, &error));
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "broken.ndb"));
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_scan_scanner_is_refcounted(void)
{
	struct al_scanner *extra = al_scanner_ref(scanner);
	struct al_item *item;

	g_assert_true(extra == scanner);
	al_scanner_unref(&extra);
	g_assert_null(extra);
	item = scan(eicar(), "eicar.txt");
	g_assert_true(item->reasons & VIRUS);
	al_item_free(&item);
}

/* ------------------------------------------------------------ detection */

static void test_scan_eicar_in_memory_is_virus(void)
{
	struct al_item *item = scan(eicar(), "eicar.txt");

	assert_reasons(item->reasons, VIRUS, "eicar");
	g_assert_cmpuint(item->virus_names->len, ==, 1);
	g_assert_cmpstr(item->virus_names->pdata[0], ==, "Airlock.Test.EICAR");
	g_assert_true(has_string(item->details, "signature Airlock.Test.EICAR matched", FALSE));
	g_assert_cmpuint(item->inner->len, ==, 0);
	al_item_free(&item);
}

/* Our rules name their reason: a shell link under a harmless name is
 * `executable` by Airlock.Executable.WindowsShortcut, not a virus. */
static void test_scan_airlock_rule_names_give_their_reason(void)
{
	struct al_item *item = scan(from_hex("4c0000000114020000000000c000000000000046"
					     "0000000000000000000000000000000000000000"),
				    "document.dat");

	g_assert_true((item->reasons & EXEC) != 0);
	g_assert_false((item->reasons & VIRUS) != 0);
	g_assert_cmpuint(item->virus_names->len, ==, 0);
	g_assert_true(has_string(item->details,
				 "Airlock rule Airlock.Executable.WindowsShortcut matched", TRUE));
	al_item_free(&item);
}

/* The content inspectors run on every item and on every inner file
 * libclamav reports: a DICOM with a program in its preamble inside a zip
 * is `polyglot` on the zip, with the inner path. */
static void test_scan_inspectors_see_inner_files(void)
{
	guint8 *dicom = g_malloc0(256);
	struct zip_entry entries[1];
	struct al_item *item;

	dicom[0] = 'M';
	dicom[1] = 'Z';
	put_le32(dicom + 0x3c, 0x40);
	memcpy(dicom + 0x40, "PE\0\0", 4);
	memcpy(dicom + 128, "DICM", 4);
	entries[0] = (struct zip_entry){ .name = "IM000002", .content = g_bytes_new_take(dicom, 256) };
	item = scan(write_zip(entries, 1), "series.zip");
	g_assert_true((item->reasons & AL_REASON_BIT(AL_REASON_POLYGLOT)) != 0);
	g_assert_true(has_string(item->details, "inside series.zip/IM000002: ", TRUE));
	g_assert_true(has_string(item->details, "CVE-2019-11687", TRUE));
	g_bytes_unref(entries[0].content);
	al_item_free(&item);
}

/* libclamav names zip members by their base name. */
static void test_scan_eicar_in_zip_names_the_inner_path(void)
{
	g_autoptr(GBytes) content = eicar();
	struct zip_entry entries[] = { { "docs/eicar.txt", content } };
	struct al_item *item = scan(write_zip(entries, 1), "x.zip");
	const struct al_inner *inner = find_inner(item, "x.zip/eicar.txt");

	assert_reasons(item->reasons, VIRUS, "zipped eicar");
	g_assert_true(has_string(item->virus_names, "Airlock.Test.EICAR", FALSE));
	g_assert_nonnull(inner);
	g_assert_cmpuint(inner->depth, ==, 1);
	g_assert_cmpuint(inner->size, ==, 68);
	g_assert_true(inner->reasons & VIRUS);
	g_assert_true(has_string(item->details, "(inside x.zip/eicar.txt)", TRUE));
	g_assert_cmpuint(item->details->len, ==, 1);
	al_item_free(&item);
}

static void test_scan_program_in_zip_is_executable(void)
{
	g_autoptr(GBytes) pe = sample_pe();
	g_autoptr(GBytes) text = text_bytes("just a note\n");
	struct zip_entry entries[] = { { "readme.txt", text }, { "prog.exe", pe } };
	struct al_item *item = scan(write_zip(entries, 2), "x.zip");
	const struct al_inner *inner = find_inner(item, "x.zip/prog.exe");
	const struct al_inner *note = find_inner(item, "x.zip/readme.txt");

	assert_reasons(item->reasons, EXEC, "zip with prog.exe");
	g_assert_cmpstr(item->detected_type, ==, "application/zip");
	g_assert_nonnull(inner);
	g_assert_cmpstr(inner->clamav_type, ==, "CL_TYPE_MSEXE");
	g_assert_cmpstr(inner->detected_type, ==, "application/vnd.microsoft.portable-executable");
	assert_reasons(inner->reasons, EXEC, "prog.exe");
	g_assert_nonnull(note);
	assert_reasons(note->reasons, 0, "readme.txt");
	g_assert_true(
		has_string(item->details, "inside x.zip/prog.exe: content is a program", TRUE));
	g_assert_cmpuint(item->virus_names->len, ==, 0);
	al_item_free(&item);
}

static void test_scan_disguised_program_in_nested_zip(void)
{
	g_autoptr(GBytes) pe = sample_pe();
	struct zip_entry inner_entries[] = { { "facture.pdf.exe", pe } };
	g_autoptr(GBytes) inner_zip = write_zip(inner_entries, 1);
	struct zip_entry outer_entries[] = { { "a.zip", inner_zip } };
	struct al_item *item = scan(write_zip(outer_entries, 1), "outer.zip");
	const struct al_inner *inner = find_inner(item, "outer.zip/a.zip/facture.pdf.exe");

	assert_reasons(item->reasons, EXEC | DISG, "nested disguised exe");
	g_assert_nonnull(find_inner(item, "outer.zip/a.zip"));
	g_assert_nonnull(inner);
	g_assert_cmpuint(inner->depth, ==, 2);
	assert_reasons(inner->reasons, EXEC | DISG, "facture.pdf.exe");
	g_assert_nonnull(strstr(inner->detail, "looks like a .pdf but is a .exe"));
	al_item_free(&item);
}

/* The hash signature on clam.exe must hit however the file is packed. */
static void test_scan_clamav_testfiles_hit_the_hash_signature(void)
{
	static const char *const files[] = {
		"clam.exe", "clam.zip", "clam.7z", "clam.cab", "clam.tar.gz", "clam.exe.bz2",
	};

	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		struct al_item *item = scan(testfile(files[i]), files[i]);

		if (!has_string(item->virus_names, "Airlock.Test.ClamTestfile", FALSE))
			g_error("%s: Airlock.Test.ClamTestfile did not match", files[i]);
		g_assert_true(item->reasons & VIRUS);
		g_assert_true(item->reasons & EXEC);
		al_item_free(&item);
	}
}

static void test_scan_unnamed_layers_show_as_question_marks(void)
{
	struct al_item *item = scan(testfile("clam.exe.bz2"), "clam.exe.bz2");

	g_assert_nonnull(find_inner(item, "clam.exe.bz2/?"));
	g_assert_true(has_string(item->details, "(inside clam.exe.bz2/?)", TRUE));
	al_item_free(&item);
}

/* Several unnamed layers of one PDF stay separate entries: only the PE
 * among them carries the findings. */
static void test_scan_unnamed_layers_are_not_merged(void)
{
	struct al_item *item = scan(testfile("clam.pdf"), "clam.pdf");
	guint unnamed = 0, flagged = 0;

	for (guint i = 0; i < item->inner->len; i++) {
		const struct al_inner *inner = item->inner->pdata[i];

		if (strcmp(inner->path, "clam.pdf/?") != 0)
			continue;
		unnamed++;
		if (inner->reasons != 0) {
			flagged++;
			g_assert_cmpstr(inner->clamav_type, ==, "CL_TYPE_MSEXE");
			assert_reasons(inner->reasons, VIRUS | EXEC, "PE in clam.pdf");
		}
	}
	g_assert_cmpuint(unnamed, >=, 2);
	g_assert_cmpuint(flagged, ==, 1);
	al_item_free(&item);
}

/* CHM names start with '/', mail layers get libclamav's temporary names:
 * neither leaks into the path. */
static void test_scan_container_names_are_cleaned(void)
{
	struct al_item *chm = scan(testfile("clam.chm"), "clam.chm");
	struct al_item *html = scan(testfile("clam.exe.html"), "clam.exe.html");
	const struct al_inner *inner = find_inner(chm, "clam.chm/clam.exe.txt");

	g_assert_nonnull(inner);
	assert_reasons(inner->reasons, VIRUS | EXEC | DISG, "clam.exe.txt in CHM");
	g_assert_nonnull(strstr(inner->detail, "named .txt but content is a program"));
	assert_reasons(chm->reasons, VIRUS | EXEC | DISG, "clam.chm");
	g_assert_nonnull(find_inner(html, "clam.exe.html/?/attachment"));
	for (guint i = 0; i < html->inner->len; i++) {
		const struct al_inner *layer = html->inner->pdata[i];

		g_assert_null(strstr(layer->path, "clamav-"));
	}
	al_item_free(&chm);
	al_item_free(&html);
}

static void test_scan_encrypted_zip_is_encrypted(void)
{
	static const char *const password[] = { "-P", "secret", NULL };
	g_autoptr(GBytes) content = text_bytes("quarterly figures\n");
	struct al_item *item = scan(run_zip("figures.txt", content, password), "figures.zip");

	assert_reasons(item->reasons, ENCR, "encrypted zip");
	g_assert_cmpuint(item->virus_names->len, ==, 0);
	g_assert_true(has_string(item->details, "Heuristics.Encrypted.Zip", TRUE));
	al_item_free(&item);
}

static void test_scan_clean_text_has_no_findings(void)
{
	struct al_item *item =
		scan(text_bytes("Dear colleague,\nthe minutes are below.\n"), "minutes.txt");

	assert_reasons(item->reasons, 0, "clean text");
	g_assert_cmpuint(item->virus_names->len, ==, 0);
	g_assert_cmpuint(item->inner->len, ==, 0);
	g_assert_cmpuint(item->details->len, ==, 0);
	al_item_free(&item);
}

/* libclamav types anything starting with "MZ" as a program; libmagic
 * knows better, and the broken-executable heuristic stays off. */
static void test_scan_text_starting_with_mz_is_clean(void)
{
	struct al_item *item =
		scan(text_bytes("MZ Associates - minutes of the board meeting\n"), "minutes.txt");

	assert_reasons(item->reasons, 0, "MZ letter");
	al_item_free(&item);
}

static void test_scan_empty_item_is_clean(void)
{
	struct al_item *item = scan(g_bytes_new(NULL, 0), "empty.txt");

	assert_reasons(item->reasons, 0, "empty");
	al_item_free(&item);
}

static void test_scan_file_backed_content(void)
{
	g_autoptr(GBytes) content = eicar();
	struct zip_entry entries[] = { { "eicar.txt", content } };
	g_autoptr(GBytes) zip = write_zip(entries, 1);
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	struct al_item *item = al_item_new();
	int fd = g_file_open_tmp("airlock-scan-XXXXXX", &path, NULL);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, g_bytes_get_data(zip, NULL), g_bytes_get_size(zip)), ==,
			(gssize)g_bytes_get_size(zip));
	g_assert_cmpint(g_unlink(path), ==, 0);
	item->part = g_strdup("3");
	item->filename = g_strdup("f.zip");
	item->content.fd = fd;
	item->content.size = g_bytes_get_size(zip);
	g_assert_cmpint(al_typeid_classify_item(typeid, item, &error), ==, 0);
	g_assert_cmpint(al_scanner_scan_item(scanner, item, &error), ==, 0);
	g_assert_no_error(error);
	assert_reasons(item->reasons, VIRUS, "file-backed zip");
	g_assert_nonnull(find_inner(item, "f.zip/eicar.txt"));
	al_item_free(&item);
}

/* Layers libclamav extracts go to the spool directory, and are gone once
 * the scan is over. */
static void test_scan_extracted_layers_stay_in_spool_dir(void)
{
	g_autofree char *spool = g_dir_make_tmp("airlock-spool-XXXXXX", NULL);
	struct al_config config = test_config(SIGNATURES, NULL);
	g_autoptr(GBytes) pe = sample_pe();
	struct zip_entry entries[] = { { "prog.exe", pe } };
	struct al_scanner *spooling;
	struct al_item *item;
	GDir *dir;

	config.spool_dir = spool;
	spooling = al_scanner_new(&config, typeid, NULL, NULL);
	g_assert_nonnull(spooling);
	item = scan_with(spooling, write_zip(entries, 1), "x.zip");
	g_assert_nonnull(find_inner(item, "x.zip/prog.exe"));
	dir = g_dir_open(spool, 0, NULL);
	g_assert_nonnull(dir);
	g_assert_null(g_dir_read_name(dir));
	g_dir_close(dir);
	al_item_free(&item);
	al_scanner_unref(&spooling);
	g_assert_cmpint(g_rmdir(spool), ==, 0);
}

/* The clean-file cache is off: a second scan still sees the inner file. */
static void test_scan_same_zip_twice_reports_inner_program(void)
{
	g_autoptr(GBytes) pe = sample_pe();
	struct zip_entry entries[] = { { "prog.exe", pe } };
	g_autoptr(GBytes) zip = write_zip(entries, 1);

	for (int round = 0; round < 2; round++) {
		struct al_item *item = scan(g_bytes_ref(zip), "x.zip");

		g_assert_nonnull(find_inner(item, "x.zip/prog.exe"));
		g_assert_true(item->reasons & EXEC);
		al_item_free(&item);
	}
}

/* --------------------------------------------------------------- limits */

/* libclamav inflates a member only up to the max file size and scans that
 * much silently: what lies beyond must not pass as scanned. */
static void test_scan_member_cut_at_max_filesize_is_limits(void)
{
	struct al_config config = test_config(SIGNATURES, NULL);
	GByteArray *big = g_byte_array_sized_new(3 * 1024 * 1024 + 68);
	g_autoptr(GBytes) tail = eicar();
	g_autoptr(GBytes) content = NULL;
	struct al_scanner *small;
	struct al_item *item;

	g_byte_array_set_size(big, 3 * 1024 * 1024);
	memset(big->data, ' ', big->len);
	g_byte_array_append(big, g_bytes_get_data(tail, NULL), 68);
	content = g_byte_array_free_to_bytes(big);
	config.scan_max_filesize_bytes = 1024 * 1024;
	small = al_scanner_new(&config, typeid, NULL, NULL);
	g_assert_nonnull(small);
	item = scan_with(small, run_zip("padded.txt", content, NULL), "padded.zip");
	g_assert_true(item->reasons & LIMITS);
	g_assert_true(has_string(item->details,
				 "inside padded.zip/padded.txt: reaches the scan "
				 "limit of 1048576 bytes",
				 TRUE));
	al_item_free(&item);
	al_scanner_unref(&small);
}

static void test_scan_too_many_files_is_limits(void)
{
	struct al_config config = test_config(SIGNATURES, NULL);
	g_autoptr(GBytes) a = text_bytes("file a\n");
	g_autoptr(GBytes) b = text_bytes("file b\n");
	g_autoptr(GBytes) c = text_bytes("file c\n");
	struct zip_entry entries[] = { { "a.txt", a }, { "b.txt", b }, { "c.txt", c } };
	struct al_scanner *small;
	struct al_item *item;

	config.scan_max_files = 1;
	small = al_scanner_new(&config, typeid, NULL, NULL);
	g_assert_nonnull(small);
	item = scan_with(small, write_zip(entries, 3), "three.zip");
	g_assert_true(item->reasons & LIMITS);
	g_assert_true(has_string(item->details, "Heuristics.Limits.Exceeded.MaxFiles", TRUE));
	al_item_free(&item);
	al_scanner_unref(&small);
}

/* A zip with many members cannot grow the item without bound: 1000 inner
 * entries and 20 details quoting them are kept, the rest is counted. */
static void test_scan_inner_list_is_capped(void)
{
	const guint members = 1010, programs = 25;
	g_autoptr(GBytes) pe = sample_pe();
	g_autoptr(GBytes) note = text_bytes("a short note\n");
	struct zip_entry *entries = g_new0(struct zip_entry, members);
	char **names = g_new0(char *, members + 1);
	struct al_item *item;

	for (guint i = 0; i < members; i++) {
		names[i] = g_strdup_printf(i < programs ? "p%u.exe" : "n%u.txt", i);
		entries[i] =
			(struct zip_entry){ .name = names[i], .content = i < programs ? pe : note };
	}
	item = scan(write_zip(entries, members), "many.zip");
	g_assert_cmpuint(item->inner->len, ==, 1000);
	g_assert_true(item->reasons & EXEC);
	g_assert_true(has_string(item->details,
				 "10 more embedded files were scanned but not listed", FALSE));
	g_assert_true(has_string(item->details, "5 more embedded files were flagged", FALSE));
	g_assert_true(has_string(item->details, "inside many.zip/p0.exe:", TRUE));
	al_item_free(&item);
	g_strfreev(names);
	g_free(entries);
}

/* Our mapping of signature names, driven through the real engine with
 * rules named like ClamAV's heuristics. */
static void test_scan_signature_names_map_to_reasons(void)
{
	static const struct {
		const char *name;
		const char *marker;
		al_reason_set reasons;
		gboolean listed_as_virus;
	} rules[] = {
		{ "Heuristics.OLE2.ContainsMacros", "AIRLOCK-TEST-MACRO", MACRO, FALSE },
		{ "Heuristics.Encrypted.Test", "AIRLOCK-TEST-ENCRYPTED", ENCR, FALSE },
		{ "Heuristics.Limits.Exceeded.Test", "AIRLOCK-TEST-LIMITS", LIMITS, FALSE },
		{ "Heuristics.Zip.OverlappingFiles", "AIRLOCK-TEST-OVERLAP", LIMITS, FALSE },
		{ "Heuristics.Broken.Executable", "AIRLOCK-TEST-BROKEN", EXEC, FALSE },
		{ "Doc.Dropper.Macros-1", "AIRLOCK-TEST-DROPPER", VIRUS | MACRO, TRUE },
		{ "Heuristics.Phishing.Test", "AIRLOCK-TEST-PHISHING", VIRUS, TRUE },
	};
	g_autofree char *dir = g_dir_make_tmp("airlock-sigs-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "mapping.ndb", NULL);
	struct al_config config = test_config(dir, NULL);
	GString *ndb = g_string_new(NULL);
	struct al_scanner *mapping;

	for (guint i = 0; i < G_N_ELEMENTS(rules); i++) {
		g_string_append_printf(ndb, "%s:0:*:", rules[i].name);
		for (const char *p = rules[i].marker; *p != '\0'; p++)
			g_string_append_printf(ndb, "%02x", (guint8)*p);
		g_string_append_c(ndb, '\n');
	}
	g_assert_true(g_file_set_contents(path, ndb->str, -1, NULL));
	g_string_free(ndb, TRUE);
	mapping = al_scanner_new(&config, typeid, NULL, NULL);
	g_assert_nonnull(mapping);
	for (guint i = 0; i < G_N_ELEMENTS(rules); i++) {
		g_autofree char *text = g_strdup_printf("line one\n%s\n", rules[i].marker);
		struct al_item *item = scan_with(mapping, g_bytes_new(text, strlen(text)), "t.txt");

		assert_reasons(item->reasons, rules[i].reasons, rules[i].name);
		g_assert_cmpint(has_string(item->virus_names, rules[i].name, FALSE), ==,
				rules[i].listed_as_virus);
		g_assert_true(has_string(item->details, rules[i].name, TRUE));
		al_item_free(&item);
	}
	al_scanner_unref(&mapping);
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* One engine, many threads, each with its own results. */
static gpointer scan_many(gpointer data)
{
	g_autoptr(GBytes) pe = sample_pe();
	struct zip_entry entries[] = { { "prog.exe", pe } };
	g_autoptr(GBytes) zip = write_zip(entries, 1);

	(void)data;
	for (int i = 0; i < 20; i++) {
		gboolean virus_round = i % 2 == 0;
		struct al_item *item = item_with(virus_round ? eicar() : g_bytes_ref(zip), "x");
		gboolean ok = al_scanner_scan_item(scanner, item, NULL) == 0;

		if (virus_round)
			ok = ok && item->reasons == VIRUS && item->inner->len == 0;
		else
			ok = ok && item->reasons == EXEC && find_inner(item, "x/prog.exe") != NULL;
		al_item_free(&item);
		if (!ok)
			return GINT_TO_POINTER(1);
	}
	return NULL;
}

static void test_scan_concurrent_scans_keep_their_results(void)
{
	GThread *threads[6];

	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("scan", scan_many, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_assert_null(g_thread_join(threads[i]));
}

int main(int argc, char **argv)
{
	struct al_config config = test_config(SIGNATURES, NULL);
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(al_scan_global_init(&error), ==, 0);
	typeid = al_typeid_new(SIGNATURES "/filetypes.conf", &error);
	g_assert_no_error(error);
	scanner = al_scanner_new(&config, typeid, NULL, &error);
	g_assert_no_error(error);

	g_test_add_func("/scan/missing_system_database_is_a_warning",
			test_scan_missing_system_database_is_a_warning);
	g_test_add_func("/scan/empty_system_database_is_a_warning",
			test_scan_empty_system_database_is_a_warning);
	g_test_add_func("/scan/no_signature_at_all_is_an_error",
			test_scan_no_signature_at_all_is_an_error);
	g_test_add_func("/scan/broken_signature_file_is_named",
			test_scan_broken_signature_file_is_named);
	g_test_add_func("/scan/scanner_is_refcounted", test_scan_scanner_is_refcounted);
	g_test_add_func("/scan/eicar_in_memory_is_virus", test_scan_eicar_in_memory_is_virus);
	g_test_add_func("/scan/airlock_rule_names_give_their_reason",
			test_scan_airlock_rule_names_give_their_reason);
	g_test_add_func("/scan/inspectors_see_inner_files", test_scan_inspectors_see_inner_files);
	g_test_add_func("/scan/eicar_in_zip_names_the_inner_path",
			test_scan_eicar_in_zip_names_the_inner_path);
	g_test_add_func("/scan/program_in_zip_is_executable",
			test_scan_program_in_zip_is_executable);
	g_test_add_func("/scan/disguised_program_in_nested_zip",
			test_scan_disguised_program_in_nested_zip);
	g_test_add_func("/scan/clamav_testfiles_hit_the_hash_signature",
			test_scan_clamav_testfiles_hit_the_hash_signature);
	g_test_add_func("/scan/unnamed_layers_show_as_question_marks",
			test_scan_unnamed_layers_show_as_question_marks);
	g_test_add_func("/scan/unnamed_layers_are_not_merged",
			test_scan_unnamed_layers_are_not_merged);
	g_test_add_func("/scan/container_names_are_cleaned", test_scan_container_names_are_cleaned);
	g_test_add_func("/scan/encrypted_zip_is_encrypted", test_scan_encrypted_zip_is_encrypted);
	g_test_add_func("/scan/clean_text_has_no_findings", test_scan_clean_text_has_no_findings);
	g_test_add_func("/scan/text_starting_with_mz_is_clean",
			test_scan_text_starting_with_mz_is_clean);
	g_test_add_func("/scan/empty_item_is_clean", test_scan_empty_item_is_clean);
	g_test_add_func("/scan/file_backed_content", test_scan_file_backed_content);
	g_test_add_func("/scan/extracted_layers_stay_in_spool_dir",
			test_scan_extracted_layers_stay_in_spool_dir);
	g_test_add_func("/scan/same_zip_twice_reports_inner_program",
			test_scan_same_zip_twice_reports_inner_program);
	g_test_add_func("/scan/member_cut_at_max_filesize_is_limits",
			test_scan_member_cut_at_max_filesize_is_limits);
	g_test_add_func("/scan/too_many_files_is_limits", test_scan_too_many_files_is_limits);
	g_test_add_func("/scan/inner_list_is_capped", test_scan_inner_list_is_capped);
	g_test_add_func("/scan/signature_names_map_to_reasons",
			test_scan_signature_names_map_to_reasons);
	g_test_add_func("/scan/concurrent_scans_keep_their_results",
			test_scan_concurrent_scans_keep_their_results);
	rc = g_test_run();
	al_scanner_unref(&scanner);
	al_typeid_free(&typeid);
	return rc;
}
