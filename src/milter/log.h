/*
 * log.h - the daemons' log (airlock-milter, airlock-web): syslog LOG_MAIL, and stderr in the
 * foreground. Values that came from mail are escaped by log_escape()
 * before they are logged (no log injection).
 */
#ifndef AIRLOCK_MILTER_LOG_H
#define AIRLOCK_MILTER_LOG_H

#include <glib.h>
#include <syslog.h>

/* ident: the program's name (static), for syslog and stderr lines. */
void log_open(const char *ident, gboolean to_stderr);

void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s with control characters and non-ASCII as \xNN, at most max_bytes
 * of input (transfer full; "" for NULL). */
char *log_escape(const char *s, gsize max_bytes);

#endif
