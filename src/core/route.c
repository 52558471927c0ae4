/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the route table and route lookup (RFC 1122 3.3.1, RFC 4861 5.2).
 *
 * The table is a small array kept sorted by prefix length (longest first) and, among equal
 * prefixes, by metric (lowest first), with insertion order breaking ties; the first entry
 * that matches a destination is therefore the best one. Lookups are a scan without
 * allocation: unconnected sends route every packet, and tables here hold a handful of
 * entries. Routes through a NIC that is down are skipped, so a backup route elsewhere wins.
 *
 * ns_route_find() decides, in order:
 *  1. A destination assigned to any of our NICs is local: NS_ROUTE_LOCAL, looped back by
 *     the network protocol (RFC 1122 3.3.4.2 lets a multihomed host answer on any NIC).
 *  2. The limited broadcast 255.255.255.255 goes out on the NIC asked for, or the only NIC,
 *     or the first NIC with an IPv4 address (NS_ROUTE_BROADCAST); with no address the
 *     source may stay 0.0.0.0 (a DHCP client, RFC 2131 4.1).
 *  3. Otherwise the best route, competing with the subnets of the NICs' own addresses:
 *     RFC 1122 3.3.1.1 says a destination in a connected subnet is reached directly, so each
 *     address acts as an on-link route of its prefix (winning over a table entry of the same
 *     or a shorter prefix, as Linux's kernel prefix routes do). The next hop is the route's
 *     gateway, or the destination itself when on-link, multicast or a directed broadcast.
 *  4. The source: a given local address must be ours (assigned to any NIC, or in a range of
 *     the route's NIC), or the route's NIC must allow spoofing. Unspecified picks, for IPv4,
 *     the NIC's address whose subnet holds the next hop, then its primary address; for
 *     IPv6 the NIC's address by RFC 6724 rules 2 (scope), 3 (not deprecated, nor
 *     optimistic: RFC 4429 2.1) and 8 (longest prefix); failing that, the first address
 *     of the family on any NIC (the weak host model, as Linux).
 *
 * Addresses are normalised on the way in (an IPv4 address is its four bytes; whatever the
 * caller left behind them is ignored), and every change to the table bumps the stack's
 * generation (ns_stack_generation()) so that routes cached by connected endpoints notice.
 *
 * Path MTU (RFC 1191, RFC 8201): ns_route_pmtu_update() records, per destination, an MTU
 * lower than the route's link MTU, learnt from an ICMP message that a network protocol has
 * validated; ns_route_find() then gives it as the route's MTU. The cache is a fixed table
 * of PMTU_SETS sets of PMTU_WAYS entries, the set picked by a keyed hash of the destination
 * (an attacker cannot aim many destinations at one set), a full set replacing its entry
 * nearest to expiry: bounded memory, O(1) per lookup, and a lookup costs nothing while the
 * cache is empty. Entries expire pmtu_expires_ns after they were last lowered (10 min, RFC
 * 1191 6.3's suggestion and Linux's mtu_expires), after which the link MTU is tried again;
 * one timer, armed for the earliest expiry, sweeps them and bumps the generation so cached
 * routes notice. Floors: 552 bytes for IPv4 (Linux's min_pmtu; at it the network protocol
 * sends without DF unless the sender is in DO or PROBE mode), 1280 for IPv6 (RFC 8201 4),
 * see proto.h.
 *
 * Errors (mapped by the socket facade to Linux's errno): NETWORK_UNREACHABLE (ENETUNREACH)
 * when no route or connected subnet matches; NO_ROUTE (EHOSTUNREACH) when a route exists but
 * no source address of the family does; BAD_LOCAL_ADDRESS (EADDRNOTAVAIL) for a source that
 * is not ours; UNKNOWN_NIC for a NIC filter naming no NIC; ADDRESS_FAMILY_NOT_SUPPORTED when
 * no network protocol of the destination's family is registered.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define ETH_P_IP   0x0800
#define ETH_P_IPV6 0x86dd

#define PMTU_WAYS 4
#define PMTU_SETS 256               /* a power of two: 1024 destinations */
#define PMTU_SALT 0x706d74756361ull /* "pmtuca" */

struct pmtu_entry {
	struct ns_addr dst;
	uint32_t mtu; /* 0: free */
	uint64_t expires;
};

struct pmtu_cache {
	struct ns_timer timer; /* the earliest expiry */
	uint32_t count;        /* entries in use */
	struct pmtu_entry e[PMTU_SETS * PMTU_WAYS];
};

/* ---------------------------------------------------------------- the table */

static bool family_ok(uint8_t f)
{
	return f == NS_AF_INET || f == NS_AF_INET6;
}

/* Zero the host bits so equal routes compare equal however they were written. */
static void subnet_mask(struct ns_subnet *sn)
{
	unsigned bits = ns_addr_len(&sn->addr) * 8;

	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;

		if (lo >= bits || lo + 8 <= sn->prefix)
			continue;
		if (lo >= sn->prefix)
			sn->addr.a[i] = 0;
		else
			sn->addr.a[i] &= (uint8_t)(0xff << (8 - (sn->prefix - lo)));
	}
	if (bits < 128)
		memset(sn->addr.a + bits / 8, 0, 16 - bits / 8);
}

/* An unspecified gateway is stored as NS_AF_UNSPEC, all zero. */
static void gateway_norm(struct ns_addr *g)
{
	if (ns_addr_is_any(g))
		memset(g, 0, sizeof(*g));
	else if (g->family == NS_AF_INET)
		memset(g->a + 4, 0, 12);
}

static bool route_eq(const struct ns_route_entry *x, const struct ns_route_entry *y)
{
	return x->nic == y->nic && x->dest.prefix == y->dest.prefix &&
	       ns_addr_eq(&x->dest.addr, &y->dest.addr) && ns_addr_eq(&x->gateway, &y->gateway);
}

ns_err ns_stack_add_route(struct ns_stack *s, const struct ns_route_entry *r)
{
	struct ns_route_entry e;
	uint32_t pos;

	if (!s || !r || !family_ok(r->dest.addr.family) ||
	    r->dest.prefix > ns_addr_len(&r->dest.addr) * 8)
		return NS_ERR_INVALID_ARGUMENT;
	e = *r;
	subnet_mask(&e.dest);
	gateway_norm(&e.gateway);
	if (e.gateway.family != NS_AF_UNSPEC && e.gateway.family != e.dest.addr.family)
		return NS_ERR_INVALID_ARGUMENT;
	if (!ns_nic_find(s, e.nic))
		return NS_ERR_UNKNOWN_NIC;
	if (s->nroutes == NS_MAX_ROUTES)
		return NS_ERR_NO_BUFFER_SPACE;
	/* After every entry that ranks at least as high: longer prefix, or the same prefix
	 * with a metric no worse. */
	for (pos = 0; pos < s->nroutes; pos++) {
		const struct ns_route_entry *o = &s->routes[pos];

		if (o->dest.prefix < e.dest.prefix ||
		    (o->dest.prefix == e.dest.prefix && o->metric > e.metric))
			break;
	}
	memmove(&s->routes[pos + 1], &s->routes[pos], (s->nroutes - pos) * sizeof(s->routes[0]));
	s->routes[pos] = e;
	s->nroutes++;
	stack_changed(s);
	return NS_OK;
}

ns_err ns_stack_remove_route(struct ns_stack *s, const struct ns_route_entry *r)
{
	struct ns_route_entry e;
	uint32_t kept = 0, before;

	if (!s || !r || !family_ok(r->dest.addr.family) ||
	    r->dest.prefix > ns_addr_len(&r->dest.addr) * 8)
		return NS_ERR_INVALID_ARGUMENT;
	e = *r;
	subnet_mask(&e.dest);
	gateway_norm(&e.gateway);
	before = s->nroutes;
	for (uint32_t i = 0; i < s->nroutes; i++)
		if (!route_eq(&s->routes[i], &e))
			s->routes[kept++] = s->routes[i];
	s->nroutes = kept;
	if (kept < before)
		stack_changed(s);
	return kept < before ? NS_OK : NS_ERR_NO_ROUTE;
}

void route_remove_nic(struct ns_stack *s, uint32_t id)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < s->nroutes; i++)
		if (s->routes[i].nic != id)
			s->routes[kept++] = s->routes[i];
	s->nroutes = kept;
	stack_changed(s);
}

