/*
 * budget.h - how many messages ([milter] max_jobs) and how many bytes
 * of messages ([limits] max_concurrent_size) the daemon judges at once:
 * judging is CPU work, so more jobs than cores only add switching, and
 * big messages arriving together wait their turn instead of adding up
 * in memory.
 *
 * First come, first served: a message waits while one that arrived
 * before it waits, while max_jobs are judged (0: one per CPU core), and
 * until the bytes in flight plus its own fit the limit, or nothing else
 * is in flight (a message larger than the limit then runs alone).
 * Thread-safe; every budget_acquire() must be matched by one
 * budget_release() of the same bytes.
 */
#ifndef AIRLOCK_MILTER_BUDGET_H
#define AIRLOCK_MILTER_BUDGET_H

#include <glib.h>

void budget_acquire(guint64 bytes, guint64 limit_bytes, guint max_jobs);
void budget_release(guint64 bytes);

#endif
