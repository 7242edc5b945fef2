/*
 * test_origin.c - origin decisions: SMTP AUTH, internal networks (IPv4,
 * IPv6, mapped), trusted senders and learned correspondents proven by
 * our own Authentication-Results, and every way that proof can be
 * missing or forged.
 */
#include "airlock/origin.h"

#include <string.h>

#define OUR_ID "mx.example.org"

static const char *const internal_networks[] = { "127.0.0.0/8", "10.0.0.0/8",
						  "2001:db8:1::/48", NULL };
static const char *const trusted_senders[] = { "partner.example", "lab@other.example",
						"mail.example.com", "@third.example", NULL };

/* A config with only the [origin] keys set, as config.c would build it. */
static struct al_config *make_config(const char *authserv_id)
{
	struct al_config *config = g_new0(struct al_config, 1);
	GError *error = NULL;

	config->authserv_id = g_strdup(authserv_id);
	config->internal_networks = al_cidr_list_parse(internal_networks, &error);
	g_assert_no_error(error);
	g_assert_nonnull(config->internal_networks);
	config->trusted_senders = g_strdupv((char **)trusted_senders);
	return config;
}

static void free_config(struct al_config *config)
{
	g_free(config->authserv_id);
	al_cidr_list_free(&config->internal_networks);
	g_strfreev(config->trusted_senders);
	g_free(config);
}

/* Learned correspondents for the callback, and what it was asked. */
struct learned_list {
	const char *const *addresses;
	char *asked;
};

static gboolean is_learned(const char *address, void *context)
{
	struct learned_list *list = context;

	g_free(list->asked);
	list->asked = g_strdup(address);
	return g_strv_contains(list->addresses, address);
}

struct origin_case {
	const char *name;
	const char *client_addr;
	const char *auth_user;
	const char *envelope_from;
	const char *from;
	const char *authres[4]; /* NULL-terminated */
	gboolean no_authserv_id;
	gboolean known;
	const char *why;
};

#define PASS_PARTNER OUR_ID "; dkim=pass header.d=partner.example"
#define EXTERNAL "203.0.113.5"

