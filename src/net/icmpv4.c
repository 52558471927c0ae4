/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: ICMP for IPv4 (RFC 792; host rules RFC 1122 3.2.2; router rules
 * RFC 1812 4.3).
 *
 * ICMP is part of the IPv4 protocol here, not a transport: ipv4.c hands icmpv4_deliver()
 * every inbound message (head at the ICMP header, addresses set) and calls
 * icmpv4_send_error() when a datagram must be refused. Replies and errors leave through
 * ns_netproto_write() like any transport's packets.
 *
 * Echo replies are not unhandled: they go through ns_deliver_transport() to the ping
 * endpoint whose identifier they carry (ping endpoints, src/raw/ping.c, are the transport
 * registered for IP protocol 1, as Linux's ping_rcv() is ICMP's echo-reply handler); one no
 * ping endpoint takes is dropped, never answered.
 *
 * Inbound: the checksum is always verified (link RX offload covers TCP/UDP only). Echo
 * requests are answered from the address they were sent to, with the same id, sequence and
 * data (RFC 1122 3.2.2.6), except requests to broadcast or multicast addresses, which are
 * ignored as Linux does by default (icmp_echo_ignore_broadcasts=1). The request itself
 * becomes the reply, without allocating or copying: its type changes to echo reply, the
 * checksum is patched for that one word (RFC 1624), and it goes back down through
 * ns_netproto_write(), which pushes a fresh IPv4 header where the old one was. Destination
 * unreachable, time exceeded and parameter problem are checked to quote an IPv4 header and
 * at least 8 bytes of its payload, mapped to an NS_CTRL_* code and handed to the endpoint
 * that sent the quoted datagram through ns_deliver_control() (RFC 1122 3.2.2.1: the
 * transport must be told). "Fragmentation needed" is path MTU discovery (RFC 1191): it
 * counts only if it quotes a datagram from one of our addresses that the endpoint which
 * sent it recognises (TCP: a sequence number in flight, RFC 5927 4.1); a next-hop MTU of 0
 * from a pre-RFC 1191 router is estimated from the plateau table (RFC 1191 5); then the
 * endpoint is told and the path MTU to the destination lowered (ns_route_pmtu_update(),
 * floored at 552). Everything else is counted as unhandled and dropped.
 *
 * Outbound errors obey RFC 1122 3.2.2: never about an ICMP error, a datagram to a broadcast
 * or multicast address (IP or link layer), a fragment other than the first, or a datagram
 * whose source does not name one host. They quote as much of the datagram as fits in 576
 * bytes (RFC 1812 4.3.2.3, as Linux), use Linux's TOS for errors (internetwork control
 * precedence), and pass the stack's token buckets, the stack-wide one and the one of the
 * destination (ns_icmp_rate_allow(), RFC 1812 4.3.2.8), so the first error to a peer goes
 * out even while another peer draws errors as fast as the limit allows.
 *
 * Limits: no timestamp, address-mask or router messages; redirects and source quench are
 * ignored (RFC 1122 3.2.2.2 lets a host that does not route by redirect skip them; RFC 6633
 * deprecates source quench).
 */
#include <string.h>

#include "net/ip.h"
#include "net/net.h"
#include "netstack/stack.h"
#include "wire/checksum.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"

#define ICMPV4_MAX_KNOWN_TYPE      18 /* Linux's NR_ICMP_TYPES */
#define IPTOS_TOS_MASK             0x1e
#define IPTOS_PREC_INTERNETCONTROL 0xc0

static struct ns_addr v4(const uint8_t a[4])
{
	return ns_addr_v4_from_bytes(a);
}

/* A packet with room for headers, an 8-byte ICMP header and @len payload bytes copied from
 * @data; the header is pushed (NS_HDR_TRANSPORT) and returned in *@hdr. */
static struct ns_pkt *icmp_alloc(const uint8_t *data, uint32_t len, uint8_t **hdr)
{
	struct ns_pkt *m = ns_pkt_alloc(NS_PKT_HEADROOM + ICMPV4_HLEN, len);

