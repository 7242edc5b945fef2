/*
 * ctl_probe.h - asks a milter whether it answers: a real negotiation on
 * its socket, as an MTA opens each connection.
 */
#ifndef AIRLOCK_CTL_PROBE_H
#define AIRLOCK_CTL_PROBE_H

#include <glib.h>

/*
 * Connects to socket_spec ([milter] socket: "unix:PATH", "local:PATH",
 * "/PATH", "inet:PORT@HOST", "inet6:PORT@HOST"; no HOST: the loopback
 * address), sends SMFIC_OPTNEG (protocol version 6, every action and
 * protocol flag offered) and waits for the filter's SMFIC_OPTNEG reply,
 * then says SMFIC_QUIT. The whole exchange must end within timeout_ms.
 * Returns 0 with the filter's protocol version in version_r, or -1 with
 * error (AL_ERROR_IO) saying what failed.
 */
int ctl_milter_probe(const char *socket_spec, guint timeout_ms, guint32 *version_r, GError **error);

#endif
