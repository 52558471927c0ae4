/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the raw module and raw IP endpoints (the seed's RawFactory and raw
 * endpoints; Linux raw(7), net/ipv4/raw.c).
 *
 * The module is what ns_stack_config.raw registers (ns_proto_raw). Its per-stack state holds
 * the raw IP endpoints in one list per (family, IP protocol), so a datagram of a protocol no
 * raw endpoint asked for costs one array load, and the packet endpoints' state (packet.c).
 * It tells the core how many users each hook has (ns_raw_hook_users()): while there are no
 * raw IP endpoints the core never calls deliver_ip or control, while there are no packet
 * endpoints it never calls tap.
 *
 * Receive (deliver_ip, Linux raw_v4_input()): every endpoint of the datagram's protocol
 * whose bound address is the datagram's destination (or unspecified), whose connected peer
 * is its source (or none), and whose NIC binding is the NIC it came in on (or none) gets a
 * copy: IPv4 from the IPv4 header on, exactly as it arrived; IPv6 from the upper-layer
 * header on (as Linux). The ICMP filter of a raw ICMPv4 endpoint (NS_ICMP_FILTER, Linux's
 * ICMP_FILTER) drops the types whose bit is set, and a message too short to have a type.
 * As Linux, an IPv4 endpoint whose buffer is full does not count as having taken the
 * datagram (an IPv6 one does), one whose filter dropped it does (the network layer then
 * sends no protocol unreachable). IPv6 (Linux net/ipv6/raw.c): ICMPv6 endpoints verify the
 * checksum of their copy over the RFC 8200 8.1 pseudo-header, as does any endpoint given a
 * checksum offset (NS_IPV6_CHECKSUM), and ICMP6_FILTER (ns_ep_set_icmp6_filter()) blocks by
 * type; a send sums at the offset (rawv6_push_pending_frames()), and IPV6_HDRINCL sends the
 * caller's datagram as written.
 * Targets are collected before any is served (at most RAW_FANOUT_MAX), so a waiter
 * callback that closes or creates endpoints cannot disturb the walk; a closed target
 * (closed during the walk, its memory kept until the dispatch ends) is skipped.
 *
 * ICMP errors (control, Linux raw_icmp_error() and raw_err()): the endpoints of the quoted
 * datagram's protocol that would have received a reply to it (bound to its source,
 * connected to its destination) get the error as their pending error when they asked with
 * NS_IP_RECVERR, or when they are connected and the error is hard; the same rule as UDP.
 *
 * Send: a write is one datagram. Without NS_IP_HDRINCL the payload follows a header the
 * network layer builds (NS_IP_TTL, NS_IP_TOS, TTL 1 to multicast; NS_IP_MTU_DISCOVER as
 * for UDP: by default DF on what fits the path MTU, larger datagrams fragmented); with it the
 * caller's bytes are the whole datagram and the network protocol's write_hdrincl fills in what
 * Linux fills in. Either way the route is to opts->to or the connected peer (the port is ignored),
 * from the bound address if it is one of ours. As Linux, a write above 65535 bytes is
 * MESSAGE_TOO_LONG, a broadcast needs NS_SO_BROADCAST, and NO_BUFFER_SPACE from a full queue is
 * hidden unless NS_IP_RECVERR.
 *
 * Binding and connecting follow raw_bind() and ip4_datagram_connect(): bind takes the
 * unspecified address, one of ours, or a broadcast or multicast address (to receive only)
 * and is refused once connected; connect needs a route, takes the route's source as the
 * local address when none was bound, and connect(NS_AF_UNSPEC) forgets the peer and the
 * local address connect chose. (Linux's raw_bind() sets no bind-address lock, so there a
 * disconnect also forgets a bound address; we keep it, as a bound UDP endpoint does.)
 *
 * Closing unlinks the endpoint at once and releases its memory through ns_ep_defer_free().
 *
 * Limits: no IP options on send (Linux's IP_OPTIONS), no IP_PKTINFO-style ancillary data,
 * no error queue (NS_IP_RECVERR makes every error the pending error, as for UDP).
 */
#include "raw/raw.h"

#include <stdlib.h>
#include <string.h>

#include "netstack/stack.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define IPPROTO_ICMP_      1
#define IPPROTO_UDP_       17
#define IPPROTO_ICMPV6_    58
#define NS_ETHERTYPE_IPV6_ 0x86dd
#define IPPROTO_MH_        135 /* Mobility Header (RFC 6275): Linux sums it at offset 4 */
#define ICMPV6_HDR_TYPE    4   /* bytes of ICMPv6 header icmpv6_filter() needs */
#define ICMP_HLEN          8
#define IPV4_MAX_LEN       0xffffu

struct raw_ep;

struct raw_state {
	struct raw_ep *eps[2][256]; /* [family is IPv6][IP protocol] */
	struct packet_state *pk;
};

/*
 * A raw IP endpoint.
 * @local:       bound address (Linux inet_rcv_saddr): filters the destination; any: none
 * @addr_locked: bind() named @local (kept across disconnect)
 * @src_fixed:   @local is one of our unicast addresses: the source of what we send
 * @peer:        connected peer (Linux inet_daddr): filters the source
 * @nic:         NS_SO_BINDTODEVICE (0: any)
 * @icmp_filter: NS_ICMP_FILTER, bit n drops ICMP type n (IPv4 ICMP endpoints)
 * @dg:          the receive queue, pending error, shutdown and IP-level options
 */
struct raw_ep {
	struct ns_ep ep;
	struct ns_deferred release;
	struct raw_state *st;
	struct raw_ep *prev, *next;
	uint8_t family;
	uint8_t proto;
	bool closed;
	bool connected;
	bool addr_locked;
	bool src_fixed;
	bool hdrincl;
	uint32_t nic;
	uint32_t icmp_filter;
	int32_t csum_off;         /* IPv6: where the stack sums (IPV6_CHECKSUM); -1: nowhere */
	uint32_t icmp6_filter[8]; /* IPv6 ICMPv6: ICMP6_FILTER, bit set blocks the type */
	struct ns_addr local;
	struct ns_addr peer;
	struct dgram_sock dg;
};

static const struct ns_ep_ops raw_ep_ops;

/* ---------------------------------------------------------------- helpers */

struct ns_pkt *raw_copy(struct ns_stack *s, uint32_t headroom, const void *a, uint32_t a_len,
                        const void *b, uint32_t b_len)
{
	struct ns_pkt *c;

	if (a_len > UINT32_MAX - b_len || !(c = ns_pkt_alloc(headroom, a_len + b_len))) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NULL;
	}
	if (a_len)
		memcpy(ns_pkt_data(c), a, a_len);
	if (b_len)
		memcpy(ns_pkt_data(c) + a_len, b, b_len);
	return c;
}

