/*
 * mime_check.h - MIME tricks found during the walk (mime.c). Private to
 * the library; the public contract is include/airlock/mime.h.
 */
#ifndef AIRLOCK_MIME_CHECK_H
#define AIRLOCK_MIME_CHECK_H

#include "airlock/mime.h"

/* Duplicate Content-Type, -Transfer-Encoding or -Disposition headers on
 * object: `malformed` on the message and on item (may be NULL). */
void al_mime_check_headers(struct al_message *message, GMimeObject *object, struct al_item *item);

/* A boundary reused from ancestor_boundaries (char*), and content hidden
 * in the preamble or epilogue: `malformed` on the message. */
void al_mime_check_multipart(struct al_message *message, GMimeMultipart *multipart,
			     GPtrArray *ancestor_boundaries);

#endif
