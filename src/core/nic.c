/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: NICs (the seed's stack.NIC).
 *
 * A NIC binds a link to the stack. It is the link's dispatcher: inbound frames arrive in
 * nic_deliver(), are counted, filtered (NIC down; frames for another host's MAC unless
 * promiscuous) and handed to the network protocol named by the frame's EtherType. Outbound,
 * ns_nic_output_mac() hands a packet whose link address is known to the link;
 * ns_nic_output() (neigh.c) resolves the address first.
 *
 * Each NIC holds its addresses (the first of a family is its primary address, used as the
 * default source), address ranges it accepts as local (the seed's AddAddressRange, for
 * proxies that terminate traffic to any address), and the promiscuous (accept any
 * destination) and spoofing (send from any source) switches tun2socks-style apps need.
 * NICs live in an array in creation order; lookups scan it, which costs one comparison in
 * the usual single-NIC stack.
 *
 * Receiving follows the weak host model (RFC 1122 3.3.4.2, as Linux): ns_stack_match_local()
 * accepts on any NIC an address assigned to any NIC, checking the receiving NIC's own
 * addresses, ranges and broadcasts first and the others' addresses only when those fail, in
 * one pass. Address ranges, broadcasts and promiscuous mode stay per NIC.
 * ns_nic_match_addr() and ns_nic_owns_addr() answer for one NIC alone.
 *
 * Packet endpoints tap both directions here, through the raw module's hook: inbound frames
 * before any filtering, outbound ones as they go to the link, which is what Linux's taps
 * see: a GSO packet whole for a link that segments it (NS_CAP_HW_GSO), else each segment
 * ns_gso_segment() cut, and checksums finished unless the link finishes them. While no
 * packet endpoint exists each tap costs one branch.
 *
 * Offloads on the way out (ns_nic_output_mac()), as Linux's validate_xmit_skb(): a GSO
 * packet for a link without NS_CAP_HW_GSO is cut in software (gso.c), its segments'
 * checksums left partial only for a link with NS_CAP_TX_CSUM_OFFLOAD; a partial checksum
 * for a link without it is finished in software (a forwarded packet keeps the partial
 * checksum its sender left, whichever link it leaves by).
 *
 * Every change that routes depend on (NICs, addresses, ranges, up/down, spoofing,
 * promiscuous) bumps the stack's generation (ns_stack_generation()), so cached routes
 * notice. Addresses given to the functions here are read as their four bytes for IPv4 (the
 * rest of the struct is zeroed before it is stored or compared).
 *
 * Local delivery (the seed's PacketLoop): a packet the stack sends to itself is not
 * delivered by a nested call, which would recurse without bound when each delivery answers
 * (ping to self, TCP to a local listener). It joins a stack-wide FIFO; the outermost
 * caller drains it, and replies generated while draining join the same FIFO. The FIFO is
 * bounded (NS_LOOP_QUEUE_MAX) and one drain delivers at most LOOP_BUDGET packets, so two
 * local endpoints echoing to each other forever cannot hang the caller: the rest waits
 * for ns_stack_poll(), and ns_stack_next_deadline() says it is due now.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define LOOP_BUDGET     4096
#define GSO_WRITE_BATCH 64 /* segments per link write when GSO is done in software */

static struct ns_nic *nic_of_disp(struct ns_link_dispatcher *d)
{
	return (struct ns_nic *)(void *)((char *)d - offsetof(struct ns_nic, disp));
}

/* The link's dispatcher (the seed's DeliverNetworkPacket). Consumes @pkt. */
static void nic_deliver(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt)
{
	struct ns_nic *nic = nic_of_disp(d);
	struct ns_stack *s = nic->stack;
	const struct ns_netproto_ops *ops;
	void *priv = NULL;

	(void)link;
	s->stats.stat[NS_STAT_LINK_RX]++;
	s->stats.stat[NS_STAT_RX_PACKETS]++;
	if (!nic->up || s->closing) {
		ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		return;
	}
	/* One dispatch over the rest: a packet endpoint's waiter callback may remove the NIC
	 * while it is shown the frame, and the dispatch keeps @nic's memory until we return. */
	stack_enter(s);
	/* Packet endpoints see every frame the link hands up, other hosts' and unknown
	 * EtherTypes included, as Linux's taps run before any protocol looks at it. */
	RAW_HOOK(s, NS_RAW_HOOK_LINK_IN, tap, nic, pkt, false);
	if (nic->removed) {
		ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		goto out;
	}
	if ((pkt->flags & NS_PKT_OTHERHOST) && !nic->promiscuous) {
		ns_drop(s, pkt, NS_DROP_LINK_OTHERHOST);
		goto out;
	}
	pkt->nic = nic->id;
	if (pkt->gso.type != NS_GSO_NONE)
		s->stats.stat[NS_STAT_GSO_RX]++;
	ops = stack_netproto(s, pkt->netproto, &priv);
	if (!ops || !ops->deliver) {
		ns_drop(s, pkt, NS_DROP_LINK_UNKNOWN_PROTO);
		goto out;
	}
	ops->deliver(s, priv, nic, pkt);
out:
	stack_leave(s);
}

struct ns_nic *ns_nic_find(struct ns_stack *s, uint32_t id)
{
	if (!s || id == 0)
		return NULL;
	for (uint32_t i = 0; i < s->nnics; i++)
		if (s->nics[i]->id == id)
			return s->nics[i];
	return NULL;
}

ns_err ns_stack_add_nic(struct ns_stack *s, uint32_t id, struct ns_link *link, const char *name)
{
	const struct ns_link_ops *lo;
	struct ns_nic *nic;

	/* 0 means "any NIC" everywhere else in the API, so it cannot name one. */
	if (!s || !link || !link->ops || id == 0)
		return NS_ERR_INVALID_ARGUMENT;
	if (ns_nic_find(s, id))
		return NS_ERR_DUPLICATE_NIC;
	for (uint32_t i = 0; i < s->nnics; i++)
		if (s->nics[i]->link == link)
			return NS_ERR_INVALID_ARGUMENT; /* a link has one dispatcher */
	if (s->nnics == s->nics_cap) {
		uint32_t cap = s->nics_cap ? s->nics_cap * 2 : 4;
		struct ns_nic **n = realloc(s->nics, cap * sizeof(*n));

		if (!n)
			return NS_ERR_NO_MEMORY;
		s->nics = n;
		s->nics_cap = cap;
	}
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return NS_ERR_NO_MEMORY;
	lo = link->ops;
	nic->stack = s;
	nic->id = id;
	if (name && *name)
		snprintf(nic->name, sizeof(nic->name), "%s", name);
	else
		snprintf(nic->name, sizeof(nic->name), "nic%u", id);
	nic->link = link;
	nic->mtu = lo->mtu ? lo->mtu(link) : 1500;
	nic->caps = lo->caps ? lo->caps(link) : 0;
	nic->link_hdr_len = lo->max_header_len ? lo->max_header_len(link) : 0;
	if (lo->link_addr)
		nic->mac = lo->link_addr(link);
	nic->up = true;
	nic->neigh = neigh_new(s, nic);
	if (!nic->neigh) {
		free(nic);
		return NS_ERR_NO_MEMORY;
	}
	s->nics[s->nnics++] = nic;
	stack_changed(s);
	nic->disp.deliver = nic_deliver;
	if (lo->attach)
		lo->attach(link, &nic->disp);
	return NS_OK;
}

static void nic_release(struct ns_deferred *d)
{
	free((char *)d - offsetof(struct ns_nic, release));
}

ns_err ns_stack_remove_nic(struct ns_stack *s, uint32_t id)
{
	uint32_t i;
	struct ns_nic *nic;

	if (!s)
		return NS_ERR_INVALID_ARGUMENT;
	for (i = 0; i < s->nnics; i++)
		if (s->nics[i]->id == id)
			break;
	if (i == s->nnics)
		return NS_ERR_UNKNOWN_NIC;
	nic = s->nics[i];
	/* Protocols let go of it first, while it is still whole (timers, groups). */
	for (uint32_t p = 0; p < s->nnet; p++) {
		const struct ns_netproto_ops *ops = s->net[p].ops;

		if (ops->nic_removed)
			ops->nic_removed(s, s->net[p].priv, nic);
	}
	/* Detach first: no frame may reach a NIC that is half gone. */
	if (nic->link->ops->attach)
		nic->link->ops->attach(nic->link, NULL);
	/* Keep creation order: "the first NIC" means something to route lookups. */
	memmove(&s->nics[i], &s->nics[i + 1], (s->nnics - i - 1) * sizeof(s->nics[0]));
	s->nnics--;
	stack_changed(s);
	route_remove_nic(s, id);
	neigh_free(s, nic->neigh);
	nic->neigh = NULL;
	nic->removed = true;
	nic->up = false; /* what still holds it (a queue being flushed) sends nothing more */
	/* A dispatch up the stack may still hold @nic (a tap's waiter callback removed it). */
	ns_ep_defer_free(s, &nic->release, nic_release);
	return NS_OK;
}

ns_err ns_stack_set_nic_up(struct ns_stack *s, uint32_t id, bool up)
{
	struct ns_nic *nic = ns_nic_find(s, id);

	if (!nic)
		return NS_ERR_UNKNOWN_NIC;
	nic->up = up;
	stack_changed(s);
	return NS_OK;
}

static bool subnet_valid(const struct ns_subnet *a)
{
	if (a->addr.family != NS_AF_INET && a->addr.family != NS_AF_INET6)
		return false;
	return a->prefix <= ns_addr_len(&a->addr) * 8;
}

/* Tell the network protocols that care about @a's family (the protocol of that family and a
 * resolver for it, such as ARP for IPv4) that it was added: gratuitous ARP, DAD. */
static void notify_address_added(struct ns_stack *s, struct ns_nic *nic, const struct ns_subnet *a)
{
	uint16_t number = a->addr.family == NS_AF_INET ? 0x0800 : 0x86dd;

	for (uint32_t i = 0; i < s->nnet; i++) {
		const struct ns_netproto_ops *ops = s->net[i].ops;

		if (!ops->address_added)
			continue;
		if (ops->family == a->addr.family || (ops->resolves && ops->resolves == number))
			ops->address_added(s, s->net[i].priv, nic, a);
	}
}

static bool family_registered(const struct ns_stack *s, uint8_t family)
{
	for (uint32_t i = 0; i < s->nnet; i++)
		if (((const struct ns_netproto_ops *)s->net[i].ops)->family == family)
			return true;
	return false;
}

ns_err ns_stack_add_address(struct ns_stack *s, uint32_t id, const struct ns_subnet *a)
{
	return ns_stack_add_address_flags(s, id, a, 0);
}

/* The flags a caller asked for are the address's first flags: the protocols' address_added
 * sees them (IPv6: NS_ADDR_F_OPTIMISTIC asks for Optimistic DAD, RFC 4429) and sets what
 * the address really is. */
ns_err ns_stack_add_address_flags(struct ns_stack *s, uint32_t id, const struct ns_subnet *a,
                                  unsigned flags)
{
	struct ns_nic *nic = ns_nic_find(s, id);
	struct ns_subnet sn;

	if (!nic)
		return NS_ERR_UNKNOWN_NIC;
	if (!a || !subnet_valid(a) || ns_addr_is_any(&a->addr))
		return NS_ERR_INVALID_ARGUMENT;
	if ((flags & ~(unsigned)NS_ADDR_F_OPTIMISTIC) || (flags && a->addr.family != NS_AF_INET6))
		return NS_ERR_INVALID_ARGUMENT;
	if (flags && !family_registered(s, NS_AF_INET6))
		return NS_ERR_UNKNOWN_PROTOCOL; /* nobody would run DAD and clear the flag */
	/* Unused bytes past an IPv4 address are zero so that whole-struct compares work. */
	sn = *a;
	sn.addr = addr_norm(&a->addr);
	if (ns_addr_is_any(&sn.addr))
		return NS_ERR_INVALID_ARGUMENT;
	for (uint32_t i = 0; i < nic->naddrs; i++)
		if (ns_addr_eq(&nic->addrs[i].addr, &sn.addr))
			return NS_ERR_DUPLICATE_ADDRESS;
	if (nic->naddrs == NS_NIC_MAX_ADDRS)
		return NS_ERR_NO_BUFFER_SPACE;
	nic->addr_flags[nic->naddrs] = (uint8_t)flags;
	nic->addrs[nic->naddrs++] = sn;
	stack_changed(s);
	notify_address_added(s, nic, &nic->addrs[nic->naddrs - 1]);
	return NS_OK;
}

/* The protocol of @a's family forgets it; when no NIC has it any more, the transports stop
 * sending from it (RFC 4862 5.5.4). */
static void notify_address_removed(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a)
{
	for (uint32_t i = 0; i < s->nnet; i++) {
		const struct ns_netproto_ops *ops = s->net[i].ops;

		if (ops->address_removed && ops->family == a->family)
			ops->address_removed(s, s->net[i].priv, nic, a);
	}
	if (ns_stack_find_local(s, a))
		return; /* the weak host model: still ours on another NIC */
	for (uint32_t i = 0; i < s->ntrans; i++) {
		const struct ns_transproto_ops *ops = s->trans[i].ops;

		if (ops->address_removed)
			ops->address_removed(s, s->trans[i].priv, a);
	}
}

ns_err ns_stack_remove_address(struct ns_stack *s, uint32_t id, const struct ns_addr *a)
{
	struct ns_nic *nic = ns_nic_find(s, id);
	struct ns_addr k;

	if (!nic)
		return NS_ERR_UNKNOWN_NIC;
	if (!a)
		return NS_ERR_INVALID_ARGUMENT;
	k = addr_norm(a);
	for (uint32_t i = 0; i < nic->naddrs; i++) {
		if (!ns_addr_eq(&nic->addrs[i].addr, &k))
			continue;
		/* Keep order: the next address of the family becomes primary. */
		memmove(&nic->addrs[i], &nic->addrs[i + 1],
		        (nic->naddrs - i - 1) * sizeof(nic->addrs[0]));
		memmove(&nic->addr_flags[i], &nic->addr_flags[i + 1], nic->naddrs - i - 1);
		nic->naddrs--;
		stack_changed(s);
		notify_address_removed(s, nic, &k);
		return NS_OK;
	}
	return NS_ERR_BAD_LOCAL_ADDRESS;
}

ns_err ns_stack_add_address_range(struct ns_stack *s, uint32_t id, const struct ns_subnet *range)
{
	struct ns_nic *nic = ns_nic_find(s, id);
	struct ns_subnet sn;

	if (!nic)
		return NS_ERR_UNKNOWN_NIC;
	if (!range || !subnet_valid(range))
		return NS_ERR_INVALID_ARGUMENT;
	sn = *range;
	sn.addr = addr_norm(&range->addr);
	for (uint32_t i = 0; i < nic->nranges; i++)
		if (nic->ranges[i].prefix == sn.prefix &&
		    ns_subnet_contains(&nic->ranges[i], &sn.addr))
			return NS_ERR_DUPLICATE_ADDRESS;
	if (nic->nranges == NS_NIC_MAX_RANGES)
		return NS_ERR_NO_BUFFER_SPACE;
	nic->ranges[nic->nranges++] = sn;
	stack_changed(s);
	return NS_OK;
}

ns_err ns_stack_set_promiscuous(struct ns_stack *s, uint32_t id, bool on)
{
	struct ns_nic *nic = ns_nic_find(s, id);

	if (!nic)
		return NS_ERR_UNKNOWN_NIC;
	nic->promiscuous = on;
	stack_changed(s);
	return NS_OK;
}

ns_err ns_stack_set_spoofing(struct ns_stack *s, uint32_t id, bool on)
{
	struct ns_nic *nic = ns_nic_find(s, id);

	if (!nic)
		return NS_ERR_UNKNOWN_NIC;
	nic->spoofing = on;
	stack_changed(s);
	return NS_OK;
}

struct ns_link *ns_stack_nic_link(struct ns_stack *s, uint32_t id)
{
	struct ns_nic *nic = ns_nic_find(s, id);

	return nic ? nic->link : NULL;
}

size_t ns_stack_nic_ids(const struct ns_stack *s, uint32_t *out, size_t max)
{
	if (!s)
		return 0;
	for (uint32_t i = 0; i < s->nnics && i < max; i++)
		out[i] = s->nics[i]->id;
	return s->nnics;
}

uint32_t ns_nic_id(const struct ns_nic *nic)
{
	return nic->id;
}

struct ns_mac ns_nic_mac(const struct ns_nic *nic)
{
	return nic->mac;
}

uint32_t ns_nic_mtu(const struct ns_nic *nic)
{
	return nic->mtu;
}

uint32_t ns_nic_caps(const struct ns_nic *nic)
{
	return nic->caps;
}

uint16_t ns_nic_max_header_len(const struct ns_nic *nic)
{
	return nic->link_hdr_len;
}

bool ns_nic_is_up(const struct ns_nic *nic)
{
	return nic->up;
}

bool ns_nic_spoofing(const struct ns_nic *nic)
{
	return nic->spoofing;
}

bool ns_nic_promiscuous(const struct ns_nic *nic)
{
	return nic->promiscuous;
}

/* A tentative address (RFC 4862 5.4) is on the NIC but not assigned to it yet. */
static bool nic_has_assigned(const struct ns_nic *nic, const struct ns_addr *a)
{
	for (uint32_t i = 0; i < nic->naddrs; i++)
		if (ns_addr_eq(&nic->addrs[i].addr, a))
			return !(nic->addr_flags[i] & NS_ADDR_F_TENTATIVE);
	return false;
}

static bool nic_in_range(const struct ns_nic *nic, const struct ns_addr *a)
{
	for (uint32_t i = 0; i < nic->nranges; i++)
		if (ns_subnet_contains(&nic->ranges[i], a))
			return true;
	return false;
}

static bool is_limited_broadcast(const struct ns_addr *a)
{
	return a->family == NS_AF_INET && a->a[0] == 255 && a->a[1] == 255 && a->a[2] == 255 &&
	       a->a[3] == 255;
}

/* RFC 1122 3.3.6 / RFC 919: a directed broadcast of one of the NIC's subnets. /31 and /32
 * have none (RFC 3021). */
static bool nic_directed_broadcast(const struct ns_nic *nic, const struct ns_addr *a)
{
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

/* @nic's own view of @a (already normalised), before promiscuous mode. */
static enum ns_addr_match nic_match(const struct ns_nic *nic, const struct ns_addr *a)
{
	if (nic_has_assigned(nic, a))
		return NS_ADDR_ASSIGNED;
	if (nic_in_range(nic, a))
		return NS_ADDR_RANGE;
	if (a->family == NS_AF_INET && (is_limited_broadcast(a) || nic_directed_broadcast(nic, a)))
		return NS_ADDR_BROADCAST;
	return NS_ADDR_NONE;
}

enum ns_addr_match ns_nic_match_addr(struct ns_stack *s, struct ns_nic *nic,
                                     const struct ns_addr *a)
{
	enum ns_addr_match m;
	struct ns_addr k;

	(void)s;
	if (!nic || !a)
		return NS_ADDR_NONE;
	k = addr_norm(a);
	m = nic_match(nic, &k);
	if (m == NS_ADDR_NONE && nic->promiscuous)
		return NS_ADDR_PROMISCUOUS;
	return m;
}

enum ns_addr_match ns_stack_match_local(struct ns_stack *s, struct ns_nic *nic,
                                        const struct ns_addr *a)
{
	enum ns_addr_match m;
	struct ns_addr k;

	if (!s || !nic || !a)
		return NS_ADDR_NONE;
	k = addr_norm(a);
	m = nic_match(nic, &k);
	if (m != NS_ADDR_NONE)
		return m;
	/* RFC 1122 3.3.4.2 weak host, as Linux: assigned to another NIC is local too. */
	for (uint32_t i = 0; i < s->nnics; i++)
		if (s->nics[i] != nic && nic_has_assigned(s->nics[i], &k))
			return NS_ADDR_ASSIGNED;
	return nic->promiscuous ? NS_ADDR_PROMISCUOUS : NS_ADDR_NONE;
}

bool ns_nic_has_ranges(const struct ns_nic *nic, uint8_t family)
{
	for (uint32_t i = 0; nic && i < nic->nranges; i++)
		if (nic->ranges[i].addr.family == family)
			return true;
	return false;
}

bool ns_nic_owns_addr(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a)
{
	struct ns_addr k;

	(void)s;
	if (!nic || !a)
		return false;
	k = addr_norm(a);
	return nic_has_assigned(nic, &k) || nic_in_range(nic, &k);
}

struct ns_nic *ns_stack_find_local(struct ns_stack *s, const struct ns_addr *a)
{
	struct ns_addr k;

	if (!s || !a)
		return NULL;
	k = addr_norm(a);
	for (uint32_t i = 0; i < s->nnics; i++)
		if (nic_has_assigned(s->nics[i], &k))
			return s->nics[i];
	return NULL;
}

/* An optimistic address is primary only when no other is usable: RFC 4429 2.1 has it
 * treated as deprecated, "available for use but should not be used if another suitable
 * address is available". */
bool ns_nic_primary_addr(struct ns_nic *nic, uint8_t family, struct ns_subnet *out)
{
	if (!nic)
		return false;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < nic->naddrs; i++) {
			unsigned f = nic->addr_flags[i];

			if (nic->addrs[i].addr.family == family && !(f & NS_ADDR_F_TENTATIVE) &&
			    (pass == 1 || !(f & NS_ADDR_F_OPTIMISTIC))) {
				if (out)
					*out = nic->addrs[i];
				return true;
			}
		}
	}
	return false;
}

/* Software GSO: a GSO packet for a link that cannot segment it goes down as the segments
 * it stands for (src/link/gso.c), in batches of up to GSO_WRITE_BATCH per link write. The
 * checksums are left partial for a link that finishes them. Consumes @pkt. */
static ns_err nic_output_sw_gso(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct ns_pkt *segs, *batch[GSO_WRITE_BATCH];
	ns_err err = ns_gso_segment(pkt, (nic->caps & NS_CAP_TX_CSUM_OFFLOAD) != 0, &segs);
	ns_err ret = NS_OK;

	if (err != NS_OK) {
		s->stats.stat[NS_STAT_TX_ERRORS]++;
		ns_drop(s, pkt, err == NS_ERR_NO_MEMORY ? NS_DROP_NO_MEMORY : NS_DROP_GSO_BAD);
		return err == NS_ERR_NO_MEMORY ? NS_ERR_NO_BUFFER_SPACE : err;
	}
	ns_pkt_free(pkt);
	/* As in ns_nic_output_mac(): a tap's callback may remove the NIC. */
	stack_enter(s);
	while (segs) {
		int n = 0, sent;

		while (segs && n < GSO_WRITE_BATCH) {
			batch[n] = segs;
			segs = segs->next;
			batch[n]->next = NULL;
			/* Taps see what goes to the link: each segment, as Linux's
			 * dev_queue_xmit_nit() runs after validate_xmit_skb() segmented. */
			RAW_HOOK(s, NS_RAW_HOOK_LINK_OUT, tap, nic, batch[n], true);
			n++;
		}
		if (nic->removed) {
			for (int i = 0; i < n; i++)
				ns_drop(s, batch[i], NS_DROP_NIC_DOWN);
			while (segs) {
				struct ns_pkt *next = segs->next;

				ns_drop(s, segs, NS_DROP_NIC_DOWN);
				segs = next;
			}
			ret = NS_ERR_NETWORK_UNREACHABLE;
			break;
		}
		s->stats.stat[NS_STAT_GSO_SW_SEGMENTS] += (uint64_t)n;
		s->stats.stat[NS_STAT_LINK_TX] += (uint64_t)n;
		s->stats.stat[NS_STAT_TX_PACKETS] += (uint64_t)n;
		sent = ns_link_write(nic->link, batch, n);
		if (sent < n) {
			/* As for a single packet: the link consumed and counted what it refused. */
			s->stats.stat[NS_STAT_TX_ERRORS] += (uint64_t)(n - sent);
			for (int i = sent; i < n; i++)
				ns_drop(s, NULL, NS_DROP_LINK_TX_FAILED);
			ret = NS_ERR_NO_BUFFER_SPACE;
		}
	}
	stack_leave(s);
	return ret;
}

ns_err ns_nic_output_mac(struct ns_stack *s, struct ns_nic *nic, const struct ns_mac *dst,
                         struct ns_pkt *pkt)
{
	if (!s || !pkt) {
		ns_pkt_free(pkt);
		return NS_ERR_INVALID_ARGUMENT;
	}
	if (!nic || !nic->up) {
		/* ENETUNREACH, as Linux reports once a device is down and its routes are
		 * gone. */
		s->stats.stat[NS_STAT_TX_ERRORS]++;
		ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		return NS_ERR_NETWORK_UNREACHABLE;
	}
	/* The link pushes its header and may queue the packet through ->next. */
	pkt = pkt_unshare(s, pkt);
	if (!pkt) {
		s->stats.stat[NS_STAT_TX_ERRORS]++;
		return NS_ERR_NO_BUFFER_SPACE;
	}
	if (dst)
		pkt->link_dst = *dst;
	pkt->nic = nic->id;
	if (pkt->gso.type != NS_GSO_NONE) {
		s->stats.stat[NS_STAT_GSO_TX]++;
		if (!(nic->caps & NS_CAP_HW_GSO))
			return nic_output_sw_gso(s, nic, pkt);
	} else if ((pkt->flags & NS_PKT_CSUM_PARTIAL) && !(nic->caps & NS_CAP_TX_CSUM_OFFLOAD) &&
	           !(pkt->flags & NS_PKT_LINK_HDR) && !ns_pkt_csum_finish(pkt)) {
		/* Our transports leave a checksum partial only for a link that finishes it; a
		 * forwarded packet keeps its sender's (a TAP's NEEDS_CSUM), whatever link it
		 * leaves by, so a link that cannot gets it finished here, as Linux's
		 * validate_xmit_skb() does with skb_checksum_help(). Offsets past the packet
		 * cannot be honoured. */
		s->stats.stat[NS_STAT_TX_ERRORS]++;
		ns_drop(s, pkt, NS_DROP_OFFLOAD_BAD);
		return NS_ERR_INVALID_ARGUMENT;
	}
	s->stats.stat[NS_STAT_LINK_TX]++;
	s->stats.stat[NS_STAT_TX_PACKETS]++;
	/* Linux dev_queue_xmit_nit(): NS_ETH_P_ALL packet endpoints see each frame as it
	 * goes to the device (a GSO packet whole: the device segments it). */
	if (s->raw_users[NS_RAW_HOOK_LINK_OUT]) {
		/* A tap's waiter callback may remove the NIC: the dispatch held around it
		 * keeps @nic's memory, and the frame then goes nowhere. */
		bool gone;

		stack_enter(s);
		RAW_HOOK(s, NS_RAW_HOOK_LINK_OUT, tap, nic, pkt, true);
		gone = nic->removed;
		if (gone) {
			s->stats.stat[NS_STAT_TX_ERRORS]++;
			ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		}
		stack_leave(s);
		if (gone)
			return NS_ERR_NETWORK_UNREACHABLE;
	}
	if (ns_link_write(nic->link, &pkt, 1) != 1) {
		/* The link consumed and counted the packet itself; ENOBUFS is what Linux
		 * reports when a device queue drops. */
		s->stats.stat[NS_STAT_TX_ERRORS]++;
		ns_drop(s, NULL, NS_DROP_LINK_TX_FAILED);
		return NS_ERR_NO_BUFFER_SPACE;
	}
	return NS_OK;
}

/* Deliver one looped packet as if its NIC had received it. Consumes @pkt. */
static void loop_deliver_one(struct ns_stack *s, struct ns_pkt *pkt)
{
	struct ns_nic *nic = ns_nic_find(s, pkt->nic);
	const struct ns_netproto_ops *ops;
	void *priv = NULL;

	s->stats.stat[NS_STAT_RX_PACKETS]++;
	if (!nic || !nic->up || s->closing) {
		ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		return;
	}
	ops = stack_netproto(s, pkt->netproto, &priv);
	if (!ops || !ops->deliver) {
		ns_drop(s, pkt, NS_DROP_LINK_UNKNOWN_PROTO);
		return;
	}
	ops->deliver(s, priv, nic, pkt);
}

void nic_loop_drain(struct ns_stack *s)
{
	if (s->loop_draining)
		return; /* the outer drain picks up what was queued */
	stack_enter(s);
	s->loop_draining = true;
	for (int budget = LOOP_BUDGET; budget > 0 && s->loop_head; budget--) {
		struct ns_pkt *pkt = s->loop_head;

		s->loop_head = pkt->next;
		if (!s->loop_head)
			s->loop_tail = NULL;
		s->loop_len--;
		pkt->next = NULL;
		loop_deliver_one(s, pkt);
	}
	s->loop_draining = false;
	stack_leave(s);
}

ns_err ns_nic_loop_local(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt)
{
	if (!s || !pkt) {
		ns_pkt_free(pkt);
		return NS_ERR_INVALID_ARGUMENT;
	}
	if (!nic || s->closing) {
		ns_drop(s, pkt, NS_DROP_NIC_DOWN);
		return NS_ERR_NETWORK_UNREACHABLE;
	}
	if (s->loop_len >= NS_LOOP_QUEUE_MAX) {
		ns_drop(s, pkt, NS_DROP_NO_MEMORY);
		return NS_ERR_NO_BUFFER_SPACE;
	}
	/* A packet shared with another owner gets its own copy: its metadata and queue link
	 * are about to change. */
	pkt = pkt_unshare(s, pkt);
	if (!pkt)
		return NS_ERR_NO_BUFFER_SPACE;
	/* The packet turns inbound. It never left memory, so a checksum left partial for
	 * offload is as good as verified (Linux treats loopback traffic the same way);
	 * outbound-only metadata is cleared. */
	if (pkt->flags & NS_PKT_CSUM_PARTIAL)
		pkt->flags = (uint16_t)((pkt->flags & ~NS_PKT_CSUM_PARTIAL) | NS_PKT_CSUM_VERIFIED);
	pkt->flags &= (uint16_t)~NS_PKT_OTHERHOST;
	pkt->flags |= NS_PKT_LOOPED;
	memset(&pkt->gso, 0, sizeof(pkt->gso));
	pkt->link_src = nic->mac;
	pkt->nic = nic->id;
	pkt->next = NULL;
	if (s->loop_tail)
		s->loop_tail->next = pkt;
	else
		s->loop_head = pkt;
	s->loop_tail = pkt;
	s->loop_len++;
	nic_loop_drain(s);
	return NS_OK;
}

/* ---------------------------------------------------------------- address flags (IPv6) */

static int nic_addr_index(const struct ns_nic *nic, const struct ns_addr *a)
{
	struct ns_addr k = addr_norm(a);

	for (uint32_t i = 0; i < nic->naddrs; i++)
		if (ns_addr_eq(&nic->addrs[i].addr, &k))
			return (int)i;
	return -1;
}

ns_err ns_nic_set_addr_flags(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a,
                             unsigned flags)
{
	int i;

	if (!s || !nic || !a)
		return NS_ERR_INVALID_ARGUMENT;
	i = nic_addr_index(nic, a);
	if (i < 0)
		return NS_ERR_BAD_LOCAL_ADDRESS;
	if (nic->addr_flags[i] != (uint8_t)flags) {
		nic->addr_flags[i] = (uint8_t)flags;
		stack_changed(s); /* source choice and local delivery depend on it */
	}
	return NS_OK;
}

int ns_nic_addr_flags(const struct ns_nic *nic, const struct ns_addr *a)
{
	int i;

	if (!nic || !a)
		return -1;
	i = nic_addr_index(nic, a);
	return i < 0 ? -1 : nic->addr_flags[i];
}

void ns_nic_set_ipv6_mtu(struct ns_stack *s, struct ns_nic *nic, uint32_t mtu)
{
	if (!s || !nic || nic->mtu6 == mtu)
		return;
	nic->mtu6 = mtu;
	stack_changed(s);
}

uint32_t ns_nic_ipv6_mtu(const struct ns_nic *nic)
{
	return nic->mtu6 ? nic->mtu6 : nic->mtu;
}

size_t ns_stack_nic_addresses(struct ns_stack *s, uint32_t id, struct ns_addr_info *out, size_t max)
{
	struct ns_nic *nic = ns_nic_find(s, id);

	if (!nic)
		return 0;
	for (uint32_t i = 0; i < nic->naddrs && i < max; i++) {
		out[i].addr = nic->addrs[i];
		out[i].flags = nic->addr_flags[i];
	}
	return nic->naddrs;
}
