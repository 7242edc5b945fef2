/*
 * authres.c - parsing Authentication-Results header values (RFC 8601).
 *
 * SYNOPSIS
 *	authserv-id [version] ; method[/version]=result [reason=value]
 *		[ptype.property=value ...] ; ...
 *	authserv-id ; none
 *
 * DESCRIPTION
 *	al_authres_parse() walks the value once, left to right, with no
 *	recursion: comments (nested, with quoted-pairs) are skipped by a
 *	depth counter, folding whitespace (CR, LF, SP, HTAB) separates
 *	tokens, quoted strings are unquoted. The authserv-id, method,
 *	result and property names are lower-cased, and so are header.d and
 *	smtp.helo (domains) and the domain part of header.i, header.from
 *	and smtp.mailfrom (the local part of an address is kept as
 *	written).
 *	Unquoted property values are read leniently (base64 header.b, "@"
 *	addresses) up to whitespace, ';', a comment or a quote.
 *
 *	A header version other than 1 is refused: we cannot know what a
 *	later version's results mean.
 *
 * LIMITS
 *	Any single token, quoted string or property value longer than
 *	MAX_VALUE_BYTES, more than MAX_RESULTS results, an empty value, a
 *	byte sequence that is not UTF-8 in a kept value, or the same known
 *	property twice in one result (which of two header.d would count?)
 *	makes the whole value malformed.
 *
 * DIAGNOSTICS
 *	Anything malformed gives NULL, never a partial result.
 */
#include "airlock/authres.h"

#include <stddef.h>
#include <string.h>

#define MAX_VALUE_BYTES 16384
#define MAX_RESULTS 64

/* RFC 2045 tspecials: a token is any visible character but these. */
#define TSPECIALS "()<>@,;:\\\"/[]?="

struct parser {
	const char *p;
};

static gboolean is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean is_keyword_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

static gboolean is_token_char(char c)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x80)
		return TRUE;
	return u > 0x20 && u < 0x7f && strchr(TSPECIALS, c) == NULL;
}

/* Property values in the wild are base64 (header.b), "@domain" or
 * "local@domain": take every visible character that cannot start a
 * comment, a quoted string or the next resinfo. */
static gboolean is_pvalue_char(char c)
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x80)
		return TRUE;
	return u > 0x20 && u < 0x7f && strchr("()\";\\", c) == NULL;
}

/* Skips one comment starting at '('; -1 if it is not closed. */
static int skip_comment(struct parser *ps)
{
	const char *p = ps->p;
	gsize depth = 0;

	do {
		switch (*p) {
		case '\0':
			return -1;
		case '\\':
			p++;
			if (*p == '\0')
				return -1;
			break;
		case '(':
			depth++;
			break;
		case ')':
			depth--;
			break;
		default:
			break;
		}
		p++;
	} while (depth > 0);
	ps->p = p;
	return 0;
}

/* Skips comments and folding whitespace. Returns 1 if anything was
 * skipped, 0 if nothing, -1 on an unbalanced comment. */
static int skip_cfws(struct parser *ps)
{
	const char *start = ps->p;

	for (;;) {
		while (is_fws(*ps->p))
			ps->p++;
		if (*ps->p != '(')
			return ps->p != start;
		if (skip_comment(ps) < 0)
			return -1;
	}
}