	if (!m)
		return NULL;
	if (len)
		memcpy(ns_pkt_data(m), data, len);
	*hdr = ns_pkt_push(m, NS_HDR_TRANSPORT, ICMPV4_HLEN);
	return m;
}

/* Send an ICMP message whose 8-byte header is at the head of @m (NS_HDR_TRANSPORT, payload
 * behind it) to @dst, preferably from @src. A message without the headroom the route needs
 * (a request turned around in place, from a link that read it with little to spare) is
 * moved to a fresh packet. Consumes @m. */
static ns_err icmp_send(struct ns_stack *s, struct ns_pkt *m, const struct ns_addr *src,
                        const struct ns_addr *dst, uint8_t tos)
{
	struct ns_write_params wp = {.ttl = 0, .tos = tos, .df = false};
	struct ns_route r;
	ns_err err = ns_route_find(s, 0, src, dst, &r);

	/* A source we may not send from (a promiscuous destination without spoofing): let
	 * the route pick one of ours. */
	if (err == NS_ERR_BAD_LOCAL_ADDRESS && src)
		err = ns_route_find(s, 0, NULL, dst, &r);
	if (err != NS_OK) {
		ns_drop(s, m, NS_DROP_NO_ROUTE);
		return err;
	}
	if (ns_pkt_headroom(m) < r.max_header_len) {
		uint8_t *h;
		struct ns_pkt *c =
		    icmp_alloc(ns_pkt_data(m) + ICMPV4_HLEN, m->len - ICMPV4_HLEN, &h);

		if (!c) {
			ns_drop(s, m, NS_DROP_NO_MEMORY);
			return NS_ERR_NO_BUFFER_SPACE;
		}
		memcpy(h, ns_pkt_data(m), ICMPV4_HLEN);
		ns_pkt_free(m);
		m = c;
	}
	m->transproto = IP_PROTO_ICMP;
	err = ns_netproto_write(s, &r, m, &wp);
	if (err == NS_OK)
		ns_stat_inc(s, NS_STAT_ICMP_TX);
	return err;
}

/* ---------------------------------------------------------------- echo */

/* RFC 792 / RFC 1122 3.2.2.6: answer an echo request, turning it into the reply in place.
 * @group: it was sent to a broadcast or multicast address. Consumes @pkt. */
static void icmp_echo(struct ns_stack *s, struct ns_pkt *pkt, bool group)
{
	struct ns_addr from = pkt->dst, to = pkt->src;
	uint8_t tos = pkt->tos; /* the reply keeps the request's TOS, as Linux's does */
	uint16_t word;
	uint8_t *h;

	ns_stat_inc(s, NS_STAT_ICMP_ECHO_RX);
	/* RFC 1122 3.2.2.6 leaves broadcast echo to the implementation; Linux ignores it
	 * (icmp_echo_ignore_broadcasts=1) to deny smurf amplification. */
	if (group) {
		ns_drop(s, pkt, NS_DROP_ICMP_ECHO_BCAST);
		return;
	}
	pkt = ip_echo_turn(s, pkt, ICMPV4_HLEN);
	if (!pkt)
		return;
	/* RFC 792: same identifier, sequence number and data; the type becomes 0. RFC 1624
	 * eqn. 3 patches the checksum for the changed type/code word. */
	h = ns_pkt_data(pkt);
	word = rd16(h);
	h[0] = ICMPV4_ECHO_REPLY;
	h[1] = 0;
	wr16(h + 2, csum_update16(rd16(h + 2), word, rd16(h)));
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	if (icmp_send(s, pkt, &from, &to, tos) == NS_OK)
		ns_stat_inc(s, NS_STAT_ICMP_ECHO_REPLY_TX);
}

/* ---------------------------------------------------------------- errors received */

/* RFC 792 / RFC 1122 3.2.2.1 / RFC 1812 5.2.7.1: a destination unreachable code as the
 * control the transport gets. False for codes that mean nothing to it. */
