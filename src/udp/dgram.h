/* SPDX-License-Identifier: MIT */
/*
 * What every datagram endpoint shares: UDP (udp.c), raw IP, ping and packet endpoints
 * (src/raw/). Linux keeps the same logic in one place too (net/core/sock.c and datagram.c,
 * net/ipv4/ip_sockglue.c, the ICMP error tables): the receive queue with its byte charge,
 * the read of one datagram, readiness and shutdown, the pending error and which ICMP errors
 * become one, the socket- and IP-level options, and the path MTU rule of a send. Where the
 * endpoint kinds differ on purpose (Linux differs between UDP, raw and ping sockets), the
 * caller decides, and says so where it calls. Nothing here is public API.
 */
#ifndef NS_UDP_DGRAM_H
#define NS_UDP_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netstack/proto.h"

/* Buffer sizes as Linux's (net.core.rmem_default / rmem_max, SOCK_MIN_RCVBUF and
 * SOCK_MIN_SNDBUF). Values set with NS_SO_RCVBUF/SNDBUF are clamped to DGRAM_BUF_MAX and
 * doubled, as Linux does for its bookkeeping overhead. */
#define DGRAM_BUF_DEFAULT 212992u
#define DGRAM_BUF_MAX     212992u
#define DGRAM_RCVBUF_MIN  2304u
#define DGRAM_SNDBUF_MIN  4608u

/*
 * A datagram receive queue: packets linked through ->next, each owned by the queue and
 * charged with the memory it pins (buffer plus struct, as Linux charges skb->truesize).
 * The limit is the receive buffer (NS_SO_RCVBUF). Whether a datagram is refused at the
 * limit or only above it is the caller's (Linux differs between UDP and the others).
 */
struct dgram_queue {
	struct ns_pkt *head, *tail;
	uint32_t charge;
	uint32_t limit;
};

/*
 * The state a datagram endpoint keeps for the shared logic.
 * @rq:           the receive queue; rq.limit is NS_SO_RCVBUF
 * @sndbuf:       NS_SO_SNDBUF (reported; datagrams are sent at once, nothing is buffered)
 * @pending:      the error the next read or write (or NS_SO_ERROR) returns; NS_OK: none
 * @shut:         NS_SHUT_RD / NS_SHUT_WR bits from shutdown()
 * @ttl:          NS_IP_TTL; 0: the stack's default
 * @tos:          NS_IP_TOS
 * @pmtudisc:     NS_IP_MTU_DISCOVER (NS_PMTUDISC_*)
 * @so_broadcast: NS_SO_BROADCAST
 * @ip_recverr:   NS_IP_RECVERR
 */
struct dgram_sock {
	struct dgram_queue rq;
	uint32_t sndbuf;
	ns_err pending;
	uint8_t shut;
	uint8_t ttl;
	uint8_t tos;
	uint8_t pmtudisc;
	bool so_broadcast;
	bool ip_recverr;
};

/** dgram_init() - Linux's defaults: both buffers DGRAM_BUF_DEFAULT, NS_PMTUDISC_WANT. */
void dgram_init(struct dgram_sock *d);

/* ---------------------------------------------------------------- addresses */

static inline struct ns_addr dgram_any(uint8_t family)
{
	struct ns_addr a = {.family = family};

	return a;
}

/* IPv4 224.0.0.0/4 or 255.255.255.255, IPv6 ff00::/8: a destination only a group has. */
static inline bool dgram_addr_is_group(const struct ns_addr *a)
{
	if (a->family == NS_AF_INET)
		return (a->a[0] & 0xf0) == 0xe0 || (a->a[0] & a->a[1] & a->a[2] & a->a[3]) == 0xff;
	return a->family == NS_AF_INET6 && a->a[0] == 0xff;
}

/* fe80::/10 (RFC 4291 2.5.6): meaningful only with its NIC. */
static inline bool dgram_addr_is_link_local(const struct ns_addr *a)
{
	return a->family == NS_AF_INET6 && a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80;
}

/* ::ffff:0:0/96 (RFC 4291 2.5.5.2): an IPv4 address named on an IPv6 endpoint. */
static inline bool dgram_addr_is_v4mapped(const struct ns_addr *a)
{
	static const uint8_t pfx[12] = {[10] = 0xff, [11] = 0xff};

	return a->family == NS_AF_INET6 && memcmp(a->a, pfx, 12) == 0;
}

/* Network header bytes in front of a datagram the stack builds: IPv4 without options (none
 * are sent), IPv6 without extension headers. */
static inline uint32_t dgram_net_hdr_len(uint8_t family)
{
	return family == NS_AF_INET6 ? 40 : 20;
}

