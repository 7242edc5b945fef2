/*
 * backup_manifest.c - the MANIFEST of a backup: written, read, checked.
 *
 * FORMAT (text, one item per line, LF)
 *	airlock-backup 1
 *	airlock VERSION
 *	schema N
 *	created YYYY-MM-DDTHH:MM:SSZ
 *	key yes|no
 *	file SHA256 SIZE PATH		(one per file; PATH relative)
 *	end SHA256			(of every byte before this line)
 *
 * The end line tells a complete manifest from a truncated one (a backup
 * interrupted while writing it) and catches an edited line. It is not a
 * signature: whoever can rewrite the whole manifest can make it match;
 * keep backups where an intruder cannot write.
 *
 * Paths are checked when read: only airlock.db, release.key and
 * msg/ID.eml, so a hostile manifest cannot make restore write elsewhere.
 */
#include "backup_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAX_BYTES (64 * 1024 * 1024)
#define FORMAT_LINE	   "airlock-backup"

void backup_manifest_free(struct backup_manifest *manifest)
{
	if (manifest == NULL)
		return;
	g_free(manifest->airlock_version);
	g_free(manifest->created);
	if (manifest->entries != NULL)
		g_ptr_array_unref(manifest->entries);
	g_free(manifest);
}

static void entry_free(gpointer data)
{
	struct backup_entry *entry = data;

	g_free(entry->path);
	g_free(entry);
}

struct backup_entry *backup_entry_new(const char *path, const char *sha256, gint64 size)
{
	struct backup_entry *entry = g_new0(struct backup_entry, 1);

	entry->path = g_strdup(path);
	g_strlcpy(entry->sha256, sha256, sizeof(entry->sha256));
	entry->size = size;
	return entry;
}

struct backup_manifest *backup_manifest_new(void)
{
	struct backup_manifest *manifest = g_new0(struct backup_manifest, 1);

	manifest->entries = g_ptr_array_new_with_free_func(entry_free);
	return manifest;
}

const struct backup_entry *backup_manifest_find(const struct backup_manifest *manifest,
						const char *path)
{
	for (guint i = 0; i < manifest->entries->len; i++) {
		const struct backup_entry *entry = manifest->entries->pdata[i];

		if (strcmp(entry->path, path) == 0)
			return entry;
	}
	return NULL;
}

gboolean backup_is_valid_path(const char *path)
{
	char id[AL_STORE_ID_LEN + 1];
	gsize length = strlen(path);

	if (strcmp(path, BACKUP_DB) == 0 || strcmp(path, BACKUP_KEY) == 0)
		return TRUE;
	if (length != 4 + AL_STORE_ID_LEN + 4 || strncmp(path, BACKUP_MSG "/", 4) != 0 ||
	    strcmp(path + 4 + AL_STORE_ID_LEN, ".eml") != 0)
		return FALSE;
	/* Canonical: the id as the store writes it, nothing normalised. */
	{
		g_autofree char *text = g_strndup(path + 4, AL_STORE_ID_LEN);

		return al_store_parse_id(text, id) && strcmp(id, text) == 0;
	}
}

/* ---- writing ---- */

static GString *manifest_text(const struct backup_manifest *manifest)
{
	GString *text = g_string_new(NULL);
	g_autofree char *end = NULL;

	g_string_append_printf(text,
			       FORMAT_LINE " %" G_GINT64_FORMAT "\nairlock %s\nschema %" G_GINT64_FORMAT
					   "\ncreated %s\nkey %s\n",
			       manifest->format, manifest->airlock_version, manifest->schema_version,
			       manifest->created, manifest->with_key ? "yes" : "no");
	for (guint i = 0; i < manifest->entries->len; i++) {
		const struct backup_entry *entry = manifest->entries->pdata[i];

		g_string_append_printf(text, "file %s %" G_GINT64_FORMAT " %s\n", entry->sha256,
				       entry->size, entry->path);
	}
	end = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text->str, text->len);
	g_string_append_printf(text, "end %s\n", end);
	return text;
}

static int write_text(int fd, const char *path, const GString *text, GError **error)
{
	const char *data = text->str;
	gsize left = text->len;

	while (left > 0) {
		ssize_t n = write(fd, data, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return backup_io_error(error, path, "write failed", n < 0 ? errno : ENOSPC);
		data += n;
		left -= (gsize)n;
	}
	if (fsync(fd) < 0)
		return backup_io_error(error, path, "fsync failed", errno);
	return 0;
}

int backup_manifest_write(const char *dir, const struct backup_manifest *manifest,
			  GError **error)
{
	g_autofree char *path = g_build_filename(dir, AL_BACKUP_MANIFEST, NULL);
	g_autoptr(GString) text = manifest_text(manifest);
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc;

	if (fd < 0)
		return backup_io_error(error, path, "cannot create", errno);
	rc = fchmod(fd, 0600) < 0 ? backup_io_error(error, path, "cannot chmod 600", errno)
				  : write_text(fd, path, text, error);
	if (close(fd) < 0 && rc == 0)
		rc = backup_io_error(error, path, "close failed", errno);
	if (rc == 0)
		rc = backup_fsync_dir(dir, error);
	if (rc < 0)
		(void)unlink(path);
	return rc;
}

/* ---- reading ---- */

static gboolean is_sha256(const char *text)
{
	if (strlen(text) != 64)
		return FALSE;
	for (const char *p = text; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p) && !(*p >= 'a' && *p <= 'f'))
			return FALSE;
	return TRUE;
}

