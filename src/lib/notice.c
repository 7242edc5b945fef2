/*
 * notice.c - what recipients see instead of what was stopped.
 *
 * SYNOPSIS
 *	struct al_stripped stripped = { 0 };
 *	if (al_notice_strip(config, verdict, id, &stripped, &error) == 0)
 *		... stripped.body, stripped.content_type ...
 *	al_stripped_clear(&stripped);
 *
 *	char *text = al_notice_hold_message(config, verdict, &smtp, id);
 *
 * DESCRIPTION
 *	Every text exists in French and English and is written for staff,
 *	not for experts: one sentence per reason code. Notices follow the
 *	order of the configured languages (unknown or repeated ones are
 *	skipped; none left means French then English).
 *
 *	Strip works on the GMime tree kept by the MIME walk. Each
 *	quarantined item's part path (IMAP numbering, as mime.c gives it)
 *	is followed from the top-level message down through multiparts and
 *	attached messages; the part found is replaced in its parent by a
 *	text/plain; charset=utf-8 quoted-printable inline part holding the
 *	notice. A part that is a message body by itself (the top-level
 *	body, or the body of an attached message) is replaced with
 *	g_mime_message_set_mime_part(); for the top level the new
 *	Content-Type, Content-Transfer-Encoding and Content-Disposition are
 *	returned for the milter to change.
 *
 *	Uuencoded items ("P.uN") are cut out of their text part P: its
 *	decoded text is read line by line with exactly the rules mime.c
 *	uses to find blocks (so block N here is block N there), quarantined
 *	blocks are dropped from their "begin" line to their "end" line, the
 *	rest is converted to UTF-8 and the notice appended (inside <pre>
 *	for text/html). If P itself is quarantined, its one notice names P
 *	and its blocks.
 *
 *	The new body is the top-level body's content written by GMime:
 *	untouched parts come out as parsed (raw headers, raw encoded
 *	content). Lines end as the original's headers do (CRLF or LF).
 *
 *	Names, subjects and addresses from mail are attacker-controlled:
 *	control, format (bidi overrides, zero-width) and line-separator
 *	characters are shown as visible escapes ("<U+202E>") and long
 *	values are cut.
 *
 * ERRORS
 *	Strip fails (-1, AL_ERROR_INTERNAL or AL_ERROR_IO) when a
 *	quarantined item cannot be found in the tree, when the message was
 *	never parsed by GMime, or when writing the body fails (reading the
 *	spool): the caller must tempfail, never deliver a half-stripped
 *	message. The hold message is always built.
 */
#include "airlock/notice.h"

#include <string.h>

#define NAME_MAX_CHARS    200
#define SUBJECT_MAX_CHARS 200
#define ADDRESS_MAX_CHARS 320
#define HOLD_MAX_FILES    20
/* mime.c keeps this much of each line when it looks for uuencoded
 * blocks: block boundaries are judged on the same prefix here. */
#define UU_LINE_KEEP_BYTES 1024
#define SEPARATOR          "----------------------------------------------------------------------\n"

struct reason_text {
	const char *fr;
	const char *en;
};

/* clang-format off */
static const struct reason_text reason_sentences[AL_REASON_COUNT] = {
	[AL_REASON_VIRUS] = {
		.fr = "Ce fichier contient un virus ou un logiciel malveillant connu.",
		.en = "This file contains a known virus or other malicious software.",
	},
	[AL_REASON_EXECUTABLE] = {
		.fr = "Ce fichier est un programme : l'ouvrir pourrait installer un logiciel "
		      "malveillant.",
		.en = "This file is a program: opening it could install malicious software.",
	},
	[AL_REASON_DISGUISED] = {
		.fr = "Le nom ou le type de ce fichier ne correspond pas à son contenu réel (par "
		      "exemple une « facture » qui est en fait un programme).",
		.en = "The name or type of this file does not match its real content (for example "
		      "an \"invoice\" that is in fact a program).",
	},
	[AL_REASON_MACRO] = {
		.fr = "Ce document contient des macros, de petits programmes qui peuvent se lancer "
		      "à son ouverture et prendre le contrôle de l'ordinateur.",
		.en = "This document contains macros, small programs that can run when it is opened "
		      "and take control of the computer.",
	},
	[AL_REASON_ENCRYPTED] = {
		.fr = "Ce fichier est protégé par mot de passe : il n'a pas pu être analysé.",
		.en = "This file is password-protected: it could not be checked.",
	},
	[AL_REASON_LIMITS] = {
		.fr = "Ce fichier est trop gros ou trop complexe pour être analysé sans risque.",
		.en = "This file is too large or too complex to be checked safely.",
	},
	[AL_REASON_MALFORMED] = {
		.fr = "Ce contenu est construit de façon anormale, ce qui peut servir à cacher une "
		      "partie de ce qu'il contient.",
		.en = "This content is built in an abnormal way, which can be used to hide part of "
		      "what it contains.",
	},
	[AL_REASON_POLYGLOT] = {
		.fr = "Ce fichier est en même temps de deux types différents (par exemple une image "
		      "qui est aussi un programme) : c'est une technique d'attaque connue.",
		.en = "This file is two different kinds of file at once (for example an image that "
		      "is also a program): this is a known attack technique.",
	},
	[AL_REASON_UNKNOWN_ORIGIN] = {
		.fr = "L'expéditeur n'est pas reconnu comme un correspondant de confiance : ses "
		      "pièces jointes sont retenues par précaution.",
		.en = "The sender is not recognised as a trusted correspondent: their attachments "
		      "are withheld as a precaution.",
	},
};

