/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: SEGMENT ARRIVES (RFC 9293 3.10.7), one small function per step.
 *
 * tcp_input() dispatches on the state: LISTEN (3.10.7.2), SYN-SENT (3.10.7.3), and every
 * other state (3.10.7.4), which runs the RFC's steps in order, each returning whether
 * processing goes on:
 *   1. tcp_in_check_seq()  acceptability test (+ PAWS, RFC 7323 5.3), trimming to the window
 *   2. tcp_in_check_rst()  RFC 5961 3.2: exact RST resets, in-window RST draws a challenge ACK
 *   4. tcp_in_check_syn()  RFC 5961 4.2: a SYN draws a challenge ACK
 *   5. tcp_in_check_ack()  RFC 5961 5.2 ACK validation, then SND.UNA/window/RTT/cc updates
 *   7. tcp_in_text()       in-order bytes into the receive ring; out-of-order bytes into the
 *                          ring at their offset, their ranges in ep->ooo[] (bounded)
 *   8. tcp_in_fin()        the peer's FIN, in order only
 * (Step 3, security/precedence, is obsolete; step 6, URG, is not supported: urgent data is
 * delivered inline.) Before step 1, TIME_WAIT checks for RFC 6191 reuse by a new SYN.
 *
 * Nothing here sends data or frees the endpoint: steps set flags (ACK now, ACK delayed) and
 * pending waiter events, and tcp_ep_leave() acts on them once the segment is processed,
 * so one ACK answers one segment and the state machine never runs under a callback.
 *
 * Every discard is counted under its reason (NS_DROP_TCP_*: out of window, PAWS, bad ACK,
 * bad RST/SYN, no ACK, out-of-order queue full, listener overflow, bad SYN cookie), as
 * FreeBSD counts each "goto drop". ACKs carry SACK blocks to the scoreboard before
 * SND.UNA moves (sack.c); with SACK, RFC 6675/RACK recovery replaces NewReno's. A
 * listener answers a full SYN queue with SYN cookies and accepts their ACKs
 * (syncookie.c). Duplicate data is reported back as a D-SACK (RFC 2883).
 *
 * Invariant kept: bytes are accepted only within the window we advertised and only where
 * the receive ring has room (the window can run past the free space: by less than a scale
 * unit when rounded up, or more after SO_RCVBUF shrank the ring; the excess is cut and
 * retransmitted), so the ring cannot overflow.
 */
#include "tcp/tcp.h"

#define TCP_QUICKACK_SEGS 8 /* segments ACKed at once after a hole is filled */
#define PAWS_IDLE_NS      (24ull * 24 * 3600 * NS_SEC) /* RFC 7323 5.5: 24 days */

static uint64_t now_ns(const struct tcp_ep *ep)
{
	return ns_stack_now(ep->ep.stack);
}

/* Count a discarded segment (the caller frees the packet): nothing dies silently. */
static void tcp_drop(const struct tcp_ep *ep, enum ns_drop_reason why)
{
	ns_drop(ep->ep.stack, NULL, why);
}

/* ---------------------------------------------------------------- options on SYN */

static uint8_t tcp_wscale_for(uint32_t space)
{
	uint8_t ws = 0;

	/* RFC 7323 2.3: the smallest shift that lets the window cover the buffer. */
	while (ws < TCP_MAX_WSCALE && (space >> ws) > 65535)
		ws++;
	return ws;
}

void tcp_apply_syn_options(struct tcp_ep *ep, const struct tcp_repr *h)
{
	const struct tcp_config *c = &ep->ts->cfg;

	/* RFC 9293 3.7.1: without an MSS option assume 536 (IPv4) or 1220 (IPv6). */
	ep->peer_mss = h->mss ? h->mss : (ep->tep.family == NS_AF_INET6 ? 1220 : 536);
	/* RFC 7323 1.3: scaling only if both sides sent the option. */
	if (h->wscale >= 0 && c->window_scaling) {
		ep->flags |= TCP_F_WS;
		ep->snd_wscale = (uint8_t)h->wscale;
		ep->rcv_wscale = tcp_wscale_for(c->rcvbuf_max);
	} else {
		ep->flags &= ~TCP_F_WS;
		ep->snd_wscale = 0;
		ep->rcv_wscale = 0;
	}
	if (h->has_ts && c->timestamps) {
		ep->flags |= TCP_F_TS;
		ep->ts_recent = h->tsval;
		ep->ts_recent_ns = now_ns(ep);
	}
	if (h->sack_permitted && c->sack) {
		ep->flags |= TCP_F_SACK;
		if (c->rack) /* RACK-TLP needs SACK (RFC 8985 4), as in Linux */
			ep->flags |= TCP_F_RACK;
	}
	tcp_update_mss(ep);
}

/* ---------------------------------------------------------------- LISTEN (3.10.7.2) */

static struct tcp_ep *tcp_listen_child(struct tcp_ep *l, struct tcp_seg *g)
{
	struct ns_pkt *pkt = g->pkt;
	/* An IPv4 SYN to a dual-stack IPv6 listener makes an IPv4 connection that the
	 * application sees v4-mapped. */
	struct tcp_ep *c = tcp_ep_alloc(l->ts, pkt->dst.family);

	if (!c)
		return NULL;
	c->v4mapped =
	    l->v4mapped || (l->tep.family == NS_AF_INET6 && pkt->dst.family == NS_AF_INET);
	c->v6only = l->v6only;
	c->tep.id.local = pkt->dst;
	c->tep.id.lport = g->h.dst_port;
	c->tep.id.remote = pkt->src;
	c->tep.id.rport = g->h.src_port;
	c->tep.nic = l->tep.nic;
	/* Per-socket settings are inherited, as from a Linux listener. */
	c->flags |= l->flags & (TCP_F_NODELAY | TCP_F_KEEPALIVE);
	c->snd.limit = l->snd.limit;
	c->rcv.limit = l->rcv.limit;
	c->rcvbuf_locked = l->rcvbuf_locked;
	c->user_mss = l->user_mss;
	c->keepidle_ns = l->keepidle_ns;
	c->keepintvl_ns = l->keepintvl_ns;
	c->keepcnt = l->keepcnt;
	c->user_timeout_ns = l->user_timeout_ns;
	c->linger_s = l->linger_s;
	c->ttl = l->ttl;
	c->tos = l->tos;
	c->cc = l->cc; /* NS_TCP_CONGESTION is inherited, as in Linux */
	if (ns_route_find(l->ep.stack, pkt->nic, &c->tep.id.local, &c->tep.id.remote, &c->route) !=
	        NS_OK ||
	    tcp_ep_register(c) != NS_OK) {
		tcp_ep_destroy(c);
		return NULL;
	}
	c->have_route = true;
	return c;
}

