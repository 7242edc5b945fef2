/*
 * authres.h - parsing Authentication-Results header values (RFC 8601).
 *
 * Only what origin needs: the authserv-id, and for each method result
 * (dkim, spf, dmarc...) its value and the properties header.d, header.i,
 * header.from, smtp.mailfrom. Comments in parentheses are skipped, quoted
 * strings unquoted. A value that cannot be parsed gives NULL (never a
 * partial result that could be trusted by mistake).
 *
 * Ownership: al_authres_parse() returns a new struct freed by
 * al_authres_free().
 */
#ifndef AIRLOCK_AUTHRES_H
#define AIRLOCK_AUTHRES_H

#include <glib.h>

struct al_authres_result {
	char *method;	     /* "dkim", "spf", lower case */
	char *result;	     /* "pass", "fail", lower case */
	char *header_d;	     /* dkim header.d, lower case, or NULL */
	char *header_i;	     /* dkim header.i, or NULL */
	char *header_from;   /* dmarc header.from, or NULL */
	char *smtp_mailfrom; /* spf smtp.mailfrom, or NULL */
	char *smtp_helo;     /* spf smtp.helo, or NULL */
};

struct al_authres {
	char *authserv_id; /* lower case */
	GPtrArray *results; /* struct al_authres_result* */
};

/* Parses one header value (unfolded or folded). NULL if malformed. */
struct al_authres *al_authres_parse(const char *value);

void al_authres_free(struct al_authres **authres);

#endif
