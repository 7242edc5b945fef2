/*
 * test_config_install.c - what is installed stays in step with the
 * settings table: man/airlock.conf.5 describes every key in its section,
 * and the configuration cmake/AirlockInstall.cmake writes for the
 * installed system (BUILD_DIR/install/airlock.conf, the Debian package's
 * /etc/airlock/airlock.conf) loads, with absolute paths outside the
 * checkout.
 */
#include "airlock/config.h"

#include <string.h>

#define MAN_PAGE AL_SOURCE_DIR "/man/airlock.conf.5"
#define INSTALLED_CONF AL_BUILD_DIR "/install/airlock.conf"

/* Every key of the table is a ".B key" paragraph under the
 * '.SS "[section]"' heading of its section. */
static void test_config_man_page_documents_every_key(void)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	const char *const *keys = al_config_known_keys();
	GError *error = NULL;

	g_file_get_contents(MAN_PAGE, &text, NULL, &error);
	g_assert_no_error(error);
	lines = g_strsplit(text, "\n", -1);
	for (guint k = 0; keys[k] != NULL; k++) {
		g_auto(GStrv) parts = g_strsplit(keys[k], ".", 2);
		g_autofree char *heading = g_strdup_printf(".SS \"[%s]\"", parts[0]);
		g_autofree char *entry = g_strdup_printf(".B %s", parts[1]);
		const char *section = NULL;
		gboolean found = FALSE;

		for (guint i = 0; lines[i] != NULL && !found; i++) {
			if (g_str_has_prefix(lines[i], ".SS ") || g_str_has_prefix(lines[i], ".SH "))
				section = lines[i];
			found = section != NULL && strcmp(section, heading) == 0 &&
			        strcmp(lines[i], entry) == 0 && i > 0 &&
			        strcmp(lines[i - 1], ".TP") == 0 && lines[i + 1] != NULL &&
			        lines[i + 1][0] != '.';
		}
		if (!found)
			g_error("man/airlock.conf.5 does not describe %s (a .TP/.B %s entry with "
			        "its text under %s)",
			        keys[k], parts[1], heading);
	}
}

static void assert_installed_path(const char *what, const char *path)
{
	g_test_message("%s = %s", what, path);
	g_assert_nonnull(path);
	g_assert_true(g_path_is_absolute(path));
	g_assert_false(g_str_has_prefix(path, AL_SOURCE_DIR));
	g_assert_false(g_str_has_prefix(path, AL_BUILD_DIR));
}

static void test_config_installed_copy_loads_with_installed_paths(void)
{
	GError *error = NULL;
	struct al_config *config = al_config_load(INSTALLED_CONF, FALSE, &error);
	struct al_config *defaults = al_config_new_defaults();

	g_assert_no_error(error);
	g_assert_nonnull(config);
	g_assert_true(g_str_has_prefix(config->milter_socket, "unix:/"));
	assert_installed_path("socket", config->milter_socket + strlen("unix:"));
	assert_installed_path("pidfile", config->milter_pidfile);
	assert_installed_path("status_file", config->milter_status_file);
	assert_installed_path("signatures", config->signatures_dir);
	assert_installed_path("quarantine dir", config->quarantine_dir);
	assert_installed_path("release_key", config->release_key);
	/* The rest is the bundled sample's, which keeps the defaults. */
	g_assert_cmpstr(config->milter_user, ==, defaults->milter_user);
	g_assert_cmpstr(config->release_command, ==, defaults->release_command);
	g_assert_cmpstr(config->notice_command, ==, defaults->notice_command);
	al_config_free(&defaults);
	al_config_free(&config);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config_install/man_page_documents_every_key",
	                test_config_man_page_documents_every_key);
	g_test_add_func("/config_install/installed_copy_loads_with_installed_paths",
	                test_config_installed_copy_loads_with_installed_paths);
	return g_test_run();
}
