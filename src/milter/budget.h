/*
 * budget.h - how many bytes of messages the daemon judges at once
 * ([limits] max_concurrent_size), so that big messages arriving together
 * wait their turn instead of adding up in memory.
 *
 * First come, first served: a message waits while one that arrived
 * before it waits, and until the bytes in flight plus its own fit the
 * limit, or nothing else is in flight (a message larger than the limit
 * then runs alone). Thread-safe; every budget_acquire() must be matched
 * by one budget_release() of the same bytes.
 */
#ifndef AIRLOCK_MILTER_BUDGET_H
#define AIRLOCK_MILTER_BUDGET_H

#include <glib.h>

void budget_acquire(guint64 bytes, guint64 limit_bytes);
void budget_release(guint64 bytes);

#endif
