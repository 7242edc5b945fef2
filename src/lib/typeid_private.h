/*
 * typeid_private.h - what typeid.c (the table, libmagic, judging content)
 * and typeid_name.c (judging file names) share inside libairlock.
 */
#ifndef AIRLOCK_TYPEID_PRIVATE_H
#define AIRLOCK_TYPEID_PRIVATE_H

#include "airlock/typeid.h"

#define MAX_EXTENSION_BYTES 32
#define MAX_SHOWN_BYTES     120 /* of a name or libmagic's text in a sentence */
#define MIN_PADDING_SPACES  3

struct al_typeid {
	GHashTable *by_mime;      /* "type/subtype" -> value */
	GHashTable *by_mime_top;  /* "type" (from "type/ *") -> value */
	GHashTable *by_extension; /* "exe" -> value */
	GHashTable *by_clamav;    /* "CL_TYPE_MSEXE" -> value */
	GAsyncQueue *cookies;     /* idle magic_t */
	GMutex cache_lock;        /* typeid_cache.c */
	GHashTable *cache;        /* GBytes content -> MIME type */
	guint64 cache_hits;
	guint64 cache_misses;
};

/* Where sentences go: an item's details, or a list joined into an inner
 * file's one detail. */
struct findings {
	al_reason_set reasons;
	GPtrArray *details; /* char*, may be NULL: reasons only */
};

/* Records reason and its sentence (transfer full). */
void al_typeid_found(struct findings *findings, enum al_reason reason, char *sentence);

/* typeid_table.c: reads the file-type table into typeid's hash tables.
 * Returns 0, or -1 with error naming the file and line. */
int al_typeid_load_table(struct al_typeid *typeid, const char *path, GError **error);

/* The category a table gives key (AL_CAT_NONE when absent or NULL). */
enum al_category al_typeid_lookup(GHashTable *table, const char *key);

/* Categories a name or a declared type may claim without a warning. */
gboolean al_typeid_is_harmless(enum al_category category);

/* The lower-case extension after the last dot (transfer full), or NULL;
 * dot_r (optional) gets the dot's offset. */
char *al_typeid_last_extension(const char *name, gsize *dot_r);

/* A name from mail as a sentence may quote it (transfer full). */
char *al_typeid_shown_name(const char *name);

/* The name checks of al_typeid_check_name() into findings. */
al_reason_set al_typeid_check_name_into(const struct al_typeid *typeid, const char *filename,
					struct findings *findings);

/* typeid_cache.c: libmagic's MIME type for small contents, remembered
 * (see there). get returns a copy or NULL; put ignores what is too large;
 * clear is safe on a table whose cache was never initialised. */
void al_typeid_cache_init(struct al_typeid *typeid);
void al_typeid_cache_clear(struct al_typeid *typeid);
char *al_typeid_cache_get(struct al_typeid *typeid, const void *data, gsize len);
void al_typeid_cache_put(struct al_typeid *typeid, const void *data, gsize len, const char *type);

#endif
