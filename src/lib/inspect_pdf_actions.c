/*
 * inspect_pdf_actions.c - the checks on each PDF dictionary the walk of
 * inspect_pdf.c meets: JavaScript, /Launch, embedded files, file
 * attachment annotations, and what /OpenAction and /AA run on their own.
 *
 * DESCRIPTION
 *	Names and strings come decoded by qpdf (#xx escapes, UTF-16 text
 *	strings as UTF-8). A link the reader opens on its own (/OpenAction,
 *	/AA) is a download when the last segment of its path, percent-
 *	decoded, ends in one of pdf_program_exts: the `ext` values of the
 *	executable, script, installer, disk-image and shortcut categories of
 *	signatures/filetypes.conf (a copy: the inspectors are pure functions
 *	without configuration). A link clicked by the user is the browser's
 *	to judge. A file is remote when it is a URL ("scheme://") or a UNC
 *	path ("\\host\share", which leaks the user's Windows credentials).
 */
#include "inspect_pdf_private.h"

#include <string.h>

static const char *const pdf_program_exts[] = {
	"exe", "dll", "scr", "pif", "com", "cpl", "sys", "drv", "ocx", "efi",
	"app", "class", "pyc", "js", "jse", "vbs", "vbe", "wsf", "wsh", "wsc",
	"ws", "hta", "ps1", "psm1", "psd1", "ps1xml", "psc1", "bat", "cmd", "vb",
	"sct", "inf", "sh", "command", "scpt", "msi", "msp", "mst", "msix",
	"msixbundle", "appx", "appxbundle", "appinstaller", "application",
	"appref-ms", "jar", "apk", "pkg", "mpkg", "deb", "rpm", "gadget", "iso",
	"img", "vhd", "vhdx", "vmdk", "wim", "udf", "dmg", "lnk", "url", "website",
	"scf", "library-ms", "searchconnector-ms", "settingcontent-ms", "desktop",
	"reg", "chm", "xll", "one",
};

gboolean al_pdf_name_is(struct pdf_walk *w, qpdf_oh dict, const char *key, const char *name)
{
	qpdf_oh value = qpdf_oh_get_key(w->pdf, dict, key);
	gboolean is = qpdf_oh_is_name_and_equals(w->pdf, value, name);

	qpdf_oh_release(w->pdf, value);
	al_pdf_failed(w);
	return is;
}

/* A string value as UTF-8 (transfer full), or NULL. */
static char *string_of(struct pdf_walk *w, qpdf_oh oh)
{
	char *text = NULL;

	if (qpdf_oh_is_string(w->pdf, oh))
		text = g_strdup(qpdf_oh_get_utf8_value(w->pdf, oh));
	al_pdf_failed(w);
	return text;
}

static char *string_at(struct pdf_walk *w, qpdf_oh dict, const char *key)
{
	qpdf_oh value = qpdf_oh_get_key(w->pdf, dict, key);
	char *text = string_of(w, value);

	qpdf_oh_release(w->pdf, value);
	return text;
}

/* The name of a file specification (a string, or a dictionary's /UF,
 * /F, /Unix, /DOS, /Mac), transfer full, or NULL. */
static char *file_name(struct pdf_walk *w, qpdf_oh spec)
{
	static const char *const keys[] = { "/UF", "/F", "/Unix", "/DOS", "/Mac" };
	char *name = string_of(w, spec);

	if (qpdf_oh_is_dictionary(w->pdf, spec))
		for (guint i = 0; i < G_N_ELEMENTS(keys) && name == NULL; i++)
			name = string_at(w, spec, keys[i]);
	return name;
}

static char *file_name_at(struct pdf_walk *w, qpdf_oh dict, const char *key)
{
	qpdf_oh spec = qpdf_oh_get_key(w->pdf, dict, key);
	char *name = file_name(w, spec);

	qpdf_oh_release(w->pdf, spec);
	return name;
}

static gboolean url_is_program(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *path = scheme != NULL ? strchr(scheme + 3, '/') : url;
	g_autofree char *segment = NULL;
	g_autofree char *decoded = NULL;
	char *dot;

	if (path == NULL)
		return FALSE;
	segment = g_strndup(path, strcspn(path, "?#"));
	decoded = g_uri_unescape_string(strrchr(segment, '/') != NULL ? strrchr(segment, '/') + 1
								      : segment,
					NULL);
	if (decoded == NULL)
		return FALSE;
	g_strchomp(decoded);
	for (gsize n = strlen(decoded); n > 0 && decoded[n - 1] == '.'; n--)
		decoded[n - 1] = '\0';
	dot = strrchr(decoded, '.');
	for (guint i = 0; dot != NULL && i < G_N_ELEMENTS(pdf_program_exts); i++)
		if (g_ascii_strcasecmp(dot + 1, pdf_program_exts[i]) == 0)
			return TRUE;
	return FALSE;
}

static gboolean file_is_remote(struct pdf_walk *w, qpdf_oh action, char **where_r)
{
	qpdf_oh spec = qpdf_oh_get_key(w->pdf, action, "/F");
	char *name = file_name(w, spec);
	gboolean url_spec = qpdf_oh_is_dictionary(w->pdf, spec) &&
			    al_pdf_name_is(w, spec, "/FS", "/URL");

	qpdf_oh_release(w->pdf, spec);
	if (name != NULL && (url_spec || strstr(name, "://") != NULL ||
			     g_str_has_prefix(name, "\\\\") || g_str_has_prefix(name, "//"))) {
		*where_r = name;
		return TRUE;
	}
	g_free(name);
	return FALSE;
}