void tcp_input(struct tcp_ep *ep, struct tcp_seg *g);

/* RFC 4987 3.6: an ACK to a listener may complete a handshake answered with a SYN cookie.
 * True if @g was a valid cookie ACK (consumed: a connection, or a drop if the accept
 * queue is full). */
static bool tcp_listen_cookie_ack(struct tcp_ep *l, struct tcp_seg *g)
{
	const struct tcp_config *cf = &l->ts->cfg;
	struct tcp_cookie ck;
	struct tcp_ep *c;

	if (!cf->syncookies || !tcp_syncookie_check(l, g, &ck)) {
		tcp_drop(l, l->cookie_sent_ns ? NS_DROP_TCP_SYNCOOKIE_BAD : NS_DROP_TCP_BAD_ACK);
		return false;
	}
	if (l->acceptq_len >= l->backlog) {
		/* As Linux: the peer retries, the cookie stays valid a while. */
		tcp_drop(l, NS_DROP_TCP_LISTEN_OVERFLOW);
		return true;
	}
	c = tcp_listen_child(l, g);
	if (!c)
		return true;
	tcp_ep_enter(c);
	tcp_listen_add_child(l, c);
	/* The state the SYN-ACK would have left, rebuilt from the cookie: our SYN is the one
	 * sequence number the ACK acknowledges. */
	c->irs = g->seq - 1;
	c->rcv_nxt = g->seq;
	c->iss = g->h.ack - 1;
	c->snd_una = c->snd_sml = c->recover = c->iss;
	c->snd_nxt = c->snd_max = g->h.ack;
	c->snd_wl1 = g->seq;
	c->snd_wl2 = c->iss;
	c->peer_mss = ck.mss;
	if (ck.wscale >= 0) {
		c->flags |= TCP_F_WS;
		c->snd_wscale = (uint8_t)ck.wscale;
		c->rcv_wscale = tcp_wscale_for(cf->rcvbuf_max);
	} else {
		c->rcv_wscale = 0;
	}
	if (ck.ts) {
		c->flags |= TCP_F_TS;
		c->ts_recent = g->h.tsval;
		c->ts_recent_ns = now_ns(c);
	}
	if (ck.sack) {
		c->flags |= TCP_F_SACK;
		if (cf->rack)
			c->flags |= TCP_F_RACK;
	}
	c->ts_offset = tcp_ts_offset(l->ts, &c->tep.id);
	tcp_update_mss(c);
	c->rcv_adv = c->rcv_nxt + (c->rcv.limit < 65535 ? c->rcv.limit : 65535);
	c->last_ack_sent = c->rcv_nxt;
	tcp_set_state(c, TCP_SYN_RCVD, "LISTEN: ACK with a valid SYN cookie (RFC 4987 3.6)");
	/* The ACK itself (and any data or FIN on it) as in SYN-RECEIVED. */
	tcp_input(c, g);
	tcp_ep_leave(c);
	return true;
}

void tcp_listen_input(struct tcp_ep *l, struct tcp_seg *g, uint32_t iss_hint)
{
	struct tcp_ep *c;

	/* First: an incoming RST is ignored. */
	if (g->h.flags & TCP_RST) {
		tcp_drop(l, NS_DROP_TCP_LISTEN_BAD);
		return;
	}
	/* Second: any ACK is bad here: <SEQ=SEG.ACK><CTL=RST>, unless it answers a SYN
	 * cookie (RFC 4987 3.6). */
	if (g->h.flags & TCP_ACK) {
		if (tcp_listen_cookie_ack(l, g))
			return;
		tcp_reply_rst(l->ts, g);
		return;
	}
	if (!(g->h.flags & TCP_SYN)) {
		tcp_drop(l, NS_DROP_TCP_LISTEN_BAD);
		return;
	}
	/* A SYN with a FIN makes no sense (a connection closed before it opens; scanners use
	 * it to slip past filters): dropped, as Linux's tcp_rcv_state_process() does. RST
	 * and ACK combinations were dealt with above. */
	if (g->h.flags & TCP_FIN) {
		tcp_drop(l, NS_DROP_TCP_BAD_FLAGS);
		return;
	}
	/* RFC 1122 4.2.3.10: a SYN to a broadcast or multicast address is dropped. */
	if (g->pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST)) {
		tcp_drop(l, NS_DROP_TCP_LISTEN_BAD);
		return;
	}
	/* The SYN queue and the accept queue are each bounded by the backlog. A full accept
	 * queue drops the SYN (the peer retries); a full SYN queue is answered with a SYN
	 * cookie (RFC 4987 3.6), as Linux's tcp_syncookies = 1. */
	if (l->acceptq_len >= l->backlog) {
		tcp_drop(l, NS_DROP_TCP_LISTEN_OVERFLOW);
		return;
	}
	if (l->synq_len >= l->backlog) {
		if (l->ts->cfg.syncookies)
			tcp_syncookie_send(l, g);
		else
			tcp_drop(l, NS_DROP_TCP_LISTEN_OVERFLOW);
		return;
	}
	c = tcp_listen_child(l, g);
	if (!c)
		return;
	tcp_ep_enter(c);
	tcp_listen_add_child(l, c);
	tcp_passive_open(c, &g->h, iss_hint,
	                 "LISTEN: SYN received, SYN-ACK sent (RFC 9293 3.10.7.2)");
	tcp_ep_leave(c);
}

