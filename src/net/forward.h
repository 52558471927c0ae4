/* SPDX-License-Identifier: MIT */
/*
 * What forwarding and local delivery (ipv4.c, ipv6.c) do with a received packet's offload
 * metadata, for both families. Internal to src/net.
 */
#ifndef NS_NET_FORWARD_H
#define NS_NET_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/pkt.h"

struct ns_stack;

/**
 * fwd_offload() - Check a received packet's offload metadata and turn it into what sending
 * it on needs (forward.c explains the rules). @l3_len is the length of the network header
 * that no transport checksum may start inside (IPv4 IHL * 4, IPv6 40). On success,
 * *@net_len is the network-layer length the next link's MTU must hold (each segment's for
 * a GSO packet) and *@flags the packet flags it must leave with (0 or
 * NS_PKT_CSUM_PARTIAL), for the caller to set once it is past the checks that may still
 * answer the sender with an ICMP error about it (the inbound packet-type flags hold until
 * then). A GSO packet's checksum field is rewritten here (the pseudo-header sum).
 * Requires: head at the network header, a single owner. Returns false if the metadata
 * does not match the headers (the caller drops the packet as NS_DROP_OFFLOAD_BAD); nothing
 * is changed then.
 */
bool fwd_offload(struct ns_pkt *pkt, uint32_t l3_len, uint32_t *net_len, uint16_t *flags);

/**
 * fwd_local_gso() - Make a received packet for this host deliverable, as forward.c explains:
 * a packet without a GSO descriptor, or a TCP super-frame whose descriptor matches it, comes
 * back as it is; a UDP one (NS_GSO_UDP_L4) comes back as the datagrams it stands for (new
 * packets, NS_PKT_CSUM_VERIFIED, with its metadata); anything else is dropped (counted as
 * NS_DROP_OFFLOAD_BAD, or NS_DROP_NO_MEMORY) and NULL returned. @v6 and @proto are the
 * packet's family and upper-layer protocol.
 * Requires: head at the network header (an IPv6 UDP super-frame without extension headers:
 * one with them is refused, as gso.c refuses to cut it), not a fragment.
 * Ownership: consumes @pkt; the returned ->next chain is the caller's.
 */
struct ns_pkt *fwd_local_gso(struct ns_stack *s, struct ns_pkt *pkt, bool v6, uint8_t proto);

#endif
