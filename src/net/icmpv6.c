/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: ICMPv6 (RFC 4443).
 *
 * ICMPv6 is part of IPv6 here, not a transport: ipv6.c hands icmpv6_deliver() every inbound
 * message (head at the ICMPv6 header, addresses and hop limit set) and calls
 * icmpv6_send_error() when a packet must be refused. This file also dispatches the messages
 * of Neighbor Discovery (types 133-137, ndp.c) and MLD (130-132, 143, mld.c), and sends
 * theirs (icmpv6_send(), through ipv6_send(), which needs no route).
 *
 * Inbound: the checksum over the RFC 8200 8.1 pseudo-header is always verified (link RX
 * offload covers TCP/UDP only). Echo requests are answered with the same identifier,
 * sequence number and data (RFC 4443 4.2), also when sent to a multicast group we joined
 * (4.1 says SHOULD; Linux's echo_ignore_multicast is 0), then from a unicast address of the
 * interface the route picks; never to the unspecified address. The request itself becomes
 * the reply, without allocating: its type changes, ns_netproto_write() pushes a fresh IPv6
 * header where the old one was, and the checksum is recomputed for the new pseudo-header.
 * Errors (types 1-4) are checked to quote a packet we could have sent (its source one of
 * our addresses, or anything on a spoofing NIC) with at least 8 bytes of its upper-layer
 * header behind whatever extension headers it carries, mapped to an NS_CTRL_* code as
 * Linux's icmpv6_err_convert() does, and handed to the endpoint that sent it through
 * ns_deliver_control() (RFC 4443 2.4(b); an error of unknown type too, as
 * NS_CTRL_PARAM_PROBLEM). A packet too big never lowers an MTU below 1280 (RFC 8201 4).
 * Echo replies go through ns_deliver_transport() to the ping endpoint whose identifier they
 * carry (ping endpoints are the transport registered for protocol 58, as Linux's ping_rcv()
 * is ICMPv6's echo-reply handler); one no ping endpoint takes is dropped, never answered.
 * Other informational messages are counted as unhandled.
 *
 * Outbound errors obey RFC 4443 2.4(e): never about an ICMPv6 error or a redirect; never
 * about a packet to a multicast address, or sent as a link-layer multicast or broadcast,
 * except packet too big and parameter problem code 2 (an option the sender asked to hear
 * about even then); never to a source that names no single node (unspecified, multicast,
 * v4-mapped, loopback from outside). They come from the address the packet was sent to
 * when that is ours, else from the one the route back picks (2.2), quote as much of the
 * packet as fits in the minimum MTU (2.4(c)), and pass the stack's token buckets, the
 * stack-wide one and the destination's (ns_icmp_rate_allow(), 2.4(f)).
 *
 * A packet too big that the endpoint recognises also lowers the path MTU to the destination
 * for every sender (ns_route_pmtu_update(), RFC 8201 4; 10 minutes).
 *
 * Limits: no node information queries, no mobile-IPv6 or router-renumbering messages.
 */
#include <string.h>

#include "net/ip.h"
#include "net/net6.h"
#include "netstack/stack.h"
#include "wire/checksum.h"
#include "wire/icmpv6.h"

/* RFC 4443 2.4(c): an error fits in the minimum MTU. */
#define ICMPV6_ERROR_MAX_QUOTE (IPV6_MIN_MTU - IPV6_HLEN - ICMPV6_HLEN)
/* Extension headers walked in a quote before giving up on finding its upper layer. */
#define QUOTE_MAX_EXT 8

static struct ns_addr v6(const uint8_t a[16])
{
	return ns_addr_v6_from_bytes(a);
}

static uint32_t pseudo(const struct ns_addr *src, const struct ns_addr *dst, uint32_t len)
{
	return csum_pseudo_v6(src->a, dst->a, NS_IPPROTO_ICMPV6, len);
}

struct ns_pkt *icmpv6_alloc(struct ns_stack *s, uint32_t len)
{
	struct ns_pkt *m = ns_pkt_alloc(NS_PKT_HEADROOM, len);

	if (!m) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NULL;
	}
	m->hdr[NS_HDR_TRANSPORT].off = m->head;
	m->hdr[NS_HDR_TRANSPORT].len = (uint16_t)(len < ICMPV6_HLEN ? len : ICMPV6_HLEN);
	m->transproto = NS_IPPROTO_ICMPV6;
	return m;
}

ns_err icmpv6_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *src,
                   const struct ns_addr *dst, uint8_t hop_limit, unsigned flags,
                   const struct ns_mac *mac, struct ns_pkt *pkt)
{
	ns_err err;

	pkt->transproto = NS_IPPROTO_ICMPV6;
	icmpv6_csum_store(ns_pkt_data(pkt), pkt->len, pseudo(src, dst, pkt->len));
	err = ipv6_send(s, nic, src, dst, hop_limit, flags, mac, pkt);
	if (err == NS_OK)
		ns_stat_inc(s, NS_STAT_ICMPV6_TX);
	return err;
}

