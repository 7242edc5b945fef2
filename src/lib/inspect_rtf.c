/*
 * inspect_rtf.c - RTF documents that fetch, link or run something when
 * Word opens them.
 *
 * DESCRIPTION
 *	A small RTF tokenizer (RTF 1.9.1: groups, control words with their
 *	numeric parameter and delimiting space, control symbols, \'hh, \uN
 *	with its \ucN fallback characters, \bin skipped by its length) follows
 *	the destinations that matter; the text of a destination is the text
 *	of all its nested groups, escapes decoded and control words dropped,
 *	as Word reads it. Each is `macro` (active content):
 *	  - {\*\template URL}: an attached template fetched from a remote
 *	    place (http, https, ftp, file:, a UNC \\host path): remote
 *	    template injection;
 *	  - a field whose instruction ({\*\fldinst ...}) holds DDE or DDEAUTO
 *	    (runs a program), or INCLUDEPICTURE, INCLUDETEXT, LINK or IMPORT
 *	    with a remote URL (fetched on open: tracking, NTLM hash theft,
 *	    CVE-2017-0199-style loads);
 *	  - an embedded or linked OLE object: \object, \objdata (the object's
 *	    bytes, how Equation Editor and OLE exploits arrive), \objautlink
 *	    or \objlink, an \objclass (Package, OLE2Link...) named in the
 *	    detail.
 *	Pictures ({\pict}) are ordinary. Group nesting deeper than
 *	RTF_MAX_DEPTH is `limits`; destination text is kept up to
 *	RTF_MAX_TEXT bytes per destination.
 */
#include "inspect_markup_private.h"

#include <string.h>

#define RTF_MAX_DEPTH 512
#define RTF_MAX_TEXT (16u * 1024)
#define RTF_MAX_WORD 32

enum rtf_dest { DEST_NONE, DEST_FLDINST, DEST_TEMPLATE, DEST_OBJCLASS };

struct rtf_group {
	guint8 dest;
	gboolean opens_dest; /* the destination started in this group */
	guint fallback;	     /* \ucN */
};

struct rtf_reader {
	struct inspection *in;
	const guint8 *p, *end;
	struct rtf_group stack[RTF_MAX_DEPTH];
	guint depth;
	GString *text; /* the open destination's text */
	guint skip;    /* fallback characters still to skip after \uN */
	gboolean object, objdata, link, field_reported, template_reported;
	char *objclass;
};

static gboolean is_remote(const char *target)
{
	static const char *const schemes[] = { "http:", "https:", "ftp:", "file:", "\\\\", "//",
					       "webdav", "mhtml:", NULL };

	for (guint i = 0; schemes[i] != NULL; i++)
		if (g_ascii_strncasecmp(target, schemes[i], strlen(schemes[i])) == 0)
			return TRUE;
	return strstr(target, "://") != NULL;
}

/* The first remote word (bare or quoted) of an instruction, or NULL. */
static char *remote_argument(const char *instruction)
{
	g_auto(GStrv) words = g_strsplit_set(instruction, " \t\"", -1);

	for (guint i = 0; words[i] != NULL; i++)
		if (is_remote(words[i]))
			return g_strndup(words[i], 120);
	return NULL;
}

static gboolean has_word(const char *upper, const char *word)
{
	gsize n = strlen(word);

	for (const char *p = strstr(upper, word); p != NULL; p = strstr(p + 1, word))
		if ((p == upper || !g_ascii_isalpha(p[-1])) && !g_ascii_isalpha(p[n]))
			return TRUE;
	return FALSE;
}

