/*
 * test_safecopy.c - safe copies in the library: which items get one, the
 * copy's name, the [safecopy] reasons check, one run of the real helper
 * (a DICOM file with a PE in its preamble and a tail), what a crashing,
 * hanging, lying or missing helper gives (no copy, and why), Office
 * documents only when [safecopy] office found LibreOffice, and the
 * strip notice with the copy attached beside it or the reason it has none.
 */
#include "airlock/mime.h"
#include "airlock/notice.h"
#include "airlock/safecopy.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID "01JD4W6ZQ8XK3V7N2M5P9R0T1S"

static struct al_config *config_with_helper(const char *helper)
{
	struct al_config *config = al_config_new_defaults();

	g_assert_nonnull(config);
	g_free(config->safecopy_helper);
	config->safecopy_helper = g_strdup(helper);
	/* Our signatures and type table from the source tree; no ClamAV
	 * database: the pipeline that judges copies loads ours only. */
	g_free(config->signatures_dir);
	config->signatures_dir = g_build_filename(AL_SOURCE_DIR, "signatures", NULL);
	g_free(config->clamav_database_dir);
	config->clamav_database_dir = g_strdup("/nonexistent/clamav");
	return config;
}

/* The airlock-safecopy built beside this test. */
static struct al_config *config_with_real_helper(void)
{
	g_autofree char *helper =
	    g_build_filename(AL_BUILD_DIR, "src", "safecopy", "airlock-safecopy", NULL);

	return config_with_helper(helper);
}

/* data as a part's content (in memory). */
static struct al_content content_of(const void *data, gsize len)
{
	return (struct al_content){ .bytes = g_bytes_new(data, len), .fd = -1, .size = len };
}

/* The whole of a copy, from memory or its spool file (transfer full). */
static GBytes *copy_bytes(const struct al_safecopy *copy)
{
	guint8 *buf = g_malloc(copy->content.size + 1);

	g_assert_cmpint(al_content_pread(&copy->content, 0, buf, copy->content.size, NULL), ==,
	                (gssize)copy->content.size);
	return g_bytes_new_take(buf, copy->content.size);
}

static void test_safecopy_filename_keeps_stem_and_image_extension(void)
{
	const struct {
		const char *name, *lang, *want;
		enum al_safecopy_kind kind;
	} cases[] = {
		{ "ordonnance.pdf", "fr", "ordonnance (copie s\xc3\xbbre).pdf", AL_SAFECOPY_PDF },
		{ "ordonnance.pdf", "en", "ordonnance (safe copy).pdf", AL_SAFECOPY_PDF },
		{ "photo.JPG", "en", "photo (safe copy).JPG", AL_SAFECOPY_JPEG },
		{ "scan", "en", "scan (safe copy).tif", AL_SAFECOPY_TIFF },
		{ NULL, "fr", "document (copie s\xc3\xbbre).pdf", AL_SAFECOPY_PDF },
		{ "../x/y.pdf", "en", ".._x_y (safe copy).pdf", AL_SAFECOPY_PDF },
		{ "evil\xe2\x80\xaegpj.pdf", "en", "evil<U+202E>gpj (safe copy).pdf", AL_SAFECOPY_PDF },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = al_safecopy_filename(cases[i].name, cases[i].kind, cases[i].lang);
		g_assert_cmpstr(got, ==, cases[i].want);
	}
}

static void test_safecopy_wanted_only_for_configured_reasons_and_types(void)
{
	struct al_config *config = al_config_new_defaults();
	struct al_item *item = al_item_new();

	item->quarantine = TRUE;
	item->detected_type = g_strdup("application/pdf");
	item->reasons = AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN) | AL_REASON_BIT(AL_REASON_MACRO);
	g_assert_true(al_safecopy_wanted(config, item));
	item->reasons |= AL_REASON_BIT(AL_REASON_EXECUTABLE);
	g_assert_false(al_safecopy_wanted(config, item));
	item->reasons = AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN);
	g_free(item->detected_type);
	item->detected_type = g_strdup("application/zip");
	g_assert_false(al_safecopy_wanted(config, item));
	g_free(item->detected_type);
	item->detected_type = g_strdup("image/jpeg");
	item->quarantine = FALSE;
	g_assert_false(al_safecopy_wanted(config, item));
	al_item_free(&item);
	al_config_free(&config);
}

