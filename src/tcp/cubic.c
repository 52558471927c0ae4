/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: CUBIC (RFC 9438) with HyStart++ (RFC 9406), the default growth law.
 *
 * CUBIC plugs into the struct tcp_cc_ops hooks of cc.c; loss detection and recovery are not
 * here. Its state lives in ep->cc_priv (struct cubic). Units: windows in bytes (an RFC
 * "segment" is ep->mss), time in ns from ns_stack_now(), so tests run it on the virtual
 * clock. No floating point: the cubic runs on a 1/1024 s clock ("kt") in 64-bit integers.
 *
 * Congestion avoidance (RFC 9438 4.2-4.5). An epoch begins at the first ACK of a
 * congestion-avoidance stage: t_epoch = now, cwnd_epoch = cwnd, W_est = cwnd, and
 *     K = cbrt((W_max - cwnd_epoch) / C)                                   (eq. 2)
 * (K = 0 and W_max = cwnd when cwnd is already at or above W_max, as after a slow start
 * that ended without loss). Every ACK of @acked bytes then computes
 *     W_cubic(t) = C * (t - K)^3 + W_max,  C = 0.4, t = now - t_epoch      (eq. 1)
 * and the target W_cubic(t + SRTT) clamped to [cwnd, 1.5 cwnd] (4.2); cwnd grows by
 * (target - cwnd) / cwnd per segment acknowledged, i.e. (target - cwnd) * acked / cwnd
 * bytes, the remainder carried in an accumulator. Below W_max that is the concave region
 * (4.4), above it the convex one (4.5): the same formula.
 *   Reno-friendly region (4.3): W_est grows by alpha * acked * SMSS / cwnd bytes with
 * alpha = 3 (1 - beta) / (1 + beta) = 9/17, and 1 once W_est reaches cwnd_prior (the cwnd
 * before the last reduction). While W_cubic(t) < W_est, cwnd = W_est.
 *   Fixed point: kt = ns * 1024 / 10^9; (t - K)^3 in kt^3 fits 64 bits for |t - K| < 2^21
 * kt (34 min; beyond that the 1.5 cwnd cap governs anyway); C * d^3 in segments is
 * d^3 * 2 / (5 * 2^30), taken to bytes as ((d^3 >> 20) * 2 * SMSS / 5) >> 10. K in kt is
 * the integer cube root of (W_max - cwnd_epoch) / SMSS * 2.5 * 2^30, by the digit-by-digit
 * method (tcp_cubic_icbrt(), three bits of the radicand per result bit).
 *
 * Multiplicative decrease (4.6) and fast convergence (4.7), in the ssthresh hook at a
 * congestion event: W_max = cwnd, or cwnd * (1 + beta) / 2 = 0.85 cwnd when cwnd is below
 * the previous W_max (a competing flow is taking bandwidth); cwnd_prior = cwnd;
 * ssthresh = max(min(FlightSize, cwnd) * beta, 2 SMSS) with beta = 0.7; the epoch ends.
 * Recovery (cc.c, sack.c) then leaves cwnd at ssthresh.
 *   Timeout (4.8): cc.c sets cwnd to one segment and ssthresh as above; the first epoch
 * afterwards starts with K = 0 and W_max = W_est = cwnd at its beginning.
 *   Spurious events (4.9): ssthresh() saves the whole epoch state (W_max, K, t_epoch,
 * W_est, cwnd_prior, HyStart++ state) and cc.c saves cwnd and ssthresh; undo() restores
 * them all (cwnd to at least its old value, as Linux, in case it has grown back since).
 *   Application-limited flows (5.8, and RFC 7661): cwnd grows only while
 * tcp_cc_cwnd_limited() says the sender is using it; while it is not, t stops (t_epoch
 * moves forward by the time spent app-limited), so W_cubic does not run ahead. After an
 * idle period longer than the RTO the epoch is reset: the next ACK starts a new one from
 * the current cwnd (W_max kept).
 *
 * Slow start (4.10) uses HyStart++ (RFC 9406) in the initial slow start only (4.1: later
 * slow starts have an ssthresh to stop them). Rounds (4.2): a round ends with the ACK that
 * takes SND.UNA to windowEnd (its sample still counts in it); windowEnd then becomes
 * SND.NXT (snd_max, before this ACK's transmissions). RTT samples come from the
 * rtt_sample hook (every ACK with timestamps, one per round without) and are folded in
 * at the next ACK: currentRoundMinRTT, rttSampleCount. In slow start cwnd grows by
 * min(acked, L * SMSS), L = 8 (not paced); once a round has N_RTT_SAMPLE = 8 samples and
 * both rounds' minima are known, RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms), and
 * currentRoundMinRTT >= lastRoundMinRTT + RttThresh moves to Conservative Slow Start with
 * cssBaselineMinRtt = currentRoundMinRTT. In CSS cwnd grows by a quarter of that; a round
 * whose minimum falls below the baseline (after 8 samples) resumes slow start (the
 * increase was spurious); CSS_ROUNDS = 5 rounds in CSS end slow start: ssthresh = cwnd.
 * A loss ends HyStart++ (cc.c's normal response sets ssthresh). Slow start outside
 * HyStart++ is RFC 3465 byte counting with L = 2 SMSS, as Reno's.
 *
 * Limits: no pacing (so L = 8 rather than infinity); without timestamps there is one RTT
 * sample per round, so HyStart++ never gathers N_RTT_SAMPLE and slow start runs until
 * loss; ECN-triggered reductions are not distinguished (no ECN yet).
 */
#include "tcp/tcp.h"

#include <string.h>

#define CUBIC_CWND_MAX  (1u << 30)
#define CUBIC_KT_MAX    ((1ull << 21) - 1) /* |t - K| bound: d^3 < 2^63 */
#define CUBIC_ALPHA_DEN 17u                /* alpha_cubic = 9/17 (beta 0.7), then 17/17 */
#define CUBIC_ALPHA_RF  9u

/* RFC 9406 4.3 constants */
#define HS_MIN_RTT_THRESH_US 4000u
#define HS_MAX_RTT_THRESH_US 16000u
#define HS_MIN_RTT_DIVISOR   8u
#define HS_N_RTT_SAMPLE      8u
#define HS_CSS_GROWTH_DIV    4u
#define HS_CSS_ROUNDS        5u
#define HS_L                 8u /* segments per ACK in slow start, not paced */
#define HS_INF               UINT32_MAX

struct hystart {
	uint32_t window_end;  /* the round ends when SND.UNA reaches this */
	uint32_t last_min_us; /* lastRoundMinRTT */
	uint32_t cur_min_us;  /* currentRoundMinRTT */
	uint32_t css_base_us; /* cssBaselineMinRtt */
	uint32_t pending_us;  /* a sample not yet folded in (0: none) */
	uint8_t phase;        /* TCP_HS_* */
	uint8_t samples;      /* rttSampleCount (saturating) */
	uint8_t css_rounds;   /* rounds completed in CSS */
};

/* Everything a spurious congestion event must be able to restore (RFC 9438 4.9). */
struct cubic_epoch {
	uint64_t epoch_start; /* t_epoch, ns (0: no epoch running) */
	uint32_t w_max;       /* bytes */
	uint32_t k;           /* kt */
	uint32_t w_est;       /* bytes */
	uint32_t cwnd_epoch;  /* bytes */
	uint32_t cwnd_prior;  /* cwnd before the last reduction, bytes */
	uint8_t alpha;        /* alpha_cubic in 1/17 */
	bool after_rto;       /* the next epoch follows a timeout (4.8) */
	struct hystart hs;
};

struct cubic {
	struct cubic_epoch e, prior;
	bool have_prior;
	uint64_t acc;           /* cwnd growth carried: (target - cwnd) * acked, mod cwnd */
	uint64_t west_acc;      /* W_est growth carried, mod 17 * cwnd */
	uint64_t limited_since; /* not cwnd-limited since (ns; 0: cwnd-limited) */
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_ep *)0)->cc_priv),
               "struct cubic must fit in cc_priv");

