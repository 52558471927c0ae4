/* SPDX-License-Identifier: MIT */
/*
 * CUBIC (RFC 9438) and HyStart++ (RFC 9406) on the virtual clock.
 *
 * Most tests drive the algorithm through its tcp_cc_ops on a bench endpoint: a struct
 * tcp_ep that belongs to no connection, whose clock is the harness stack's virtual clock
 * and whose snd_una/snd_max the test moves to stand for segments sent and acknowledged
 * (the flight is kept at cwnd, so the sender counts as cwnd-limited, unless a test says
 * otherwise). Expected values come from the RFC formulas evaluated here in floating point
 * (the library has none), with the hand-computed numbers in the comments. Packet-level
 * tests check the default, the option, and the 0.7 reduction on the wire.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_test.h"

#define ST  struct tt *t = *state
#define MSS 1460u
#define MS  NS_MSEC

/* ---------------------------------------------------------------- bench endpoint */

static struct tcp_ep *bench_ep(struct tt *t, const struct tcp_cc_ops *ops, uint64_t srtt)
{
	struct tcp_ep *ep = calloc(1, sizeof(*ep));

	assert_non_null(ep);
	ep->ep.stack = t->nt.s;
	ep->ts = tcp_stack_of(t->nt.s);
	ep->state = TCP_ESTABLISHED;
	ep->mss = MSS;
	ep->rto = 200 * MS;
	ep->srtt = srtt;
	ep->snd_una = ep->snd_nxt = ep->snd_max = 1000;
	ep->cc = ops;
	tcp_cc_init(ep);
	return ep;
}

static struct tcp_cc_info info(const struct tcp_ep *ep)
{
	struct tcp_cc_info i;

	ep->cc->info(ep, &i);
	return i;
}

/* The sender fills cwnd: flight = cwnd. */
static void fill(struct tcp_ep *ep)
{
	ep->snd_max = ep->snd_una + ep->cwnd;
	ep->snd_nxt = ep->snd_max;
}

/* One ACK of @acked bytes after @dt of virtual time, the flight then refilled. */
static void ack(struct tt *t, struct tcp_ep *ep, uint64_t dt, uint32_t acked)
{
	if (dt)
		nt_advance(&t->nt, dt);
	ep->snd_una += acked;
	ep->cc->cong_avoid(ep, acked);
	fill(ep);
}

/* ACK-clocked congestion avoidance for @dur: each RTT, cwnd / MSS ACKs of one segment,
 * evenly spaced. */
static void run(struct tt *t, struct tcp_ep *ep, uint64_t dur)
{
	uint64_t end = nt_now(&t->nt) + dur;

	fill(ep);
	while (nt_now(&t->nt) < end) {
		uint64_t dt = ep->srtt / (ep->cwnd / MSS ? ep->cwnd / MSS : 1);

		ack(t, ep, dt ? dt : 1, MSS);
	}
}

/* A congestion event as fast recovery ends it: ssthresh from the hook, cwnd = ssthresh. */
static void loss(struct tcp_ep *ep)
{
	fill(ep);
	ep->ssthresh = ep->cc->ssthresh(ep);
	ep->cwnd = ep->ssthresh;
	if (ep->cc->on_loss)
		ep->cc->on_loss(ep, false);
}

/* RFC 9438 eq. 1 in segments, t and k in seconds. */
static double w_rfc(double w_max, double k, double t)
{
	double d = t - k;

	return 0.4 * d * d * d + w_max;
}

static double segs(uint32_t bytes)
{
	return (double)bytes / MSS;
}

