/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: ARP for IPv4 over Ethernet (RFC 826; probes and announcements
 * RFC 5227).
 *
 * ARP is a network protocol (EtherType 0x0806) that resolves IPv4 (0x0800). It keeps no
 * state of its own: link addresses live in the core's neighbor cache, which calls
 * arp_link_addr_request() to ask (broadcast requests, or unicast probes when confirming an
 * entry) and learns answers through ns_neigh_update(). Frames leave through
 * ns_nic_output_mac() with pkt->netproto = 0x0806; the link pushes the Ethernet header.
 *
 * Inbound follows RFC 826 "Packet Reception": after the packet is validated, the sender's
 * entry is updated if the cache knows the sender (the merge step, which also takes
 * gratuitous ARP, RFC 5227 3); then, if the target address is ours, a request creates the
 * sender's entry if needed and is answered. "Ours" is the weak host model, as Linux with
 * arp_ignore=0: an address assigned to any NIC of the stack, or in an address range of the
 * receiving NIC. Only requests create entries: an unsolicited reply from a host we never
 * asked creates nothing (Linux arp_accept=0; else anyone could plant entries), though a
 * reply updates an entry that exists (INCOMPLETE included: that is the answer we wait
 * for). Unicast replies to us count as solicited confirmations (RFC 4861 7.2.5 semantics in
 * the cache). A probe (sender address 0.0.0.0, RFC 5227 2.1.1) is answered so the prober
 * learns of the conflict, but creates no entry. ARP has no Override bit: it passes
 * NS_NEIGH_OVERRIDE for requests and replies alike, since RFC 826 merges unconditionally
 * and Linux updates its ARP cache from both.
 *
 * An address added to a NIC that needs resolution is announced with one gratuitous request
 * (RFC 5227 3).
 *
 * Limits: Ethernet/IPv4 only; a sender claiming one of our addresses is counted as a
 * conflict and ignored, not defended (RFC 5227 2.4); one announcement, not two; no proxy
 * ARP.
 */
#include <string.h>

#include "net/net.h"
#include "netstack/link.h"
#include "wire/arp.h"
#include "wire/ipv4.h"

static const struct ns_mac mac_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

static struct ns_addr v4(const uint8_t a[4])
{
	return ns_addr_v4_from_bytes(a);
}

/* Build and send one ARP packet to link address @dst. */
static ns_err arp_send(struct ns_stack *s, struct ns_nic *nic, const struct arp_repr *a,
                       const struct ns_mac *dst)
{
	struct ns_pkt *pkt = ns_pkt_alloc(NS_PKT_HEADROOM, ARP_LEN);

	if (!pkt) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NS_ERR_NO_MEMORY;
	}
	arp_emit(a, ns_pkt_data(pkt));
	pkt->netproto = NS_ETHERTYPE_ARP;
	return ns_nic_output_mac(s, nic, dst, pkt);
}

/* A request for @tpa from @spa (RFC 826), to @dst. */
static ns_err arp_request(struct ns_stack *s, struct ns_nic *nic, const uint8_t spa[4],
                          const uint8_t tpa[4], const struct ns_mac *dst)
{
	struct arp_repr a = {.op = ARP_OP_REQUEST, .sha = ns_nic_mac(nic)};
	ns_err err;

	memcpy(a.spa, spa, 4);
	memcpy(a.tpa, tpa, 4);
	err = arp_send(s, nic, &a, dst);
	if (err == NS_OK)
		ns_stat_inc(s, NS_STAT_ARP_REQUESTS_TX);
	return err;
}

static ns_err arp_link_addr_request(struct ns_stack *s, void *priv, struct ns_nic *nic,
                                    const struct ns_addr *target, const struct ns_addr *local,
                                    const struct ns_mac *remote_mac)
{
	static const uint8_t zero[4];
	struct ns_subnet primary;
	const uint8_t *spa = zero;

	(void)priv;
	if (!target || target->family != NS_AF_INET)
		return NS_ERR_INVALID_ARGUMENT;
	/* The sender address: the one the caller chose (the source of the packet that
	 * needs the answer, as Linux's arp_announce=0), else the NIC's primary address. */
	if (local && local->family == NS_AF_INET && !ns_addr_is_any(local))
		spa = local->a;
	else if (ns_nic_primary_addr(nic, NS_AF_INET, &primary))
		spa = primary.addr.a;
	return arp_request(s, nic, spa, target->a, remote_mac ? remote_mac : &mac_broadcast);
}

/* RFC 826: answer a request for one of our addresses: swap sender and target, and fill in
 * our MAC. A probe (sender 0.0.0.0) gets target 0.0.0.0 back, as Linux sends. */
