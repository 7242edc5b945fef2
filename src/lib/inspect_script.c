/*
 * inspect_script.c - what a page's JavaScript does, read from its tokens
 * rather than its bytes, for the HTML smuggling rules of inspect_markup.c.
 *
 * DESCRIPTION
 *	The script is cut into tokens (identifiers, string and template
 *	literals, numbers, punctuation; comments skipped) with every escape
 *	decoded: \xHH, \uHHHH, \u{H...}, octal, in strings and in
 *	identifiers. Constant string expressions are then folded the way
 *	the browser would evaluate them:
 *	  "at" + "ob"                         -> atob
 *	  String.fromCharCode(98, 108, ...)   -> the characters
 *	  ["cre", "ateObj", "ectURL"].join("") -> createObjectURL
 *	  "bolB".split("").reverse().join("") -> Blob
 *	  atob("Y3JlYXRl...")                 -> the decoded text
 *	  obj["msSave" + "OrOpenBlob"]        (bracket access is a string)
 *	and each identifier and folded string is compared with the names
 *	smuggling needs (Blob, createObjectURL, msSaveOrOpenBlob, download,
 *	click, the decoders atob/fromCharCode/charCodeAt/Uint8Array...) and
 *	searched for data: URLs. A folded string that looks like code (eval,
 *	setTimeout, Function) is read again, SCRIPT_MAX_DEPTH deep. The
 *	longest base64 string and the longest string of binary characters
 *	(\xHH escapes) are measured: the payload a decoder turns into a file.
 *
 *	Limits: SCRIPT_MAX_TOKENS tokens, FOLD_MAX_BYTES per folded string,
 *	FOLD_BUDGET_BYTES of folded text per file; past them over_limit is
 *	set and the caller reports `limits`.
 */
#include "inspect_markup_private.h"

#include <string.h>

#define SCRIPT_MAX_TOKENS (2u * 1024 * 1024)
#define SCRIPT_MAX_DEPTH 2
#define FOLD_MAX_BYTES (4u * 1024 * 1024)
#define FOLD_BUDGET_BYTES (64u * 1024 * 1024)
#define FOLD_MAX_NESTING 16
#define KEYWORD_WINDOW 65536

enum token_kind { TOKEN_IDENT, TOKEN_STRING, TOKEN_NUMBER, TOKEN_PUNCT };

struct token {
	guint8 kind;
	char punct;
	guint32 offset; /* into the pool: identifier or decoded string */
	guint32 len;
	guint32 number;
};

struct script {
	GArray *tokens;
	GString *pool;
	struct script_features *features;
	guint depth;
};

/* ------------------------------------------------------------ tokens */

static void append_code_point(GString *out, gunichar c)
{
	if (c < 0x80)
		g_string_append_c(out, (char)c);
	else if (c <= 0x10FFFF && g_unichar_validate(c))
		g_string_append_unichar(out, c);
	else
		g_string_append_c(out, '?');
}

static guint hex_value(const char *p, const char *end, guint digits, gunichar *c_r)
{
	gunichar c = 0;
	guint n = 0;

	for (; n < digits && p + n < end && g_ascii_isxdigit(p[n]); n++)
		c = c * 16 + (gunichar)g_ascii_xdigit_value(p[n]);
	*c_r = c;
	return n;
}

/* A \u escape at p (after the backslash and 'u'); returns bytes used. */
static gsize unicode_escape(const char *p, const char *end, gunichar *c_r)
{
	if (p < end && *p == '{') {
		gsize n = hex_value(p + 1, end, 6, c_r);

		return p + 1 + n < end && p[1 + n] == '}' ? n + 2 : n + 1;
	}
	return hex_value(p, end, 4, c_r);
}