#define assert_near(x, want, tol)                                                            \
	do {                                                                                 \
		double x_ = (x), w_ = (want);                                                \
		if (x_ < w_ - (tol) || x_ > w_ + (tol))                                      \
			fail_msg("%s = %.4f, want %.4f +- %.4f", #x, x_, w_, (double)(tol)); \
	} while (0)

static void same_info(const struct tcp_cc_info *a, const struct tcp_cc_info *b)
{
	assert_int_equal(a->w_max, b->w_max);
	assert_int_equal(a->w_est, b->w_est);
	assert_int_equal(a->cwnd_epoch, b->cwnd_epoch);
	assert_int_equal(a->k_kt, b->k_kt);
	assert_int_equal(a->epoch_start, b->epoch_start);
	assert_int_equal(a->hystart, b->hystart);
	assert_int_equal(a->css_rounds, b->css_rounds);
	assert_int_equal(a->last_round_min_rtt_us, b->last_round_min_rtt_us);
	assert_int_equal(a->cur_round_min_rtt_us, b->cur_round_min_rtt_us);
	assert_int_equal(a->css_baseline_us, b->css_baseline_us);
}

/* ---------------------------------------------------------------- arithmetic */

static void icbrt_is_the_floor_of_the_cube_root(void **state)
{
	/* Around perfect cubes small and large, and the top of the range. */
	static const uint64_t roots[] = {1, 2, 3, 10, 100, 1024, 4318, 65536, 1u << 20, 2642245};

	for (unsigned i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		uint64_t c = roots[i] * roots[i] * roots[i];

		assert_int_equal(tcp_cubic_icbrt(c), roots[i]);
		assert_int_equal(tcp_cubic_icbrt(c - 1), roots[i] - 1);
		if (roots[i] < 2642245)
			assert_int_equal(tcp_cubic_icbrt(c + 1), roots[i]);
	}
	assert_int_equal(tcp_cubic_icbrt(0), 0);
	assert_int_equal(tcp_cubic_icbrt(UINT64_MAX), 2642245); /* 2642246^3 > 2^64 */
	for (uint64_t x = 0; x < 200000; x += 7) {
		uint64_t y = tcp_cubic_icbrt(x);

		assert_true(y * y * y <= x && (y + 1) * (y + 1) * (y + 1) > x);
	}
}

static void k_follows_rfc_9438_eq_2(void **state)
{
	/* K = cbrt((W_max - cwnd_epoch) / C): 100 -> 70 segments: cbrt(75) = 4.21716 s, i.e.
	 * 4318.4 kt; 1000 -> 700: cbrt(750) = 9.08560 s = 9303.7 kt; 10 -> 7: cbrt(7.5) =
	 * 1.95743 s = 2004.4 kt. */
	assert_near(tcp_cubic_k(100 * MSS, 70 * MSS, MSS), 4318.4, 1.0);
	assert_near(tcp_cubic_k(1000 * MSS, 700 * MSS, MSS), 9303.7, 1.0);
	assert_near(tcp_cubic_k(10 * MSS, 7 * MSS, MSS), 2004.4, 1.0);
	assert_int_equal(tcp_cubic_k(70 * MSS, 70 * MSS, MSS), 0);
	assert_int_equal(tcp_cubic_k(60 * MSS, 70 * MSS, MSS), 0);
}

static void w_cubic_at_chosen_times(void **state)
{
	const double k = 4.2171633265; /* cbrt(75) */
	uint32_t kk = tcp_cubic_k(100 * MSS, 70 * MSS, MSS);
	/* W(0) = 70 (cwnd_epoch); W(2 s) = 100 - 0.4 * 2.21716^3 = 95.640; W(K) = 100 (the
	 * plateau); W(K + 1 s) = 100.4; W(6 s) = 100 + 0.4 * 1.78284^3 = 102.267;
	 * W(10 s) = 100 + 0.4 * 5.78284^3 = 177.354. */
	static const double ts[] = {0, 0.5, 2, 4.2171633265, 5.2171633265, 6, 10, 30};

	for (unsigned i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		uint64_t tn = (uint64_t)(ts[i] * NS_SEC);

		assert_near(segs(tcp_cubic_w(100 * MSS, kk, MSS, tn)), w_rfc(100, k, ts[i]),
		            0.02 + 0.001 * w_rfc(100, k, ts[i]));
	}
	assert_near(segs(tcp_cubic_w(100 * MSS, kk, MSS, 2 * NS_SEC)), 95.640, 0.05);
	assert_near(segs(tcp_cubic_w(100 * MSS, kk, MSS, 6 * NS_SEC)), 102.267, 0.05);
	assert_near(segs(tcp_cubic_w(100 * MSS, kk, MSS, 10 * NS_SEC)), 177.354, 0.2);
	/* Far out, the function saturates instead of overflowing. */
	assert_true(tcp_cubic_w(100 * MSS, kk, MSS, 100000 * NS_SEC) == 1u << 30);
	assert_true(tcp_cubic_w(100 * MSS, 50000, MSS, 0) == 0);
}

/* ---------------------------------------------------------------- the curve, ACK by ACK */

static void loss_leaves_0_7_and_the_curve_is_followed(void **state)
{
	ST;
	const double k = 4.2171633265;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 100 * MS);
	struct tcp_cc_info i;
	uint64_t t0;

	ep->ssthresh = ep->cwnd = 100 * MSS; /* in congestion avoidance at 100 segments */
	loss(ep);
	/* RFC 9438 4.6: ssthresh = 0.7 * FlightSize; 4.7: the first W_max is cwnd. */
	assert_int_equal(ep->ssthresh, 70 * MSS);
	assert_int_equal(ep->cwnd, 70 * MSS);
	assert_int_equal(info(ep).w_max, 100 * MSS);
	/* The first ACK of congestion avoidance starts the epoch. */
	t0 = nt_now(&t->nt);
	ack(t, ep, 1, MSS);
	i = info(ep);
	assert_int_equal(i.epoch_start, t0 + 1);
	assert_int_equal(i.cwnd_epoch, 70 * MSS);
	assert_near(i.k_kt, 4318.4, 1.0);
	/* ACK-clocked at 100 ms RTT, cwnd tracks the curve one RTT ahead (the target is
	 * W(t + RTT)) while the Reno-friendly estimate stays below: W_est gains 0.5294 segment
	 * per RTT up to cwnd_prior = 100 (at 56.7 RTTs, 5.67 s), then 1 per RTT, so at 7 s it
	 * is 113.3 segments against W(7 s) = 108.62: by then cwnd follows W_est (4.3). */
	static const double at[] = {1, 2, 3, 4.2171633265, 5.5, 7};
	for (unsigned n = 0; n < sizeof(at) / sizeof(at[0]); n++) {
		double now_s, rtts, west, lo, hi;

		run(t, ep, t0 + (uint64_t)(at[n] * NS_SEC) - nt_now(&t->nt));
		now_s = (double)(nt_now(&t->nt) - t0) / NS_SEC;
		rtts = now_s / 0.1;
		west = rtts < 30 / 0.5294 ? 70 + 0.5294 * rtts : 100 + (rtts - 30 / 0.5294);
		lo = w_rfc(100, k, now_s) > west ? w_rfc(100, k, now_s) : west;
		hi = w_rfc(100, k, now_s + 0.1) > west ? w_rfc(100, k, now_s + 0.1) : west;
		if (segs(ep->cwnd) < lo - 1.0 || segs(ep->cwnd) > hi + 1.0)
			fail_msg("t = %.3f s: cwnd %.2f segments, W(t) %.2f, W(t + RTT) %.2f, "
			         "W_est %.2f",
			         now_s, segs(ep->cwnd), w_rfc(100, k, now_s),
			         w_rfc(100, k, now_s + 0.1), west);
		assert_near(segs(info(ep).w_est), west, 1.0);
		if (at[n] < 6)
			assert_true(info(ep).w_est < ep->cwnd); /* the cubic region */
		else
			assert_int_equal(info(ep).w_est, ep->cwnd); /* the Reno-friendly region */
	}
	free(ep);
}

