/*
 * inspect_pdf.c - what a PDF runs or opens, read object by object with
 * qpdf (libqpdf's C API), as a PDF reader reads it.
 *
 * DESCRIPTION
 *	Applies to files with "%PDF-" in their first 1024 bytes (where
 *	readers look for it). qpdf opens the file (repairing a damaged cross
 *	reference table as readers do), expands object streams and decodes
 *	names (#xx escapes), strings and stream filters (ASCIIHex, ASCII85,
 *	LZW, RunLength, Flate with predictors, any chain of them). The walk
 *	visits the trailer, every object the cross reference lists (also
 *	those nothing refers to) and every object reached by a reference,
 *	each once, and every dictionary inside them:
 *	  /JS, an action /S /JavaScript, a /JavaScript name tree
 *	                               script run by the reader: `macro`
 *	  /S /Launch                   starts a program or opens a file:
 *	                               `executable` (with the file named)
 *	  /EmbeddedFile(s), /EF        files the reader offers to open:
 *	                               `executable` (with their /UF or /F)
 *	  /Subtype /FileAttachment     an annotation carrying a file:
 *	                               `executable` (with its name)
 *	  /OpenAction, /AA             actions run without a click: a /URI
 *	                               whose path ends in a program or
 *	                               script extension (pdf_program_exts,
 *	                               the `ext` rules of the dangerous
 *	                               categories of signatures/filetypes.conf),
 *	                               or /SubmitForm, /ImportData, /GoToR,
 *	                               /GoToE to a remote file (URL or UNC
 *	                               path): `executable`; /Next chains are
 *	                               followed
 *	  /XFA (stream or array)       the form's XML, parsed by libxml2
 *	                               (inspect_pdf_xfa.c): <script> or
 *	                               <execute>: `macro`
 *	Object streams nothing in the cross reference points at are parsed
 *	too (Acrobat's repair finds their objects): their objects go
 *	through qpdf's object parser and the same walk.
 *	A password-protected PDF qpdf cannot open without the password is
 *	`encrypted` (one with an empty user password opens and is walked).
 *	A file starting with "%PDF-" (what libmagic calls a PDF) that qpdf
 *	cannot open even with its repair is `unscannable`: readers fail on
 *	it too, and nothing else here can say what it runs. With the header
 *	further in, the file is not a PDF by content, and typeid's
 *	allow-list judges it.
 *	Limits: AL_INSPECT_PDF_MAX_OBJECTS objects, PDF_MAX_DEPTH nesting,
 *	AL_INSPECT_PDF_TIME_BUDGET_USEC per file, and for the streams this
 *	file decodes (XFA, orphan object streams) PDF_MAX_STREAM_RAW_BYTES
 *	raw with one expanding filter at most, AL_INSPECT_MAX_INFLATE_BYTES
 *	decoded in all: past any of them, `limits`. qpdf's warnings and
 *	errors never reach stderr; its errors become findings or are
 *	skipped, never a crash. Trailing data after %%EOF is inspect.c's.
 */
#include "inspect_pdf_private.h"

#include <qpdf/qpdf-c.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_WINDOW 1024
#define PDF_PROBE_GAP 256
#define PDF_MAX_DEPTH 32

