/*
 * weblink.c - the signed link to one recipient's quarantine page.
 *
 * SYNOPSIS
 *	token = al_weblink_token(key, address, expires_at)
 *	ok = al_weblink_verify(key, token, now, &address, &why)
 *	url = al_weblink_url(config, key, address, now)
 *
 * DESCRIPTION
 *	The token is base64url(address) "." expires "." base64url(mac),
 *	without padding, so it fits a URL path and a mail line unchanged.
 *	mac is HMAC-SHA256 (GLib's GHmac) over "airlock-link-v1" LF address
 *	LF expires: the prefix keeps it from ever being a release header's
 *	mac. The address is normalised (lower case, no angle brackets or
 *	surrounding spaces) before signing, and a token whose address part
 *	is not in that form is malformed, so one address has one token per
 *	expiry. Verification checks the mac first (OpenSSL's CRYPTO_memcmp,
 *	constant time), then the expiry: an altered token is "altered" even
 *	when it is also old.
 */
#include "airlock/weblink.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define LINK_CONTEXT "airlock-link-v1"
#define MAC_BYTES    32
#define MAX_ADDRESS  320 /* RFC 5321: 64 + 1 + 255, with room */

/* The address as signed (transfer full), or NULL when it is not one
 * plausible envelope address: local@domain, printable, no list. */
static char *normalise_address(const char *address)
{
	g_autofree char *copy = NULL;
	char *s;
	const char *at;
	gsize len;

	if (address == NULL)
		return NULL;
	copy = g_strstrip(g_strdup(address));
	s = copy;
	len = strlen(s);
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s[len - 1] = '\0';
		s++;
	}
	len = strlen(s);
	if (len == 0 || len > MAX_ADDRESS || !g_utf8_validate(s, -1, NULL))
		return NULL;
	for (const char *p = s; *p != '\0'; p++)
		if ((guchar)*p <= 0x20 || *p == 0x7f || strchr(",<>\"();:\\[]", *p) != NULL)
			return NULL;
	at = strrchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || strchr(s, '@') != at)
		return NULL;
	return g_utf8_strdown(s, -1);
}

static char *base64url_encode(const guchar *data, gsize len)
{
	char *text = g_base64_encode(data, len);
	char *end = text + strlen(text);

	for (char *p = text; *p != '\0'; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	while (end > text && end[-1] == '=')
		*--end = '\0';
	return text;
}

/* The bytes of an unpadded base64url text (transfer full), or NULL when
 * it is not exactly that (other characters, padding, a bad length, or
 * not the canonical encoding of what it decodes to). */
static guchar *base64url_decode(const char *text, gsize *len_r)
{
	gsize len = strlen(text);
	g_autofree char *padded = NULL;
	g_autofree char *again = NULL;
	guchar *data;

	if (len == 0 || len % 4 == 1)
		return NULL;
	for (const char *p = text; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return NULL;
	padded = g_strnfill(len + (4 - len % 4) % 4, '=');
	memcpy(padded, text, len);
	for (char *p = padded; *p != '\0'; p++)
		if (*p == '-')
			*p = '+';
		else if (*p == '_')
			*p = '/';
	data = g_base64_decode(padded, len_r);
	again = base64url_encode(data, *len_r);
	if (strcmp(again, text) != 0) {
		g_free(data);
		return NULL;
	}
	return data;
}

static void link_mac(const struct al_release_key *key, const char *address, gint64 expires_at,
		     guint8 mac_r[MAC_BYTES])
{
	g_autofree char *text =
	    g_strdup_printf(LINK_CONTEXT "\n%s\n%" G_GINT64_FORMAT, address, expires_at);
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, key->bytes, sizeof(key->bytes));
	gsize len = MAC_BYTES;

	g_hmac_update(hmac, (const guchar *)text, strlen(text));
	g_hmac_get_digest(hmac, mac_r, &len);
	g_hmac_unref(hmac);
}

char *al_weblink_token(const struct al_release_key *key, const char *address, gint64 expires_at)
{
	g_autofree char *normal = normalise_address(address);
	g_autofree char *encoded = NULL;
	g_autofree char *mac_text = NULL;
	guint8 mac[MAC_BYTES];

	if (normal == NULL || expires_at < 0)
		return NULL;
	link_mac(key, normal, expires_at, mac);
	encoded = base64url_encode((const guchar *)normal, strlen(normal));
	mac_text = base64url_encode(mac, sizeof(mac));
	return g_strdup_printf("%s.%" G_GINT64_FORMAT ".%s", encoded, expires_at, mac_text);
}

static gboolean refuse(char **why_r, const char *why)
{
	if (why_r != NULL)
		*why_r = g_strdup(why);
	return FALSE;
}

/* expires as written: digits only, no sign, no leading zero. */
static gboolean parse_expires(const char *text, gint64 *expires_r)
{
	guint64 value;

	if (text[0] == '\0' || (text[0] == '0' && text[1] != '\0') || strlen(text) > 18)
		return FALSE;
	for (const char *p = text; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p))
			return FALSE;
	value = g_ascii_strtoull(text, NULL, 10);
	*expires_r = (gint64)value;
	return TRUE;
}

gboolean al_weblink_verify(const struct al_release_key *key, const char *token, gint64 now,
			   char **address_r, char **why_r)
{
	g_auto(GStrv) parts = NULL;
	g_autofree guchar *address = NULL;
	g_autofree guchar *mac = NULL;
	g_autofree char *normal = NULL;
	guint8 expected[MAC_BYTES];
	gsize address_len = 0, mac_len = 0;
	gint64 expires;

	if (address_r != NULL)
		*address_r = NULL;
	if (why_r != NULL)
		*why_r = NULL;
	if (token == NULL || strlen(token) > 2 * MAX_ADDRESS)
		return refuse(why_r, "malformed");
	parts = g_strsplit(token, ".", 4);
	if (g_strv_length(parts) != 3 || !parse_expires(parts[1], &expires))
		return refuse(why_r, "malformed");
	address = base64url_decode(parts[0], &address_len);
	mac = base64url_decode(parts[2], &mac_len);
	if (address == NULL || mac == NULL || mac_len != MAC_BYTES ||
	    memchr(address, '\0', address_len) != NULL)
		return refuse(why_r, "malformed");
	address = g_realloc(g_steal_pointer(&address), address_len + 1);
	address[address_len] = '\0';
	normal = normalise_address((const char *)address);
	if (normal == NULL || strcmp(normal, (const char *)address) != 0)
		return refuse(why_r, "malformed");
	link_mac(key, normal, expires, expected);
	if (CRYPTO_memcmp(expected, mac, MAC_BYTES) != 0)
		return refuse(why_r, "altered");
	if (now >= expires)
		return refuse(why_r, "expired");
	if (address_r != NULL)
		*address_r = g_steal_pointer(&normal);
	return TRUE;
}

char *al_weblink_url(const struct al_config *config, const struct al_release_key *key,
		     const char *address, gint64 now)
{
	g_autofree char *token =
	    al_weblink_token(key, address, now + (gint64)config->web_link_days * 86400);
	g_autofree char *base = NULL;
	gsize len;

	if (token == NULL)
		return NULL;
	base = g_strdup(config->web_public_url != NULL ? config->web_public_url : "");
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	return g_strdup_printf("%s/r/%s", base, token);
}
