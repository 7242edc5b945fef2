/*
 * http.c - libmicrohttpd glue: one struct web_request per request (query
 * and form fields, language, client address), the routes, and one place
 * (send_reply) that adds the security headers to every answer:
 *
 *   Content-Security-Policy  nothing but inline styles (and inline
 *                            images for the report), forms to this site
 *   X-Frame-Options DENY, Referrer-Policy no-referrer (the staff links
 *   carry their token in the path), Cache-Control no-store,
 *   X-Content-Type-Options nosniff.
 *
 * Only GET and POST; POST bodies are application/x-www-form-urlencoded
 * of at most WEB_MAX_BODY_BYTES (the forms are small).
 */
#include "web.h"

#include "log.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#define WEB_MAX_BODY_BYTES (64 * 1024)
#define WEB_CONNECTION_LIMIT 64
#define WEB_TIMEOUT_SECONDS 60

static const char csp[] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
			  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static void add_value(GHashTable *table, const char *name, const char *value)
{
	GPtrArray *values = g_hash_table_lookup(table, name);

	if (values == NULL) {
		values = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(table, g_strdup(name), values);
	}
	g_ptr_array_add(values, g_strdup(value != NULL ? value : ""));
}

static GHashTable *new_fields(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)g_ptr_array_unref);
}

static const char *first(GHashTable *table, const char *name)
{
	GPtrArray *values = table != NULL ? g_hash_table_lookup(table, name) : NULL;

	return values != NULL && values->len > 0 ? values->pdata[0] : NULL;
}

const char *web_query(const struct web_request *req, const char *name)
{
	return first(req->query, name);
}

const char *web_field(const struct web_request *req, const char *name)
{
	return first(req->form, name);
}

const char **web_field_all(const struct web_request *req, const char *name)
{
	GPtrArray *values = req->form != NULL ? g_hash_table_lookup(req->form, name) : NULL;
	const char **all = g_new0(const char *, (values != NULL ? values->len : 0) + 1);

	for (guint i = 0; values != NULL && i < values->len; i++)
		all[i] = values->pdata[i];
	return all;
}

const char *web_cookie(const struct web_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_COOKIE_KIND, name);
}

void web_reply_cookie(struct web_reply *reply, const char *cookie)
{
	g_ptr_array_add(reply->cookies, g_strdup(cookie));
}

static enum MHD_Result on_query(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	add_value(cls, key, value);
	return MHD_YES;
}

static enum MHD_Result on_post(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	struct web_request *req = cls;
	GPtrArray *values = g_hash_table_lookup(req->form, key);

	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
	if (off > 0 && values != NULL && values->len > 0) {
		/* The rest of a long value: append to the last one. */
		char *old = values->pdata[values->len - 1];

		values->pdata[values->len - 1] = g_strdup_printf("%s%.*s", old, (int)size, data);
		g_free(old);
		return MHD_YES;
	}
	{
		g_autofree char *value = g_strndup(data, size);

		add_value(req->form, key, value);
	}
	return MHD_YES;
}

