/*
 * typeid.c - what a file really is, and whether its name or declared type
 * lies about it.
 *
 * SYNOPSIS
 *	typeid = al_typeid_new("signatures/filetypes.conf", &error)
 *	al_typeid_classify_item(typeid, item, &error)
 *	al_typeid_classify_inner(typeid, inner, name, head, head_len)
 *	al_typeid_classify_item_clamav(typeid, item, "CL_TYPE_MSEXE")
 *	al_typeid_free(&typeid)
 *
 * DESCRIPTION
 *	The table (format in the header of filetypes.conf) maps detected MIME
 *	types, file-name extensions and ClamAV type names to a category.
 *	Three facts are weighed for each file:
 *	  content   libmagic on the first AL_TYPEID_HEAD_BYTES, and for files
 *	            found by the scanner also ClamAV's type;
 *	  name      the last extension, after the trailing dots and spaces
 *	            Windows drops; plus the name tricks below;
 *	  declared  the Content-Type the sender wrote.
 *	Dangerous content or a dangerous extension makes a file `executable`.
 *	A harmless name or declared type over dangerous content, a double
 *	extension hiding a dangerous one behind a harmless one ("facture.pdf
 *	.exe"), padding spaces before the extension, and bidi controls,
 *	invisible or control characters in the name make it `disguised`.
 *	Disagreements between harmless categories (a .doc holding RTF) and
 *	declared application/octet-stream prove nothing and are not flagged.
 *	A dangerous declared type on a part without a name is `executable`:
 *	some clients derive the saved name from the type.
 *	A text body that libmagic sees as text is shown to the reader, never
 *	run: nothing is flagged on it. libmagic's text rules are its slowest
 *	(about 2 ms for a short letter), so a body whose first bytes are
 *	plainly prose (no NUL or control byte, starting with a letter or a
 *	digit and no header-like "Name:" or mbox "From " line first: no
 *	"%PDF", "<svg", "{", "#!" or message can start so) is typed
 *	text/plain without asking libmagic. Everything else, and every
 *	attachment, is asked.
 *
 *	The description (MAGIC_NONE, a second pass as slow as the first) is
 *	only asked for content whose type is dangerous, where it goes into
 *	the finding's sentence.
 *
 *	ClamAV calls anything that starts with the two letters "MZ"
 *	CL_TYPE_MSEXE; when libmagic reads the same bytes as text, that guess
 *	is ignored (a letter starting "MZ Associates..." is not a program).
 *
 * THREADS
 *	The table is read-only after loading. libmagic cookies are not
 *	thread-safe, so idle ones wait in a queue: a detection takes one (or
 *	opens a new one when all are busy) and gives it back. Each cookie
 *	gives the MIME type (MAGIC_MIME_TYPE) and, switched to MAGIC_NONE,
 *	the description.
 *
 * DIAGNOSTICS
 *	Table errors name the file and line. Details are sentences; names
 *	from mail in them are bounded and their bidi, invisible and control
 *	characters written as <U+XXXX>.
 */
#include "typeid_private.h"

#include <magic.h>
#include <string.h>
#include <unistd.h>


/* "content is ..." */
static const char *const category_nouns[AL_CAT_COUNT] = {
	[AL_CAT_EXECUTABLE] = "a program",
	[AL_CAT_SCRIPT] = "a script",
	[AL_CAT_INSTALLER] = "an installer package",
	[AL_CAT_DISK_IMAGE] = "a disk image",
	[AL_CAT_SHORTCUT] = "a shortcut",
	[AL_CAT_ACTIVE_DOC] = "a document format that runs code",
};

gboolean al_category_is_dangerous(enum al_category category)
{
	switch (category) {
	case AL_CAT_EXECUTABLE:
	case AL_CAT_SCRIPT:
	case AL_CAT_INSTALLER:
	case AL_CAT_DISK_IMAGE:
	case AL_CAT_SHORTCUT:
	case AL_CAT_ACTIVE_DOC:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Categories a sender may claim without our noticing anything odd. */
gboolean al_typeid_is_harmless(enum al_category category)
{
	switch (category) {
	case AL_CAT_TEXT:
	case AL_CAT_DOCUMENT:
	case AL_CAT_IMAGE:
	case AL_CAT_MEDIA:
	case AL_CAT_ARCHIVE:
		return TRUE;
	default:
		return FALSE;
	}
}

/* --------------------------------------------------------------- libmagic */

static magic_t open_cookie(GError **error)
{
	magic_t cookie = magic_open(MAGIC_MIME_TYPE);
	size_t bytes_max = AL_TYPEID_HEAD_BYTES;

	if (cookie == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_NOMEM, "libmagic: cannot open a cookie");
		return NULL;
	}
	if (magic_load(cookie, NULL) != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_CONFIG,
			    "libmagic: cannot load the system magic database: %s",
			    magic_error(cookie) ? magic_error(cookie) : "unknown error");
		magic_close(cookie);
		return NULL;
	}
	if (magic_setparam(cookie, MAGIC_PARAM_BYTES_MAX, &bytes_max) != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL, "libmagic: cannot set bytes_max");
		magic_close(cookie);
		return NULL;
	}
	return cookie;
}

