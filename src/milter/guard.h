/*
 * guard.h - the disk guard: [quarantine] min_free.
 *
 * Before a message is written to the quarantine, the free space of the
 * quarantine's file system is measured (statvfs: one system call). Below
 * min_free the message is answered 451 before anything is written: the
 * MTA keeps it and retries, clean mail (which needs no quarantine) still
 * flows. The guard logs when it starts refusing, then at most once a
 * minute with how many messages it refused, and once when space is
 * back; it mails [notice] admin_address when it starts refusing, at
 * most once every GUARD_MAIL_INTERVAL_SECONDS. It needs no reset: the
 * next measurement above min_free resumes.
 */
#ifndef AIRLOCK_MILTER_GUARD_H
#define AIRLOCK_MILTER_GUARD_H

#include "runtime.h"

#define GUARD_MAIL_INTERVAL_SECONDS ((gint64)6 * 3600)

/* 0: room to quarantine (or no guard: min_free = 0, or the space cannot
 * be measured, in which case the store's own write reports the
 * problem). -1 with error: below min_free, answer tempfail (the guard
 * has logged what it needs to; the caller logs nothing per message). */
int guard_check(const struct runtime *rt, GError **error);

/* From the main loop, about once a minute: measures again, so that
 * status shows the disk and the guard says when space is back even
 * when no message needs the quarantine. */
void guard_tick(const struct runtime *rt);

#endif