/* Every other text of the notices, per language. Pairs are the words
 * before and after a value (no format strings from tables). */
struct words {
	const char *code;
	const char *reason_lang;
	const char *withheld[2];      /* one, several */
	const char *removed[2];	      /* one, several */
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

static const struct words french = {
	.code = "fr",
	.reason_lang = "fr",
	.withheld = { "Pièce jointe retenue par Airlock", "Pièces jointes retenues par Airlock" },
	.removed = { "Cette pièce jointe a été retirée du message et mise en quarantaine par "
		     "mesure de sécurité.",
		     "Ces pièces jointes ont été retirées du message et mises en quarantaine par "
		     "mesure de sécurité." },
	.file_label = "Fichier : ",
	.no_name = "(sans nom)",
	.id_label = "Identifiant de quarantaine : ",
	.contact_files = { { "Si vous attendiez ce fichier, contactez ",
			     " en indiquant cet identifiant." },
			   { "Si vous attendiez ces fichiers, contactez ",
			     " en indiquant cet identifiant." } },
	.held_subject = "Message retenu",
	.held_intro = "Un message qui vous était adressé a été retenu par Airlock, le filtre de "
		      "sécurité de la messagerie : il ne vous a pas été remis et reste en "
		      "quarantaine.",
	.sender_label = "Expéditeur : ",
	.envelope = { " (adresse technique d'envoi : ", ")" },
	.unknown = "(inconnu)",
	.subject_label = "Objet : ",
	.no_subject = "(sans objet)",
	.date_label = "Date : ",
	.why_label = "Pourquoi il a été retenu :",
	.files_label = "Pièces jointes concernées :",
	.more_files = { "  - et ", " autre", " autres" },
	.contact_message = { "Si vous attendiez ce message, contactez ",
			     " en indiquant cet identifiant." },
};

static const struct words english = {
	.code = "en",
	.reason_lang = "en",
	.withheld = { "Attachment withheld by Airlock", "Attachments withheld by Airlock" },
	.removed = { "This attachment was removed from the message and kept in quarantine for "
		     "safety.",
		     "These attachments were removed from the message and kept in quarantine for "
		     "safety." },
	.file_label = "File: ",
	.no_name = "(no name)",
	.id_label = "Quarantine id: ",
	.contact_files = { { "If you expected this file, contact ", " and quote this id." },
			   { "If you expected these files, contact ", " and quote this id." } },
	.held_subject = "Message held",
	.held_intro = "A message addressed to you was held by Airlock, the mail security filter: "
		      "it has not been delivered to you and is kept in quarantine.",
	.sender_label = "Sender: ",
	.envelope = { " (technical sending address: ", ")" },
	.unknown = "(unknown)",
	.subject_label = "Subject: ",
	.no_subject = "(no subject)",
	.date_label = "Date: ",
	.why_label = "Why it was held:",
	.files_label = "Attachments concerned:",
	.more_files = { "  - and ", " more", " more" },
	.contact_message = { "If you expected this message, contact ", " and quote this id." },
};

/* clang-format on */

const char *al_notice_reason_sentence(enum al_reason reason, const char *lang)
{
	if ((int)reason < 0 || reason >= AL_REASON_COUNT)
		return NULL;
	if (lang != NULL && g_ascii_strcasecmp(lang, "fr") == 0)
		return reason_sentences[reason].fr;
	return reason_sentences[reason].en;
}

/* The configured languages that we have, in order, without repeats. */
static guint notice_languages(const struct al_config *config, const struct words *out[2])
{
	static const struct words *const known[] = {&french, &english};
	guint n = 0;

	for (guint i = 0; config->languages != NULL && config->languages[i] != NULL; i++) {
		for (guint k = 0; k < G_N_ELEMENTS(known); k++) {
			gboolean seen =
			    (n > 0 && out[0] == known[k]) || (n > 1 && out[1] == known[k]);

			if (!seen && n < 2 &&
			    g_ascii_strcasecmp(config->languages[i], known[k]->code) == 0)
				out[n++] = known[k];
		}
	}
	if (n == 0) {
		out[n++] = &french;
		out[n++] = &english;
	}
	return n;
}

static gboolean is_invisible(gunichar c)
{
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_FORMAT:
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
	case G_UNICODE_SURROGATE:
		return TRUE;
	default:
		return FALSE;
	}
}

