/*
 * common.h - names shared by every Airlock module: reason codes, actions,
 * the error domain.
 *
 * Reason and action names are stable: they appear in JSON, logs, the store
 * and reports (see DESIGN.md). Nothing here allocates.
 */
#ifndef AIRLOCK_COMMON_H
#define AIRLOCK_COMMON_H

#include <glib.h>
#include <stdint.h>

/* Why an item (or a whole message) is quarantined. Order is the order in
 * which reasons are listed in output. */
enum al_reason {
	AL_REASON_VIRUS,
	AL_REASON_EXECUTABLE,
	AL_REASON_DISGUISED,
	AL_REASON_MACRO,
	AL_REASON_ENCRYPTED,
	AL_REASON_LIMITS,
	AL_REASON_MALFORMED,
	AL_REASON_POLYGLOT,
	AL_REASON_UNKNOWN_TYPE, /* not on the allow-list of harmless types */
	AL_REASON_UNSCANNABLE,	/* a container nothing here can open */
	AL_REASON_UNKNOWN_ORIGIN,
	AL_REASON_COUNT
};

/* A set of reasons: bit (1u << reason). */
typedef uint32_t al_reason_set;

#define AL_REASON_BIT(r) ((al_reason_set)1u << (r))

/* What the MTA is told to do with a message. Ordered by severity: when
 * several reasons apply, the most severe action wins. */
enum al_action {
	AL_ACTION_ACCEPT,
	AL_ACTION_STRIP,
	AL_ACTION_HOLD,
	AL_ACTION_REJECT,
	AL_ACTION_TEMPFAIL,
	AL_ACTION_COUNT
};

/* Stable lower-case name ("virus", "unknown-origin"); never NULL for a
 * valid reason. */
const char *al_reason_name(enum al_reason reason);

/* Parses a reason name; returns -1 if unknown. */
int al_reason_from_name(const char *name);

/* Writes the reason names of set into out separated by sep (e.g. ","). */
void al_reason_set_append(GString *out, al_reason_set set, const char *sep);

const char *al_action_name(enum al_action action);

/* Parses an action name; returns -1 if unknown. */
int al_action_from_name(const char *name);

/* The error domain of every GError set by libairlock. */
#define AL_ERROR (al_error_quark())
GQuark al_error_quark(void);

enum al_error_code {
	AL_ERROR_CONFIG,   /* bad configuration: message names file and key */
	AL_ERROR_IO,       /* a read, write, fsync or open failed */
	AL_ERROR_NOMEM,    /* out of memory while handling one message */
	AL_ERROR_SCAN,     /* the scanner failed on an item (not a detection) */
	AL_ERROR_PARSE,    /* input that cannot be parsed at all */
	AL_ERROR_INTERNAL, /* a bug or an unexpected library answer */
};

/* Space on the file system holding path (statvfs): what an unprivileged
 * user may still write (free_r) and its size (total_r), in bytes. -1
 * with error (AL_ERROR_IO) naming path. */
int al_disk_space(const char *path, guint64 *free_r, guint64 *total_r, GError **error);

/* Writes all length bytes of data to fd, retrying after EINTR and short
 * writes; a write that makes no progress counts as ENOSPC. 0, or -1 with
 * errno set. */
int al_write_all(int fd, const void *data, gsize length);

#endif
