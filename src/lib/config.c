/*
 * config.c - the configuration: one INI file read with GKeyFile.
 *
 * SYNOPSIS
 *	struct al_config *config = al_config_load(path, TRUE, &error);
 *	...
 *	al_config_free(&config);
 *
 * DESCRIPTION
 *	One table, al_config_settings[] (config_table.c), lists every key: its section, its
 *	type, its default (written as it would be in the file), the field
 *	of struct al_config it fills and its range. Loading, defaults,
 *	validation, freeing and the list of known keys (which the unit
 *	tests compare with the bundled conf/airlock.conf) all walk that
 *	table, so adding a key is adding one line.
 *
 *	Defaults go through the same parser as values from the file, so a
 *	wrong default is caught by the defaults test, not in production.
 *
 *	Types: a string (length from min to max), an optional string (unset
 *	or empty: NULL), a path (relative: relative to the directory of the
 *	config file, made absolute and cleaned of "." and ".."), a milter
 *	socket (a unix: path is resolved like a path), a boolean, an unsigned
 *	number and a size (K, M, G suffixes, powers of 1024) in [min, max],
 *	an action name, a string list and a CIDR list. Lists use GKeyFile's
 *	';' separator; entries are trimmed and empty ones dropped; min is
 *	the least number of entries. A per-key check function validates
 *	(and may normalise, e.g. lower-case) a value or each list entry.
 *
 *	A free space is a size or a percentage of the file system ("5%").
 *
 *	Derived defaults: [quarantine] release_key unset is release.key in
 *	[quarantine] dir; [milter] status_file unset is airlock.status in
 *	the directory of [milter] pidfile; [web] public_url unset is
 *	http:// followed by [web] listen.
 *
 * ERRORS
 *	AL_ERROR_CONFIG, the message naming the file, the section and the
 *	key: "FILE: [section] key: 'value' is not ...", "FILE: [section]
 *	key: unknown key", "FILE: [section]: unknown section".
 */
#include "config_private.h"

#include "airlock/safecopy.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define DEFAULT_CONFIG_PATH "/etc/airlock/airlock.conf"
#define DEFAULTS_LABEL      "built-in defaults"
#define RELEASE_KEY_NAME    "release.key"
#define STATUS_FILE_NAME    "airlock.status"

struct load_ctx {
	GKeyFile *key_file;   /* NULL: defaults only */
	const char *label;    /* the file name in messages */
	const char *base_dir; /* for relative paths; NULL: leave them relative */
};

/* ----------------------------------------------------------- parsing */

static int fail(const struct load_ctx *ctx, const struct setting *s, GError **error,
                const char *format, ...) G_GNUC_PRINTF(4, 5);

static int fail(const struct load_ctx *ctx, const struct setting *s, GError **error,
                const char *format, ...)
{
	g_autofree char *what = NULL;
	va_list args;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "%s: [%s] %s: %s", ctx->label, s->section,
	            s->key, what);
	return -1;
}

static gboolean holds_string(const struct setting *s)
{
	return s->type == SET_STRING || s->type == SET_OPT_STRING || s->type == SET_PATH ||
	       s->type == SET_OPT_PATH || s->type == SET_SOCKET;
}

static void *field_of(struct al_config *config, const struct setting *s)
{
	return (char *)config + s->offset;
}

/* "0", "1K", "100M", "4G": the largest suffix that divides exactly. */
static char *format_size(guint64 bytes)
{
	if (bytes != 0 && bytes % GIB == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT "G", bytes / GIB);
	if (bytes != 0 && bytes % MIB == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT "M", bytes / MIB);
	if (bytes != 0 && bytes % KIB == 0)
		return g_strdup_printf("%" G_GUINT64_FORMAT "K", bytes / KIB);
	return g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
}

static gboolean is_all_digits(const char *text, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isdigit(text[i]))
			return FALSE;
	return TRUE;
}

static gboolean parse_size(const char *text, guint64 *bytes_r)
{
	char digits[24];
	gsize len = strlen(text);
	guint64 unit = 1;
	guint64 number;

	if (len == 0)
		return FALSE;
	switch (g_ascii_toupper(text[len - 1])) {
	case 'K':
		unit = KIB;
		break;
	case 'M':
		unit = MIB;
		break;
	case 'G':
		unit = GIB;
		break;
	default:
		break;
	}
	if (unit != 1)
		len--;
	if (len >= sizeof(digits) || !is_all_digits(text, len))
		return FALSE;
	memcpy(digits, text, len);
	digits[len] = '\0';
	if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT64 / unit, &number, NULL))
		return FALSE;
	*bytes_r = number * unit;
	return TRUE;
}