static void reno_friendly_region_takes_over_at_small_rtt(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 1 * MS);
	uint64_t t0;

	ep->ssthresh = ep->cwnd = 100 * MSS;
	loss(ep); /* W_max 100, cwnd 70, K = 4.217 s */
	t0 = nt_now(&t->nt);
	run(t, ep, 100 * MS);
	/* 100 RTTs of 1 ms: W_cubic(0.1 s) = 100 - 0.4 * 4.117^3 = 72.09 segments, while W_est
	 * grows alpha = 0.9 / 1.7 = 0.5294 per RTT to cwnd_prior = 100 (30 / 0.5294 = 56.7
	 * RTTs), then 1 per RTT: 100 + 43.3 = 143.3 segments. cwnd follows W_est. */
	assert_near(segs(info(ep).w_est), 143.3, 3.0);
	assert_int_equal(ep->cwnd, info(ep).w_est);
	assert_true(segs(ep->cwnd) >
	            w_rfc(100, 4.2171633265, (double)(nt_now(&t->nt) - t0) / NS_SEC) + 60);
	free(ep);
}

static void fast_convergence_lowers_w_max(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 50 * MS);

	ep->ssthresh = ep->cwnd = 100 * MSS;
	loss(ep);
	assert_int_equal(info(ep).w_max, 100 * MSS);
	/* The next loss comes at 80 segments, below W_max: another flow is taking
	 * bandwidth, so W_max = 80 * (1 + 0.7) / 2 = 68 segments (4.7). */
	ep->cwnd = 80 * MSS;
	loss(ep);
	assert_int_equal(info(ep).w_max, 68 * MSS);
	assert_int_equal(ep->ssthresh, 56 * MSS); /* 0.7 * 80 */
	/* A loss above W_max sets W_max to cwnd. */
	ep->cwnd = 120 * MSS;
	loss(ep);
	assert_int_equal(info(ep).w_max, 120 * MSS);
	assert_int_equal(ep->ssthresh, 84 * MSS);
	/* ssthresh never goes below 2 segments. */
	ep->cwnd = 2 * MSS;
	loss(ep);
	assert_int_equal(ep->ssthresh, 2 * MSS);
	free(ep);
}

