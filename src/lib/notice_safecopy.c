/*
 * notice_safecopy.c - the safe copy in a strip notice.
 *
 * DESCRIPTION
 *	For each stripped item that was offered a copy (safecopy.h), the
 *	notice says in each language what the attached copy is (a picture
 *	of each page, or the same image without its hidden data, or the
 *	same DICOM data without the preamble), that links, macros and forms
 *	do not work in it, and that the original stays in quarantine for the
 *	admin to release; or, when the helper failed, that there is no copy
 *	and why, in words for staff.
 *
 *	The copies go right after the notice, as attachments (base64,
 *	Content-Disposition: attachment; filename= the copy's name, which
 *	GMime encodes per RFC 2231 when it is not ASCII), inside one
 *	multipart/mixed that takes the stripped part's place.
 */
#include "notice_safecopy.h"

#include "airlock/safecopy.h"

#include <fcntl.h>
#include <string.h>

struct copy_words {
	const char *intro;	     /* before the copy's name */
	const char *quotes[2];
	const char *what[3];	     /* PDF, image, DICOM */
	const char *inactive;
	const char *original;
	const char *none;	     /* before the reason */
	const char *why[5];	     /* enum al_safecopy_failure */
};

static const struct copy_words french = {
	.intro = "Une copie s\xc3\xbbre de ce fichier est jointe : ",
	.quotes = { "\xc2\xab ", " \xc2\xbb" },
	.what = { "C'est une image de chaque page, refaite par Airlock.",
	          "C'est la m\xc3\xaame image, refaite par Airlock, sans ses donn\xc3\xa9"
	          "es cach\xc3\xa9"
	          "es (lieu, appareil, commentaires).",
	          "Ce sont les m\xc3\xaames donn\xc3\xa9"
	          "es DICOM, sans l'en-t\xc3\xaate o\xc3\xb9 un programme peut se cacher." },
	.inactive = "Les liens, les macros et les formulaires n'y fonctionnent pas.",
	.original = "L'original reste en quarantaine : pour l'obtenir, demandez-le \xc3\xa0 "
	            "l'administrateur en donnant la r\xc3\xa9"
	            "f\xc3\xa9rence ci-dessous.",
	.none = "Aucune copie s\xc3\xbbre n'a pu \xc3\xaatre faite de ce fichier : ",
	.why = { "", "il n'a pas pu \xc3\xaatre converti.", "il a trop de pages.",
	         "sa conversion a pris trop de temps.", "il est trop grand." },
};

static const struct copy_words english = {
	.intro = "A safe copy of this file is attached: ",
	.quotes = { "\"", "\"" },
	.what = { "It is a picture of each page, rebuilt by Airlock.",
	          "It is the same picture, rebuilt by Airlock, without its hidden data "
	          "(place, camera, comments).",
	          "It is the same DICOM data, without the header where a program can hide." },
	.inactive = "Links, macros and forms do not work in it.",
	.original = "The original stays in quarantine: to get it, ask the administrator, "
	            "quoting the reference below.",
	.none = "No safe copy could be made of this file: ",
	.why = { "", "it could not be converted.", "it has too many pages.",
	         "converting it took too long.", "it is too large." },
};

static guint what_index(enum al_safecopy_kind kind)
{
	return kind == AL_SAFECOPY_PDF ? 0 : kind == AL_SAFECOPY_DICOM ? 2 : 1;
}

void al_notice_append_safecopy(GString *out, const struct al_item *item, const struct words *w)
{
	const struct al_safecopy *copy = item->safe_copy;
	const struct copy_words *cw = strcmp(w->code, "fr") == 0 ? &french : &english;

	if (copy == NULL)
		return;
	if (copy->failure != AL_SAFECOPY_OK) {
		g_string_append_printf(out, "%s%s\n%s\n", cw->none, cw->why[copy->failure],
		                       cw->original);
		return;
	}
	g_string_append_printf(out, "%s%s%s%s\n%s\n%s\n%s\n", cw->intro, cw->quotes[0],
	                       copy->filename, cw->quotes[1], cw->what[what_index(copy->kind)],
	                       cw->inactive, cw->original);
}

/* A stream over the copy that is read only when the message is written:
 * a spooled copy is never loaded whole, nor mapped. */
static GMimeStream *copy_stream(const struct al_content *c)
{
	int fd;

	if (c->bytes != NULL || c->fd < 0)
		return al_content_stream(c);
	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0) /* from 0: the offset is shared with every other dup() */
		return g_mime_stream_fs_new_with_bounds(fd, 0, -1);
	return al_content_stream(c);
}

static GMimeObject *copy_part(const struct al_safecopy *copy)
{
	g_auto(GStrv) type = g_strsplit(copy->content_type, "/", 2);
	GMimePart *part = g_mime_part_new_with_type(type[0], type[1]);
	GMimeStream *stream = copy_stream(&copy->content);
	GMimeDataWrapper *content =
	    g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, content);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_part_set_filename(part, copy->filename);
	g_object_unref(content);
	g_object_unref(stream);
	return GMIME_OBJECT(part);
}

GMimeObject *al_notice_with_copies(GMimeObject *notice, GPtrArray *items)
{
	GMimeMultipart *mixed = NULL;

	for (guint i = 0; i < items->len; i++) {
		const struct al_item *item = items->pdata[i];
		GMimeObject *part;

		if (item->safe_copy == NULL || item->safe_copy->failure != AL_SAFECOPY_OK)
			continue;
		if (mixed == NULL) {
			mixed = g_mime_multipart_new_with_subtype("mixed");
			g_mime_multipart_add(mixed, notice);
		}
		part = copy_part(item->safe_copy);
		g_mime_multipart_add(mixed, part);
		g_object_unref(part);
	}
	return mixed != NULL ? GMIME_OBJECT(mixed) : g_object_ref(notice);
}
