/*
 * guard.c - the disk guard (see guard.h).
 */
#include "guard.h"

#include "log.h"
#include "state.h"

#include "airlock/notice.h"
#include "airlock/sendmail.h"

#include <string.h>

#define LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

static GMutex lock;
static gboolean low;
static gint64 last_log_us;
static gint64 last_mail_us;
static guint refused_since_log;

/* "300.0 MiB" in plain ASCII (GLib puts a no-break space) with the
 * exact byte count, for the log. */
static char *size_text(guint64 bytes)
{
	g_autofree char *human = g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
	GString *text = g_string_new(human);

	g_string_replace(text, "\u00a0", " ", 0);
	g_string_append_printf(text, " (%" G_GUINT64_FORMAT " bytes)", bytes);
	return g_string_free(text, FALSE);
}

static void mail_admin(const struct al_config *config, guint64 free_bytes, guint64 min_bytes)
{
	g_autofree char *alert = al_notice_disk_alert(config, free_bytes, min_bytes);
	const char *recipients[] = { config->admin_address, NULL };
	g_autoptr(GError) error = NULL;

	if (al_sendmail(config->notice_command, "", recipients, alert, strlen(alert), &error) < 0)
		log_msg(LOG_ERR, "disk alert to %s not sent: %s", config->admin_address,
			error->message);
	else
		log_msg(LOG_NOTICE, "disk alert mailed to %s", config->admin_address);
}

/* Under the lock: the state changes and the log lines. Returns whether
 * the admin should be mailed now. */
static gboolean note(const struct al_config *config, gboolean below, gboolean refusing,
		     guint64 free_bytes, guint64 min_bytes)
{
	gint64 now = g_get_monotonic_time();
	g_autofree char *free_text = size_text(free_bytes);
	g_autofree char *min_text = size_text(min_bytes);
	gboolean mail = FALSE;

	if (below && refusing)
		refused_since_log++;
	if (below && !low) {
		log_msg(LOG_ERR, "quarantine disk low: %s free on %s, below [quarantine] min_free "
				 "(%s): messages that must be quarantined are answered tempfail "
				 "until space is back",
			free_text, config->quarantine_dir, min_text);
		last_log_us = now;
		refused_since_log = 0;
		mail = last_mail_us == 0 || now - last_mail_us >= GUARD_MAIL_INTERVAL_SECONDS *
								  G_USEC_PER_SEC;
		if (mail)
			last_mail_us = now;
	} else if (below && now - last_log_us >= LOG_INTERVAL_US) {
		log_msg(LOG_ERR, "quarantine disk still low: %s free on %s (min_free %s): %u "
				 "messages answered tempfail since the last report",
			free_text, config->quarantine_dir, min_text, refused_since_log);
		last_log_us = now;
		refused_since_log = 0;
	} else if (!below && low) {
		log_msg(LOG_NOTICE, "quarantine disk space back: %s free on %s (min_free %s): "
				    "quarantining again",
			free_text, config->quarantine_dir, min_text);
	}
	low = below;
	state_disk(below, free_bytes, min_bytes);
	return mail;
}

/* Measures; -1 when below min_free. */
static int measure(const struct runtime *rt, gboolean refusing, guint64 *free_r,
		   guint64 *min_r)
{
	const struct al_config *config = rt->config;
	guint64 total = 0;
	gboolean mail;

	*free_r = *min_r = 0;
	if (al_disk_space(config->quarantine_dir, free_r, &total, NULL) < 0)
		return 0;
	*min_r = al_free_space_bytes(&config->quarantine_min_free, total);
	g_mutex_lock(&lock);
	mail = note(config, *free_r < *min_r, refusing, *free_r, *min_r);
	g_mutex_unlock(&lock);
	if (mail)
		mail_admin(config, *free_r, *min_r);
	return *free_r < *min_r ? -1 : 0;
}

int guard_check(const struct runtime *rt, GError **error)
{
	guint64 free_bytes;
	guint64 min_bytes;
	g_autofree char *free_text = NULL;
	g_autofree char *min_text = NULL;

	if (measure(rt, TRUE, &free_bytes, &min_bytes) == 0)
		return 0;
	free_text = size_text(free_bytes);
	min_text = size_text(min_bytes);
	g_set_error(error, AL_ERROR, AL_ERROR_IO,
		    "%s free on %s, below [quarantine] min_free (%s)", free_text,
		    rt->config->quarantine_dir, min_text);
	return -1;
}

void guard_tick(const struct runtime *rt)
{
	guint64 free_bytes;
	guint64 min_bytes;

	if (rt != NULL)
		measure(rt, FALSE, &free_bytes, &min_bytes);
}