static void rto_sets_one_segment_and_then_k_zero(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 20 * MS);
	struct tcp_cc_info i;

	ep->ssthresh = ep->cwnd = 100 * MSS;
	run(t, ep, NS_SEC);
	fill(ep);
	/* RFC 9438 4.8: cwnd to the loss window, ssthresh = 0.7 * FlightSize. */
	tcp_cc_rto(ep);
	assert_int_equal(ep->cwnd, MSS);
	assert_int_equal(ep->ssthresh, (uint32_t)((uint64_t)ep->snd_max - ep->snd_una) * 7 / 10);
	/* A second expiry of the same episode leaves ssthresh alone. */
	{
		uint32_t ss = ep->ssthresh;

		ep->backoff = 1;
		tcp_cc_rto(ep);
		assert_int_equal(ep->ssthresh, ss);
		ep->backoff = 0;
	}
	/* Slow start back to ssthresh, then the first epoch: K = 0, W_max = W_est = cwnd. */
	while (ep->cwnd < ep->ssthresh)
		ack(t, ep, MS, MSS);
	assert_int_equal(ep->cwnd, ep->ssthresh);
	ack(t, ep, MS, MSS);
	i = info(ep);
	assert_int_equal(i.k_kt, 0);
	assert_int_equal(i.w_max, i.cwnd_epoch);
	assert_int_equal(i.w_est >= i.cwnd_epoch, 1);
	assert_int_equal(i.cwnd_epoch, ep->ssthresh);
	free(ep);
}

