/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: congestion control.
 *
 * Two layers. Loss detection and recovery live here and are the same for every algorithm:
 * duplicate-ACK counting, fast retransmit on the third duplicate (RFC 5681 3.2), NewReno
 * fast recovery with partial-ACK handling (RFC 6582 3.2), the window during recovery by
 * proportional rate reduction (RFC 6937, tcp_cc_prr(), shared with SACK recovery), and
 * the RTO response (RFC 5681 3.1 eq. 4, loss window of one segment; RFC 6582 4 "recover"
 * after a timeout). The growth
 * law is a struct tcp_cc_ops: Reno below (slow start with RFC 3465 byte counting, L = 2
 * SMSS; congestion avoidance by byte counting, RFC 5681 3.1); CUBIC with HyStart++ (RFC
 * 9438, RFC 9406; cubic.c, the default) plugs into the same hooks, keeping its state in
 * ep->cc_priv. NS_TCP_CONGESTION picks one per endpoint (tcp_cc_select()).
 *
 * Shared by the algorithms:
 *   - undo (RFC 9438 4.9): every ssthresh hook first saves cwnd and ssthresh
 *     (tcp_cc_save_prior()) and its own state; the undo hook restores them when loss
 *     recovery learns the event was spurious (tcp_cc_undo()).
 *   - cwnd validation (RFC 7661 4.3, in the spirit of Linux's tcp_is_cwnd_limited()):
 *     cwnd grows only while the sender uses it: the largest flight seen at an ACK over
 *     this and the previous round ("pipeACK") is at least half of cwnd. An application
 *     that sends less, or a peer window that holds it back, does not inflate cwnd.
 *   - idle detection: an ACK whose data left after more than an RTO with nothing in
 *     flight reports the idle time, so CUBIC can start a new epoch (RFC 9438 5.8).
 *
 * Units: cwnd and ssthresh are bytes; "SMSS" is ep->mss. FlightSize is snd_max - snd_una
 * (everything sent and not cumulatively acknowledged); in NewReno recovery pipe is the
 * flight less a segment per duplicate ACK (tcp_pipe()), as Linux counts "reno SACKs".
 *
 * Elsewhere: limited transmit (RFC 3042) is output.c's; SACK-based recovery (RFC 6675,
 * sack.c) and the detection of spurious retransmissions (F-RTO/Eifel/DSACK) call the hooks.
 */
#include "tcp/tcp.h"

#define TCP_CWND_MAX (1u << 30)

uint32_t tcp_flight(const struct tcp_ep *ep)
{
	return ep->snd_max - ep->snd_una;
}

static uint64_t cc_now(const struct tcp_ep *ep)
{
	return ns_stack_now(ep->ep.stack);
}

void tcp_cc_save_prior(struct tcp_ep *ep)
{
	ep->prior_cwnd = ep->cwnd;
	ep->prior_ssthresh = ep->ssthresh;
}

bool tcp_cc_cwnd_limited(struct tcp_ep *ep, uint32_t acked, uint64_t *idle_ns)
{
	uint64_t now = cc_now(ep);
	uint32_t used = tcp_flight(ep) + acked; /* the flight just before this ACK */
	uint32_t pipe_ack;

	*idle_ns = 0;
	if (ep->cc_last_ack && ep->cc_last_flight == 0 && now - ep->cc_last_ack > ep->rto)
		*idle_ns = now - ep->cc_last_ack;
	ep->cc_last_ack = now;
	ep->cc_last_flight = tcp_flight(ep);
	/* Rounds: one ends when the ACK covers what was sent when it began. */
	if (*idle_ns || seq_ge(ep->snd_una, ep->cc_round_end)) {
		ep->cc_used[1] = *idle_ns ? 0 : ep->cc_used[0];
		ep->cc_used[0] = 0;
		ep->cc_round_end = ep->snd_max;
	}
	if (used > ep->cc_used[0])
		ep->cc_used[0] = used;
	pipe_ack = ep->cc_used[0] > ep->cc_used[1] ? ep->cc_used[0] : ep->cc_used[1];
	return 2ull * pipe_ack >= ep->cwnd;
}

