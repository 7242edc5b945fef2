/*
 * origin.h - is this message from a sender we can trust?
 *
 * Known origin when any of (DESIGN.md, Origin):
 *  - the client authenticated (SMTP AUTH user present);
 *  - the client address is in internal_networks;
 *  - the From address (or its domain) is in trusted_senders, or is a
 *    learned correspondent, AND an Authentication-Results header of the
 *    top-level message whose authserv-id equals ours reports dkim=pass
 *    with header.d aligned with the From domain, or spf=pass with an
 *    smtp.mailfrom domain aligned with it. authserv_id unset: no such
 *    header is trusted.
 * Everything else is unknown origin. `why` says which rule decided, in a
 * sentence for the admin.
 *
 * Pure: no I/O. Learned correspondents are asked through a callback so
 * the store stays out of this module.
 */
#ifndef AIRLOCK_ORIGIN_H
#define AIRLOCK_ORIGIN_H

#include "airlock/config.h"

#include <glib.h>

/* What the MTA told us about the SMTP session. Strings may be NULL. */
struct al_smtp_context {
	const char *queue_id;
	const char *client_addr; /* "192.0.2.1", "2001:db8::1" */
	const char *client_name;
	const char *helo;
	const char *auth_user; /* SMTP AUTH login, NULL if none */
	const char *envelope_from;
	const char *const *recipients; /* NULL-terminated, may be NULL */
};

struct al_origin {
	gboolean known;
	char *why; /* transfer full, freed by al_origin_clear() */
};

/* Returns TRUE if address (lower case) is a learned correspondent. */
typedef gboolean (*al_origin_learned_fn)(const char *address, void *context);

/*
 * Decides the origin. from_address: the From header's addr-spec (NULL to
 * use the envelope sender). authres_values: the raw values of the
 * top-level Authentication-Results headers, NULL-terminated (may be
 * NULL). learned may be NULL.
 */
void al_origin_decide(const struct al_config *config, const struct al_smtp_context *smtp,
		      const char *from_address, const char *const *authres_values,
		      al_origin_learned_fn learned, void *learned_context,
		      struct al_origin *origin_r);

void al_origin_clear(struct al_origin *origin);

/* The lower-case domain of an address ("a@B.org" -> "b.org"), transfer
 * full, NULL if there is no '@'. */
char *al_address_domain(const char *address);

/* TRUE when domain equals parent or is a subdomain of it (relaxed
 * alignment). Both lower case. */
gboolean al_domain_aligned(const char *domain, const char *parent);

#endif
