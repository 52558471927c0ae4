/* SPDX-License-Identifier: MIT */
/*
 * IPv6 network layer, internal interface between its files. Nothing here is public API.
 *
 *   ipv6.c    the netproto (EtherType 0x86dd): header validation, extension headers
 *             (RFC 8200 4), local delivery, forwarding, output, and link-address
 *             resolution (it resolves its own addresses: `resolves` = 0x86dd, through NDP)
 *   icmpv6.c  ICMPv6 (RFC 4443): echo, errors (sent with a rate limit, received and handed to
 *             transports as NS_CTRL_*), and the dispatch of NDP and MLD messages
 *   ndp.c     Neighbor Discovery (RFC 4861): NS/NA feeding the core neighbor cache, RS/RA
 *             (default router, prefixes, MTU), redirects; DAD and SLAAC (RFC 4862)
 *   mld.c     multicast listener state per NIC and MLDv2 reports (RFC 3810)
 *   frag.c    reassembly and fragmentation for both families (RFC 791/815, RFC 8200 4.5,
 *             RFC 5722, RFC 6946)
 *
 * Conventions: addresses are struct ns_addr (family NS_AF_INET6), the per-stack IPv6 state is
 * ns_netproto_priv(s, NS_ETHERTYPE_IPV6). An inbound ICMPv6 message reaches its handler with
 * the head at the ICMPv6 header, the checksum verified, the IPv6 header (and any extension
 * headers before the message) recorded as NS_HDR_NETWORK, pkt->src/dst set, pkt->ttl = the
 * hop limit it arrived with, NS_PKT_MULTICAST set for a multicast destination, and
 * pkt->user = IPV6_RX_* flags. NICs are remembered by id, never by pointer, by anything that
 * outlives a call (timers look the NIC up again; nic_removed() lets go of it).
 */
#ifndef NS_NET_NET6_H
#define NS_NET_NET6_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/ipv6.h"
#include "netstack/proto.h"
#include "wire/ipv6.h"

extern const struct ns_netproto_ops ns_proto_ipv6;

#define NS_ETHERTYPE_IPV6 0x86dd

/* pkt->user of an inbound ICMPv6 message: what the IPv6 layer saw on the way. */
#define IPV6_RX_ROUTER_ALERT (1u << 0) /* a hop-by-hop Router Alert option (RFC 2711) */
#define IPV6_RX_FRAGMENTED   (1u << 1) /* it came with a Fragment header (RFC 6980) */

/* RFC 4861 10 constants the files share. */
#define NDP_HOP_LIMIT 255 /* every ND message is sent, and must arrive, with 255 */

/* ---------------------------------------------------------------- ipv6.c */

/** ipv6_ndp() / ipv6_mld() - The NDP and MLD state inside the stack's IPv6 state (ipv6.c
 * creates both in its init and frees them in its fini). NULL without IPv6. */
struct ndp_state *ipv6_ndp(struct ns_stack *s);
struct mld_state *ipv6_mld(struct ns_stack *s);

/** ipv6_hop_limit() - The hop limit of a packet sent on @nic when the sender asks for the
 * default: the last router advertisement's Cur Hop Limit, else the stack's. */
uint8_t ipv6_hop_limit(struct ns_stack *s, struct ns_nic *nic);

enum {
	IPV6_SEND_ROUTER_ALERT = 1u << 0, /* a hop-by-hop header with Router Alert (MLD) */
};
/**
 * ipv6_send() - Build an IPv6 header (and, with IPV6_SEND_ROUTER_ALERT, a hop-by-hop
 * header) in front of @pkt, whose head is at the upper-layer header with pkt->transproto
 * set, and send it on @nic to @dst from @src (the unspecified address is allowed: DAD, MLD
 * before a link-local address exists). No route is looked up: this is how NDP and MLD
 * send. Multicast destinations map to 33:33:xx MACs and are not looped back (Linux's
 * ndisc and mld sockets turn multicast loop off); unicast ones go to @mac when it is
 * given, else through the neighbor cache. Flow label 0, traffic class 0.
 * Ownership: consumes @pkt.
 */
ns_err ipv6_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *src,
                 const struct ns_addr *dst, uint8_t hop_limit, unsigned flags,
                 const struct ns_mac *mac, struct ns_pkt *pkt);

/* ---------------------------------------------------------------- icmpv6.c */

/**
 * icmpv6_send() - Store the checksum of the ICMPv6 message at @pkt's head (type, code and
 * body filled in, checksum field zero; the RFC 8200 8.1 pseudo-header uses @src and @dst)
 * and send it through ipv6_send() with the same arguments. Counts it. Ownership: consumes
 * @pkt.
 */