void tcp_passive_open(struct tcp_ep *c, const struct tcp_repr *syn, uint32_t iss_hint,
                      const char *why)
{
	c->segs_in++; /* the SYN (a listener counted it too, as Linux) */
	/* Third: RCV.NXT = SEG.SEQ + 1, IRS = SEG.SEQ, ISS chosen, SYN-ACK sent. */
	c->irs = syn->seq;
	c->rcv_nxt = syn->seq + 1;
	tcp_apply_syn_options(c, syn);
	c->iss = iss_hint ? iss_hint : tcp_isn(c->ts, &c->tep.id);
	c->ts_offset = tcp_ts_offset(c->ts, &c->tep.id);
	c->snd_una = c->snd_sml = c->recover = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->snd_wnd = c->max_snd_wnd = syn->window; /* RFC 7323 2.2: not scaled in a SYN */
	c->snd_wl1 = syn->seq;
	c->snd_wl2 = c->iss;
	tcp_set_state(c, TCP_SYN_RCVD, why);
	tcp_send_syn(c);
	c->rtt_seq = c->iss + 1;
	c->rtt_start = now_ns(c);
	c->flags |= TCP_F_RTT_TIMING;
	tcp_rtx_arm(c);
	/* Data on a SYN is not queued (no TCP Fast Open): the peer sends it again. */
}

/* ---------------------------------------------------------------- SYN-SENT (3.10.7.3) */

static void tcp_in_text(struct tcp_ep *ep, struct tcp_seg *g);
static void tcp_in_fin(struct tcp_ep *ep, struct tcp_seg *g);
static void tcp_ack_rtt(struct tcp_ep *ep, const struct tcp_seg *g);

static void tcp_in_syn_sent(struct tcp_ep *ep, struct tcp_seg *g)
{
	uint8_t f = g->h.flags;

	/* First: an ACK must acknowledge our SYN, or it draws <SEQ=SEG.ACK><CTL=RST>. */
	if ((f & TCP_ACK) && (seq_le(g->h.ack, ep->iss) || seq_gt(g->h.ack, ep->snd_max))) {
		tcp_drop(ep, NS_DROP_TCP_BAD_ACK);
		if (!(f & TCP_RST))
			tcp_reply_rst(ep->ts, g);
		return;
	}
	/* Second: a RST counts only with an acceptable ACK (RFC 5961 3.2 for SYN-SENT). */
	if (f & TCP_RST) {
		if (f & TCP_ACK)
			tcp_ep_abort(ep, NS_ERR_CONNECTION_REFUSED, false,
			             "SYN_SENT: RST with ACK of our SYN, connection refused");
		else
			tcp_drop(ep, NS_DROP_TCP_BAD_RST);
		return;
	}
	if (!(f & TCP_SYN)) {
		tcp_drop(ep, NS_DROP_TCP_UNEXPECTED);
		return;
	}
	/* Fourth: the SYN. */
	ep->irs = g->seq;
	ep->rcv_nxt = g->seq + 1;
	tcp_apply_syn_options(ep, &g->h);
	ep->rcv_adv = ep->rcv_nxt + (ep->rcv.limit < 65535 ? ep->rcv.limit : 65535);
	ep->snd_wnd = ep->max_snd_wnd = g->h.window; /* never scaled in a SYN */
	ep->snd_wl1 = g->seq;
	ep->snd_wl2 = g->h.ack;
	if (!(f & TCP_ACK)) {
		/* Simultaneous open (RFC 9293 3.5 figure 8). */
		tcp_set_state(ep, TCP_SYN_RCVD, "SYN_SENT: SYN without ACK (simultaneous open)");
		tcp_send_syn(ep);
		tcp_rtx_arm(ep);
		return;
	}
	tcp_ack_rtt(ep, g);
	ep->snd_una = g->h.ack;
	ep->backoff = 0;
	tcp_rtx_stop(ep);
	tcp_set_state(ep, TCP_ESTABLISHED, "SYN_SENT: SYN-ACK acknowledges our SYN");
	ep->flags |= TCP_F_ACK_NOW;
	/* "If there are other controls or text in the segment, continue processing at the
	 * sixth step": data and FIN carried by the SYN-ACK. */
	g->seq++;
	g->h.flags &= (uint8_t)~TCP_SYN;
	tcp_in_text(ep, g);
	tcp_in_fin(ep, g);
}

/* ---------------------------------------------------------------- ACKs to invalid segments */

/*
 * A segment we reject (out of the window, PAWS, a RST or SYN in the window, an ACK of
 * nothing we sent) is answered with an ACK (RFC 9293 3.10.7.4; RFC 5961 challenge ACKs).
 * A flood of them must not turn into a flood of ACKs, nor two stacks that disagree into an
 * ACK loop: one such ACK per connection per oow_ratelimit_ns (500 ms), as Linux's
 * __tcp_oow_rate_limited(). Challenge ACKs also share a stack-wide budget (RFC 5961 7).
 */
bool tcp_oow_rate_limited(struct tcp_ep *ep)
{
	uint64_t now = now_ns(ep);

	if (ep->last_oow_ack && now - ep->last_oow_ack < ep->ts->cfg.oow_ratelimit_ns) {
		ns_stat_inc(ep->ep.stack, NS_STAT_TCP_ACK_RATE_LIMITED);
		return true;
	}
	ep->last_oow_ack = now ? now : 1;
	return false;
}

/* The duplicate ACK for an unacceptable segment. As Linux's tcp_oow_rate_limited(), a
 * segment that occupies sequence space without a SYN (data or a FIN) is answered every
 * time: it is most likely a retransmission whose ACK was lost, and only bare ACKs and
 * SYNs can make an ACK loop. */
static void tcp_oow_ack(struct tcp_ep *ep, const struct tcp_seg *g)
{
	if ((tcp_seg_seqlen(g) && !(g->h.flags & TCP_SYN)) || !tcp_oow_rate_limited(ep))
		ep->flags |= TCP_F_ACK_NOW;
}

