/*
 * release.h - the signed X-Airlock-Release header that lets a message
 * released by the admin through the milter once.
 *
 *   X-Airlock-Release: v=1; id=QUARANTINE_ID; t=UNIX_SECONDS; n=NONCE; mac=HEX
 *
 * mac = HMAC-SHA256(key, "airlock-release-v1" LF id LF t LF n LF digest)
 * where n is 16 random bytes in hex, new for every signature (two
 * releases of one message in the same second still differ, and the
 * milter lets each header through once), and digest is the SHA-256 of
 * the message's canonical content: the From, To, Cc and Subject headers
 * (Date and Message-ID are left out: an MTA adds them when missing)
 * (names lower-cased, values
 * unfolded, runs of white space made one space, trimmed) and the body
 * (line ends made LF, trailing white space of each line and trailing
 * empty lines removed). Mail transport changes (line endings, added
 * Received headers) keep the digest; an edited body, subject or address
 * list breaks it. A header older than max_age_seconds (or from the
 * future by more than five minutes) does not verify.
 *
 * The key is 32 random bytes in a file readable only by root and the
 * daemon's user (0600). al_release_key_load() creates it when asked.
 */
#ifndef AIRLOCK_RELEASE_H
#define AIRLOCK_RELEASE_H

#include <glib.h>
#include <gmime/gmime.h>

#define AL_RELEASE_HEADER "X-Airlock-Release"
#define AL_RELEASE_KEY_BYTES 32
#define AL_RELEASE_MAX_AGE_SECONDS 3600

struct al_release_key {
	guint8 bytes[AL_RELEASE_KEY_BYTES];
};

/* Loads the key from path; with create, makes a new one (0600) when the
 * file does not exist. A key file readable by group or others, or of the
 * wrong size, is an error. */
int al_release_key_load(const char *path, gboolean create, struct al_release_key *key_r,
			GError **error);

/* The canonical digest of the message in stream (read from its start;
 * X-Airlock-Release headers are ignored). Hex, 64 chars + NUL. */
int al_release_digest(GMimeStream *stream, char digest_r[65], GError **error);

/* The header value for id at time t (transfer full). */
char *al_release_sign(const struct al_release_key *key, const char *id, gint64 t,
		      const char *digest);

/* TRUE when value is a well-formed header for this digest, signed with
 * key no more than max_age_seconds before now. id_r (optional) receives
 * the quarantine id it names (transfer full). why_r (optional) says why
 * not (transfer full). */
gboolean al_release_verify(const struct al_release_key *key, const char *value,
			   const char *digest, gint64 now, gint64 max_age_seconds, char **id_r,
			   char **why_r);

#endif