static void arp_reply(struct ns_stack *s, struct ns_nic *nic, const struct arp_repr *req)
{
	struct arp_repr a = {.op = ARP_OP_REPLY, .sha = ns_nic_mac(nic), .tha = req->sha};

	memcpy(a.spa, req->tpa, 4);
	memcpy(a.tpa, req->spa, 4);
	if (arp_send(s, nic, &a, &req->sha) == NS_OK)
		ns_stat_inc(s, NS_STAT_ARP_REPLIES_TX);
}

/* Beyond the wire format: the sender must be one host, so that no cache entry ever maps to
 * a group or null MAC, and must not claim a broadcast or multicast address. */
static bool arp_sender_ok(const struct arp_repr *a)
{
	static const struct ns_mac zero;

	if (ns_mac_is_multicast(&a->sha) || ns_mac_eq(&a->sha, &zero))
		return false;
	return !ipv4_is_broadcast(a->spa) && !ipv4_is_multicast(a->spa);
}

/* RFC 826 merge and create: what the packet teaches about its sender. */
static void arp_learn(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                      const struct arp_repr *a, bool for_us)
{
	struct ns_addr spa = v4(a->spa);
	unsigned flags = NS_NEIGH_OVERRIDE; /* RFC 826 merges unconditionally */

	/* RFC 826 creates the entry when we are the target; Linux (arp_accept=0) only for
	 * requests, so that unsolicited replies cannot fill or poison the cache. */
	if (for_us && a->op == ARP_OP_REQUEST)
		flags |= NS_NEIGH_CREATE;
	/* A unicast reply to us answers our request (Linux: REACHABLE only for PACKET_HOST). */
	if (for_us && a->op == ARP_OP_REPLY &&
	    !(pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST)))
		flags |= NS_NEIGH_SOLICITED;
	/* Without NS_NEIGH_CREATE this only updates an entry the cache already has: the
	 * merge step, which is also how gratuitous ARP refreshes a moved address. */
	ns_neigh_update(s, nic, &spa, &a->sha, flags);
}

static void arp_deliver(struct ns_stack *s, void *priv, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct arp_repr a;
	struct ns_addr spa, tpa;
	bool for_us, probe;

	(void)priv;
	ns_stat_inc(s, NS_STAT_ARP_RX);
	if (!arp_parse(&a, ns_pkt_data(pkt), pkt->len) || !arp_sender_ok(&a)) {
		ns_drop(s, pkt, NS_DROP_ARP_MALFORMED);
		return;
	}
	ns_stat_inc(s, a.op == ARP_OP_REQUEST ? NS_STAT_ARP_REQUESTS_RX : NS_STAT_ARP_REPLIES_RX);
	spa = v4(a.spa);
	tpa = v4(a.tpa);
	/* Someone else using our address (or our own frame coming back): never cached. */
	if (ns_stack_find_local(s, &spa)) {
		ns_drop(s, pkt, NS_DROP_ARP_CONFLICT);
		return;
	}
	/* Weak host, as Linux's arp_ignore=0: any address of the stack, or in this NIC's
	 * ranges. */
	switch (ns_stack_match_local(s, nic, &tpa)) {
	case NS_ADDR_ASSIGNED:
	case NS_ADDR_RANGE:
		for_us = true;
		break;
	default:
		for_us = false;
		break;
	}
	probe = ipv4_is_unspecified(a.spa);
	/* RFC 5227 2.1.1: a probe's zero sender address is no mapping to learn. */
	if (!probe)
		arp_learn(s, nic, pkt, &a, for_us);
	if (!for_us) {
		ns_drop(s, pkt, NS_DROP_ARP_NOT_FOR_US);
		return;
	}
	if (a.op == ARP_OP_REQUEST)
		arp_reply(s, nic, &a);
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_pkt_free(pkt);
}

/* RFC 5227 3: announce a new address with a gratuitous request (sender = target = it). */
static void arp_address_added(struct ns_stack *s, void *priv, struct ns_nic *nic,
                              const struct ns_subnet *a)
{
	(void)priv;
	if (a->addr.family != NS_AF_INET || !ns_nic_is_up(nic) ||
	    !(ns_nic_caps(nic) & NS_CAP_RESOLUTION_REQUIRED))
		return;
	arp_request(s, nic, a->addr.a, a->addr.a, &mac_broadcast);
}

/* ARP carries no upper layer: nothing may be written through it. */
static ns_err arp_write(struct ns_stack *s, void *priv, const struct ns_route *r,
                        struct ns_pkt *pkt, const struct ns_write_params *wp)
{
	(void)s, (void)priv, (void)r, (void)wp;
	ns_pkt_free(pkt);
	return NS_ERR_NOT_SUPPORTED;
}

const struct ns_netproto_ops ns_proto_arp = {
    .name = "arp",
    .number = NS_ETHERTYPE_ARP,
    .family = 0,
    .max_header_len = 0,
    .deliver = arp_deliver,
    .write = arp_write,
    .resolves = NS_ETHERTYPE_IPV4,
    .link_addr_request = arp_link_addr_request,
    .address_added = arp_address_added,
};
