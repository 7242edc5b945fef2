/*
 * mime_yenc.c - yEnc and begin-base64 blocks inside text parts, each
 * decoded into an item of its own right after its text part that counts
 * as a part (see mime.c): "P.y1", "P.y2"... for yEnc, "P.b1"... for
 * begin-base64.
 *
 * DESCRIPTION
 *	yEnc (Usenet's binary encoding, which news readers and some mail
 *	programs decode): a "=ybegin ... name=NAME" line, data lines where
 *	each byte is the file's byte plus 42 (mod 256) and "=c" is an
 *	escape for c - 64 - 42, and a "=yend" line. A multi-part post
 *	repeats =ybegin (part=N) and adds "=ypart begin= end="; the parts
 *	of one file that follow each other in one text (same name, part
 *	numbers in order) are joined into one item.
 *
 *	begin-base64 (GNU sharutils' uuencode -m): a "begin-base64 MODE
 *	NAME" line, base64 lines and a "====" line.
 *
 *	Both are read in their own pass over the text, apart from the
 *	uuencode pass (mime_uuencode.c), whose block numbers notice.c
 *	relies on. Lines are kept up to BLOCK_LINE_KEEP_BYTES; a longer
 *	data line, or a file past max_part_bytes, gives `limits` on the
 *	item (what was kept is still typed and scanned).
 */
#include "mime_private.h"

#include <string.h>

#define BLOCK_LINE_KEEP_BYTES 8192

enum block_kind {
	BLOCK_NONE,
	BLOCK_YENC,
	BLOCK_BASE64,
};

/* The item being decoded, open across the parts of one yEnc file. */
struct block {
	enum block_kind kind;
	struct al_item *item;
	struct al_spool *spool;
	guint64 total;
	gboolean truncated;
	gboolean long_line;
	gboolean in_data; /* between =ybegin and =yend, or base64 lines */
	guint64 yenc_part;
	int base64_state;
	guint base64_save;
};

struct finder {
	struct walk *w;
	const struct al_item *text;
	struct al_line_reader reader;
	struct block block;
	guint8 *out; /* BLOCK_LINE_KEEP_BYTES */
	guint yenc_count;
	guint base64_count;
};

gsize al_mime_ydecode_line(const char *line, gsize len, guint8 *out)
{
	gsize done = 0;

	for (gsize i = 0; i < len; i++) {
		guint8 byte = (guint8)line[i];

		if (byte == '=') {
			if (++i == len)
				break;
			byte = (guint8)((guint8)line[i] - 64);
		}
		out[done++] = (guint8)(byte - 42);
	}
	return done;
}

/* The value of " key=" in a =ybegin line, up to a blank (NULL if none). */
static const char *ykey(const char *line, const char *key)
{
	const char *p = line;
	gsize len = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		if (p > line && (p[-1] == ' ' || p[-1] == '\t'))
			return p + len;
		p += len;
	}
	return NULL;
}

/* "begin-base64 MODE NAME": NAME (transfer full), or NULL. */
static char *base64_begin_name(const char *line)
{
	const char *p = line + 12;
	int digits = 0;

	if (g_ascii_strncasecmp(line, "begin-base64", 12) != 0 || (*p != ' ' && *p != '\t'))
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	while (p[digits] >= '0' && p[digits] <= '7')
		digits++;
	if (digits < 3 || digits > 4 || (p[digits] != ' ' && p[digits] != '\t'))
		return NULL;
	return g_strstrip(g_strdup(p + digits));
}

static int finish_block(struct finder *f, GError **error)
{
	struct block *b = &f->block;
	int rc = 0;

	if (b->kind == BLOCK_NONE)
		return 0;
	if (al_spool_finish(b->spool, &b->item->content, error) < 0) {
		g_prefix_error(error, "part %s: ", b->item->part);
		rc = -1;
	}
	if (rc == 0 && b->truncated)
		al_item_flag(b->item, AL_REASON_LIMITS,
			     "attachment larger than %" G_GUINT64_FORMAT " bytes",
			     f->w->limits->max_part_bytes);
	if (rc == 0 && b->long_line)
		al_item_flag(b->item, AL_REASON_LIMITS,
			     "an encoded line longer than %d bytes: the file cannot be decoded whole",
			     BLOCK_LINE_KEEP_BYTES);
	al_spool_free(&b->spool);
	*b = (struct block){ .kind = BLOCK_NONE };
	return rc;
}

