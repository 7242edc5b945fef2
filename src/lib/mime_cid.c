/*
 * mime_cid.c - which parts an HTML part shows inline: every text/html
 * part is searched for "cid:" references (percent-decoded, ending at a
 * quote, a blank, ')' or '>'); items whose Content-ID one of them names
 * get referenced_by_cid (see mime.c).
 */
#include "mime_private.h"

#include <string.h>

/* A Content-ID is a header value: at most one 998-character line. */
#define CID_MAX_BYTES 998

/* A reference ends at a quote, a blank, ')' or '>'. */
static gboolean ends_reference(char ch)
{
	return g_ascii_isspace(ch) || ch == '"' || ch == '\'' || ch == ')' || ch == '>';
}

struct cid_scan {
	guint matched; /* letters of "cid:" seen */
	gboolean collecting;
	GString *ref;
	GHashTable *refs; /* decoded references */
};

static char *percent_decode(const char *text)
{
	GString *out = g_string_sized_new(strlen(text));

	for (const char *p = text; *p != '\0'; p++) {
		if (p[0] == '%' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
			g_string_append_c(out, (char)(g_ascii_xdigit_value(p[1]) * 16 +
						      g_ascii_xdigit_value(p[2])));
			p += 2;
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

static void cid_finish(struct cid_scan *s)
{
	if (s->ref->len > 0)
		g_hash_table_add(s->refs, percent_decode(s->ref->str));
	g_string_truncate(s->ref, 0);
	s->collecting = FALSE;
}

static void cid_feed(struct cid_scan *s, const char *data, gsize len)
{
	static const char scheme[] = "cid:";

	for (gsize i = 0; i < len; i++) {
		char ch = data[i];

		if (s->collecting) {
			if (ends_reference(ch))
				cid_finish(s);
			else if (s->ref->len < CID_MAX_BYTES)
				g_string_append_c(s->ref, ch);
			continue;
		}
		ch = g_ascii_tolower(ch);
		if (ch == scheme[s->matched])
			s->matched++;
		else
			s->matched = ch == scheme[0] ? 1 : 0;
		if (s->matched == sizeof(scheme) - 1) {
			s->matched = 0;
			s->collecting = TRUE;
		}
	}
}

static int collect_cids(struct walk *w, const struct al_item *html, GHashTable *refs,
			GError **error)
{
	struct cid_scan scan = { .ref = g_string_new(NULL), .refs = refs };
	goffset offset = 0;
	gssize n;

	while ((n = al_content_pread(&html->content, offset, w->buf, CHUNK_BYTES, error)) > 0) {
		cid_feed(&scan, w->buf, (gsize)n);
		offset += n;
	}
	if (scan.collecting)
		cid_finish(&scan);
	g_string_free(scan.ref, TRUE);
	if (n < 0)
		g_prefix_error(error, "part %s: ", html->part);
	return n < 0 ? -1 : 0;
}

int al_mime_mark_cid_references(struct walk *w, GError **error)
{
	GPtrArray *items = w->message->items;
	GHashTable *refs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	int rc = -1;

	for (guint i = 0; i < items->len; i++) {
		const struct al_item *item = items->pdata[i];

		if (item->from_uuencode || strcmp(item->declared_type, "text/html") != 0)
			continue;
		if (collect_cids(w, item, refs, error) < 0)
			goto out;
	}
	for (guint i = 0; i < items->len; i++) {
		struct al_item *item = items->pdata[i];

		if (item->content_id != NULL && g_hash_table_contains(refs, item->content_id))
			item->referenced_by_cid = TRUE;
	}
	rc = 0;
out:
	g_hash_table_unref(refs);
	return rc;
}