/* One escape after a backslash at p; returns the new position. */
static const char *string_escape(const char *p, const char *end, GString *out, gsize *binary)
{
	gunichar c = (guchar)*p;
	gsize used = 1;

	switch (*p) {
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'v': c = '\v'; break;
	case 'x': used = 1 + hex_value(p + 1, end, 2, &c); break;
	case 'u': used = 1 + unicode_escape(p + 1, end, &c); break;
	case '\r':
	case '\n': return p + 1;
	default:
		if (*p >= '0' && *p <= '7') {
			c = 0;
			for (used = 0; used < 3 && p + used < end && p[used] >= '0' && p[used] <= '7';
			     used++)
				c = c * 8 + (gunichar)(p[used] - '0');
		}
	}
	if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c <= 0xFF))
		(*binary)++;
	append_code_point(out, c);
	return p + used;
}

static const char *read_string(struct script *s, const char *p, const char *end,
			       struct token *t)
{
	char quote = *p++;
	gsize binary = 0, start = s->pool->len;

	while (p < end && *p != quote && (quote == '`' || (*p != '\n' && *p != '\r'))) {
		if (*p == '\\' && p + 1 < end)
			p = string_escape(p + 1, end, s->pool, &binary);
		else
			g_string_append_c(s->pool, *p++);
	}
	t->kind = TOKEN_STRING;
	t->offset = (guint32)start;
	t->len = (guint32)(s->pool->len - start);
	if (t->len >= 1024 && binary * 4 >= t->len)
		s->features->longest_binary = MAX(s->features->longest_binary, t->len);
	return p < end ? p + 1 : p;
}

static gboolean ident_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '$' || (guchar)c >= 0x80;
}

static const char *read_ident(struct script *s, const char *p, const char *end,
			      struct token *t)
{
	gsize start = s->pool->len;

	while (p < end && (ident_char(*p) || (*p == '\\' && p + 1 < end && p[1] == 'u'))) {
		if (*p == '\\') {
			gunichar c = 0;

			p += 2 + unicode_escape(p + 2, end, &c);
			append_code_point(s->pool, c);
		} else {
			g_string_append_c(s->pool, *p++);
		}
	}
	t->kind = TOKEN_IDENT;
	t->offset = (guint32)start;
	t->len = (guint32)(s->pool->len - start);
	return p;
}

static const char *read_number(const char *p, const char *end, struct token *t)
{
	guint64 value = 0;
	guint base = 10;

	if (p + 1 < end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; p < end && (g_ascii_isxdigit(*p) || *p == '_'); p++)
		if (*p != '_' && (base == 16 || g_ascii_isdigit(*p)))
			value = MIN(value * base + (guint)g_ascii_xdigit_value(*p), G_MAXUINT32);
		else if (*p != '_')
			break;
	while (p < end && (g_ascii_isalnum(*p) || *p == '.'))
		p++; /* fractions, exponents, suffixes: the integer part is enough */
	t->kind = TOKEN_NUMBER;
	t->number = (guint32)value;
	return p;
}

static const char *skip_blank_and_comments(const char *p, const char *end)
{
	for (;;) {
		while (p < end && g_ascii_isspace(*p))
			p++;
		if (p + 1 < end && p[0] == '/' && p[1] == '/') {
			const char *nl = memchr(p, '\n', (gsize)(end - p));

			p = nl != NULL ? nl : end;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			const char *close = g_strstr_len(p + 2, end - p - 2, "*/");

			p = close != NULL ? close + 2 : end;
		} else if (p + 3 < end && memcmp(p, "<!--", 4) == 0) {
			p += 4;
		} else {
			return p;
		}
	}
}

static gboolean tokenize(struct script *s, const char *text, gsize len)
{
	const char *p = text, *end = text + len;

	while ((p = skip_blank_and_comments(p, end)) < end) {
		struct token t = { .kind = TOKEN_PUNCT };

		if (s->tokens->len >= SCRIPT_MAX_TOKENS || s->pool->len >= G_MAXUINT32 / 2)
			return FALSE;
		if (*p == '"' || *p == '\'' || *p == '`')
			p = read_string(s, p, end, &t);
		else if (ident_char(*p) && !g_ascii_isdigit(*p))
			p = read_ident(s, p, end, &t);
		else if (*p == '\\' && p + 1 < end && p[1] == 'u')
			p = read_ident(s, p, end, &t);
		else if (g_ascii_isdigit(*p))
			p = read_number(p, end, &t);
		else
			t.punct = *p++;
		g_array_append_val(s->tokens, t);
	}
	return TRUE;
}

