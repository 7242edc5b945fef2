/*
 * test_mime.c - the MIME walk: items, part paths, names, decoded bytes,
 * and hostile structure (nesting, part counts, fragments, garbage).
 *
 * Every message is built here as a string, so the test shows exactly
 * what is parsed.
 */
#include "airlock/mime.h"
#include "../../src/lib/mime_private.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static char *spool_dir;

static struct al_mime_limits default_limits(void)
{
	return (struct al_mime_limits){
		.max_depth = 32,
		.max_parts = 1000,
		.max_part_bytes = 10 * 1024 * 1024,
		.memory_threshold_bytes = 1024 * 1024,
		.spool_dir = spool_dir,
	};
}

/* A parsed message and the stream it must outlive. */
struct parsed {
	GMimeStream *stream;
	struct al_message *message;
};

static struct parsed parse_stream_with(GMimeStream *stream, const struct al_mime_limits *limits)
{
	g_autoptr(GError) error = NULL;
	struct parsed p = { .stream = stream };

	p.message = al_mime_parse(stream, limits, &error);
	g_assert_no_error(error);
	g_assert_nonnull(p.message);
	return p;
}

static struct parsed parse_len_with(const char *text, gsize len,
				    const struct al_mime_limits *limits)
{
	return parse_stream_with(g_mime_stream_mem_new_with_buffer(text, len), limits);
}

static struct parsed parse_with(const char *text, const struct al_mime_limits *limits)
{
	return parse_len_with(text, strlen(text), limits);
}

static struct parsed parse(const char *text)
{
	struct al_mime_limits limits = default_limits();

	return parse_with(text, &limits);
}

static void parsed_free(struct parsed *p)
{
	al_message_free(&p->message);
	g_assert_null(p->message);
	g_clear_object(&p->stream);
}

static struct al_item *item_at(const struct parsed *p, guint i)
{
	g_assert_cmpuint(i, <, p->message->items->len);
	return p->message->items->pdata[i];
}

static GByteArray *content_of(const struct al_item *item)
{
	GByteArray *all = g_byte_array_new();
	guint8 buf[4096];
	goffset offset = 0;
	gssize n;
	g_autoptr(GError) error = NULL;

	while ((n = al_content_pread(&item->content, offset, buf, sizeof(buf), &error)) > 0) {
		g_byte_array_append(all, buf, (guint)n);
		offset += n;
	}
	g_assert_no_error(error);
	g_assert_cmpuint(all->len, ==, item->content.size);
	return all;
}

static void assert_content(const struct al_item *item, const void *expected, gsize len)
{
	g_autoptr(GByteArray) all = content_of(item);

	g_assert_cmpmem(all->data, all->len, expected, len);
}

static void assert_content_str(const struct al_item *item, const char *expected)
{
	assert_content(item, expected, strlen(expected));
}

static gboolean has_reason(al_reason_set set, enum al_reason reason)
{
	return (set & AL_REASON_BIT(reason)) != 0;
}

static gboolean details_mention(GPtrArray *details, const char *needle)
{
	for (guint i = 0; i < details->len; i++)
		if (strstr(details->pdata[i], needle) != NULL)
			return TRUE;
	return FALSE;
}

/* Deterministic bytes where every value occurs. */
static guint8 *binary_data(gsize len)
{
	guint8 *data = g_malloc(len);

	for (gsize i = 0; i < len; i++)
		data[i] = (guint8)(i * 131 + (i >> 8) + 1);
	return data;
}

/* Base64 in 76-column lines ending with eol. */
static char *base64_lines(const guint8 *data, gsize len, const char *eol)
{
	g_autofree char *flat = g_base64_encode(data, len);
	GString *out = g_string_new(NULL);
	gsize flat_len = strlen(flat);

	for (gsize i = 0; i < flat_len; i += 76) {
		g_string_append_len(out, flat + i, (gssize)MIN((gsize)76, flat_len - i));
		g_string_append(out, eol);
	}
	return g_string_free(out, FALSE);
}

/* A message with one base64 attachment of data. */
static char *message_with_attachment(const guint8 *data, gsize len, const char *eol)
{
	g_autofree char *encoded = base64_lines(data, len, eol);
	static const char *const lines[] = {
		"From: Alice <alice@example.org>", "Subject: report", "MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\"sep\"", "", "--sep",
		"Content-Type: text/plain; charset=utf-8", "", "See attached.", "--sep",
		"Content-Type: application/octet-stream",
		"Content-Disposition: attachment; filename=\"data.bin\"",
		"Content-Transfer-Encoding: base64", "",
	};
	GString *out = g_string_new(NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(lines); i++)
		g_string_append_printf(out, "%s%s", lines[i], eol);
	g_string_append(out, encoded);
	g_string_append_printf(out, "--sep--%s", eol);
	return g_string_free(out, FALSE);
}

static void test_mime_single_text_part_is_the_body(void)
{
	struct parsed p = parse("From: \"Bob B.\" <Bob@Example.org>\n"
				"Subject: =?UTF-8?Q?caf=C3=A9?= time\n"
				"Content-Type: text/plain; charset=us-ascii\n"
				"\n"
				"Hello world\n");
	struct al_item *item;

	g_assert_cmpuint(p.message->items->len, ==, 1);
	g_assert_cmpuint(p.message->part_count, ==, 1);
	g_assert_cmpuint(p.message->reasons, ==, 0);
	g_assert_cmpstr(p.message->subject, ==, "café time");
	g_assert_cmpstr(p.message->from, ==, "Bob@Example.org");
	g_assert_nonnull(p.message->message);
	item = item_at(&p, 0);
	g_assert_cmpstr(item->part, ==, "1");
	g_assert_cmpstr(item->declared_type, ==, "text/plain");
	g_assert_null(item->filename);
	g_assert_null(item->disposition);
	g_assert_true(item->is_body);
	g_assert_false(item->from_uuencode);
	g_assert_nonnull(item->content.bytes);
	assert_content_str(item, "Hello world\n");
	parsed_free(&p);
}

