/*
 * test_unpack.c - al_unpack_buffer() and al_unpack_needed() (unpack.h) on
 * archives written here: by libarchive's own writer (pax tar, zstd, an
 * encrypted ZIP) and byte by byte (a RAR 5 archive, as
 * tests/data/threats_archives.py writes it). Each case checks the members
 * given to the callback (names, bytes, flags) and the status.
 */
#include "airlock/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

/* RAR 5.0, one stored member "a.txt" holding "hello\n". */
static const char rar5_hex[] =
	"526172211a070100c51a33320301000038daf7b71602020606062000a82a6920303a3600"
	"0005612e74787468656c6c6f0a19b23a3503050000";

struct seen {
	GPtrArray *names; /* "name|name2" per member */
	GPtrArray *bytes; /* GBytes per member */
	guint cut, encrypted;
};

static int on_member(const struct al_unpack_member *member, void *user)
{
	struct seen *seen = user;

	g_ptr_array_add(seen->names, g_strjoinv("|", (char **)member->names));
	g_ptr_array_add(seen->bytes, g_bytes_new(member->data, member->size));
	seen->cut += member->cut;
	seen->encrypted += member->encrypted;
	return 0;
}

static void seen_init(struct seen *seen)
{
	*seen = (struct seen){
		.names = g_ptr_array_new_with_free_func(g_free),
		.bytes = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref),
	};
}

static void seen_clear(struct seen *seen)
{
	g_ptr_array_unref(seen->names);
	g_ptr_array_unref(seen->bytes);
}

static const struct al_unpack_limits roomy = {
	.max_member_bytes = 1 << 20,
	.max_total_bytes = 1 << 24,
	.max_members = 100,
	.max_ratio = 100,
	.min_ratio_bytes = 1 << 24,
};

static enum al_unpack_status unpack(GBytes *archive, const char *name,
				    const struct al_unpack_limits *limits, struct seen *seen,
				    char **sentence_r)
{
	gsize size;
	const guint8 *data = g_bytes_get_data(archive, &size);

	return al_unpack_buffer(data, size, name, limits, on_member, seen, NULL, sentence_r);
}

/* Writes members (name, content pairs, NULL-terminated) with libarchive. */
static GBytes *write_archive(int (*format)(struct archive *), int filter, const char *options,
			     const char *const *members)
{
	struct archive *a = archive_write_new();
	gsize capacity = 1 << 20, used = 0;
	guint8 *buffer = g_malloc(capacity);

	g_assert_cmpint(format(a), ==, ARCHIVE_OK);
	if (filter >= 0)
		g_assert_cmpint(archive_write_add_filter(a, filter), ==, ARCHIVE_OK);
	if (options != NULL) {
		g_assert_cmpint(archive_write_set_options(a, options), ==, ARCHIVE_OK);
		g_assert_cmpint(archive_write_set_passphrase(a, "secret"), ==, ARCHIVE_OK);
	}
	g_assert_cmpint(archive_write_open_memory(a, buffer, capacity, &used), ==, ARCHIVE_OK);
	for (guint i = 0; members[i] != NULL; i += 2) {
		struct archive_entry *entry = archive_entry_new();

		archive_entry_set_pathname(entry, members[i]);
		archive_entry_set_filetype(entry, AE_IFREG);
		archive_entry_set_perm(entry, 0644);
		archive_entry_set_size(entry, (la_int64_t)strlen(members[i + 1]));
		g_assert_cmpint(archive_write_header(a, entry), ==, ARCHIVE_OK);
		g_assert_cmpint(archive_write_data(a, members[i + 1], strlen(members[i + 1])), ==,
				(la_ssize_t)strlen(members[i + 1]));
		archive_entry_free(entry);
	}
	g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
	archive_write_free(a);
	return g_bytes_new_take(buffer, used);
}

static const char *needed(GBytes *archive)
{
	gsize size;
	const guint8 *data = g_bytes_get_data(archive, &size);

	return al_unpack_needed(data, size, NULL);
}

