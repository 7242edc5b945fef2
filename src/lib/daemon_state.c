/*
 * daemon_state.c - the daemon's state file, its hourly counts, and what
 * the ClamAV database directory holds (see daemon_state.h).
 *
 * SYNOPSIS
 *	al_daemon_state_write(&state, path, &error)
 *	al_daemon_state_read(path, &state, &error)
 *	al_daemon_state_count(&state, now, judged, quarantined, tempfailed)
 *	al_daemon_state_last_day(&state, now, &judged, &quarantined, &tempfailed)
 *	al_clamav_database_info(dir, &found, &built_at, &version, &error)
 *
 * FILE FORMAT
 *	A GKeyFile: [daemon] (format = 1, pid, version, started_at,
 *	written_at, socket), [engine], [reload], [disk], and [hours], one
 *	key per used slot: "HOUR = judged;quarantined;tempfailed" where HOUR
 *	is unix seconds / 3600. Times are unix seconds. A reader refuses a
 *	file without format = 1, a pid, a written_at, or with a value out of
 *	range, rather than showing figures it made up.
 *
 *	The writer makes a unique temporary file beside path (PATH.XXXXXX,
 *	so two threads writing at once cannot mix their bytes), writes it,
 *	fsyncs it, renames it over path and fsyncs the directory: a reader
 *	sees the old state or the new one, never half of one.
 *
 * CLAMAV HEADERS
 *	.cvd, .cld and .cud files open with a 512-byte text header padded
 *	with spaces: "ClamAV-VDB:BUILD DATE:VERSION:SIGNATURES:FUNCTIONALITY
 *	LEVEL:MD5:DIGITAL SIGNATURE:BUILDER:BUILD TIME", the build date as
 *	"07 Mar 2017 08-02 -0500" (no colon in it) and the build time in
 *	unix seconds (absent from very old files).
 */
#include "airlock/daemon_state.h"

#include "airlock/common.h"
#include "scan_private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FORMAT       1
#define STATE_MAX_BYTES    (64 * 1024)
#define CVD_HEADER_BYTES   512
#define CVD_MAGIC          "ClamAV-VDB:"
#define CVD_FIELD_VERSION  2
#define CVD_FIELD_BUILD_AT 8
#define CVD_FIELD_DATE     1

/* ---- writing ---- */

static void set_string(GKeyFile *file, const char *group, const char *key, const char *value)
{
	if (value != NULL)
		g_key_file_set_string(file, group, key, value);
}

static void put_hours(GKeyFile *file, const struct al_daemon_state *state)
{
	for (guint i = 0; i < AL_DAEMON_STATE_HOURS; i++) {
		const struct al_daemon_hour *h = &state->hours[i];
		char key[32];
		gint counts[3];

		if (h->hour <= 0)
			continue;
		g_snprintf(key, sizeof(key), "%" G_GINT64_FORMAT, h->hour);
		counts[0] = (gint)MIN(h->judged, (guint)G_MAXINT);
		counts[1] = (gint)MIN(h->quarantined, (guint)G_MAXINT);
		counts[2] = (gint)MIN(h->tempfailed, (guint)G_MAXINT);
		g_key_file_set_integer_list(file, "hours", key, counts, 3);
	}
}

