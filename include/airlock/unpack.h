/*
 * unpack.h - the containers libclamav does not open here, opened with
 * libarchive: RAR 4 and 5, Zstandard, lzip, LZMA, compress (.Z), ar,
 * ZIP with LZMA/XZ/Zstandard members or ZIP64 records, tar whose PAX or
 * GNU headers rename members; and any archive libclamav found nothing in.
 *
 * al_unpack_buffer() calls a callback once per regular member, in archive
 * order, with every name the member carries, its bytes (at most
 * max_member_bytes, `cut` when there was more), and whether its data is
 * encrypted; links are reported, never followed. Buffers passed to the
 * callback are valid during the call only (transfer none).
 *
 * Limits: members, total bytes, expansion ratio and a deadline; past any,
 * unpacking stops with AL_UNPACK_LIMITS and a sentence. A container
 * libarchive cannot read (unsupported, truncated, damaged) is
 * AL_UNPACK_FAILED with a sentence naming the format and the error: the
 * caller calls it `unscannable`. Thread-safe: no shared state.
 */
#ifndef AIRLOCK_UNPACK_H
#define AIRLOCK_UNPACK_H

#include <glib.h>

struct al_unpack_limits {
	guint64 max_member_bytes; /* [scan] max_filesize: more is `cut` */
	guint64 max_total_bytes;  /* [scan] max_scansize */
	guint max_members;	  /* [scan] max_files */
	guint max_ratio;	  /* total bytes / container bytes, past min_ratio_bytes */
	guint64 min_ratio_bytes;
	gint64 deadline_us; /* g_get_monotonic_time() limit; 0: none */
};

struct al_unpack_member {
	/* NULL-terminated, distinct names: libarchive's pathname (PAX path and
	 * GNU long names applied) first, then the ZIP header's raw name, its
	 * Unicode Path extra field (0x7075), the tar header's own name; "?"
	 * alone for an entry without a name. */
	const char *const *names;
	const guint8 *data; /* NULL for encrypted members and links */
	gsize size;
	gboolean cut;	    /* larger than max_member_bytes: data is the start */
	gboolean encrypted; /* data (or the entry's metadata) is encrypted */
	const char *link_target; /* symlink or hardlink target, or NULL */
};

/* Returns 0 to go on, anything else to stop (AL_UNPACK_STOPPED). */
typedef int (*al_unpack_member_fn)(const struct al_unpack_member *member, void *user);

enum al_unpack_status {
	AL_UNPACK_OK,	     /* every member was given to the callback */
	AL_UNPACK_LIMITS,    /* a limit stopped it: *sentence_r says which */
	AL_UNPACK_ENCRYPTED, /* the directory itself is encrypted */
	AL_UNPACK_FAILED,    /* libarchive cannot read it: *sentence_r says why */
	AL_UNPACK_STOPPED,   /* the callback asked to stop */
};

/*
 * Reads data (size bytes) as an archive or a single compressed stream
 * (gz, bz2, xz, lzma, lzip, zstd, compress: one member named after
 * container_name without its compression extension, "data" if unnamed).
 * *sentence_r (transfer full) is set for LIMITS, ENCRYPTED and FAILED;
 * *format_r (transfer full, may be NULL) is libarchive's format name.
 */
enum al_unpack_status al_unpack_buffer(const guint8 *data, gsize size, const char *container_name,
				       const struct al_unpack_limits *limits,
				       al_unpack_member_fn on_member, void *user, char **format_r,
				       char **sentence_r);

/*
 * Whether data is a container that libclamav 1.0-1.4 as built by Debian
 * does not open (unpack.c says what was measured): its format's name
 * ("RAR", "Zstandard"...; static), or NULL. clamav_type (may be NULL)
 * is libclamav's type of the same bytes.
 */
const char *al_unpack_needed(const guint8 *data, gsize size, const char *clamav_type);

/* The archive format of a libclamav type ("ZIP" for CL_TYPE_ZIP; static),
 * or NULL: an archive in which libclamav reports no file is opened with
 * libarchive, and is `unscannable` when that fails too. */
const char *al_unpack_archive_type(const char *clamav_type);

#endif
