/*
 * typeid_table.c - the file-type table (signatures/filetypes.conf, whose
 * header gives the format): one rule per line, CATEGORY KIND VALUE, KIND
 * being mime (a MIME type, or a whole top-level type), ext or clamav;
 * a value given twice for one KIND is an error naming both lines. Also
 * the category names.
 */
#include "typeid_private.h"

#include <string.h>

#define LINE_SHIFT 8 /* table values: (line << LINE_SHIFT) | category */

static const char *const category_names[AL_CAT_COUNT] = {
	[AL_CAT_OTHER] = "other",	    [AL_CAT_TEXT] = "text",
	[AL_CAT_DOCUMENT] = "document",	    [AL_CAT_IMAGE] = "image",
	[AL_CAT_MEDIA] = "media",	    [AL_CAT_ARCHIVE] = "archive",
	[AL_CAT_CONTAINER] = "container",
	[AL_CAT_EXECUTABLE] = "executable", [AL_CAT_SCRIPT] = "script",
	[AL_CAT_INSTALLER] = "installer",   [AL_CAT_DISK_IMAGE] = "disk-image",
	[AL_CAT_SHORTCUT] = "shortcut",	    [AL_CAT_ACTIVE_DOC] = "active-doc",
};

const char *al_category_name(enum al_category category)
{
	if ((unsigned)category >= AL_CAT_COUNT)
		return "invalid";
	return category_names[category];
}

static int category_from_name(const char *name)
{
	for (int i = 0; i < AL_CAT_COUNT; i++)
		if (strcmp(category_names[i], name) == 0)
			return i;
	return -1;
}

enum al_category al_typeid_lookup(GHashTable *table, const char *key)
{
	gpointer value;

	if (key == NULL || !g_hash_table_lookup_extended(table, key, NULL, &value))
		return AL_CAT_OTHER;
	return (enum al_category)(GPOINTER_TO_UINT(value) & ((1u << LINE_SHIFT) - 1));
}

static GHashTable *table_for(struct al_typeid *typeid, const char *kind, char **key)
{
	if (strcmp(kind, "ext") == 0)
		return typeid->by_extension;
	if (strcmp(kind, "clamav") == 0)
		return typeid->by_clamav;
	if (strcmp(kind, "mime") != 0)
		return NULL;
	if (g_str_has_suffix(*key, "/*")) {
		(*key)[strlen(*key) - 2] = '\0';
		return typeid->by_mime_top;
	}
	return typeid->by_mime;
}

/* The value's own syntax: what a reader of the table would get wrong. */
static const char *value_problem(const char *kind, const char *value)
{
	if (strcmp(kind, "mime") == 0 && strchr(value, '/') == NULL)
		return "a MIME type needs a '/'";
	if (strcmp(kind, "ext") == 0 && (value[0] == '.' || strchr(value, '/') != NULL))
		return "an extension is written without dot or slash";
	if (strcmp(kind, "clamav") == 0 && !g_str_has_prefix(value, "CL_TYPE_"))
		return "a ClamAV type starts with CL_TYPE_";
	return NULL;
}

static int add_rule(struct al_typeid *typeid, const char *path, guint line, char **fields,
		    GError **error)
{
	int category = category_from_name(fields[0]);
	g_autofree char *key = NULL;
	const char *problem;
	GHashTable *table;
	gpointer old;

	if (category < 0 || category == AL_CAT_OTHER) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "%s:%u: unknown category '%s'", path,
			    line, fields[0]);
		return -1;
	}
	key = strcmp(fields[1], "clamav") == 0 ? g_strdup(fields[2])
					       : g_ascii_strdown(fields[2], -1);
	table = table_for(typeid, fields[1], &key);
	if (table == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "%s:%u: unknown kind '%s' (mime, ext or clamav)", path, line,
			    fields[1]);
		return -1;
	}
	problem = value_problem(fields[1], fields[2]);
	if (problem != NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "%s:%u: '%s': %s", path, line,
			    fields[2], problem);
		return -1;
	}
	if (g_hash_table_lookup_extended(table, key, NULL, &old)) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "%s:%u: %s %s is already listed on line %u", path, line, fields[1],
			    fields[2], GPOINTER_TO_UINT(old) >> LINE_SHIFT);
		return -1;
	}
	g_hash_table_insert(table, g_steal_pointer(&key),
			    GUINT_TO_POINTER((line << LINE_SHIFT) | (guint)category));
	return 0;
}

/* Splits one line into at most 3 fields after removing the comment;
 * returns the number of fields found (4 means "too many"). */
static guint split_line(char *line, char **fields)
{
	char *comment = strchr(line, '#');
	char *save = NULL;
	guint count = 0;

	if (comment != NULL)
		*comment = '\0';
	for (char *field = strtok_r(line, " \t\r", &save); field != NULL;
	     field = strtok_r(NULL, " \t\r", &save)) {
		if (count == 3)
			return 4;
		fields[count++] = field;
	}
	return count;
}

int al_typeid_load_table(struct al_typeid *typeid, const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	guint rules = 0;

	if (!g_file_get_contents(path, &text, NULL, error)) {
		g_prefix_error(error, "file type table: ");
		return -1;
	}
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		char *fields[3];
		guint count = split_line(lines[i], fields);

		if (count == 0)
			continue;
		if (count != 3) {
			g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
				    "%s:%u: expected CATEGORY KIND VALUE", path, i + 1);
			return -1;
		}
		if (add_rule(typeid, path, i + 1, fields, error) < 0)
			return -1;
		rules++;
	}
	if (rules == 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG, "%s: no rules", path);
		return -1;
	}
	return 0;
}
