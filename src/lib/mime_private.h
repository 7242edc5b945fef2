/*
 * mime_private.h - what mime.c (parsing and the walk), mime_uuencode.c
 * (uuencoded blocks in text parts), mime_yenc.c (yEnc and begin-base64
 * blocks), mime_params.c (header parameters read from the raw value),
 * mime_check.c, mime_cid.c (cid: references in HTML parts) and
 * mime_wrap.c, mime_tnef.c, mime_smime.c (TNEF, S/MIME and PGP
 * wrappers) share inside libairlock.
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

/* Reads a content line by line, each cut at keep bytes, without its end
 * of line; cut is set when the last line was longer. */
struct al_line_reader {
	const struct al_content *content;
	char *buf; /* CHUNK_BYTES */
	gsize keep;
	goffset next_offset;
	gsize pos;
	gsize len;
	gboolean cut;
	GString *line;
};

/* Returns 1 with r->line set, 0 at the end, -1 on a read error. */
int al_mime_read_line(struct al_line_reader *r, GError **error);

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

/* ------------------------------------------------ wrappers (mime_wrap.c) */

/* mime.c's walk of one entity, handed to the wrappers so that the MIME
 * inside S/MIME is walked like an attached message. */
typedef int (*al_mime_walk_fn)(struct walk *w, GMimeObject *object, const char *path,
			       guint depth, gboolean root, GError **error);

/* After the leaf part at path (depth) became an item: opens it when it is
 * a wrapper (TNEF, S/MIME) into items after it, or flags it (PGP and
 * encrypted S/MIME: `encrypted`; unreadable: `unscannable`). Returns 0,
 * or -1 with error when reading or spooling failed. */
int al_mime_unwrap(struct walk *w, const char *path, guint depth, al_mime_walk_fn walk,
		   GError **error);

/* Opens item (any item, also one made by a wrapper) if it is a wrapper. */
int al_mime_unwrap_item(struct walk *w, struct al_item *item, guint depth, al_mime_walk_fn walk,
			GError **error);

/* Adds an item for data (len bytes) at path, after the others; past
 * max_part_bytes it keeps that much and gets `limits`. NULL in *item_r
 * when max_parts is reached (the message has `limits`). Returns 0, or -1
 * with error when spooling failed. */
int al_mime_wrap_add_item(struct walk *w, const char *path, const char *filename,
			  const char *declared_type, const guint8 *data, gsize len,
			  struct al_item **item_r, GError **error);

/* The content of item in memory (transfer full), NULL with error. */
GBytes *al_mime_wrap_content(const struct al_item *item, GError **error);

/* mime_tnef.c: attachments and RTF body of a TNEF item ("P.t1"...). */
int al_mime_unwrap_tnef(struct walk *w, struct al_item *item, guint depth, al_mime_walk_fn walk,
			GError **error);

/* mime_smime.c: the content of an S/MIME (CMS) item, walked as MIME. */
int al_mime_unwrap_cms(struct walk *w, struct al_item *item, guint depth, al_mime_walk_fn walk,
		       GError **error);

/* Adds an item for each yEnc ("=ybegin" ... "=yend", consecutive parts
 * of one file joined: "P.yN") and begin-base64 ("begin-base64 MODE
 * NAME" ... "====": "P.bN") block of text, after it. Returns 0, or -1
 * with error when reading or spooling failed. */
int al_mime_find_yenc_base64(struct walk *w, const struct al_item *text, GError **error);

/* Decodes one yEnc data line into out (at least len bytes): each byte
 * minus 42, "=c" escapes c minus 106. Returns the bytes written. */
gsize al_mime_ydecode_line(const char *line, gsize len, guint8 *out);

/* One parameter of a header as written: name in lower case without its
 * RFC 2231 section and '*'. */
struct al_mime_param {
	char *name;
	guint section;
	gboolean has_section; /* name*N or name*N* */
	gboolean extended;    /* name*= or name*N*=: charset'lang'%XX */
	gboolean missing_semicolon; /* not preceded by ';' */
	char *value;		    /* unquoted */
};

struct al_mime_params {
	char *token;	    /* "attachment", "application/pdf": lower case */
	GPtrArray *params;  /* struct al_mime_param*, in header order */
	gboolean missing_semicolon; /* a parameter not preceded by ';' */
	gboolean truncated; /* past the parser's bounds */
};

/* Parses raw (a raw header value, may be NULL) into params_r; clear it
 * with al_mime_params_clear(). Never fails: bounded, lenient. */
void al_mime_params_parse(const char *raw, struct al_mime_params *params_r);

void al_mime_params_clear(struct al_mime_params *params);

/* Appends to names (char*, transfer full, distinct, non-empty) every
 * name the parameter `name` gives: the RFC 2231 sections joined, each
 * RFC 2231 value, each plain value RFC 2047-decoded; a name holding a
 * NUL gives the part before it and the whole without NULs (*nul_r set). */
void al_mime_params_names(const struct al_mime_params *params, const char *name,
			  GPtrArray *names, gboolean *nul_r);

/* Every name the part's raw Content-Disposition and Content-Type give,
 * compared: names with different extensions, a NUL or a missing ';'
 * before a name are `disguised`; a name GMime did not see becomes
 * item->filename, the other name item->alt_filename. Sets the
 * disposition from the raw header. */
void al_mime_check_names(struct al_item *item, GMimeObject *object);

#endif
