/*
 * scan_private.h - what scan.c (scanning an item, the callbacks) and
 * scan_engine.c (libclamav's set-up, the engine and its signatures)
 * share inside libairlock.
 */
#ifndef AIRLOCK_SCAN_PRIVATE_H
#define AIRLOCK_SCAN_PRIVATE_H

#include "airlock/scan.h"
#include "airlock/unpack.h"

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

/* A container opened with libarchive (scan_unpack.c, unpack.h). */
struct al_scan_container {
	const char *path;	/* its inner path ("mail.zip/a.rar"), or the item's name */
	struct al_inner *inner; /* its entry, or NULL for the item (or an unlisted layer) */
	guint depth;		/* its members' depth: 1 for the item's members */
	const char *format;	/* why it is opened (al_unpack_needed()), or NULL: an
				 * archive libclamav found nothing in */
	const guint8 *data;
	gsize size;
};

/* scan_unpack.c: opens container with libarchive within the scan's limits
 * (files, bytes, ratio, depth, deadline_us) and gives each member to
 * al_scan_member(); limits, encrypted directories and containers nothing
 * can read are flagged with al_scan_container_flag(). */
void al_scan_unpack(const struct al_scanner *scanner, void *context,
		    const struct al_scan_container *container, gint64 deadline_us);

/* scan.c: judges a member like a layer libclamav extracts (typeid with
 * every name, the inspectors, a scan of its bytes with the same engine
 * whose levels continue the container's). Returns non-zero past the scan's
 * deadline. context is the scan's state. */
int al_scan_member(void *context, const struct al_scan_container *container,
		   const struct al_unpack_member *member);

/* scan.c: adds reason and sentence to the container, carried to the item. */
void al_scan_container_flag(void *context, const struct al_scan_container *container,
			    enum al_reason reason, const char *sentence);

#endif