bool ns_route_default_router(struct ns_stack *s, uint32_t nic_id, uint8_t family,
                             struct ns_addr *gateway)
{
	struct ns_nic *nic = ns_nic_find(s, nic_id);

	if (!nic || !nic->up || !gateway)
		return false;
	/* Sorted: the default routes come last, the lowest metric first. */
	for (uint32_t i = 0; i < s->nroutes; i++) {
		const struct ns_route_entry *r = &s->routes[i];

		if (r->dest.prefix != 0 || r->dest.addr.family != family || r->nic != nic_id ||
		    ns_addr_is_any(&r->gateway) || !ns_stack_neighbor(s, nic_id, &r->gateway, NULL))
			continue;
		*gateway = r->gateway;
		return true;
	}
	return false;
}

size_t ns_stack_routes(const struct ns_stack *s, struct ns_route_entry *out, size_t max)
{
	if (!s)
		return 0;
	for (uint32_t i = 0; i < s->nroutes && i < max; i++)
		out[i] = s->routes[i];
	return s->nroutes;
}

static bool is_limited_broadcast(const struct ns_addr *a)
{
	return a->family == NS_AF_INET && a->a[0] == 255 && a->a[1] == 255 && a->a[2] == 255 &&
	       a->a[3] == 255;
}

/* 224.0.0.0/4 (RFC 5771) or ff00::/8 (RFC 4291 2.7). */
static bool is_multicast(const struct ns_addr *a)
{
	if (a->family == NS_AF_INET)
		return (a->a[0] & 0xf0) == 0xe0;
	return a->family == NS_AF_INET6 && a->a[0] == 0xff;
}

