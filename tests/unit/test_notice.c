/*
 * test_notice.c - the notices: reason sentences, strip (parts replaced in
 * place, everything else byte-identical), uuencoded blocks cut out of
 * text, hostile names shown escaped, and the hold notice message.
 *
 * Messages are built here as strings and parsed by al_mime_parse; the
 * policy's work (quarantine, reasons) is done by hand on the items.
 */
#include "airlock/mime.h"
#include "airlock/notice.h"

#include <string.h>

#define ID    "01JD4W6ZQ8XK3V7N2M5P9R0T1S"
#define ADMIN "it-help@example.org"

/* A parsed message in a verdict, and the stream it must outlive. */
struct fixture {
	GMimeStream *stream;
	struct al_verdict *verdict;
	struct al_config *config;
	char *original; /* the message text */
};

static void fixture_init(struct fixture *f, const char *text)
{
	const struct al_mime_limits limits = {
	    .max_depth = 32,
	    .max_parts = 1000,
	    .max_part_bytes = 10 * 1024 * 1024,
	    .memory_threshold_bytes = 1024 * 1024,
	    .spool_dir = g_get_tmp_dir(),
	};
	g_autoptr(GError) error = NULL;

	f->original = g_strdup(text);
	f->stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	f->verdict = g_new0(struct al_verdict, 1);
	f->verdict->action = AL_ACTION_STRIP;
	f->verdict->message = al_mime_parse(f->stream, &limits, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->verdict->message);
	f->config = al_config_new_defaults();
	g_assert_nonnull(f->config);
	g_free(f->config->admin_contact);
	f->config->admin_contact = g_strdup(ADMIN);
}

static void fixture_clear(struct fixture *f)
{
	al_verdict_free(&f->verdict);
	g_clear_object(&f->stream);
	al_config_free(&f->config);
	g_free(f->original);
}

static struct al_item *item_at_part(struct fixture *f, const char *part)
{
	GPtrArray *items = f->verdict->message->items;

	for (guint i = 0; i < items->len; i++) {
		struct al_item *item = items->pdata[i];

		if (strcmp(item->part, part) == 0)
			return item;
	}
	g_error("no item at part %s", part);
	return NULL;
}

/* What policy would do: flag and quarantine the item at part. */
static struct al_item *quarantine(struct fixture *f, const char *part, al_reason_set reasons)
{
	struct al_item *item = item_at_part(f, part);

	item->reasons |= reasons;
	item->quarantine = TRUE;
	f->verdict->reasons |= reasons;
	return item;
}

static void strip_ok(struct fixture *f, struct al_stripped *stripped)
{
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(al_notice_strip(f->config, f->verdict, ID, NULL, stripped, &error), ==, 0);
	g_assert_no_error(error);
	/* The new body is in a spool file, not in memory. */
	g_assert_null(stripped->body.bytes);
	g_assert_cmpint(stripped->body.fd, >, 2);
}

static char *body_text(const struct al_stripped *stripped)
{
	char *text = g_malloc0(stripped->body.size + 1);

	g_assert_cmpint(al_content_pread(&stripped->body, 0, text, stripped->body.size, NULL), ==,
	                (gssize)stripped->body.size);
	return text;
}

/* The original's header block (with its blank line), its top-level
 * Content-* headers replaced when the strip returned new values. */
static char *headers_for(const struct fixture *f, const struct al_stripped *stripped)
{
	const char *end = strstr(f->original, "\n\n");
	g_autofree char *block = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out = g_string_new(NULL);

	g_assert_nonnull(end);
	block = g_strndup(f->original, (gsize)(end - f->original) + 1);
	lines = g_strsplit(block, "\n", -1);
	for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
		if (stripped->content_type != NULL &&
		    (g_ascii_strncasecmp(lines[i], "content-", 8) == 0 || lines[i][0] == ' ' ||
		     lines[i][0] == '\t'))
			continue;
		g_string_append_printf(out, "%s\n", lines[i]);
	}
	if (stripped->content_type != NULL)
		g_string_append_printf(out, "Content-Type: %s\nContent-Transfer-Encoding: %s\n",
		                       stripped->content_type, stripped->content_transfer_encoding);
	g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

/* The stripped message as the recipient gets it, parsed again. */
static GMimeMessage *reparse(const struct fixture *f, const struct al_stripped *stripped)
{
	g_autofree char *headers = headers_for(f, stripped);
	g_autofree char *body = body_text(stripped);
	g_autofree char *all = g_strconcat(headers, body, NULL);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(all, strlen(all));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message;

	g_mime_parser_set_persist_stream(parser, FALSE);
	message = g_mime_parser_construct_message(parser, NULL);
	g_assert_nonnull(message);
	g_object_unref(parser);
	g_object_unref(stream);
	return message;
}

