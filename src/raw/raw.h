/* SPDX-License-Identifier: MIT */
/*
 * Raw IP, packet and ping endpoints (netstack/raw.h): the internal interface between
 *
 *   raw.c     the raw module (ns_proto_raw, a struct ns_rawproto_ops): raw IP endpoints and
 *             the dispatch of its hooks
 *   packet.c  packet endpoints, reached through the raw module's new_packet and tap hooks
 *   ping.c    ping endpoints: the transport protocol registered for IP protocol 1
 *             (ns_proto_ping) and, with IPv6, 58
 *
 * All three are datagram endpoints: their receive queue, reads, errors and common options
 * are udp/dgram.h's. Nothing here is public API.
 */
#ifndef NS_RAW_RAW_H
#define NS_RAW_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/proto.h"
#include "netstack/raw.h"
#include "udp/dgram.h"

extern const struct ns_rawproto_ops ns_proto_raw;
extern const struct ns_transproto_ops ns_proto_ping;
extern const struct ns_transproto_ops ns_proto_ping6;

/* Most raw or packet endpoints one packet is copied to (the demuxer's bound for UDP
 * broadcast fan-out is the same); the rest are counted as NS_DROP_RAW_FANOUT_LIMIT. */
#define RAW_FANOUT_MAX 64

/* ---------------------------------------------------------------- raw.c */

/**
 * raw_copy() - A new packet holding @a_len bytes from @a then @b_len bytes from @b, for a
 * queue, with @headroom bytes in front (where a caller may keep per-datagram facts). Returns
 * NULL (and counts NS_DROP_NO_MEMORY) when memory is out.
 */
struct ns_pkt *raw_copy(struct ns_stack *s, uint32_t headroom, const void *a, uint32_t a_len,
                        const void *b, uint32_t b_len);

/* ---------------------------------------------------------------- packet.c */

struct packet_state;
struct packet_state *packet_state_new(struct ns_stack *s);
/** packet_state_free() - Close every packet endpoint left open, free the state. */
void packet_state_free(struct ns_stack *s, struct packet_state *ps);
/** packet_new() - The raw module's new_packet. */
ns_err packet_new(struct ns_stack *s, struct packet_state *ps, int kind, uint16_t proto,
                  struct ns_waiter_queue *wq, struct ns_ep **out);
/** packet_tap() - The raw module's tap hook (proto.h). */
void packet_tap(struct ns_stack *s, struct packet_state *ps, struct ns_nic *nic,
                const struct ns_pkt *pkt, bool outbound);

#endif
