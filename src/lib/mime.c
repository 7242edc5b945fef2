/*
 * mime.c - the MIME walk: a message stream in, a list of items out.
 *
 * SYNOPSIS
 *	al_mime_global_init();
 *	struct al_message *m = al_mime_parse(stream, &limits, &error);
 *	... m->items, m->reasons ...
 *	al_message_free(&m);
 *
 * DESCRIPTION
 *	A cheap first pass reads the stream once and counts the lines that
 *	open a Content-Type header. Every nesting level needs one, and GMime
 *	recurses once per level, so a stream with more of them than twice
 *	max_parts (plus a margin) is not given to GMime at all: the message
 *	gets `limits` and no items. The same pass finds an empty stream
 *	(`malformed`).
 *
 *	GMime then parses with a persistent stream: part contents stay
 *	ranges of the caller's stream. The tree is walked with a depth
 *	counter (the top-level body is depth 1, each multipart or attached
 *	message adds one; deeper than max_depth: `limits` on the message,
 *	the branch is not entered) and every leaf part counts against
 *	max_parts (past it: `limits`, no more items). Part paths follow
 *	IMAP section numbers: a single-part message body is "1", children
 *	of a multipart are "1", "2"..., nested ones "2.1", and the parts of
 *	an attached message continue the path of the message/rfc822 part.
 *
 *	Each leaf becomes an item whose content is decoded (base64,
 *	quoted-printable, uuencode) through a spool: memory up to
 *	memory_threshold_bytes, an anonymous file past it. Decoding stops at
 *	max_part_bytes; the item keeps that much and gets `limits`.
 *
 *	A part is a body (is_body) only when mail programs show it as
 *	text: unnamed, inline or without disposition, and text/plain, or
 *	text/html in root position (a single-part message body, any
 *	alternative of a multipart/alternative, the root of a
 *	multipart/related: its start parameter or first part, the first
 *	part of any other multipart; each inside a multipart in root
 *	position; an attached message's body starts again at the root).
 *	So a second text/html part of a multipart/mixed (Outlook's
 *	ATT00001.htm), unnamed text/javascript, text/vbscript or
 *	application/... parts, a text/plain part with a name or disposition
 *	attachment are attachments, typed by content. They keep no name:
 *	for the type checks "no name" means no extension.
 *
 *	The names of each part are read again from the raw headers
 *	(mime_check.c, mime_params.c): names that disagree are `disguised`.
 *
 *	Every text part is searched for uuencoded blocks ("begin MODE
 *	name" ... "end", any 3- or 4-digit mode); each block is an item
 *	right after its text part ("1.u1", "1.u2"...) and counts as a part.
 *	A second pass finds begin-base64 ("1.b1") and yEnc ("1.y1") blocks
 *	(mime_yenc.c). Every text/html part is searched for "cid:"
 *	references; items with a matching Content-ID get referenced_by_cid.
 *
 *	Every entity and multipart also goes through mime_check.c: duplicate
 *	Content-* headers, a boundary reused by a nested multipart, content
 *	hidden in a preamble or epilogue are `malformed` on the message.
 *
 *	message/partial and message/external-body hide content that cannot
 *	be checked: both the item and the message get `malformed`. A
 *	non-empty stream GMime cannot parse at all is `malformed` and is
 *	checked whole, as one item.
 *
 * ERRORS
 *	Only reading the stream and writing spools can fail (AL_ERROR_IO,
 *	AL_ERROR_NOMEM); the message is then NULL and must be tempfailed.
 */
#include "mime_private.h"
#include "mime_check.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* Shared and read-only after initialisation, so safe for all threads. */
static GMimeParserOptions *parser_options;

static gpointer init_once(gpointer unused)
{
	(void)unused;
	g_mime_init();
	parser_options = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(parser_options,
							  GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(parser_options,
							    GMIME_RFC_COMPLIANCE_LOOSE);
	return NULL;
}

void al_mime_global_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, init_once, NULL);
}

void al_message_flag(struct al_message *message, enum al_reason reason, const char *detail_fmt,
		     ...)
{
	va_list args;
	char *detail;

	message->reasons |= AL_REASON_BIT(reason);
	if (detail_fmt == NULL)
		return;
	va_start(args, detail_fmt);
	detail = g_strdup_vprintf(detail_fmt, args);
	va_end(args);
	/* The walk may hit the same limit many times: say it once. */
	for (guint i = 0; i < message->details->len; i++) {
		if (strcmp(message->details->pdata[i], detail) == 0) {
			g_free(detail);
			return;
		}
	}
	g_ptr_array_add(message->details, detail);
}

