/*
 * test_spool.c - the spool keeps small data in memory, moves large data
 * to an anonymous file, and never loses or changes a byte.
 */
#include "airlock/spool.h"

#include "airlock/common.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *spool_dir;

/* Deterministic non-text bytes: every value occurs. */
static guint8 *pattern(gsize len)
{
	guint8 *data = g_malloc(len);

	for (gsize i = 0; i < len; i++)
		data[i] = (guint8)(i * 31 + i / 256 + 7);
	return data;
}

/* Writes data in chunks of growing, irregular sizes. */
static void write_in_chunks(struct al_spool *spool, const guint8 *data, gsize len)
{
	gsize done = 0;
	gsize step = 1;

	while (done < len) {
		gsize n = MIN(step, len - done);
		g_autoptr(GError) error = NULL;

		g_assert_cmpint(al_spool_write(spool, data + done, n, &error), ==, 0);
		g_assert_no_error(error);
		done += n;
		step = step * 3 + 1;
	}
	g_assert_cmpuint(al_spool_size(spool), ==, len);
}

static GByteArray *read_all(const struct al_content *content)
{
	GByteArray *all = g_byte_array_new();
	guint8 buf[777];
	goffset offset = 0;
	gssize n;
	g_autoptr(GError) error = NULL;

	while ((n = al_content_pread(content, offset, buf, sizeof(buf), &error)) > 0) {
		g_byte_array_append(all, buf, (guint)n);
		offset += n;
	}
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 0);
	return all;
}

static GByteArray *read_stream(GMimeStream *stream)
{
	GByteArray *all = g_byte_array_new();
	char buf[1000];

	while (!g_mime_stream_eos(stream)) {
		ssize_t n = g_mime_stream_read(stream, buf, sizeof(buf));

		if (n < 0)
			break;
		g_byte_array_append(all, (const guint8 *)buf, (guint)n);
	}
	return all;
}

static guint count_dir_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint count = 0;

	g_assert_nonnull(d);
	while (g_dir_read_name(d) != NULL)
		count++;
	g_dir_close(d);
	return count;
}