void tcp_send_challenge_ack(struct tcp_ep *ep)
{
	struct tcp_stack *ts = ep->ts;
	uint32_t limit = ts->cfg.challenge_ack_limit;

	/* First the connection's own limit, then the stack's (Linux's order). */
	if (tcp_oow_rate_limited(ep))
		return;
	if (limit != UINT32_MAX) {
		uint64_t slot = now_ns(ep) / NS_SEC;

		/* RFC 5961 7 asks for a budget per unit of time. A fixed one is a side channel
		 * (CVE-2016-5696: an off-path attacker counts how many of its own challenge ACKs
		 * are suppressed to learn whether a guessed 4-tuple exists), so each second's
		 * budget is drawn uniformly from [limit/2, limit * 3/2), as Linux does. */
		if (slot != ts->challenge_slot) {
			uint32_t half = limit / 2 + (limit & 1);

			ts->challenge_slot = slot;
			ts->challenge_left =
			    limit ? half + (uint32_t)(ns_stack_random(ts->s) % limit) : 0;
		}
		if (!ts->challenge_left) {
			ns_stat_inc(ts->s, NS_STAT_TCP_CHALLENGE_ACK_LIMITED);
			return;
		}
		ts->challenge_left--;
	}
	ns_stat_inc(ts->s, NS_STAT_TCP_CHALLENGE_ACKS);
	tcp_send_ack(ep);
}

/* ---------------------------------------------------------------- step 1: sequence */

static uint32_t tcp_rcv_wnd(const struct tcp_ep *ep)
{
	return seq_gt(ep->rcv_adv, ep->rcv_nxt) ? ep->rcv_adv - ep->rcv_nxt : 0;
}

/* RFC 7323 5.3 R1: a segment whose timestamp is older than TS.Recent is an old duplicate
 * (unless TS.Recent is over 24 days old, 5.5). */
static bool tcp_paws_reject(const struct tcp_ep *ep, const struct tcp_seg *g)
{
	if (!(ep->flags & TCP_F_TS) || !g->h.has_ts || (g->h.flags & TCP_RST))
		return false;
	if (!seq_lt(g->h.tsval, ep->ts_recent))
		return false;
	return now_ns(ep) - ep->ts_recent_ns <= PAWS_IDLE_NS;
}

/* RFC 9293 3.10.7.4 first: the four-case acceptability test, in its "segment overlaps the
 * window" reading. The RFC's text tests that the first or the last octet lies in the
 * window, which rejects a segment that begins below RCV.NXT and ends past the window
 * although its middle is new and acceptable; the RFC's own trimming rule ("segments with
 * higher beginning sequence numbers ... the portion ... that lies outside the window
 * should be trimmed") and Linux's tcp_sequence() accept any overlap, and trim. */
static bool tcp_seq_acceptable(const struct tcp_ep *ep, const struct tcp_seg *g, uint32_t wnd)
{
	uint32_t slen = tcp_seg_seqlen(g), nxt = ep->rcv_nxt;

	if (slen == 0)
		return wnd == 0 ? g->seq == nxt : seq_in(g->seq, nxt, nxt + wnd);
	if (wnd == 0)
		return false;
	return seq_lt(g->seq, nxt + wnd) && seq_gt(g->seq + slen, nxt);
}

/* Cut what lies before RCV.NXT or past the window; a FIN past it goes too. Never called
 * for a SYN (tcp_in_check_seq()): RFC 5961 4.2 discards it whatever its sequence number,
 * and cutting the SYN off one that straddles RCV.NXT would deliver its data. */
static void tcp_trim_to_window(struct tcp_ep *ep, struct tcp_seg *g, uint32_t wnd)
{
	if (seq_lt(g->seq, ep->rcv_nxt)) {
		uint32_t d = ep->rcv_nxt - g->seq;

		if (d > g->len)
			d = g->len;
		tcp_sack_note_dup(ep, g->seq, g->seq + d); /* RFC 2883 4: the repeated part */
		g->data += d;
		g->len -= d;
		g->seq += d;
	}
	/* Past the right edge. A FIN right after in-window data is kept (as Linux). */
	if (g->len > wnd - (g->seq - ep->rcv_nxt)) {
		g->len = wnd - (g->seq - ep->rcv_nxt);
		g->h.flags &= (uint8_t)~TCP_FIN;
		ep->flags |= TCP_F_ACK_NOW; /* tell the peer what we took */
	}
}

static bool tcp_in_check_seq(struct tcp_ep *ep, struct tcp_seg *g)
{
	uint32_t wnd = tcp_rcv_wnd(ep);
	bool rst = (g->h.flags & TCP_RST) != 0;

	/* RFC 5961 4.2: a SYN (without RST, which step 2 judges) is answered with a
	 * challenge ACK and discarded "irrespective of the sequence number": in the window
	 * by step 4 (tcp_in_check_syn(), untrimmed), outside it or PAWS-rejected here, as
	 * Linux's tcp_validate_incoming() does ("goto syn_challenge"), under the same
	 * budget. */
	if ((g->h.flags & (TCP_SYN | TCP_RST)) == TCP_SYN) {
		if (tcp_seq_acceptable(ep, g, wnd) && !tcp_paws_reject(ep, g))
			return true;
		tcp_drop(ep, NS_DROP_TCP_BAD_SYN);
		tcp_send_challenge_ack(ep);
		return false;
	}
	if (tcp_paws_reject(ep, g)) {
		tcp_drop(ep, NS_DROP_TCP_PAWS);
		tcp_oow_ack(ep, g);
		return false;
	}
	if (!tcp_seq_acceptable(ep, g, wnd)) {
		/* "If RCV.WND is zero ... special allowance should be made to accept valid
		 * ACKs": a segment at RCV.NXT keeps its ACK, loses its data. */
		if (!rst && wnd == 0 && g->seq == ep->rcv_nxt) {
			/* A bare FIN is taken even so (as Linux): it needs no buffer. */
			if (g->len)
				g->h.flags &= (uint8_t)~TCP_FIN;
			g->len = 0;
			ep->flags |= TCP_F_ACK_NOW;
			return true;
		}
		/* Not acceptable: an ACK in reply unless it is a RST (and for a retransmitted
		 * FIN in TIME_WAIT, a fresh 2*MSL, RFC 9293 3.10.7.4 eighth). */
		tcp_drop(ep, rst ? NS_DROP_TCP_BAD_RST : NS_DROP_TCP_OUT_OF_WINDOW);
		if (!rst) {
			tcp_oow_ack(ep, g);
			/* RFC 2883 4: data wholly below RCV.NXT is a duplicate: say so. */
			if (g->len && !(g->h.flags & TCP_SYN) &&
			    seq_le(g->seq + g->len, ep->rcv_nxt))
				tcp_sack_note_dup(ep, g->seq, g->seq + g->len);
			if (ep->state == TCP_TIME_WAIT && (g->h.flags & TCP_FIN))
				tcp_timewait_arm(ep);
		}
		return false;
	}
	if (!rst)
		tcp_trim_to_window(ep, g, wnd);
	return true;
}

