/*
 * mime_params.c - the parameters of a Content-Type or Content-Disposition
 * header read from its raw value, every one of them, as RFC 2045 and
 * RFC 2231 write them (see mime_private.h).
 *
 * DESCRIPTION
 *	GMime's parsed parameters keep one value per name and stop at a
 *	syntax error, so a second filename= or a Content-Disposition
 *	without its ';' ("attachment filename=x.exe") never reaches the
 *	filter while some mail programs still show that name. This parser
 *	keeps every parameter in header order: the leading token (type or
 *	disposition), then name=value pairs, values quoted (backslash
 *	escapes) or not; a pair not preceded by ';' is still read and
 *	noted (missing_semicolon). RFC 2231 sections (name*0*=, name*1=...)
 *	and extended values (name*=charset'lang'%XX) are kept apart and
 *	joined by al_mime_params_names(), which also decodes plain values
 *	(RFC 2047 words, through GMime) and finds NUL bytes in %00 or in
 *	RFC 2047 words (=00, a base64 NUL): programs that stop at the NUL
 *	show the name before it, others the whole, so both are given.
 *
 *	Bounded: at most MAX_RAW_BYTES of the header are read, at most
 *	MAX_PARAMS parameters and MAX_SECTIONS RFC 2231 sections per name are
 *	kept; past any of them `truncated` is set.
 */
#include "mime_private.h"

#include <string.h>

#define MAX_RAW_BYTES (16 * 1024)
#define MAX_PARAMS 64
#define MAX_SECTIONS 64
#define MAX_NAME_BYTES 64

static void param_free(gpointer data)
{
	struct al_mime_param *param = data;

	g_free(param->name);
	g_free(param->value);
	g_free(param);
}

static gboolean is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static gboolean ends_token(char ch)
{
	return is_blank(ch) || ch == ';' || ch == '=' || ch == '"';
}

/* A quoted string at *p (after its '"'), up to end: unescaped. */
static char *read_quoted(const char **p, const char *end)
{
	GString *out = g_string_new(NULL);
	const char *s = *p;

	while (s < end && *s != '"') {
		if (*s == '\\' && s + 1 < end)
			s++;
		if (*s != '\r' && *s != '\n')
			g_string_append_c(out, *s);
		s++;
	}
	*p = s < end ? s + 1 : s;
	return g_string_free(out, FALSE);
}

/* A token or an unquoted value at *p, up to a blank or ';' (a value may
 * hold '=', as RFC 2047 words do; a token stops at '=' and '"'). */