/*
 * Send the message at @m's head (checksum field zero) to @dst, preferably from @src, along
 * the route, with traffic class @tclass. @nic_hint names the NIC for destinations of link
 * scope (RFC 4007: a link-local address means nothing without its link). A message without the
 * headroom the route needs is moved to a fresh packet. Consumes @m.
 */
static ns_err icmp6_route_send(struct ns_stack *s, struct ns_pkt *m, const struct ns_addr *src,
                               const struct ns_addr *dst, uint32_t nic_hint, uint8_t tclass)
{
	struct ns_write_params wp = {.tos = tclass};
	struct ns_route r;
	uint32_t nic =
	    ipv6_addr_is_link_local(dst->a) || ipv6_addr_is_multicast(dst->a) ? nic_hint : 0;
	ns_err err = ns_route_find(s, nic, src, dst, &r);

	/* A source we may not send from (a promiscuous destination without spoofing): let
	 * the route pick one of ours. */
	if (err == NS_ERR_BAD_LOCAL_ADDRESS && src)
		err = ns_route_find(s, nic, NULL, dst, &r);
	if (err != NS_OK) {
		ns_drop(s, m, NS_DROP_NO_ROUTE);
		return err;
	}
	if (ns_pkt_headroom(m) < r.max_header_len) {
		struct ns_pkt *c = icmpv6_alloc(s, m->len);

		if (!c) {
			ns_pkt_free(m);
			return NS_ERR_NO_BUFFER_SPACE;
		}
		memcpy(ns_pkt_data(c), ns_pkt_data(m), m->len);
		ns_pkt_free(m);
		m = c;
	}
	m->transproto = NS_IPPROTO_ICMPV6;
	wr16(ns_pkt_data(m) + 2, 0);
	icmpv6_csum_store(ns_pkt_data(m), m->len, pseudo(&r.local, &r.remote, m->len));
	err = ns_netproto_write(s, &r, m, &wp);
	if (err == NS_OK)
		ns_stat_inc(s, NS_STAT_ICMPV6_TX);
	return err;
}

/* ---------------------------------------------------------------- echo */

/* RFC 4443 4.2: answer an echo request, turning it into the reply in place. Consumes. */
static void icmp6_echo(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct ns_addr to = pkt->src, from = pkt->dst;
	bool group = ipv6_addr_is_multicast(pkt->dst.a);
	uint8_t tclass = pkt->tos; /* the reply keeps the request's, as Linux's does */
	uint8_t *h;

	ns_stat_inc(s, NS_STAT_ICMPV6_ECHO_RX);
	if (ipv6_addr_is_unspecified(to.a)) {
		ns_drop(s, pkt, NS_DROP_IPV6_NO_SOURCE);
		return;
	}
	pkt = ip_echo_turn(s, pkt, ICMPV6_HLEN);
	if (!pkt)
		return;
	/* The checksum is redone for the new pseudo-header once routed. */
	h = ns_pkt_data(pkt);
	h[0] = ICMPV6_ECHO_REPLY;
	h[1] = 0;
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	/* RFC 4443 4.2: to a multicast request, from a unicast address of the interface. */
	if (icmp6_route_send(s, pkt, group ? NULL : &from, &to, ns_nic_id(nic), tclass) == NS_OK)
		ns_stat_inc(s, NS_STAT_ICMPV6_ECHO_REPLY_TX);
}

/* ---------------------------------------------------------------- errors received */

/* RFC 4443 3 and Linux's icmpv6_err_convert(): the control an error means to its sender. */
static void error_ctrl(const struct icmpv6_repr *m, enum ns_ctrl *ctrl, uint32_t *info)
{
	*info = 0;
	switch (m->type) {
	case ICMPV6_DEST_UNREACH:
		switch (m->code) {
		case ICMPV6_UNREACH_PORT:
			*ctrl = NS_CTRL_PORT_UNREACHABLE;
			break;
		case ICMPV6_UNREACH_ADMIN:
		case ICMPV6_UNREACH_POLICY:
		case ICMPV6_UNREACH_REJECT:
			*ctrl = NS_CTRL_ADMIN_PROHIBITED;
			break;
		default: /* no route, beyond scope, address unreachable: EHOSTUNREACH */
			*ctrl = NS_CTRL_HOST_UNREACHABLE;
			break;
		}
		return;
	case ICMPV6_PACKET_TOO_BIG:
		/* RFC 8201 4: never below the IPv6 minimum link MTU. */
		*ctrl = NS_CTRL_PACKET_TOO_BIG;
		*info = m->rest < IPV6_MIN_MTU ? IPV6_MIN_MTU : m->rest;
		return;
	case ICMPV6_TIME_EXCEEDED:
		*ctrl = NS_CTRL_TIME_EXCEEDED;
		return;
	case ICMPV6_PARAM_PROBLEM:
		*ctrl = NS_CTRL_PARAM_PROBLEM;
		*info = m->rest;
		return;
	default:
		/* RFC 4443 2.4(b): an unknown error still goes to the upper layer (Linux
		 * reports it as EPROTO). */
		*ctrl = NS_CTRL_PARAM_PROBLEM;
		return;
	}
}

