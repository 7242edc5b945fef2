/*
 * typeid.h - what a file really is: libmagic on content, a documented
 * table of dangerous types and extensions, and the disguise checks.
 *
 * The table (signatures/filetypes.conf, format documented in its header)
 * maps MIME types, file-name extensions and ClamAV type names to a
 * category. Categories other than the harmless ones make an item
 * `executable`. Disguise checks look at the name (double extension, also
 * with padding spaces; bidi controls such as U+202E; invisible
 * characters) and at the contradiction between the name or declared type
 * and the content (a PE named report.pdf).
 *
 * Thread safety: an al_typeid is shared by all threads; libmagic cookies
 * are pooled inside. Ownership: al_typeid_new() / al_typeid_free().
 */
#ifndef AIRLOCK_TYPEID_H
#define AIRLOCK_TYPEID_H

#include "airlock/item.h"

#include <glib.h>

enum al_category {
	AL_CAT_OTHER,	   /* not in the table */
	AL_CAT_TEXT,	   /* plain text, HTML, CSV... */
	AL_CAT_DOCUMENT,   /* PDF, office, DICOM... */
	AL_CAT_IMAGE,
	AL_CAT_MEDIA,	   /* audio, video */
	AL_CAT_ARCHIVE,	   /* zip, 7z, rar, tar, gz... (scanned inside) */
	AL_CAT_CONTAINER,  /* OLE2 and the like: a document when its name says so */
	AL_CAT_EXECUTABLE, /* PE, ELF, Mach-O, COM... */
	AL_CAT_SCRIPT,	   /* js, vbs, ps1, bat, hta... */
	AL_CAT_INSTALLER,  /* msi, msp, appx, jar... */
	AL_CAT_DISK_IMAGE, /* iso, img, vhd, vhdx */
	AL_CAT_SHORTCUT,   /* lnk, url, website, scf */
	AL_CAT_ACTIVE_DOC, /* onenote, chm, xll, reg: documents that run code */
	AL_CAT_COUNT
};

/* TRUE for the categories that make an item `executable`. */
gboolean al_category_is_dangerous(enum al_category category);

/* "executable", "script"... for details and JSON. */
const char *al_category_name(enum al_category category);

struct al_typeid;

/* Loads the table from table_path and opens libmagic with the system
 * database. Errors name the file and line. */
struct al_typeid *al_typeid_new(const char *table_path, GError **error);

void al_typeid_free(struct al_typeid **typeid);

/* libmagic on a buffer (the first bytes of a file are enough; pass at
 * most AL_TYPEID_HEAD_BYTES). Returns the MIME type (transfer full),
 * "application/octet-stream" when libmagic cannot tell. description_r,
 * if not NULL, gets libmagic's text description (transfer full). */
char *al_typeid_detect(struct al_typeid *typeid, const void *data, gsize len,
		       char **description_r);

#define AL_TYPEID_HEAD_BYTES (1024 * 1024)

/* How often al_typeid_detect() answered a MIME type from its memory of
 * small contents already typed, and how often it had to ask libmagic. */
void al_typeid_cache_stats(struct al_typeid *typeid, guint64 *hits_r, guint64 *misses_r);

enum al_category al_typeid_category_of_type(const struct al_typeid *typeid, const char *mime_type);
enum al_category al_typeid_category_of_name(const struct al_typeid *typeid, const char *filename);
enum al_category al_typeid_category_of_clamav(const struct al_typeid *typeid,
					      const char *clamav_type);

/*
 * Classifies an item whose content and identity are filled: sets
 * detected_type and detected_description, adds `executable` (dangerous
 * content or dangerous name) and `disguised` (name tricks, or name or
 * declared type contradicting the content) with details.
 * Returns 0, or -1 with error when the content cannot be read.
 */
int al_typeid_classify_item(struct al_typeid *typeid, struct al_item *item, GError **error);

/*
 * Classifies a file found inside an item (archive member...): name and
 * content (head bytes) and ClamAV's type. Fills detected_type and adds
 * reasons and detail to inner.
 */
void al_typeid_classify_inner(struct al_typeid *typeid, struct al_inner *inner, const char *name,
			      const void *head, gsize head_len);

/*
 * Classifies a piece of a document's own format that the scanner reports
 * (an OLE2 stream, an OOXML part, a decoded PDF stream): not a file a user
 * opens, so neither its name nor ClamAV's guess is judged (an Excel 97
 * stream is not a program because ClamAV reads "MZ" in it); only content
 * libmagic recognises as a native program or installer is `executable`.
 * The document's inspectors judge the rest.
 */
void al_typeid_classify_internal(struct al_typeid *typeid, struct al_inner *inner,
				 const void *head, gsize head_len);

/*
 * What ClamAV's type for a whole item (CL_TYPE_MSEXE...) reveals when
 * libmagic saw nothing dangerous: adds `executable`, and `disguised` when
 * the name or declared type claims a harmless type. Called by scan with
 * the type of the item's top layer; does nothing for text bodies or when
 * libmagic already found dangerous content.
 */
void al_typeid_classify_item_clamav(struct al_typeid *typeid, struct al_item *item,
				    const char *clamav_type);

/* Name checks alone (for unit tests and inner files): returns the reasons
 * found in filename and appends sentences to details (may be NULL). */
al_reason_set al_typeid_check_name(const struct al_typeid *typeid, const char *filename,
				   GPtrArray *details);

/*
 * The allow-list (typeid_allow.c): a file passes only when its content is
 * of a harmless category and each of names (NULL-terminated, entries
 * after the first NULL ignored) has no extension or one of that same
 * category. Returns AL_REASON_BIT(AL_REASON_UNKNOWN_TYPE) with a sentence
 * in details (may be NULL) when not, 0 when it passes or when the content
 * is dangerous (already `executable`).
 */
al_reason_set al_typeid_allow(const struct al_typeid *typeid, const char *detected_type,
			      const char *clamav_type, const char *const *names,
			      GPtrArray *details);

/* The allow-list on an attachment (not a body, not empty, not already
 * `executable`): its file name and other name, its detected type and
 * ClamAV's type of it (may be NULL). Adds `unknown-type`. */
void al_typeid_allow_item(const struct al_typeid *typeid, struct al_item *item,
			  const char *clamav_type);

#endif
