/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: a connection's timers, on the stack's clock.
 *
 * Three ns_timers per endpoint, each multiplexed by state so no timer is idle weight:
 *   rtx_timer    the retransmission timer (RFC 6298) in every state with unacknowledged
 *                sequence space (SYN, data, FIN); or, with TCP_F_PERSIST, the persist timer
 *                (RFC 9293 3.8.6.1) when a closed window stops the sender with nothing in
 *                flight. They never run together: data in flight means the RTO is running.
 *   delack_timer the delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2): 40 ms by default, as
 *                Linux's minimum; any segment we send carries the ACK and cancels it.
 *   keep_timer   keepalive probes (RFC 1122 4.2.3.6) while ESTABLISHED/CLOSE_WAIT;
 *                2*MSL in TIME_WAIT; the orphan FIN_WAIT_2 timeout; the SO_LINGER deadline.
 *
 * RTO (RFC 6298): the first sample sets SRTT = R, RTTVAR = R/2; later ones use alpha = 1/8,
 * beta = 1/4; RTO = SRTT + max(G, 4 * RTTVAR) with G the 1 ms wheel granularity, clamped to
 * [rto_min, rto_max]. Each expiry doubles it (backoff, 5.5) up to rto_max; the next new
 * acknowledgement resets the backoff. Karn's rule lives with the sampling (input.c/output.c).
 * A connection gives up after syn_retries/synack_retries/retries2 expiries, or, with
 * TCP_USER_TIMEOUT (RFC 5482), once data has gone unacknowledged that long.
 *
 * Every timer callback brackets its work with tcp_ep_enter()/tcp_ep_leave(), like packet
 * input, so what it queues is sent and a finished orphan is freed on the way out.
 */
#include "tcp/tcp.h"

#define TCP_MAX_BACKOFF 16 /* shifts beyond this only overflow; rto_max caps them anyway */

static uint64_t now_ns(const struct tcp_ep *ep)
{
	return ns_stack_now(ep->ep.stack);
}

static const struct tcp_config *cfg(const struct tcp_ep *ep)
{
	return &ep->ts->cfg;
}

/* ---------------------------------------------------------------- RTT estimation */

void tcp_rtt_sample(struct tcp_ep *ep, uint64_t r)
{
	const uint64_t g = NS_MSEC; /* clock granularity G */
	uint64_t var4;

	if (!(ep->flags & TCP_F_RTT_VALID)) {
		/* RFC 6298 2.2 */
		ep->srtt = r;
		ep->rttvar = r / 2;
		ep->flags |= TCP_F_RTT_VALID;
	} else {
		/* RFC 6298 2.3 */
		uint64_t delta = ep->srtt > r ? ep->srtt - r : r - ep->srtt;

		ep->rttvar = (3 * ep->rttvar + delta) / 4;
		ep->srtt = (7 * ep->srtt + r) / 8;
	}
	tcp_cc_rtt(ep, r); /* HyStart++ (cubic.c) */
	var4 = 4 * ep->rttvar;
	ep->rto = ep->srtt + (var4 > g ? var4 : g);
	/* RFC 6298 2.4, 2.5 (the minimum is Linux's 200 ms unless configured). */
	if (ep->rto < cfg(ep)->rto_min_ns)
		ep->rto = cfg(ep)->rto_min_ns;
	if (ep->rto > cfg(ep)->rto_max_ns)
		ep->rto = cfg(ep)->rto_max_ns;
}

static uint64_t tcp_backed_off(const struct tcp_ep *ep)
{
	uint8_t b = ep->backoff < TCP_MAX_BACKOFF ? ep->backoff : TCP_MAX_BACKOFF;
	uint64_t t = ep->rto << b;

	return t < cfg(ep)->rto_max_ns ? t : cfg(ep)->rto_max_ns;
}

/* ---------------------------------------------------------------- retransmission timer */

