/*
 * workflow.c - releasing a quarantined message, for every front end
 * (airlockctl release, airlock-web, approvals of requests).
 *
 * SYNOPSIS
 *	wf = al_workflow_new(config, store)
 *	al_workflow_release(wf, id, only, &actor, flags, &result, &error)
 *	al_workflow_free(&wf)
 *
 * DESCRIPTION
 *	The steps of workflow.h, in order: read (a recipient only through
 *	al_store_get_message_for(), so another recipient's id is "not
 *	found"), who may release what (the stored reasons), the rescan
 *	with the current engine (the scanner is loaded once per workflow),
 *	the danger rule again on what the rescan found, the signed copy,
 *	the claim in the store (the one step that decides between two
 *	callers), the "forced" event, the delivery through
 *	[quarantine] release_command, and on refusal the claim given back.
 *	Nothing leaves before the claim, and nothing is claimed that could
 *	not be signed.
 *
 *	The audit name of an actor is "NAME (FROM)" ("root (cli)",
 *	"dr@clinic.example (web 192.0.2.7)"), NAME alone without FROM.
 *
 *	Requests, denials, dismissals and deletes: workflow_request.c.
 */
#include "workflow_private.h"

#include "airlock/pipeline.h"
#include "airlock/sendmail.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(airlock - workflow - error - quark, al_workflow_error)

struct al_workflow *al_workflow_new(const struct al_config *config, struct al_store *store)
{
	struct al_workflow *workflow = g_new0(struct al_workflow, 1);

	workflow->config = config;
	workflow->store = store;
	return workflow;
}

void al_workflow_free(struct al_workflow **workflow)
{
	if (*workflow == NULL)
		return;
	al_pipeline_free(&(*workflow)->pipeline);
	g_free(*workflow);
	*workflow = NULL;
}

void al_release_result_clear(struct al_release_result *result)
{
	g_strfreev(result->released);
	g_free(result->forced);
	*result = (struct al_release_result){0};
}

int al_workflow_fail(GError **error, enum al_workflow_error_code code, const char *fmt, ...)
{
	va_list args;
	g_autofree char *text = NULL;

	va_start(args, fmt);
	text = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_set_error_literal(error, AL_WORKFLOW_ERROR, code, text);
	return -1;
}

int al_workflow_store_error(GError **error, GError *store_error)
{
	enum al_workflow_error_code code = AL_WORKFLOW_ERROR_STORE;

	if (g_error_matches(store_error, AL_STORE_ERROR, AL_STORE_ERROR_NOT_FOUND))
		code = AL_WORKFLOW_ERROR_NOT_FOUND;
	else if (g_error_matches(store_error, AL_STORE_ERROR, AL_STORE_ERROR_STATE))
		code = AL_WORKFLOW_ERROR_STATE;
	g_set_error_literal(error, AL_WORKFLOW_ERROR, code, store_error->message);
	g_error_free(store_error);
	return -1;
}

char *al_workflow_who(const struct al_actor *actor)
{
	if (actor->from == NULL || *actor->from == '\0')
		return g_strdup(actor->name);
	return g_strdup_printf("%s (%s)", actor->name, actor->from);
}

int al_workflow_key(struct al_workflow *workflow, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (workflow->key_loaded)
		return 0;
	if (al_release_key_load(workflow->config->release_key, FALSE, &workflow->key, &local) < 0)
		return al_workflow_fail(
		    error, AL_WORKFLOW_ERROR_STORE,
		    "cannot read the release key: %s (airlockctl init creates the "
		    "key)",
		    local->message);
	workflow->key_loaded = TRUE;
	return 0;
}

/* ---- the steps ---- */

/* Step 1: the message, quarantined, as the actor may see it. */
static int read_message(struct al_workflow *workflow, const char *id, const struct al_actor *actor,
			struct al_store_message *m, GError **error)
{
	GError *local = NULL;
	int rc = actor->kind == AL_ACTOR_RECIPIENT
		     ? al_store_get_message_for(workflow->store, id, actor->name, m, &local)
		     : al_store_get_message(workflow->store, id, m, &local);

	if (rc < 0)
		return al_workflow_store_error(error, local);
	if (m->status != AL_STATUS_QUARANTINED)
		return al_workflow_fail(error, AL_WORKFLOW_ERROR_STATE, "%s is already %s", m->id,
					al_store_status_name(m->status));
	if (actor->kind == AL_ACTOR_RECIPIENT && m->recipient_state == AL_RCPT_RELEASED)
		return al_workflow_fail(error, AL_WORKFLOW_ERROR_STATE,
					"%s was already released to %s", m->id, actor->name);
	return 0;
}