static const struct origin_case cases[] = {
	/* Rule 1: SMTP AUTH. */
	{ .name = "authenticated client", .client_addr = EXTERNAL, .auth_user = "alice",
	  .from = "mallory@evil.example", .known = TRUE,
	  .why = "client authenticated as alice" },
	{ .name = "empty auth user is no auth", .client_addr = EXTERNAL, .auth_user = "",
	  .from = "mallory@evil.example", .known = FALSE,
	  .why = "sender mallory@evil.example is not trusted" },
	/* Rule 2: internal networks. */
	{ .name = "internal IPv4", .client_addr = "10.1.2.3", .from = "mallory@evil.example",
	  .known = TRUE, .why = "client 10.1.2.3 is in internal_networks" },
	{ .name = "internal IPv6", .client_addr = "2001:db8:1::25", .known = TRUE,
	  .why = "client 2001:db8:1::25 is in internal_networks" },
	{ .name = "external IPv6", .client_addr = "2001:db8:2::25", .from = "x@evil.example",
	  .known = FALSE, .why = "sender x@evil.example is not trusted" },
	{ .name = "IPv4-mapped IPv6", .client_addr = "::ffff:10.1.2.3", .known = TRUE,
	  .why = "client ::ffff:10.1.2.3 is in internal_networks" },
	{ .name = "external IPv4-mapped IPv6", .client_addr = "::ffff:192.0.2.1",
	  .from = "x@evil.example", .known = FALSE,
	  .why = "sender x@evil.example is not trusted" },
	{ .name = "unparsable client address", .client_addr = "not-an-address",
	  .from = "x@evil.example", .known = FALSE,
	  .why = "sender x@evil.example is not trusted" },
	/* Rule 3: trusted senders with proof from our verifier. */
	{ .name = "trusted domain, dkim pass", .client_addr = EXTERNAL,
	  .from = "bob@partner.example", .authres = { PASS_PARTNER }, .known = TRUE,
	  .why = "trusted sender bob@partner.example, dkim=pass for d=partner.example "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "trusted address, spf pass", .client_addr = EXTERNAL,
	  .from = "lab@other.example",
	  .authres = { OUR_ID "; spf=pass smtp.mailfrom=bounce@other.example" }, .known = TRUE,
	  .why = "trusted sender lab@other.example, spf=pass for "
		 "smtp.mailfrom=bounce@other.example (authserv-id " OUR_ID ")" },
	{ .name = "spf pass for a bare domain", .client_addr = EXTERNAL,
	  .from = "lab@other.example", .authres = { OUR_ID "; spf=pass smtp.mailfrom=other.example" },
	  .known = TRUE,
	  .why = "trusted sender lab@other.example, spf=pass for smtp.mailfrom=other.example "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "@domain entry matches the domain", .client_addr = EXTERNAL,
	  .from = "z@third.example", .authres = { OUR_ID "; dkim=pass header.d=third.example" },
	  .known = TRUE,
	  .why = "trusted sender z@third.example, dkim=pass for d=third.example "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "case and angle brackets are ignored", .client_addr = EXTERNAL,
	  .from = " <Bob@PARTNER.Example> ", .authres = { PASS_PARTNER }, .known = TRUE,
	  .why = "trusted sender bob@partner.example, dkim=pass for d=partner.example "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "authserv-id compared without case", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { "MX.Example.ORG; dkim=pass header.d=Partner.Example" }, .known = TRUE,
	  .why = "trusted sender bob@partner.example, dkim=pass for d=partner.example "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "trailing dot in header.d", .client_addr = EXTERNAL,
	  .from = "bob@partner.example", .authres = { OUR_ID "; dkim=pass header.d=partner.example." },
	  .known = TRUE,
	  .why = "trusted sender bob@partner.example, dkim=pass for d=partner.example. "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "subdomain sender aligned with parent d=", .client_addr = EXTERNAL,
	  .from = "user@mail.example.com", .authres = { OUR_ID "; dkim=pass header.d=example.com" },
	  .known = TRUE,
	  .why = "trusted sender user@mail.example.com, dkim=pass for d=example.com "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "second result of a header passes", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { OUR_ID "; spf=fail smtp.mailfrom=partner.example; "
			      "dkim=pass header.d=partner.example" },
	  .known = TRUE,
	  .why = "trusted sender bob@partner.example, dkim=pass for d=partner.example "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "a later header of ours passes", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { "evil.example; dkim=pass header.d=partner.example",
		       OUR_ID "; dkim=fail header.d=partner.example", PASS_PARTNER },
	  .known = TRUE,
	  .why = "trusted sender bob@partner.example, dkim=pass for d=partner.example "
		 "(authserv-id " OUR_ID ")" },
	{ .name = "envelope sender when there is no From", .client_addr = EXTERNAL,
	  .envelope_from = "<Bob@Partner.Example>", .authres = { PASS_PARTNER }, .known = TRUE,
	  .why = "trusted sender bob@partner.example, dkim=pass for d=partner.example "
		 "(authserv-id " OUR_ID ")" },
	/* Rule 4: what was missing. */
	{ .name = "From wins over the envelope", .client_addr = EXTERNAL,
	  .envelope_from = "<bob@partner.example>", .from = "mallory@evil.example",
	  .authres = { PASS_PARTNER }, .known = FALSE,
	  .why = "sender mallory@evil.example is not trusted" },
	{ .name = "untrusted sender with a pass", .client_addr = EXTERNAL,
	  .from = "mallory@evil.example", .authres = { OUR_ID "; dkim=pass header.d=evil.example" },
	  .known = FALSE, .why = "sender mallory@evil.example is not trusted" },
	{ .name = "trusted address does not cover its domain", .client_addr = EXTERNAL,
	  .from = "eve@other.example", .authres = { OUR_ID "; dkim=pass header.d=other.example" },
	  .known = FALSE, .why = "sender eve@other.example is not trusted" },
	{ .name = "trusted domain does not cover subdomains", .client_addr = EXTERNAL,
	  .from = "bob@mail.partner.example",
	  .authres = { OUR_ID "; dkim=pass header.d=partner.example" }, .known = FALSE,
	  .why = "sender bob@mail.partner.example is not trusted" },
	{ .name = "bounce sender", .client_addr = EXTERNAL, .envelope_from = "<>",
	  .authres = { PASS_PARTNER }, .known = FALSE, .why = "no sender address" },
	{ .name = "no sender at all", .client_addr = EXTERNAL, .known = FALSE,
	  .why = "no sender address" },
	{ .name = "empty From", .client_addr = EXTERNAL, .from = "",
	  .envelope_from = "bob@partner.example", .authres = { PASS_PARTNER }, .known = FALSE,
	  .why = "no sender address" },
	{ .name = "sender without a domain", .client_addr = EXTERNAL, .from = "bob",
	  .known = FALSE, .why = "sender address bob has no domain" },
	{ .name = "trusted sender without any header", .client_addr = EXTERNAL,
	  .from = "bob@partner.example", .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID " (no Authentication-Results header with that authserv-id)" },
	{ .name = "authserv_id not configured", .client_addr = EXTERNAL,
	  .from = "bob@partner.example", .authres = { PASS_PARTNER }, .no_authserv_id = TRUE,
	  .known = FALSE,
	  .why = "trusted sender bob@partner.example but authserv_id is not configured, so no "
		 "authentication result can be trusted" },
	{ .name = "d= of another domain", .client_addr = EXTERNAL,
	  .from = "user@mail.example.com", .authres = { OUR_ID "; dkim=pass header.d=evil.com" },
	  .known = FALSE,
	  .why = "trusted sender user@mail.example.com but no dkim or spf pass for "
		 "mail.example.com from " OUR_ID },
	{ .name = "d= of a bare top-level domain", .client_addr = EXTERNAL,
	  .from = "user@mail.example.com", .authres = { OUR_ID "; dkim=pass header.d=com" },
	  .known = FALSE,
	  .why = "trusted sender user@mail.example.com but no dkim or spf pass for "
		 "mail.example.com from " OUR_ID },
	{ .name = "d= of a bare top-level domain with a dot", .client_addr = EXTERNAL,
	  .from = "user@mail.example.com", .authres = { OUR_ID "; dkim=pass header.d=com." },
	  .known = FALSE,
	  .why = "trusted sender user@mail.example.com but no dkim or spf pass for "
		 "mail.example.com from " OUR_ID },
	{ .name = "spf for a bare top-level domain", .client_addr = EXTERNAL,
	  .from = "user@mail.example.com", .authres = { OUR_ID "; spf=pass smtp.mailfrom=x@com" },
	  .known = FALSE,
	  .why = "trusted sender user@mail.example.com but no dkim or spf pass for "
		 "mail.example.com from " OUR_ID },
	{ .name = "d= of a subdomain of the sender", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { OUR_ID "; dkim=pass header.d=mail.partner.example" }, .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID },
	{ .name = "suffix that is not a label boundary", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { OUR_ID "; dkim=pass header.d=rtner.example" }, .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID },
	{ .name = "spf pass for another domain", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { OUR_ID "; spf=pass smtp.mailfrom=bob@evil.example" }, .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID },
	{ .name = "dkim pass without header.d", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { OUR_ID "; dkim=pass header.i=@partner.example" }, .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID },
	{ .name = "dmarc pass alone", .client_addr = EXTERNAL, .from = "bob@partner.example",
	  .authres = { OUR_ID "; dmarc=pass header.from=partner.example" }, .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID },
	{ .name = "malformed header of ours with a pass in it", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { OUR_ID "; dkim=pass header.d=partner.example header.d=evil.example" },
	  .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID " (no Authentication-Results header with that authserv-id)" },
	{ .name = "our id inside a comment of another header", .client_addr = EXTERNAL,
	  .from = "bob@partner.example",
	  .authres = { "evil.example (" OUR_ID "); dkim=pass header.d=partner.example" },
	  .known = FALSE,
	  .why = "trusted sender bob@partner.example but no dkim or spf pass for partner.example "
		 "from " OUR_ID " (no Authentication-Results header with that authserv-id)" },
};

