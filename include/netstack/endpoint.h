/* SPDX-License-Identifier: MIT */
/*
 * The endpoint API (the seed's tcpip.Endpoint): what applications call, for every transport.
 *
 * Endpoints never block: an operation that cannot complete returns NS_ERR_WOULD_BLOCK (or
 * NS_ERR_CONNECT_STARTED for connect) and the endpoint's waiter queue says when to retry.
 * Call from the stack's thread (see stack.h). Addresses are struct ns_sockaddr; a family of
 * NS_AF_UNSPEC in connect() dissolves a datagram endpoint's association.
 */
#ifndef NETSTACK_ENDPOINT_H
#define NETSTACK_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/api.h"
#include "netstack/err.h"
#include "netstack/waiter.h"

struct ns_stack;
struct ns_ep;

enum {
	NS_IPPROTO_ICMP = 1,
	NS_IPPROTO_TCP = 6,
	NS_IPPROTO_UDP = 17,
	NS_IPPROTO_ICMPV6 = 58,
};

/* Read flags. */
enum {
	NS_MSG_PEEK = 1u << 0,  /* leave the data queued */
	NS_MSG_TRUNC = 1u << 1, /* datagram: report the full length even if truncated */
};
/* Write flags. */
enum {
	NS_MSG_MORE = 1u << 0, /* more data follows (TCP cork for this write) */
};

enum { NS_SHUT_RD = 1, NS_SHUT_WR = 2, NS_SHUT_RDWR = 3 };

/*
 * A link-level address (packet(7)'s struct sockaddr_ll), for packet endpoints
 * (netstack/raw.h): what a read reports about a frame, where a write sends one, and what
 * ns_ep_bind_ll() binds to.
 */
struct ns_sockaddr_ll {
	uint32_t nic;       /* sll_ifindex: the NIC (0 in a bind: every NIC) */
	uint16_t protocol;  /* sll_protocol: EtherType, host order (NS_ETH_P_ALL: every one) */
	uint16_t hatype;    /* sll_hatype: NS_ARPHRD_ETHER, or NS_ARPHRD_NONE (no link header) */
	uint8_t pkttype;    /* sll_pkttype: NS_PACKET_HOST, ..._OUTGOING (reads only) */
	uint8_t halen;      /* sll_halen: 6 on Ethernet, 0 on links without addresses */
	struct ns_mac addr; /* sll_addr: read, the frame's source; write, its destination */
};

enum ns_opt {
	NS_SO_RCVBUF,       /* bytes */
	NS_SO_SNDBUF,       /* bytes */
	NS_SO_BROADCAST,    /* 0/1 */
	NS_SO_REUSEADDR,    /* 0/1, before bind */
	NS_SO_REUSEPORT,    /* 0/1, before bind */
	NS_SO_BINDTODEVICE, /* NIC id, 0 for none */
	NS_SO_ERROR,        /* get: pending error (ns_err), cleared by reading */
	NS_SO_LINGER,       /* seconds, -1 off */
	NS_SO_KEEPALIVE,    /* 0/1 */
	NS_SO_RCVLOWAT,
	NS_IP_TTL, /* 1..255, 0 = default */
	NS_IP_TOS,
	NS_IP_RECVERR,      /* 0/1 */
	NS_IP_MTU_DISCOVER, /* NS_PMTUDISC_* (Linux's IP_MTU_DISCOVER), datagram endpoints */
	NS_IP_MTU,          /* get: the path MTU to the connected peer (Linux's IP_MTU) */
	NS_IPV6_V6ONLY,     /* 0/1 */
	NS_TCP_NODELAY,
	NS_TCP_CORK,
	NS_TCP_MAXSEG,
	NS_TCP_KEEPIDLE,  /* seconds */
	NS_TCP_KEEPINTVL, /* seconds */
	NS_TCP_KEEPCNT,
	NS_TCP_USER_TIMEOUT, /* ms */
	NS_TCP_CONGESTION,   /* 0 = CUBIC, 1 = Reno */
	NS_TCP_QUICKACK,
	/* Raw, packet and ping endpoints (netstack/raw.h). */
	NS_IP_HDRINCL,             /* raw IPv4: 0/1, the caller writes the IPv4 header (raw(7)) */
	NS_ICMP_FILTER,            /* raw ICMPv4: bit n set drops ICMP type n, n < 32 (raw(7)) */
	NS_PACKET_IGNORE_OUTGOING, /* packet endpoints: 0/1, no PACKET_OUTGOING copies */
	NS_IPV6_CHECKSUM, /* raw IPv6: offset of the checksum the stack sums (even), -1 none */
	NS_OPT_COUNT_
};