static char *decoded_text(GMimeObject *object)
{
	GMimeDataWrapper *content;
	GByteArray *bytes = g_byte_array_new();
	GMimeStream *out = g_mime_stream_mem_new_with_byte_array(bytes);

	g_assert_true(GMIME_IS_PART(object));
	content = g_mime_part_get_content(GMIME_PART(object));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_assert_cmpint(g_mime_data_wrapper_write_to_stream(content, out), >=, 0);
	g_object_unref(out);
	g_byte_array_append(bytes, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(bytes, FALSE);
}

static GMimeObject *child(GMimeObject *multipart, int index)
{
	g_assert_true(GMIME_IS_MULTIPART(multipart));
	g_assert_cmpint(index, <, g_mime_multipart_get_count(GMIME_MULTIPART(multipart)));
	return g_mime_multipart_get_part(GMIME_MULTIPART(multipart), index);
}

/* The exact bytes of the original from the line starting with from up
 * to (not including) the next occurrence of to after it. */
static char *segment(const char *text, const char *from, const char *to)
{
	const char *start = strstr(text, from);
	const char *end;

	g_assert_nonnull(start);
	end = strstr(start + strlen(from), to);
	g_assert_nonnull(end);
	return g_strndup(start, (gsize)(end - start));
}

/* Asserts object is a notice part and returns its text. */
static char *notice_text(GMimeObject *object)
{
	GMimeContentType *type = g_mime_object_get_content_type(object);

	g_assert_true(g_mime_content_type_is_type(type, "text", "plain"));
	g_assert_cmpstr(g_mime_content_type_get_parameter(type, "charset"), ==, "utf-8");
	g_assert_cmpint(g_mime_part_get_content_encoding(GMIME_PART(object)), ==,
	                GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_assert_cmpstr(g_mime_object_get_disposition(object), ==, "inline");
	return decoded_text(object);
}

static void assert_bilingual_notice(const char *text, const char *name, enum al_reason reason)
{
	g_assert_true(g_utf8_validate(text, -1, NULL));
	g_assert_nonnull(strstr(text, "Pièce jointe retenue par Airlock"));
	g_assert_nonnull(strstr(text, "Attachment withheld by Airlock"));
	g_assert_nonnull(strstr(text, name));
	g_assert_nonnull(strstr(text, ID));
	g_assert_nonnull(strstr(text, ADMIN));
	g_assert_nonnull(strstr(text, al_notice_reason_sentence(reason, "fr")));
	g_assert_nonnull(strstr(text, al_notice_reason_sentence(reason, "en")));
	g_assert_nonnull(strstr(text, "contactez " ADMIN " en indiquant cet identifiant."));
	g_assert_nonnull(strstr(text, "contact " ADMIN " and quote this id."));
}

/* ------------------------------------------------------------ tests */

static void test_notice_reason_sentences_exist_in_french_and_english(void)
{
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const char *fr = al_notice_reason_sentence((enum al_reason)r, "fr");
		const char *en = al_notice_reason_sentence((enum al_reason)r, "en");

		g_assert_nonnull(fr);
		g_assert_nonnull(en);
		g_assert_cmpuint(strlen(fr), >, 20);
		g_assert_cmpuint(strlen(en), >, 20);
		g_assert_cmpstr(fr, !=, en);
		g_assert_true(g_utf8_validate(fr, -1, NULL));
		g_assert_true(g_str_has_suffix(fr, "."));
		g_assert_true(g_str_has_suffix(en, "."));
		for (int other = 0; other < r; other++) {
			g_assert_cmpstr(fr, !=,
			                al_notice_reason_sentence((enum al_reason)other, "fr"));
			g_assert_cmpstr(en, !=,
			                al_notice_reason_sentence((enum al_reason)other, "en"));
		}
	}
	g_assert_nonnull(strstr(al_notice_reason_sentence(AL_REASON_ENCRYPTED, "fr"),
	                        "protégé par mot de passe"));
	g_assert_cmpstr(al_notice_reason_sentence(AL_REASON_EXECUTABLE, "en"), ==,
	                "This file is a program: opening it could install malicious software.");
	g_assert_null(al_notice_reason_sentence(AL_REASON_COUNT, "fr"));
}

static const char two_parts[] =
    "From: Alice <alice@example.net>\n"
    "To: bob@example.org\n"
    "Subject: invoice\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
    "\n"
    "This is a multi-part message in MIME format.\n"
    "--XX\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Bonjour, voici la facture de l'=E9t=E9.\n"
    "Cordialement\n"
    "--XX\n"
    "Content-Type: application/pdf; name=\"facture.pdf.exe\"\n"
    "Content-Disposition: attachment; filename=\"facture.pdf.exe\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    "AAAAgAAAAA4fug4AtAnNIbgBTM0hVGhpcyBwcm9ncmFtIGNhbm5vdCBiZSBydW4gaW4gRE9TIG1v\n"
    "--XX--\n"
    "epilogue\n";

static void test_notice_strip_replaces_attachment_and_keeps_text_body(void)
{
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *body = NULL;
	g_autofree char *text_part = NULL;
	g_autofree char *notice = NULL;
	GMimeMessage *parsed;
	GMimeObject *top;

	fixture_init(&f, two_parts);
	quarantine(&f, "2",
	           AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED));
	strip_ok(&f, &stripped);
	g_assert_null(stripped.content_type);
	g_assert_null(stripped.content_transfer_encoding);
	g_assert_null(stripped.content_disposition);
	g_assert_null(stripped.mime_version);

	body = body_text(&stripped);
	text_part = segment(two_parts, "This is a multi-part", "\n--XX\nContent-Type: application");
	g_assert_true(g_str_has_prefix(body, text_part));
	g_assert_null(strstr(body, "TVqQAAMAAAAEAAAA"));
	g_assert_true(g_str_has_suffix(body, "--XX--\nepilogue\n"));

	parsed = reparse(&f, &stripped);
	top = g_mime_message_get_mime_part(parsed);
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(top)), ==, 2);
	notice = notice_text(child(top, 1));
	assert_bilingual_notice(notice, "facture.pdf.exe", AL_REASON_EXECUTABLE);
	g_assert_nonnull(strstr(notice, al_notice_reason_sentence(AL_REASON_DISGUISED, "fr")));
	/* Languages in config order: fr;en by default. */
	g_assert_cmpint(strstr(notice, "Pièce jointe") - notice, <,
	                strstr(notice, "Attachment withheld") - notice);
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	g_assert_cmpint(stripped.body.fd, ==, -1);
	fixture_clear(&f);
}