void tcp_rtx_arm(struct tcp_ep *ep)
{
	uint64_t now = now_ns(ep), deadline = now + tcp_backed_off(ep);

	/* RFC 5482 / Linux tcp_clamp_rto_to_user_timeout: never sleep past the user timeout. */
	if (ep->user_timeout_ns && tcp_state_synchronized(ep->state)) {
		uint64_t limit = ep->una_since + ep->user_timeout_ns;

		if (deadline > limit)
			deadline = limit > now ? limit : now;
	}
	ep->flags &= ~(TCP_F_PERSIST | TCP_F_TLP_TIMER | TCP_F_REO_TIMER);
	ns_timer_arm(ep->ep.stack, &ep->rtx_timer, deadline);
}

void tcp_rtx_stop(struct tcp_ep *ep)
{
	ep->flags &= ~(TCP_F_PERSIST | TCP_F_TLP_TIMER | TCP_F_REO_TIMER);
	ns_timer_cancel(ep->ep.stack, &ep->rtx_timer);
}

static bool tcp_write_timed_out(const struct tcp_ep *ep)
{
	if (ep->user_timeout_ns)
		return now_ns(ep) - ep->una_since >= ep->user_timeout_ns;
	return ep->backoff >= cfg(ep)->retries2;
}

/* A handshake segment went unanswered: resend it, or give up. */
static void tcp_rto_handshake(struct tcp_ep *ep)
{
	bool active = ep->state == TCP_SYN_SENT || !ep->listener;
	uint32_t limit = ep->state == TCP_SYN_SENT ? cfg(ep)->syn_retries : cfg(ep)->synack_retries;

	if (ep->backoff >= limit) {
		if (active)
			tcp_ep_abort(ep, NS_ERR_TIMEOUT, false, "handshake: retries exhausted");
		else
			tcp_set_state(ep, TCP_CLOSED, "SYN_RCVD: SYN-ACK retries exhausted");
		return;
	}
	ep->backoff++;
	ep->retransmits++;
	ep->flags &= ~TCP_F_RTT_TIMING; /* Karn */
	tcp_send_syn(ep);
	tcp_rtx_arm(ep);
}

static void tcp_rto_fire(struct tcp_ep *ep)
{
	if (ep->state == TCP_SYN_SENT || ep->state == TCP_SYN_RCVD) {
		tcp_rto_handshake(ep);
		return;
	}
	if (ep->snd_una == ep->snd_max)
		return;
	if (tcp_write_timed_out(ep)) {
		tcp_ep_abort(ep, NS_ERR_TIMEOUT, false, "RTO: retransmissions exhausted");
		return;
	}
	/* RFC 6298 5.4-5.6: retransmit the earliest unacknowledged segment, back off, restart
	 * the timer. RFC 5681 3.1: cwnd to one segment. Everything sent is presumed lost and
	 * resent as ACKs return (go-back-N from snd_una). */
	/* The first timeout of an episode starts the undo bookkeeping (Eifel, F-RTO). */
	if (ep->backoff == 0)
		tcp_undo_begin(ep, true);
	else
		ep->frto = 0;
	tcp_cc_rto(ep);
	if (ep->flags & TCP_F_SACK)
		tcp_sack_rto(ep);
	if (ep->backoff < TCP_MAX_BACKOFF)
		ep->backoff++;
	ep->retransmits++;
	ep->snd_nxt = ep->snd_una;
	tcp_retransmit_head(ep);
	tcp_rtx_arm(ep);
}

/* ---------------------------------------------------------------- persist timer */

void tcp_persist_arm(struct tcp_ep *ep)
{
	uint64_t t;

	if (ns_timer_armed(&ep->rtx_timer))
		return;
	/* RFC 1122 4.2.2.17: the first probe after one RTO, then exponential backoff. */
	t = tcp_backed_off(ep);
	if (t < cfg(ep)->rto_min_ns)
		t = cfg(ep)->rto_min_ns;
	ep->flags |= TCP_F_PERSIST;
	ns_timer_arm_in(ep->ep.stack, &ep->rtx_timer, t);
}

