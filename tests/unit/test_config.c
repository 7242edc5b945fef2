/*
 * test_config.c - loading airlock.conf: defaults, every type of value,
 * errors that name the file and the key, relative paths, directory
 * checks, and the bundled conf/airlock.conf staying in step with the
 * settings table.
 */
#include "airlock/config.h"

#include <glib/gstdio.h>
#include <string.h>

#define BUNDLED_CONF AL_SOURCE_DIR "/conf/airlock.conf"

/* ------------------------------------------------------------ helpers */

struct fixture {
	char *dir; /* a fresh temporary directory */
};

static void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_dir_close(dir);
	}
	g_assert_cmpint(g_remove(path), ==, 0);
}

static void fixture_set_up(struct fixture *f, gconstpointer data)
{
	GError *error = NULL;

	(void)data;
	f->dir = g_dir_make_tmp("airlock-test-config-XXXXXX", &error);
	g_assert_no_error(error);
}

static void fixture_tear_down(struct fixture *f, gconstpointer data)
{
	(void)data;
	remove_tree(f->dir);
	g_free(f->dir);
}

/* Writes text to DIR/name (creating DIR/sub-directories) and returns the
 * file's path. */
static char *write_file(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *parent = g_path_get_dirname(path);
	GError *error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	return g_steal_pointer(&path);
}

static void rewrite(const char *path, const char *text)
{
	GError *error = NULL;

	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
}

static char *make_dir(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL);

	g_assert_cmpint(g_mkdir_with_parents(path, 0700), ==, 0);
	return path;
}

/* Loads text as DIR/airlock.conf without directory checks; asserts
 * success. */
static struct al_config *load_text(const struct fixture *f, const char *text)
{
	g_autofree char *path = write_file(f->dir, "airlock.conf", text);
	GError *error = NULL;
	struct al_config *config = al_config_load(path, FALSE, &error);

	g_assert_no_error(error);
	g_assert_nonnull(config);
	return config;
}

/* Loads text, expects a config error whose message is "PATH: " followed by
 * expected (when expected ends with "*", a prefix of the rest). */
static void assert_load_fails(const struct fixture *f, const char *text, const char *expected)
{
	g_autofree char *path = write_file(f->dir, "airlock.conf", text);
	g_autofree char *want = g_strdup_printf("%s: %s", path, expected);
	GError *error = NULL;
	struct al_config *config = al_config_load(path, FALSE, &error);
	gsize len = strlen(want);

	g_test_message("config:\n%s", text);
	g_assert_null(config);
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	if (len > 0 && want[len - 1] == '*') {
		want[len - 1] = '\0';
		if (!g_str_has_prefix(error->message, want))
			g_error("message '%s' does not start with '%s'", error->message, want);
	} else {
		g_assert_cmpstr(error->message, ==, want);
	}
	g_clear_error(&error);
}

static void assert_strv(char **actual, const char *const *expected)
{
	g_assert_nonnull(actual);
	g_assert_cmpuint(g_strv_length(actual), ==, g_strv_length((char **)expected));
	for (guint i = 0; expected[i] != NULL; i++)
		g_assert_cmpstr(actual[i], ==, expected[i]);
}

/* ----------------------------------------------------------- defaults */

