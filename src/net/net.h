/* SPDX-License-Identifier: MIT */
/*
 * Network protocols: IPv4 (ipv4.c), its ICMP (icmpv4.c) and ARP (arp.c).
 *
 * The vtables are what the stack registers (src/api/protocols.c); the functions below are
 * what the three files share. ICMPv4 is part of the IPv4 protocol, not a transport: ipv4.c
 * hands it every inbound ICMP message and asks it to send errors; icmpv4.c sends through
 * ns_netproto_write() like any transport. Nothing here is public API.
 */
#ifndef NS_NET_NET_H
#define NS_NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/proto.h"

extern const struct ns_netproto_ops ns_proto_ipv4;
extern const struct ns_netproto_ops ns_proto_arp;

#define NS_ETHERTYPE_IPV4 0x0800
#define NS_ETHERTYPE_ARP  0x0806

/* RFC 1812 4.3.2.3: an ICMP error holds as much of the offending datagram as fits in a
 * 576-byte datagram (Linux does the same). */
#define ICMPV4_ERROR_MAX_LEN 576

/**
 * ipv4_is_bcast_dst() - True if @dst (4 bytes) is an IPv4 broadcast (limited, or a directed
 * broadcast of one of @nic's subnets) or a multicast address: a destination that no echo
 * reply and no ICMP error answers (RFC 1122 3.2.2, 3.2.2.6).
 */
bool ipv4_is_bcast_dst(struct ns_stack *s, struct ns_nic *nic, const uint8_t dst[4]);

/**
 * icmpv4_deliver() - Handle an inbound ICMP message. Requires: head at the ICMP header, the
 * IPv4 header consumed (NS_HDR_NETWORK), pkt->src/dst/ttl/tos set. @group: the IP
 * destination was a broadcast or multicast address (ipv4.c classified it once).
 * Ownership: consumes @pkt.
 */
void icmpv4_deliver(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt, bool group);

/**
 * icmpv4_send_error() - Send an ICMP error about the datagram whose IPv4 header starts at
 * @ip_off (from pkt->buf) and runs to the end of @pkt's valid bytes, if RFC 1122 3.2.2
 * allows one and the rate limit has a token. @info: the next-hop MTU for "fragmentation
 * needed", the pointer for a parameter problem, else 0. @nic: where the datagram arrived.
 * Ownership: @pkt is only read.
 */
void icmpv4_send_error(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt,
                       uint32_t ip_off, uint8_t type, uint8_t code, uint32_t info);

#endif
