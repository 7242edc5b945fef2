/*
 * ctl_admin.c - what the store subcommands (init, list, show, release,
 * delete, purge) share: the config and the store opened as the store's
 * owner, the admin's name for the audit trail, dates and JSON.
 *
 * PRIVILEGES
 *	Run as root, airlockctl does its store work as the user who owns
 *	the quarantine directory (the daemon's user): files SQLite creates
 *	beside the database (-wal, -shm) must stay the daemon's, and the
 *	tool needs no more than the daemon has. The admin's own name is
 *	taken before that, from SUDO_USER or the real user, for the audit
 *	events.
 */
#include "ctl_admin.h"

#include "airlock/json.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *admin_name(void)
{
	const char *sudo_user = g_getenv("SUDO_USER");
	struct passwd *pw;

	if (getuid() == 0 && sudo_user != NULL && sudo_user[0] != '\0')
		return g_strdup(sudo_user);
	pw = getpwuid(getuid());
	if (pw != NULL)
		return g_strdup(pw->pw_name);
	return g_strdup_printf("uid %u", (unsigned)getuid());
}

int ctl_become(uid_t uid, gid_t gid, const char *what)
{
	if (geteuid() != 0 || uid == 0)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		ctl_error("cannot become the owner of %s (uid %u): %s", what, (unsigned)uid,
			  g_strerror(errno));
		return -1;
	}
	return 0;
}

/* As root: become the owner of the quarantine directory. */
static int become_store_owner(const struct al_config *config)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(config->quarantine_dir, &st) < 0) {
		if (errno == ENOENT)
			ctl_error("%s does not exist: run airlockctl init", config->quarantine_dir);
		else
			ctl_error("cannot access %s: %s", config->quarantine_dir,
				  g_strerror(errno));
		return -1;
	}
	return ctl_become(st.st_uid, st.st_gid, config->quarantine_dir);
}

int ctl_admin_open(const char *config_path, struct ctl_admin *admin_r)
{
	g_autoptr(GError) error = NULL;
	struct al_store_where where;

	*admin_r = (struct ctl_admin){0};
	admin_r->who = admin_name();
	admin_r->config =
	    al_config_load(config_path ? config_path : al_config_default_path(), FALSE, &error);
	if (admin_r->config == NULL) {
		ctl_error("%s", error->message);
		goto fail;
	}
	if (become_store_owner(admin_r->config) < 0)
		goto fail;
	al_store_where_config(admin_r->config, &where);
	admin_r->store = al_store_open_at(&where, FALSE, &error);
	if (admin_r->store == NULL) {
		ctl_error("%s", error->message);
		goto fail;
	}
	return 0;
fail:
	ctl_admin_close(admin_r);
	return -1;
}

void ctl_admin_close(struct ctl_admin *admin)
{
	al_store_close(&admin->store);
	al_config_free(&admin->config);
	g_clear_pointer(&admin->who, g_free);
}

char *ctl_local_time(gint64 unix_seconds)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(unix_seconds);

	return t != NULL ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

static char *utc_time(gint64 unix_seconds)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_seconds);

	return t != NULL ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

int ctl_parse_date(const char *text, gint64 *unix_r)
{
	int year, month, day;
	char end;
	g_autoptr(GDateTime) t = NULL;

	if (sscanf(text, "%4d-%2d-%2d%c", &year, &month, &day, &end) != 3 ||
	    !g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year))
		return -1;
	t = g_date_time_new_local(year, month, day, 0, 0, 0);
	if (t == NULL)
		return -1;
	*unix_r = g_date_time_to_unix(t);
	return 0;
}

/* ---- JSON ---- */

static void member(GString *out, const char *name, const char *value)
{
	g_string_append_printf(out, ",\"%s\":", name);
	al_json_append_string(out, value);
}

static void string_array(GString *out, const char *name, char *const *strings)
{
	g_string_append_printf(out, ",\"%s\":[", name);
	for (gsize i = 0; strings != NULL && strings[i] != NULL; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		al_json_append_string(out, strings[i]);
	}
	g_string_append_c(out, ']');
}

static void reason_array(GString *out, const char *name, al_reason_set set)
{
	g_string_append_printf(out, ",\"%s\":", name);
	al_json_append_reasons(out, set);
}

char *ctl_reasons_text(al_reason_set set, const char *sep)
{
	GString *out = g_string_new(NULL);

	al_reason_set_append(out, set, sep);
	return g_string_free(out, FALSE);
}

static void append_item(GString *out, const struct al_store_item *item)
{
	g_string_append(out, "{\"part\":");
	al_json_append_string(out, item->part);
	member(out, "filename", item->filename);
	member(out, "declared_type", item->declared_type);
	member(out, "detected_type", item->detected_type);
	g_string_append_printf(out, ",\"size\":%" G_GINT64_FORMAT ",\"verdict\":\"%s\"", item->size,
			       item->quarantined ? "quarantine" : "clean");
	reason_array(out, "reasons", item->reasons);
	string_array(out, "details", item->details);
	string_array(out, "viruses", item->viruses);
	/* Written by the store with the same JSON writer: kept as it is. */
	g_string_append_printf(
	    out, ",\"inner\":%s}",
	    item->inner_json != NULL && item->inner_json[0] == '[' ? item->inner_json : "[]");
}

static void append_events(GString *out, const GPtrArray *events)
{
	g_string_append(out, ",\"events\":[");
	for (guint i = 0; i < events->len; i++) {
		const struct al_store_event *e = events->pdata[i];
		g_autofree char *at = utc_time(e->at);

		g_string_append(out, i > 0 ? ",{\"at\":" : "{\"at\":");
		al_json_append_string(out, at);
		member(out, "event", e->event);
		member(out, "who", e->who);
		member(out, "detail", e->detail);
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
}

static void append_context(GString *out, const struct al_store_message *m)
{
	g_string_append(out, ",\"client\":{\"addr\":");
	al_json_append_string(out, m->client_addr);
	member(out, "name", m->client_name);
	member(out, "helo", m->helo);
	member(out, "auth_user", m->auth_user);
	g_string_append_printf(out, "},\"origin\":{\"known\":%s",
			       m->origin_known ? "true" : "false");
	member(out, "why", m->origin_why);
	g_string_append_c(out, '}');
}

void ctl_json_message(GString *out, const struct al_store_message *m)
{
	g_autofree char *received = utc_time(m->received_at);

	g_string_append_printf(out, "{\"id\":\"%s\"", m->id);
	member(out, "received_at", received);
	member(out, "status", al_store_status_name(m->status));
	member(out, "action", m->action);
	reason_array(out, "reasons", m->reasons);
	member(out, "queue_id", m->queue_id);
	member(out, "envelope_from", m->envelope_from);
	member(out, "header_from", m->header_from);
	member(out, "subject", m->subject);
	string_array(out, "recipients", m->recipients);
	string_array(out, "released_to", m->released_to);
	append_context(out, m);
	g_string_append_printf(out, ",\"size\":%" G_GINT64_FORMAT, m->size);
	member(out, "sha256", m->sha256);
	g_string_append(out, ",\"items\":[");
	for (guint i = 0; m->items != NULL && i < m->items->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		append_item(out, m->items->pdata[i]);
	}
	g_string_append_c(out, ']');
	if (m->events != NULL)
		append_events(out, m->events);
	g_string_append_c(out, '}');
}