static char *state_text(const struct al_daemon_state *state, gsize *length_r)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	const struct al_daemon_reload *reload = &state->last_reload;

	g_key_file_set_integer(file, "daemon", "format", STATE_FORMAT);
	g_key_file_set_int64(file, "daemon", "pid", state->pid);
	set_string(file, "daemon", "version", state->version);
	g_key_file_set_int64(file, "daemon", "started_at", state->started_at);
	g_key_file_set_int64(file, "daemon", "written_at", state->written_at);
	set_string(file, "daemon", "socket", state->socket);
	g_key_file_set_uint64(file, "engine", "generation", state->generation);
	g_key_file_set_uint64(file, "engine", "signatures", state->signatures);
	g_key_file_set_int64(file, "engine", "loaded_at", state->engine_loaded_at);
	g_key_file_set_boolean(file, "engine", "clamav_loaded", state->clamav_loaded);
	g_key_file_set_int64(file, "engine", "clamav_built_at", state->clamav_built_at);
	g_key_file_set_uint64(file, "engine", "clamav_version", state->clamav_version);
	g_key_file_set_int64(file, "engine", "database_checked_at", state->database_checked_at);
	g_key_file_set_int64(file, "reload", "at", reload->at);
	g_key_file_set_boolean(file, "reload", "ok", reload->ok);
	set_string(file, "reload", "trigger", reload->trigger);
	set_string(file, "reload", "error", reload->error);
	g_key_file_set_boolean(file, "disk", "low", state->disk_low);
	g_key_file_set_uint64(file, "disk", "free_bytes", state->disk_free_bytes);
	g_key_file_set_uint64(file, "disk", "min_free_bytes", state->disk_min_free_bytes);
	put_hours(file, state);
	return g_key_file_to_data(file, length_r, NULL);
}

static int io_error(GError **error, const char *path, const char *what, int errsv)
{
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s: %s: %s", path, what, g_strerror(errsv));
	return -1;
}

static int fsync_dir_of(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return io_error(error, dir, "cannot open", errno);
	if (fsync(fd) < 0)
		rc = io_error(error, dir, "fsync failed", errno);
	close(fd);
	return rc;
}

int al_daemon_state_write(const struct al_daemon_state *state, const char *path, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
	gsize length = 0;
	g_autofree char *text = state_text(state, &length);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0)
		return io_error(error, tmp, "cannot create", errno);
	if (fchmod(fd, 0644) < 0)
		rc = io_error(error, tmp, "cannot chmod 644", errno);
	if (rc == 0 && al_write_all(fd, text, length) < 0)
		rc = io_error(error, tmp, "write failed", errno);
	if (rc == 0 && fsync(fd) < 0)
		rc = io_error(error, tmp, "fsync failed", errno);
	if (close(fd) < 0 && rc == 0)
		rc = io_error(error, tmp, "close failed", errno);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = io_error(error, path, "cannot rename into place", errno);
	if (rc < 0) {
		(void)unlink(tmp); /* best effort: the error is already reported */
		return -1;
	}
	return fsync_dir_of(path, error);
}

/* ---- reading ---- */

/* Reads group.key into *value_r when present; FALSE for a value that is
 * not an integer in [min, max]. A missing key leaves *value_r alone. */
static gboolean get_int(GKeyFile *file, const char *group, const char *key, gint64 min, gint64 max,
			gint64 *value_r)
{
	g_autoptr(GError) error = NULL;
	gint64 value;

	if (!g_key_file_has_key(file, group, key, NULL))
		return TRUE;
	value = g_key_file_get_int64(file, group, key, &error);
	if (error != NULL || value < min || value > max)
		return FALSE;
	*value_r = value;
	return TRUE;
}

static gboolean get_uint(GKeyFile *file, const char *group, const char *key, guint *value_r)
{
	gint64 value = *value_r;

	if (!get_int(file, group, key, 0, G_MAXUINT, &value))
		return FALSE;
	*value_r = (guint)value;
	return TRUE;
}

static gboolean get_u64(GKeyFile *file, const char *group, const char *key, guint64 *value_r)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_key_file_get_value(file, group, key, NULL);
	guint64 value;

	if (text == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(g_strstrip(text), 10, 0, G_MAXUINT64, &value, &error))
		return FALSE;
	*value_r = value;
	return TRUE;
}

static gboolean get_bool(GKeyFile *file, const char *group, const char *key, gboolean *value_r)
{
	g_autoptr(GError) error = NULL;
	gboolean value;

	if (!g_key_file_has_key(file, group, key, NULL))
		return TRUE;
	value = g_key_file_get_boolean(file, group, key, &error);
	if (error != NULL)
		return FALSE;
	*value_r = value;
	return TRUE;
}

static char *get_string(GKeyFile *file, const char *group, const char *key)
{
	return g_key_file_get_string(file, group, key, NULL);
}

