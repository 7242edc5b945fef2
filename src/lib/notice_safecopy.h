/*
 * notice_safecopy.h - the safe copy in a strip notice (notice_safecopy.c),
 * for notice.c.
 */
#ifndef AIRLOCK_NOTICE_SAFECOPY_H
#define AIRLOCK_NOTICE_SAFECOPY_H

#include "notice_private.h"

/* After an item's reasons: what its safe copy is and what it is not, or
 * why there is none; nothing for an item that was not offered one. */
void al_notice_append_safecopy(GString *out, const struct al_item *item, const struct words *w);

/* What replaces a stripped part: notice alone (a new reference) when no
 * item of items (struct al_item*) has a copy, else a new multipart/mixed
 * holding notice then each copy as an attachment (transfer full). */
GMimeObject *al_notice_with_copies(GMimeObject *notice, GPtrArray *items);

#endif
