/*
 * act_private.h - what act.c (judging, applying the verdict) and
 * act_notify.c (notices and audit events) share about one message.
 */
#ifndef AIRLOCK_MILTER_ACT_PRIVATE_H
#define AIRLOCK_MILTER_ACT_PRIVATE_H

#include "act.h"

#include "airlock/pipeline.h"
#include "airlock/spool.h"
#include "airlock/store.h"

struct act_state {
	const struct act_input *in;
	struct message_state *m;
	const struct al_config *config;
	struct al_content content;
	GMimeStream *stream;
	struct al_smtp_context smtp;
	GPtrArray *recipients; /* NULL-terminated view for smtp */
	struct al_verdict *verdict;
	char id[AL_STORE_ID_LEN + 1];
	gboolean stored_before; /* the MTA offered a message already quarantined */
	char *released_id; /* a valid X-Airlock-Release header names it */
	const char *release_token; /* that header's value (borrowed) */
	const char *failed_step; /* what failed, for the log */
	gboolean disk_low; /* the disk guard refused: it logs, not each message */
	GError *error;
};

static inline const char *act_queue_id(const struct act_state *s)
{
	return s->m->queue_id != NULL ? s->m->queue_id : "NOQUEUE";
}

/* act_notify.c */

/* Whether the recipients of s->id were told already (a message the MTA
 * offers again after a lost answer). A store error says no. */
gboolean act_already_notified(struct act_state *s);

/* Records an audit event for quarantine id; a failure is logged. */
void act_record_event(struct act_state *s, const char *id, const char *event,
		      const char *detail);

/* recipient's own link to their quarantine page (transfer full), or NULL
 * when [web] public_url is not set. */
char *act_link_for(struct act_state *s, const char *recipient);

/* A stripped message with several recipients: each is mailed their link. */
void act_send_link_notices(struct act_state *s);

/* A held message: each recipient gets a hold notice, with the safe copies
 * of held items attached. Returns how many notices the MTA took. */
guint act_send_hold_notices(struct act_state *s);

/* One safe-copy event per copy delivered; a failed copy is logged. */
void act_record_copies(struct act_state *s);

#endif