static gboolean read_daemon(GKeyFile *file, struct al_daemon_state *state)
{
	gint64 format = 0;

	if (!get_int(file, "daemon", "format", 0, G_MAXINT, &format) || format != STATE_FORMAT ||
	    !get_int(file, "daemon", "pid", 1, G_MAXINT, &state->pid) ||
	    !get_int(file, "daemon", "started_at", 0, G_MAXINT64, &state->started_at) ||
	    !get_int(file, "daemon", "written_at", 1, G_MAXINT64, &state->written_at))
		return FALSE;
	if (state->pid == 0 || state->written_at == 0)
		return FALSE;
	state->version = get_string(file, "daemon", "version");
	state->socket = get_string(file, "daemon", "socket");
	return TRUE;
}

static gboolean read_engine(GKeyFile *file, struct al_daemon_state *state)
{
	return get_uint(file, "engine", "generation", &state->generation) &&
	       get_uint(file, "engine", "signatures", &state->signatures) &&
	       get_int(file, "engine", "loaded_at", 0, G_MAXINT64, &state->engine_loaded_at) &&
	       get_bool(file, "engine", "clamav_loaded", &state->clamav_loaded) &&
	       get_int(file, "engine", "clamav_built_at", 0, G_MAXINT64, &state->clamav_built_at) &&
	       get_uint(file, "engine", "clamav_version", &state->clamav_version) &&
	       get_int(file, "engine", "database_checked_at", 0, G_MAXINT64,
		       &state->database_checked_at);
}

static gboolean read_reload_and_disk(GKeyFile *file, struct al_daemon_state *state)
{
	struct al_daemon_reload *reload = &state->last_reload;

	if (!get_int(file, "reload", "at", 0, G_MAXINT64, &reload->at) ||
	    !get_bool(file, "reload", "ok", &reload->ok) ||
	    !get_bool(file, "disk", "low", &state->disk_low) ||
	    !get_u64(file, "disk", "free_bytes", &state->disk_free_bytes) ||
	    !get_u64(file, "disk", "min_free_bytes", &state->disk_min_free_bytes))
		return FALSE;
	reload->trigger = get_string(file, "reload", "trigger");
	reload->error = get_string(file, "reload", "error");
	return TRUE;
}

/* One [hours] entry into a slot: the newest hours win when a hand-edited
 * file lists more than the ring holds. */
static void keep_hour(struct al_daemon_state *state, const struct al_daemon_hour *hour)
{
	guint oldest = 0;

	for (guint i = 0; i < AL_DAEMON_STATE_HOURS; i++) {
		if (state->hours[i].hour == hour->hour)
			return; /* GKeyFile already merged duplicate keys */
		if (state->hours[i].hour < state->hours[oldest].hour)
			oldest = i;
	}
	if (state->hours[oldest].hour < hour->hour)
		state->hours[oldest] = *hour;
}

static gboolean read_hour(GKeyFile *file, const char *key, struct al_daemon_hour *hour_r)
{
	g_autoptr(GError) error = NULL;
	g_autofree gint *counts = NULL;
	gsize n = 0;
	guint64 hour;

	if (!g_ascii_string_to_unsigned(key, 10, 1, G_MAXINT64 / 3600, &hour, NULL))
		return FALSE;
	counts = g_key_file_get_integer_list(file, "hours", key, &n, &error);
	if (error != NULL || n != 3 || counts[0] < 0 || counts[1] < 0 || counts[2] < 0)
		return FALSE;
	*hour_r = (struct al_daemon_hour){
	    .hour = (gint64)hour,
	    .judged = (guint)counts[0],
	    .quarantined = (guint)counts[1],
	    .tempfailed = (guint)counts[2],
	};
	return TRUE;
}

static gboolean read_hours(GKeyFile *file, struct al_daemon_state *state)
{
	g_auto(GStrv) keys = NULL;

	if (!g_key_file_has_group(file, "hours"))
		return TRUE;
	keys = g_key_file_get_keys(file, "hours", NULL, NULL);
	for (gsize i = 0; keys != NULL && keys[i] != NULL; i++) {
		struct al_daemon_hour hour;

		if (!read_hour(file, keys[i], &hour))
			return FALSE;
		keep_hour(state, &hour);
	}
	return TRUE;
}