static bool is_directed_broadcast(const struct ns_nic *nic, const struct ns_addr *a)
{
	if (a->family != NS_AF_INET)
		return false;
	for (uint32_t i = 0; i < nic->naddrs; i++) {
		const struct ns_subnet *sn = &nic->addrs[i];

		if (sn->addr.family != NS_AF_INET || sn->prefix >= 31)
			continue;
		struct ns_addr bc = ns_subnet_broadcast(sn);

		if (ns_addr_eq(&bc, a))
			return true;
	}
	return false;
}

static bool nic_usable(const struct ns_nic *nic, uint32_t filter)
{
	return nic && nic->up && (filter == 0 || nic->id == filter);
}

/*
 * Step 3: the best route to @remote, or a connected subnet of a NIC that beats it. Sets
 * *@nic_out and *@gateway (unspecified when on-link); false if nothing matches.
 */
static bool lookup(struct ns_stack *s, uint32_t filter, const struct ns_addr *remote,
                   struct ns_nic **nic_out, struct ns_addr *gateway)
{
	const struct ns_route_entry *best = NULL;
	struct ns_nic *best_nic = NULL;
	int best_prefix = -1;

	for (uint32_t i = 0; i < s->nroutes; i++) {
		const struct ns_route_entry *r = &s->routes[i];
		struct ns_nic *nic;

		if (r->dest.addr.family != remote->family || !ns_subnet_contains(&r->dest, remote))
			continue;
		nic = ns_nic_find(s, r->nic);
		if (!nic_usable(nic, filter))
			continue;
		best = r;
		best_nic = nic;
		best_prefix = r->dest.prefix;
		break; /* sorted: the first match is the best */
	}
	/* RFC 1122 3.3.1.1: connected subnets are on-link. They win over a table entry of a
	 * prefix no longer than theirs. */
	for (uint32_t n = 0; n < s->nnics; n++) {
		struct ns_nic *nic = s->nics[n];

		if (!nic_usable(nic, filter))
			continue;
		for (uint32_t i = 0; i < nic->naddrs; i++) {
			const struct ns_subnet *sn = &nic->addrs[i];

			if ((int)sn->prefix >= best_prefix && ns_subnet_contains(sn, remote)) {
				best = NULL;
				best_nic = nic;
				best_prefix = sn->prefix + 1; /* first NIC wins ties */
			}
		}
	}
	if (!best_nic)
		return false;
	*nic_out = best_nic;
	memset(gateway, 0, sizeof(*gateway));
	if (best)
		*gateway = best->gateway;
	return true;
}

/* RFC 4291 2.5.6 / 2.7 scopes, for RFC 6724 rule 2: multicast carries its own, fe80::/10 is
 * link-local (2), everything else is treated as global (14). */
static unsigned v6_scope(const struct ns_addr *a)
{
	if (a->a[0] == 0xff)
		return a->a[1] & 0x0f;
	if (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80)
		return 2;
	return 14;
}