static void test_safecopy_config_refuses_virus_executable_encrypted(void)
{
	const char *bad[] = { "virus", "executable", "encrypted", "nonsense" };
	g_autofree char *dir = g_dir_make_tmp("airlock-safecopy-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "airlock.conf", NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *text = g_strdup_printf("[safecopy]\nreasons = macro;%s\n", bad[i]);
		g_autoptr(GError) error = NULL;
		struct al_config *config;

		g_assert_true(g_file_set_contents(path, text, -1, NULL));
		config = al_config_load(path, FALSE, &error);
		g_assert_null(config);
		g_assert_nonnull(strstr(error->message, "[safecopy] reasons"));
	}
	g_assert_true(g_file_set_contents(path, "[safecopy]\nreasons = polyglot;macro\n", -1, NULL));
	struct al_config *ok = al_config_load(path, FALSE, NULL);
	g_assert_nonnull(ok);
	g_assert_cmphex(ok->safecopy_reasons, ==,
	                AL_REASON_BIT(AL_REASON_POLYGLOT) | AL_REASON_BIT(AL_REASON_MACRO));
	al_config_free(&ok);
	g_unlink(path);
	g_rmdir(dir);
}

static void test_safecopy_office_only_with_libreoffice(void)
{
	struct al_config *config = al_config_new_defaults();
	struct al_item *item = al_item_new();
	g_autofree char *name = al_safecopy_filename("lettre.docm", AL_SAFECOPY_PDF, "en");

	item->quarantine = TRUE;
	item->detected_type =
	    g_strdup("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
	item->reasons = AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN) | AL_REASON_BIT(AL_REASON_MACRO);
	g_assert_cmpint(al_safecopy_kind_of(item->detected_type), ==, AL_SAFECOPY_OFFICE);
	g_assert_cmpint(al_safecopy_kind_of("text/rtf"), ==, AL_SAFECOPY_OFFICE);
	g_assert_cmpint(al_safecopy_kind_of("application/vnd.ms-excel"), ==, AL_SAFECOPY_OFFICE);
	g_assert_cmpstr(al_safecopy_content_type(AL_SAFECOPY_OFFICE), ==, "application/pdf");
	g_assert_cmpstr(name, ==, "lettre (safe copy).pdf");
	config->safecopy_soffice = "/usr/bin/soffice";
	g_assert_true(al_safecopy_wanted(config, item));
	config->safecopy_soffice = NULL; /* office = no, or auto without LibreOffice */
	g_assert_false(al_safecopy_wanted(config, item));
	al_item_free(&item);
	al_config_free(&config);
}

static void test_safecopy_office_config(void)
{
	g_autofree char *dir = g_dir_make_tmp("airlock-safecopy-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "airlock.conf", NULL);
	const char *soffice = al_safecopy_find_soffice();
	g_autoptr(GError) error = NULL;
	struct al_config *config;

	g_assert_true(g_file_set_contents(path, "[safecopy]\noffice = maybe\n", -1, NULL));
	config = al_config_load(path, FALSE, &error);
	g_assert_null(config);
	g_assert_nonnull(strstr(error->message, "[safecopy] office"));
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(path, "[safecopy]\noffice = no\n", -1, NULL));
	config = al_config_load(path, FALSE, NULL);
	g_assert_nonnull(config);
	g_assert_null(config->safecopy_soffice);
	al_config_free(&config);
	g_assert_true(g_file_set_contents(path, "[safecopy]\noffice = auto\n", -1, NULL));
	config = al_config_load(path, FALSE, NULL);
	g_assert_nonnull(config);
	g_assert_cmpstr(config->safecopy_soffice, ==, soffice);
	al_config_free(&config);
	/* yes: LibreOffice or a configuration error that names it. */
	g_assert_true(g_file_set_contents(path, "[safecopy]\noffice = yes\n", -1, NULL));
	config = al_config_load(path, FALSE, &error);
	if (soffice != NULL) {
		g_assert_nonnull(config);
		g_assert_cmpstr(config->safecopy_soffice, ==, soffice);
	} else {
		g_assert_null(config);
		g_assert_nonnull(strstr(error->message, "LibreOffice"));
	}
	al_config_free(&config);
	g_unlink(path);
	g_rmdir(dir);
}