static void run_case(const struct origin_case *c, struct al_config *config)
{
	struct al_smtp_context smtp = {
		.queue_id = "4F2A1C3",
		.client_addr = c->client_addr,
		.auth_user = c->auth_user,
		.envelope_from = c->envelope_from,
	};
	struct al_origin origin = { .known = FALSE };

	al_origin_decide(config, &smtp, c->from, c->authres, NULL, NULL, &origin);
	if (origin.known != c->known || g_strcmp0(origin.why, c->why) != 0)
		g_error("%s: got %s \"%s\", expected %s \"%s\"", c->name,
			origin.known ? "known" : "unknown", origin.why,
			c->known ? "known" : "unknown", c->why);
	al_origin_clear(&origin);
	g_assert_null(origin.why);
	g_assert_false(origin.known);
}

static void test_origin_rules_in_order(void)
{
	struct al_config *config = make_config(OUR_ID);
	struct al_config *no_id = make_config(NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		run_case(&cases[i], cases[i].no_authserv_id ? no_id : config);
	free_config(config);
	free_config(no_id);
}

/* The caller hands over only the top-level headers, so a forged header
 * can only be one of these shapes: none of them may make a trusted
 * sender known. */
static void test_origin_forged_authres_leaves_sender_unknown(void)
{
	static const char *const forged[] = {
		OUR_ID "; dkim=fail header.d=partner.example",
		OUR_ID "; spf=softfail smtp.mailfrom=bob@partner.example",
		"evil.example; dkim=pass header.d=partner.example",
		"mx.example.org.evil.example; dkim=pass header.d=partner.example",
		OUR_ID "; dkim=pass header.d=evil.example",
		OUR_ID "; spf=pass smtp.mailfrom=bob@evil.example",
		OUR_ID "; dkim=pass header.d=example",
	};
	struct al_config *config = make_config(OUR_ID);
	struct al_smtp_context smtp = { .client_addr = EXTERNAL };

	for (gsize i = 0; i < G_N_ELEMENTS(forged); i++) {
		const char *values[] = { forged[i], NULL };
		struct al_origin origin = { .known = FALSE };

		al_origin_decide(config, &smtp, "bob@partner.example", values, NULL, NULL, &origin);
		if (origin.known)
			g_error("\"%s\" made the sender known: %s", forged[i], origin.why);
		g_assert_true(g_str_has_prefix(origin.why, "trusted sender bob@partner.example but"));
		al_origin_clear(&origin);
	}
	free_config(config);
}

static void test_origin_learned_correspondent_is_trusted(void)
{
	static const char *const learned[] = { "carol@friend.example", NULL };
	static const struct {
		const char *from;
		const char *authres;
		gboolean known;
		const char *why;
	} table[] = {
		{ "Carol@Friend.Example", OUR_ID "; dkim=pass header.d=friend.example", TRUE,
		  "trusted sender carol@friend.example (learned correspondent), dkim=pass for "
		  "d=friend.example (authserv-id " OUR_ID ")" },
		{ "carol@friend.example", OUR_ID "; dkim=fail header.d=friend.example", FALSE,
		  "trusted sender carol@friend.example (learned correspondent) but no dkim or spf "
		  "pass for friend.example from " OUR_ID },
		{ "dave@friend.example", OUR_ID "; dkim=pass header.d=friend.example", FALSE,
		  "sender dave@friend.example is not trusted" },
	};
	struct al_config *config = make_config(OUR_ID);
	struct al_smtp_context smtp = { .client_addr = EXTERNAL };

	for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
		struct learned_list list = { .addresses = learned };
		const char *values[] = { table[i].authres, NULL };
		struct al_origin origin = { .known = FALSE };
		g_autofree char *expected_ask = g_ascii_strdown(table[i].from, -1);

		al_origin_decide(config, &smtp, table[i].from, values, is_learned, &list, &origin);
		g_assert_cmpint(origin.known, ==, table[i].known);
		g_assert_cmpstr(origin.why, ==, table[i].why);
		g_assert_cmpstr(list.asked, ==, expected_ask);
		al_origin_clear(&origin);
		g_free(list.asked);
	}
	free_config(config);
}