/*
 * text from mail made safe to show: valid UTF-8, every control, format
 * (bidi, zero-width) or line-separator character written as "<U+XXXX>",
 * cut after max_chars characters with "...". NULL for NULL.
 */
static char *printable(const char *text, glong max_chars)
{
	g_autofree char *valid = NULL;
	GString *out;
	glong shown = 0;

	if (text == NULL)
		return NULL;
	valid = g_utf8_make_valid(text, -1);
	out = g_string_sized_new(strlen(valid));
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (shown >= max_chars) {
			g_string_append(out, "...");
			break;
		}
		if (is_invisible(c)) {
			g_string_append_printf(out, "<U+%04" G_GINT32_MODIFIER "X>", (gint32)c);
			shown += 8;
		} else {
			g_string_append_unichar(out, c);
			shown++;
		}
	}
	return g_string_free(out, FALSE);
}

static char *admin_contact(const struct al_config *config)
{
	const char *admin = config->admin_contact;

	return printable(admin != NULL && *admin != '\0' ? admin : "postmaster", ADDRESS_MAX_CHARS);
}

static void append_reasons(GString *out, al_reason_set reasons, const struct words *w)
{
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		if ((reasons & AL_REASON_BIT(r)) == 0)
			continue;
		g_string_append(out, "  - ");
		g_string_append(out, al_notice_reason_sentence((enum al_reason)r, w->reason_lang));
		g_string_append_c(out, '\n');
	}
}

static void append_pair(GString *out, const char *const pair[2], const char *value)
{
	g_string_append(out, pair[0]);
	g_string_append(out, value);
	g_string_append(out, pair[1]);
	g_string_append_c(out, '\n');
}

static void append_file_notice(GString *out, const struct words *w, GPtrArray *items,
                               const char *id, const char *admin)
{
	const guint several = items->len > 1;

	g_string_append_printf(out, "%s\n\n%s\n\n", w->withheld[several], w->removed[several]);
	for (guint i = 0; i < items->len; i++) {
		const struct al_item *item = items->pdata[i];
		g_autofree char *name = printable(item->filename, NAME_MAX_CHARS);

		g_string_append_printf(out, "%s%s\n", w->file_label,
		                       name != NULL ? name : w->no_name);
		append_reasons(out, item->reasons, w);
		g_string_append_c(out, '\n');
	}
	g_string_append_printf(out, "%s%s\n", w->id_label, id);
	append_pair(out, w->contact_files[several], admin);
}

/* The notice that stands for items (struct al_item*, at least one). */
static char *strip_notice_text(const struct al_config *config, GPtrArray *items, const char *id)
{
	const struct words *langs[2];
	guint n = notice_languages(config, langs);
	g_autofree char *admin = admin_contact(config);
	g_autofree char *safe_id = printable(id, NAME_MAX_CHARS);
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(out, "\n" SEPARATOR "\n");
		append_file_notice(out, langs[i], items, safe_id, admin);
	}
	return g_string_free(out, FALSE);
}

/* Makes text (UTF-8) the content of part: charset=utf-8,
 * quoted-printable (safe on any transport, readable as source). */
static void set_utf8_text(GMimePart *part, const char *text, gsize len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, len);
	GMimeDataWrapper *content =
	    g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, content);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(content);
	g_object_unref(stream);
}

/* A new text/plain; charset=utf-8 quoted-printable inline part holding
 * text (transfer full). */
static GMimeObject *notice_part(const char *text)
{
	GMimePart *part = g_mime_part_new_with_type("text", "plain");

	set_utf8_text(part, text, strlen(text));
	g_mime_object_set_disposition(GMIME_OBJECT(part), "inline");
	return GMIME_OBJECT(part);
}

/* ------------------------------------------------------ part paths */

/* Where a part sits: in a multipart at index, or as a message's body. */
struct slot {
	GMimeObject *object;
	GMimeMultipart *parent; /* NULL: object is the body of message */
	int index;
	GMimeMessage *message;
};

static gboolean parse_component(const char *text, int *number_r)
{
	guint64 n;

	if (!g_ascii_isdigit(*text) || !g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT, &n, NULL))
		return FALSE;
	*number_r = (int)n;
	return TRUE;
}