/* ------------------------------------------------------------ folding */

static const struct token *tok(const struct script *s, gsize i)
{
	return i < s->tokens->len ? &g_array_index(s->tokens, struct token, i) : NULL;
}

static gboolean is_punct(const struct script *s, gsize i, char c)
{
	const struct token *t = tok(s, i);

	return t != NULL && t->kind == TOKEN_PUNCT && t->punct == c;
}

static gboolean is_ident(const struct script *s, gsize i, const char *name)
{
	const struct token *t = tok(s, i);

	return t != NULL && t->kind == TOKEN_IDENT && t->len == strlen(name) &&
	       memcmp(s->pool->str + t->offset, name, t->len) == 0;
}

static gboolean fold_expr(struct script *s, gsize *i, GString *out, guint nesting);

static gboolean grow(struct script *s, GString *out, const char *text, gsize len)
{
	if (out->len + len > FOLD_MAX_BYTES ||
	    s->features->folded_bytes + len > FOLD_BUDGET_BYTES) {
		s->features->over_limit = TRUE;
		return FALSE;
	}
	s->features->folded_bytes += len;
	g_string_append_len(out, text, (gssize)len);
	return TRUE;
}

/* .name or ["na" + "me"] at *i. */
static gboolean member(struct script *s, gsize *i, const char *name, guint nesting)
{
	g_autoptr(GString) key = NULL;
	gsize j = *i + 1;

	if (is_punct(s, *i, '.') && is_ident(s, *i + 1, name)) {
		*i += 2;
		return TRUE;
	}
	if (!is_punct(s, *i, '['))
		return FALSE;
	key = g_string_new(NULL);
	if (!fold_expr(s, &j, key, nesting + 1) || !is_punct(s, j, ']') ||
	    strcmp(key->str, name) != 0)
		return FALSE;
	*i = j + 1;
	return TRUE;
}

/* name(expr?) at *i: the argument folded into arg (empty when absent). */
static gboolean call(struct script *s, gsize *i, const char *name, GString *arg, guint nesting)
{
	gsize j = *i;

	if (!member(s, &j, name, nesting) || !is_punct(s, j, '('))
		return FALSE;
	j++;
	if (!is_punct(s, j, ')') && !fold_expr(s, &j, arg, nesting + 1))
		return FALSE;
	if (!is_punct(s, j, ')'))
		return FALSE;
	*i = j + 1;
	return TRUE;
}

/* String.fromCharCode(n, n, ...) at *i (after "String"). */
static gboolean from_char_code(struct script *s, gsize *i, GString *out, guint nesting)
{
	gsize j = *i;

	if (!member(s, &j, "fromCharCode", nesting) || !is_punct(s, j, '('))
		return FALSE;
	for (j++; tok(s, j) != NULL && tok(s, j)->kind == TOKEN_NUMBER; j++) {
		char utf8[6];

		if (!grow(s, out, utf8, (gsize)g_unichar_to_utf8(tok(s, j)->number & 0xFFFF, utf8)))
			return FALSE;
		if (is_punct(s, j + 1, ','))
			j++;
	}
	if (!is_punct(s, j, ')'))
		return FALSE;
	*i = j + 1;
	return TRUE;
}

/* [expr, expr...].join(expr?) at *i (on the '['). */
static gboolean array_join(struct script *s, gsize *i, GString *out, guint nesting)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) separator = g_string_new(NULL);
	gsize j = *i + 1;

	while (!is_punct(s, j, ']')) {
		GString *item = g_string_new(NULL);

		if (!fold_expr(s, &j, item, nesting + 1)) {
			g_string_free(item, TRUE);
			return FALSE;
		}
		g_ptr_array_add(items, g_string_free(item, FALSE));
		if (is_punct(s, j, ','))
			j++;
		else if (!is_punct(s, j, ']'))
			return FALSE;
	}
	j++;
	if (!call(s, &j, "join", separator, nesting))
		return FALSE;
	if (tok(s, j - 2) != NULL && is_punct(s, j - 2, '('))
		g_string_assign(separator, ","); /* join() */
	for (guint k = 0; k < items->len; k++)
		if ((k > 0 && !grow(s, out, separator->str, separator->len)) ||
		    !grow(s, out, items->pdata[k], strlen(items->pdata[k])))
			return FALSE;
	*i = j;
	return TRUE;
}