static GBytes *rar5(void)
{
	gsize length = strlen(rar5_hex) / 2;
	guint8 *data = g_malloc(length);

	for (gsize i = 0; i < length; i++)
		data[i] = (guint8)(g_ascii_xdigit_value(rar5_hex[2 * i]) << 4 |
				   g_ascii_xdigit_value(rar5_hex[2 * i + 1]));
	return g_bytes_new_take(data, length);
}

static void test_unpack_rar5_member_name_and_bytes(void)
{
	g_autoptr(GBytes) archive = rar5();
	g_autofree char *sentence = NULL;
	struct seen seen;

	seen_init(&seen);
	g_assert_cmpint(unpack(archive, "a.rar", &roomy, &seen, &sentence), ==, AL_UNPACK_OK);
	g_assert_cmpuint(seen.names->len, ==, 1);
	g_assert_cmpstr(seen.names->pdata[0], ==, "a.txt");
	g_assert_cmpuint(g_bytes_get_size(seen.bytes->pdata[0]), ==, 6);
	g_assert_cmpmem(g_bytes_get_data(seen.bytes->pdata[0], NULL), 6, "hello\n", 6);
	seen_clear(&seen);
}

static void test_unpack_truncated_rar_fails(void)
{
	g_autoptr(GBytes) archive = rar5();
	g_autoptr(GBytes) cut = g_bytes_new_from_bytes(archive, 0, g_bytes_get_size(archive) - 20);
	g_autofree char *sentence = NULL;
	struct seen seen;

	seen_init(&seen);
	g_assert_cmpint(unpack(cut, "a.rar", &roomy, &seen, &sentence), ==, AL_UNPACK_FAILED);
	g_assert_nonnull(sentence);
	seen_clear(&seen);
}

static void test_unpack_not_an_archive_fails(void)
{
	g_autoptr(GBytes) text = g_bytes_new_static("Dear doctor, see you Monday.\n", 29);
	g_autofree char *sentence = NULL;
	struct seen seen;

	seen_init(&seen);
	g_assert_cmpint(unpack(text, "note.txt", &roomy, &seen, &sentence), ==, AL_UNPACK_FAILED);
	g_assert_cmpuint(seen.names->len, ==, 0);
	seen_clear(&seen);
}

/* A few bytes asking liblzma for a 3.5 GiB dictionary (found by
 * fuzz_unpack): refused before libarchive is called, in a ZIP member
 * (method 14), a .lzma and an .xz; an ordinary xz (8 MiB) opens. */
