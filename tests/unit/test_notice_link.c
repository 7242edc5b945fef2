/*
 * test_notice_link.c - where a recipient's link may appear: inside a
 * strip notice only when the message has one recipient (several: the
 * notice says each gets their own apart, and carries none), in a hold
 * notice addressed to that recipient alone, in the separate link mail
 * and the digest; and the admin's mails (request, pending requests).
 */
#include "airlock/mime.h"
#include "airlock/notice.h"

#include <string.h>

#define ID   "01JD4W6ZQ8XK3V7N2M5P9R0T1S"
#define LINK "https://airlock.clinic.example/r/Ym9iQGNsaW5pYy5leGFtcGxl.1700604800.abc"

static const char mail[] = "From: Alice <alice@example.net>\n"
			   "To: bob@clinic.example, carol@clinic.example\n"
			   "Subject: Lab results\n"
			   "MIME-Version: 1.0\n"
			   "Content-Type: multipart/mixed; boundary=\"h\"\n"
			   "\n"
			   "--h\n"
			   "Content-Type: text/plain\n"
			   "\n"
			   "see attached\n"
			   "--h\n"
			   "Content-Type: application/octet-stream; name=\"results.exe\"\n"
			   "Content-Transfer-Encoding: base64\n"
			   "\n"
			   "TVqQAAMAAAAEAAAA\n"
			   "--h--\n";

struct fixture {
	GMimeStream *stream;
	struct al_verdict *verdict;
	struct al_config *config;
};

static void fixture_init(struct fixture *f)
{
	const struct al_mime_limits limits = {
	    .max_depth = 32,
	    .max_parts = 1000,
	    .max_part_bytes = 1024 * 1024,
	    .memory_threshold_bytes = 1024 * 1024,
	    .spool_dir = g_get_tmp_dir(),
	};
	g_autoptr(GError) error = NULL;
	struct al_item *item;

	f->stream = g_mime_stream_mem_new_with_buffer(mail, strlen(mail));
	f->verdict = g_new0(struct al_verdict, 1);
	f->verdict->action = AL_ACTION_STRIP;
	f->verdict->message = al_mime_parse(f->stream, &limits, &error);
	g_assert_no_error(error);
	item = f->verdict->message->items->pdata[1];
	g_assert_cmpstr(item->part, ==, "2");
	item->reasons = AL_REASON_BIT(AL_REASON_EXECUTABLE);
	item->quarantine = TRUE;
	f->verdict->reasons = item->reasons;
	f->config = al_config_new_defaults();
}

static void fixture_clear(struct fixture *f)
{
	al_verdict_free(&f->verdict);
	g_clear_object(&f->stream);
	al_config_free(&f->config);
}

static void append_text(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	GMimeContentType *type = g_mime_object_get_content_type(part);

	(void)parent;
	if (GMIME_IS_TEXT_PART(part) && g_mime_content_type_is_type(type, "text", "plain")) {
		g_autofree char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));

		g_string_append(data, text);
	}
}

/* Every text/plain part of a whole message, decoded. */
static char *message_text(const char *whole, char **to_r)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(whole, strlen(whole));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
	GString *out = g_string_new(NULL);

	g_assert_nonnull(message);
	g_mime_message_foreach(message, append_text, out);
	if (to_r != NULL)
		*to_r = internet_address_list_to_string(
		    g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO), NULL, FALSE);
	g_object_unref(message);
	g_object_unref(parser);
	g_object_unref(stream);
	return g_string_free(out, FALSE);
}

/* The stripped message's text as a reader sees it. */
static char *stripped_text(const struct al_notice_link *link)
{
	struct fixture f;
	struct al_stripped stripped = {0};
	g_autoptr(GError) error = NULL;
	g_autofree char *whole = NULL;
	g_autofree char *body = NULL;
	const char *end = strstr(mail, "\n\n");
	char *text;

	fixture_init(&f);
	g_assert_cmpint(al_notice_strip(f.config, f.verdict, ID, link, &stripped, &error), ==, 0);
	g_assert_no_error(error);
	body = g_malloc0(stripped.body.size + 1);
	g_assert_cmpint(al_content_pread(&stripped.body, 0, body, stripped.body.size, NULL), ==,
			(gssize)stripped.body.size);
	whole = g_strdup_printf("%.*s\n\n%s", (int)(end - mail), mail, body);
	text = message_text(whole, NULL);
	al_stripped_clear(&stripped);
	fixture_clear(&f);
	return text;
}

static void test_strip_one_recipient_carries_the_link(void)
{
	const struct al_notice_link link = {.url = LINK, .link_days = 7};
	g_autofree char *text = stripped_text(&link);

	g_assert_nonnull(strstr(text, "Votre page de quarantaine : " LINK));
	g_assert_nonnull(strstr(text, "Your quarantine page: " LINK));
	g_assert_nonnull(strstr(text, "Do not forward it."));
	g_assert_nonnull(strstr(text, "valid for 7 days"));
}