static char *client_ip(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[NI_MAXHOST];
	socklen_t len;

	if (info == NULL || info->client_addr == NULL)
		return g_strdup("unknown");
	len = info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						       : sizeof(struct sockaddr_in);
	if (getnameinfo(info->client_addr, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		return g_strdup("unknown");
	return g_strdup(host);
}

/* Behind a reverse proxy on this machine, the proxy's X-Real-IP names
 * the client (only a loopback peer is believed). */
static void set_client(struct web_request *req)
{
	g_autofree char *peer = client_ip(req->connection);
	const char *real = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
						       "X-Real-IP");
	gboolean loopback = g_str_has_prefix(peer, "127.") || g_str_equal(peer, "::1");

	if (loopback && real != NULL && real[0] != '\0' && strlen(real) < 64 &&
	    strspn(real, "0123456789abcdefABCDEF.:") == strlen(real)) {
		req->ip = g_strdup(real);
		req->from = g_strdup_printf("web %s via %s", real, peer);
	} else {
		req->ip = g_strdup(peer);
		req->from = g_strdup_printf("web %s", peer);
	}
}

/* ?lang=, then the cookie, then Accept-Language (the first of fr/en). */
static void set_language(struct web_request *req)
{
	const char *asked = web_query(req, "lang");
	const char *cookie = web_cookie(req, "al_lang");
	const char *accept = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
							 "Accept-Language");

	if (asked != NULL && (g_str_equal(asked, "fr") || g_str_equal(asked, "en"))) {
		req->lang = g_str_equal(asked, "fr") ? "fr" : "en";
		req->lang_switched = TRUE;
		return;
	}
	if (cookie != NULL && (g_str_equal(cookie, "fr") || g_str_equal(cookie, "en"))) {
		req->lang = g_str_equal(cookie, "fr") ? "fr" : "en";
		return;
	}
	req->lang = "en";
	if (accept != NULL) {
		g_autofree char *lower = g_ascii_strdown(accept, -1);
		const char *fr = strstr(lower, "fr");
		const char *en = strstr(lower, "en");

		if (fr != NULL && (en == NULL || fr < en))
			req->lang = "fr";
	}
}

static struct web_request *request_new(struct web *web, struct MHD_Connection *connection,
				       const char *url, const char *method)
{
	struct web_request *req = g_new0(struct web_request, 1);

	req->web = web;
	req->connection = connection;
	req->method = g_strdup(method);
	req->path = g_strdup(url);
	req->query = new_fields();
	req->form = new_fields();
	MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, on_query, req->query);
	set_language(req);
	set_client(req);
	return req;
}

static void request_free(struct web_request *req)
{
	if (req == NULL)
		return;
	if (req->post != NULL)
		MHD_destroy_post_processor(req->post);
	g_hash_table_unref(req->query);
	g_hash_table_unref(req->form);
	g_free(req->method);
	g_free(req->path);
	g_free(req->ip);
	g_free(req->from);
	g_free(req);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)connection, (void)toe;
	request_free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result send_reply(struct web_request *req, struct web_reply *reply)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(
		reply->body->len, reply->body->str, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (response == NULL)
		return MHD_NO;
	MHD_add_response_header(response, "Content-Type",
				reply->content_type != NULL ? reply->content_type
							    : "text/html; charset=utf-8");
	MHD_add_response_header(response, "Content-Security-Policy", csp);
	MHD_add_response_header(response, "X-Frame-Options", "DENY");
	MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(response, "Cache-Control", "no-store");
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
	if (reply->retry_after != NULL)
		MHD_add_response_header(response, "Retry-After", reply->retry_after);
	if (reply->location != NULL)
		MHD_add_response_header(response, "Location", reply->location);
	if (req->lang_switched) {
		g_autofree char *cookie = g_strdup_printf(
			"al_lang=%s; Path=/; Max-Age=31536000; SameSite=Lax%s", req->lang,
			req->web->secure_cookies ? "; Secure" : "");

		MHD_add_response_header(response, "Set-Cookie", cookie);
	}
	for (guint i = 0; i < reply->cookies->len; i++)
		MHD_add_response_header(response, "Set-Cookie", reply->cookies->pdata[i]);
	rc = MHD_queue_response(req->connection, reply->status, response);
	MHD_destroy_response(response);
	return rc;
}

static void home(struct web_request *req, struct web_reply *reply)
{
	web_page_simple(req, reply, MHD_HTTP_OK, L(req, "Quarantine", "Quarantaine"),
			L(req,
			  "Open the link in your latest quarantine notice or daily summary to see "
			  "what was kept for you. Administrators: /admin.",
			  "Ouvrez le lien de votre dernier avis de quarantaine ou du résumé "
			  "quotidien pour voir ce qui a été retenu pour vous. Administrateurs : "
			  "/admin."));
}