static void spool_roundtrip(gsize len, gsize threshold, struct al_content *content_r)
{
	struct al_spool *spool = al_spool_new(spool_dir, threshold);
	g_autofree guint8 *data = pattern(len);
	g_autoptr(GError) error = NULL;

	write_in_chunks(spool, data, len);
	g_assert_cmpint(al_spool_finish(spool, content_r, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(al_spool_size(spool), ==, 0);
	al_spool_free(&spool);
	g_assert_null(spool);
	g_assert_cmpuint(content_r->size, ==, len);
}

static void assert_content_is_pattern(const struct al_content *content, gsize len)
{
	g_autofree guint8 *data = pattern(len);
	g_autoptr(GByteArray) all = read_all(content);
	GMimeStream *stream = al_content_stream(content);
	g_autoptr(GByteArray) streamed = read_stream(stream);

	g_assert_cmpmem(all->data, all->len, data, len);
	g_assert_cmpmem(streamed->data, streamed->len, data, len);
	g_object_unref(stream);
}

/* The store and the release check read the message stream to its end:
 * the last read must say "end" (0), never an error (-1). */
static void test_content_stream_of_a_file_ends_without_error(void)
{
	struct al_content content;
	GMimeStream *stream;
	char buf[4096];
	gssize n;
	gsize total = 0;

	spool_roundtrip(100000, 4096, &content);
	g_assert_cmpint(content.fd, >=, 0);
	stream = al_content_stream(&content);
	for (int pass = 0; pass < 2; pass++) {
		total = 0;
		g_assert_cmpint(g_mime_stream_reset(stream), ==, 0);
		while ((n = g_mime_stream_read(stream, buf, sizeof(buf))) > 0)
			total += (gsize)n;
		g_assert_cmpint(n, ==, 0);
		g_assert_cmpuint(total, ==, 100000);
		g_assert_true(g_mime_stream_eos(stream));
	}
	g_object_unref(stream);
	al_content_clear(&content);
}

/* A content's descriptor shares its offset with every dup() of it: a
 * reader that moved it must not shorten a stream made afterwards (files
 * past the mapping limit are streamed through a descriptor). */
static void test_content_stream_starts_at_zero_whatever_the_offset(void)
{
	const gsize len = 9u << 20; /* past al_content_stream()'s 8 MiB mapping */
	struct al_content content;
	g_autofree guint8 *data = pattern(len);
	g_autoptr(GByteArray) streamed = NULL;
	GMimeStream *stream;

	spool_roundtrip(len, 4096, &content);
	g_assert_cmpint(content.fd, >=, 0);
	g_assert_cmpint(lseek(content.fd, 0, SEEK_END), ==, (off_t)len);
	stream = al_content_stream(&content);
	streamed = read_stream(stream);
	g_assert_cmpmem(streamed->data, streamed->len, data, len);
	g_object_unref(stream);
	al_content_clear(&content);
}

static void test_spool_below_threshold_stays_in_memory(void)
{
	struct al_content content;

	spool_roundtrip(1000, 4096, &content);
	g_assert_nonnull(content.bytes);
	g_assert_cmpint(content.fd, ==, -1);
	assert_content_is_pattern(&content, 1000);
	al_content_clear(&content);
	g_assert_null(content.bytes);
	g_assert_cmpuint(content.size, ==, 0);
}

static void test_spool_exactly_at_threshold_stays_in_memory(void)
{
	struct al_content content;

	spool_roundtrip(4096, 4096, &content);
	g_assert_nonnull(content.bytes);
	al_content_clear(&content);
	spool_roundtrip(4097, 4096, &content);
	g_assert_null(content.bytes);
	g_assert_cmpint(content.fd, >, 2);
	al_content_clear(&content);
}

static void test_spool_above_threshold_moves_to_file_with_identical_bytes(void)
{
	struct al_content content;
	const gsize len = 3 * 1024 * 1024 + 17;

	spool_roundtrip(len, 64 * 1024, &content);
	g_assert_null(content.bytes);
	g_assert_cmpint(content.fd, >, 2);
	g_assert_cmpint(lseek(content.fd, 0, SEEK_CUR), ==, 0);
	/* al_content_pread() does not move the file offset. */
	g_autoptr(GByteArray) all = read_all(&content);
	g_assert_cmpuint(all->len, ==, len);
	g_assert_cmpint(lseek(content.fd, 0, SEEK_CUR), ==, 0);
	assert_content_is_pattern(&content, len);
	al_content_clear(&content);
	g_assert_cmpint(content.fd, ==, -1);
}

static void test_spool_file_is_not_visible_in_the_directory(void)
{
	struct al_content content;
	struct stat st;
	g_autoptr(GError) error = NULL;
	int fd;

	g_assert_cmpuint(count_dir_entries(spool_dir), ==, 0);
	spool_roundtrip(100000, 10, &content);
	g_assert_cmpint(content.fd, >, 2);
	g_assert_cmpuint(count_dir_entries(spool_dir), ==, 0);
	g_assert_cmpint(fstat(content.fd, &st), ==, 0);
	g_assert_cmpuint(st.st_nlink, ==, 0);
	g_assert_cmpuint(st.st_mode & 077, ==, 0);
	al_content_clear(&content);

	fd = al_spool_tmpfile(spool_dir, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fd, >, 2);
	g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, !=, 0);
	g_assert_cmpuint(count_dir_entries(spool_dir), ==, 0);
	close(fd);
}

static void test_spool_tmpfile_in_missing_directory_is_an_io_error(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *missing = g_build_filename(spool_dir, "missing", NULL);
	int fd = al_spool_tmpfile(missing, &error);

	g_assert_cmpint(fd, ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, missing));
	g_assert_nonnull(strstr(error->message, g_strerror(ENOENT)));
}

static void test_spool_failure_names_the_directory_and_is_final(void)
{
	g_autofree char *missing = g_build_filename(spool_dir, "missing", NULL);
	struct al_spool *spool = al_spool_new(missing, 8);
	struct al_content content;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) again = NULL;
	g_autoptr(GError) finish = NULL;

	g_assert_cmpint(al_spool_write(spool, "12345678", 8, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(al_spool_write(spool, "9", 1, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, missing));
	/* A spool that lost data never pretends to be complete. */
	g_assert_cmpint(al_spool_write(spool, "x", 1, &again), ==, -1);
	g_assert_error(again, AL_ERROR, AL_ERROR_IO);
	g_assert_cmpint(al_spool_finish(spool, &content, &finish), ==, -1);
	g_assert_error(finish, AL_ERROR, AL_ERROR_IO);
	g_assert_null(content.bytes);
	g_assert_cmpint(content.fd, ==, -1);
	al_spool_free(&spool);
}

static void test_content_pread_reads_ranges_and_stops_at_the_end(void)
{
	static const struct {
		gsize len;
		gsize threshold;
	} cases[] = { { 5000, 1 << 20 }, { 5000, 100 } };

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct al_content content;
		g_autofree guint8 *data = pattern(cases[i].len);
		guint8 buf[300];
		g_autoptr(GError) error = NULL;

		spool_roundtrip(cases[i].len, cases[i].threshold, &content);
		g_assert_cmpint(al_content_pread(&content, 1234, buf, 300, &error), ==, 300);
		g_assert_cmpmem(buf, 300, data + 1234, 300);
		g_assert_cmpint(al_content_pread(&content, 4900, buf, 300, &error), ==, 100);
		g_assert_cmpmem(buf, 100, data + 4900, 100);
		g_assert_cmpint(al_content_pread(&content, 5000, buf, 300, &error), ==, 0);
		g_assert_cmpint(al_content_pread(&content, 999999, buf, 300, &error), ==, 0);
		g_assert_no_error(error);
		al_content_clear(&content);
	}
}

