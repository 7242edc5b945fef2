/*
 * config_private.h - what config.c (reading, parsing, defaults) and
 * config_table.c (the table of every key, and the checks of single
 * values) share inside libairlock.
 */
#ifndef AIRLOCK_CONFIG_PRIVATE_H
#define AIRLOCK_CONFIG_PRIVATE_H

#include "airlock/config.h"

#include <stddef.h>

#define KIB      ((guint64)1024)
#define MIB      (KIB * 1024)
#define GIB      (MIB * 1024)
#define NO_LIMIT G_MAXUINT64

enum setting_type {
	SET_STRING,     /* char *, length in [min, max] */
	SET_OPT_STRING, /* char *, unset or empty: NULL */
	SET_PATH,       /* char *, relative to the config file's directory */
	SET_OPT_PATH,   /* char *, a path; unset or empty: NULL (a derived default) */
	SET_SOCKET,     /* char *, libmilter's unix:PATH, local:PATH, inet:PORT@HOST... */
	SET_BOOL,       /* gboolean */
	SET_UINT,       /* guint in [min, max] */
	SET_SIZE,       /* guint64 bytes in [min, max], K/M/G suffix */
	SET_ACTION,     /* enum al_action */
	SET_LIST,       /* char **, NULL-terminated, at least min entries */
	SET_CIDRS,      /* struct al_cidr_list * */
	SET_FREE_SPACE, /* struct al_free_space: a size, or a percentage ("5%") */
};

/* Validates one value (or one list entry) and may normalise it in place.
 * Returns NULL when it is fine, else what it should be, completing
 * "'value' is not ...". */
typedef const char *(*value_check)(char *value);

struct setting {
	const char *section;
	const char *key;
	enum setting_type type;
	const char *default_text; /* as it would be written in the file; NULL: unset */
	size_t offset;            /* of the field in struct al_config */
	guint64 min;
	guint64 max;
	value_check check; /* optional */
};

/* Every key, in the order of the bundled airlock.conf. */
extern const struct setting al_config_settings[];
extern const gsize al_config_setting_count;

#endif
