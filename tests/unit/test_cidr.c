/*
 * test_cidr.c - CIDR parsing and membership, table-driven: IPv4, IPv6,
 * IPv4-mapped addresses, the bracketed and tagged forms libmilter and
 * Postfix use for client addresses, and every kind of bad entry.
 */
#include "airlock/cidr.h"
#include "airlock/common.h"

#include <string.h>

static struct al_cidr_list *parse_one(const char *network, GError **error)
{
	const char *networks[] = {network, NULL};

	return al_cidr_list_parse(networks, error);
}

static void test_cidr_valid_networks_parse(void)
{
	static const char *const good[] = {
	    "10.0.0.0/8",          "::1/128",       "192.0.2.1",
	    "2001:db8::1",         "0.0.0.0/0",     "::/0",
	    "10.1.2.3/8",          "2001:db8::/32", "192.0.2.0/032",
	    "::ffff:10.0.0.0/104", "::ffff:0:0/96", "fe80::/10",
	    "255.255.255.255/32",
	};

	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		GError *error = NULL;
		struct al_cidr_list *list = parse_one(good[i], &error);

		g_test_message("network %s", good[i]);
		g_assert_no_error(error);
		g_assert_nonnull(list);
		g_assert_cmpuint(al_cidr_list_length(list), ==, 1);
		al_cidr_list_free(&list);
		g_assert_null(list);
	}
}

static void test_cidr_bad_networks_are_errors_naming_the_entry(void)
{
	static const char *const bad[] = {
	    "",
	    "10.0.0.0/33",
	    "::1/129",
	    "10.0.0.0/",
	    "10.0.0.0/-1",
	    "10.0.0.0/+8",
	    "10.0.0.0/8/8",
	    "10.0.0.0/ 8",
	    "10.0.0.0/0008",
	    "10.0.0.0/8x",
	    "10.0.0/8",
	    "10.0.0.256",
	    " 10.0.0.0/8",
	    "garbage",
	    "/8",
	    "[::1]/128",
	    "IPv6:::1",
	    "::ffff:10.0.0.0/95",
	    "fe80::1%eth0/64",
	    "10.0.0.0/99999999999999999999",
	    "2001:db8::/1281",
	    "000000000000000000000000000000000000000000000000000000000000000000001.2.3.4",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;
		struct al_cidr_list *list = parse_one(bad[i], &error);
		g_autofree char *quoted = g_strdup_printf("'%s' is not an address/prefix", bad[i]);

		g_test_message("network '%s'", bad[i]);
		g_assert_null(list);
		g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
		g_assert_nonnull(strstr(error->message, quoted));
		g_clear_error(&error);
	}
}

static void test_cidr_prefix_too_long_says_the_limit(void)
{
	GError *error = NULL;
	struct al_cidr_list *list = parse_one("10.0.0.0/33", &error);

	g_assert_null(list);
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_assert_cmpstr(error->message, ==,
	                "'10.0.0.0/33' is not an address/prefix (an IPv4 prefix is at most 32)");
	g_clear_error(&error);
	list = parse_one("::/129", &error);
	g_assert_null(list);
	g_assert_nonnull(strstr(error->message, "at most 128"));
	g_clear_error(&error);
}

static void test_cidr_one_bad_entry_fails_the_list(void)
{
	const char *networks[] = {"10.0.0.0/8", "192.168.0.0/16", "10.0.0.0/40", NULL};
	GError *error = NULL;
	struct al_cidr_list *list = al_cidr_list_parse(networks, &error);

	g_assert_null(list);
	g_assert_error(error, AL_ERROR, AL_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "'10.0.0.0/40'"));
	g_clear_error(&error);
}

