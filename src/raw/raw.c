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
 */
struct raw_ep {
	struct ns_ep ep;
	struct ns_deferred release;
	struct raw_state *st;
	struct raw_ep *prev, *next;
	uint8_t family;
	uint8_t proto;
	uint8_t shut;
	bool closed;
	bool connected;
	bool addr_locked;
	bool src_fixed;
	bool hdrincl;
	bool so_broadcast;
	bool ip_recverr;
	uint8_t ttl; /* 0: the stack's default */
	uint8_t tos;
	uint8_t pmtudisc; /* NS_IP_MTU_DISCOVER (NS_PMTUDISC_WANT) */
	uint32_t nic;
	uint32_t icmp_filter;
	int32_t csum_off;         /* IPv6: where the stack sums (IPV6_CHECKSUM); -1: nowhere */
	uint32_t icmp6_filter[8]; /* IPv6 ICMPv6: ICMP6_FILTER, bit set blocks the type */
	uint32_t sndbuf;
	struct ns_addr local;
	struct ns_addr peer;
	ns_err pending;
	struct rawq rq;
};

static const struct ns_ep_ops raw_ep_ops;

/* ---------------------------------------------------------------- receive queue */

/* What a queued datagram costs the receive buffer: the memory it pins. */
static inline uint32_t rawq_cost(const struct ns_pkt *pkt)
{
	return pkt->cap + (uint32_t)sizeof(struct ns_pkt);
}

void rawq_push(struct rawq *q, struct ns_pkt *pkt)
{
	pkt->next = NULL;
	if (q->tail)
		q->tail->next = pkt;
	else
		q->head = pkt;
	q->tail = pkt;
	q->charge += rawq_cost(pkt);
}

void rawq_pop(struct rawq *q)
{
	struct ns_pkt *pkt = q->head;

	q->head = pkt->next;
	if (!q->head)
		q->tail = NULL;
	q->charge -= rawq_cost(pkt);
	pkt->next = NULL;
	ns_pkt_free(pkt);
}

void rawq_flush(struct rawq *q)
{
	while (q->head)
		rawq_pop(q);
}

ns_err rawq_read(struct rawq *q, ns_err *pending, uint8_t shut, void *buf, size_t len,
                 struct ns_read_result *res, struct ns_pkt **pkt)
{
	memset(res, 0, sizeof(*res));
	*pkt = NULL;
	if (len && !buf)
		return NS_ERR_BAD_BUFFER;
	if (*pending) {
		ns_err err = *pending;

		*pending = NS_OK;
		return err;
	}
	if (!q->head)
		/* After SHUT_RD an empty queue reads as end of file, as a blocking recv(). */
		return (shut & NS_SHUT_RD) ? NS_OK : NS_ERR_WOULD_BLOCK;
	*pkt = q->head;
	size_t n = q->head->len;
	size_t c = len < n ? len : n;

	if (c)
		memcpy(buf, ns_pkt_data(q->head), c);
	res->count = c;
	res->total = n;
	return NS_OK;
}

void rawq_read_done(struct rawq *q, unsigned flags)
{
	if (!(flags & NS_MSG_PEEK) && q->head)
		rawq_pop(q);
}

uint32_t rawq_readiness(const struct rawq *q, ns_err pending, uint8_t shut, uint32_t mask)
{
	uint32_t ev = NS_EV_OUT; /* no send buffer to fill: writable while open */

	if (pending)
		ev |= NS_EV_ERR | NS_EV_IN; /* a read returns the error */
	if (q->head)
		ev |= NS_EV_IN;
	if (shut & NS_SHUT_RD)
		ev |= NS_EV_IN | NS_EV_RDHUP;
	if ((shut & NS_SHUT_RDWR) == NS_SHUT_RDWR)
		ev |= NS_EV_HUP;
	return ev & mask;
}

uint32_t raw_buf_size(int64_t v, uint32_t min)
{
	uint64_t x = (v < 0 || v > RAW_BUF_MAX) ? RAW_BUF_MAX : (uint64_t)v;

	x *= 2;
	return x < min ? min : (uint32_t)x;
}

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