static bool unreach_ctrl(uint8_t code, uint16_t mtu, enum ns_ctrl *ctrl, uint32_t *info)
{
	switch (code) {
	case ICMPV4_UNREACH_NET:
	case ICMPV4_UNREACH_NET_UNKNOWN:
	case 11: /* network unreachable for TOS */
		*ctrl = NS_CTRL_NET_UNREACHABLE;
		return true;
	case ICMPV4_UNREACH_HOST:
	case ICMPV4_UNREACH_SRC_ROUTE:
	case ICMPV4_UNREACH_HOST_UNKNOWN:
	case 8:  /* source host isolated */
	case 12: /* host unreachable for TOS */
	case 14: /* host precedence violation */
	case 15: /* precedence cutoff in effect */
		*ctrl = NS_CTRL_HOST_UNREACHABLE;
		return true;
	case ICMPV4_UNREACH_PROTO:
		*ctrl = NS_CTRL_PROTO_UNREACHABLE;
		return true;
	case ICMPV4_UNREACH_PORT:
		*ctrl = NS_CTRL_PORT_UNREACHABLE;
		return true;
	case ICMPV4_UNREACH_FRAG_NEEDED:
		/* RFC 1191 4: the next-hop MTU (0 from old routers: icmp_frag_needed()). */
		*ctrl = NS_CTRL_PACKET_TOO_BIG;
		*info = mtu;
		return true;
	case ICMPV4_UNREACH_NET_PROHIB:
	case ICMPV4_UNREACH_HOST_PROHIB:
	case ICMPV4_UNREACH_ADMIN_PROHIB:
		*ctrl = NS_CTRL_ADMIN_PROHIBITED;
		return true;
	default:
		return false;
	}
}

static bool error_ctrl(const struct icmpv4_repr *m, enum ns_ctrl *ctrl, uint32_t *info)
{
	*info = 0;
	switch (m->type) {
	case ICMPV4_DEST_UNREACH:
		return unreach_ctrl(m->code, m->mtu, ctrl, info);
	case ICMPV4_TIME_EXCEEDED:
		*ctrl = NS_CTRL_TIME_EXCEEDED;
		return m->code == ICMPV4_EXC_TTL || m->code == ICMPV4_EXC_FRAGTIME;
	case ICMPV4_PARAM_PROBLEM:
		*ctrl = NS_CTRL_PARAM_PROBLEM;
		*info = m->rest >> 24; /* the pointer octet */
		return true;
	default:
		return false;
	}
}

/* The quoted datagram must be an IPv4 header followed by at least 8 bytes of its payload
 * (RFC 792; enough for the ports). Its length fields are not checked against what is
 * quoted: the quote is cut short on purpose. */
static bool quote_ok(const struct ns_pkt *pkt, uint32_t *qhl)
{
	const uint8_t *q = ns_pkt_peek(pkt, ICMPV4_HLEN, IPV4_MIN_HLEN);

	if (!q || ipv4_get_version(q) != 4)
		return false;
	*qhl = ipv4_get_hdr_len(q);
	return *qhl >= IPV4_MIN_HLEN && pkt->len >= ICMPV4_HLEN + *qhl + 8u;
}

/* RFC 1191 5 and 7: the plateau table, to estimate the next-hop MTU when a router that
 * predates RFC 1191 says 0: the largest plateau below the datagram that did not fit. */
static uint32_t plateau_below(uint32_t len)
{
	static const uint16_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296};

	for (size_t i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < len)
			return plateaus[i];
	return 68; /* RFC 791: every link carries 68 bytes */
}

/*
 * Path MTU discovery (RFC 1191; RFC 5927 on forged messages): a "fragmentation needed"
 * about the datagram quoted at @q (@qhl header bytes; @pkt's head already at its transport
 * header). It is believed only if that datagram is ours: from one of our addresses, and
 * recognised by the endpoint that sent it (its quote_ok hook: TCP wants a sequence number in
 * flight). Then the endpoint hears of it (TCP lowers its MSS, RFC 1191 6.4) and the path MTU
 * to the destination drops for every sender (ns_route_pmtu_update(), which also applies
 * the floor). Consumes @pkt.
 */