static void test_notice_languages_follow_config_order(void)
{
	static const struct {
		const char *languages[3];
		const char *first;
		const char *absent;
	} cases[] = {
	    {{"en", "fr", NULL}, "Attachment withheld", NULL},
	    {{"fr", "en", NULL}, "Pièce jointe retenue", NULL},
	    {{"en", NULL, NULL}, "Attachment withheld", "Pièce jointe"},
	    {{"fr", "fr", NULL}, "Pièce jointe retenue", "Attachment withheld"},
	};

	for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
		struct fixture f;
		struct al_stripped stripped = {0};
		g_autofree char *notice = NULL;
		GMimeMessage *parsed;
		const char *other;

		fixture_init(&f, two_parts);
		g_strfreev(f.config->languages);
		f.config->languages = g_strdupv((char **)cases[c].languages);
		quarantine(&f, "2", AL_REASON_BIT(AL_REASON_EXECUTABLE));
		strip_ok(&f, &stripped);
		parsed = reparse(&f, &stripped);
		notice = notice_text(child(g_mime_message_get_mime_part(parsed), 1));
		g_assert_true(g_str_has_prefix(notice, cases[c].first));
		other = g_str_has_prefix(cases[c].first, "Pièce") ? "Attachment withheld"
		                                                  : "Pièce jointe retenue";
		if (cases[c].absent != NULL)
			g_assert_null(strstr(notice, cases[c].absent));
		else
			g_assert_nonnull(strstr(notice, other));
		g_object_unref(parsed);
		al_stripped_clear(&stripped);
		fixture_clear(&f);
	}
}

static const char three_attachments[] =
    "From: alice@example.net\n"
    "Subject: three\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: application/pdf; name=one.pdf\n"
    "Content-Disposition: attachment; filename=one.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl\n"
    "Y29kZT4+CnN0cmVhbQp4nDPQM1Qo5ypUMFAw0DMwslAwtTTVMzIxV0hJ5XIN4QIAXMMGaQplbmRz\n"
    "--b1\n"
    "Content-Type: application/octet-stream; name=two.exe\n"
    "Content-Disposition: attachment; filename=two.exe\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    "--b1\n"
    "Content-Type: image/png; name=three.png\n"
    "Content-Disposition: attachment; filename=three.png\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmM\n"
    "IQAAAABJRU5ErkJggg==\n"
    "--b1--\n";

static void test_notice_strip_second_of_three_keeps_first_and_third_byte_identical(void)
{
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *body = NULL;
	g_autofree char *first = NULL;
	g_autofree char *third = NULL;
	g_autofree char *notice = NULL;
	GMimeMessage *parsed;
	GMimeObject *top;

	fixture_init(&f, three_attachments);
	quarantine(&f, "2", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	strip_ok(&f, &stripped);
	body = body_text(&stripped);
	first = segment(three_attachments, "--b1\nContent-Type: application/pdf", "--b1\n");
	third = segment(three_attachments, "--b1\nContent-Type: image/png", "--b1--");
	/* The body is: first part as it was, the notice, third part as it was. */
	g_assert_true(g_str_has_prefix(body, first));
	g_assert_true(g_str_has_suffix(body, "\n--b1--\n"));
	g_assert_nonnull(strstr(body, third));
	g_assert_true(g_str_has_suffix(
	    body, three_attachments + (strstr(three_attachments, third) - three_attachments)));
	g_assert_null(strstr(body, "TVqQAAMAAAAEAAAA"));

	parsed = reparse(&f, &stripped);
	top = g_mime_message_get_mime_part(parsed);
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(top)), ==, 3);
	notice = notice_text(child(top, 1));
	assert_bilingual_notice(notice, "two.exe", AL_REASON_EXECUTABLE);
	g_assert_null(strstr(notice, "one.pdf"));
	g_assert_cmpstr(g_mime_part_get_filename(GMIME_PART(child(top, 0))), ==, "one.pdf");
	g_assert_cmpstr(g_mime_part_get_filename(GMIME_PART(child(top, 2))), ==, "three.png");
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
}