static int not_a_state_file(GError **error, const char *path, const char *why)
{
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "%s is not an airlock-milter state file%s%s",
		    path, why != NULL ? ": " : "", why != NULL ? why : "");
	return -1;
}

int al_daemon_state_read(const char *path, struct al_daemon_state *state_r, GError **error)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GError) parse_error = NULL;
	g_autofree char *text = NULL;
	gsize length = 0;

	memset(state_r, 0, sizeof(*state_r));
	if (!g_file_get_contents(path, &text, &length, error))
		return -1;
	if (length > STATE_MAX_BYTES)
		return not_a_state_file(error, path, "too large");
	if (!g_key_file_load_from_data(file, text, length, G_KEY_FILE_NONE, &parse_error))
		return not_a_state_file(error, path, parse_error->message);
	if (!read_daemon(file, state_r) || !read_engine(file, state_r) ||
	    !read_reload_and_disk(file, state_r) || !read_hours(file, state_r)) {
		al_daemon_state_clear(state_r);
		return not_a_state_file(error, path, "a value is missing or out of range");
	}
	return 0;
}

void al_daemon_state_clear(struct al_daemon_state *state)
{
	g_free(state->version);
	g_free(state->socket);
	g_free(state->last_reload.trigger);
	g_free(state->last_reload.error);
	memset(state, 0, sizeof(*state));
}

/* ---- the last 24 hours ---- */

static guint add_saturating(guint a, guint b)
{
	return a > G_MAXUINT - b ? G_MAXUINT : a + b;
}

void al_daemon_state_count(struct al_daemon_state *state, gint64 now_seconds, guint judged,
			   guint quarantined, guint tempfailed)
{
	gint64 hour = now_seconds / 3600;
	struct al_daemon_hour *slot = &state->hours[0];

	for (guint i = 0; i < AL_DAEMON_STATE_HOURS; i++) {
		if (state->hours[i].hour == hour) {
			slot = &state->hours[i];
			break;
		}
		if (state->hours[i].hour < slot->hour)
			slot = &state->hours[i];
	}
	if (slot->hour != hour)
		*slot = (struct al_daemon_hour){.hour = hour};
	slot->judged = add_saturating(slot->judged, judged);
	slot->quarantined = add_saturating(slot->quarantined, quarantined);
	slot->tempfailed = add_saturating(slot->tempfailed, tempfailed);
}

void al_daemon_state_last_day(const struct al_daemon_state *state, gint64 now_seconds,
			      guint *judged_r, guint *quarantined_r, guint *tempfailed_r)
{
	gint64 hour = now_seconds / 3600;
	guint judged = 0, quarantined = 0, tempfailed = 0;

	for (guint i = 0; i < AL_DAEMON_STATE_HOURS; i++) {
		const struct al_daemon_hour *h = &state->hours[i];

		if (h->hour <= 0 || h->hour > hour || h->hour <= hour - AL_DAEMON_STATE_HOURS)
			continue;
		judged = add_saturating(judged, h->judged);
		quarantined = add_saturating(quarantined, h->quarantined);
		tempfailed = add_saturating(tempfailed, h->tempfailed);
	}
	*judged_r = judged;
	*quarantined_r = quarantined;
	*tempfailed_r = tempfailed;
}

/* ---- the ClamAV database ---- */

/* "07 Mar 2017 08-02 -0500" -> unix seconds; 0 if it is not that. */
static gint64 parse_build_date(const char *text)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char month[4], sign;
	int day, year, hour, minute, offset;
	g_autoptr(GDateTime) t = NULL;

	if (sscanf(text, "%d %3s %d %d-%d %c%4d", &day, month, &year, &hour, &minute, &sign,
		   &offset) != 7 ||
	    (sign != '+' && sign != '-'))
		return 0;
	for (guint m = 0; m < G_N_ELEMENTS(months); m++) {
		if (strcmp(month, months[m]) != 0)
			continue;
		t = g_date_time_new_utc(year, (gint)m + 1, day, hour, minute, 0);
		if (t == NULL)
			return 0;
		offset = (offset / 100) * 3600 + (offset % 100) * 60;
		return g_date_time_to_unix(t) - (sign == '+' ? offset : -offset);
	}
	return 0;
}