/* What an address may be bound to (dgram_classify_local()). */
enum dgram_local {
	DGRAM_LOCAL_BAD = 0,
	DGRAM_LOCAL_ANY,     /* the unspecified address */
	DGRAM_LOCAL_UNICAST, /* assigned to a NIC or in one of its ranges */
	DGRAM_LOCAL_GROUP,   /* broadcast or multicast: receive-only binding */
};

/**
 * dgram_classify_local() - May a datagram endpoint bind to @a (on NIC @nic_id, 0: any)?
 * Linux (inet_bind(), raw_bind()) takes the unspecified address, the host's own addresses,
 * and broadcast or multicast ones (to receive those).
 */
enum dgram_local dgram_classify_local(struct ns_stack *s, uint32_t nic_id, const struct ns_addr *a);

/**
 * dgram_bind_nic() - A bind address that names a NIC (an IPv6 scope, sin6_scope_id)
 * binds to it: INVALID_ARGUMENT if the endpoint is bound to another, UNKNOWN_NIC if there
 * is none. @want: the address's NIC (0: none); *@nic: the binding, updated.
 */
ns_err dgram_bind_nic(struct ns_stack *s, uint32_t *nic, uint32_t want);

/**
 * dgram_dest() - Where a write goes (raw and ping endpoints): @dst of the endpoint's
 * @family, whose NIC (if it names one) must agree with *@nic and then becomes it; without
 * @dst the connected @peer, or DESTINATION_REQUIRED. The port is ignored.
 */
ns_err dgram_dest(const struct ns_sockaddr *dst, uint8_t family, bool connected,
                  const struct ns_addr *peer, uint32_t *nic, struct ns_addr *to);

/* ---------------------------------------------------------------- receive */

static inline bool dgram_rq_full(const struct dgram_queue *q)
{
	return q->charge >= q->limit;
}

/** dgram_rq_push() - Queue @pkt. Ownership: takes @pkt (which must have no other owner). */
void dgram_rq_push(struct dgram_queue *q, struct ns_pkt *pkt);
/** dgram_rq_flush() - Free every queued datagram. */
void dgram_rq_flush(struct dgram_queue *q);

/**
 * dgram_own() - @pkt, or a copy of it when others hold it too: a queued packet is linked
 * through ->next and its head moves, so each endpoint needs one of its own. NULL when
 * memory is out (counted as NS_DROP_NO_MEMORY). Ownership: consumes @pkt, the caller owns
 * what is returned.
 */
struct ns_pkt *dgram_own(struct ns_stack *s, struct ns_pkt *pkt);

/** dgram_enqueue() - Queue @pkt on @d and wake @ep's waiters (NS_EV_IN). Ownership: takes
 * @pkt (which must have no other owner). */
void dgram_enqueue(struct ns_ep *ep, struct dgram_sock *d, struct ns_pkt *pkt);

/**
 * dgram_read() - The read of a datagram endpoint (Linux skb_recv_datagram()): a pending
 * error comes first (returned and cleared), then the oldest datagram: copied into @buf (up
 * to @len bytes; the rest is cut, as NS_MSG_TRUNC reports), res->count and res->total set,
 * and *@pkt set to it so the caller can fill in its addresses before dgram_read_done(). An
 * empty queue is WOULD_BLOCK, or end of file (NS_OK, 0 bytes, *@pkt NULL) after NS_SHUT_RD,
 * as a blocking recv().
 */
ns_err dgram_read(struct dgram_sock *d, void *buf, size_t len, struct ns_read_result *res,
                  struct ns_pkt **pkt);
/** dgram_read_done() - Finish a read that got a datagram: free it unless NS_MSG_PEEK. */
void dgram_read_done(struct dgram_sock *d, unsigned flags);

/** dgram_readiness() - The NS_EV_* in @mask that hold (always writable: nothing is
 * buffered on send). */
uint32_t dgram_readiness(const struct dgram_sock *d, uint32_t mask);

/**
 * dgram_shutdown() - Record shutdown(@how) and wake @ep's waiters with what now holds.
 * Linux's inet_shutdown() does so even on an unconnected datagram socket, which still
 * answers ENOTCONN: the caller's return value.
 */
void dgram_shutdown(struct ns_ep *ep, struct dgram_sock *d, int how);

/* ---------------------------------------------------------------- errors */

/**
 * dgram_take_error() - The pending error, cleared (NS_OK: none): what a read, a write or
 * NS_SO_ERROR reports first.
 */
ns_err dgram_take_error(struct dgram_sock *d);

/**
 * dgram_send_check() - What refuses a write before anything is sent: the pending error
 * (cleared), then NS_SHUT_WR (CLOSED_FOR_SEND).
 */
ns_err dgram_send_check(struct dgram_sock *d);

