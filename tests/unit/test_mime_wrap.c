/*
 * test_mime_wrap.c - wrappers in the MIME walk: TNEF attachments and RTF
 * body as items, S/MIME content walked as MIME or flagged, PGP encrypted
 * messages flagged, clearsigned text left alone.
 *
 * TNEF streams are written here record by record; CMS structures are
 * made with OpenSSL's own API (data, encrypted data), so the test shows
 * what each input is.
 */
#include "airlock/mime.h"
#include "../../src/lib/mime_private.h"

#include <glib/gstdio.h>
#include <openssl/cms.h>
#include <string.h>

static char *spool_dir;
static GPtrArray *streams; /* the messages' streams: they must outlive them */

static struct al_mime_limits limits_default(void)
{
	return (struct al_mime_limits){
		.max_depth = 16,
		.max_parts = 100,
		.max_part_bytes = 1024 * 1024,
		.memory_threshold_bytes = 1024 * 1024,
		.spool_dir = spool_dir,
	};
}

static struct al_message *parse_with(const char *text, const struct al_mime_limits *limits)
{
	g_autoptr(GError) error = NULL;
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	struct al_message *message = al_mime_parse(stream, limits, &error);

	g_ptr_array_add(streams, stream);

	g_assert_no_error(error);
	g_assert_nonnull(message);
	return message;
}

/* A message with one base64 attachment of type and name. */
static struct al_message *parse_attachment(const guint8 *data, gsize len, const char *type,
					   const char *name)
{
	struct al_mime_limits limits = limits_default();
	g_autofree char *b64 = g_base64_encode(data, len);
	g_autofree char *text = g_strdup_printf(
		"From: a@example.org\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
		"--b\r\nContent-Type: %s; name=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		"%s\r\n--b--\r\n",
		type, name, b64);

	return parse_with(text, &limits);
}

static struct al_item *item_by_part(struct al_message *message, const char *part)
{
	for (guint i = 0; i < message->items->len; i++) {
		struct al_item *item = message->items->pdata[i];

		if (strcmp(item->part, part) == 0)
			return item;
	}
	g_assert_not_reached();
	return NULL;
}

static gboolean has(const struct al_item *item, enum al_reason reason)
{
	return (item->reasons & AL_REASON_BIT(reason)) != 0;
}

static GBytes *content_of(const struct al_item *item)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = al_mime_wrap_content(item, &error);

	g_assert_no_error(error);
	return bytes;
}

/* ------------------------------------------------------------ TNEF */

static void tnef_record(GByteArray *out, guint8 level, guint32 attribute, const void *data,
			guint32 len, gboolean bad_checksum)
{
	guint16 sum = bad_checksum ? 1 : 0;
	guint8 header[9] = { level };

	for (guint32 i = 0; i < len; i++)
		sum = (guint16)(sum + ((const guint8 *)data)[i]);
	for (int i = 0; i < 4; i++) {
		header[1 + i] = (guint8)(attribute >> (8 * i));
		header[5 + i] = (guint8)(len >> (8 * i));
	}
	g_byte_array_append(out, header, sizeof(header));
	g_byte_array_append(out, data, len);
	g_byte_array_append(out, (const guint8[]){ (guint8)sum, (guint8)(sum >> 8) }, 2);
}

static void put32(GByteArray *out, guint32 value)
{
	guint8 b[4] = { (guint8)value, (guint8)(value >> 8), (guint8)(value >> 16),
			(guint8)(value >> 24) };

	g_byte_array_append(out, b, 4);
}

/* A MAPI list of one PT_BINARY or PT_STRING8 property. */
static GByteArray *mapi_one(guint32 tag, const void *value, guint32 len)
{
	GByteArray *props = g_byte_array_new();

	put32(props, 1);
	put32(props, tag);
	put32(props, 1);
	put32(props, len);
	g_byte_array_append(props, value, len);
	while (props->len % 4 != 0)
		g_byte_array_append(props, (const guint8 *)"", 1);
	return props;
}