/* One explicit VR little-endian element (even length). */
static void element(GByteArray *out, guint16 group, guint16 elem, const char *vr, const void *value,
                    guint16 len)
{
	guint8 head[8] = { group & 0xff, group >> 8, elem & 0xff, elem >> 8, vr[0], vr[1],
	                   len & 0xff, len >> 8 };
	g_byte_array_append(out, head, 8);
	g_byte_array_append(out, value, len);
}

static GByteArray *dicom_with_pe(gsize *clean_len_r)
{
	GByteArray *out = g_byte_array_new();
	guint8 preamble[128] = { 'M', 'Z' };
	const char syntax[] = "1.2.840.10008.1.2.1"; /* 19 chars + NUL pad */
	const guint16 rows = 8;

	memcpy(preamble + 0x40, "PE\0\0", 4);
	g_byte_array_append(out, preamble, sizeof preamble);
	g_byte_array_append(out, (const guint8 *)"DICM", 4);
	element(out, 0x0002, 0x0010, "UI", syntax, 20);
	element(out, 0x0010, 0x0010, "PN", "TEST^PATIENT", 12);
	element(out, 0x0028, 0x0010, "US", &rows, 2);
	*clean_len_r = out->len;
	static const char tail[] = "MZ\x90\0appended program";
	g_byte_array_append(out, (const guint8 *)tail, sizeof tail - 1);
	return out;
}

static void test_safecopy_real_helper_zeroes_dicom_preamble(void)
{
	struct al_config *config = config_with_real_helper();
	gsize clean_len = 0;
	GByteArray *input = dicom_with_pe(&clean_len);
	struct al_content in = content_of(input->data, input->len);
	struct al_safecopy *copy = al_safecopy_make(config, AL_SAFECOPY_DICOM, &in, 60000);
	const guint8 zeros[128] = { 0 };
	gsize size = 0;
	const guint8 *data;
	g_autoptr(GBytes) bytes = NULL;

	g_assert_cmpint(copy->failure, ==, AL_SAFECOPY_OK);
	bytes = copy_bytes(copy);
	data = g_bytes_get_data(bytes, &size);
	g_assert_cmpuint(size, ==, clean_len);
	g_assert_cmpmem(data, 128, zeros, 128);
	g_assert_cmpmem(data + 128, size - 128, input->data + 128, clean_len - 128);
	g_assert_cmpuint(strlen(copy->sha256), ==, 64);
	al_safecopy_free(&copy);
	al_content_clear(&in);
	g_byte_array_unref(input);
	al_config_free(&config);
}

/* A stand-in helper: a shell script doing what a broken renderer does. */
static struct al_safecopy *run_script(const char *dir, const char *body, gint64 timeout_ms)
{
	g_autofree char *path = g_build_filename(dir, "helper.sh", NULL);
	g_autofree char *text = g_strdup_printf("#!/bin/sh\n%s\n", body);
	struct al_config *config = config_with_helper(path);
	/* 4 MiB: more than a pipe holds, so a helper that exits without
	 * reading makes the writer meet EPIPE (SIGPIPE is not ignored here). */
	const gsize len = 4 << 20;
	guint8 *input = g_malloc0(len);
	struct al_content in;
	struct al_safecopy *copy;

	memcpy(input, "%PDF-1.4 not really", 19);
	in = (struct al_content){ .bytes = g_bytes_new_take(input, len), .fd = -1, .size = len };
	config->max_message_bytes = 1 << 20; /* a copy may not be larger */
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(g_chmod(path, 0700), ==, 0);
	copy = al_safecopy_make(config, AL_SAFECOPY_PDF, &in, timeout_ms);
	al_content_clear(&in);
	al_config_free(&config);
	g_unlink(path);
	return copy;
}

