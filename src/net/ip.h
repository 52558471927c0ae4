/* SPDX-License-Identifier: MIT */
/*
 * What the two IP families share, internal to src/net: the last step of a send (local
 * loop, a copy looped back to the host's own listeners, fragments, the next hop) and the
 * ICMP echo paths, where ICMPv4 (icmpv4.c) and ICMPv6 (icmpv6.c) do the same with their
 * own types. The family's file decides what differs (which groups loop back, how to
 * fragment, which drop reason); these functions do the rest. Nothing here is public API.
 */
#ifndef NS_NET_IP_H
#define NS_NET_IP_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/proto.h"

/* A family's fragmenter (frag.h): consumes the packet, returns the fragments as a ->next
 * chain, or NULL (counted). */
typedef struct ns_pkt *(*ip_fragment_fn)(struct ns_stack *s, struct ns_pkt *pkt, uint32_t mtu);

/**
 * ip_loop_copy() - Loop a copy of @pkt back to the host's own listeners on @nic (the
 * seed's PacketLoop, Linux's IP_MULTICAST_LOOP default). A copy, not a reference: both
 * packets are about to change (pkt.h, Ownership). Ownership: @pkt is only read.
 */
void ip_loop_copy(struct ns_stack *s, struct ns_nic *nic, const struct ns_pkt *pkt);

/**
 * ip_output_chain() - Send every packet of the ->next chain @frags (a fragmenter's
 * result; NULL when it failed) to @next_hop on @nic. Returns the first error, or NS_OK;
 * NO_BUFFER_SPACE for an empty chain. Ownership: consumes the chain.
 */
ns_err ip_output_chain(struct ns_stack *s, struct ns_nic *nic, const struct ns_addr *next_hop,
                       const struct ns_addr *local, struct ns_pkt *frags);

/**
 * ip_output() - Send @pkt, its network header pushed, along @r: a local route loops it
 * back whole (it meets no link); otherwise it goes, cut by @fragment for r->mtu unless
 * that is NULL, to the destination itself for a broadcast or multicast route (the
 * neighbor code maps the MAC), else to the route's next hop, after a copy is looped back
 * to local listeners if @loop. Ownership: consumes @pkt.
 */
ns_err ip_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_route *r,
                 struct ns_pkt *pkt, bool loop, ip_fragment_fn fragment);

/**
 * ip_echo_turn() - Make the echo request @pkt (head at its ICMP header, @hlen bytes) the
 * packet its reply is sent in: ours alone to rewrite (a copy if it is shared), inbound
 * facts cleared, the ICMP header recorded as its transport header (so a failed resolution
 * is reported like any local sender's). The caller rewrites the type and checksum. NULL
 * when memory is out (counted). Ownership: consumes @pkt, the caller owns the result.
 */
struct ns_pkt *ip_echo_turn(struct ns_stack *s, struct ns_pkt *pkt, uint16_t hlen);

/**
 * ip_echo_reply_in() - An echo reply: for the ping endpoint whose identifier it carries
 * (ns_deliver_transport()). One nobody takes is dropped, never answered (no ICMP error
 * about an informational message); without ping endpoints in the stack it is counted as
 * @unhandled. Ownership: consumes @pkt.
 */
void ip_echo_reply_in(struct ns_stack *s, struct ns_pkt *pkt, enum ns_drop_reason unhandled);

#endif
