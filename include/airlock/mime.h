/*
 * mime.h - the MIME walk: a message stream in, a list of items out.
 *
 * GMime parses the message from a file-backed stream (persistent: part
 * contents stay ranges of that stream, never a second copy in memory).
 * Every leaf part becomes an item, recursing into multipart/ and
 * message/rfc822; uuencoded ("begin MODE name"), begin-base64 and yEnc
 * blocks inside text parts are items too. Each item's content is decoded
 * (base64, quoted-printable, uuencode, yEnc...) into memory, or into an
 * anonymous spool file when larger than memory_threshold_bytes.
 *
 * An item is_body only when mail programs show it as text: an unnamed
 * inline text/plain part, or the text/html of the message's own body (a
 * single-part body, an alternative, the root of a multipart/related, the
 * first part of another multipart). Every other part, named or not, is an
 * attachment typed by content. Every name a part's raw headers give is
 * compared (two filename=, RFC 2231 against plain, name= against
 * filename=, a NUL in an encoded name, a parameter without its ';'):
 * names with different extensions are `disguised` and the other name is
 * in alt_filename.
 *
 * Wrappers are opened in the walk (mime_wrap.c): the attachments and RTF
 * body of a TNEF part (winmail.dat) become items "P.t1"...; the content
 * of opaque-signed or compressed S/MIME is walked as MIME below its part
 * ("P.1"...). Encrypted S/MIME and PGP messages are `encrypted`; a TNEF
 * or CMS structure that cannot be read is `unscannable`. Items made from
 * a wrapper carry wrapper_part (see item.h).
 *
 * Hostile structure is a finding, not a failure: nesting deeper than
 * max_depth, more than max_parts parts or a part larger than
 * max_part_bytes set `limits`; message/partial sets `malformed` (on the
 * message when it cannot be pinned to a part). Only I/O failures (spool
 * full...) return an error: the caller must then tempfail.
 */
#ifndef AIRLOCK_MIME_H
#define AIRLOCK_MIME_H

#include "airlock/item.h"

#include <glib.h>
#include <gmime/gmime.h>

struct al_mime_limits {
	guint max_depth;
	guint max_parts;
	guint64 max_part_bytes;
	guint64 memory_threshold_bytes;
	const char *spool_dir;
};

struct al_message {
	GMimeMessage *message; /* the parsed tree (kept for rebuilding) */
	GPtrArray *items;      /* struct al_item*, in document order */
	al_reason_set reasons; /* findings about the message as a whole */
	GPtrArray *details;    /* char*: sentences for those findings */
	char *subject;	       /* decoded, or NULL */
	char *from;	       /* first From address (addr-spec), or NULL */
	guint part_count;      /* leaf parts seen, including past the limit */
};

/* Calls g_mime_init() once per process; thread-safe. */
void al_mime_global_init(void);

/*
 * Parses stream (transfer none; must stay alive as long as the result).
 * Returns NULL with error only for I/O failure. A stream that holds no
 * message at all gives a message with `malformed`.
 */
struct al_message *al_mime_parse(GMimeStream *stream, const struct al_mime_limits *limits,
				 GError **error);

void al_message_free(struct al_message **message);

/* Adds a message-level finding. */
void al_message_flag(struct al_message *message, enum al_reason reason, const char *detail_fmt,
		     ...) G_GNUC_PRINTF(3, 4);

/* Decodes the value of a filename as found in mail (RFC 2047 words,
 * already RFC 2231-joined) to UTF-8 with invalid bytes replaced.
 * Returns a new string (transfer full), NULL for NULL. */
char *al_mime_decode_filename(const char *raw);

#endif
