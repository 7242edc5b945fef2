/*
 * cidr.c - IPv4 and IPv6 networks in CIDR notation, and membership tests.
 *
 * SYNOPSIS
 *	struct al_cidr_list *list = al_cidr_list_parse(networks, &error);
 *	if (al_cidr_list_contains(list, "[IPv6:2001:db8::1]")) ...
 *	al_cidr_list_free(&list);
 *
 * DESCRIPTION
 *	A network is an address family, the address bytes (4 or 16) and a
 *	prefix length. Parsing is strict: an address that inet_pton(3)
 *	accepts, optionally followed by "/" and a decimal prefix no longer
 *	than the address (32 or 128 bits). A bare address is a /32 or /128.
 *	Host bits beyond the prefix are cleared rather than refused
 *	("10.1.2.3/8" is 10.0.0.0/8), as admins expect from other mail
 *	software.
 *
 *	IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are stored and compared
 *	as IPv4, both in networks (a mapped network with a prefix of at
 *	least 96 becomes the IPv4 network of prefix - 96) and in client
 *	addresses, so a dual-stack socket's "::ffff:10.1.2.3" lies in
 *	10.0.0.0/8.
 *
 *	Client addresses are taken as libmilter and Postfix write them:
 *	"192.0.2.1", "[192.0.2.1]", "IPv6:2001:db8::1", "[IPv6:::1]",
 *	"::ffff:10.1.2.3". Anything else (a zone index, a host name, an
 *	over-long string) matches nothing.
 *
 * ERRORS
 *	al_cidr_list_parse() fails with AL_ERROR_CONFIG and a message
 *	quoting the first bad entry: "'10.0.0.0/33' is not an address/prefix
 *	(an IPv4 prefix is at most 32)".
 */
#include "airlock/cidr.h"

#include "airlock/common.h"

#include <arpa/inet.h>
#include <string.h>

/* Longest text an address can take, with some room for "[IPv6:" "]". */
#define ADDR_TEXT_MAX 64

struct net {
	int family;        /* AF_INET or AF_INET6 */
	guint8 addr[16];   /* 4 bytes used for AF_INET; host bits cleared */
	guint prefix_bits; /* 0..32 or 0..128 */
};

struct al_cidr_list {
	guint length;
	struct net nets[];
};

static const guint8 v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static guint family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* An IPv4-mapped IPv6 address becomes the IPv4 address it carries; the
 * prefix (when given) shrinks by the 96 bits of the mapping. Returns FALSE
 * for a mapped network whose prefix reaches into the mapping itself. */
static gboolean unmap_v4(struct net *n)
{
	if (n->family != AF_INET6 || memcmp(n->addr, v4_mapped_prefix, 12) != 0)
		return TRUE;
	if (n->prefix_bits < 96)
		return FALSE;
	memmove(n->addr, n->addr + 12, 4);
	memset(n->addr + 4, 0, 12);
	n->family = AF_INET;
	n->prefix_bits -= 96;
	return TRUE;
}

/* Parses a bare textual address (no brackets, no prefix) into n with a
 * full-length prefix. */
static gboolean parse_address(const char *text, struct net *n)
{
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, text, n->addr) == 1) {
		n->family = AF_INET;
	} else if (inet_pton(AF_INET6, text, n->addr) == 1) {
		n->family = AF_INET6;
	} else {
		return FALSE;
	}
	n->prefix_bits = family_bits(n->family);
	return TRUE;
}

static void clear_host_bits(struct net *n)
{
	guint bytes = family_bits(n->family) / 8;

	for (guint i = 0; i < bytes; i++) {
		guint first_bit = i * 8;

		if (first_bit >= n->prefix_bits)
			n->addr[i] = 0;
		else if (first_bit + 8 > n->prefix_bits)
			n->addr[i] &= (guint8)(0xff << (8 - (n->prefix_bits - first_bit)));
	}
}