/* One step down from slot by component number. */
static gboolean step(struct slot *slot, int number)
{
	GMimeObject *at = slot->object;

	if (at != NULL && GMIME_IS_MESSAGE_PART(at)) {
		slot->message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(at));
		slot->object = at = NULL;
		if (slot->message == NULL)
			return FALSE;
	}
	if (at == NULL) {
		/* At a message: a multipart body numbers its children, a
		 * single body is number 1 (IMAP). */
		at = g_mime_message_get_mime_part(slot->message);
		if (at == NULL)
			return FALSE;
		if (!GMIME_IS_MULTIPART(at)) {
			*slot = (struct slot){.object = at, .message = slot->message};
			return number == 1;
		}
	}
	if (!GMIME_IS_MULTIPART(at) || number > g_mime_multipart_get_count(GMIME_MULTIPART(at)))
		return FALSE;
	slot->parent = GMIME_MULTIPART(at);
	slot->index = number - 1;
	slot->object = g_mime_multipart_get_part(slot->parent, slot->index);
	return slot->object != NULL;
}

/* Finds the leaf part at path (mime.c's numbering) under top. */
static int resolve(GMimeMessage *top, const char *path, struct slot *slot_r, GError **error)
{
	g_auto(GStrv) components = g_strsplit(path, ".", -1);
	struct slot slot = {.message = top};

	for (guint i = 0; components[i] != NULL; i++) {
		int number;

		if (!parse_component(components[i], &number) || !step(&slot, number))
			goto missing;
	}
	if (slot.object == NULL || !GMIME_IS_PART(slot.object))
		goto missing;
	*slot_r = slot;
	return 0;
missing:
	g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL, "part %s: not found in the parsed message",
	            path);
	return -1;
}

static void replace_slot(const struct slot *slot, GMimeObject *replacement)
{
	if (slot->parent != NULL) {
		GMimeObject *old = g_mime_multipart_replace(slot->parent, slot->index, replacement);

		g_clear_object(&old);
	} else {
		g_mime_message_set_mime_part(slot->message, replacement);
	}
}

/* ------------------------------------------------- uuencoded blocks */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* "begin MODE NAME", as mime.c reads it. */
static gboolean is_begin_line(const char *line)
{
	const char *p = line + 5;
	int digits = 0;

	if (g_ascii_strncasecmp(line, "begin", 5) != 0 || (*p != ' ' && *p != '\t'))
		return FALSE;
	p = skip_blanks(p);
	while (p[digits] >= '0' && p[digits] <= '7')
		digits++;
	if (digits < 3 || digits > 4 || (p[digits] != ' ' && p[digits] != '\t'))
		return FALSE;
	for (p = skip_blanks(p + digits); *p != '\0'; p++)
		if (!g_ascii_isspace(*p))
			return TRUE;
	return FALSE;
}

static gboolean is_end_line(const char *line)
{
	return g_ascii_strncasecmp(line, "end", 3) == 0 && *skip_blanks(line + 3) == '\0';
}

/* The part of a line mime.c looks at: its first UU_LINE_KEEP_BYTES
 * bytes, without a final CR. */
static void line_key(const guint8 *line, gsize len, char key[UU_LINE_KEEP_BYTES + 1])
{
	gsize keep = MIN(len, UU_LINE_KEEP_BYTES);

	memcpy(key, line, keep);
	if (keep > 0 && key[keep - 1] == '\r')
		keep--;
	key[keep] = '\0';
}

static gboolean index_listed(GArray *indexes, guint index)
{
	for (guint i = 0; i < indexes->len; i++)
		if (g_array_index(indexes, guint, i) == index)
			return TRUE;
	return FALSE;
}

/* text without the blocks whose 1-based index is in drop (transfer full);
 * *cut_r: how many of them were found. */
static GByteArray *cut_blocks(const guint8 *text, gsize len, GArray *drop, guint *cut_r)
{
	GByteArray *kept = g_byte_array_sized_new((guint)MIN(len, G_MAXUINT));
	char *key = g_malloc(UU_LINE_KEEP_BYTES + 1);
	gboolean in_block = FALSE;
	gboolean dropping = FALSE;
	guint blocks = 0;
	gsize pos = 0;

	while (pos < len) {
		const guint8 *eol = memchr(text + pos, '\n', len - pos);
		gsize line_len = eol != NULL ? (gsize)(eol - (text + pos)) : len - pos;
		gsize next = eol != NULL ? pos + line_len + 1 : len;
		gboolean keep;

		line_key(text + pos, line_len, key);
		if (!in_block) {
			in_block = is_begin_line(key);
			dropping = in_block && index_listed(drop, ++blocks);
			*cut_r += dropping;
			keep = !dropping;
		} else {
			keep = !dropping;
			in_block = !is_end_line(key);
		}
		if (keep)
			g_byte_array_append(kept, text + pos, (guint)(next - pos));
		pos = next;
	}
	g_free(key);
	return kept;
}

static gboolean is_utf8_compatible(const char *charset)
{
	return charset == NULL || g_ascii_strcasecmp(charset, "utf-8") == 0 ||
	       g_ascii_strcasecmp(charset, "utf8") == 0 ||
	       g_ascii_strcasecmp(charset, "us-ascii") == 0;
}

