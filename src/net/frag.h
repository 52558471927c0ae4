/* SPDX-License-Identifier: MIT */
/*
 * IP fragmentation and reassembly for both families (frag.c). Internal to src/net.
 *
 * Reassembly (RFC 791 3.2, RFC 815 holes, RFC 8200 4.5): per-stack state with a memory cap
 * over all datagrams being reassembled, a per-datagram fragment limit and a per-source byte
 * limit (one host cannot take the whole cap), and a timeout (RFC 8200 4.5: 60 s; IPv4 30 s
 * as Linux) after which ICMP time exceeded (code 1) goes to the source if the first fragment
 * had arrived. IPv6 overlapping fragments drop the whole datagram (RFC 5722); an IPv6 atomic
 * fragment (offset 0, M clear) is processed as a whole packet at once and never mixes with
 * other fragments (RFC 6946).
 *
 * Fragmentation on send: IPv4 honours DF (a too-big DF datagram is refused with
 * MESSAGE_TOO_LONG, as Linux's EMSGSIZE); IPv6 fragments only at the source.
 */
#ifndef NS_NET_FRAG_H
#define NS_NET_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/proto.h"

struct frag_state;
struct frag_state *frag_new(struct ns_stack *s);
void frag_free(struct ns_stack *s, struct frag_state *f);

/**
 * frag_ipv6_reassemble() - @pkt's head is at a Fragment header (8 bytes, not yet consumed);
 * the IPv6 header is recorded as NS_HDR_NETWORK and everything from it up to the Fragment
 * header is the unfragmentable part; @nh_off (from pkt->buf) is the Next Header byte that
 * named the Fragment header; pkt->src/dst are set. Returns NULL when the fragment was kept,
 * or dropped and counted (or answered: parameter problem for a bad length, RFC 8200 4.5),
 * else the whole packet: the first fragment's unfragmentable part followed by the
 * reassembled fragmentable part, the Fragment header gone, Payload Length and the byte at
 * @nh_off fixed up, NS_HDR_NETWORK recorded, head at the first fragmentable byte and
 * *next_header set to what follows. Ownership: consumes @pkt; the caller owns the result.
 */
struct ns_pkt *frag_ipv6_reassemble(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
				    uint32_t nh_off, uint8_t *next_header);

/**
 * frag_ipv6_fragment() - Split @pkt, whose head is at its IPv6 header (40 bytes, no extension
 * headers) followed by the upper-layer packet, into fragments of at most @mtu bytes each
 * (RFC 8200 4.5), with one identification chosen per destination (RFC 7739). Returns the
 * fragments as a ->next chain (each with its IPv6 header, ready for ns_nic_output) or NULL
 * (no memory: counted). Ownership: consumes @pkt.
 */
struct ns_pkt *frag_ipv6_fragment(struct ns_stack *s, struct ns_pkt *pkt, uint32_t mtu);

#endif