static void assert_default_values(const struct al_config *c)
{
	static const char *const languages[] = {"fr", "en", NULL};
	static const char *const none[] = {NULL};

	g_assert_cmpstr(c->milter_socket, ==, "unix:/run/airlock/airlock.sock");
	g_assert_cmpstr(c->milter_user, ==, "airlock");
	g_assert_cmpstr(c->milter_pidfile, ==, "/run/airlock/airlock.pid");
	g_assert_cmpint(c->on_error, ==, AL_ACTION_TEMPFAIL);
	g_assert_cmpuint(c->milter_timeout_seconds, ==, 300);
	g_assert_cmpstr(c->signatures_dir, ==, "/usr/share/airlock/signatures");
	g_assert_cmpstr(c->clamav_database_dir, ==, "/var/lib/clamav");
	g_assert_cmpuint(c->scan_max_filesize_bytes, ==, 100 * 1024 * 1024);
	g_assert_cmpuint(c->scan_max_scansize_bytes, ==, 400 * 1024 * 1024);
	g_assert_cmpuint(c->scan_max_recursion, ==, 16);
	g_assert_cmpuint(c->scan_max_files, ==, 10000);
	g_assert_cmpuint(c->scan_max_seconds, ==, 120);
	g_assert_cmpuint(c->max_message_bytes, ==, 200 * 1024 * 1024);
	g_assert_cmpuint(c->max_mime_depth, ==, 32);
	g_assert_cmpuint(c->max_parts, ==, 1000);
	g_assert_cmpuint(c->max_attachment_bytes, ==, 100 * 1024 * 1024);
	g_assert_cmpuint(c->memory_threshold_bytes, ==, 1024 * 1024);
	g_assert_cmpstr(c->spool_dir, ==, "/var/tmp");
	g_assert_null(c->authserv_id);
	g_assert_cmpuint(al_cidr_list_length(c->internal_networks), ==, 2);
	g_assert_true(al_cidr_list_contains(c->internal_networks, "127.0.0.1"));
	g_assert_true(al_cidr_list_contains(c->internal_networks, "[IPv6:::1]"));
	g_assert_false(al_cidr_list_contains(c->internal_networks, "192.0.2.1"));
	assert_strv(c->trusted_senders, none);
	g_assert_true(c->learn_correspondents);
	assert_strv(c->safe_types, none);
	g_assert_true(c->safe_inline_images);
	g_assert_cmpstr(c->quarantine_dir, ==, "/var/lib/airlock");
	g_assert_cmpuint(c->retention_days, ==, 30);
	g_assert_cmpstr(c->release_command, ==, "/usr/sbin/sendmail -G -i");
	g_assert_cmpstr(c->release_key, ==, "/var/lib/airlock/release.key");
	assert_strv(c->languages, languages);
	g_assert_cmpstr(c->admin_contact, ==, "postmaster");
	g_assert_cmpstr(c->notice_command, ==, "/usr/sbin/sendmail -i");
	g_assert_cmpstr(c->admin_address, ==, "postmaster");
	g_assert_cmpuint(c->quarantine_min_free.bytes, ==, 512 * 1024 * 1024);
	g_assert_cmpuint(c->quarantine_min_free.percent, ==, 0);
	g_assert_cmpuint(c->scan_database_check_seconds, ==, 300);
	g_assert_cmpuint(c->scan_max_database_age_days, ==, 3);
	g_assert_true(c->scan_concurrent_reload);
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		enum al_action want = r == AL_REASON_VIRUS || r == AL_REASON_POLYGLOT
		                          ? AL_ACTION_HOLD
		                          : AL_ACTION_STRIP;

		g_test_message("action for %s", al_reason_name(r));
		g_assert_cmpint(c->action_for[r], ==, want);
	}
}

static void test_config_defaults_are_the_documented_ones(void)
{
	struct al_config *config = al_config_new_defaults();

	g_assert_nonnull(config);
	g_assert_null(config->path);
	assert_default_values(config);
	al_config_free(&config);
	g_assert_null(config);
	al_config_free(&config); /* already NULL: harmless */
	al_config_free(NULL);
}

static void test_config_empty_file_gives_the_defaults(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = write_file(f->dir, "airlock.conf", "# nothing set\n");
	struct al_config *config = al_config_load(path, FALSE, NULL);

	(void)data;
	g_assert_nonnull(config);
	g_assert_cmpstr(config->path, ==, path);
	assert_default_values(config);
	al_config_free(&config);
}

/* --------------------------------------------------------- bad input */

static void test_config_unknown_key_is_an_error(struct fixture *f, gconstpointer data)
{
	(void)data;
	assert_load_fails(f, "[milter]\nuser = airlock\nsockett = unix:/x\n",
	                  "[milter] sockett: unknown key");
	assert_load_fails(f, "[scan]\nsocket = unix:/x\n", "[scan] socket: unknown key");
	assert_load_fails(f, "[notice]\nlanguages[fr] = fr\n",
	                  "[notice] languages[fr]: unknown key");
}

static void test_config_unknown_section_is_an_error(struct fixture *f, gconstpointer data)
{
	(void)data;
	assert_load_fails(f, "[milter]\nuser = x\n[bogus]\nkey = 1\n", "[bogus]: unknown section");
	assert_load_fails(f, "[Milter]\n", "[Milter]: unknown section");
}