static void automatic_action(struct pdf_walk *w, qpdf_oh action, guint chain);

static void next_actions(struct pdf_walk *w, qpdf_oh action, guint chain)
{
	qpdf_oh next = qpdf_oh_get_key(w->pdf, action, "/Next");

	if (qpdf_oh_is_array(w->pdf, next)) {
		int n = MIN(qpdf_oh_get_array_n_items(w->pdf, next), PDF_MAX_ARRAY_ACTIONS);

		for (int i = 0; i < n; i++) {
			qpdf_oh item = qpdf_oh_get_array_item(w->pdf, next, i);

			automatic_action(w, item, chain + 1);
			qpdf_oh_release(w->pdf, item);
		}
	} else {
		automatic_action(w, next, chain + 1);
	}
	qpdf_oh_release(w->pdf, next);
}

/* An action the reader runs without a click (/OpenAction, /AA). */
static void automatic_action(struct pdf_walk *w, qpdf_oh action, guint chain)
{
	char *where = NULL;

	if (chain > PDF_MAX_ACTION_CHAIN || !qpdf_oh_is_dictionary(w->pdf, action))
		return;
	if (al_pdf_name_is(w, action, "/S", "/URI")) {
		where = string_at(w, action, "/URI");
		if (where != NULL && url_is_program(where) && w->program_uri == NULL)
			w->program_uri = al_pdf_printable(where, 200);
		if (where != NULL && url_is_program(where))
			w->found |= PDF_PROGRAM_URI;
		g_free(where);
	} else if ((al_pdf_name_is(w, action, "/S", "/SubmitForm") ||
		    al_pdf_name_is(w, action, "/S", "/ImportData") ||
		    al_pdf_name_is(w, action, "/S", "/GoToR") ||
		    al_pdf_name_is(w, action, "/S", "/GoToE")) &&
		   file_is_remote(w, action, &where)) {
		w->found |= PDF_REMOTE_FILE;
		if (w->remote_file == NULL)
			w->remote_file = al_pdf_printable(where, 200);
		g_free(where);
	}
	next_actions(w, action, chain);
}

static void additional_actions(struct pdf_walk *w, qpdf_oh dict)
{
	qpdf_oh triggers = qpdf_oh_get_key(w->pdf, dict, "/AA");

	if (qpdf_oh_is_dictionary(w->pdf, triggers)) {
		g_autoptr(GPtrArray) keys = al_pdf_keys(w, triggers);

		for (guint i = 0; i < keys->len && i < PDF_MAX_ARRAY_ACTIONS; i++) {
			qpdf_oh action = qpdf_oh_get_key(w->pdf, triggers, keys->pdata[i]);

			automatic_action(w, action, 0);
			qpdf_oh_release(w->pdf, action);
		}
	}
	qpdf_oh_release(w->pdf, triggers);
}

static void found_file(struct pdf_walk *w, enum pdf_found what, char *name)
{
	w->found |= what;
	al_pdf_add_name(w, name);
	g_free(name);
}

void al_pdf_judge_dictionary(struct pdf_walk *w, qpdf_oh dict)
{
	qpdf_data pdf = w->pdf;

	if (qpdf_oh_has_key(pdf, dict, "/JS") || qpdf_oh_has_key(pdf, dict, "/JavaScript") ||
	    al_pdf_name_is(w, dict, "/S", "/JavaScript"))
		w->found |= PDF_SCRIPT;
	if (al_pdf_name_is(w, dict, "/S", "/Launch")) {
		char *name = file_name_at(w, dict, "/F");
		qpdf_oh windows = qpdf_oh_get_key(pdf, dict, "/Win");

		if (name == NULL && qpdf_oh_is_dictionary(pdf, windows))
			name = file_name_at(w, windows, "/F");
		qpdf_oh_release(pdf, windows);
		found_file(w, PDF_LAUNCH, name);
	}
	if (al_pdf_name_is(w, dict, "/Type", "/EmbeddedFile") ||
	    qpdf_oh_has_key(pdf, dict, "/EmbeddedFiles"))
		w->found |= PDF_EMBEDDED;
	if (qpdf_oh_has_key(pdf, dict, "/EF"))
		found_file(w, PDF_EMBEDDED, file_name(w, dict));
	if (al_pdf_name_is(w, dict, "/Subtype", "/FileAttachment"))
		found_file(w, PDF_ATTACHMENT, file_name_at(w, dict, "/FS"));
	if (qpdf_oh_has_key(pdf, dict, "/OpenAction")) {
		qpdf_oh action = qpdf_oh_get_key(pdf, dict, "/OpenAction");

		automatic_action(w, action, 0);
		qpdf_oh_release(pdf, action);
	}
	if (qpdf_oh_has_key(pdf, dict, "/AA"))
		additional_actions(w, dict);
	if (qpdf_oh_has_key(pdf, dict, "/XFA")) {
		qpdf_oh xfa = qpdf_oh_get_key(pdf, dict, "/XFA");

		al_pdf_check_xfa(w, xfa);
		qpdf_oh_release(pdf, xfa);
	}
	al_pdf_failed(w);
}
