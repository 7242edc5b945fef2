/*
 * budget.c - the messages and bytes judged at once: a ticket queue
 * under one mutex (see budget.h).
 */
#include "budget.h"

static GMutex lock;
static GCond changed;
static guint64 in_flight_bytes;
static guint64 next_ticket;
static guint64 serving_ticket;
static guint in_flight_jobs;

void budget_acquire(guint64 bytes, guint64 limit_bytes, guint max_jobs)
{
	guint jobs = max_jobs > 0 ? max_jobs : g_get_num_processors();
	guint64 ticket;

	g_mutex_lock(&lock);
	ticket = next_ticket++;
	while (ticket != serving_ticket || in_flight_jobs >= jobs ||
	       (in_flight_bytes > 0 && in_flight_bytes + bytes > limit_bytes))
		g_cond_wait(&changed, &lock);
	in_flight_jobs++;
	in_flight_bytes += bytes;
	serving_ticket++;
	g_cond_broadcast(&changed);
	g_mutex_unlock(&lock);
}

void budget_release(guint64 bytes)
{
	g_mutex_lock(&lock);
	in_flight_bytes -= MIN(bytes, in_flight_bytes);
	if (in_flight_jobs > 0)
		in_flight_jobs--;
	g_cond_broadcast(&changed);
	g_mutex_unlock(&lock);
}