static void admin_route(struct web_request *req, struct web_reply *reply)
{
	const char *p = req->path;
	gboolean post = g_str_equal(req->method, "POST");
	g_autofree char *name = NULL;
	g_autofree char *csrf = NULL;
	struct web_admin a = { 0 };

	if (post && g_str_equal(p, "/admin/login")) {
		web_admin_login(req, reply);
		return;
	}
	name = web_admin_session(req, reply, &csrf);
	if (name == NULL)
		return;
	a = (struct web_admin){ .name = name, .csrf = csrf,
				.actor = { .kind = AL_ACTOR_ADMIN, .name = name,
					   .from = req->from } };
	if (post && g_str_equal(p, "/admin/logout"))
		web_admin_logout(req, reply);
	else if (post && g_str_equal(p, "/admin/approve"))
		web_admin_approve(req, reply, &a);
	else if (post && g_str_equal(p, "/admin/deny"))
		web_admin_deny(req, reply, &a);
	else if (post && g_str_equal(p, "/admin/release"))
		web_admin_release(req, reply, &a);
	else if (post && g_str_equal(p, "/admin/delete"))
		web_admin_delete(req, reply, &a);
	else if (!post && (g_str_equal(p, "/admin") || g_str_equal(p, "/admin/")))
		web_admin_requests(req, reply, &a);
	else if (!post && g_str_equal(p, "/admin/list"))
		web_admin_list(req, reply, &a);
	else if (!post && g_str_equal(p, "/admin/message"))
		web_admin_message(req, reply, &a);
	else if (!post && g_str_equal(p, "/admin/report"))
		web_admin_report(req, reply, &a);
	else
		web_page_not_found(req, reply);
}

static void route(struct web_request *req, struct web_reply *reply)
{
	const char *p = req->path;

	if (req->body_too_big) {
		web_page_simple(req, reply, MHD_HTTP_CONTENT_TOO_LARGE,
				L(req, "Too large", "Trop volumineux"),
				L(req, "This form is too large.", "Ce formulaire est trop long."));
	} else if (g_str_has_prefix(p, "/r/") && strchr(p + 3, '/') == NULL) {
		web_staff(req, reply, p + 3);
	} else if (g_str_equal(p, "/admin") || g_str_has_prefix(p, "/admin/")) {
		admin_route(req, reply);
	} else if (g_str_equal(p, "/") && g_str_equal(req->method, "GET")) {
		home(req, reply);
	} else {
		web_page_not_found(req, reply);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct web_request *req = *con_cls;
	struct web_reply reply = { .status = MHD_HTTP_OK };
	enum MHD_Result rc;

	(void)version;
	if (req == NULL) {
		if (!g_str_equal(method, "GET") && !g_str_equal(method, "POST") &&
		    !g_str_equal(method, "HEAD"))
			return MHD_NO;
		req = request_new(cls, connection, url, method);
		*con_cls = req;
		if (g_str_equal(method, "POST"))
			req->post = MHD_create_post_processor(connection, 4096, on_post, req);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		req->body_bytes += *upload_data_size;
		if (req->body_bytes > WEB_MAX_BODY_BYTES || req->post == NULL)
			req->body_too_big = TRUE;
		else if (MHD_post_process(req->post, upload_data, *upload_data_size) != MHD_YES)
			req->body_too_big = TRUE;
		*upload_data_size = 0;
		return MHD_YES;
	}
	reply.body = g_string_new(NULL);
	reply.cookies = g_ptr_array_new_with_free_func(g_free);
	route(req, &reply);
	rc = send_reply(req, &reply);
	g_string_free(reply.body, TRUE);
	g_ptr_array_unref(reply.cookies);
	g_free(reply.retry_after);
	g_free(reply.location);
	return rc;
}

struct MHD_Daemon *web_http_start(struct web *web, int listen_fd)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem options[] = {
		{ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, WEB_CONNECTION_LIMIT, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, WEB_TIMEOUT_SECONDS, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL },
		{ MHD_OPTION_END, 0, NULL }, /* or the certificate */
		{ MHD_OPTION_END, 0, NULL }, /* or the key */
		{ MHD_OPTION_END, 0, NULL },
	};

	if (web->tls) {
		flags |= MHD_USE_TLS;
		options[4] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						      web->tls_certificate_pem };
		options[5] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						      web->tls_key_pem };
	}
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, web, MHD_OPTION_ARRAY, options,
				MHD_OPTION_END);
}