/* RFC 7323 4.3: TS.Recent follows the segment that covers Last.ACK.sent. */
static void tcp_update_ts_recent(struct tcp_ep *ep, const struct tcp_seg *g)
{
	if (!(ep->flags & TCP_F_TS) || !g->h.has_ts)
		return;
	if (seq_ge(g->h.tsval, ep->ts_recent) && seq_le(g->h.seq, ep->last_ack_sent)) {
		ep->ts_recent = g->h.tsval;
		ep->ts_recent_ns = now_ns(ep);
	}
}

/* ---------------------------------------------------------------- step 2: RST */

static void tcp_in_check_rst(struct tcp_ep *ep, struct tcp_seg *g)
{
	/* RFC 5961 3.2: only an exact match resets; anything else in the window may be a
	 * blind attack, answered with a challenge ACK the real peer will answer with a RST
	 * at the right sequence number. */
	if (g->h.seq != ep->rcv_nxt) {
		tcp_drop(ep, NS_DROP_TCP_BAD_RST);
		tcp_send_challenge_ack(ep);
		return;
	}
	switch (ep->state) {
	case TCP_SYN_RCVD:
		if (ep->listener) {
			tcp_set_state(ep, TCP_CLOSED,
			              "SYN_RCVD: RST, passive open returns to LISTEN");
			return;
		}
		tcp_ep_abort(ep, NS_ERR_CONNECTION_REFUSED, false,
		             "SYN_RCVD: RST (simultaneous open or forwarded connection)");
		return;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		tcp_ep_abort(ep, NS_ERR_CONNECTION_RESET, false, "RST: connection reset by peer");
		return;
	default: /* CLOSING, LAST_ACK, TIME_WAIT */
		tcp_set_state(ep, TCP_CLOSED, "RST while closing");
		return;
	}
}

/* ---------------------------------------------------------------- step 4: SYN */

static void tcp_in_check_syn(struct tcp_ep *ep, struct tcp_seg *g)
{
	/* RFC 9293 3.10.7.4 fourth: a passive open in SYN-RECEIVED returns to LISTEN. */
	if (ep->state == TCP_SYN_RCVD && ep->listener) {
		tcp_set_state(ep, TCP_CLOSED, "SYN_RCVD: new SYN, passive open returns to LISTEN");
		return;
	}
	/* RFC 5961 4.2: whatever the sequence number, a challenge ACK; a peer that really
	 * restarted answers it with a RST at the right sequence number. */
	tcp_drop(ep, NS_DROP_TCP_BAD_SYN);
	tcp_send_challenge_ack(ep);
}

/* ---------------------------------------------------------------- step 5: ACK */

static void tcp_ack_rtt(struct tcp_ep *ep, const struct tcp_seg *g)
{
	/* RFC 7323 4.1: with timestamps, every ACK that advances SND.UNA gives a sample from
	 * the echoed TSval; otherwise the one timed segment, if Karn allows (RFC 6298 3). */
	if ((ep->flags & TCP_F_TS) && g->h.has_ts && g->h.tsecr) {
		uint32_t ms = tcp_ts_now(ep) - g->h.tsecr;

		if (ms < 0x7fffffffu)
			tcp_rtt_sample(ep, (uint64_t)ms * NS_MSEC);
		return;
	}
	if ((ep->flags & TCP_F_RTT_TIMING) && seq_ge(g->h.ack, ep->rtt_seq)) {
		ep->flags &= ~TCP_F_RTT_TIMING;
		tcp_rtt_sample(ep, now_ns(ep) - ep->rtt_start);
	}
}

static bool tcp_snd_writable(const struct tcp_ep *ep)
{
	uint32_t cap = ep->snd.buf ? ep->snd.cap : ep->snd.limit;
	uint32_t space = cap > ep->snd.len ? cap - ep->snd.len : 0;

	/* As Linux (sk_stream_is_writeable): free space at least half of what is queued. */
	return space > 0 && space >= ep->snd.len / 2;
}

/* SND.UNA advances to @ack: drop acknowledged bytes, sample RTT, restart the RTO. */
static void tcp_ack_advance(struct tcp_ep *ep, const struct tcp_seg *g)
{
	uint32_t acked = g->h.ack - ep->snd_una;
	uint32_t data = acked < ep->snd.len ? acked : ep->snd.len;
	bool was_writable = tcp_snd_writable(ep);

	tcp_ack_rtt(ep, g);
	tcp_ring_drop(&ep->snd, data);
	tcp_ring_apply_limit(&ep->snd, true); /* an SO_SNDBUF change waiting for it */
	ep->bytes_acked += data;
	ep->snd_una = g->h.ack;
	if (seq_lt(ep->snd_nxt, ep->snd_una))
		ep->snd_nxt = ep->snd_una;
	ep->backoff = 0;
	ep->una_since = now_ns(ep);
	/* Congestion control counts data bytes: not our SYN or FIN. With SACK, RFC 6675
	 * recovery (sack.c) replaces NewReno's (cc.c). */
	if (ep->flags & TCP_F_SACK) {
		tcp_sack_on_ack(ep, data, false); /* counts what was delivered, SACKs too */
	} else {
		tcp_count_delivered(ep, data);
		tcp_cc_ack(ep, data, false);
	}
	/* RFC 6298 5.2, 5.3: stop when all is acknowledged, else restart. */
	if (ep->snd_una == ep->snd_max)
		tcp_rtx_stop(ep);
	else if (!(ep->flags & TCP_F_PERSIST))
		tcp_rtx_arm(ep);
	if (!was_writable && tcp_snd_writable(ep))
		ep->pending_ev |= NS_EV_OUT;
}