static void test_origin_listed_sender_does_not_ask_learned(void)
{
	static const char *const nobody[] = { NULL };
	struct al_config *config = make_config(OUR_ID);
	struct al_smtp_context smtp = { .client_addr = EXTERNAL };
	struct learned_list list = { .addresses = nobody };
	const char *values[] = { PASS_PARTNER, NULL };
	struct al_origin origin = { .known = FALSE };

	al_origin_decide(config, &smtp, "bob@partner.example", values, is_learned, &list, &origin);
	g_assert_true(origin.known);
	g_assert_null(list.asked);
	al_origin_clear(&origin);
	free_config(config);
}

static void test_origin_long_sender_is_cut_in_why(void)
{
	struct al_config *config = make_config(OUR_ID);
	struct al_smtp_context smtp = { .client_addr = EXTERNAL };
	struct al_origin origin = { .known = FALSE };
	g_autofree char *local = g_strnfill(100000, 'a');
	g_autofree char *from = g_strconcat(local, "@evil.example", NULL);

	al_origin_decide(config, &smtp, from, NULL, NULL, NULL, &origin);
	g_assert_false(origin.known);
	g_assert_cmpuint(strlen(origin.why), <, 400);
	g_assert_true(g_str_has_suffix(origin.why, "... is not trusted"));
	al_origin_clear(&origin);
	free_config(config);
}

