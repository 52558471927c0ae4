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
 * the head at the ICMPv6 header, the checksum verified, the IPv6 header recorded as
 * NS_HDR_NETWORK, pkt->src/dst set and pkt->ttl = the hop limit it arrived with.
 */
#ifndef NS_NET_NET6_H
#define NS_NET_NET6_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/proto.h"

extern const struct ns_netproto_ops ns_proto_ipv6;

#define NS_ETHERTYPE_IPV6 0x86dd
#define NS_IPPROTO_ICMPV6 58

/* RFC 8200 5: the minimum link MTU; RFC 4443 2.4(c): an error fits in it. */
#define IPV6_MIN_MTU 1280

/* ---------------------------------------------------------------- ipv6.c */

/** ipv6_ndp() / ipv6_mld() - The NDP and MLD state inside the stack's IPv6 state (ipv6.c
 * creates both in its init and frees them in its fini). */
struct ndp_state *ipv6_ndp(struct ns_stack *s);
struct mld_state *ipv6_mld(struct ns_stack *s);

/**
 * ipv6_send() - Build an IPv6 header (and nothing else) in front of @pkt, whose head is at
 * the upper-layer header with pkt->transproto set, and send it on @nic to @dst from @src (the
 * unspecified address is allowed: DAD). @hop_limit 0 means the default. Link-local and
 * multicast destinations need no route: this is how NDP and MLD send. Multicast destinations
 * map to 33:33:xx MACs in the core; unicast ones are resolved through the neighbor cache.
 * Ownership: consumes @pkt.
 */
ns_err ipv6_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *src,
		 const struct ns_addr *dst, uint8_t hop_limit, struct ns_pkt *pkt);

/* ---------------------------------------------------------------- icmpv6.c */

/**
 * icmpv6_send() - Finish the ICMPv6 message at @pkt's head (type, code and body filled in by
 * the caller; the checksum is computed here over the RFC 8200 8.1 pseudo-header) and send it
 * through ipv6_send(). Ownership: consumes @pkt.
 */
ns_err icmpv6_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *src,
		   const struct ns_addr *dst, uint8_t hop_limit, struct ns_pkt *pkt);

/**
 * icmpv6_send_error() - Send an ICMPv6 error (RFC 4443 2.4) about the packet whose IPv6
 * header starts at @ip_off (from pkt->buf) and runs to the end of @pkt's valid bytes, unless
 * 2.4(e) forbids one (an error, a multicast destination other than packet-too-big and
 * parameter problem code 2, a non-unique source) or the rate limit has no token. @info: the
 * MTU for packet-too-big, the pointer for a parameter problem. Ownership: @pkt is only read.
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
 * to its solicited-node group (@remote_mac NULL) or unicast to @remote_mac (NUD probe). */
ns_err ndp_solicit(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *target,
		   const struct ns_addr *local, const struct ns_mac *remote_mac);

/** ndp_address_added() - An address was added to @nic: join its solicited-node group, run
 * DAD if enabled (RFC 4862 5.4), and bring up the link-local address on the first one. */
void ndp_address_added(struct ns_stack *s, struct ns_nic *nic, const struct ns_subnet *a);

/** ndp_addr_tentative() - True while @a is a tentative address on @nic (DAD running): it is
 * not used as a source and packets to it are not accepted (RFC 4862 5.4). */
bool ndp_addr_tentative(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *a);

/* ---------------------------------------------------------------- mld.c */

struct mld_state;
struct mld_state *mld_new(struct ns_stack *s);
void mld_free(struct ns_stack *s, struct mld_state *m);

/** mld_join() / mld_leave() - Reference-counted group membership on @nic; the first join
 * sends unsolicited MLDv2 reports (RFC 3810 6.1), the last leave a state-change report. */
void mld_join(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group);
void mld_leave(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group);

/** mld_is_member() - Does @nic accept packets sent to the multicast address @group?
 * (ff02::1 always; others when joined.) */
bool mld_is_member(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *group);

/** mld_deliver() - MLD queries and reports (types 130, 131, 132, 143). Consumes @pkt. */
void mld_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt);

#endif