/* text in charset as valid UTF-8 (transfer full). */
static char *to_utf8(const GByteArray *text, const char *charset)
{
	g_autofree char *converted = NULL;

	if (!is_utf8_compatible(charset)) {
		iconv_t cd = g_mime_iconv_open("UTF-8", charset);

		if (cd != (iconv_t)-1) {
			converted = g_mime_iconv_strndup(cd, (const char *)text->data, text->len);
			g_mime_iconv_close(cd);
		}
	}
	if (converted != NULL)
		return g_utf8_make_valid(converted, -1);
	if (text->len == 0)
		return g_strdup("");
	return g_utf8_make_valid((const char *)text->data, (gssize)text->len);
}

/* The decoded content of part (transfer full), NULL with error. */
static GByteArray *decoded_content(GMimePart *part, GError **error)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GByteArray *bytes = g_byte_array_new();
	GMimeStream *out = g_mime_stream_mem_new_with_byte_array(bytes);
	gssize written = 0;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	if (content != NULL)
		written = g_mime_data_wrapper_write_to_stream(content, out);
	g_object_unref(out);
	if (written < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot read a text part to rewrite it");
		g_byte_array_unref(bytes);
		return NULL;
	}
	return bytes;
}

/* kept (in the part's charset) as UTF-8 with the notice appended:
 * escaped inside <pre> for HTML (transfer full). */
static GString *text_with_notice(GMimeObject *object, const GByteArray *kept, const char *notice)
{
	g_autofree char *text =
	    to_utf8(kept, g_mime_object_get_content_type_parameter(object, "charset"));
	GString *out = g_string_new(text);

	if (out->len > 0 && out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
	if (g_mime_content_type_is_type(g_mime_object_get_content_type(object), "text", "html")) {
		g_autofree char *escaped = g_markup_escape_text(notice, -1);

		g_string_append_printf(out, "<pre>\n%s</pre>\n", escaped);
	} else {
		g_string_append_printf(out, "\n%s", notice);
	}
	return out;
}

/* Rewrites text part without the blocks in drop, notice appended. */
static int rewrite_text(GMimePart *part, GArray *drop, const char *notice, GError **error)
{
	GMimeObject *object = GMIME_OBJECT(part);
	GByteArray *decoded = NULL;
	g_autoptr(GByteArray) kept = NULL;
	GString *out;
	guint cut = 0;

	if (!g_mime_content_type_is_type(g_mime_object_get_content_type(object), "text", "*")) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL,
		            "uuencoded blocks listed in a part that is not text");
		return -1;
	}
	decoded = decoded_content(part, error);
	if (decoded == NULL)
		return -1;
	kept = cut_blocks(decoded->data, decoded->len, drop, &cut);
	g_byte_array_unref(decoded);
	if (cut != drop->len) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL,
		            "%u uuencoded block(s) to remove not found in the text",
		            drop->len - cut);
		return -1;
	}
	out = text_with_notice(object, kept, notice);
	set_utf8_text(part, out->str, out->len);
	g_string_free(out, TRUE);
	return 0;
}

/* ------------------------------------------------------------ strip */

/* One notice: the part it replaces or rewrites, and the items it names. */
struct change {
	char *path;       /* the part: a leaf, or the text part holding blocks */
	gboolean whole;   /* replace the part, else cut blocks out of it */
	GPtrArray *items; /* struct al_item*, borrowed */
	GArray *blocks;   /* guint: block numbers to cut */
};

static void change_free(gpointer data)
{
	struct change *change = data;

	g_free(change->path);
	g_ptr_array_unref(change->items);
	g_array_unref(change->blocks);
	g_free(change);
}

static struct change *change_for(GPtrArray *changes, GHashTable *by_path, const char *path)
{
	struct change *change = g_hash_table_lookup(by_path, path);

	if (change != NULL)
		return change;
	change = g_new(struct change, 1);
	*change = (struct change){
	    .path = g_strdup(path),
	    .items = g_ptr_array_new(),
	    .blocks = g_array_new(FALSE, FALSE, sizeof(guint)),
	};
	g_ptr_array_add(changes, change);
	g_hash_table_insert(by_path, change->path, change);
	return change;
}

/* Splits "P.uN" into P (transfer full) and N. */
static char *block_parent(const char *part, guint *block_r)
{
	const char *mark = g_strrstr(part, ".u");
	guint64 n;

	if (mark == NULL || mark == part || !g_ascii_isdigit(mark[2]) ||
	    !g_ascii_string_to_unsigned(mark + 2, 10, 1, G_MAXUINT, &n, NULL))
		return NULL;
	*block_r = (guint)n;
	return g_strndup(part, (gsize)(mark - part));
}

