/*
 * act.c - end of message: judge the spooled message and apply the
 * verdict through the operations table.
 *
 * Order for every action that removes content (strip, hold): the
 * original goes to the quarantine store first (file fsynced, rows
 * committed); only then is the MTA told to change or discard anything.
 * Any failure answers on_error (tempfail unless the admin chose accept)
 * and the log line says what failed and what the MTA was told.
 */
#include "act_private.h"
#include "budget.h"
#include "guard.h"
#include "state.h"

#include "log.h"
#include "ops.h"

#include "airlock/notice.h"
#include "airlock/release.h"
#include "airlock/safecopy.h"


#define REPLACE_CHUNK_BYTES 65536

static int failed(struct act_state *s, const char *step)
{
	s->failed_step = step;
	return -1;
}

static int ops_ok(struct act_state *s, int rc, const char *step)
{
	if (rc == MI_SUCCESS)
		return 0;
	g_set_error(&s->error, AL_ERROR, AL_ERROR_IO, "the MTA refused %s", step);
	return failed(s, step);
}

/* X-Airlock and X-Airlock-Release headers that came with the mail are
 * removed: only ours may be seen downstream. Indexes count from 1 among
 * headers of the same name; removing from the last keeps them valid. */
static int remove_outside_headers(struct act_state *s)
{
	for (guint i = s->m->x_airlock_headers; i > 0; i--)
		if (ops_ok(s, milter_ops->chgheader(s->in->ctx, "X-Airlock", (int)i, NULL),
			   "removing a header") < 0)
			return -1;
	for (guint i = s->m->release_headers->len; i > 0; i--)
		if (ops_ok(s, milter_ops->chgheader(s->in->ctx, "X-Airlock-Release", (int)i, NULL),
			   "removing a header") < 0)
			return -1;
	return 0;
}

static int mark(struct act_state *s, const char *value)
{
	if (remove_outside_headers(s) < 0)
		return -1;
	return ops_ok(s, milter_ops->insheader(s->in->ctx, 0, "X-Airlock", (char *)value),
		      "adding the X-Airlock header");
}

static int quarantine(struct act_state *s)
{
	struct al_store *store;
	int rc;

	if (guard_check(s->m->rt, &s->error) < 0) {
		s->disk_low = TRUE;
		return failed(s, "disk guard");
	}
	store = runtime_store_begin(s->m->rt, &s->error);
	if (store == NULL)
		return failed(s, "quarantine store");
	al_store_new_id(s->id);
	rc = al_store_quarantine(store, s->id, s->stream, &s->smtp, s->verdict, &s->error);
	runtime_store_end(s->m->rt, rc < 0);
	if (rc < 0) {
		s->id[0] = '\0';
		return failed(s, "quarantine store");
	}
	s->stored_before = rc == 1;
	if (s->stored_before)
		log_msg(LOG_NOTICE, "%s: already quarantined as %s (the MTA offered it again)",
			act_queue_id(s), s->id);
	return 0;
}

/* The new body, read from its spool file a chunk at a time and sent with
 * CRLF line ends (libmilter's wire format): never whole in memory. */
static int replace_body(struct act_state *s, const struct al_content *body)
{
	GMimeFilter *filter = g_mime_filter_unix2dos_new(FALSE);
	char *chunk = g_malloc(REPLACE_CHUNK_BYTES);
	goffset offset = 0;
	int rc = 0;

	while (rc == 0) {
		gssize got = al_content_pread(body, offset, chunk, REPLACE_CHUNK_BYTES, &s->error);
		char *out = NULL;
		size_t out_len = 0, prespace = 0;

		if (got < 0) {
			rc = failed(s, "reading the new body");
			break;
		}
		offset += got;
		if (got > 0)
			g_mime_filter_filter(filter, chunk, (size_t)got, 0, &out, &out_len, &prespace);
		else
			g_mime_filter_complete(filter, chunk, 0, 0, &out, &out_len, &prespace);
		if (out_len > 0)
			rc = ops_ok(s, milter_ops->replacebody(s->in->ctx, (unsigned char *)out,
							       (int)out_len),
				    "replacing the body");
		if (got == 0)
			break;
	}
	g_object_unref(filter);
	g_free(chunk);
	return rc;
}

static int set_top_header(struct act_state *s, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	/* chgheader on a missing header adds it. */
	return ops_ok(s, milter_ops->chgheader(s->in->ctx, (char *)name, 1, (char *)value),
		      "changing a header");
}