/* Stored RTF ("MELA"): a 16-byte header then the text. */
static GByteArray *stored_rtf(const char *rtf)
{
	GByteArray *out = g_byte_array_new();

	put32(out, (guint32)strlen(rtf) + 12);
	put32(out, (guint32)strlen(rtf));
	put32(out, 0x414c454du);
	put32(out, 0);
	g_byte_array_append(out, (const guint8 *)rtf, (guint)strlen(rtf));
	return out;
}

static GByteArray *make_tnef(const char *long_name, const char *data, const char *rtf,
			     gboolean bad_checksum)
{
	GByteArray *out = g_byte_array_new();
	static const guint8 rend[14] = { 1, 0, 0xff, 0xff, 0xff, 0xff };

	put32(out, 0x223E9F78u);
	g_byte_array_append(out, (const guint8[]){ 1, 0 }, 2);
	tnef_record(out, 1, 0x00089006, (const guint8[]){ 0, 0, 1, 0 }, 4, FALSE);
	if (rtf != NULL) {
		g_autoptr(GByteArray) body = stored_rtf(rtf);
		g_autoptr(GByteArray) props = mapi_one(0x10090102u, body->data, body->len);

		tnef_record(out, 1, 0x00069003, props->data, props->len, FALSE);
	}
	tnef_record(out, 2, 0x00069002, rend, sizeof(rend), FALSE);
	tnef_record(out, 2, 0x00018010, "FILE~1.BIN", 11, FALSE);
	tnef_record(out, 2, 0x0006800F, data, (guint32)strlen(data), bad_checksum);
	if (long_name != NULL) {
		g_autoptr(GByteArray) props =
			mapi_one(0x3707001Eu, long_name, (guint32)strlen(long_name) + 1);

		tnef_record(out, 2, 0x00069005, props->data, props->len, FALSE);
	}
	return out;
}

static void test_wrap_tnef_attachment_and_rtf_body_become_items(void)
{
	g_autoptr(GByteArray) tnef =
		make_tnef("Rapport annuel.exe", "MZ fake program", "{\\rtf1 Bonjour}", FALSE);
	struct al_message *m =
		parse_attachment(tnef->data, tnef->len, "application/ms-tnef", "winmail.dat");
	struct al_item *wrapper = item_by_part(m, "2");
	struct al_item *file = item_by_part(m, "2.t1");
	struct al_item *body = item_by_part(m, "2.t2");
	g_autoptr(GBytes) file_bytes = content_of(file);
	g_autoptr(GBytes) body_bytes = content_of(body);

	g_assert_true(wrapper->wrapper);
	g_assert_null(wrapper->wrapper_part);
	g_assert_cmpuint(wrapper->reasons, ==, 0);
	g_assert_cmpstr(file->filename, ==, "Rapport annuel.exe");
	g_assert_cmpstr(file->wrapper_part, ==, "2");
	g_assert_cmpmem(g_bytes_get_data(file_bytes, NULL), g_bytes_get_size(file_bytes),
			"MZ fake program", 15);
	g_assert_null(body->filename);
	g_assert_cmpstr(body->declared_type, ==, "application/rtf");
	g_assert_cmpmem(g_bytes_get_data(body_bytes, NULL), g_bytes_get_size(body_bytes),
			"{\\rtf1 Bonjour}", 15);
	al_message_free(&m);
}

static void test_wrap_tnef_found_by_signature_under_any_name(void)
{
	g_autoptr(GByteArray) tnef = make_tnef(NULL, "data", NULL, FALSE);
	struct al_message *m =
		parse_attachment(tnef->data, tnef->len, "application/octet-stream", "x.bin");

	g_assert_cmpstr(item_by_part(m, "2.t1")->filename, ==, "FILE~1.BIN");
	al_message_free(&m);
}