/* A recipient releases alone only what [web] self_release allows. */
static int check_allowed(struct al_workflow *workflow, const struct al_actor *actor, const char *id,
			 al_reason_set reasons, const char *when, GError **error)
{
	al_reason_set beyond = reasons & ~workflow->config->web_self_release;
	g_autoptr(GString) names = g_string_new(NULL);

	if (actor->kind != AL_ACTOR_RECIPIENT || beyond == 0)
		return 0;
	al_reason_set_append(names, beyond, ", ");
	return al_workflow_fail(
	    error,
	    (beyond & AL_WORKFLOW_DANGEROUS) != 0 ? AL_WORKFLOW_ERROR_DANGEROUS
						  : AL_WORKFLOW_ERROR_NOT_ALLOWED,
	    "%s: %s (%s): only the administrator may release it", id, when, names->str);
}

static GMimeStream *open_original(struct al_workflow *workflow, const struct al_store_message *m,
				  GError **error)
{
	g_autoptr(GError) local = NULL;
	GMimeStream *stream = al_store_open_original(workflow->store, m->id, &local);

	if (stream == NULL)
		al_workflow_fail(error, AL_WORKFLOW_ERROR_STORE, "%s: cannot read the original: %s",
				 m->id, local->message);
	return stream;
}

/* Step 2: the rescan with the current engine. */
static int rescan(struct al_workflow *workflow, const struct al_store_message *m,
		  GMimeStream *original, struct al_verdict **verdict_r, GError **error)
{
	g_autoptr(GError) local = NULL;
	const struct al_smtp_context smtp = {
	    .queue_id = m->queue_id,
	    .client_addr = m->client_addr,
	    .client_name = m->client_name,
	    .helo = m->helo,
	    .auth_user = m->auth_user,
	    .envelope_from = m->envelope_from,
	    .recipients = (const char *const *)m->recipients,
	};

	if (workflow->pipeline == NULL) {
		workflow->pipeline = al_pipeline_new(workflow->config, NULL, &local);
		if (workflow->pipeline == NULL)
			return al_workflow_fail(error, AL_WORKFLOW_ERROR_RESCAN,
						"%s: cannot load the scanner: %s", m->id,
						local->message);
		al_pipeline_set_learned(workflow->pipeline, al_store_is_learned, workflow->store);
	}
	if (al_pipeline_run(workflow->pipeline, original, &smtp, verdict_r, &local) < 0)
		return al_workflow_fail(error, AL_WORKFLOW_ERROR_RESCAN,
					"%s: the rescan failed: %s", m->id, local->message);
	return 0;
}

/* Virus names found now, for the sentence. */
static char *virus_names(const struct al_verdict *verdict)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < verdict->message->items->len; i++) {
		const struct al_item *item = verdict->message->items->pdata[i];

		for (guint v = 0; item->virus_names != NULL && v < item->virus_names->len; v++)
			g_string_append_printf(out, "%s%s", out->len ? ", " : "",
					       (const char *)item->virus_names->pdata[v]);
	}
	return g_string_free(out, FALSE);
}

/* A virus or a polyglot, stored or found now: an admin with FORCE only. */
static int check_danger(const struct al_store_message *m, const struct al_verdict *verdict,
			unsigned flags, char **forced_r, GError **error)
{
	al_reason_set then = m->reasons & AL_WORKFLOW_DANGEROUS;
	al_reason_set now = verdict->reasons & AL_WORKFLOW_DANGEROUS;
	g_autoptr(GString) what = g_string_new(NULL);
	g_autofree char *viruses = virus_names(verdict);

	if ((then | now) == 0)
		return 0;
	al_reason_set_append(what, then | now, " and ");
	if (viruses[0] != '\0')
		g_string_append_printf(what, " (%s)", viruses);
	g_string_append(what, now == 0 ? ", found when it arrived" : ", found by today's rescan");
	if (!(flags & AL_WORKFLOW_FORCE))
		return al_workflow_fail(error, AL_WORKFLOW_ERROR_DANGEROUS,
					"%s: not released: %s; releasing it would deliver it to "
					"staff",
					m->id, what->str);
	*forced_r = g_strdup_printf("forced: %s", what->str);
	return 0;
}

/* The original with the signed header on top, in the original's line
 * ends (transfer full), or NULL with error. */
