/*
 * test_mime_params.c - header parameters read from the raw value
 * (mime_params.c) and the names a part's headers give (mime_check.c):
 * every parameter kept, RFC 2231 joined, NUL bytes in encoded names, a
 * missing ';', and what the MIME walk makes of each trick.
 */
#include "../../src/lib/mime_private.h"

#include <glib/gstdio.h>
#include <string.h>

static char *spool_dir;

static gboolean has_reason(al_reason_set set, enum al_reason reason)
{
	return (set & AL_REASON_BIT(reason)) != 0;
}

static void test_params_every_parameter_is_kept_in_order(void)
{
	struct al_mime_params params;
	const struct al_mime_param *p;

	al_mime_params_parse(" Attachment; filename=\"a\\\"b.pdf\";\r\n\tfilename=c.exe ;"
			     " size=12",
			     &params);
	g_assert_cmpstr(params.token, ==, "attachment");
	g_assert_cmpuint(params.params->len, ==, 3);
	p = params.params->pdata[0];
	g_assert_cmpstr(p->name, ==, "filename");
	g_assert_cmpstr(p->value, ==, "a\"b.pdf");
	g_assert_false(p->missing_semicolon);
	p = params.params->pdata[1];
	g_assert_cmpstr(p->value, ==, "c.exe");
	g_assert_false(params.missing_semicolon);
	g_assert_false(params.truncated);
	al_mime_params_clear(&params);
	g_assert_null(params.params);
}

static void test_params_rfc2231_sections_and_charset(void)
{
	struct al_mime_params params;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	gboolean nul = FALSE;

	al_mime_params_parse("attachment; filename*1=\" finale.pdf\";"
			     " filename*0*=ISO-8859-1'fr'Rapport%20%E9t%E9",
			     &params);
	al_mime_params_names(&params, "filename", names, &nul);
	g_assert_cmpuint(names->len, ==, 1);
	g_assert_cmpstr(names->pdata[0], ==, "Rapport été finale.pdf");
	g_assert_false(nul);
	al_mime_params_clear(&params);
}

static void test_params_missing_semicolon_is_read_and_noted(void)
{
	struct al_mime_params params;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	gboolean nul = FALSE;

	al_mime_params_parse("attachment filename=invoice.exe", &params);
	g_assert_cmpstr(params.token, ==, "attachment");
	g_assert_true(params.missing_semicolon);
	al_mime_params_names(&params, "filename", names, &nul);
	g_assert_cmpuint(names->len, ==, 1);
	g_assert_cmpstr(names->pdata[0], ==, "invoice.exe");
	al_mime_params_clear(&params);
}

/* raw header value -> the names it gives, and whether one held a NUL. */
struct names_case {
	const char *raw;
	const char *names[3];
	gboolean nul;
};

static void test_params_nul_gives_the_name_before_and_the_whole(void)
{
	static const struct names_case cases[] = {
		{ "attachment; filename*=utf-8''invoice.pdf%00.exe",
		  { "invoice.pdf", "invoice.pdf.exe" }, TRUE },
		{ "attachment; filename=\"=?utf-8?Q?invoice.pdf=00.js?=\"",
		  { "invoice.pdf", "invoice.pdf.js" }, TRUE },
		/* "invoice.pdf\0.js" in base64 */
		{ "attachment; filename==?utf-8?B?aW52b2ljZS5wZGYALmpz?=",
		  { "invoice.pdf", "invoice.pdf.js" }, TRUE },
		{ "attachment; filename=\"=?utf-8?Q?r=C3=A9sum=C3=A9.pdf?=\"", { "résumé.pdf" },
		  FALSE },
		{ "attachment; filename=a.pdf; filename*=utf-8''a.pdf", { "a.pdf" }, FALSE },
	};

	for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
		struct al_mime_params params;
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
		gboolean nul = FALSE;
		guint expected = 0;

		al_mime_params_parse(cases[c].raw, &params);
		al_mime_params_names(&params, "filename", names, &nul);
		while (expected < 3 && cases[c].names[expected] != NULL)
			expected++;
		g_assert_cmpuint(names->len, ==, expected);
		for (guint i = 0; i < expected; i++)
			g_assert_cmpstr(names->pdata[i], ==, cases[c].names[i]);
		g_assert_cmpint(nul, ==, cases[c].nul);
		al_mime_params_clear(&params);
	}
}

static void test_params_are_bounded(void)
{
	GString *raw = g_string_new("attachment");
	struct al_mime_params params;

	for (int i = 0; i < 5000; i++)
		g_string_append_printf(raw, "; p%d=v", i);
	al_mime_params_parse(raw->str, &params);
	g_assert_true(params.truncated);
	g_assert_cmpuint(params.params->len, <=, 64);
	al_mime_params_clear(&params);
	g_string_free(raw, TRUE);
}

static void test_params_garbage_does_not_crash(void)
{
	static const char *const inputs[] = {
		"", ";", "=", "\"", "a=\"", "a*=", "a*0*=''%", "a*99999999999=x", "=?=?", "a==?x?q?",
		"filename*0*=x'y'%0", "; ; ;=;=\"\\", "filename=\"\\",
	};

	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		struct al_mime_params params;
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
		gboolean nul = FALSE;

		al_mime_params_parse(inputs[i], &params);
		al_mime_params_names(&params, "filename", names, &nul);
		al_mime_params_names(&params, "a", names, &nul);
		for (guint n = 0; n < names->len; n++)
			g_assert_true(g_utf8_validate(names->pdata[n], -1, NULL));
		al_mime_params_clear(&params);
	}
}

