/*
 * backup.h - backups of the quarantine store, and their restore.
 *
 * A backup is one directory laid out like a store, plus a manifest:
 *	airlock.db	a consistent snapshot of the database (SQLite's online
 *			backup API: taken while the daemon runs)
 *	msg/ID.eml	the originals the snapshot still keeps (quarantined or
 *			released), copied after the snapshot
 *	release.key	the release key, only when asked for (whoever holds
 *			the backup can then sign releases)
 *	MANIFEST	written last: format, airlock and schema versions, time,
 *			whether the key is in, then "file SHA256 SIZE PATH" per
 *			file, then "end SHA256" of every byte above that line
 * Directories 0700, files 0600, every file and directory fsynced.
 *
 * Consistency: originals are fsynced before their rows commit, so every
 * row in the snapshot has its file in the store, unless an admin deleted
 * or purged it between the snapshot and its copy. Such a message is
 * marked "purged" in the backup's database with a "purged" event saying
 * why, so a backup never holds a row pointing at a missing file.
 *
 * Restore verifies everything before it writes anything: each file of
 * the manifest present with its size and SHA-256, no other file, the
 * manifest's own checksum, every original the database keeps present,
 * a schema no newer than this build's. Then it copies into an empty
 * store, checking each hash again as it copies, the database last; on
 * failure it removes what it wrote. Empty means no quarantined data:
 * nothing in msg/, and no airlock.db or one with no row in any table
 * but schema_version (what airlockctl init or a first start of the
 * daemon creates; it is replaced). A message, an event, a learned
 * correspondent or a daily counter makes the store not empty: the
 * restore would lose them.
 *
 * Errors: AL_BACKUP_ERROR for a backup that does not verify or a
 * destination that is not empty (user errors), AL_ERROR for the rest.
 * Messages name the file.
 */
#ifndef AIRLOCK_BACKUP_H
#define AIRLOCK_BACKUP_H

#include "airlock/store.h"

#include <glib.h>

#define AL_BACKUP_ERROR (al_backup_error_quark())
GQuark al_backup_error_quark(void);

enum al_backup_error_code {
	AL_BACKUP_ERROR_MISMATCH,  /* a file differs from the manifest, is missing or extra */
	AL_BACKUP_ERROR_NOT_EMPTY, /* the backup or restore destination holds something */
	AL_BACKUP_ERROR_VERSION,   /* the backup's schema is newer than this build's */
};

#define AL_BACKUP_MANIFEST "MANIFEST"
#define AL_BACKUP_FORMAT   1
/* Backups made with al_backup_name() are AL_BACKUP_PREFIX + a UTC time. */
#define AL_BACKUP_PREFIX "airlock-backup-"

struct al_backup_summary {
	guint originals;       /* message files in the backup */
	guint gone;            /* originals removed from the store during the backup */
	gint64 bytes;          /* bytes of every file but the manifest */
	gboolean with_key;     /* release.key is in the backup */
	gint64 schema_version; /* of the backup's database */
	char created[21];      /* YYYY-MM-DDTHH:MM:SSZ */
};

/*
 * Backs store up into dir: a missing directory is created (0700), an
 * existing one must be empty (AL_BACKUP_ERROR_NOT_EMPTY otherwise).
 * key_path: the release key to include, or NULL. who names the backup in
 * the events of originals that vanished meanwhile. On failure, what was
 * written is removed. Returns 0, or -1 with error.
 */
int al_backup_create(struct al_store *store, const char *dir, const char *key_path, const char *who,
		     struct al_backup_summary *summary_r, GError **error);

/* Verifies the backup in dir (see above) without changing anything. */
int al_backup_verify(const char *dir, struct al_backup_summary *summary_r, GError **error);

/*
 * Verifies the backup in dir, then restores it into store_dir (created
 * 0700 if missing; otherwise it must be 0700 and empty as above:
 * AL_BACKUP_ERROR_NOT_EMPTY says how many messages it holds) and, if the
 * backup holds one, the release key to key_path (which must not exist).
 * Stop the daemon first: this function cannot see it (airlockctl probes
 * its socket before it calls it).
 */
int al_backup_restore(const char *dir, const char *store_dir, const char *key_path,
		      struct al_backup_summary *summary_r, GError **error);

/* AL_BACKUP_PREFIX "YYYYMMDDTHHMMSSZ" for unix_seconds (transfer full). */
char *al_backup_name(gint64 unix_seconds);

/*
 * Retention: removes the backups in parent named by al_backup_name()
 * for a time before before (unix seconds), except keep (a name, or
 * NULL). Only what a backup holds is removed; anything else inside one
 * stops the prune with an error. pruned_r: how many.
 */
int al_backup_prune(const char *parent, gint64 before, const char *keep, guint *pruned_r,
		    GError **error);

#endif
