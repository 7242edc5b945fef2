/*
 * store_id.c - quarantine ids.
 *
 * DESCRIPTION
 *	48 bits of milliseconds then 80 bits from getrandom(), in 26
 *	Crockford base32 characters (the first holds only 3 bits, hence
 *	'0'..'7'). Should the kernel give no randomness at all (getrandom()
 *	and /dev/urandom both failing), GLib's generator fills the gap:
 *	ids then stay unique (the store refuses a duplicate id and never
 *	replaces a file) but are guessable, which grants nothing, as every
 *	use of an id needs the admin's rights.
 */
#include "store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int read_urandom(guint8 *buffer, gsize length)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	gsize done = 0;

	if (fd < 0)
		return -1;
	while (done < length) {
		ssize_t n = read(fd, buffer + done, length - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (gsize)n;
	}
	if (close(fd) < 0 && errno != EINTR)
		return -1;
	return done == length ? 0 : -1;
}

static void fill_random(guint8 *buffer, gsize length)
{
	gsize done = 0;

	/* Blocking getrandom() waits only until the pool is first seeded. */
	while (done < length) {
		ssize_t n = getrandom(buffer + done, length - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (gsize)n;
	}
	if (done == length || read_urandom(buffer + done, length - done) == 0)
		return;
	for (; done < length; done++)
		buffer[done] = (guint8)g_random_int_range(0, 256);
}

/* 26 characters hold 130 bits: two zero bits, then the 128 of bytes. */
static void encode_id(const guint8 bytes[16], char id_r[AL_STORE_ID_LEN + 1])
{
	for (int c = 0; c < AL_STORE_ID_LEN; c++) {
		guint value = 0;

		for (int b = 0; b < 5; b++) {
			int bit = c * 5 + b - 2;

			value <<= 1;
			if (bit >= 0)
				value |= (bytes[bit / 8] >> (7 - bit % 8)) & 1u;
		}
		id_r[c] = crockford[value];
	}
	id_r[AL_STORE_ID_LEN] = '\0';
}

void al_store_new_id(char id_r[AL_STORE_ID_LEN + 1])
{
	guint64 ms = (guint64)(g_get_real_time() / 1000);
	guint8 bytes[16];

	for (int i = 0; i < 6; i++)
		bytes[i] = (guint8)(ms >> (40 - 8 * i));
	fill_random(bytes + 6, 10);
	encode_id(bytes, id_r);
}

gboolean al_store_parse_id(const char *text, char id_r[AL_STORE_ID_LEN + 1])
{
	gsize count = 0;

	id_r[0] = '\0';
	if (text == NULL)
		return FALSE;
	for (const char *p = text; *p != '\0'; p++) {
		char c = g_ascii_toupper(*p);

		if (c == '-' || c == ' ')
			continue;
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (strchr(crockford, c) == NULL || count == AL_STORE_ID_LEN) {
			id_r[0] = '\0';
			return FALSE;
		}
		id_r[count++] = c;
	}
	id_r[count] = '\0';
	if (count != AL_STORE_ID_LEN || id_r[0] > '7') {
		id_r[0] = '\0';
		return FALSE;
	}
	return TRUE;
}

gboolean al_store_is_canonical_id(const char *id)
{
	char canonical[AL_STORE_ID_LEN + 1];

	return al_store_parse_id(id, canonical) && strcmp(canonical, id) == 0;
}

/* Parses an id typed by a user; a bad one is simply not found. */
int al_store_user_id(const char *text, char id_r[AL_STORE_ID_LEN + 1], GError **error)
{
	if (al_store_parse_id(text, id_r))
		return 0;
	g_set_error(error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND, "'%s' is not a quarantine id",
		    text != NULL ? text : "");
	return -1;
}