static void test_notice_strip_keeps_crlf_line_ends(void)
{
	g_autofree char *crlf = NULL;
	g_auto(GStrv) lines = g_strsplit(three_attachments, "\n", -1);
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *body = NULL;
	g_autofree char *first = NULL;
	g_autofree char *third = NULL;

	crlf = g_strjoinv("\r\n", lines);
	fixture_init(&f, crlf);
	quarantine(&f, "2", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	strip_ok(&f, &stripped);
	body = body_text(&stripped);
	first = segment(crlf, "--b1\r\nContent-Type: application/pdf", "--b1\r\n");
	third = segment(crlf, "--b1\r\nContent-Type: image/png", "--b1--");
	g_assert_true(g_str_has_prefix(body, first));
	g_assert_nonnull(strstr(body, third));
	g_assert_true(g_str_has_suffix(body, "\r\n--b1--\r\n"));
	/* Every line of the new body ends in CRLF, the notice's too. */
	for (const char *p = strchr(body, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		g_assert_cmpint(p[-1], ==, '\r');
	g_assert_nonnull(strstr(body, "Pi=C3=A8ce jointe retenue par Airlock\r\n"));
	al_stripped_clear(&stripped);
	fixture_clear(&f);
}

static const char attached_message[] =
    "From: alice@example.net\n"
    "Subject: fwd\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "--outer\n"
    "Content-Type: text/plain\n"
    "\n"
    "See the forwarded mail.\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "Content-Disposition: attachment; filename=\"fwd.eml\"\n"
    "\n"
    "From: mallory@example.com\n"
    "Subject: inner\n"
    "X-Inner: kept\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"inner\"\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "inner text\n"
    "--inner\n"
    "Content-Type: application/x-msdownload; name=\"payload.exe\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    "--inner--\n"
    "\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: eve@example.com\n"
    "Subject: single\n"
    "Content-Type: application/x-msdownload; name=\"single.exe\"\n"
    "Content-Disposition: attachment; filename=\"single.exe\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
    "--outer--\n";

static GMimeObject *attached_body(GMimeObject *top, int index)
{
	GMimeObject *part = child(top, index);
	GMimeMessage *inner;

	g_assert_true(GMIME_IS_MESSAGE_PART(part));
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
	g_assert_nonnull(inner);
	return g_mime_message_get_mime_part(inner);
}

static void test_notice_strip_inside_attached_message(void)
{
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *body = NULL;
	g_autofree char *nested = NULL;
	g_autofree char *single = NULL;
	g_autofree char *inner_text = NULL;
	GMimeMessage *parsed;
	GMimeObject *top;
	GMimeObject *inner_top;

	fixture_init(&f, attached_message);
	quarantine(&f, "2.2", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	quarantine(&f, "3.1", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	strip_ok(&f, &stripped);
	g_assert_null(stripped.content_type);
	body = body_text(&stripped);
	inner_text = segment(attached_message, "--outer\nContent-Type: text/plain", "--outer\n");
	g_assert_true(g_str_has_prefix(body, inner_text));
	g_assert_nonnull(
	    strstr(body, "--inner\nContent-Type: text/plain\n\ninner text\n--inner\n"));
	g_assert_nonnull(strstr(body, "X-Inner: kept\n"));
	g_assert_null(strstr(body, "TVqQ"));

	parsed = reparse(&f, &stripped);
	top = g_mime_message_get_mime_part(parsed);
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(top)), ==, 3);
	inner_top = attached_body(top, 1);
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(inner_top)), ==, 2);
	nested = notice_text(child(inner_top, 1));
	assert_bilingual_notice(nested, "payload.exe", AL_REASON_EXECUTABLE);
	single = notice_text(attached_body(top, 2));
	assert_bilingual_notice(single, "single.exe", AL_REASON_EXECUTABLE);
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
}

static const char single_part[] =
    "From: alice@example.net\n"
    "Subject: just a file\n"
    "MIME-Version: 1.0\n"
    "Content-Type: application/x-msdownload;\n"
    " name=\"setup.exe\"\n"
    "Content-Disposition: attachment; filename=\"setup.exe\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";

static void test_notice_strip_top_level_part_returns_new_headers(void)
{
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *body = NULL;
	g_autofree char *notice = NULL;
	GMimeMessage *parsed;

	fixture_init(&f, single_part);
	quarantine(&f, "1", AL_REASON_BIT(AL_REASON_VIRUS));
	strip_ok(&f, &stripped);
	g_assert_cmpstr(stripped.content_type, ==, "text/plain; charset=utf-8");
	g_assert_cmpstr(stripped.content_transfer_encoding, ==, "quoted-printable");
	g_assert_cmpstr(stripped.content_disposition, ==, "inline");
	g_assert_null(stripped.mime_version);
	body = body_text(&stripped);
	g_assert_null(strstr(body, "TVqQ"));
	g_assert_null(strstr(body, "Content-Type"));

	parsed = reparse(&f, &stripped);
	notice = decoded_text(g_mime_message_get_mime_part(parsed));
	assert_bilingual_notice(notice, "setup.exe", AL_REASON_VIRUS);
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
}

#define UU_CHAR(v) ((char)((v) == 0 ? '`' : (v) + 32))

static void uuencode_append(GString *out, const char *name, const guint8 *data, gsize len)
{
	g_string_append_printf(out, "begin 644 %s\n", name);
	for (gsize off = 0; off < len; off += 45) {
		gsize n = MIN(45, len - off);

		g_string_append_c(out, UU_CHAR(n));
		for (gsize i = 0; i < n; i += 3) {
			guint8 b[3] = {0, 0, 0};

			for (gsize k = 0; k < 3 && i + k < n; k++)
				b[k] = data[off + i + k];
			g_string_append_c(out, UU_CHAR(b[0] >> 2));
			g_string_append_c(out, UU_CHAR(((b[0] << 4) | (b[1] >> 4)) & 0x3f));
			g_string_append_c(out, UU_CHAR(((b[1] << 2) | (b[2] >> 6)) & 0x3f));
			g_string_append_c(out, UU_CHAR(b[2] & 0x3f));
		}
		g_string_append_c(out, '\n');
	}
	g_string_append(out, "`\nend\n");
}

static const guint8 program[] = "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
                                "This program cannot be run in DOS mode.\r\r\n$"
                                "PE\x00\x00L\x01\x03\x00 and some more bytes to make two lines";

static void test_notice_strip_cuts_uuencoded_block_from_text(void)
{
	GString *mail = g_string_new("From: alice@example.net\nSubject: uu\n\nHello Bob,\n\n");
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *text = NULL;
	GMimeMessage *parsed;

	uuencode_append(mail, "evil.exe", program, sizeof(program) - 1);
	g_string_append(mail, "\nand a harmless one:\n");
	uuencode_append(mail, "notes.txt", (const guint8 *)"just notes\n", 11);
	g_string_append(mail, "Bye\n");
	fixture_init(&f, mail->str);
	g_assert_cmpstr(item_at_part(&f, "1.u2")->filename, ==, "notes.txt");
	quarantine(&f, "1.u1", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	strip_ok(&f, &stripped);
	/* The top-level text was rewritten: the milter must change its headers. */
	g_assert_cmpstr(stripped.content_type, ==, "text/plain; charset=utf-8");
	g_assert_cmpstr(stripped.content_transfer_encoding, ==, "quoted-printable");
	g_assert_null(stripped.content_disposition);
	g_assert_cmpstr(stripped.mime_version, ==, "1.0");

	parsed = reparse(&f, &stripped);
	text = decoded_text(g_mime_message_get_mime_part(parsed));
	g_assert_true(g_str_has_prefix(text,
	                               "Hello Bob,\n\n\nand a harmless one:\nbegin 644 notes.txt\n"
	                               "+:G5S=\"!N;W1E<PH`\n`\nend\nBye\n\n"));
	g_assert_null(strstr(text, "begin 644 evil.exe"));
	assert_bilingual_notice(text, "evil.exe", AL_REASON_EXECUTABLE);
	g_assert_null(strstr(text, "notes.txt\n  -"));
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
	g_string_free(mail, TRUE);
}

/* A yEnc block ("P.yN") cannot be cut line by line like uuencode: its
 * whole text part is replaced by the notice. */
static void test_notice_strip_yenc_block_replaces_its_text_part(void)
{
	GString *mail = g_string_new("From: alice@example.net\nSubject: yenc\n\nHello Bob,\n"
	                             "=ybegin line=128 size=4 name=evil.exe\n");
	static const guint8 data[] = {'M', 'Z', 0x90, 0x00};
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *text = NULL;
	GMimeMessage *parsed;

	for (gsize i = 0; i < sizeof(data); i++) {
		guint8 c = (guint8)(data[i] + 42);

		if (c == 0 || c == '\n' || c == '\r' || c == '=')
			g_string_append_printf(mail, "=%c", (char)(c + 64));
		else
			g_string_append_c(mail, (char)c);
	}
	g_string_append(mail, "\n=yend size=4\nBye\n");
	fixture_init(&f, mail->str);
	g_assert_cmpstr(item_at_part(&f, "1.y1")->filename, ==, "evil.exe");
	quarantine(&f, "1.y1", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	strip_ok(&f, &stripped);
	parsed = reparse(&f, &stripped);
	text = decoded_text(g_mime_message_get_mime_part(parsed));
	g_assert_null(strstr(text, "=ybegin"));
	assert_bilingual_notice(text, "evil.exe", AL_REASON_EXECUTABLE);
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
	g_string_free(mail, TRUE);
}

static void test_notice_strip_uuencoded_in_latin1_part_becomes_utf8(void)
{
	GString *mail = g_string_new("From: alice@example.net\nSubject: uu\nMIME-Version: 1.0\n"
	                             "Content-Type: multipart/mixed; boundary=\"u\"\n\n"
	                             "--u\nContent-Type: text/plain; charset=iso-8859-1\n"
	                             "Content-Transfer-Encoding: 8bit\n\n"
	                             "Voil\xe0 le programme :\n");
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *text = NULL;
	g_autofree char *png = NULL;
	g_autofree char *body = NULL;
	GMimeMessage *parsed;
	GMimeObject *part;

	uuencode_append(mail, "tool.exe", program, sizeof(program) - 1);
	g_string_append(mail, "--u\nContent-Type: image/png; name=a.png\n"
	                      "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--u--\n");
	fixture_init(&f, mail->str);
	quarantine(&f, "1.u1", AL_REASON_BIT(AL_REASON_EXECUTABLE));
	strip_ok(&f, &stripped);
	g_assert_null(stripped.content_type);
	png = segment(mail->str, "--u\nContent-Type: image/png", "--u--");
	body = body_text(&stripped);
	g_assert_nonnull(strstr(body, png));

	parsed = reparse(&f, &stripped);
	part = child(g_mime_message_get_mime_part(parsed), 0);
	g_assert_cmpstr(g_mime_object_get_content_type_parameter(part, "charset"), ==, "utf-8");
	text = decoded_text(part);
	g_assert_true(g_str_has_prefix(text, "Voilà le programme :\n"));
	g_assert_null(strstr(text, "begin 644"));
	assert_bilingual_notice(text, "tool.exe", AL_REASON_EXECUTABLE);
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
	g_string_free(mail, TRUE);
}

static void test_notice_hostile_file_name_is_shown_escaped(void)
{
	g_autofree char *long_name = g_strnfill(1000, 'A');
	g_autofree char *shown_long = g_strconcat("Fichier : ", long_name + 800, "...\n", NULL);
	g_autofree char *too_long = g_strnfill(201, 'A');
	const struct {
		const char *name;
		const char *shown;
		const char *hidden[4];
	} cases[] = {
	    /* RLO makes "invoice<RLO>fdp.exe" display as "invoiceexe.pdf". */
	    {"invoice\u202Efdp.exe", "Fichier : invoice<U+202E>fdp.exe\n", {"\u202E"}},
	    {"a\a\x1b[31m\r\nFile: fake.pdf",
	     "File: a<U+0007><U+001B>[31m<U+000D><U+000A>File: fake.pdf\n",
	     {"\a", "\x1b", "\r", "\nFile: fake.pdf"}},
	    {"zero\u200Bwidth\u2066.exe\u2028x",
	     "zero<U+200B>width<U+2066>.exe<U+2028>x\n",
	     {"\u200B", "\u2066", "\u2028"}},
	    {long_name, shown_long, {too_long}},
	    {NULL, "Fichier : (sans nom)\n", {NULL}},
	    {NULL, "File: (no name)\n", {NULL}},
	};

	for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
		struct fixture f;
		struct al_stripped stripped = {0};
		g_autofree char *notice = NULL;
		struct al_item *item;
		GMimeMessage *parsed;

		fixture_init(&f, two_parts);
		item = quarantine(&f, "2", AL_REASON_BIT(AL_REASON_DISGUISED));
		g_free(item->filename);
		item->filename = g_strdup(cases[c].name);
		strip_ok(&f, &stripped);
		parsed = reparse(&f, &stripped);
		notice = notice_text(child(g_mime_message_get_mime_part(parsed), 1));
		g_assert_nonnull(strstr(notice, cases[c].shown));
		for (guint k = 0; k < G_N_ELEMENTS(cases[c].hidden) && cases[c].hidden[k]; k++)
			g_assert_null(strstr(notice, cases[c].hidden[k]));
		g_object_unref(parsed);
		al_stripped_clear(&stripped);
		fixture_clear(&f);
	}
}

static void test_notice_strip_uuencoded_in_html_is_escaped(void)
{
	GString *mail = g_string_new("From: alice@example.net\nSubject: uu\nMIME-Version: 1.0\n"
	                             "Content-Type: text/html; charset=utf-8\n\n"
	                             "<html><body><p>Hi</p>\n");
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autofree char *text = NULL;
	GMimeMessage *parsed;

	uuencode_append(mail, "<script>x</script>.exe", program, sizeof(program) - 1);
	g_string_append(mail, "</body></html>\n");
	fixture_init(&f, mail->str);
	quarantine(&f, "1.u1",
	           AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED));
	strip_ok(&f, &stripped);
	g_assert_cmpstr(stripped.content_type, ==, "text/html; charset=utf-8");
	g_assert_null(stripped.mime_version);
	parsed = reparse(&f, &stripped);
	text = decoded_text(g_mime_message_get_mime_part(parsed));
	g_assert_true(g_str_has_prefix(text, "<html><body><p>Hi</p>\n</body></html>\n<pre>\n"));
	g_assert_true(g_str_has_suffix(text, "</pre>\n"));
	g_assert_nonnull(strstr(text, "&lt;script&gt;x&lt;/script&gt;.exe"));
	g_assert_null(strstr(text, "<script>"));
	g_assert_nonnull(strstr(text, "&quot;invoice&quot;"));
	g_object_unref(parsed);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
	g_string_free(mail, TRUE);
}

static void test_notice_strip_unknown_part_fails_cleanly(void)
{
	/* Not in the tree, not a leaf, not a number, blocks in a non-text
	 * part or missing from a text part. */
	static const char *const bad_paths[] = {"9", "2.1", "0", "1.x", "", "2.u1", "1.u3", ".u1"};

	for (guint i = 0; i < G_N_ELEMENTS(bad_paths); i++) {
		struct fixture f;
		struct al_stripped stripped = {0};
		g_autoptr(GError) error = NULL;
		struct al_item *item;

		fixture_init(&f, two_parts);
		item = quarantine(&f, "2", AL_REASON_BIT(AL_REASON_EXECUTABLE));
		g_free(item->part);
		item->part = g_strdup(bad_paths[i]);
		item->from_uuencode = strstr(bad_paths[i], ".u") != NULL;
		g_assert_cmpint(al_notice_strip(f.config, f.verdict, ID, NULL, &stripped, &error), ==,
		                -1);
		g_assert_error(error, AL_ERROR, AL_ERROR_INTERNAL);
		g_assert_cmpint(stripped.body.fd, ==, -1);
		g_assert_null(stripped.content_type);
		fixture_clear(&f);
	}
}

static const char held_mail[] =
    "From: Alice <alice@example.net>\n"
    "To: bob@example.org, carol@example.org\n"
    "Subject: =?utf-8?q?R=C3=A9union_du_comit=C3=A9?=\n"
    "Date: Tue, 14 May 2024 09:30:00 +0200\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"h\"\n"
    "\n"
    "--h\n"
    "Content-Type: text/plain\n"
    "\n"
    "see attached\n"
    "--h\n"
    "Content-Type: application/octet-stream; name=\"ordre du jour.docm\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "UEsDBBQAAAAIAA==\n"
    "--h--\n";

static GMimeMessage *parse_text(const char *text)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message;

	g_mime_parser_set_persist_stream(parser, FALSE);
	message = g_mime_parser_construct_message(parser, NULL);
	g_assert_nonnull(message);
	g_object_unref(parser);
	g_object_unref(stream);
	return message;
}