static void test_cidr_empty_list_matches_nothing(void)
{
	const char *none[] = {NULL};
	GError *error = NULL;
	struct al_cidr_list *list = al_cidr_list_parse(none, &error);

	g_assert_no_error(error);
	g_assert_nonnull(list);
	g_assert_cmpuint(al_cidr_list_length(list), ==, 0);
	g_assert_false(al_cidr_list_contains(list, "127.0.0.1"));
	al_cidr_list_free(&list);

	list = al_cidr_list_parse(NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(al_cidr_list_length(list), ==, 0);
	al_cidr_list_free(&list);

	g_assert_cmpuint(al_cidr_list_length(NULL), ==, 0);
	g_assert_false(al_cidr_list_contains(NULL, "127.0.0.1"));
	al_cidr_list_free(&list); /* already NULL: harmless */
	al_cidr_list_free(NULL);
}

static void test_cidr_list_length_counts_networks(void)
{
	const char *networks[] = {"10.0.0.0/8", "::1", "192.168.0.0/16", NULL};
	struct al_cidr_list *list = al_cidr_list_parse(networks, NULL);

	g_assert_nonnull(list);
	g_assert_cmpuint(al_cidr_list_length(list), ==, 3);
	al_cidr_list_free(&list);
}

static const struct {
	const char *network;
	const char *addr;
	gboolean inside;
} membership[] = {
    /* IPv4, bare and in the forms libmilter and Postfix give */
    {"10.0.0.0/8", "10.1.2.3", TRUE},
    {"10.0.0.0/8", "10.255.255.255", TRUE},
    {"10.0.0.0/8", "11.0.0.1", FALSE},
    {"10.0.0.0/8", "9.255.255.255", FALSE},
    {"10.0.0.0/8", "[10.1.2.3]", TRUE},
    {"192.168.1.0/25", "192.168.1.127", TRUE},
    {"192.168.1.0/25", "192.168.1.128", FALSE},
    {"192.0.2.2/31", "192.0.2.3", TRUE},
    {"192.0.2.2/31", "192.0.2.4", FALSE},
    {"127.0.0.1", "127.0.0.1", TRUE},
    {"127.0.0.1", "127.0.0.2", FALSE},
    {"0.0.0.0/0", "203.0.113.9", TRUE},
    {"0.0.0.0/0", "::1", FALSE},
    /* host bits beyond the prefix are ignored */
    {"10.1.2.3/8", "10.200.0.1", TRUE},
    {"10.1.2.3/8", "11.1.2.3", FALSE},
    /* IPv6 */
    {"::1/128", "::1", TRUE},
    {"::1/128", "[::1]", TRUE},
    {"::1/128", "[IPv6:::1]", TRUE},
    {"::1/128", "IPv6:::1", TRUE},
    {"::1/128", "ipv6:::1", TRUE},
    {"::1/128", "::2", FALSE},
    {"::1/128", "127.0.0.1", FALSE},
    {"2001:db8::/32", "IPv6:2001:db8::1", TRUE},
    {"2001:db8::/32", "[IPv6:2001:db8:ffff::1]", TRUE},
    {"2001:db8::/32", "2001:DB8::abcd", TRUE},
    {"2001:db8::/32", "2001:db9::1", FALSE},
    {"2001:db8:8000::/33", "2001:db8:8000::1", TRUE},
    {"2001:db8:8000::/33", "2001:db8:7fff::1", FALSE},
    {"::/0", "2001:db8::1", TRUE},
    {"::/0", "192.0.2.1", FALSE},
    /* IPv4-mapped client addresses match IPv4 networks, and mapped
     * networks are IPv4 networks */
    {"10.0.0.0/8", "::ffff:10.1.2.3", TRUE},
    {"10.0.0.0/8", "[IPv6:::ffff:10.1.2.3]", TRUE},
    {"10.0.0.0/8", "::ffff:a01:203", TRUE},
    {"10.0.0.0/8", "::ffff:11.1.2.3", FALSE},
    {"10.0.0.0/8", "::10.1.2.3", FALSE},
    {"::ffff:10.0.0.0/104", "10.9.9.9", TRUE},
    {"::ffff:10.0.0.0/104", "::ffff:10.9.9.9", TRUE},
    {"::ffff:10.0.0.0/104", "11.9.9.9", FALSE},
    {"::ffff:0:0/96", "198.51.100.7", TRUE},
    {"::ffff:0:0/96", "2001:db8::1", FALSE},
    /* unparsable client addresses match nothing */
    {"0.0.0.0/0", "", FALSE},
    {"0.0.0.0/0", "[]", FALSE},
    {"0.0.0.0/0", "[10.1.2.3", FALSE},
    {"0.0.0.0/0", "10.1.2.3]", FALSE},
    {"0.0.0.0/0", "10.1.2.3.4", FALSE},
    {"0.0.0.0/0", "localhost", FALSE},
    {"0.0.0.0/0", " 10.1.2.3", FALSE},
    {"0.0.0.0/0", "10.1.2.3/8", FALSE},
    {"0.0.0.0/0", "[[10.1.2.3]]", FALSE},
    {"::/0", "fe80::1%eth0", FALSE},
    {"::/0", "IPv6:", FALSE},
};

static void test_cidr_membership_table(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(membership); i++) {
		struct al_cidr_list *list = parse_one(membership[i].network, NULL);

		g_test_message("%s in %s", membership[i].addr, membership[i].network);
		g_assert_nonnull(list);
		g_assert_cmpint(al_cidr_list_contains(list, membership[i].addr), ==,
		                membership[i].inside);
		al_cidr_list_free(&list);
	}
}