/*
 * Find the upper-layer header of the IPv6 packet at q[0..len) (a quote, or one we are about
 * to complain about): walk its extension headers as far as the bytes go. Sets *@proto and
 * *@upper (its offset from @q). False if it cannot be found, or the packet is a fragment
 * other than the first (no upper-layer header in it).
 */
static bool quote_upper(const uint8_t *q, uint32_t len, uint8_t *proto, uint32_t *upper)
{
	uint8_t nh;
	uint32_t at = IPV6_HLEN;

	if (len < IPV6_HLEN || ipv6_get_version(q) != 6)
		return false;
	nh = ipv6_get_next_header(q);
	for (int i = 0; i < QUOTE_MAX_EXT && ipv6_nh_is_ext(nh); i++) {
		const uint8_t *h = q + at;
		uint32_t n = ipv6_ext_len(nh, h, len - at);

		if (n == 0)
			return false;
		if (nh == IPV6_NH_FRAGMENT && (rd16(h + 2) & 0xfff8u) != 0)
			return false;
		nh = h[0];
		at += n;
	}
	if (ipv6_nh_is_ext(nh))
		return false;
	*proto = nh;
	*upper = at;
	return true;
}

/* May a packet from @src be one we sent, out of @nic? */
static bool our_source(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *src)
{
	switch (ns_stack_match_local(s, nic, src)) {
	case NS_ADDR_ASSIGNED:
	case NS_ADDR_RANGE:
		return true;
	default:
		/* A tun2socks-style NIC sends from any address. */
		return ns_nic_spoofing(nic) || ns_nic_promiscuous(nic);
	}
}

/* An error about a packet we sent: tell its endpoint. Consumes @pkt. */
static void icmp6_error_in(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                           const struct icmpv6_repr *m)
{
	enum ns_ctrl ctrl;
	uint32_t info, upper;
	uint8_t proto;
	const uint8_t *q;
	struct ns_addr osrc, odst;

	ns_stat_inc(s, NS_STAT_ICMPV6_ERRORS_RX);
	q = ns_pkt_data(pkt) + ICMPV6_HLEN;
	if (!quote_upper(q, pkt->len - ICMPV6_HLEN, &proto, &upper) ||
	    pkt->len - ICMPV6_HLEN < upper + 8) {
		ns_drop(s, pkt, NS_DROP_ICMPV6_BAD_QUOTE);
		return;
	}
	osrc = v6(ipv6_get_src(q));
	odst = v6(ipv6_get_dst(q));
	if (!our_source(s, nic, &osrc)) {
		ns_drop(s, pkt, NS_DROP_ICMPV6_BAD_QUOTE);
		return;
	}
	error_ctrl(m, &ctrl, &info);
	/* The ICMPv6 header and the quoted headers form this packet's "transport" header;
	 * the head moves to the quoted upper-layer header, as ns_deliver_control() wants. */
	ns_pkt_consume(pkt, NS_HDR_TRANSPORT, ICMPV6_HLEN + upper);
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	/* RFC 8201 4: the path MTU to the destination drops, believed only about a packet an
	 * endpoint of ours recognises (RFC 5927 4.1; TCP: a sequence number in flight). */
	if (ns_deliver_control(s, proto, &osrc, &odst, ctrl, info, pkt)) {
		if (ctrl == NS_CTRL_PACKET_TOO_BIG)
			ns_route_pmtu_update(s, &odst, info);
	} else if (ctrl == NS_CTRL_PACKET_TOO_BIG) {
		ns_drop(s, NULL, NS_DROP_ICMP_PMTU_NOT_OURS);
	}
	ns_pkt_free(pkt);
}