static void test_notice_hold_message_is_complete_and_bilingual(void)
{
	static const char *const recipients[] = {"bob@example.org", "carol@example.org", NULL};
	const struct al_smtp_context smtp = {
	    .envelope_from = "bounces+123@lists.example.net",
	    .recipients = recipients,
	};
	struct fixture f;
	g_autofree char *text = NULL;
	g_autofree char *body = NULL;
	g_autofree char *to = NULL;
	g_autofree char *lower = NULL;
	GMimeMessage *notice;
	const char *raw_subject;

	fixture_init(&f, held_mail);
	quarantine(&f, "2", AL_REASON_BIT(AL_REASON_MACRO) | AL_REASON_BIT(AL_REASON_VIRUS));
	f.verdict->action = AL_ACTION_HOLD;
	text = al_notice_hold_message(f.config, f.verdict, &smtp, ID, NULL, NULL);
	g_assert_nonnull(text);
	g_assert_null(strchr(text, '\r'));

	notice = parse_text(text);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(notice), "Auto-Submitted"), ==,
	                "auto-generated");
	g_assert_nonnull(g_mime_object_get_header(GMIME_OBJECT(notice), "MIME-Version"));
	g_assert_nonnull(g_mime_message_get_message_id(notice));
	g_assert_nonnull(g_mime_message_get_date(notice));
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(notice), "From"), ==,
	                "Airlock <" ADMIN ">");
	to = internet_address_list_to_string(
	    g_mime_message_get_addresses(notice, GMIME_ADDRESS_TYPE_TO), NULL, FALSE);
	g_assert_cmpstr(to, ==, "bob@example.org, carol@example.org");
	g_assert_cmpstr(g_mime_message_get_subject(notice), ==,
	                "[Airlock] Message retenu / Message held: Réunion du comité");
	raw_subject = strstr(text, "\nSubject: ");
	g_assert_nonnull(raw_subject);
	lower = g_ascii_strdown(raw_subject, -1);
	g_assert_nonnull(strstr(lower, "=?utf-8?"));
	for (const char *p = text; *p != '\0' && !(p[0] == '\n' && p[1] == '\n'); p++)
		g_assert_cmpint((guchar)*p, <, 0x80);

	body = notice_text(g_mime_message_get_mime_part(notice));
	g_assert_nonnull(strstr(body, "a été retenu par Airlock"));
	g_assert_nonnull(strstr(body, "was held by Airlock"));
	g_assert_nonnull(strstr(body, "Expéditeur : alice@example.net (adresse technique d'envoi : "
	                              "bounces+123@lists.example.net)"));
	g_assert_nonnull(strstr(body, "Sender: alice@example.net"));
	g_assert_nonnull(strstr(body, "Objet : Réunion du comité"));
	g_assert_nonnull(strstr(body, "Subject: Réunion du comité"));
	g_assert_nonnull(strstr(body, "2024-05-14 09:30:00 +0200"));
	g_assert_nonnull(strstr(body, "ordre du jour.docm"));
	g_assert_nonnull(strstr(body, al_notice_reason_sentence(AL_REASON_MACRO, "fr")));
	g_assert_nonnull(strstr(body, al_notice_reason_sentence(AL_REASON_VIRUS, "en")));
	g_assert_nonnull(strstr(body, "Identifiant de quarantaine : " ID));
	g_assert_nonnull(strstr(body, "Quarantine id: " ID));
	g_assert_nonnull(strstr(body, "contactez " ADMIN " en indiquant cet identifiant."));
	g_assert_nonnull(strstr(body, "contact " ADMIN " and quote this id."));
	g_object_unref(notice);
	fixture_clear(&f);
}

