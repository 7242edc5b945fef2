/*
 * common.c - reason and action names, the error domain.
 *
 * The tables below are the single source of the stable names listed in
 * DESIGN.md; every output format goes through them.
 */
#include "airlock/common.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char *const reason_names[AL_REASON_COUNT] = {
	[AL_REASON_VIRUS] = "virus",
	[AL_REASON_EXECUTABLE] = "executable",
	[AL_REASON_DISGUISED] = "disguised",
	[AL_REASON_MACRO] = "macro",
	[AL_REASON_ENCRYPTED] = "encrypted",
	[AL_REASON_LIMITS] = "limits",
	[AL_REASON_MALFORMED] = "malformed",
	[AL_REASON_POLYGLOT] = "polyglot",
	[AL_REASON_UNKNOWN_TYPE] = "unknown-type",
	[AL_REASON_UNSCANNABLE] = "unscannable",
	[AL_REASON_UNKNOWN_ORIGIN] = "unknown-origin",
};

static const char *const action_names[AL_ACTION_COUNT] = {
	[AL_ACTION_ACCEPT] = "accept",
	[AL_ACTION_STRIP] = "strip",
	[AL_ACTION_HOLD] = "hold",
	[AL_ACTION_REJECT] = "reject",
	[AL_ACTION_TEMPFAIL] = "tempfail",
};

const char *al_reason_name(enum al_reason reason)
{
	if ((unsigned)reason >= AL_REASON_COUNT)
		return "invalid";
	return reason_names[reason];
}

int al_reason_from_name(const char *name)
{
	for (int i = 0; i < AL_REASON_COUNT; i++)
		if (strcmp(reason_names[i], name) == 0)
			return i;
	return -1;
}

void al_reason_set_append(GString *out, al_reason_set set, const char *sep)
{
	gboolean first = TRUE;

	for (int i = 0; i < AL_REASON_COUNT; i++) {
		if (!(set & AL_REASON_BIT(i)))
			continue;
		if (!first)
			g_string_append(out, sep);
		g_string_append(out, reason_names[i]);
		first = FALSE;
	}
}

const char *al_action_name(enum al_action action)
{
	if ((unsigned)action >= AL_ACTION_COUNT)
		return "invalid";
	return action_names[action];
}

int al_action_from_name(const char *name)
{
	for (int i = 0; i < AL_ACTION_COUNT; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return -1;
}

G_DEFINE_QUARK(airlock-error-quark, al_error)

int al_disk_space(const char *path, guint64 *free_r, guint64 *total_r, GError **error)
{
	struct statvfs fs;

	if (statvfs(path, &fs) < 0) {
		int saved = errno;

		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot measure the free space of %s: %s",
			    path, g_strerror(saved));
		return -1;
	}
	*free_r = (guint64)fs.f_bavail * fs.f_frsize;
	*total_r = (guint64)fs.f_blocks * fs.f_frsize;
	return 0;
}

int al_write_all(int fd, const void *data, gsize length)
{
	const guint8 *p = data;

	while (length > 0) {
		ssize_t n = write(fd, p, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		length -= (gsize)n;
	}
	return 0;
}