/* RFC 9293 3.10.7.4 fifth, the window update (SND.WL1/SND.WL2 guard old segments). */
static void tcp_snd_window_update(struct tcp_ep *ep, const struct tcp_seg *g)
{
	uint32_t wnd = (uint32_t)g->h.window << ep->snd_wscale;

	if (!(seq_lt(ep->snd_wl1, g->h.seq) ||
	      (ep->snd_wl1 == g->h.seq && seq_le(ep->snd_wl2, g->h.ack))))
		return;
	ep->snd_wnd = wnd;
	ep->snd_wl1 = g->h.seq;
	ep->snd_wl2 = g->h.ack;
	if (wnd > ep->max_snd_wnd)
		ep->max_snd_wnd = wnd;
	/* The window opened: the persist timer's job is done. */
	if (wnd && (ep->flags & TCP_F_PERSIST)) {
		tcp_rtx_stop(ep);
		ep->backoff = 0;
	}
}

static bool tcp_fin_acked(const struct tcp_ep *ep)
{
	return (ep->flags & TCP_F_FIN_SENT) && ep->snd_una == ep->snd_max;
}

/* SYN-RECEIVED: our SYN is acknowledged (or the ACK is bad and draws a RST). */
static bool tcp_in_ack_syn_rcvd(struct tcp_ep *ep, struct tcp_seg *g)
{
	if (!seq_gt(g->h.ack, ep->snd_una) || seq_gt(g->h.ack, ep->snd_max)) {
		tcp_drop(ep, NS_DROP_TCP_BAD_ACK);
		tcp_reply_rst(ep->ts, g);
		return false;
	}
	/* A full accept queue: drop the ACK, stay in SYN-RECEIVED and let the SYN-ACK
	 * retransmission retry (as Linux without tcp_abort_on_overflow). */
	if (ep->listener && !tcp_listen_child_established(ep)) {
		tcp_drop(ep, NS_DROP_TCP_LISTEN_OVERFLOW);
		return false;
	}
	tcp_set_state(ep, TCP_ESTABLISHED, "SYN_RCVD: ACK of our SYN");
	ep->snd_wnd = (uint32_t)g->h.window << ep->snd_wscale;
	ep->max_snd_wnd = ep->snd_wnd;
	ep->snd_wl1 = g->h.seq;
	ep->snd_wl2 = g->h.ack;
	return true;
}

static bool tcp_in_check_ack(struct tcp_ep *ep, struct tcp_seg *g)
{
	uint32_t ack = g->h.ack, sacked = 0;
	bool dup, advanced, in_rec;

	if (!(g->h.flags & TCP_ACK)) {
		tcp_drop(ep, NS_DROP_TCP_NO_ACK); /* "if the ACK bit is off, drop the segment" */
		return false;
	}
	if (ep->state == TCP_SYN_RCVD && !tcp_in_ack_syn_rcvd(ep, g))
		return false;
	/* RFC 5961 5.2: acceptable if SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT; otherwise
	 * discard and ACK (a challenge ACK for data never sent). */
	if (seq_gt(ack, ep->snd_max)) {
		tcp_drop(ep, NS_DROP_TCP_BAD_ACK);
		tcp_send_challenge_ack(ep);
		return false;
	}
	if (seq_lt(ack, ep->snd_una - ep->max_snd_wnd)) {
		/* Too old: RFC 5961 5.2 "discard ... and send an ACK"; a challenge ACK, rate
		 * limited like the others (as Linux's tcp_ack()). */
		tcp_drop(ep, NS_DROP_TCP_BAD_ACK);
		tcp_send_challenge_ack(ep);
		return false;
	}
	ep->probes_out = 0;
	ep->last_ack_recv = now_ns(ep);
	/* RFC 5681 2: a duplicate ACK acknowledges nothing new, carries no data, SYN or FIN,
	 * leaves the window alone, and data is outstanding. */
	dup = ack == ep->snd_una && g->len == 0 && !(g->h.flags & (TCP_SYN | TCP_FIN)) &&
	      ((uint32_t)g->h.window << ep->snd_wscale) == ep->snd_wnd &&
	      ep->snd_una != ep->snd_max;
	/* RFC 6675 2: SACK blocks are scored before SND.UNA moves (validated against it). */
	if (ep->flags & TCP_F_SACK)
		sacked = tcp_sack_rcv(ep, g);
	advanced = seq_gt(ack, ep->snd_una);
	in_rec = (ep->flags & TCP_F_IN_RECOVERY) != 0;
	if (advanced)
		tcp_ack_advance(ep, g);
	else if (ep->flags & TCP_F_SACK)
		/* RFC 6675 2: an ACK that SACKs new data counts as a duplicate too. */
		tcp_sack_on_ack(ep, 0, dup || (sacked && ack == ep->snd_una));
	else if (dup)
		tcp_cc_ack(ep, 0, true);
	/* NewReno's fast retransmit (cc.c) just started an episode. */
	if (!in_rec && (ep->flags & TCP_F_IN_RECOVERY) && !(ep->flags & TCP_F_SACK))
		tcp_undo_begin(ep, false);
	tcp_undo_on_ack(ep, g, dup, advanced);
	tcp_snd_window_update(ep, g);

	switch (ep->state) {
	case TCP_FIN_WAIT_1:
		if (tcp_fin_acked(ep))
			tcp_set_state(ep, TCP_FIN_WAIT_2, "FIN_WAIT_1: our FIN acknowledged");
		break;
	case TCP_CLOSING:
		if (tcp_fin_acked(ep))
			tcp_set_state(ep, TCP_TIME_WAIT, "CLOSING: our FIN acknowledged");
		break;
	case TCP_LAST_ACK:
		if (tcp_fin_acked(ep)) {
			tcp_set_state(ep, TCP_CLOSED, "LAST_ACK: our FIN acknowledged");
			return false;
		}
		break;
	default:
		break;
	}
	return true;
}

/* ---------------------------------------------------------------- step 7: text */

/* Insert [l, r) into the sorted, disjoint out-of-order ranges, merging neighbours; the
 * merged range becomes ooo_last. False (ranges unchanged) if it would need more than
 * TCP_OOO_MAX ranges. */
static bool tcp_ooo_insert(struct tcp_ep *ep, uint32_t l, uint32_t r)
{
	unsigned n = ep->nooo, at;

	if (!tcp_range_insert(ep->ooo, &n, TCP_OOO_MAX, (struct tcp_range){l, r}, &at))
		return false;
	ep->nooo = (uint8_t)n;
	ep->ooo_last = (uint8_t)at;
	return true;
}