static void test_wrap_tnef_bad_checksum_is_unscannable(void)
{
	g_autoptr(GByteArray) tnef = make_tnef("a.exe", "MZ", NULL, TRUE);
	struct al_message *m =
		parse_attachment(tnef->data, tnef->len, "application/ms-tnef", "winmail.dat");

	g_assert_cmpuint(m->items->len, ==, 2);
	g_assert_true(has(item_by_part(m, "2"), AL_REASON_UNSCANNABLE));
	g_assert_false(item_by_part(m, "2")->wrapper);
	al_message_free(&m);
}

/* libytnef allocates a repeated attribute again and loses the first
 * (found by fuzz_tnef with attOemCodepage): never handed to it. Two
 * attachments each with their own title are fine. */
static void test_wrap_tnef_attribute_twice_in_one_scope_is_unscannable(void)
{
	g_autoptr(GByteArray) twice = make_tnef(NULL, "data", NULL, FALSE);
	g_autoptr(GByteArray) two_files = make_tnef(NULL, "data", NULL, FALSE);
	static const guint8 rend[14] = { 1, 0, 0xff, 0xff, 0xff, 0xff };
	struct al_message *m;

	tnef_record(twice, 1, 0x00069007, (const guint8[]){ 0xe4, 4, 0, 0, 0, 0, 0, 0 }, 8, FALSE);
	tnef_record(twice, 1, 0x00069007, (const guint8[]){ 0xe4, 4, 0, 0, 0, 0, 0, 0 }, 8, FALSE);
	m = parse_attachment(twice->data, twice->len, "application/ms-tnef", "winmail.dat");
	g_assert_true(has(item_by_part(m, "2"), AL_REASON_UNSCANNABLE));
	al_message_free(&m);
	tnef_record(two_files, 2, 0x00069002, rend, sizeof(rend), FALSE);
	tnef_record(two_files, 2, 0x00018010, "FILE~2.BIN", 11, FALSE);
	tnef_record(two_files, 2, 0x0006800F, "more", 4, FALSE);
	m = parse_attachment(two_files->data, two_files->len, "application/ms-tnef", "winmail.dat");
	g_assert_false(has(item_by_part(m, "2"), AL_REASON_UNSCANNABLE));
	g_assert_cmpstr(item_by_part(m, "2.t2")->filename, ==, "FILE~2.BIN");
	al_message_free(&m);
}

static void test_wrap_tnef_truncated_and_empty_list_are_unscannable(void)
{
	g_autoptr(GByteArray) tnef = make_tnef("a.exe", "MZ program", NULL, FALSE);
	g_autoptr(GByteArray) empty = g_byte_array_new();
	struct al_message *m =
		parse_attachment(tnef->data, tnef->len - 3, "application/ms-tnef", "winmail.dat");

	g_assert_true(has(item_by_part(m, "2"), AL_REASON_UNSCANNABLE));
	al_message_free(&m);
	put32(empty, 0x223E9F78u);
	g_byte_array_append(empty, (const guint8[]){ 1, 0 }, 2);
	put32(empty, 0); /* a MAPI list with no property: libytnef refuses it */
	{
		g_autoptr(GByteArray) stream = g_byte_array_new();

		g_byte_array_append(stream, empty->data, 6);
		tnef_record(stream, 1, 0x00069003, empty->data + 6, 4, FALSE);
		m = parse_attachment(stream->data, stream->len, "application/ms-tnef",
				     "winmail.dat");
	}
	g_assert_true(has(item_by_part(m, "2"), AL_REASON_UNSCANNABLE));
	al_message_free(&m);
}

/* ------------------------------------------------------------ S/MIME */

static GByteArray *cms_der(CMS_ContentInfo *cms)
{
	GByteArray *out = g_byte_array_new();
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(cms, &der);

	g_assert_cmpint(len, >, 0);
	g_byte_array_append(out, der, (guint)len);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	return out;
}

static const char inner_mime[] =
	"Content-Type: multipart/mixed; boundary=\"in\"\r\n\r\n"
	"--in\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
	"--in\r\nContent-Type: application/octet-stream; name=\"setup.exe\"\r\n\r\nMZ\r\n"
	"--in--\r\n";