static GByteArray *signed_message(struct al_workflow *workflow, const struct al_store_message *m,
				  GMimeStream *original, GError **error)
{
	g_autoptr(GError) local = NULL;
	GByteArray *out = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(out);
	char digest[65];
	g_autofree char *value = NULL;
	g_autofree char *line = NULL;
	char first[1024];
	const char *newline;
	ssize_t n;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (g_mime_stream_reset(original) < 0 || al_release_digest(original, digest, &local) < 0) {
		al_workflow_fail(error, AL_WORKFLOW_ERROR_STORE, "%s: %s", m->id,
				 local != NULL ? local->message : "cannot read the original");
		goto fail;
	}
	value = al_release_sign(&workflow->key, m->id, g_get_real_time() / G_USEC_PER_SEC, digest);
	g_mime_stream_reset(original);
	n = g_mime_stream_read(original, first, sizeof(first));
	newline = n > 0 ? memchr(first, '\n', (size_t)n) : NULL;
	line = g_strdup_printf("%s: %s%s", AL_RELEASE_HEADER, value,
			       newline != NULL && newline > first && newline[-1] == '\r' ? "\r\n"
											 : "\n");
	g_mime_stream_reset(original);
	if (g_mime_stream_write_string(mem, line) < 0 ||
	    g_mime_stream_write_to_stream(original, mem) < 0) {
		al_workflow_fail(error, AL_WORKFLOW_ERROR_STORE, "%s: cannot read the original",
				 m->id);
		goto fail;
	}
	g_object_unref(mem);
	return out;
fail:
	g_object_unref(mem);
	g_byte_array_unref(out);
	return NULL;
}

/* "<a@b>" -> "a@b"; "<>" -> "" (the null sender). */
static char *envelope_sender(const char *from)
{
	g_autofree char *copy = g_strstrip(g_strdup(from != NULL ? from : ""));
	gsize len = strlen(copy);

	if (len >= 2 && copy[0] == '<' && copy[len - 1] == '>')
		return g_strndup(copy + 1, len - 2);
	return g_steal_pointer(&copy);
}

/* Steps 4 and 5: hand it to the MTA; on refusal give the claim back. */
static int deliver(struct al_workflow *workflow, const struct al_store_message *m,
		   const GByteArray *message, char **rcpts, const char *who, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GError) unclaim = NULL;
	g_autofree char *sender = envelope_sender(m->envelope_from);

	if (al_sendmail(workflow->config->release_command, sender, (const char *const *)rcpts,
			message->data, message->len, &local) == 0)
		return 0;
	if (al_store_unclaim_release(workflow->store, m->id, (const char *const *)rcpts, who,
				     local->message, &unclaim) < 0)
		return al_workflow_fail(error, AL_WORKFLOW_ERROR_STORE,
					"%s: the MTA refused it (%s) and the store still says "
					"released: %s",
					m->id, local->message, unclaim->message);
	return al_workflow_fail(error, AL_WORKFLOW_ERROR_DELIVERY,
				"%s: not released: the MTA refused it: %s", m->id, local->message);
}

/* Steps 3 to 5 once the message is judged releasable. */
static int claim_and_deliver(struct al_workflow *workflow, const struct al_store_message *m,
			     const char *const *only, const char *who,
			     struct al_release_result *result, GMimeStream *original,
			     GError **error)
{
	g_autoptr(GByteArray) message = signed_message(workflow, m, original, error);
	GError *local = NULL;
	char **rcpts;

	if (message == NULL)
		return -1;
	rcpts = al_store_claim_release(workflow->store, m->id, only, who, &local);
	if (rcpts == NULL)
		return al_workflow_store_error(error, local);
	if (result->forced != NULL &&
	    al_store_add_event(workflow->store, m->id, "forced", who, result->forced, &local) < 0)
		g_clear_error(&local); /* the claim's "released" event names who did it */
	if (deliver(workflow, m, message, rcpts, who, error) < 0) {
		g_strfreev(rcpts);
		return -1;
	}
	result->released = rcpts;
	return 0;
}

int al_workflow_release(struct al_workflow *workflow, const char *id, const char *const *only,
			const struct al_actor *actor, unsigned flags,
			struct al_release_result *result_r, GError **error)
{
	struct al_store_message m = {0};
	struct al_verdict *verdict = NULL;
	GMimeStream *original = NULL;
	g_autofree char *who = al_workflow_who(actor);
	const char *const self[] = {actor->name, NULL};
	int rc = -1;

	*result_r = (struct al_release_result){0};
	if (actor->kind == AL_ACTOR_RECIPIENT) {
		only = self;
		flags &= ~(unsigned)AL_WORKFLOW_FORCE;
	}
	if (read_message(workflow, id, actor, &m, error) < 0 ||
	    check_allowed(workflow, actor, m.id, m.reasons, "its attachments were held", error) <
		0 ||
	    al_workflow_key(workflow, error) < 0)
		goto out;
	original = open_original(workflow, &m, error);
	if (original == NULL || rescan(workflow, &m, original, &verdict, error) < 0 ||
	    check_allowed(workflow, actor, m.id, verdict->reasons, "today's rescan finds", error) <
		0 ||
	    check_danger(&m, verdict, flags, &result_r->forced, error) < 0)
		goto out;
	rc = claim_and_deliver(workflow, &m, only, who, result_r, original, error);
out:
	if (rc < 0)
		al_release_result_clear(result_r);
	if (original != NULL)
		g_object_unref(original);
	al_verdict_free(&verdict);
	al_store_message_clear(&m);
	return rc;
}