static const struct {
	const char *text;
	const char *expected; /* after "PATH: " */
} bad_values[] = {
    {"[policy]\naction_virus = quarantine\n",
     "[policy] action_virus: 'quarantine' is not accept, strip, hold, reject or tempfail"},
    {"[policy]\naction_unknown_origin = Strip\n",
     "[policy] action_unknown_origin: 'Strip' is not *"},
    {"[milter]\non_error = hold\n", "[milter] on_error: 'hold' is not tempfail or accept"},
    {"[milter]\ntimeout = 0\n", "[milter] timeout: '0' is not a whole number from 1 to 3600"},
    {"[milter]\ntimeout = 3601\n", "[milter] timeout: '3601' is not *"},
    {"[milter]\ntimeout = -1\n", "[milter] timeout: '-1' is not *"},
    {"[milter]\ntimeout = +5\n", "[milter] timeout: '+5' is not *"},
    {"[milter]\ntimeout = 12s\n", "[milter] timeout: '12s' is not *"},
    {"[milter]\ntimeout = 99999999999999999999999\n", "[milter] timeout: '9*"},
    {"[milter]\ntimeout =\n", "[milter] timeout: '' is not *"},
    {"[scan]\nmax_recursion = 65\n", "[scan] max_recursion: '65' is not *"},
    {"[scan]\nmax_filesize = 10X\n",
     "[scan] max_filesize: '10X' is not a size from 1 to 4G (bytes, or a number followed by "
     "K, M or G)"},
    {"[scan]\nmax_filesize = 0\n", "[scan] max_filesize: '0' is not a size from 1 to 4G*"},
    {"[scan]\nmax_filesize = 5G\n", "[scan] max_filesize: '5G' is not a size*"},
    {"[scan]\nmax_filesize = M\n", "[scan] max_filesize: 'M' is not a size*"},
    {"[scan]\nmax_filesize = 1.5M\n", "[scan] max_filesize: '1.5M' is not a size*"},
    {"[scan]\nmax_filesize = 10 M\n", "[scan] max_filesize: '10 M' is not a size*"},
    {"[scan]\nmax_filesize = 1MB\n", "[scan] max_filesize: '1MB' is not a size*"},
    {"[scan]\nmax_filesize = 99999999999999999999G\n", "[scan] max_filesize: '9*"},
    {"[scan]\nmax_filesize = 17179869184G\n", "[scan] max_filesize: '17179869184G' is not*"},
    {"[limits]\nmax_message_size = 1023\n",
     "[limits] max_message_size: '1023' is not a size from 1K to 16G*"},
    {"[limits]\nmemory_threshold = 2G\n",
     "[limits] memory_threshold: '2G' is not a size from 0 to 1G*"},
    {"[origin]\ninternal_networks = 10.0.0.0/8;10.0.0.0/33\n",
     "[origin] internal_networks: '10.0.0.0/33' is not an address/prefix*"},
    {"[origin]\ninternal_networks = intranet\n",
     "[origin] internal_networks: 'intranet' is not an address/prefix"},
    {"[origin]\nlearn_correspondents = maybe\n",
     "[origin] learn_correspondents: 'maybe' is not true or false"},
    {"[origin]\nauthserv_id = mx example\n",
     "[origin] authserv_id: 'mx example' is not an authserv-id*"},
    {"[origin]\nauthserv_id = mx;example\n", "[origin] authserv_id: 'mx;example' is not*"},
    {"[origin]\ntrusted_senders = a@\n", "[origin] trusted_senders: 'a@' is not an address*"},
    {"[origin]\ntrusted_senders = X@Y@Z\n", "[origin] trusted_senders: 'X@Y@Z' is not*"},
    {"[origin]\ntrusted_senders = ok.example;<x@y.example>\n",
     "[origin] trusted_senders: '<x@y.example>' is not*"},
    {"[origin]\ntrusted_senders = a b@c.example\n",
     "[origin] trusted_senders: 'a b@c.example' is not*"},
    {"[policy]\nsafe_types = pdf\n",
     "[policy] safe_types: 'pdf' is not a MIME type (type/subtype or type/*)"},
    {"[policy]\nsafe_types = application/\n", "[policy] safe_types: 'application/' is not*"},
    {"[policy]\nsafe_types = */*\n", "[policy] safe_types: '*/*' is not*"},
    {"[policy]\nsafe_types = image/png x\n", "[policy] safe_types: 'image/png x' is not*"},
    {"[policy]\nsafe_inline_images = 2\n", "[policy] safe_inline_images: '2' is not*"},
    {"[notice]\nlanguages = fr;de\n", "[notice] languages: 'de' is not fr or en"},
    {"[notice]\nlanguages =\n", "[notice] languages: '' is not a list of at least 1 entries"},
    {"[notice]\nlanguages = ; ;\n", "[notice] languages: '; ;' is not a list*"},
    {"[notice]\nadmin_contact =\n", "[notice] admin_contact: '' is not a text of 1 to*"},
    {"[notice]\nadmin_contact = a\\qb\n",
     "[notice] admin_contact: 'a\\qb' is not valid text (a backslash starts an escape*"},
    {"[notice]\ncommand =\n", "[notice] command: '' is not*"},
    {"[milter]\nuser =\n", "[milter] user: '' is not*"},
    {"[milter]\nsocket = tcp:1234\n",
     "[milter] socket: 'tcp:1234' is not unix:PATH, inet:PORT@HOST or inet6:PORT@HOST"},
    {"[milter]\nsocket = inet:0@localhost\n", "[milter] socket: 'inet:0@localhost' is not*"},
    {"[milter]\nsocket = inet:65536\n", "[milter] socket: 'inet:65536' is not*"},
    {"[milter]\nsocket = inet:25@\n", "[milter] socket: 'inet:25@' is not*"},
    {"[milter]\nsocket = unix:\n", "[milter] socket: 'unix:' is not*"},
    {"[milter]\nsocket = airlock.sock\n", "[milter] socket: 'airlock.sock' is not*"},
    {"[milter]\npidfile =\n", "[milter] pidfile: '' is not a path"},
    {"[limits]\nspool_dir =\n", "[limits] spool_dir: '' is not a path"},
    {"[quarantine]\nretention_days = 0\n", "[quarantine] retention_days: '0' is not*"},
    {"[quarantine]\nretention_days = 3651\n", "[quarantine] retention_days: '3651' is not*"},
    {"[quarantine]\nrelease_command =\n", "[quarantine] release_command: '' is not*"},
    {"[policy]\naction_unscannable = accept\n",
     "[policy] action_unscannable: 'accept' is not strip, hold, reject or tempfail (what could "
     "not be opened is never accepted)"},
    {"[quarantine]\nmin_free = 100%\n",
     "[quarantine] min_free: '100%' is not a percentage from 0% to 99%"},
    {"[quarantine]\nmin_free = -5%\n", "[quarantine] min_free: '-5%' is not a percentage*"},
    {"[quarantine]\nmin_free = 5 %\n", "[quarantine] min_free: '5 %' is not a percentage*"},
    {"[quarantine]\nmin_free = lots\n",
     "[quarantine] min_free: 'lots' is not a size (bytes, or a number followed by K, M or G) "
     "or a percentage of the file system (5%)"},
    {"[quarantine]\nmin_free = %\n", "[quarantine] min_free: '%' is not a size*"},
    {"[scan]\ndatabase_check_seconds = 86401\n", "[scan] database_check_seconds: '86401' is not*"},
    {"[scan]\nmax_database_age = 0\n", "[scan] max_database_age: '0' is not*"},
    {"[scan]\nconcurrent_reload = sometimes\n",
     "[scan] concurrent_reload: 'sometimes' is not true or false"},
    {"[notice]\nadmin_address = it desk@example.org\n",
     "[notice] admin_address: 'it desk@example.org' is not one address*"},
    {"[notice]\nadmin_address = -oQ/tmp\n", "[notice] admin_address: '-oQ/tmp' is not one address*"},
    {"[notice]\nadmin_address = <it@example.org>\n", "[notice] admin_address: '<it*"},
    {"[quarantine]\nbackend = mysql\n",
     "[quarantine] backend: 'mysql' is not sqlite or postgresql"},
    {"[quarantine]\nbackend = postgresql\n",
     "[quarantine] dsn: backend = postgresql needs a dsn"},
    {"[quarantine]\ndsn = host=db dbname=airlock password=secret\n",
     "[quarantine] dsn: 'host=db dbname=airlock password=secret' is not a connection string "
     "without password= (use passfile= or a service file)"},
    {"[quarantine]\ndsn = host=db dbname='unclosed\n",
     "[quarantine] dsn: 'host=db dbname='unclosed' is not a libpq connection string*"},
    {"[quarantine]\nbackend = postgresql\ndsn = host=db\nstatement_timeout = 300\n",
     "[quarantine] statement_timeout: 300 s is not less than [milter] timeout (300 s)"},
    {"[quarantine]\nstatement_timeout = 0\n", "[quarantine] statement_timeout: '0' is not*"},
    {"user = airlock\n", "Key file does not start with a group"},
    {"[milter\n", "*"},
};

