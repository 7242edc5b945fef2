/*
 * test_authres.c - Authentication-Results parsing: real-world values from
 * OpenDKIM, OpenDMARC, Gmail and SPF verifiers, folding and comments,
 * every kind of malformed value, and the size limits on hostile input.
 */
#include "airlock/authres.h"

#include <string.h>

/* The limits documented at the top of authres.c. */
#define MAX_VALUE_BYTES 16384
#define MAX_RESULTS 64

struct expected_result {
	const char *method;
	const char *result;
	const char *header_d;
	const char *header_i;
	const char *header_from;
	const char *smtp_mailfrom;
	const char *smtp_helo;
};

struct parse_case {
	const char *name;
	const char *value;
	const char *authserv_id;
	guint result_count;
	struct expected_result results[3];
};

static const char gmail_value[] =
	"mx.google.com;\r\n"
	"       dkim=pass header.i=@gmail.com header.s=20230601 header.b=Ab+c/d=;\r\n"
	"       spf=pass (google.com: domain of alice@gmail.com designates "
	"209.85.220.41 as permitted sender) smtp.mailfrom=alice@gmail.com;\r\n"
	"       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com";

static const struct parse_case valid_cases[] = {
	{ .name = "opendkim",
	  .value = "mx.example.org; dkim=pass (2048-bit key; unprotected) header.d=example.com "
		   "header.i=@example.com header.b=\"abc\"",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "pass", .header_d = "example.com",
			 .header_i = "@example.com" } } },
	{ .name = "opendmarc",
	  .value = "mx.example.org; dmarc=pass (p=none dis=none) header.from=example.com",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dmarc", .result = "pass", .header_from = "example.com" } } },
	{ .name = "spf with mailfrom and helo, domain parts lower-cased",
	  .value = "mx.example.org; spf=pass (mx.example.org: domain of Bob@Example.COM designates "
		   "192.0.2.1 as permitted sender) smtp.mailfrom=Bob@Example.COM "
		   "smtp.helo=Mail.Example.COM",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "spf", .result = "pass", .smtp_mailfrom = "Bob@example.com",
			 .smtp_helo = "mail.example.com" } } },
	{ .name = "spf with a bare domain",
	  .value = "mx.example.org; spf=softfail smtp.mailfrom=Example.NET",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "spf", .result = "softfail", .smtp_mailfrom = "example.net" } } },
	{ .name = "none",
	  .value = "mx.example.org; none",
	  .authserv_id = "mx.example.org",
	  .result_count = 0 },
	{ .name = "none with comments and folding",
	  .value = "mx.example.org (no checks);\r\n\tnone (really)\r\n",
	  .authserv_id = "mx.example.org",
	  .result_count = 0 },
	{ .name = "version 1",
	  .value = "mx.example.org 1; dkim=pass header.d=example.com",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "pass", .header_d = "example.com" } } },
	{ .name = "gmail, folded, three results",
	  .value = gmail_value,
	  .authserv_id = "mx.google.com",
	  .result_count = 3,
	  .results = { { .method = "dkim", .result = "pass", .header_i = "@gmail.com" },
		       { .method = "spf", .result = "pass", .smtp_mailfrom = "alice@gmail.com" },
		       { .method = "dmarc", .result = "pass", .header_from = "gmail.com" } } },
	{ .name = "names and domains lower-cased",
	  .value = "MX.Example.ORG; DKIM=Pass HEADER.D=Example.COM Header.I=Alice@Example.COM",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "pass", .header_d = "example.com",
			 .header_i = "Alice@example.com" } } },
	{ .name = "nested comments with escaped parentheses",
	  .value = "mx.example.org (a (nested \\) comment) here); dkim=pass (x \\( y) "
		   "header.d=example.com (trailing)",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "pass", .header_d = "example.com" } } },
	{ .name = "quoted authserv-id and quoted value with an escape",
	  .value = "\"MX.example.org\"; dkim=neutral header.d=\"Exa\\mple.com\" header.b=\"a\\\"b\"",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "neutral", .header_d = "example.com" } } },
	{ .name = "method version",
	  .value = "mx.example.org; dkim/1=pass header.d=example.com",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "pass", .header_d = "example.com" } } },
	{ .name = "reason",
	  .value = "mx.example.org; dkim=fail reason=\"signature verification failed\" "
		   "header.d=example.com",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "fail", .header_d = "example.com" } } },
	{ .name = "trailing semicolon",
	  .value = "mx.example.org; spf=none smtp.mailfrom=example.com;",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "spf", .result = "none", .smtp_mailfrom = "example.com" } } },
	{ .name = "leading space and LF-only folding",
	  .value = " mx.example.org;\n\tdkim=pass\n\theader.d=example.com\n",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "pass", .header_d = "example.com" } } },
	{ .name = "CFWS around = and .",
	  .value = "mx.example.org ; dkim = (c) pass header (c) . d = example.com",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "dkim", .result = "pass", .header_d = "example.com" } } },
	{ .name = "unknown methods and properties are kept or skipped",
	  .value = "mx.example.org; iprev=pass policy.iprev=192.0.2.1 (mail.example.com); "
		   "auth=pass smtp.auth=alice",
	  .authserv_id = "mx.example.org",
	  .result_count = 2,
	  .results = { { .method = "iprev", .result = "pass" },
		       { .method = "auth", .result = "pass" } } },
	{ .name = "arc comment holding = and ;",
	  .value = "mx.example.org; arc=pass (i=1 spf=pass spfdomain=example.com; dkim=pass "
		   "dkdomain=example.com)",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "arc", .result = "pass" } } },
	{ .name = "utf-8 local part",
	  .value = "mx.example.org; spf=pass smtp.mailfrom=J\xc3\xa9r\xc3\xb4me@EXAMPLE.fr",
	  .authserv_id = "mx.example.org",
	  .result_count = 1,
	  .results = { { .method = "spf", .result = "pass",
			 .smtp_mailfrom = "J\xc3\xa9r\xc3\xb4me@example.fr" } } },
};

