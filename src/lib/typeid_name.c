/*
 * typeid_name.c - what a file's name says: bidi, invisible and control
 * characters, padding spaces before an extension, double extensions, and
 * extensions of dangerous types (see typeid.h). Names from mail are
 * quoted in sentences bounded and with their tricks made visible.
 */
#include "typeid_private.h"

#include <string.h>

/* "file name ends in .js, ..." */
static const char *const extension_phrases[AL_CAT_COUNT] = {
    [AL_CAT_EXECUTABLE] = "a program Windows runs when opened",
    [AL_CAT_SCRIPT] = "a script Windows runs when opened",
    [AL_CAT_INSTALLER] = "an installer package that runs when opened",
    [AL_CAT_DISK_IMAGE] = "a disk image Windows mounts as a drive when opened",
    [AL_CAT_SHORTCUT] = "a shortcut that can start any program",
    [AL_CAT_ACTIVE_DOC] = "a document format that runs code when opened",
};

void al_typeid_found(struct findings *findings, enum al_reason reason, char *sentence)
{
	findings->reasons |= AL_REASON_BIT(reason);
	if (findings->details != NULL)
		g_ptr_array_add(findings->details, sentence);
	else
		g_free(sentence);
}

static gboolean is_bidi_control(gunichar c)
{
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
	       c == 0x200F || c == 0x061C;
}

static gboolean is_invisible(gunichar c)
{
	return (c >= 0x200B && c <= 0x200D) || c == 0xFEFF || c == 0x00AD ||
	       (c >= 0x2060 && c <= 0x2064) || c == 0x180E || c == 0x3164 || c == 0x115F ||
	       c == 0x1160 || c == 0xFFA0 || c == 0x034F;
}

static gboolean is_control(gunichar c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

static gboolean is_padding_space(gunichar c)
{
	return c == ' ' || c == 0x00A0 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F ||
	       c == 0x205F || c == 0x3000 || c == 0x2800;
}

/* A mail-supplied name fit for a sentence: bounded, with the characters
 * that would reorder or hide text written as <U+XXXX>. */
char *al_typeid_shown_name(const char *name)
{
	GString *out = g_string_new(NULL);

	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (out->len >= MAX_SHOWN_BYTES) {
			g_string_append(out, "...");
			break;
		}
		if (is_bidi_control(c) || is_invisible(c) || is_control(c))
			g_string_append_printf(out, "<U+%04X>", (unsigned)c);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static void check_characters(const char *name, struct findings *findings)
{
	gunichar bidi = 0, invisible = 0, control = 0;

	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (bidi == 0 && is_bidi_control(c))
			bidi = c;
		else if (invisible == 0 && is_invisible(c))
			invisible = c;
		else if (control == 0 && is_control(c))
			control = c;
	}
	if (bidi == 0x202E || bidi == 0x202B || bidi == 0x2067)
		al_typeid_found(
		    findings, AL_REASON_DISGUISED,
		    g_strdup_printf("name contains a right-to-left override (U+%04X) that "
				    "reverses how it is displayed",
				    (unsigned)bidi));
	else if (bidi != 0)
		al_typeid_found(
		    findings, AL_REASON_DISGUISED,
		    g_strdup_printf("name contains the bidirectional control U+%04X that "
				    "changes how it is displayed",
				    (unsigned)bidi));
	if (invisible != 0)
		al_typeid_found(findings, AL_REASON_DISGUISED,
				g_strdup_printf("name contains the invisible character U+%04X",
						(unsigned)invisible));
	if (control != 0)
		al_typeid_found(findings, AL_REASON_DISGUISED,
				g_strdup_printf("name contains the control character U+%04X",
						(unsigned)control));
}

/* Number of padding spaces just before offset end of name. */
static guint spaces_before(const char *name, gsize end)
{
	const char *p = name + end;
	guint count = 0;

	while (p > name) {
		const char *prev = g_utf8_find_prev_char(name, p);

		if (prev == NULL || !is_padding_space(g_utf8_get_char(prev)))
			break;
		count++;
		p = prev;
	}
	return count;
}

/* "facture.pdf.exe", "photo.jpg    .scr", "invoice.pdf .exe": the
 * extension before the last one, once dots, padding and invisible
 * characters between the two are dropped. */
static char *previous_extension(const char *name, gsize dot)
{
	g_autofree char *stem = g_strndup(name, dot);
	char *end = stem + strlen(stem);

	while (end > stem) {
		char *prev = g_utf8_find_prev_char(stem, end);
		gunichar c = g_utf8_get_char(prev);

		if (c != '.' && !is_padding_space(c) && !is_invisible(c))
			break;
		end = prev;
	}
	*end = '\0';
	return al_typeid_last_extension(stem, NULL);
}

static void check_extensions(const struct al_typeid *typeid, const char *name,
			     struct findings *findings)
{
	gsize dot = 0;
	g_autofree char *extension = al_typeid_last_extension(name, &dot);
	g_autofree char *previous = NULL;
	g_autofree char *shown = NULL;
	g_autofree char *shown_previous = NULL;
	enum al_category category;
	guint padding;

	if (extension == NULL)
		return;
	shown = al_typeid_shown_name(extension);
	category = al_typeid_lookup(typeid->by_extension, extension);
	if (al_category_is_dangerous(category))
		al_typeid_found(findings, AL_REASON_EXECUTABLE,
				g_strdup_printf("file name ends in .%s, %s", shown,
						extension_phrases[category]));
	padding = spaces_before(name, dot);
	if (padding >= MIN_PADDING_SPACES && !al_typeid_is_harmless(category))
		al_typeid_found(
		    findings, AL_REASON_DISGUISED,
		    g_strdup_printf("name pushes its extension .%s out of view behind %u spaces",
				    shown, padding));
	previous = previous_extension(name, dot);
	if (!al_category_is_dangerous(category) ||
	    !al_typeid_is_harmless(al_typeid_lookup(typeid->by_extension, previous)))
		return;
	shown_previous = al_typeid_shown_name(previous);
	al_typeid_found(findings, AL_REASON_DISGUISED,
			g_strdup_printf("double extension: looks like a .%s but is a .%s (%s)",
					shown_previous, shown, al_category_name(category)));
}

al_reason_set al_typeid_check_name_into(const struct al_typeid *typeid, const char *filename,
					struct findings *findings)
{
	g_autofree char *name = NULL;
	al_reason_set before = findings->reasons;

	if (filename == NULL || filename[0] == '\0')
		return 0;
	name = g_utf8_make_valid(filename, -1);
	check_characters(name, findings);
	check_extensions(typeid, name, findings);
	return findings->reasons & ~before;
}

al_reason_set al_typeid_check_name(const struct al_typeid *typeid, const char *filename,
				   GPtrArray *details)
{
	struct findings findings = {.details = details};

	return al_typeid_check_name_into(typeid, filename, &findings);
}
