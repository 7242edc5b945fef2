/*
 * filter.c - libmilter callbacks: collect the SMTP context, the envelope,
 * the headers and the body into a spool; at end of message hand
 * everything to act.c.
 *
 * Nothing here decides anything. Failures while collecting (spool full)
 * are remembered and answered at end of message, where the configured
 * on_error applies (tempfail by default): a message is never accepted
 * because it could not be stored or read.
 */
#include "filter.h"
#include "state.h"

#include "act.h"
#include "log.h"
#include "ops.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

static struct connection_state *connection(SMFICTX *ctx)
{
	return milter_ops->getpriv(ctx);
}

static void message_free(struct message_state **message)
{
	struct message_state *m = *message;

	if (m == NULL)
		return;
	al_spool_free(&m->spool);
	g_clear_error(&m->spool_error);
	g_free(m->queue_id);
	g_free(m->envelope_from);
	g_free(m->auth_user);
	g_ptr_array_unref(m->recipients);
	g_ptr_array_unref(m->release_headers);
	runtime_release_message(&m->rt);
	g_free(m);
	*message = NULL;
}

static void connection_free(struct connection_state **conn)
{
	struct connection_state *c = *conn;

	if (c == NULL)
		return;
	message_free(&c->message);
	g_free(c->client_addr);
	g_free(c->client_name);
	g_free(c->helo);
	g_free(c);
	*conn = NULL;
}

static char *address_text(const struct sockaddr *addr)
{
	char text[INET6_ADDRSTRLEN] = "";

	if (addr == NULL)
		return NULL;
	if (addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)addr)->sin_addr, text,
			  sizeof(text));
	else if (addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr,
			  text, sizeof(text));
	return text[0] != '\0' ? g_strdup(text) : NULL;
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long actions, unsigned long protocol,
			     unsigned long unused2, unsigned long unused3, unsigned long *actions_r,
			     unsigned long *protocol_r, unsigned long *unused2_r,
			     unsigned long *unused3_r)
{
	const unsigned long wanted = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
	struct connection_state *conn = g_new0(struct connection_state, 1);

	(void)unused2;
	(void)unused3;
	if ((actions & wanted) != wanted) {
		log_msg(LOG_ERR, "the MTA does not allow adding and changing headers and body: "
				 "refusing to filter");
		g_free(conn);
		return SMFIS_REJECT;
	}
	*actions_r = wanted;
	/* No answer to each header and body chunk: the MTA streams the
	 * message instead of waiting for a round trip per line of headers
	 * and per chunk (libmilter answers itself for an MTA that cannot). */
	*protocol_r = protocol & (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_HDR |
				  SMFIP_NR_EOH | SMFIP_NR_BODY);
	*unused2_r = 0;
	*unused3_r = 0;
	conn->header_leading_space = (*protocol_r & SMFIP_HDR_LEADSPC) != 0;
	conn->no_reply = *protocol_r & (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
	milter_ops->setpriv(ctx, conn);
	return SMFIS_CONTINUE;
}

static sfsistat on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct connection_state *conn = connection(ctx);

	if (conn == NULL) {
		conn = g_new0(struct connection_state, 1);
		milter_ops->setpriv(ctx, conn);
	}
	g_free(conn->client_name);
	g_free(conn->client_addr);
	conn->client_name = g_strdup(hostname);
	conn->client_addr = address_text(hostaddr);
	if (conn->client_addr == NULL)
		conn->client_addr = g_strdup(milter_ops->getsymval(ctx, "{client_addr}"));
	return SMFIS_CONTINUE;
}

static sfsistat on_helo(SMFICTX *ctx, char *helo)
{
	struct connection_state *conn = connection(ctx);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	g_free(conn->helo);
	conn->helo = g_strdup(helo);
	return SMFIS_CONTINUE;
}