static void test_strip_several_recipients_says_links_go_apart(void)
{
	const struct al_notice_link link = {.separate = TRUE, .link_days = 7};
	g_autofree char *text = stripped_text(&link);

	g_assert_null(strstr(text, "/r/"));
	g_assert_nonnull(strstr(text, "Each recipient is sent their own personal link"));
	g_assert_nonnull(strstr(text, "Chaque destinataire reçoit par un message séparé"));
}

static void test_strip_without_link_says_nothing_of_a_page(void)
{
	g_autofree char *text = stripped_text(NULL);

	g_assert_null(strstr(text, "/r/"));
	g_assert_null(strstr(text, "quarantine page"));
	g_assert_nonnull(strstr(text, ID));
}

static void test_hold_notice_to_one_recipient_with_link(void)
{
	static const char *const recipients[] = {"bob@clinic.example", "carol@clinic.example",
						 NULL};
	const struct al_smtp_context smtp = {.envelope_from = "alice@example.net",
					     .recipients = recipients};
	const struct al_notice_link link = {.url = LINK, .link_days = 7};
	struct fixture f;
	g_autofree char *notice = NULL;
	g_autofree char *text = NULL;
	g_autofree char *to = NULL;

	fixture_init(&f);
	f.verdict->action = AL_ACTION_HOLD;
	notice =
	    al_notice_hold_message(f.config, f.verdict, &smtp, ID, "carol@clinic.example", &link);
	text = message_text(notice, &to);
	g_assert_cmpstr(to, ==, "carol@clinic.example");
	g_assert_nonnull(strstr(text, "Your quarantine page: " LINK));
	g_assert_nonnull(strstr(text, "results.exe"));
	fixture_clear(&f);
}

static void test_link_and_digest_mails_go_to_one_recipient(void)
{
	struct al_config *config = al_config_new_defaults();
	struct al_store_message m = {.received_at = 1700000000,
				     .envelope_from = "lab@unknown.example",
				     .subject = "Résultats",
				     .reasons = AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN)};
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	g_autofree char *link_mail =
	    al_notice_link_mail(config, "carol@clinic.example", ID, "Lab results", LINK);
	g_autofree char *digest = NULL;
	g_autofree char *text = NULL;
	g_autofree char *digest_text = NULL;
	g_autofree char *to = NULL;
	g_autofree char *digest_to = NULL;

	g_strlcpy(m.id, ID, sizeof(m.id));
	text = message_text(link_mail, &to);
	g_assert_cmpstr(to, ==, "carol@clinic.example");
	g_assert_nonnull(strstr(text, LINK));
	g_assert_nonnull(strstr(text, ID));
	g_assert_nonnull(strstr(text, "Each recipient gets their own link separately"));
	g_ptr_array_add(list, &m);
	digest = al_notice_digest_mail(config, "carol@clinic.example", list, LINK);
	digest_text = message_text(digest, &digest_to);
	g_assert_cmpstr(digest_to, ==, "carol@clinic.example");
	g_assert_nonnull(strstr(digest_text, "Airlock a retenu pour vous 1 message(s)"));
	g_assert_nonnull(strstr(digest_text, "Airlock held 1 message(s) for you"));
	g_assert_nonnull(strstr(digest_text, "Subject: Résultats"));
	g_assert_nonnull(strstr(digest_text, "Your quarantine page: " LINK));
	al_config_free(&config);
}

static void test_requests_mail_lists_them_for_the_admin(void)
{
	struct al_config *config = al_config_new_defaults();
	struct al_store_request r = {.recipient = "bob@clinic.example",
				     .requested_at = 1700000000,
				     .note = "my lab",
				     .envelope_from = "lab@unknown.example",
				     .subject = "Results"};
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	g_autofree char *mail_text = NULL;
	g_autofree char *text = NULL;
	g_autofree char *to = NULL;

	g_free(config->admin_address);
	config->admin_address = g_strdup("admin@clinic.example");
	g_strlcpy(r.id, ID, sizeof(r.id));
	g_ptr_array_add(list, &r);
	mail_text = al_notice_requests_mail(config, list);
	text = message_text(mail_text, &to);
	g_assert_cmpstr(to, ==, "admin@clinic.example");
	g_assert_nonnull(strstr(text, "Quarantine id: " ID));
	g_assert_nonnull(strstr(text, "for bob@clinic.example"));
	g_assert_nonnull(strstr(text, "Their note: my lab"));
	g_assert_null(strstr(text, "/r/")); /* no recipient's link to the admin */
	al_config_free(&config);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/notice-link/strip/one-recipient-carries-link",
			test_strip_one_recipient_carries_the_link);
	g_test_add_func("/notice-link/strip/several-recipients-links-apart",
			test_strip_several_recipients_says_links_go_apart);
	g_test_add_func("/notice-link/strip/no-link",
			test_strip_without_link_says_nothing_of_a_page);
	g_test_add_func("/notice-link/hold/one-recipient-with-link",
			test_hold_notice_to_one_recipient_with_link);
	g_test_add_func("/notice-link/link-and-digest-mails",
			test_link_and_digest_mails_go_to_one_recipient);
	g_test_add_func("/notice-link/requests-mail", test_requests_mail_lists_them_for_the_admin);
	return g_test_run();
}
