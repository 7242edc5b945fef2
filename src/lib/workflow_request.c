/*
 * workflow_request.c - the rest of workflow.h: what a recipient may do
 * (rights), their release request and "delete for me", the admin's
 * approval, denial and delete.
 *
 * DESCRIPTION
 *	A request is recorded first, then the admin is mailed at [notice]
 *	admin_address through [notice] command, as hold notices are sent. A
 *	mail that cannot be sent does not undo the request (it is in the
 *	admin's list and digest): a "notify-failed" event says so. The
 *	same for the denial's mail to the recipient, which carries the
 *	recipient's link.
 *
 *	An approval is a release to that recipient by the admin (every
 *	step of workflow.c), and only then is the request closed: a release
 *	that fails leaves it pending.
 */
#include "workflow_private.h"

#include "airlock/notice.h"
#include "airlock/sendmail.h"
#include "airlock/weblink.h"

#include <string.h>

static int need(const struct al_actor *actor, enum al_actor_kind kind, GError **error)
{
	if (actor->kind == kind)
		return 0;
	return al_workflow_fail(error, AL_WORKFLOW_ERROR_NOT_ALLOWED,
				kind == AL_ACTOR_ADMIN ? "only the administrator may do this"
						       : "only a recipient may do this");
}

static gboolean blank(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!g_ascii_isspace(*s))
			return FALSE;
	return TRUE;
}

/* Mails text to one address; a failure is recorded on message id. */
static void send_mail(struct al_workflow *workflow, const char *id, const char *to,
		      const char *text, const char *who)
{
	g_autoptr(GError) error = NULL;
	const char *const rcpts[] = {to, NULL};

	if (to == NULL || *to == '\0' || text == NULL)
		return;
	if (al_sendmail(workflow->config->notice_command, "", rcpts, text, strlen(text), &error) <
	    0) {
		g_autofree char *detail = g_strdup_printf("mail to %s: %s", to, error->message);

		g_warning("%s: %s", id, detail);
		al_store_add_event(workflow->store, id, "notify-failed", who, detail, NULL);
	}
}

int al_workflow_rights(struct al_workflow *workflow, const char *id, const char *address,
		       struct al_recipient_rights *rights_r, GError **error)
{
	struct al_store_message m;
	GError *local = NULL;
	gboolean open;

	*rights_r = (struct al_recipient_rights){0};
	if (al_store_get_message_for(workflow->store, id, address, &m, &local) < 0)
		return al_workflow_store_error(error, local);
	open = m.status == AL_STATUS_QUARANTINED && m.recipient_state != AL_RCPT_RELEASED;
	rights_r->can_release = open && (m.reasons & ~workflow->config->web_self_release) == 0 &&
				(m.reasons & AL_WORKFLOW_DANGEROUS) == 0;
	rights_r->can_request = open && m.recipient_state != AL_RCPT_REQUESTED;
	rights_r->can_dismiss = m.recipient_state != AL_RCPT_DISMISSED;
	al_store_message_clear(&m);
	return 0;
}

int al_workflow_request(struct al_workflow *workflow, const char *id,
			const struct al_actor *recipient, const char *note, GError **error)
{
	g_autofree char *who = al_workflow_who(recipient);
	struct al_store_message m;
	GError *local = NULL;
	g_autofree char *mail = NULL;

	if (need(recipient, AL_ACTOR_RECIPIENT, error) < 0)
		return -1;
	if (note != NULL && *note == '\0')
		note = NULL;
	if (al_store_add_request(workflow->store, id, recipient->name, note, who, &local) < 0 ||
	    al_store_get_message(workflow->store, id, &m, &local) < 0)
		return al_workflow_store_error(error, local);
	/* Without an admin_address the request waits in the admin's list. */
	if (workflow->config->admin_address != NULL && *workflow->config->admin_address != '\0') {
		mail = al_notice_request_mail(workflow->config, &m, recipient->name, note);
		send_mail(workflow, m.id, workflow->config->admin_address, mail, who);
	}
	al_store_message_clear(&m);
	return 0;
}

int al_workflow_approve(struct al_workflow *workflow, const char *id, const char *recipient,
			const struct al_actor *admin, unsigned flags,
			struct al_release_result *result_r, GError **error)
{
	g_autofree char *who = al_workflow_who(admin);
	const char *const only[] = {recipient, NULL};
	GError *local = NULL;
	int rc;

	*result_r = (struct al_release_result){0};
	if (need(admin, AL_ACTOR_ADMIN, error) < 0)
		return -1;
	rc = al_store_get_request(workflow->store, id, recipient, NULL, &local);
	if (rc < 0)
		return al_workflow_store_error(error, local);
	if (rc == 0)
		return al_workflow_fail(error, AL_WORKFLOW_ERROR_STATE,
					"%s has no pending release request for %s", id, recipient);
	if (al_workflow_release(workflow, id, only, admin, flags, result_r, error) < 0)
		return -1;
	if (al_store_decide_request(workflow->store, id, recipient, TRUE, who, NULL, &local) < 0)
		g_clear_error(&local); /* released: another admin closed it meanwhile */
	return 0;
}

/* The recipient's link, when the key can be read (NULL otherwise). */
static char *link_for(struct al_workflow *workflow, const char *address)
{
	if (al_workflow_key(workflow, NULL) < 0)
		return NULL;
	return al_weblink_url(workflow->config, &workflow->key, address,
			      g_get_real_time() / G_USEC_PER_SEC);
}

int al_workflow_deny(struct al_workflow *workflow, const char *id, const char *recipient,
		     const struct al_actor *admin, const char *reason, GError **error)
{
	g_autofree char *who = al_workflow_who(admin);
	g_autofree char *link = NULL;
	g_autofree char *mail = NULL;
	struct al_store_message m;
	GError *local = NULL;

	if (need(admin, AL_ACTOR_ADMIN, error) < 0)
		return -1;
	if (blank(reason))
		return al_workflow_fail(error, AL_WORKFLOW_ERROR_NOT_ALLOWED,
					"a denial needs a reason for the recipient");
	if (al_store_get_message_for(workflow->store, id, recipient, &m, &local) < 0)
		return al_workflow_store_error(error, local);
	if (al_store_decide_request(workflow->store, m.id, recipient, FALSE, who, reason, &local) <
	    0) {
		al_store_message_clear(&m);
		return al_workflow_store_error(error, local);
	}
	link = link_for(workflow, recipient);
	mail = al_notice_denied_mail(workflow->config, &m, recipient, reason, link);
	send_mail(workflow, m.id, recipient, mail, who);
	al_store_message_clear(&m);
	return 0;
}

int al_workflow_dismiss(struct al_workflow *workflow, const char *id,
			const struct al_actor *recipient, GError **error)
{
	g_autofree char *who = al_workflow_who(recipient);
	GError *local = NULL;

	if (need(recipient, AL_ACTOR_RECIPIENT, error) < 0)
		return -1;
	if (al_store_dismiss(workflow->store, id, recipient->name, who, &local) < 0)
		return al_workflow_store_error(error, local);
	return 0;
}

int al_workflow_delete(struct al_workflow *workflow, const char *id, const struct al_actor *admin,
		       GError **error)
{
	g_autofree char *who = al_workflow_who(admin);
	GError *local = NULL;

	if (need(admin, AL_ACTOR_ADMIN, error) < 0)
		return -1;
	if (al_store_delete(workflow->store, id, who, &local) < 0)
		return al_workflow_store_error(error, local);
	return 0;
}
