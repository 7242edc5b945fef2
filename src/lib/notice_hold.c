/*
 * notice_hold.c - the message each recipient of a held message gets
 * instead of it: what was held, why, the quarantine id and whom to call,
 * in the configured languages (see notice.h). A held file that was given
 * a safe copy (safecopy.h: a polyglot DICOM image, rebuilt without its
 * hidden program) has it attached, and the notice says what it is under
 * the file's name.
 */
#include "notice_private.h"
#include "notice_safecopy.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------- hold */

/* What the hold notice says about the original. */
struct held {
	char *from;     /* shown From address, or NULL */
	char *envelope; /* shown envelope sender if it differs, or NULL */
	char *subject;
	char *date;
	GPtrArray *files; /* char*: shown names of quarantined items */
	GPtrArray *items; /* const struct al_item*: the item of each file (borrowed) */
	guint more_files; /* quarantined items past HOLD_MAX_FILES */
	al_reason_set reasons;
	char *admin;
	char *id;
};

static void held_clear(struct held *held)
{
	g_free(held->from);
	g_free(held->envelope);
	g_free(held->subject);
	g_free(held->date);
	g_ptr_array_unref(held->files);
	g_ptr_array_unref(held->items);
	g_free(held->admin);
	g_free(held->id);
}

static void held_describe_items(struct held *held, const struct al_message *message,
				const struct words *w)
{
	for (guint i = 0; message != NULL && i < message->items->len; i++) {
		const struct al_item *item = message->items->pdata[i];

		if (!item->quarantine)
			continue;
		if (held->files->len >= HOLD_MAX_FILES) {
			held->more_files++;
			continue;
		}
		g_ptr_array_add(held->files,
				item->filename != NULL
				    ? al_notice_printable(item->filename, NAME_MAX_CHARS)
				    : g_strdup(w->no_name));
		g_ptr_array_add(held->items, (gpointer)item);
	}
}

static char *held_date(const struct al_message *message)
{
	GDateTime *date = message != NULL && message->message != NULL
			      ? g_mime_message_get_date(message->message)
			      : NULL;

	return date != NULL ? g_date_time_format(date, "%Y-%m-%d %H:%M:%S %z") : NULL;
}

static void held_init(struct held *held, const struct al_config *config,
		      const struct al_verdict *verdict, const struct al_smtp_context *smtp,
		      const char *id)
{
	const struct al_message *message = verdict != NULL ? verdict->message : NULL;
	const char *from = message != NULL ? message->from : NULL;
	const char *envelope = smtp != NULL ? smtp->envelope_from : NULL;

	*held = (struct held){
	    .from = al_notice_printable(from, ADDRESS_MAX_CHARS),
	    .subject =
		al_notice_printable(message != NULL ? message->subject : NULL, SUBJECT_MAX_CHARS),
	    .date = held_date(message),
	    .files = g_ptr_array_new_with_free_func(g_free),
	    .items = g_ptr_array_new(),
	    .reasons = verdict != NULL ? verdict->reasons : 0,
	    .admin = al_notice_admin_contact(config),
	    .id = al_notice_printable(id != NULL ? id : "-", NAME_MAX_CHARS),
	};
	if (envelope != NULL && *envelope != '\0' &&
	    (from == NULL || g_ascii_strcasecmp(from, envelope) != 0))
		held->envelope = al_notice_printable(envelope, ADDRESS_MAX_CHARS);
}