static unsigned common_prefix(const struct ns_addr *x, const struct ns_addr *y, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 16 && n < max; i++) {
		uint8_t d = x->a[i] ^ y->a[i];

		if (d == 0) {
			n += 8;
			continue;
		}
		while (!(d & 0x80)) {
			n++;
			d = (uint8_t)(d << 1);
		}
		break;
	}
	return n < max ? n : max;
}

/* An IPv6 source for @remote on @nic, simplified RFC 6724 section 5: never a tentative
 * address (RFC 4862 5.4), then rule 2 (a scope equal to the destination's, else a larger
 * one), rule 3 (avoid deprecated addresses, and optimistic ones with them: RFC 4429 2.1
 * treats an optimistic address as deprecated, as Linux's ipv6_get_saddr_eval() does unless
 * use_optimistic is set) and rule 8 (longest common prefix). */
static bool pick_source_v6(const struct ns_nic *nic, const struct ns_addr *remote,
                           struct ns_addr *out)
{
	unsigned dscope = v6_scope(remote), best = 0;
	bool found = false;

	for (uint32_t i = 0; i < nic->naddrs; i++) {
		const struct ns_subnet *c = &nic->addrs[i];
		unsigned cscope, score;

		if (c->addr.family != NS_AF_INET6 || (nic->addr_flags[i] & NS_ADDR_F_TENTATIVE))
			continue;
		cscope = v6_scope(&c->addr);
		score = (cscope == dscope ? 2u : cscope > dscope ? 1u : 0u) << 9;
		if (!(nic->addr_flags[i] & (NS_ADDR_F_DEPRECATED | NS_ADDR_F_OPTIMISTIC)))
			score |= 1u << 8;
		score |= common_prefix(&c->addr, remote, c->prefix) + 1;
		if (score > best) {
			best = score;
			*out = c->addr;
			found = true;
		}
	}
	return found;
}

/* Step 4 for an unspecified source. IPv4: the NIC's address on the next hop's subnet, then
 * its primary address. IPv6: RFC 6724 on the NIC's addresses. Then the first address of
 * the family on any NIC (the weak host model). */
static bool pick_source(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *remote,
                        const struct ns_addr *next_hop, struct ns_addr *out)
{
	struct ns_subnet sn;

	if (remote->family == NS_AF_INET6) {
		if (pick_source_v6(nic, remote, out))
			return true;
	} else {
		for (uint32_t i = 0; i < nic->naddrs; i++) {
			if (ns_subnet_contains(&nic->addrs[i], next_hop)) {
				*out = nic->addrs[i].addr;
				return true;
			}
		}
		if (ns_nic_primary_addr(nic, NS_AF_INET, &sn)) {
			*out = sn.addr;
			return true;
		}
	}
	for (uint32_t n = 0; n < s->nnics; n++) {
		if (ns_nic_primary_addr(s->nics[n], remote->family, &sn)) {
			*out = sn.addr;
			return true;
		}
	}
	return false;
}

/* Step 4 for a given source: ours on any NIC (weak host), in a range of the route's NIC,
 * or anything if the route's NIC may spoof. */
static bool source_allowed(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *local)
{
	return nic->spoofing || ns_nic_owns_addr(s, nic, local) || ns_stack_find_local(s, local);
}

static struct ns_nic *broadcast_nic(struct ns_stack *s, uint32_t filter)
{
	struct ns_subnet sn;

	if (filter)
		return ns_nic_find(s, filter);
	if (s->nnics == 1)
		return s->nics[0];
	for (uint32_t n = 0; n < s->nnics; n++)
		if (s->nics[n]->up && ns_nic_primary_addr(s->nics[n], NS_AF_INET, &sn))
			return s->nics[n];
	return NULL;
}

/* ---------------------------------------------------------------- path MTU cache */

static void pmtu_sweep(struct ns_stack *s, struct ns_timer *t);

struct pmtu_cache *pmtu_new(struct ns_stack *s)
{
	struct pmtu_cache *c = calloc(1, sizeof(*c));

	if (c)
		ns_timer_init(&c->timer, pmtu_sweep, c);
	(void)s;
	return c;
}

void pmtu_free(struct ns_stack *s, struct pmtu_cache *c)
{
	ns_timer_cancel(s, &c->timer);
	free(c);
}