/* After RCV.NXT advanced: absorb out-of-order ranges it has reached. True if any. */
static bool tcp_ooo_absorb(struct tcp_ep *ep)
{
	unsigned i = 0;

	while (i < ep->nooo && seq_le(ep->ooo[i].left, ep->rcv_nxt)) {
		if (seq_gt(ep->ooo[i].right, ep->rcv_nxt)) {
			ep->rcv.len += ep->ooo[i].right - ep->rcv_nxt;
			ep->rcv_nxt = ep->ooo[i].right;
		}
		i++;
	}
	if (!i)
		return false;
	for (unsigned j = i; j < ep->nooo; j++)
		ep->ooo[j - i] = ep->ooo[j];
	ep->nooo = (uint8_t)(ep->nooo - i);
	ep->ooo_last = 0;
	return true;
}

static void tcp_rcv_in_order(struct tcp_ep *ep, struct tcp_seg *g)
{
	uint32_t room = ep->rcv.cap - ep->rcv.len;
	uint32_t n = g->len < room ? g->len : room;
	bool filled;

	/* The advertised window may exceed the ring's free space by less than one scale
	 * unit (tcp_rcv_window() rounds up rather than shrink the right edge, RFC 7323 2.4):
	 * what does not fit is cut, FIN included, and the sender resends it. */
	if (n < g->len) {
		g->len = n;
		g->h.flags &= (uint8_t)~TCP_FIN;
	}
	tcp_ring_copy_in(&ep->rcv, ep->rcv.len, g->data, n);
	ep->rcv.len += n;
	ep->rcv_nxt += n;
	ep->rcv_unacked += n;
	filled = tcp_ooo_absorb(ep);
	ep->pending_ev |= NS_EV_IN;
	/* RFC 5681 4.2: ACK at once when a segment fills a hole (and keep ACKing quickly for
	 * a while, as Linux's quick-ACK mode after loss); otherwise at least every second
	 * full-sized segment (RFC 1122 4.2.3.2), else after the delayed-ACK timeout. */
	if (filled || ep->nooo)
		ep->quickack = TCP_QUICKACK_SEGS;
	if (ep->quickack) {
		ep->quickack--;
		ep->flags |= TCP_F_ACK_NOW;
	} else if (ep->rcv_unacked >= 2u * ep->rcv_mss) {
		ep->flags |= TCP_F_ACK_NOW;
	} else {
		ep->flags |= TCP_F_ACK_DELAYED;
	}
}

static void tcp_rcv_out_of_order(struct tcp_ep *ep, const struct tcp_seg *g)
{
	uint32_t off = g->seq - ep->rcv_nxt;

	/* RFC 5681 4.2: an out-of-order segment draws an immediate duplicate ACK (with SACK
	 * blocks, RFC 2018), whether or not its bytes are kept. */
	ep->flags |= TCP_F_ACK_NOW;
	/* RFC 2883 4: bytes we already hold out of order are reported as a D-SACK. */
	for (unsigned i = 0; i < ep->nooo; i++) {
		uint32_t l = seq_max(ep->ooo[i].left, g->seq);
		uint32_t r = seq_min(ep->ooo[i].right, g->seq + g->len);

		if (seq_lt(l, r)) {
			tcp_sack_note_dup(ep, l, r);
			break;
		}
	}
	if (ep->rcv.len + off + g->len > ep->rcv.cap ||
	    !tcp_ooo_insert(ep, g->seq, g->seq + g->len)) {
		/* Too many holes (or no room: the window's rounding, see above): the
		 * sender will retransmit. */
		tcp_drop(ep, NS_DROP_TCP_OOO_FULL);
		return;
	}
	tcp_ring_copy_in(&ep->rcv, ep->rcv.len + off, g->data, g->len);
}

static void tcp_in_text(struct tcp_ep *ep, struct tcp_seg *g)
{
	uint16_t adv = tcp_adv_mss(ep);

	if (!g->len)
		return;
	/* "In the states CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT ... ignore the text". */
	if (ep->state != TCP_ESTABLISHED && ep->state != TCP_FIN_WAIT_1 &&
	    ep->state != TCP_FIN_WAIT_2)
		return;
	/* New data for a connection the application closed: nobody will read it. As Linux
	 * (and RFC 2525 2.17), reset rather than pretend it was delivered. */
	if (!(ep->flags & TCP_F_APP) && !ep->listener) {
		tcp_ep_abort(ep, NS_ERR_ABORTED, true, "data after close(): RST");
		return;
	}
	if (!tcp_ring_reserve(&ep->rcv)) {
		ns_drop(ep->ep.stack, NULL, NS_DROP_NO_MEMORY);
		return;
	}
	/* The peer's segment size, for the every-second-segment ACK rule (Linux's rcv_mss):
	 * a super-frame's is its gso.mss (tcp_measure_rcv_mss()). */
	uint32_t seg_size = tcp_seg_gso_segs(g) > 1 ? g->pkt->gso.mss : g->len;
	if (seg_size > ep->rcv_mss)
		ep->rcv_mss = (uint16_t)(seg_size < adv ? seg_size : adv);
	ep->last_data_recv = now_ns(ep);
	if (g->seq == ep->rcv_nxt) {
		uint32_t nxt = ep->rcv_nxt;

		tcp_rcv_in_order(ep, g);
		ep->bytes_received += ep->rcv_nxt - nxt;
	} else {
		ep->rcv_ooopack += tcp_seg_gso_segs(g);
		tcp_rcv_out_of_order(ep, g);
	}
	tcp_rcv_rtt_measure(ep, g);
}

/* ---------------------------------------------------------------- step 8: FIN */