static void test_origin_address_domain(void)
{
	static const struct {
		const char *address;
		const char *domain;
	} table[] = {
		{ "a@B.org", "b.org" },
		{ "a@mail.Example.COM", "mail.example.com" },
		{ "\"x@y\"@Z.org", "z.org" },
		{ "@example.com", "example.com" },
		{ "a", NULL },
		{ "a@", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
		g_autofree char *domain = al_address_domain(table[i].address);

		g_assert_cmpstr(domain, ==, table[i].domain);
	}
}

static void test_origin_domain_alignment(void)
{
	static const struct {
		const char *domain;
		const char *parent;
		gboolean aligned;
	} table[] = {
		{ "example.com", "example.com", TRUE },
		{ "mail.example.com", "example.com", TRUE },
		{ "a.b.example.com", "example.com", TRUE },
		{ "example.com.", "example.com", TRUE },
		{ "mail.example.com", "example.com.", TRUE },
		{ "com", "com", TRUE },
		{ "example.com", "mail.example.com", FALSE },
		{ "badexample.com", "example.com", FALSE },
		{ ".example.com", "example.com", FALSE },
		{ "example.com", "com.example", FALSE },
		{ "example.org", "example.com", FALSE },
		{ "example.com", "", FALSE },
		{ "", "example.com", FALSE },
		{ "", "", FALSE },
		{ ".", ".", FALSE },
		{ NULL, "example.com", FALSE },
		{ "example.com", NULL, FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
		if (al_domain_aligned(table[i].domain, table[i].parent) != table[i].aligned)
			g_error("al_domain_aligned(%s, %s) should be %d", table[i].domain,
				table[i].parent, table[i].aligned);
}

static void test_origin_clear_frees_why(void)
{
	struct al_origin origin = { .known = TRUE, .why = g_strdup("x") };

	al_origin_clear(&origin);
	g_assert_null(origin.why);
	g_assert_false(origin.known);
	al_origin_clear(&origin);
	al_origin_clear(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/origin/rules_in_order", test_origin_rules_in_order);
	g_test_add_func("/origin/forged_authres_leaves_sender_unknown",
			test_origin_forged_authres_leaves_sender_unknown);
	g_test_add_func("/origin/learned_correspondent_is_trusted",
			test_origin_learned_correspondent_is_trusted);
	g_test_add_func("/origin/listed_sender_does_not_ask_learned",
			test_origin_listed_sender_does_not_ask_learned);
	g_test_add_func("/origin/long_sender_is_cut_in_why", test_origin_long_sender_is_cut_in_why);
	g_test_add_func("/origin/address_domain", test_origin_address_domain);
	g_test_add_func("/origin/domain_alignment", test_origin_domain_alignment);
	g_test_add_func("/origin/clear_frees_why", test_origin_clear_frees_why);
	return g_test_run();
}
