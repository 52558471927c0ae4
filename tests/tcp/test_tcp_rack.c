/* SPDX-License-Identifier: MIT */
/*
 * RACK-TLP (RFC 8985), segment by segment on the virtual clock: losses declared by time
 * (RACK.rtt + reo_wnd after a later segment was delivered), the reordering timer, and the
 * tail loss probe. The peer's SYN offers SACK-permitted and MSS 1460 without timestamps;
 * the peer answers 10 ms after each flight, so RACK.rtt and min_RTT are 10 ms and
 * reo_wnd = min_RTT / 4 = 2.5 ms. Reno keeps the numbers round.
 */
#include <string.h>

#include "tcp_test.h"
#include "twostack.h"

#define ST     struct tt *t = *state
#define SEG(i) (s0 + 1460u * (i))
#define RTT    (10 * NS_MSEC)

static uint8_t data[16 * 1460];

static void rack_established(struct tt *t)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 29 + 3);
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	assert_true(tt_ep(t->c)->flags & TCP_F_RACK);
	assert_int_equal(tcp_cc_select(tt_ep(t->c), TCP_CC_RENO), NS_OK);
	/* The handshake took no virtual time; make the estimator's state what a 10 ms path
	 * would have left (RFC 6298 2.2), so the PTO is 2 * SRTT = 20 ms. */
	tt_ep(t->c)->srtt = RTT;
	tt_ep(t->c)->rttvar = RTT / 2;
}

static void rack_waits_reordering_window_before_retransmitting(void **state)
{
	ST;
	uint32_t s0;

	rack_established(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 4 * 1460);
	for (int i = 0; i < 4; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	nt_advance(&t->nt, RTT);
	/* Segment 1 missing, 2 and 3 SACKed: two segments SACKed, fewer than DupThresh, so
	 * the reordering window applies: segment 1 is lost only at its send time + RACK.rtt
	 * + reo_wnd = 12.5 ms (RFC 8985 6.2 step 5), and the reordering timer says when. */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(2), SEG(4)}));
	tt_expect_nothing(t);
	assert_true(tt_ep(t->c)->flags & TCP_F_REO_TIMER);
	nt_advance(&t->nt, RTT / 4 - 1000);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 1000);
	tt_expect(t, TT_SEG(.seq = SEG(1), .payload = data + 1460, .len = 1460));
	tt_expect_nothing(t);
	assert_true(tt_ep(t->c)->flags & TCP_F_IN_RECOVERY);
	tt_send(t, TT_SEG(.ack = SEG(4)));
	assert_false(tt_ep(t->c)->flags & TCP_F_IN_RECOVERY);
	tt_finish(t);
}

static void rack_declares_loss_at_once_when_dupthresh_sacked(void **state)
{
	ST;
	uint32_t s0;

	rack_established(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 5 * 1460);
	for (int i = 0; i < 5; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	nt_advance(&t->nt, RTT);
	/* Three segments SACKed above the hole and no reordering seen: reo_wnd = 0 (6.2
	 * step 4), and segment 1, sent one RACK.rtt ago, is lost now. */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(2), SEG(5)}));
	tt_expect(t, TT_SEG(.seq = SEG(1), .payload = data + 1460, .len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = SEG(5)));
	tt_finish(t);
}

static void reordering_seen_widens_the_window(void **state)
{
	ST;
	uint32_t s0;
	struct tcp_ep *ep;

	rack_established(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 6 * 1460);
	for (int i = 0; i < 6; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	nt_advance(&t->nt, RTT);
	/* 2 is SACKed, then 1 arrives late (never retransmitted): reordering (step 3). */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(2), SEG(3)}));
	tt_send(t, TT_SEG(.ack = SEG(3)));
	assert_true(ep->rack.reordering_seen);
	tt_expect_nothing(t);
	/* Now even with three SACKed segments above segment 3 the window stays open. */
	tt_send(t, TT_SEG(.ack = SEG(3), .nsack = 1, .sack = {SEG(4), SEG(6)}));
	tt_expect_nothing(t);
	nt_advance(&t->nt, RTT / 4);
	tt_expect(t, TT_SEG(.seq = SEG(3), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(6)));
	tt_finish(t);
}