/* The build time and version from a .cvd/.cld header; FALSE if header
 * (NUL-terminated, at most CVD_HEADER_BYTES) is not one. */
static gboolean parse_cvd_header(const char *header, gint64 *built_at_r, guint *version_r)
{
	g_auto(GStrv) fields = NULL;
	guint64 number;

	if (!g_str_has_prefix(header, CVD_MAGIC))
		return FALSE;
	fields = g_strsplit(header, ":", -1);
	if (g_strv_length(fields) <= CVD_FIELD_VERSION)
		return FALSE;
	for (gsize i = 0; fields[i] != NULL; i++)
		g_strstrip(fields[i]);
	if (!g_ascii_string_to_unsigned(fields[CVD_FIELD_VERSION], 10, 0, G_MAXUINT, &number, NULL))
		return FALSE;
	*version_r = (guint)number;
	*built_at_r = 0;
	if (g_strv_length(fields) > CVD_FIELD_BUILD_AT &&
	    g_ascii_string_to_unsigned(fields[CVD_FIELD_BUILD_AT], 10, 1, G_MAXINT64, &number,
				       NULL))
		*built_at_r = (gint64)number;
	else
		*built_at_r = parse_build_date(fields[CVD_FIELD_DATE]);
	return *built_at_r > 0;
}

static gboolean read_cvd_header(const char *path, gint64 *built_at_r, guint *version_r)
{
	char header[CVD_HEADER_BYTES + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	gsize have = 0;

	if (fd < 0)
		return FALSE;
	while (have < CVD_HEADER_BYTES) {
		ssize_t n = read(fd, header + have, CVD_HEADER_BYTES - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (gsize)n;
	}
	close(fd);
	header[have] = '\0';
	return parse_cvd_header(header, built_at_r, version_r);
}

static gboolean is_cvd(const char *name)
{
	return g_str_has_suffix(name, ".cvd") || g_str_has_suffix(name, ".cld") ||
	       g_str_has_suffix(name, ".cud");
}

struct database_scan {
	gboolean found;
	gint64 newest_header; /* build time from .cvd/.cld headers */
	gint64 newest_mtime;  /* of the other signature files */
	guint version;
};

static void look_at(const char *dir, const char *name, struct database_scan *scan)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	gint64 built_at = 0;
	guint version = 0;
	GStatBuf st;

	if (!al_scan_is_database_file(name))
		return;
	scan->found = TRUE;
	if (is_cvd(name) && read_cvd_header(path, &built_at, &version)) {
		scan->newest_header = MAX(scan->newest_header, built_at);
		scan->version = MAX(scan->version, version);
	} else if (g_stat(path, &st) == 0) {
		scan->newest_mtime = MAX(scan->newest_mtime, (gint64)st.st_mtime);
	}
}

int al_clamav_database_info(const char *dir, gboolean *found_r, gint64 *built_at_r,
			    guint *version_r, GError **error)
{
	struct database_scan scan = {0};
	g_autoptr(GDir) listing = NULL;
	g_autoptr(GError) dir_error = NULL;
	const char *name;

	*found_r = FALSE;
	*built_at_r = 0;
	*version_r = 0;
	listing = g_dir_open(dir, 0, &dir_error);
	if (listing == NULL) {
		if (g_error_matches(dir_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
		    g_error_matches(dir_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
			return 0;
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "ClamAV database directory %s: %s", dir,
			    dir_error->message);
		return -1;
	}
	while ((name = g_dir_read_name(listing)) != NULL)
		look_at(dir, name, &scan);
	*found_r = scan.found;
	/* The headers say when ClamAV built its files; a local file touched
	 * today must not hide a daily.cvd that freshclam stopped updating. */
	*built_at_r = scan.newest_header > 0 ? scan.newest_header : scan.newest_mtime;
	*version_r = scan.version;
	return 0;
}