/* .split("").reverse().join("") after a folded term: reverses it. */
static void reversed(struct script *s, gsize *i, GString *value, guint nesting)
{
	g_autoptr(GString) ignored = g_string_new(NULL);
	gsize j = *i;
	char *text;

	if (!call(s, &j, "split", ignored, nesting) || !call(s, &j, "reverse", ignored, nesting) ||
	    !call(s, &j, "join", ignored, nesting) || !g_utf8_validate(value->str, -1, NULL))
		return;
	text = g_utf8_strreverse(value->str, -1);
	g_string_assign(value, text);
	g_free(text);
	*i = j;
}

/* atob(expr) at *i (after "atob"): the decoded text when it is text. */
static gboolean decoded(struct script *s, gsize *i, GString *out, guint nesting)
{
	g_autoptr(GString) arg = g_string_new(NULL);
	g_autofree guchar *bytes = NULL;
	gsize j = *i, len = 0;

	if (!is_punct(s, j, '('))
		return FALSE;
	j++;
	if (!fold_expr(s, &j, arg, nesting + 1) || !is_punct(s, j, ')'))
		return FALSE;
	bytes = g_base64_decode(arg->str, &len);
	*i = j + 1;
	if (len > 0 && g_utf8_validate((const char *)bytes, (gssize)len, NULL))
		return grow(s, out, (const char *)bytes, len);
	return grow(s, out, arg->str, arg->len);
}

static gboolean may_start_term(const struct script *s, gsize i)
{
	const struct token *t = tok(s, i);

	return t != NULL && (t->kind == TOKEN_STRING || is_punct(s, i, '(') ||
			     is_punct(s, i, '[') || is_ident(s, i, "String") || is_ident(s, i, "atob"));
}

static gboolean fold_term(struct script *s, gsize *i, GString *out, guint nesting)
{
	const struct token *t = tok(s, *i);
	g_autoptr(GString) value = NULL;
	gsize j = *i + 1;
	gboolean ok = FALSE;

	if (nesting > FOLD_MAX_NESTING || !may_start_term(s, *i))
		return FALSE;
	value = g_string_new(NULL);
	if (t->kind == TOKEN_STRING)
		ok = grow(s, value, s->pool->str + t->offset, t->len);
	else if (is_punct(s, *i, '('))
		ok = fold_expr(s, &j, value, nesting + 1) && is_punct(s, j++, ')');
	else if (is_ident(s, *i, "String"))
		ok = from_char_code(s, &j, value, nesting);
	else if (is_ident(s, *i, "atob"))
		ok = decoded(s, &j, value, nesting);
	else if (is_punct(s, *i, '[')) {
		j = *i;
		ok = array_join(s, &j, value, nesting);
	}
	if (!ok)
		return FALSE;
	reversed(s, &j, value, nesting);
	*i = j;
	return grow(s, out, value->str, value->len);
}

static gboolean fold_expr(struct script *s, gsize *i, GString *out, guint nesting)
{
	if (!fold_term(s, i, out, nesting))
		return FALSE;
	while (is_punct(s, *i, '+')) {
		gsize j = *i + 1;

		if (!fold_term(s, &j, out, nesting))
			break;
		*i = j;
	}
	return TRUE;
}

/* ------------------------------------------------------------ features */

static gboolean word_is(const char *word, gsize len, const char *const *names)
{
	for (; *names != NULL; names++)
		if (len == strlen(*names) && g_ascii_strncasecmp(word, *names, len) == 0)
			return TRUE;
	return FALSE;
}