static gboolean parse_bool(const char *text, gboolean *value_r)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(text, yes[i]) == 0) {
			*value_r = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(text, no[i]) == 0) {
			*value_r = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}

/* A relative path is relative to the config file's directory. */
static char *resolve_path(const struct load_ctx *ctx, const char *path)
{
	if (ctx->base_dir == NULL || g_path_is_absolute(path))
		return g_strdup(path);
	return g_canonicalize_filename(path, ctx->base_dir);
}

static gboolean is_port_spec(const char *spec)
{
	const char *at = strchr(spec, '@');
	gsize len = at != NULL ? (gsize)(at - spec) : strlen(spec);
	char port[8];
	guint64 number;

	if (len >= sizeof(port) || !is_all_digits(spec, len) || (at != NULL && at[1] == '\0'))
		return FALSE;
	memcpy(port, spec, len);
	port[len] = '\0';
	return g_ascii_string_to_unsigned(port, 10, 1, 65535, &number, NULL);
}

static int parse_socket(const struct load_ctx *ctx, const struct setting *s, const char *text,
                        char **socket_r, GError **error)
{
	static const char *const path_schemes[] = {"unix:", "local:"};

	for (guint i = 0; i < G_N_ELEMENTS(path_schemes); i++) {
		const char *path;
		g_autofree char *resolved = NULL;

		if (!g_str_has_prefix(text, path_schemes[i]))
			continue;
		path = text + strlen(path_schemes[i]);
		if (path[0] == '\0')
			break;
		resolved = resolve_path(ctx, path);
		*socket_r = g_strconcat(path_schemes[i], resolved, NULL);
		return 0;
	}
	if ((g_str_has_prefix(text, "inet:") && is_port_spec(text + 5)) ||
	    (g_str_has_prefix(text, "inet6:") && is_port_spec(text + 6)) || text[0] == '/') {
		*socket_r = g_strdup(text);
		return 0;
	}
	return fail(ctx, s, error, "'%s' is not unix:PATH, inet:PORT@HOST or inet6:PORT@HOST",
	            text);
}

static int parse_action(const struct load_ctx *ctx, const struct setting *s, char *text,
                        enum al_action *action_r, GError **error)
{
	int action = al_action_from_name(text);
	const char *should_be;

	if (action < 0)
		return fail(ctx, s, error, "'%s' is not accept, strip, hold, reject or tempfail",
		            text);
	if (s->check != NULL && (should_be = s->check(text)) != NULL)
		return fail(ctx, s, error, "'%s' is not %s", text, should_be);
	*action_r = (enum al_action)action;
	return 0;
}

static int parse_number(const struct load_ctx *ctx, const struct setting *s, const char *text,
                        void *field, GError **error)
{
	guint64 value;

	if (s->type == SET_UINT) {
		if (!is_all_digits(text, strlen(text)) ||
		    !g_ascii_string_to_unsigned(text, 10, s->min, s->max, &value, NULL))
			return fail(ctx, s, error,
			            "'%s' is not a whole number from %" G_GUINT64_FORMAT
			            " to %" G_GUINT64_FORMAT,
			            text, s->min, s->max);
		*(guint *)field = (guint)value;
		return 0;
	}
	if (!parse_size(text, &value) || value < s->min || value > s->max) {
		g_autofree char *min = format_size(s->min);
		g_autofree char *max = format_size(s->max);

		return fail(ctx, s, error,
		            "'%s' is not a size from %s to %s (bytes, or a number followed by K, "
		            "M or G)",
		            text, min, max);
	}
	*(guint64 *)field = value;
	return 0;
}

/* "512M", "0", or a percentage "5%" (0 to 99). */
static int parse_free_space(const struct load_ctx *ctx, const struct setting *s,
                            const char *text, struct al_free_space *space_r, GError **error)
{
	gsize len = strlen(text);
	guint64 value;

	if (len > 1 && text[len - 1] == '%') {
		g_autofree char *digits = g_strndup(text, len - 1);

		if (!is_all_digits(digits, len - 1) ||
		    !g_ascii_string_to_unsigned(digits, 10, 0, 99, &value, NULL))
			return fail(ctx, s, error, "'%s' is not a percentage from 0%% to 99%%", text);
		*space_r = (struct al_free_space){ .percent = (guint)value };
		return 0;
	}
	if (!parse_size(text, &value) || value > s->max)
		return fail(ctx, s, error,
		            "'%s' is not a size (bytes, or a number followed by K, M or G) "
		            "or a percentage of the file system (5%%)",
		            text);
	*space_r = (struct al_free_space){ .bytes = value };
	return 0;
}

