/*
 * origin.c - is this message from a sender we can trust?
 *
 * SYNOPSIS
 *	al_origin_decide(config, smtp, from, authres_values, learned, ctx, &origin)
 *
 * DESCRIPTION
 *	The rules are tried in order and the first that applies decides:
 *	SMTP AUTH, then internal_networks, then "trusted sender
 *	authenticated by our own verifier". The sender is the From address
 *	given by the caller, else the envelope sender; angle brackets and
 *	case are dropped, and the bounce sender "<>" is no sender at all.
 *
 *	trusted_senders entries with an '@' match the whole address; other
 *	entries (and "@domain") match the sender's domain exactly, so a
 *	trusted "partner.example" does not cover "mail.partner.example".
 *	A learned correspondent (asked through the callback, with the
 *	lower-case address) is trusted the same way.
 *
 *	Trust needs proof that the mail really comes from that domain: an
 *	Authentication-Results value whose authserv-id is config->authserv_id
 *	with dkim=pass and a header.d aligned with the sender's domain, or
 *	spf=pass with an smtp.mailfrom domain aligned with it. Values that
 *	do not parse, carry another authserv-id, or report a pass for an
 *	unrelated domain prove nothing. A header.d or SPF domain with no
 *	inner dot ("com") is refused: it is a bare top-level domain, which
 *	alignment alone would accept for every sender under it.
 *
 *	The caller gives only the top-level message's headers: the copies
 *	inside an attached message/rfc822 are written by whoever sent it.
 *
 * DIAGNOSTICS
 *	origin->why always says which rule decided, or what was missing, in
 *	one sentence. Mail-supplied strings in it are cut to
 *	MAX_SHOWN_BYTES and made valid UTF-8; escaping is the output's job.
 */
#include "airlock/origin.h"

#include "airlock/authres.h"

#include <string.h>

#define MAX_SHOWN_BYTES 256

/* A mail-supplied string fit for a sentence: bounded, valid UTF-8. */
static char *shown(const char *text)
{
	gsize length = strlen(text);
	g_autofree char *valid = NULL;

	if (length <= MAX_SHOWN_BYTES)
		return g_utf8_make_valid(text, (gssize)length);
	valid = g_utf8_make_valid(text, MAX_SHOWN_BYTES);
	return g_strconcat(valid, "...", NULL);
}

static void set_origin(struct al_origin *origin, gboolean known, char *why)
{
	origin->known = known;
	origin->why = why;
}

/* Length of a domain without its trailing root dot. */
static gsize domain_length(const char *domain)
{
	gsize length = strlen(domain);

	if (length > 0 && domain[length - 1] == '.')
		length--;
	return length;
}

static gboolean domain_equal(const char *a, const char *b)
{
	gsize length = domain_length(a);

	return length > 0 && length == domain_length(b) && g_ascii_strncasecmp(a, b, length) == 0;
}

/* At least two labels: "example.com" yes, "com", ".com", "com." no. */
static gboolean has_inner_dot(const char *domain)
{
	gsize length = domain_length(domain);
	const char *dot = memchr(domain, '.', length);

	return dot != NULL && dot != domain && dot != domain + length - 1;
}

char *al_address_domain(const char *address)
{
	const char *at;

	if (address == NULL || (at = strrchr(address, '@')) == NULL || at[1] == '\0')
		return NULL;
	return g_ascii_strdown(at + 1, -1);
}

gboolean al_domain_aligned(const char *domain, const char *parent)
{
	gsize domain_len, parent_len;

	if (domain == NULL || parent == NULL)
		return FALSE;
	domain_len = domain_length(domain);
	parent_len = domain_length(parent);
	if (domain_len == 0 || parent_len == 0)
		return FALSE;
	if (domain_len == parent_len)
		return g_ascii_strncasecmp(domain, parent, parent_len) == 0;
	if (domain_len < parent_len + 2 || domain[domain_len - parent_len - 1] != '.')
		return FALSE;
	return g_ascii_strncasecmp(domain + domain_len - parent_len, parent, parent_len) == 0;
}

/* Lower case, without surrounding spaces and angle brackets; NULL when
 * nothing is left (no sender, or the bounce sender "<>"). */
static char *normalize_sender(const char *address)
{
	const char *start = address, *end;

	if (address == NULL)
		return NULL;
	end = start + strlen(start);
	while (start < end && g_ascii_isspace(*start))
		start++;
	while (end > start && g_ascii_isspace(end[-1]))
		end--;
	if (start < end && *start == '<')
		start++;
	if (end > start && end[-1] == '>')
		end--;
	while (start < end && g_ascii_isspace(*start))
		start++;
	while (end > start && g_ascii_isspace(end[-1]))
		end--;
	if (start == end)
		return NULL;
	return g_ascii_strdown(start, end - start);
}

static gboolean is_trusted_sender(const struct al_config *config, const char *sender,
				  const char *domain)
{
	if (config->trusted_senders == NULL)
		return FALSE;
	for (char **entry = config->trusted_senders; *entry != NULL; entry++) {
		const char *e = *entry;

		if (e[0] == '@') {
			if (domain_equal(domain, e + 1))
				return TRUE;
		} else if (strchr(e, '@') != NULL) {
			if (g_ascii_strcasecmp(e, sender) == 0)
				return TRUE;
		} else if (domain_equal(domain, e)) {
			return TRUE;
		}
	}
	return FALSE;
}

