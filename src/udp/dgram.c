/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the logic every datagram endpoint shares (dgram.h): UDP endpoints
 * (udp.c) and the raw IP, ping and packet endpoints (src/raw/) each keep a struct
 * dgram_sock and call here for what Linux does the same way for all of them.
 *
 * Receive: the queue holds packets linked through ->next, charged with the memory each pins
 * (buffer plus struct, Linux's skb->truesize), never above what the receive buffer lets in:
 * every producer checks the limit before it queues (dgram_rq_full(), or UDP's own rule), so
 * the queue is bounded. A read copies one datagram out (one copy), whole or cut to the
 * caller's buffer with its full length reported, and leaves it queued under NS_MSG_PEEK.
 *
 * Errors: an ICMP error reaches the endpoint as an NS_CTRL_* class (the network layer maps
 * the codes); dgram_ctrl_error() turns it into the errno Linux reports and says whether it
 * is hard, dgram_report() applies Linux's rule of who hears of it. The pending error is
 * returned, once, by the next read, write or NS_SO_ERROR.
 *
 * Send: the endpoint builds its datagram; here are the parts that do not depend on what it
 * carries: the NS_IP_MTU_DISCOVER decision, the network layer's parameters and the packet
 * with the route's headroom.
 */
#include "udp/dgram.h"

#include <stdlib.h>
#include <string.h>

#include "netstack/stack.h"

void dgram_init(struct dgram_sock *d)
{
	memset(d, 0, sizeof(*d));
	d->rq.limit = DGRAM_BUF_DEFAULT;
	d->sndbuf = DGRAM_BUF_DEFAULT;
	d->pmtudisc = NS_PMTUDISC_WANT; /* Linux's default for datagram sockets */
}

/* ---------------------------------------------------------------- addresses */

static enum dgram_local nic_local_kind(struct ns_stack *s, struct ns_nic *nic,
                                       const struct ns_addr *a)
{
	if (ns_nic_owns_addr(s, nic, a))
		return DGRAM_LOCAL_UNICAST;
	if (ns_nic_match_addr(s, nic, a) == NS_ADDR_BROADCAST)
		return DGRAM_LOCAL_GROUP; /* a directed broadcast */
	return DGRAM_LOCAL_BAD;
}

enum dgram_local dgram_classify_local(struct ns_stack *s, uint32_t nic_id, const struct ns_addr *a)
{
	if (ns_addr_is_any(a))
		return DGRAM_LOCAL_ANY;
	if (dgram_addr_is_group(a))
		return DGRAM_LOCAL_GROUP;
	if (nic_id) {
		struct ns_nic *nic = ns_nic_find(s, nic_id);

		return nic ? nic_local_kind(s, nic, a) : DGRAM_LOCAL_BAD;
	}
	if (ns_stack_find_local(s, a))
		return DGRAM_LOCAL_UNICAST;
	/* Address ranges and directed broadcasts: ask each NIC. Bind is not a hot path. */
	uint32_t small[32], *ids = small;
	size_t n = ns_stack_nic_ids(s, small, 32);

	if (n > 32) {
		ids = malloc(n * sizeof(*ids));
		if (!ids)
			return DGRAM_LOCAL_BAD;
		n = ns_stack_nic_ids(s, ids, n);
	}
	enum dgram_local k = DGRAM_LOCAL_BAD;

	for (size_t i = 0; i < n && k == DGRAM_LOCAL_BAD; i++) {
		struct ns_nic *nic = ns_nic_find(s, ids[i]);

		if (nic)
			k = nic_local_kind(s, nic, a);
	}
	if (ids != small)
		free(ids);
	return k;
}

ns_err dgram_bind_nic(struct ns_stack *s, uint32_t *nic, uint32_t want)
{
	if (!want)
		return NS_OK;
	if (*nic && *nic != want)
		return NS_ERR_INVALID_ARGUMENT;
	if (!ns_nic_find(s, want))
		return NS_ERR_UNKNOWN_NIC;
	*nic = want;
	return NS_OK;
}

ns_err dgram_dest(const struct ns_sockaddr *dst, uint8_t family, bool connected,
                  const struct ns_addr *peer, uint32_t *nic, struct ns_addr *to)
{
	if (!dst) {
		if (!connected)
			return NS_ERR_DESTINATION_REQUIRED;
		*to = *peer;
		return NS_OK;
	}
	if (dst->addr.family != family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (dst->nic) {
		if (*nic && *nic != dst->nic)
			return NS_ERR_INVALID_ARGUMENT;
		*nic = dst->nic;
	}
	*to = dst->addr;
	return NS_OK;
}

/* ---------------------------------------------------------------- receive */

/* What a queued datagram costs the receive buffer: the memory it pins. */
static inline uint32_t rq_cost(const struct ns_pkt *pkt)
{
	return pkt->cap + (uint32_t)sizeof(struct ns_pkt);
}

void dgram_rq_push(struct dgram_queue *q, struct ns_pkt *pkt)
{
	pkt->next = NULL;
	if (q->tail)
		q->tail->next = pkt;
	else
		q->head = pkt;
	q->tail = pkt;
	q->charge += rq_cost(pkt);
}

/* Free the oldest datagram. Requires: the queue is not empty. */
static void rq_pop(struct dgram_queue *q)
{
	struct ns_pkt *pkt = q->head;

	q->head = pkt->next;
	if (!q->head)
		q->tail = NULL;
	q->charge -= rq_cost(pkt);
	pkt->next = NULL;
	ns_pkt_free(pkt);
}

void dgram_rq_flush(struct dgram_queue *q)
{
	while (q->head)
		rq_pop(q);
}

struct ns_pkt *dgram_own(struct ns_stack *s, struct ns_pkt *pkt)
{
	struct ns_pkt *c;

	if (pkt->refcnt <= 1)
		return pkt;
	c = ns_pkt_copy(pkt);
	ns_pkt_free(pkt);
	if (!c)
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
	return c;
}

void dgram_enqueue(struct ns_ep *ep, struct dgram_sock *d, struct ns_pkt *pkt)
{
	dgram_rq_push(&d->rq, pkt);
	if (ep->wq)
		ns_waiter_notify(ep->wq, NS_EV_IN);
}

ns_err dgram_read(struct dgram_sock *d, void *buf, size_t len, struct ns_read_result *res,
                  struct ns_pkt **pkt)
{
	struct ns_pkt *head = d->rq.head;

	memset(res, 0, sizeof(*res));
	*pkt = NULL;
	if (len && !buf)
		return NS_ERR_BAD_BUFFER;
	if (d->pending)
		return dgram_take_error(d);
	if (!head)
		/* After SHUT_RD an empty queue reads as end of file; datagrams that still
		 * arrive are read normally. */
		return (d->shut & NS_SHUT_RD) ? NS_OK : NS_ERR_WOULD_BLOCK;
	size_t n = head->len;
	size_t c = len < n ? len : n;

	if (c)
		memcpy(buf, ns_pkt_data(head), c); /* the one copy out */
	res->count = c;
	res->total = n;
	*pkt = head;
	return NS_OK;
}

void dgram_read_done(struct dgram_sock *d, unsigned flags)
{
	if (!(flags & NS_MSG_PEEK) && d->rq.head)
		rq_pop(&d->rq);
}

uint32_t dgram_readiness(const struct dgram_sock *d, uint32_t mask)
{
	uint32_t ev = NS_EV_OUT;

	if (d->pending)
		ev |= NS_EV_ERR | NS_EV_IN; /* a read returns the error */
	if (d->rq.head)
		ev |= NS_EV_IN;
	if (d->shut & NS_SHUT_RD)
		ev |= NS_EV_IN | NS_EV_RDHUP;
	if ((d->shut & NS_SHUT_RDWR) == NS_SHUT_RDWR)
		ev |= NS_EV_HUP;
	return ev & mask;
}

void dgram_shutdown(struct ns_ep *ep, struct dgram_sock *d, int how)
{
	d->shut |= (uint8_t)how;
	if (ep->wq)
		ns_waiter_notify(
		    ep->wq, dgram_readiness(d, NS_EV_IN | NS_EV_OUT | NS_EV_HUP | NS_EV_RDHUP));
}

/* ---------------------------------------------------------------- errors */

ns_err dgram_take_error(struct dgram_sock *d)
{
	ns_err err = d->pending;

	d->pending = NS_OK;
	return err;
}

ns_err dgram_send_check(struct dgram_sock *d)
{
	if (d->pending)
		return dgram_take_error(d);
	if (d->shut & NS_SHUT_WR)
		return NS_ERR_CLOSED_FOR_SEND;
	return NS_OK;
}

bool dgram_ctrl_error(uint8_t family, uint8_t pmtudisc, enum ns_ctrl c, ns_err *err, bool *hard)
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
		 * (or PROBE), and the default is WANT. The route's MTU is the core's to
		 * update. */
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

void dgram_report(struct ns_ep *ep, struct dgram_sock *d, ns_err err, bool hard, bool connected)
{
	if (!d->ip_recverr && !(hard && connected))
		return;
	d->pending = err;
	if (ep->wq)
		ns_waiter_notify(ep->wq, NS_EV_ERR | NS_EV_IN);
}

/* ---------------------------------------------------------------- options */

/* Linux sock_setsockopt() for SO_RCVBUF/SO_SNDBUF: clamp to the maximum, double. */
static uint32_t buf_size(int64_t v, uint32_t min)
{
	uint64_t x = (v < 0 || v > DGRAM_BUF_MAX) ? DGRAM_BUF_MAX : (uint64_t)v;

	x *= 2;
	return x < min ? min : (uint32_t)x;
}

ns_err dgram_set_sock_opt(struct dgram_sock *d, enum ns_opt opt, int64_t v)
{
	switch (opt) {
	case NS_SO_RCVBUF:
		/* Shrinking drops nothing already queued; it bounds what comes next. */
		d->rq.limit = buf_size(v, DGRAM_RCVBUF_MIN);
		return NS_OK;
	case NS_SO_SNDBUF:
		d->sndbuf = buf_size(v, DGRAM_SNDBUF_MIN);
		return NS_OK;
	default:
		return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
	}
}

ns_err dgram_get_sock_opt(struct dgram_sock *d, enum ns_opt opt, int64_t *v)
{
	switch (opt) {
	case NS_SO_RCVBUF:
		*v = d->rq.limit;
		return NS_OK;
	case NS_SO_SNDBUF:
		*v = d->sndbuf;
		return NS_OK;
	case NS_SO_ERROR:
		*v = dgram_take_error(d);
		return NS_OK;
	default:
		return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
	}
}

ns_err dgram_set_ip_opt(struct dgram_sock *d, enum ns_opt opt, int64_t v)
{
	switch (opt) {
	case NS_SO_BROADCAST:
		d->so_broadcast = v != 0;
		return NS_OK;
	case NS_IP_TTL:
		/* Linux: 1..255, -1 restores the default; 0 means the default here. */
		if (v < -1 || v > 255)
			return NS_ERR_INVALID_OPTION_VALUE;
		d->ttl = v < 0 ? 0 : (uint8_t)v;
		return NS_OK;
	case NS_IP_TOS:
		if (v < 0 || v > 255)
			return NS_ERR_INVALID_OPTION_VALUE;
		d->tos = (uint8_t)v;
		return NS_OK;
	case NS_IP_RECVERR:
		d->ip_recverr = v != 0;
		return NS_OK;
	case NS_IP_MTU_DISCOVER:
		if (v < NS_PMTUDISC_DONT || v > NS_PMTUDISC_PROBE)
			return NS_ERR_INVALID_OPTION_VALUE;
		d->pmtudisc = (uint8_t)v;
		return NS_OK;
	default:
		return dgram_set_sock_opt(d, opt, v);
	}
}

ns_err dgram_get_ip_opt(struct ns_stack *s, struct dgram_sock *d, enum ns_opt opt, int64_t *v)
{
	switch (opt) {
	case NS_SO_BROADCAST:
		*v = d->so_broadcast;
		return NS_OK;
	case NS_IP_TTL:
		/* What the network layer sends with (ipv4_write()). */
		*v = d->ttl ? d->ttl : ns_stack_config(s)->default_ttl;
		return NS_OK;
	case NS_IP_TOS:
		*v = d->tos;
		return NS_OK;
	case NS_IP_RECVERR:
		*v = d->ip_recverr;
		return NS_OK;
	case NS_IP_MTU_DISCOVER:
		*v = d->pmtudisc;
		return NS_OK;
	default:
		return dgram_get_sock_opt(d, opt, v);
	}
}

ns_err dgram_check_nic(struct ns_stack *s, int64_t v)
{
	if (v < 0 || v > UINT32_MAX)
		return NS_ERR_INVALID_OPTION_VALUE;
	if (v && !ns_nic_find(s, (uint32_t)v))
		return NS_ERR_UNKNOWN_DEVICE;
	return NS_OK;
}

ns_err dgram_route_mtu(struct ns_stack *s, bool connected, uint32_t nic, const struct ns_addr *src,
                       const struct ns_addr *peer, int64_t *v)
{
	struct ns_route rt;

	if (!connected || ns_route_find(s, nic, src, peer, &rt) != NS_OK)
		return NS_ERR_NOT_CONNECTED;
	*v = rt.mtu;
	return NS_OK;
}

/* ---------------------------------------------------------------- send */

bool dgram_fits(struct ns_stack *s, const struct dgram_sock *d, struct ns_route *rt, size_t ip_len)
{
	if (d->pmtudisc == NS_PMTUDISC_PROBE) {
		struct ns_nic *n = ns_nic_find(s, rt->nic);

		if (n)
			rt->mtu = ns_nic_mtu(n);
	}
	return ip_len <= rt->mtu;
}

struct ns_write_params dgram_write_params(const struct dgram_sock *d, const struct ns_route *rt,
                                          bool fits)
{
	struct ns_write_params wp = {
	    .ttl = d->ttl,
	    .tos = d->tos,
	    .df = d->pmtudisc != NS_PMTUDISC_DONT && fits,
	    .df_always = d->pmtudisc >= NS_PMTUDISC_DO,
	};

	if (rt->flags & NS_ROUTE_MULTICAST)
		wp.ttl = 1;
	return wp;
}

struct ns_pkt *dgram_pkt_new(struct ns_stack *s, const struct ns_route *rt, uint32_t hdr_len,
                             const void *buf, size_t len)
{
	uint32_t headroom = NS_PKT_HEADROOM;
	struct ns_pkt *pkt;

	if (rt->max_header_len)
		headroom = (rt->max_header_len + hdr_len + 15u) & ~15u;
	pkt = ns_pkt_alloc(headroom, (uint32_t)len);
	if (!pkt) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NULL;
	}
	if (len)
		memcpy(ns_pkt_data(pkt), buf, len); /* the one copy in */
	return pkt;
}