static char *finish_value(GString *s)
{
	if (s->len == 0 || !g_utf8_validate(s->str, s->len, NULL)) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

/* Reads a quoted string starting at '"'; NULL if unterminated, too long,
 * empty or holding control characters. */
static char *read_quoted(struct parser *ps)
{
	GString *s = g_string_new(NULL);
	const char *p = ps->p + 1;

	for (; *p != '"'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\0')
			goto fail;
		if (c == '\r' || c == '\n')
			continue; /* unfolding */
		if (c == '\\') {
			c = (unsigned char)*++p;
			if (c == '\0')
				goto fail;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f || s->len >= MAX_VALUE_BYTES)
			goto fail;
		g_string_append_c(s, (char)c);
	}
	ps->p = p + 1;
	return finish_value(s);
fail:
	g_string_free(s, TRUE);
	return NULL;
}

/* Reads the longest run of characters accepted by accept; NULL if empty
 * or too long. */
static char *read_run(struct parser *ps, gboolean (*accept)(char c))
{
	const char *start = ps->p;
	const char *p = start;
	GString *s;

	while (accept(*p)) {
		if ((gsize)(p - start) >= MAX_VALUE_BYTES)
			return NULL;
		p++;
	}
	ps->p = p;
	s = g_string_new_len(start, p - start);
	return finish_value(s);
}

/* value = token / quoted-string (with accept deciding what a token is). */
static char *read_value(struct parser *ps, gboolean (*accept)(char c))
{
	if (*ps->p == '"')
		return read_quoted(ps);
	return read_run(ps, accept);
}

static void lower_in_place(char *s)
{
	for (; *s != '\0'; s++)
		*s = g_ascii_tolower(*s);
}

/* Lower-cases the domain: everything after the last '@', or the whole
 * value when there is none. */
static void lower_domain_part(char *value)
{
	char *at = strrchr(value, '@');

	lower_in_place(at != NULL ? at + 1 : value);
}

static char *read_keyword(struct parser *ps)
{
	char *keyword = read_run(ps, is_keyword_char);

	if (keyword != NULL)
		lower_in_place(keyword);
	return keyword;
}

static gboolean read_digits(struct parser *ps, gboolean must_be_one)
{
	const char *start = ps->p;

	while (g_ascii_isdigit(*ps->p)) {
		if ((gsize)(ps->p - start) >= MAX_VALUE_BYTES)
			return FALSE;
		ps->p++;
	}
	if (ps->p == start)
		return FALSE;
	return !must_be_one || (ps->p - start == 1 && *start == '1');
}

static void result_free(gpointer data)
{
	struct al_authres_result *r = data;

	g_free(r->method);
	g_free(r->result);
	g_free(r->header_d);
	g_free(r->header_i);
	g_free(r->header_from);
	g_free(r->smtp_mailfrom);
	g_free(r->smtp_helo);
	g_free(r);
}

/* The properties origin needs, and where they go. */
static char **property_slot(struct al_authres_result *r, const char *ptype, const char *property,
			    gboolean *is_domain_r)
{
	static const struct {
		const char *ptype;
		const char *property;
		size_t offset;
		gboolean is_domain; /* lower the whole value, not the part after '@' */
	} slots[] = {
		{ .ptype = "header", .property = "d",
		  .offset = offsetof(struct al_authres_result, header_d), .is_domain = TRUE },
		{ .ptype = "header", .property = "i",
		  .offset = offsetof(struct al_authres_result, header_i) },
		{ .ptype = "header", .property = "from",
		  .offset = offsetof(struct al_authres_result, header_from) },
		{ .ptype = "smtp", .property = "mailfrom",
		  .offset = offsetof(struct al_authres_result, smtp_mailfrom) },
		{ .ptype = "smtp", .property = "helo",
		  .offset = offsetof(struct al_authres_result, smtp_helo), .is_domain = TRUE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(slots); i++)
		if (strcmp(slots[i].ptype, ptype) == 0 && strcmp(slots[i].property, property) == 0) {
			*is_domain_r = slots[i].is_domain;
			return (char **)((char *)r + slots[i].offset);
		}
	return NULL;
}

/* propspec after its ptype: "." property "=" pvalue. Known properties
 * are stored (twice is an error); others are read and dropped. */
static int read_propspec(struct parser *ps, struct al_authres_result *r, const char *ptype)
{
	g_autofree char *property = NULL;
	char *value;
	char **slot;
	gboolean is_domain = FALSE;

	ps->p++; /* '.' */
	if (skip_cfws(ps) < 0 || (property = read_keyword(ps)) == NULL || skip_cfws(ps) < 0)
		return -1;
	if (*ps->p != '=')
		return -1;
	ps->p++;
	if (skip_cfws(ps) < 0 || (value = read_value(ps, is_pvalue_char)) == NULL)
		return -1;
	slot = property_slot(r, ptype, property, &is_domain);
	if (slot == NULL) {
		g_free(value);
		return 0;
	}
	if (*slot != NULL) {
		g_free(value);
		return -1;
	}
	if (is_domain)
		lower_in_place(value);
	else
		lower_domain_part(value);
	*slot = value;
	return 0;
}

/* The reasonspec and propspecs after "method=result", up to ';' or the
 * end. Each must be preceded by CFWS. */
static int read_properties(struct parser *ps, struct al_authres_result *r)
{
	for (;;) {
		g_autofree char *name = NULL;
		int skipped = skip_cfws(ps);

		if (skipped < 0)
			return -1;
		if (*ps->p == ';' || *ps->p == '\0')
			return 0;
		if (skipped == 0 || (name = read_keyword(ps)) == NULL || skip_cfws(ps) < 0)
			return -1;
		if (*ps->p == '.') {
			if (read_propspec(ps, r, name) < 0)
				return -1;
		} else if (*ps->p == '=' && strcmp(name, "reason") == 0) {
			g_autofree char *reason = NULL;

			ps->p++;
			if (skip_cfws(ps) < 0 || (reason = read_value(ps, is_token_char)) == NULL)
				return -1;
		} else {
			return -1;
		}
	}
}

/* methodspec after the method keyword: [/version] "=" result, then the
 * properties. Takes method. */
static struct al_authres_result *read_resinfo(struct parser *ps, char *method)
{
	struct al_authres_result *r = g_new0(struct al_authres_result, 1);

	r->method = method;
	if (*ps->p == '/') {
		ps->p++;
		if (skip_cfws(ps) < 0 || !read_digits(ps, FALSE) || skip_cfws(ps) < 0)
			goto fail;
	}
	if (*ps->p != '=')
		goto fail;
	ps->p++;
	if (skip_cfws(ps) < 0 || (r->result = read_keyword(ps)) == NULL)
		goto fail;
	if (read_properties(ps, r) < 0)
		goto fail;
	return r;
fail:
	result_free(r);
	return NULL;
}

/* Everything after the authserv-id and version: "; none", or one or more
 * "; resinfo", optionally with a trailing ';'. */
static int read_results(struct parser *ps, struct al_authres *authres)
{
	if (*ps->p != ';')
		return -1;
	while (*ps->p == ';') {
		char *method;
		struct al_authres_result *r;

		ps->p++;
		if (skip_cfws(ps) < 0)
			return -1;
		if (*ps->p == '\0' && authres->results->len > 0)
			return 0; /* a trailing ';' */
		if ((method = read_keyword(ps)) == NULL || skip_cfws(ps) < 0) {
			g_free(method);
			return -1;
		}
		if (authres->results->len == 0 && strcmp(method, "none") == 0 && *ps->p == '\0') {
			g_free(method);
			return 0;
		}
		if (authres->results->len >= MAX_RESULTS) {
			g_free(method);
			return -1;
		}
		r = read_resinfo(ps, method); /* takes method */
		if (r == NULL)
			return -1;
		g_ptr_array_add(authres->results, r);
	}
	return *ps->p == '\0' ? 0 : -1;
}

/* After the authserv-id: CFWS, then an optional version, which must be 1. */
static int read_version(struct parser *ps)
{
	int skipped = skip_cfws(ps);

	if (skipped < 0)
		return -1;
	if (!g_ascii_isdigit(*ps->p))
		return skipped > 0 || *ps->p == ';' ? 0 : -1;
	if (skipped == 0 || !read_digits(ps, TRUE))
		return -1;
	return skip_cfws(ps) < 0 ? -1 : 0;
}

struct al_authres *al_authres_parse(const char *value)
{
	struct parser ps = { .p = value };
	struct al_authres *authres;

	if (value == NULL)
		return NULL;
	authres = g_new0(struct al_authres, 1);
	authres->results = g_ptr_array_new_with_free_func(result_free);
	if (skip_cfws(&ps) < 0)
		goto fail;
	authres->authserv_id = read_value(&ps, is_token_char);
	if (authres->authserv_id == NULL)
		goto fail;
	lower_in_place(authres->authserv_id);
	if (read_version(&ps) < 0 || read_results(&ps, authres) < 0)
		goto fail;
	return authres;
fail:
	al_authres_free(&authres);
	return NULL;
}

void al_authres_free(struct al_authres **authres)
{
	struct al_authres *a = *authres;

	if (a == NULL)
		return;
	g_free(a->authserv_id);
	g_ptr_array_unref(a->results);
	g_free(a);
	*authres = NULL;
}
