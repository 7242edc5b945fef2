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
 *	and its blocks. A quarantined yEnc or begin-base64 block ("P.yN",
 *	"P.bN") replaces its text part P whole.
 *
 *	The new body is the top-level body's content written by GMime:
 *	untouched parts come out as parsed (raw headers, raw encoded
 *	content). Lines end as the original's headers do (CRLF or LF). It
 *	is written to an anonymous file in [limits] spool_dir, so a message
 *	with large safe copies is never whole in memory.
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
 *	spool, or the spool directory full): the caller must tempfail,
 *	never deliver a half-stripped message. The hold message is always built.
 */
#include "notice_private.h"
#include "notice_safecopy.h"

#include <string.h>
#include <unistd.h>

static void append_file_notice(GString *out, const struct words *w, GPtrArray *items,
                               const char *id, const char *admin,
                               const struct al_notice_link *link)
{
	const guint several = items->len > 1;

	g_string_append_printf(out, "%s\n\n%s\n\n", w->withheld[several], w->removed[several]);
	for (guint i = 0; i < items->len; i++) {
		const struct al_item *item = items->pdata[i];
		g_autofree char *name = al_notice_printable(item->filename, NAME_MAX_CHARS);

		g_string_append_printf(out, "%s%s\n", w->file_label,
		                       name != NULL ? name : w->no_name);
		al_notice_append_reasons(out, item->reasons, w);
		al_notice_append_safecopy(out, item, w);
		g_string_append_c(out, '\n');
	}
	g_string_append_printf(out, "%s%s\n", w->id_label, id);
	al_notice_append_pair(out, w->contact_files[several], admin);
	if (link != NULL && link->url != NULL)
		al_notice_append_link(out, w, link->url, link->link_days);
	else if (link != NULL && link->separate)
		al_notice_append_separate(out, w);
}

/* The notice that stands for items (struct al_item*, at least one). */
static char *strip_notice_text(const struct al_config *config, GPtrArray *items, const char *id,
                               const struct al_notice_link *link)
{
	const struct words *langs[2];
	guint n = al_notice_languages(config, langs);
	g_autofree char *admin = al_notice_admin_contact(config);
	g_autofree char *safe_id = al_notice_printable(id, NAME_MAX_CHARS);
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(out, "\n" SEPARATOR "\n");
		append_file_notice(out, langs[i], items, safe_id, admin, link);
	}
	return g_string_free(out, FALSE);
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
	al_notice_set_utf8_text(part, out->str, out->len);
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

/* Splits "P.uN" into P (transfer full) and N; a yEnc or begin-base64
 * block ("P.yN", "P.bN") gives 0: its text part P is replaced whole. */
static char *block_parent(const char *part, guint *block_r)
{
	const char *mark = strrchr(part, '.');
	guint64 n;

	if (mark == NULL || mark == part || strchr("uyb", mark[1]) == NULL || mark[1] == '\0' ||
	    !g_ascii_isdigit(mark[2]) ||
	    !g_ascii_string_to_unsigned(mark + 2, 10, 1, G_MAXUINT, &n, NULL))
		return NULL;
	*block_r = mark[1] == 'u' ? (guint)n : 0;
	return g_strndup(part, (gsize)(mark - part));
}

/* The part a notice replaces for item: a file unwrapped from a TNEF or
 * S/MIME part is not in the message's tree, so the wrapper goes whole. */
static const char *whole_part_of(const struct al_item *item)
{
	return item->wrapper_part != NULL ? item->wrapper_part : item->part;
}

/* Groups the quarantined items by the part each notice goes to. */
static GPtrArray *plan_changes(GPtrArray *items, GError **error)
{
	GPtrArray *changes = g_ptr_array_new_with_free_func(change_free);
	GHashTable *by_path = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < items->len; i++) {
		struct al_item *item = items->pdata[i];

		if (item->quarantine && (item->wrapper_part != NULL || !item->from_uuencode))
			change_for(changes, by_path, whole_part_of(item))->whole = TRUE;
	}
	for (guint i = 0; i < items->len; i++) {
		struct al_item *item = items->pdata[i];
		g_autofree char *parent = NULL;
		struct change *change;
		guint block = 0;

		if (!item->quarantine)
			continue;
		if (item->wrapper_part != NULL || !item->from_uuencode) {
			g_ptr_array_add(change_for(changes, by_path, whole_part_of(item))->items, item);
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
		if (block == 0)
			change->whole = TRUE;
		else
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
	stripped->content_transfer_encoding = g_strdup(
	    encoding != NULL ? encoding : GMIME_IS_MULTIPART(body) ? "7bit" : "quoted-printable");
	if (replaced && stripped->content_disposition == NULL)
		stripped->content_disposition = g_strdup("inline");
}

static int apply_change(const struct al_config *config, GMimeMessage *top,
                        const struct change *change, const char *id,
                        const struct al_notice_link *link, struct al_stripped *stripped,
                        GError **error)
{
	g_autofree char *text = NULL;
	struct slot slot;

	if (resolve(top, change->path, &slot, error) < 0)
		return -1;
	text = strip_notice_text(config, change->items, id, link);
	if (change->whole) {
		GMimeObject *notice = al_notice_part(text);
		GMimeObject *replacement = al_notice_with_copies(notice, change->items);

		replace_slot(&slot, replacement);
		g_object_unref(replacement);
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

/* The new body goes to an anonymous file in the spool directory, never
 * whole in memory: with safe copies attached it can be several times the
 * size of the original. */
static int write_body(const struct al_config *config, GMimeMessage *top,
                      struct al_content *body_r, GError **error)
{
	GMimeObject *body = g_mime_message_get_mime_part(top);
	GMimeFormatOptions *options = NULL;
	GMimeStream *out;
	gint64 size;
	int fd = al_spool_tmpfile(config->spool_dir, error);
	int rc = -1;

	if (fd < 0)
		return -1;
	out = g_mime_stream_fs_new(fd);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(out), FALSE);
	options = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(options, newline_of(top));
	if (body != NULL && (g_mime_object_write_content_to_stream(body, options, out) < 0 ||
	                     g_mime_stream_flush(out) < 0)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
		            "cannot write the stripped message (reading the spooled original or "
		            "writing to %s failed)",
		            config->spool_dir != NULL ? config->spool_dir : g_get_tmp_dir());
		goto out;
	}
	size = g_mime_stream_tell(out);
	if (size < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot measure the stripped message");
		goto out;
	}
	*body_r = (struct al_content){ .fd = fd, .size = (gsize)size };
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	g_object_unref(out);
	g_mime_format_options_free(options);
	return rc;
}

int al_notice_strip(const struct al_config *config, struct al_verdict *verdict,
                    const char *quarantine_id, const struct al_notice_link *link,
                    struct al_stripped *stripped_r, GError **error)
{
	GMimeMessage *top =
	    verdict != NULL && verdict->message != NULL ? verdict->message->message : NULL;
	GPtrArray *changes = NULL;
	int rc = -1;

	*stripped_r = (struct al_stripped){ .body = { .fd = -1 } };
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
		if (apply_change(config, top, changes->pdata[i], quarantine_id, link, stripped_r,
		                 error) < 0)
			goto out;
	rc = write_body(config, top, &stripped_r->body, error);
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
	al_content_clear(&stripped->body);
	g_clear_pointer(&stripped->content_type, g_free);
	g_clear_pointer(&stripped->content_transfer_encoding, g_free);
	g_clear_pointer(&stripped->content_disposition, g_free);
	g_clear_pointer(&stripped->mime_version, g_free);
}