static void tcp_in_fin(struct tcp_ep *ep, struct tcp_seg *g)
{
	bool fin_now = false;

	if (g->h.flags & TCP_FIN) {
		uint32_t fseq = g->seq + g->len;

		if (fseq == ep->rcv_nxt) {
			fin_now = true;
		} else if (seq_gt(fseq, ep->rcv_nxt)) {
			/* Beyond a hole: remember it until the bytes before it arrive. */
			ep->flags |= TCP_F_OOO_FIN;
			ep->ooo_fin_seq = fseq;
		}
	} else if ((ep->flags & TCP_F_OOO_FIN) && ep->ooo_fin_seq == ep->rcv_nxt) {
		fin_now = true;
	}
	if (!fin_now || (ep->flags & TCP_F_FIN_RCVD))
		return;
	ep->flags = (ep->flags | TCP_F_FIN_RCVD) & ~TCP_F_OOO_FIN;
	ep->rcv_nxt++;
	/* Bytes held out of order beyond the FIN can never be delivered (a broken or hostile
	 * peer): dropped, as Linux's tcp_fin() purges its out-of-order queue, so no SACK
	 * block reports them and they pin no ring through TIME_WAIT. */
	ep->nooo = 0;
	ep->ooo_last = 0;
	ep->flags |= TCP_F_ACK_NOW;
	ep->pending_ev |= NS_EV_IN | NS_EV_RDHUP;
	switch (ep->state) {
	case TCP_SYN_RCVD:
	case TCP_ESTABLISHED:
		tcp_set_state(ep, TCP_CLOSE_WAIT, "FIN received");
		break;
	case TCP_FIN_WAIT_1:
		/* Our FIN not yet acknowledged: simultaneous close (RFC 9293 3.6 figure 13). */
		tcp_set_state(ep, TCP_CLOSING, "FIN_WAIT_1: FIN received (simultaneous close)");
		break;
	case TCP_FIN_WAIT_2:
		tcp_set_state(ep, TCP_TIME_WAIT, "FIN_WAIT_2: FIN received");
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- TIME_WAIT reuse */

/* RFC 6191 (timestamps) / RFC 1122 4.2.2.13 (sequence numbers): a SYN for a 4-tuple in
 * TIME_WAIT may start a new incarnation if it cannot be confused with the old one. */
static bool tcp_tw_reuse(struct tcp_ep *ep, struct tcp_seg *g)
{
	struct ns_stack *s = ep->ep.stack;
	struct ns_tep_id id = ep->tep.id;
	uint32_t iss = ep->snd_max + 65535 + 2; /* past the old incarnation, as Linux */
	struct ns_tep *t;
	bool newer;

	if ((g->h.flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return false;
	if ((ep->flags & TCP_F_TS) && g->h.has_ts)
		newer = seq_gt(g->h.tsval, ep->ts_recent);
	else
		newer = seq_gt(g->seq, ep->rcv_nxt);
	if (!newer)
		return false;
	tcp_set_state(ep, TCP_CLOSED, "TIME_WAIT: SYN of a new incarnation (RFC 6191)");
	t = ns_demux_lookup(s, NS_IPPROTO_TCP, g->pkt->nic, &id.local, id.lport, &id.remote,
	                    id.rport);
	if (t && t->ops == &tcp_tep_ops) {
		struct tcp_ep *l = tcp_container_of(t, struct tcp_ep, tep);

		if (l->state == TCP_LISTEN) {
			tcp_ep_enter(l);
			tcp_listen_input(l, g, iss ? iss : 1);
			tcp_ep_leave(l);
			return true;
		}
	}
	/* No listener: the SYN is now one to no endpoint (proto.c's handle_unknown), so a
	 * forwarder decides before any RST (a connection it accepted may be the one that
	 * left this TIME_WAIT behind). */
	if (!t && !(g->pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST)) &&
	    tcp_fwd_offer(ep->ts, g, iss ? iss : 1))
		return true;
	tcp_reply_rst(ep->ts, g);
	return true;
}

/* ---------------------------------------------------------------- dispatch */

static void tcp_in_other_states(struct tcp_ep *ep, struct tcp_seg *g)
{
	if (ep->state == TCP_TIME_WAIT && tcp_tw_reuse(ep, g))
		return;
	/* A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost (as Linux, which also
	 * rate limits these answers: tcp_check_req()). */
	if (ep->state == TCP_SYN_RCVD && (g->h.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    g->seq == ep->irs) {
		if (!tcp_oow_rate_limited(ep))
			tcp_send_syn(ep);
		return;
	}
	/* Simultaneous open: the peer's SYN-ACK repeats the SYN we already took. As Linux,
	 * treat it as the ACK that completes the handshake (RFC 9293 figure 8, line 6). */
	if (ep->state == TCP_SYN_RCVD && !ep->listener &&
	    (g->h.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK) &&
	    g->seq == ep->irs && g->h.ack == ep->snd_max && !g->len) {
		g->h.flags &= (uint8_t)~TCP_SYN;
		g->seq++;
	}
	if (!tcp_in_check_seq(ep, g))
		return;
	if (g->h.flags & TCP_RST) {
		tcp_in_check_rst(ep, g);
		return;
	}
	if (g->h.flags & TCP_SYN) {
		tcp_in_check_syn(ep, g);
		return;
	}
	if (!tcp_in_check_ack(ep, g))
		return;
	/* RFC 7323 4.3: TS.Recent follows acceptable segments only. A blind SYN or an
	 * ACK-less segment at RCV.NXT (both fail the checks above) must not move it, or one
	 * forged far-future TSval would make PAWS drop the real peer (Linux updates it after
	 * tcp_ack() accepts the ACK, in tcp_replace_ts_recent()). */
	tcp_update_ts_recent(ep, g);
	tcp_in_text(ep, g);
	if (ep->state != TCP_CLOSED)
		tcp_in_fin(ep, g);
}

void tcp_input(struct tcp_ep *ep, struct tcp_seg *g)
{
	ep->last_rcv = now_ns(ep);
	ep->keep_probes = 0;
	ep->segs_in += tcp_seg_gso_segs(g);
	if (g->len)
		ep->data_segs_in += tcp_seg_gso_segs(g);
	switch (ep->state) {
	case TCP_LISTEN:
		tcp_listen_input(ep, g, 0);
		break;
	case TCP_SYN_SENT:
		tcp_in_syn_sent(ep, g);
		break;
	case TCP_CLOSED:
		/* RFC 9293 3.10.7.1 (a closed endpoint still in the demuxer cannot happen, but
		 * answer as if it did not exist). */
		tcp_drop(ep, NS_DROP_TCP_UNEXPECTED);
		tcp_reply_rst(ep->ts, g);
		break;
	default:
		tcp_in_other_states(ep, g);
		break;
	}
}