static int do_strip(struct act_state *s)
{
	struct al_stripped stripped = { 0 };
	g_autofree char *mark_value = NULL;
	g_autofree char *url = NULL;
	const guint count = s->recipients->len - 1;
	struct al_notice_link link = { .link_days = s->config->web_link_days };
	int rc = -1;

	if (quarantine(s) < 0)
		return -1;
	/* A link opens every item of its recipient: inside the message
	 * only when that recipient is its one reader. */
	if (count == 1)
		link.url = url = act_link_for(s, s->recipients->pdata[0]);
	link.separate = count > 1;
	/* Rendered by the confined helper, never here; a failure only
	 * changes what the notice says. */
	al_safecopy_make_all(s->m->rt->pipeline, s->verdict);
	if (al_notice_strip(s->config, s->verdict, s->id, &link, &stripped, &s->error) < 0)
		return failed(s, "building the notice");
	if (replace_body(s, &stripped.body) < 0 ||
	    set_top_header(s, "Content-Type", stripped.content_type) < 0 ||
	    set_top_header(s, "Content-Transfer-Encoding", stripped.content_transfer_encoding) < 0 ||
	    set_top_header(s, "Content-Disposition", stripped.content_disposition) < 0 ||
	    set_top_header(s, "MIME-Version", stripped.mime_version) < 0)
		goto out;
	mark_value = g_strdup_printf("stripped; id=%s", s->id);
	rc = mark(s, mark_value);
	if (rc == 0)
		act_record_copies(s);
	if (rc == 0 && count > 1 && !(s->stored_before && act_already_notified(s)))
		act_send_link_notices(s);
out:
	al_stripped_clear(&stripped);
	return rc;
}

static int do_hold(struct act_state *s)
{
	if (quarantine(s) < 0)
		return -1;
	/* The original is safe in the store: a notice that cannot be sent is
	 * logged, the message is still held, nothing is lost. The copy of a
	 * held file (a polyglot image, rebuilt without its program) goes
	 * with the notice. */
	if (s->m->recipients->len > 0 && !(s->stored_before && act_already_notified(s))) {
		al_safecopy_make_all(s->m->rt->pipeline, s->verdict);
		/* A copy is recorded as delivered only with a notice that went. */
		if (act_send_hold_notices(s) > 0)
			act_record_copies(s);
	}
	return 0;
}

static sfsistat reply(struct act_state *s, const char *code, const char *xcode,
		      const char *text, sfsistat status)
{
	if (milter_ops->setreply(s->in->ctx, (char *)code, (char *)xcode, (char *)text) !=
	    MI_SUCCESS) {
		g_autofree char *qid = log_escape(act_queue_id(s), 64);

		log_msg(LOG_WARNING, "%s: the MTA refused the reply text", qid);
	}
	return status;
}

static sfsistat reject_reply(struct act_state *s)
{
	GString *text = g_string_new("Message refused by Airlock: ");
	sfsistat status;

	al_reason_set_append(text, s->verdict->reasons, ", ");
	status = reply(s, "550", "5.7.1", text->str, SMFIS_REJECT);
	g_string_free(text, TRUE);
	return status;
}

/* Applies the verdict; -1 when a step failed (s->failed_step says which:
 * the caller answers on_error). */
static int apply(struct act_state *s, sfsistat *status_r)
{
	switch (s->verdict->action) {
	case AL_ACTION_ACCEPT:
		*status_r = SMFIS_ACCEPT;
		return mark(s, "clean");
	case AL_ACTION_STRIP:
		*status_r = SMFIS_ACCEPT;
		return do_strip(s);
	case AL_ACTION_HOLD:
		*status_r = SMFIS_DISCARD;
		return do_hold(s);
	case AL_ACTION_REJECT:
		*status_r = reject_reply(s);
		return 0;
	case AL_ACTION_TEMPFAIL:
	default:
		*status_r = reply(s, "451", "4.7.1",
				  "Message deferred by Airlock policy, try again later", SMFIS_TEMPFAIL);
		return 0;
	}
}