static gboolean parse_size(const char *text, gint64 *size_r)
{
	guint64 value;

	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT64, &value, NULL))
		return FALSE;
	*size_r = (gint64)value;
	return TRUE;
}

static gboolean parse_file_line(struct backup_manifest *manifest, const char *line)
{
	g_auto(GStrv) fields = g_strsplit(line, " ", -1);
	gint64 size;

	if (g_strv_length(fields) != 4 || strcmp(fields[0], "file") != 0 ||
	    !is_sha256(fields[1]) || !parse_size(fields[2], &size) ||
	    !backup_is_valid_path(fields[3]) || backup_manifest_find(manifest, fields[3]) != NULL)
		return FALSE;
	g_ptr_array_add(manifest->entries, backup_entry_new(fields[3], fields[1], size));
	return TRUE;
}

/* "NAME VALUE": the value (transfer none) or NULL. */
static const char *header_value(const char *line, const char *name)
{
	gsize length = strlen(name);

	if (strncmp(line, name, length) != 0 || line[length] != ' ' || line[length + 1] == '\0')
		return NULL;
	return line + length + 1;
}

static gboolean parse_header(struct backup_manifest *manifest, char **lines)
{
	const char *format = header_value(lines[0], FORMAT_LINE);
	const char *version = header_value(lines[1], "airlock");
	const char *schema = header_value(lines[2], "schema");
	const char *created = header_value(lines[3], "created");
	const char *key = header_value(lines[4], "key");

	if (format == NULL || version == NULL || schema == NULL || created == NULL || key == NULL ||
	    !parse_size(format, &manifest->format) ||
	    !parse_size(schema, &manifest->schema_version) ||
	    (strcmp(key, "yes") != 0 && strcmp(key, "no") != 0))
		return FALSE;
	manifest->airlock_version = g_strdup(version);
	manifest->created = g_strdup(created);
	manifest->with_key = strcmp(key, "yes") == 0;
	return TRUE;
}

/* Checks the end line against the bytes before it; the lines without it. */
static gboolean check_end(char *text, gsize length)
{
	char *end_line;
	g_autofree char *expected = NULL;

	if (length < 2 || text[length - 1] != '\n')
		return FALSE;
	text[length - 1] = '\0';
	end_line = strrchr(text, '\n');
	if (end_line == NULL || strncmp(end_line + 1, "end ", 4) != 0)
		return FALSE;
	expected = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text,
					       (gsize)(end_line + 1 - text));
	if (strcmp(end_line + 5, expected) != 0)
		return FALSE;
	*end_line = '\0';
	return TRUE;
}

static struct backup_manifest *parse(char *text, gsize length)
{
	g_autoptr(backup_manifest) manifest = backup_manifest_new();
	g_auto(GStrv) lines = NULL;

	if (memchr(text, '\0', length) != NULL || !check_end(text, length))
		return NULL;
	lines = g_strsplit(text, "\n", -1);
	if (g_strv_length(lines) < 6 || !parse_header(manifest, lines))
		return NULL;
	for (gsize i = 5; lines[i] != NULL; i++)
		if (!parse_file_line(manifest, lines[i]))
			return NULL;
	return g_steal_pointer(&manifest);
}

struct backup_manifest *backup_manifest_read(const char *dir, GError **error)
{
	g_autofree char *path = g_build_filename(dir, AL_BACKUP_MANIFEST, NULL);
	g_autofree char *text = NULL;
	gsize length = 0;
	struct backup_manifest *manifest;

	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) ||
	    g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		backup_mismatch(error, dir, AL_BACKUP_MANIFEST,
				"missing: not a backup, or an incomplete one");
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &length, error))
		return NULL;
	manifest = length <= MANIFEST_MAX_BYTES ? parse(text, length) : NULL;
	if (manifest == NULL) {
		backup_mismatch(error, dir, AL_BACKUP_MANIFEST,
				"incomplete, edited or not a manifest");
		return NULL;
	}
	if (manifest->format != AL_BACKUP_FORMAT) {
		g_set_error(error, AL_BACKUP_ERROR, AL_BACKUP_ERROR_VERSION,
			    "%s: backup format %" G_GINT64_FORMAT
			    " is not this airlock's (%d): use the airlock that wrote it",
			    path, manifest->format, AL_BACKUP_FORMAT);
		backup_manifest_free(manifest);
		return NULL;
	}
	return manifest;
}