/* Opens a new item; FALSE past max_parts. */
static gboolean start_block(struct finder *f, enum block_kind kind, const char *name)
{
	struct al_item *item;

	if (!al_mime_count_part(f->w))
		return FALSE;
	item = al_item_new();
	item->part = kind == BLOCK_YENC ? g_strdup_printf("%s.y%u", f->text->part, ++f->yenc_count)
					: g_strdup_printf("%s.b%u", f->text->part, ++f->base64_count);
	item->filename = al_mime_decode_filename(name);
	if (item->filename != NULL && item->filename[0] == '\0')
		g_clear_pointer(&item->filename, g_free);
	item->declared_type = g_strdup("application/octet-stream");
	item->from_uuencode = TRUE;
	g_ptr_array_add(f->w->message->items, item);
	f->block = (struct block){
		.kind = kind,
		.item = item,
		.spool = al_mime_new_spool(f->w->limits),
		.in_data = TRUE,
	};
	return TRUE;
}

static int write_bytes(struct finder *f, const guint8 *bytes, gsize n, GError **error)
{
	struct block *b = &f->block;
	const guint64 max = f->w->limits->max_part_bytes;

	b->long_line |= f->reader.cut;
	if (b->truncated || n == 0)
		return 0;
	if (n > max - b->total) {
		n = (gsize)(max - b->total);
		b->truncated = TRUE;
	}
	b->total += n;
	return al_spool_write(b->spool, bytes, n, error);
}

/* A =ybegin line: the next part of the open file, or a new file.
 * Returns 1 when a block is open, 0 past max_parts, -1 on error. */
static int ybegin(struct finder *f, const char *line, GError **error)
{
	const char *value = ykey(line, "name=");
	const char *part = ykey(line, "part=");
	g_autofree char *raw = value != NULL ? g_strstrip(g_strdup(value)) : NULL;
	g_autofree char *name = al_mime_decode_filename(raw);
	guint64 number = part != NULL ? g_ascii_strtoull(part, NULL, 10) : 0;
	struct block *b = &f->block;

	if (b->kind == BLOCK_YENC && number > 1 && number == b->yenc_part + 1 &&
	    g_strcmp0(b->item->filename, name) == 0) {
		b->yenc_part = number;
		b->in_data = TRUE;
		return 1;
	}
	if (finish_block(f, error) < 0)
		return -1;
	if (!start_block(f, BLOCK_YENC, raw))
		return 0;
	f->block.yenc_part = number;
	return 1;
}

/* A line inside an open block. */
static int data_line(struct finder *f, const char *line, gsize len, GError **error)
{
	struct block *b = &f->block;

	if (b->kind == BLOCK_BASE64) {
		if (strcmp(line, "====") == 0)
			return finish_block(f, error);
		return write_bytes(f, f->out,
				   g_base64_decode_step(line, len, f->out, &b->base64_state,
							&b->base64_save),
				   error);
	}
	if (g_str_has_prefix(line, "=yend")) {
		b->in_data = FALSE;
		return 0;
	}
	if (g_str_has_prefix(line, "=ypart ") || !b->in_data)
		return 0;
	return write_bytes(f, f->out, al_mime_ydecode_line(line, len, f->out), error);
}

/* One line. Returns 1 to go on, 0 to stop (max_parts), -1 on error. */
static int on_line(struct finder *f, GError **error)
{
	const char *line = f->reader.line->str;
	g_autofree char *name = NULL;

	/* name= is required: prose that happens to start with "=ybegin" is
	 * not a block. */
	if (f->block.kind != BLOCK_BASE64 && g_str_has_prefix(line, "=ybegin ") &&
	    ykey(line, "name=") != NULL)
		return ybegin(f, line, error);
	if (f->block.kind != BLOCK_BASE64 && (name = base64_begin_name(line)) != NULL) {
		if (finish_block(f, error) < 0)
			return -1;
		return start_block(f, BLOCK_BASE64, name) ? 1 : 0;
	}
	if (f->block.kind == BLOCK_NONE)
		return 1;
	return data_line(f, line, f->reader.line->len, error) < 0 ? -1 : 1;
}

int al_mime_find_yenc_base64(struct walk *w, const struct al_item *text, GError **error)
{
	struct finder f = {
		.w = w,
		.text = text,
		.reader = {
			.content = &text->content,
			.buf = w->buf,
			.keep = BLOCK_LINE_KEEP_BYTES,
			.line = g_string_sized_new(BLOCK_LINE_KEEP_BYTES + 1),
		},
		.out = g_malloc(BLOCK_LINE_KEEP_BYTES),
	};
	int rc;

	while ((rc = al_mime_read_line(&f.reader, error)) > 0)
		if ((rc = on_line(&f, error)) <= 0)
			break;
	if (finish_block(&f, rc < 0 ? NULL : error) < 0)
		rc = -1;
	g_string_free(f.reader.line, TRUE);
	g_free(f.out);
	return rc < 0 ? -1 : 0;
}
