/*
 * typeid_allow.c - the allow-list: only what is known to be harmless.
 *
 * DESCRIPTION
 *	A file a user could open (an attachment, an archive member, a part
 *	of an attached message) passes only when
 *	  - its content is of a harmless category in filetypes.conf (text,
 *	    document, image, media, archive), by libmagic's type or, when
 *	    libmagic cannot tell, by ClamAV's type (a docx libmagic reads as
 *	    a plain zip is CL_TYPE_OOXML_WORD to ClamAV); and
 *	  - every name it carries has no extension, or an extension of that
 *	    same harmless category: the program Windows or macOS picks by
 *	    the name is one made for that kind of content.
 *	A generic container (category container: an OLE2 compound file,
 *	which is a Word, Excel or PowerPoint 97-2003 file, an Outlook .msg or
 *	an installer alike) counts as a document: its name must say which
 *	(an MSI is recognised by libmagic as an installer before this).
 *	A file that already has a finding (encrypted, limits...) is not
 *	judged again: that finding says why it stops.
 *	Anything else that is not already a finding (a program, script,
 *	shortcut... is `executable`, by content or by name) is
 *	`unknown-type`, with a sentence saying what the content is and what
 *	the name says. So a .rdp, .iqy, .slk or .search-ms that is plain text
 *	by content, an unknown binary format, or a text file named .pdf
 *	stops, whoever sends it. Allowing a type is one line in
 *	filetypes.conf.
 *
 *	Whether the content is then free of active parts (macros in a
 *	document, script in an SVG, a program in an archive) is the
 *	inspectors' and the scanner's finding, not this file's.
 */
#include "typeid_private.h"

#include <string.h>

/* What the content is, as the most telling category: a harmless one
 * from libmagic, else from ClamAV; AL_CAT_OTHER when neither lists it. */
static enum al_category content_kind(const struct al_typeid *typeid, const char *detected_type,
				     const char *clamav_type, gboolean *by_clamav_r)
{
	enum al_category magic = al_typeid_category_of_type(typeid, detected_type);
	enum al_category clamav = al_typeid_category_of_clamav(typeid, clamav_type);

	*by_clamav_r = FALSE;
	if (magic == AL_CAT_CONTAINER || (magic == AL_CAT_OTHER && clamav == AL_CAT_CONTAINER)) {
		*by_clamav_r = magic != AL_CAT_CONTAINER;
		return AL_CAT_DOCUMENT; /* an OLE2 file is what its (document) name says */
	}
	if (al_typeid_is_harmless(magic) && !(magic == AL_CAT_ARCHIVE &&
					      clamav == AL_CAT_DOCUMENT))
		return magic;
	if (al_typeid_is_harmless(clamav)) {
		*by_clamav_r = TRUE;
		return clamav;
	}
	return magic;
}

static char *content_label(const char *detected_type, const char *clamav_type, gboolean by_clamav)
{
	if (by_clamav)
		return g_strdup_printf("ClamAV type %s", clamav_type);
	return al_typeid_shown_name(detected_type != NULL ? detected_type : "unknown");
}

/* One name against the content's kind. */
static void judge_name(const struct al_typeid *typeid, const char *name, enum al_category content,
		       const char *label, struct findings *findings)
{
	g_autofree char *extension = name != NULL ? al_typeid_last_extension(name, NULL) : NULL;
	g_autofree char *shown = NULL;
	enum al_category named;

	if (extension == NULL)
		return;
	named = al_typeid_lookup(typeid->by_extension, extension);
	if (al_category_is_dangerous(named))
		return; /* the name checks made it `executable` */
	shown = al_typeid_shown_name(extension);
	if (named == AL_CAT_OTHER) {
		al_typeid_found(findings, AL_REASON_UNKNOWN_TYPE,
				g_strdup_printf("named .%s: not an extension on the list of harmless "
						"types (filetypes.conf)",
						shown));
		return;
	}
	if (named != content)
		al_typeid_found(findings, AL_REASON_UNKNOWN_TYPE,
				g_strdup_printf("named .%s (%s) but the content is %s (%s): the "
						"program that opens the name is not made for it",
						shown, al_category_name(named), label,
						al_category_name(content)));
}

al_reason_set al_typeid_allow(const struct al_typeid *typeid, const char *detected_type,
			      const char *clamav_type, const char *const *names,
			      GPtrArray *details)
{
	struct findings findings = { .details = details };
	gboolean by_clamav = FALSE;
	enum al_category content = content_kind(typeid, detected_type, clamav_type, &by_clamav);
	g_autofree char *label = content_label(detected_type, clamav_type, by_clamav);

	if (al_category_is_dangerous(content))
		return 0; /* `executable` by content already */
	if (!al_typeid_is_harmless(content)) {
		al_typeid_found(&findings, AL_REASON_UNKNOWN_TYPE,
				g_strdup_printf("content is %s, not a type on the list of harmless "
						"types (filetypes.conf)",
						label));
		return findings.reasons;
	}
	for (guint i = 0; names != NULL && names[i] != NULL; i++)
		judge_name(typeid, names[i], content, label, &findings);
	return findings.reasons;
}

void al_typeid_allow_item(const struct al_typeid *typeid, struct al_item *item,
			  const char *clamav_type)
{
	const char *names[] = { item->filename, item->alt_filename, NULL };

	/* A wrapper that was opened (TNEF, S/MIME) is judged by what it
	 * holds, which are items of their own; a detached signature too. */
	if (item->is_body || item->wrapper || item->content.size == 0 || item->reasons != 0)
		return;
	if (names[0] == NULL) {
		names[0] = names[1];
		names[1] = NULL;
	}
	if (item->details == NULL)
		item->details = g_ptr_array_new_with_free_func(g_free);
	item->reasons |= al_typeid_allow(typeid, item->detected_type, clamav_type, names,
					 item->details);
}
