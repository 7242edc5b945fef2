/*
 * log.h - the daemon's log: syslog LOG_MAIL, and stderr in the
 * foreground. Values that came from mail are escaped by log_escape()
 * before they are logged (no log injection).
 */
#ifndef AIRLOCK_MILTER_LOG_H
#define AIRLOCK_MILTER_LOG_H

#include <glib.h>
#include <syslog.h>

void log_open(gboolean to_stderr);

void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s with control characters and non-ASCII as \xNN, at most max_bytes
 * of input (transfer full; "" for NULL). */
char *log_escape(const char *s, gsize max_bytes);

#endif
