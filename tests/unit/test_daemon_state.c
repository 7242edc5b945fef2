/*
 * test_daemon_state.c - the daemon's state file (round trip, atomic
 * replacement, corrupt files refused), the hourly ring (the last 24 hours
 * only, slots reused), and what al_clamav_database_info() finds in a
 * ClamAV database directory (.cvd/.cld headers, plain .hdb files, a
 * missing or empty directory).
 */
#include "airlock/daemon_state.h"

#include "airlock/common.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#define HOUR 3600

static char *make_temp_dir(void)
{
	GError *error = NULL;
	char *dir = g_dir_make_tmp("airlock-state-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void remove_dir(char *dir)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	const char *name;

	while (listing != NULL && (name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		g_assert_cmpint(g_unlink(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
	g_free(dir);
}

static guint count_files(const char *dir)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	guint n = 0;

	while (listing != NULL && g_dir_read_name(listing) != NULL)
		n++;
	return n;
}

static void write_file(const char *dir, const char *name, const char *data, gssize length)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	GError *error = NULL;

	g_assert_true(g_file_set_contents(path, data, length, &error));
	g_assert_no_error(error);
}

static void fill_state(struct al_daemon_state *s, gint64 now)
{
	*s = (struct al_daemon_state){
	    .pid = 4242,
	    .version = g_strdup("0.1.0"),
	    .started_at = now - 600,
	    .written_at = now,
	    .socket = g_strdup("unix:/run/airlock/airlock.sock"),
	    .generation = 3,
	    .signatures = 8712345,
	    .engine_loaded_at = now - 60,
	    .clamav_loaded = TRUE,
	    .clamav_built_at = now - 7200,
	    .clamav_version = 27412,
	    .database_checked_at = now - 30,
	    .last_reload = {.at = now - 60,
			    .ok = FALSE,
			    .trigger = g_strdup("signal"),
			    .error = g_strdup("cannot load signatures from /x: \"bad\"\nline 2")},
	    .disk_low = TRUE,
	    .disk_free_bytes = G_GUINT64_CONSTANT(18446744073709551000),
	    .disk_min_free_bytes = 1073741824,
	};
	al_daemon_state_count(s, now, 10, 2, 1);
	al_daemon_state_count(s, now - 5 * HOUR, 7, 0, 0);
}

static void test_daemon_state_round_trip_keeps_every_field(void)
{
	char *dir = make_temp_dir();
	g_autofree char *path = g_build_filename(dir, "airlock.status", NULL);
	gint64 now = 1700000000;
	struct al_daemon_state in, out;
	GError *error = NULL;
	guint j, q, t;
	GStatBuf st;

	fill_state(&in, now);
	g_assert_cmpint(al_daemon_state_write(&in, path, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0644);
	g_assert_cmpint(al_daemon_state_read(path, &out, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(out.pid, ==, 4242);
	g_assert_cmpstr(out.version, ==, "0.1.0");
	g_assert_cmpint(out.started_at, ==, now - 600);
	g_assert_cmpint(out.written_at, ==, now);
	g_assert_cmpstr(out.socket, ==, in.socket);
	g_assert_cmpuint(out.generation, ==, 3);
	g_assert_cmpuint(out.signatures, ==, 8712345);
	g_assert_cmpint(out.engine_loaded_at, ==, now - 60);
	g_assert_true(out.clamav_loaded);
	g_assert_cmpint(out.clamav_built_at, ==, now - 7200);
	g_assert_cmpuint(out.clamav_version, ==, 27412);
	g_assert_cmpint(out.database_checked_at, ==, now - 30);
	g_assert_cmpint(out.last_reload.at, ==, now - 60);
	g_assert_false(out.last_reload.ok);
	g_assert_cmpstr(out.last_reload.trigger, ==, "signal");
	g_assert_cmpstr(out.last_reload.error, ==, in.last_reload.error);
	g_assert_true(out.disk_low);
	g_assert_cmpuint(out.disk_free_bytes, ==, in.disk_free_bytes);
	g_assert_cmpuint(out.disk_min_free_bytes, ==, 1073741824);
	al_daemon_state_last_day(&out, now, &j, &q, &t);
	g_assert_cmpuint(j, ==, 17);
	g_assert_cmpuint(q, ==, 2);
	g_assert_cmpuint(t, ==, 1);
	al_daemon_state_clear(&in);
	al_daemon_state_clear(&out);
	al_daemon_state_clear(&out); /* safe twice */
	remove_dir(dir);
}

static void test_daemon_state_write_replaces_atomically(void)
{
	char *dir = make_temp_dir();
	g_autofree char *path = g_build_filename(dir, "airlock.status", NULL);
	g_autofree char *missing = g_build_filename(dir, "no-such-dir", "airlock.status", NULL);
	struct al_daemon_state s, back;
	GError *error = NULL;
	struct stat before, after;

	fill_state(&s, 1700000000);
	g_assert_cmpint(al_daemon_state_write(&s, path, &error), ==, 0);
	g_assert_cmpint(stat(path, &before), ==, 0);
	s.generation = 4;
	s.written_at += 60;
	g_assert_cmpint(al_daemon_state_write(&s, path, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(stat(path, &after), ==, 0);
	/* A new file renamed over the old one, not the old one rewritten in
	 * place (a reader holding it open still sees a whole state). */
	g_assert_cmpuint(before.st_ino, !=, after.st_ino);
	g_assert_cmpuint(count_files(dir), ==, 1); /* no temp file left */
	g_assert_cmpint(al_daemon_state_read(path, &back, &error), ==, 0);
	g_assert_cmpuint(back.generation, ==, 4);
	g_assert_cmpint(back.written_at, ==, 1700000060);
	al_daemon_state_clear(&back);
	g_assert_cmpint(al_daemon_state_write(&s, missing, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "no-such-dir"));
	g_clear_error(&error);
	al_daemon_state_clear(&s);
	remove_dir(dir);
}

static const char *const corrupt_files[] = {
    "", /* empty */
    "not a key file at all\n\x01\x02",
    "[daemon]\npid=12\nwritten_at=1700000000\n",           /* no format */
    "[daemon]\nformat=2\npid=12\nwritten_at=1700000000\n", /* a newer format */
    "[daemon]\nformat=1\nwritten_at=1700000000\n",         /* no pid */
    "[daemon]\nformat=1\npid=12\n",                        /* no written_at */
    "[daemon]\nformat=1\npid=-5\nwritten_at=1700000000\n", /* pid out of range */
    "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n[engine]\nsignatures=lots\n",
    "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n[engine]\ngeneration=99999999999\n",
    "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n[reload]\nok=perhaps\n",
    "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n[disk]\nfree_bytes=-1\n",
    "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n[hours]\n472222=1;2\n",
    "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n[hours]\n472222=1;-2;0\n",
    "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n[hours]\nnoon=1;2;0\n",
};

static void test_daemon_state_corrupt_file_is_refused(void)
{
	char *dir = make_temp_dir();
	g_autofree char *path = g_build_filename(dir, "airlock.status", NULL);
	g_autofree char *big = g_strnfill(100 * 1024, '#');
	struct al_daemon_state s;
	GError *error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(corrupt_files); i++) {
		write_file(dir, "airlock.status", corrupt_files[i], -1);
		g_test_message("corrupt file %u", i);
		g_assert_cmpint(al_daemon_state_read(path, &s, &error), ==, -1);
		g_assert_error(error, AL_ERROR, AL_ERROR_IO);
		g_assert_nonnull(strstr(error->message, "not an airlock-milter state file"));
		g_clear_error(&error);
		g_assert_cmpint(s.pid, ==, 0);
		g_assert_null(s.version);
	}
	write_file(dir, "airlock.status", big, -1);
	g_assert_cmpint(al_daemon_state_read(path, &s, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_clear_error(&error);
	/* The smallest file that is one. */
	write_file(dir, "airlock.status", "[daemon]\nformat=1\npid=12\nwritten_at=1700000000\n",
		   -1);
	g_assert_cmpint(al_daemon_state_read(path, &s, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(s.pid, ==, 12);
	al_daemon_state_clear(&s);
	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(al_daemon_state_read(path, &s, &error), ==, -1);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&error);
	remove_dir(dir);
}

static void test_daemon_state_last_day_counts_24_hours_only(void)
{
	struct al_daemon_state s = {0};
	gint64 now = 1700000000 - 1700000000 % HOUR + 1800; /* half past some hour */
	guint j, q, t;

	al_daemon_state_count(&s, now, 1, 0, 0);
	al_daemon_state_count(&s, now - 1800, 1, 1, 0);        /* same hour, its start */
	al_daemon_state_count(&s, now - 23 * HOUR, 10, 0, 0);  /* the oldest hour counted */
	al_daemon_state_count(&s, now - 24 * HOUR, 100, 0, 0); /* one hour too old */
	al_daemon_state_count(&s, now + HOUR, 1000, 0, 0);     /* the future: not yet */
	al_daemon_state_last_day(&s, now, &j, &q, &t);
	g_assert_cmpuint(j, ==, 12);
	g_assert_cmpuint(q, ==, 1);
	g_assert_cmpuint(t, ==, 0);
	/* An hour later the oldest hour has left the window, the next one
	 * entered. */
	al_daemon_state_last_day(&s, now + HOUR, &j, &q, &t);
	g_assert_cmpuint(j, ==, 1002);
	al_daemon_state_last_day(&s, now + 48 * HOUR, &j, &q, &t);
	g_assert_cmpuint(j, ==, 0);
}

static void test_daemon_state_count_reuses_the_oldest_slot(void)
{
	struct al_daemon_state s = {0};
	gint64 start = 1700000000;
	guint j, q, t, used = 0;

	/* 30 hours of one message each: the ring keeps the newest 24. */
	for (gint64 h = 0; h < 30; h++)
		al_daemon_state_count(&s, start + h * HOUR, 1, 0, 1);
	for (guint i = 0; i < AL_DAEMON_STATE_HOURS; i++) {
		used += s.hours[i].hour != 0;
		g_assert_cmpint(s.hours[i].hour, >=, (start + 6 * HOUR) / HOUR);
		g_assert_cmpuint(s.hours[i].judged, ==, 1);
	}
	g_assert_cmpuint(used, ==, AL_DAEMON_STATE_HOURS);
	al_daemon_state_last_day(&s, start + 29 * HOUR, &j, &q, &t);
	g_assert_cmpuint(j, ==, 24);
	g_assert_cmpuint(t, ==, 24);
	/* Counting again in the current hour adds to its slot. */
	al_daemon_state_count(&s, start + 29 * HOUR + 10, 5, 5, 0);
	al_daemon_state_last_day(&s, start + 29 * HOUR, &j, &q, &t);
	g_assert_cmpuint(j, ==, 29);
	g_assert_cmpuint(q, ==, 5);
	/* Counts saturate rather than wrap. */
	al_daemon_state_count(&s, start + 29 * HOUR, G_MAXUINT, 0, 0);
	al_daemon_state_last_day(&s, start + 29 * HOUR, &j, &q, &t);
	g_assert_cmpuint(j, ==, G_MAXUINT);
}

/* A .cvd-like file: the 512-byte header padded with spaces, then some
 * bytes standing for the compressed tar. */
static void write_cvd(const char *dir, const char *name, const char *header)
{
	g_autoptr(GString) data = g_string_new(header);

	g_assert_cmpuint(data->len, <=, 512);
	while (data->len < 512)
		g_string_append_c(data, ' ');
	g_string_append_len(data, "\x1f\x8b\x08\x00rest of the file", 20);
	write_file(dir, name, data->str, (gssize)data->len);
}

static void set_mtime(const char *dir, const char *name, gint64 when)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	struct utimbuf times = {.actime = (time_t)when, .modtime = (time_t)when};

	g_assert_cmpint(utime(path, &times), ==, 0);
}

static void database_info(const char *dir, gboolean *found, gint64 *built, guint *version)
{
	GError *error = NULL;

	g_assert_cmpint(al_clamav_database_info(dir, found, built, version, &error), ==, 0);
	g_assert_no_error(error);
}

static void test_clamav_database_info_reads_cvd_headers(void)
{
	char *dir = make_temp_dir();
	gboolean found;
	gint64 built;
	guint version;

	write_cvd(dir, "main.cvd",
		  "ClamAV-VDB:16 Sep 2021 08-32 -0400:62:6647427:90:"
		  "0123456789abcdef0123456789abcdef:SIGNATUREx:sigmgr:1631795570");
	write_cvd(dir, "daily.cld",
		  "ClamAV-VDB:07 Mar 2017 08-02 -0500:27412:2041572:90:"
		  "c1537143239006af01e814a4dcd58a48:QC2Zn+/x:neo:1700000000");
	write_cvd(dir, "bytecode.cvd",
		  "ClamAV-VDB:21 Feb 2023 10-05 +0100:334:91:90:"
		  "c1537143239006af01e814a4dcd58a48:QC2Zn:raynman:1676970300");
	/* A local file touched today does not make the database fresh. */
	write_file(dir, "local.ign2", "Some.Signature\n", -1);
	database_info(dir, &found, &built, &version);
	g_assert_true(found);
	g_assert_cmpint(built, ==, 1700000000);
	g_assert_cmpuint(version, ==, 27412);
	remove_dir(dir);
}

static void test_clamav_database_info_uses_the_date_without_build_time(void)
{
	char *dir = make_temp_dir();
	gboolean found;
	gint64 built;
	guint version;

	/* Very old files: no STIME field; 08-02 -0500 is 13:02 UTC. */
	write_cvd(dir, "daily.cvd",
		  "ClamAV-VDB:07 Mar 2017 08-02 -0500:23182:1741572:63:"
		  "c1537143239006af01e814a4dcd58a48:QC2Zn:neo");
	database_info(dir, &found, &built, &version);
	g_assert_true(found);
	g_assert_cmpint(built, ==, 1488891720);
	g_assert_cmpuint(version, ==, 23182);
	remove_dir(dir);
}

static void test_clamav_database_info_plain_files_give_their_mtime(void)
{
	char *dir = make_temp_dir();
	gboolean found;
	gint64 built;
	guint version;

	write_file(dir, "test.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test\n", -1);
	write_file(dir, "older.ndb", "Sig:0:*:414243\n", -1);
	write_file(dir, "README", "not a database\n", -1);
	set_mtime(dir, "test.hdb", 1600000000);
	set_mtime(dir, "older.ndb", 1500000000);
	set_mtime(dir, "README", 1690000000);
	database_info(dir, &found, &built, &version);
	g_assert_true(found);
	g_assert_cmpint(built, ==, 1600000000);
	g_assert_cmpuint(version, ==, 0);
	/* A broken header: the file counts, its mtime stands in. */
	write_cvd(dir, "daily.cvd", "not a ClamAV header");
	set_mtime(dir, "daily.cvd", 1650000000);
	database_info(dir, &found, &built, &version);
	g_assert_true(found);
	g_assert_cmpint(built, ==, 1650000000);
	remove_dir(dir);
}

static void test_clamav_database_info_missing_or_empty_dir(void)
{
	char *dir = make_temp_dir();
	g_autofree char *missing = g_build_filename(dir, "nonexistent", NULL);
	gboolean found = TRUE;
	gint64 built = 1;
	guint version = 1;

	database_info(missing, &found, &built, &version);
	g_assert_false(found);
	g_assert_cmpint(built, ==, 0);
	g_assert_cmpuint(version, ==, 0);
	found = TRUE;
	database_info(dir, &found, &built, &version);
	g_assert_false(found);
	write_file(dir, "freshclam.dat", "state", -1);
	write_file(dir, "mirrors.dat", "state", -1);
	database_info(dir, &found, &built, &version);
	g_assert_false(found);
	remove_dir(dir);
}

static void test_clamav_database_info_unreadable_dir_is_an_error(void)
{
	char *dir = make_temp_dir();
	gboolean found;
	gint64 built;
	guint version;
	GError *error = NULL;

	if (geteuid() == 0) {
		remove_dir(dir);
		g_test_skip("root reads a directory of mode 0000: run as another user");
		return;
	}
	g_assert_cmpint(chmod(dir, 0), ==, 0);
	g_assert_cmpint(al_clamav_database_info(dir, &found, &built, &version, &error), ==, -1);
	g_assert_error(error, AL_ERROR, AL_ERROR_IO);
	g_assert_nonnull(strstr(error->message, dir));
	g_clear_error(&error);
	g_assert_cmpint(chmod(dir, 0700), ==, 0);
	remove_dir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/daemon_state/round_trip_keeps_every_field",
			test_daemon_state_round_trip_keeps_every_field);
	g_test_add_func("/daemon_state/write_replaces_atomically",
			test_daemon_state_write_replaces_atomically);
	g_test_add_func("/daemon_state/corrupt_file_is_refused",
			test_daemon_state_corrupt_file_is_refused);
	g_test_add_func("/daemon_state/last_day_counts_24_hours_only",
			test_daemon_state_last_day_counts_24_hours_only);
	g_test_add_func("/daemon_state/count_reuses_the_oldest_slot",
			test_daemon_state_count_reuses_the_oldest_slot);
	g_test_add_func("/clamav_database/reads_cvd_headers",
			test_clamav_database_info_reads_cvd_headers);
	g_test_add_func("/clamav_database/uses_the_date_without_build_time",
			test_clamav_database_info_uses_the_date_without_build_time);
	g_test_add_func("/clamav_database/plain_files_give_their_mtime",
			test_clamav_database_info_plain_files_give_their_mtime);
	g_test_add_func("/clamav_database/missing_or_empty_dir",
			test_clamav_database_info_missing_or_empty_dir);
	g_test_add_func("/clamav_database/unreadable_dir_is_an_error",
			test_clamav_database_info_unreadable_dir_is_an_error);
	return g_test_run();
}
