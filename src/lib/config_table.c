/*
 * config_table.c - every configuration key: section, type, default as it
 * would be written in the file, the field of struct al_config it fills,
 * its range and an optional check of the value (see config.c for how the
 * table is read). Adding a key is adding a line here and the field in
 * airlock/config.h, and documenting it in conf/airlock.conf (the unit
 * tests compare the two).
 */
#include "config_private.h"

#include <libpq-fe.h>

#include <stdlib.h>
#include <string.h>

#define AT(field) offsetof(struct al_config, field)

static const char *check_on_error(char *value);
static const char *check_authserv_id(char *value);
static const char *check_sender(char *value);
static const char *check_mime_pattern(char *value);
static const char *check_language(char *value);
static const char *check_auto_yes_no(char *value);
static const char *check_admin_address(char *value);
static const char *check_not_accept(char *value);
static const char *check_listen(char *value);
static const char *check_public_url(char *value);
static const char *check_self_release(char *value);
static const char *check_safecopy_reason(char *value);
static const char *check_store_backend(char *value);
static const char *check_dsn(char *value);

/* clang-format off */
#define ACTION_SETTING(name, reason, text)                                                       \
	{ .section = "policy", .key = name, .type = SET_ACTION, .default_text = text,           \
	  .offset = AT(action_for[reason]) }