static inline struct raw_ep *to_raw(struct ns_ep *ep)
{
	return (struct raw_ep *)ep;
}

static inline int fam_idx(uint8_t family)
{
	return family == NS_AF_INET6 ? 1 : 0;
}

/* Linux raw_v4_match(): does @r hear of a datagram of its protocol between @local (ours)
 * and @remote that came in on (or went out of) @nic? */
static bool raw_match(const struct raw_ep *r, const struct ns_addr *local,
                      const struct ns_addr *remote, uint32_t nic)
{
	if (r->closed)
		return false;
	if (!ns_addr_is_any(&r->local) && !ns_addr_eq(&r->local, local))
		return false;
	if (r->connected && !ns_addr_eq(&r->peer, remote))
		return false;
	return r->nic == 0 || r->nic == nic;
}

/* Linux icmp_filter() and icmpv6_filter(): true if @r's ICMP filter drops the ICMP message
 * at @h (@len bytes). */
static bool icmp_filtered(const struct raw_ep *r, const uint8_t *h, uint32_t len)
{
	if (r->family == NS_AF_INET6) {
		if (r->proto != IPPROTO_ICMPV6_)
			return false;
		if (len < ICMPV6_HDR_TYPE)
			return true; /* as Linux: no type to read, blocked */
		return (r->icmp6_filter[h[0] >> 5] & (1u << (h[0] & 31))) != 0;
	}
	if (r->proto != IPPROTO_ICMP_)
		return false;
	if (len < ICMP_HLEN)
		return true; /* no header to read the type from: blocked, as Linux */
	return h[0] < 32 && (r->icmp_filter & (1u << h[0]));
}