char *al_mime_decode_filename(const char *raw)
{
	char *decoded;
	char *valid;

	if (raw == NULL)
		return NULL;
	al_mime_global_init();
	decoded = g_mime_utils_header_decode_text(parser_options, raw);
	valid = g_utf8_make_valid(decoded != NULL ? decoded : raw, -1);
	g_free(decoded);
	return valid;
}

static char *lower_valid(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);

	return g_ascii_strdown(valid, -1);
}

/*
 * One read. Returns > 0 bytes, 0 at the end, -1 on a read error. GMime
 * streams end either with 0 or with -1 and eos set; a filter stream may
 * also return 0 before its end (input that decodes to nothing), so 0
 * alone never means the end.
 */
static gssize read_chunk(GMimeStream *stream, char *buf, gsize len, GError **error)
{
	for (;;) {
		gssize n;

		if (g_mime_stream_eos(stream))
			return 0;
		errno = 0;
		n = g_mime_stream_read(stream, buf, len);
		if (n > 0)
			return n;
		if (n < 0 && !g_mime_stream_eos(stream)) {
			int saved = errno;

			g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot read the message: %s",
				    saved != 0 ? g_strerror(saved) : "stream error");
			return -1;
		}
	}
}

/* "content-type", blanks, ':' at the start of a line. matched: letters
 * matched so far, -1 for the rest of a line that is something else. */
struct header_counter {
	int matched;
	guint64 count;
};

static void count_content_types(struct header_counter *c, const char *data, gsize len)
{
	static const char name[] = "content-type";
	const int name_len = (int)sizeof(name) - 1;
	gsize i = 0;

	while (i < len) {
		char ch = data[i];

		if (c->matched < 0) {
			const char *eol = memchr(data + i, '\n', len - i);

			if (eol == NULL)
				return;
			i = (gsize)(eol - data) + 1;
			c->matched = 0;
			continue;
		}
		i++;
		if (ch == '\n') {
			c->matched = 0;
		} else if (c->matched < name_len) {
			c->matched = g_ascii_tolower(ch) == name[c->matched] ? c->matched + 1 : -1;
		} else if (ch == ':' || (ch != ' ' && ch != '\t')) {
			c->count += ch == ':';
			c->matched = -1;
		}
	}
}

static int prescan(GMimeStream *stream, char *buf, guint64 *content_types_r, guint64 *size_r,
		   GError **error)
{
	struct header_counter counter = { .matched = 0 };
	guint64 size = 0;
	gssize n;

	if (g_mime_stream_reset(stream) < 0)
		goto rewind;
	while ((n = read_chunk(stream, buf, CHUNK_BYTES, error)) > 0) {
		count_content_types(&counter, buf, (gsize)n);
		size += (guint64)n;
	}
	if (n < 0)
		return -1;
	if (g_mime_stream_reset(stream) < 0)
		goto rewind;
	*content_types_r = counter.count;
	*size_r = size;
	return 0;
rewind:
	g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot rewind the message stream");
	return -1;
}

gboolean al_mime_count_part(struct walk *w)
{
	w->message->part_count++;
	if (w->message->part_count <= w->limits->max_parts)
		return TRUE;
	al_message_flag(w->message, AL_REASON_LIMITS, "more than %u MIME parts",
			w->limits->max_parts);
	return FALSE;
}

/* Copies source into spool, at most max_part_bytes of it. */
static int copy_bounded(struct walk *w, GMimeStream *source, struct al_spool *spool,
			gboolean *truncated_r, GError **error)
{
	const guint64 max = w->limits->max_part_bytes;
	guint64 total = 0;
	gssize n;

	while ((n = read_chunk(source, w->buf, CHUNK_BYTES, error)) > 0) {
		if ((guint64)n > max - total) {
			*truncated_r = TRUE;
			return al_spool_write(spool, w->buf, (gsize)(max - total), error);
		}
		if (al_spool_write(spool, w->buf, (gsize)n, error) < 0)
			return -1;
		total += (guint64)n;
	}
	return n < 0 ? -1 : 0;
}