static void tcp_persist_fire(struct tcp_ep *ep)
{
	ep->flags &= ~TCP_F_PERSIST;
	if (ep->snd_una != ep->snd_max)
		return; /* data went out meanwhile: the RTO governs */
	/* A peer that keeps answering keeps the connection (probes_out is reset by every
	 * ACK); one that is gone is given up on like an unanswered retransmission. */
	if (ep->probes_out >= cfg(ep)->retries2 ||
	    (ep->user_timeout_ns && now_ns(ep) - ep->una_since >= ep->user_timeout_ns)) {
		tcp_ep_abort(ep, NS_ERR_TIMEOUT, false, "persist: zero-window probes unanswered");
		return;
	}
	/* RFC 1122 4.2.2.17's "indefinitely" is for a connection someone will use. An orphan
	 * (closed with data queued) behind a window the peer keeps at zero would hold its
	 * buffers for ever: as Linux's tcp_probe_timer() for a dead socket, it is aborted once
	 * the probe interval has backed off to the RTO maximum (the backoff only resets when
	 * the window opens or data is acknowledged). */
	if (!(ep->flags & TCP_F_APP) && tcp_backed_off(ep) >= cfg(ep)->rto_max_ns) {
		tcp_ep_abort(ep, NS_ERR_TIMEOUT, false, "persist: orphan behind a zero window");
		return;
	}
	ep->probes_out++;
	if (ep->backoff < TCP_MAX_BACKOFF)
		ep->backoff++;
	if (ep->snd_wnd == 0)
		tcp_send_probe(ep);
	else
		tcp_output_force(ep); /* a small window: send into it (SWS override) */
	tcp_persist_arm(ep);
}

static void tcp_rtx_timer_fn(struct ns_stack *s, struct ns_timer *t)
{
	struct tcp_ep *ep = t->arg;

	tcp_ep_enter(ep);
	if (ep->flags & TCP_F_PERSIST)
		tcp_persist_fire(ep);
	else if (ep->flags & (TCP_F_TLP_TIMER | TCP_F_REO_TIMER))
		tcp_rack_timer(ep); /* RFC 8985 6.2 / 7.3 */
	else
		tcp_rto_fire(ep);
	tcp_ep_leave(ep);
}

/* ---------------------------------------------------------------- delayed ACK */

void tcp_delack_arm(struct tcp_ep *ep)
{
	if (!ns_timer_armed(&ep->delack_timer))
		ns_timer_arm_in(ep->ep.stack, &ep->delack_timer, cfg(ep)->delack_ns);
}

static void tcp_delack_timer_fn(struct ns_stack *s, struct ns_timer *t)
{
	struct tcp_ep *ep = t->arg;

	tcp_ep_enter(ep);
	if (ep->flags & TCP_F_ACK_DELAYED)
		ep->flags = (ep->flags & ~TCP_F_ACK_DELAYED) | TCP_F_ACK_NOW;
	tcp_ep_leave(ep);
}

/* ---------------------------------------------------------------- keep_timer */

static bool tcp_keepalive_applies(const struct tcp_ep *ep)
{
	return (ep->flags & TCP_F_KEEPALIVE) &&
	       (ep->state == TCP_ESTABLISHED || ep->state == TCP_CLOSE_WAIT);
}

void tcp_keepalive_reset(struct tcp_ep *ep)
{
	if (tcp_keepalive_applies(ep))
		ns_timer_arm(ep->ep.stack, &ep->keep_timer, ep->last_rcv + ep->keepidle_ns);
	else if (ep->state == TCP_ESTABLISHED || ep->state == TCP_CLOSE_WAIT)
		ns_timer_cancel(ep->ep.stack, &ep->keep_timer);
}

