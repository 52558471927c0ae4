/* SPDX-License-Identifier: MIT */
/*
 * Spurious retransmissions and their undo: Eifel detection with timestamps (RFC 3522),
 * D-SACK-based undo (RFC 2883, RFC 3708) and F-RTO (RFC 5682). In each, the congestion
 * response is taken back through the congestion-control ops (tcp_cc_undo): cwnd and
 * ssthresh return to their values before the episode. Reno, for round numbers.
 */
#include <string.h>

#include "tcp_test.h"

#define ST     struct tt *t = *state
#define SEG(i) (s0 + 1460u * (i))

static uint8_t data[16 * 1460];

static void reno(struct tt *t)
{
	assert_int_equal(tcp_cc_select(tt_ep(t->c), TCP_CC_RENO), NS_OK);
}

static void eifel_undoes_spurious_fast_retransmit(void **state)
{
	ST;
	uint32_t s0, tsval, cwnd, ssthresh;
	struct tcp_ep *ep;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 500));
	ep = tt_ep(t->c);
	reno(t);
	assert_true(ep->flags & TCP_F_TS);
	s0 = t->rnxt;
	tt_write(t->c, data, 5 * 1448); /* 1448: the MSS less the timestamp option */
	tsval = tt_expect(t, TT_SEG(.seq = s0, .len = 1448))->h.tsval;
	for (int i = 1; i < 5; i++)
		tt_expect(t, TT_SEG(.seq = s0 + 1448u * i, .len = 1448));
	cwnd = ep->cwnd;
	ssthresh = ep->ssthresh;
	nt_advance(&t->nt, 10 * NS_MSEC);
	/* Three duplicates (segments 1-3 arrived before 0, reordered): fast retransmit. */
	for (int i = 0; i < 3; i++)
		tt_send(t, TT_SEG(.ack = s0, .ts = 1, .tsval = 501, .tsecr = tsval));
	tt_expect(t, TT_SEG(.seq = s0, .len = 1448));
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	assert_true(ep->ssthresh < ssthresh);
	/* Segment 0 was only late: the ACK echoes the original's TSval, older than the
	 * retransmission's (RFC 3522 3.2). Undo. */
	tt_send(t, TT_SEG(.ack = s0 + 5 * 1448, .ts = 1, .tsval = 502, .tsecr = tsval));
	assert_false(ep->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(ep->undos, 1);
	assert_int_equal(ep->ssthresh, ssthresh);
	assert_true(ep->cwnd >= cwnd);
	tt_finish(t);
}

static void eifel_keeps_response_when_retransmission_was_needed(void **state)
{
	ST;
	uint32_t s0, tsval, ssthresh;
	const struct tt_rx *rx;
	struct tcp_ep *ep;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 500));
	ep = tt_ep(t->c);
	reno(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 5 * 1448);
	tsval = tt_expect(t, TT_SEG(.seq = s0, .len = 1448))->h.tsval;
	for (int i = 1; i < 5; i++)
		tt_expect(t, TT_SEG(.seq = s0 + 1448u * i, .len = 1448));
	nt_advance(&t->nt, 10 * NS_MSEC);
	for (int i = 0; i < 3; i++)
		tt_send(t, TT_SEG(.ack = s0, .ts = 1, .tsval = 501, .tsecr = tsval));
	rx = tt_expect(t, TT_SEG(.seq = s0, .len = 1448));
	ssthresh = ep->ssthresh;
	/* The ACK echoes the retransmission: the loss was real, nothing is undone. */
	tt_send(t, TT_SEG(.ack = s0 + 5 * 1448, .ts = 1, .tsval = 502, .tsecr = rx->h.tsval));
	assert_int_equal(ep->undos, 0);
	assert_int_equal(ep->ssthresh, ssthresh);
	tt_finish(t);
}

static void dsack_of_every_retransmission_undoes_recovery(void **state)
{
	ST;
	uint32_t s0, ssthresh;
	struct tcp_ep *ep;

	tcp_config(t->nt.s)->rack = false; /* RFC 6675's dupthresh: a round scenario */
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	ep = tt_ep(t->c);
	reno(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 5 * 1460);
	for (int i = 0; i < 5; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	ssthresh = ep->ssthresh;
	/* Segment 0 is late, 1-3 SACKed: recovery, segment 0 resent. */
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(2)}));
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(3)}));
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(4)}));
	tt_expect(t, TT_SEG(.seq = SEG(0), .len = 1460));
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	/* The original arrives, then the retransmission, reported as a D-SACK. */
	tt_send(t, TT_SEG(.ack = SEG(5)));
	assert_int_equal(ep->undos, 0);
	tt_send(t, TT_SEG(.ack = SEG(5), .nsack = 1, .sack = {SEG(0), SEG(1)}));
	assert_int_equal(ep->undos, 1);
	assert_int_equal(ep->ssthresh, ssthresh);
	tt_finish(t);
}

static void frto_detects_spurious_timeout(void **state)
{
	ST;
	uint32_t s0, cwnd;
	struct tcp_ep *ep;

	tt_established(t);
	ep = tt_ep(t->c);
	reno(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 14 * 1460);
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	cwnd = ep->cwnd;
	nt_advance(&t->nt, 200 * NS_MSEC);
	tt_expect(t, TT_SEG(.seq = SEG(0), .len = 1460));
	assert_int_equal(ep->frto, 1);
	/* RFC 5682 2.1 step 2b: the first ACK advances, but not to RecoveryPoint: two new
	 * segments instead of resending 1 and 2. */
	tt_send(t, TT_SEG(.ack = SEG(2)));
	tt_expect(t, TT_SEG(.seq = SEG(10), .len = 1460));
	tt_expect(t, TT_SEG(.seq = SEG(11), .len = 1460));
	tt_expect_nothing(t);
	assert_int_equal(ep->frto, 2);
	/* Step 3b: the next ACK acknowledges data never retransmitted: spurious. */
	tt_send(t, TT_SEG(.ack = SEG(6)));
	assert_int_equal(ep->undos, 1);
	assert_int_equal(ep->frto, 0);
	assert_true(ep->cwnd >= cwnd);
	assert_int_equal(ep->snd_nxt, ep->snd_max); /* no go-back-N */
	tt_send(t, TT_SEG(.ack = SEG(12)));
	tt_finish(t);
}

static void frto_genuine_timeout_resumes_retransmission(void **state)
{
	ST;
	uint32_t s0;
	struct tcp_ep *ep;

	tt_established(t);
	ep = tt_ep(t->c);
	reno(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 14 * 1460);
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	nt_advance(&t->nt, 200 * NS_MSEC);
	tt_expect(t, TT_SEG(.seq = SEG(0), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(1)));
	tt_expect(t, TT_SEG(.seq = SEG(10), .len = 1460));
	tt_expect(t, TT_SEG(.seq = SEG(11), .len = 1460));
	/* Step 3a: a duplicate ACK: segment 1 really is lost; resend from SND.UNA. */
	tt_send(t, TT_SEG(.ack = SEG(1)));
	assert_int_equal(ep->undos, 0);
	tt_expect(t, TT_SEG(.seq = SEG(1), .len = 1460));
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(eifel_undoes_spurious_fast_retransmit),
	    T(eifel_keeps_response_when_retransmission_was_needed),
	    T(dsack_of_every_retransmission_undoes_recovery),
	    T(frto_detects_spurious_timeout),
	    T(frto_genuine_timeout_resumes_retransmission),
	};

	return cmocka_run_group_tests_name("tcp_undo", tests, NULL, NULL);
}