/* The decoded view of an encoded stream (transfer full). */
static GMimeStream *decoding_stream(GMimeStream *source, GMimeContentEncoding encoding)
{
	GMimeStream *filtered;
	GMimeFilter *filter;

	switch (encoding) {
	case GMIME_CONTENT_ENCODING_BASE64:
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
	case GMIME_CONTENT_ENCODING_UUENCODE:
		filtered = g_mime_stream_filter_new(source);
		filter = g_mime_filter_basic_new(encoding, FALSE);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), filter);
		g_object_unref(filter);
		return filtered;
	default:
		return g_object_ref(source);
	}
}

struct al_spool *al_mime_new_spool(const struct al_mime_limits *limits)
{
	return al_spool_new(limits->spool_dir, (gsize)MIN(limits->memory_threshold_bytes, G_MAXSIZE));
}

/* Decodes source (may be NULL: no content) into item->content. */
static int decode_into(struct walk *w, GMimeStream *source, GMimeContentEncoding encoding,
		       struct al_item *item, GError **error)
{
	struct al_spool *spool = al_mime_new_spool(w->limits);
	GMimeStream *decoded = NULL;
	gboolean truncated = FALSE;
	int rc = -1;

	if (source != NULL) {
		decoded = decoding_stream(source, encoding);
		if (g_mime_stream_reset(decoded) < 0) {
			g_set_error(error, AL_ERROR, AL_ERROR_IO, "cannot rewind the content");
			goto out;
		}
		if (copy_bounded(w, decoded, spool, &truncated, error) < 0)
			goto out;
	}
	if (al_spool_finish(spool, &item->content, error) < 0)
		goto out;
	if (truncated)
		al_item_flag(item, AL_REASON_LIMITS, "attachment larger than %" G_GUINT64_FORMAT
			     " bytes", w->limits->max_part_bytes);
	rc = 0;
out:
	if (rc < 0)
		g_prefix_error(error, "part %s: ", item->part);
	g_clear_object(&decoded);
	al_spool_free(&spool);
	return rc;
}

/*
 * Mail programs show as text only an unnamed inline text/plain part, and
 * the text/html of the message's own body (root: a single-part body, an
 * alternative of a multipart/alternative, the root of a
 * multipart/related, the first part of another multipart, each in root
 * position). Any other part is an attachment, typed by its content.
 */
static gboolean shown_as_text(const struct al_item *item, gboolean root)
{
	if (item->filename != NULL ||
	    (item->disposition != NULL && strcmp(item->disposition, "inline") != 0))
		return FALSE;
	if (strcmp(item->declared_type, "text/plain") == 0)
		return TRUE;
	return root && strcmp(item->declared_type, "text/html") == 0;
}

static void describe_part(struct al_item *item, GMimePart *part, gboolean root)
{
	GMimeObject *object = GMIME_OBJECT(part);
	GMimeContentType *content_type = g_mime_object_get_content_type(object);
	g_autofree char *type =
		content_type != NULL ? g_mime_content_type_get_mime_type(content_type) : NULL;
	const char *disposition = g_mime_object_get_disposition(object);
	const char *content_id = g_mime_object_get_content_id(object);

	item->filename = al_mime_decode_filename(g_mime_part_get_filename(part));
	if (item->filename != NULL && item->filename[0] == '\0')
		g_clear_pointer(&item->filename, g_free);
	item->declared_type = lower_valid(type != NULL ? type : "application/octet-stream");
	item->disposition = disposition != NULL ? lower_valid(disposition) : NULL;
	item->content_id = content_id != NULL ? g_utf8_make_valid(content_id, -1) : NULL;
	al_mime_check_names(item, object);
	item->is_body = shown_as_text(item, root);
}

/* Parts whose real content is somewhere we cannot look. */
static void flag_hidden_content(struct walk *w, GMimePart *part, struct al_item *item)
{
	const char *why = NULL;

	if (GMIME_IS_MESSAGE_PARTIAL(part) || strcmp(item->declared_type, "message/partial") == 0)
		why = "message/partial: a message split in fragments cannot be checked";
	else if (strcmp(item->declared_type, "message/external-body") == 0)
		why = "message/external-body: content stored outside the message cannot be checked";
	if (why == NULL)
		return;
	al_item_flag(item, AL_REASON_MALFORMED, "%s", why);
	al_message_flag(w->message, AL_REASON_MALFORMED, "%s", why);
}

