/*
 * ctl_admin.h - the config, store and admin identity that the store
 * subcommands share, and how they print dates and messages.
 */
#ifndef AIRLOCK_CTL_ADMIN_H
#define AIRLOCK_CTL_ADMIN_H

#include "ctl.h"

#include "airlock/config.h"
#include "airlock/store.h"

#include <sys/types.h>

struct ctl_admin {
	struct al_config *config;
	struct al_store *store;
	char *who; /* the admin's login name, for audit events */
};

/* Loads the config (config_path NULL: the default) and opens its
 * existing store; as root, first becomes the store directory's owner.
 * Prints the error and returns -1 on failure. */
int ctl_admin_open(const char *config_path, struct ctl_admin *admin_r);

void ctl_admin_close(struct ctl_admin *admin);

/* As root, switches to uid/gid for good (no supplementary groups); does
 * nothing when not root or uid is root. what names the owner's file in
 * the error. */
int ctl_become(uid_t uid, gid_t gid, const char *what);

/* "YYYY-MM-DD HH:MM:SS" in local time (transfer full). */
char *ctl_local_time(gint64 unix_seconds);

/* YYYY-MM-DD as local midnight in unix seconds; -1 if not a date. */
int ctl_parse_date(const char *text, gint64 *unix_r);

/* One message as a JSON object (events included when loaded); strings
 * escaped, dates in UTC ISO 8601. */
void ctl_json_message(GString *out, const struct al_store_message *m);

/* The reason names of set joined by sep (transfer full; "" when none). */
char *ctl_reasons_text(al_reason_set set, const char *sep);

#endif