static void tail_loss_probe_resends_last_segment_after_two_srtt(void **state)
{
	ST;
	uint32_t s0;
	struct tcp_ep *ep;

	rack_established(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 4 * 1460);
	for (int i = 0; i < 4; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	nt_advance(&t->nt, RTT);
	/* Segments 1-3 (the tail) are lost: nothing will come back to trigger RACK. */
	tt_send(t, TT_SEG(.ack = SEG(1)));
	assert_true(ep->flags & TCP_F_TLP_TIMER);
	/* PTO = 2 * SRTT (RFC 8985 7.2); SRTT is about 10 ms here, the RTO 200 ms. */
	nt_advance(&t->nt, 2 * ep->srtt - 1);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 1);
	tt_expect(t, TT_SEG(.seq = SEG(3), .payload = data + 3 * 1460, .len = 1460));
	tt_expect_nothing(t);
	assert_true(ep->rack.tlp_out);
	assert_false(ep->flags & TCP_F_TLP_TIMER); /* the RTO now (7.3) */
	/* The probe's SACK lets RACK find 1 and 2 lost (sent a RACK.rtt ago). Recovery
	 * with PRR (RFC 6937): nothing is in flight, so PRR-SSRB lets out what this ACK
	 * delivered plus a segment: both go. */
	nt_advance(&t->nt, RTT);
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(3), SEG(4)}));
	tt_expect(t, TT_SEG(.seq = SEG(1), .len = 1460));
	tt_expect(t, TT_SEG(.seq = SEG(2), .len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = SEG(4)));
	assert_false(ep->rack.tlp_out);
	tt_finish(t);
}

static void tail_loss_probe_repairing_a_loss_reduces_cwnd(void **state)
{
	ST;
	uint32_t s0, cwnd;
	struct tcp_ep *ep;

	rack_established(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 4 * 1460);
	for (int i = 0; i < 4; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	nt_advance(&t->nt, RTT);
	tt_send(t, TT_SEG(.ack = SEG(3)));
	cwnd = ep->cwnd;
	/* One segment out: PTO = 2 SRTT + WCDelAckT = 220 ms, but never later than the RTO
	 * (200 ms), whose place the probe takes. */
	nt_advance(&t->nt, 200 * NS_MSEC - 1);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 1);
	tt_expect(t, TT_SEG(.seq = SEG(3), .len = 1460));
	assert_true(ep->rack.tlp_out && ep->rack.tlp_rexmit);
	/* Its ACK brings no D-SACK: the probe repaired a real loss (7.4.2). */
	nt_advance(&t->nt, RTT);
	tt_send(t, TT_SEG(.ack = SEG(4)));
	assert_true(ep->cwnd < cwnd);
	assert_int_equal(ep->cwnd, ep->ssthresh);
	tt_finish(t);
}