static void test_mime_from_group_gives_its_first_mailbox(void)
{
	struct parsed p = parse("From: team: carol@example.net, dan@example.net;\n"
				"Content-Type: text/plain\n\nx\n");

	g_assert_cmpstr(p.message->from, ==, "carol@example.net");
	g_assert_null(p.message->subject);
	parsed_free(&p);
}

static void test_mime_base64_attachment_is_decoded_exactly(void)
{
	static const char *const eols[] = { "\n", "\r\n" };

	for (gsize e = 0; e < G_N_ELEMENTS(eols); e++) {
		const gsize len = 70001;
		g_autofree guint8 *data = binary_data(len);
		g_autofree char *text = message_with_attachment(data, len, eols[e]);
		struct parsed p = parse(text);
		struct al_item *body = item_at(&p, 0);
		struct al_item *attachment = item_at(&p, 1);

		g_assert_cmpuint(p.message->items->len, ==, 2);
		g_assert_cmpstr(body->part, ==, "1");
		g_assert_true(body->is_body);
		g_assert_cmpstr(attachment->part, ==, "2");
		g_assert_cmpstr(attachment->filename, ==, "data.bin");
		g_assert_cmpstr(attachment->declared_type, ==, "application/octet-stream");
		g_assert_cmpstr(attachment->disposition, ==, "attachment");
		g_assert_false(attachment->is_body);
		g_assert_cmpuint(attachment->reasons, ==, 0);
		assert_content(attachment, data, len);
		parsed_free(&p);
	}
}

static void test_mime_quoted_printable_is_decoded(void)
{
	struct parsed p = parse("Content-Type: text/plain; charset=utf-8\n"
				"Content-Transfer-Encoding: quoted-printable\n"
				"\n"
				"caf=C3=A9 =3D soft=\n"
				"break\n");

	assert_content_str(item_at(&p, 0), "café = softbreak\n");
	parsed_free(&p);
}

static void test_mime_filenames_are_decoded(void)
{
	static const struct {
		const char *headers;
		const char *filename;
	} cases[] = {
		/* RFC 2231 continuations with a charset */
		{ "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment;\n"
		  " filename*0*=UTF-8''r%C3%A9sum; filename*1*=%C3%A9.pdf\n",
		  "résumé.pdf" },
		/* RFC 2047 encoded word in a quoted parameter */
		{ "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment; filename=\"=?UTF-8?B?csOpc3Vtw6kucGRm?=\"\n",
		  "résumé.pdf" },
		/* Latin-1 RFC 2047 word */
		{ "Content-Type: text/plain\n"
		  "Content-Disposition: attachment; filename=\"=?ISO-8859-1?Q?caf=E9.txt?=\"\n",
		  "café.txt" },
		/* name= on Content-Type only */
		{ "Content-Type: application/zip; name=\"archive.zip\"\n", "archive.zip" },
		/* no name anywhere */
		{ "Content-Type: application/zip\n", NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("Subject: names\n"
							"Content-Type: multipart/mixed; boundary=b\n"
							"\n--b\n%s\npayload\n--b--\n",
							cases[i].headers);
		struct parsed p = parse(text);
		struct al_item *item = item_at(&p, 0);

		g_test_message("case %" G_GSIZE_FORMAT, i);
		g_assert_cmpstr(item->part, ==, "1");
		g_assert_cmpstr(item->filename, ==, cases[i].filename);
		g_assert_false(item->is_body);
		assert_content_str(item, "payload");
		parsed_free(&p);
	}
}

static void test_mime_decode_filename_gives_valid_utf8(void)
{
	static const struct {
		const char *raw;
		const char *decoded;
	} cases[] = {
		{ "plain.txt", "plain.txt" },
		{ "=?UTF-8?B?csOpc3Vtw6kucGRm?=", "résumé.pdf" },
		{ "=?utf-8?q?invoice=E2=80=AEfdp.exe?=", "invoice\xe2\x80\xae"
							 "fdp.exe" },
	};
	g_autofree char *bad = al_mime_decode_filename("bad\xff\xfe.exe");

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *decoded = al_mime_decode_filename(cases[i].raw);

		g_assert_cmpstr(decoded, ==, cases[i].decoded);
	}
	g_assert_null(al_mime_decode_filename(NULL));
	g_assert_true(g_utf8_validate(bad, -1, NULL));
	g_assert_true(g_str_has_prefix(bad, "bad"));
	g_assert_true(g_str_has_suffix(bad, ".exe"));
}

static void test_mime_body_is_text_without_name_and_not_attachment(void)
{
	struct parsed p = parse("Content-Type: multipart/mixed; boundary=b\n\n"
				"--b\nContent-Type: text/html\n\n<p>hi</p>\n"
				"--b\nContent-Type: text/plain\nContent-Disposition: inline\n\nx\n"
				"--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nx\n"
				"--b\nContent-Type: text/plain; name=notes.txt\n\nx\n"
				"--b\nContent-Type: image/png\nContent-Disposition: inline\n\nx\n"
				"--b--\n");
	static const gboolean expected[] = { TRUE, TRUE, FALSE, FALSE, FALSE };

	g_assert_cmpuint(p.message->items->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++)
		g_assert_cmpint(item_at(&p, i)->is_body, ==, expected[i]);
	g_assert_cmpstr(item_at(&p, 1)->disposition, ==, "inline");
	parsed_free(&p);
}