ns_err icmpv6_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *src,
                   const struct ns_addr *dst, uint8_t hop_limit, unsigned flags,
                   const struct ns_mac *mac, struct ns_pkt *pkt);

/** icmpv6_alloc() - A packet with room in front for every header and @len bytes for an
 * ICMPv6 message at its head (recorded as NS_HDR_TRANSPORT, pkt->transproto 58); NULL
 * (counted) when memory is out. */
struct ns_pkt *icmpv6_alloc(struct ns_stack *s, uint32_t len);

/**
 * icmpv6_send_error() - Send an ICMPv6 error (RFC 4443 2.4) about the packet whose IPv6
 * header starts at @ip_off (from pkt->buf) and runs to the end of @pkt's valid bytes, unless
 * 2.4(e) forbids one (an error or redirect, a multicast destination other than for packet
 * too big and parameter problem code 2, a source that names no single node) or the rate
 * limit has no token. @nic: where it arrived. @info: the MTU for packet too big, the
 * pointer (from the IPv6 header) for a parameter problem. Ownership: @pkt is only read.
 */
void icmpv6_send_error(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                       uint32_t ip_off, uint8_t type, uint8_t code, uint32_t info);

/** icmpv6_deliver() - An inbound ICMPv6 message (see the conventions above; the checksum is
 * verified here). Ownership: consumes @pkt. */
void icmpv6_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt);

/* ---------------------------------------------------------------- ndp.c */

struct ndp_state;
struct ndp_state *ndp_new(struct ns_stack *s);
void ndp_free(struct ns_stack *s, struct ndp_state *n);

/** ndp_deliver() - Router/neighbor solicitation and advertisement, redirect (types 133-137).
 * Ownership: consumes @pkt. */
void ndp_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt);

/** ndp_solicit() - The netproto's link_addr_request: a neighbor solicitation for @target,
 * to its solicited-node group (@remote_mac NULL) or unicast to @remote_mac (NUD probe),
 * from @local when it is a usable address of @nic. */
ns_err ndp_solicit(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *target,
                   const struct ns_addr *local, const struct ns_mac *remote_mac);

/** ndp_address_added() - An address was added to @nic: IPv6 comes up on the NIC if it was
 * not (its link-local address), the address's solicited-node group is joined, and DAD runs
 * if enabled (RFC 4862 5.4), the address staying tentative until it passes. */
void ndp_address_added(struct ns_stack *s, struct ns_nic *nic, const struct ns_subnet *a);
/** ndp_address_removed() - @a is gone from @nic: leave its group, forget its state. */
void ndp_address_removed(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a);
/** ndp_nic_removed() - @nic is going: cancel its timers, free its state. */
void ndp_nic_removed(struct ns_stack *s, struct ns_nic *nic);
/** ndp_enable() - IPv6 up on @nic without an address (ns_ipv6_enable()). */
ns_err ndp_enable(struct ns_stack *s, struct ns_nic *nic);
/** ndp_cur_hop_limit() - The Cur Hop Limit the last router advertisement on @nic set, or 0. */
uint8_t ndp_cur_hop_limit(struct ns_stack *s, struct ns_nic *nic);
/** ndp_addr_state() - What NDP knows of @a on @nic (ns_ipv6_addr_state()). */
enum ns_ipv6_addr_state ndp_addr_state(struct ns_stack *s, struct ns_nic *nic,
                                       const struct ns_addr *a);

/* ---------------------------------------------------------------- mld.c */

struct mld_state;
struct mld_state *mld_new(struct ns_stack *s);
void mld_free(struct ns_stack *s, struct mld_state *m);

/** mld_join() / mld_leave() - Reference-counted group membership on @nic; the first join
 * sends unsolicited MLDv2 reports (RFC 3810 6.1), the last leave a state-change report.
 * Errors as ns_ipv6_join(). */
ns_err mld_join(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group);
ns_err mld_leave(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group);

/** mld_is_member() - Does @nic accept packets sent to the multicast address @group?
 * (ff02::1 always; others when joined.) */
bool mld_is_member(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group);

/** mld_deliver() - MLD queries and reports (types 130, 131, 132, 143). Consumes @pkt. */
void mld_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt);

/** mld_nic_removed() - @nic is going: cancel its timers, free its groups (no reports). */
void mld_nic_removed(struct ns_stack *s, struct ns_nic *nic);

#endif