/* ---------------------------------------------------------------- Reno */

static void reno_init(struct tcp_ep *ep)
{
	ep->cwnd_acc = 0;
}

static void reno_cong_avoid(struct tcp_ep *ep, uint32_t acked)
{
	uint64_t idle;

	if (!tcp_cc_cwnd_limited(ep, acked, &idle))
		return; /* RFC 7661: not using cwnd, so no evidence it could be larger */
	if (ep->cwnd < ep->ssthresh) {
		/* Slow start, RFC 3465 2.2 with L = 2*SMSS (delayed ACKs cover two segments). */
		uint32_t lim = 2u * ep->mss;

		ep->cwnd += acked < lim ? acked : lim;
	} else {
		/* Congestion avoidance, RFC 5681 3.1: one SMSS per cwnd of bytes acknowledged. */
		ep->cwnd_acc += acked;
		if (ep->cwnd_acc >= ep->cwnd) {
			ep->cwnd_acc -= ep->cwnd;
			ep->cwnd += ep->mss;
		}
	}
	if (ep->cwnd > TCP_CWND_MAX)
		ep->cwnd = TCP_CWND_MAX;
}

static uint32_t reno_ssthresh(struct tcp_ep *ep)
{
	/* RFC 5681 eq. 4: max(FlightSize / 2, 2 * SMSS). */
	uint32_t half = tcp_flight(ep) / 2, floor = 2u * ep->mss;

	tcp_cc_save_prior(ep);
	return half > floor ? half : floor;
}

bool tcp_cc_restore_prior(struct tcp_ep *ep)
{
	/* RFC 9438 4.9: ssthresh as it was; cwnd back to at least the pre-event window (as
	 * Linux's tcp_undo_cwnd_reduction(), in case it has grown back past it since). */
	if (!ep->prior_cwnd)
		return false;
	if (ep->cwnd < ep->prior_cwnd)
		ep->cwnd = ep->prior_cwnd;
	ep->ssthresh = ep->prior_ssthresh;
	ep->cwnd_acc = 0;
	ep->prior_cwnd = 0;
	return true;
}

static void reno_undo(struct tcp_ep *ep)
{
	tcp_cc_restore_prior(ep);
}

const struct tcp_cc_ops tcp_cc_reno = {
    .name = "reno",
    .init = reno_init,
    .cong_avoid = reno_cong_avoid,
    .ssthresh = reno_ssthresh,
    .undo = reno_undo,
};

/* ---------------------------------------------------------------- selection */

int64_t tcp_cc_selected(const struct tcp_ep *ep)
{
	return ep->cc == &tcp_cc_reno ? TCP_CC_RENO : TCP_CC_CUBIC;
}

ns_err tcp_cc_select(struct tcp_ep *ep, int64_t which)
{
	const struct tcp_cc_ops *ops;

	if (which == TCP_CC_CUBIC)
		ops = &tcp_cc_cubic;
	else if (which == TCP_CC_RENO)
		ops = &tcp_cc_reno;
	else
		return NS_ERR_INVALID_OPTION_VALUE;
	if (ops == ep->cc)
		return NS_OK;
	ep->cc = ops;
	/* Connected: the new law starts from the current window (as Linux's
	 * tcp_reinit_congestion_control()); before, tcp_cc_init() will run it. */
	if (tcp_state_synchronized(ep->state)) {
		ep->prior_cwnd = 0;
		ep->cc->init(ep);
	}
	return NS_OK;
}

void tcp_cc_rtt(struct tcp_ep *ep, uint64_t rtt)
{
	if (ep->cc && ep->cc->rtt_sample)
		ep->cc->rtt_sample(ep, rtt);
}

void tcp_cc_undo(struct tcp_ep *ep)
{
	if (ep->cc->undo)
		ep->cc->undo(ep);
	ep->flags &= ~TCP_F_IN_RECOVERY;
	ep->dupacks = 0;
	ep->reno_sacked = 0;
}

/* ---------------------------------------------------------------- loss recovery */