const struct setting al_config_settings[] = {
	{ .section = "milter", .key = "socket", .type = SET_SOCKET,
	  .default_text = "unix:/run/airlock/airlock.sock", .offset = AT(milter_socket) },
	{ .section = "milter", .key = "user", .type = SET_STRING, .default_text = "airlock",
	  .offset = AT(milter_user), .min = 1, .max = 256 },
	{ .section = "milter", .key = "pidfile", .type = SET_PATH,
	  .default_text = "/run/airlock/airlock.pid", .offset = AT(milter_pidfile) },
	{ .section = "milter", .key = "on_error", .type = SET_ACTION, .default_text = "tempfail",
	  .offset = AT(on_error), .check = check_on_error },
	{ .section = "milter", .key = "timeout", .type = SET_UINT, .default_text = "300",
	  .offset = AT(milter_timeout_seconds), .min = 1, .max = 3600 },
	{ .section = "milter", .key = "max_jobs", .type = SET_UINT, .default_text = "0",
	  .offset = AT(milter_max_jobs), .min = 0, .max = 1024 },
	{ .section = "milter", .key = "status_file", .type = SET_OPT_PATH, .default_text = NULL,
	  .offset = AT(milter_status_file) },

	{ .section = "scan", .key = "signatures", .type = SET_PATH,
	  .default_text = "/usr/share/airlock/signatures", .offset = AT(signatures_dir) },
	{ .section = "scan", .key = "clamav_database", .type = SET_PATH,
	  .default_text = "/var/lib/clamav", .offset = AT(clamav_database_dir) },
	{ .section = "scan", .key = "max_filesize", .type = SET_SIZE, .default_text = "100M",
	  .offset = AT(scan_max_filesize_bytes), .min = 1, .max = 4 * GIB },
	{ .section = "scan", .key = "max_scansize", .type = SET_SIZE, .default_text = "400M",
	  .offset = AT(scan_max_scansize_bytes), .min = 1, .max = 4 * GIB },
	{ .section = "scan", .key = "max_recursion", .type = SET_UINT, .default_text = "16",
	  .offset = AT(scan_max_recursion), .min = 1, .max = 64 },
	{ .section = "scan", .key = "max_files", .type = SET_UINT, .default_text = "10000",
	  .offset = AT(scan_max_files), .min = 1, .max = 1000000 },
	{ .section = "scan", .key = "max_seconds", .type = SET_UINT, .default_text = "120",
	  .offset = AT(scan_max_seconds), .min = 1, .max = 3600 },
	{ .section = "scan", .key = "image_fuzzy_hash", .type = SET_STRING, .default_text = "auto",
	  .offset = AT(scan_image_fuzzy_hash), .min = 1, .max = 8, .check = check_auto_yes_no },
	{ .section = "scan", .key = "database_check_seconds", .type = SET_UINT,
	  .default_text = "300", .offset = AT(scan_database_check_seconds), .min = 0,
	  .max = 86400 },
	{ .section = "scan", .key = "max_database_age", .type = SET_UINT, .default_text = "3",
	  .offset = AT(scan_max_database_age_days), .min = 1, .max = 365 },
	{ .section = "scan", .key = "concurrent_reload", .type = SET_BOOL, .default_text = "true",
	  .offset = AT(scan_concurrent_reload) },

	{ .section = "limits", .key = "max_message_size", .type = SET_SIZE, .default_text = "200M",
	  .offset = AT(max_message_bytes), .min = KIB, .max = 16 * GIB },
	{ .section = "limits", .key = "max_mime_depth", .type = SET_UINT, .default_text = "32",
	  .offset = AT(max_mime_depth), .min = 1, .max = 1000 },
	{ .section = "limits", .key = "max_parts", .type = SET_UINT, .default_text = "1000",
	  .offset = AT(max_parts), .min = 1, .max = 100000 },
	{ .section = "limits", .key = "max_attachment_size", .type = SET_SIZE,
	  .default_text = "100M", .offset = AT(max_attachment_bytes), .min = 1, .max = 16 * GIB },
	{ .section = "limits", .key = "memory_threshold", .type = SET_SIZE, .default_text = "1M",
	  .offset = AT(memory_threshold_bytes), .min = 0, .max = GIB },
	{ .section = "limits", .key = "spool_dir", .type = SET_PATH, .default_text = "/var/tmp",
	  .offset = AT(spool_dir) },
	{ .section = "limits", .key = "max_concurrent_size", .type = SET_SIZE,
	  .default_text = "40M", .offset = AT(max_concurrent_bytes), .min = MIB, .max = 64 * GIB },

	{ .section = "origin", .key = "authserv_id", .type = SET_OPT_STRING, .default_text = NULL,
	  .offset = AT(authserv_id), .check = check_authserv_id },
	{ .section = "origin", .key = "internal_networks", .type = SET_CIDRS,
	  .default_text = "127.0.0.0/8;::1/128", .offset = AT(internal_networks) },
	{ .section = "origin", .key = "trusted_senders", .type = SET_LIST, .default_text = "",
	  .offset = AT(trusted_senders), .check = check_sender },
	{ .section = "origin", .key = "learn_correspondents", .type = SET_BOOL,
	  .default_text = "true", .offset = AT(learn_correspondents) },

	ACTION_SETTING("action_virus", AL_REASON_VIRUS, "hold"),
	ACTION_SETTING("action_executable", AL_REASON_EXECUTABLE, "strip"),
	ACTION_SETTING("action_disguised", AL_REASON_DISGUISED, "strip"),
	ACTION_SETTING("action_macro", AL_REASON_MACRO, "strip"),
	ACTION_SETTING("action_encrypted", AL_REASON_ENCRYPTED, "strip"),
	ACTION_SETTING("action_limits", AL_REASON_LIMITS, "strip"),
	ACTION_SETTING("action_malformed", AL_REASON_MALFORMED, "strip"),
	ACTION_SETTING("action_polyglot", AL_REASON_POLYGLOT, "hold"),
	ACTION_SETTING("action_unknown_type", AL_REASON_UNKNOWN_TYPE, "strip"),
	{ .section = "policy", .key = "action_unscannable", .type = SET_ACTION,
	  .default_text = "strip", .offset = AT(action_for[AL_REASON_UNSCANNABLE]),
	  .check = check_not_accept },
	ACTION_SETTING("action_unknown_origin", AL_REASON_UNKNOWN_ORIGIN, "strip"),
	{ .section = "policy", .key = "safe_types", .type = SET_LIST, .default_text = "",
	  .offset = AT(safe_types), .check = check_mime_pattern },
	{ .section = "policy", .key = "safe_inline_images", .type = SET_BOOL,
	  .default_text = "true", .offset = AT(safe_inline_images) },

	{ .section = "quarantine", .key = "dir", .type = SET_PATH,
	  .default_text = "/var/lib/airlock", .offset = AT(quarantine_dir) },
	{ .section = "quarantine", .key = "backend", .type = SET_STRING,
	  .default_text = "sqlite", .offset = AT(quarantine_backend), .min = 1, .max = 32,
	  .check = check_store_backend },
	{ .section = "quarantine", .key = "dsn", .type = SET_OPT_STRING, .default_text = NULL,
	  .offset = AT(quarantine_dsn), .check = check_dsn },
	{ .section = "quarantine", .key = "statement_timeout", .type = SET_UINT,
	  .default_text = "10", .offset = AT(statement_timeout_seconds), .min = 1, .max = 3600 },
	{ .section = "quarantine", .key = "retention_days", .type = SET_UINT, .default_text = "30",
	  .offset = AT(retention_days), .min = 1, .max = 3650 },
	{ .section = "quarantine", .key = "release_command", .type = SET_STRING,
	  .default_text = "/usr/sbin/sendmail -G -i", .offset = AT(release_command), .min = 1,
	  .max = 4096 },
	{ .section = "quarantine", .key = "release_key", .type = SET_OPT_PATH,
	  .default_text = NULL, .offset = AT(release_key) },
	{ .section = "quarantine", .key = "min_free", .type = SET_FREE_SPACE,
	  .default_text = "512M", .offset = AT(quarantine_min_free), .min = 0, .max = 64 * 1024 * GIB },

	{ .section = "notice", .key = "languages", .type = SET_LIST, .default_text = "fr;en",
	  .offset = AT(languages), .min = 1, .check = check_language },
	{ .section = "notice", .key = "admin_contact", .type = SET_STRING,
	  .default_text = "postmaster", .offset = AT(admin_contact), .min = 1, .max = 1024 },
	{ .section = "notice", .key = "command", .type = SET_STRING,
	  .default_text = "/usr/sbin/sendmail -i", .offset = AT(notice_command), .min = 1,
	  .max = 4096 },
	{ .section = "notice", .key = "admin_address", .type = SET_STRING,
	  .default_text = "postmaster", .offset = AT(admin_address), .min = 1, .max = 256,
	  .check = check_admin_address },

	{ .section = "web", .key = "listen", .type = SET_STRING, .default_text = "127.0.0.1:8025",
	  .offset = AT(web_listen), .min = 3, .max = 256, .check = check_listen },
	{ .section = "web", .key = "public_url", .type = SET_OPT_STRING, .default_text = NULL,
	  .offset = AT(web_public_url), .check = check_public_url },
	{ .section = "web", .key = "link_days", .type = SET_UINT, .default_text = "7",
	  .offset = AT(web_link_days), .min = 1, .max = 90 },
	{ .section = "web", .key = "self_release", .type = SET_LIST,
	  .default_text = "unknown-origin", .offset = AT(web_self_release_names),
	  .check = check_self_release },
	{ .section = "web", .key = "tls_certificate", .type = SET_OPT_PATH, .default_text = NULL,
	  .offset = AT(web_tls_certificate) },
	{ .section = "web", .key = "tls_key", .type = SET_OPT_PATH, .default_text = NULL,
	  .offset = AT(web_tls_key) },

	{ .section = "safecopy", .key = "reasons", .type = SET_LIST,
	  .default_text = "unknown-origin;unknown-type;macro;polyglot",
	  .offset = AT(safecopy_reason_names),
	  .check = check_safecopy_reason },
	{ .section = "safecopy", .key = "max_pages", .type = SET_UINT, .default_text = "30",
	  .offset = AT(safecopy_max_pages), .min = 1, .max = 1000 },
	{ .section = "safecopy", .key = "max_seconds", .type = SET_UINT, .default_text = "20",
	  .offset = AT(safecopy_max_seconds), .min = 1, .max = 600 },
	{ .section = "safecopy", .key = "dpi", .type = SET_UINT, .default_text = "150",
	  .offset = AT(safecopy_dpi), .min = 50, .max = 600 },
	{ .section = "safecopy", .key = "office", .type = SET_STRING, .default_text = "auto",
	  .offset = AT(safecopy_office), .min = 1, .max = 8, .check = check_auto_yes_no },
	{ .section = "safecopy", .key = "helper", .type = SET_PATH,
	  .default_text = AL_SAFECOPY_HELPER, .offset = AT(safecopy_helper) },
};
/* clang-format on */

