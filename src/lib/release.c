/*
 * release.c - sign and verify X-Airlock-Release headers (see release.h).
 *
 * The digest is computed in one streaming pass over the raw message so a
 * 50 MB release costs no memory: a small state machine unfolds the
 * selected headers and canonicalises body lines on the fly.
 */
#include "airlock/release.h"

#include "airlock/common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <unistd.h>

#define MAX_HEADER_BLOCK_BYTES (1024 * 1024)
#define CLOCK_SKEW_SECONDS 300
#define NONCE_BYTES 16

static const char *const signed_headers[] = { "from", "to", "cc", "subject", NULL };

/* --- key ----------------------------------------------------------------- */

static int fill_random(guint8 *buf, gsize len, GError **error)
{
	gsize done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, AL_ERROR, AL_ERROR_IO, "getrandom: %s", g_strerror(errno));
			return -1;
		}
		done += (gsize)n;
	}
	return 0;
}

static int create_key(const char *path, struct al_release_key *key_r, GError **error)
{
	int fd;
	ssize_t n;

	if (fill_random(key_r->bytes, sizeof(key_r->bytes), error) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot create release key %s: %s", path,
			    g_strerror(errno));
		return -1;
	}
	n = write(fd, key_r->bytes, sizeof(key_r->bytes));
	if (n != (ssize_t)sizeof(key_r->bytes) || fsync(fd) < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot write release key %s: %s", path,
			    n < 0 ? g_strerror(errno) : "short write");
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd) == 0 ? 0 : -1;
}

int al_release_key_load(const char *path, gboolean create, struct al_release_key *key_r,
			GError **error)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ENOENT && create)
		return create_key(path, key_r, error);
	if (fd < 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot read release key %s: %s", path,
			    g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & 077) != 0 ||
	    st.st_size != (off_t)sizeof(key_r->bytes)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO,
			    "release key %s must be %d bytes readable only by its owner (chmod 600)",
			    path, AL_RELEASE_KEY_BYTES);
		close(fd);
		return -1;
	}
	n = read(fd, key_r->bytes, sizeof(key_r->bytes));
	close(fd);
	if (n != (ssize_t)sizeof(key_r->bytes)) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot read release key %s", path);
		return -1;
	}
	return 0;
}

/* --- digest -------------------------------------------------------------- */

struct digest_state {
	GChecksum *sum;
	gboolean in_body;
	GString *header;	/* the current (possibly folded) header */
	gboolean at_line_start;
	GString *pending_space; /* body: white space not yet known to be trailing */
	guint pending_newlines;
	gboolean pending_cr;
};

static gboolean is_signed(const char *name, gsize len)
{
	for (const char *const *h = signed_headers; *h != NULL; h++)
		if (strlen(*h) == len && g_ascii_strncasecmp(*h, name, len) == 0)
			return TRUE;
	return FALSE;
}

/* Feeds one complete header: "name:" + canonical value + LF. */
static void finish_header(struct digest_state *s)
{
	const char *text = s->header->str;
	const char *colon = strchr(text, ':');
	GString *canon;
	gboolean space = FALSE;

	if (colon == NULL || !is_signed(text, colon - text)) {
		g_string_truncate(s->header, 0);
		return;
	}
	canon = g_string_new(NULL);
	for (const char *p = text; p < colon; p++)
		g_string_append_c(canon, g_ascii_tolower(*p));
	g_string_append_c(canon, ':');
	for (const char *p = colon + 1; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = TRUE;
			continue;
		}
		if (space && canon->str[canon->len - 1] != ':')
			g_string_append_c(canon, ' ');
		space = FALSE;
		g_string_append_c(canon, *p);
	}
	g_string_append_c(canon, '\n');
	g_checksum_update(s->sum, (const guchar *)canon->str, canon->len);
	g_string_free(canon, TRUE);
	g_string_truncate(s->header, 0);
}

/* One header-block byte (CRs ignored). A line that does not start with
 * white space ends the previous header; an empty line ends the block.
 * A header longer than the cap is truncated, never grown without bound. */
static void header_byte(struct digest_state *s, char c)
{
	if (c == '\r')
		return;
	if (s->at_line_start) {
		if (c == '\n') {
			if (s->header->len > 0)
				finish_header(s);
			s->in_body = TRUE;
			return;
		}
		if (c != ' ' && c != '\t' && s->header->len > 0)
			finish_header(s);
	}
	s->at_line_start = c == '\n';
	if (s->header->len < MAX_HEADER_BLOCK_BYTES)
		g_string_append_c(s->header, c == '\n' ? ' ' : c);
}

/* One logical body character: LF ends a line, trailing blanks and
 * trailing empty lines are held back until content follows them. */
static void body_char(struct digest_state *s, char c)
{
	if (c == '\n') {
		g_string_truncate(s->pending_space, 0);
		s->pending_newlines++;
		return;
	}
	if (c == ' ' || c == '\t') {
		g_string_append_c(s->pending_space, c);
		return;
	}
	for (; s->pending_newlines > 0; s->pending_newlines--)
		g_checksum_update(s->sum, (const guchar *)"\n", 1);
	g_checksum_update(s->sum, (const guchar *)s->pending_space->str, s->pending_space->len);
	g_string_truncate(s->pending_space, 0);
	g_checksum_update(s->sum, (const guchar *)&c, 1);
}

/* CRLF is a line end; a lone CR is content. */
static void body_byte(struct digest_state *s, char c)
{
	if (s->pending_cr) {
		s->pending_cr = FALSE;
		if (c == '\n') {
			body_char(s, '\n');
			return;
		}
		body_char(s, '\r');
	}
	if (c == '\r') {
		s->pending_cr = TRUE;
		return;
	}
	body_char(s, c);
}

