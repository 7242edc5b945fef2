/*
 * act_notify.c - what recipients are mailed about a stripped or held
 * message (link notices, hold notices with their safe copies) and the
 * audit events recorded after the MTA's answer.
 *
 * A notice that cannot be sent is logged: the original is already safe
 * in the store, nothing is lost. Hold notices are written to a spool
 * file (al_notice_hold_file()) and read from there by the MTA's
 * sendmail, so a safe copy attached to one is never whole in memory.
 */
#include "act_private.h"

#include "log.h"

#include "airlock/notice.h"
#include "airlock/safecopy.h"
#include "airlock/sendmail.h"
#include "airlock/weblink.h"

#include <string.h>
#include <unistd.h>

/* Whether the recipients of message id were told already (a message the
 * MTA offers again after a lost answer). A store error says no: a second
 * notice is better than none. */
gboolean act_already_notified(struct act_state *s)
{
	struct al_store *store = runtime_store_begin(s->m->rt, NULL);
	struct al_store_message stored = { 0 };
	gboolean notified = FALSE;
	int rc;

	if (store == NULL)
		return FALSE;
	rc = al_store_get_message(store, s->id, &stored, NULL);
	runtime_store_end(s->m->rt, FALSE);
	for (guint i = 0; rc == 0 && i < stored.events->len; i++)
		if (strcmp(((struct al_store_event *)stored.events->pdata[i])->event, "notified") == 0)
			notified = TRUE;
	al_store_message_clear(&stored);
	return notified;
}

/* An audit event after the MTA's answer is decided: a failure is logged,
 * the message itself is safe either way. */
void act_record_event(struct act_state *s, const char *id, const char *event,
			 const char *detail)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *qid = log_escape(act_queue_id(s), 64);
	struct al_store *store = runtime_store_begin(s->m->rt, &error);
	int rc;

	if (store == NULL) {
		log_msg(LOG_WARNING, "%s: event '%s' for quarantine %s not recorded: %s", qid, event,
			id, error->message);
		return;
	}
	rc = al_store_add_event(store, id, event, "airlock-milter", detail, &error);
	runtime_store_end(s->m->rt, rc < 0);
	if (rc < 0)
		log_msg(LOG_WARNING, "%s: event '%s' for quarantine %s not recorded: %s", qid, event,
			id, error->message);
}

/* Recipient's own link to their quarantine page (transfer full). */
char *act_link_for(struct act_state *s, const char *recipient)
{
	return al_weblink_url(s->config, &s->m->rt->release_key, recipient,
			      g_get_real_time() / G_USEC_PER_SEC);
}

static void log_notice_failure(struct act_state *s, const char *recipient, const char *what,
			       const GError *error)
{
	g_autofree char *qid = log_escape(act_queue_id(s), 64);
	g_autofree char *who = log_escape(recipient, 320);

	log_msg(LOG_ERR, "%s: %s for quarantine %s to %s not sent: %s", qid, what, s->id, who,
		error != NULL ? error->message : "unknown error");
}

/* Mails text to one recipient; FALSE (logged) when it could not. */
static gboolean send_notice(struct act_state *s, const char *recipient, const char *text,
			    const char *what)
{
	const char *const rcpts[] = { recipient, NULL };
	g_autoptr(GError) error = NULL;

	if (al_sendmail(s->config->notice_command, "", rcpts, text, strlen(text), &error) == 0)
		return TRUE;
	log_notice_failure(s, recipient, what, error);
	return FALSE;
}

/* A stripped message with several recipients: the notice inside it is
 * shared, so each recipient gets their link in a mail of their own. */
void act_send_link_notices(struct act_state *s)
{
	const char *subject = s->verdict->message != NULL ? s->verdict->message->subject : NULL;
	guint sent = 0;

	for (guint i = 0; i + 1 < s->recipients->len; i++) {
		const char *rcpt = s->recipients->pdata[i];
		g_autofree char *link = act_link_for(s, rcpt);
		g_autofree char *text = NULL;

		if (link == NULL)
			continue;
		text = al_notice_link_mail(s->config, rcpt, s->id, subject, link);
		sent += send_notice(s, rcpt, text, "link notice");
	}
	if (sent > 0)
		act_record_event(s, s->id, "notified", "links");
}

/* One safe-copy event per copy delivered; a failed copy is logged. */
void act_record_copies(struct act_state *s)
{
	GPtrArray *items = s->verdict->message->items;
	g_autofree char *qid = log_escape(act_queue_id(s), 64);

	for (guint i = 0; i < items->len; i++) {
		const struct al_item *item = items->pdata[i];
		g_autofree char *detail = NULL;

		if (item->safe_copy == NULL)
			continue;
		if (item->safe_copy->failure != AL_SAFECOPY_OK) {
			g_autofree char *why = log_escape(item->safe_copy->detail, 256);
			log_msg(LOG_NOTICE, "%s: no safe copy of part %s (quarantine %s): %s", qid,
				item->part, s->id, why);
			continue;
		}
		detail = al_safecopy_event_detail(item);
		act_record_event(s, s->id, "safe-copy", detail);
	}
}

/* One hold notice per recipient, each with that recipient's link and
 * the safe copies, written to a spool file and read from there by the
 * MTA's sendmail. */
guint act_send_hold_notices(struct act_state *s)
{
	guint sent = 0;

	for (guint i = 0; i + 1 < s->recipients->len; i++) {
		const char *rcpt = s->recipients->pdata[i];
		const char *const rcpts[] = { rcpt, NULL };
		g_autofree char *url = act_link_for(s, rcpt);
		const struct al_notice_link link = { .url = url,
						     .link_days = s->config->web_link_days };
		g_autoptr(GError) error = NULL;
		int fd = al_notice_hold_file(s->config, s->verdict, &s->smtp, s->id, rcpt, &link,
					     &error);

		if (fd >= 0 && al_sendmail_fd(s->config->notice_command, "", rcpts, fd, &error) == 0)
			sent++;
		else
			log_notice_failure(s, rcpt, "hold notice", error);
		if (fd >= 0)
			close(fd);
	}
	if (sent > 0)
		act_record_event(s, s->id, "notified", NULL);
	return sent;
}
