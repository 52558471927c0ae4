/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the port reservation table and ephemeral port selection.
 *
 * Owns every reservation of a (transport protocol, port) on an address, for an owner
 * (usually an endpoint). Reservations are nodes in a chained hash table keyed by (protocol,
 * port), which doubles when it holds more nodes than buckets; one allocation per reservation,
 * made at bind/connect time, never per packet. Reservations of one (protocol, port) are not
 * kept together, so a conflict check walks one chain.
 *
 * Conflict rule (proto.h): two reservations of the same protocol and port conflict when
 * their addresses overlap, unless both carry NS_TEP_REUSEADDR or both carry
 * NS_TEP_REUSEPORT. Addresses overlap when they are equal or when either is the unspecified
 * address of the other's family (an unspecified address with no family, NS_AF_UNSPEC,
 * overlaps every family); IPv4 and IPv6 reservations never conflict (no dual-stack sockets).
 *
 * Ephemeral ports for an endpoint with a peer (a connection, a connected datagram endpoint,
 * or a stream bind(0) that passes the unspecified peer) follow RFC 6056 section 3.3.4
 * (Algorithm 4, "double-hash port selection"): offset = F(local, remote, rport) and index =
 * G(local, remote, rport), both keyed hashes under the stack secret (ns_hash_keyed with
 * different salts); candidates are lo + (offset + table[index] + i) % num for i = 0, 1,
 * ...; the first free one is taken and table[index] advances by the number of candidates
 * tried. Different destinations start at unrelated offsets, and one destination's
 * successive connections walk the range sequentially, so ports are hard to guess yet reuse
 * of a recent 4-tuple is unlikely.
 *
 * An endpoint with no peer at all (remote NULL: an unconnected datagram endpoint bound
 * implicitly by its first sendto(), or by bind(0)) has no 4-tuple for Algorithm 4 to keep
 * apart, and every such endpoint would hash the same 3-tuple and walk one global sequence
 * that reveals how many ports others took. It gets RFC 6056 section 3.3.1 (Algorithm 1,
 * "simple port randomization") instead, as Linux's UDP does: a random start from the
 * stack's PRNG, then the first free port from there.
 *
 * Limit, for TCP later: "free" here means no conflicting reservation, so a port in use by a
 * connection to one peer is not handed out for a connection to another peer, though the
 * 4-tuples would differ (Linux's __inet_hash_connect reuses it). That refinement needs the
 * demuxer's view of connected 4-tuples and belongs with TCP's connect.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define PORTS_INIT_BUCKETS 256u
#define EPHEMERAL_TABLE    4096u /* RFC 6056 3.3.4: TABLE_LENGTH */
#define SALT_F             0x706f727473460001ull
#define SALT_G             0x706f727473470002ull

struct port_res {
	struct port_res *next;
	const void *owner;
	struct ns_addr addr;
	unsigned flags;
	uint16_t port;
	uint8_t transproto;
};

struct port_table {
	struct port_res **bucket;
	uint32_t mask;
	uint32_t count;
	uint16_t perturb[EPHEMERAL_TABLE]; /* RFC 6056 3.3.4: table[] */
};

static uint32_t port_bucket(const struct port_table *p, uint8_t transproto, uint16_t port)
{
	/* Ports are not secret and their domain is small: a multiplicative spread suffices. */
	uint32_t k = (uint32_t)transproto << 16 | port;

	return (uint32_t)(((uint64_t)k * 0x9e3779b97f4a7c15ull) >> 32) & p->mask;
}

struct port_table *ports_new(void)
{
	struct port_table *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->bucket = calloc(PORTS_INIT_BUCKETS, sizeof(*p->bucket));
	if (!p->bucket) {
		free(p);
		return NULL;
	}
	p->mask = PORTS_INIT_BUCKETS - 1;
	return p;
}

void ports_free(struct port_table *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i <= p->mask; i++) {
		struct port_res *r = p->bucket[i], *next;

		for (; r; r = next) {
			next = r->next;
			free(r);
		}
	}
	free(p->bucket);
	free(p);
}

static void ports_grow(struct port_table *p)
{
	uint32_t n = (p->mask + 1) * 2;
	struct port_res **nb;
	struct port_table tmp;

	if (n > (1u << 24))
		return;
	nb = calloc(n, sizeof(*nb));
	if (!nb)
		return; /* longer chains, still correct */
	tmp.mask = n - 1;
	for (uint32_t i = 0; i <= p->mask; i++) {
		struct port_res *r = p->bucket[i], *next;

		for (; r; r = next) {
			uint32_t j = port_bucket(&tmp, r->transproto, r->port);

			next = r->next;
			r->next = nb[j];
			nb[j] = r;
		}
	}
	free(p->bucket);
	p->bucket = nb;
	p->mask = n - 1;
}

static bool addr_overlap(const struct ns_addr *a, const struct ns_addr *b)
{
	if (a->family == NS_AF_UNSPEC || b->family == NS_AF_UNSPEC)
		return true; /* "any address" of no particular family */
	if (a->family != b->family)
		return false;
	return ns_addr_is_any(a) || ns_addr_is_any(b) || ns_addr_eq(a, b);
}