static void test_config_bad_values_name_file_section_and_key(struct fixture *f, gconstpointer data)
{
	(void)data;
	for (guint i = 0; i < G_N_ELEMENTS(bad_values); i++)
		assert_load_fails(f, bad_values[i].text, bad_values[i].expected);
}

static void test_config_missing_file_is_an_error_naming_it(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "absent.conf", NULL);
	g_autofree char *prefix = g_strdup_printf("%s: ", path);
	GError *error = NULL;
	struct al_config *config = al_config_load(path, FALSE, &error);

	(void)data;
	g_assert_null(config);
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_assert_true(g_str_has_prefix(error->message, prefix));
	g_clear_error(&error);
}

/* ------------------------------------------------------- good values */

static void test_config_values_of_every_type_are_read(struct fixture *f, gconstpointer data)
{
	struct al_config *config = load_text(f, "[milter]\n"
	                                        "socket = inet:8890@127.0.0.1\n"
	                                        "user = mail filter\n"
	                                        "on_error = accept\n"
	                                        "timeout = 3600\n"
	                                        "[scan]\n"
	                                        "max_filesize = 2m\n"
	                                        "max_scansize = 4G\n"
	                                        "max_recursion = 1\n"
	                                        "[limits]\n"
	                                        "max_message_size = 1K\n"
	                                        "max_attachment_size = 512\n"
	                                        "memory_threshold = 0\n"
	                                        "[origin]\n"
	                                        "authserv_id = mx.example.org\n"
	                                        "learn_correspondents = false\n"
	                                        "[policy]\n"
	                                        "action_virus = reject\n"
	                                        "action_unknown_origin = tempfail\n"
	                                        "action_macro = accept\n"
	                                        "safe_inline_images = no\n"
	                                        "[quarantine]\n"
	                                        "retention_days = 3650\n"
	                                        "release_command = /usr/bin/true \"a b\"\n"
	                                        "[notice]\n"
	                                        "admin_contact = \\sIT desk <it@example.org>\n"
	                                        "command = /bin/cat\n");

	(void)data;
	g_assert_cmpstr(config->milter_socket, ==, "inet:8890@127.0.0.1");
	g_assert_cmpstr(config->milter_user, ==, "mail filter");
	g_assert_cmpint(config->on_error, ==, AL_ACTION_ACCEPT);
	g_assert_cmpuint(config->milter_timeout_seconds, ==, 3600);
	g_assert_cmpuint(config->scan_max_filesize_bytes, ==, 2 * 1024 * 1024);
	g_assert_cmpuint(config->scan_max_scansize_bytes, ==, G_GUINT64_CONSTANT(4) << 30);
	g_assert_cmpuint(config->scan_max_recursion, ==, 1);
	g_assert_cmpuint(config->max_message_bytes, ==, 1024);
	g_assert_cmpuint(config->max_attachment_bytes, ==, 512);
	g_assert_cmpuint(config->memory_threshold_bytes, ==, 0);
	g_assert_cmpstr(config->authserv_id, ==, "mx.example.org");
	g_assert_false(config->learn_correspondents);
	g_assert_cmpint(config->action_for[AL_REASON_VIRUS], ==, AL_ACTION_REJECT);
	g_assert_cmpint(config->action_for[AL_REASON_UNKNOWN_ORIGIN], ==, AL_ACTION_TEMPFAIL);
	g_assert_cmpint(config->action_for[AL_REASON_MACRO], ==, AL_ACTION_ACCEPT);
	g_assert_cmpint(config->action_for[AL_REASON_POLYGLOT], ==, AL_ACTION_HOLD);
	g_assert_cmpint(config->action_for[AL_REASON_EXECUTABLE], ==, AL_ACTION_STRIP);
	g_assert_false(config->safe_inline_images);
	g_assert_cmpuint(config->retention_days, ==, 3650);
	g_assert_cmpstr(config->release_command, ==, "/usr/bin/true \"a b\"");
	g_assert_cmpstr(config->admin_contact, ==, " IT desk <it@example.org>");
	g_assert_cmpstr(config->notice_command, ==, "/bin/cat");
	al_config_free(&config);
}

