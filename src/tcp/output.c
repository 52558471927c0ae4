/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: building and sending segments, and the send policy.
 *
 * Every segment a connection sends is built by tcp_xmit(): header fields from the endpoint,
 * options for the segment kind (SYN: MSS, window scale, SACK-permitted, timestamps in
 * Linux's layouts; otherwise timestamps and SACK blocks), the advertised window, and payload
 * copied once from the send ring into a fresh packet. A retransmission is just another
 * tcp_xmit() from the same ring bytes; the only per-segment state is RACK's 16-byte
 * transmit record (rack.c), in a ring bounded by the send buffer.
 *
 * Flight is measured by tcp_pipe() (sack.c): RFC 6675 pipe or RACK's count with SACK,
 * SND.NXT - SND.UNA without. Limited transmit (RFC 3042) lets the first two duplicate
 * ACKs send new data up to cwnd + 2 SMSS. After an RTO the resend from SND.UNA skips
 * SACKed ranges. Every output pass ends by letting RACK arm its reordering timer or the
 * tail loss probe (tcp_rack_schedule()).
 *
 * tcp_output() decides what to send: from snd_nxt, as much of the send buffer as the
 * peer's window, cwnd and the small-segment rules allow:
 *   - sender silly-window avoidance (RFC 9293 3.8.6.2.1, RFC 1122 4.2.3.4): a segment
 *     shorter than the MSS goes only if it empties the buffer (and Nagle agrees) or is at
 *     least half the largest window the peer has offered;
 *   - Nagle (RFC 9293 3.7.4, RFC 896) in Minshall's form, as Linux: hold a short tail while
 *     an earlier short segment is unacknowledged; TCP_NODELAY turns it off, TCP_CORK and
 *     NS_MSG_MORE hold short tails regardless; a queued FIN pushes everything.
 *   - a FIN rides on the last data segment when the window has room for it.
 * When the window stops it and nothing is in flight, the persist timer starts (timers.c).
 *
 * Receiver side: tcp_rcv_window() applies receiver SWS avoidance (RFC 9293 3.8.6.2.2): the
 * right edge moves only by at least min(buffer/2, MSS), and never left (RFC 9293 3.8.6
 * strongly discourages shrinking the window; rounding to the scale unit goes up).
 *
 * Segmentation offload: where the route's link takes GSO packets (NS_CAP_HW_GSO: the
 * device cuts them, a TAP with a vnet header; NS_CAP_SW_GSO: ns_gso_segment() does, in the
 * NIC's output), tcp_send_one() sends up to 64 KiB in one packet with a GSO descriptor of
 * the current MSS, sized by tcp_gso_goal() (Linux's tcp_tso_autosize()). Every rule above
 * still decides per MSS-sized segment (the window, cwnd, Nagle and SWS only ever hold back
 * the short last segment), and everything counted per segment stays per segment: RACK's
 * transmit records, retransmission counts, Minshall's snd_sml; every segment carries the
 * same options (timestamps, SACK blocks); PSH and FIN go on the last. Retransmissions of
 * holes (sack.c, rack.c) are single segments. TCP checksums are left partial (pseudo-header
 * sum, NS_PKT_CSUM_PARTIAL) for a GSO packet and for a link with NS_CAP_TX_CSUM_OFFLOAD
 * (tcp_send_pkt()).
 *
 * Segments with no connection (RSTs for unknown destinations) are built by tcp_reply_rst().
 */
#include "tcp/tcp.h"

#include <string.h>

#include "netstack/link.h"

#define TCP_MIN_SND_MSS  48     /* Linux TCP_MIN_SND_MSS: floor for a peer's tiny MSS */
#define TCP_TS_OPT_LEN   12     /* NOP NOP TS: what timestamps cost every segment */
#define TCP_GSO_MAX_IP   65535u /* a GSO packet is one IP packet: 16-bit length fields */
#define TCP_GSO_MIN_SEGS 2u     /* Linux tcp_min_tso_segs */

enum tcp_send_result {
	TCP_SENT,
	TCP_STOP_IDLE,   /* nothing to send */
	TCP_STOP_WINDOW, /* the peer's window is too small */
	TCP_STOP_CWND,   /* congestion window full */
	TCP_STOP_NAGLE,  /* Nagle, cork or MSG_MORE holds a short tail */
	TCP_STOP_ERROR,  /* no packet memory */
};

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t ip_hdr_len(const struct tcp_ep *ep)
{
	return ep->tep.family == NS_AF_INET6 ? 40 : 20;
}

uint16_t tcp_adv_mss(const struct tcp_ep *ep)
{
	uint32_t m = 536; /* RFC 9293 3.7.1: the default when nothing better is known */

	if (ep->have_route && ep->route.mtu > ip_hdr_len(ep) + TCP_MIN_HLEN + TCP_MIN_SND_MSS)
		m = ep->route.mtu - ip_hdr_len(ep) - TCP_MIN_HLEN;
	if (ep->user_mss && ep->user_mss < m)
		m = ep->user_mss;
	return (uint16_t)min_u32(m, 65535);
}

void tcp_update_mss(struct tcp_ep *ep)
{
	uint32_t m = tcp_adv_mss(ep);

	/* RFC 9293 3.7.1 (MUST-16): Eff.snd.MSS = min(SendMSS + 20, MMS_S) - TCPhdrsize -
	 * IPoptionsize, where the TCP header includes the options every segment carries. */
	if (ep->peer_mss && ep->peer_mss < m)
		m = ep->peer_mss;
	if ((ep->flags & TCP_F_TS) && m > TCP_TS_OPT_LEN)
		m -= TCP_TS_OPT_LEN;
	if (m < TCP_MIN_SND_MSS)
		m = TCP_MIN_SND_MSS;
	ep->mss = (uint16_t)m;
}

/* Number of SACK blocks the next ACK-bearing segment will carry (tcp_sack_blocks()). */
static unsigned tcp_sack_blocks_owed(const struct tcp_ep *ep)
{
	unsigned max = (ep->flags & TCP_F_TS) ? TCP_MAX_SACK - 1 : TCP_MAX_SACK;
	unsigned n = ep->nooo + ((ep->flags & TCP_F_DSACK_OWED) ? 1u : 0u);

	if (!(ep->flags & TCP_F_SACK))
		return 0;
	/* The block that holds a D-SACKed range is sent once, not twice. */
	if ((ep->flags & TCP_F_DSACK_OWED) && ep->nooo)
		n = ep->nooo + 1;
	return n < max ? n : max;
}

uint32_t tcp_cur_mss(const struct tcp_ep *ep)
{
	/* RFC 9293 3.7.1 (MUST-16): the header size that Eff.snd.MSS subtracts includes the
	 * options this segment carries. ep->mss already allows for timestamps; SACK blocks
	 * come and go with out-of-order data, so they are taken off per segment, as Linux's
	 * tcp_current_mss() does: NOP NOP kind length, then 8 bytes a block (RFC 2018 3). */
	unsigned n = tcp_sack_blocks_owed(ep);
	uint32_t opt = n ? 4u + 8u * n : 0;

	return ep->mss > opt + TCP_MIN_SND_MSS ? ep->mss - opt : TCP_MIN_SND_MSS;
}

uint32_t tcp_ts_now(const struct tcp_ep *ep)
{
	/* A 1 ms timestamp clock (RFC 7323 5.4 allows 1 ms to 1 s), offset per connection. */
	return (uint32_t)(ns_stack_now(ep->ep.stack) / NS_MSEC) + ep->ts_offset;
}

/* ---------------------------------------------------------------- receive window */

static uint32_t rcv_space(const struct tcp_ep *ep)
{
	uint32_t cap = ep->rcv.buf ? ep->rcv.cap : ep->rcv.limit;

	return cap > ep->rcv.len ? cap - ep->rcv.len : 0;
}

static uint32_t rcv_max_window(const struct tcp_ep *ep)
{
	return 65535u << ep->rcv_wscale;
}

static uint32_t rcv_sws_threshold(const struct tcp_ep *ep)
{
	uint32_t half = (ep->rcv.buf ? ep->rcv.cap : ep->rcv.limit) / 2;

	return ep->rcv_mss < half ? ep->rcv_mss : half;
}

static uint32_t rcv_cur_window(const struct tcp_ep *ep)
{
	return seq_gt(ep->rcv_adv, ep->rcv_nxt) ? ep->rcv_adv - ep->rcv_nxt : 0;
}

uint32_t tcp_rcv_window(struct tcp_ep *ep)
{
	uint32_t unit = 1u << ep->rcv_wscale;
	uint32_t space = min_u32(rcv_space(ep), rcv_max_window(ep));
	uint32_t cur = rcv_cur_window(ep);
	uint32_t win = cur;

	/* RFC 9293 3.8.6.2.2: advance the right edge only by min(RCV.BUFF/2, Eff.snd.MSS) or
	 * more, so a slowly reading application does not invite tiny segments. */
	if (space > cur && space - cur >= rcv_sws_threshold(ep))
		win = space & ~(unit - 1);
	/* The scaled field cannot express every value: round up rather than move the right
	 * edge left (RFC 7323 2.4); the ring still bounds what is accepted. */
	if (win < cur)
		win = cur;
	win = (uint32_t)(((uint64_t)win + unit - 1) & ~(uint64_t)(unit - 1));
	if (win > rcv_max_window(ep))
		win = rcv_max_window(ep);
	if (seq_gt(ep->rcv_nxt + win, ep->rcv_adv))
		ep->rcv_adv = ep->rcv_nxt + win;
	return win;
}

bool tcp_window_update_due(const struct tcp_ep *ep)
{
	uint32_t space = min_u32(rcv_space(ep), rcv_max_window(ep));
	uint32_t cur = rcv_cur_window(ep);

	/* As Linux (tcp_cleanup_rbuf): worth an ACK of its own once the window would at least
	 * double, and only past the receiver SWS threshold. */
	return space > cur && space - cur >= rcv_sws_threshold(ep) && space >= 2ull * cur;
}

/* ---------------------------------------------------------------- building segments */

static void tcp_syn_options(struct tcp_ep *ep, struct tcp_repr *h)
{
	const struct tcp_config *c = &ep->ts->cfg;
	/* A SYN offers; a SYN-ACK answers only what the peer's SYN offered (RFC 7323 1.3,
	 * 2.2; RFC 2018 2). */
	bool offer = ep->state == TCP_SYN_SENT;
	uint32_t space = rcv_space(ep);

	h->mss = tcp_adv_mss(ep);
	if (offer ? c->window_scaling : (ep->flags & TCP_F_WS) != 0)
		h->wscale = (int8_t)ep->rcv_wscale;
	h->sack_permitted = offer ? c->sack : (ep->flags & TCP_F_SACK) != 0;
	if (offer ? c->timestamps : (ep->flags & TCP_F_TS) != 0) {
		h->has_ts = true;
		h->tsval = tcp_ts_now(ep);
		h->tsecr = offer ? 0 : ep->ts_recent;
	}
	/* RFC 7323 2.2: the window field of a SYN is never scaled. */
	h->window = (uint16_t)min_u32(space, 65535);
	if (!offer)
		ep->rcv_adv = ep->rcv_nxt + h->window;
}

static void tcp_sack_blocks(const struct tcp_ep *ep, struct tcp_repr *h)
{
	/* Option space: 40 bytes, less 12 for timestamps: 3 blocks with TS, 4 without. */
	unsigned max = h->has_ts ? TCP_MAX_SACK - 1 : TCP_MAX_SACK;

	/* RFC 2883 4: a duplicate just received is the first block (a D-SACK), followed by
	 * the block that contains it, if any (tcp_ooo_insert made it ooo_last). */
	if (ep->flags & TCP_F_DSACK_OWED) {
		h->sack[h->nsack].left = ep->dsack_out.left;
		h->sack[h->nsack].right = ep->dsack_out.right;
		h->nsack++;
	}
	if (!ep->nooo)
		return;
	/* RFC 2018 4: the first block reports the range the latest segment touched, then
	 * the others. */
	h->sack[h->nsack].left = ep->ooo[ep->ooo_last].left;
	h->sack[h->nsack].right = ep->ooo[ep->ooo_last].right;
	h->nsack++;
	for (unsigned i = 0; i < ep->nooo && h->nsack < max; i++) {
		if (i == ep->ooo_last)
			continue;
		h->sack[h->nsack].left = ep->ooo[i].left;
		h->sack[h->nsack].right = ep->ooo[i].right;
		h->nsack++;
	}
}

static void tcp_data_options(struct tcp_ep *ep, struct tcp_repr *h)
{
	if (ep->flags & TCP_F_TS) {
		/* RFC 7323 3.2: once negotiated, every segment carries TSopt. */
		h->has_ts = true;
		h->tsval = tcp_ts_now(ep);
		h->tsecr = ep->ts_recent;
	}
	if ((ep->flags & TCP_F_SACK) && (ep->nooo || (ep->flags & TCP_F_DSACK_OWED)) &&
	    (h->flags & TCP_ACK) && !(h->flags & TCP_RST))
		tcp_sack_blocks(ep, h);
}

/*
 * Build and send [seq, seq + len) with @flags. @seg_mss 0: one segment. Otherwise @len may
 * span several segments of @seg_mss payload bytes each (the last may be shorter): one GSO
 * packet whose header, options included, every segment repeats, cut up by the device or by
 * ns_gso_segment() (flags as a device does: PSH and FIN on the last segment only).
 */
static ns_err tcp_xmit_gso(struct tcp_ep *ep, uint32_t seq, uint8_t flags, uint32_t len,
                           uint32_t seg_mss)
{
	struct ns_stack *s = ep->ep.stack;
	struct tcp_repr h;
	struct ns_pkt *pkt;
	uint32_t hlen, headroom, seg = seg_mss && seg_mss < len ? seg_mss : len;

	if (!ep->have_route)
		return NS_ERR_NO_ROUTE;
	/* What goes out is stamped (TSval here; RACK's transmit time, RTT timing and the RTO
	 * after) with the time it leaves: the write of the previous packet may have run the
	 * peer's whole receive path (a TAP's kernel does, in our thread) and the dispatch's
	 * reading be stale by then. Linux refreshes tcp_mstamp per transmit the same way. */
	ns_stack_now_refresh(s);
	memset(&h, 0, sizeof(h));
	h.src_port = ep->tep.id.lport;
	h.dst_port = ep->tep.id.rport;
	h.seq = seq;
	h.flags = flags;
	h.wscale = -1;
	if (flags & TCP_ACK)
		h.ack = ep->rcv_nxt;
	if (flags & TCP_SYN) {
		tcp_syn_options(ep, &h);
	} else {
		h.window = (uint16_t)(tcp_rcv_window(ep) >> ep->rcv_wscale);
		tcp_data_options(ep, &h);
	}
	hlen = (uint32_t)tcp_repr_hdr_len(&h);
	/* Backstop for tcp_cur_mss(): a segment never leaves larger than the route's MTU
	 * (IPv4 drops it unsent, and the bytes would count as sent); SACK blocks give way. */
	while (h.nsack && ip_hdr_len(ep) + hlen + seg > ep->route.mtu) {
		h.nsack--;
		hlen = (uint32_t)tcp_repr_hdr_len(&h);
	}
	headroom = ep->route.max_header_len + hlen;
	if (headroom < NS_PKT_HEADROOM)
		headroom = NS_PKT_HEADROOM;
	pkt = ns_pkt_alloc(headroom, len);
	if (!pkt) {
		ns_drop(s, NULL, NS_DROP_NO_MEMORY);
		return NS_ERR_NO_MEMORY;
	}
	if (len)
		tcp_ring_copy_out(&ep->snd, seq - ep->snd_una, ns_pkt_data(pkt), len);
	tcp_emit(&h, ns_pkt_push(pkt, NS_HDR_TRANSPORT, hlen));
	if (seg < len) {
		pkt->gso = (struct ns_gso){
		    .type = ep->tep.family == NS_AF_INET6 ? NS_GSO_TCPV6 : NS_GSO_TCPV4,
		    .needs_csum = 1,
		    .mss = (uint16_t)seg,
		    .l3_len = (uint16_t)ip_hdr_len(ep),
		    .csum_off = 16,
		};
	}
	if (flags & TCP_ACK) {
		/* Every ACK-bearing segment settles what was owed. */
		ep->last_ack_sent = ep->rcv_nxt;
		ep->rcv_unacked = 0;
		ep->flags &= ~(TCP_F_ACK_NOW | TCP_F_ACK_DELAYED | TCP_F_DSACK_OWED);
		ns_timer_cancel(s, &ep->delack_timer);
	}
	tcp_count_xmit(ep, seq, len, seg < len ? (len + seg - 1) / seg : 1); /* TCP_INFO */
	/* A failure past this point (no route, link full) is a lost segment: the
	 * retransmission machinery deals with it as with any loss. */
	tcp_send_pkt(s, &ep->route, pkt, ep->ttl, ep->tos);
	return NS_OK;
}

ns_err tcp_xmit(struct tcp_ep *ep, uint32_t seq, uint8_t flags, uint32_t len)
{
	return tcp_xmit_gso(ep, seq, flags, len, 0);
}

void tcp_send_ack(struct tcp_ep *ep)
{
	/* RFC 9293 3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. snd_max is the SND.NXT of
	 * the RFC: after an RTO our snd_nxt moves back, the peer's view does not. */
	tcp_xmit(ep, ep->snd_max, TCP_ACK, 0);
}

void tcp_send_syn(struct tcp_ep *ep)
{
	uint8_t flags = TCP_SYN;

	if (ep->state == TCP_SYN_RCVD)
		flags |= TCP_ACK;
	tcp_xmit(ep, ep->iss, flags, 0);
}

void tcp_send_rst(struct tcp_ep *ep)
{
	tcp_xmit(ep, ep->snd_max, TCP_RST | TCP_ACK, 0);
}

void tcp_send_probe(struct tcp_ep *ep)
{
	/* As Linux (tcp_xmit_probe_skb): an old sequence number draws an ACK carrying the
	 * current window, without committing a byte of data past a closed window. */
	tcp_xmit(ep, ep->snd_una - 1, TCP_ACK, 0);
}

void tcp_reply_rst(struct tcp_stack *ts, const struct tcp_seg *g)
{
	const struct ns_pkt *in = g->pkt;
	struct tcp_repr h;
	struct ns_route r;
	struct ns_pkt *pkt;

	if (g->h.flags & TCP_RST)
		return;
	if (ns_route_find(ts->s, in->nic, &in->dst, &in->src, &r) != NS_OK)
		return;
	memset(&h, 0, sizeof(h));
	h.src_port = g->h.dst_port;
	h.dst_port = g->h.src_port;
	h.wscale = -1;
	if (g->h.flags & TCP_ACK) {
		/* RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST> */
		h.seq = g->h.ack;
		h.flags = TCP_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		h.ack = g->seq + tcp_seg_seqlen(g);
		h.flags = TCP_RST | TCP_ACK;
	}
	pkt = ns_pkt_alloc(NS_PKT_HEADROOM, 0);
	if (!pkt) {
		ns_drop(ts->s, NULL, NS_DROP_NO_MEMORY);
		return;
	}
	tcp_emit(&h, ns_pkt_push(pkt, NS_HDR_TRANSPORT, TCP_MIN_HLEN));
	tcp_send_pkt(ts->s, &r, pkt, 0, 0);
}

/* ---------------------------------------------------------------- send policy */

static bool tcp_state_sends_data(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT || st == TCP_FIN_WAIT_1 ||
	       st == TCP_CLOSING || st == TCP_LAST_ACK;
}

/* May a segment of @len < MSS bytes go now? @wnd_limited: the window cut it short. */
static bool tcp_partial_ok(const struct tcp_ep *ep, uint32_t len, bool wnd_limited)
{
	/* RFC 9293 3.8.6.2.1 (3): at least Fs = 1/2 of the largest window offered. */
	if (wnd_limited)
		return len >= ep->max_snd_wnd / 2;
	if (ep->flags & (TCP_F_CORK | TCP_F_MORE))
		return false;
	if (ep->flags & TCP_F_NODELAY)
		return true;
	/* RFC 9293 3.7.4 Nagle, Minshall's variant (as Linux): hold while an earlier short
	 * segment is unacknowledged. */
	return !(seq_gt(ep->snd_sml, ep->snd_una) && seq_le(ep->snd_sml, ep->snd_nxt));
}

/* Bookkeeping after sending [snd_nxt, snd_nxt + len + fin) as segments of @mss payload
 * bytes (one GSO packet when len > mss): everything counted per segment is counted per
 * segment on the wire, as if each had been sent alone. */
static void tcp_sent(struct tcp_ep *ep, uint32_t len, bool fin, uint32_t mss)
{
	uint32_t seq = ep->snd_nxt, end = seq + len + fin, off = 0;

	/* RACK keeps one transmit record per segment (and a retransmitted segment is
	 * retransmitted for itself), so losses inside a GSO packet are found per segment. */
	do {
		uint32_t piece = len - off < mss ? len - off : mss;
		uint32_t ps = seq + off, pe = ps + piece + (off + piece == len ? fin : 0);

		tcp_rack_sent(ep, ps, pe, seq_lt(ps, ep->snd_max));
		if (seq_lt(ps, ep->snd_max)) {
			ep->total_retrans++;
			tcp_undo_count(ep);
		}
		off += piece;
	} while (off < len);
	if (seq_lt(seq, ep->snd_max)) {
		/* Karn (RFC 6298 3): no RTT sample across a retransmission. */
		ep->flags &= ~TCP_F_RTT_TIMING;
	} else if (len && !(ep->flags & (TCP_F_RTT_TIMING | TCP_F_TS))) {
		ep->rtt_seq = end;
		ep->rtt_start = ns_stack_now(ep->ep.stack);
		ep->flags |= TCP_F_RTT_TIMING;
	}
	/* Minshall's Nagle remembers the end of the last sub-MSS segment: only the last
	 * segment of a GSO packet can be one. */
	if (len % mss)
		ep->snd_sml = end;
	if (fin)
		ep->flags |= TCP_F_FIN_SENT;
	ep->snd_nxt = end;
	if (seq_gt(end, ep->snd_max))
		ep->snd_max = end;
	/* RFC 6298 5.1: start the RTO if it is not running (it replaces the persist timer). */
	if (!ns_timer_armed(&ep->rtx_timer) || (ep->flags & TCP_F_PERSIST))
		tcp_rtx_arm(ep);
}

/*
 * The most payload one packet may carry: one MSS, or with GSO (the route's link segments,
 * in hardware or in software) as many whole MSS as a 64 KiB IP packet holds, bounded as
 * Linux's tcp_tso_autosize() does: about 1 ms of data at the current rate (cwnd per SRTT,
 * counted twice in slow start and 1.2 times after, Linux's pacing ratios) but never fewer
 * than two segments (tcp_min_tso_segs), so a slow path gets small trains rather than 64 KiB
 * bursts, while a fast one gets full-size packets.
 */
static uint32_t tcp_gso_goal(const struct tcp_ep *ep, uint32_t mss)
{
	uint32_t segs;

	if (!(ep->route.caps & (NS_CAP_HW_GSO | NS_CAP_SW_GSO)))
		return mss;
	segs = (TCP_GSO_MAX_IP - ip_hdr_len(ep) - TCP_MAX_HLEN) / mss;
	if ((ep->flags & TCP_F_RTT_VALID) && ep->srtt) {
		uint64_t ratio = ep->cwnd < ep->ssthresh ? 20 : 12; /* tenths */
		uint64_t bytes = (uint64_t)ep->cwnd * ratio * NS_MSEC / 10 / ep->srtt;
		uint64_t want = bytes / mss;

		if (want < TCP_GSO_MIN_SEGS)
			want = TCP_GSO_MIN_SEGS;
		if (want < segs)
			segs = (uint32_t)want;
	}
	return segs ? segs * mss : mss;
}

/* Of @len bytes cut in @mss pieces, the most that fit @cw bytes of congestion window when
 * each piece must fit what is left (0 if not even the first does). */
static uint32_t tcp_fit_cwnd(uint32_t len, uint32_t mss, uint32_t cw)
{
	uint32_t full = len / mss, tail = len % mss, k = cw / mss;

	if (k < full)
		return k * mss;
	return tail <= cw - full * mss ? len : full * mss;
}

static enum tcp_send_result tcp_send_one(struct tcp_ep *ep, bool force)
{
	uint32_t off, lim = ep->snd_una + ep->snd.len;
	uint32_t avail, wnd, cw, len = 0, edge, flight, mss = tcp_cur_mss(ep);
	bool fin_queued = (ep->flags & TCP_F_FIN_QUEUED) != 0, fin, wnd_limited = false;
	bool rexmit_sacked;
	uint8_t flags = TCP_ACK;

	/* Resending after an RTO: skip what the peer SACKed (RFC 6675 5.1), stop before the
	 * next SACKed range. */
	if (ep->nsb && seq_lt(ep->snd_nxt, ep->snd_max)) {
		ep->snd_nxt = tcp_sack_skip(ep, ep->snd_nxt, &lim);
		if (seq_gt(ep->snd_nxt, ep->snd_max))
			ep->snd_nxt = ep->snd_max;
	}
	/* Cut short by a SACKed range: a retransmission, which Nagle does not hold. */
	rexmit_sacked = lim != ep->snd_una + ep->snd.len;
	off = ep->snd_nxt - ep->snd_una;
	if (off > ep->snd.len)
		return TCP_STOP_IDLE; /* the FIN is out */
	avail = lim - ep->snd_nxt;
	if (!avail && !fin_queued)
		return TCP_STOP_IDLE;
	edge = ep->snd_una + ep->snd_wnd;
	wnd = seq_gt(edge, ep->snd_nxt) ? edge - ep->snd_nxt : 0;
	flight = tcp_pipe(ep);
	cw = ep->cwnd;
	/* RFC 3042 limited transmit: on the first two duplicate ACKs, new data while the
	 * flight stays within cwnd + 2 SMSS (with SACK, pipe already discounts what the
	 * duplicates SACKed). */
	if (!(ep->flags & (TCP_F_SACK | TCP_F_IN_RECOVERY)) && ep->dupacks && ep->dupacks < 3 &&
	    ep->snd_nxt == ep->snd_max)
		cw += (uint32_t)ep->dupacks * ep->mss;
	cw = cw > flight ? cw - flight : 0;
	if (avail) {
		/* Decisions are per MSS-sized segment, whether the segments leave one by one or
		 * together as a GSO packet: full segments while the window and cwnd take them,
		 * and a short last one only if it could go on its own. A forced send (persist
		 * probe, F-RTO, TLP) is one segment. */
		uint32_t fit, tail;

		len = min_u32(avail, force ? mss : tcp_gso_goal(ep, mss));
		if (len > wnd) {
			len = wnd;
			wnd_limited = true;
		}
		if (!len)
			return TCP_STOP_WINDOW;
		if (len > cw && !force) {
			fit = tcp_fit_cwnd(len, mss, cw);
			if (!fit)
				return TCP_STOP_CWND;
			if (fit != len)
				wnd_limited = false;
			len = fit;
		}
		/* A queued FIN pushes the tail out (Linux: TCP_NAGLE_OFF on close). */
		tail = len % mss;
		if (tail && !force && !(fin_queued && len == avail) && !rexmit_sacked &&
		    !tcp_partial_ok(ep, tail, wnd_limited)) {
			if (len < mss)
				return wnd_limited ? TCP_STOP_WINDOW : TCP_STOP_NAGLE;
			len -= tail; /* the full segments go; the short tail waits */
		}
	}
	/* The FIN takes a sequence number, so it needs room in the window (as Linux). */
	fin = fin_queued && len == avail && !rexmit_sacked && wnd > len;
	if (!len && !fin)
		return TCP_STOP_WINDOW;
	if (fin)
		flags |= TCP_FIN;
	if (len && len == avail && !rexmit_sacked)
		flags |= TCP_PSH;
	if (ep->snd_una == ep->snd_max)
		ep->una_since = ns_stack_now(ep->ep.stack);
	if (tcp_xmit_gso(ep, ep->snd_nxt, flags, len, mss) != NS_OK)
		return TCP_STOP_ERROR;
	tcp_sent(ep, len, fin, mss);
	return TCP_SENT;
}

static void tcp_output_run(struct tcp_ep *ep, bool force)
{
	enum tcp_send_result r;

	if (!tcp_state_sends_data(ep->state))
		return;
	tcp_sack_output(ep); /* RFC 6675 NextSeg() rule 1 first: lost holes */
	do {
		r = tcp_send_one(ep, force);
		force = false;
	} while (r == TCP_SENT);
	/* RFC 9293 3.8.6.1 zero-window probing: a window too small to use with nothing in
	 * flight would deadlock if the peer's window update were lost. */
	if (r == TCP_STOP_WINDOW && ep->snd_una == ep->snd_max)
		tcp_persist_arm(ep);
	tcp_rack_schedule(ep); /* RFC 8985: the reordering timer or the PTO */
}

void tcp_output(struct tcp_ep *ep)
{
	tcp_output_run(ep, false);
}

void tcp_output_force(struct tcp_ep *ep)
{
	tcp_output_run(ep, true);
}

unsigned tcp_output_new(struct tcp_ep *ep, unsigned n)
{
	uint32_t nxt = ep->snd_nxt;
	unsigned sent = 0;

	/* RFC 5682 2.1 step 2b: previously unsent data, whatever cwnd says (the window
	 * still rules). If none can go, the go-back-N position is kept. */
	if (!tcp_state_sends_data(ep->state))
		return 0;
	ep->snd_nxt = ep->snd_max;
	while (sent < n && tcp_send_one(ep, true) == TCP_SENT)
		sent++;
	if (!sent)
		ep->snd_nxt = nxt;
	return sent;
}

void tcp_retransmit_head(struct tcp_ep *ep)
{
	/* Only what was sent before: bytes queued since are new data, sent (and counted in
	 * snd_max) by tcp_output(), and a SACKed range ends the segment. */
	uint32_t sent = min_u32(ep->snd.len, ep->snd_max - ep->snd_una);
	uint32_t lim = ep->snd_una + sent;
	uint32_t len;
	bool fin;

	tcp_sack_skip(ep, ep->snd_una, &lim);
	if (lim == ep->snd_una) /* SACKed at SND.UNA: a reneging peer; resend anyway */
		lim = ep->snd_una + sent;
	len = min_u32(lim - ep->snd_una, tcp_cur_mss(ep));
	fin = (ep->flags & TCP_F_FIN_SENT) && len == ep->snd.len;
	uint8_t flags = TCP_ACK;
	uint32_t end;

	if (!len && !fin)
		return;
	if (fin)
		flags |= TCP_FIN;
	if (len && len == ep->snd.len)
		flags |= TCP_PSH;
	if (tcp_xmit(ep, ep->snd_una, flags, len) != NS_OK)
		return;
	tcp_rack_sent(ep, ep->snd_una, ep->snd_una + len + fin, true);
	tcp_undo_count(ep);
	ep->flags &= ~TCP_F_RTT_TIMING; /* Karn */
	ep->total_retrans++;
	end = ep->snd_una + len + fin;
	if (seq_lt(ep->snd_nxt, end))
		ep->snd_nxt = end;
	if (!ns_timer_armed(&ep->rtx_timer) || (ep->flags & TCP_F_PERSIST))
		tcp_rtx_arm(ep);
}
