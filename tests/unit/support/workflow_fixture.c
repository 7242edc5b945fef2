/*
 * workflow_fixture.c - see workflow_fixture.h.
 */
#include "support/workflow_fixture.h"

#include "support/store_fixture.h"

#include "airlock/pipeline.h"

#include <glib/gstdio.h>
#include <string.h>

/* A minimal one-page PDF, as tests/data/gen_corpus.py writes it. */
static const char pdf_base64[] =
    "JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4K\n"
    "ZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4K\n"
    "ZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAg\n"
    "MCA1OTUgODQyXSAvUmVzb3VyY2VzIDw8IC9Gb250IDw8IC9GMSA0IDAgUiA+PiA+PiAvQ29udGVu\n"
    "dHMgNSAwIFIgPj4KZW5kb2JqCjQgMCBvYmoKPDwgL1R5cGUgL0ZvbnQgL1N1YnR5cGUgL1R5cGUx\n"
    "IC9CYXNlRm9udCAvSGVsdmV0aWNhID4+CmVuZG9iago1IDAgb2JqCjw8IC9MZW5ndGggNDggPj4K\n"
    "c3RyZWFtCkJUIC9GMSAxOCBUZiA3MiA3NjAgVGQgKFF1YXJ0ZXJseSByZXBvcnQpIFRqIEVUCmVu\n"
    "ZHN0cmVhbQplbmRvYmoKNiAwIG9iago8PCAvVGl0bGUgKFF1YXJ0ZXJseSByZXBvcnQpIC9Qcm9k\n"
    "dWNlciAoQWlybG9jayBnZW5fY29ycHVzLnB5KSA+PgplbmRvYmoKeHJlZgowIDcKMDAwMDAwMDAw\n"
    "MCA2NTUzNSBmIAowMDAwMDAwMDE1IDAwMDAwIG4gCjAwMDAwMDAwNjQgMDAwMDAgbiAKMDAwMDAw\n"
    "MDEyMSAwMDAwMCBuIAowMDAwMDAwMjQ3IDAwMDAwIG4gCjAwMDAwMDAzMTcgMDAwMDAgbiAKMDAw\n"
    "MDAwMDQxNCAwMDAwMCBuIAp0cmFpbGVyCjw8IC9TaXplIDcgL1Jvb3QgMSAwIFIgL0luZm8gNiAw\n"
    "IFIgPj4Kc3RhcnR4cmVmCjQ5NQolJUVPRgo=\n";

/* EICAR, kept as hex (test_scan.c does the same). */
static const char eicar_hex[] =
    "58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e44"
    "4152442d414e544956495255532d544553542d46494c452124482b482a";

static const char *const recipients[] = {"alice@clinic.example", "bob@clinic.example", NULL};

static char *write_script(struct wf_fixture *f, const char *name, const char *out_dir,
			  gboolean refusable)
{
	g_autofree char *path = g_build_filename(f->tmp, name, NULL);
	g_autofree char *text = g_strdup_printf(
	    "#!/bin/sh\n"
	    "%s%s%s"
	    "f=$(mktemp '%s/mail.XXXXXX')\n"
	    "printf '%%s\\n' \"$*\" > \"$f.args\"\n"
	    "cat > \"$f.tmp\" && mv \"$f.tmp\" \"$f.eml\" && rm -f \"$f\"\n",
	    refusable ? "if [ -e '" : "", refusable ? f->refuse_flag : "",
	    refusable ? "' ]; then cat >/dev/null; echo 'refused' >&2; exit 69; fi\n" : "",
	    out_dir);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(g_chmod(path, 0700), ==, 0);
	return g_steal_pointer(&path);
}

static void set_string(char **field, char *value)
{
	g_free(*field);
	*field = value;
}

