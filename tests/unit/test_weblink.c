/*
 * test_weblink.c - a recipient's signed link: it verifies for its own
 * address until it expires, and an altered, expired, other key's or
 * malformed token is refused with the reason.
 */
#include "airlock/weblink.h"

#include <string.h>

#define NOW 1700000000

static struct al_release_key key_of(guint8 byte)
{
	struct al_release_key key;

	memset(key.bytes, byte, sizeof(key.bytes));
	return key;
}

static void assert_refused(const struct al_release_key *key, const char *token, gint64 now,
			   const char *why)
{
	g_autofree char *address = NULL;
	g_autofree char *reason = NULL;

	g_assert_false(al_weblink_verify(key, token, now, &address, &reason));
	g_assert_null(address);
	g_assert_cmpstr(reason, ==, why);
}

static void test_weblink_verifies_for_its_address(void)
{
	struct al_release_key key = key_of(0x11);
	g_autofree char *token = al_weblink_token(&key, "dr.martin@clinic.example", NOW + 60);
	g_autofree char *address = NULL;
	g_autofree char *why = NULL;

	g_assert_nonnull(token);
	g_assert_null(strpbrk(token, "+/= \n"));
	g_assert_true(al_weblink_verify(&key, token, NOW, &address, &why));
	g_assert_cmpstr(address, ==, "dr.martin@clinic.example");
	g_assert_null(why);
	g_assert_true(al_weblink_verify(&key, token, NOW + 59, NULL, NULL));
}

static void test_weblink_upper_case_address_normalised(void)
{
	struct al_release_key key = key_of(0x11);
	g_autofree char *upper = al_weblink_token(&key, " <Dr.Martin@Clinic.EXAMPLE> ", NOW + 60);
	g_autofree char *lower = al_weblink_token(&key, "dr.martin@clinic.example", NOW + 60);
	g_autofree char *address = NULL;

	g_assert_cmpstr(upper, ==, lower);
	g_assert_true(al_weblink_verify(&key, upper, NOW, &address, NULL));
	g_assert_cmpstr(address, ==, "dr.martin@clinic.example");
}

static void test_weblink_expired(void)
{
	struct al_release_key key = key_of(0x11);
	g_autofree char *token = al_weblink_token(&key, "a@clinic.example", NOW);

	assert_refused(&key, token, NOW, "expired");
	assert_refused(&key, token, NOW + 86400, "expired");
}

static void test_weblink_altered(void)
{
	struct al_release_key key = key_of(0x11);
	g_autofree char *token = al_weblink_token(&key, "a@clinic.example", NOW + 60);
	g_autofree char *other = al_weblink_token(&key, "b@clinic.example", NOW + 60);
	g_auto(GStrv) parts = g_strsplit(token, ".", -1);
	g_auto(GStrv) other_parts = g_strsplit(other, ".", -1);
	g_autofree char *later = g_strdup_printf("%s.%d.%s", parts[0], NOW + 999999, parts[2]);
	g_autofree char *swapped = g_strdup_printf("%s.%s.%s", other_parts[0], parts[1], parts[2]);
	g_autofree char *flipped = g_strdup(token);
	char *last = flipped + strlen(flipped) - 2;

	/* A later expiry, another address with this mac, one mac bit. */
	assert_refused(&key, later, NOW, "altered");
	assert_refused(&key, swapped, NOW, "altered");
	*last = *last == 'A' ? 'B' : 'A';
	assert_refused(&key, flipped, NOW, "altered");
}

static void test_weblink_other_key(void)
{
	struct al_release_key key = key_of(0x11);
	struct al_release_key other = key_of(0x22);
	g_autofree char *token = al_weblink_token(&other, "a@clinic.example", NOW + 60);

	assert_refused(&key, token, NOW, "altered");
}

static void test_weblink_malformed(void)
{
	struct al_release_key key = key_of(0x11);
	g_autofree char *token = al_weblink_token(&key, "a@clinic.example", NOW + 60);
	g_auto(GStrv) parts = g_strsplit(token, ".", -1);
	g_autofree char *padded = g_strdup_printf("%s=.%s.%s", parts[0], parts[1], parts[2]);
	g_autofree char *signed_expiry = g_strdup_printf("%s.+%s.%s", parts[0], parts[1], parts[2]);
	g_autofree char *short_mac = g_strdup_printf("%s.%s.AAAA", parts[0], parts[1]);
	g_autofree char *upper_address = NULL;
	g_autofree char *upper_encoded =
	    g_base64_encode((const guchar *)"A@clinic.example", strlen("A@clinic.example"));
	const char *const bad[] = {"",      "abc",  "a.b",         "a.b.c.d", "...",
				   "YQ.1.", padded, signed_expiry, short_mac};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_refused(&key, bad[i], NOW, "malformed");
	assert_refused(&key, NULL, NOW, "malformed");
	/* An address part that is not the normal form of an address. */
	upper_encoded[strcspn(upper_encoded, "=")] = '\0';
	upper_address = g_strdup_printf("%s.%s.%s", upper_encoded, parts[1], parts[2]);
	assert_refused(&key, upper_address, NOW, "malformed");
}

static void test_weblink_refuses_what_is_not_one_address(void)
{
	struct al_release_key key = key_of(0x11);
	const char *const bad[] = {"",
				   "  ",
				   "<>",
				   "nobody",
				   "@clinic.example",
				   "a@",
				   "a@b@c.example",
				   "a@x.example, b@y.example",
				   "a b@c.example",
				   "a@c.exa\nmple"};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *token = al_weblink_token(&key, bad[i], NOW + 60);

		g_assert_null(token);
	}
	g_assert_null(al_weblink_token(&key, NULL, NOW + 60));
}

static void test_weblink_url_uses_public_url_and_link_days(void)
{
	struct al_release_key key = key_of(0x11);
	struct al_config config = {.web_public_url = "https://quarantine.clinic.example/",
				   .web_link_days = 7};
	g_autofree char *url = al_weblink_url(&config, &key, "a@clinic.example", NOW);
	const char *prefix = "https://quarantine.clinic.example/r/";
	g_autofree char *address = NULL;

	g_assert_true(g_str_has_prefix(url, prefix));
	g_assert_true(
	    al_weblink_verify(&key, url + strlen(prefix), NOW + 7 * 86400 - 1, &address, NULL));
	g_assert_cmpstr(address, ==, "a@clinic.example");
	assert_refused(&key, url + strlen(prefix), NOW + 7 * 86400, "expired");
	g_assert_null(al_weblink_url(&config, &key, "not an address", NOW));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/weblink/verifies-for-its-address", test_weblink_verifies_for_its_address);
	g_test_add_func("/weblink/upper-case-normalised",
			test_weblink_upper_case_address_normalised);
	g_test_add_func("/weblink/expired", test_weblink_expired);
	g_test_add_func("/weblink/altered", test_weblink_altered);
	g_test_add_func("/weblink/other-key", test_weblink_other_key);
	g_test_add_func("/weblink/malformed", test_weblink_malformed);
	g_test_add_func("/weblink/not-one-address", test_weblink_refuses_what_is_not_one_address);
	g_test_add_func("/weblink/url", test_weblink_url_uses_public_url_and_link_days);
	return g_test_run();
}
