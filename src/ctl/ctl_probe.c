/*
 * ctl_probe.c - the MTA's first words to a milter, to see that it
 * answers (see ctl_probe.h).
 *
 * PROTOCOL
 *	Every packet is a 4-byte big-endian length (of what follows), a
 *	command byte, then its data. SMFIC_OPTNEG ('O') carries three
 *	32-bit big-endian numbers: the protocol version (6, what Postfix
 *	and sendmail speak), the actions the MTA allows and the protocol
 *	steps it can skip. libmilter refuses an MTA that does not allow
 *	every action the filter registered, so all are offered. The filter
 *	answers with its own SMFIC_OPTNEG; SMFIC_QUIT ('Q') then closes
 *	the session without a message (the daemon counts nothing).
 *
 *	A pid that is alive says little (a hung daemon, a recycled pid);
 *	a negotiation proves that libmilter accepts connections and that
 *	a worker thread answers.
 */
#include "ctl_probe.h"

#include "airlock/common.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SMFIC_OPTNEG       'O'
#define SMFIC_QUIT         'Q'
#define MILTER_VERSION     6
#define ALL_ACTIONS        0x1FFu
#define ALL_PROTOCOL_STEPS 0x1FFFFFu
#define MAX_REPLY_BYTES    65536
#define OPTNEG_DATA_BYTES  12

struct probe {
	const char *spec;
	int fd;
	gint64 deadline_us; /* monotonic */
};

static int probe_error(GError **error, const struct probe *p, const char *what, int errsv)
{
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: %s%s%s", p->spec, what,
		    errsv != 0 ? ": " : "", errsv != 0 ? g_strerror(errsv) : "");
	return -1;
}

/* Waits for events on the socket until the deadline; 0 or -1 (errno
 * ETIMEDOUT). */
static int wait_for(const struct probe *p, short events)
{
	struct pollfd pfd = {.fd = p->fd, .events = events};

	for (;;) {
		gint64 left_ms = (p->deadline_us - g_get_monotonic_time()) / 1000;
		int n;

		if (left_ms <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)MIN(left_ms, G_MAXINT));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int connect_to(struct probe *p, const struct sockaddr *addr, socklen_t length)
{
	int soerr = 0;
	socklen_t soerr_len = sizeof(soerr);

	p->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->fd < 0)
		return -1;
	if (connect(p->fd, addr, length) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (wait_for(p, POLLOUT) < 0)
		return -1;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) < 0)
		return -1;
	errno = soerr;
	return soerr == 0 ? 0 : -1;
}

static int connect_unix(struct probe *p, const char *path, GError **error)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(addr.sun_path))
		return probe_error(error, p, "socket path too long", 0);
	g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
	if (connect_to(p, (const struct sockaddr *)&addr, sizeof(addr)) < 0)
		return probe_error(error, p, "cannot connect", errno);
	return 0;
}

/* "PORT@HOST" or "PORT" for family AF_INET or AF_INET6. */
static int connect_inet(struct probe *p, const char *where, int family, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(where, "@", 2);
	const char *host = parts[0] != NULL && parts[1] != NULL ? parts[1] : NULL;
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM};
	struct addrinfo *found = NULL;
	int rc;

	if (host == NULL || host[0] == '\0')
		host = family == AF_INET6 ? "::1" : "127.0.0.1";
	if (parts[0] == NULL || parts[0][0] == '\0')
		return probe_error(error, p, "no port in the socket address", 0);
	rc = getaddrinfo(host, parts[0], &hints, &found);
	if (rc != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: cannot resolve %s: %s", p->spec,
			    host, gai_strerror(rc));
		return -1;
	}
	rc = connect_to(p, found->ai_addr, found->ai_addrlen);
	freeaddrinfo(found);
	if (rc < 0)
		return probe_error(error, p, "cannot connect", errno);
	return 0;
}

