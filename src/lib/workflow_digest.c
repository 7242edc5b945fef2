/*
 * workflow_digest.c - the daily digests (see al_workflow_digest() in
 * workflow.h).
 *
 * DESCRIPTION
 *	The store keeps, per address, when its last digest went out
 *	(digests table). A recipient's digest covers the messages received
 *	since max(now - period, that time): a timer that runs twice the
 *	same day sends the second time only what arrived in between, and
 *	nothing to a recipient with nothing new. Messages already released
 *	to the recipient (released to them alone, still quarantined for
 *	others) are left out. The admin's marker is kept under
 *	"requests:ADDRESS", apart from the same address as a recipient.
 *
 *	Each digest carries the recipient's own link and goes to that
 *	recipient alone. The marker is set only once the MTA took the mail.
 */
#include "workflow_private.h"

#include "airlock/notice.h"
#include "airlock/sendmail.h"
#include "airlock/weblink.h"

#include <string.h>

static gboolean send_one(struct al_workflow *workflow, const char *to, const char *text)
{
	g_autoptr(GError) error = NULL;
	const char *const rcpts[] = {to, NULL};

	if (al_sendmail(workflow->config->notice_command, "", rcpts, text, strlen(text), &error) ==
	    0)
		return TRUE;
	g_warning("digest to %s not sent: %s", to, error->message);
	return FALSE;
}

/* The messages of address in [from, now) still waiting for them. */
static GPtrArray *waiting_for(struct al_workflow *workflow, const char *address, gint64 from,
			      gint64 now, GError **error)
{
	const struct al_store_filter filter = {
	    .since = from,
	    .until = now,
	    .recipient = address,
	    .status = AL_STATUS_QUARANTINED,
	};
	GPtrArray *list = al_store_list(workflow->store, &filter, error);

	for (guint i = list != NULL ? list->len : 0; i > 0; i--) {
		const struct al_store_message *m = list->pdata[i - 1];

		if (m->recipient_state == AL_RCPT_RELEASED ||
		    m->recipient_state == AL_RCPT_DISMISSED)
			g_ptr_array_remove_index(list, i - 1);
	}
	return list;
}

static int digest_one(struct al_workflow *workflow, const char *address, gint64 since, gint64 now,
		      struct al_digest_result *result, GError **error)
{
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *link = NULL;
	g_autofree char *text = NULL;
	gint64 last = 0;

	if (al_store_get_digest_sent(workflow->store, address, &last, error) < 0)
		return -1;
	list = waiting_for(workflow, address, MAX(since, last), now, error);
	if (list == NULL)
		return -1;
	if (list->len == 0)
		return 0;
	link = al_weblink_url(workflow->config, &workflow->key, address, now);
	text = al_notice_digest_mail(workflow->config, address, list, link);
	if (!send_one(workflow, address, text)) {
		result->failed++;
		return 0;
	}
	result->recipients++;
	result->messages += list->len;
	return al_store_set_digest_sent(workflow->store, address, now, error);
}

static int digest_admin(struct al_workflow *workflow, gint64 since, gint64 now,
			struct al_digest_result *result, GError **error)
{
	const char *admin = workflow->config->admin_address;
	g_autofree char *marker = NULL;
	g_autoptr(GPtrArray) pending = NULL;
	g_autofree char *text = NULL;
	gboolean fresh = FALSE;
	gint64 last = 0;

	if (admin == NULL || *admin == '\0')
		return 0;
	marker = g_strconcat("requests:", admin, NULL);
	pending = al_store_pending_requests(workflow->store, error);
	if (pending == NULL || al_store_get_digest_sent(workflow->store, marker, &last, error) < 0)
		return -1;
	for (guint i = 0; i < pending->len; i++)
		fresh |= ((struct al_store_request *)pending->pdata[i])->requested_at >= last;
	if (pending->len == 0 || (!fresh && last >= since))
		return 0;
	text = al_notice_requests_mail(workflow->config, pending);
	if (!send_one(workflow, admin, text)) {
		result->failed++;
		return 0;
	}
	result->requests = pending->len;
	return al_store_set_digest_sent(workflow->store, marker, now, error);
}

int al_workflow_digest(struct al_workflow *workflow, gint64 period, gint64 now,
		       struct al_digest_result *result_r, GError **error)
{
	GError *local = NULL;
	g_auto(GStrv) recipients = NULL;
	gint64 since = now - period;

	*result_r = (struct al_digest_result){0};
	if (al_workflow_key(workflow, error) < 0)
		return -1;
	recipients = al_store_digest_recipients(workflow->store, since, now, &local);
	if (recipients == NULL)
		return al_workflow_store_error(error, local);
	for (gsize i = 0; recipients[i] != NULL; i++)
		if (digest_one(workflow, recipients[i], since, now, result_r, &local) < 0)
			return al_workflow_store_error(error, local);
	if (digest_admin(workflow, since, now, result_r, &local) < 0)
		return al_workflow_store_error(error, local);
	return 0;
}