guint64 al_free_space_bytes(const struct al_free_space *min, guint64 total_bytes)
{
	if (min->percent != 0)
		return total_bytes / 100 * min->percent + total_bytes % 100 * min->percent / 100;
	return min->bytes;
}

static int parse_string(const struct load_ctx *ctx, const struct setting *s, char *text,
                        char **string_r, GError **error)
{
	const char *should_be;
	gsize len = strlen(text);

	if (len == 0 && (s->type == SET_OPT_STRING || s->type == SET_OPT_PATH))
		return 0;
	if (len == 0 && s->type != SET_STRING)
		return fail(ctx, s, error, "'' is not a path");
	if (s->type == SET_STRING && (len < s->min || len > s->max))
		return fail(ctx, s, error,
		            "'%s' is not a text of %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
		            " characters",
		            text, s->min, s->max);
	if (s->check != NULL && (should_be = s->check(text)) != NULL)
		return fail(ctx, s, error, "'%s' is not %s", text, should_be);
	if (s->type == SET_PATH || s->type == SET_OPT_PATH)
		*string_r = resolve_path(ctx, text);
	else
		*string_r = g_strdup(text);
	return 0;
}

static int fail_escape(const struct load_ctx *ctx, const struct setting *s, GError **error)
{
	g_autofree char *raw = g_key_file_get_value(ctx->key_file, s->section, s->key, NULL);

	return fail(ctx, s, error,
	            "'%s' is not valid text (a backslash starts an escape: \\\\, \\s, "
	            "\\t, \\n, \\r%s)",
	            raw != NULL ? raw : "",
	            s->type == SET_LIST || s->type == SET_CIDRS ? ", \\;" : "");
}

/* The value of a scalar key: from the file, else the default (NULL for an
 * unset default). */
static int get_text(const struct load_ctx *ctx, const struct setting *s, char **text_r,
                    GError **error)
{
	GError *local = NULL;

	if (ctx->key_file == NULL || !g_key_file_has_key(ctx->key_file, s->section, s->key, NULL)) {
		*text_r = g_strdup(s->default_text);
		return 0;
	}
	/* GKeyFile may return a value and set an error (a bad escape). */
	*text_r = g_key_file_get_string(ctx->key_file, s->section, s->key, &local);
	if (local != NULL) {
		g_clear_pointer(text_r, g_free);
		g_error_free(local);
		return fail_escape(ctx, s, error);
	}
	return 0;
}

/* The entries of a list key, trimmed, empty ones dropped, each checked;
 * raw_r gets the text as written for messages. */
static int get_list(const struct load_ctx *ctx, const struct setting *s, char ***list_r,
                    char **raw_r, GError **error)
{
	g_auto(GStrv) entries = NULL;
	g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);
	GError *local = NULL;
	const char *should_be;

	if (ctx->key_file == NULL || !g_key_file_has_key(ctx->key_file, s->section, s->key, NULL)) {
		*raw_r = g_strdup(s->default_text);
		entries = g_strsplit(s->default_text, ";", -1);
	} else {
		*raw_r = g_key_file_get_value(ctx->key_file, s->section, s->key, NULL);
		entries =
		    g_key_file_get_string_list(ctx->key_file, s->section, s->key, NULL, &local);
		if (local != NULL) {
			g_error_free(local);
			return fail_escape(ctx, s, error);
		}
	}
	for (char **entry = entries; *entry != NULL; entry++) {
		g_autofree char *normalised = g_strdup(g_strstrip(*entry));

		if (*normalised == '\0')
			continue;
		if (s->check != NULL && (should_be = s->check(normalised)) != NULL)
			return fail(ctx, s, error, "'%s' is not %s", *entry, should_be);
		g_ptr_array_add(kept, g_steal_pointer(&normalised));
	}
	if (kept->len < s->min)
		return fail(ctx, s, error,
		            "'%s' is not a list of at least %" G_GUINT64_FORMAT " entries", *raw_r,
		            s->min);
	g_ptr_array_add(kept, NULL);
	*list_r = (char **)g_ptr_array_steal(kept, NULL);
	return 0;
}

