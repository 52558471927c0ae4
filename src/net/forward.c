/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the offload metadata of a packet being forwarded (both families).
 *
 * A packet a router forwards may have come with offload metadata: from a TAP with a
 * virtio-net header, a GSO super-frame (the kernel's TSO or GRO packet, up to 64 KiB, with
 * a descriptor: type and segment size) and a checksum left partial (NEEDS_CSUM: the field
 * holds only the pseudo-header sum) or known good (DATA_VALID); from another stack's channel,
 * the same. Linux forwards such packets as they are (ip_forward(), ip6_forward()) and lets
 * the output device, or validate_xmit_skb() in software, finish them. fwd_offload() does
 * the same, in three cases:
 *
 *   GSO        ns_gso_prepare() (src/link/gso.c) checks the headers against the
 *              descriptor, rebuilds the descriptor's offsets from the headers and makes the
 *              checksum partial, whatever the link said of it: a GRO'd super-frame's field
 *              is its first segment's checksum, valid for nobody, and Linux's
 *              tcp4_gso_segment() rewrites it the same way for a packet that is not
 *              CHECKSUM_PARTIAL. The MTU is held against each segment (Linux's
 *              skb_gso_validate_network_len()), never against the super-frame.
 *   partial    (not GSO) it leaves partial with its offsets, once they are seen to point
 *              past the network header and inside the packet: the link finishes it, or
 *              the NIC does in software for a link that cannot (nic.c), or fragmentation
 *              does before it cuts the datagram (frag.c).
 *   otherwise  the checksum is complete (verified by the link or not: a router does not
 *              check it) and goes on untouched.
 *
 * Then the packet leaves as any other does: ns_nic_output_mac() hands a GSO packet whole
 * to a link with NS_CAP_HW_GSO and cuts it for any other (with checksums left partial only
 * for a link with NS_CAP_TX_CSUM_OFFLOAD). Limits: an IPv6 super-frame with extension
 * headers cannot be forwarded (as it cannot be segmented, gso.c): it is dropped as
 * NS_DROP_OFFLOAD_BAD; the kernel's TSO never sends one.
 *
 * A super-frame for this host (fwd_local_gso(), called by local delivery in both families)
 * is checked too: its descriptor must name the packet's family and upper-layer protocol
 * with a size, as Linux's virtio_net_hdr_to_skb() probes it. A TCP one then goes up whole
 * (TCP takes segments larger than the MSS, counting the segments it stands for); a UDP one
 * (NS_GSO_UDP_L4) is cut into the datagrams it stands for, each delivered on its own, as
 * Linux's udp_rcv_segment() does for a socket without UDP_GRO (which this stack does not
 * offer): an application reads datagrams, never a 64 KiB concatenation of them. The cut
 * computes each datagram's checksum afresh, so it is made only of data the link vouched
 * for (NS_PKT_CSUM_VERIFIED: NEEDS_CSUM or DATA_VALID, which a TAP's UDP_L4 always has).
 */
#include "net/forward.h"

#include "netstack/link.h"
#include "netstack/proto.h"

bool fwd_offload(struct ns_pkt *pkt, uint32_t l3_len, uint32_t *net_len, uint16_t *flags)
{
	uint32_t start = pkt->csum_start, field = start + pkt->csum_off;

	*net_len = pkt->len;
	*flags = 0;
	if (pkt->gso.type != NS_GSO_NONE) {
		if (ns_gso_prepare(pkt, net_len) != NS_OK)
			return false;
		*flags = NS_PKT_CSUM_PARTIAL;
		return true;
	}
	if (pkt->flags & NS_PKT_CSUM_PARTIAL) {
		if (start < l3_len || field < start || !ns_pkt_peek(pkt, field, 2))
			return false;
		*flags = NS_PKT_CSUM_PARTIAL;
		return true;
	}
	pkt->csum_start = pkt->csum_off = 0;
	return true;
}

struct ns_pkt *fwd_local_gso(struct ns_stack *s, struct ns_pkt *pkt, bool v6, uint8_t proto)
{
	uint8_t type = pkt->gso.type;
	struct ns_pkt *segs, *p;
	ns_err err;

	if (type == NS_GSO_NONE)
		return pkt;
	if (!pkt->gso.mss ||
	    !(proto == NS_IPPROTO_TCP ? type == (v6 ? NS_GSO_TCPV6 : NS_GSO_TCPV4)
	                              : proto == NS_IPPROTO_UDP && type == NS_GSO_UDP_L4)) {
		ns_drop(s, pkt, NS_DROP_OFFLOAD_BAD);
		return NULL;
	}
	if (type != NS_GSO_UDP_L4)
		return pkt;
	if (!(pkt->flags & NS_PKT_CSUM_VERIFIED)) {
		ns_drop(s, pkt, NS_DROP_OFFLOAD_BAD);
		return NULL;
	}
	err = ns_gso_segment(pkt, false, &segs);
	if (err != NS_OK) {
		ns_drop(s, pkt, err == NS_ERR_NO_MEMORY ? NS_DROP_NO_MEMORY : NS_DROP_OFFLOAD_BAD);
		return NULL;
	}
	for (p = segs; p; p = p->next) {
		p->flags |= NS_PKT_CSUM_VERIFIED;
		p->link_src = pkt->link_src;
	}
	ns_pkt_free(pkt);
	return segs;
}