int al_release_digest(GMimeStream *stream, char digest_r[65], GError **error)
{
	struct digest_state s = {
		.sum = g_checksum_new(G_CHECKSUM_SHA256),
		.header = g_string_new(NULL),
		.pending_space = g_string_new(NULL),
		.at_line_start = TRUE,
	};
	char buf[16384];
	gssize n;
	int rc = -1;

	if (g_mime_stream_reset(stream) < 0)
		goto out;
	while ((n = g_mime_stream_read(stream, buf, sizeof(buf))) > 0)
		for (gssize i = 0; i < n; i++) {
			if (s.in_body)
				body_byte(&s, buf[i]);
			else
				header_byte(&s, buf[i]);
		}
	if (n < 0)
		goto out;
	if (!s.in_body && s.header->len > 0)
		finish_header(&s);
	g_strlcpy(digest_r, g_checksum_get_string(s.sum), 65);
	rc = 0;
out:
	if (rc < 0)
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot read the message to sign or verify");
	g_checksum_free(s.sum);
	g_string_free(s.header, TRUE);
	g_string_free(s.pending_space, TRUE);
	return rc;
}

/* --- sign and verify ----------------------------------------------------- */

static char *compute_mac(const struct al_release_key *key, const char *id, gint64 t,
			 const char *nonce, const char *digest)
{
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA256, key->bytes, sizeof(key->bytes));
	g_autofree char *text = g_strdup_printf(
		"airlock-release-v1\n%s\n%" G_GINT64_FORMAT "\n%s\n%s", id, t, nonce, digest);
	char *mac;

	g_hmac_update(hmac, (const guchar *)text, strlen(text));
	mac = g_strdup(g_hmac_get_string(hmac));
	g_hmac_unref(hmac);
	return mac;
}

/* A fresh nonce, hex: unique, not secret (GLib's generator stands in
 * should the kernel's fail). */
static char *new_nonce(void)
{
	guint8 bytes[NONCE_BYTES];
	GString *hex = g_string_sized_new(2 * NONCE_BYTES);

	if (fill_random(bytes, sizeof(bytes), NULL) < 0)
		for (gsize i = 0; i < sizeof(bytes); i++)
			bytes[i] = (guint8)g_random_int_range(0, 256);
	for (gsize i = 0; i < sizeof(bytes); i++)
		g_string_append_printf(hex, "%02x", bytes[i]);
	return g_string_free(hex, FALSE);
}

char *al_release_sign(const struct al_release_key *key, const char *id, gint64 t,
		      const char *digest)
{
	g_autofree char *nonce = new_nonce();
	g_autofree char *mac = compute_mac(key, id, t, nonce, digest);

	return g_strdup_printf("v=1; id=%s; t=%" G_GINT64_FORMAT "; n=%s; mac=%s", id, t, nonce,
			       mac);
}

/* Constant-time comparison of two equal-length strings. */
static gboolean same_secret(const char *a, const char *b)
{
	gsize len = strlen(a);
	unsigned char diff = 0;

	if (strlen(b) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

struct release_fields {
	char *version, *id, *t, *nonce, *mac;
};

static void fields_clear(struct release_fields *f)
{
	g_free(f->version);
	g_free(f->id);
	g_free(f->t);
	g_free(f->nonce);
	g_free(f->mac);
}

static gboolean parse_fields(const char *value, struct release_fields *f)
{
	g_auto(GStrv) parts = g_strsplit(value, ";", 8);

	for (char **p = parts; *p != NULL; p++) {
		char *eq = strchr(g_strstrip(*p), '=');
		char **slot;

		if (eq == NULL && **p == '\0')
			continue;
		if (eq == NULL)
			return FALSE;
		*eq = '\0';
		slot = strcmp(*p, "v") == 0	? &f->version
		       : strcmp(*p, "id") == 0	? &f->id
		       : strcmp(*p, "t") == 0	? &f->t
		       : strcmp(*p, "n") == 0	? &f->nonce
		       : strcmp(*p, "mac") == 0 ? &f->mac
						: NULL;
		if (slot == NULL || *slot != NULL)
			return FALSE;
		*slot = g_strdup(g_strstrip(eq + 1));
	}
	return f->version != NULL && f->id != NULL && f->t != NULL && f->nonce != NULL &&
	       f->mac != NULL;
}

static gboolean fail_with(char **why_r, const char *why)
{
	if (why_r != NULL)
		*why_r = g_strdup(why);
	return FALSE;
}

gboolean al_release_verify(const struct al_release_key *key, const char *value,
			   const char *digest, gint64 now, gint64 max_age_seconds, char **id_r,
			   char **why_r)
{
	struct release_fields f = { 0 };
	g_autofree char *mac = NULL;
	gboolean ok = FALSE;
	char *end = NULL;
	gint64 t;

	if (value == NULL || !parse_fields(value, &f) || strcmp(f.version, "1") != 0) {
		fail_with(why_r, "malformed release header");
		goto out;
	}
	t = g_ascii_strtoll(f.t, &end, 10);
	if (end == f.t || *end != '\0') {
		fail_with(why_r, "malformed release time");
		goto out;
	}
	if (t < now - max_age_seconds || t > now + CLOCK_SKEW_SECONDS) {
		fail_with(why_r, "release header expired or from the future");
		goto out;
	}
	mac = compute_mac(key, f.id, t, f.nonce, digest);
	if (!same_secret(mac, f.mac)) {
		fail_with(why_r, "release signature does not match this message");
		goto out;
	}
	if (id_r != NULL)
		*id_r = g_strdup(f.id);
	ok = TRUE;
out:
	fields_clear(&f);
	return ok;
}