static void test_notice_hold_message_neutralises_hostile_subject(void)
{
	struct fixture f;
	g_autofree char *text = NULL;
	GMimeMessage *notice;

	fixture_init(&f, held_mail);
	quarantine(&f, "2", AL_REASON_BIT(AL_REASON_VIRUS));
	g_free(f.verdict->message->subject);
	f.verdict->message->subject = g_strdup("hi\nBcc: victim@example.com\n\nfake body\u202E");
	g_free(f.config->admin_contact);
	f.config->admin_contact = g_strdup("the IT desk, extension 1234");
	/* No SMTP context: no recipients known. */
	text = al_notice_hold_message(f.config, f.verdict, NULL, ID, NULL, NULL);
	notice = parse_text(text);
	g_assert_null(g_mime_object_get_header(GMIME_OBJECT(notice), "Bcc"));
	g_assert_cmpint(internet_address_list_length(
	                    g_mime_message_get_addresses(notice, GMIME_ADDRESS_TYPE_BCC)),
	                ==, 0);
	g_assert_cmpstr(g_mime_message_get_subject(notice), ==,
	                "[Airlock] Message retenu / Message held: hi<U+000A>Bcc: "
	                "victim@example.com<U+000A><U+000A>fake body<U+202E>");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(notice), "From"), ==,
	                "Airlock <postmaster>");
	g_assert_nonnull(strstr(text, "undisclosed-recipients"));
	g_object_unref(notice);
	fixture_clear(&f);
}

