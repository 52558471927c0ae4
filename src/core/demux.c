/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the transport demultiplexer (the seed's transportDemuxer and
 * TransportDispatcher).
 *
 * Owns one hash table of registered transport endpoints (struct ns_tep, embedded in the
 * protocols' endpoints and chained through tep->hnext, so registering allocates nothing but
 * an occasional table growth). The key is (transproto, family, local address, local port,
 * remote address, remote port); an unspecified remote always has port 0 in the key. The
 * bucket index comes from a 64-bit mix of the key under a per-stack secret seed drawn from
 * ns_hash_keyed() at the first registration, so a peer cannot aim many flows at one chain.
 * The table doubles (power-of-two buckets) when it holds more endpoints than buckets.
 *
 * Groups: endpoints with the same key and the same NIC binding form a group that sits as a
 * consecutive run in its chain. A newcomer joins only if it shares NS_TEP_REUSEPORT or
 * NS_TEP_REUSEADDR with every member (the port table's rule). When the group's first member
 * has REUSEPORT, a flow hash of the packet's 4-tuple picks the member, so one flow always
 * reaches the same endpoint while the group is unchanged (Linux SO_REUSEPORT); REUSEPORT
 * newcomers join at the end of the run. A newcomer with REUSEADDR alone joins at the front
 * and takes the unicast traffic, as the most recently bound socket does on Linux.
 *
 * Lookup (ns_demux_lookup): the exact 4-tuple; then a connected endpoint bound to the
 * unspecified local address (only probed while such endpoints exist); then (local address,
 * port) with any peer; then (any address, port). An endpoint bound to a NIC (tep->nic != 0)
 * matches only packets from that NIC and wins over an unbound one with the same key. An
 * IPv4 packet that matches none of those goes last to an IPv6 endpoint bound to (::, port)
 * that takes IPv4 (NS_TEP_V4MAPPED, a dual-stack socket as Linux's with IPV6_V6ONLY off),
 * probed only while such endpoints exist.
 *
 * Broadcast and multicast datagrams (NS_PKT_BROADCAST/MULTICAST) go to every endpoint that
 * matches any of those keys, each getting its own copy, as Linux's UDP multicast delivery
 * does; at most MCAST_MAX endpoints are served per packet (one that matches more counts a
 * NO_MEMORY drop). Before copying for several endpoints, the transport's validate hook
 * checks the packet once (a corrupt datagram is dropped and counted once, not once per
 * endpoint) and the packet is marked NS_PKT_CSUM_VERIFIED, which the copies inherit, so no
 * endpoint sums it again.
 *
 * Targets are collected before any is called, so an endpoint may unregister (itself or
 * another) from its deliver callback. Delivery runs inside a dispatch (stack_enter): an
 * endpoint that a waiter callback closes in the middle of a fan-out is unregistered at
 * once but released only when the dispatch ends (ns_ep_defer_free), so the targets not yet
 * served stay valid memory; a closed one drops what it is handed.
 *
 * Raw endpoints (ns_deliver_raw(), and the raw module's control hook in
 * ns_deliver_control()) are the raw module's business: the core only calls its hooks, and
 * only while raw IP endpoints exist.
 *
 * Per packet: up to four key hashes and chain walks, no allocation except the copies for a
 * multi-endpoint broadcast. The flow hash that picks a member of a REUSEPORT group is
 * computed only when such a group with more than one member is found.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define DEMUX_INIT_BUCKETS 64u
#define DEMUX_SALT         0x64656d7578000001ull /* "demux" */
#define MCAST_MAX          64

struct demux_table {
	struct ns_tep **bucket;
	uint32_t mask;               /* buckets - 1 */
	uint32_t count;              /* registered endpoints */
	uint32_t anylocal_connected; /* endpoints with local any and a peer */
	uint32_t v4mapped;           /* endpoints with NS_TEP_V4MAPPED */
	uint64_t seed[2];            /* [0]: buckets, [1]: reuseport flow choice */
	bool seeded;
};

/* A lookup key, normalised: address bytes only (the family is its own field), rport 0 when
 * the remote is unspecified. */
struct demux_key {
	uint8_t transproto;
	uint8_t family;
	uint16_t lport, rport;
	uint8_t local[16];
	uint8_t remote[16];
};

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

/* A keyed mix of the five key words. The seed is secret, so chains cannot be aimed at. */
static uint32_t key_hash(uint64_t seed, const struct demux_key *k)
{
	uint64_t w[5] = {
	    (uint64_t)k->transproto | (uint64_t)k->family << 8 | (uint64_t)k->lport << 16 |
	        (uint64_t)k->rport << 32,
	    rd64(k->local),
	    rd64(k->local + 8),
	    rd64(k->remote),
	    rd64(k->remote + 8),
	};
	uint64_t h = seed;

	for (int i = 0; i < 5; i++)
		h = mix64(h ^ w[i]) + (uint64_t)i;
	return (uint32_t)(h ^ (h >> 32));
}

static void make_key(struct demux_key *k, uint8_t transproto, uint8_t family,
                     const struct ns_addr *local, uint16_t lport, const struct ns_addr *remote,
                     uint16_t rport)
{
	memset(k, 0, sizeof(*k));
	k->transproto = transproto;
	k->family = family;
	k->lport = lport;
	if (local)
		memcpy(k->local, local->a, 16);
	if (remote && !ns_addr_is_any(remote)) {
		memcpy(k->remote, remote->a, 16);
		k->rport = rport;
	}
}

static void tep_key(struct demux_key *k, const struct ns_tep *t)
{
	make_key(k, t->transproto, t->family, &t->id.local, t->id.lport, &t->id.remote,
	         t->id.rport);
}

static bool key_eq(const struct demux_key *a, const struct demux_key *b)
{
	return a->transproto == b->transproto && a->family == b->family && a->lport == b->lport &&
	       a->rport == b->rport && memcmp(a->local, b->local, 16) == 0 &&
	       memcmp(a->remote, b->remote, 16) == 0;
}

static bool tep_matches(const struct ns_tep *t, uint32_t h, const struct demux_key *k)
{
	struct demux_key tk;

	if (t->hash != h)
		return false;
	tep_key(&tk, t);
	return key_eq(&tk, k);
}

/* Same group: same key (the caller knows) and the same NIC binding. */
static bool same_group(const struct ns_tep *a, const struct ns_tep *b)
{
	struct demux_key ka, kb;

	if (a->hash != b->hash || a->nic != b->nic)
		return false;
	tep_key(&ka, a);
	tep_key(&kb, b);
	return key_eq(&ka, &kb);
}

struct demux_table *demux_new(void)
{
	struct demux_table *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->bucket = calloc(DEMUX_INIT_BUCKETS, sizeof(*d->bucket));
	if (!d->bucket) {
		free(d);
		return NULL;
	}
	d->mask = DEMUX_INIT_BUCKETS - 1;
	return d;
}

void demux_free(struct demux_table *d)
{
	if (!d)
		return;
	/* Endpoints belong to their protocols; only mark them unregistered. */
	for (uint32_t i = 0; i <= d->mask; i++)
		for (struct ns_tep *t = d->bucket[i]; t; t = t->hnext)
			t->registered = false;
	free(d->bucket);
	free(d);
}

/* Double the buckets, keeping each chain's order (and so each group's run). A failed
 * allocation leaves the table as it was: longer chains, still correct. */
static void demux_grow(struct demux_table *d)
{
	uint32_t n = (d->mask + 1) * 2;
	struct ns_tep **nb, **tail;

	if (n == 0 || n > (1u << 30))
		return;
	nb = calloc(n, sizeof(*nb));
	tail = calloc(n, sizeof(*tail));
	if (!nb || !tail) {
		free(nb);
		free(tail);
		return;
	}
	for (uint32_t i = 0; i <= d->mask; i++) {
		struct ns_tep *t = d->bucket[i], *next;

		for (; t; t = next) {
			uint32_t j = t->hash & (n - 1);

			next = t->hnext;
			t->hnext = NULL;
			if (tail[j])
				tail[j]->hnext = t;
			else
				nb[j] = t;
			tail[j] = t;
		}
	}
	free(tail);
	free(d->bucket);
	d->bucket = nb;
	d->mask = n - 1;
}

static bool is_anylocal_connected(const struct ns_tep *t)
{
	return ns_addr_is_any(&t->id.local) && !ns_addr_is_any(&t->id.remote);
}

ns_err ns_demux_register(struct ns_stack *s, struct ns_tep *t)
{
	struct demux_table *d = s->demux;
	struct demux_key k;
	struct ns_tep **pp, *last = NULL;

	if (!t || !t->ops)
		return NS_ERR_INVALID_ARGUMENT;
	if (t->registered)
		return NS_ERR_ALREADY_BOUND;
	if (!d->seeded) {
		static const char what[] = "demux";

		d->seed[0] = ns_hash_keyed(s, DEMUX_SALT, what, sizeof(what));
		d->seed[1] = ns_hash_keyed(s, DEMUX_SALT + 1, what, sizeof(what));
		d->seeded = true;
	}
	tep_key(&k, t);
	t->hash = key_hash(d->seed[0], &k);

	/* Find the group with this key and NIC binding, if any, and its last member. */
	for (pp = &d->bucket[t->hash & d->mask]; *pp; pp = &(*pp)->hnext) {
		struct ns_tep *o = *pp;

		if (o->nic != t->nic || !tep_matches(o, t->hash, &k))
			continue;
		for (last = o;; last = last->hnext) {
			if (!(last->flags & t->flags & (NS_TEP_REUSEADDR | NS_TEP_REUSEPORT)))
				return NS_ERR_PORT_IN_USE;
			if (!last->hnext || !same_group(last->hnext, o))
				break;
		}
		break;
	}
	if (last && (t->flags & NS_TEP_REUSEPORT)) {
		t->hnext = last->hnext; /* end of the run */
		last->hnext = t;
	} else {
		/* Front of the run (pp points at its head), or of the chain. */
		if (!last)
			pp = &d->bucket[t->hash & d->mask];
		t->hnext = *pp;
		*pp = t;
	}
	t->registered = true;
	d->count++;
	if (is_anylocal_connected(t))
		d->anylocal_connected++;
	if (t->flags & NS_TEP_V4MAPPED)
		d->v4mapped++;
	if (d->count > d->mask + 1)
		demux_grow(d);
	return NS_OK;
}

void ns_demux_unregister(struct ns_stack *s, struct ns_tep *t)
{
	struct demux_table *d = s->demux;

	if (!t || !t->registered)
		return;
	for (struct ns_tep **pp = &d->bucket[t->hash & d->mask]; *pp; pp = &(*pp)->hnext) {
		if (*pp != t)
			continue;
		*pp = t->hnext;
		t->hnext = NULL;
		t->registered = false;
		d->count--;
		if (is_anylocal_connected(t))
			d->anylocal_connected--;
		if (t->flags & NS_TEP_V4MAPPED)
			d->v4mapped--;
		return;
	}
}

/* The group head for key @k that accepts packets from @nic: a NIC-bound group first, else
 * an unbound one. Only groups whose head has every flag in @need count (the v4-mapped
 * lookup: a v6only group bound to the NIC must not hide a dual-stack one). */
static struct ns_tep *find_group(const struct demux_table *d, const struct demux_key *k,
                                 uint32_t nic, uint8_t need)
{
	uint32_t h = key_hash(d->seed[0], k);
	struct ns_tep *any = NULL;

	for (struct ns_tep *t = d->bucket[h & d->mask]; t; t = t->hnext) {
		if (!tep_matches(t, h, k))
			continue;
		if ((t->flags & need) != need)
			; /* not a candidate: skip its group */
		else if (t->nic != 0 && t->nic == nic)
			return t;
		else if (t->nic == 0 && !any)
			any = t;
		/* Skip the rest of this group. */
		while (t->hnext && same_group(t->hnext, t))
			t = t->hnext;
	}
	return any;
}

/* Pick the member of @head's group for the packet's flow; the flow hash (of @k, the
 * packet's full 4-tuple key) is computed only for a REUSEPORT group of several members. */
static struct ns_tep *group_pick(const struct demux_table *d, struct ns_tep *head,
                                 const struct demux_key *k)
{
	uint32_t n = 1;
	struct ns_tep *t;

	if (!(head->flags & NS_TEP_REUSEPORT))
		return head;
	for (t = head; t->hnext && same_group(t->hnext, head); t = t->hnext)
		n++;
	if (n == 1)
		return head;
	/* Multiply-shift maps the hash onto 0..n-1 without a division's bias to low values. */
	uint32_t fh = key_hash(d->seed[1], k);
	uint32_t idx = (uint32_t)(((uint64_t)fh * n) >> 32);
	for (t = head; idx > 0; idx--)
		t = t->hnext;
	return t;
}

/* The four lookup keys in priority order; returns how many apply. */
static int lookup_keys(const struct demux_table *d, struct demux_key keys[4], uint8_t transproto,
                       const struct ns_addr *local, uint16_t lport, const struct ns_addr *remote,
                       uint16_t rport)
{
	static const struct ns_addr any;
	uint8_t fam = local->family;
	int n = 0;

	make_key(&keys[n++], transproto, fam, local, lport, remote, rport);
	if (d->anylocal_connected && !ns_addr_is_any(local))
		make_key(&keys[n++], transproto, fam, &any, lport, remote, rport);
	if (!ns_addr_is_any(remote)) /* else key 0 already was (local, port, any) */
		make_key(&keys[n++], transproto, fam, local, lport, &any, 0);
	if (!ns_addr_is_any(local))
		make_key(&keys[n++], transproto, fam, &any, lport, &any, 0);
	return n;
}

/* The key of IPv6 wildcard endpoints that may take IPv4 packets to @lport. */
static bool v4mapped_key(const struct demux_table *d, struct demux_key *k, uint8_t transproto,
                         const struct ns_addr *local, uint16_t lport)
{
	static const struct ns_addr any6 = {.family = NS_AF_INET6};

	if (!d->v4mapped || local->family != NS_AF_INET)
		return false;
	make_key(k, transproto, NS_AF_INET6, &any6, lport, &any6, 0);
	return true;
}

struct ns_tep *ns_demux_lookup(struct ns_stack *s, uint8_t transproto, uint32_t nic,
                               const struct ns_addr *local, uint16_t lport,
                               const struct ns_addr *remote, uint16_t rport)
{
	struct demux_table *d = s->demux;
	struct demux_key keys[4], k6;
	struct ns_tep *head;
	int n;

	if (d->count == 0 || !local || !remote)
		return NULL;
	n = lookup_keys(d, keys, transproto, local, lport, remote, rport);
	for (int i = 0; i < n; i++) {
		head = find_group(d, &keys[i], nic, 0);
		/* keys[0] is the packet's own 4-tuple: the flow. */
		if (head)
			return group_pick(d, head, &keys[0]);
	}
	if (v4mapped_key(d, &k6, transproto, local, lport)) {
		head = find_group(d, &k6, nic, NS_TEP_V4MAPPED);
		if (head)
			return group_pick(d, head, &keys[0]);
	}
	return NULL;
}

/* Every endpoint a broadcast/multicast datagram reaches: all members of every matching
 * group, NIC-bound or not. Returns how many (at most @max; *more set if some were left). */
static int collect_all(const struct demux_table *d, struct ns_tep **out, int max, bool *more,
                       uint8_t transproto, uint32_t nic, const struct ns_addr *local,
                       uint16_t lport, const struct ns_addr *remote, uint16_t rport)
{
	struct demux_key keys[5];
	int nk = lookup_keys(d, keys, transproto, local, lport, remote, rport), n = 0;
	int v6 = v4mapped_key(d, &keys[nk], transproto, local, lport) ? nk++ : -1;

	*more = false;
	for (int i = 0; i < nk; i++) {
		uint32_t h = key_hash(d->seed[0], &keys[i]);

		for (struct ns_tep *t = d->bucket[h & d->mask]; t; t = t->hnext) {
			if (!tep_matches(t, h, &keys[i]) || (t->nic != 0 && t->nic != nic))
				continue;
			if (i == v6 && !(t->flags & NS_TEP_V4MAPPED))
				continue;
			if (n == max) {
				*more = true;
				return n;
			}
			out[n++] = t;
		}
	}
	return n;
}

/* Broadcast/multicast: a copy to each endpoint, the original to the last. Consumes @pkt. */
static void deliver_many(struct ns_stack *s, struct ns_tep **to, int n, struct ns_pkt *pkt)
{
	for (int i = 0; i < n - 1; i++) {
		struct ns_pkt *c = ns_pkt_copy(pkt);

		if (!c) {
			ns_drop(s, NULL, NS_DROP_NO_MEMORY);
			continue;
		}
		to[i]->ops->deliver(to[i], c);
	}
	to[n - 1]->ops->deliver(to[n - 1], pkt);
}

bool ns_deliver_raw(struct ns_stack *s, const struct ns_pkt *pkt)
{
	bool taken = false;

	if (s->raw_users[NS_RAW_HOOK_IP] && s->raw->deliver_ip) {
		stack_enter(s);
		taken = s->raw->deliver_ip(s, s->raw_priv, pkt);
		stack_leave(s);
	}
	return taken;
}

static enum ns_deliver_result deliver_transport(struct ns_stack *s, struct ns_pkt *pkt);

enum ns_deliver_result ns_deliver_transport(struct ns_stack *s, struct ns_pkt *pkt)
{
	enum ns_deliver_result res;

	stack_enter(s);
	res = deliver_transport(s, pkt);
	stack_leave(s);
	return res;
}

static enum ns_deliver_result deliver_transport(struct ns_stack *s, struct ns_pkt *pkt)
{
	const struct ns_transproto_ops *tp;
	void *priv = NULL;
	const uint8_t *h;
	uint16_t sport, dport;

	tp = stack_transproto(s, pkt->transproto, &priv);
	if (!tp)
		return NS_DELIVER_NO_PROTO;
	h = ns_pkt_peek(pkt, 0, tp->min_header_len);
	if (!h || !tp->parse_ports || !tp->parse_ports(h, pkt->len, &sport, &dport)) {
		ns_drop(s, pkt, NS_DROP_TRANSPORT_TRUNCATED);
		return NS_DELIVER_MALFORMED;
	}

	if (pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST)) {
		struct ns_tep *to[MCAST_MAX];
		bool more;
		int n = s->demux->count
		            ? collect_all(s->demux, to, MCAST_MAX, &more, pkt->transproto, pkt->nic,
		                          &pkt->dst, dport, &pkt->src, sport)
		            : 0;

		if (n > 0) {
			if (more)
				ns_drop(s, NULL, NS_DROP_NO_MEMORY);
			/* Check once, before the copies (which inherit the verified flag). */
			if (n > 1 && tp->validate &&
			    !(pkt->flags & (NS_PKT_CSUM_VERIFIED | NS_PKT_LOOPED))) {
				if (!tp->validate(s, priv, pkt))
					return NS_DELIVER_MALFORMED;
				pkt->flags |= NS_PKT_CSUM_VERIFIED;
			}
			ns_stat_inc(s, NS_STAT_RX_DELIVERED);
			deliver_many(s, to, n, pkt);
			return NS_DELIVERED;
		}
	} else {
		struct ns_tep *t = ns_demux_lookup(s, pkt->transproto, pkt->nic, &pkt->dst, dport,
		                                   &pkt->src, sport);

		if (t) {
			ns_stat_inc(s, NS_STAT_RX_DELIVERED);
			t->ops->deliver(t, pkt);
			return NS_DELIVERED;
		}
	}

	/* No endpoint: the protocol decides (TCP answers with a RST, a forwarder may take the
	 * packet). It must not answer broadcast/multicast (RFC 1122 3.2.2, 4.2.3.10). */
	if (!tp->handle_unknown)
		return NS_DELIVER_PORT_UNREACHABLE;
	switch (tp->handle_unknown(s, priv, pkt)) {
	case NS_UNKNOWN_HANDLED:
		return NS_DELIVERED;
	case NS_UNKNOWN_MALFORMED:
		return NS_DELIVER_MALFORMED;
	case NS_UNKNOWN_PORT_UNREACHABLE:
	default:
		return NS_DELIVER_PORT_UNREACHABLE;
	}
}

bool ns_deliver_control(struct ns_stack *s, uint8_t transproto, const struct ns_addr *orig_src,
                        const struct ns_addr *orig_dst, enum ns_ctrl ctrl, uint32_t info,
                        struct ns_pkt *pkt)
{
	const struct ns_transproto_ops *tp = stack_transproto(s, transproto, NULL);
	const uint8_t *h;
	uint16_t sport, dport;
	struct ns_tep *t;
	bool raw = false;

	/* Raw endpoints of the quoted protocol hear of it too (Linux raw_icmp_error()). */
	if (s->raw_users[NS_RAW_HOOK_IP] && s->raw->control) {
		stack_enter(s);
		raw = s->raw->control(s, s->raw_priv, transproto, orig_src, orig_dst, ctrl, info,
		                      pkt);
		stack_leave(s);
	}

	/* ICMP quotes at least 8 bytes of the transport header (RFC 792; RFC 4443 quotes
	 * more): enough for the ports, not necessarily for min_header_len. */
	if (!tp || !tp->parse_ports || !(h = ns_pkt_peek(pkt, 0, 4)))
		return raw;
	if (!tp->parse_ports(h, pkt->len, &sport, &dport))
		return raw;
	/* The quoted packet is one we sent: its source is our side. */
	t = ns_demux_lookup(s, transproto, pkt->nic, orig_src, sport, orig_dst, dport);
	if (!t || !t->ops->control || (t->ops->quote_ok && !t->ops->quote_ok(t, pkt)))
		return raw;
	stack_enter(s);
	t->ops->control(t, ctrl, info, pkt);
	stack_leave(s);
	return true;
}