static const char nested_message[] =
	"From: outer@example.org\n"
	"Subject: outer\n"
	"Content-Type: multipart/mixed; boundary=outer\n"
	"\n"
	"--outer\n"
	"Content-Type: text/plain\n"
	"\n"
	"hello\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Subject: inner\n"
	"Content-Type: multipart/mixed; boundary=inner\n"
	"\n"
	"--inner\n"
	"Content-Type: text/plain\n"
	"\n"
	"inner body\n"
	"--inner\n"
	"Content-Type: application/octet-stream; name=a.bin\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"AAECAw==\n"
	"--inner--\n"
	"--outer\n"
	"Content-Type: multipart/alternative; boundary=alt\n"
	"\n"
	"--alt\n"
	"Content-Type: text/plain\n"
	"\n"
	"plain\n"
	"--alt\n"
	"Content-Type: text/html\n"
	"\n"
	"<p>html</p>\n"
	"--alt--\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Subject: single\n"
	"Content-Type: text/plain\n"
	"\n"
	"single body\n"
	"--outer--\n";

static void test_mime_nested_parts_are_numbered_like_imap(void)
{
	static const char *const paths[] = { "1", "2.1", "2.2", "3.1", "3.2", "4.1" };
	struct parsed p = parse(nested_message);

	g_assert_cmpuint(p.message->items->len, ==, G_N_ELEMENTS(paths));
	g_assert_cmpuint(p.message->part_count, ==, G_N_ELEMENTS(paths));
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++)
		g_assert_cmpstr(item_at(&p, i)->part, ==, paths[i]);
	g_assert_cmpstr(item_at(&p, 2)->filename, ==, "a.bin");
	assert_content(item_at(&p, 2), "\x00\x01\x02\x03", 4);
	assert_content_str(item_at(&p, 5), "single body");
	/* Only the top-level headers describe the message. */
	g_assert_cmpstr(p.message->subject, ==, "outer");
	g_assert_cmpuint(p.message->reasons, ==, 0);
	parsed_free(&p);
}

static void test_mime_file_and_memory_streams_give_the_same_items(void)
{
	const gsize len = 300000;
	g_autofree guint8 *data = binary_data(len);
	g_autofree char *attached = message_with_attachment(data, len, "\r\n");
	g_autofree char *text = g_strconcat(nested_message, attached, NULL);
	g_autofree char *path = g_build_filename(spool_dir, "message.eml", NULL);
	struct al_mime_limits limits = default_limits();
	struct parsed from_memory;
	struct parsed from_file;
	int fd;

	limits.memory_threshold_bytes = 100000; /* the attachment spills */
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	from_file = parse_stream_with(g_mime_stream_fs_new(fd), &limits);
	from_memory = parse_with(text, &limits);
	g_assert_cmpuint(from_file.message->items->len, ==, from_memory.message->items->len);
	g_assert_cmpuint(from_file.message->items->len, >, 1);
	for (guint i = 0; i < from_file.message->items->len; i++) {
		struct al_item *a = item_at(&from_file, i);
		struct al_item *b = item_at(&from_memory, i);
		g_autoptr(GByteArray) bytes_a = content_of(a);
		g_autoptr(GByteArray) bytes_b = content_of(b);

		g_assert_cmpstr(a->part, ==, b->part);
		g_assert_cmpstr(a->filename, ==, b->filename);
		g_assert_cmpstr(a->declared_type, ==, b->declared_type);
		g_assert_cmpint(a->is_body, ==, b->is_body);
		g_assert_cmpmem(bytes_a->data, bytes_a->len, bytes_b->data, bytes_b->len);
	}
	parsed_free(&from_file);
	parsed_free(&from_memory);
	g_unlink(path);
}

/* Standard uuencoding, 45 bytes a line, as uuencode(1) writes it. */
static char *uuencode_block(const char *name, const guint8 *data, gsize len)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "begin 644 %s\n", name);
	for (gsize i = 0; i < len; i += 45) {
		gsize n = MIN((gsize)45, len - i);

		g_string_append_c(out, (char)(n ? n + 0x20 : '`'));
		for (gsize k = 0; k < n; k += 3) {
			guint8 b[3] = { 0, 0, 0 };

			for (gsize j = 0; j < 3 && k + j < n; j++)
				b[j] = data[i + k + j];
			guint8 c[4] = { (guint8)(b[0] >> 2), (guint8)(((b[0] & 3) << 4) | (b[1] >> 4)),
					(guint8)(((b[1] & 15) << 2) | (b[2] >> 6)), (guint8)(b[2] & 63) };
			for (gsize j = 0; j < 4; j++)
				g_string_append_c(out, (char)(c[j] ? c[j] + 0x20 : '`'));
		}
		g_string_append_c(out, '\n');
	}
	g_string_append(out, "`\nend\n");
	return g_string_free(out, FALSE);
}

static void test_mime_uuencoded_blocks_in_text_become_items(void)
{
	const gsize len = 1000;
	g_autofree guint8 *data = binary_data(len);
	g_autofree char *block = uuencode_block("tool.exe", data, len);
	g_autofree char *text = g_strdup_printf("Content-Type: text/plain\n\n"
						"Here it is:\n%s"
						"and the classic one:\n"
						"begin 0644 =?UTF-8?B?Y2F0LnR4dA==?=\n#0V%%T\n`\nend\n"
						"bye\n",
						block);
	struct parsed p = parse(text);
	struct al_item *first;
	struct al_item *second;

	g_assert_cmpuint(p.message->items->len, ==, 3);
	g_assert_cmpstr(item_at(&p, 0)->part, ==, "1");
	g_assert_true(item_at(&p, 0)->is_body);
	first = item_at(&p, 1);
	g_assert_cmpstr(first->part, ==, "1.u1");
	g_assert_cmpstr(first->filename, ==, "tool.exe");
	g_assert_cmpstr(first->declared_type, ==, "application/octet-stream");
	g_assert_true(first->from_uuencode);
	g_assert_false(first->is_body);
	assert_content(first, data, len);
	second = item_at(&p, 2);
	g_assert_cmpstr(second->part, ==, "1.u2");
	g_assert_cmpstr(second->filename, ==, "cat.txt");
	assert_content_str(second, "Cat");
	g_assert_cmpuint(p.message->part_count, ==, 3);
	parsed_free(&p);
}