static void test_content_empty_spool_gives_empty_bytes(void)
{
	struct al_spool *spool = al_spool_new(spool_dir, 0);
	struct al_content content;
	g_autoptr(GError) error = NULL;
	GMimeStream *stream;

	g_assert_cmpint(al_spool_finish(spool, &content, &error), ==, 0);
	g_assert_nonnull(content.bytes);
	g_assert_cmpuint(content.size, ==, 0);
	stream = al_content_stream(&content);
	g_assert_cmpint(g_mime_stream_length(stream), ==, 0);
	g_object_unref(stream);
	al_content_clear(&content);
	al_spool_free(&spool);
}

static void test_content_clear_is_safe_on_a_zeroed_struct(void)
{
	struct al_content content = { 0 };
	int flags_before = fcntl(0, F_GETFD);

	al_content_clear(&content);
	al_content_clear(&content);
	g_assert_cmpint(content.fd, ==, -1);
	g_assert_cmpint(fcntl(0, F_GETFD), ==, flags_before);
}

static void test_content_stream_outlives_the_content(void)
{
	struct al_content content;
	GMimeStream *stream;
	g_autoptr(GByteArray) streamed = NULL;
	g_autofree guint8 *data = pattern(20000);

	spool_roundtrip(20000, 1000, &content);
	stream = al_content_stream(&content);
	al_content_clear(&content);
	g_assert_cmpint(g_mime_stream_length(stream), ==, 20000);
	streamed = read_stream(stream);
	g_assert_cmpmem(streamed->data, streamed->len, data, 20000);
	g_object_unref(stream);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	spool_dir = g_dir_make_tmp("airlock-test-spool-XXXXXX", NULL);
	g_assert_nonnull(spool_dir);
	g_test_add_func("/spool/content_stream_of_a_file_ends_without_error",
			test_content_stream_of_a_file_ends_without_error);
	g_test_add_func("/spool/content_stream_starts_at_zero_whatever_the_offset",
			test_content_stream_starts_at_zero_whatever_the_offset);
	g_test_add_func("/spool/below_threshold_stays_in_memory",
			test_spool_below_threshold_stays_in_memory);
	g_test_add_func("/spool/exactly_at_threshold_stays_in_memory",
			test_spool_exactly_at_threshold_stays_in_memory);
	g_test_add_func("/spool/above_threshold_moves_to_file_with_identical_bytes",
			test_spool_above_threshold_moves_to_file_with_identical_bytes);
	g_test_add_func("/spool/file_is_not_visible_in_the_directory",
			test_spool_file_is_not_visible_in_the_directory);
	g_test_add_func("/spool/tmpfile_in_missing_directory_is_an_io_error",
			test_spool_tmpfile_in_missing_directory_is_an_io_error);
	g_test_add_func("/spool/failure_names_the_directory_and_is_final",
			test_spool_failure_names_the_directory_and_is_final);
	g_test_add_func("/spool/content_pread_reads_ranges_and_stops_at_the_end",
			test_content_pread_reads_ranges_and_stops_at_the_end);
	g_test_add_func("/spool/content_empty_spool_gives_empty_bytes",
			test_content_empty_spool_gives_empty_bytes);
	g_test_add_func("/spool/content_clear_is_safe_on_a_zeroed_struct",
			test_content_clear_is_safe_on_a_zeroed_struct);
	g_test_add_func("/spool/content_stream_outlives_the_content",
			test_content_stream_outlives_the_content);
	rc = g_test_run();
	g_rmdir(spool_dir);
	g_free(spool_dir);
	return rc;
}
