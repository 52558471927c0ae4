/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: congestion control.
 *
 * Two layers. Loss detection and recovery live here and are the same for every algorithm:
 * duplicate-ACK counting, fast retransmit on the third duplicate (RFC 5681 3.2), NewReno
 * fast recovery with partial-ACK handling (RFC 6582 3.2), and the RTO response (RFC 5681
 * 3.1 eq. 4, loss window of one segment; RFC 6582 4 "recover" after a timeout). The growth
 * law is a struct tcp_cc_ops: Reno below (slow start with RFC 3465 byte counting, L = 2
 * SMSS; congestion avoidance by byte counting, RFC 5681 3.1); CUBIC (RFC 9438) plugs into
 * the same hooks later, keeping its state in ep->cc_priv.
 *
 * Units: cwnd and ssthresh are bytes; "SMSS" is ep->mss. FlightSize is snd_max - snd_una
 * (everything sent and not cumulatively acknowledged; SACK-based pipe comes with RFC 6675).
 *
 * Limits: no limited transmit (RFC 3042) yet, no SACK-based recovery (RFC 6675), no
 * undo of spurious retransmissions (F-RTO/Eifel): the next milestone.
 */
#include "tcp/tcp.h"

#define TCP_CWND_MAX (1u << 30)

uint32_t tcp_flight(const struct tcp_ep *ep)
{
	return ep->snd_max - ep->snd_una;
}

/* ---------------------------------------------------------------- Reno */

static void reno_init(struct tcp_ep *ep)
{
	ep->cwnd_acc = 0;
}

static void reno_cong_avoid(struct tcp_ep *ep, uint32_t acked)
{
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

	return half > floor ? half : floor;
}

const struct tcp_cc_ops tcp_cc_reno = {
    .name = "reno",
    .init = reno_init,
    .cong_avoid = reno_cong_avoid,
    .ssthresh = reno_ssthresh,
};

/* ---------------------------------------------------------------- loss recovery */

void tcp_cc_init(struct tcp_ep *ep)
{
	/* RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)) with the default of 10 segments. */
	uint32_t iw = ep->ts->cfg.init_cwnd_segs * ep->mss;
	uint32_t floor = 2u * ep->mss > 14600 ? 2u * ep->mss : 14600;

	if (ep->ts->cfg.init_cwnd_segs == 10 && iw > floor)
		iw = floor;
	if (!ep->cc)
		ep->cc = &tcp_cc_reno;
	ep->cwnd = iw;
	ep->ssthresh = UINT32_MAX; /* RFC 5681 3.1: arbitrarily high */
	ep->dupacks = 0;
	ep->flags &= ~TCP_F_IN_RECOVERY;
	ep->cc->init(ep);
}

/* RFC 6582 3.2 steps 2-4 (RFC 5681 3.2 steps 2-4): the third duplicate ACK. */
static void tcp_fast_retransmit(struct tcp_ep *ep)
{
	/* Step 2: only if the ACK covers more than "recover": duplicates caused by the
	 * retransmissions of the last recovery must not start another. */
	if (!seq_gt(ep->snd_una, ep->recover))
		return;
	ep->ssthresh = ep->cc->ssthresh(ep);
	ep->recover = ep->snd_max;
	tcp_retransmit_head(ep);
	ep->cwnd = ep->ssthresh + 3u * ep->mss;
	ep->flags |= TCP_F_IN_RECOVERY;
}

/* RFC 6582 3.2 step 5: a partial ACK means the next hole is lost too. */
static void tcp_partial_ack(struct tcp_ep *ep, uint32_t acked)
{
	tcp_retransmit_head(ep);
	/* Deflate by what was acknowledged, add back one SMSS if that was at least one. */
	ep->cwnd = ep->cwnd > acked ? ep->cwnd - acked : 0;
	if (acked >= ep->mss)
		ep->cwnd += ep->mss;
	if (ep->cwnd < ep->mss)
		ep->cwnd = ep->mss;
}

/* RFC 6582 3.2 step 6, option 1: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
static void tcp_recovery_exit(struct tcp_ep *ep)
{
	uint32_t f = tcp_flight(ep);
	uint32_t c = (f > ep->mss ? f : ep->mss) + ep->mss;

	ep->cwnd = c < ep->ssthresh ? c : ep->ssthresh;
	ep->flags &= ~TCP_F_IN_RECOVERY;
	ep->dupacks = 0;
	ep->cwnd_acc = 0;
	if (ep->cc->on_loss)
		ep->cc->on_loss(ep, false);
}

void tcp_cc_ack(struct tcp_ep *ep, uint32_t acked, bool dup)
{
	if (dup) {
		ep->dupacks = ep->dupacks < 255 ? ep->dupacks + 1 : 255;
		if (ep->flags & TCP_F_IN_RECOVERY)
			ep->cwnd += ep->mss; /* step 4: each dup ACK: a segment left */
		else if (ep->dupacks == 3)
			tcp_fast_retransmit(ep);
		return;
	}
	if (ep->flags & TCP_F_IN_RECOVERY) {
		if (seq_ge(ep->snd_una, ep->recover))
			tcp_recovery_exit(ep); /* full ACK */
		else
			tcp_partial_ack(ep, acked);
		return;
	}
	ep->dupacks = 0;
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
	ep->flags &= ~TCP_F_IN_RECOVERY;
	ep->recover = ep->snd_max; /* RFC 6582 4 */
	if (ep->cc->on_loss)
		ep->cc->on_loss(ep, true);
}