static void tcp_keepalive_fire(struct tcp_ep *ep)
{
	uint64_t now = now_ns(ep), idle = now - ep->last_rcv;

	if (!tcp_keepalive_applies(ep))
		return;
	/* Data outstanding or queued: the RTO and persist timers watch the peer. */
	if (ep->snd_una != ep->snd_max || ep->snd.len) {
		ns_timer_arm_in(ep->ep.stack, &ep->keep_timer, ep->keepidle_ns);
		return;
	}
	if (idle < ep->keepidle_ns) {
		ns_timer_arm(ep->ep.stack, &ep->keep_timer, ep->last_rcv + ep->keepidle_ns);
		return;
	}
	/* RFC 1122 4.2.3.6: probes every interval; after keepcnt unanswered, give up (with
	 * a RST, as Linux). Any segment from the peer resets the count (tcp_input). */
	if (ep->keep_probes >= ep->keepcnt) {
		tcp_ep_abort(ep, NS_ERR_TIMEOUT, true, "keepalive: probes unanswered");
		return;
	}
	ep->keep_probes++;
	tcp_send_probe(ep);
	ns_timer_arm_in(ep->ep.stack, &ep->keep_timer, ep->keepintvl_ns);
}

void tcp_timewait_arm(struct tcp_ep *ep)
{
	/* RFC 9293 3.6: 2 * MSL (restarted by a retransmitted FIN). */
	ns_timer_arm_in(ep->ep.stack, &ep->keep_timer, 2 * cfg(ep)->msl_ns);
}

void tcp_fin_wait_2_arm(struct tcp_ep *ep)
{
	/* RFC 9293 leaves FIN_WAIT_2 open-ended; an orphan would wait forever for a FIN that
	 * may never come, so it gets Linux's tcp_fin_timeout. */
	ns_timer_arm_in(ep->ep.stack, &ep->keep_timer, cfg(ep)->fin_timeout_ns);
}

void tcp_linger_arm(struct tcp_ep *ep)
{
	ns_timer_arm(ep->ep.stack, &ep->keep_timer, ep->close_deadline);
}

static void tcp_keep_timer_fn(struct ns_stack *s, struct ns_timer *t)
{
	struct tcp_ep *ep = t->arg;

	tcp_ep_enter(ep);
	switch (ep->state) {
	case TCP_TIME_WAIT:
		tcp_set_state(ep, TCP_CLOSED, "TIME_WAIT: 2*MSL elapsed");
		break;
	case TCP_FIN_WAIT_2:
		if (!(ep->flags & TCP_F_APP))
			tcp_set_state(ep, TCP_CLOSED, "FIN_WAIT_2: orphan timed out");
		break;
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		/* SO_LINGER: the FIN was not acknowledged in time. */
		if (ep->close_deadline && now_ns(ep) >= ep->close_deadline)
			tcp_ep_abort(ep, NS_ERR_TIMEOUT, true, "SO_LINGER: timed out, RST");
		break;
	default:
		tcp_keepalive_fire(ep);
		break;
	}
	tcp_ep_leave(ep);
}

/* ---------------------------------------------------------------- setup */

void tcp_timers_init(struct tcp_ep *ep)
{
	ns_timer_init(&ep->rtx_timer, tcp_rtx_timer_fn, ep);
	ns_timer_init(&ep->delack_timer, tcp_delack_timer_fn, ep);
	ns_timer_init(&ep->keep_timer, tcp_keep_timer_fn, ep);
}

void tcp_timers_cancel(struct tcp_ep *ep)
{
	ns_timer_cancel(ep->ep.stack, &ep->rtx_timer);
	ns_timer_cancel(ep->ep.stack, &ep->delack_timer);
	ns_timer_cancel(ep->ep.stack, &ep->keep_timer);
	ep->flags &= ~(TCP_F_PERSIST | TCP_F_TLP_TIMER | TCP_F_REO_TIMER);
}