static const struct {
	const char *name;
	const char *value;
} malformed_cases[] = {
	{ "empty", "" },
	{ "only whitespace", " \r\n\t" },
	{ "only a comment", "(mx.example.org)" },
	{ "no authserv-id", "; dkim=pass header.d=example.com" },
	{ "no result at all", "mx.example.org" },
	{ "nothing after the semicolon", "mx.example.org;" },
	{ "missing semicolon", "mx.example.org dkim=pass header.d=example.com" },
	{ "method without =", "mx.example.org; dkim" },
	{ "method without result", "mx.example.org; dkim=" },
	{ "method without result before ;", "mx.example.org; dkim= ; spf=pass" },
	{ "property without =", "mx.example.org; dkim=pass header.d" },
	{ "property without value", "mx.example.org; dkim=pass header.d=" },
	{ "property with empty quoted value", "mx.example.org; dkim=pass header.d=\"\"" },
	{ "property without ptype", "mx.example.org; dmarc=pass action=none header.from=x.org" },
	{ "property without name", "mx.example.org; dkim=pass header.=example.com" },
	{ "unclosed comment", "mx.example.org; dkim=pass (unclosed header.d=example.com" },
	{ "unclosed nested comment", "mx.example.org; dkim=pass (a (b) header.d=example.com" },
	{ "escaped close in comment", "mx.example.org; dkim=pass (a \\) header.d=example.com" },
	{ "comment ending in backslash", "mx.example.org; dkim=pass (x \\" },
	{ "stray close parenthesis", "mx.example.org; dkim=pass header.d=example.com)" },
	{ "unclosed quote", "mx.example.org; dkim=pass header.d=\"example.com" },
	{ "quote ending in backslash", "mx.example.org; dkim=pass header.b=\"abc\\" },
	{ "control character in quote", "mx.example.org; dkim=pass header.b=\"a\x01z\"" },
	{ "control character", "mx.example.org; dkim=pass\x01 header.d=example.com" },
	{ "value glued to a quote", "mx.example.org; dkim=pass header.d=x.org\"y\"" },
	{ "result glued to property", "mx.example.org; dkim=passheader.d=example.com" },
	{ "properties glued", "mx.example.org; dkim=pass header.d=\"a.org\"header.i=@a.org" },
	{ "duplicate header.d", "mx.example.org; dkim=pass header.d=evil.com header.d=example.com" },
	{ "duplicate smtp.mailfrom", "mx.example.org; spf=pass smtp.mailfrom=a.org smtp.mailfrom=b.org" },
	{ "unknown header version", "mx.example.org 2; dkim=pass header.d=example.com" },
	{ "version glued to quoted id", "\"mx.example.org\"1; dkim=pass" },
	{ "bad method version", "mx.example.org; dkim/x=pass header.d=example.com" },
	{ "none followed by results", "mx.example.org; none; dkim=pass header.d=example.com" },
	{ "none after results", "mx.example.org; dkim=pass header.d=example.com; none" },
	{ "none with a value", "mx.example.org; none header.d=example.com" },
	{ "empty resinfo", "mx.example.org;; dkim=pass header.d=example.com" },
	{ "two trailing semicolons", "mx.example.org; dkim=pass header.d=example.com;;" },
	{ "truncated after semicolon", "mx.example.org; dkim=pass header.d=example.com; spf" },
	{ "tspecial in authserv-id", "mx@example.org; dkim=pass header.d=example.com" },
	{ "invalid utf-8 value", "mx.example.org; dkim=pass header.d=\xff\xfe.com" },
	{ "invalid utf-8 authserv-id", "mx\xc3.example.org; dkim=pass header.d=example.com" },
	{ "reason without value", "mx.example.org; dkim=fail reason= header.d=example.com" },
	{ "garbage", "}{][ ;;; ===" },
};