/* Groups the quarantined items by the part each notice goes to. */
static GPtrArray *plan_changes(GPtrArray *items, GError **error)
{
	GPtrArray *changes = g_ptr_array_new_with_free_func(change_free);
	GHashTable *by_path = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < items->len; i++) {
		struct al_item *item = items->pdata[i];

		if (item->quarantine && !item->from_uuencode)
			change_for(changes, by_path, item->part)->whole = TRUE;
	}
	for (guint i = 0; i < items->len; i++) {
		struct al_item *item = items->pdata[i];
		g_autofree char *parent = NULL;
		struct change *change;
		guint block = 0;

		if (!item->quarantine)
			continue;
		if (!item->from_uuencode) {
			g_ptr_array_add(change_for(changes, by_path, item->part)->items, item);
			continue;
		}
		parent = block_parent(item->part, &block);
		if (parent == NULL) {
			g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL,
			            "part %s: not a uuencoded block path", item->part);
			g_clear_pointer(&changes, g_ptr_array_unref);
			break;
		}
		change = change_for(changes, by_path, parent);
		g_ptr_array_add(change->items, item);
		g_array_append_val(change->blocks, block);
	}
	g_hash_table_unref(by_path);
	return changes;
}

/* Sets stripped->content_* from the new top-level body. */
static void describe_top(GMimeMessage *top, gboolean replaced, struct al_stripped *stripped)
{
	GMimeObject *body = g_mime_message_get_mime_part(top);
	const char *type = g_mime_object_get_header(body, "Content-Type");
	const char *encoding = g_mime_object_get_header(body, "Content-Transfer-Encoding");

	g_clear_pointer(&stripped->content_type, g_free);
	g_clear_pointer(&stripped->content_transfer_encoding, g_free);
	if (g_mime_object_get_header(GMIME_OBJECT(top), "MIME-Version") == NULL &&
	    stripped->mime_version == NULL)
		stripped->mime_version = g_strdup("1.0");

	stripped->content_type = g_strdup(type != NULL ? type : "text/plain; charset=utf-8");
	stripped->content_transfer_encoding =
	    g_strdup(encoding != NULL ? encoding : "quoted-printable");
	if (replaced && stripped->content_disposition == NULL)
		stripped->content_disposition = g_strdup("inline");
}

static int apply_change(const struct al_config *config, GMimeMessage *top,
                        const struct change *change, const char *id, struct al_stripped *stripped,
                        GError **error)
{
	g_autofree char *text = NULL;
	struct slot slot;

	if (resolve(top, change->path, &slot, error) < 0)
		return -1;
	text = strip_notice_text(config, change->items, id);
	if (change->whole) {
		GMimeObject *notice = notice_part(text);

		replace_slot(&slot, notice);
		g_object_unref(notice);
	} else if (rewrite_text(GMIME_PART(slot.object), change->blocks, text, error) < 0) {
		g_prefix_error(error, "part %s: ", change->path);
		return -1;
	}
	if (slot.parent == NULL && slot.message == top)
		describe_top(top, change->whole, stripped);
	return 0;
}

/* CRLF when the original's headers end their lines so. */
static GMimeNewLineFormat newline_of(GMimeMessage *top)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(top));
	GMimeHeader *first = g_mime_header_list_get_count(headers) > 0
	                         ? g_mime_header_list_get_header_at(headers, 0)
	                         : NULL;
	const char *raw = first != NULL ? g_mime_header_get_raw_value(first) : NULL;

	return raw != NULL && g_str_has_suffix(raw, "\r\n") ? GMIME_NEWLINE_FORMAT_DOS
	                                                    : GMIME_NEWLINE_FORMAT_UNIX;
}

static int write_body(GMimeMessage *top, GByteArray **body_r, GError **error)
{
	GMimeObject *body = g_mime_message_get_mime_part(top);
	GMimeFormatOptions *options = g_mime_format_options_new();
	GByteArray *bytes = g_byte_array_new();
	GMimeStream *out = g_mime_stream_mem_new_with_byte_array(bytes);
	int rc = 0;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_format_options_set_newline_format(options, newline_of(top));
	if (body != NULL && (g_mime_object_write_content_to_stream(body, options, out) < 0 ||
	                     g_mime_stream_flush(out) < 0)) {
		g_set_error(
		    error, AL_ERROR, AL_ERROR_IO,
		    "cannot write the stripped message (reading the spooled original failed)");
		g_clear_pointer(&bytes, g_byte_array_unref);
		rc = -1;
	}
	g_object_unref(out);
	g_mime_format_options_free(options);
	*body_r = bytes;
	return rc;
}