/**
 * dgram_ctrl_error() - The error an ICMP error (@c) means to a datagram endpoint of
 * @family in NS_IP_MTU_DISCOVER mode @pmtudisc, and whether Linux counts it hard
 * (icmp_err_convert[].fatal, icmpv6_err_convert(): then it is reported on a connected
 * endpoint without NS_IP_RECVERR). False for controls that mean nothing to one.
 */
bool dgram_ctrl_error(uint8_t family, uint8_t pmtudisc, enum ns_ctrl c, ns_err *err, bool *hard);

/**
 * dgram_report() - Linux's rule for an ICMP error on a datagram socket (__udp4_lib_err(),
 * raw_err(), ping_err()): @err becomes the pending error, and wakes @ep's waiters, if the
 * endpoint asked with NS_IP_RECVERR, or if it is @connected and the error is @hard.
 */
void dgram_report(struct ns_ep *ep, struct dgram_sock *d, ns_err err, bool hard, bool connected);

/* ---------------------------------------------------------------- options */

/**
 * dgram_set_sock_opt() / dgram_get_sock_opt() - The socket-level options every datagram
 * endpoint has: NS_SO_RCVBUF and NS_SO_SNDBUF (stored as Linux's sock_setsockopt() does),
 * and, to get, NS_SO_ERROR (cleared by reading). Others: UNKNOWN_PROTOCOL_OPTION.
 */
ns_err dgram_set_sock_opt(struct dgram_sock *d, enum ns_opt opt, int64_t v);
ns_err dgram_get_sock_opt(struct dgram_sock *d, enum ns_opt opt, int64_t *v);

/**
 * dgram_set_ip_opt() / dgram_get_ip_opt() - The options of an IP datagram endpoint (UDP,
 * raw IP, ping): the socket-level ones, NS_SO_BROADCAST, NS_IP_TTL (-1 and 0 restore the
 * default, which a get reports), NS_IP_TOS, NS_IP_RECVERR and NS_IP_MTU_DISCOVER. Others:
 * UNKNOWN_PROTOCOL_OPTION.
 */
ns_err dgram_set_ip_opt(struct dgram_sock *d, enum ns_opt opt, int64_t v);
ns_err dgram_get_ip_opt(struct ns_stack *s, struct dgram_sock *d, enum ns_opt opt, int64_t *v);

/**
 * dgram_check_nic() - An NS_SO_BINDTODEVICE value: a NIC id (0: none) that exists.
 * INVALID_OPTION_VALUE out of range, UNKNOWN_DEVICE for no such NIC.
 */
ns_err dgram_check_nic(struct ns_stack *s, int64_t v);

/**
 * dgram_route_mtu() - NS_IP_MTU (Linux's IP_MTU): the MTU of the route from @src (NULL:
 * any) to the @connected peer @peer on @nic (0: any), path MTU included; NOT_CONNECTED
 * when not connected or there is no route.
 */
ns_err dgram_route_mtu(struct ns_stack *s, bool connected, uint32_t nic, const struct ns_addr *src,
                       const struct ns_addr *peer, int64_t *v);

/* ---------------------------------------------------------------- send */

/**
 * dgram_fits() - Path MTU discovery for a datagram of @ip_len bytes, network header
 * included, on route @rt (endpoint.h, NS_IP_MTU_DISCOVER; Linux ip_append_data()): PROBE
 * sizes by the link (rt->mtu becomes the NIC's), the others by the path. True if it fits.
 * What does not fit is refused under DO and PROBE (dgram_too_big()), fragmented by the
 * network layer under WANT and DONT.
 */
bool dgram_fits(struct ns_stack *s, const struct dgram_sock *d, struct ns_route *rt, size_t ip_len);

static inline bool dgram_too_big(const struct dgram_sock *d, bool fits)
{
	return !fits && d->pmtudisc >= NS_PMTUDISC_DO;
}

/**
 * dgram_write_params() - The network layer's parameters for a datagram of @d on @rt:
 * NS_IP_TTL (1 to a multicast group, the default of IP_MULTICAST_TTL and
 * IPV6_MULTICAST_HOPS, RFC 1112 6.1), NS_IP_TOS, and DF as Linux's ip_dont_fragment():
 * never under DONT, under WANT (the default) only on a datagram that @fits (the network
 * layer fragments the rest), always under DO and PROBE, even at the path MTU floor.
 */
struct ns_write_params dgram_write_params(const struct dgram_sock *d, const struct ns_route *rt,
                                          bool fits);

/**
 * dgram_pkt_new() - A packet for a datagram on @rt: headroom for the route's headers and
 * @hdr_len bytes of the endpoint's own, then the @len bytes at @buf (the one copy in).
 * NULL when memory is out (counted as NS_DROP_NO_MEMORY).
 */
struct ns_pkt *dgram_pkt_new(struct ns_stack *s, const struct ns_route *rt, uint32_t hdr_len,
                             const void *buf, size_t len);

#endif
