/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the parts of a send and of ICMP echo that IPv4 and IPv6 do the same
 * way (ip.h). ipv4.c and ipv6.c push their header, decide whether the packet is fragmented
 * and whether a group copy loops back (IPv4 loops every broadcast and multicast it sends,
 * IPv6 a multicast only to a group the NIC joined), then call ip_output(). icmpv4.c and
 * icmpv6.c turn an echo request into its reply in place with ip_echo_turn(), and hand echo
 * replies to the ping endpoints with ip_echo_reply_in().
 */
#include "net/ip.h"

#include <string.h>

#include "netstack/stack.h"

void ip_loop_copy(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt)
{
	struct ns_pkt *c = ns_pkt_copy(pkt);

	if (!c) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return;
	}
	ns_nic_loop_local(s, nic, c);
}

ns_err ip_output_chain(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *next_hop,
                       const struct ns_addr *local, struct ns_pkt *frags)
{
	ns_err err = frags ? NS_OK : NS_ERR_NO_BUFFER_SPACE;

	while (frags) {
		struct ns_pkt *next = frags->next;
		ns_err e;

		frags->next = NULL;
		e = ns_nic_output(s, nic, next_hop, local, frags);
		if (e != NS_OK && err == NS_OK)
			err = e;
		frags = next;
	}
	return err;
}

ns_err ip_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_route *r,
                 struct ns_pkt *pkt, bool loop, ip_fragment_fn fragment)
{
	const struct ns_addr *hop =
	    r->flags & (NS_ROUTE_BROADCAST | NS_ROUTE_MULTICAST) ? &r->remote : &r->next_hop;

	if (r->flags & NS_ROUTE_LOCAL)
		return ns_nic_loop_local(s, nic, pkt);
	if (loop)
		ip_loop_copy(s, nic, pkt);
	if (fragment)
		return ip_output_chain(s, nic, hop, &r->local, fragment(s, pkt, r->mtu));
	return ns_nic_output(s, nic, hop, &r->local, pkt);
}

struct ns_pkt *ip_echo_turn(struct ns_stack *s, struct ns_pkt *pkt, uint16_t hlen)
{
	/* Ours alone to rewrite (pkt.h, Ownership). */
	if (pkt->refcnt > 1) {
		struct ns_pkt *c = ns_pkt_copy(pkt);

		ns_pkt_free(pkt);
		if (!c) {
			ns_drop(s, NULL, NS_DROP_NO_MEMORY);
			return NULL;
		}
		pkt = c;
	}
	pkt->next = NULL;
	pkt->flags = 0;
	memset(&pkt->gso, 0, sizeof(pkt->gso));
	pkt->csum_start = pkt->csum_off = 0;
	memset(pkt->hdr, 0, sizeof(pkt->hdr));
	pkt->hdr[NS_HDR_TRANSPORT].off = pkt->head;
	pkt->hdr[NS_HDR_TRANSPORT].len = hlen;
	return pkt;
}

void ip_echo_reply_in(struct ns_stack *s, struct ns_pkt *pkt, enum ns_drop_reason unhandled)
{
	switch (ns_deliver_transport(s, pkt)) {
	case NS_DELIVERED:
	case NS_DELIVER_MALFORMED:
		return;
	case NS_DELIVER_PORT_UNREACHABLE:
		/* No error about an echo reply (RFC 1122 3.2.2, RFC 4443 2.4(e)). */
		ns_drop(s, pkt, NS_DROP_PING_NO_ENDPOINT);
		return;
	case NS_DELIVER_NO_PROTO:
	default:
		ns_drop(s, pkt, unhandled); /* no ping endpoints in this stack */
		return;
	}
}