/*
 * NS_IP_MTU_DISCOVER values, Linux's IP_PMTUDISC_* (same numbers). What a datagram larger
 * than the path MTU does on send:
 *   DONT   fragmented to the path MTU, DF never set, "frag needed" errors not reported;
 *   WANT   (the default, as Linux's for UDP) fragmented; DF set on datagrams that fit, so
 *          routers report a smaller MTU, which lowers the path MTU and, on a connected
 *          endpoint, becomes MESSAGE_TOO_LONG (EMSGSIZE) once;
 *   DO     refused with MESSAGE_TOO_LONG (EMSGSIZE); DF on everything;
 *   PROBE  as DO but against the link MTU, ignoring the learnt path MTU.
 * IPv6 has no DF: WANT and DONT fragment at the source, DO and PROBE refuse.
 */
enum { NS_PMTUDISC_DONT = 0, NS_PMTUDISC_WANT = 1, NS_PMTUDISC_DO = 2, NS_PMTUDISC_PROBE = 3 };

struct ns_read_result {
	size_t count; /* bytes copied */
	size_t total; /* datagram endpoints: the datagram's full length */
	struct ns_sockaddr from;
	struct ns_sockaddr_ll ll; /* packet endpoints: the frame's link-level source */
};

struct ns_write_opts {
	const struct ns_sockaddr *to; /* datagram endpoints: destination (NULL: connected peer) */
	unsigned flags;               /* NS_MSG_MORE */
	/* Packet endpoints: NIC, protocol and (cooked) destination MAC; NULL: the bound ones. */
	const struct ns_sockaddr_ll *ll_to;
};

/** ns_ep_new() - Create an endpoint of transport @proto (NS_IPPROTO_*) for @family.
 * NS_IPPROTO_ICMP (IPv4) and NS_IPPROTO_ICMPV6 (IPv6) make ping endpoints (netstack/raw.h).
 * @wq receives readiness events; it must outlive the endpoint. */
NS_API ns_err ns_ep_new(struct ns_stack *s, uint8_t family, uint8_t proto,
                        struct ns_waiter_queue *wq, struct ns_ep **out);
/** ns_ep_close() - Close: the application gives up the endpoint (protocols may keep state,
 * such as TCP's FIN exchange, after it returns). */
NS_API void ns_ep_close(struct ns_ep *ep);
NS_API ns_err ns_ep_bind(struct ns_ep *ep, const struct ns_sockaddr *a);
NS_API ns_err ns_ep_connect(struct ns_ep *ep, const struct ns_sockaddr *a);
NS_API ns_err ns_ep_listen(struct ns_ep *ep, int backlog);
/** ns_ep_accept() - A new connection (with its own waiter queue @wq), or WOULD_BLOCK. */
NS_API ns_err ns_ep_accept(struct ns_ep *ep, struct ns_waiter_queue *wq, struct ns_ep **out,
                           struct ns_sockaddr *peer);
NS_API ns_err ns_ep_shutdown(struct ns_ep *ep, int how);
/** ns_ep_read() - Read up to @len bytes (one datagram for datagram endpoints). */
NS_API ns_err ns_ep_read(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
                         struct ns_read_result *res);
/** ns_ep_write() - Write up to @len bytes; *@written says how many were taken. */
NS_API ns_err ns_ep_write(struct ns_ep *ep, const void *buf, size_t len,
                          const struct ns_write_opts *opts, size_t *written);
/** ns_ep_readiness() - The events in @mask that hold now (NS_EV_*). */
NS_API uint32_t ns_ep_readiness(struct ns_ep *ep, uint32_t mask);
NS_API ns_err ns_ep_set_opt(struct ns_ep *ep, enum ns_opt opt, int64_t value);
NS_API ns_err ns_ep_get_opt(struct ns_ep *ep, enum ns_opt opt, int64_t *value);
NS_API ns_err ns_ep_local_addr(struct ns_ep *ep, struct ns_sockaddr *a);
NS_API ns_err ns_ep_peer_addr(struct ns_ep *ep, struct ns_sockaddr *a);

#endif