static void test_wrap_cms_content_is_walked_as_mime(void)
{
	BIO *in = BIO_new_mem_buf(inner_mime, (int)strlen(inner_mime));
	g_autoptr(GByteArray) der = cms_der(CMS_data_create(in, CMS_BINARY));
	struct al_message *m =
		parse_attachment(der->data, der->len, "application/pkcs7-mime", "smime.p7m");

	BIO_free(in);
	g_assert_true(item_by_part(m, "2")->wrapper);
	g_assert_true(item_by_part(m, "2.1")->is_body);
	g_assert_cmpstr(item_by_part(m, "2.2")->filename, ==, "setup.exe");
	g_assert_cmpstr(item_by_part(m, "2.2")->wrapper_part, ==, "2");
	al_message_free(&m);
}

static void test_wrap_cms_encrypted_is_encrypted(void)
{
	static const unsigned char key[16] = "0123456789abcdef";
	BIO *in = BIO_new_mem_buf(inner_mime, (int)strlen(inner_mime));
	g_autoptr(GByteArray) der = cms_der(
		CMS_EncryptedData_encrypt(in, EVP_aes_128_cbc(), key, sizeof(key), CMS_BINARY));
	struct al_message *m =
		parse_attachment(der->data, der->len, "application/pkcs7-mime", "smime.p7m");

	BIO_free(in);
	g_assert_cmpuint(m->items->len, ==, 2);
	g_assert_true(has(item_by_part(m, "2"), AL_REASON_ENCRYPTED));
	al_message_free(&m);
}

static void test_wrap_cms_garbage_is_unscannable(void)
{
	static const guint8 garbage[] = { 0x30, 0x82, 0x10, 0x00, 1, 2, 3, 4, 5 };
	struct al_message *m = parse_attachment(garbage, sizeof(garbage),
						"application/pkcs7-signature", "smime.p7s");

	g_assert_true(has(item_by_part(m, "2"), AL_REASON_UNSCANNABLE));
	al_message_free(&m);
}

static void test_wrap_cms_nesting_is_bounded(void)
{
	struct al_mime_limits limits = limits_default();
	g_autoptr(GByteArray) der = NULL;
	g_autofree char *text = NULL;
	g_autofree char *b64 = NULL;
	struct al_message *m;
	char *entity = g_strdup(inner_mime);

	for (int i = 0; i < 10; i++) { /* data inside data inside data... */
		BIO *in = BIO_new_mem_buf(entity, (int)strlen(entity));

		g_clear_pointer(&der, g_byte_array_unref);
		der = cms_der(CMS_data_create(in, CMS_BINARY));
		BIO_free(in);
		g_free(b64);
		b64 = g_base64_encode(der->data, der->len);
		g_free(entity);
		entity = g_strdup_printf("Content-Type: application/pkcs7-mime\r\n"
					 "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n",
					 b64);
	}
	text = g_strdup_printf("From: a@example.org\r\nMIME-Version: 1.0\r\n%s", entity);
	g_free(entity);
	limits.max_depth = 4;
	m = parse_with(text, &limits);
	g_assert_true((m->reasons & AL_REASON_BIT(AL_REASON_LIMITS)) != 0);
	g_assert_cmpuint(m->items->len, <=, 5);
	al_message_free(&m);
}

/* ------------------------------------------------------------ PGP */

static void test_wrap_pgp_inline_encrypted_flags_the_text(void)
{
	/* A new-format tag 1 packet (PKESK), base64 "wV4DESIzRFVmd4gB". */
	struct al_mime_limits limits = limits_default();
	struct al_message *m = parse_with(
		"From: a@example.org\r\nContent-Type: text/plain\r\n\r\nHello\r\n"
		"-----BEGIN PGP MESSAGE-----\r\n\r\nwV4DESIzRFVmd4gB\r\n=abcd\r\n"
		"-----END PGP MESSAGE-----\r\n",
		&limits);

	g_assert_true(has(item_by_part(m, "1"), AL_REASON_ENCRYPTED));
	al_message_free(&m);
}

