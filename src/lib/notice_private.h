/*
 * notice_private.h - what notice.c (strip), notice_hold.c (hold) and
 * notice_words.c (the French and English texts) share inside libairlock.
 */
#ifndef AIRLOCK_NOTICE_PRIVATE_H
#define AIRLOCK_NOTICE_PRIVATE_H

#include "airlock/notice.h"

#include <gmime/gmime.h>

#define NAME_MAX_CHARS    200
#define SUBJECT_MAX_CHARS 200
#define ADDRESS_MAX_CHARS 320
#define HOLD_MAX_FILES    20
/* mime.c keeps this much of each line when it looks for uuencoded
 * blocks: block boundaries are judged on the same prefix here. */
#define UU_LINE_KEEP_BYTES 1024
#define SEPARATOR          "----------------------------------------------------------------------\n"

/* One language's words (notice_words.c has French and English). */
struct words {
	const char *code;
	const char *reason_lang;
	const char *withheld[2]; /* one, several */
	const char *removed[2];  /* one, several */
	const char *file_label;
	const char *no_name;
	const char *id_label;
	const char *contact_files[2][2]; /* [one/several][before/after admin] */
	const char *held_subject;
	const char *held_intro;
	const char *sender_label;
	const char *envelope[2];
	const char *unknown;
	const char *subject_label;
	const char *no_subject;
	const char *date_label;
	const char *why_label;
	const char *files_label;
	const char *more_files[3]; /* before count, after 1, after more */
	const char *contact_message[2];
};

/* The configured languages that we have, in order, without repeats
 * (French then English when none is left); returns how many. */
guint al_notice_languages(const struct al_config *config, const struct words *out[2]);

/* Text from mail made safe to show: valid UTF-8, every control, format
 * (bidi, zero-width) or line-separator character written as "<U+XXXX>",
 * cut after max_chars characters with "...". NULL for NULL. */
char *al_notice_printable(const char *text, glong max_chars);

/* [notice] admin_contact made printable, "postmaster" when unset. */
char *al_notice_admin_contact(const struct al_config *config);

/* One "  - sentence" line per reason, in w's language. */
void al_notice_append_reasons(GString *out, al_reason_set reasons, const struct words *w);

/* pair[0] value pair[1] and a newline. */
void al_notice_append_pair(GString *out, const char *const pair[2], const char *value);

/* Makes text (UTF-8) the content of part: charset=utf-8,
 * quoted-printable (safe on any transport, readable as source). */
void al_notice_set_utf8_text(GMimePart *part, const char *text, gsize len);

/* A new text/plain; charset=utf-8 quoted-printable inline part holding
 * text (transfer full). */
GMimeObject *al_notice_part(const char *text);

/* From: "Airlock <ADDRESS>", the address taken from [notice]
 * admin_contact when it holds one, else postmaster. */
void al_notice_add_sender(GMimeMessage *notice, const struct al_config *config);

/* notice_workflow.c: the lines that give a recipient their link (and
 * say it is personal), in w's language; nothing when link is NULL. */
void al_notice_append_link(GString *out, const struct words *w, const char *link,
			   guint link_days);
/* The line that says each recipient is mailed their own link apart. */
void al_notice_append_separate(GString *out, const struct words *w);

#endif