static int add_part(struct walk *w, GMimePart *part, const char *path, gboolean root,
		    GError **error)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	struct al_item *item;

	if (!al_mime_count_part(w) || content == NULL)
		return 0;
	item = al_item_new();
	item->part = g_strdup(path);
	describe_part(item, part, root);
	al_mime_check_headers(w->message, GMIME_OBJECT(part), item);
	g_ptr_array_add(w->message->items, item);
	if (decode_into(w, g_mime_data_wrapper_get_stream(content),
			g_mime_data_wrapper_get_encoding(content), item, error) < 0)
		return -1;
	flag_hidden_content(w, part, item);
	if (!g_str_has_prefix(item->declared_type, "text/"))
		return 0;
	if (al_mime_find_uuencoded(w, item, error) < 0)
		return -1;
	return al_mime_find_yenc_base64(w, item, error);
}

static int walk_message(struct walk *w, GMimeMessage *message, const char *prefix, guint depth,
			GError **error);
static int walk_object(struct walk *w, GMimeObject *object, const char *path, guint depth,
		       gboolean root, GError **error);

/* Which child of a multipart in root position is in root position too:
 * every alternative, the root of multipart/related (its start
 * parameter, else the first part), the first part of any other. */
static gboolean child_is_root(GMimeMultipart *multipart, int index)
{
	GMimeContentType *type = g_mime_object_get_content_type(GMIME_OBJECT(multipart));
	const char *subtype = type != NULL ? g_mime_content_type_get_media_subtype(type) : NULL;
	const char *start = type != NULL ? g_mime_content_type_get_parameter(type, "start") : NULL;

	if (subtype != NULL && g_ascii_strcasecmp(subtype, "alternative") == 0)
		return TRUE;
	if (subtype != NULL && g_ascii_strcasecmp(subtype, "related") == 0 && start != NULL) {
		g_autofree char *id = g_strndup(start + (start[0] == '<'), strcspn(start, ">") -
							  (start[0] == '<'));
		const char *cid = g_mime_object_get_content_id(
			g_mime_multipart_get_part(multipart, index));

		return cid != NULL && strcmp(cid, id) == 0;
	}
	return index == 0;
}

static int walk_multipart(struct walk *w, GMimeMultipart *multipart, const char *path,
			  guint depth, gboolean root, GError **error)
{
	int count = g_mime_multipart_get_count(multipart);
	const char *boundary = g_mime_multipart_get_boundary(multipart);
	int rc = 0;

	al_mime_check_headers(w->message, GMIME_OBJECT(multipart), NULL);
	al_mime_check_multipart(w->message, multipart, w->boundaries);
	g_ptr_array_add(w->boundaries, (gpointer)(boundary != NULL ? boundary : ""));
	for (int i = 0; i < count && rc == 0; i++) {
		g_autofree char *child = *path != '\0' ? g_strdup_printf("%s.%d", path, i + 1)
						       : g_strdup_printf("%d", i + 1);

		rc = walk_object(w, g_mime_multipart_get_part(multipart, i), child, depth + 1,
				 root && child_is_root(multipart, i), error);
	}
	g_ptr_array_remove_index(w->boundaries, w->boundaries->len - 1);
	return rc;
}

static int walk_object(struct walk *w, GMimeObject *object, const char *path, guint depth,
		       gboolean root, GError **error)
{
	if (depth > w->limits->max_depth) {
		al_message_flag(w->message, AL_REASON_LIMITS, "MIME nesting deeper than %u levels",
				w->limits->max_depth);
		return 0;
	}
	if (GMIME_IS_MULTIPART(object))
		return walk_multipart(w, GMIME_MULTIPART(object), path, depth, root, error);
	if (GMIME_IS_MESSAGE_PART(object))
		return walk_message(w, g_mime_message_part_get_message(GMIME_MESSAGE_PART(object)),
				    path, depth + 1, error);
	if (GMIME_IS_PART(object)) {
		int rc = add_part(w, GMIME_PART(object), path, root, error);

		return rc < 0 ? rc : al_mime_unwrap(w, path, depth, walk_object, error);
	}
	return 0;
}

/* A message's body: a multipart numbers its children from prefix, a
 * single part is prefix.1 (IMAP). */