char *al_pdf_printable(const char *text, glong max_chars)
{
	char *clean = g_utf8_make_valid(text, -1);

	for (char *p = clean; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (g_utf8_strlen(clean, -1) > max_chars)
		*g_utf8_offset_to_pointer(clean, max_chars) = '\0';
	return clean;
}

void al_pdf_add_name(struct pdf_walk *w, const char *name)
{
	char *clean;

	if (name == NULL || *name == '\0' || w->file_names->len >= PDF_MAX_NAMES)
		return;
	clean = al_pdf_printable(name, PDF_MAX_NAME_CHARS);
	for (guint i = 0; i < w->file_names->len; i++)
		if (strcmp(w->file_names->pdata[i], clean) == 0) {
			g_free(clean);
			return;
		}
	g_ptr_array_add(w->file_names, clean);
}

void al_pdf_limit(struct pdf_walk *w, const char *what)
{
	if (w->limit == NULL)
		w->limit = what;
}

/* Drops an error the last call left, so that the next one starts clean. */
gboolean al_pdf_failed(struct pdf_walk *w)
{
	if (!qpdf_has_error(w->pdf))
		return FALSE;
	(void)qpdf_get_error(w->pdf);
	return TRUE;
}

static void enqueue(struct pdf_walk *w, int id, int generation)
{
	guint64 key = (guint64)(guint)id << 16 | (guint16)generation;

	if (id <= 0 || generation < 0 || g_hash_table_contains(w->seen, &key))
		return;
	g_hash_table_add(w->seen, g_memdup2(&key, sizeof(key)));
	g_queue_push_tail(&w->pending, g_memdup2(&key, sizeof(key)));
}

static void visit_dictionary(struct pdf_walk *w, qpdf_oh dict, guint depth);

void al_pdf_visit(struct pdf_walk *w, qpdf_oh oh, guint depth)
{
	qpdf_data pdf = w->pdf;

	if (w->limit != NULL)
		return;
	if (depth > 0 && qpdf_oh_is_indirect(pdf, oh)) {
		enqueue(w, qpdf_oh_get_object_id(pdf, oh), qpdf_oh_get_generation(pdf, oh));
		return;
	}
	if (depth > PDF_MAX_DEPTH) {
		al_pdf_limit(w, "objects nested too deep");
		return;
	}
	if (qpdf_oh_is_array(pdf, oh)) {
		int n = qpdf_oh_get_array_n_items(pdf, oh);

		for (int i = 0; i < n && w->limit == NULL; i++) {
			qpdf_oh item = qpdf_oh_get_array_item(pdf, oh, i);

			al_pdf_visit(w, item, depth + 1);
			qpdf_oh_release(pdf, item);
		}
	} else if (qpdf_oh_is_stream(pdf, oh)) {
		qpdf_oh dict = qpdf_oh_get_dict(pdf, oh);

		visit_dictionary(w, dict, depth);
		if (al_pdf_name_is(w, dict, "/Type", "/ObjStm"))
			al_pdf_object_stream(w, oh, depth);
		qpdf_oh_release(pdf, dict);
	} else if (qpdf_oh_is_dictionary(pdf, oh)) {
		visit_dictionary(w, oh, depth);
	}
	al_pdf_failed(w);
}

/* The keys of dict (transfer full): qpdf iterates one dictionary at a
 * time, and the walk goes down into the values. */
GPtrArray *al_pdf_keys(struct pdf_walk *w, qpdf_oh dict)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);

	qpdf_oh_begin_dict_key_iter(w->pdf, dict);
	while (qpdf_oh_dict_more_keys(w->pdf))
		g_ptr_array_add(keys, g_strdup(qpdf_oh_dict_next_key(w->pdf)));
	al_pdf_failed(w);
	return keys;
}

static void visit_dictionary(struct pdf_walk *w, qpdf_oh dict, guint depth)
{
	g_autoptr(GPtrArray) keys = al_pdf_keys(w, dict);

	al_pdf_judge_dictionary(w, dict);
	for (guint i = 0; i < keys->len && w->limit == NULL; i++) {
		qpdf_oh value = qpdf_oh_get_key(w->pdf, dict, keys->pdata[i]);

		al_pdf_visit(w, value, depth + 1);
		qpdf_oh_release(w->pdf, value);
	}
}

/* When nothing is left to visit: the next object numbers, up to /Size or
 * PDF_PROBE_GAP past the highest one found (a repaired file or a lying
 * /Size), so that objects only the cross reference lists are seen. */
static gboolean probe_more(struct pdf_walk *w, long long size, long long *next_id,
			   long long highest)
{
	long long bound = MIN(MAX(size - 1, highest + PDF_PROBE_GAP),
			      (long long)AL_INSPECT_PDF_MAX_OBJECTS + 1);

	while (g_queue_is_empty(&w->pending) && *next_id <= bound)
		enqueue(w, (int)(*next_id)++, 0);
	return !g_queue_is_empty(&w->pending);
}

/* Every object once: the trailer's, then those the cross reference lists
 * (generation 0), and whatever they refer to. */
static void walk(struct pdf_walk *w)
{
	qpdf_oh trailer = qpdf_get_trailer(w->pdf);
	qpdf_oh size_oh = qpdf_oh_get_key(w->pdf, trailer, "/Size");
	long long size = qpdf_oh_is_integer(w->pdf, size_oh) ? qpdf_oh_get_int_value(w->pdf, size_oh)
							     : 0;
	long long next_id = 1, highest = 0;
	guint64 *key;

	al_pdf_visit(w, trailer, 0);
	while (w->limit == NULL && probe_more(w, size, &next_id, highest) &&
	       (key = g_queue_pop_head(&w->pending)) != NULL) {
		int id = (int)(*key >> 16);
		qpdf_oh object = qpdf_get_object_by_id(w->pdf, id, (int)(*key & 0xffff));

		g_free(key);
		if (++w->objects > AL_INSPECT_PDF_MAX_OBJECTS)
			al_pdf_limit(w, "too many objects");
		else if (g_get_monotonic_time() > w->deadline)
			al_pdf_limit(w, "inspection took too long");
		else if (!al_pdf_failed(w) && !qpdf_oh_is_null(w->pdf, object)) {
			highest = MAX(highest, id);
			al_pdf_visit(w, object, 0);
		}
		qpdf_oh_release(w->pdf, object);
	}
	qpdf_oh_release(w->pdf, size_oh);
	qpdf_oh_release(w->pdf, trailer);
}