static int apply_list(const struct load_ctx *ctx, const struct setting *s, void *field,
                      GError **error)
{
	g_autofree char *raw = NULL;
	g_auto(GStrv) list = NULL;
	GError *local = NULL;

	if (get_list(ctx, s, &list, &raw, error) < 0)
		return -1;
	if (s->type == SET_LIST) {
		*(char ***)field = g_steal_pointer(&list);
		return 0;
	}
	*(struct al_cidr_list **)field = al_cidr_list_parse((const char *const *)list, &local);
	if (*(struct al_cidr_list **)field == NULL) {
		fail(ctx, s, error, "%s", local->message);
		g_error_free(local);
		return -1;
	}
	return 0;
}

static int apply_scalar(const struct load_ctx *ctx, const struct setting *s, void *field,
                        GError **error)
{
	g_autofree char *text = NULL;

	if (get_text(ctx, s, &text, error) < 0)
		return -1;
	if (text == NULL) /* an unset optional value */
		return 0;
	switch (s->type) {
	case SET_SOCKET:
		return parse_socket(ctx, s, text, (char **)field, error);
	case SET_BOOL:
		if (!parse_bool(text, (gboolean *)field))
			return fail(ctx, s, error, "'%s' is not true or false", text);
		return 0;
	case SET_UINT:
	case SET_SIZE:
		return parse_number(ctx, s, text, field, error);
	case SET_ACTION:
		return parse_action(ctx, s, text, (enum al_action *)field, error);
	case SET_FREE_SPACE:
		return parse_free_space(ctx, s, text, (struct al_free_space *)field, error);
	default:
		return parse_string(ctx, s, text, (char **)field, error);
	}
}

/* ---------------------------------------------------------- loading */

static const struct setting *find_setting(const char *section, const char *key)
{
	for (guint i = 0; i < al_config_setting_count; i++)
		if (strcmp(al_config_settings[i].section, section) == 0 &&
		    (key == NULL || strcmp(al_config_settings[i].key, key) == 0))
			return &al_config_settings[i];
	return NULL;
}

/* Every section and key in the file must be in the table. */
static int check_known(const struct load_ctx *ctx, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(ctx->key_file, NULL);

	for (char **group = groups; *group != NULL; group++) {
		g_auto(GStrv) keys = NULL;

		if (find_setting(*group, NULL) == NULL) {
			g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "%s: [%s]: unknown section",
			            ctx->label, *group);
			return -1;
		}
		keys = g_key_file_get_keys(ctx->key_file, *group, NULL, NULL);
		for (char **key = keys; key != NULL && *key != NULL; key++) {
			if (find_setting(*group, *key) == NULL) {
				g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
				            "%s: [%s] %s: unknown key", ctx->label, *group, *key);
				return -1;
			}
		}
	}
	return 0;
}

/* [quarantine] backend = postgresql needs a dsn; its statements must
 * give up before the MTA gives up on the milter. */
static int check_store(const struct load_ctx *ctx, const struct al_config *config,
                       GError **error)
{
	if (strcmp(config->quarantine_backend, "postgresql") != 0)
		return 0;
	if (config->quarantine_dsn == NULL)
		return fail(ctx, find_setting("quarantine", "dsn"), error,
		            "backend = postgresql needs a dsn");
	if (config->statement_timeout_seconds >= config->milter_timeout_seconds)
		return fail(ctx, find_setting("quarantine", "statement_timeout"), error,
		            "%u s is not less than [milter] timeout (%u s)",
		            config->statement_timeout_seconds, config->milter_timeout_seconds);
	return 0;
}

static struct al_config *build(const struct load_ctx *ctx, GError **error)
{
	struct al_config *config = g_new0(struct al_config, 1);

