/*
 * scan.h - libclamav in process: one engine, loaded once, shared by all
 * threads.
 *
 * The engine loads our signatures directory and, when it exists, the
 * system ClamAV database directory (a missing one is reported through
 * warnings_r, not an error). It is compiled with the limits from config
 * and with the heuristics for encrypted archives and documents, macros,
 * broken executables and exceeded limits. The clean-file cache is off, so
 * every scan sees every embedded file.
 *
 * A scan reports every embedded file through libclamav's file-inspection
 * callback (typed again by typeid), every signature name in all-match
 * mode, and maps ClamAV's heuristics to reasons: Heuristics.Encrypted.* ->
 * encrypted, *Macros* -> macro, Heuristics.Limits.Exceeded.* and bombs ->
 * limits, our own Airlock.<Reason>.* rules -> that reason (Airlock.
 * Executable.* -> executable...), anything else -> virus. The content
 * inspectors (inspect.h) run on the item and on every reported layer.
 *
 * Reloads: the milter builds a new scanner and swaps it; al_scanner_ref()
 * keeps an old one alive until the last message using it finishes.
 */
#ifndef AIRLOCK_SCAN_H
#define AIRLOCK_SCAN_H

#include "airlock/config.h"
#include "airlock/item.h"
#include "airlock/typeid.h"

#include <glib.h>

struct al_scanner;

/* Initialises libclamav once per process; thread-safe. Returns 0 or -1. */
int al_scan_global_init(GError **error);

/*
 * Loads and compiles an engine from config (signatures_dir,
 * clamav_database_dir, scan_* limits). typeid is borrowed and must
 * outlive the scanner. warnings_r, if not NULL, receives a new array of
 * sentences (e.g. the system database is missing). Returns NULL with
 * error when no signature can be loaded or the engine fails to compile.
 */
struct al_scanner *al_scanner_new(const struct al_config *config, struct al_typeid *typeid,
				  GPtrArray **warnings_r, GError **error);

struct al_scanner *al_scanner_ref(struct al_scanner *scanner);
void al_scanner_unref(struct al_scanner **scanner);

/* Number of signatures loaded. */
guint al_scanner_signature_count(const struct al_scanner *scanner);

/* Whether libclamav computes image fuzzy hashes ([scan] image_fuzzy_hash;
 * with "auto", whether a loaded database has a fuzzy_img signature). */
gboolean al_scanner_image_fuzzy_hash(const struct al_scanner *scanner);

/* Whether [scan] clamav_database held a database that was loaded (FALSE:
 * only our own signatures are in use). */
gboolean al_scanner_clamav_loaded(const struct al_scanner *scanner);

/*
 * A digest of the signature directories as they are on disk: every
 * database file libclamav loads (.cvd, .cld, .ndb, .hdb...) and
 * filetypes.conf in [scan] signatures and [scan] clamav_database, with
 * its name, size, modification time and inode (transfer full, hex). When
 * freshclam replaces, adds or removes a file, or the admin edits one
 * (filetypes.conf included), the digest changes: the daemon then reloads
 * (database_check_seconds), as clamd's SelfCheck does. Reads no content.
 */
char *al_scan_databases_fingerprint(const struct al_config *config);

/*
 * Scans item->content: appends to item->virus_names and item->inner, adds
 * reasons (virus, executable for dangerous inner files, disguised,
 * encrypted, macro, limits) with details. Returns 0, or -1 with error
 * (AL_ERROR_SCAN) when libclamav failed: the caller must not accept.
 */
int al_scanner_scan_item(struct al_scanner *scanner, struct al_item *item, GError **error);

#endif