bool raw_ctrl_error(uint8_t family, uint8_t pmtudisc, enum ns_ctrl c, ns_err *err, bool *hard)
{
	/* Linux icmp_err_convert[], icmpv6_err_convert() and the type switches of
	 * raw_err()/rawv6_err()/ping_err(), through the NS_CTRL_* classes the network layer
	 * maps codes to. */
	switch (c) {
	case NS_CTRL_PORT_UNREACHABLE:
		*err = NS_ERR_CONNECTION_REFUSED;
		*hard = true;
		return true;
	case NS_CTRL_PROTO_UNREACHABLE:
		*err = NS_ERR_UNKNOWN_PROTOCOL_OPTION; /* ENOPROTOOPT */
		*hard = true;
		return true;
	case NS_CTRL_PACKET_TOO_BIG:
		/* IPv4: hard unless IP_PMTUDISC_DONT; IPv6: hard only under IPV6_PMTUDISC_DO
		 * (or PROBE), and the default is WANT. */
		*err = NS_ERR_MESSAGE_TOO_LONG;
		*hard = family == NS_AF_INET6 ? pmtudisc >= NS_PMTUDISC_DO
		                              : pmtudisc != NS_PMTUDISC_DONT;
		return true;
	case NS_CTRL_ADMIN_PROHIBITED:
		*err = NS_ERR_HOST_UNREACHABLE;
		*hard = true;
		return true;
	case NS_CTRL_PARAM_PROBLEM:
		*err = NS_ERR_MALFORMED_HEADER; /* EPROTO */
		*hard = true;
		return true;
	case NS_CTRL_HOST_UNREACHABLE:
	case NS_CTRL_TIME_EXCEEDED:
		*err = NS_ERR_HOST_UNREACHABLE;
		*hard = false;
		return true;
	case NS_CTRL_NET_UNREACHABLE:
		*err = NS_ERR_NETWORK_UNREACHABLE;
		*hard = false;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- helpers */

static inline struct raw_ep *to_raw(struct ns_ep *ep)
{
	return (struct raw_ep *)ep;
}

static inline int fam_idx(uint8_t family)
{
	return family == NS_AF_INET6 ? 1 : 0;
}

static inline struct ns_addr addr_any(uint8_t family)
{
	struct ns_addr a = {.family = family};
	return a;
}

static void notify(struct raw_ep *r, uint32_t events)
{
	if (r->ep.wq)
		ns_waiter_notify(r->ep.wq, events);
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
		if (rawq_full(&r->rq)) {
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
		rawq_push(&r->rq, c);
		ns_stat_inc(s, NS_STAT_RAW_RX);
		notify(r, NS_EV_IN);
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
	bool hard, known;
	int n;

	(void)info;
	if (!st->eps[fam_idx(orig_src->family)][transproto])
		return false;
	/* The quoted datagram is one we sent: its source is our side. */
	n = collect(s, st, orig_src->family, transproto, orig_src, orig_dst, pkt->nic, to);
	for (int i = 0; i < n; i++) {
		struct raw_ep *r = to[i];

		known = raw_ctrl_error(r->family, r->pmtudisc, ctrl, &err, &hard);
		if (!known || r->closed || !(r->ip_recverr || (hard && r->connected)))
			continue;
		r->pending = err;
		notify(r, NS_EV_ERR | NS_EV_IN);
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

static enum {
	LOCAL_BAD = 0,
	LOCAL_ANY,
	LOCAL_UNICAST,
	LOCAL_GROUP,
} classify_local(struct ns_stack *s, uint32_t nic_id, const struct ns_addr *a)
{
	if (ns_addr_is_any(a))
		return LOCAL_ANY;
	if (a->family == NS_AF_INET &&
	    ((a->a[0] & 0xf0) == 0xe0 || (a->a[0] & a->a[1] & a->a[2] & a->a[3]) == 0xff))
		return LOCAL_GROUP; /* multicast, limited broadcast */
	if (a->family == NS_AF_INET6 && a->a[0] == 0xff)
		return LOCAL_GROUP;
	uint32_t ids[64];
	size_t n = nic_id ? 1 : ns_stack_nic_ids(s, ids, 64);

	if (nic_id)
		ids[0] = nic_id;
	for (size_t i = 0; i < n && i < 64; i++) {
		struct ns_nic *nic = ns_nic_find(s, ids[i]);

		if (!nic)
			continue;
		if (ns_nic_owns_addr(s, nic, a))
			return LOCAL_UNICAST;
		if (ns_nic_match_addr(s, nic, a) == NS_ADDR_BROADCAST)
			return LOCAL_GROUP; /* a directed broadcast */
	}
	return LOCAL_BAD;
}

static ns_err raw_bind(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	struct raw_ep *r = to_raw(ep);
	uint32_t nic = r->nic;

	if (r->connected)
		return NS_ERR_INVALID_ENDPOINT_STATE; /* Linux: EINVAL unless TCP_CLOSE */
	if (a->addr.family != r->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (a->nic) {
		/* A NIC in the address (an IPv6 scope) binds to it. */
		if (nic && nic != a->nic)
			return NS_ERR_INVALID_ARGUMENT;
		if (!ns_nic_find(ep->stack, a->nic))
			return NS_ERR_UNKNOWN_NIC;
		nic = a->nic;
	}
	/* rawv6_bind(): a link-local address needs its NIC. */
	if (a->addr.family == NS_AF_INET6 && a->addr.a[0] == 0xfe &&
	    (a->addr.a[1] & 0xc0) == 0x80 && !nic)
		return NS_ERR_INVALID_ARGUMENT;
	int kind = classify_local(ep->stack, nic, &a->addr);

	if (kind == LOCAL_BAD)
		return NS_ERR_BAD_LOCAL_ADDRESS;
	r->nic = nic;
	r->local = a->addr;
	r->addr_locked = kind != LOCAL_ANY;
	r->src_fixed = kind == LOCAL_UNICAST;
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
		r->peer = addr_any(r->family);
		if (!r->addr_locked) {
			r->local = addr_any(r->family);
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
	if ((rt.flags & NS_ROUTE_BROADCAST) && !r->so_broadcast)
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
	if (dst) {
		if (dst->addr.family != r->family)
			return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
		if (dst->nic) {
			if (nic && nic != dst->nic)
				return NS_ERR_INVALID_ARGUMENT;
			nic = dst->nic;
		}
		to = dst->addr;
	} else if (r->connected) {
		to = r->peer;
	} else {
		return NS_ERR_DESTINATION_REQUIRED;
	}
	if (r->pending) {
		err = r->pending;
		r->pending = NS_OK;
		return err;
	}
	if (r->shut & NS_SHUT_WR)
		return NS_ERR_CLOSED_FOR_SEND;
	/* rawv6_push_pending_frames(): the checksum field must lie inside the datagram. */
	if (!r->hdrincl && r->csum_off >= 0 && (size_t)r->csum_off + 2 > len)
		return NS_ERR_INVALID_ARGUMENT;
	err = ns_route_find(s, nic, r->src_fixed ? &r->local : NULL, &to, &rt);
	if (err)
		return err;
	if ((rt.flags & NS_ROUTE_BROADCAST) && !r->so_broadcast)
		return NS_ERR_BROADCAST_DISABLED;
	/* NS_IP_MTU_DISCOVER as for UDP (ip_append_data()): PROBE sizes by the link, the
	 * others by the path; DO and PROBE refuse what does not fit. IP_HDRINCL datagrams are
	 * never fragmented (the network protocol refuses them above the MTU). */
	if (r->pmtudisc == NS_PMTUDISC_PROBE) {
		struct ns_nic *n = ns_nic_find(s, rt.nic);

		if (n)
			rt.mtu = ns_nic_mtu(n);
	}
	bool fits = len + (r->family == NS_AF_INET6 ? 40u : 20u) <= rt.mtu;

	if (!r->hdrincl && !fits && r->pmtudisc >= NS_PMTUDISC_DO)
		return NS_ERR_MESSAGE_TOO_LONG;

	uint32_t headroom = rt.max_header_len ? (rt.max_header_len + 15u) & ~15u : NS_PKT_HEADROOM;
	struct ns_pkt *pkt = ns_pkt_alloc(headroom, (uint32_t)len);

	if (!pkt) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NS_ERR_NO_BUFFER_SPACE;
	}
	if (len)
		memcpy(ns_pkt_data(pkt), buf, len); /* the one copy in */
	pkt->netproto = rt.netproto;
	pkt->nic = rt.nic;
	if (r->hdrincl) {
		err = ns_netproto_write_hdrincl(s, &rt, pkt);
	} else {
		/* Linux ip_dont_fragment(): DF unless DONT, and under WANT (the default) only
		 * on what fits; the network layer fragments the rest. */
		struct ns_write_params wp = {
		    .ttl = r->ttl, .tos = r->tos, .df = r->pmtudisc != NS_PMTUDISC_DONT && fits};

		wp.df_always = r->pmtudisc >= NS_PMTUDISC_DO; /* DF even at the path MTU floor */

		if (r->csum_off >= 0)
			raw6_sum(r, &rt, pkt);

		/* The payload stands where a transport header would: a failed resolution is
		 * reported to us like any local sender's (ipv4_resolution_failed()). */
		if (len)
			pkt->hdr[NS_HDR_TRANSPORT] =
			    (struct ns_hdr_ref){.off = pkt->head, .len = (uint16_t)len};
		pkt->transproto = r->proto;
		if (rt.flags & NS_ROUTE_MULTICAST)
			wp.ttl = 1; /* IP_MULTICAST_TTL's default (RFC 1112 6.1) */
		err = ns_netproto_write(s, &rt, pkt, &wp);
	}
	/* Linux hides ENOBUFS from raw senders unless IP_RECVERR (raw_sendmsg()). */
	if (err == NS_ERR_NO_BUFFER_SPACE && !r->ip_recverr)
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
	ns_err err = rawq_read(&r->rq, &r->pending, r->shut, buf, len, res, &pkt);

	if (err || !pkt)
		return err;
	res->from.addr = pkt->src; /* raw_recvmsg(): the IP source, port 0 */
	res->from.nic = pkt->nic;
	rawq_read_done(&r->rq, flags);
	return NS_OK;
}

static uint32_t raw_readiness(struct ns_ep *ep, uint32_t mask)
{
	struct raw_ep *r = to_raw(ep);

	return rawq_readiness(&r->rq, r->pending, r->shut, mask);
}

static ns_err raw_shutdown(struct ns_ep *ep, int how)
{
	struct raw_ep *r = to_raw(ep);

	/* Linux inet_shutdown(): recorded (and waiters woken) even when unconnected, which
	 * still answers ENOTCONN. */
	r->shut |= (uint8_t)how;
	notify(r, raw_readiness(ep, NS_EV_IN | NS_EV_OUT | NS_EV_HUP | NS_EV_RDHUP));
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
	rawq_flush(&r->rq);
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

	switch (opt) {
	case NS_SO_RCVBUF:
		r->rq.limit = raw_buf_size(v, RAW_RCVBUF_MIN);
		return NS_OK;
	case NS_SO_SNDBUF:
		r->sndbuf = raw_buf_size(v, RAW_SNDBUF_MIN);
		return NS_OK;
	case NS_SO_BROADCAST:
		r->so_broadcast = v != 0;
		return NS_OK;
	case NS_SO_BINDTODEVICE:
		if (v < 0 || v > UINT32_MAX)
			return NS_ERR_INVALID_OPTION_VALUE;
		if (v && !ns_nic_find(ep->stack, (uint32_t)v))
			return NS_ERR_UNKNOWN_DEVICE;
		r->nic = (uint32_t)v;
		return NS_OK;
	case NS_IP_TTL:
		/* 1..255; -1 and 0 restore the default (endpoint.h). */
		if (v < -1 || v > 255)
			return NS_ERR_INVALID_OPTION_VALUE;
		r->ttl = v < 0 ? 0 : (uint8_t)v;
		return NS_OK;
	case NS_IP_TOS:
		if (v < 0 || v > 255)
			return NS_ERR_INVALID_OPTION_VALUE;
		r->tos = (uint8_t)v;
		return NS_OK;
	case NS_IP_RECVERR:
		r->ip_recverr = v != 0;
		return NS_OK;
	case NS_IP_HDRINCL:
		/* IPv4's IP_HDRINCL, IPv6's IPV6_HDRINCL. */
		r->hdrincl = v != 0;
		return NS_OK;
	case NS_IP_MTU_DISCOVER:
		if (v < NS_PMTUDISC_DONT || v > NS_PMTUDISC_PROBE)
			return NS_ERR_INVALID_OPTION_VALUE;
		r->pmtudisc = (uint8_t)v;
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
		return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
	}
}

static ns_err raw_get_opt(struct ns_ep *ep, enum ns_opt opt, int64_t *v)
{
	struct raw_ep *r = to_raw(ep);

	switch (opt) {
	case NS_SO_RCVBUF:
		*v = r->rq.limit;
		return NS_OK;
	case NS_SO_SNDBUF:
		*v = r->sndbuf;
		return NS_OK;
	case NS_SO_BROADCAST:
		*v = r->so_broadcast;
		return NS_OK;
	case NS_SO_BINDTODEVICE:
		*v = r->nic;
		return NS_OK;
	case NS_SO_ERROR:
		*v = r->pending;
		r->pending = NS_OK;
		return NS_OK;
	case NS_IP_TTL:
		*v = r->ttl ? r->ttl : ns_stack_config(ep->stack)->default_ttl;
		return NS_OK;
	case NS_IP_TOS:
		*v = r->tos;
		return NS_OK;
	case NS_IP_RECVERR:
		*v = r->ip_recverr;
		return NS_OK;
	case NS_IP_HDRINCL:
		*v = r->hdrincl;
		return NS_OK;
	case NS_IPV6_CHECKSUM:
		if (r->family != NS_AF_INET6)
			return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		*v = r->csum_off;
		return NS_OK;
	case NS_IP_MTU_DISCOVER:
		*v = r->pmtudisc;
		return NS_OK;
	case NS_IP_MTU: {
		/* Linux: the connected route's MTU, path MTU included; ENOTCONN without. */
		struct ns_route rt;

		if (!r->connected ||
		    ns_route_find(ep->stack, r->nic, r->src_fixed ? &r->local : NULL, &r->peer,
		                  &rt) != NS_OK)
			return NS_ERR_NOT_CONNECTED;
		*v = rt.mtu;
		return NS_OK;
	}
	case NS_ICMP_FILTER:
		if (r->family != NS_AF_INET || r->proto != IPPROTO_ICMP_)
			return NS_ERR_NOT_SUPPORTED;
		*v = r->icmp_filter;
		return NS_OK;
	default:
		return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
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
	r->local = addr_any(family);
	r->peer = addr_any(family);
	/* Linux inet_create()/inet6_create(): IPPROTO_RAW implies IP_HDRINCL. */
	r->hdrincl = proto == NS_IPPROTO_RAW;
	/* rawv6_init_sk(): ICMPv6 is always summed at offset 2, the Mobility Header at 4. */
	r->csum_off = family != NS_AF_INET6      ? -1
	              : proto == IPPROTO_ICMPV6_ ? 2
	              : proto == IPPROTO_MH_     ? 4
	                                         : -1;
	r->rq.limit = RAW_BUF_DEFAULT;
	r->sndbuf = RAW_BUF_DEFAULT;
	r->pmtudisc = NS_PMTUDISC_WANT;
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
 * do_rawv6_setsockopt() answers EOPNOTSUPP on others). */
static ns_err icmp6_endpoint(struct ns_ep *ep, struct raw_ep **r)
{
	if (!ep || ep->ops != &raw_ep_ops)
		return ep ? NS_ERR_NOT_SUPPORTED : NS_ERR_INVALID_ARGUMENT;
	*r = to_raw(ep);
	if ((*r)->family != NS_AF_INET6 || (*r)->proto != IPPROTO_ICMPV6_)
		return NS_ERR_NOT_SUPPORTED;
	return NS_OK;
}

ns_err ns_ep_set_icmp6_filter(struct ns_ep *ep, const uint32_t filter[8])
{
	struct raw_ep *r;
	ns_err err = icmp6_endpoint(ep, &r);

	if (err)
		return err;
	if (!filter)
		return NS_ERR_INVALID_ARGUMENT;
	memcpy(r->icmp6_filter, filter, sizeof(r->icmp6_filter));
	return NS_OK;
}

ns_err ns_ep_get_icmp6_filter(struct ns_ep *ep, uint32_t filter[8])
{
	struct raw_ep *r;
	ns_err err = icmp6_endpoint(ep, &r);

	if (err)
		return err;
	if (!filter)
		return NS_ERR_INVALID_ARGUMENT;
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