/* Parses "ADDRESS[/PREFIX]" into n, or explains in why_r what is wrong
 * (a static string, "" when the text is simply not an address). */
static gboolean parse_network(const char *entry, struct net *n, const char **why_r)
{
	char address[ADDR_TEXT_MAX];
	const char *slash = strchr(entry, '/');
	gsize address_len = slash != NULL ? (gsize)(slash - entry) : strlen(entry);
	guint64 prefix;

	*why_r = "";
	if (address_len == 0 || address_len >= sizeof(address))
		return FALSE;
	memcpy(address, entry, address_len);
	address[address_len] = '\0';
	if (!parse_address(address, n))
		return FALSE;
	if (slash != NULL) {
		if (!g_ascii_isdigit(slash[1]) || strlen(slash + 1) > 3 ||
		    !g_ascii_string_to_unsigned(slash + 1, 10, 0, G_MAXUINT, &prefix, NULL)) {
			*why_r = " (the prefix is a number of bits)";
			return FALSE;
		}
		if (prefix > family_bits(n->family)) {
			*why_r = n->family == AF_INET ? " (an IPv4 prefix is at most 32)"
			                              : " (an IPv6 prefix is at most 128)";
			return FALSE;
		}
		n->prefix_bits = (guint)prefix;
	}
	if (!unmap_v4(n)) {
		*why_r = " (an IPv4-mapped prefix is at least 96)";
		return FALSE;
	}
	clear_host_bits(n);
	return TRUE;
}

struct al_cidr_list *al_cidr_list_parse(const char *const *networks, GError **error)
{
	guint count = networks != NULL ? g_strv_length((char **)networks) : 0;
	struct al_cidr_list *list = g_malloc0(sizeof(*list) + count * sizeof(list->nets[0]));

	for (guint i = 0; i < count; i++) {
		const char *why = "";

		if (!parse_network(networks[i], &list->nets[i], &why)) {
			g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			            "'%s' is not an address/prefix%s", networks[i], why);
			al_cidr_list_free(&list);
			return NULL;
		}
		list->length++;
	}
	return list;
}

void al_cidr_list_free(struct al_cidr_list **list)
{
	if (list == NULL)
		return;
	g_free(*list);
	*list = NULL;
}

/* Reads a client address as libmilter or Postfix gives it: optional
 * brackets around it, an optional "IPv6:" tag inside. */
static gboolean parse_client_address(const char *addr, struct net *n)
{
	char text[ADDR_TEXT_MAX];
	gsize len = strlen(addr);
	const char *start = addr;

	if (len >= sizeof(text))
		return FALSE;
	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		start++;
		len -= 2;
	}
	if (len >= 5 && g_ascii_strncasecmp(start, "IPv6:", 5) == 0) {
		start += 5;
		len -= 5;
	}
	memcpy(text, start, len);
	text[len] = '\0';
	if (!parse_address(text, n))
		return FALSE;
	return unmap_v4(n);
}

static gboolean net_contains(const struct net *net, const struct net *host)
{
	guint whole_bytes = net->prefix_bits / 8;
	guint rest_bits = net->prefix_bits % 8;

	if (net->family != host->family)
		return FALSE;
	if (memcmp(net->addr, host->addr, whole_bytes) != 0)
		return FALSE;
	if (rest_bits == 0)
		return TRUE;
	return (host->addr[whole_bytes] & (guint8)(0xff << (8 - rest_bits))) ==
	       net->addr[whole_bytes];
}

gboolean al_cidr_list_contains(const struct al_cidr_list *list, const char *addr)
{
	struct net host;

	if (list == NULL || addr == NULL || !parse_client_address(addr, &host))
		return FALSE;
	for (guint i = 0; i < list->length; i++)
		if (net_contains(&list->nets[i], &host))
			return TRUE;
	return FALSE;
}

guint al_cidr_list_length(const struct al_cidr_list *list)
{
	return list != NULL ? list->length : 0;
}