/* Under a file's name: its safe copy (or why there is none), indented. */
static void append_held_copy(GString *out, const struct al_item *item, const struct words *w)
{
	g_autoptr(GString) said = g_string_new(NULL);
	g_auto(GStrv) lines = NULL;

	al_notice_append_safecopy(said, item, w);
	lines = g_strsplit(said->str, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		if (lines[i][0] != '\0')
			g_string_append_printf(out, "    %s\n", lines[i]);
}

static void append_held_files(GString *out, const struct held *held, const struct words *w)
{
	if (held->files->len == 0)
		return;
	g_string_append_printf(out, "\n%s\n", w->files_label);
	for (guint i = 0; i < held->files->len; i++) {
		g_string_append_printf(out, "  - %s\n", (const char *)held->files->pdata[i]);
		append_held_copy(out, held->items->pdata[i], w);
	}
	if (held->more_files > 0)
		g_string_append_printf(out, "%s%u%s\n", w->more_files[0], held->more_files,
				       w->more_files[held->more_files > 1 ? 2 : 1]);
}

static void append_held_notice(GString *out, const struct held *held, const struct words *w,
			       const struct al_notice_link *link)
{
	g_string_append_printf(out, "%s\n\n", w->held_intro);
	g_string_append_printf(out, "%s%s", w->sender_label,
			       held->from != NULL ? held->from : w->unknown);
	if (held->envelope != NULL)
		g_string_append_printf(out, "%s%s%s", w->envelope[0], held->envelope,
				       w->envelope[1]);
	g_string_append_printf(out, "\n%s%s\n", w->subject_label,
			       held->subject != NULL ? held->subject : w->no_subject);
	g_string_append_printf(out, "%s%s\n", w->date_label,
			       held->date != NULL ? held->date : w->unknown);
	if (held->reasons != 0) {
		g_string_append_printf(out, "\n%s\n", w->why_label);
		al_notice_append_reasons(out, held->reasons, w);
	}
	append_held_files(out, held, w);
	g_string_append_printf(out, "\n%s%s\n", w->id_label, held->id);
	al_notice_append_pair(out, w->contact_message, held->admin);
	if (link != NULL && link->url != NULL)
		al_notice_append_link(out, w, link->url, link->link_days);
}

/* "Airlock <admin>" when the admin contact holds an address. */
void al_notice_add_sender(GMimeMessage *notice, const struct al_config *config)
{
	InternetAddressList *list = config->admin_contact != NULL
					? internet_address_list_parse(NULL, config->admin_contact)
					: NULL;
	const char *addr = "postmaster";

	for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
		InternetAddress *address = internet_address_list_get_address(list, i);
		const char *candidate =
		    INTERNET_ADDRESS_IS_MAILBOX(address)
			? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address))
			: NULL;

		if (candidate != NULL && strchr(candidate, '@') != NULL) {
			addr = candidate;
			break;
		}
	}
	g_mime_message_add_mailbox(notice, GMIME_ADDRESS_TYPE_FROM, "Airlock", addr);
	g_clear_object(&list);
}

static void add_recipients(GMimeMessage *notice, const struct al_smtp_context *smtp,
			   const char *recipient)
{
	InternetAddressList *to = g_mime_message_get_addresses(notice, GMIME_ADDRESS_TYPE_TO);
	guint count = 0;

	if (recipient != NULL) {
		g_autofree char *safe = al_notice_printable(recipient, ADDRESS_MAX_CHARS);
		InternetAddress *mailbox = internet_address_mailbox_new(NULL, safe);

		internet_address_list_add(to, mailbox);
		g_object_unref(mailbox);
		return;
	}

	for (guint i = 0; smtp != NULL && smtp->recipients != NULL && smtp->recipients[i] != NULL;
	     i++) {
		g_autofree char *safe = al_notice_printable(smtp->recipients[i], ADDRESS_MAX_CHARS);
		InternetAddress *mailbox = internet_address_mailbox_new(NULL, safe);

		internet_address_list_add(to, mailbox);
		g_object_unref(mailbox);
		count++;
	}
	if (count == 0) {
		InternetAddress *group = internet_address_group_new("undisclosed-recipients");

		internet_address_list_add(to, group);
		g_object_unref(group);
	}
}

