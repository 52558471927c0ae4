/* SPDX-License-Identifier: MIT */
/*
 * Raw IP, packet and ping endpoints (netstack/raw.h): the internal interface between
 *
 *   raw.c     the raw module (ns_proto_raw, a struct ns_rawproto_ops): raw IP endpoints, the
 *             dispatch of its hooks, and the datagram receive queue all three files use
 *   packet.c  packet endpoints, reached through the raw module's new_packet and tap hooks
 *   ping.c    ping endpoints: the transport protocol registered for IP protocol 1
 *             (ns_proto_ping) and, with IPv6, 58
 *
 * Nothing here is public API.
 */
#ifndef NS_RAW_RAW_H
#define NS_RAW_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/proto.h"
#include "netstack/raw.h"

extern const struct ns_rawproto_ops ns_proto_raw;
extern const struct ns_transproto_ops ns_proto_ping;
extern const struct ns_transproto_ops ns_proto_ping6;

/* Receive buffers as Linux's (net.core.rmem_default / rmem_max, SOCK_MIN_RCVBUF and
 * SOCK_MIN_SNDBUF); NS_SO_RCVBUF/SNDBUF values are clamped to RAW_BUF_MAX and doubled. */
#define RAW_BUF_DEFAULT 212992u
#define RAW_BUF_MAX     212992u
#define RAW_RCVBUF_MIN  2304u
#define RAW_SNDBUF_MIN  4608u

/* Most raw or packet endpoints one packet is copied to (the demuxer's bound for UDP
 * broadcast fan-out is the same); the rest are counted as NS_DROP_RAW_FANOUT_LIMIT. */
#define RAW_FANOUT_MAX 64

/* ---------------------------------------------------------------- raw.c: receive queue */

/*
 * A datagram receive queue: packets linked through ->next, each owned by the queue, charged
 * with the memory it pins (buffer plus struct, as Linux charges skb->truesize). As Linux's
 * sock_queue_rcv_skb(), a datagram is refused once the charge has reached the limit, so an
 * empty queue always takes one.
 */
struct rawq {
	struct ns_pkt *head, *tail;
	uint32_t charge;
	uint32_t limit; /* the receive buffer (NS_SO_RCVBUF) */
};

static inline bool rawq_full(const struct rawq *q)
{
	return q->charge >= q->limit;
}

/** rawq_push() - Queue @pkt. Ownership: takes @pkt (which must have no other owner). */
void rawq_push(struct rawq *q, struct ns_pkt *pkt);
/** rawq_pop() - Free the oldest datagram. Requires: the queue is not empty. */
void rawq_pop(struct rawq *q);
/** rawq_flush() - Free every queued datagram. */
void rawq_flush(struct rawq *q);

/**
 * rawq_read() - The datagram-read logic every endpoint here shares (Linux
 * skb_recv_datagram()): a pending error comes first (returned and cleared), then the
 * oldest datagram: copied into @buf (up to @len bytes), res->count and res->total set, and
 * *@pkt set to it so the caller can fill in its addresses before rawq_read_done(). An empty
 * queue is WOULD_BLOCK, or end of file (NS_OK, 0 bytes, *@pkt NULL) after NS_SHUT_RD.
 */
ns_err rawq_read(struct rawq *q, ns_err *pending, uint8_t shut, void *buf, size_t len,
                 struct ns_read_result *res, struct ns_pkt **pkt);
/** rawq_read_done() - Finish a read that got a datagram: pop it unless NS_MSG_PEEK. */
void rawq_read_done(struct rawq *q, unsigned flags);
/** rawq_readiness() - NS_EV_* of a datagram endpoint with queue @q (always writable). */
uint32_t rawq_readiness(const struct rawq *q, ns_err pending, uint8_t shut, uint32_t mask);

/** raw_buf_size() - NS_SO_RCVBUF/SNDBUF value @v as Linux's sock_setsockopt() stores it
 * (clamped to RAW_BUF_MAX, doubled, at least @min). */
uint32_t raw_buf_size(int64_t v, uint32_t min);

/**
 * raw_copy() - A new packet holding @a_len bytes from @a then @b_len bytes from @b, for a
 * queue, with @headroom bytes in front (where a caller may keep per-datagram facts). Returns
 * NULL (and counts NS_DROP_NO_MEMORY) when memory is out.
 */
struct ns_pkt *raw_copy(struct ns_stack *s, uint32_t headroom, const void *a, uint32_t a_len,
                        const void *b, uint32_t b_len);

/**
 * raw_ctrl_error() - The error an ICMP error (@c) means to a datagram endpoint of @family
 * in NS_IP_MTU_DISCOVER mode @pmtudisc, and whether Linux counts it hard (icmp_err_convert[].fatal,
 * icmpv6_err_convert(): then it is reported on a connected endpoint without NS_IP_RECVERR). False
 * for controls that mean nothing to one.
 */
bool raw_ctrl_error(uint8_t family, uint8_t pmtudisc, enum ns_ctrl c, ns_err *err, bool *hard);

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