static void undo_restores_the_pre_loss_state(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 20 * MS);
	struct tcp_cc_info before, after;
	uint32_t cwnd, ssthresh;

	ep->ssthresh = ep->cwnd = 100 * MSS;
	loss(ep);
	run(t, ep, 2 * NS_SEC);
	cwnd = ep->cwnd;
	ssthresh = ep->ssthresh;
	before = info(ep);
	/* A fast retransmit (three duplicate ACKs) that later proves spurious. */
	fill(ep);
	for (int n = 0; n < 3; n++)
		tcp_cc_ack(ep, 0, true);
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(ep->ssthresh, cwnd * 7 / 10);
	assert_int_not_equal(info(ep).w_max, before.w_max);
	tcp_cc_undo(ep);
	after = info(ep);
	assert_false(ep->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(ep->cwnd, cwnd);
	assert_int_equal(ep->ssthresh, ssthresh);
	same_info(&after, &before);
	/* A spurious RTO likewise. */
	tcp_cc_rto(ep);
	assert_int_equal(ep->cwnd, MSS);
	tcp_cc_undo(ep);
	assert_int_equal(ep->cwnd, cwnd);
	assert_int_equal(ep->ssthresh, ssthresh);
	after = info(ep);
	same_info(&after, &before);
	/* Nothing saved: undo changes nothing. */
	tcp_cc_undo(ep);
	assert_int_equal(ep->cwnd, cwnd);
	free(ep);

	/* Reno too. */
	ep = bench_ep(t, &tcp_cc_reno, 20 * MS);
	ep->ssthresh = ep->cwnd = 40 * MSS;
	fill(ep);
	for (int n = 0; n < 3; n++)
		tcp_cc_ack(ep, 0, true);
	assert_int_equal(ep->ssthresh, 20 * MSS);
	tcp_cc_undo(ep);
	assert_int_equal(ep->cwnd, 40 * MSS);
	assert_int_equal(ep->ssthresh, 40 * MSS);
	free(ep);
}

static void app_limited_does_not_grow_and_idle_resets_the_epoch(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 50 * MS);
	struct tcp_cc_info i;
	uint32_t cwnd = 0;
	uint64_t start;

	ep->ssthresh = ep->cwnd = 100 * MSS;
	loss(ep);
	run(t, ep, NS_SEC);
	start = info(ep).epoch_start;
	/* Sending a quarter of cwnd: once the last two rounds' largest flight is under half
	 * of cwnd (RFC 7661's pipeACK), cwnd stops growing... */
	for (int n = 0; n < 500; n++) {
		if (n == 150)
			cwnd = ep->cwnd;
		nt_advance(&t->nt, 10 * MS);
		ep->snd_una += MSS;
		ep->snd_max = ep->snd_una + ep->cwnd / 4;
		ep->cc->cong_avoid(ep, MSS);
	}
	assert_int_equal(ep->cwnd, cwnd);
	/* ...and when cwnd-limited again, t has not counted that time: t_epoch moved forward
	 * by at least the 3.5 s of the last 350 ACKs. */
	ack(t, ep, 10 * MS, MSS);
	ack(t, ep, 10 * MS, MSS);
	i = info(ep);
	assert_true(i.epoch_start - start >= 3500 * MS && i.epoch_start - start <= 5 * NS_SEC);
	assert_true(ep->cwnd - cwnd < 2 * MSS);
	/* Idle longer than the RTO (everything acknowledged, nothing sent): a new epoch
	 * begins at the next ACK, from the current cwnd, keeping W_max. */
	ep->snd_una = ep->snd_max;
	ep->cc->cong_avoid(ep, MSS);
	nt_advance(&t->nt, 3 * NS_SEC);
	fill(ep);
	ack(t, ep, 50 * MS, MSS);
	i = info(ep);
	assert_int_equal(i.epoch_start, nt_now(&t->nt));
	assert_true(ep->cwnd - i.cwnd_epoch < MSS);
	assert_int_equal(i.w_max, info(ep).w_max);
	assert_true(i.w_max > i.cwnd_epoch);
	free(ep);

	/* Reno does not grow while application-limited either. */
	ep = bench_ep(t, &tcp_cc_reno, 50 * MS);
	cwnd = ep->cwnd;
	for (int n = 0; n < 100; n++) {
		nt_advance(&t->nt, 10 * MS);
		ep->snd_una += 100;
		ep->snd_max = ep->snd_una + 1000;
		ep->cc->cong_avoid(ep, 100);
	}
	assert_int_equal(ep->cwnd, cwnd);
	free(ep);
}

