/*
 * workflow.h - what people do with a quarantined message: release it,
 * ask for its release, approve or deny that request, remove it from
 * one's own list. One implementation (src/lib/workflow*.c) for every
 * front end: airlockctl, airlock-web and the digests only translate
 * their input into these calls and the results into their output.
 *
 * Who acts is an al_actor: the admin (any recipient, any reason, --force
 * for virus and polyglot) or one recipient (their own address only, and
 * only what [web] self_release allows). Every step is in the audit trail
 * with the actor's name and where it came from ("cli", "web 192.0.2.7").
 *
 * Release, in this order:
 *	1. the message is read from the store (status quarantined, the
 *	   recipients not yet released);
 *	2. the original is rescanned with the current engine; a virus or a
 *	   polyglot file found then or now needs an admin with
 *	   AL_WORKFLOW_FORCE (a "forced" event says what was forced);
 *	   a recipient may release alone only when every reason, stored and
 *	   found now, is in [web] self_release;
 *	3. the recipients are claimed in the store, exactly once (of two
 *	   callers at the same time, from any process, one gets them, the
 *	   other AL_WORKFLOW_ERROR_STATE);
 *	4. the original, with a signed X-Airlock-Release header on top, is
 *	   handed to [quarantine] release_command from the original sender;
 *	5. if the MTA refuses it, the claim is given back ("release-failed"
 *	   event) and AL_WORKFLOW_ERROR_DELIVERY is returned: nothing was
 *	   released and it may be tried again.
 *
 * Requests: a recipient asks (event "release-requested", the admin is
 * mailed at [notice] admin_address); the admin approves (a release to
 * that recipient, as above, the request then "approved") or denies with
 * a reason (event "request-denied", the recipient is mailed the reason).
 * One pending request per message and recipient.
 */
#ifndef AIRLOCK_WORKFLOW_H
#define AIRLOCK_WORKFLOW_H

#include "airlock/config.h"
#include "airlock/store.h"

#include <glib.h>

#define AL_WORKFLOW_ERROR (al_workflow_error_quark())
GQuark al_workflow_error_quark(void);

enum al_workflow_error_code {
	AL_WORKFLOW_ERROR_NOT_FOUND,   /* no such message (or not this recipient's) */
	AL_WORKFLOW_ERROR_STATE,       /* already released/deleted, already claimed,
					  request already decided... */
	AL_WORKFLOW_ERROR_DANGEROUS,   /* virus or polyglot: an admin with FORCE only */
	AL_WORKFLOW_ERROR_NOT_ALLOWED, /* a recipient may not release this alone */
	AL_WORKFLOW_ERROR_RESCAN,      /* the rescan could not run: nothing released */
	AL_WORKFLOW_ERROR_DELIVERY,    /* the MTA refused it: the claim was given back */
	AL_WORKFLOW_ERROR_STORE,       /* the store failed (a front end: 503) */
};

enum al_actor_kind {
	AL_ACTOR_ADMIN,
	AL_ACTOR_RECIPIENT,
};

struct al_actor {
	enum al_actor_kind kind;
	const char *name; /* the admin's login, or the recipient's address */
	const char *from; /* where: "cli", "web 192.0.2.7", "digest" */
};

enum al_workflow_flags {
	AL_WORKFLOW_FORCE = 1 << 0, /* admin only: release a virus or a polyglot */
};

struct al_workflow;

/* Ties a configuration and an open store (both borrowed: they must
 * outlive the workflow). The scanner is loaded at the first rescan and
 * kept; the release key is read then too. */
struct al_workflow *al_workflow_new(const struct al_config *config, struct al_store *store);
void al_workflow_free(struct al_workflow **workflow);

struct al_release_result {
	char **released; /* the recipients it was delivered to (transfer full) */
	char *forced;	 /* what FORCE overrode, or NULL (transfer full) */
};
void al_release_result_clear(struct al_release_result *result);

/*
 * Releases message id to only (NULL: every recipient not yet released;
 * for a recipient actor, only is ignored and their own address is
 * used). Returns 0 with result_r filled, or -1 with an AL_WORKFLOW_ERROR
 * whose message is a sentence for the person acting (English; the
 * codes let a front end say it in French).
 */
int al_workflow_release(struct al_workflow *workflow, const char *id, const char *const *only,
			const struct al_actor *actor, unsigned flags,
			struct al_release_result *result_r, GError **error);

/* What a recipient may do with one of their messages now (for the
 * buttons of a page; the calls check again). */
struct al_recipient_rights {
	gboolean can_release; /* every stored reason is in self_release */
	gboolean can_request; /* quarantined for them and no request pending */
	gboolean can_dismiss; /* not yet dismissed */
};
int al_workflow_rights(struct al_workflow *workflow, const char *id, const char *address,
		       struct al_recipient_rights *rights_r, GError **error);

/* A recipient asks the admin to release message id to them; note may
 * be NULL. Mails the admin. */
int al_workflow_request(struct al_workflow *workflow, const char *id,
			const struct al_actor *recipient, const char *note, GError **error);

/* The admin approves the pending request of recipient for message id:
 * a release to that recipient (flags as al_workflow_release()). */
int al_workflow_approve(struct al_workflow *workflow, const char *id, const char *recipient,
			const struct al_actor *admin, unsigned flags,
			struct al_release_result *result_r, GError **error);

/* The admin denies it; reason (not empty) is mailed to the recipient. */
int al_workflow_deny(struct al_workflow *workflow, const char *id, const char *recipient,
		     const struct al_actor *admin, const char *reason, GError **error);

/* A recipient removes message id from their own list ("delete for me"):
 * their page no longer shows it; the original stays for the others and
 * the admin. Event "dismissed". */
int al_workflow_dismiss(struct al_workflow *workflow, const char *id,
			const struct al_actor *recipient, GError **error);

/* The admin deletes the original (as airlockctl delete). */
int al_workflow_delete(struct al_workflow *workflow, const char *id,
		       const struct al_actor *admin, GError **error);

/*
 * Digests (workflow_digest.c; airlockctl digest): each recipient who has
 * messages received in [now - period, now), still quarantined for them
 * and not dismissed, is mailed one summary (fr+en) with their link;
 * [notice] admin_address is mailed the pending requests. Re-runs do not
 * repeat themselves: a recipient's digest only lists messages received
 * after their previous digest, and the admin's is sent again only when a
 * request is newer than the previous one or that one is older than
 * period. A recipient with nothing gets nothing. Mails go through
 * [notice] command; one that fails is counted and the others are sent.
 */
struct al_digest_result {
	guint recipients; /* recipients mailed */
	guint messages;   /* messages listed in their digests */
	guint requests;   /* pending requests mailed to the admin (0: not mailed) */
	guint failed;     /* mails the MTA refused */
};
int al_workflow_digest(struct al_workflow *workflow, gint64 period, gint64 now,
		       struct al_digest_result *result_r, GError **error);

#endif
