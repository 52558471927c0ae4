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
 */
#include "net/forward.h"

#include "netstack/link.h"

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
