/* SPDX-License-Identifier: MIT */
/*
 * What forwarding (ipv4.c, ipv6.c) does with a received packet's offload metadata, for both
 * families. Internal to src/net.
 */
#ifndef NS_NET_FORWARD_H
#define NS_NET_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/pkt.h"

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

#endif