int al_notice_strip(const struct al_config *config, struct al_verdict *verdict,
                    const char *quarantine_id, struct al_stripped *stripped_r, GError **error)
{
	GMimeMessage *top =
	    verdict != NULL && verdict->message != NULL ? verdict->message->message : NULL;
	GPtrArray *changes = NULL;
	int rc = -1;

	*stripped_r = (struct al_stripped){0};
	if (top == NULL || quarantine_id == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL,
		            "cannot strip: the message has no parsed MIME structure");
		goto out;
	}
	al_mime_global_init();
	changes = plan_changes(verdict->message->items, error);
	if (changes == NULL)
		goto out;
	for (guint i = 0; i < changes->len; i++)
		if (apply_change(config, top, changes->pdata[i], quarantine_id, stripped_r, error) <
		    0)
			goto out;
	rc = write_body(top, &stripped_r->body, error);
out:
	if (changes != NULL)
		g_ptr_array_unref(changes);
	if (rc < 0)
		al_stripped_clear(stripped_r);
	return rc;
}

void al_stripped_clear(struct al_stripped *stripped)
{
	if (stripped == NULL)
		return;
	g_clear_pointer(&stripped->body, g_byte_array_unref);
	g_clear_pointer(&stripped->content_type, g_free);
	g_clear_pointer(&stripped->content_transfer_encoding, g_free);
	g_clear_pointer(&stripped->content_disposition, g_free);
	g_clear_pointer(&stripped->mime_version, g_free);
}

/* ------------------------------------------------------------- hold */

/* What the hold notice says about the original. */
struct held {
	char *from;     /* shown From address, or NULL */
	char *envelope; /* shown envelope sender if it differs, or NULL */
	char *subject;
	char *date;
	GPtrArray *files; /* char*: shown names of quarantined items */
	guint more_files; /* quarantined items past HOLD_MAX_FILES */
	al_reason_set reasons;
	char *admin;
	char *id;
};

static void held_clear(struct held *held)
{
	g_free(held->from);
	g_free(held->envelope);
	g_free(held->subject);
	g_free(held->date);
	g_ptr_array_unref(held->files);
	g_free(held->admin);
	g_free(held->id);
}

static void held_describe_items(struct held *held, const struct al_message *message,
                                const struct words *w)
{
	for (guint i = 0; message != NULL && i < message->items->len; i++) {
		const struct al_item *item = message->items->pdata[i];

		if (!item->quarantine)
			continue;
		if (held->files->len >= HOLD_MAX_FILES) {
			held->more_files++;
			continue;
		}
		g_ptr_array_add(held->files, item->filename != NULL
		                                 ? printable(item->filename, NAME_MAX_CHARS)
		                                 : g_strdup(w->no_name));
	}
}

static char *held_date(const struct al_message *message)
{
	GDateTime *date = message != NULL && message->message != NULL
	                      ? g_mime_message_get_date(message->message)
	                      : NULL;

	return date != NULL ? g_date_time_format(date, "%Y-%m-%d %H:%M:%S %z") : NULL;
}

static void held_init(struct held *held, const struct al_config *config,
                      const struct al_verdict *verdict, const struct al_smtp_context *smtp,
                      const char *id)
{
	const struct al_message *message = verdict != NULL ? verdict->message : NULL;
	const char *from = message != NULL ? message->from : NULL;
	const char *envelope = smtp != NULL ? smtp->envelope_from : NULL;

	*held = (struct held){
	    .from = printable(from, ADDRESS_MAX_CHARS),
	    .subject = printable(message != NULL ? message->subject : NULL, SUBJECT_MAX_CHARS),
	    .date = held_date(message),
	    .files = g_ptr_array_new_with_free_func(g_free),
	    .reasons = verdict != NULL ? verdict->reasons : 0,
	    .admin = admin_contact(config),
	    .id = printable(id != NULL ? id : "-", NAME_MAX_CHARS),
	};
	if (envelope != NULL && *envelope != '\0' &&
	    (from == NULL || g_ascii_strcasecmp(from, envelope) != 0))
		held->envelope = printable(envelope, ADDRESS_MAX_CHARS);
}

static void append_held_files(GString *out, const struct held *held, const struct words *w)
{
	if (held->files->len == 0)
		return;
	g_string_append_printf(out, "\n%s\n", w->files_label);
	for (guint i = 0; i < held->files->len; i++)
		g_string_append_printf(out, "  - %s\n", (const char *)held->files->pdata[i]);
	if (held->more_files > 0)
		g_string_append_printf(out, "%s%u%s\n", w->more_files[0], held->more_files,
		                       w->more_files[held->more_files > 1 ? 2 : 1]);
}

static void append_held_notice(GString *out, const struct held *held, const struct words *w)
{
	g_string_append_printf(out, "%s\n\n", w->held_intro);
	g_string_append_printf(out, "%s%s", w->sender_label,
	                       held->from != NULL ? held->from : w->unknown);
	if (held->envelope != NULL)
		g_string_append_printf(out, "%s%s%s", w->envelope[0], held->envelope,
		                       w->envelope[1]);
	g_string_append_printf(out, "\n%s%s\n", w->subject_label,
	                       held->subject != NULL ? held->subject : w->no_subject);
	g_string_append_printf(out, "%s%s\n", w->date_label,
	                       held->date != NULL ? held->date : w->unknown);
	if (held->reasons != 0) {
		g_string_append_printf(out, "\n%s\n", w->why_label);
		append_reasons(out, held->reasons, w);
	}
	append_held_files(out, held, w);
	g_string_append_printf(out, "\n%s%s\n", w->id_label, held->id);
	append_pair(out, w->contact_message, held->admin);
}