static char *joined_names(const struct pdf_walk *w)
{
	GString *names = g_string_new(NULL);

	for (guint i = 0; i < w->file_names->len; i++)
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : " (", (char *)w->file_names->pdata[i]);
	if (names->len > 0)
		g_string_append_c(names, ')');
	return g_string_free(names, FALSE);
}

static void report(struct inspection *in, const struct pdf_walk *w)
{
	g_autofree char *names = joined_names(w);

	if (w->found & PDF_SCRIPT)
		al_inspect_found(in, AL_REASON_MACRO,
				 "PDF document with JavaScript (/JS, a /JavaScript action or name "
				 "tree), which the reader runs");
	if (w->found & PDF_XFA_SCRIPT)
		al_inspect_found(in, AL_REASON_MACRO,
				 "PDF document with an XFA form carrying script (<script> or "
				 "<execute>), which the reader runs");
	if (w->found & PDF_LAUNCH)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "PDF document with a /Launch action, which starts a program or "
				 "opens a file%s",
				 names);
	if (w->found & (PDF_EMBEDDED | PDF_ATTACHMENT))
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "PDF document carrying embedded files (/EmbeddedFile%s), which the "
				 "reader offers to open%s",
				 w->found & PDF_ATTACHMENT ? ", a file attachment annotation" : "",
				 names);
	if (w->found & PDF_PROGRAM_URI)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "PDF document that opens a link to a program or script on its own "
				 "(/OpenAction or /AA): %s",
				 w->program_uri);
	if (w->found & PDF_REMOTE_FILE)
		al_inspect_found(in, AL_REASON_EXECUTABLE,
				 "PDF document that sends or fetches a remote file on its own "
				 "(/SubmitForm, /ImportData, /GoToR or /GoToE): %s",
				 w->remote_file);
	if (w->found & PDF_XFA_UNREADABLE)
		al_inspect_found(in, AL_REASON_UNSCANNABLE,
				 "PDF document with an XFA form that cannot be decoded or parsed");
	if (w->limit != NULL)
		al_inspect_found(in, AL_REASON_LIMITS,
				 "PDF document past the inspection limits (%s): its content cannot "
				 "be checked in full",
				 w->limit);
}

/* The PDF qpdf could not open: encrypted, or damaged past repair. */
static void report_unopened(struct inspection *in, qpdf_data pdf, gboolean header_first)
{
	qpdf_error error = qpdf_get_error(pdf);
	const char *detail = error != NULL ? qpdf_get_error_message_detail(pdf, error) : NULL;
	g_autofree char *text = al_pdf_printable(detail != NULL ? detail : "unknown error", 120);

	if (error != NULL && qpdf_get_error_code(pdf, error) == qpdf_e_password)
		al_inspect_found(in, AL_REASON_ENCRYPTED,
				 "PDF document protected by a password (/Encrypt): its content "
				 "cannot be inspected");
	else if (header_first)
		al_inspect_found(in, AL_REASON_UNSCANNABLE,
				 "a PDF document that the PDF reader (qpdf) cannot open, even "
				 "repaired (%s): what it runs cannot be checked",
				 text);
}

void al_inspect_pdf(struct inspection *in)
{
	qpdf_data pdf;
	struct pdf_walk w = {
		.deadline = g_get_monotonic_time() + AL_INSPECT_PDF_TIME_BUDGET_USEC,
		.seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL),
		.file_names = g_ptr_array_new_with_free_func(g_free),
		.pending = G_QUEUE_INIT,
	};

	if (al_inspect_find(in->data, MIN(in->len, (gsize)HEADER_WINDOW), "%PDF-") == NULL)
		goto out;
	pdf = qpdf_init();
	w.pdf = pdf;
	qpdf_silence_errors(pdf);
	qpdf_set_suppress_warnings(pdf, QPDF_TRUE);
	qpdf_set_attempt_recovery(pdf, QPDF_TRUE);
	if (qpdf_read_memory(pdf, "attachment", (const char *)in->data, in->len, NULL) &
	    QPDF_ERRORS)
		report_unopened(in, pdf, in->len >= 5 && memcmp(in->data, "%PDF-", 5) == 0);
	else {
		walk(&w);
		report(in, &w);
	}
	qpdf_cleanup(&pdf);
out:
	g_queue_clear_full(&w.pending, g_free);
	g_hash_table_destroy(w.seen);
	g_ptr_array_free(w.file_names, TRUE);
	g_free(w.program_uri);
	g_free(w.remote_file);
}
