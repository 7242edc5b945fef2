/*
 * scan_private.h - what scan.c (scanning an item, the callbacks) and
 * scan_engine.c (libclamav's set-up, the engine and its signatures)
 * share inside libairlock.
 */
#ifndef AIRLOCK_SCAN_PRIVATE_H
#define AIRLOCK_SCAN_PRIVATE_H

#include "airlock/scan.h"

#include <clamav.h>

struct al_scanner {
	gint refcount;
	struct cl_engine *engine;
	struct al_typeid *typeid; /* borrowed */
	guint signature_count;
	guint64 max_filesize_bytes;
	guint max_seconds;
	gboolean image_fuzzy_hash; /* libclamav computes image pHashes */
	gboolean clamav_loaded;    /* [scan] clamav_database was loaded too */
};

/* A file name libclamav loads as a database (.cvd, .ndb, .ldb...). */
gboolean al_scan_is_database_file(const char *name);

/* scan_fuzzy.c: TRUE when a database file in dir may hold an image fuzzy
 * hash subsignature ("fuzzy_img#"), or cannot be read; FALSE when none
 * does. */
gboolean al_scan_dir_uses_fuzzy_img(const char *dir);

/* libclamav's warnings and errors since the last al_scan_clear_messages()
 * in this thread: ": message" (in *buffer, transfer full) or "". */
const char *al_scan_message_suffix(char **buffer);
void al_scan_clear_messages(void);

/* The engine's callbacks (scan.c): every file libclamav opens, and every
 * signature that matches. context is the scan's state. */
cl_error_t al_scan_on_inspect(int fd, const char *type, const char **ancestors,
			      size_t parent_file_size, const char *file_name, size_t file_size,
			      const char *file_buffer, uint32_t recursion_level,
			      uint32_t layer_attributes, void *context);
void al_scan_on_virus(int fd, const char *virname, void *context);

#endif