static void test_unpack_huge_lzma_dictionary_is_limits(void)
{
	static const guint8 zip[] = {
		'P', 'K', 3, 4, 20, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0,
		0, 0, 1, 0, 1, 0, 0, 0, 'x', 9, 20, 5, 0, 0x5d, 0xff, 0xe9, 0xf2, 0xd1,
		0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const guint8 lzma[] = { 0x5d, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0, 0, 0, 0 };
	/* stream header, then a block header: size 2 (12 bytes), one filter,
	 * LZMA2 (0x21) with one property byte: 40 (4 GiB - 1) */
	static const guint8 xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 4, 0xe6, 0xd6, 0xb4, 0x46,
				     2, 0, 0x21, 1, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const struct { const guint8 *data; gsize size; const char *name; } cases[] = {
		{ zip, sizeof(zip), "a.zip" }, { lzma, sizeof(lzma), "a.lzma" },
		{ xz, sizeof(xz), "a.xz" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) archive = g_bytes_new_static(cases[i].data, cases[i].size);
		g_autofree char *sentence = NULL;
		struct seen seen;

		seen_init(&seen);
		g_test_message("%s", cases[i].name);
		g_assert_cmpint(unpack(archive, cases[i].name, &roomy, &seen, &sentence), ==,
				AL_UNPACK_LIMITS);
		g_assert_nonnull(strstr(sentence, "dictionary"));
		seen_clear(&seen);
	}
}

static void test_unpack_pax_path_and_ustar_name_both_given(void)
{
	g_autofree char *dirs = g_strjoinv("", (char *[]){ "dossier-patient-2025/", "dossier-patient-2025/",
		"dossier-patient-2025/", "dossier-patient-2025/", "dossier-patient-2025/",
		"dossier-patient-2025/", "dossier-patient-2025/", "dossier-patient-2025/",
		"dossier-patient-2025/", "dossier-patient-2025/", "dossier-patient-2025/",
		"dossier-patient-2025/", "dossier-patient-2025/", NULL });
	/* Past the 255 bytes of ustar's prefix and name: a PAX path header. */
	g_autofree char *longname = g_strconcat(dirs, "report.pdf.exe", NULL);
	const char *members[] = { longname, "MZ program", NULL };
	g_autoptr(GBytes) archive =
		write_archive(archive_write_set_format_pax_restricted, -1, NULL, members);
	g_autofree char *sentence = NULL;
	g_auto(GStrv) names = NULL;
	struct seen seen;

	seen_init(&seen);
	g_assert_nonnull(needed(archive));
	g_assert_cmpint(unpack(archive, "a.tar", &roomy, &seen, &sentence), ==, AL_UNPACK_OK);
	g_assert_cmpuint(seen.names->len, ==, 1);
	names = g_strsplit(seen.names->pdata[0], "|", -1);
	g_assert_cmpuint(g_strv_length(names), ==, 2);
	g_assert_cmpstr(names[0], ==, longname);
	g_assert_cmpstr(names[1], !=, longname);
	seen_clear(&seen);
}

static void test_unpack_zstd_stream_named_after_container(void)
{
	const char *members[] = { "data", "%PDF-1.4 report", NULL };
	g_autoptr(GBytes) archive = write_archive(archive_write_set_format_raw,
						  ARCHIVE_FILTER_ZSTD, NULL, members);
	g_autofree char *sentence = NULL;
	struct seen seen;

	seen_init(&seen);
	g_assert_cmpstr(needed(archive), ==,
			"Zstandard");
	g_assert_cmpint(unpack(archive, "mail/report.pdf.zst", &roomy, &seen, &sentence), ==,
			AL_UNPACK_OK);
	g_assert_cmpuint(seen.names->len, ==, 1);
	g_assert_cmpstr(seen.names->pdata[0], ==, "report.pdf");
	g_assert_cmpuint(g_bytes_get_size(seen.bytes->pdata[0]), ==, 15);
	seen_clear(&seen);
}

static void test_unpack_member_past_max_size_is_cut(void)
{
	const char *members[] = { "a.txt", "0123456789abcdef", NULL };
	g_autoptr(GBytes) archive =
		write_archive(archive_write_set_format_pax_restricted, -1, NULL, members);
	struct al_unpack_limits limits = roomy;
	g_autofree char *sentence = NULL;
	struct seen seen;

	limits.max_member_bytes = 10;
	seen_init(&seen);
	g_assert_cmpint(unpack(archive, "a.tar", &limits, &seen, &sentence), ==, AL_UNPACK_OK);
	g_assert_cmpuint(seen.cut, ==, 1);
	g_assert_cmpuint(g_bytes_get_size(seen.bytes->pdata[0]), ==, 10);
	seen_clear(&seen);
}

static void test_unpack_too_many_members_is_limits(void)
{
	const char *members[] = { "a.txt", "a", "b.txt", "b", "c.txt", "c", NULL };
	g_autoptr(GBytes) archive =
		write_archive(archive_write_set_format_pax_restricted, -1, NULL, members);
	struct al_unpack_limits limits = roomy;
	g_autofree char *sentence = NULL;
	struct seen seen;

	limits.max_members = 2;
	seen_init(&seen);
	g_assert_cmpint(unpack(archive, "a.tar", &limits, &seen, &sentence), ==, AL_UNPACK_LIMITS);
	g_assert_cmpuint(seen.names->len, ==, 2);
	g_assert_nonnull(strstr(sentence, "more than 2 files"));
	seen_clear(&seen);
}

static void test_unpack_ratio_and_total_are_limits(void)
{
	g_autofree char *zeros = g_strnfill(200000, '0');
	const char *members[] = { "zeros.txt", zeros, NULL };
	g_autoptr(GBytes) archive = write_archive(archive_write_set_format_raw,
						  ARCHIVE_FILTER_ZSTD, NULL, members);
	struct al_unpack_limits limits = roomy;
	g_autofree char *sentence = NULL, *sentence2 = NULL;
	struct seen seen;

	limits.min_ratio_bytes = 1000;
	seen_init(&seen);
	g_assert_cmpint(unpack(archive, "z.zst", &limits, &seen, &sentence), ==, AL_UNPACK_LIMITS);
	g_assert_nonnull(strstr(sentence, "compression bomb"));
	limits = roomy;
	limits.max_total_bytes = 5000;
	g_assert_cmpint(unpack(archive, "z.zst", &limits, &seen, &sentence2), ==, AL_UNPACK_LIMITS);
	g_assert_nonnull(strstr(sentence2, "scan size limit"));
	seen_clear(&seen);
}

static void test_unpack_encrypted_zip_member_flagged(void)
{
	const char *members[] = { "contract.pdf", "%PDF-1.4 contract", NULL };
	g_autoptr(GBytes) archive = write_archive(archive_write_set_format_zip, -1,
						  "zip:encryption=zipcrypt", members);
	g_autofree char *sentence = NULL;
	struct seen seen;

	seen_init(&seen);
	g_assert_cmpint(unpack(archive, "c.zip", &roomy, &seen, &sentence), ==, AL_UNPACK_OK);
	g_assert_cmpuint(seen.encrypted, ==, 1);
	g_assert_cmpuint(g_bytes_get_size(seen.bytes->pdata[0]), ==, 0);
	seen_clear(&seen);
}

static void test_unpack_needed_by_magic(void)
{
	g_autoptr(GBytes) archive = rar5();

	g_assert_cmpstr(needed(archive), ==, "RAR");
	g_assert_cmpstr(al_unpack_needed((const guint8 *)"!<arch>\nx", 9, NULL), ==, "ar");
	g_assert_null(al_unpack_needed((const guint8 *)"plain text, nothing more", 24, NULL));
	g_assert_cmpstr(al_unpack_archive_type("CL_TYPE_7Z"), ==, "7z");
	g_assert_null(al_unpack_archive_type("CL_TYPE_PDF"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/unpack/rar5_member_name_and_bytes", test_unpack_rar5_member_name_and_bytes);
	g_test_add_func("/unpack/truncated_rar_fails", test_unpack_truncated_rar_fails);
	g_test_add_func("/unpack/not_an_archive_fails", test_unpack_not_an_archive_fails);
	g_test_add_func("/unpack/huge_lzma_dictionary_is_limits",
			test_unpack_huge_lzma_dictionary_is_limits);
	g_test_add_func("/unpack/pax_path_and_ustar_name_both_given",
			test_unpack_pax_path_and_ustar_name_both_given);
	g_test_add_func("/unpack/zstd_stream_named_after_container",
			test_unpack_zstd_stream_named_after_container);
	g_test_add_func("/unpack/member_past_max_size_is_cut",
			test_unpack_member_past_max_size_is_cut);
	g_test_add_func("/unpack/too_many_members_is_limits", test_unpack_too_many_members_is_limits);
	g_test_add_func("/unpack/ratio_and_total_are_limits", test_unpack_ratio_and_total_are_limits);
	g_test_add_func("/unpack/encrypted_zip_member_flagged",
			test_unpack_encrypted_zip_member_flagged);
	g_test_add_func("/unpack/needed_by_magic", test_unpack_needed_by_magic);
	return g_test_run();
}