/* rawv6_rcv_skb(): an endpoint that sums (ICMPv6, IPV6_CHECKSUM) takes only datagrams whose
 * checksum over the RFC 8200 8.1 pseudo-header is right, unless it never left the stack or
 * the link verified it. */
static bool csum_bad(const struct raw_ep *r, const struct ns_pkt *pkt)
{
	if (r->family != NS_AF_INET6 || r->csum_off < 0 ||
	    (pkt->flags & (NS_PKT_LOOPED | NS_PKT_CSUM_VERIFIED)))
		return false;
	return csum_finish(
	           csum_partial(ns_pkt_data(pkt), pkt->len,
	                        csum_pseudo_v6(pkt->src.a, pkt->dst.a, r->proto, pkt->len))) != 0;
}

/* Collect into @to the endpoints of (@family, @proto) that raw_match() accepts; returns how
 * many (at most RAW_FANOUT_MAX: one more counts a RAW_FANOUT_LIMIT drop). */
static int collect(struct ns_stack *s, struct raw_state *st, uint8_t family, uint8_t proto,
                   const struct ns_addr *local, const struct ns_addr *remote, uint32_t nic,
                   struct raw_ep **to)
{
	int n = 0;

	for (struct raw_ep *r = st->eps[fam_idx(family)][proto]; r; r = r->next) {
		if (!raw_match(r, local, remote, nic))
			continue;
		if (n == RAW_FANOUT_MAX) {
			ns_drop(s, NULL, NS_DROP_RAW_FANOUT_LIMIT);
			break;
		}
		to[n++] = r;
	}
	return n;
}

/* ---------------------------------------------------------------- the module's hooks */

static bool raw_deliver_ip(struct ns_stack *s, void *priv, const struct ns_pkt *pkt)
{
	struct raw_state *st = priv;
	struct raw_ep *to[RAW_FANOUT_MAX];
	const uint8_t *from;
	uint32_t len;
	bool taken = false;
	int n;

	if (!st->eps[fam_idx(pkt->dst.family)][pkt->transproto])
		return false;
	n = collect(s, st, pkt->dst.family, pkt->transproto, &pkt->dst, &pkt->src, pkt->nic, to);
	if (n == 0)
		return false;
	/* IPv4 raw endpoints read the header too, IPv6 ones start at the upper layer. */
	if (pkt->dst.family == NS_AF_INET && pkt->hdr[NS_HDR_NETWORK].len &&
	    pkt->hdr[NS_HDR_NETWORK].off <= pkt->head) {
		from = pkt->buf + pkt->hdr[NS_HDR_NETWORK].off;
		len = pkt->head + pkt->len - pkt->hdr[NS_HDR_NETWORK].off;
	} else {
		from = ns_pkt_data(pkt);
		len = pkt->len;
	}
	for (int i = 0; i < n; i++) {
		struct raw_ep *r = to[i];
		struct ns_pkt *c;

		if (r->closed) /* by a callback earlier in this walk */
			continue;
		/* Linux: an IPv4 endpoint with a full buffer has not taken it (raw_v4_input()),
		 * an IPv6 one has (ipv6_raw_deliver() counts the match). */
		if (dgram_rq_full(&r->dg.rq)) {
			ns_drop(s, NULL, NS_DROP_RAW_RCVBUF_FULL);
			taken |= r->family == NS_AF_INET6;
			continue;
		}
		taken = true;
		if (icmp_filtered(r, ns_pkt_data(pkt), pkt->len))
			continue;
		if (csum_bad(r, pkt)) {
			ns_drop(s, NULL, NS_DROP_RAW_BAD_CSUM);
			continue;
		}
		c = raw_copy(s, 0, from, len, NULL, 0);
		if (!c)
			continue;
		c->nic = pkt->nic;
		c->netproto = pkt->netproto;
		c->transproto = pkt->transproto;
		c->src = pkt->src;
		c->dst = pkt->dst;
		c->ttl = pkt->ttl;
		c->tos = pkt->tos;
		ns_stat_inc(s, NS_STAT_RAW_RX);
		dgram_enqueue(&r->ep, &r->dg, c);
	}
	return taken;
}

static bool raw_control(struct ns_stack *s, void *priv, uint8_t transproto,
                        const struct ns_addr *orig_src, const struct ns_addr *orig_dst,
                        enum ns_ctrl ctrl, uint32_t info, const struct ns_pkt *pkt)
{
	struct raw_state *st = priv;
	struct raw_ep *to[RAW_FANOUT_MAX];
	ns_err err;
	bool hard;
	int n;