static struct pmtu_entry *pmtu_set(const struct ns_stack *s, const struct ns_addr *dst)
{
	uint64_t h = ns_hash_keyed(s, PMTU_SALT, dst, sizeof(*dst));

	return &s->pmtu->e[(h & (PMTU_SETS - 1)) * PMTU_WAYS];
}

/* The learnt path MTU to @dst (normalised), 0 if none. */
static uint32_t pmtu_lookup(const struct ns_stack *s, const struct ns_addr *dst)
{
	const struct pmtu_entry *set;
	uint64_t now;

	if (!s->pmtu || !s->pmtu->count)
		return 0;
	set = pmtu_set(s, dst);
	now = ns_clock_now(s->clock);
	for (unsigned i = 0; i < PMTU_WAYS; i++)
		if (set[i].mtu && set[i].expires > now && ns_addr_eq(&set[i].dst, dst))
			return set[i].mtu;
	return 0;
}

/* Arm the timer for the earliest expiry (a scan of the table: it runs once per expiry or
 * update, never per packet). */
static void pmtu_rearm(struct ns_stack *s)
{
	struct pmtu_cache *c = s->pmtu;
	uint64_t first = UINT64_MAX;

	for (unsigned i = 0; c->count && i < PMTU_SETS * PMTU_WAYS; i++)
		if (c->e[i].mtu && c->e[i].expires < first)
			first = c->e[i].expires;
	if (first == UINT64_MAX)
		ns_timer_cancel(s, &c->timer);
	else
		ns_timer_arm(s, &c->timer, first);
}

static void pmtu_sweep(struct ns_stack *s, struct ns_timer *t)
{
	struct pmtu_cache *c = t->arg;
	uint64_t now = ns_clock_now(s->clock);
	bool gone = false;

	for (unsigned i = 0; i < PMTU_SETS * PMTU_WAYS; i++) {
		if (c->e[i].mtu && c->e[i].expires <= now) {
			c->e[i].mtu = 0;
			c->count--;
			gone = true;
		}
	}
	if (gone)
		stack_changed(s); /* routes cached with the old MTU must look again */
	pmtu_rearm(s);
}

void ns_route_pmtu_update(struct ns_stack *s, const struct ns_addr *dst_in, uint32_t mtu)
{
	struct pmtu_entry *set, *slot = NULL;
	struct ns_addr dst;
	struct ns_route r;
	uint32_t floor;

	if (!s || !dst_in || !family_ok(dst_in->family))
		return;
	dst = addr_norm(dst_in);
	floor = dst.family == NS_AF_INET ? NS_IPV4_MIN_PMTU : NS_IPV6_MIN_MTU;
	if (mtu < floor)
		mtu = floor;
	/* RFC 1191 6.3 / RFC 8201 4: only ever lowered by a message; raised by expiry. */
	if (ns_route_find(s, 0, NULL, &dst, &r) != NS_OK ||
	    (r.flags & (NS_ROUTE_LOCAL | NS_ROUTE_BROADCAST | NS_ROUTE_MULTICAST)) || mtu >= r.mtu)
		return;
	set = pmtu_set(s, &dst);
	for (unsigned i = 0; i < PMTU_WAYS && !slot; i++)
		if (set[i].mtu && ns_addr_eq(&set[i].dst, &dst))
			slot = &set[i];
	for (unsigned i = 0; i < PMTU_WAYS && !slot; i++)
		if (!set[i].mtu)
			slot = &set[i];
	if (!slot) {
		/* A full set: the entry nearest its end makes way. */
		slot = &set[0];
		for (unsigned i = 1; i < PMTU_WAYS; i++)
			if (set[i].expires < slot->expires)
				slot = &set[i];
	}
	if (!slot->mtu)
		s->pmtu->count++;
	slot->dst = dst;
	slot->mtu = mtu;
	slot->expires = ns_clock_now(s->clock) + s->cfg.pmtu_expires_ns;
	ns_stat_inc(s, NS_STAT_PMTU_UPDATES);
	stack_changed(s);
	pmtu_rearm(s);
}

/* ---------------------------------------------------------------- lookup */

