/*
 * act.h - end of message: run the pipeline on the spooled message and
 * apply the verdict (accept, strip, hold, reject, tempfail).
 *
 * The quarantine store is written (file fsynced, rows committed) before
 * the MTA is told anything that removes content. Any failure on the way
 * answers the configured on_error (tempfail by default) with a log line
 * saying what failed and what the MTA was told.
 */
#ifndef AIRLOCK_MILTER_ACT_H
#define AIRLOCK_MILTER_ACT_H

#include "filter.h"

struct act_input {
	SMFICTX *ctx;
	struct message_state *message; /* borrowed */
	const char *client_addr;
	const char *client_name;
	const char *helo;
};

sfsistat act_on_message(const struct act_input *input);

#endif
