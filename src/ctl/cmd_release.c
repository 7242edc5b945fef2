/*
 * cmd_release.c - airlockctl release: deliver a quarantined message after
 * all, attachments included.
 *
 *   airlockctl release [-c FILE] [--to ADDR]... [--force] ID
 *
 * Steps:
 *	1. The original is rescanned with the current engine (signatures may
 *	   have changed since it arrived). A virus or a polyglot file, found
 *	   then or now, is not released without --force, and the message
 *	   says so.
 *	2. The recipients (all those not yet released, or only the --to
 *	   ones, which must be original recipients) are claimed in the
 *	   store in one transaction with the "released" audit event naming
 *	   the admin: of two admins releasing at once, one does it.
 *	3. The original, with a signed X-Airlock-Release header on top, goes
 *	   to release_command (argv, never a shell) from the original
 *	   envelope sender; the milter lets it through once. If the MTA
 *	   refuses it, the claim is given back ("release-failed" event) and
 *	   the message stays quarantined.
 */
#include "ctl_admin.h"

#include "airlock/pipeline.h"
#include "airlock/release.h"
#include "airlock/sendmail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DANGEROUS (AL_REASON_BIT(AL_REASON_VIRUS) | AL_REASON_BIT(AL_REASON_POLYGLOT))

struct release_options {
	char *config_path;
	char **to;
	gboolean force;
	char **args;
};

static void options_clear(struct release_options *o)
{
	g_free(o->config_path);
	g_strfreev(o->to);
	g_strfreev(o->args);
}

static int parse_options(int argc, char **argv, struct release_options *o)
{
	GOptionEntry entries[] = {
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_path, "configuration file",
	     "FILE"},
	    {"to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->to,
	     "release only to this original recipient (repeatable)", "ADDR"},
	    {"force", 0, 0, G_OPTION_ARG_NONE, &o->force,
	     "release even a message with a virus or a polyglot file", NULL},
	    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->args, NULL, "ID"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) context =
	    g_option_context_new("ID - deliver a quarantined message");

	g_option_context_add_main_entries(context, entries, NULL);
	if (!ctl_parse_options(context, "release", &argc, &argv, FALSE))
		return -1;
	if (o->args == NULL || g_strv_length(o->args) != 1) {
		ctl_error(
		    "release: give one quarantine id (usage: airlockctl release [--to ADDR]... "
		    "[--force] ID)");
		return -1;
	}
	return 0;
}

/* The reasons stored with the message at quarantine time. */
static al_reason_set stored_reasons(const struct al_store_message *m)
{
	return m->reasons;
}

/* Virus names found now, for the message to the admin. */
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

/* Rescans the original with the current engine into *verdict_r. */
static int rescan(const struct ctl_admin *admin, const struct al_store_message *m,
		  GMimeStream *original, struct al_verdict **verdict_r)
{
	g_autoptr(GError) error = NULL;
	struct al_pipeline *pipeline = al_pipeline_new(admin->config, NULL, &error);
	const struct al_smtp_context smtp = {
	    .queue_id = m->queue_id,
	    .client_addr = m->client_addr,
	    .client_name = m->client_name,
	    .helo = m->helo,
	    .auth_user = m->auth_user,
	    .envelope_from = m->envelope_from,
	    .recipients = (const char *const *)m->recipients,
	};
	int rc;

	if (pipeline == NULL) {
		ctl_error("%s: not released: cannot load the scanner: %s", m->id, error->message);
		return -1;
	}
	rc = al_pipeline_run(pipeline, original, &smtp, verdict_r, &error);
	al_pipeline_free(&pipeline);
	if (rc < 0)
		ctl_error("%s: not released: the rescan failed: %s", m->id, error->message);
	return rc;
}

static int check_danger(const struct al_store_message *m, const struct al_verdict *verdict,
			gboolean force, char **forced_r)
{
	al_reason_set then = stored_reasons(m) & DANGEROUS;
	al_reason_set now = verdict->reasons & DANGEROUS;
	g_autoptr(GString) what = g_string_new(NULL);
	g_autofree char *viruses = virus_names(verdict);

	if ((then | now) == 0)
		return 0;
	al_reason_set_append(what, then | now, " and ");
	if (viruses[0] != '\0')
		g_string_append_printf(what, " (%s)", viruses);
	g_string_append(what, now == 0 ? ", found when it arrived" : ", found by today's rescan");
	if (!force) {
		ctl_error(
		    "%s: not released: %s; releasing it would deliver it to staff. If you are "
		    "sure, add --force",
		    m->id, what->str);
		return -1;
	}
	*forced_r = g_strdup_printf("forced: %s", what->str);
	return 0;
}