static void test_mime_uuencode_inside_encoded_text_attachment_is_found(void)
{
	g_autofree char *block = uuencode_block("x.bat", (const guint8 *)"@echo off\r\n", 11);
	g_autofree char *encoded = g_base64_encode((const guchar *)block, strlen(block));
	g_autofree char *text = g_strdup_printf("Content-Type: multipart/mixed; boundary=b\n\n"
						"--b\nContent-Type: text/plain\n\nhi\n"
						"--b\nContent-Type: text/plain; name=notes.txt\n"
						"Content-Transfer-Encoding: base64\n\n%s\n--b--\n",
						encoded);
	struct parsed p = parse(text);

	g_assert_cmpuint(p.message->items->len, ==, 3);
	g_assert_cmpstr(item_at(&p, 2)->part, ==, "2.u1");
	g_assert_cmpstr(item_at(&p, 2)->filename, ==, "x.bat");
	assert_content_str(item_at(&p, 2), "@echo off\r\n");
	parsed_free(&p);
}

static void test_mime_uuencoded_blocks_count_against_max_parts(void)
{
	GString *text = g_string_new("Content-Type: text/plain\n\n");
	struct al_mime_limits limits = default_limits();
	struct parsed p;

	for (int i = 0; i < 10; i++)
		g_string_append(text, "begin 644 cat.txt\n#0V%T\n`\nend\n");
	limits.max_parts = 4;
	p = parse_with(text->str, &limits);
	g_assert_cmpuint(p.message->items->len, ==, 4);
	g_assert_cmpstr(item_at(&p, 3)->part, ==, "1.u3");
	g_assert_true(has_reason(p.message->reasons, AL_REASON_LIMITS));
	parsed_free(&p);
	g_string_free(text, TRUE);
}

static void test_mime_message_partial_is_malformed(void)
{
	struct parsed p = parse("Content-Type: message/partial; id=\"abc@example\"; number=1; "
				"total=2\n\n"
				"Content-Type: application/x-msdownload\n\nMZ\x90\n");
	struct al_item *item = item_at(&p, 0);

	g_assert_true(has_reason(p.message->reasons, AL_REASON_MALFORMED));
	g_assert_true(details_mention(p.message->details, "message/partial"));
	g_assert_cmpuint(p.message->items->len, ==, 1);
	g_assert_true(has_reason(item->reasons, AL_REASON_MALFORMED));
	g_assert_true(details_mention(item->details, "message/partial"));
	g_assert_cmpuint(item->content.size, >, 0);
	parsed_free(&p);
}

static void test_mime_message_external_body_is_malformed(void)
{
	struct parsed p = parse("Content-Type: multipart/mixed; boundary=b\n\n"
				"--b\nContent-Type: message/external-body; access-type=URL;"
				" URL=\"http://example.org/x.exe\"\n\n"
				"Content-Type: application/x-msdownload\n\n"
				"--b--\n");

	g_assert_true(has_reason(p.message->reasons, AL_REASON_MALFORMED));
	g_assert_true(has_reason(item_at(&p, 0)->reasons, AL_REASON_MALFORMED));
	parsed_free(&p);
}

/* levels multiparts, each inside the previous, a text part at the
 * bottom. */
static GString *nested_multiparts(guint levels)
{
	GString *text = g_string_new("Subject: deep\n");

	for (guint i = 0; i < levels; i++)
		g_string_append_printf(text, "Content-Type: multipart/mixed; boundary=b%u\n\n--b%u\n",
				       i, i);
	g_string_append(text, "Content-Type: text/plain\n\nbottom\n");
	for (guint i = levels; i-- > 0;)
		g_string_append_printf(text, "--b%u--\n", i);
	return text;
}

static void test_mime_nesting_deeper_than_max_depth_sets_limits(void)
{
	GString *text = nested_multiparts(100);
	struct al_mime_limits limits = default_limits();
	struct parsed p = parse_with(text->str, &limits);

	g_assert_true(has_reason(p.message->reasons, AL_REASON_LIMITS));
	g_assert_true(details_mention(p.message->details, "deeper than 32"));
	g_assert_cmpuint(p.message->details->len, ==, 1);
	g_assert_cmpuint(p.message->items->len, ==, 0);
	parsed_free(&p);

	/* Within the limit, the bottom part is reached. */
	limits.max_depth = 200;
	p = parse_with(text->str, &limits);
	g_assert_cmpuint(p.message->reasons, ==, 0);
	g_assert_cmpuint(p.message->items->len, ==, 1);
	g_assert_cmpuint(strlen(item_at(&p, 0)->part), ==, 199); /* "1.1.1...": 100 ones */
	parsed_free(&p);
	g_string_free(text, TRUE);
}