static void test_safecopy_broken_helpers_give_no_copy(void)
{
	g_autofree char *dir = g_dir_make_tmp("airlock-safecopy-XXXXXX", NULL);
	const struct {
		const char *script;
		enum al_safecopy_failure want;
	} cases[] = {
		{ "cat >/dev/null; kill -SEGV $$", AL_SAFECOPY_FAILED },
		{ "exec sleep 600", AL_SAFECOPY_TIMEOUT },
		{ "cat >/dev/null; echo 'not a PDF'", AL_SAFECOPY_FAILED },
		{ "cat >/dev/null; exit 5", AL_SAFECOPY_TOO_MANY_PAGES },
		{ "cat >/dev/null; exit 10", AL_SAFECOPY_TIMEOUT }, /* LibreOffice killed */
		{ "exit 4", AL_SAFECOPY_FAILED },
		{ "cat >/dev/null; printf %%PDF-; head -c 2000000 /dev/zero", AL_SAFECOPY_TOO_LARGE },
		{ "cat >/dev/null; printf %%PDF-1.5; exit 0", AL_SAFECOPY_OK },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct al_safecopy *copy = run_script(dir, cases[i].script, 1500);
		g_assert_cmpint(copy->failure, ==, cases[i].want);
		if (cases[i].want == AL_SAFECOPY_OK) {
			/* The control: a helper that behaves gives its bytes. */
			g_assert_cmpuint(copy->content.size, ==, 8);
			g_assert_nonnull(copy->sha256);
		} else {
			g_assert_cmpuint(copy->content.size, ==, 0);
			g_assert_nonnull(copy->detail);
		}
		al_safecopy_free(&copy);
	}
	struct al_config *config = config_with_helper("/nonexistent/airlock-safecopy");
	struct al_content x = content_of("x", 1);
	struct al_safecopy *copy = al_safecopy_make(config, AL_SAFECOPY_PDF, &x, 1000);
	g_assert_cmpint(copy->failure, ==, AL_SAFECOPY_FAILED);
	al_safecopy_free(&copy);
	al_content_clear(&x);
	al_config_free(&config);
	g_rmdir(dir);
}

static const char two_pdfs[] = "From: a@example.org\n"
                               "To: b@example.org\n"
                               "Subject: two\n"
                               "MIME-Version: 1.0\n"
                               "Content-Type: multipart/mixed; boundary=\"b1\"\n"
                               "\n"
                               "--b1\n"
                               "Content-Type: application/pdf; name=\"a.pdf\"\n"
                               "Content-Transfer-Encoding: base64\n"
                               "\n"
                               "JVBERi0xLjQKJeLjz9MK\n"
                               "--b1\n"
                               "Content-Type: application/pdf; name=\"b.pdf\"\n"
                               "Content-Transfer-Encoding: base64\n"
                               "\n"
                               "JVBERi0xLjQKJeLjz9MK\n"
                               "--b1--\n";

/* Two PDFs, a helper that hangs, max_seconds 1: the first is killed at
 * the deadline, the second is not even started (the budget is the
 * message's). Both items say why; the count made is 0. */
