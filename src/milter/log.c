/*
 * log.c - syslog (LOG_MAIL) and, in the foreground, stderr: the log of
 * airlock-milter and of airlock-web (which builds this file too).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static gboolean log_to_stderr;
static const char *log_ident = "airlock";

void log_open(const char *ident, gboolean to_stderr)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	if (log_to_stderr) {
		va_list copy;

		va_copy(copy, args);
		fprintf(stderr, "%s: ", log_ident);
		vfprintf(stderr, fmt, copy);
		fputc('\n', stderr);
		va_end(copy);
	}
	vsyslog(priority, fmt, args);
	va_end(args);
}

char *log_escape(const char *s, gsize max_bytes)
{
	GString *out = g_string_new(NULL);

	for (gsize i = 0; s != NULL && s[i] != '\0' && i < max_bytes; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			g_string_append_printf(out, "\\x%02x", c);
		else
			g_string_append_c(out, (char)c);
	}
	return g_string_free(out, FALSE);
}
