/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: IPv6 fragmentation and reassembly (RFC 8200 4.5), on the engine in
 * frag.c.
 *
 * Reassembly (frag_ipv6_reassemble(), called by ipv6.c with the head at a Fragment header):
 *  - an atomic fragment (offset 0, M clear) is a whole packet already: its Fragment header
 *    is taken out and it goes on at once, never touching a queue, so a forged fragment with
 *    the same identification cannot spoil it (RFC 6946);
 *  - RFC 8200 4.5's checks, each answered with an ICMPv6 parameter problem to the source
 *    and the fragment dropped: a fragment with M set whose fragmentable part is not a
 *    multiple of 8 bytes (code 0, pointing at the Payload Length field); one that would make
 *    the reassembled Payload Length exceed 65535 (code 0, pointing at its Fragment Offset
 *    field); a first fragment that does not hold the whole header chain through the
 *    upper-layer header (code 3, pointer 0; RFC 7112 5; we check the upper-layer header's
 *    fixed part for TCP, UDP and ICMPv6, as Linux's ipv6_frag_thdr_truncated());
 *  - the rest is the engine's (frag.c): key (source, destination, identification), overlaps
 *    drop the whole datagram (RFC 5722), duplicates alone, memory and per-/64 limits, the
 *    60 s timeout with time exceeded code 1 when the first fragment had come (RFC 4443 3.3),
 *    and a whole packet whose Payload Length, counted with the first fragment's
 *    unfragmentable part, would pass 65535 dropped without an answer (Linux's
 *    ip6_frag_reasm(); each fragment was checked with its own part);
 *  - the whole packet: the first fragment's unfragmentable part (RFC 8200 4.5: "all headers
 *    up to, but not including, the Fragment header of the first fragment"), the Next Header
 *    byte that named the Fragment header set to that header's Next Header, the Payload
 *    Length recomputed, the ECN field combined (RFC 3168 5.3), then the fragmentable parts.
 *
 * Fragmentation at the source (frag_ipv6_fragment(); routers never fragment IPv6): a Fragment
 * header after the 40-byte IPv6 header (we send no extension headers), fragments of at
 * most the MTU with data in 8-byte units, one identification per datagram drawn from
 * per-destination counters (RFC 7739). A packet that fits is left alone: atomic fragments are
 * never generated (RFC 8021).
 */
#include <string.h>

#include "net/frag.h"
#include "net/net6.h"
#include "netstack/stack.h"
#include "wire/bytes.h"

#define IP6_HLEN 40
#define FH_LEN   8

/* IPv6 header fields (RFC 8200 3). */
#define IP6_OFF_PLEN 4
#define IP6_OFF_NH   6
#define IP6_OFF_SRC  8
#define IP6_OFF_DST  24

/* Next Header values (IANA). */
enum {
	NH_HOPOPTS = 0,
	NH_TCP = 6,
	NH_UDP = 17,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_AH = 51,
	NH_ICMPV6 = 58,
	NH_NONE = 59,
	NH_DSTOPTS = 60,
	NH_MOBILITY = 135,
	NH_HIP = 139,
	NH_SHIM6 = 140,
};

/* ICMPv6 (RFC 4443 3.3, 3.4; RFC 7112 for code 3). */
#define ICMPV6_TIME_EXCEEDED         3
#define ICMPV6_EXC_FRAGTIME          1
#define ICMPV6_PARAM_PROB            4
#define ICMPV6_PARAM_PROB_FIELD      0
#define ICMPV6_PARAM_PROB_INCOMPLETE 3

/* RFC 8200 4 and the IANA list of IPv6 extension headers (ESP excluded: what follows it is
 * encrypted, so it ends the chain as an upper layer does). */
static bool is_ext(uint8_t nh)
{
	switch (nh) {
	case NH_HOPOPTS:
	case NH_ROUTING:
	case NH_FRAGMENT:
	case NH_AH:
	case NH_DSTOPTS:
	case NH_MOBILITY:
	case NH_HIP:
	case NH_SHIM6:
		return true;
	default:
		return false;
	}
}

/* Length of the extension header @nh at @p (@avail bytes there), 0 if it cannot be read. */
static uint32_t ext_len(uint8_t nh, const uint8_t *p, uint32_t avail)
{
	if (avail < 2)
		return 0;
	if (nh == NH_FRAGMENT)
		return FH_LEN;
	if (nh == NH_AH)
		return ((uint32_t)p[1] + 2) * 4; /* RFC 4302 2.2: in 4-byte units, minus 2 */
	return ((uint32_t)p[1] + 1) * 8;         /* RFC 8200 4.3: in 8-byte units, minus 1 */
}

/*
 * RFC 8200 4.5 / RFC 7112: does a first fragment's fragmentable part (@n bytes at @p, the
 * first header being @nh) hold every extension header and the upper-layer header? For TCP,
 * UDP and ICMPv6 their fixed header must be there whole, as Linux's
 * ipv6_frag_thdr_truncated() checks.
 */
static bool chain_complete(uint8_t nh, const uint8_t *p, uint32_t n)
{
	uint32_t off = 0, need;

	while (is_ext(nh)) {
		uint32_t l = ext_len(nh, p + off, n - off);

		if (!l || l > n - off)
			return false;
		nh = p[off];
		off += l;
	}
	switch (nh) {
	case NH_TCP:
		need = 20;
		break;
	case NH_UDP:
		need = 8;
		break;
	case NH_ICMPV6:
		need = 4;
		break;
	default:
		need = 0; /* No Next Header, ESP, or a protocol we do not look into */
		break;
	}
	return n - off >= need;
}

/* The offset (from the IPv6 header at @ip6) of the Next Header byte that names the Fragment
 * header ending an unfragmentable part of @unfrag bytes; -1 if the chain does not lead
 * there. */
static int32_t frag_nh_offset(const uint8_t *ip6, uint32_t unfrag)
{
	uint32_t pos = IP6_OFF_NH, off = IP6_HLEN;
	uint8_t nh = ip6[IP6_OFF_NH];

	while (off < unfrag) {
		uint32_t l;

		if (!is_ext(nh) || nh == NH_FRAGMENT)
			return -1;
		l = ext_len(nh, ip6 + off, unfrag - off);
		if (!l || l > unfrag - off)
			return -1;
		pos = off;
		nh = ip6[off];
		off += l;
	}
	return off == unfrag && nh == NH_FRAGMENT ? (int32_t)pos : -1;
}

static void ipv6_frag_expired(struct ns_stack *s, const struct ns_pkt *first)
{
	icmpv6_send_error(s, ns_nic_find(s, first->nic), first, first->hdr[NS_HDR_NETWORK].off,
	                  ICMPV6_TIME_EXCEEDED, ICMPV6_EXC_FRAGTIME, 0);
}

static const struct frag_family ipv6_family = {
    .family = NS_AF_INET6,
    .max_len = IP6_HLEN + UINT16_MAX,
    .hdr_tail = FH_LEN,
    .expired = ipv6_frag_expired,
};

/* RFC 8200 4.5: a fragment refused with a parameter problem to its source. */
static struct ns_pkt *refuse(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                             uint8_t code, uint32_t pointer, enum ns_drop_reason why)
{
	icmpv6_send_error(s, nic, pkt, pkt->hdr[NS_HDR_NETWORK].off, ICMPV6_PARAM_PROB, code,
	                  pointer);
	ns_drop(s, pkt, why);
	return NULL;
}

/* RFC 6946: an atomic fragment is the packet without its Fragment header. The
 * unfragmentable part moves up over it; the head stays at the fragmentable part. */
static struct ns_pkt *atomic(struct ns_stack *s, struct ns_pkt *pkt, uint32_t net, uint32_t unfrag,
                             uint32_t nh_off, uint8_t nh, uint8_t *next_header)
{
	uint8_t *ip6;

	memmove(pkt->buf + net + FH_LEN, pkt->buf + net, unfrag);
	net += FH_LEN;
	pkt->hdr[NS_HDR_NETWORK].off = net;
	ip6 = pkt->buf + net;
	wr16(ip6 + IP6_OFF_PLEN, (uint16_t)(rd16(ip6 + IP6_OFF_PLEN) - FH_LEN));
	pkt->buf[nh_off + FH_LEN] = nh;
	pkt->user = nh_off - (net - FH_LEN);
	*next_header = nh;
	ns_stat_inc(s, NS_STAT_FRAG_REASM_REQDS);
	ns_stat_inc(s, NS_STAT_FRAG_REASM_OKS);
	return pkt;
}

struct ns_pkt *frag_ipv6_reassemble(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                                    uint32_t nh_off, uint8_t *next_header)
{
	struct frag_key k = {.family = NS_AF_INET6, .src_prefix = 64};
	uint32_t net = pkt->hdr[NS_HDR_NETWORK].off, unfrag, off, len, hl;
	uint16_t net_len = pkt->hdr[NS_HDR_NETWORK].len;
	const uint8_t *fh = ns_pkt_peek(pkt, 0, FH_LEN);
	struct ns_pkt *chain, *whole;
	uint8_t nh, first_nh, ecn, *ip6;
	int32_t pos;
	bool more;

	if (!fh || !net_len || net > pkt->head || pkt->head - net < IP6_HLEN || nh_off < net ||
	    nh_off >= pkt->head) {
		ns_stat_inc(s, NS_STAT_FRAG_REASM_REQDS);
		ns_drop(s, pkt, NS_DROP_FRAG_BAD_LEN);
		return NULL;
	}
	ip6 = pkt->buf + net;
	unfrag = pkt->head - net;
	nh = fh[0];
	off = rd16(fh + 2) & 0xfff8u;
	more = (fh[3] & 1) != 0;
	k.id = rd32(fh + 4);
	pkt->head += FH_LEN;
	pkt->len -= FH_LEN;
	len = pkt->len;
	if (off == 0 && !more)
		return atomic(s, pkt, net, unfrag, nh_off, nh, next_header);

	if (more && (len & 7)) {
		ns_stat_inc(s, NS_STAT_FRAG_REASM_REQDS);
		return refuse(s, nic, pkt, ICMPV6_PARAM_PROB_FIELD, IP6_OFF_PLEN,
		              NS_DROP_FRAG_BAD_LEN);
	}
	if (unfrag - IP6_HLEN + off + len > UINT16_MAX) {
		ns_stat_inc(s, NS_STAT_FRAG_REASM_REQDS);
		return refuse(s, nic, pkt, ICMPV6_PARAM_PROB_FIELD, unfrag + 2,
		              NS_DROP_FRAG_TOO_LONG);
	}
	if (off == 0 && !chain_complete(nh, ns_pkt_data(pkt), len)) {
		ns_stat_inc(s, NS_STAT_FRAG_REASM_REQDS);
		return refuse(s, nic, pkt, ICMPV6_PARAM_PROB_INCOMPLETE, 0,
		              NS_DROP_FRAG_INCOMPLETE_CHAIN);
	}
	memcpy(k.src, ip6 + IP6_OFF_SRC, 16);
	memcpy(k.dst, ip6 + IP6_OFF_DST, 16);
	pkt->tos = (uint8_t)((ip6[0] & 0x0f) << 4 | ip6[1] >> 4); /* the traffic class */
	chain = frag_add(s, ipv6_frag(s), &k, &ipv6_family, pkt, off, !more, &ecn);
	if (!chain)
		return NULL;
	/* The first fragment's Fragment header names what follows the unfragmentable part. */
	first_nh = chain->buf[chain->head - FH_LEN];
	net_len = chain->hdr[NS_HDR_NETWORK].len;
	whole = frag_stitch(s, chain, FH_LEN, &hl);
	if (!whole)
		return NULL;
	ip6 = ns_pkt_data(whole);
	pos = frag_nh_offset(ip6, hl);
	if (pos < 0) {
		/* ipv6.c walked this very chain to find the Fragment header. */
		ns_drop(s, whole, NS_DROP_FRAG_BAD_LEN);
		return NULL;
	}
	ip6[pos] = first_nh;
	wr16(ip6 + IP6_OFF_PLEN, (uint16_t)(whole->len - IP6_HLEN));
	ip6[1] = (uint8_t)((ip6[1] & ~0x30u) | (uint8_t)(ecn << 4));
	whole->hdr[NS_HDR_NETWORK].off = whole->head;
	whole->hdr[NS_HDR_NETWORK].len = net_len <= hl ? net_len : IP6_HLEN;
	whole->head += hl;
	whole->len -= hl;
	whole->user = (uint32_t)pos;
	*next_header = first_nh;
	return whole;
}

struct ns_pkt *frag_ipv6_fragment(struct ns_stack *s, struct ns_pkt *pkt, uint32_t mtu)
{
	struct frag_state *f = ipv6_frag(s);
	uint8_t *ip6 = ns_pkt_data(pkt), nh;
	uint32_t plen, chunk, off, id, n = 1;
	struct ns_pkt *head = NULL, **tail = &head;

	if (pkt->len < IP6_HLEN || mtu < IP6_HLEN + FH_LEN + 8) {
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return NULL;
	}
	plen = pkt->len - IP6_HLEN;
	if (pkt->len <= mtu)
		return pkt; /* RFC 8021: no atomic fragments */
	if ((pkt->flags & NS_PKT_CSUM_PARTIAL) && !frag_csum_finish(pkt)) {
		ns_stat_inc(s, NS_STAT_FRAG_FAILS);
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return NULL;
	}
	nh = ip6[IP6_OFF_NH];
	chunk = (mtu - IP6_HLEN - FH_LEN) & ~7u;
	id = f ? frag_next_id(s, f, ip6 + IP6_OFF_SRC, ip6 + IP6_OFF_DST, 16)
	       : (uint32_t)ns_stack_random(s);
	for (off = chunk; off < plen; off += chunk) {
		uint32_t len = plen - off < chunk ? plen - off : chunk;
		struct ns_pkt *fr = frag_piece(s, pkt, head, IP6_HLEN + FH_LEN + len, IP6_HLEN);
		uint8_t *h;

		if (!fr)
			return NULL;
		h = ns_pkt_data(fr);
		memcpy(h, ip6, IP6_HLEN);
		wr16(h + IP6_OFF_PLEN, (uint16_t)(FH_LEN + len));
		h[IP6_OFF_NH] = NH_FRAGMENT;
		h[IP6_HLEN] = nh;
		h[IP6_HLEN + 1] = 0;
		wr16(h + IP6_HLEN + 2, (uint16_t)(off | (off + len < plen ? 1u : 0u)));
		wr32(h + IP6_HLEN + 4, id);
		memcpy(h + IP6_HLEN + FH_LEN, ip6 + IP6_HLEN + off, len);
		*tail = fr;
		tail = &fr->next;
		n++;
	}
	/* The first fragment is the packet itself: the IPv6 header moves 8 bytes forward to
	 * make room for the Fragment header (or the packet moves, short of headroom). */
	if (ns_pkt_headroom(pkt) < FH_LEN) {
		struct ns_pkt *c = frag_piece(s, pkt, head, IP6_HLEN + chunk, IP6_HLEN);

		if (!c)
			return NULL;
		memcpy(ns_pkt_data(c), ip6, IP6_HLEN + chunk);
		ns_pkt_free(pkt);
		pkt = c;
		ip6 = ns_pkt_data(pkt);
	}
	pkt->head -= FH_LEN;
	pkt->len = IP6_HLEN + FH_LEN + chunk;
	memmove(pkt->buf + pkt->head, ip6, IP6_HLEN);
	ip6 = ns_pkt_data(pkt);
	pkt->hdr[NS_HDR_NETWORK].off = pkt->head;
	pkt->hdr[NS_HDR_NETWORK].len = IP6_HLEN;
	wr16(ip6 + IP6_OFF_PLEN, (uint16_t)(FH_LEN + chunk));
	ip6[IP6_OFF_NH] = NH_FRAGMENT;
	ip6[IP6_HLEN] = nh;
	ip6[IP6_HLEN + 1] = 0;
	wr16(ip6 + IP6_HLEN + 2, 1); /* offset 0, M */
	wr32(ip6 + IP6_HLEN + 4, id);
	pkt->next = head;
	ns_stat_inc(s, NS_STAT_FRAG_OKS);
	ns_stat_add(s, NS_STAT_FRAG_CREATES, n);
	return pkt;
}
