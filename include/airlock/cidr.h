/*
 * cidr.h - IPv4 and IPv6 networks in CIDR notation, and membership tests.
 *
 * Used for internal_networks. Parsing is strict: "10.0.0.0/8", "::1/128",
 * a bare address (a /32 or /128). IPv4-mapped IPv6 client addresses
 * (::ffff:10.1.2.3) match IPv4 networks.
 *
 * Ownership: a list is created by al_cidr_list_parse() and freed by
 * al_cidr_list_free().
 */
#ifndef AIRLOCK_CIDR_H
#define AIRLOCK_CIDR_H

#include <glib.h>

struct al_cidr_list;

/* Parses each entry of networks (NULL-terminated). Returns NULL and sets
 * error naming the bad entry. An empty array gives an empty list. */
struct al_cidr_list *al_cidr_list_parse(const char *const *networks, GError **error);

void al_cidr_list_free(struct al_cidr_list **list);

/* TRUE if addr (textual IPv4 or IPv6, optionally in brackets as libmilter
 * and Postfix write "[::1]" or "IPv6:..." ) lies in one of the networks.
 * An unparsable address matches nothing. */
gboolean al_cidr_list_contains(const struct al_cidr_list *list, const char *addr);

/* Number of networks in the list. */
guint al_cidr_list_length(const struct al_cidr_list *list);

#endif