	(void)info;
	if (!st->eps[fam_idx(orig_src->family)][transproto])
		return false;
	/* The quoted datagram is one we sent: its source is our side. */
	n = collect(s, st, orig_src->family, transproto, orig_src, orig_dst, pkt->nic, to);
	for (int i = 0; i < n; i++) {
		struct raw_ep *r = to[i];

		if (!r->closed && dgram_ctrl_error(r->family, r->dg.pmtudisc, ctrl, &err, &hard))
			dgram_report(&r->ep, &r->dg, err, hard, r->connected);
	}
	return n > 0;
}

static void raw_tap(struct ns_stack *s, void *priv, struct ns_nic *nic, const struct ns_pkt *pkt,
                    bool outbound)
{
	struct raw_state *st = priv;

	packet_tap(s, st->pk, nic, pkt, outbound);
}

static ns_err raw_new_packet(struct ns_stack *s, void *priv, int kind, uint16_t proto,
                             struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct raw_state *st = priv;

	return packet_new(s, st->pk, kind, proto, wq, out);
}

/* ---------------------------------------------------------------- endpoint API */

static ns_err raw_bind(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	struct raw_ep *r = to_raw(ep);
	uint32_t nic = r->nic;
	enum dgram_local kind;
	ns_err err;

	if (r->connected)
		return NS_ERR_INVALID_ENDPOINT_STATE; /* Linux: EINVAL unless TCP_CLOSE */
	if (a->addr.family != r->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	err = dgram_bind_nic(ep->stack, &nic, a->nic);
	if (err)
		return err;
	/* rawv6_bind(): a link-local address needs its NIC. */
	if (dgram_addr_is_link_local(&a->addr) && !nic)
		return NS_ERR_INVALID_ARGUMENT;
	kind = dgram_classify_local(ep->stack, nic, &a->addr);
	if (kind == DGRAM_LOCAL_BAD)
		return NS_ERR_BAD_LOCAL_ADDRESS;
	r->nic = nic;
	r->local = a->addr;
	r->addr_locked = kind != DGRAM_LOCAL_ANY;
	r->src_fixed = kind == DGRAM_LOCAL_UNICAST;
	return NS_OK;
}

static ns_err raw_connect(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	struct raw_ep *r = to_raw(ep);
	struct ns_route rt;
	ns_err err;

	if (a->addr.family == NS_AF_UNSPEC) {
		/* Linux __udp_disconnect(), which raw sockets use too. */
		r->connected = false;
		r->peer = dgram_any(r->family);
		if (!r->addr_locked) {
			r->local = dgram_any(r->family);
			r->src_fixed = false;
		}
		return NS_OK;
	}
	if (a->addr.family != r->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	err = ns_route_find(ep->stack, a->nic ? a->nic : r->nic, r->src_fixed ? &r->local : NULL,
	                    &a->addr, &rt);
	if (err)
		return err;
	if ((rt.flags & NS_ROUTE_BROADCAST) && !r->dg.so_broadcast)
		return NS_ERR_BROADCAST_DISABLED; /* ip4_datagram_connect(): EACCES */
	if (ns_addr_is_any(&r->local)) {
		r->local = rt.local;
		r->src_fixed = true;
	}
	r->peer = a->addr;
	r->connected = true;
	return NS_OK;
}

/* rawv6_push_pending_frames(): the checksum at the endpoint's offset, over the datagram
 * and the RFC 8200 8.1 pseudo-header, as if the field were zero; UDP's 0 goes as 0xffff. */
static void raw6_sum(const struct raw_ep *r, const struct ns_route *rt, struct ns_pkt *pkt)
{
	uint8_t *d = ns_pkt_data(pkt);
	uint16_t c;

	wr16(d + r->csum_off, 0);
	c = csum_finish(csum_partial(
	    d, pkt->len, csum_pseudo_v6(rt->local.a, rt->remote.a, r->proto, pkt->len)));
	if (c == 0 && r->proto == IPPROTO_UDP_)
		c = 0xffff;
	wr16(d + r->csum_off, c);
}

static ns_err raw_write(struct ns_ep *ep, const void *buf, size_t len,
                        const struct ns_write_opts *opts, size_t *written)
{
	struct raw_ep *r = to_raw(ep);
	struct ns_stack *s = ep->stack;
	const struct ns_sockaddr *dst = opts ? opts->to : NULL;
	uint32_t nic = r->nic;
	struct ns_addr to;
	struct ns_route rt;
	ns_err err;

	*written = 0;
	if (len && !buf)
		return NS_ERR_BAD_BUFFER;
	if (len > IPV4_MAX_LEN)
		return NS_ERR_MESSAGE_TOO_LONG; /* raw_sendmsg(): EMSGSIZE above 0xffff */
	err = dgram_dest(dst, r->family, r->connected, &r->peer, &nic, &to);
	if (!err)
		err = dgram_send_check(&r->dg);
	if (err)
		return err;
	/* rawv6_push_pending_frames(): the checksum field must lie inside the datagram. */
	if (!r->hdrincl && r->csum_off >= 0 && (size_t)r->csum_off + 2 > len)
		return NS_ERR_INVALID_ARGUMENT;
	err = ns_route_find(s, nic, r->src_fixed ? &r->local : NULL, &to, &rt);
	if (err)
		return err;
	if ((rt.flags & NS_ROUTE_BROADCAST) && !r->dg.so_broadcast)
		return NS_ERR_BROADCAST_DISABLED;
	/* NS_IP_MTU_DISCOVER as for UDP. IP_HDRINCL datagrams are never fragmented (the
	 * network protocol refuses them above the MTU). */
	bool fits = dgram_fits(s, &r->dg, &rt, len + dgram_net_hdr_len(r->family));

	if (!r->hdrincl && dgram_too_big(&r->dg, fits))
		return NS_ERR_MESSAGE_TOO_LONG;

	struct ns_pkt *pkt = dgram_pkt_new(s, &rt, 0, buf, len);

	if (!pkt)
		return NS_ERR_NO_BUFFER_SPACE;
	pkt->netproto = rt.netproto;
	pkt->nic = rt.nic;
	if (r->hdrincl) {
		err = ns_netproto_write_hdrincl(s, &rt, pkt);
	} else {
		struct ns_write_params wp = dgram_write_params(&r->dg, &rt, fits);

		if (r->csum_off >= 0)
			raw6_sum(r, &rt, pkt);

		/* The payload stands where a transport header would: a failed resolution is
		 * reported to us like any local sender's (ipv4_resolution_failed()). */
		if (len)
			pkt->hdr[NS_HDR_TRANSPORT] =
			    (struct ns_hdr_ref){.off = pkt->head, .len = (uint16_t)len};
		pkt->transproto = r->proto;
		err = ns_netproto_write(s, &rt, pkt, &wp);
	}
	/* Linux hides ENOBUFS from raw senders unless IP_RECVERR (raw_sendmsg()). */
	if (err == NS_ERR_NO_BUFFER_SPACE && !r->dg.ip_recverr)
		err = NS_OK;
	if (err)
		return err;
	ns_stat_inc(s, NS_STAT_RAW_TX);
	*written = len;
	return NS_OK;
}

static ns_err raw_read(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
                       struct ns_read_result *res)
{
	struct raw_ep *r = to_raw(ep);
	struct ns_pkt *pkt;
	ns_err err = dgram_read(&r->dg, buf, len, res, &pkt);

	if (err || !pkt)
		return err;
	res->from.addr = pkt->src; /* raw_recvmsg(): the IP source, port 0 */
	res->from.nic = pkt->nic;
	dgram_read_done(&r->dg, flags);
	return NS_OK;
}

static uint32_t raw_readiness(struct ns_ep *ep, uint32_t mask)
{
	return dgram_readiness(&to_raw(ep)->dg, mask);
}

static ns_err raw_shutdown(struct ns_ep *ep, int how)
{
	struct raw_ep *r = to_raw(ep);

	dgram_shutdown(ep, &r->dg, how);
	return r->connected ? NS_OK : NS_ERR_NOT_CONNECTED;
}

static void raw_release(struct ns_deferred *d)
{
	struct raw_ep *r = (struct raw_ep *)(void *)((char *)d - offsetof(struct raw_ep, release));
	struct ns_stack *s = r->ep.stack;

	free(r);
	ns_ep_live_add(s, -1);
}

static void raw_close(struct ns_ep *ep)
{
	struct raw_ep *r = to_raw(ep);
	struct raw_ep **head;

	if (r->closed)
		return;
	r->closed = true;
	dgram_rq_flush(&r->dg.rq);
	head = &r->st->eps[fam_idx(r->family)][r->proto];
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	ns_raw_hook_users(ep->stack, NS_RAW_HOOK_IP, -1);
	ns_ep_defer_free(ep->stack, &r->release, raw_release);
}

static ns_err raw_set_opt(struct ns_ep *ep, enum ns_opt opt, int64_t v)
{
	struct raw_ep *r = to_raw(ep);
	ns_err err;

	switch (opt) {
	case NS_SO_BINDTODEVICE:
		err = dgram_check_nic(ep->stack, v);
		if (err)
			return err;
		r->nic = (uint32_t)v;
		return NS_OK;
	case NS_IP_HDRINCL:
		/* IPv4's IP_HDRINCL, IPv6's IPV6_HDRINCL. */
		r->hdrincl = v != 0;
		return NS_OK;
	case NS_IPV6_CHECKSUM:
		/* Linux do_rawv6_setsockopt(): IPv6 only; never on ICMPv6, which is always
		 * summed; an odd offset is refused, a negative one turns summing off. */
		if (r->family != NS_AF_INET6)
			return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		if (r->proto == IPPROTO_ICMPV6_)
			return NS_ERR_INVALID_ARGUMENT;
		if (v > INT32_MAX || (v > 0 && (v & 1)))
			return NS_ERR_INVALID_OPTION_VALUE;
		r->csum_off = v < 0 ? -1 : (int32_t)v;
		return NS_OK;
	case NS_ICMP_FILTER:
		/* Linux do_raw_setsockopt(): only on raw ICMPv4 sockets (EOPNOTSUPP). */
		if (r->family != NS_AF_INET || r->proto != IPPROTO_ICMP_)
			return NS_ERR_NOT_SUPPORTED;
		if (v < 0 || v > UINT32_MAX)
			return NS_ERR_INVALID_OPTION_VALUE;
		r->icmp_filter = (uint32_t)v;
		return NS_OK;
	default:
		/* Buffers, broadcast, TTL, TOS, RECVERR, MTU_DISCOVER; no SO_REUSEADDR. */
		return dgram_set_ip_opt(&r->dg, opt, v);
	}
}

static ns_err raw_get_opt(struct ns_ep *ep, enum ns_opt opt, int64_t *v)
{
	struct raw_ep *r = to_raw(ep);

	switch (opt) {
	case NS_SO_BINDTODEVICE:
		*v = r->nic;
		return NS_OK;
	case NS_IP_HDRINCL:
		*v = r->hdrincl;
		return NS_OK;
	case NS_IPV6_CHECKSUM:
		if (r->family != NS_AF_INET6)
			return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		*v = r->csum_off;
		return NS_OK;
	case NS_IP_MTU:
		return dgram_route_mtu(ep->stack, r->connected, r->nic,
		                       r->src_fixed ? &r->local : NULL, &r->peer, v);
	case NS_ICMP_FILTER:
		if (r->family != NS_AF_INET || r->proto != IPPROTO_ICMP_)
			return NS_ERR_NOT_SUPPORTED;
		*v = r->icmp_filter;
		return NS_OK;
	default:
		return dgram_get_ip_opt(ep->stack, &r->dg, opt, v);
	}
}

static ns_err raw_local_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	struct raw_ep *r = to_raw(ep);

	memset(a, 0, sizeof(*a));
	a->addr = r->local;
	a->port = r->proto; /* Linux: a raw socket's "port" is its protocol */
	a->nic = r->nic;
	return NS_OK;
}

static ns_err raw_peer_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	struct raw_ep *r = to_raw(ep);

	if (!r->connected)
		return NS_ERR_NOT_CONNECTED;
	memset(a, 0, sizeof(*a));
	a->addr = r->peer;
	return NS_OK;
}

