/*
 * filter.h - the libmilter callbacks of airlock-milter and the per-
 * connection and per-message state they collect.
 *
 * Callbacks only collect (SMTP context, envelope, headers, body into the
 * spool); the pipeline runs at end of message and act.c applies the
 * verdict. Two contexts, each freed by one function: the connection
 * (connect to close) and the message (MAIL FROM to end of message or
 * abort).
 */
#ifndef AIRLOCK_MILTER_FILTER_H
#define AIRLOCK_MILTER_FILTER_H

#include "runtime.h"

#include "airlock/spool.h"

#include <libmilter/mfapi.h>

struct message_state {
	struct runtime *rt;
	struct al_spool *spool;
	GError *spool_error; /* first spool write failure */
	gboolean too_big;
	char *queue_id;
	char *envelope_from;
	char *auth_user;
	GPtrArray *recipients; /* char*, NULL-terminated */
	guint x_airlock_headers; /* X-Airlock headers that came with the mail */
	GPtrArray *release_headers; /* values of X-Airlock-Release headers */
	gboolean header_leading_space; /* values keep their leading space */
};

struct connection_state {
	char *client_addr;
	char *client_name;
	char *helo;
	gboolean header_leading_space;
	unsigned long no_reply; /* SMFIP_NR_* steps the MTA expects no answer to */
	struct message_state *message;
};

/* The filter description for smfi_register(). */
extern struct smfiDesc filter_description;

#endif