static void test_mime_deep_message_rfc822_nesting_sets_limits(void)
{
	GString *text = g_string_new("");
	struct parsed p;

	for (int i = 0; i < 100; i++)
		g_string_append(text, "Subject: x\nContent-Type: message/rfc822\n\n");
	g_string_append(text, "Content-Type: text/plain\n\nbottom\n");
	p = parse(text->str);
	g_assert_true(has_reason(p.message->reasons, AL_REASON_LIMITS));
	g_assert_cmpuint(p.message->items->len, ==, 0);
	parsed_free(&p);
	g_string_free(text, TRUE);
}

static void test_mime_more_parts_than_max_parts_sets_limits(void)
{
	GString *text = g_string_new("Content-Type: multipart/mixed; boundary=b\n\n");
	struct parsed p;

	for (int i = 0; i < 2000; i++)
		g_string_append_printf(text, "--b\nContent-Type: text/plain\n\npart %d\n", i);
	g_string_append(text, "--b--\n");
	p = parse(text->str);
	g_assert_true(has_reason(p.message->reasons, AL_REASON_LIMITS));
	g_assert_true(details_mention(p.message->details, "more than 1000 MIME parts"));
	g_assert_cmpuint(p.message->items->len, ==, 1000);
	g_assert_cmpuint(p.message->part_count, ==, 2000);
	g_assert_cmpstr(item_at(&p, 999)->part, ==, "1000");
	parsed_free(&p);
	g_string_free(text, TRUE);
}

static void test_mime_huge_nesting_is_refused_before_parsing(void)
{
	GString *text = nested_multiparts(200000);
	struct parsed p = parse(text->str);

	g_assert_true(has_reason(p.message->reasons, AL_REASON_LIMITS));
	g_assert_true(details_mention(p.message->details, "more than 1000 MIME parts"));
	g_assert_null(p.message->message);
	g_assert_cmpuint(p.message->items->len, ==, 0);
	parsed_free(&p);
	g_string_free(text, TRUE);
}

static void test_mime_content_type_count_is_case_and_blank_insensitive(void)
{
	GString *text = g_string_new("Subject: x\n");
	struct al_mime_limits limits = default_limits();
	struct parsed p;

	limits.max_parts = 2; /* refuse above 2 * 2 + 16 = 20 headers */
	for (int i = 0; i < 21; i++)
		g_string_append(text, i % 2 ? "CONTENT-TYPE : text/plain\n" : "content-type:x/y\n");
	g_string_append(text, "\nbody\n");
	p = parse_with(text->str, &limits);
	g_assert_true(has_reason(p.message->reasons, AL_REASON_LIMITS));
	g_assert_null(p.message->message);
	parsed_free(&p);
	g_string_free(text, TRUE);
}

static void test_mime_cid_reference_marks_the_image(void)
{
	struct parsed p = parse("Content-Type: multipart/related; boundary=r\n\n"
				"--r\nContent-Type: text/html\n\n"
				"<p><img src=\"CID:logo%40example.org\"> <img src='cid:other'></p>\n"
				"--r\nContent-Type: image/png\nContent-ID: <logo@example.org>\n\n"
				"png\n"
				"--r\nContent-Type: image/png\nContent-ID: <unused@example.org>\n\n"
				"png\n"
				"--r--\n");

	g_assert_cmpuint(p.message->items->len, ==, 3);
	g_assert_cmpstr(item_at(&p, 1)->content_id, ==, "logo@example.org");
	g_assert_true(item_at(&p, 1)->referenced_by_cid);
	g_assert_false(item_at(&p, 2)->referenced_by_cid);
	g_assert_false(item_at(&p, 0)->referenced_by_cid);
	parsed_free(&p);
}

static void test_mime_part_above_memory_threshold_goes_to_a_file(void)
{
	const gsize len = 50000;
	g_autofree guint8 *data = binary_data(len);
	g_autofree char *text = message_with_attachment(data, len, "\n");
	struct al_mime_limits limits = default_limits();
	struct parsed p;
	struct al_item *attachment;

	limits.memory_threshold_bytes = 4096;
	p = parse_with(text, &limits);
	attachment = item_at(&p, 1);
	g_assert_null(attachment->content.bytes);
	g_assert_cmpint(attachment->content.fd, >=, 0);
	g_assert_cmpuint(attachment->content.size, ==, len);
	assert_content(attachment, data, len);
	/* The small body stays in memory. */
	g_assert_nonnull(item_at(&p, 0)->content.bytes);
	parsed_free(&p);
}

static void test_mime_part_above_max_part_bytes_sets_limits(void)
{
	const gsize len = 5000;
	g_autofree guint8 *data = binary_data(len);
	g_autofree char *text = message_with_attachment(data, len, "\n");
	struct al_mime_limits limits = default_limits();
	struct parsed p;
	struct al_item *attachment;

	limits.max_part_bytes = 1000;
	p = parse_with(text, &limits);
	attachment = item_at(&p, 1);
	g_assert_true(has_reason(attachment->reasons, AL_REASON_LIMITS));
	g_assert_true(details_mention(attachment->details, "larger than 1000 bytes"));
	assert_content(attachment, data, 1000);
	g_assert_false(has_reason(item_at(&p, 0)->reasons, AL_REASON_LIMITS));
	parsed_free(&p);
}

static void test_mime_empty_stream_is_malformed(void)
{
	struct parsed p = parse("");

	g_assert_true(has_reason(p.message->reasons, AL_REASON_MALFORMED));
	g_assert_true(details_mention(p.message->details, "empty message"));
	g_assert_cmpuint(p.message->items->len, ==, 0);
	parsed_free(&p);
}

static void test_mime_empty_multipart_gives_no_item(void)
{
	struct parsed p = parse("Content-Type: multipart/mixed; boundary=b\n\n"
				"--b\nContent-Type: multipart/mixed; boundary=c\n\n--c--\n"
				"--b--\n");

	g_assert_cmpuint(p.message->items->len, ==, 0);
	g_assert_cmpuint(p.message->reasons, ==, 0);
	parsed_free(&p);
}