/* ---------------------------------------------------------------- HyStart++ */

/* The end of the test's current round, by RFC 9406's rule: the round ends with the ACK
 * that reaches it, and the next one ends at what had been sent by then. */
static uint32_t hs_end;

static void hs_start(struct tcp_ep *ep)
{
	fill(ep);
	hs_end = ep->snd_max;
}

/* One round at @rtt: ACKs of a segment each (the sender refilling cwnd after each), every
 * one with an RTT sample. Returns how many ACKs. */
static uint32_t hs_round(struct tt *t, struct tcp_ep *ep, uint64_t rtt)
{
	uint32_t n = 0, end = hs_end;
	uint32_t count = (end - ep->snd_una + MSS - 1) / MSS;

	while (seq_lt(ep->snd_una, end)) {
		uint32_t a = end - ep->snd_una < MSS ? end - ep->snd_una : MSS;

		nt_advance(&t->nt, rtt / count);
		tcp_cc_rtt(ep, rtt);
		ep->snd_una += a;
		if (ep->snd_una == end)
			hs_end = ep->snd_max;
		ep->cc->cong_avoid(ep, a);
		fill(ep);
		n++;
	}
	return n;
}

static void hystart_exits_slow_start_on_delay_increase_and_not_before(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 20 * MS);
	uint32_t c0, n;

	assert_int_equal(info(ep).hystart, TCP_HS_SS);
	assert_int_equal(ep->ssthresh, UINT32_MAX);
	hs_start(ep);
	hs_round(t, ep, 20 * MS);
	hs_round(t, ep, 20 * MS);
	assert_int_equal(info(ep).hystart, TCP_HS_SS);
	assert_int_equal(info(ep).last_round_min_rtt_us, 20000);
	/* RttThresh = clamp(20 ms / 8, 4 ms, 16 ms) = 4 ms: 23.9 ms stays in slow start. */
	hs_round(t, ep, 23900 * 1000);
	assert_int_equal(info(ep).hystart, TCP_HS_SS);
	/* Against 23.9 ms, 27.899 ms is still below the threshold... */
	hs_round(t, ep, 27899 * 1000);
	assert_int_equal(info(ep).hystart, TCP_HS_SS);
	/* ...and against that, 31.899 ms crosses it: Conservative Slow Start. */
	c0 = ep->cwnd;
	n = hs_round(t, ep, 31899 * 1000);
	assert_int_equal(info(ep).hystart, TCP_HS_CSS);
	assert_int_equal(info(ep).css_baseline_us, 31899);
	assert_int_equal(ep->ssthresh, UINT32_MAX);
	/* Within that round, 7 ACKs at the full slow-start rate; from the 8th sample on, a
	 * quarter (CSS_GROWTH_DIVISOR). */
	assert_int_equal(ep->cwnd - c0, 7 * MSS + (n - 7) * (MSS / 4));
	free(ep);
}

static void hystart_threshold_is_clamped_to_16_ms(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 200 * MS);

	hs_start(ep);
	hs_round(t, ep, 200 * MS);
	hs_round(t, ep, 200 * MS);
	/* 200 ms / 8 = 25 ms, clamped to 16 ms. */
	hs_round(t, ep, 215999 * 1000);
	assert_int_equal(info(ep).hystart, TCP_HS_SS);
	hs_round(t, ep, 231999 * 1000);
	assert_int_equal(info(ep).hystart, TCP_HS_CSS);
	free(ep);
}

