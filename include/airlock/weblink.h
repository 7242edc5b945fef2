/*
 * weblink.h - the signed link that opens one recipient's quarantine page
 * in airlock-web, carried by notices and digests (airlockctl link prints
 * one).
 *
 *   PUBLIC_URL/r/TOKEN
 *   TOKEN = base64url(address) "." expires "." base64url(mac)
 *   mac   = HMAC-SHA256(key, "airlock-link-v1" LF address LF expires)
 *
 * address is the recipient's envelope address in lower case, without
 * angle brackets; expires is unix seconds. The key is the release key
 * ([quarantine] release_key), read only by root and the daemons' user;
 * the "airlock-link-v1" prefix keeps a link's mac from ever being a
 * release header's (release.h) and back. A link opens exactly that
 * recipient's page until it expires, and nothing else.
 */
#ifndef AIRLOCK_WEBLINK_H
#define AIRLOCK_WEBLINK_H

#include "airlock/config.h"
#include "airlock/release.h"

#include <glib.h>

/* The token for address, valid until expires_at (transfer full). NULL
 * when address is empty or not one address. */
char *al_weblink_token(const struct al_release_key *key, const char *address,
		       gint64 expires_at);

/* TRUE when token was made with key and has not expired at now;
 * address_r (optional) receives the recipient's address (transfer
 * full). why_r (optional, transfer full) says why not: "altered",
 * "expired", "malformed". Compares the mac in constant time. */
gboolean al_weblink_verify(const struct al_release_key *key, const char *token, gint64 now,
			   char **address_r, char **why_r);

/* The whole link for address made at now: [web] public_url + "/r/" +
 * a token valid for [web] link_days (transfer full); NULL as
 * al_weblink_token(). */
char *al_weblink_url(const struct al_config *config, const struct al_release_key *key,
		     const char *address, gint64 now);

#endif