static char *strip_angles(const char *address)
{
	gsize len;

	if (address == NULL)
		return NULL;
	len = strlen(address);
	if (len >= 2 && address[0] == '<' && address[len - 1] == '>')
		return g_strndup(address + 1, len - 2);
	return g_strdup(address);
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	struct connection_state *conn = connection(ctx);
	struct message_state *m;

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	message_free(&conn->message);
	m = g_new0(struct message_state, 1);
	conn->message = m;
	m->rt = runtime_acquire_message();
	if (m->rt == NULL) { /* no engine: a load failed with concurrent_reload = false */
		state_count(1, 0, 1);
		return SMFIS_TEMPFAIL;
	}
	m->spool = al_spool_new(m->rt->config->spool_dir, m->rt->config->memory_threshold_bytes);
	m->recipients = g_ptr_array_new_with_free_func(g_free);
	m->release_headers = g_ptr_array_new_with_free_func(g_free);
	m->envelope_from = strip_angles(argv[0]);
	m->queue_id = g_strdup(milter_ops->getsymval(ctx, "i"));
	m->auth_user = g_strdup(milter_ops->getsymval(ctx, "{auth_authen}"));
	m->header_leading_space = conn->header_leading_space;
	return SMFIS_CONTINUE;
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct connection_state *conn = connection(ctx);

	if (conn == NULL || conn->message == NULL)
		return SMFIS_TEMPFAIL;
	g_ptr_array_add(conn->message->recipients, strip_angles(argv[0]));
	return SMFIS_CONTINUE;
}

/* Appends to the spool unless it already failed or the message is past
 * max_message_size (then the rest is only counted, not kept). */
static void spool_append(struct message_state *m, const void *data, gsize len)
{
	if (m->spool_error != NULL || m->too_big)
		return;
	if (al_spool_size(m->spool) + len > m->rt->config->max_message_bytes) {
		m->too_big = TRUE;
		return;
	}
	al_spool_write(m->spool, data, len, &m->spool_error);
}

/* The answer to a header, the end of headers or a body chunk: none when
 * the MTA expects none for that step (a message we have no state for is
 * then tempfailed at its end, by on_eom), else continue or tempfail. */
static sfsistat taken(const struct connection_state *conn, unsigned long no_reply_step,
		      gboolean ok)
{
	if (conn != NULL && (conn->no_reply & no_reply_step) != 0)
		return SMFIS_NOREPLY;
	return ok ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	struct connection_state *conn = connection(ctx);
	struct message_state *m = conn != NULL ? conn->message : NULL;
	g_autofree char *line = NULL;

	if (m == NULL)
		return taken(conn, SMFIP_NR_HDR, FALSE);
	if (g_ascii_strcasecmp(name, "X-Airlock") == 0)
		m->x_airlock_headers++;
	else if (g_ascii_strcasecmp(name, "X-Airlock-Release") == 0)
		g_ptr_array_add(m->release_headers, g_strdup(value));
	line = g_strdup_printf("%s:%s%s\r\n", name, m->header_leading_space ? "" : " ", value);
	spool_append(m, line, strlen(line));
	return taken(conn, SMFIP_NR_HDR, TRUE);
}

static sfsistat on_eoh(SMFICTX *ctx)
{
	struct connection_state *conn = connection(ctx);

	if (conn == NULL || conn->message == NULL)
		return taken(conn, SMFIP_NR_EOH, FALSE);
	spool_append(conn->message, "\r\n", 2);
	return taken(conn, SMFIP_NR_EOH, TRUE);
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct connection_state *conn = connection(ctx);

	if (conn == NULL || conn->message == NULL)
		return taken(conn, SMFIP_NR_BODY, FALSE);
	spool_append(conn->message, data, len);
	return taken(conn, SMFIP_NR_BODY, TRUE);
}

static sfsistat on_eom(SMFICTX *ctx)
{
	struct connection_state *conn = connection(ctx);
	struct act_input input;
	sfsistat status;

	if (conn == NULL || conn->message == NULL)
		return SMFIS_TEMPFAIL;
	/* Postfix names the queue file only after the first valid RCPT: the
	 * id is missing at MAIL FROM but sent again at end of message. */
	if (conn->message->queue_id == NULL)
		conn->message->queue_id = g_strdup(milter_ops->getsymval(ctx, "i"));
	input = (struct act_input){
		.ctx = ctx,
		.message = conn->message,
		.client_addr = conn->client_addr,
		.client_name = conn->client_name,
		.helo = conn->helo,
	};
	status = act_on_message(&input);
	message_free(&conn->message);
	return status;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	struct connection_state *conn = connection(ctx);

	if (conn != NULL)
		message_free(&conn->message);
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	struct connection_state *conn = connection(ctx);

	connection_free(&conn);
	milter_ops->setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc filter_description = {
	.xxfi_name = "airlock",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
	.xxfi_connect = on_connect,
	.xxfi_helo = on_helo,
	.xxfi_envfrom = on_envfrom,
	.xxfi_envrcpt = on_envrcpt,
	.xxfi_header = on_header,
	.xxfi_eoh = on_eoh,
	.xxfi_body = on_body,
	.xxfi_eom = on_eom,
	.xxfi_abort = on_abort,
	.xxfi_close = on_close,
	.xxfi_negotiate = on_negotiate,
};