static const struct ns_ep_ops raw_ep_ops = {
    .close = raw_close,
    .bind = raw_bind,
    .connect = raw_connect,
    .shutdown = raw_shutdown,
    .read = raw_read,
    .write = raw_write,
    .readiness = raw_readiness,
    .set_opt = raw_set_opt,
    .get_opt = raw_get_opt,
    .local_addr = raw_local_addr,
    .peer_addr = raw_peer_addr,
};

static ns_err raw_new_raw(struct ns_stack *s, void *priv, uint8_t family, uint8_t proto,
                          struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct raw_state *st = priv;
	struct raw_ep *r, **head;

	/* IPv6 raw endpoints come with the IPv6 network protocol. */
	if (family == NS_AF_INET6 ? !ns_netproto_priv(s, NS_ETHERTYPE_IPV6_) : family != NS_AF_INET)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NS_ERR_NO_MEMORY;
	r->ep.ops = &raw_ep_ops;
	r->ep.stack = s;
	r->ep.wq = wq;
	r->st = st;
	r->family = family;
	r->proto = proto;
	r->local = dgram_any(family);
	r->peer = dgram_any(family);
	/* Linux inet_create()/inet6_create(): IPPROTO_RAW implies IP_HDRINCL. */
	r->hdrincl = proto == NS_IPPROTO_RAW;
	/* rawv6_init_sk(): ICMPv6 is always summed at offset 2, the Mobility Header at 4. */
	r->csum_off = family != NS_AF_INET6      ? -1
	              : proto == IPPROTO_ICMPV6_ ? 2
	              : proto == IPPROTO_MH_     ? 4
	                                         : -1;
	dgram_init(&r->dg);
	head = &st->eps[fam_idx(family)][proto];
	r->next = *head;
	if (*head)
		(*head)->prev = r;
	*head = r;
	ns_raw_hook_users(s, NS_RAW_HOOK_IP, 1);
	ns_ep_live_add(s, 1);
	*out = &r->ep;
	return NS_OK;
}

