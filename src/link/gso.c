/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: software segmentation offload (the seed's GSO in software, Linux's
 * skb_gso_segment()).
 *
 * A GSO packet is one network-layer packet standing for several: TCP (or UDP) built one
 * header and up to 64 KiB of payload, and pkt->gso says how to cut it (type, gso.mss payload
 * bytes per segment). A device with TSO cuts it itself (NS_CAP_HW_GSO: a TAP with a vnet
 * header hands it to the kernel whole). For every other link, ns_nic_output_mac() calls
 * ns_gso_segment() just before the link's write, so the one place that knows how to cut a
 * packet is this file, and every link below sees only packets that fit its MTU.
 *
 * Each segment is a new packet (pooled: standard-size buffers for MTU-sized segments, no
 * malloc in the steady state) holding a copy of the network and transport headers and its
 * slice of the payload, with the fields a device doing TSO rewrites, as Linux's
 * tcp_gso_segment()/inet_gso_segment() do:
 *   IPv4   total length; Identification incremented per segment (the first keeps the
 *          packet's, RFC 6864 lets a DF datagram's id be anything, and a device does the
 *          same); header checksum recomputed.
 *   IPv6   payload length (no extension headers: the transport header follows the fixed
 *          header, which is all this stack's IPv6 writes).
 *   TCP    sequence number advanced by the payload before it; CWR only on the first
 *          segment (RFC 3168 6.1.2: one CWR per window reduction), FIN and PSH only on the
 *          last; every other field, options included (timestamps, SACK blocks), copied.
 *   UDP    length (each segment is a datagram of its own, UDP_SEGMENT semantics).
 * The transport checksum of each segment is computed over its own pseudo-header, header
 * and payload; with @csum_offload it is left partial instead (pseudo-header sum in the
 * field, NS_PKT_CSUM_PARTIAL, csum_start/csum_off set), for a link that finishes it.
 *
 * Forwarding a received super-frame (a TAP's TSO or GRO packet) goes through
 * ns_gso_prepare() first: the same validation, the descriptor's offsets rebuilt from the
 * headers, and the checksum made partial, so that whichever link it leaves by finishes
 * every segment's checksum; its answer, the length of the largest segment, is what the
 * forwarder holds against the next link's MTU (Linux's skb_gso_validate_network_len()).
 * ns_pkt_csum_finish() is the software checksum for a link without TX checksum offload
 * (Linux's skb_checksum_help()).
 *
 * Input is validated before anything is allocated: version, header lengths, the IP length
 * fields against the packet, no IPv4 fragment, the protocol against the GSO type, a non-zero
 * gso.mss and at most GSO_MAX_SEGS segments. A packet that fails is refused whole (the caller drops
 * and counts it), as is one for which packet memory runs out halfway (what was built is freed).
 */
#include <string.h>

#include "netstack/link.h"
#include "netstack/proto.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define IPV4_HLEN_MIN 20u
#define IPV6_HLEN     40u
#define TCP_HLEN_MIN  20u
#define UDP_HLEN      8u
#define GSO_MAX_SEGS  2048u /* a 64 KiB packet cut in 32-byte pieces */
#define TCP_F_FIN     0x01
#define TCP_F_PSH     0x08
#define TCP_F_CWR     0x80

/* Where the headers are: l3 bytes of network header, then l4 of transport header. */
struct gso_layout {
	uint32_t l3, l4;
	bool v6, tcp;
};

/* Check @pkt's headers against its GSO type; false if it cannot be segmented. */
static bool gso_parse(const struct ns_pkt *pkt, struct gso_layout *lo)
{
	const uint8_t *ip = ns_pkt_peek(pkt, 0, 1);
	const uint8_t *th;
	uint8_t proto;

	if (!ip || pkt->gso.mss == 0)
		return false;
	switch (pkt->gso.type) {
	case NS_GSO_TCPV4:
	case NS_GSO_TCPV6:
		lo->tcp = true;
		break;
	case NS_GSO_UDP_L4:
		lo->tcp = false;
		break;
	default:
		return false;
	}
	lo->v6 = (ip[0] >> 4) == 6;
	if (lo->v6) {
		if (pkt->gso.type == NS_GSO_TCPV4 || !(ip = ns_pkt_peek(pkt, 0, IPV6_HLEN)))
			return false;
		lo->l3 = IPV6_HLEN;
		proto = ip[6];
		if (rd16(ip + 4) + IPV6_HLEN != pkt->len)
			return false;
	} else {
		if ((ip[0] >> 4) != 4 || pkt->gso.type == NS_GSO_TCPV6 ||
		    !(ip = ns_pkt_peek(pkt, 0, IPV4_HLEN_MIN)))
			return false;
		lo->l3 = (uint32_t)(ip[0] & 0x0f) * 4u;
		proto = ip[9];
		/* Neither TSO nor GRO makes a super-frame of a fragment (MF or an offset). */
		if (lo->l3 < IPV4_HLEN_MIN || rd16(ip + 2) != pkt->len || (rd16(ip + 6) & 0x3fff))
			return false;
	}
	if (proto != (lo->tcp ? NS_IPPROTO_TCP : NS_IPPROTO_UDP))
		return false;
	if (lo->tcp) {
		if (!(th = ns_pkt_peek(pkt, lo->l3, TCP_HLEN_MIN)))
			return false;
		lo->l4 = (uint32_t)(th[12] >> 4) * 4u;
		if (lo->l4 < TCP_HLEN_MIN)
			return false;
	} else {
		lo->l4 = UDP_HLEN;
	}
	return ns_pkt_peek(pkt, 0, lo->l3 + lo->l4) != NULL;
}

/* The transport pseudo-header sum of a segment with @l4len transport bytes. */
static uint32_t gso_pseudo(const uint8_t *ip, const struct gso_layout *lo, uint32_t l4len)
{
	uint8_t proto = lo->tcp ? NS_IPPROTO_TCP : NS_IPPROTO_UDP;

	if (lo->v6)
		return csum_pseudo_v6(ip + 8, ip + 24, proto, l4len);
	return csum_pseudo_v4(ip + 12, ip + 16, proto, l4len);
}

/* Fill in segment @i of @n (payload @plen bytes, @off into the original's payload). */
static void gso_fix(struct ns_pkt *seg, const struct gso_layout *lo, uint32_t i, uint32_t n,
                    uint32_t off, uint32_t plen, bool csum_offload)
{
	uint8_t *ip = ns_pkt_data(seg), *l4 = ip + lo->l3;
	uint32_t l4len = lo->l4 + plen;
	uint16_t csum_at = lo->tcp ? 16 : 6;
	uint32_t pseudo;

	if (lo->v6) {
		wr16(ip + 4, (uint16_t)l4len);
	} else {
		wr16(ip + 2, (uint16_t)(lo->l3 + l4len));
		wr16(ip + 4, (uint16_t)(rd16(ip + 4) + i));
		wr16(ip + 10, 0);
		wr16(ip + 10, csum_finish(csum_partial(ip, lo->l3, 0)));
	}
	if (lo->tcp) {
		wr32(l4 + 4, rd32(l4 + 4) + off);
		if (i > 0)
			l4[13] &= (uint8_t)~TCP_F_CWR;
		if (i + 1 < n)
			l4[13] &= (uint8_t) ~(TCP_F_FIN | TCP_F_PSH);
	} else {
		wr16(l4 + 4, (uint16_t)l4len);
	}
	pseudo = gso_pseudo(ip, lo, l4len);
	if (csum_offload) {
		wr16(l4 + csum_at, csum_fold(pseudo));
		seg->flags |= NS_PKT_CSUM_PARTIAL;
		seg->csum_start = (uint16_t)lo->l3;
		seg->csum_off = csum_at;
		return;
	}
	wr16(l4 + csum_at, 0);
	uint16_t c = csum_finish(csum_partial(l4, l4len, pseudo));
	if (!lo->tcp && c == 0)
		c = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	wr16(l4 + csum_at, c);
}

ns_err ns_gso_prepare(struct ns_pkt *pkt, uint32_t *seg_len)
{
	struct gso_layout lo;
	uint32_t payload, n;
	uint16_t csum_at;
	uint8_t *ip;

	if (!gso_parse(pkt, &lo))
		return NS_ERR_INVALID_ARGUMENT;
	payload = pkt->len - lo.l3 - lo.l4;
	n = payload ? (payload + pkt->gso.mss - 1) / pkt->gso.mss : 1;
	if (n > GSO_MAX_SEGS)
		return NS_ERR_INVALID_ARGUMENT;
	/* The pseudo-header sum over the whole transport length, as the kernel's TCP leaves
	 * it on its own TSO packets (tcp_v4_send_check()) and as a device doing TSO, or
	 * ns_gso_segment(), expects it: whatever the field held (a GRO'd super-frame keeps its
	 * first segment's checksum, which is nobody's). */
	ip = ns_pkt_data(pkt);
	csum_at = lo.tcp ? 16 : 6;
	wr16(ip + lo.l3 + csum_at, csum_fold(gso_pseudo(ip, &lo, pkt->len - lo.l3)));
	pkt->flags |= NS_PKT_CSUM_PARTIAL;
	pkt->csum_start = (uint16_t)lo.l3;
	pkt->csum_off = csum_at;
	pkt->gso.needs_csum = 1;
	pkt->gso.l3_len = (uint16_t)lo.l3;
	pkt->gso.csum_off = csum_at;
	if (seg_len)
		*seg_len = lo.l3 + lo.l4 + (payload < pkt->gso.mss ? payload : pkt->gso.mss);
	return NS_OK;
}

bool ns_pkt_csum_finish(struct ns_pkt *pkt)
{
	uint32_t start = pkt->csum_start, field = start + pkt->csum_off;
	uint8_t *p;
	uint16_t c;

	if (!(pkt->flags & NS_PKT_CSUM_PARTIAL))
		return true;
	if (!ns_pkt_peek(pkt, field, 2) || start > field)
		return false;
	p = ns_pkt_data(pkt);
	c = csum_finish(csum_partial(p + start, pkt->len - start, 0));
	if (!c)
		c = 0xffff; /* 0 means "no checksum" to UDP (RFC 768), as skb_checksum_help() */
	wr16(p + field, c);
	pkt->flags &= (uint16_t)~NS_PKT_CSUM_PARTIAL;
	return true;
}

ns_err ns_gso_segment(const struct ns_pkt *pkt, bool csum_offload, struct ns_pkt **out)
{
	struct gso_layout lo;
	struct ns_pkt *head = NULL, **tail = &head;
	uint32_t hdrs, payload, mss, n, headroom;

	*out = NULL;
	if (!gso_parse(pkt, &lo))
		return NS_ERR_INVALID_ARGUMENT;
	hdrs = lo.l3 + lo.l4;
	payload = pkt->len - hdrs;
	mss = pkt->gso.mss;
	n = payload ? (payload + mss - 1) / mss : 1;
	if (n > GSO_MAX_SEGS)
		return NS_ERR_INVALID_ARGUMENT;
	headroom = ns_pkt_headroom(pkt);
	if (headroom < NS_PKT_HEADROOM)
		headroom = NS_PKT_HEADROOM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = i * mss;
		uint32_t plen = payload - off < mss ? payload - off : mss;
		struct ns_pkt *seg = ns_pkt_alloc(headroom, hdrs + plen);

		if (!seg) {
			ns_pkt_free_list(head);
			return NS_ERR_NO_MEMORY;
		}
		memcpy(ns_pkt_data(seg), ns_pkt_data(pkt), hdrs);
		memcpy(ns_pkt_data(seg) + hdrs, ns_pkt_data(pkt) + hdrs + off, plen);
		seg->flags = pkt->flags & (uint16_t) ~(NS_PKT_CSUM_PARTIAL | NS_PKT_CSUM_VERIFIED);
		seg->netproto = pkt->netproto;
		seg->transproto = pkt->transproto;
		seg->nic = pkt->nic;
		seg->link_dst = pkt->link_dst;
		seg->src = pkt->src;
		seg->dst = pkt->dst;
		seg->ttl = pkt->ttl;
		seg->tos = pkt->tos;
		seg->hdr[NS_HDR_NETWORK].off = seg->head;
		seg->hdr[NS_HDR_NETWORK].len = (uint16_t)lo.l3;
		seg->hdr[NS_HDR_TRANSPORT].off = seg->head + lo.l3;
		seg->hdr[NS_HDR_TRANSPORT].len = (uint16_t)lo.l4;
		gso_fix(seg, &lo, i, n, off, plen, csum_offload);
		*tail = seg;
		tail = &seg->next;
	}
	*out = head;
	return NS_OK;
}