static void css_rounds_end_slow_start_or_resume_it(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 20 * MS);
	uint32_t before, n;

	hs_start(ep);
	hs_round(t, ep, 20 * MS);
	hs_round(t, ep, 20 * MS);
	hs_round(t, ep, 25 * MS);
	assert_int_equal(info(ep).hystart, TCP_HS_CSS);
	assert_int_equal(info(ep).css_rounds, 1); /* the entry round, now complete */
	/* A round whose minimum RTT falls below the baseline: the increase was spurious. */
	hs_round(t, ep, 22 * MS);
	assert_int_equal(info(ep).hystart, TCP_HS_SS);
	/* Up again (22 + 4 ms): CSS; CSS_ROUNDS = 5 rounds, the entry round counting, end
	 * slow start. */
	hs_round(t, ep, 26 * MS);
	assert_int_equal(info(ep).hystart, TCP_HS_CSS);
	assert_int_equal(info(ep).css_rounds, 1);
	for (int r = 2; r < 5; r++) {
		before = ep->cwnd;
		n = hs_round(t, ep, 30 * MS);
		assert_int_equal(info(ep).hystart, TCP_HS_CSS);
		assert_int_equal(info(ep).css_rounds, r);
		assert_int_equal(ep->ssthresh, UINT32_MAX);
		/* CSS grows by a quarter of slow start: 1/4 of what each ACK covers. */
		assert_true(ep->cwnd - before <= n * (MSS / 4) &&
		            ep->cwnd - before + MSS / 4 >= n * (MSS / 4));
	}
	/* The ACK ending the fifth round: ssthresh = cwnd, congestion avoidance. */
	hs_round(t, ep, 30 * MS);
	assert_int_equal(info(ep).hystart, TCP_HS_OFF);
	assert_true(ep->ssthresh <= ep->cwnd && ep->cwnd - ep->ssthresh < MSS);
	free(ep);
}

static void loss_in_slow_start_ends_hystart(void **state)
{
	ST;
	struct tcp_ep *ep = bench_ep(t, &tcp_cc_cubic, 20 * MS);

	hs_start(ep);
	hs_round(t, ep, 20 * MS);
	assert_int_equal(ep->cwnd, 20 * MSS);
	loss(ep);
	assert_int_equal(info(ep).hystart, TCP_HS_OFF);
	assert_int_equal(ep->ssthresh, 20 * MSS * 7 / 10);
	free(ep);
}

/* ---------------------------------------------------------------- on the wire */

static void cubic_is_the_default_and_reno_selectable(void **state)
{
	ST;
	struct ns_ep *e;
	int64_t v = -1;

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &e), NS_OK);
	assert_int_equal(ns_ep_get_opt(e, NS_TCP_CONGESTION, &v), NS_OK);
	assert_int_equal(v, 0);
	assert_int_equal(ns_ep_set_opt(e, NS_TCP_CONGESTION, 1), NS_OK);
	assert_int_equal(ns_ep_get_opt(e, NS_TCP_CONGESTION, &v), NS_OK);
	assert_int_equal(v, 1);
	assert_string_equal(tt_ep(e)->cc->name, "reno");
	assert_int_equal(ns_ep_set_opt(e, NS_TCP_CONGESTION, 2), NS_ERR_INVALID_OPTION_VALUE);
	assert_int_equal(ns_ep_set_opt(e, NS_TCP_CONGESTION, -1), NS_ERR_INVALID_OPTION_VALUE);
	assert_int_equal(ns_ep_get_opt(e, NS_TCP_CONGESTION, &v), NS_OK);
	assert_int_equal(v, 1);
	ns_ep_close(e);

	/* Connected: a switch keeps the window and starts the new law from it. */
	tt_established(t);
	assert_string_equal(tt_ep(t->c)->cc->name, "cubic");
	assert_int_equal(info(tt_ep(t->c)).hystart, TCP_HS_SS);
	{
		uint32_t cwnd = tt_ep(t->c)->cwnd;

		assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_CONGESTION, 1), NS_OK);
		assert_string_equal(tt_ep(t->c)->cc->name, "reno");
		assert_int_equal(tt_ep(t->c)->cwnd, cwnd);
		assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_CONGESTION, 0), NS_OK);
		assert_string_equal(tt_ep(t->c)->cc->name, "cubic");
		assert_int_equal(tt_ep(t->c)->cwnd, cwnd);
	}
	tt_finish(t);
}

