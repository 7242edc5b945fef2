/*
 * item.h - one attachment or body part of a message, and what was found
 * in it.
 *
 * mime fills the identity (part path, names, declared type, content);
 * typeid and scan add the detected type, inner files, reasons and
 * details; policy adds unknown-origin and the verdict. Details are
 * sentences for the admin ("content is a Windows program (PE)").
 *
 * Ownership: every pointer inside an item belongs to it; al_item_free()
 * releases all of it. Strings are UTF-8 (names from mail are converted
 * and invalid bytes replaced).
 */
#ifndef AIRLOCK_ITEM_H
#define AIRLOCK_ITEM_H

#include "airlock/common.h"
#include "airlock/spool.h"

#include <glib.h>

/* A file found inside an item by the scanner (archive member, embedded
 * object, nested mail part). */
struct al_inner {
	char *path;	     /* "a.zip/b.exe": ancestors' names and its own */
	char *clamav_type;   /* "CL_TYPE_MSEXE" */
	char *detected_type; /* libmagic's MIME type, or NULL */
	guint depth;	     /* 1 = directly inside the item */
	gsize size;
	gboolean encrypted; /* reached only through decryption */
	al_reason_set reasons;
	char *detail; /* why, or NULL */
};

struct al_safecopy;

struct al_item {
	char *part;	     /* "1", "2.1", "2.1.u1" uuencoded, ".b1" begin-base64, ".y1" yEnc */
	char *filename;	     /* decoded UTF-8 name, or NULL */
	char *alt_filename;  /* a second, different name the part also carries, or NULL */
	char *declared_type; /* "type/subtype" from Content-Type, lower case */
	char *disposition;   /* "attachment", "inline" or NULL */
	char *content_id;    /* without <>, or NULL */
	gboolean from_uuencode; /* a block inside a text part (uuencode, begin-base64, yEnc) */
	gboolean is_body; /* text body shown to the reader, not an attachment (mime.h) */
	gboolean referenced_by_cid; /* an HTML body refers to content_id */
	/* Wrappers (mime_wrap.c): a TNEF or S/MIME part that was opened, or a
	 * detached S/MIME signature, is `wrapper`: what it holds are the items
	 * made from it, judged on their own. Those items are not parts of the
	 * message's own tree: wrapper_part is the outermost wrapper's part, the
	 * one a notice replaces (NULL for ordinary parts). */
	gboolean wrapper;
	char *wrapper_part;

	struct al_content content; /* decoded bytes */

	char *detected_type; /* libmagic MIME type of the content */
	char *detected_description; /* libmagic's human text, or NULL */
	GPtrArray *virus_names; /* char*: signature names */
	GPtrArray *inner;	/* struct al_inner* */

	al_reason_set reasons;
	GPtrArray *details; /* char*: one sentence per finding */
	gboolean quarantine; /* set by policy */
	struct al_safecopy *safe_copy; /* made for the recipients (safecopy.h), or NULL */
};

/* A new empty item (transfer full). */
struct al_item *al_item_new(void);

void al_item_free(struct al_item **item);

/* GDestroyNotify for arrays of items. */
void al_item_free_ptr(gpointer item);

/* Adds reason and, if detail is not NULL, a printf-formatted sentence. */
void al_item_flag(struct al_item *item, enum al_reason reason, const char *detail_fmt, ...)
	G_GNUC_PRINTF(3, 4);

struct al_inner *al_inner_new(void);
void al_inner_free_ptr(gpointer inner);

#endif