static void fill_smtp(struct act_state *s)
{
	struct message_state *m = s->m;

	s->recipients = g_ptr_array_new();
	for (guint i = 0; i < m->recipients->len; i++)
		g_ptr_array_add(s->recipients, m->recipients->pdata[i]);
	g_ptr_array_add(s->recipients, NULL);
	s->smtp = (struct al_smtp_context){
		.queue_id = m->queue_id,
		.client_addr = s->in->client_addr,
		.client_name = s->in->client_name,
		.helo = s->in->helo,
		.auth_user = m->auth_user,
		.envelope_from = m->envelope_from,
		.recipients = (const char *const *)s->recipients->pdata,
	};
}

static void log_release_refused(struct act_state *s, const char *why)
{
	g_autofree char *qid = log_escape(act_queue_id(s), 64);
	g_autofree char *reason = log_escape(why, 512);

	log_msg(LOG_NOTICE, "%s: X-Airlock-Release header removed: %s", qid, reason);
}

/* A message the admin released carries a header signed with our key:
 * it passes once, unscanned (airlockctl rescanned it before release).
 * Any other such header is removed and the message judged normally. */
static int check_release(struct act_state *s)
{
	GPtrArray *headers = s->m->release_headers;
	char digest[65];
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (headers->len == 0)
		return 0;
	if (al_release_digest(s->stream, digest, &s->error) < 0)
		return failed(s, "release check");
	for (guint i = 0; i < headers->len && s->released_id == NULL; i++) {
		g_autofree char *why = NULL;

		if (al_release_verify(&s->m->rt->release_key, headers->pdata[i], digest, now,
				      AL_RELEASE_MAX_AGE_SECONDS, &s->released_id, &why))
			s->release_token = headers->pdata[i];
		else
			log_release_refused(s, why);
	}
	return 0;
}

/* A release passes once: the store records each header used, with the
 * "delivered" event. A replay (the same header again) or a header naming
 * no quarantined message is removed and the mail judged like any other. */
static int use_release(struct act_state *s)
{
	g_autoptr(GError) error = NULL;
	struct al_store *store = runtime_store_begin(s->m->rt, &s->error);
	int rc;

	if (store == NULL)
		return failed(s, "release record");
	rc = al_store_use_release(store, s->released_id, s->release_token, s->m->queue_id, &error);
	runtime_store_end(s->m->rt, rc < 0 && error->domain != AL_STORE_ERROR);
	if (rc == 0)
		return 0;
	if (error->domain != AL_STORE_ERROR) {
		s->error = g_steal_pointer(&error);
		return failed(s, "release record");
	}
	log_release_refused(s, error->message);
	g_clear_pointer(&s->released_id, g_free);
	s->release_token = NULL;
	return 0;
}

static int judge(struct act_state *s)
{
	int rc;

	if (s->m->spool_error != NULL) {
		s->error = g_error_copy(s->m->spool_error);
		return failed(s, "spool");
	}
	if (al_spool_finish(s->m->spool, &s->content, &s->error) < 0)
		return failed(s, "spool");
	s->stream = al_content_stream(&s->content);
	if (check_release(s) < 0)
		return -1;
	if (s->released_id != NULL && use_release(s) < 0)
		return -1;
	if (s->released_id != NULL)
		return 0;
	/* Only the judging waits its turn: a hold notice, sent through the
	 * MTA and so through this milter, must never wait behind the message
	 * that sends it. */
	budget_acquire(s->content.size, s->config->max_concurrent_bytes, s->config->milter_max_jobs);
	rc = al_pipeline_run(s->m->rt->pipeline, s->stream, &s->smtp, &s->verdict, &s->error);
	budget_release(s->content.size);
	if (rc < 0)
		return failed(s, "scan");
	return 0;
}

/* Outbound mail from our own users teaches us who they write to. */
static void learn(struct act_state *s)
{
	const struct al_config *config = s->config;
	g_autoptr(GError) error = NULL;
	struct al_store *store;
	int rc = -1;

	if (!config->learn_correspondents || s->verdict->action != AL_ACTION_ACCEPT)
		return;
	if ((s->smtp.auth_user == NULL || s->smtp.auth_user[0] == '\0') &&
	    !al_cidr_list_contains(config->internal_networks, s->smtp.client_addr))
		return;
	store = runtime_store_begin(s->m->rt, &error);
	if (store != NULL) {
		rc = al_store_learn(store, s->smtp.recipients, &error);
		runtime_store_end(s->m->rt, rc < 0);
	}
	if (rc < 0) {
		g_autofree char *qid = log_escape(act_queue_id(s), 64);

		runtime_store_warning(qid, "correspondents not recorded", error);
	}
}