/* "Airlock <admin>" when the admin contact holds an address. */
static void add_sender(GMimeMessage *notice, const struct al_config *config)
{
	InternetAddressList *list = config->admin_contact != NULL
	                                ? internet_address_list_parse(NULL, config->admin_contact)
	                                : NULL;
	const char *addr = "postmaster";

	for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
		InternetAddress *address = internet_address_list_get_address(list, i);
		const char *candidate =
		    INTERNET_ADDRESS_IS_MAILBOX(address)
		        ? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address))
		        : NULL;

		if (candidate != NULL && strchr(candidate, '@') != NULL) {
			addr = candidate;
			break;
		}
	}
	g_mime_message_add_mailbox(notice, GMIME_ADDRESS_TYPE_FROM, "Airlock", addr);
	g_clear_object(&list);
}

static void add_recipients(GMimeMessage *notice, const struct al_smtp_context *smtp)
{
	InternetAddressList *to = g_mime_message_get_addresses(notice, GMIME_ADDRESS_TYPE_TO);
	guint count = 0;

	for (guint i = 0; smtp != NULL && smtp->recipients != NULL && smtp->recipients[i] != NULL;
	     i++) {
		g_autofree char *safe = printable(smtp->recipients[i], ADDRESS_MAX_CHARS);
		InternetAddress *mailbox = internet_address_mailbox_new(NULL, safe);

		internet_address_list_add(to, mailbox);
		g_object_unref(mailbox);
		count++;
	}
	if (count == 0) {
		InternetAddress *group = internet_address_group_new("undisclosed-recipients");

		internet_address_list_add(to, group);
		g_object_unref(group);
	}
}

static void add_headers(GMimeMessage *notice, const struct al_config *config,
                        const struct held *held, const struct words *const *langs, guint n)
{
	GString *subject = g_string_new("[Airlock] ");
	InternetAddressList *from;
	GDateTime *now = g_date_time_new_now_local();
	g_autofree char *domain = NULL;
	g_autofree char *message_id = NULL;

	for (guint i = 0; i < n; i++)
		g_string_append_printf(subject, "%s%s", i > 0 ? " / " : "", langs[i]->held_subject);
	if (held->subject != NULL)
		g_string_append_printf(subject, ": %s", held->subject);
	add_sender(notice, config);
	from = g_mime_message_get_addresses(notice, GMIME_ADDRESS_TYPE_FROM);
	domain = al_address_domain(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(from, 0))));
	/* Without a domain GMime would append "(none)" for an unset NIS
	 * domain name: the host name alone is a valid id-right. */
	message_id = g_mime_utils_generate_message_id(domain != NULL ? domain : g_get_host_name());
	g_mime_message_set_subject(notice, subject->str, "utf-8");
	g_mime_message_set_date(notice, now);
	g_mime_message_set_message_id(notice, message_id);
	g_mime_object_set_header(GMIME_OBJECT(notice), "MIME-Version", "1.0", NULL);
	g_mime_object_set_header(GMIME_OBJECT(notice), "Auto-Submitted", "auto-generated", NULL);
	g_date_time_unref(now);
	g_string_free(subject, TRUE);
}

char *al_notice_hold_message(const struct al_config *config, const struct al_verdict *verdict,
                             const struct al_smtp_context *smtp, const char *quarantine_id)
{
	const struct words *langs[2];
	guint n = notice_languages(config, langs);
	GMimeMessage *notice;
	GMimeObject *body;
	GString *text = g_string_new(NULL);
	struct held held;
	char *result;

	al_mime_global_init();
	held_init(&held, config, verdict, smtp, quarantine_id);
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(text, "\n" SEPARATOR "\n");
		g_ptr_array_set_size(held.files, 0);
		held.more_files = 0;
		held_describe_items(&held, verdict != NULL ? verdict->message : NULL, langs[i]);
		append_held_notice(text, &held, langs[i]);
	}
	notice = g_mime_message_new(TRUE);
	add_recipients(notice, smtp);
	add_headers(notice, config, &held, langs, n);
	body = notice_part(text->str);
	g_mime_message_set_mime_part(notice, body);
	result = g_mime_object_to_string(GMIME_OBJECT(notice), NULL);
	g_object_unref(body);
	g_object_unref(notice);
	g_string_free(text, TRUE);
	held_clear(&held);
	return result;
}