static bool conflicts(const struct port_table *p, uint8_t transproto, const struct ns_addr *addr,
                      uint16_t port, unsigned flags)
{
	for (const struct port_res *r = p->bucket[port_bucket(p, transproto, port)]; r;
	     r = r->next) {
		if (r->transproto != transproto || r->port != port || !addr_overlap(&r->addr, addr))
			continue;
		if (r->flags & flags & (NS_TEP_REUSEADDR | NS_TEP_REUSEPORT))
			continue; /* both share an address or a port on purpose */
		return true;
	}
	return false;
}

static ns_err add_res(struct port_table *p, uint8_t transproto, const struct ns_addr *addr,
                      uint16_t port, unsigned flags, const void *owner)
{
	struct port_res *r = calloc(1, sizeof(*r));
	uint32_t b;

	if (!r)
		return NS_ERR_NO_MEMORY;
	r->owner = owner;
	if (addr)
		r->addr = *addr;
	r->flags = flags;
	r->port = port;
	r->transproto = transproto;
	b = port_bucket(p, transproto, port);
	r->next = p->bucket[b];
	p->bucket[b] = r;
	if (++p->count > p->mask + 1)
		ports_grow(p);
	return NS_OK;
}

ns_err ns_ports_reserve(struct ns_stack *s, uint8_t transproto, const struct ns_addr *addr,
                        uint16_t port, unsigned flags, const void *owner)
{
	static const struct ns_addr any;

	if (port == 0)
		return NS_ERR_INVALID_ARGUMENT;
	if (!addr)
		addr = &any;
	if (conflicts(s->ports, transproto, addr, port, flags))
		return NS_ERR_PORT_IN_USE;
	return add_res(s->ports, transproto, addr, port, flags, owner);
}

void ns_ports_release(struct ns_stack *s, uint8_t transproto, const struct ns_addr *addr,
                      uint16_t port, const void *owner)
{
	static const struct ns_addr any;
	struct port_table *p = s->ports;

	if (!addr)
		addr = &any;
	for (struct port_res **pp = &p->bucket[port_bucket(p, transproto, port)]; *pp;
	     pp = &(*pp)->next) {
		struct port_res *r = *pp;

		if (r->transproto == transproto && r->port == port && r->owner == owner &&
		    ns_addr_eq(&r->addr, addr)) {
			*pp = r->next;
			free(r);
			p->count--;
			return;
		}
	}
}

/* The 3-tuple F and G hash (RFC 6056 3.3.4), serialised byte by byte so padding and host
 * order cannot leak into it. */
static uint64_t tuple_hash(struct ns_stack *s, uint64_t salt, uint8_t transproto,
                           const struct ns_addr *local, const struct ns_addr *remote,
                           uint16_t rport)
{
	uint8_t buf[1 + 1 + 16 + 1 + 16 + 2];
	size_t n = 0;

	buf[n++] = transproto;
	buf[n++] = local ? local->family : 0;
	memset(buf + n, 0, 16);
	if (local)
		memcpy(buf + n, local->a, 16);
	n += 16;
	buf[n++] = remote ? remote->family : 0;
	memset(buf + n, 0, 16);
	if (remote)
		memcpy(buf + n, remote->a, 16);
	n += 16;
	buf[n++] = (uint8_t)(rport >> 8);
	buf[n++] = (uint8_t)rport;
	return ns_hash_keyed(s, salt, buf, n);
}

ns_err ns_ports_pick_ephemeral(struct ns_stack *s, uint8_t transproto, const struct ns_addr *local,
                               const struct ns_addr *remote, uint16_t rport, unsigned flags,
                               const void *owner, uint16_t *port)
{
	static const struct ns_addr any;
	const struct ns_stack_config *cfg = ns_stack_config(s);
	struct port_table *p = s->ports;
	uint32_t lo = cfg->ephemeral_lo ? cfg->ephemeral_lo : 1, hi = cfg->ephemeral_hi;
	uint32_t num, offset, index;

	if (hi < lo)
		return NS_ERR_NO_PORT_AVAILABLE;
	if (!local)
		local = &any;
	num = hi - lo + 1;
	if (!remote) {
		/* RFC 6056 3.3.1, Algorithm 1: next_ephemeral = min + random() % num, then
		 * walk (wrapping) to the first suitable port. */
		uint32_t start = (uint32_t)(ns_stack_random(s) % num);

		for (uint32_t i = 0; i < num; i++) {
			uint16_t cand = (uint16_t)(lo + (start + i) % num);

			if (conflicts(p, transproto, local, cand, flags))
				continue;
			ns_err err = add_res(p, transproto, local, cand, flags, owner);
			if (err != NS_OK)
				return err;
			*port = cand;
			return NS_OK;
		}
		return NS_ERR_NO_PORT_AVAILABLE;
	}
	offset = (uint32_t)(tuple_hash(s, SALT_F, transproto, local, remote, rport) % num);
	index =
	    (uint32_t)(tuple_hash(s, SALT_G, transproto, local, remote, rport) % EPHEMERAL_TABLE);
	for (uint32_t i = 0; i < num; i++) {
		uint16_t cand = (uint16_t)(lo + (offset + p->perturb[index] + i) % num);

		if (conflicts(p, transproto, local, cand, flags))
			continue;
		ns_err err = add_res(p, transproto, local, cand, flags, owner);
		if (err != NS_OK)
			return err;
		/* RFC 6056 3.3.4: table[index] += (candidates tried). */
		p->perturb[index] = (uint16_t)(p->perturb[index] + i + 1);
		*port = cand;
		return NS_OK;
	}
	return NS_ERR_NO_PORT_AVAILABLE;
}