static void test_safecopy_make_all_shares_the_message_budget(void)
{
	const struct al_mime_limits limits = { .max_depth = 8, .max_parts = 10,
	                                       .max_part_bytes = 1 << 20,
	                                       .memory_threshold_bytes = 1 << 20,
	                                       .spool_dir = g_get_tmp_dir() };
	g_autofree char *dir = g_dir_make_tmp("airlock-safecopy-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "helper.sh", NULL);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(two_pdfs, strlen(two_pdfs));
	struct al_verdict *verdict = g_new0(struct al_verdict, 1);
	struct al_config *config = config_with_helper(path);
	g_autoptr(GError) error = NULL;
	struct al_pipeline *pipeline;
	GPtrArray *items;

	g_assert_true(g_file_set_contents(path, "#!/bin/sh\nexec sleep 600\n", -1, NULL));
	g_assert_cmpint(g_chmod(path, 0700), ==, 0);
	config->safecopy_max_seconds = 1;
	verdict->message = al_mime_parse(stream, &limits, &error);
	g_assert_no_error(error);
	items = verdict->message->items;
	g_assert_cmpuint(items->len, ==, 2);
	for (guint i = 0; i < items->len; i++) {
		struct al_item *item = items->pdata[i];
		item->quarantine = TRUE;
		item->reasons = AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN);
		item->detected_type = g_strdup("application/pdf");
	}
	pipeline = al_pipeline_new(config, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(al_safecopy_make_all(pipeline, verdict), ==, 0);
	for (guint i = 0; i < items->len; i++) {
		const struct al_item *item = items->pdata[i];
		g_assert_nonnull(item->safe_copy);
		g_assert_cmpint(item->safe_copy->failure, ==, AL_SAFECOPY_TIMEOUT);
		g_assert_cmpuint(item->safe_copy->content.size, ==, 0);
	}
	g_assert_nonnull(strstr(((struct al_item *)items->pdata[1])->safe_copy->detail,
	                        "used up"));
	g_assert_cmpstr(((struct al_item *)items->pdata[0])->safe_copy->filename, ==,
	                "a (copie s\xc3\xbbre).pdf");
	al_verdict_free(&verdict);
	al_pipeline_free(&pipeline);
	al_config_free(&config);
	g_object_unref(stream);
	g_unlink(path);
	g_rmdir(dir);
}

static const char with_pdf[] = "From: a@example.org\n"
                               "To: b@example.org\n"
                               "Subject: ordonnance\n"
                               "MIME-Version: 1.0\n"
                               "Content-Type: multipart/mixed; boundary=\"b1\"\n"
                               "\n"
                               "--b1\n"
                               "Content-Type: text/plain\n"
                               "\n"
                               "Bonjour\n"
                               "--b1\n"
                               "Content-Type: application/pdf\n"
                               "Content-Disposition: attachment; filename=\"ordonnance.pdf\"\n"
                               "Content-Transfer-Encoding: base64\n"
                               "\n"
                               "JVBERi0xLjQKJeLjz9MK\n"
                               "--b1--\n";

static char *strip_with(struct al_safecopy *copy)
{
	const struct al_mime_limits limits = { .max_depth = 32, .max_parts = 100,
	                                       .max_part_bytes = 1 << 20,
	                                       .memory_threshold_bytes = 1 << 20,
	                                       .spool_dir = g_get_tmp_dir() };
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(with_pdf, strlen(with_pdf));
	struct al_verdict *verdict = g_new0(struct al_verdict, 1);
	struct al_config *config = al_config_new_defaults();
	struct al_stripped stripped = { 0 };
	g_autoptr(GError) error = NULL;
	struct al_item *item;
	char *body;

	verdict->message = al_mime_parse(stream, &limits, &error);
	g_assert_no_error(error);
	item = verdict->message->items->pdata[1];
	g_assert_cmpstr(item->part, ==, "2");
	item->quarantine = TRUE;
	item->reasons = AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN);
	copy->filename = al_safecopy_filename(item->filename, AL_SAFECOPY_PDF, "fr");
	item->safe_copy = copy;
	g_assert_cmpint(al_notice_strip(config, verdict, ID, NULL, &stripped, &error), ==, 0);
	body = g_malloc0(stripped.body.size + 1);
	g_assert_cmpint(al_content_pread(&stripped.body, 0, body, stripped.body.size, NULL), ==,
	                (gssize)stripped.body.size);
	al_stripped_clear(&stripped);
	al_verdict_free(&verdict);
	al_config_free(&config);
	g_object_unref(stream);
	return body;
}

/* The notices' text with quoted-printable soft line breaks joined. */
static char *unfolded(const char *body)
{
	g_auto(GStrv) lines = g_strsplit(body, "=\n", -1);
	return g_strjoinv("", lines);
}

static void test_safecopy_notice_attaches_the_copy_beside_it(void)
{
	struct al_safecopy *copy = g_new0(struct al_safecopy, 1);
	g_autofree char *body = NULL;

	copy->kind = AL_SAFECOPY_PDF;
	copy->content_type = g_strdup("application/pdf");
	copy->content = content_of("%PDF-1.5 pixels only", 20);
	copy->sha256 = g_strdup("00");
	body = strip_with(copy);
	g_assert_nonnull(strstr(body, "multipart/mixed"));
	g_assert_nonnull(strstr(body, "Content-Type: application/pdf"));
	g_assert_nonnull(strstr(body, "Content-Disposition: attachment"));
	g_assert_nonnull(strstr(body, "JVBERi0xLjUgcGl4ZWxzIG9ubHk=")); /* the copy, base64 */
	g_assert_null(strstr(body, "JVBERi0xLjQKJeLjz9MK"));            /* not the original */
	g_assert_nonnull(strstr(body, "filename*=iso-8859-1''ordonnance%20%28copie%20s%FBre%29.pdf"));
	g_autofree char *joined = unfolded(body);
	g_assert_nonnull(strstr(joined, "jointe : =C2=AB ordonnance (copie s=C3=BBre).pdf =C2=BB"));
	g_assert_nonnull(strstr(joined, "attached: \"ordonnance (copie s=C3=BBre).pdf\""));
	g_assert_nonnull(strstr(joined, "Links, macros and forms do not work in it."));
}