static char *take_bare(const char **p, const char *end, gboolean value)
{
	const char *start = *p;
	const char *s = start;

	while (s < end && !is_blank(*s) && *s != ';' && (value || !ends_token(*s)))
		s++;
	*p = s;
	return g_strndup(start, (gsize)(s - start));
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/* "filename*1*" -> name "filename", section 1, extended. */
static struct al_mime_param *param_from_name(const char *raw_name)
{
	struct al_mime_param *param = g_new0(struct al_mime_param, 1);
	g_autofree char *lower = g_ascii_strdown(raw_name, -1);
	char *star = strchr(lower, '*');

	if (star != NULL) {
		char *after = star + 1;
		gsize len = strlen(after);

		if (len > 0 && after[len - 1] == '*') {
			param->extended = TRUE;
			after[--len] = '\0';
		}
		if (len > 0) {
			guint64 section = 0;

			param->has_section = g_ascii_string_to_unsigned(after, 10, 0, G_MAXUINT,
									&section, NULL);
			param->section = (guint)section;
		} else {
			param->extended = TRUE;
		}
		*star = '\0';
	}
	param->name = g_strdup(lower);
	return param;
}

/* One name=value pair at *p; NULL when what is there is not one. */
static struct al_mime_param *read_param(const char **p, const char *end)
{
	g_autofree char *name = NULL;
	struct al_mime_param *param;
	const char *s = *p;

	name = take_bare(&s, end, FALSE);
	s = skip_blanks(s, end);
	if (name[0] == '\0' || s == end || *s != '=') {
		while (s < end && *s != ';' && !is_blank(*s))
			s++;
		*p = s > *p ? s : *p + 1;
		return NULL;
	}
	s = skip_blanks(s + 1, end);
	param = param_from_name(strlen(name) <= MAX_NAME_BYTES ? name : "");
	if (s < end && *s == '"') {
		s++;
		param->value = read_quoted(&s, end);
	} else {
		param->value = take_bare(&s, end, TRUE);
	}
	*p = s;
	return param;
}

void al_mime_params_parse(const char *raw, struct al_mime_params *params_r)
{
	gsize len = raw != NULL ? strlen(raw) : 0;
	const char *p = raw;
	const char *end;
	gboolean after_semicolon = FALSE;

	*params_r = (struct al_mime_params){ .params = g_ptr_array_new_with_free_func(param_free) };
	if (raw == NULL)
		return;
	if (len > MAX_RAW_BYTES) {
		len = MAX_RAW_BYTES;
		params_r->truncated = TRUE;
	}
	end = raw + len;
	p = skip_blanks(p, end);
	params_r->token = take_bare(&p, end, FALSE);
	for (gsize i = 0; params_r->token[i] != '\0'; i++)
		params_r->token[i] = g_ascii_tolower(params_r->token[i]);
	while ((p = skip_blanks(p, end)) < end) {
		struct al_mime_param *param;

		if (*p == ';') {
			after_semicolon = TRUE;
			p++;
			continue;
		}
		param = read_param(&p, end);
		if (param == NULL)
			continue;
		if (param->name[0] == '\0' || params_r->params->len >= MAX_PARAMS) {
			params_r->truncated |= param->name[0] != '\0';
			param_free(param);
			continue;
		}
		param->missing_semicolon = !after_semicolon;
		params_r->missing_semicolon |= !after_semicolon;
		after_semicolon = FALSE;
		g_ptr_array_add(params_r->params, param);
	}
}

void al_mime_params_clear(struct al_mime_params *params)
{
	g_clear_pointer(&params->token, g_free);
	g_clear_pointer(&params->params, g_ptr_array_unref);
}

/* ------------------------------------------------------------ names */

#define MAX_NAMES 16

static void add_name(GPtrArray *names, char *name)
{
	if (name[0] == '\0' || names->len >= MAX_NAMES) {
		g_free(name);
		return;
	}
	for (guint i = 0; i < names->len; i++) {
		if (strcmp(names->pdata[i], name) == 0) {
			g_free(name);
			return;
		}
	}
	g_ptr_array_add(names, name);
}

/* bytes (no NUL) in charset, as valid UTF-8 (transfer full). */
static char *to_utf8(const guint8 *bytes, gsize len, const char *charset)
{
	if (len == 0)
		return g_strdup("");
	if (charset != NULL && charset[0] != '\0' && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0) {
		g_autofree char *converted =
			g_convert((const char *)bytes, (gssize)len, "UTF-8", charset, NULL, NULL, NULL);

		if (converted != NULL)
			return g_utf8_make_valid(converted, -1);
	}
	return g_utf8_make_valid((const char *)bytes, (gssize)len);
}

/* The name bytes give; with a NUL, the name before it and the whole
 * without NULs. */
static void add_variants(GPtrArray *names, const guint8 *bytes, gsize len, const char *charset,
			 gboolean *nul_r)
{
	const guint8 *nul = len > 0 ? memchr(bytes, '\0', len) : NULL;
	GByteArray *whole;

	if (len == 0)
		return;
	if (nul == NULL) {
		add_name(names, to_utf8(bytes, len, charset));
		return;
	}
	*nul_r = TRUE;
	add_name(names, to_utf8(bytes, (gsize)(nul - bytes), charset));
	whole = g_byte_array_sized_new((guint)len);
	for (gsize i = 0; i < len; i++)
		if (bytes[i] != '\0')
			g_byte_array_append(whole, bytes + i, 1);
	add_name(names, to_utf8(whole->data, whole->len, charset));
	g_byte_array_unref(whole);
}

static void percent_decode(GByteArray *out, const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		guint8 byte = (guint8)*p;

		if (p[0] == '%' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
			byte = (guint8)(g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]));
			p += 2;
		}
		g_byte_array_append(out, &byte, 1);
	}
}

/* Appends an RFC 2231 value; the first extended one gives the charset
 * ("charset'lang'..."). */
static void append_2231(GByteArray *out, const struct al_mime_param *param, char **charset_r)
{
	const char *value = param->value;

	if (!param->extended) {
		g_byte_array_append(out, (const guint8 *)value, (guint)strlen(value));
		return;
	}
	if (*charset_r == NULL && (!param->has_section || param->section == 0)) {
		const char *q1 = strchr(value, '\'');
		const char *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;

		if (q2 != NULL) {
			*charset_r = g_strndup(value, (gsize)(q1 - value));
			value = q2 + 1;
		}
	}
	percent_decode(out, value);
}