static int walk_message(struct walk *w, GMimeMessage *message, const char *prefix, guint depth,
			GError **error)
{
	GMimeObject *body = message != NULL ? g_mime_message_get_mime_part(message) : NULL;
	g_autofree char *path = NULL;

	if (body == NULL)
		return 0;
	al_mime_check_headers(w->message, GMIME_OBJECT(message), NULL);
	if (GMIME_IS_MULTIPART(body))
		return walk_object(w, body, prefix, depth, TRUE, error);
	path = *prefix != '\0' ? g_strdup_printf("%s.1", prefix) : g_strdup("1");
	return walk_object(w, body, path, depth, TRUE, error);
}

static const char *first_mailbox_of(InternetAddressList *list, gboolean enter_groups)
{
	int count = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < count; i++) {
		InternetAddress *address = internet_address_list_get_address(list, i);
		const char *addr = NULL;

		if (INTERNET_ADDRESS_IS_MAILBOX(address))
			addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
		else if (enter_groups && INTERNET_ADDRESS_IS_GROUP(address))
			addr = first_mailbox_of(internet_address_group_get_members(
							INTERNET_ADDRESS_GROUP(address)),
						FALSE);
		if (addr != NULL && *addr != '\0')
			return addr;
	}
	return NULL;
}

static void describe_message(struct al_message *message)
{
	const char *subject = g_mime_message_get_subject(message->message);
	const char *from = first_mailbox_of(g_mime_message_get_from(message->message), TRUE);

	message->subject = subject != NULL ? g_utf8_make_valid(subject, -1) : NULL;
	message->from = from != NULL ? g_utf8_make_valid(from, -1) : NULL;
}

static GMimeMessage *parse_stream(GMimeStream *stream)
{
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message;

	g_mime_parser_set_persist_stream(parser, TRUE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	message = g_mime_parser_construct_message(parser, parser_options);
	g_object_unref(parser);
	return message;
}

/* Nothing GMime recognises: check every byte as one opaque part. */
static int add_unparsed(struct walk *w, GMimeStream *stream, GError **error)
{
	struct al_item *item;

	al_message_flag(w->message, AL_REASON_MALFORMED,
			"no MIME structure could be parsed: the whole message is checked as one part");
	if (!al_mime_count_part(w))
		return 0;
	item = al_item_new();
	item->part = g_strdup("1");
	item->declared_type = g_strdup("application/octet-stream");
	g_ptr_array_add(w->message->items, item);
	return decode_into(w, stream, GMIME_CONTENT_ENCODING_DEFAULT, item, error);
}

static int parse_and_walk(struct walk *w, GMimeStream *stream, GError **error)
{
	struct al_message *message = w->message;

	message->message = parse_stream(stream);
	if (message->message == NULL)
		return add_unparsed(w, stream, error);
	describe_message(message);
	if (walk_message(w, message->message, "", 1, error) < 0)
		return -1;
	return al_mime_mark_cid_references(w, error);
}

struct al_message *al_mime_parse(GMimeStream *stream, const struct al_mime_limits *limits,
				 GError **error)
{
	struct walk w = { .limits = limits };
	struct al_message *result = NULL;
	guint64 content_types = 0;
	guint64 size = 0;

	al_mime_global_init();
	w.buf = g_malloc(CHUNK_BYTES);
	w.boundaries = g_ptr_array_new();
	w.message = g_new(struct al_message, 1);
	*w.message = (struct al_message){
		.items = g_ptr_array_new_with_free_func(al_item_free_ptr),
		.details = g_ptr_array_new_with_free_func(g_free),
	};
	if (prescan(stream, w.buf, &content_types, &size, error) < 0)
		goto out;
	if (size == 0)
		al_message_flag(w.message, AL_REASON_MALFORMED, "empty message");
	else if (content_types > (guint64)limits->max_parts * 2 + 16)
		al_message_flag(w.message, AL_REASON_LIMITS, "more than %u MIME parts",
				limits->max_parts);
	else if (parse_and_walk(&w, stream, error) < 0)
		goto out;
	result = g_steal_pointer(&w.message);
out:
	al_message_free(&w.message);
	g_ptr_array_unref(w.boundaries);
	g_free(w.buf);
	return result;
}

void al_message_free(struct al_message **message)
{
	struct al_message *m = *message;

	if (m == NULL)
		return;
	g_clear_pointer(&m->items, g_ptr_array_unref);
	g_clear_pointer(&m->details, g_ptr_array_unref);
	g_free(m->subject);
	g_free(m->from);
	g_clear_object(&m->message);
	g_free(m);
	*message = NULL;
}