void tcp_cc_init(struct tcp_ep *ep)
{
	/* RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)) with the default of 10 segments. */
	uint32_t iw = ep->ts->cfg.init_cwnd_segs * ep->mss;
	uint32_t floor = 2u * ep->mss > 14600 ? 2u * ep->mss : 14600;

	if (ep->ts->cfg.init_cwnd_segs == 10 && iw > floor)
		iw = floor;
	if (!ep->cc)
		ep->cc = &tcp_cc_cubic;
	ep->cwnd = iw;
	ep->ssthresh = UINT32_MAX; /* RFC 5681 3.1: arbitrarily high */
	ep->dupacks = 0;
	ep->prior_cwnd = 0;
	ep->cc_round_end = ep->snd_max;
	ep->cc_used[0] = ep->cc_used[1] = 0;
	ep->cc_last_ack = 0;
	ep->cc_last_flight = 0;
	ep->flags &= ~TCP_F_IN_RECOVERY;
	ep->cc->init(ep);
}

/*
 * RFC 6937 proportional rate reduction, in the shape of Linux's tcp_cwnd_reduction(): on
 * each ACK in recovery, cwnd = pipe + sndcnt, where sndcnt lets out what the ACK
 * delivered scaled by ssthresh / RecoverFS while pipe is above ssthresh (so the flight
 * shrinks smoothly to ssthresh instead of stopping, then bursting), and, once pipe is
 * below it, PRR-SSRB: at most what was delivered plus one segment, to bring pipe back up
 * to ssthresh. The first call of an episode always allows one segment: the fast
 * retransmit. RecoverFS is the cwnd when recovery began (Linux's prior_cwnd); prr_out
 * counts every data byte sent since. SACK recovery (sack.c) and NewReno's (below) both
 * use it, as in Linux.
 *
 * Linux (and the RFC 6937bis draft) adds SSRB's extra segment only on a "safe" ACK, one
 * that advances SND.UNA without revealing a new loss. Here the RFC's rule is kept: on the
 * loss matrix at 10% random loss the safe-ACK rule starved recovery into RTO backoff
 * (mean 39.7 s, worst 74.4 s over 50 seeds), where RFC 6937's gave 35.8 s and 42.5 s
 * (and setting cwnd = ssthresh at once, RFC 6675's step, 38.4 s and 45.9 s).
 */
void tcp_cc_prr(struct tcp_ep *ep, uint32_t delivered)
{
	uint32_t pipe = tcp_pipe(ep), mss = ep->mss;
	int64_t out = (int64_t)(ep->bytes_sent - ep->prr_sent0), sndcnt;

	if (!delivered) {
		/* Recovery begun by RACK's timer: nothing delivered, the retransmission goes. */
		if (!out)
			ep->cwnd = pipe + mss;
		return;
	}
	ep->prr_delivered += delivered;
	if (pipe > ep->ssthresh) {
		uint64_t fs = ep->prr_recover_fs ? ep->prr_recover_fs : mss;

		/* RFC 6937: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out */
		sndcnt =
		    (int64_t)(((uint64_t)ep->ssthresh * ep->prr_delivered + fs - 1) / fs) - out;
	} else {
		/* PRR-SSRB: MAX(prr_delivered - prr_out, DeliveredData) + MSS */
		int64_t limit = (int64_t)ep->prr_delivered - out;

		if (limit < (int64_t)delivered)
			limit = delivered;
		limit += mss;
		sndcnt =
		    (int64_t)(ep->ssthresh - pipe) < limit ? (int64_t)(ep->ssthresh - pipe) : limit;
	}
	if (sndcnt < 0)
		sndcnt = 0;
	if (!out && sndcnt < mss)
		sndcnt = mss; /* force the fast retransmit */
	ep->cwnd = pipe + (uint32_t)sndcnt;
}

void tcp_cc_prr_begin(struct tcp_ep *ep)
{
	ep->prr_recover_fs = ep->cwnd;
	ep->prr_delivered = 0;
	ep->prr_sent0 = ep->bytes_sent;
}

