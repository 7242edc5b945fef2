/*
 * safecopy.h - safe copies: a disarmed copy of a stripped document, made
 * by the confined airlock-safecopy helper (src/safecopy/), never in the
 * calling process.
 *
 * An item gets a copy when the policy quarantines it, every one of its
 * reasons is in [safecopy] reasons, and its detected type is one the
 * helper rebuilds (PDF, JPEG, PNG, GIF, TIFF, WebP, HEIC, DICOM; Office
 * documents when [safecopy] office found LibreOffice). A polyglot (a
 * document with a program hidden in it, `polyglot` in [safecopy]
 * reasons) may also carry `executable` and `disguised`: those findings
 * are the hidden program, which the copy is rebuilt without; the copy is
 * judged again before anyone gets it, so a copy that still holds a
 * program is never delivered. The helper
 * is spawned with pipes (argv, never a shell; an empty environment), fed
 * the item's decoded bytes, and killed when the message's [safecopy]
 * max_seconds run out. Any failure (exit status, signal, timeout, a copy
 * larger than [limits] max_message_bytes, a copy that does not start as
 * its format must) gives no copy and a reason the notice can show; it is
 * never an error for the message.
 *
 * An Office document (Word, Excel, PowerPoint, OpenDocument, RTF) takes
 * two runs: --kind office (LibreOffice in the helper's weaker sandbox)
 * makes a PDF, which --kind pdf (the strict sandbox) renders to pixels;
 * the copy is a PDF (kind AL_SAFECOPY_PDF).
 *
 * Ownership: copies belong to their item (al_item_free()).
 */
#ifndef AIRLOCK_SAFECOPY_H
#define AIRLOCK_SAFECOPY_H

#include "airlock/config.h"
#include "airlock/item.h"
#include "airlock/pipeline.h"
#include "airlock/spool.h"

#include <glib.h>

enum al_safecopy_kind {
	AL_SAFECOPY_NONE = 0,
	AL_SAFECOPY_PDF,
	AL_SAFECOPY_JPEG,
	AL_SAFECOPY_PNG,
	AL_SAFECOPY_GIF,
	AL_SAFECOPY_TIFF,
	AL_SAFECOPY_WEBP,
	AL_SAFECOPY_HEIC,
	AL_SAFECOPY_DICOM,
	AL_SAFECOPY_OFFICE, /* input only: its copy is a PDF */
};

/* Why there is no copy (the notice words it in each language). */
enum al_safecopy_failure {
	AL_SAFECOPY_OK = 0,
	AL_SAFECOPY_FAILED,	    /* unreadable input, crash, bad output */
	AL_SAFECOPY_TOO_MANY_PAGES, /* more than [safecopy] max_pages */
	AL_SAFECOPY_TIMEOUT,	    /* killed when max_seconds ran out */
	AL_SAFECOPY_TOO_LARGE,	    /* input or copy past the limits */
};

struct al_safecopy {
	enum al_safecopy_kind kind;
	enum al_safecopy_failure failure;
	struct al_content content; /* the copy (memory or a spool file); empty on failure */
	char *filename;	    /* "NAME (copie sûre).pdf" in the first language */
	char *content_type; /* "application/pdf", "image/jpeg"... */
	char *sha256;	    /* lower-case hex of bytes, NULL on failure */
	char *detail;	    /* the helper's own words on failure (for logs), or NULL */
};

void al_safecopy_free(struct al_safecopy **copy);

/* The kind the helper makes of a libmagic MIME type; NONE if it has none. */
enum al_safecopy_kind al_safecopy_kind_of(const char *detected_type);

/* The helper's --kind argument, the copy's MIME type and extension
 * (static, transfer none). */
const char *al_safecopy_kind_name(enum al_safecopy_kind kind);
const char *al_safecopy_content_type(enum al_safecopy_kind kind);

/* LibreOffice's soffice (/usr/bin/soffice, then
 * /usr/lib/libreoffice/program/soffice) when installed, else NULL. */
const char *al_safecopy_find_soffice(void);

/* Whether item gets a copy under config (see above). */
gboolean al_safecopy_wanted(const struct al_config *config, const struct al_item *item);

/*
 * Runs the helper on input: kind, config's dpi, max_pages and helper, at
 * most timeout_ms of wall clock. The copy is spooled like a part
 * ([limits] memory_threshold, then [limits] spool_dir). Returns the copy
 * (transfer full; failure set when there is none, never NULL).
 */
struct al_safecopy *al_safecopy_make(const struct al_config *config, enum al_safecopy_kind kind,
				     const struct al_content *input, gint64 timeout_ms);

/* The copy's file name for an attachment named filename (may be NULL),
 * in language lang ("fr": "copie sûre", else "safe copy"); transfer full. */
char *al_safecopy_filename(const char *filename, enum al_safecopy_kind kind, const char *lang);

/*
 * Makes a copy for every item of verdict that al_safecopy_wanted(),
 * all within [safecopy] max_seconds, and hangs each on its item
 * (item->safe_copy). Each copy is then judged by pipeline like an
 * attachment of its own (al_pipeline_judge_content(): type, allow-list,
 * inspectors, ClamAV); a copy with any finding is not kept (failure
 * AL_SAFECOPY_FAILED), nor is one that could not be judged (a scanner
 * error: no copy, never an error for the message). A message that
 * carries a virus gets no copy at all. Returns how many copies were made
 * (not failures).
 */
guint al_safecopy_make_all(struct al_pipeline *pipeline, struct al_verdict *verdict);

/* Judges a made copy (copy->failure OK, filename set) as
 * al_safecopy_make_all() does; one with a finding, or that could not be
 * judged, is emptied and its failure set to AL_SAFECOPY_FAILED. */
void al_safecopy_check(struct al_pipeline *pipeline, struct al_safecopy *copy);

/* A warning for the admin when copies are on ([safecopy] reasons not
 * empty) but [safecopy] helper is not an executable file (transfer
 * full), else NULL. */
char *al_safecopy_config_warning(const struct al_config *config);

/* The audit detail of a copy: "part 2: NAME, N bytes, sha256 HEX". */
char *al_safecopy_event_detail(const struct al_item *item);

#endif