/* A copy spooled to a file goes in whole, wherever another reader left
 * the file's offset (here: at its end). */
static void test_safecopy_notice_attaches_a_spooled_copy_whole(void)
{
	struct al_safecopy *copy = g_new0(struct al_safecopy, 1);
	g_autofree char *body = NULL;
	int fd = al_spool_tmpfile(g_get_tmp_dir(), NULL);

	g_assert_cmpint(fd, >, 2);
	g_assert_cmpint(write(fd, "%PDF-1.5 pixels only", 20), ==, 20);
	copy->kind = AL_SAFECOPY_PDF;
	copy->content_type = g_strdup("application/pdf");
	copy->content = (struct al_content){ .fd = fd, .size = 20 };
	copy->sha256 = g_strdup("00");
	body = strip_with(copy);
	g_assert_nonnull(strstr(body, "JVBERi0xLjUgcGl4ZWxzIG9ubHk="));
}

static void test_safecopy_notice_says_why_there_is_no_copy(void)
{
	struct al_safecopy *copy = g_new0(struct al_safecopy, 1);
	g_autofree char *body = NULL;

	copy->kind = AL_SAFECOPY_PDF;
	copy->failure = AL_SAFECOPY_TOO_MANY_PAGES;
	copy->content_type = g_strdup("application/pdf");
	body = strip_with(copy);
	g_autofree char *joined = unfolded(body);
	g_assert_null(strstr(body, "multipart/mixed"));
	g_assert_null(strstr(body, "application/pdf"));
	g_assert_nonnull(strstr(joined, "Aucune copie s=C3=BBre n'a pu =C3=AAtre faite de ce "
	                                "fichier : il a trop de pages."));
	g_assert_nonnull(strstr(joined, "No safe copy could be made of this file: it has too many "
	                                "pages."));
}

/* A message from an unknown sender with one attachment, judged by the
 * real pipeline (our signatures, no ClamAV database). */
struct judged {
	struct al_pipeline *pipeline;
	GMimeStream *stream;
	struct al_verdict *verdict;
	struct al_smtp_context smtp;
};

static const char *const judged_rcpts[] = { "dr@practice.example", NULL };

static void judge_attachment(struct judged *j, struct al_config *config, const char *type,
                             const char *name, const void *data, gsize len)
{
	g_autofree char *b64 = g_base64_encode(data, len);
	g_autoptr(GError) error = NULL;
	char *eml = g_strdup_printf("From: x@unknown.example\nTo: dr@practice.example\n"
	                            "Subject: examen\nMIME-Version: 1.0\n"
	                            "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
	                            "--b1\nContent-Type: text/plain\n\nci-joint\n"
	                            "--b1\nContent-Type: %s\n"
	                            "Content-Disposition: attachment; filename=\"%s\"\n"
	                            "Content-Transfer-Encoding: base64\n\n%s\n--b1--\n",
	                            type, name, b64);

	j->smtp = (struct al_smtp_context){ .queue_id = "Q1", .client_addr = "198.51.100.7",
	                                    .client_name = "mx.unknown.example",
	                                    .helo = "mx.unknown.example",
	                                    .envelope_from = "x@unknown.example",
	                                    .recipients = judged_rcpts };
	j->pipeline = al_pipeline_new(config, NULL, &error);
	g_assert_no_error(error);
	j->stream = g_mime_stream_mem_new_with_buffer(eml, strlen(eml));
	g_free(eml);
	g_assert_cmpint(al_pipeline_run(j->pipeline, j->stream, &j->smtp, &j->verdict, &error), ==,
	                0);
}

static void judged_clear(struct judged *j)
{
	al_verdict_free(&j->verdict);
	al_pipeline_free(&j->pipeline);
	g_clear_object(&j->stream);
}

static struct al_item *attachment_of(struct judged *j)
{
	g_assert_cmpuint(j->verdict->message->items->len, ==, 2);
	return j->verdict->message->items->pdata[1];
}