/* The raw endpoint behind @ep if it is a raw ICMPv6 one (ICMP6_FILTER's scope: Linux's
 * do_rawv6_setsockopt() answers EOPNOTSUPP on others) and @filter is there. */
static ns_err icmp6_endpoint(struct ns_ep *ep, const uint32_t *filter, struct raw_ep **r)
{
	if (!ep || ep->ops != &raw_ep_ops)
		return ep ? NS_ERR_NOT_SUPPORTED : NS_ERR_INVALID_ARGUMENT;
	*r = to_raw(ep);
	if ((*r)->family != NS_AF_INET6 || (*r)->proto != IPPROTO_ICMPV6_)
		return NS_ERR_NOT_SUPPORTED;
	return filter ? NS_OK : NS_ERR_INVALID_ARGUMENT;
}

ns_err ns_ep_set_icmp6_filter(struct ns_ep *ep, const uint32_t filter[8])
{
	struct raw_ep *r;
	ns_err err = icmp6_endpoint(ep, filter, &r);

	if (err)
		return err;
	memcpy(r->icmp6_filter, filter, sizeof(r->icmp6_filter));
	return NS_OK;
}

ns_err ns_ep_get_icmp6_filter(struct ns_ep *ep, uint32_t filter[8])
{
	struct raw_ep *r;
	ns_err err = icmp6_endpoint(ep, filter, &r);

	if (err)
		return err;
	memcpy(filter, r->icmp6_filter, sizeof(r->icmp6_filter));
	return NS_OK;
}

/* ---------------------------------------------------------------- the module */

static ns_err raw_init(struct ns_stack *s, void **priv)
{
	struct raw_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NS_ERR_NO_MEMORY;
	st->pk = packet_state_new(s);
	if (!st->pk) {
		free(st);
		return NS_ERR_NO_MEMORY;
	}
	*priv = st;
	return NS_OK;
}

static void raw_fini(struct ns_stack *s, void *priv)
{
	struct raw_state *st = priv;

	if (!st)
		return;
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 256; p++)
			while (st->eps[f][p])
				raw_close(&st->eps[f][p]->ep);
	packet_state_free(s, st->pk);
	free(st);
}

const struct ns_rawproto_ops ns_proto_raw = {
    .name = "raw",
    .init = raw_init,
    .fini = raw_fini,
    .new_raw = raw_new_raw,
    .new_packet = raw_new_packet,
    .deliver_ip = raw_deliver_ip,
    .control = raw_control,
    .tap = raw_tap,
};
