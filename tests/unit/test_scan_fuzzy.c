/*
 * test_scan_fuzzy.c - [scan] image_fuzzy_hash: libclamav's image fuzzy
 * hashes are computed when a loaded database has a fuzzy_img signature
 * (auto), always (yes) or never (no); the search for such signatures in
 * plain databases and in .cvd/.cld/.cud containers.
 */
#include "../../src/lib/scan_private.h"
#include "airlock/typeid.h"
#include "support/samples.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define SIGNATURES AL_SOURCE_DIR "/signatures"
#define FUZZY_RULE "Test.Fuzzy.Image;Engine:150-255,Target:0;0;fuzzy_img#" SAMPLE_PNG_FUZZY "#0\n"

static struct al_typeid *typeid;

static void write_file(const char *dir, const char *name, const void *data, gsize size)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, data, (gssize)size, &error));
	g_assert_no_error(error);
}

static void remove_tree(const char *dir)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	const char *name;

	g_assert_nonnull(listing);
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		g_assert_cmpint(g_unlink(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static struct al_scanner *scanner_for(const char *signatures, const char *database,
				      const char *mode)
{
	struct al_config config = {
		.signatures_dir = (char *)signatures,
		.clamav_database_dir = (char *)database,
		.scan_max_filesize_bytes = 25 * 1024 * 1024,
		.scan_max_scansize_bytes = 100 * 1024 * 1024,
		.scan_max_recursion = 16,
		.scan_max_files = 10000,
		.scan_max_seconds = 120,
		.scan_image_fuzzy_hash = (char *)mode,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	struct al_scanner *scanner = al_scanner_new(&config, typeid, &warnings, &error);

	g_assert_no_error(error);
	g_assert_nonnull(scanner);
	return scanner;
}

/* The signature names libclamav reports for the sample PNG. */
static char *scan_png(struct al_scanner *scanner)
{
	g_autoptr(GBytes) png = sample_png();
	struct al_item *item = al_item_new();
	g_autoptr(GError) error = NULL;
	char *names;

	item->part = g_strdup("2");
	item->filename = g_strdup("scan.png");
	item->content.fd = -1;
	item->content.size = g_bytes_get_size(png);
	item->content.bytes = g_bytes_ref(png);
	g_assert_cmpint(al_typeid_classify_item(typeid, item, &error), ==, 0);
	g_assert_cmpint(al_scanner_scan_item(scanner, item, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpstr(item->detected_type, ==, "image/png");
	g_ptr_array_add(item->virus_names, NULL);
	names = g_strjoinv(",", (char **)item->virus_names->pdata);
	g_ptr_array_remove_index(item->virus_names, item->virus_names->len - 1);
	al_item_free(&item);
	return names;
}

static void test_fuzzy_auto_is_off_without_fuzzy_signatures(void)
{
	struct al_scanner *scanner = scanner_for(SIGNATURES, NULL, "auto");
	g_autofree char *names = scan_png(scanner);

	g_assert_false(al_scanner_image_fuzzy_hash(scanner));
	g_assert_cmpstr(names, ==, "");
	al_scanner_unref(&scanner);
	/* A missing system database is not loaded, so not searched either. */
	scanner = scanner_for(SIGNATURES, "/nonexistent/airlock-db", "auto");
	g_assert_false(al_scanner_image_fuzzy_hash(scanner));
	al_scanner_unref(&scanner);
	/* Unset (a config built by hand) is auto. */
	scanner = scanner_for(SIGNATURES, NULL, NULL);
	g_assert_false(al_scanner_image_fuzzy_hash(scanner));
	al_scanner_unref(&scanner);
}

static void test_fuzzy_auto_is_on_with_a_fuzzy_signature(void)
{
	g_autofree char *dir = g_dir_make_tmp("airlock-fuzzy-XXXXXX", NULL);
	struct al_scanner *scanner;
	g_autofree char *names = NULL;

	write_file(dir, "images.ldb", FUZZY_RULE, strlen(FUZZY_RULE));
	scanner = scanner_for(dir, NULL, "auto");
	names = scan_png(scanner);
	g_assert_true(al_scanner_image_fuzzy_hash(scanner));
	g_assert_cmpstr(names, ==, "Test.Fuzzy.Image");
	al_scanner_unref(&scanner);
	remove_tree(dir);
}

/* "no" trades the fuzzy_img signatures for speed: they match nothing. */
static void test_fuzzy_no_and_yes_override_the_databases(void)
{
	g_autofree char *dir = g_dir_make_tmp("airlock-fuzzy-XXXXXX", NULL);
	struct al_scanner *off, *on;
	g_autofree char *names = NULL;

	write_file(dir, "images.ldb", FUZZY_RULE, strlen(FUZZY_RULE));
	off = scanner_for(dir, NULL, "no");
	names = scan_png(off);
	g_assert_false(al_scanner_image_fuzzy_hash(off));
	g_assert_cmpstr(names, ==, "");
	on = scanner_for(SIGNATURES, NULL, "yes");
	g_assert_true(al_scanner_image_fuzzy_hash(on));
	al_scanner_unref(&off);
	al_scanner_unref(&on);
	remove_tree(dir);
}

static GBytes *gzip(const char *text)
{
	g_autoptr(GZlibCompressor) deflate = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
	g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable();
	g_autoptr(GOutputStream) out = g_converter_output_stream_new(memory, G_CONVERTER(deflate));
	g_autoptr(GError) error = NULL;

	g_assert_true(g_output_stream_write_all(out, text, strlen(text), NULL, NULL, &error));
	g_assert_true(g_output_stream_close(out, NULL, &error));
	g_assert_no_error(error);
	return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(memory));
}

/* A container as freshclam keeps them: a 512-byte "ClamAV-VDB:" header,
 * then the archive, compressed or not. */
static void write_container(const char *dir, const char *name, const char *header,
			    const char *body, gboolean compressed)
{
	g_autoptr(GByteArray) file = g_byte_array_new();
	g_autoptr(GBytes) packed = compressed ? gzip(body) : g_bytes_new(body, strlen(body));
	guint8 block[512];

	memset(block, ' ', sizeof(block));
	memcpy(block, header, strlen(header));
	g_byte_array_append(file, block, sizeof(block));
	g_byte_array_append(file, g_bytes_get_data(packed, NULL), (guint)g_bytes_get_size(packed));
	write_file(dir, name, file->data, file->len);
}

static gboolean dir_with(void (*fill)(const char *dir))
{
	g_autofree char *dir = g_dir_make_tmp("airlock-fuzzy-XXXXXX", NULL);
	gboolean uses;

	fill(dir);
	uses = al_scan_dir_uses_fuzzy_img(dir);
	remove_tree(dir);
	return uses;
}

#define VDB "ClamAV-VDB:29 Nov 2026 08-00 +0000:27000:2000000:90:sig:builder:1764403200"

static void fill_clean(const char *dir)
{
	write_container(dir, "daily.cvd", VDB, "daily.ldb\nA;Engine:51-255,Target:1;0;4d5a\n", TRUE);
	write_container(dir, "bytecode.cld", VDB, "bytecode.info\n", FALSE);
	write_file(dir, "local.ndb", "Local.Test:0:*:4d5a\n", 20);
	/* Not a database libclamav loads: never read. */
	write_file(dir, "notes.txt", FUZZY_RULE, strlen(FUZZY_RULE));
}

static void fill_compressed(const char *dir)
{
	fill_clean(dir);
	write_container(dir, "main.cvd", VDB, "main.ldb\n" FUZZY_RULE, TRUE);
}

static void fill_bare_tar(const char *dir)
{
	fill_clean(dir);
	write_container(dir, "daily.cld", VDB, "daily.ldb\n" FUZZY_RULE, FALSE);
}

static void fill_unsigned(const char *dir)
{
	fill_clean(dir);
	write_container(dir, "extra.cud", VDB, "extra.ldb\n" FUZZY_RULE, TRUE);
}

static void fill_bad_header(const char *dir)
{
	fill_clean(dir);
	write_container(dir, "odd.cvd", "NOT-A-VDB", "odd.ldb\n", TRUE);
}

static void fill_truncated(const char *dir)
{
	fill_clean(dir);
	write_file(dir, "short.cvd", VDB, strlen(VDB));
}

/* The text straddles two 64 KiB reads. */
static void fill_straddling(const char *dir)
{
	gsize before = 64 * 1024 - 4;
	g_autofree char *text = g_malloc(before + sizeof(FUZZY_RULE));

	memset(text, '#', before);
	memcpy(text + before, FUZZY_RULE, sizeof(FUZZY_RULE));
	fill_clean(dir);
	write_file(dir, "big.ldb", text, before + strlen(FUZZY_RULE));
}

static void test_fuzzy_signatures_found_in_every_database_format(void)
{
	g_assert_false(dir_with(fill_clean));
	g_assert_true(dir_with(fill_compressed));
	g_assert_true(dir_with(fill_bare_tar));
	g_assert_true(dir_with(fill_unsigned));
	g_assert_true(dir_with(fill_straddling));
	/* What cannot be read is taken as using fuzzy hashes. */
	g_assert_true(dir_with(fill_bad_header));
	g_assert_true(dir_with(fill_truncated));
	g_assert_true(al_scan_dir_uses_fuzzy_img("/nonexistent/airlock-db"));
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(al_scan_global_init(&error), ==, 0);
	typeid = al_typeid_new(SIGNATURES "/filetypes.conf", &error);
	g_assert_no_error(error);
	g_test_add_func("/scan_fuzzy/auto_is_off_without_fuzzy_signatures",
			test_fuzzy_auto_is_off_without_fuzzy_signatures);
	g_test_add_func("/scan_fuzzy/auto_is_on_with_a_fuzzy_signature",
			test_fuzzy_auto_is_on_with_a_fuzzy_signature);
	g_test_add_func("/scan_fuzzy/no_and_yes_override_the_databases",
			test_fuzzy_no_and_yes_override_the_databases);
	g_test_add_func("/scan_fuzzy/signatures_found_in_every_database_format",
			test_fuzzy_signatures_found_in_every_database_format);
	rc = g_test_run();
	al_typeid_free(&typeid);
	return rc;
}