void icmpv6_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt)
{
	struct icmpv6_repr m;

	ns_stat_inc(s, NS_STAT_ICMPV6_RX);
	if (!icmpv6_parse(&m, ns_pkt_data(pkt), pkt->len)) {
		ns_drop(s, pkt, NS_DROP_ICMPV6_TRUNCATED);
		return;
	}
	/* RFC 4443 2.3: verified in software, whatever the link's RX offload says. */
	if (!icmpv6_csum_ok(ns_pkt_data(pkt), pkt->len, pseudo(&pkt->src, &pkt->dst, pkt->len))) {
		ns_drop(s, pkt, NS_DROP_ICMPV6_BAD_CSUM);
		return;
	}
	if (icmpv6_is_error(m.type)) {
		icmp6_error_in(s, nic, pkt, &m);
		return;
	}
	switch (m.type) {
	case ICMPV6_ECHO_REQUEST:
		icmp6_echo(s, nic, pkt);
		return;
	case ICMPV6_ECHO_REPLY:
		ip_echo_reply_in(s, pkt, NS_DROP_ICMPV6_UNHANDLED);
		return;
	case ICMPV6_ND_RS:
	case ICMPV6_ND_RA:
	case ICMPV6_ND_NS:
	case ICMPV6_ND_NA:
	case ICMPV6_ND_REDIRECT:
		ndp_deliver(s, nic, pkt);
		return;
	case ICMPV6_MLD_QUERY:
	case ICMPV6_MLD_REPORT:
	case ICMPV6_MLD_DONE:
	case ICMPV6_MLD2_REPORT:
		mld_deliver(s, nic, pkt);
		return;
	default:
		/* RFC 4443 2.4(a): unknown informational messages are discarded. */
		ns_drop(s, pkt, NS_DROP_ICMPV6_UNHANDLED);
		return;
	}
}

/* ---------------------------------------------------------------- errors sent */

/* RFC 4443 2.4(e.1, e.2): is the packet ip[0..len) an ICMPv6 error or a redirect? Its
 * extension headers are walked as far as they go. */
static bool is_icmp_error(const uint8_t *ip, uint32_t len)
{
	uint8_t proto;
	uint32_t upper;

	if (!quote_upper(ip, len, &proto, &upper) || proto != NS_IPPROTO_ICMPV6 || upper >= len)
		return false;
	return icmpv6_is_error(ip[upper]) || ip[upper] == ICMPV6_ND_REDIRECT;
}

/* RFC 4443 2.4(e.6): does @src name one node? */
static bool src_is_node(const struct ns_pkt *pkt, struct ns_nic *nic, const uint8_t src[16])
{
	if (ipv6_addr_is_unspecified(src) || ipv6_addr_is_multicast(src) ||
	    ipv6_addr_is_v4mapped(src))
		return false;
	return !ipv6_addr_is_loopback(src) || (pkt->flags & NS_PKT_LOOPED) ||
	       (ns_nic_caps(nic) & NS_CAP_LOOPBACK);
}

void icmpv6_send_error(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                       uint32_t ip_off, uint8_t type, uint8_t code, uint32_t info)
{
	struct icmpv6_repr e = {.type = type, .code = code, .rest = info};
	const uint8_t *ip = pkt->buf + ip_off;
	uint32_t avail, quote;
	struct ns_addr src, dst;
	bool group, exempt;
	struct ns_pkt *m;

	/* The packet's headers may be consumed already: they stay valid in the buffer. */
	if (!nic || ip_off > pkt->head + pkt->len)
		return;
	avail = pkt->head + pkt->len - ip_off;
	if (avail < IPV6_HLEN)
		return;
	/* (e.3)-(e.5): to a group only packet too big and parameter problem code 2. */
	group = ipv6_addr_is_multicast(ipv6_get_dst(ip)) ||
	        (pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST));
	exempt = type == ICMPV6_PACKET_TOO_BIG ||
	         (type == ICMPV6_PARAM_PROBLEM && code == ICMPV6_PARAM_OPTION);
	if (group && !exempt)
		return;
	if (!src_is_node(pkt, nic, ipv6_get_src(ip)) || is_icmp_error(ip, avail))
		return;
	dst = v6(ipv6_get_src(ip));
	src = v6(ipv6_get_dst(ip));
	if (!ns_icmp_rate_allow(s, &dst)) {
		ns_stat_inc(s, NS_STAT_ICMP_RATE_LIMITED);
		return;
	}
	quote = avail < ICMPV6_ERROR_MAX_QUOTE ? avail : ICMPV6_ERROR_MAX_QUOTE;
	m = icmpv6_alloc(s, ICMPV6_HLEN + quote);
	if (!m)
		return;
	memcpy(ns_pkt_data(m) + ICMPV6_HLEN, ip, quote);
	icmpv6_emit(&e, ns_pkt_data(m), m->len, 0); /* the checksum is redone once routed */
	/* RFC 4443 2.2: from the address the packet was sent to when that is ours and
	 * unicast, else the route back picks one of the interface's. */
	if (icmp6_route_send(s, m,
	                     !ipv6_addr_is_multicast(src.a) &&
	                             ns_stack_match_local(s, nic, &src) != NS_ADDR_NONE
	                         ? &src
	                         : NULL,
	                     &dst, ns_nic_id(nic), 0) == NS_OK)
		ns_stat_inc(s, NS_STAT_ICMPV6_ERRORS_TX);
}