static void test_notice_disk_alert_goes_to_admin_address_in_both_languages(void)
{
	struct al_config *config = al_config_new_defaults();
	g_autofree char *text = NULL;
	g_autofree char *body = NULL;
	g_autofree char *to = NULL;
	GMimeMessage *alert;

	g_free(config->admin_address);
	config->admin_address = g_strdup("it@example.org");
	g_free(config->quarantine_dir);
	config->quarantine_dir = g_strdup("/var/lib/airlock");
	text = al_notice_disk_alert(config, 300 * 1024 * 1024, 512 * 1024 * 1024);
	alert = parse_text(text);
	to = internet_address_list_to_string(
	    g_mime_message_get_addresses(alert, GMIME_ADDRESS_TYPE_TO), NULL, FALSE);
	g_assert_cmpstr(to, ==, "it@example.org");
	g_assert_cmpstr(g_mime_message_get_subject(alert), ==,
	                "[Airlock] disque de la quarantaine presque plein / quarantine disk almost "
	                "full");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(alert), "Auto-Submitted"), ==,
	                "auto-generated");
	body = notice_text(g_mime_message_get_mime_part(alert));
	g_assert_nonnull(strstr(body, "Espace libre : 300.0 MiB"));
	g_assert_nonnull(strstr(body, "Free space: 300.0 MiB"));
	g_assert_nonnull(strstr(body, "([quarantine] min_free): 512.0 MiB"));
	g_assert_nonnull(strstr(body, "/var/lib/airlock"));
	g_assert_nonnull(strstr(body, "nothing is lost"));
	g_assert_true(strstr(body, "Le disque") < strstr(body, "The disk"));
	g_object_unref(alert);
	al_config_free(&config);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	al_mime_global_init();
	g_test_add_func("/notice/reason_sentences_exist_in_french_and_english",
	                test_notice_reason_sentences_exist_in_french_and_english);
	g_test_add_func("/notice/strip_replaces_attachment_and_keeps_text_body",
	                test_notice_strip_replaces_attachment_and_keeps_text_body);
	g_test_add_func("/notice/languages_follow_config_order",
	                test_notice_languages_follow_config_order);
	g_test_add_func("/notice/strip_second_of_three_keeps_first_and_third_byte_identical",
	                test_notice_strip_second_of_three_keeps_first_and_third_byte_identical);
	g_test_add_func("/notice/strip_keeps_crlf_line_ends",
	                test_notice_strip_keeps_crlf_line_ends);
	g_test_add_func("/notice/strip_inside_attached_message",
	                test_notice_strip_inside_attached_message);
	g_test_add_func("/notice/strip_top_level_part_returns_new_headers",
	                test_notice_strip_top_level_part_returns_new_headers);
	g_test_add_func("/notice/strip_cuts_uuencoded_block_from_text",
	                test_notice_strip_cuts_uuencoded_block_from_text);
	g_test_add_func("/notice/strip_yenc_block_replaces_its_text_part",
	                test_notice_strip_yenc_block_replaces_its_text_part);
	g_test_add_func("/notice/strip_uuencoded_in_latin1_part_becomes_utf8",
	                test_notice_strip_uuencoded_in_latin1_part_becomes_utf8);
	g_test_add_func("/notice/strip_uuencoded_in_html_is_escaped",
	                test_notice_strip_uuencoded_in_html_is_escaped);
	g_test_add_func("/notice/hostile_file_name_is_shown_escaped",
	                test_notice_hostile_file_name_is_shown_escaped);
	g_test_add_func("/notice/strip_unknown_part_fails_cleanly",
	                test_notice_strip_unknown_part_fails_cleanly);
	g_test_add_func("/notice/disk_alert_goes_to_admin_address_in_both_languages",
	                test_notice_disk_alert_goes_to_admin_address_in_both_languages);
	g_test_add_func("/notice/hold_message_is_complete_and_bilingual",
	                test_notice_hold_message_is_complete_and_bilingual);
	g_test_add_func("/notice/hold_message_neutralises_hostile_subject",
	                test_notice_hold_message_neutralises_hostile_subject);
	return g_test_run();
}