static void accepted_connection_inherits_the_listener_choice(void **state)
{
	ST;

	tt_listen(t);
	assert_int_equal(ns_ep_set_opt(t->l, NS_TCP_CONGESTION, 1), NS_OK);
	tt_passive_open(t, NULL);
	assert_string_equal(tt_ep(t->c)->cc->name, "reno");
	tt_finish(t);
}

/* Ten segments out, the first lost: three duplicate ACKs. */
static void ten_out_then_three_dups(struct tt *t, uint32_t *s0)
{
	static uint8_t data[10 * 1460];

	*s0 = t->rnxt;
	tt_write(t->c, data, sizeof(data));
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = *s0 + 1460 * i, .len = 1460));
	for (int i = 0; i < 3; i++)
		tt_send(t, TT_SEG(.ack = *s0));
	tt_expect(t, TT_SEG(.seq = *s0, .len = 1460));
}

static void fast_retransmit_reduces_to_0_7_with_cubic_0_5_with_reno(void **state)
{
	ST;
	uint32_t s0;

	tt_established(t);
	ten_out_then_three_dups(t, &s0);
	/* RFC 9438 4.6: ssthresh = 0.7 * 10 segments. RFC 6937 PRR: pipe is 10 less the 3
	 * segments the duplicates say left, 7 = ssthresh, so nothing more may go than the
	 * fast retransmit: cwnd = pipe. */
	assert_int_equal(tt_ep(t->c)->ssthresh, 7 * 1460);
	assert_int_equal(tt_ep(t->c)->cwnd, 7 * 1460);
	assert_int_equal(info(tt_ep(t->c)).w_max, 10 * 1460);
	tt_send(t, TT_SEG(.ack = s0 + 10 * 1460));
	assert_false(tt_ep(t->c)->flags & TCP_F_IN_RECOVERY);
	tt_finish(t);

	tt_setup(t, NULL);
	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_CONGESTION, 1), NS_OK);
	ten_out_then_three_dups(t, &s0);
	assert_int_equal(tt_ep(t->c)->ssthresh, 5 * 1460);
	assert_int_equal(tt_ep(t->c)->cwnd, 7 * 1460); /* pipe 7 > ssthresh: PRR sends 1/2 */
	tt_send(t, TT_SEG(.ack = s0 + 10 * 1460));
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    cmocka_unit_test(icbrt_is_the_floor_of_the_cube_root),
	    cmocka_unit_test(k_follows_rfc_9438_eq_2),
	    cmocka_unit_test(w_cubic_at_chosen_times),
	    T(loss_leaves_0_7_and_the_curve_is_followed),
	    T(reno_friendly_region_takes_over_at_small_rtt),
	    T(fast_convergence_lowers_w_max),
	    T(rto_sets_one_segment_and_then_k_zero),
	    T(undo_restores_the_pre_loss_state),
	    T(app_limited_does_not_grow_and_idle_resets_the_epoch),
	    T(hystart_exits_slow_start_on_delay_increase_and_not_before),
	    T(hystart_threshold_is_clamped_to_16_ms),
	    T(css_rounds_end_slow_start_or_resume_it),
	    T(loss_in_slow_start_ends_hystart),
	    T(cubic_is_the_default_and_reno_selectable),
	    T(accepted_connection_inherits_the_listener_choice),
	    T(fast_retransmit_reduces_to_0_7_with_cubic_0_5_with_reno),
	};

	return cmocka_run_group_tests_name("tcp_cubic", tests, NULL, NULL);
}