static void count(struct act_state *s)
{
	g_autoptr(GError) error = NULL;
	struct al_store *store = runtime_store_begin(s->m->rt, &error);
	int rc = -1;

	if (store != NULL) {
		rc = al_store_count_message(store, s->verdict, &error);
		runtime_store_end(s->m->rt, rc < 0);
	}
	if (rc < 0) {
		g_autofree char *qid = log_escape(act_queue_id(s), 64);

		runtime_store_warning(qid, "daily counters not updated", error);
	}
}

static void log_verdict(struct act_state *s)
{
	g_autofree char *from = log_escape(s->m->envelope_from, 256);
	g_autofree char *qid = log_escape(act_queue_id(s), 64);
	GString *reasons = g_string_new(NULL);

	al_reason_set_append(reasons, s->verdict->reasons, ",");
	log_msg(LOG_INFO, "%s: action=%s reasons=%s quarantine=%s origin=%s from=<%s> rcpts=%u", qid,
		al_action_name(s->verdict->action), reasons->len ? reasons->str : "-",
		s->id[0] ? s->id : "-", s->verdict->origin.known ? "known" : "unknown", from,
		s->m->recipients->len);
	g_string_free(reasons, TRUE);
}

/* Something failed: the message was not judged or the verdict could not
 * be applied. Tempfail unless the admin chose on_error = accept. */
static sfsistat on_failure(struct act_state *s)
{
	g_autofree char *qid = log_escape(act_queue_id(s), 64);
	g_autofree char *why = log_escape(s->error != NULL ? s->error->message : "unknown error",
					   1024);

	if (s->disk_low) /* never accepted: the message was judged to need the quarantine */
		return reply(s, "451", "4.3.1", "Airlock quarantine is full, try again later",
			     SMFIS_TEMPFAIL);
	if (s->config->on_error == AL_ACTION_ACCEPT) {
		log_msg(LOG_ERR, "%s: %s failed: %s; accepted UNSCANNED because on_error = accept",
			qid, s->failed_step, why);
		return SMFIS_ACCEPT;
	}
	log_msg(LOG_ERR, "%s: %s failed: %s; answered tempfail (the MTA will retry)", qid,
		s->failed_step, why);
	return reply(s, "451", "4.7.1", "Airlock could not check this message, try again later",
		     SMFIS_TEMPFAIL);
}

static sfsistat deliver_released(struct act_state *s)
{
	g_autofree char *value = g_strdup_printf("released; id=%s", s->released_id);
	g_autofree char *qid = log_escape(act_queue_id(s), 64);
	g_autofree char *id = log_escape(s->released_id, 64);

	if (mark(s, value) < 0)
		return on_failure(s);
	log_msg(LOG_INFO, "%s: action=release quarantine=%s rcpts=%u", qid, id,
		s->m->recipients->len);
	return SMFIS_ACCEPT;
}

sfsistat act_on_message(const struct act_input *input)
{
	struct act_state s = {
		.in = input,
		.m = input->message,
		.config = input->message->rt->config,
		.content = { .fd = -1 },
	};
	sfsistat status;

	fill_smtp(&s);
	if (s.m->too_big) {
		g_autofree char *qid = log_escape(act_queue_id(&s), 64);

		log_msg(LOG_NOTICE, "%s: rejected: larger than max_message_size", qid);
		status = reply(&s, "552", "5.3.4", "Message too large for Airlock to check",
			       SMFIS_REJECT);
		goto out;
	}
	if (judge(&s) < 0) {
		status = on_failure(&s);
		goto out;
	}
	if (s.released_id != NULL) {
		status = deliver_released(&s);
		goto out;
	}
	if (apply(&s, &status) < 0) {
		status = on_failure(&s);
		goto out;
	}
	count(&s);
	learn(&s);
	log_verdict(&s);
out:
	state_count(1, status != SMFIS_TEMPFAIL && s.id[0] != '\0' ? 1 : 0,
		    status == SMFIS_TEMPFAIL ? 1 : 0);
	al_verdict_free(&s.verdict);
	g_free(s.released_id);
	if (s.stream != NULL)
		g_object_unref(s.stream);
	al_content_clear(&s.content);
	g_ptr_array_unref(s.recipients);
	g_clear_error(&s.error);
	return status;
}