void wf_setup(struct wf_fixture *f, const char *signatures_dir)
{
	GError *error = NULL;
	g_autofree char *qdir = NULL;

	f->tmp = g_dir_make_tmp("airlock-workflow-XXXXXX", &error);
	g_assert_no_error(error);
	f->deliveries = g_build_filename(f->tmp, "deliveries", NULL);
	f->notices = g_build_filename(f->tmp, "notices", NULL);
	f->refuse_flag = g_build_filename(f->tmp, "refuse", NULL);
	g_assert_cmpint(g_mkdir(f->deliveries, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(f->notices, 0700), ==, 0);
	qdir = g_build_filename(f->tmp, "quarantine", NULL);
	f->config = al_config_new_defaults();
	set_string(&f->config->signatures_dir, g_strdup(signatures_dir));
	set_string(&f->config->clamav_database_dir, g_build_filename(f->tmp, "no-clamav", NULL));
	set_string(&f->config->quarantine_dir, g_strdup(qdir));
	set_string(&f->config->release_key, g_build_filename(qdir, "release.key", NULL));
	set_string(&f->config->release_command, write_script(f, "release.sh", f->deliveries, TRUE));
	set_string(&f->config->notice_command, write_script(f, "notice.sh", f->notices, FALSE));
	set_string(&f->config->admin_address, g_strdup("admin@clinic.example"));
	set_string(&f->config->web_public_url, g_strdup("https://airlock.clinic.example"));
	/* PostgreSQL: the directory only holds the release key. */
	g_assert_cmpint(g_mkdir_with_parents(qdir, 0700), ==, 0);
	f->store = test_store_open(qdir, TRUE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(al_release_key_load(f->config->release_key, TRUE, &f->key, &error), ==, 0);
	g_assert_no_error(error);
	f->workflow = al_workflow_new(f->config, f->store);
}

void wf_teardown(struct wf_fixture *f)
{
	al_workflow_free(&f->workflow);
	al_store_close(&f->store);
	if (test_backend_is_pg())
		test_pg_forget(f->config->quarantine_dir);
	al_config_free(&f->config);
	remove_tree(f->tmp);
	g_free(f->tmp);
	g_free(f->deliveries);
	g_free(f->notices);
	g_free(f->refuse_flag);
}

#define MAIL_HEAD                                                                                  \
	"From: Stranger <stranger@unknown.example>\r\n"                                            \
	"To: alice@clinic.example, bob@clinic.example\r\n"                                         \
	"Subject: %s\r\n"                                                                          \
	"Date: Mon, 03 Jun 2024 09:15:00 +0200\r\n"                                                \
	"Message-ID: <%s@unknown.example>\r\n"                                                     \
	"MIME-Version: 1.0\r\n"                                                                    \
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"                                    \
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n\r\n"                     \
	"--b\r\n"

static char *mail_text(enum wf_mail mail)
{
	g_autofree char *eicar = NULL;
	GString *hex = g_string_new(NULL);

	for (gsize i = 0; i + 1 < sizeof(eicar_hex); i += 2)
		g_string_append_c(hex, (char)(g_ascii_xdigit_value(eicar_hex[i]) << 4 |
					      g_ascii_xdigit_value(eicar_hex[i + 1])));
	eicar = g_base64_encode((const guchar *)hex->str, hex->len);
	g_string_free(hex, TRUE);
	if (mail == WF_PDF_STRANGER) {
		g_autofree char *top = g_strdup_printf(MAIL_HEAD, "Report", "pdf");

		return g_strconcat(top,
				   "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
				   "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
				   "Content-Transfer-Encoding: base64\r\n\r\n",
				   pdf_base64, "\r\n--b--\r\n", NULL);
	}
	g_autofree char *top = g_strdup_printf(MAIL_HEAD, "Invoice", "eicar");

	return g_strconcat(top,
			   "Content-Type: text/plain; name=\"eicar.txt\"\r\n"
			   "Content-Disposition: attachment; filename=\"eicar.txt\"\r\n"
			   "Content-Transfer-Encoding: base64\r\n\r\n",
			   eicar, "\r\n--b--\r\n", NULL);
}

void wf_quarantine(struct wf_fixture *f, enum wf_mail mail, char id_r[AL_STORE_ID_LEN + 1])
{
	static guint serial;
	g_autofree char *body = mail_text(mail);
	g_autofree char *text = NULL;
	g_autofree char *queue_id = g_strdup_printf("Q%u", ++serial);
	const struct al_smtp_context smtp = {
	    .queue_id = queue_id,
	    .client_addr = "198.51.100.7",
	    .client_name = "mail.unknown.example",
	    .helo = "mail.unknown.example",
	    .envelope_from = "<stranger@unknown.example>",
	    .recipients = recipients,
	};
	GError *error = NULL;
	struct al_pipeline *pipeline = al_pipeline_new(f->config, NULL, &error);
	struct al_verdict *verdict = NULL;
	GMimeStream *stream;

	g_assert_no_error(error);
	/* Other bytes each time: the same ones would be a retry. */
	text = g_strdup_printf("X-Serial: %u\r\n%s", serial, body);
	stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	g_assert_cmpint(al_pipeline_run(pipeline, stream, &smtp, &verdict, &error), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpint(verdict->action, !=, AL_ACTION_ACCEPT);
	g_mime_stream_reset(stream);
	al_store_new_id(id_r);
	g_assert_cmpint(al_store_quarantine(f->store, id_r, stream, &smtp, verdict, &error), ==, 0);
	g_assert_no_error(error);
	g_object_unref(stream);
	al_verdict_free(&verdict);
	al_pipeline_free(&pipeline);
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *names_in(const char *dir, const char *suffix)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, suffix))
			g_ptr_array_add(names, g_build_filename(dir, name, NULL));
	g_ptr_array_sort(names, compare_paths);
	return names;
}

guint wf_count(const char *dir, const char *suffix)
{
	g_autoptr(GPtrArray) names = names_in(dir, suffix);

	return names->len;
}

char *wf_only(const char *dir, const char *suffix)
{
	g_autoptr(GPtrArray) names = names_in(dir, suffix);
	char *text = NULL;

	g_assert_cmpuint(names->len, ==, 1);
	g_assert_true(g_file_get_contents(names->pdata[0], &text, NULL, NULL));
	return text;
}

char *wf_all(const char *dir, const char *suffix)
{
	g_autoptr(GPtrArray) names = names_in(dir, suffix);
	GString *all = g_string_new(NULL);

	for (guint i = 0; i < names->len; i++) {
		g_autofree char *text = NULL;

		g_assert_true(g_file_get_contents(names->pdata[i], &text, NULL, NULL));
		g_string_append(all, text);
	}
	return g_string_free(all, FALSE);
}

char *wf_events(struct wf_fixture *f, const char *id)
{
	struct al_store_message m;
	GError *error = NULL;
	GString *out = g_string_new(NULL);

	g_assert_cmpint(al_store_get_message(f->store, id, &m, &error), ==, 0);
	for (guint i = 0; i < m.events->len; i++) {
		const struct al_store_event *e = m.events->pdata[i];

		g_string_append_printf(out, "%s%s:%s", i > 0 ? "," : "", e->event, e->who);
	}
	al_store_message_clear(&m);
	return g_string_free(out, FALSE);
}

char *wf_decoded(const char *mail)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(mail, strlen(mail));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
	GMimeObject *body;
	InternetAddressList *to;
	g_autofree char *to_text = NULL;
	g_autofree char *text = NULL;
	char *out;

	g_assert_nonnull(message);
	body = g_mime_message_get_mime_part(message);
	g_assert_true(GMIME_IS_TEXT_PART(body));
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
	to = g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO);
	to_text = internet_address_list_to_string(to, NULL, FALSE);
	out = g_strdup_printf("To: %s\nSubject: %s\n\n%s", to_text,
			      g_mime_message_get_subject(message), text);
	g_object_unref(message);
	g_object_unref(parser);
	g_object_unref(stream);
	return out;
}

void wf_clear(const char *dir)
{
	g_autoptr(GPtrArray) names = names_in(dir, "");

	for (guint i = 0; i < names->len; i++)
		g_assert_cmpint(g_unlink(names->pdata[i]), ==, 0);
}