static void field_instruction(struct rtf_reader *r, const char *instruction)
{
	static const char *const fetching[] = { "INCLUDEPICTURE", "INCLUDETEXT", "LINK",
						"IMPORT", NULL };
	g_autofree char *upper = g_ascii_strup(instruction, -1);
	g_autofree char *remote = NULL;

	if (r->field_reported)
		return;
	if (has_word(upper, "DDE") || has_word(upper, "DDEAUTO")) {
		r->field_reported = TRUE;
		al_inspect_found(r->in, AL_REASON_MACRO,
				 "RTF document with a DDE field, which starts a program when "
				 "the document opens");
		return;
	}
	for (guint i = 0; fetching[i] != NULL && !r->field_reported; i++) {
		g_autofree char *shown = NULL;

		if (!has_word(upper, fetching[i]) || (remote = remote_argument(instruction)) == NULL)
			continue;
		r->field_reported = TRUE;
		shown = g_utf8_make_valid(remote, -1);
		al_inspect_found(r->in, AL_REASON_MACRO,
				 "RTF document with an %s field that loads %s when the "
				 "document opens",
				 fetching[i], shown);
	}
}

static void template_target(struct rtf_reader *r, const char *target)
{
	g_autofree char *shown = NULL;

	while (g_ascii_isspace(*target))
		target++;
	if (r->template_reported || !is_remote(target))
		return;
	r->template_reported = TRUE;
	shown = g_utf8_make_valid(target, MIN(strlen(target), 120));
	al_inspect_found(r->in, AL_REASON_MACRO,
			 "RTF document that loads a remote template from %s when opened "
			 "(template injection)",
			 shown);
}

/* The group that opened a destination closes: judge its text. */
static void close_destination(struct rtf_reader *r, enum rtf_dest dest)
{
	if (dest == DEST_FLDINST)
		field_instruction(r, r->text->str);
	else if (dest == DEST_TEMPLATE)
		template_target(r, r->text->str);
	else if (dest == DEST_OBJCLASS && r->objclass == NULL)
		r->objclass = g_strstrip(g_utf8_make_valid(r->text->str, MIN(r->text->len, 64)));
	g_string_truncate(r->text, 0);
}

static void text_char(struct rtf_reader *r, gunichar c)
{
	if (r->skip > 0) {
		r->skip--;
		return;
	}
	if (r->stack[r->depth].dest == DEST_NONE || r->text->len >= RTF_MAX_TEXT)
		return;
	if (r->text->len == 0 && g_unichar_isspace(c))
		return;
	g_string_append_unichar(r->text, c > 0 && c <= 0x10FFFF ? c : '?');
}

static void open_destination(struct rtf_reader *r, enum rtf_dest dest)
{
	struct rtf_group *g = &r->stack[r->depth];

	if (g->dest != DEST_NONE)
		return; /* nested: its text joins the outer destination */
	g->dest = (guint8)dest;
	g->opens_dest = TRUE;
	g_string_truncate(r->text, 0);
}

static void control_word(struct rtf_reader *r, const char *word, gboolean has_value, long value)
{
	struct rtf_group *g = &r->stack[r->depth];

	if (strcmp(word, "fldinst") == 0)
		open_destination(r, DEST_FLDINST);
	else if (strcmp(word, "template") == 0)
		open_destination(r, DEST_TEMPLATE);
	else if (strcmp(word, "objclass") == 0)
		open_destination(r, DEST_OBJCLASS);
	else if (strcmp(word, "object") == 0)
		r->object = TRUE;
	else if (strcmp(word, "objdata") == 0)
		r->objdata = TRUE;
	else if (strcmp(word, "objautlink") == 0 || strcmp(word, "objlink") == 0)
		r->link = TRUE;
	else if (strcmp(word, "uc") == 0 && has_value)
		g->fallback = (guint)CLAMP(value, 0, 16);
	else if (strcmp(word, "u") == 0 && has_value) {
		text_char(r, (gunichar)(value < 0 ? value + 65536 : value));
		r->skip = g->fallback;
	} else if (strcmp(word, "bin") == 0 && has_value && value > 0)
		r->p += MIN((gsize)value, (gsize)(r->end - r->p));
	else if (strcmp(word, "par") == 0 || strcmp(word, "tab") == 0)
		text_char(r, ' ');
}

