/* SPDX-License-Identifier: MIT */
/*
 * Addresses: network addresses (IPv4 or IPv6) in one tagged type, subnets, link (MAC) addresses.
 * Bytes are kept in network order; nothing here allocates.
 */
#ifndef NETSTACK_ADDR_H
#define NETSTACK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netstack/api.h"

enum ns_family {
	NS_AF_UNSPEC = 0,
	NS_AF_INET = 4,
	NS_AF_INET6 = 6,
};

/* A network address. For IPv4 only a[0..4) is used and the rest is zero, so memcmp of the
 * whole struct compares addresses. */
struct ns_addr {
	uint8_t family; /* enum ns_family */
	uint8_t a[16];
};

/* An address with a prefix length: an interface address, a route's destination, a range. */
struct ns_subnet {
	struct ns_addr addr;
	uint8_t prefix;
};

/* A link-layer (Ethernet) address. */
struct ns_mac {
	uint8_t b[6];
};

/* A transport address as the endpoint API takes and returns it. nic 0 means any NIC. */
struct ns_sockaddr {
	struct ns_addr addr;
	uint16_t port; /* host order */
	uint32_t nic;
};

static inline struct ns_addr ns_addr_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ns_addr r = {.family = NS_AF_INET, .a = {a, b, c, d}};
	return r;
}

/* From 4 bytes in network order. */
static inline struct ns_addr ns_addr_v4_from_bytes(const uint8_t *p)
{
	struct ns_addr r = {.family = NS_AF_INET};
	memcpy(r.a, p, 4);
	return r;
}

/* From 16 bytes in network order. */
static inline struct ns_addr ns_addr_v6_from_bytes(const uint8_t *p)
{
	struct ns_addr r = {.family = NS_AF_INET6};
	memcpy(r.a, p, 16);
	return r;
}

static inline unsigned ns_addr_len(const struct ns_addr *a)
{
	return a->family == NS_AF_INET6 ? 16 : a->family == NS_AF_INET ? 4 : 0;
}

static inline bool ns_addr_eq(const struct ns_addr *x, const struct ns_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

/* True for the family's unspecified address (0.0.0.0 or ::) and for NS_AF_UNSPEC. */
static inline bool ns_addr_is_any(const struct ns_addr *x)
{
	static const uint8_t zero[16];
	return memcmp(x->a, zero, 16) == 0;
}

static inline bool ns_mac_eq(const struct ns_mac *x, const struct ns_mac *y)
{
	return memcmp(x->b, y->b, 6) == 0;
}

static inline bool ns_mac_is_broadcast(const struct ns_mac *m)
{
	return (m->b[0] & m->b[1] & m->b[2] & m->b[3] & m->b[4] & m->b[5]) == 0xff;
}

static inline bool ns_mac_is_multicast(const struct ns_mac *m)
{
	return (m->b[0] & 1) != 0;
}

/** ns_addr_parse() - Parse "192.0.2.1" or "2001:db8::1". Returns false on any error. */
NS_API bool ns_addr_parse(const char *s, struct ns_addr *out);
/** ns_subnet_parse() - Parse "192.0.2.2/24" (the prefix defaults to the full length). */
NS_API bool ns_subnet_parse(const char *s, struct ns_subnet *out);
/** ns_mac_parse() - Parse "02:00:00:00:00:01". */
NS_API bool ns_mac_parse(const char *s, struct ns_mac *out);
/** ns_addr_format() - Write the address as text into buf (at least 46 bytes); returns buf. */
NS_API char *ns_addr_format(const struct ns_addr *a, char *buf, size_t len);
/** ns_mac_format() - Write the MAC as text into buf (at least 18 bytes); returns buf. */
NS_API char *ns_mac_format(const struct ns_mac *m, char *buf, size_t len);
/** ns_subnet_contains() - True if @a has @s's family and its first s->prefix bits. */
NS_API bool ns_subnet_contains(const struct ns_subnet *s, const struct ns_addr *a);
/** ns_subnet_broadcast() - The IPv4 directed broadcast address of @s. */
NS_API struct ns_addr ns_subnet_broadcast(const struct ns_subnet *s);

#endif