/* A duplicate ACK without SACK: one segment has left the network (RFC 6937 3: without
 * SACK, DeliveredData is one MSS per duplicate). Never more than the flight less the lost
 * head (Linux's tcp_limit_reno_sacked()). */
static void tcp_reno_sacked_add(struct tcp_ep *ep)
{
	uint32_t f = tcp_flight(ep), max = f > ep->mss ? f - ep->mss : 0;

	ep->reno_sacked = ep->reno_sacked + ep->mss < max ? ep->reno_sacked + ep->mss : max;
}

/* RFC 6582 3.2 steps 2-4 (RFC 5681 3.2 steps 2-4): the third duplicate ACK. The window
 * then follows PRR (RFC 6937), not RFC 6582's inflation by a segment per duplicate, as in
 * Linux. */
static void tcp_fast_retransmit(struct tcp_ep *ep)
{
	/* Step 2: only if the ACK covers more than "recover": duplicates caused by the
	 * retransmissions of the last recovery must not start another. */
	if (!seq_gt(ep->snd_una, ep->recover))
		return;
	tcp_cc_prr_begin(ep);
	ep->ssthresh = ep->cc->ssthresh(ep);
	ep->recover = ep->snd_max;
	ep->cwnd_acc = 0;
	ep->flags |= TCP_F_IN_RECOVERY;
	tcp_retransmit_head(ep);
	tcp_cc_prr(ep, ep->mss);
}

/* RFC 6582 3.2 step 6: a full ACK ends recovery; cwnd = ssthresh (as Linux's
 * tcp_end_cwnd_reduction(): PRR has brought the flight down to it). */
static void tcp_recovery_exit(struct tcp_ep *ep)
{
	ep->cwnd = ep->ssthresh;
	ep->flags &= ~TCP_F_IN_RECOVERY;
	ep->dupacks = 0;
	ep->reno_sacked = 0;
	ep->cwnd_acc = 0;
	if (ep->cc->on_loss)
		ep->cc->on_loss(ep, false);
}

void tcp_cc_ack(struct tcp_ep *ep, uint32_t acked, bool dup)
{
	uint32_t credited;

	if (dup) {
		ep->dupacks = ep->dupacks < 255 ? ep->dupacks + 1 : 255;
		tcp_reno_sacked_add(ep);
		if (ep->flags & TCP_F_IN_RECOVERY)
			tcp_cc_prr(ep, ep->mss);
		else if (ep->dupacks == 3)
			tcp_fast_retransmit(ep);
		return;
	}
	/* What this ACK delivered: the bytes it acknowledges less those the duplicates
	 * already counted (RFC 6937 3). */
	credited = acked < ep->reno_sacked ? acked : ep->reno_sacked;
	ep->reno_sacked -= credited;
	if (ep->flags & TCP_F_IN_RECOVERY) {
		if (seq_ge(ep->snd_una, ep->recover)) {
			tcp_recovery_exit(ep); /* full ACK */
		} else {
			/* RFC 6582 3.2 step 5: a partial ACK: the next hole is lost too. */
			tcp_retransmit_head(ep);
			tcp_cc_prr(ep, acked - credited);
		}
		return;
	}
	ep->dupacks = 0;
	ep->reno_sacked = 0;
	ep->cc->cong_avoid(ep, acked);
}

void tcp_cc_rto(struct tcp_ep *ep)
{
	/* RFC 5681 eq. 4 on the first timeout of an episode only: later expiries see a
	 * FlightSize already collapsed by the first (as Linux keeps ssthresh in CA_Loss). */
	if (ep->backoff == 0)
		ep->ssthresh = ep->cc->ssthresh(ep);
	ep->cwnd = ep->mss; /* loss window, RFC 5681 3.1 */
	ep->cwnd_acc = 0;
	ep->dupacks = 0;
	ep->reno_sacked = 0;
	ep->flags &= ~TCP_F_IN_RECOVERY;
	ep->recover = ep->snd_max; /* RFC 6582 4 */
	if (ep->cc->on_loss)
		ep->cc->on_loss(ep, true);
}