/* An idle cookie; a new one when all are busy; when none can be opened,
 * waits for one (al_typeid_new() left at least one in the queue). */
static magic_t take_cookie(struct al_typeid *typeid)
{
	magic_t cookie = g_async_queue_try_pop(typeid->cookies);

	if (cookie == NULL)
		cookie = open_cookie(NULL);
	if (cookie == NULL)
		cookie = g_async_queue_pop(typeid->cookies);
	return cookie;
}

static char *magic_answer(magic_t cookie, int flags, const void *data, gsize len)
{
	const char *answer;

	if (magic_setflags(cookie, flags) != 0)
		return NULL;
	answer = magic_buffer(cookie, data, len);
	return answer != NULL ? g_strdup(answer) : NULL;
}

char *al_typeid_detect(struct al_typeid *typeid, const void *data, gsize len, char **description_r)
{
	magic_t cookie;
	char *type;

	if (len == 0) {
		if (description_r != NULL)
			*description_r = g_strdup("empty");
		return g_strdup("application/x-empty");
	}
	len = MIN(len, (gsize)AL_TYPEID_HEAD_BYTES);
	if (description_r == NULL) {
		type = al_typeid_cache_get(typeid, data, len);
		if (type != NULL)
			return type;
	}
	cookie = take_cookie(typeid);
	type = magic_answer(cookie, MAGIC_MIME_TYPE, data, len);
	if (description_r != NULL)
		*description_r = magic_answer(cookie, MAGIC_NONE, data, len);
	g_async_queue_push(typeid->cookies, cookie);
	if (type == NULL || strchr(type, '/') == NULL) {
		g_free(type);
		type = g_strdup("application/octet-stream");
	}
	al_typeid_cache_put(typeid, data, len, type);
	return type;
}

/* ----------------------------------------------------- life and lookups */

struct al_typeid *al_typeid_new(const char *table_path, GError **error)
{
	struct al_typeid *typeid = g_new0(struct al_typeid, 1);
	magic_t cookie;

	typeid->by_mime = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	typeid->by_mime_top = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	typeid->by_extension = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	typeid->by_clamav = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	typeid->cookies = g_async_queue_new();
	al_typeid_cache_init(typeid);
	if (al_typeid_load_table(typeid, table_path, error) < 0)
		goto fail;
	cookie = open_cookie(error);
	if (cookie == NULL)
		goto fail;
	g_async_queue_push(typeid->cookies, cookie);
	return typeid;
fail:
	al_typeid_free(&typeid);
	return NULL;
}

void al_typeid_free(struct al_typeid **typeid)
{
	struct al_typeid *t = *typeid;
	magic_t cookie;

	if (t == NULL)
		return;
	while ((cookie = g_async_queue_try_pop(t->cookies)) != NULL)
		magic_close(cookie);
	g_async_queue_unref(t->cookies);
	g_hash_table_destroy(t->by_mime);
	g_hash_table_destroy(t->by_mime_top);
	g_hash_table_destroy(t->by_extension);
	g_hash_table_destroy(t->by_clamav);
	al_typeid_cache_clear(t);
	g_free(t);
	*typeid = NULL;
}

enum al_category al_typeid_category_of_type(const struct al_typeid *typeid, const char *mime_type)
{
	g_autofree char *key = NULL;
	const char *slash;
	enum al_category category;

	if (mime_type == NULL)
		return AL_CAT_OTHER;
	key = g_ascii_strdown(mime_type, strcspn(mime_type, "; \t"));
	category = al_typeid_lookup(typeid->by_mime, key);
	if (category != AL_CAT_OTHER || (slash = strchr(key, '/')) == NULL)
		return category;
	key[slash - key] = '\0';
	return al_typeid_lookup(typeid->by_mime_top, key);
}