static void assert_string(const char *field, const char *actual, const char *expected)
{
	if (g_strcmp0(actual, expected) != 0)
		g_error("%s: got \"%s\", expected \"%s\"", field, actual ? actual : "(null)",
			expected ? expected : "(null)");
}

static void check_case(const struct parse_case *c)
{
	struct al_authres *authres = al_authres_parse(c->value);

	if (authres == NULL)
		g_error("%s: parse failed", c->name);
	assert_string("authserv_id", authres->authserv_id, c->authserv_id);
	g_assert_cmpuint(authres->results->len, ==, c->result_count);
	for (guint i = 0; i < c->result_count; i++) {
		const struct al_authres_result *r = authres->results->pdata[i];
		const struct expected_result *e = &c->results[i];

		assert_string("method", r->method, e->method);
		assert_string("result", r->result, e->result);
		assert_string("header.d", r->header_d, e->header_d);
		assert_string("header.i", r->header_i, e->header_i);
		assert_string("header.from", r->header_from, e->header_from);
		assert_string("smtp.mailfrom", r->smtp_mailfrom, e->smtp_mailfrom);
		assert_string("smtp.helo", r->smtp_helo, e->smtp_helo);
	}
	al_authres_free(&authres);
	g_assert_null(authres);
}

static void test_authres_real_world_values_are_parsed(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(valid_cases); i++) {
		g_test_message("case: %s", valid_cases[i].name);
		check_case(&valid_cases[i]);
	}
}

static void test_authres_malformed_values_give_null(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(malformed_cases); i++) {
		struct al_authres *authres = al_authres_parse(malformed_cases[i].value);

		if (authres != NULL)
			g_error("%s: \"%s\" was accepted", malformed_cases[i].name,
				malformed_cases[i].value);
	}
	g_assert_null(al_authres_parse(NULL));
}

/* A value of n repetitions of unit between prefix and suffix. */
static char *repeat(const char *prefix, const char *unit, gsize n, const char *suffix)
{
	GString *s = g_string_new(prefix);

	for (gsize i = 0; i < n; i++)
		g_string_append(s, unit);
	g_string_append(s, suffix);
	return g_string_free(s, FALSE);
}

static void test_authres_value_length_limit_is_exact(void)
{
	g_autofree char *domain_ok = repeat("", "a", MAX_VALUE_BYTES - 4, ".com");
	g_autofree char *domain_long = repeat("", "a", MAX_VALUE_BYTES - 3, ".com");
	g_autofree char *ok = g_strconcat("mx.example.org; dkim=pass header.d=", domain_ok, NULL);
	g_autofree char *long_value = g_strconcat("mx.example.org; dkim=pass header.d=", domain_long,
						  NULL);
	g_autofree char *quoted_ok = g_strconcat("mx.example.org; dkim=pass header.d=\"", domain_ok,
						 "\"", NULL);
	g_autofree char *quoted_long = g_strconcat("mx.example.org; dkim=pass header.d=\"",
						   domain_long, "\"", NULL);
	struct al_authres *authres = al_authres_parse(ok);

	g_assert_nonnull(authres);
	g_assert_cmpuint(strlen(((struct al_authres_result *)authres->results->pdata[0])->header_d),
			 ==, MAX_VALUE_BYTES);
	al_authres_free(&authres);
	authres = al_authres_parse(quoted_ok);
	g_assert_nonnull(authres);
	al_authres_free(&authres);
	g_assert_null(al_authres_parse(long_value));
	g_assert_null(al_authres_parse(quoted_long));
}

static void test_authres_megabyte_values_give_null_fast(void)
{
	const gsize mib = 1024 * 1024;
	g_autofree char *token = repeat("mx.example.org; dkim=pass header.b=", "A", mib, "");
	g_autofree char *quoted = repeat("mx.example.org; dkim=pass header.b=\"", "A", mib, "\"");
	g_autofree char *id = repeat("", "m", mib, "; dkim=pass header.d=example.com");
	g_autofree char *open_comments = repeat("mx.example.org; dkim=pass ", "(", mib, "");
	g_autofree char *version = repeat("mx.example.org ", "1", mib, "; dkim=pass");
	const char *values[] = { token, quoted, id, open_comments, version };
	gint64 start = g_get_monotonic_time();

	for (gsize i = 0; i < G_N_ELEMENTS(values); i++)
		g_assert_null(al_authres_parse(values[i]));
	/* Linear work bounded by the input; generous for sanitizer builds. */
	g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
}