static void tail_loss_probe_answered_by_dsack_keeps_cwnd(void **state)
{
	ST;
	uint32_t s0, cwnd;
	struct tcp_ep *ep;

	rack_established(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 4 * 1460);
	for (int i = 0; i < 4; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	nt_advance(&t->nt, RTT);
	tt_send(t, TT_SEG(.ack = SEG(3)));
	cwnd = ep->cwnd;
	nt_advance(&t->nt, 200 * NS_MSEC);
	tt_expect(t, TT_SEG(.seq = SEG(3), .len = 1460));
	/* Only the ACK was late: the peer reports the probe as a duplicate. */
	tt_send(t, TT_SEG(.ack = SEG(4), .nsack = 1, .sack = {SEG(3), SEG(4)}));
	assert_int_equal(ep->dsacks_rcvd, 1);
	assert_int_equal(ep->cwnd, cwnd);
	tt_finish(t);
}

/* The counters RACK keeps instead of scanning its records (pipe, the lost count, the
 * transmit-time list) agree with a recount after every step of transfers through loss,
 * reordering and duplication (ring growth, RTOs and undos included; merges in a full ring:
 * rack_counters_match_when_the_ring_is_full). */
static void check_rack(struct ts_xfer *x, void *ctx)
{
	unsigned *rounds = ctx;

	if (!tcp_rack_check(tt_ep(x->cli)))
		fail_msg("RACK counters disagree with the records after %u rounds", *rounds);
	if (x->srv && !tcp_rack_check(tt_ep(x->srv)))
		fail_msg("RACK counters (server) disagree after %u rounds", *rounds);
	++*rounds;
}

static void rack_counters_match_the_records_under_loss(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct ns_impair_config ic = {.seed = seed,
		                              .loss_ppm = 50000,
		                              .reorder_ppm = 50000,
		                              .dup_ppm = 20000,
		                              .inbound = false};
		struct ts_world *w = ts_new(&ic, seed);
		unsigned rounds = 0;

		ts_transfer(w, &(struct ts_opts){.bytes = 2u << 20,
		                                 .port = 5001,
		                                 .time_limit = 600 * NS_SEC,
		                                 .name = "rack counters",
		                                 .each = check_rack,
		                                 .ctx = &rounds});
		assert_true(rounds > 100);
		assert_true(tcp_rack_check(tt_ep(w->x.cli)));
		ts_free(w);
	}
}

/* The client sends 88-byte segments (TCP_MAXSEG), so its 256 KiB send buffer holds some
 * 3400 segments against a record ring capped at 512: full rings merge new segments into
 * their last record, which the recount must agree with too. */
static void tiny_segments(struct ns_ep *ep, bool server, void *ctx)
{
	(void)ctx;
	if (!server)
		assert_int_equal(ns_ep_set_opt(ep, NS_TCP_MAXSEG, 88), NS_OK);
}

static void check_rack_full(struct ts_xfer *x, void *ctx)
{
	unsigned *full = ctx;
	const struct tcp_ep *ep = tt_ep(x->cli);

	if (!tcp_rack_check(ep))
		fail_msg("RACK counters disagree with the records (ring %u/%u)", ep->rack.n,
		         ep->rack.cap);
	if (ep->rack.rec && ep->rack.n == ep->rack.cap)
		++*full;
}

static void rack_counters_match_when_the_ring_is_full(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 2; seed++) {
		struct ns_impair_config ic = {
		    .seed = seed, .loss_ppm = 20000, .reorder_ppm = 20000, .inbound = false};
		struct ts_world *w = ts_new(&ic, seed);
		unsigned full = 0;

		ts_transfer(w, &(struct ts_opts){.bytes = 1u << 20,
		                                 .port = 5002,
		                                 .time_limit = 900 * NS_SEC,
		                                 .name = "rack full ring",
		                                 .setup = tiny_segments,
		                                 .each = check_rack_full,
		                                 .ctx = &full});
		assert_true(full > 0); /* the merge path ran */
		ts_free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(rack_waits_reordering_window_before_retransmitting),
	    T(rack_declares_loss_at_once_when_dupthresh_sacked),
	    T(reordering_seen_widens_the_window),
	    T(tail_loss_probe_resends_last_segment_after_two_srtt),
	    T(tail_loss_probe_repairing_a_loss_reduces_cwnd),
	    T(tail_loss_probe_answered_by_dsack_keeps_cwnd),
	    cmocka_unit_test(rack_counters_match_the_records_under_loss),
	    cmocka_unit_test(rack_counters_match_when_the_ring_is_full),
	};

	return cmocka_run_group_tests_name("tcp_rack", tests, NULL, NULL);
}