/* The original with our header on top, in the original's line ends. */
static GByteArray *signed_message(const struct al_store_message *m, GMimeStream *original,
				  const struct al_release_key *key)
{
	g_autoptr(GError) error = NULL;
	GByteArray *out = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(out);
	char digest[65];
	g_autofree char *value = NULL;
	g_autofree char *line = NULL;
	char first[1024];
	const char *newline;
	ssize_t n;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (al_release_digest(original, digest, &error) < 0) {
		ctl_error("%s: not released: %s", m->id, error->message);
		goto fail;
	}
	value = al_release_sign(key, m->id, g_get_real_time() / G_USEC_PER_SEC, digest);
	g_mime_stream_reset(original);
	n = g_mime_stream_read(original, first, sizeof(first));
	newline = n > 0 ? memchr(first, '\n', (size_t)n) : NULL;
	line = g_strdup_printf("%s: %s%s", AL_RELEASE_HEADER, value,
			       newline != NULL && newline > first && newline[-1] == '\r' ? "\r\n"
											 : "\n");
	g_mime_stream_reset(original);
	if (g_mime_stream_write_string(mem, line) < 0 ||
	    g_mime_stream_write_to_stream(original, mem) < 0) {
		ctl_error("%s: not released: cannot read the original", m->id);
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

static int deliver(struct ctl_admin *admin, const struct al_store_message *m,
		   const GByteArray *message, char **rcpts)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *sender = envelope_sender(m->envelope_from);
	g_autoptr(GError) unclaim_error = NULL;

	if (al_sendmail(admin->config->release_command, sender, (const char *const *)rcpts,
			message->data, message->len, &error) == 0)
		return 0;
	ctl_error("%s: not released: the MTA refused it: %s", m->id, error->message);
	if (al_store_unclaim_release(admin->store, m->id, (const char *const *)rcpts, admin->who,
				     error->message, &unclaim_error) < 0)
		ctl_error("%s: and the store still says released to them: %s", m->id,
			  unclaim_error->message);
	return -1;
}

static int release(struct ctl_admin *admin, const struct release_options *o,
		   const struct al_store_message *m, GMimeStream *original)
{
	g_autoptr(GError) error = NULL;
	struct al_release_key key;
	struct al_verdict *verdict = NULL;
	g_autofree char *forced = NULL;
	g_autoptr(GByteArray) message = NULL;
	g_auto(GStrv) rcpts = NULL;
	g_autofree char *joined = NULL;
	int rc = -1;

	if (al_release_key_load(admin->config->release_key, FALSE, &key, &error) < 0) {
		ctl_error("%s: not released: %s (airlockctl init creates the key)", m->id,
			  error->message);
		return -1;
	}
	if (rescan(admin, m, original, &verdict) < 0 ||
	    check_danger(m, verdict, o->force, &forced) < 0)
		goto out;
	message = signed_message(m, original, &key);
	if (message == NULL)
		goto out;
	rcpts = al_store_claim_release(admin->store, m->id, (const char *const *)o->to, admin->who,
				       &error);
	if (rcpts == NULL) {
		ctl_error("%s", error->message);
		goto out;
	}
	if (forced != NULL)
		al_store_add_event(admin->store, m->id, "forced", admin->who, forced, NULL);
	if (deliver(admin, m, message, rcpts) < 0)
		goto out;
	joined = g_strjoinv(", ", rcpts);
	printf("%s: released to %s\n", m->id, joined);
	rc = 0;
out:
	al_verdict_free(&verdict);
	return rc;
}

int ctl_release(int argc, char **argv)
{
	struct release_options o = {0};
	struct ctl_admin admin = {0};
	struct al_store_message m = {0};
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	GMimeStream *original = NULL;
	int status = CTL_EXIT_USAGE;
	int fd;

	if (parse_options(argc, argv, &o) < 0)
		goto out;
	status = CTL_EXIT_FAILURE;
	if (ctl_admin_open(o.config_path, &admin) < 0)
		goto out;
	if (al_store_get_message(admin.store, o.args[0], &m, &error) < 0) {
		ctl_error("%s", error->message);
		goto out;
	}
	if (m.status != AL_STATUS_QUARANTINED) {
		ctl_error("%s is already %s", m.id, al_store_status_name(m.status));
		goto out;
	}
	path = al_store_original_path(admin.store, m.id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ctl_error("%s: not released: cannot read %s: %s", m.id, path, g_strerror(errno));
		goto out;
	}
	original = g_mime_stream_fs_new(fd);
	if (release(&admin, &o, &m, original) == 0)
		status = CTL_EXIT_OK;
out:
	if (original != NULL)
		g_object_unref(original);
	al_store_message_clear(&m);
	ctl_admin_close(&admin);
	options_clear(&o);
	return status;
}