static void test_config_min_free_is_a_size_or_a_percentage(struct fixture *f, gconstpointer data)
{
	struct al_config *config = load_text(f, "[quarantine]\nmin_free = 5%\n"
	                                        "[milter]\npidfile = /run/x/airlock.pid\n");
	struct al_free_space none = { 0 };

	(void)data;
	g_assert_cmpuint(config->quarantine_min_free.percent, ==, 5);
	g_assert_cmpuint(al_free_space_bytes(&config->quarantine_min_free, 1000), ==, 50);
	g_assert_cmpuint(al_free_space_bytes(&config->quarantine_min_free,
	                                     G_GUINT64_CONSTANT(1) << 40),
	                 ==, G_GUINT64_CONSTANT(54975581388)); /* floor(2^40 * 5 / 100) */
	g_assert_cmpuint(al_free_space_bytes(&none, 1000), ==, 0);
	/* the status file goes beside the pid file unless set */
	g_assert_cmpstr(config->milter_status_file, ==, "/run/x/airlock.status");
	al_config_free(&config);
	config = load_text(f, "[quarantine]\nmin_free = 2G\n[notice]\nadmin_address = it@example.org\n"
	                      "[scan]\ndatabase_check_seconds = 0\nconcurrent_reload = false\n");
	g_assert_cmpuint(config->quarantine_min_free.bytes, ==, G_GUINT64_CONSTANT(2) << 30);
	g_assert_cmpuint(config->quarantine_min_free.percent, ==, 0);
	g_assert_cmpuint(al_free_space_bytes(&config->quarantine_min_free, 1000), ==,
	                 G_GUINT64_CONSTANT(2) << 30);
	g_assert_cmpstr(config->admin_address, ==, "it@example.org");
	g_assert_cmpuint(config->scan_database_check_seconds, ==, 0);
	g_assert_false(config->scan_concurrent_reload);
	al_config_free(&config);
}

static void test_config_booleans_accept_common_spellings(struct fixture *f, gconstpointer data)
{
	static const struct {
		const char *text;
		gboolean value;
	} cases[] = {
	    {"true", TRUE},   {"TRUE", TRUE},   {"yes", TRUE}, {"on", TRUE},   {"1", TRUE},
	    {"false", FALSE}, {"False", FALSE}, {"no", FALSE}, {"off", FALSE}, {"0", FALSE},
	};

	(void)data;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text =
		    g_strdup_printf("[policy]\nsafe_inline_images = %s\n", cases[i].text);
		struct al_config *config = load_text(f, text);

		g_assert_cmpint(config->safe_inline_images, ==, cases[i].value);
		al_config_free(&config);
	}
}

static void test_config_empty_authserv_id_means_unset(struct fixture *f, gconstpointer data)
{
	struct al_config *config = load_text(f, "[origin]\nauthserv_id =\n");

	(void)data;
	g_assert_null(config->authserv_id);
	al_config_free(&config);
}