static void test_safecopy_wanted_for_a_polyglot_despite_its_program(void)
{
	struct al_config *config = al_config_new_defaults();
	struct al_item *item = al_item_new();
	const al_reason_set program =
	    AL_REASON_BIT(AL_REASON_EXECUTABLE) | AL_REASON_BIT(AL_REASON_DISGUISED);

	item->quarantine = TRUE;
	item->detected_type = g_strdup("application/dicom");
	item->reasons = program | AL_REASON_BIT(AL_REASON_POLYGLOT) |
	                AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN);
	g_assert_true(al_safecopy_wanted(config, item)); /* polyglot is in the default */
	item->reasons = program | AL_REASON_BIT(AL_REASON_UNKNOWN_ORIGIN);
	g_assert_false(al_safecopy_wanted(config, item)); /* a program, not a polyglot */
	item->reasons = program | AL_REASON_BIT(AL_REASON_POLYGLOT) | AL_REASON_BIT(AL_REASON_VIRUS);
	g_assert_false(al_safecopy_wanted(config, item));
	item->reasons = program | AL_REASON_BIT(AL_REASON_POLYGLOT);
	config->safecopy_reasons &= ~AL_REASON_BIT(AL_REASON_POLYGLOT);
	g_assert_false(al_safecopy_wanted(config, item));
	al_item_free(&item);
	al_config_free(&config);
}

/* The DICOM/PE polyglot: held, and its hold notice carries the copy
 * (preamble zeroed, tail gone) that the pipeline judged clean; a message
 * that also carries a virus gets none. */
static void test_safecopy_polyglot_dicom_copy_goes_with_the_hold_notice(void)
{
	struct al_config *config = config_with_real_helper();
	gsize clean_len = 0;
	GByteArray *input = dicom_with_pe(&clean_len);
	const guint8 zeros[128] = { 0 };
	struct judged j = { 0 };
	struct al_item *item;
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *notice = NULL;
	g_autofree char *joined = NULL;

	judge_attachment(&j, config, "application/dicom", "scan.dcm", input->data, input->len);
	item = attachment_of(&j);
	g_assert_cmpint(j.verdict->action, ==, AL_ACTION_HOLD);
	g_assert_true(item->reasons & AL_REASON_BIT(AL_REASON_POLYGLOT));
	g_assert_cmpuint(al_safecopy_make_all(j.pipeline, j.verdict), ==, 1);
	g_assert_cmpint(item->safe_copy->failure, ==, AL_SAFECOPY_OK);
	bytes = copy_bytes(item->safe_copy);
	g_assert_cmpuint(g_bytes_get_size(bytes), ==, clean_len);
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), 128, zeros, 128);
	g_assert_cmpstr(item->safe_copy->filename, ==, "scan (copie s\xc3\xbbre).dcm");

	notice = al_notice_hold_message(config, j.verdict, &j.smtp, "ID", judged_rcpts[0], NULL);
	joined = unfolded(notice);
	g_assert_nonnull(strstr(notice, "multipart/mixed"));
	g_assert_nonnull(strstr(notice, "Content-Type: application/dicom"));
	g_assert_nonnull(strstr(notice, "scan%20%28copie%20s%FBre%29.dcm"));
	g_assert_nonnull(strstr(joined, "Une copie s=C3=BBre de ce fichier est jointe"));
	g_assert_nonnull(strstr(joined, "the same DICOM data, without the header"));
	/* The milter's way: the same notice in a spool file, rewound. */
	{
		g_autoptr(GError) error = NULL;
		int fd = al_notice_hold_file(config, j.verdict, &j.smtp, "ID", judged_rcpts[0], NULL,
		                             &error);
		g_autofree char *copy_b64 = g_base64_encode(g_bytes_get_data(bytes, NULL), 57);
		g_autofree char *text = NULL;
		struct stat st;

		g_assert_no_error(error);
		g_assert_cmpint(fd, >, 2);
		g_assert_cmpint(fstat(fd, &st), ==, 0);
		text = g_malloc0((gsize)st.st_size + 1);
		g_assert_cmpint(read(fd, text, (gsize)st.st_size), ==, st.st_size); /* from 0 */
		g_assert_true(g_str_has_prefix(text, "To: ") || strstr(text, "\nTo: ") != NULL);
		g_assert_nonnull(strstr(text, "scan%20%28copie%20s%FBre%29.dcm"));
		g_assert_nonnull(strstr(text, copy_b64)); /* the copy's first line, base64 */
		close(fd);
	}
	judged_clear(&j);

	/* With a virus in the message: no copy at all. */
	judge_attachment(&j, config, "application/dicom", "scan.dcm", input->data, input->len);
	j.verdict->reasons |= AL_REASON_BIT(AL_REASON_VIRUS);
	g_assert_cmpuint(al_safecopy_make_all(j.pipeline, j.verdict), ==, 0);
	g_assert_null(attachment_of(&j)->safe_copy);
	notice = (g_free(notice), al_notice_hold_message(config, j.verdict, &j.smtp, "ID",
	                                                 judged_rcpts[0], NULL));
	g_assert_null(strstr(notice, "multipart/mixed"));
	judged_clear(&j);
	g_byte_array_unref(input);
	al_config_free(&config);
}