/* After a backslash: a control word with its parameter, or a symbol. */
static void control(struct rtf_reader *r)
{
	char word[RTF_MAX_WORD + 1];
	gsize n = 0;
	long value = 0;
	gboolean negative = FALSE, has_value = FALSE;

	if (r->p >= r->end)
		return;
	if (!g_ascii_isalpha(*r->p)) {
		guint8 symbol = *r->p++;

		if (symbol == '\'' && r->end - r->p >= 2 && g_ascii_isxdigit(r->p[0]) &&
		    g_ascii_isxdigit(r->p[1])) {
			text_char(r, (gunichar)(g_ascii_xdigit_value(r->p[0]) * 16 +
						g_ascii_xdigit_value(r->p[1])));
			r->p += 2;
		} else if (symbol == '\\' || symbol == '{' || symbol == '}') {
			text_char(r, symbol);
		} else if (symbol == '~') {
			text_char(r, ' ');
		}
		return;
	}
	while (r->p < r->end && g_ascii_isalpha(*r->p))
		if (n < RTF_MAX_WORD)
			word[n++] = (char)*r->p++;
		else
			r->p++;
	word[n] = '\0';
	if (r->p < r->end && *r->p == '-') {
		negative = TRUE;
		r->p++;
	}
	for (guint digits = 0; r->p < r->end && g_ascii_isdigit(*r->p); r->p++, digits++)
		if (digits < 10) {
			value = value * 10 + (*r->p - '0');
			has_value = TRUE;
		}
	if (r->p < r->end && *r->p == ' ')
		r->p++;
	control_word(r, word, has_value, negative ? -value : value);
}

/* Returns FALSE when the nesting limit is reached. */
static gboolean group(struct rtf_reader *r, guint8 c)
{
	if (c == '{') {
		if (r->depth + 1 >= RTF_MAX_DEPTH)
			return FALSE;
		r->stack[r->depth + 1] = r->stack[r->depth];
		r->stack[++r->depth].opens_dest = FALSE;
		return TRUE;
	}
	if (r->depth == 0)
		return TRUE; /* unbalanced '}': Word ignores it */
	if (r->stack[r->depth].opens_dest)
		close_destination(r, r->stack[r->depth].dest);
	r->depth--;
	r->skip = 0;
	return TRUE;
}

static void report_object(struct rtf_reader *r)
{
	const char *what = r->link ? "a linked OLE object, updated from its source when opened"
				   : "an embedded OLE object";
	g_autofree char *class = NULL;

	if (!r->object && !r->objdata)
		return;
	class = r->objclass != NULL ? g_strdup_printf(" of class \"%s\"", r->objclass)
				    : g_strdup("");
	al_inspect_found(r->in, AL_REASON_MACRO,
			 "RTF document with %s%s (the way Equation Editor and OLE exploits "
			 "arrive)",
			 what, class);
}

void al_inspect_rtf(struct inspection *in)
{
	struct rtf_reader *r = g_new0(struct rtf_reader, 1);

	r->in = in;
	r->p = in->data;
	r->end = in->data + in->len;
	r->text = g_string_new(NULL);
	r->stack[0].fallback = 1;
	while (r->p < r->end) {
		guint8 c = *r->p++;

		if (c == '\\') {
			control(r);
		} else if (c == '{' || c == '}') {
			if (!group(r, c)) {
				al_inspect_found(in, AL_REASON_LIMITS,
						 "RTF document nested more than %d groups deep",
						 RTF_MAX_DEPTH);
				goto out;
			}
		} else if (c != '\r' && c != '\n') {
			text_char(r, c);
		}
	}
	/* Groups left open at the end still count. */
	while (r->depth > 0)
		group(r, '}');
	report_object(r);
out:
	g_string_free(r->text, TRUE);
	g_free(r->objclass);
	g_free(r);
}