static void icmp_frag_needed(struct ns_stack *s, struct ns_pkt *pkt, const uint8_t *q, uint32_t mtu)
{
	struct ns_addr osrc = v4(ipv4_get_src(q)), odst = v4(ipv4_get_dst(q));

	if (!ns_stack_find_local(s, &osrc)) {
		ns_drop(s, pkt, NS_DROP_ICMP_PMTU_NOT_OURS);
		return;
	}
	/* RFC 1191 5: no MTU (or one below the 68 bytes every link carries, RFC 791). */
	if (mtu < 68)
		mtu = plateau_below(ipv4_get_total_len(q));
	if (mtu < NS_IPV4_MIN_PMTU)
		mtu = NS_IPV4_MIN_PMTU;
	if (!ns_deliver_control(s, ipv4_get_proto(q), &osrc, &odst, NS_CTRL_PACKET_TOO_BIG, mtu,
	                        pkt)) {
		ns_drop(s, pkt, NS_DROP_ICMP_PMTU_NOT_OURS);
		return;
	}
	ns_route_pmtu_update(s, &odst, mtu);
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_pkt_free(pkt);
}

/* An ICMP error about a datagram we sent: tell its endpoint. Consumes @pkt. */
static void icmp_error_in(struct ns_stack *s, struct ns_pkt *pkt, const struct icmpv4_repr *m)
{
	enum ns_ctrl ctrl;
	uint32_t info, qhl;
	const uint8_t *q;
	struct ns_addr osrc, odst;

	ns_stat_inc(s, NS_STAT_ICMP_ERRORS_RX);
	if (!error_ctrl(m, &ctrl, &info)) {
		ns_drop(s, pkt, NS_DROP_ICMP_UNHANDLED);
		return;
	}
	if (!quote_ok(pkt, &qhl)) {
		ns_drop(s, pkt, NS_DROP_ICMP_BAD_QUOTE);
		return;
	}
	q = ns_pkt_data(pkt) + ICMPV4_HLEN;
	/* Only a first fragment carries the transport header the endpoint is found by. */
	if (rd16(q + 6) & IPV4_FRAG_MASK) {
		ns_drop(s, pkt, NS_DROP_ICMP_UNHANDLED);
		return;
	}
	osrc = v4(ipv4_get_src(q));
	odst = v4(ipv4_get_dst(q));
	/* The ICMP header and the quoted IPv4 header form this packet's "transport" header;
	 * the head moves to the quoted transport header, as ns_deliver_control() wants. */
	ns_pkt_consume(pkt, NS_HDR_TRANSPORT, ICMPV4_HLEN + qhl);
	if (ctrl == NS_CTRL_PACKET_TOO_BIG) {
		icmp_frag_needed(s, pkt, q, info);
		return;
	}
	ns_stat_inc(s, NS_STAT_RX_DELIVERED);
	ns_deliver_control(s, ipv4_get_proto(q), &osrc, &odst, ctrl, info, pkt);
	ns_pkt_free(pkt);
}

void icmpv4_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt, bool group)
{
	struct icmpv4_repr m;

	(void)nic;
	ns_stat_inc(s, NS_STAT_ICMP_RX);
	if (pkt->len < ICMPV4_HLEN) {
		ns_drop(s, pkt, NS_DROP_ICMP_TRUNCATED);
		return;
	}
	/* RFC 1122 3.2.2: verified in software, whatever the link's RX offload says. */
	if (!icmpv4_parse(&m, ns_pkt_data(pkt), pkt->len, true)) {
		ns_drop(s, pkt, NS_DROP_ICMP_BAD_CSUM);
		return;
	}
	switch (m.type) {
	case ICMPV4_ECHO_REQUEST:
		icmp_echo(s, pkt, group);
		return;
	case ICMPV4_ECHO_REPLY:
		ip_echo_reply_in(s, pkt, NS_DROP_ICMP_UNHANDLED);
		return;
	case ICMPV4_DEST_UNREACH:
	case ICMPV4_TIME_EXCEEDED:
	case ICMPV4_PARAM_PROBLEM:
		icmp_error_in(s, pkt, &m);
		return;
	default:
		/* Redirects and source quench are ignored. */
		ns_drop(s, pkt, NS_DROP_ICMP_UNHANDLED);
		return;
	}
}