/* The extension Windows acts on: after the last dot of the last path
 * component, once trailing dots and spaces are dropped; lower case, or
 * NULL when there is none. dot_r, if not NULL, gets the offset of that
 * dot in name. */
char *al_typeid_last_extension(const char *name, gsize *dot_r)
{
	const char *base = name, *end, *dot;

	for (const char *p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	end = base + strlen(base);
	while (end > base && (end[-1] == '.' || end[-1] == ' '))
		end--;
	dot = g_strrstr_len(base, end - base, ".");
	if (dot == NULL || dot + 1 == end || (gsize)(end - dot - 1) > MAX_EXTENSION_BYTES)
		return NULL;
	if (dot_r != NULL)
		*dot_r = (gsize)(dot - name);
	return g_ascii_strdown(dot + 1, end - dot - 1);
}

enum al_category al_typeid_category_of_name(const struct al_typeid *typeid, const char *filename)
{
	g_autofree char *extension = NULL;

	if (filename == NULL)
		return AL_CAT_OTHER;
	extension = al_typeid_last_extension(filename, NULL);
	return al_typeid_lookup(typeid->by_extension, extension);
}

enum al_category al_typeid_category_of_clamav(const struct al_typeid *typeid,
					      const char *clamav_type)
{
	return al_typeid_lookup(typeid->by_clamav, clamav_type);
}

/* ------------------------------------------------------------ judgement */

/* libmagic's text for a sentence: valid UTF-8, at most MAX_SHOWN_BYTES. */
static char *bounded_text(const char *text)
{
	gsize length = strlen(text);
	g_autofree char *valid = NULL;

	if (length <= MAX_SHOWN_BYTES)
		return g_utf8_make_valid(text, (gssize)length);
	valid = g_utf8_make_valid(text, MAX_SHOWN_BYTES);
	return g_strconcat(valid, "...", NULL);
}

/* Everything known about one file. */
struct evidence {
	const char *name;	   /* file name from mail or archive, or NULL */
	const char *declared_type; /* Content-Type, or NULL */
	const char *detected_type; /* libmagic */
	const char *description;   /* libmagic, or NULL */
	const char *clamav_type;   /* or NULL */
};

/* What the content is: a category, and the type that says so ("image/png",
 * "ClamAV type CL_TYPE_MSEXE") in *label_r when it is dangerous. */
static enum al_category content_category(const struct al_typeid *typeid,
					 const struct evidence *evidence, char **label_r)
{
	enum al_category magic = al_typeid_category_of_type(typeid, evidence->detected_type);
	enum al_category clamav = al_typeid_category_of_clamav(typeid, evidence->clamav_type);

	if (al_category_is_dangerous(magic)) {
		*label_r = g_strdup(evidence->detected_type);
		return magic;
	}
	if (!al_category_is_dangerous(clamav) ||
	    (magic == AL_CAT_TEXT && strcmp(evidence->clamav_type, "CL_TYPE_MSEXE") == 0))
		return magic;
	*label_r = g_strdup_printf("ClamAV type %s", evidence->clamav_type);
	return clamav;
}

/* Content against the claims made about it: the name's extension and the
 * declared type. */
static void judge_content(const struct al_typeid *typeid, const struct evidence *evidence,
			  struct findings *findings)
{
	g_autofree char *label = NULL;
	g_autofree char *description = NULL;
	g_autofree char *extension = NULL;
	g_autofree char *shown = NULL;
	enum al_category content = content_category(typeid, evidence, &label);
	enum al_category declared = al_typeid_category_of_type(typeid, evidence->declared_type);
	const char *noun = category_nouns[content];

	if (!al_category_is_dangerous(content))
		return;
	if (evidence->description != NULL && strcmp(label, evidence->detected_type) == 0)
		description = bounded_text(evidence->description);
	al_typeid_found(findings, AL_REASON_EXECUTABLE,
	      g_strdup_printf("content is %s (%s%s%s)", noun, label, description ? ": " : "",
			      description ? description : ""));
	if (evidence->name != NULL)
		extension = al_typeid_last_extension(evidence->name, NULL);
	if (al_typeid_is_harmless(al_typeid_lookup(typeid->by_extension, extension))) {
		shown = al_typeid_shown_name(extension);
		al_typeid_found(findings, AL_REASON_DISGUISED,
		      g_strdup_printf("named .%s but content is %s (%s)", shown, noun, label));
		g_clear_pointer(&shown, g_free);
	}
	if (al_typeid_is_harmless(declared)) {
		shown = al_typeid_shown_name(evidence->declared_type);
		al_typeid_found(findings, AL_REASON_DISGUISED,
		      g_strdup_printf("declared as %s but content is %s (%s)", shown, noun, label));
	}
}

/* A dangerous declared type on a part without a name: some mail clients
 * derive the extension from the type when saving it. */
static void judge_declared(const struct al_typeid *typeid, const struct evidence *evidence,
			   struct findings *findings)
{
	enum al_category declared = al_typeid_category_of_type(typeid, evidence->declared_type);
	g_autofree char *shown = NULL;

	if (!al_category_is_dangerous(declared) || evidence->name != NULL)
		return;
	shown = al_typeid_shown_name(evidence->declared_type);
	al_typeid_found(findings, AL_REASON_EXECUTABLE,
	      g_strdup_printf("declared as %s (%s) and has no name", shown,
			      category_nouns[declared]));
}

static void judge(const struct al_typeid *typeid, const struct evidence *evidence,
		  struct findings *findings)
{
	judge_content(typeid, evidence, findings);
	al_typeid_check_name_into(typeid, evidence->name, findings);
	judge_declared(typeid, evidence, findings);
}

/* The first bytes of the content: borrowed from memory, or read into
 * *buffer_r (transfer full). */
static int read_head(const struct al_content *content, const void **head_r, gsize *len_r,
		     guchar **buffer_r, GError **error)
{
	gsize want = MIN(content->size, (gsize)AL_TYPEID_HEAD_BYTES);
	gssize got;

	*head_r = NULL;
	*len_r = 0;
	if (content->bytes != NULL) {
		gsize size = 0;

		*head_r = g_bytes_get_data(content->bytes, &size);
		*len_r = MIN(size, want);
		return 0;
	}
	if (want == 0)
		return 0;
	if (content->fd <= STDERR_FILENO) {
		g_set_error(error, AL_ERROR, AL_ERROR_INTERNAL, "the part has no content to read");
		return -1;
	}
	*buffer_r = g_try_malloc(want);
	if (*buffer_r == NULL) {
		g_set_error(error, AL_ERROR, AL_ERROR_NOMEM,
			    "out of memory reading %" G_GSIZE_FORMAT " bytes to type a part", want);
		return -1;
	}
	got = al_content_pread(content, 0, *buffer_r, want, error);
	if (got < 0)
		return -1;
	*head_r = *buffer_r;
	*len_r = (gsize)got;
	return 0;
}

/* libmagic reads the first bytes: a DICOM file whose 128-byte preamble
 * is a TIFF header (a dual-personality DICOM-TIFF, PS3.10 7.1) is TIFF to
 * it. It is DICOM first: "DICM" at 128 says so. */
static char *detect_file(struct al_typeid *typeid, const void *head, gsize len)
{
	char *type = al_typeid_detect(typeid, head, len, NULL);

	if (len >= 132 && strcmp(type, "image/tiff") == 0 &&
	    memcmp((const guchar *)head + 128, "DICM", 4) == 0) {
		g_free(type);
		type = g_strdup("application/dicom");
	}
	return type;
}

/* A body the reader sees as prose (see the DESCRIPTION). */
static gboolean is_prose(const guchar *head, gsize len)
{
	gsize i = 0;

	while (i < len && g_ascii_isspace(head[i]))
		i++;
	if (i == len || !g_ascii_isalnum(head[i]))
		return FALSE;
	/* "From " starts an mbox, "Received:" or "Subject:" a message. */
	if ((len - i >= 5 && memcmp(head + i, "From ", 5) == 0) ||
	    memchr(head + i, ':', MIN(len - i, 32)) != NULL)
		return FALSE;
	for (; i < len; i++)
		if (head[i] == 0x7f || (head[i] < 0x20 && !g_ascii_isspace(head[i]) && head[i] != 0x1b))
			return FALSE;
	return TRUE;
}

/* The description when the detected type is dangerous (for the finding). */
static char *dangerous_description(struct al_typeid *typeid, const char *type, const void *head,
				   gsize len)
{
	magic_t cookie;
	char *description;

	if (len == 0 || !al_category_is_dangerous(al_typeid_category_of_type(typeid, type)))
		return NULL;
	cookie = take_cookie(typeid);
	description = magic_answer(cookie, MAGIC_NONE, head, MIN(len, (gsize)AL_TYPEID_HEAD_BYTES));
	g_async_queue_push(typeid->cookies, cookie);
	return description;
}

int al_typeid_classify_item(struct al_typeid *typeid, struct al_item *item, GError **error)
{
	g_autofree guchar *buffer = NULL;
	const void *head;
	gsize head_len;
	struct findings findings = { .details = NULL };
	struct evidence evidence;

	if (read_head(&item->content, &head, &head_len, &buffer, error) < 0) {
		g_prefix_error(error, "typing part %s: ", item->part ? item->part : "?");
		return -1;
	}
	g_free(item->detected_type);
	g_clear_pointer(&item->detected_description, g_free);
	if (item->is_body && is_prose(head, head_len)) {
		item->detected_type = g_strdup("text/plain");
		return 0;
	}
	item->detected_type = detect_file(typeid, head, head_len);
	if (item->is_body && g_str_has_prefix(item->detected_type, "text/"))
		return 0;
	item->detected_description =
		dangerous_description(typeid, item->detected_type, head, head_len);
	if (item->details == NULL)
		item->details = g_ptr_array_new_with_free_func(g_free);
	findings.details = item->details;
	evidence = (struct evidence){
		.name = item->filename,
		.declared_type = item->declared_type,
		.detected_type = item->detected_type,
		.description = item->detected_description,
	};
	judge(typeid, &evidence, &findings);
	item->reasons |= findings.reasons;
	return 0;
}

void al_typeid_classify_inner(struct al_typeid *typeid, struct al_inner *inner, const char *name,
			      const void *head, gsize head_len)
{
	g_autoptr(GPtrArray) sentences = g_ptr_array_new_with_free_func(g_free);
	struct findings findings = { .details = sentences };
	struct evidence evidence;

	/* No description: an archive may hold thousands of members, and the
	 * type alone is enough to name what one is. */
	if (head != NULL || inner->size == 0) {
		g_free(inner->detected_type);
		inner->detected_type = detect_file(typeid, head, head != NULL ? head_len : 0);
	}
	evidence = (struct evidence){
		.name = name,
		.detected_type = inner->detected_type,
		.clamav_type = inner->clamav_type,
	};
	judge(typeid, &evidence, &findings);
	inner->reasons |= findings.reasons;
	if (sentences->len == 0)
		return;
	if (inner->detail != NULL)
		g_ptr_array_insert(sentences, 0, g_steal_pointer(&inner->detail));
	g_ptr_array_add(sentences, NULL);
	inner->detail = g_strjoinv("; ", (char **)sentences->pdata);
}

void al_typeid_classify_internal(struct al_typeid *typeid, struct al_inner *inner,
				 const void *head, gsize head_len)
{
	enum al_category category;
	g_autofree char *shown = NULL;

	if (head == NULL && inner->size != 0)
		return;
	g_free(inner->detected_type);
	inner->detected_type = al_typeid_detect(typeid, head, head != NULL ? head_len : 0, NULL);
	category = al_typeid_category_of_type(typeid, inner->detected_type);
	if (category != AL_CAT_EXECUTABLE && category != AL_CAT_INSTALLER)
		return;
	shown = al_typeid_shown_name(inner->detected_type);
	inner->reasons |= AL_REASON_BIT(AL_REASON_EXECUTABLE);
	g_free(inner->detail);
	inner->detail = g_strdup_printf("content is %s (%s) hidden in the document's structure",
					category_nouns[category], shown);
}

void al_typeid_classify_item_clamav(struct al_typeid *typeid, struct al_item *item,
				    const char *clamav_type)
{
	struct findings findings = { .details = NULL };
	struct evidence evidence = {
		.name = item->filename,
		.declared_type = item->declared_type,
		.detected_type = item->detected_type,
		.clamav_type = clamav_type,
	};

	if (clamav_type == NULL ||
	    al_category_is_dangerous(al_typeid_category_of_type(typeid, item->detected_type)))
		return;
	if (item->is_body && item->detected_type != NULL &&
	    g_str_has_prefix(item->detected_type, "text/"))
		return;
	if (item->details == NULL)
		item->details = g_ptr_array_new_with_free_func(g_free);
	findings.details = item->details;
	judge_content(typeid, &evidence, &findings);
	item->reasons |= findings.reasons;
}