/* A helper that hands the input back (JavaScript and all) passes the
 * format check, but the copy is judged again and not delivered. */
static void test_safecopy_copy_with_a_finding_is_not_delivered(void)
{
	static const char hostile[] =
	    "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>\nendobj\n"
	    "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
	    "3 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n"
	    "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
	g_autofree char *dir = g_dir_make_tmp("airlock-safecopy-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "helper.sh", NULL);
	struct al_config *config = config_with_helper(path);
	struct judged j = { 0 };
	struct al_item *item;

	g_assert_true(g_file_set_contents(path, "#!/bin/sh\nexec cat\n", -1, NULL));
	g_assert_cmpint(g_chmod(path, 0700), ==, 0);
	judge_attachment(&j, config, "application/pdf", "lettre.pdf", hostile, strlen(hostile));
	item = attachment_of(&j);
	g_assert_true(item->quarantine);
	config->safecopy_reasons |= item->reasons; /* offered whatever it was stopped for */
	config->safecopy_reasons &= ~(AL_REASON_BIT(AL_REASON_VIRUS) |
	                              AL_REASON_BIT(AL_REASON_EXECUTABLE));
	g_assert_true(al_safecopy_wanted(config, item));
	g_assert_cmpuint(al_safecopy_make_all(j.pipeline, j.verdict), ==, 0);
	g_assert_cmpint(item->safe_copy->failure, ==, AL_SAFECOPY_FAILED);
	g_assert_nonnull(strstr(item->safe_copy->detail, "the copy itself was judged"));
	g_assert_cmpuint(item->safe_copy->content.size, ==, 0);
	g_assert_null(item->safe_copy->sha256);
	judged_clear(&j);
	al_config_free(&config);
	g_unlink(path);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	al_mime_global_init();
	g_test_add_func("/safecopy/filename_keeps_stem_and_image_extension",
	                test_safecopy_filename_keeps_stem_and_image_extension);
	g_test_add_func("/safecopy/wanted_only_for_configured_reasons_and_types",
	                test_safecopy_wanted_only_for_configured_reasons_and_types);
	g_test_add_func("/safecopy/config_refuses_virus_executable_encrypted",
	                test_safecopy_config_refuses_virus_executable_encrypted);
	g_test_add_func("/safecopy/office_only_with_libreoffice",
	                test_safecopy_office_only_with_libreoffice);
	g_test_add_func("/safecopy/office_config", test_safecopy_office_config);
	g_test_add_func("/safecopy/real_helper_zeroes_dicom_preamble",
	                test_safecopy_real_helper_zeroes_dicom_preamble);
	g_test_add_func("/safecopy/broken_helpers_give_no_copy",
	                test_safecopy_broken_helpers_give_no_copy);
	g_test_add_func("/safecopy/make_all_shares_the_message_budget",
	                test_safecopy_make_all_shares_the_message_budget);
	g_test_add_func("/safecopy/notice_attaches_the_copy_beside_it",
	                test_safecopy_notice_attaches_the_copy_beside_it);
	g_test_add_func("/safecopy/notice_attaches_a_spooled_copy_whole",
	                test_safecopy_notice_attaches_a_spooled_copy_whole);
	g_test_add_func("/safecopy/notice_says_why_there_is_no_copy",
	                test_safecopy_notice_says_why_there_is_no_copy);
	g_test_add_func("/safecopy/wanted_for_a_polyglot_despite_its_program",
	                test_safecopy_wanted_for_a_polyglot_despite_its_program);
	g_test_add_func("/safecopy/polyglot_dicom_copy_goes_with_the_hold_notice",
	                test_safecopy_polyglot_dicom_copy_goes_with_the_hold_notice);
	g_test_add_func("/safecopy/copy_with_a_finding_is_not_delivered",
	                test_safecopy_copy_with_a_finding_is_not_delivered);
	return g_test_run();
}
