/*
 * mime_private.h - what mime.c (parsing and the walk), mime_uuencode.c
 * (uuencoded blocks in text parts) and mime_cid.c (cid: references in
 * HTML parts) share inside libairlock.
 */
#ifndef AIRLOCK_MIME_PRIVATE_H
#define AIRLOCK_MIME_PRIVATE_H

#include "airlock/mime.h"
#include "airlock/spool.h"

#define CHUNK_BYTES (64 * 1024)

/* The state of one message's walk. */
struct walk {
	const struct al_mime_limits *limits;
	struct al_message *message;
	char *buf; /* CHUNK_BYTES of scratch, used by one step at a time */
	GPtrArray *boundaries; /* const char*: of the multiparts being walked */
};

/* Counts one more leaf part; FALSE (and `limits` on the message) past
 * max_parts. */
gboolean al_mime_count_part(struct walk *w);

/* A spool for one decoded part, per the limits (transfer full). */
struct al_spool *al_mime_new_spool(const struct al_mime_limits *limits);

/* Adds an item for each uuencoded block of text, after it. Returns 0, or
 * -1 with error when reading or spooling failed. */
int al_mime_find_uuencoded(struct walk *w, const struct al_item *text, GError **error);

/* Sets referenced_by_cid on the items the HTML parts show inline.
 * Returns 0, or -1 with error when reading a part failed. */
int al_mime_mark_cid_references(struct walk *w, GError **error);

#endif