static void test_cidr_any_network_of_the_list_matches(void)
{
	const char *networks[] = {"127.0.0.0/8", "::1/128", "192.168.0.0/16", NULL};
	struct al_cidr_list *list = al_cidr_list_parse(networks, NULL);

	g_assert_true(al_cidr_list_contains(list, "192.168.44.5"));
	g_assert_true(al_cidr_list_contains(list, "[IPv6:::1]"));
	g_assert_true(al_cidr_list_contains(list, "127.0.0.1"));
	g_assert_false(al_cidr_list_contains(list, "172.16.0.1"));
	g_assert_false(al_cidr_list_contains(list, NULL));
	al_cidr_list_free(&list);
}

static void test_cidr_overlong_client_address_matches_nothing(void)
{
	const char *networks[] = {"0.0.0.0/0", "::/0", NULL};
	struct al_cidr_list *list = al_cidr_list_parse(networks, NULL);
	g_autofree char *text = g_strnfill(100000, '1');
	g_autofree char *padded = g_strconcat("[IPv6:", text, "::1]", NULL);

	g_assert_false(al_cidr_list_contains(list, text));
	g_assert_false(al_cidr_list_contains(list, padded));
	al_cidr_list_free(&list);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cidr/valid_networks_parse", test_cidr_valid_networks_parse);
	g_test_add_func("/cidr/bad_networks_are_errors_naming_the_entry",
	                test_cidr_bad_networks_are_errors_naming_the_entry);
	g_test_add_func("/cidr/prefix_too_long_says_the_limit",
	                test_cidr_prefix_too_long_says_the_limit);
	g_test_add_func("/cidr/one_bad_entry_fails_the_list",
	                test_cidr_one_bad_entry_fails_the_list);
	g_test_add_func("/cidr/empty_list_matches_nothing", test_cidr_empty_list_matches_nothing);
	g_test_add_func("/cidr/list_length_counts_networks", test_cidr_list_length_counts_networks);
	g_test_add_func("/cidr/membership_table", test_cidr_membership_table);
	g_test_add_func("/cidr/any_network_of_the_list_matches",
	                test_cidr_any_network_of_the_list_matches);
	g_test_add_func("/cidr/overlong_client_address_matches_nothing",
	                test_cidr_overlong_client_address_matches_nothing);
	return g_test_run();
}