	for (guint i = 0; i < al_config_setting_count; i++) {
		const struct setting *s = &al_config_settings[i];
		int rc = s->type == SET_LIST || s->type == SET_CIDRS
		             ? apply_list(ctx, s, field_of(config, s), error)
		             : apply_scalar(ctx, s, field_of(config, s), error);

		if (rc < 0) {
			al_config_free(&config);
			return NULL;
		}
	}
	if (check_store(ctx, config, error) < 0) {
		al_config_free(&config);
		return NULL;
	}
	if (config->release_key == NULL)
		config->release_key =
		    g_build_filename(config->quarantine_dir, RELEASE_KEY_NAME, NULL);
	if (config->milter_status_file == NULL) {
		g_autofree char *dir = g_path_get_dirname(config->milter_pidfile);

		config->milter_status_file = g_build_filename(dir, STATUS_FILE_NAME, NULL);
	}
	if (config->web_public_url == NULL)
		config->web_public_url = g_strdup_printf("http://%s", config->web_listen);
	for (gsize i = 0; config->web_self_release_names[i] != NULL; i++)
		config->web_self_release |=
		    AL_REASON_BIT(al_reason_from_name(config->web_self_release_names[i]));
	for (gsize i = 0; config->safecopy_reason_names[i] != NULL; i++)
		config->safecopy_reasons |=
		    AL_REASON_BIT(al_reason_from_name(config->safecopy_reason_names[i]));
	if (strcmp(config->safecopy_office, "no") != 0)
		config->safecopy_soffice = al_safecopy_find_soffice();
	if (strcmp(config->safecopy_office, "yes") == 0 && config->safecopy_soffice == NULL) {
		fail(ctx, find_setting("safecopy", "office"), error,
		     "yes, but LibreOffice (soffice) is not installed: install "
		     "libreoffice-writer-nogui, libreoffice-calc-nogui and "
		     "libreoffice-impress-nogui, or set auto or no");
		al_config_free(&config);
		return NULL;
	}
	return config;
}

static int check_dir(const struct load_ctx *ctx, const char *section, const char *key,
                     const char *dir, GError **error)
{
	const struct setting *s = find_setting(section, key);

	if (!g_file_test(dir, G_FILE_TEST_EXISTS))
		return fail(ctx, s, error, "'%s' does not exist", dir);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		return fail(ctx, s, error, "'%s' is not a directory", dir);
	return 0;
}

struct al_config *al_config_load(const char *path, gboolean check_dirs, GError **error)
{
	g_autoptr(GKeyFile) key_file = g_key_file_new();
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *base_dir = g_canonicalize_filename(dir, NULL);
	const struct load_ctx ctx = {.key_file = key_file, .label = path, .base_dir = base_dir};
	struct al_config *config = NULL;
	GError *local = NULL;

	/* Translated keys (key[fr]) are kept so that they are refused as
	 * unknown instead of silently dropped. */
	if (!g_key_file_load_from_file(key_file, path, G_KEY_FILE_KEEP_TRANSLATIONS, &local)) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "%s: %s", path, local->message);
		g_error_free(local);
		return NULL;
	}
	if (check_known(&ctx, error) < 0)
		return NULL;
	config = build(&ctx, error);
	if (config == NULL)
		return NULL;
	config->path = g_strdup(path);
	if (check_dirs &&
	    (check_dir(&ctx, "scan", "signatures", config->signatures_dir, error) < 0 ||
	     check_dir(&ctx, "limits", "spool_dir", config->spool_dir, error) < 0))
		al_config_free(&config);
	return config;
}

struct al_config *al_config_new_defaults(void)
{
	const struct load_ctx ctx = {.key_file = NULL, .label = DEFAULTS_LABEL, .base_dir = NULL};

	/* NULL only if the table's own defaults are wrong, which the unit
	 * tests rule out. */
	return build(&ctx, NULL);
}

void al_config_free(struct al_config **config)
{
	if (config == NULL || *config == NULL)
		return;
	for (guint i = 0; i < al_config_setting_count; i++) {
		const struct setting *s = &al_config_settings[i];
		void *field = field_of(*config, s);

		if (s->type == SET_LIST)
			g_clear_pointer((char ***)field, g_strfreev);
		else if (s->type == SET_CIDRS)
			al_cidr_list_free((struct al_cidr_list **)field);
		else if (holds_string(s))
			g_clear_pointer((char **)field, g_free);
	}
	g_free((*config)->path);
	g_free(*config);
	*config = NULL;
}

const char *al_config_default_path(void)
{
	const char *path = g_getenv("AIRLOCK_CONFIG");

	return path != NULL && path[0] != '\0' ? path : DEFAULT_CONFIG_PATH;
}

static gpointer make_known_keys(gpointer unused)
{
	char **keys = g_new0(char *, al_config_setting_count + 1);

	(void)unused;
	for (guint i = 0; i < al_config_setting_count; i++)
		keys[i] = g_strconcat(al_config_settings[i].section, ".", al_config_settings[i].key, NULL);
	return keys;
}

const char *const *al_config_known_keys(void)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, make_known_keys, NULL);
}