/* The domain SPF checked: smtp.mailfrom is an address or a bare domain. */
static char *mailfrom_domain(const char *mailfrom)
{
	g_autofree char *address = normalize_sender(mailfrom);

	if (address == NULL)
		return NULL;
	if (strchr(address, '@') == NULL)
		return g_steal_pointer(&address);
	return al_address_domain(address);
}

/* Evidence that result authenticates domain, as a phrase for `why`, or
 * NULL. */
static char *pass_evidence(const struct al_authres_result *result, const char *domain)
{
	g_autofree char *spf_domain = NULL;
	g_autofree char *text = NULL;

	if (strcmp(result->result, "pass") != 0)
		return NULL;
	if (strcmp(result->method, "dkim") == 0 && result->header_d != NULL &&
	    has_inner_dot(result->header_d) && al_domain_aligned(domain, result->header_d)) {
		text = shown(result->header_d);
		return g_strdup_printf("dkim=pass for d=%s", text);
	}
	if (strcmp(result->method, "spf") != 0 || result->smtp_mailfrom == NULL)
		return NULL;
	spf_domain = mailfrom_domain(result->smtp_mailfrom);
	if (spf_domain == NULL || !has_inner_dot(spf_domain) ||
	    !al_domain_aligned(domain, spf_domain))
		return NULL;
	text = shown(result->smtp_mailfrom);
	return g_strdup_printf("spf=pass for smtp.mailfrom=%s", text);
}

/* Looks through the values for a pass from our authserv-id. Sets
 * *seen_r when at least one value carried our authserv-id. */
static char *find_pass(const char *const *values, const char *authserv_id, const char *domain,
		       gboolean *seen_r)
{
	char *evidence = NULL;

	*seen_r = FALSE;
	for (gsize i = 0; values != NULL && values[i] != NULL && evidence == NULL; i++) {
		struct al_authres *authres = al_authres_parse(values[i]);

		if (authres == NULL)
			continue;
		if (g_ascii_strcasecmp(authres->authserv_id, authserv_id) == 0) {
			*seen_r = TRUE;
			for (guint r = 0; r < authres->results->len && evidence == NULL; r++)
				evidence = pass_evidence(authres->results->pdata[r], domain);
		}
		al_authres_free(&authres);
	}
	return evidence;
}

/* Rule 3: a trusted sender, authenticated by our own verifier. */
static void decide_by_sender(const struct al_config *config, const char *from,
			     const char *const *authres_values, al_origin_learned_fn learned,
			     void *learned_context, struct al_origin *origin)
{
	g_autofree char *sender = normalize_sender(from);
	g_autofree char *domain = NULL, *who = NULL, *what = NULL, *evidence = NULL;
	const char *label = "";
	gboolean seen;

	if (sender == NULL) {
		set_origin(origin, FALSE, g_strdup("no sender address"));
		return;
	}
	who = shown(sender);
	domain = al_address_domain(sender);
	if (domain == NULL) {
		set_origin(origin, FALSE, g_strdup_printf("sender address %s has no domain", who));
		return;
	}
	if (!is_trusted_sender(config, sender, domain)) {
		if (learned == NULL || !learned(sender, learned_context)) {
			set_origin(origin, FALSE, g_strdup_printf("sender %s is not trusted", who));
			return;
		}
		label = " (learned correspondent)";
	}
	if (config->authserv_id == NULL) {
		set_origin(origin, FALSE,
			   g_strdup_printf("trusted sender %s%s but authserv_id is not configured, so "
					   "no authentication result can be trusted", who, label));
		return;
	}
	evidence = find_pass(authres_values, config->authserv_id, domain, &seen);
	if (evidence != NULL) {
		set_origin(origin, TRUE, g_strdup_printf("trusted sender %s%s, %s (authserv-id %s)",
							 who, label, evidence, config->authserv_id));
		return;
	}
	what = shown(domain);
	set_origin(origin, FALSE,
		   g_strdup_printf("trusted sender %s%s but no dkim or spf pass for %s from %s%s", who,
				   label, what, config->authserv_id,
				   seen ? "" : " (no Authentication-Results header with that authserv-id)"));
}

void al_origin_decide(const struct al_config *config, const struct al_smtp_context *smtp,
		      const char *from_address, const char *const *authres_values,
		      al_origin_learned_fn learned, void *learned_context,
		      struct al_origin *origin_r)
{
	static const struct al_smtp_context no_smtp = { .queue_id = NULL };
	g_autofree char *text = NULL;

	if (smtp == NULL)
		smtp = &no_smtp;
	if (smtp->auth_user != NULL && smtp->auth_user[0] != '\0') {
		text = shown(smtp->auth_user);
		set_origin(origin_r, TRUE, g_strdup_printf("client authenticated as %s", text));
		return;
	}
	if (smtp->client_addr != NULL && config->internal_networks != NULL &&
	    al_cidr_list_contains(config->internal_networks, smtp->client_addr)) {
		text = shown(smtp->client_addr);
		set_origin(origin_r, TRUE, g_strdup_printf("client %s is in internal_networks", text));
		return;
	}
	decide_by_sender(config, from_address != NULL ? from_address : smtp->envelope_from,
			 authres_values, learned, learned_context, origin_r);
}

void al_origin_clear(struct al_origin *origin)
{
	if (origin == NULL)
		return;
	g_clear_pointer(&origin->why, g_free);
	origin->known = FALSE;
}
