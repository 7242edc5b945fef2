/*
 * scan_unpack.c - the scanner's use of unpack.c: a container libclamav
 * does not open is read with libarchive inside the scan's limits, and
 * each member is handed back to scan.c to be judged and scanned.
 *
 * DESCRIPTION
 *	Limits are the engine's own ([scan] max_filesize per member: a cut
 *	member is `limits`; max_scansize in all; max_files; max_recursion
 *	for the members' depth; max_seconds from the start of the item's
 *	scan) and the expansion ratio of inspect.h's bomb check. Outcomes:
 *	  a limit reached             `limits` on the container
 *	  an encrypted directory      `encrypted`
 *	  unreadable (unsupported, truncated, damaged, or an archive in
 *	  which libclamav found nothing and libarchive cannot read)
 *	                              `unscannable`, naming the format
 *	The container's flags are carried to the item with its path.
 */
#include "scan_private.h"
#include "airlock/inspect.h"

struct unpack_run {
	void *context;
	const struct al_scan_container *container;
};

static int on_member(const struct al_unpack_member *member, void *user)
{
	const struct unpack_run *run = user;

	return al_scan_member(run->context, run->container, member);
}

static guint64 engine_limit(const struct al_scanner *scanner, enum cl_engine_field field)
{
	int error = CL_SUCCESS;
	long long value = cl_engine_get_num(scanner->engine, field, &error);

	return error == CL_SUCCESS && value > 0 ? (guint64)value : 0;
}

static char *unreadable_sentence(const struct al_scan_container *container, const char *format,
				 const char *why)
{
	if (container->format != NULL)
		return g_strdup_printf("%s archive that cannot be opened (%s): its content cannot "
				       "be checked",
				       container->format, why != NULL ? why : "unreadable");
	return g_strdup_printf("%s archive in which neither ClamAV nor libarchive can read any "
			       "file (%s): its content cannot be checked",
			       format != NULL ? format : "an", why != NULL ? why : "unreadable");
}

void al_scan_unpack(const struct al_scanner *scanner, void *context,
		    const struct al_scan_container *container, gint64 deadline_us)
{
	struct al_unpack_limits limits = {
		.max_member_bytes = engine_limit(scanner, CL_ENGINE_MAX_FILESIZE),
		.max_total_bytes = engine_limit(scanner, CL_ENGINE_MAX_SCANSIZE),
		.max_members = (guint)engine_limit(scanner, CL_ENGINE_MAX_FILES),
		.max_ratio = AL_INSPECT_BOMB_MIN_RATIO,
		.min_ratio_bytes = AL_INSPECT_BOMB_MIN_BYTES,
		.deadline_us = deadline_us,
	};
	struct unpack_run run = { .context = context, .container = container };
	guint64 max_depth = engine_limit(scanner, CL_ENGINE_MAX_RECURSION);
	g_autofree char *format = NULL, *why = NULL, *sentence = NULL;

	if (max_depth > 0 && container->depth > max_depth) {
		sentence = g_strdup_printf("archives nested more than %" G_GUINT64_FORMAT
					   " levels deep: the inner ones were not opened",
					   max_depth);
		al_scan_container_flag(context, container, AL_REASON_LIMITS, sentence);
		return;
	}
	switch (al_unpack_buffer(container->data, container->size, container->path, &limits,
				 on_member, &run, &format, &why)) {
	case AL_UNPACK_OK:
		return;
	case AL_UNPACK_STOPPED:
		al_scan_container_flag(context, container, AL_REASON_LIMITS,
				       "not fully scanned: unpacking the archive took longer than "
				       "the scan time limit");
		return;
	case AL_UNPACK_LIMITS:
		sentence = g_strdup_printf("not fully scanned: the archive %s", why);
		al_scan_container_flag(context, container, AL_REASON_LIMITS, sentence);
		return;
	case AL_UNPACK_ENCRYPTED:
		sentence = g_strdup_printf("cannot be scanned: %s archive whose %s",
					   format != NULL ? format : "an", why);
		al_scan_container_flag(context, container, AL_REASON_ENCRYPTED, sentence);
		return;
	case AL_UNPACK_FAILED:
		sentence = unreadable_sentence(container, format, why);
		al_scan_container_flag(context, container, AL_REASON_UNSCANNABLE, sentence);
		return;
	}
}