static void test_config_lists_are_trimmed_and_normalised(struct fixture *f, gconstpointer data)
{
	static const char *const senders[] = {"partner.example", "lab@other.example",
	                                      "@dom.example", NULL};
	static const char *const types[] = {"application/pdf", "image/*", "text/x-c++", NULL};
	static const char *const languages[] = {"en", NULL};
	static const char *const none[] = {NULL};
	struct al_config *config =
	    load_text(f, "[origin]\n"
	                 "trusted_senders = Partner.Example ; ;LAB@Other.example;  @Dom.EXAMPLE;\n"
	                 "internal_networks = 10.0.0.0/8 ; 192.168.0.0/16;;\n"
	                 "[policy]\n"
	                 "safe_types = Application/PDF;image/*;text/x-c++\n"
	                 "[notice]\n"
	                 "languages = EN\n");

	(void)data;
	assert_strv(config->trusted_senders, senders);
	assert_strv(config->safe_types, types);
	assert_strv(config->languages, languages);
	g_assert_cmpuint(al_cidr_list_length(config->internal_networks), ==, 2);
	g_assert_true(al_cidr_list_contains(config->internal_networks, "192.168.3.4"));
	g_assert_false(al_cidr_list_contains(config->internal_networks, "127.0.0.1"));
	al_config_free(&config);

	config = load_text(f, "[origin]\ninternal_networks =\ntrusted_senders = ;\n");
	g_assert_nonnull(config->internal_networks);
	g_assert_cmpuint(al_cidr_list_length(config->internal_networks), ==, 0);
	assert_strv(config->trusted_senders, none);
	al_config_free(&config);
}

/* --------------------------------------------------------------- paths */

static void test_config_relative_paths_follow_the_file(struct fixture *f, gconstpointer data)
{
	g_autofree char *path = write_file(f->dir, "etc/airlock.conf",
	                                   "[milter]\n"
	                                   "socket = unix:run/airlock.sock\n"
	                                   "pidfile = ./run/../run/airlock.pid\n"
	                                   "[scan]\n"
	                                   "signatures = ../sigs\n"
	                                   "clamav_database = /nonexistent/clamav\n"
	                                   "[limits]\n"
	                                   "spool_dir = spool\n"
	                                   "[quarantine]\n"
	                                   "dir = ../q\n");
	g_autofree char *expect_socket = g_strdup_printf("unix:%s/etc/run/airlock.sock", f->dir);
	g_autofree char *expect_pid = g_build_filename(f->dir, "etc", "run", "airlock.pid", NULL);
	g_autofree char *expect_sigs = g_build_filename(f->dir, "sigs", NULL);
	g_autofree char *expect_spool = g_build_filename(f->dir, "etc", "spool", NULL);
	g_autofree char *expect_q = g_build_filename(f->dir, "q", NULL);
	g_autofree char *expect_key = g_build_filename(f->dir, "q", "release.key", NULL);
	struct al_config *config = al_config_load(path, FALSE, NULL);

	(void)data;
	g_assert_nonnull(config);
	g_assert_cmpstr(config->milter_socket, ==, expect_socket);
	g_assert_cmpstr(config->milter_pidfile, ==, expect_pid);
	g_assert_cmpstr(config->signatures_dir, ==, expect_sigs);
	g_assert_cmpstr(config->clamav_database_dir, ==, "/nonexistent/clamav");
	g_assert_cmpstr(config->spool_dir, ==, expect_spool);
	g_assert_cmpstr(config->quarantine_dir, ==, expect_q);
	g_assert_cmpstr(config->release_key, ==, expect_key);
	al_config_free(&config);
}

/* A config named by a relative path still yields absolute paths, so the
 * daemon may change directory afterwards. */
static void test_config_relative_file_name_gives_absolute_paths(struct fixture *f,
                                                                gconstpointer data)
{
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *path = write_file(f->dir, "etc/airlock.conf",
	                                   "[scan]\nsignatures = sigs\n"
	                                   "[quarantine]\nrelease_key = keys/release.key\n");
	g_autofree char *expect_sigs = g_build_filename(f->dir, "etc", "sigs", NULL);
	g_autofree char *expect_key = g_build_filename(f->dir, "etc", "keys", "release.key", NULL);
	struct al_config *config;

	(void)data;
	g_assert_cmpint(g_chdir(f->dir), ==, 0);
	config = al_config_load("etc/airlock.conf", FALSE, NULL);
	g_assert_cmpint(g_chdir(cwd), ==, 0);
	g_assert_nonnull(config);
	g_assert_cmpstr(config->path, ==, "etc/airlock.conf");
	g_assert_cmpstr(config->signatures_dir, ==, expect_sigs);
	g_assert_cmpstr(config->release_key, ==, expect_key);
	al_config_free(&config);
}