/* ------------------------------------------------ through the walk */

static struct al_message *parse_part(const char *headers, GMimeStream **stream_r)
{
	struct al_mime_limits limits = {
		.max_depth = 8,
		.max_parts = 100,
		.max_part_bytes = 1024 * 1024,
		.memory_threshold_bytes = 1024 * 1024,
		.spool_dir = spool_dir,
	};
	g_autofree char *text = g_strdup_printf("From: a@example.org\nMIME-Version: 1.0\n"
						"Content-Type: multipart/mixed; boundary=b\n\n"
						"--b\nContent-Type: text/plain\n\nhi\n"
						"--b\n%s\nContent-Transfer-Encoding: base64\n\n"
						"TVqQAA==\n--b--\n",
						headers);
	g_autoptr(GError) error = NULL;
	struct al_message *message;

	*stream_r = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	message = al_mime_parse(*stream_r, &limits, &error);
	g_assert_no_error(error);
	g_assert_nonnull(message);
	g_assert_cmpuint(message->items->len, ==, 2);
	return message;
}

/* headers of the attachment -> its filename, the end of one of its
 * names (filename or alt_filename), and whether it is disguised. */
struct walk_case {
	const char *headers;
	const char *name;
	const char *other;
	gboolean disguised;
};

static void test_names_that_hide_the_real_one(void)
{
	static const struct walk_case cases[] = {
		{ "Content-Type: application/octet-stream\n"
		  "Content-Disposition: attachment; filename=\"invoice.pdf\"; filename=\"invoice.exe\"",
		  "invoice.pdf", "invoice.exe", TRUE },
		{ "Content-Type: application/octet-stream; name=a.pdf; name=a.js", "a.pdf", "a.js",
		  TRUE },
		{ "Content-Type: application/octet-stream\n"
		  "Content-Disposition: attachment; filename*=utf-8''invoice.js; "
		  "filename=\"invoice.pdf\"",
		  NULL, "invoice.js", TRUE },
		{ "Content-Type: application/octet-stream\n"
		  "Content-Disposition: attachment; filename*=utf-8''invoice.pdf%00.exe",
		  NULL, "invoice.pdf.exe", TRUE },
		{ "Content-Type: application/octet-stream\n"
		  "Content-Disposition: attachment; filename=\"=?utf-8?Q?invoice.pdf=00.js?=\"",
		  NULL, ".js", TRUE },
		{ "Content-Type: application/octet-stream\n"
		  "Content-Disposition: attachment filename=invoice.exe",
		  "invoice.exe", NULL, TRUE },
		{ "Content-Type: application/octet-stream; name=\"invoice.js\"\n"
		  "Content-Disposition: attachment; filename=\"invoice.pdf\"",
		  NULL, "invoice.js", TRUE },
		/* the same name written twice, or with another charset: nothing hidden */
		{ "Content-Type: application/pdf; name=\"=?utf-8?B?csOpc3Vtw6kucGRm?=\"\n"
		  "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
		  "résumé.pdf", NULL, FALSE },
		{ "Content-Type: application/pdf; name=\"scan 1.pdf\"\n"
		  "Content-Disposition: attachment; filename=\"scan 2.pdf\"",
		  "scan 2.pdf", "scan 1.pdf", FALSE },
	};

	for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
		GMimeStream *stream = NULL;
		struct al_message *message = parse_part(cases[c].headers, &stream);
		const struct al_item *item = message->items->pdata[1];

		g_test_message("case %u: %s / %s", c, item->filename, item->alt_filename);
		if (cases[c].name != NULL)
			g_assert_cmpstr(item->filename, ==, cases[c].name);
		if (cases[c].other != NULL)
			g_assert_true(g_str_has_suffix(item->filename, cases[c].other) ||
				      (item->alt_filename != NULL &&
				       g_str_has_suffix(item->alt_filename, cases[c].other)));
		g_assert_cmpint(has_reason(item->reasons, AL_REASON_DISGUISED), ==,
				cases[c].disguised);
		g_assert_false(item->is_body);
		g_assert_cmpstr(item->disposition, !=, "attachment filename=invoice.exe");
		al_message_free(&message);
		g_object_unref(stream);
	}
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	al_mime_global_init();
	spool_dir = g_dir_make_tmp("airlock-test-mime-params-XXXXXX", NULL);
	g_assert_nonnull(spool_dir);
	g_test_add_func("/mime_params/every_parameter_is_kept_in_order",
			test_params_every_parameter_is_kept_in_order);
	g_test_add_func("/mime_params/rfc2231_sections_and_charset",
			test_params_rfc2231_sections_and_charset);
	g_test_add_func("/mime_params/missing_semicolon_is_read_and_noted",
			test_params_missing_semicolon_is_read_and_noted);
	g_test_add_func("/mime_params/nul_gives_the_name_before_and_the_whole",
			test_params_nul_gives_the_name_before_and_the_whole);
	g_test_add_func("/mime_params/are_bounded", test_params_are_bounded);
	g_test_add_func("/mime_params/garbage_does_not_crash", test_params_garbage_does_not_crash);
	g_test_add_func("/mime_params/names_that_hide_the_real_one",
			test_names_that_hide_the_real_one);
	rc = g_test_run();
	g_rmdir(spool_dir);
	g_free(spool_dir);
	return rc;
}