ns_err ns_route_find(struct ns_stack *s, uint32_t nic_id, const struct ns_addr *local_in,
                     const struct ns_addr *remote_in, struct ns_route *out)
{
	const struct ns_netproto_ops *np;
	struct ns_nic *nic = NULL;
	struct ns_addr gateway, local_n, remote_n;
	const struct ns_addr *local = NULL, *remote = &remote_n;
	bool have_local;

	if (!s || !remote_in || !out)
		return NS_ERR_INVALID_ARGUMENT;
	remote_n = addr_norm(remote_in);
	if (local_in) {
		local_n = addr_norm(local_in);
		local = &local_n;
	}
	if (!family_ok(remote->family))
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	have_local = local && !ns_addr_is_any(local);
	if (have_local && local->family != remote->family)
		return NS_ERR_BAD_LOCAL_ADDRESS;
	if (nic_id && !ns_nic_find(s, nic_id))
		return NS_ERR_UNKNOWN_NIC;
	np = stack_netproto(s, remote->family == NS_AF_INET ? ETH_P_IP : ETH_P_IPV6, NULL);
	if (!np)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (ns_addr_is_any(remote))
		return NS_ERR_NETWORK_UNREACHABLE; /* no route can lead to "any" */

	memset(out, 0, sizeof(*out));
	out->netproto = np->number;
	out->remote = *remote;
	out->next_hop = *remote;

	nic = ns_stack_find_local(s, remote);
	if (nic) {
		/* 1. Local: loop back on the NIC that owns it. */
		if (!nic->up)
			return NS_ERR_NETWORK_UNREACHABLE;
		out->flags = NS_ROUTE_LOCAL;
		if (!have_local)
			out->local = *remote;
		else if (source_allowed(s, nic, local))
			out->local = *local;
		else
			return NS_ERR_BAD_LOCAL_ADDRESS;
		goto fill;
	}

	if (is_limited_broadcast(remote)) {
		/* 2. Limited broadcast: never routed, stays on one link (RFC 1122 3.3.6). */
		nic = broadcast_nic(s, nic_id);
		if (!nic || !nic->up)
			return NS_ERR_NETWORK_UNREACHABLE;
		out->flags = NS_ROUTE_BROADCAST;
		if (have_local) {
			if (!source_allowed(s, nic, local))
				return NS_ERR_BAD_LOCAL_ADDRESS;
			out->local = *local;
		} else if (!pick_source(s, nic, remote, remote, &out->local)) {
			out->local = ns_addr_v4(0, 0, 0, 0); /* RFC 2131 4.1 */
		}
		goto fill;
	}

	/* 3. The table, and connected subnets. */
	if (!lookup(s, nic_id, remote, &nic, &gateway)) {
		/* With a NIC named (IP_MULTICAST_IF, SO_BINDTODEVICE) multicast needs no
		 * route: it is sent on that link. */
		if (!(nic_id && is_multicast(remote)))
			return NS_ERR_NETWORK_UNREACHABLE;
		nic = ns_nic_find(s, nic_id);
		if (!nic->up)
			return NS_ERR_NETWORK_UNREACHABLE;
		memset(&gateway, 0, sizeof(gateway));
	}
	if (is_multicast(remote)) {
		out->flags = NS_ROUTE_MULTICAST;
	} else if (is_directed_broadcast(nic, remote)) {
		out->flags = NS_ROUTE_BROADCAST;
	} else if (!ns_addr_is_any(&gateway)) {
		out->next_hop = gateway;
	}

	/* 4. The source address. */
	if (have_local) {
		if (!source_allowed(s, nic, local))
			return NS_ERR_BAD_LOCAL_ADDRESS;
		out->local = *local;
	} else if (!pick_source(s, nic, remote, &out->next_hop, &out->local)) {
		return NS_ERR_NO_ROUTE;
	}

fill:
	out->nic = nic->id;
	/* RFC 4861 6.3.4: IPv6 may use a smaller MTU on the link than the device's. */
	out->mtu = remote->family == NS_AF_INET6 && nic->mtu6 ? nic->mtu6 : nic->mtu;
	/* A path MTU learnt for a unicast destination (RFC 1191, RFC 8201). */
	if (!(out->flags & (NS_ROUTE_LOCAL | NS_ROUTE_BROADCAST | NS_ROUTE_MULTICAST))) {
		uint32_t pmtu = pmtu_lookup(s, remote);

		if (pmtu && pmtu < out->mtu)
			out->mtu = pmtu;
	}
	out->caps = nic->caps;
	out->max_header_len = (uint16_t)(nic->link_hdr_len + np->max_header_len);
	return NS_OK;
}