static void add_headers(GMimeMessage *notice, const struct al_config *config,
			const struct held *held, const struct words *const *langs, guint n)
{
	GString *subject = g_string_new("[Airlock] ");
	InternetAddressList *from;
	GDateTime *now = g_date_time_new_now_local();
	g_autofree char *domain = NULL;
	g_autofree char *message_id = NULL;

	for (guint i = 0; i < n; i++)
		g_string_append_printf(subject, "%s%s", i > 0 ? " / " : "", langs[i]->held_subject);
	if (held->subject != NULL)
		g_string_append_printf(subject, ": %s", held->subject);
	al_notice_add_sender(notice, config);
	from = g_mime_message_get_addresses(notice, GMIME_ADDRESS_TYPE_FROM);
	domain = al_address_domain(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(from, 0))));
	/* Without a domain GMime would append "(none)" for an unset NIS
	 * domain name: the host name alone is a valid id-right. */
	message_id = g_mime_utils_generate_message_id(domain != NULL ? domain : g_get_host_name());
	g_mime_message_set_subject(notice, subject->str, "utf-8");
	g_mime_message_set_date(notice, now);
	g_mime_message_set_message_id(notice, message_id);
	g_mime_object_set_header(GMIME_OBJECT(notice), "MIME-Version", "1.0", NULL);
	g_mime_object_set_header(GMIME_OBJECT(notice), "Auto-Submitted", "auto-generated", NULL);
	g_date_time_unref(now);
	g_string_free(subject, TRUE);
}

/* The hold notice as a MIME message, copies attached (transfer full). */
static GMimeMessage *hold_notice(const struct al_config *config, const struct al_verdict *verdict,
				 const struct al_smtp_context *smtp, const char *quarantine_id,
				 const char *recipient, const struct al_notice_link *link)
{
	const struct words *langs[2];
	guint n = al_notice_languages(config, langs);
	const struct al_message *message = verdict != NULL ? verdict->message : NULL;
	GMimeMessage *notice;
	GMimeObject *text_part;
	GMimeObject *body;
	GString *text = g_string_new(NULL);
	struct held held;

	al_mime_global_init();
	held_init(&held, config, verdict, smtp, quarantine_id);
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(text, "\n" SEPARATOR "\n");
		g_ptr_array_set_size(held.files, 0);
		g_ptr_array_set_size(held.items, 0);
		held.more_files = 0;
		held_describe_items(&held, message, langs[i]);
		append_held_notice(text, &held, langs[i], link);
	}
	notice = g_mime_message_new(TRUE);
	add_recipients(notice, smtp, recipient);
	add_headers(notice, config, &held, langs, n);
	text_part = al_notice_part(text->str);
	/* Only the files the notice names (HOLD_MAX_FILES) carry a copy. */
	body = al_notice_with_copies(text_part, held.items);
	g_mime_message_set_mime_part(notice, body);
	g_object_unref(body);
	g_object_unref(text_part);
	g_string_free(text, TRUE);
	held_clear(&held);
	return notice;
}

char *al_notice_hold_message(const struct al_config *config, const struct al_verdict *verdict,
			     const struct al_smtp_context *smtp, const char *quarantine_id,
			     const char *recipient, const struct al_notice_link *link)
{
	GMimeMessage *notice = hold_notice(config, verdict, smtp, quarantine_id, recipient, link);
	char *result = g_mime_object_to_string(GMIME_OBJECT(notice), NULL);

	g_object_unref(notice);
	return result;
}

int al_notice_hold_file(const struct al_config *config, const struct al_verdict *verdict,
			const struct al_smtp_context *smtp, const char *quarantine_id,
			const char *recipient, const struct al_notice_link *link, GError **error)
{
	int fd = al_spool_tmpfile(config->spool_dir, error);
	GMimeMessage *notice;
	GMimeStream *out;
	int rc = 0;

	if (fd < 0)
		return -1;
	notice = hold_notice(config, verdict, smtp, quarantine_id, recipient, link);
	out = g_mime_stream_fs_new(fd);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(out), FALSE);
	if (g_mime_object_write_to_stream(GMIME_OBJECT(notice), NULL, out) < 0 ||
	    g_mime_stream_flush(out) < 0 || lseek(fd, 0, SEEK_SET) != 0) {
		g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot write the hold notice to %s: %s",
			    config->spool_dir != NULL ? config->spool_dir : g_get_tmp_dir(),
			    g_strerror(errno));
		close(fd);
		rc = -1;
	}
	g_object_unref(out);
	g_object_unref(notice);
	return rc < 0 ? -1 : fd;
}