static void test_authres_deeply_nested_comment_is_skipped(void)
{
	g_autofree char *opens = repeat("mx.example.org; dkim=pass ", "(", 200000, "");
	g_autofree char *value = repeat(opens, ")", 200000, " header.d=example.com");
	struct al_authres *authres = al_authres_parse(value);

	g_assert_nonnull(authres);
	g_assert_cmpstr(((struct al_authres_result *)authres->results->pdata[0])->header_d, ==,
			"example.com");
	al_authres_free(&authres);
}

static void test_authres_result_count_is_limited(void)
{
	g_autofree char *at_limit = repeat("mx.example.org", "; spf=pass smtp.mailfrom=a.org",
					   MAX_RESULTS, "");
	g_autofree char *over = repeat("mx.example.org", "; spf=pass smtp.mailfrom=a.org",
				       MAX_RESULTS + 1, "");
	struct al_authres *authres = al_authres_parse(at_limit);

	g_assert_nonnull(authres);
	g_assert_cmpuint(authres->results->len, ==, MAX_RESULTS);
	al_authres_free(&authres);
	g_assert_null(al_authres_parse(over));
}

/* Every prefix of a valid value either parses or gives NULL, and never
 * reads past its end (checked by the sanitizer build). */
static void test_authres_every_prefix_is_safe(void)
{
	const char *full = gmail_value;
	gsize length = strlen(full);
	guint parsed = 0;

	for (gsize n = 0; n <= length; n++) {
		g_autofree char *prefix = g_strndup(full, n);
		struct al_authres *authres = al_authres_parse(prefix);

		if (authres != NULL)
			parsed++;
		al_authres_free(&authres);
	}
	/* Cut inside a comment or a keyword it fails; at a result's end it
	 * parses. Both must happen. */
	g_assert_cmpuint(parsed, >, 0);
	g_assert_cmpuint(parsed, <, length);
}

static void assert_lower(const char *s)
{
	for (; *s != '\0'; s++)
		g_assert_false(g_ascii_isupper(*s));
}

/* Mutated real values: no crash, and whatever is accepted is well formed. */
static void test_authres_mutated_values_never_give_bad_results(void)
{
	static const char alphabet[] = "()\\\";=./@ \r\n\taZ1-\x01\xff";
	GRand *rand = g_rand_new_with_seed(20240601);
	guint accepted = 0;

	for (guint round = 0; round < 20000; round++) {
		const char *base = valid_cases[round % G_N_ELEMENTS(valid_cases)].value;
		g_autofree char *value = g_strdup(base);
		gsize length = strlen(value);
		struct al_authres *authres;

		for (guint k = g_rand_int_range(rand, 1, 4); k > 0 && length > 0; k--)
			value[g_rand_int_range(rand, 0, (gint32)length)] =
				alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];
		authres = al_authres_parse(value);
		if (authres == NULL)
			continue;
		accepted++;
		g_assert_cmpuint(strlen(authres->authserv_id), >, 0);
		assert_lower(authres->authserv_id);
		g_assert_cmpuint(authres->results->len, <=, MAX_RESULTS);
		for (guint i = 0; i < authres->results->len; i++) {
			const struct al_authres_result *r = authres->results->pdata[i];

			assert_lower(r->method);
			assert_lower(r->result);
			g_assert_cmpuint(strlen(r->method), >, 0);
			if (r->header_d != NULL)
				assert_lower(r->header_d);
			if (r->smtp_helo != NULL)
				assert_lower(r->smtp_helo);
		}
		al_authres_free(&authres);
	}
	g_rand_free(rand);
	/* Mutations inside comments and values keep a value valid: both
	 * outcomes must have been exercised. */
	g_assert_cmpuint(accepted, >, 0);
	g_assert_cmpuint(accepted, <, 20000);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/authres/real_world_values_are_parsed",
			test_authres_real_world_values_are_parsed);
	g_test_add_func("/authres/malformed_values_give_null", test_authres_malformed_values_give_null);
	g_test_add_func("/authres/value_length_limit_is_exact",
			test_authres_value_length_limit_is_exact);
	g_test_add_func("/authres/megabyte_values_give_null_fast",
			test_authres_megabyte_values_give_null_fast);
	g_test_add_func("/authres/deeply_nested_comment_is_skipped",
			test_authres_deeply_nested_comment_is_skipped);
	g_test_add_func("/authres/result_count_is_limited", test_authres_result_count_is_limited);
	g_test_add_func("/authres/every_prefix_is_safe", test_authres_every_prefix_is_safe);
	g_test_add_func("/authres/mutated_values_never_give_bad_results",
			test_authres_mutated_values_never_give_bad_results);
	return g_test_run();
}