const gsize al_config_setting_count = G_N_ELEMENTS(al_config_settings);

/* ------------------------------------------------------------ checks */

static gboolean has_space(const char *value)
{
	for (const char *p = value; *p != '\0'; p++)
		if (g_ascii_isspace(*p) || g_ascii_iscntrl(*p))
			return TRUE;
	return FALSE;
}

static void lower_in_place(char *value)
{
	for (char *p = value; *p != '\0'; p++)
		*p = g_ascii_tolower(*p);
}

static const char *check_auto_yes_no(char *value)
{
	lower_in_place(value);
	if (strcmp(value, "auto") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "no") == 0)
		return NULL;
	return "auto, yes or no";
}

/* What nobody could open is never delivered as if it had been checked. */
static const char *check_not_accept(char *value)
{
	if (strcmp(value, "accept") == 0)
		return "strip, hold, reject or tempfail (what could not be opened is never accepted)";
	return NULL;
}

static const char *check_on_error(char *value)
{
	if (strcmp(value, "tempfail") == 0 || strcmp(value, "accept") == 0)
		return NULL;
	return "tempfail or accept";
}

/* An authserv-id is one token of the Authentication-Results header. */
static const char *check_authserv_id(char *value)
{
	if (has_space(value) || strpbrk(value, ";()\"") != NULL)
		return "an authserv-id (one word, such as mx.example.org)";
	return NULL;
}

