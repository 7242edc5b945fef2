/*
 * mime_uuencode.c - uuencoded blocks inside text parts ("begin 644 name"
 * ... "end"), each decoded into an item of its own right after its text
 * part ("1.u1", "1.u2"...) that counts as a part (see mime.c).
 *
 * DESCRIPTION
 *	Any mode of 3 or 4 octal digits counts (644, 755, 600, 0644...):
 *	notice.c finds the same blocks with the same rule to cut them out.
 *	The text is read line by line (al_mime_read_line(), shared with
 *	mime_yenc.c) through a CHUNK_BYTES buffer, each line cut at
 *	LINE_KEEP_BYTES. A block decodes through a spool like
 *	any part, stops at max_part_bytes (`limits`) and ends at its "end"
 *	line or at the end of the text.
 */
#include "mime_private.h"

#include <string.h>

/* Lines kept by the line reader: ample for "begin 644 name" and for
 * uuencoded data (61 characters); the rest of a longer line is skipped. */
#define LINE_KEEP_BYTES 1024

int al_mime_read_line(struct al_line_reader *r, GError **error)
{
	gboolean started = FALSE;

	g_string_truncate(r->line, 0);
	r->cut = FALSE;
	for (;;) {
		const char *start;
		const char *eol;
		gsize take;

		if (r->pos == r->len) {
			gssize n = al_content_pread(r->content, r->next_offset, r->buf, CHUNK_BYTES,
						    error);

			if (n <= 0)
				return n < 0 ? -1 : started;
			r->next_offset += n;
			r->pos = 0;
			r->len = (gsize)n;
		}
		started = TRUE;
		start = r->buf + r->pos;
		eol = memchr(start, '\n', r->len - r->pos);
		take = eol != NULL ? (gsize)(eol - start) : r->len - r->pos;
		r->cut |= take > r->keep - r->line->len;
		g_string_append_len(r->line, start, (gssize)MIN(take, r->keep - r->line->len));
		r->pos += take;
		if (eol != NULL) {
			r->pos++;
			if (r->line->len > 0 && r->line->str[r->line->len - 1] == '\r')
				g_string_truncate(r->line, r->line->len - 1);
			return 1;
		}
	}
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The NAME of a "begin MODE NAME" line (MODE: 3 or 4 octal digits), or
 * NULL for any other line (transfer full). */
static char *begin_line_name(const char *line)
{
	const char *p = line + 5;
	const char *end;
	int digits = 0;

	if (g_ascii_strncasecmp(line, "begin", 5) != 0 || (*p != ' ' && *p != '\t'))
		return NULL;
	p = skip_blanks(p);
	while (p[digits] >= '0' && p[digits] <= '7')
		digits++;
	if (digits < 3 || digits > 4 || (p[digits] != ' ' && p[digits] != '\t'))
		return NULL;
	p = skip_blanks(p + digits);
	end = p + strlen(p);
	while (end > p && g_ascii_isspace(end[-1]))
		end--;
	return end > p ? g_strndup(p, (gsize)(end - p)) : NULL;
}

static gboolean is_end_line(const char *line)
{
	return g_ascii_strncasecmp(line, "end", 3) == 0 && *skip_blanks(line + 3) == '\0';
}

#define UU_VALUE(ch) ((guint8)(((guint8)(ch) - 0x20) & 0x3f))

/* Decodes one uuencoded line into out (at least 63 bytes): the first
 * character gives the byte count, then 4 characters per 3 bytes.
 * Missing characters of a short line count as zero bits. */
static gsize uudecode_line(const char *line, gsize len, guint8 *out)
{
	gsize want;
	gsize done = 0;

	if (len == 0)
		return 0;
	want = UU_VALUE(line[0]);
	for (gsize i = 1; done < want; i += 4) {
		guint8 c[4];
		guint8 bytes[3];

		for (gsize k = 0; k < 4; k++)
			c[k] = i + k < len ? UU_VALUE(line[i + k]) : 0;
		bytes[0] = (guint8)(c[0] << 2 | c[1] >> 4);
		bytes[1] = (guint8)(c[1] << 4 | c[2] >> 2);
		bytes[2] = (guint8)(c[2] << 6 | c[3]);
		for (gsize k = 0; k < 3 && done < want; k++)
			out[done++] = bytes[k];
	}
	return done;
}

/* Decodes the block after a "begin" line up to its "end" line (or the
 * end of the text) into a new item. */
static int add_uuencoded(struct walk *w, struct al_line_reader *r, const struct al_item *text,
			 guint index, const char *name, GError **error)
{
	const guint64 max = w->limits->max_part_bytes;
	struct al_item *item = al_item_new();
	struct al_spool *spool = al_mime_new_spool(w->limits);
	gboolean truncated = FALSE;
	guint64 total = 0;
	int rc;

	item->part = g_strdup_printf("%s.u%u", text->part, index);
	item->filename = al_mime_decode_filename(name);
	item->declared_type = g_strdup("application/octet-stream");
	item->from_uuencode = TRUE;
	g_ptr_array_add(w->message->items, item);
	while ((rc = al_mime_read_line(r, error)) > 0 && !is_end_line(r->line->str)) {
		guint8 out[64];
		gsize n = uudecode_line(r->line->str, r->line->len, out);

		if (truncated || n == 0)
			continue;
		if (n > max - total) {
			n = (gsize)(max - total);
			truncated = TRUE;
		}
		rc = al_spool_write(spool, out, n, error);
		if (rc < 0)
			break;
		total += n;
	}
	if (rc >= 0)
		rc = al_spool_finish(spool, &item->content, error);
	if (rc >= 0 && truncated)
		al_item_flag(item, AL_REASON_LIMITS, "attachment larger than %" G_GUINT64_FORMAT
			     " bytes", max);
	if (rc < 0)
		g_prefix_error(error, "part %s: ", item->part);
	al_spool_free(&spool);
	return rc < 0 ? -1 : 0;
}

int al_mime_find_uuencoded(struct walk *w, const struct al_item *text, GError **error)
{
	struct al_line_reader r = {
		.content = &text->content,
		.buf = w->buf,
		.keep = LINE_KEEP_BYTES,
		.line = g_string_sized_new(LINE_KEEP_BYTES + 1),
	};
	guint blocks = 0;
	int rc;

	while ((rc = al_mime_read_line(&r, error)) > 0) {
		g_autofree char *name = begin_line_name(r.line->str);

		if (name == NULL)
			continue;
		if (!al_mime_count_part(w))
			break;
		rc = add_uuencoded(w, &r, text, ++blocks, name, error);
		if (rc < 0)
			break;
	}
	g_string_free(r.line, TRUE);
	return rc < 0 ? -1 : 0;
}
