/*
 * test_release.c - X-Airlock-Release: what transport may change, what an
 * edit breaks, expiry, and the key file's permissions.
 */
#include "airlock/release.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static const char original[] = "From: Lab <lab@other.example>\r\n"
			       "To: dr@clinic.example\r\n"
			       "Subject: Results\r\n"
			       "Message-ID: <1@other.example>\r\n"
			       "\r\n"
			       "Line one\r\n"
			       "Line two  \r\n"
			       "\r\n";

static void digest_of(const char *text, char digest[65])
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));

	g_assert_cmpint(al_release_digest(stream, digest, NULL), ==, 0);
	g_object_unref(stream);
}

static struct al_release_key test_key(void)
{
	struct al_release_key key;

	memset(key.bytes, 0x5a, sizeof(key.bytes));
	return key;
}

static void test_release_signed_message_verifies(void)
{
	struct al_release_key key = test_key();
	char digest[65];
	g_autofree char *header = NULL;
	g_autofree char *id = NULL;

	digest_of(original, digest);
	header = al_release_sign(&key, "01JD0000000000000000000000", 1700000000, digest);
	g_assert_true(al_release_verify(&key, header, digest, 1700000100, 3600, &id, NULL));
	g_assert_cmpstr(id, ==, "01JD0000000000000000000000");
}

/* Two releases of the same message in the same second (to some
 * recipients, then to the others) carry different headers: the milter
 * lets each header through once. */
static void test_release_two_signatures_in_one_second_differ(void)
{
	struct al_release_key key = test_key();
	char digest[65];
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;

	digest_of(original, digest);
	first = al_release_sign(&key, "01JD0000000000000000000000", 1700000000, digest);
	second = al_release_sign(&key, "01JD0000000000000000000000", 1700000000, digest);
	g_assert_cmpstr(first, !=, second);
	g_assert_true(al_release_verify(&key, first, digest, 1700000000, 3600, NULL, NULL));
	g_assert_true(al_release_verify(&key, second, digest, 1700000000, 3600, NULL, NULL));
	g_assert_nonnull(strstr(first, "; n="));
}

static void test_release_transport_changes_keep_the_digest(void)
{
	static const char relayed[] = "Received: from localhost by mx\n\tid 123\n"
				      "X-Airlock-Release: v=1; id=x; t=1; mac=00\n"
				      "From:   Lab\n <lab@other.example>\n"
				      "To: dr@clinic.example\n"
				      "Subject: Results\n"
				      "Message-ID: <other@mx>\n"
				      "Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
				      "\n"
				      "Line one\n"
				      "Line two\n";
	char a[65], b[65];

	digest_of(original, a);
	digest_of(relayed, b);
	g_assert_cmpstr(a, ==, b);
}

static void test_release_edits_break_the_digest(void)
{
	static const char *const edited[] = {
		"From: Lab <lab@other.example>\r\nTo: dr@clinic.example\r\nSubject: Results\r\n\r\n"
		"Line one\r\nLine 2\r\n",
		"From: Lab <lab@other.example>\r\nTo: dr@clinic.example\r\nSubject: Urgent\r\n\r\n"
		"Line one\r\nLine two\r\n",
		"From: Lab <lab@other.example>\r\nTo: eve@evil.example\r\nSubject: Results\r\n\r\n"
		"Line one\r\nLine two\r\n",
		"From: Lab <lab@other.example>\r\nTo: dr@clinic.example\r\nSubject: Results\r\n\r\n"
		"Line one\r\nLine two\r\nattachment\r\n",
	};
	char a[65], b[65];

	digest_of(original, a);
	for (guint i = 0; i < G_N_ELEMENTS(edited); i++) {
		digest_of(edited[i], b);
		g_assert_cmpstr(a, !=, b);
	}
}

static void test_release_rejects_expired_forged_and_malformed(void)
{
	struct al_release_key key = test_key();
	struct al_release_key other;
	char digest[65], edited[65];
	g_autofree char *header = NULL;
	g_autofree char *forged = NULL;
	static const char *const malformed[] = {
		"", "v=1", "v=2; id=a; t=1; mac=00", "v=1; id=a; t=x; mac=00",
		"v=1; id=a; t=1; mac=00; id=b", "garbage", "v=1; id=a; t=1700000000; mac=",
	};

	memset(other.bytes, 0x11, sizeof(other.bytes));
	digest_of(original, digest);
	digest_of("From: x\r\n\r\nbody\r\n", edited);
	header = al_release_sign(&key, "ID", 1700000000, digest);
	g_assert_false(al_release_verify(&key, header, digest, 1700000000 + 3601, 3600, NULL, NULL));
	g_assert_false(al_release_verify(&key, header, digest, 1700000000 - 3600, 3600, NULL, NULL));
	g_assert_false(al_release_verify(&key, header, edited, 1700000000, 3600, NULL, NULL));
	g_assert_false(al_release_verify(&other, header, digest, 1700000000, 3600, NULL, NULL));
	forged = g_strdup(header);
	forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
	g_assert_false(al_release_verify(&key, forged, digest, 1700000000, 3600, NULL, NULL));
	for (guint i = 0; i < G_N_ELEMENTS(malformed); i++) {
		g_autofree char *why = NULL;

		g_assert_false(al_release_verify(&key, malformed[i], digest, 1700000000, 3600, NULL,
						 &why));
		g_assert_nonnull(why);
	}
}

static void test_release_key_is_created_private_and_checked(void)
{
	g_autofree char *dir = g_dir_make_tmp("airlock-key-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "release.key", NULL);
	struct al_release_key a, b;
	g_autoptr(GError) error = NULL;
	struct stat st;

	g_assert_cmpint(al_release_key_load(path, FALSE, &a, &error), ==, -1);
	g_clear_error(&error);
	g_assert_cmpint(al_release_key_load(path, TRUE, &a, NULL), ==, 0);
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(al_release_key_load(path, TRUE, &b, NULL), ==, 0);
	g_assert_cmpmem(a.bytes, sizeof(a.bytes), b.bytes, sizeof(b.bytes));
	g_assert_cmpint(chmod(path, 0644), ==, 0);
	g_assert_cmpint(al_release_key_load(path, FALSE, &b, &error), ==, -1);
	g_assert_nonnull(strstr(error->message, "chmod 600"));
	g_unlink(path);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/release/signed-message-verifies", test_release_signed_message_verifies);
	g_test_add_func("/release/two-signatures-in-one-second-differ",
			test_release_two_signatures_in_one_second_differ);
	g_test_add_func("/release/transport-changes-keep-digest",
			test_release_transport_changes_keep_the_digest);
	g_test_add_func("/release/edits-break-digest", test_release_edits_break_the_digest);
	g_test_add_func("/release/rejects-expired-forged-malformed",
			test_release_rejects_expired_forged_and_malformed);
	g_test_add_func("/release/key-created-private-and-checked",
			test_release_key_is_created_private_and_checked);
	return g_test_run();
}
