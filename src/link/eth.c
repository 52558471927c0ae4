/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: Ethernet II framing shared by every link whose frames carry a 14-byte
 * header (TAP, channel in Ethernet mode), plus the EtherType guess for header-less links.
 *
 * Outbound, ns_link_eth_push() writes dst (pkt->link_dst), src and type (pkt->netproto) into
 * the packet's headroom and records it as the NS_HDR_LINK header; a packet that carries its
 * own header (NS_PKT_LINK_HDR, a packet endpoint's raw frame) keeps it as it is. Inbound,
 * ns_link_eth_consume() records and skips the header, so the head lands on the network header,
 * and classifies the destination the way Linux's eth_type_trans() does: broadcast, other
 * multicast (group bit set), or unicast for another host. Frames keep any padding after the
 * network packet; the network layer trims to its own length field. 802.1Q tags and 802.3
 * length fields are not interpreted: their value simply becomes pkt->netproto, which no
 * network protocol claims, so such frames are dropped further up.
 */
#include <string.h>

#include "netstack/link.h"

#define ETH_HDR_LEN 14u

bool ns_link_eth_push(struct ns_pkt *pkt, const struct ns_mac *src)
{
	if (pkt->flags & NS_PKT_LINK_HDR) {
		/* A packet endpoint's raw frame: its header is in place, written as it is. */
		if (pkt->len < ETH_HDR_LEN)
			return false;
		pkt->hdr[NS_HDR_LINK] = (struct ns_hdr_ref){.off = pkt->head, .len = ETH_HDR_LEN};
		return true;
	}
	uint8_t *h = ns_pkt_push(pkt, NS_HDR_LINK, ETH_HDR_LEN);
	if (!h)
		return false;
	memcpy(h, pkt->link_dst.b, 6);
	memcpy(h + 6, src->b, 6);
	h[12] = (uint8_t)(pkt->netproto >> 8);
	h[13] = (uint8_t)pkt->netproto;
	return true;
}

bool ns_link_eth_consume(struct ns_pkt *pkt, const struct ns_mac *own)
{
	const uint8_t *h = ns_pkt_consume(pkt, NS_HDR_LINK, ETH_HDR_LEN);
	if (!h)
		return false;
	struct ns_mac dst;
	memcpy(dst.b, h, 6);
	memcpy(pkt->link_src.b, h + 6, 6);
	pkt->netproto = (uint16_t)(h[12] << 8 | h[13]);
	pkt->flags &= (uint16_t) ~(NS_PKT_BROADCAST | NS_PKT_MULTICAST | NS_PKT_OTHERHOST);
	if (ns_mac_is_broadcast(&dst))
		pkt->flags |= NS_PKT_BROADCAST;
	else if (ns_mac_is_multicast(&dst))
		pkt->flags |= NS_PKT_MULTICAST;
	else if (!own || !ns_mac_eq(&dst, own))
		pkt->flags |= NS_PKT_OTHERHOST;
	return true;
}

uint16_t ns_link_ip_version_proto(const struct ns_pkt *pkt)
{
	const uint8_t *p = ns_pkt_peek(pkt, 0, 1);
	if (!p)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		return 0x0800;
	case 6:
		return 0x86dd;
	default:
		return 0;
	}
}