/* An identifier, or a string used as one (obj["atob"]). */
static void name_word(struct script_features *f, const char *word, gsize len)
{
	static const char *const decoders[] = { "atob", "fromCharCode", "charCodeAt", "Uint8Array",
						"ArrayBuffer", "DataView", "parseInt", "unescape",
						"decodeURIComponent", "TextDecoder", "codePointAt",
						NULL };
	static const char *const saves[] = { "msSaveOrOpenBlob", "msSaveBlob", NULL };
	static const char *const blobs[] = { "Blob", "File", NULL };
	static const char *const clicks[] = { "click", "dispatchEvent", NULL };
	static const char *const downloads[] = { "download", NULL };
	static const char *const object_urls[] = { "createObjectURL", NULL };

	f->save_blob |= word_is(word, len, saves);
	f->object_url |= word_is(word, len, object_urls);
	f->blob |= word_is(word, len, blobs);
	f->click |= word_is(word, len, clicks);
	f->download |= word_is(word, len, downloads);
	f->decoder |= word_is(word, len, decoders);
}

static gsize longest_run(const char *text, gsize len, gboolean (*in_run)(char))
{
	gsize longest = 0, run = 0;

	for (gsize k = 0; k < len; k++) {
		run = in_run(text[k]) ? run + 1 : (g_ascii_isspace(text[k]) ? run : 0);
		longest = MAX(longest, run);
	}
	return longest;
}

static gboolean base64_char(char c)
{
	return g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
}

static void data_urls(struct script_features *f, const char *text, gsize len)
{
	const char *p = text, *end = text + MIN(len, (gsize)KEYWORD_WINDOW);

	while ((p = (const char *)al_inspect_find_nocase((const guint8 *)p, (gsize)(end - p),
							  "data:")) != NULL) {
		g_autofree char *head = g_strndup(p, MIN((gsize)(end - p), 100));
		g_autofree char *type = al_markup_data_url_type(head);

		if (type != NULL && g_str_has_prefix(type, "application/"))
			f->data_application = TRUE;
		else if (type != NULL && !al_markup_data_type_is_inert(type))
			f->data_other = TRUE;
		p += 5;
	}
}

static void scan_script(struct script_features *f, const char *text, gsize len, guint depth);

static void string_word(struct script *s, const char *text, gsize len)
{
	struct script_features *f = s->features;
	const char *window_end = text + MIN(len, (gsize)KEYWORD_WINDOW);

	name_word(f, text, len);
	data_urls(f, text, len);
	if (al_inspect_find_nocase((const guint8 *)text, (gsize)(window_end - text),
				   "createobjecturl") != NULL)
		f->object_url = TRUE;
	if (al_inspect_find_nocase((const guint8 *)text, (gsize)(window_end - text),
				   "mssave") != NULL)
		f->save_blob = TRUE;
	f->longest_base64 = MAX(f->longest_base64, longest_run(text, len, base64_char));
	/* Code in a string (eval, setTimeout, new Function) is read too. */
	if (len > 8 && memchr(text, '(', MIN(len, (gsize)KEYWORD_WINDOW)) != NULL)
		scan_script(f, text, len, s->depth + 1);
}

static void read_tokens(struct script *s)
{
	g_autoptr(GString) value = g_string_new(NULL);

	for (gsize i = 0; i < s->tokens->len && !s->features->over_limit;) {
		const struct token *t = tok(s, i);
		gsize j = i;

		if (t->kind == TOKEN_IDENT)
			name_word(s->features, s->pool->str + t->offset, t->len);
		g_string_truncate(value, 0);
		if (fold_expr(s, &j, value, 0)) {
			string_word(s, value->str, value->len);
			i = MAX(j, i + 1);
		} else {
			i++;
		}
	}
}

static void scan_script(struct script_features *f, const char *text, gsize len, guint depth)
{
	struct script s = {
		.tokens = g_array_new(FALSE, FALSE, sizeof(struct token)),
		.pool = g_string_new(NULL),
		.features = f,
		.depth = depth,
	};

	if (depth > SCRIPT_MAX_DEPTH)
		goto out;
	if (!tokenize(&s, text, len)) {
		f->over_limit = TRUE;
		goto out;
	}
	read_tokens(&s);
out:
	g_array_free(s.tokens, TRUE);
	g_string_free(s.pool, TRUE);
}

void al_script_features(const char *text, gsize len, struct script_features *features)
{
	scan_script(features, text, len, 0);
}