static void test_config_check_dirs_requires_signatures_and_spool(struct fixture *f,
                                                                 gconstpointer data)
{
	g_autofree char *sigs = make_dir(f->dir, "sigs");
	g_autofree char *spool = make_dir(f->dir, "spool");
	g_autofree char *plain = write_file(f->dir, "plain", "x");
	g_autofree char *good = g_strdup_printf("[scan]\nsignatures = sigs\n"
	                                        "clamav_database = absent-clamav\n"
	                                        "[limits]\nspool_dir = spool\n");
	g_autofree char *path = write_file(f->dir, "airlock.conf", good);
	g_autofree char *missing_sigs = NULL;
	g_autofree char *missing_spool = NULL;
	g_autofree char *file_sigs = NULL;
	GError *error = NULL;
	struct al_config *config = al_config_load(path, TRUE, &error);

	(void)data;
	g_assert_no_error(error); /* a missing ClamAV database is not an error */
	g_assert_nonnull(config);
	g_assert_cmpstr(config->signatures_dir, ==, sigs);
	g_assert_cmpstr(config->spool_dir, ==, spool);
	al_config_free(&config);

	missing_sigs =
	    g_strdup_printf("%s: [scan] signatures: '%s/nosigs' does not exist", path, f->dir);
	rewrite(path, "[scan]\nsignatures = nosigs\n[limits]\nspool_dir = spool\n");
	g_assert_null(al_config_load(path, TRUE, &error));
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_assert_cmpstr(error->message, ==, missing_sigs);
	g_clear_error(&error);
	/* Without the check the same file loads. */
	config = al_config_load(path, FALSE, &error);
	g_assert_no_error(error);
	al_config_free(&config);

	file_sigs = g_strdup_printf("%s: [scan] signatures: '%s' is not a directory", path, plain);
	rewrite(path, "[scan]\nsignatures = plain\n[limits]\nspool_dir = spool\n");
	g_assert_null(al_config_load(path, TRUE, &error));
	g_assert_cmpstr(error->message, ==, file_sigs);
	g_clear_error(&error);

	missing_spool =
	    g_strdup_printf("%s: [limits] spool_dir: '%s/nospool' does not exist", path, f->dir);
	rewrite(path, "[scan]\nsignatures = sigs\n[limits]\nspool_dir = nospool\n");
	g_assert_null(al_config_load(path, TRUE, &error));
	g_assert_cmpstr(error->message, ==, missing_spool);
	g_clear_error(&error);
}

/* ------------------------------------------------------- the sample */

static void test_config_bundled_sample_loads(void)
{
	g_autofree char *sigs = g_canonicalize_filename(AL_SOURCE_DIR "/signatures", NULL);
	g_autofree char *quarantine =
	    g_canonicalize_filename(AL_SOURCE_DIR "/var/quarantine", NULL);
	g_autofree char *key = g_build_filename(quarantine, "release.key", NULL);
	g_autofree char *run = g_canonicalize_filename(AL_SOURCE_DIR "/var/run", NULL);
	g_autofree char *socket = g_strdup_printf("unix:%s/airlock.sock", run);
	g_autofree char *pidfile = g_build_filename(run, "airlock.pid", NULL);
	GError *error = NULL;
	struct al_config *config = al_config_load(BUNDLED_CONF, FALSE, &error);

	g_assert_no_error(error);
	g_assert_nonnull(config);
	g_assert_cmpstr(config->signatures_dir, ==, sigs);
	g_assert_cmpstr(config->clamav_database_dir, ==, "/var/lib/clamav");
	g_assert_cmpstr(config->spool_dir, ==, "/var/tmp");
	g_assert_cmpstr(config->quarantine_dir, ==, quarantine);
	g_assert_cmpstr(config->release_key, ==, key);
	g_assert_cmpstr(config->milter_socket, ==, socket);
	g_assert_cmpstr(config->milter_pidfile, ==, pidfile);
	g_assert_cmpstr(config->milter_user, ==, "airlock");
	g_assert_null(config->authserv_id);
	g_assert_true(al_cidr_list_contains(config->internal_networks, "127.0.0.1"));
	al_config_free(&config);

	/* The checkout has the signatures directory and /var/tmp exists. */
	config = al_config_load(BUNDLED_CONF, TRUE, &error);
	g_assert_no_error(error);
	al_config_free(&config);
}

/* The sample only changes paths: every other value is the default. */
static void test_config_bundled_sample_keeps_the_default_values(void)
{
	struct al_config *sample = al_config_load(BUNDLED_CONF, FALSE, NULL);
	struct al_config *defaults = al_config_new_defaults();

	g_assert_nonnull(sample);
	g_free(sample->milter_socket);
	sample->milter_socket = g_strdup(defaults->milter_socket);
	g_free(sample->milter_pidfile);
	sample->milter_pidfile = g_strdup(defaults->milter_pidfile);
	g_free(sample->signatures_dir);
	sample->signatures_dir = g_strdup(defaults->signatures_dir);
	g_free(sample->quarantine_dir);
	sample->quarantine_dir = g_strdup(defaults->quarantine_dir);
	g_free(sample->release_key);
	sample->release_key = g_strdup(defaults->release_key);
	assert_default_values(sample);
	al_config_free(&sample);
	al_config_free(&defaults);
}

/* Returns the comment lines right above line i, joined. */
static char *comment_above(char **lines, guint i)
{
	GString *comment = g_string_new(NULL);

	while (i > 0 && lines[i - 1][0] == '#') {
		i--;
		g_string_prepend(comment, lines[i]);
	}
	return g_string_free(comment, FALSE);
}

/* Every key of the table appears in the sample, in its section, set or
 * commented out ("#key = ..."), with a comment above it giving its
 * default (a key of the [policy] action family shares the block above). */
