/*
 * config.h - the configuration: one INI file read with GKeyFile.
 *
 * Every key lives in one settings table (section, key, type, default,
 * min, max) in config.c: the loader, the validator and the documented
 * sample (conf/airlock.conf) follow that table. Unknown sections or keys,
 * bad values, bad CIDRs and missing directories are errors whose message
 * names the file and the key ("airlock.conf: [origin] internal_networks:
 * '10.0.0.0/33' is not an address/prefix").
 *
 * Relative paths in the file are resolved against the file's directory,
 * so the bundled default works from a checkout.
 *
 * Ownership: al_config_load() returns a config the caller frees with
 * al_config_free(); every string and array inside belongs to it. A loaded
 * config is never modified: a reload builds a new one.
 */
#ifndef AIRLOCK_CONFIG_H
#define AIRLOCK_CONFIG_H

#include "airlock/cidr.h"
#include "airlock/common.h"

#include <glib.h>

/* Free space to keep on a file system: bytes, or a percentage of its
 * size when percent is not 0. */
struct al_free_space {
	guint64 bytes;
	guint percent;
};

/* The free space min asks for on a file system of total_bytes. */
guint64 al_free_space_bytes(const struct al_free_space *min, guint64 total_bytes);

struct al_config {
	char *path; /* the file it was loaded from */

	/* [milter] */
	char *milter_socket;	/* "unix:/path" or "inet:PORT@127.0.0.1" */
	char *milter_user;
	char *milter_pidfile;
	enum al_action on_error; /* tempfail (default) or accept */
	guint milter_timeout_seconds;
	guint milter_max_jobs; /* messages judged at once; 0: one per CPU core */
	char *milter_status_file; /* the daemon's state for airlockctl status;
				     default: airlock.status beside the pidfile */

	/* [scan] */
	char *signatures_dir;	   /* ours: .ndb/.ldb/.hdb/.yar + filetypes.conf */
	char *clamav_database_dir; /* freshclam's; missing = warning */
	guint64 scan_max_filesize_bytes;
	guint64 scan_max_scansize_bytes;
	guint scan_max_recursion;
	guint scan_max_files;
	guint scan_max_seconds;
	char *scan_image_fuzzy_hash; /* "auto" (default), "yes" or "no" */
	guint scan_database_check_seconds; /* reload when the databases change; 0: never */
	guint scan_max_database_age_days;  /* older ClamAV database: a warning */
	gboolean scan_concurrent_reload;   /* build the new engine beside the old */

	/* [limits] */
	guint64 max_message_bytes;
	guint max_mime_depth;
	guint max_parts;
	guint64 max_attachment_bytes;	/* decoded size of one part */
	guint64 memory_threshold_bytes; /* larger parts spill to spool_dir */
	char *spool_dir;
	guint64 max_concurrent_bytes; /* messages judged at once (the milter) */

	/* [origin] */
	char *authserv_id; /* NULL: no Authentication-Results trusted */
	struct al_cidr_list *internal_networks;
	char **trusted_senders; /* addresses or domains, lower case */
	gboolean learn_correspondents;

	/* [policy] */
	enum al_action action_for[AL_REASON_COUNT];
	char **safe_types;	      /* detected types unknown origin may send */
	gboolean safe_inline_images; /* images referenced by cid: from HTML */

	/* [quarantine] */
	char *quarantine_dir;
	char *quarantine_backend; /* "sqlite" or "postgresql" */
	char *quarantine_dsn;	  /* libpq connection string (postgresql); may be NULL */
	guint statement_timeout_seconds; /* PostgreSQL: below milter_timeout_seconds */
	guint retention_days;
	char *release_command;
	char *release_key; /* path; default: release.key in quarantine_dir */
	struct al_free_space quarantine_min_free; /* below it: 451 before writing */

	/* [notice] */
	char **languages; /* "fr", "en" */
	char *admin_contact;
	char *notice_command; /* sendmail interface for hold notices */
	char *admin_address;  /* where operational alerts are mailed */

	/* [web] (airlock-web, and the links notices and digests carry) */
	char *web_listen;	  /* "HOST:PORT", a loopback address by default */
	char *web_public_url;	  /* the base of links; default http://LISTEN */
	guint web_link_days;	  /* a recipient's link expires after this */
	char **web_self_release_names; /* reason names, as written */
	al_reason_set web_self_release; /* the same, as a set (never virus or polyglot) */
	char *web_tls_certificate; /* PEM; NULL: plain HTTP (behind a proxy) */
	char *web_tls_key;

	/* [safecopy] (issue 17: safecopy.h) */
	char **safecopy_reason_names; /* reason names, as written */
	al_reason_set safecopy_reasons; /* the same, as a set (never virus, executable,
					   encrypted) */
	guint safecopy_max_pages;
	guint safecopy_max_seconds; /* for all the copies of one message */
	guint safecopy_dpi;
	char *safecopy_helper; /* the airlock-safecopy program */
	char *safecopy_office; /* "auto" (default), "yes" or "no" */
	const char *safecopy_soffice; /* LibreOffice's soffice when office copies are on,
	                                 else NULL (static, not freed) */
};

/*
 * Loads and validates path. Returns NULL and sets error (AL_ERROR_CONFIG)
 * on any problem; the message names the file and the key.
 * check_dirs: also require that directories named by the config exist
 * (signatures, spool); airlockctl and airlock-milter -t pass TRUE.
 */
struct al_config *al_config_load(const char *path, gboolean check_dirs, GError **error);

/* The built-in defaults, as if from an empty file (for tests): path is
 * NULL and relative paths stay unresolved. NULL only if the built-in
 * table itself were inconsistent, which the unit tests rule out. */
struct al_config *al_config_new_defaults(void);

void al_config_free(struct al_config **config);

/* The default config file path: AIRLOCK_CONFIG from the environment, else
 * the installed /etc/airlock/airlock.conf. */
const char *al_config_default_path(void);

/* Every key the settings table knows, as "section.key" strings, in table
 * order, NULL-terminated; static, never freed (transfer none). The unit
 * tests check that the bundled conf/airlock.conf documents each one. */
const char *const *al_config_known_keys(void);

#endif