static void test_mime_unparsable_garbage_is_checked_whole(void)
{
	static const char garbage[] = "\x01\x02\xff\xfe garbage\n\x00\x00zzz MZ";
	struct parsed p = parse_len_with(garbage, sizeof(garbage) - 1, &(struct al_mime_limits){
		.max_depth = 32, .max_parts = 1000, .max_part_bytes = 1 << 20,
		.memory_threshold_bytes = 1 << 20, .spool_dir = spool_dir });

	g_assert_true(has_reason(p.message->reasons, AL_REASON_MALFORMED));
	g_assert_cmpuint(p.message->items->len, ==, 1);
	assert_content(item_at(&p, 0), garbage, sizeof(garbage) - 1);
	parsed_free(&p);
}

/* Random bytes and random MIME-looking fragments: never a crash, never a
 * NULL result without an error. */
static void test_mime_random_input_does_not_crash(void)
{
	static const char *const fragments[] = {
		"Content-Type: multipart/mixed; boundary=a\n", "--a\n", "--a--\n", "\n",
		"Content-Type: message/rfc822\n", "Content-Transfer-Encoding: base64\n",
		"begin 644 x\n", "M86)C\n", "end\n", "Content-Type: text/html\n", "cid:",
		"Content-Disposition: attachment; filename*0*=utf-8''%E2%80; filename*1=x\n",
		"=?UTF-8?B?", "?=", "\r\n", "\x00", "\xff",
	};
	GRand *rand = g_rand_new_with_seed(42);

	for (int round = 0; round < 300; round++) {
		GString *text = g_string_new(NULL);
		int pieces = g_rand_int_range(rand, 0, 80);
		struct al_mime_limits limits = default_limits();
		struct parsed p;

		for (int i = 0; i < pieces; i++) {
			if (g_rand_boolean(rand)) {
				const char *f = fragments[g_rand_int_range(rand, 0,
									    G_N_ELEMENTS(fragments))];

				g_string_append_len(text, f, (gssize)MAX(strlen(f), (gsize)1));
			} else {
				g_string_append_c(text, (char)g_rand_int_range(rand, 0, 256));
			}
		}
		limits.max_parts = (guint)g_rand_int_range(rand, 0, 20);
		limits.max_depth = (guint)g_rand_int_range(rand, 0, 5);
		limits.max_part_bytes = (guint64)g_rand_int_range(rand, 0, 100);
		limits.memory_threshold_bytes = (guint64)g_rand_int_range(rand, 0, 50);
		p = parse_len_with(text->str, text->len, &limits);
		for (guint i = 0; i < p.message->items->len; i++) {
			g_autoptr(GByteArray) bytes = content_of(item_at(&p, i));

			g_assert_cmpuint(bytes->len, <=, limits.max_part_bytes);
		}
		parsed_free(&p);
		g_string_free(text, TRUE);
	}
	g_rand_free(rand);
}

/* Only what mail programs show as text is a body (issue 15): unnamed
 * inline text/plain anywhere, text/html only as the message's own body. */
static void test_mime_only_text_shown_as_text_is_a_body(void)
{
	struct parsed p = parse("Content-Type: multipart/mixed; boundary=b\n\n"
				"--b\nContent-Type: text/plain\n\nbody\n"
				"--b\nContent-Type: text/html\n\n<script>x()</script>\n"
				"--b\nContent-Type: text/javascript\n\nalert(1)\n"
				"--b\nContent-Type: text/vbscript\n\nMsgBox 1\n"
				"--b\nContent-Type: text/x-ms-regedit\n\nREGEDIT4\n"
				"--b\nContent-Type: application/x-msdownload\n\nMZ\n"
				"--b\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\n"
				"--b\nContent-Type: text/plain\nContent-Disposition: inline\n\n--\nlist\n"
				"--b\nContent-Type: text/plain; name=notes.txt\n"
				"Content-Disposition: inline\n\nx\n"
				"--b--\n");
	static const gboolean expected[] = { TRUE, FALSE, FALSE, FALSE, FALSE,
					     FALSE, FALSE, TRUE, FALSE };

	g_assert_cmpuint(p.message->items->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_test_message("part %s", item_at(&p, i)->part);
		g_assert_cmpint(item_at(&p, i)->is_body, ==, expected[i]);
		if (!expected[i] && i != 8)
			g_assert_null(item_at(&p, i)->filename);
	}
	parsed_free(&p);
}

static void test_mime_html_body_of_alternative_related_and_single_part(void)
{
	struct parsed p = parse(
		"Content-Type: multipart/mixed; boundary=m\n\n"
		"--m\nContent-Type: multipart/related; boundary=r\n\n"
		"--r\nContent-Type: multipart/alternative; boundary=a\n\n"
		"--a\nContent-Type: text/plain\n\nplain\n"
		"--a\nContent-Type: text/html\n\n<p>html</p>\n"
		"--a--\n"
		"--r\nContent-Type: text/html\nContent-ID: <x@y>\n\n<p>not the root</p>\n"
		"--r--\n"
		"--m\nContent-Type: multipart/related; boundary=s; start=\"<root@y>\"\n\n"
		"--s\nContent-Type: text/html\nContent-ID: <other@y>\n\n<p>other</p>\n"
		"--s\nContent-Type: text/html\nContent-ID: <root@y>\n\n<p>root</p>\n"
		"--s--\n"
		"--m\nContent-Type: message/rfc822\n\n"
		"Subject: fwd\nContent-Type: text/html\n\n<p>forwarded</p>\n"
		"--m--\n");
	static const char *const paths[] = { "1.1.1", "1.1.2", "1.2", "2.1", "2.2", "3.1" };
	static const gboolean expected[] = { TRUE, FALSE, FALSE, FALSE, FALSE, TRUE };

	g_assert_cmpuint(p.message->items->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_assert_cmpstr(item_at(&p, i)->part, ==, paths[i]);
		g_test_message("part %s", paths[i]);
	}
	/* 1.1.1 plain, 1.1.2 html alternative: both bodies; the related
	 * multipart 1 is the mixed's first part, so its root is shown. */
	g_assert_true(item_at(&p, 0)->is_body);
	g_assert_true(item_at(&p, 1)->is_body);
	g_assert_false(item_at(&p, 2)->is_body);
	/* the second related is not the mixed's first part: an attachment */
	g_assert_false(item_at(&p, 3)->is_body);
	g_assert_false(item_at(&p, 4)->is_body);
	g_assert_true(item_at(&p, 5)->is_body);
	parsed_free(&p);
}