/* name*0*=, name*1=... joined in section order, up to the first gap. */
static void add_sections(const struct al_mime_params *params, const char *name, GPtrArray *names,
			 gboolean *nul_r)
{
	const struct al_mime_param *sections[MAX_SECTIONS] = { NULL };
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	g_autofree char *charset = NULL;

	for (guint i = 0; i < params->params->len; i++) {
		const struct al_mime_param *param = params->params->pdata[i];

		if (param->has_section && param->section < MAX_SECTIONS &&
		    strcmp(param->name, name) == 0 && sections[param->section] == NULL)
			sections[param->section] = param;
	}
	for (guint s = 0; s < MAX_SECTIONS && sections[s] != NULL; s++)
		append_2231(bytes, sections[s], &charset);
	if (bytes->len > 0)
		add_variants(names, bytes->data, bytes->len, charset, nul_r);
}

/* The payload of one RFC 2047 word (B or Q), as bytes. */
static void decode_word(GByteArray *out, char encoding, const char *payload, gsize len)
{
	g_autofree char *text = g_strndup(payload, len);

	if (encoding == 'b' || encoding == 'B') {
		gsize n = 0;
		g_autofree guchar *bytes = g_base64_decode(text, &n);

		g_byte_array_append(out, bytes, (guint)n);
		return;
	}
	for (const char *p = text; *p != '\0'; p++) {
		guint8 byte = *p == '_' ? ' ' : (guint8)*p;

		if (p[0] == '=' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
			byte = (guint8)(g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]));
			p += 2;
		}
		g_byte_array_append(out, &byte, 1);
	}
}

/* A plain value's RFC 2047 words decoded to UTF-8 bytes that keep their
 * NULs; TRUE when one holds a NUL. */
static gboolean words_with_nul(const char *value, GByteArray *out)
{
	gboolean nul = FALSE;
	const char *p = value;

	while (*p != '\0') {
		const char *q1 = g_str_has_prefix(p, "=?") ? strchr(p + 2, '?') : NULL;
		const char *end = q1 != NULL && q1[1] != '\0' && q1[2] == '?' ? strstr(q1 + 3, "?=")
									      : NULL;
		g_autoptr(GByteArray) raw = NULL;
		g_autofree char *charset = NULL;

		if (end == NULL) {
			g_byte_array_append(out, (const guint8 *)p, 1);
			p++;
			continue;
		}
		raw = g_byte_array_new();
		charset = g_strndup(p + 2, (gsize)(q1 - p - 2));
		decode_word(raw, q1[1], q1 + 3, (gsize)(end - q1 - 3));
		for (gsize i = 0, start = 0; raw->len > 0 && i <= raw->len; i++) {
			if (i < raw->len && raw->data[i] != '\0')
				continue;
			g_autofree char *utf8 = to_utf8(raw->data + start, i - start, charset);

			g_byte_array_append(out, (const guint8 *)utf8, (guint)strlen(utf8));
			if (i < raw->len) {
				g_byte_array_append(out, (const guint8 *)"", 1);
				nul = TRUE;
			}
			start = i + 1;
		}
		p = end + 2;
	}
	return nul;
}

static void add_plain(const char *value, GPtrArray *names, gboolean *nul_r)
{
	g_autoptr(GByteArray) bytes = g_byte_array_new();

	if (words_with_nul(value, bytes))
		add_variants(names, bytes->data, bytes->len, NULL, nul_r);
	else
		add_name(names, al_mime_decode_filename(value));
}

void al_mime_params_names(const struct al_mime_params *params, const char *name,
			  GPtrArray *names, gboolean *nul_r)
{
	if (params->params == NULL)
		return;
	add_sections(params, name, names, nul_r);
	for (guint i = 0; i < params->params->len; i++) {
		const struct al_mime_param *param = params->params->pdata[i];
		g_autoptr(GByteArray) bytes = NULL;
		g_autofree char *charset = NULL;

		if (param->has_section || strcmp(param->name, name) != 0)
			continue;
		if (!param->extended) {
			add_plain(param->value, names, nul_r);
			continue;
		}
		bytes = g_byte_array_new();
		append_2231(bytes, param, &charset);
		add_variants(names, bytes->data, bytes->len, charset, nul_r);
	}
}
