/*
 * json.c - verdicts as one-line JSON objects (DESIGN.md, airlockctl check
 * --json).
 *
 * Every string goes through al_json_append_string(): quotes, backslashes
 * and control characters are escaped, and bytes that are not valid UTF-8
 * are replaced, so a hostile file name cannot break the line or the
 * consumer's parser.
 */
#include "airlock/json.h"

static void append_escaped_char(GString *out, gunichar c)
{
	switch (c) {
	case '"':
		g_string_append(out, "\\\"");
		break;
	case '\\':
		g_string_append(out, "\\\\");
		break;
	case '\n':
		g_string_append(out, "\\n");
		break;
	case '\r':
		g_string_append(out, "\\r");
		break;
	case '\t':
		g_string_append(out, "\\t");
		break;
	default:
		/* Controls, and the line/paragraph separators that break JS. */
		if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029)
			g_string_append_printf(out, "\\u%04x", (unsigned)c);
		else
			g_string_append_unichar(out, c);
	}
}

void al_json_append_string(GString *out, const char *s)
{
	g_autofree char *valid = NULL;

	if (s == NULL) {
		g_string_append(out, "null");
		return;
	}
	valid = g_utf8_make_valid(s, -1);
	g_string_append_c(out, '"');
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p))
		append_escaped_char(out, g_utf8_get_char(p));
	g_string_append_c(out, '"');
}

static void append_member(GString *out, const char *name, const char *value)
{
	g_string_append_printf(out, "\"%s\":", name);
	al_json_append_string(out, value);
}

void al_json_append_reasons(GString *out, al_reason_set set)
{
	gboolean first = TRUE;

	g_string_append_c(out, '[');
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		if (!(set & AL_REASON_BIT(r)))
			continue;
		g_string_append_printf(out, "%s\"%s\"", first ? "" : ",", al_reason_name(r));
		first = FALSE;
	}
	g_string_append_c(out, ']');
}

static void append_reasons(GString *out, al_reason_set set)
{
	g_string_append(out, "\"reasons\":");
	al_json_append_reasons(out, set);
}

void al_json_append_strings(GString *out, const GPtrArray *strings)
{
	g_string_append_c(out, '[');
	for (guint i = 0; strings != NULL && i < strings->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		al_json_append_string(out, strings->pdata[i]);
	}
	g_string_append_c(out, ']');
}

static void append_string_array(GString *out, const char *name, const GPtrArray *strings)
{
	g_string_append_printf(out, "\"%s\":", name);
	al_json_append_strings(out, strings);
}

static void append_inner(GString *out, const struct al_inner *inner)
{
	g_string_append_c(out, '{');
	append_member(out, "path", inner->path);
	g_string_append_c(out, ',');
	append_member(out, "type", inner->clamav_type);
	g_string_append_c(out, ',');
	append_member(out, "detected_type", inner->detected_type);
	g_string_append_printf(out, ",\"depth\":%u,\"size\":%" G_GSIZE_FORMAT ",\"encrypted\":%s,",
			       inner->depth, inner->size, inner->encrypted ? "true" : "false");
	append_reasons(out, inner->reasons);
	if (inner->detail != NULL) {
		g_string_append_c(out, ',');
		append_member(out, "detail", inner->detail);
	}
	g_string_append_c(out, '}');
}

void al_json_append_inner(GString *out, const GPtrArray *inner)
{
	g_string_append_c(out, '[');
	for (guint i = 0; inner != NULL && i < inner->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		append_inner(out, inner->pdata[i]);
	}
	g_string_append_c(out, ']');
}

static void append_item(GString *out, const struct al_item *item)
{
	g_string_append_c(out, '{');
	append_member(out, "part", item->part);
	g_string_append_c(out, ',');
	append_member(out, "filename", item->filename);
	g_string_append_c(out, ',');
	append_member(out, "declared_type", item->declared_type);
	g_string_append_c(out, ',');
	append_member(out, "detected_type", item->detected_type);
	g_string_append_printf(out, ",\"size\":%" G_GSIZE_FORMAT ",\"body\":%s,\"verdict\":\"%s\",",
			       item->content.size, item->is_body ? "true" : "false",
			       item->quarantine ? "quarantine" : "clean");
	append_reasons(out, item->reasons);
	g_string_append_c(out, ',');
	append_string_array(out, "details", item->details);
	g_string_append_c(out, ',');
	append_string_array(out, "viruses", item->virus_names);
	g_string_append(out, ",\"inner\":");
	al_json_append_inner(out, item->inner);
	g_string_append_c(out, '}');
}

void al_json_append_verdict(GString *out, const char *file, const struct al_verdict *verdict)
{
	const struct al_message *message = verdict->message;

	g_string_append_c(out, '{');
	if (file != NULL) {
		append_member(out, "file", file);
		g_string_append_c(out, ',');
	}
	g_string_append_printf(out, "\"action\":\"%s\",", al_action_name(verdict->action));
	append_reasons(out, verdict->reasons);
	g_string_append(out, ",\"origin\":{");
	g_string_append_printf(out, "\"known\":%s,", verdict->origin.known ? "true" : "false");
	append_member(out, "why", verdict->origin.why);
	g_string_append(out, "},");
	append_member(out, "subject", message->subject);
	g_string_append_c(out, ',');
	append_member(out, "from", message->from);
	g_string_append_c(out, ',');
	append_string_array(out, "message_details", message->details);
	g_string_append_printf(out,
			       ",\"times_us\":{\"parse\":%" G_GINT64_FORMAT ",\"typeid\":%" G_GINT64_FORMAT
			       ",\"scan\":%" G_GINT64_FORMAT ",\"policy\":%" G_GINT64_FORMAT "}",
			       verdict->times.parse_us, verdict->times.typeid_us, verdict->times.scan_us,
			       verdict->times.policy_us);
	g_string_append(out, ",\"items\":[");
	for (guint i = 0; i < message->items->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		append_item(out, message->items->pdata[i]);
	}
	g_string_append(out, "]}");
}
