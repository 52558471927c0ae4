/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: SYN cookies (RFC 4987 3.6), in Linux's layout.
 *
 * When a listener's SYN queue is full, a SYN is answered with a SYN-ACK and forgotten:
 * everything needed to build the connection later is in the SYN-ACK's sequence number
 * (and, with timestamps, in the low bits of its TSval), which the peer's ACK echoes.
 *
 *   ISN = H1(4-tuple) + ISN_peer + (count << 24) + ((H2(4-tuple, count) + mss_index) mod 2^24)
 *
 * H1 and H2 are ns_hash_keyed() under the stack's secret with two salts (H2 also keyed by
 * the counter), count a coarse clock: minutes of the stack's clock, mod 256. The ACK is
 * valid if ACK - 1, with H1 and ISN_peer (= SEG.SEQ - 1) taken off, carries a count at
 * most one minute old (so a cookie lives 1 to 2 minutes) and its low 24 bits, less
 * H2(count), give an index into the MSS table. A forger who does not know the secret has
 * a 2^-24 chance per guess, and each guess needs the peer's sequence number too.
 *
 * The MSS is coded as the largest table entry not above the peer's (Linux's msstab:
 * 536, 1300, 1440, 1460). Window scale and SACK-permitted do not fit in the ISN: with
 * timestamps, they go into the 6 low bits of our TSval (4 bits of the peer's shift, 15
 * meaning none, one bit for SACK), which the peer echoes in TSecr, as Linux's
 * cookie_init_timestamp(); TSval is rounded down to keep it from running ahead of the
 * clock. Without timestamps a cookie connection has neither scaling nor SACK (RFC 4987
 * 3.6 names this cost).
 *
 * A listener accepts cookie ACKs only within two counter periods of having sent a cookie
 * (Linux's tcp_synq_no_recent_overflow()), so a listener that never overflowed takes no
 * guesses at all.
 */
#include "tcp/tcp.h"

#include <string.h>

#define COOKIE_SALT1   0x7463702d636b3131ull /* "tcp-ck11" */
#define COOKIE_SALT2   0x7463702d636b3232ull /* "tcp-ck22" */
#define COOKIE_BITS    24
#define COOKIE_MASK    ((1u << COOKIE_BITS) - 1)
#define COOKIE_PERIOD  (60 * NS_SEC)
#define COOKIE_MAX_AGE 2 /* counter periods: a cookie is valid for 1 to 2 minutes */
#define COOKIE_TS_BITS 6
#define COOKIE_TS_MASK ((1u << COOKIE_TS_BITS) - 1)
#define COOKIE_WS_NONE 15
#define COOKIE_TS_SACK (1u << 4)

static const uint16_t cookie_mss[] = {536, 1300, 1440, 1460};
#define COOKIE_NMSS (sizeof(cookie_mss) / sizeof(cookie_mss[0]))

static void seg_tuple(const struct tcp_seg *g, struct ns_tep_id *id)
{
	memset(id, 0, sizeof(*id));
	id->local = g->pkt->dst;
	id->lport = g->h.dst_port;
	id->remote = g->pkt->src;
	id->rport = g->h.src_port;
}

static uint32_t cookie_count(const struct tcp_stack *ts)
{
	return (uint32_t)(ns_stack_now(ts->s) / COOKIE_PERIOD);
}

static uint32_t h2(struct tcp_stack *ts, const struct ns_tep_id *id, uint32_t count)
{
	return (uint32_t)tcp_tuple_hash(ts, COOKIE_SALT2 ^ ((uint64_t)(count & 0xff) << 8), id);
}

static uint32_t cookie_make(struct tcp_stack *ts, const struct ns_tep_id *id, uint32_t peer_isn,
                            uint32_t mss_idx)
{
	uint32_t count = cookie_count(ts);

	return (uint32_t)tcp_tuple_hash(ts, COOKIE_SALT1, id) + peer_isn + (count << COOKIE_BITS) +
	       ((h2(ts, id, count) + mss_idx) & COOKIE_MASK);
}

static uint32_t ts_clock(struct tcp_stack *ts, const struct ns_tep_id *id)
{
	return (uint32_t)(ns_stack_now(ts->s) / NS_MSEC) + tcp_ts_offset(ts, id);
}

static uint8_t our_wscale(const struct tcp_config *c)
{
	uint8_t ws = 0;

	while (ws < TCP_MAX_WSCALE && (c->rcvbuf_max >> ws) > 65535)
		ws++;
	return ws;
}

void tcp_syncookie_send(struct tcp_ep *l, const struct tcp_seg *g)
{
	struct tcp_stack *ts = l->ts;
	const struct tcp_config *c = &ts->cfg;
	const struct ns_pkt *in = g->pkt;
	struct ns_tep_id id;
	struct tcp_repr h;
	struct ns_route r;
	struct ns_pkt *pkt;
	uint32_t idx = 0, adv = 536, hlen, win;

	seg_tuple(g, &id);
	if (ns_route_find(ts->s, in->nic, &in->dst, &in->src, &r) != NS_OK)
		return;
	/* The largest table MSS the peer can take (536 if it sent none, RFC 9293 3.7.1). */
	for (uint32_t i = 0; i < COOKIE_NMSS; i++)
		if (g->h.mss && cookie_mss[i] <= g->h.mss)
			idx = i;
	memset(&h, 0, sizeof(h));
	h.src_port = g->h.dst_port;
	h.dst_port = g->h.src_port;
	h.seq = cookie_make(ts, &id, g->seq, idx);
	h.ack = g->seq + 1;
	h.flags = TCP_SYN | TCP_ACK;
	h.wscale = -1;
	if (r.mtu > 40u + 48u)
		adv = r.mtu - (in->dst.family == NS_AF_INET6 ? 40u : 20u) - TCP_MIN_HLEN;
	if (l->user_mss && l->user_mss < adv)
		adv = l->user_mss;
	h.mss = (uint16_t)(adv < 65535 ? adv : 65535);
	if (g->h.has_ts && c->timestamps) {
		/* Options the ISN cannot hold ride in TSval's low bits (Linux's layout). */
		uint32_t now = ts_clock(ts, &id);
		uint32_t opt = COOKIE_WS_NONE, tsv;

		if (g->h.wscale >= 0 && c->window_scaling) {
			opt = (uint32_t)g->h.wscale;
			h.wscale = (int8_t)our_wscale(c);
		}
		if (g->h.sack_permitted && c->sack) {
			opt |= COOKIE_TS_SACK;
			h.sack_permitted = true;
		}
		tsv = (now & ~COOKIE_TS_MASK) | opt;
		if (seq_gt(tsv, now))
			tsv -= 1u << COOKIE_TS_BITS;
		h.has_ts = true;
		h.tsval = tsv;
		h.tsecr = g->h.tsval;
	}
	win = l->rcv.limit < 65535 ? l->rcv.limit : 65535; /* never scaled in a SYN */
	h.window = (uint16_t)win;
	hlen = (uint32_t)tcp_repr_hdr_len(&h);
	pkt = ns_pkt_alloc(r.max_header_len + hlen > NS_PKT_HEADROOM ? r.max_header_len + hlen
	                                                             : NS_PKT_HEADROOM,
	                   0);
	if (!pkt) {
		ns_drop(ts->s, NULL, NS_DROP_NO_MEMORY);
		return;
	}
	tcp_emit(&h, ns_pkt_push(pkt, NS_HDR_TRANSPORT, hlen));
	l->cookie_sent_ns = ns_stack_now(ts->s);
	if (!l->cookie_sent_ns)
		l->cookie_sent_ns = 1;
	tcp_send_pkt(ts->s, &r, pkt, l->ttl, l->tos);
}

bool tcp_syncookie_check(struct tcp_ep *l, const struct tcp_seg *g, struct tcp_cookie *out)
{
	struct tcp_stack *ts = l->ts;
	struct ns_tep_id id;
	uint32_t c, count = cookie_count(ts), diff, data;

	/* Only a listener that overflowed lately takes cookie ACKs at all. */
	if (!l->cookie_sent_ns ||
	    ns_stack_now(ts->s) - l->cookie_sent_ns > COOKIE_MAX_AGE * COOKIE_PERIOD)
		return false;
	if ((g->h.flags & (TCP_SYN | TCP_RST | TCP_ACK)) != TCP_ACK)
		return false;
	seg_tuple(g, &id);
	c = g->h.ack - 1 - (uint32_t)tcp_tuple_hash(ts, COOKIE_SALT1, &id) - (g->seq - 1);
	diff = (count - (c >> COOKIE_BITS)) & (0xffffffffu >> COOKIE_BITS);
	if (diff >= COOKIE_MAX_AGE)
		return false;
	data = (c - h2(ts, &id, count - diff)) & COOKIE_MASK;
	if (data >= COOKIE_NMSS)
		return false;
	out->mss = cookie_mss[data];
	out->wscale = -1;
	out->sack = false;
	out->ts = false;
	if (g->h.has_ts && g->h.tsecr && ts->cfg.timestamps) {
		uint32_t opt = g->h.tsecr & COOKIE_TS_MASK;

		/* An echo from the future was never ours. */
		if (seq_gt(g->h.tsecr, ts_clock(ts, &id)))
			return false;
		out->ts = true;
		if ((opt & 0xf) != COOKIE_WS_NONE) {
			if ((opt & 0xf) > TCP_MAX_WSCALE)
				return false;
			out->wscale = (int8_t)(opt & 0xf);
		}
		out->sack = (opt & COOKIE_TS_SACK) != 0;
	}
	return true;
}