static void test_mime_related_start_names_its_root(void)
{
	struct parsed p = parse(
		"Content-Type: multipart/related; boundary=s; start=\"<root@y>\"\n\n"
		"--s\nContent-Type: text/html\nContent-ID: <other@y>\n\n<p>other</p>\n"
		"--s\nContent-Type: text/html\nContent-ID: <root@y>\n\n<p>root</p>\n"
		"--s--\n");

	g_assert_cmpuint(p.message->items->len, ==, 2);
	g_assert_false(item_at(&p, 0)->is_body);
	g_assert_true(item_at(&p, 1)->is_body);
	parsed_free(&p);
}

/* yEnc: each byte + 42, critical bytes escaped with '=' and + 64. */
static char *yenc_lines(const guint8 *data, gsize len)
{
	GString *out = g_string_new(NULL);
	gsize column = 0;

	for (gsize i = 0; i < len; i++) {
		guint8 c = (guint8)(data[i] + 42);

		if (c == 0 || c == '\n' || c == '\r' || c == '=') {
			g_string_append_c(out, '=');
			c = (guint8)(c + 64);
			column++;
		}
		g_string_append_c(out, (char)c);
		if (++column >= 128) {
			g_string_append_c(out, '\n');
			column = 0;
		}
	}
	if (column > 0)
		g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

static void test_mime_ydecode_line_undoes_escapes(void)
{
	static const guint8 data[] = { 0, 1, 0xd6, 0xe0, 0xe3, 0x13, 0xff, 'A' };
	g_autofree char *line = yenc_lines(data, sizeof(data));
	guint8 out[64];
	gsize n = al_mime_ydecode_line(line, strlen(line) - 1, out);

	g_assert_cmpmem(out, n, data, sizeof(data));
}

static void test_mime_yenc_single_and_multipart_become_items(void)
{
	const gsize len = 3000;
	g_autofree guint8 *data = binary_data(len);
	g_autofree char *whole = yenc_lines(data, len);
	g_autofree char *first = yenc_lines(data, 1000);
	g_autofree char *second = yenc_lines(data + 1000, len - 1000);
	g_autofree char *text = g_strdup_printf(
		"Content-Type: text/plain\n\nSee the file:\n"
		"=ybegin line=128 size=3000 name=tool one.exe\n%s=yend size=3000\n"
		"and in two parts:\n"
		"=ybegin part=1 total=2 line=128 size=3000 name=setup.exe\n"
		"=ypart begin=1 end=1000\n%s=yend size=1000 part=1\n"
		"=ybegin part=2 total=2 line=128 size=3000 name=setup.exe\n"
		"=ypart begin=1001 end=3000\n%s=yend size=2000 part=2\n"
		"bye\n",
		whole, first, second);
	struct parsed p = parse(text);

	g_assert_cmpuint(p.message->items->len, ==, 3);
	g_assert_true(item_at(&p, 0)->is_body);
	g_assert_cmpstr(item_at(&p, 1)->part, ==, "1.y1");
	g_assert_cmpstr(item_at(&p, 1)->filename, ==, "tool one.exe");
	g_assert_true(item_at(&p, 1)->from_uuencode);
	assert_content(item_at(&p, 1), data, len);
	g_assert_cmpstr(item_at(&p, 2)->part, ==, "1.y2");
	g_assert_cmpstr(item_at(&p, 2)->filename, ==, "setup.exe");
	assert_content(item_at(&p, 2), data, len);
	parsed_free(&p);
}

static void test_mime_begin_base64_block_becomes_an_item(void)
{
	static const char payload[] = "@echo off\r\nstart calc\r\n";
	g_autofree char *encoded = g_base64_encode((const guchar *)payload, strlen(payload));
	g_autofree char *text = g_strdup_printf("Content-Type: text/plain\n\nHere:\n"
						"begin-base64 755 run.bat\n%s\n====\nbye\n",
						encoded);
	struct parsed p = parse(text);

	g_assert_cmpuint(p.message->items->len, ==, 2);
	g_assert_cmpstr(item_at(&p, 1)->part, ==, "1.b1");
	g_assert_cmpstr(item_at(&p, 1)->filename, ==, "run.bat");
	assert_content_str(item_at(&p, 1), payload);
	parsed_free(&p);
}

static void test_mime_yenc_blocks_are_bounded(void)
{
	const gsize len = 500;
	g_autofree guint8 *data = binary_data(len);
	g_autofree char *lines = yenc_lines(data, len);
	GString *text = g_string_new("Content-Type: text/plain\n\nx\n");
	struct al_mime_limits limits = default_limits();
	struct parsed p;

	for (int i = 0; i < 5; i++)
		g_string_append_printf(text, "=ybegin line=128 size=500 name=f%d.bin\n%s=yend\n", i,
				       lines);
	limits.max_parts = 3;
	p = parse_with(text->str, &limits);
	g_assert_cmpuint(p.message->items->len, ==, 3);
	g_assert_true(has_reason(p.message->reasons, AL_REASON_LIMITS));
	assert_content(item_at(&p, 2), data, len);
	parsed_free(&p);
	g_string_free(text, TRUE);
}

static void test_mime_quoted_uuencode_lookalike_is_no_item(void)
{
	struct parsed p = parse("Content-Type: text/plain\n\n"
				"> begin 644 report.pdf\n> M86)C\n> end\n"
				"Let us begin the meeting at 10.\n=ybegin is how yEnc starts\n");

	g_assert_cmpuint(p.message->items->len, ==, 1);
	parsed_free(&p);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	al_mime_global_init();
	spool_dir = g_dir_make_tmp("airlock-test-mime-XXXXXX", NULL);
	g_assert_nonnull(spool_dir);
	g_test_add_func("/mime/single_text_part_is_the_body", test_mime_single_text_part_is_the_body);
	g_test_add_func("/mime/from_group_gives_its_first_mailbox",
			test_mime_from_group_gives_its_first_mailbox);
	g_test_add_func("/mime/base64_attachment_is_decoded_exactly",
			test_mime_base64_attachment_is_decoded_exactly);
	g_test_add_func("/mime/quoted_printable_is_decoded", test_mime_quoted_printable_is_decoded);
	g_test_add_func("/mime/filenames_are_decoded", test_mime_filenames_are_decoded);
	g_test_add_func("/mime/decode_filename_gives_valid_utf8",
			test_mime_decode_filename_gives_valid_utf8);
	g_test_add_func("/mime/body_is_text_without_name_and_not_attachment",
			test_mime_body_is_text_without_name_and_not_attachment);
	g_test_add_func("/mime/nested_parts_are_numbered_like_imap",
			test_mime_nested_parts_are_numbered_like_imap);
	g_test_add_func("/mime/file_and_memory_streams_give_the_same_items",
			test_mime_file_and_memory_streams_give_the_same_items);
	g_test_add_func("/mime/uuencoded_blocks_in_text_become_items",
			test_mime_uuencoded_blocks_in_text_become_items);
	g_test_add_func("/mime/uuencode_inside_encoded_text_attachment_is_found",
			test_mime_uuencode_inside_encoded_text_attachment_is_found);
	g_test_add_func("/mime/uuencoded_blocks_count_against_max_parts",
			test_mime_uuencoded_blocks_count_against_max_parts);
	g_test_add_func("/mime/message_partial_is_malformed", test_mime_message_partial_is_malformed);
	g_test_add_func("/mime/message_external_body_is_malformed",
			test_mime_message_external_body_is_malformed);
	g_test_add_func("/mime/nesting_deeper_than_max_depth_sets_limits",
			test_mime_nesting_deeper_than_max_depth_sets_limits);
	g_test_add_func("/mime/deep_message_rfc822_nesting_sets_limits",
			test_mime_deep_message_rfc822_nesting_sets_limits);
	g_test_add_func("/mime/more_parts_than_max_parts_sets_limits",
			test_mime_more_parts_than_max_parts_sets_limits);
	g_test_add_func("/mime/huge_nesting_is_refused_before_parsing",
			test_mime_huge_nesting_is_refused_before_parsing);
	g_test_add_func("/mime/content_type_count_is_case_and_blank_insensitive",
			test_mime_content_type_count_is_case_and_blank_insensitive);
	g_test_add_func("/mime/cid_reference_marks_the_image", test_mime_cid_reference_marks_the_image);
	g_test_add_func("/mime/part_above_memory_threshold_goes_to_a_file",
			test_mime_part_above_memory_threshold_goes_to_a_file);
	g_test_add_func("/mime/part_above_max_part_bytes_sets_limits",
			test_mime_part_above_max_part_bytes_sets_limits);
	g_test_add_func("/mime/empty_stream_is_malformed", test_mime_empty_stream_is_malformed);
	g_test_add_func("/mime/empty_multipart_gives_no_item", test_mime_empty_multipart_gives_no_item);
	g_test_add_func("/mime/unparsable_garbage_is_checked_whole",
			test_mime_unparsable_garbage_is_checked_whole);
	g_test_add_func("/mime/random_input_does_not_crash", test_mime_random_input_does_not_crash);
	g_test_add_func("/mime/only_text_shown_as_text_is_a_body",
			test_mime_only_text_shown_as_text_is_a_body);
	g_test_add_func("/mime/html_body_of_alternative_related_and_single_part",
			test_mime_html_body_of_alternative_related_and_single_part);
	g_test_add_func("/mime/related_start_names_its_root", test_mime_related_start_names_its_root);
	g_test_add_func("/mime/ydecode_line_undoes_escapes", test_mime_ydecode_line_undoes_escapes);
	g_test_add_func("/mime/yenc_single_and_multipart_become_items",
			test_mime_yenc_single_and_multipart_become_items);
	g_test_add_func("/mime/begin_base64_block_becomes_an_item",
			test_mime_begin_base64_block_becomes_an_item);
	g_test_add_func("/mime/yenc_blocks_are_bounded", test_mime_yenc_blocks_are_bounded);
	g_test_add_func("/mime/quoted_uuencode_lookalike_is_no_item",
			test_mime_quoted_uuencode_lookalike_is_no_item);
	rc = g_test_run();
	g_rmdir(spool_dir);
	g_free(spool_dir);
	return rc;
}
