/*
 * log.h - airlock-web's log: syslog LOG_MAIL as airlock-milter's, and
 * stderr in the foreground.
 */
#ifndef AIRLOCK_WEB_LOG_H
#define AIRLOCK_WEB_LOG_H

#include <glib.h>
#include <syslog.h>

void log_open(gboolean to_stderr);

void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s with control characters and non-ASCII as \xNN, at most max_bytes
 * of input (transfer full; "" for NULL): for values from mail or from
 * a browser. */
char *log_escape(const char *s, gsize max_bytes);

#endif