static void test_config_bundled_sample_documents_every_key(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	const char *const *keys = al_config_known_keys();
	GError *error = NULL;

	g_file_get_contents(BUNDLED_CONF, &text, NULL, &error);
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	g_assert_nonnull(keys);
	g_assert_cmpuint(g_strv_length((char **)keys), >=, 38);
	for (guint k = 0; keys[k] != NULL; k++) {
		g_auto(GStrv) parts = g_strsplit(keys[k], ".", 2);
		g_autofree char *header = g_strdup_printf("[%s]", parts[0]);
		g_autofree char *set = g_strdup_printf("%s =", parts[1]);
		g_autofree char *unset = g_strdup_printf("#%s =", parts[1]);
		const char *section = NULL;
		gboolean found = FALSE;

		for (guint i = 0; lines[i] != NULL && !found; i++) {
			if (lines[i][0] == '[')
				section = lines[i];
			if (section == NULL || strcmp(section, header) != 0)
				continue;
			if (g_str_has_prefix(lines[i], set) || g_str_has_prefix(lines[i], unset)) {
				g_autofree char *comment = comment_above(lines, i);

				found = TRUE;
				g_test_message("%s: %s", keys[k], comment);
				g_assert_nonnull(strstr(comment, "Default:"));
			}
		}
		if (!found)
			g_error("conf/airlock.conf does not document %s", keys[k]);
	}
}

static void test_config_known_keys_are_section_dot_key(void)
{
	const char *const *keys = al_config_known_keys();
	gboolean authserv = FALSE, languages = FALSE;

	g_assert_true(keys == al_config_known_keys());
	for (guint i = 0; keys[i] != NULL; i++) {
		g_assert_nonnull(strchr(keys[i], '.'));
		authserv = authserv || strcmp(keys[i], "origin.authserv_id") == 0;
		languages = languages || strcmp(keys[i], "notice.languages") == 0;
	}
	g_assert_true(authserv);
	g_assert_true(languages);
}

static void test_config_default_path_follows_the_environment(void)
{
	g_autofree char *saved = g_strdup(g_getenv("AIRLOCK_CONFIG"));

	g_assert_true(g_setenv("AIRLOCK_CONFIG", "/tmp/x/airlock.conf", TRUE));
	g_assert_cmpstr(al_config_default_path(), ==, "/tmp/x/airlock.conf");
	g_unsetenv("AIRLOCK_CONFIG");
	g_assert_cmpstr(al_config_default_path(), ==, "/etc/airlock/airlock.conf");
	if (saved != NULL)
		g_assert_true(g_setenv("AIRLOCK_CONFIG", saved, TRUE));
}

#define ADD_F(name, func)                                                                          \
	g_test_add(name, struct fixture, NULL, fixture_set_up, func, fixture_tear_down)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults_are_the_documented_ones",
	                test_config_defaults_are_the_documented_ones);
	ADD_F("/config/empty_file_gives_the_defaults", test_config_empty_file_gives_the_defaults);
	ADD_F("/config/unknown_key_is_an_error", test_config_unknown_key_is_an_error);
	ADD_F("/config/unknown_section_is_an_error", test_config_unknown_section_is_an_error);
	ADD_F("/config/bad_values_name_file_section_and_key",
	      test_config_bad_values_name_file_section_and_key);
	ADD_F("/config/missing_file_is_an_error_naming_it",
	      test_config_missing_file_is_an_error_naming_it);
	ADD_F("/config/values_of_every_type_are_read", test_config_values_of_every_type_are_read);
	ADD_F("/config/min_free_is_a_size_or_a_percentage",
	      test_config_min_free_is_a_size_or_a_percentage);
	ADD_F("/config/booleans_accept_common_spellings",
	      test_config_booleans_accept_common_spellings);
	ADD_F("/config/empty_authserv_id_means_unset", test_config_empty_authserv_id_means_unset);
	ADD_F("/config/lists_are_trimmed_and_normalised",
	      test_config_lists_are_trimmed_and_normalised);
	ADD_F("/config/relative_paths_follow_the_file", test_config_relative_paths_follow_the_file);
	ADD_F("/config/relative_file_name_gives_absolute_paths",
	      test_config_relative_file_name_gives_absolute_paths);
	ADD_F("/config/check_dirs_requires_signatures_and_spool",
	      test_config_check_dirs_requires_signatures_and_spool);
	g_test_add_func("/config/bundled_sample_loads", test_config_bundled_sample_loads);
	g_test_add_func("/config/bundled_sample_keeps_the_default_values",
	                test_config_bundled_sample_keeps_the_default_values);
	g_test_add_func("/config/bundled_sample_documents_every_key",
	                test_config_bundled_sample_documents_every_key);
	g_test_add_func("/config/known_keys_are_section_dot_key",
	                test_config_known_keys_are_section_dot_key);
	g_test_add_func("/config/default_path_follows_the_environment",
	                test_config_default_path_follows_the_environment);
	return g_test_run();
}