static int connect_spec(struct probe *p, GError **error)
{
	const char *s = p->spec;

	if (g_str_has_prefix(s, "unix:"))
		return connect_unix(p, s + 5, error);
	if (g_str_has_prefix(s, "local:"))
		return connect_unix(p, s + 6, error);
	if (s[0] == '/')
		return connect_unix(p, s, error);
	if (g_str_has_prefix(s, "inet:"))
		return connect_inet(p, s + 5, AF_INET, error);
	if (g_str_has_prefix(s, "inet6:"))
		return connect_inet(p, s + 6, AF_INET6, error);
	return probe_error(error, p, "not a milter socket address (unix:PATH or inet:PORT@HOST)",
			   0);
}

static int send_all(const struct probe *p, const guint8 *data, gsize length)
{
	while (length > 0) {
		ssize_t n = send(p->fd, data, length, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(p, POLLOUT) < 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		data += n;
		length -= (gsize)n;
	}
	return 0;
}

/* Reads exactly length bytes; errno 0 when the peer closed first. */
static int recv_all(const struct probe *p, guint8 *data, gsize length)
{
	while (length > 0) {
		ssize_t n = recv(p->fd, data, length, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(p, POLLIN) < 0)
				return -1;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		data += n;
		length -= (gsize)n;
	}
	return 0;
}

static void put32(guint8 *out, guint32 value)
{
	out[0] = (guint8)(value >> 24);
	out[1] = (guint8)(value >> 16);
	out[2] = (guint8)(value >> 8);
	out[3] = (guint8)value;
}

static guint32 get32(const guint8 *in)
{
	return (guint32)in[0] << 24 | (guint32)in[1] << 16 | (guint32)in[2] << 8 | in[3];
}

static int send_command(const struct probe *p, char command, const guint8 *data, gsize length)
{
	guint8 head[5];

	put32(head, (guint32)(length + 1));
	head[4] = (guint8)command;
	if (send_all(p, head, sizeof(head)) < 0)
		return -1;
	return length > 0 ? send_all(p, data, length) : 0;
}

static int read_reply(const struct probe *p, guint32 *version_r, GError **error)
{
	guint8 head[4];
	g_autofree guint8 *reply = NULL;
	guint32 length;

	if (recv_all(p, head, sizeof(head)) < 0)
		return probe_error(error, p,
				   errno == 0 ? "the milter closed the connection without answering"
					      : "no answer to the milter negotiation",
				   errno);
	length = get32(head);
	if (length < 1 + OPTNEG_DATA_BYTES || length > MAX_REPLY_BYTES)
		return probe_error(error, p, "not a milter negotiation reply", 0);
	reply = g_malloc(length);
	if (recv_all(p, reply, length) < 0)
		return probe_error(error, p, "truncated milter negotiation reply", errno);
	if (reply[0] != SMFIC_OPTNEG)
		return probe_error(error, p, "not a milter negotiation reply", 0);
	*version_r = get32(reply + 1);
	return 0;
}

int ctl_milter_probe(const char *socket_spec, guint timeout_ms, guint32 *version_r, GError **error)
{
	struct probe p = {
	    .spec = socket_spec,
	    .fd = -1,
	    .deadline_us = g_get_monotonic_time() + (gint64)timeout_ms * 1000,
	};
	guint8 optneg[OPTNEG_DATA_BYTES];
	int rc = -1;

	put32(optneg, MILTER_VERSION);
	put32(optneg + 4, ALL_ACTIONS);
	put32(optneg + 8, ALL_PROTOCOL_STEPS);
	if (connect_spec(&p, error) < 0)
		goto out;
	if (send_command(&p, SMFIC_OPTNEG, optneg, sizeof(optneg)) < 0) {
		probe_error(error, &p, "cannot send the milter negotiation", errno);
		goto out;
	}
	if (read_reply(&p, version_r, error) < 0)
		goto out;
	/* The answer is in: a failed goodbye changes nothing. */
	(void)send_command(&p, SMFIC_QUIT, NULL, 0);
	rc = 0;
out:
	if (p.fd >= 0)
		close(p.fd);
	return rc;
}