static void test_wrap_pgp_clearsigned_text_is_no_finding(void)
{
	struct al_mime_limits limits = limits_default();
	struct al_message *m = parse_with(
		"From: a@example.org\r\nContent-Type: text/plain\r\n\r\n"
		"-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nHello\r\n"
		"-----BEGIN PGP SIGNATURE-----\r\n\r\nwsBzBAEBCAAd\r\n-----END PGP SIGNATURE-----\r\n",
		&limits);

	g_assert_cmpuint(item_by_part(m, "1")->reasons, ==, 0);
	al_message_free(&m);
}

static void test_wrap_pgp_binary_file_is_encrypted_only_when_packets_say_so(void)
{
	static const guint8 seipd[] = { 0xd2, 0x05, 1, 2, 3, 4, 5 };
	static const guint8 literal[] = { 0xcb, 0x05, 'b', 0, 0, 0, 0 };
	struct al_message *m = parse_attachment(seipd, sizeof(seipd), "application/octet-stream",
						"data.gpg");

	g_assert_true(has(item_by_part(m, "2"), AL_REASON_ENCRYPTED));
	al_message_free(&m);
	m = parse_attachment(literal, sizeof(literal), "application/octet-stream", "data.gpg");
	g_assert_true(has(item_by_part(m, "2"), AL_REASON_UNSCANNABLE));
	g_assert_false(has(item_by_part(m, "2"), AL_REASON_ENCRYPTED));
	al_message_free(&m);
	m = parse_attachment(seipd, sizeof(seipd), "application/octet-stream", "data.bin");
	g_assert_cmpuint(item_by_part(m, "2")->reasons, ==, 0);
	al_message_free(&m);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	al_mime_global_init();
	spool_dir = g_dir_make_tmp("airlock-test-wrap-XXXXXX", NULL);
	streams = g_ptr_array_new_with_free_func(g_object_unref);
	g_test_add_func("/mime_wrap/tnef_attachment_and_rtf_body_become_items",
			test_wrap_tnef_attachment_and_rtf_body_become_items);
	g_test_add_func("/mime_wrap/tnef_found_by_signature_under_any_name",
			test_wrap_tnef_found_by_signature_under_any_name);
	g_test_add_func("/mime_wrap/tnef_bad_checksum_is_unscannable",
			test_wrap_tnef_bad_checksum_is_unscannable);
	g_test_add_func("/mime_wrap/tnef_attribute_twice_in_one_scope_is_unscannable",
			test_wrap_tnef_attribute_twice_in_one_scope_is_unscannable);
	g_test_add_func("/mime_wrap/tnef_truncated_and_empty_list_are_unscannable",
			test_wrap_tnef_truncated_and_empty_list_are_unscannable);
	g_test_add_func("/mime_wrap/cms_content_is_walked_as_mime",
			test_wrap_cms_content_is_walked_as_mime);
	g_test_add_func("/mime_wrap/cms_encrypted_is_encrypted",
			test_wrap_cms_encrypted_is_encrypted);
	g_test_add_func("/mime_wrap/cms_garbage_is_unscannable",
			test_wrap_cms_garbage_is_unscannable);
	g_test_add_func("/mime_wrap/cms_nesting_is_bounded", test_wrap_cms_nesting_is_bounded);
	g_test_add_func("/mime_wrap/pgp_inline_encrypted_flags_the_text",
			test_wrap_pgp_inline_encrypted_flags_the_text);
	g_test_add_func("/mime_wrap/pgp_clearsigned_text_is_no_finding",
			test_wrap_pgp_clearsigned_text_is_no_finding);
	g_test_add_func("/mime_wrap/pgp_binary_file_is_encrypted_only_when_packets_say_so",
			test_wrap_pgp_binary_file_is_encrypted_only_when_packets_say_so);
	rc = g_test_run();
	g_ptr_array_unref(streams);
	g_rmdir(spool_dir);
	g_free(spool_dir);
	return rc;
}