static struct cubic *cubic_of(struct tcp_ep *ep)
{
	return (struct cubic *)(void *)ep->cc_priv;
}

static const struct cubic *cubic_of_const(const struct tcp_ep *ep)
{
	return (const struct cubic *)(const void *)ep->cc_priv;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---------------------------------------------------------------- fixed-point arithmetic */

uint32_t tcp_cubic_icbrt(uint64_t x)
{
	/* Digit by digit, most significant first. Invariant: after the step at shift s, y is
	 * the cube root of x_orig >> s (rounded down) and x holds x_orig - (y^3 << s) within
	 * the bits at and above s. Appending bit 1 to y costs (2y + 1)^3 - (2y)^3 =
	 * 12y^2 + 6y + 1 = 3 * (2y) * (2y + 1) + 1 units at the new shift. */
	uint64_t y = 0;

	for (int s = 63; s >= 0; s -= 3) {
		uint64_t b;

		y <<= 1;
		b = 3 * y * (y + 1) + 1;
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return (uint32_t)y;
}

static uint64_t ns_to_kt(uint64_t ns)
{
	if (ns > (1ull << 53))
		ns = 1ull << 53;
	return (ns << 10) / NS_SEC;
}

uint32_t tcp_cubic_k(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
	uint64_t diff;

	if (w_max <= cwnd_epoch || !mss)
		return 0;
	/* K^3 [kt^3] = (W_max - cwnd_epoch) / SMSS / C * 2^30, C = 2/5. */
	diff = w_max - cwnd_epoch;
	return tcp_cubic_icbrt(((diff << 30) / mss) / 2 * 5);
}

uint32_t tcp_cubic_w(uint32_t w_max, uint32_t k_kt, uint32_t mss, uint64_t t)
{
	int64_t d = (int64_t)ns_to_kt(t) - (int64_t)k_kt;
	uint64_t ad = d < 0 ? (uint64_t)-d : (uint64_t)d;
	uint64_t delta;

	if (ad > CUBIC_KT_MAX)
		ad = CUBIC_KT_MAX;
	/* C * d^3 segments = d^3 * 2 / (5 * 2^30); in bytes, times SMSS. */
	delta = (((ad * ad * ad) >> 20) * 2 * mss / 5) >> 10;
	if (d < 0)
		return delta >= w_max ? 0 : w_max - (uint32_t)delta;
	return delta >= CUBIC_CWND_MAX - w_max ? CUBIC_CWND_MAX : w_max + (uint32_t)delta;
}

/* ---------------------------------------------------------------- HyStart++ (RFC 9406) */

static void hystart_reset(struct tcp_ep *ep, struct hystart *h, bool on)
{
	memset(h, 0, sizeof(*h));
	h->phase = on ? TCP_HS_SS : TCP_HS_OFF;
	h->window_end = ep->snd_max;
	h->last_min_us = h->cur_min_us = h->css_base_us = HS_INF;
}

/* RTT and round bookkeeping of one ACK; may change the phase (4.2). The ACK that reaches
 * windowEnd is the last of its round: its sample counts there, then a new round begins
 * with windowEnd = SND.NXT. */
static void hystart_ack(struct tcp_ep *ep, struct hystart *h)
{
	if (h->pending_us) {
		h->cur_min_us = min_u32(h->cur_min_us, h->pending_us);
		if (h->samples < 255)
			h->samples++;
		h->pending_us = 0;
	}
	if (h->samples >= HS_N_RTT_SAMPLE && h->cur_min_us != HS_INF) {
		if (h->phase == TCP_HS_SS && h->last_min_us != HS_INF) {
			uint32_t thresh = h->last_min_us / HS_MIN_RTT_DIVISOR;

			thresh = thresh < HS_MIN_RTT_THRESH_US   ? HS_MIN_RTT_THRESH_US
			         : thresh > HS_MAX_RTT_THRESH_US ? HS_MAX_RTT_THRESH_US
			                                         : thresh;
			if ((uint64_t)h->cur_min_us >= (uint64_t)h->last_min_us + thresh) {
				h->css_base_us = h->cur_min_us;
				h->css_rounds = 0;
				h->phase = TCP_HS_CSS;
			}
		} else if (h->phase == TCP_HS_CSS && h->cur_min_us < h->css_base_us) {
			/* The delay increase was spurious: back to slow start. */
			h->css_base_us = HS_INF;
			h->phase = TCP_HS_SS;
		}
	}
	if (seq_ge(ep->snd_una, h->window_end)) {
		h->window_end = ep->snd_max;
		h->last_min_us = h->cur_min_us;
		h->cur_min_us = HS_INF;
		h->samples = 0;
		if (h->phase == TCP_HS_CSS && ++h->css_rounds >= HS_CSS_ROUNDS) {
			/* "enter congestion avoidance by setting ssthresh = cwnd" */
			ep->ssthresh = ep->cwnd;
			h->phase = TCP_HS_OFF;
		}
	}
}

/* ---------------------------------------------------------------- CUBIC */

static void cubic_init(struct tcp_ep *ep)
{
	struct cubic *c = cubic_of(ep);

	memset(c, 0, sizeof(*c));
	c->e.alpha = CUBIC_ALPHA_DEN;
	/* RFC 9406 4.1: only the initial slow start (ssthresh still "arbitrarily high"). */
	hystart_reset(ep, &c->e.hs, ep->ssthresh == UINT32_MAX);
	ep->cwnd_acc = 0;
}

static void cubic_epoch_begin(struct tcp_ep *ep, struct cubic *c, uint64_t now)
{
	struct cubic_epoch *e = &c->e;
	uint32_t cwnd = ep->cwnd;

	e->epoch_start = now ? now : 1;
	e->cwnd_epoch = cwnd;
	if (e->after_rto || e->w_max <= cwnd) {
		/* 4.8 after a timeout; otherwise nothing to return to: start convex. */
		e->w_max = cwnd;
		e->k = 0;
	} else {
		e->k = tcp_cubic_k(e->w_max, cwnd, ep->mss);
	}
	e->after_rto = false;
	e->w_est = cwnd;
	e->alpha = e->w_est >= e->cwnd_prior ? CUBIC_ALPHA_DEN : CUBIC_ALPHA_RF;
	c->acc = 0;
	c->west_acc = 0;
}

static void cubic_slow_start(struct tcp_ep *ep, struct cubic *c, uint32_t acked)
{
	uint32_t l = c->e.hs.phase != TCP_HS_OFF ? HS_L : 2u;
	uint32_t inc = min_u32(acked, l * ep->mss);

	if (c->e.hs.phase == TCP_HS_CSS)
		inc /= HS_CSS_GROWTH_DIV;
	ep->cwnd += inc;
	if (ep->ssthresh != UINT32_MAX && ep->cwnd > ep->ssthresh)
		ep->cwnd = ep->ssthresh; /* the rest of this ACK starts congestion avoidance */
}

static void cubic_cong_avoid_ca(struct tcp_ep *ep, struct cubic *c, uint32_t acked, uint64_t now)
{
	struct cubic_epoch *e = &c->e;
	uint32_t cwnd = ep->cwnd, mss = ep->mss, w_t, target;
	uint64_t t, den, inc;

	if (!e->epoch_start)
		cubic_epoch_begin(ep, c, now);
	t = now - e->epoch_start;
	w_t = tcp_cubic_w(e->w_max, e->k, mss, t);
	target = tcp_cubic_w(e->w_max, e->k, mss, t + ep->srtt);

	/* 4.3: the Reno-friendly estimate. */
	c->west_acc += (uint64_t)e->alpha * mss * acked;
	den = (uint64_t)CUBIC_ALPHA_DEN * cwnd;
	inc = c->west_acc / den;
	c->west_acc %= den;
	e->w_est = (uint32_t)(e->w_est + inc < CUBIC_CWND_MAX ? e->w_est + inc : CUBIC_CWND_MAX);
	if (e->alpha != CUBIC_ALPHA_DEN && e->w_est >= e->cwnd_prior)
		e->alpha = CUBIC_ALPHA_DEN;
	if (w_t < e->w_est) {
		if (e->w_est > cwnd)
			ep->cwnd = e->w_est;
		return;
	}
	/* 4.4, 4.5: concave or convex, the same step toward the target. */
	if (target < cwnd)
		target = cwnd;
	if (target > cwnd + cwnd / 2)
		target = cwnd + cwnd / 2;
	c->acc += (uint64_t)(target - cwnd) * acked;
	inc = c->acc / cwnd;
	c->acc %= cwnd;
	ep->cwnd = (uint32_t)(cwnd + inc < CUBIC_CWND_MAX ? cwnd + inc : CUBIC_CWND_MAX);
}

static void cubic_cong_avoid(struct tcp_ep *ep, uint32_t acked)
{
	struct cubic *c = cubic_of(ep);
	uint64_t now = ns_stack_now(ep->ep.stack), idle;
	bool limited = tcp_cc_cwnd_limited(ep, acked, &idle);

	if (idle) {
		/* RFC 9438 5.8: t must not count an idle period; begin a new epoch. */
		c->e.epoch_start = 0;
		c->limited_since = 0;
	}
	if (ep->cwnd < ep->ssthresh && c->e.hs.phase != TCP_HS_OFF)
		hystart_ack(ep, &c->e.hs);
	if (!limited) {
		if (!c->limited_since)
			c->limited_since = now ? now : 1;
		return;
	}
	if (c->limited_since) {
		/* Shift the curve by the time spent not using cwnd (RFC 9438 5.8). */
		if (c->e.epoch_start)
			c->e.epoch_start += now - c->limited_since;
		c->limited_since = 0;
	}
	if (ep->cwnd < ep->ssthresh)
		cubic_slow_start(ep, c, acked);
	else
		cubic_cong_avoid_ca(ep, c, acked, now);
	if (ep->cwnd > CUBIC_CWND_MAX)
		ep->cwnd = CUBIC_CWND_MAX;
}

static uint32_t cubic_ssthresh(struct tcp_ep *ep)
{
	struct cubic *c = cubic_of(ep);
	uint32_t cwnd = ep->cwnd, floor = 2u * ep->mss, flight = tcp_flight(ep);
	uint32_t ss;

	/* 4.6: ssthresh = FlightSize * beta, beta = 0.7; but FlightSize (snd_max - snd_una)
	 * never counts for more than cwnd: with SACK it includes bytes the peer holds, which
	 * have left the network (after a recovery whose retransmissions were lost, many
	 * times cwnd). 4.6 allows cwnd, given cwnd validation (tcp_cc_cwnd_limited()). */
	ss = (uint32_t)((uint64_t)(flight < cwnd ? flight : cwnd) * 7 / 10);

	tcp_cc_save_prior(ep);
	c->prior = c->e;
	c->have_prior = true;
	/* 4.7 fast convergence: W_max = cwnd * (1 + beta) / 2 when below the last W_max. */
	c->e.w_max = cwnd < c->e.w_max ? (uint32_t)((uint64_t)cwnd * 17 / 20) : cwnd;
	c->e.cwnd_prior = cwnd;
	c->e.epoch_start = 0;
	c->limited_since = 0;
	c->e.hs.phase = TCP_HS_OFF; /* RFC 9406 4.2: a loss ends HyStart++ */
	return ss > floor ? ss : floor;
}

static void cubic_on_loss(struct tcp_ep *ep, bool rto)
{
	struct cubic *c = cubic_of(ep);

	/* Congestion avoidance starts afresh at the next ACK (recovery's end or 4.8). */
	c->e.epoch_start = 0;
	c->limited_since = 0;
	c->e.hs.phase = TCP_HS_OFF;
	if (rto)
		c->e.after_rto = true;
}

static void cubic_undo(struct tcp_ep *ep)
{
	struct cubic *c = cubic_of(ep);

	if (!tcp_cc_restore_prior(ep) || !c->have_prior)
		return;
	c->e = c->prior;
	c->have_prior = false;
	c->acc = 0;
	c->west_acc = 0;
	c->limited_since = 0;
}

static void cubic_rtt_sample(struct tcp_ep *ep, uint64_t rtt)
{
	struct hystart *h = &cubic_of(ep)->e.hs;
	uint64_t us = rtt / 1000;

	if (h->phase == TCP_HS_OFF)
		return;
	h->pending_us = us == 0 ? 1 : us >= HS_INF ? HS_INF - 1 : (uint32_t)us;
}

static void cubic_info(const struct tcp_ep *ep, struct tcp_cc_info *out)
{
	const struct cubic *c = cubic_of_const(ep);

	memset(out, 0, sizeof(*out));
	out->w_max = c->e.w_max;
	out->w_est = c->e.w_est;
	out->cwnd_epoch = c->e.cwnd_epoch;
	out->k_kt = c->e.k;
	out->epoch_start = c->e.epoch_start;
	out->hystart = c->e.hs.phase;
	out->css_rounds = c->e.hs.css_rounds;
	out->last_round_min_rtt_us = c->e.hs.last_min_us;
	out->cur_round_min_rtt_us = c->e.hs.cur_min_us;
	out->css_baseline_us = c->e.hs.css_base_us;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .cong_avoid = cubic_cong_avoid,
    .ssthresh = cubic_ssthresh,
    .on_loss = cubic_on_loss,
    .undo = cubic_undo,
    .rtt_sample = cubic_rtt_sample,
    .info = cubic_info,
};