/* ---------------------------------------------------------------- errors sent */

/* RFC 1122 3.2.2: does @src name a single host? Not in 0.0.0.0/8 ("this network", RFC
 * 1122 3.2.1.3), broadcast, multicast or class E; not loopback unless the datagram never
 * left the stack. */
static bool src_is_host(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                        const uint8_t src[4])
{
	struct ns_addr a = v4(src);

	if (src[0] == 0 || src[0] >= 224)
		return false;
	if (ns_nic_match_addr(s, nic, &a) == NS_ADDR_BROADCAST)
		return false;
	if (ipv4_is_loopback(src) && !(pkt->flags & NS_PKT_LOOPED) &&
	    !(ns_nic_caps(nic) & NS_CAP_LOOPBACK))
		return false;
	return true;
}

/* RFC 1122 3.2.2 (and RFC 1812 4.3.2.7): may an error be sent about datagram @ip, of which
 * @avail bytes are at hand? */
static bool error_allowed(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                          const uint8_t *ip, uint32_t avail)
{
	uint32_t hl = ipv4_get_hdr_len(ip);

	/* ... not a datagram sent as a link-layer or IP broadcast or multicast, */
	if (pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST))
		return false;
	if (ipv4_is_bcast_dst(s, nic, ipv4_get_dst(ip)))
		return false;
	/* ... not a fragment other than the first, */
	if (rd16(ip + 6) & IPV4_FRAG_MASK)
		return false;
	/* ... not a datagram whose source does not define a single host, */
	if (!src_is_host(s, nic, pkt, ipv4_get_src(ip)))
		return false;
	/* ... and not an ICMP error (nor a type we do not know, as Linux). */
	if (ipv4_get_proto(ip) == IP_PROTO_ICMP) {
		if (avail <= hl)
			return false;
		if (icmpv4_is_error(ip[hl]) || ip[hl] > ICMPV4_MAX_KNOWN_TYPE)
			return false;
	}
	return true;
}

void icmpv4_send_error(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                       uint32_t ip_off, uint8_t type, uint8_t code, uint32_t info)
{
	const uint32_t max_quote = ICMPV4_ERROR_MAX_LEN - IPV4_MIN_HLEN - ICMPV4_HLEN;
	struct icmpv4_repr e = {.type = type, .code = code};
	const uint8_t *ip = pkt->buf + ip_off;
	uint32_t avail, quote;
	struct ns_addr src, dst;
	struct ns_pkt *m;
	uint8_t *h;

	if (!nic || ip_off > pkt->head + pkt->len)
		return;
	avail = pkt->head + pkt->len - ip_off;
	if (avail < IPV4_MIN_HLEN || !error_allowed(s, nic, pkt, ip, avail))
		return;
	src = v4(ipv4_get_dst(ip));
	dst = v4(ipv4_get_src(ip));
	if (!ns_icmp_rate_allow(s, &dst)) {
		ns_stat_inc(s, NS_STAT_ICMP_RATE_LIMITED);
		return;
	}
	quote = avail < max_quote ? avail : max_quote;
	m = icmp_alloc(ip, quote, &h);
	if (!m) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return;
	}
	if (type == ICMPV4_DEST_UNREACH && code == ICMPV4_UNREACH_FRAG_NEEDED)
		e.mtu = (uint16_t)info;
	else if (type == ICMPV4_PARAM_PROBLEM)
		e.rest = info << 24;
	icmpv4_emit(&e, h, m->len);
	/* From the address the datagram was sent to when it is ours (Linux; any NIC's, the
	 * weak host model), else the route picks one; TOS as Linux: the original's TOS bits,
	 * internetwork control precedence. */
	if (icmp_send(s, m, ns_stack_match_local(s, nic, &src) != NS_ADDR_NONE ? &src : NULL, &dst,
	              (uint8_t)((ipv4_get_tos(ip) & IPTOS_TOS_MASK) |
	                        IPTOS_PREC_INTERNETCONTROL)) == NS_OK &&
	    type == ICMPV4_DEST_UNREACH)
		ns_stat_inc(s, NS_STAT_ICMP_DEST_UNREACH_TX);
}