/* "user@domain", "@domain" or "domain", compared in lower case. */
static const char *check_sender(char *value)
{
	const char *at = strchr(value, '@');

	lower_in_place(value);
	if (has_space(value) || strpbrk(value, "<>,;") != NULL ||
	    (at != NULL && (at[1] == '\0' || strchr(at + 1, '@') != NULL)))
		return "an address (user@example.org) or a domain (example.org or @example.org)";
	return NULL;
}

static gboolean is_mime_token(const char *start, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum(start[i]) && strchr("!#$&^_.+-", start[i]) == NULL)
			return FALSE;
	return TRUE;
}

/* "type/subtype" or "type/" followed by a star, compared in lower case. */
static const char *check_mime_pattern(char *value)
{
	const char *slash = strchr(value, '/');

	lower_in_place(value);
	if (slash == NULL || !is_mime_token(value, (gsize)(slash - value)) ||
	    (strcmp(slash + 1, "*") != 0 && !is_mime_token(slash + 1, strlen(slash + 1))))
		return "a MIME type (type/subtype or type/*)";
	return NULL;
}

/* One envelope address ("postmaster" or "it@example.org"): it is passed
 * to the sendmail interface as an argument. */
static const char *check_admin_address(char *value)
{
	if (has_space(value) || value[0] == '-' || strpbrk(value, "<>,;()\"\\") != NULL)
		return "one address (postmaster or admin@example.org)";
	return NULL;
}

/* "HOST:PORT" or "[IPV6]:PORT": where airlock-web listens. */
static const char *check_listen(char *value)
{
	const char *colon = strrchr(value, ':');
	char *end = NULL;
	unsigned long port;

	if (colon == NULL || colon == value || has_space(value))
		return "HOST:PORT (such as 127.0.0.1:8025)";
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
		return "HOST:PORT with a port from 1 to 65535";
	return NULL;
}

/* The base of the links: http(s)://host[:port][/path], no query. */
static const char *check_public_url(char *value)
{
	gsize len = strlen(value);

	if ((!g_str_has_prefix(value, "https://") && !g_str_has_prefix(value, "http://")) ||
	    has_space(value) || strpbrk(value, "?#\"<>") != NULL)
		return "an http:// or https:// address without query (https://quarantine.example.org)";
	while (len > 0 && value[len - 1] == '/')
		value[--len] = '\0';
	return NULL;
}

/* A recipient may release alone only what a rescan can vouch for: never
 * a virus or a polyglot file. */
static const char *check_self_release(char *value)
{
	int reason;

	lower_in_place(value);
	reason = al_reason_from_name(value);
	if (reason < 0)
		return "reason names (unknown-origin, unknown-type, macro...)";
	if (reason == AL_REASON_VIRUS || reason == AL_REASON_POLYGLOT)
		return "reasons other than virus and polyglot (those need the admin)";
	return NULL;
}

/* A copy is rebuilt from what a file shows: never offered for a file
 * that is malware, a program, or could not be scanned at all. */
static const char *check_safecopy_reason(char *value)
{
	int reason;

	lower_in_place(value);
	reason = al_reason_from_name(value);
	if (reason < 0)
		return "reason names (unknown-origin, unknown-type, macro...)";
	if (reason == AL_REASON_VIRUS || reason == AL_REASON_EXECUTABLE ||
	    reason == AL_REASON_ENCRYPTED)
		return "reasons other than virus, executable and encrypted";
	return NULL;
}

static const char *check_store_backend(char *value)
{
	lower_in_place(value);
	if (strcmp(value, "sqlite") == 0 || strcmp(value, "postgresql") == 0)
		return NULL;
	return "sqlite or postgresql";
}

/* A libpq connection string without a password: that goes in a passfile
 * or a service file only the daemon's user reads. */
static const char *check_dsn(char *value)
{
	char *message = NULL;
	PQconninfoOption *options = PQconninfoParse(value, &message);
	gboolean has_password = FALSE;

	if (options == NULL) {
		PQfreemem(message);
		return "a libpq connection string (host=... dbname=... user=...)";
	}
	for (PQconninfoOption *o = options; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
			has_password = TRUE;
	PQconninfoFree(options);
	if (has_password)
		return "a connection string without password= (use passfile= or a service file)";
	return NULL;
}

static const char *check_language(char *value)
{
	lower_in_place(value);
	if (strcmp(value, "fr") == 0 || strcmp(value, "en") == 0)
		return NULL;
	return "fr or en";
}
