/* SPDX-License-Identifier: MIT */
/*
 * SACK-based loss recovery (RFC 6675), limited transmit (RFC 3042) and D-SACK (RFC 2883),
 * segment by segment on the virtual clock. The peer's SYN offers SACK-permitted and MSS
 * 1460 without timestamps, so up to four SACK blocks fit and windows are unscaled.
 * Sender tests write whole segments of 1460 bytes; "segment i" starts at s0 + 1460 * i.
 */
#include <string.h>

#include "tcp_test.h"

#define ST     struct tt *t = *state
#define SEG(i) (s0 + 1460u * (i))

/* RFC 6675 alone: RACK off (RFC 8985 is tested in test_tcp_rack.c). */
static void sack_established(struct tt *t)
{
	tcp_config(t->nt.s)->rack = false;
	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1));
	assert_true(tt_ep(t->c)->flags & TCP_F_SACK);
	/* Reno, for round numbers: the recovery logic is the same for every algorithm. */
	assert_int_equal(tcp_cc_select(tt_ep(t->c), TCP_CC_RENO), NS_OK);
}

static uint8_t data[16 * 1460];

static void fill(void)
{
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
}

static void sack_recovery_retransmits_only_lost_holes(void **state)
{
	ST;
	uint32_t s0;
	struct tcp_ep *ep;

	fill();
	sack_established(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 10 * 1460);
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	tt_expect_nothing(t);
	/* Segments 1 and 4 are lost. The peer ACKs 0, then SACKs 2, 3 and 5. */
	tt_send(t, TT_SEG(.ack = SEG(1)));
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(2), SEG(3)}));
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(2), SEG(4)}));
	tt_expect_nothing(t);
	assert_false(ep->flags & TCP_F_IN_RECOVERY);
	/* The third duplicate: recovery (RFC 6675 5), segment 1 is resent, and only it:
	 * segment 4 has just one SACKed segment above it, so it is not yet lost (IsLost). */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 2, .sack = {SEG(5), SEG(6), SEG(2), SEG(4)}));
	tt_expect(t, TT_SEG(.seq = SEG(1), .payload = data + 1460, .len = 1460));
	tt_expect_nothing(t);
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(ep->recover, SEG(10));
	assert_int_equal(ep->ssthresh, 9 * 1460 / 2); /* Reno: FlightSize / 2 */
	/* RFC 6937 PRR: pipe (segments 4, 6..9) is above ssthresh, so this ACK's one
	 * delivered segment lets out ceil(1460 * ssthresh / RecoverFS) bytes, at least one
	 * segment for the fast retransmit: cwnd = pipe + 1 segment. */
	assert_int_equal(ep->prr_recover_fs, 11 * 1460);
	assert_int_equal(ep->cwnd, 6 * 1460);
	/* Segment 6 arrives: two segments above 4, still not more than 2 SMSS. */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 2, .sack = {SEG(5), SEG(7), SEG(2), SEG(4)}));
	tt_expect_nothing(t);
	/* Segment 7: now three SACKed segments lie above 4: lost, resent; pipe (segments 8,
	 * 9 and the resent 1) leaves room for it. */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 2, .sack = {SEG(5), SEG(8), SEG(2), SEG(4)}));
	tt_expect(t, TT_SEG(.seq = SEG(4), .payload = data + 4 * 1460, .len = 1460));
	tt_expect_nothing(t);
	assert_int_equal(ep->total_retrans, 2);
	/* The resent 1 fills the first hole; the resent 4 the second; 8 and 9 end it. */
	tt_send(t, TT_SEG(.ack = SEG(4), .nsack = 1, .sack = {SEG(5), SEG(8)}));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = SEG(8)));
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	tt_send(t, TT_SEG(.ack = SEG(10)));
	assert_false(ep->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(ep->cwnd, 9 * 1460 / 2);
	assert_int_equal(ep->nsb, 0);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void sack_recovery_sends_new_data_when_pipe_allows(void **state)
{
	ST;
	uint32_t s0;

	fill();
	sack_established(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 16 * 1460);
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	tt_expect_nothing(t);
	/* Segment 0 lost; 1..9 SACKed one by one. Each SACK lowers pipe: limited transmit
	 * (RFC 3042) sends a new segment on each of the first two. */
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(2)}));
	tt_expect(t, TT_SEG(.seq = SEG(10), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(3)}));
	tt_expect(t, TT_SEG(.seq = SEG(11), .len = 1460));
	tt_expect_nothing(t);
	/* The third: recovery; segment 0 resent. ssthresh = 12 segments / 2 = 6 segments;
	 * pipe = 8 unSACKed segments above the lost one + the resent one: no new data. */
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(4)}));
	tt_expect(t, TT_SEG(.seq = SEG(0), .payload = data, .len = 1460));
	tt_expect_nothing(t);
	assert_int_equal(tt_ep(t->c)->ssthresh, 12 * 1460 / 2);
	/* More SACKs bring pipe below cwnd: new data flows (NextSeg rule 2). */
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(8)}));
	tt_expect(t, TT_SEG(.seq = SEG(12), .len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = SEG(13)));
	assert_false(tt_ep(t->c)->flags & TCP_F_IN_RECOVERY);
	tt_finish(t);
}

static void sack_blocks_outside_window_and_dsack_are_not_scored(void **state)
{
	ST;
	uint32_t s0;
	struct tcp_ep *ep;

	fill();
	sack_established(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, data, 4 * 1460);
	for (int i = 0; i < 4; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	/* Beyond SND.MAX, or inverted: ignored (RFC 6675 validation). */
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 2, .sack = {SEG(3), SEG(5), SEG(2), SEG(1)}));
	assert_int_equal(ep->nsb, 0);
	/* RFC 2883 4: a first block below the cumulative ACK is a D-SACK. */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(0), SEG(1)}));
	assert_int_equal(ep->dsacks_rcvd, 1);
	assert_int_equal(ep->nsb, 0);
	/* ... and so is one inside the second block; the second block is scored. */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 2, .sack = {SEG(2), SEG(3), SEG(2), SEG(4)}));
	assert_int_equal(ep->dsacks_rcvd, 2);
	assert_int_equal(ep->nsb, 1);
	assert_int_equal(ep->sb[0].left, SEG(2));
	assert_int_equal(ep->sb[0].right, SEG(4));
	tt_send(t, TT_SEG(.ack = SEG(4)));
	assert_int_equal(ep->nsb, 0);
	tt_finish(t);
}

static void rto_resend_skips_sacked_ranges(void **state)
{
	ST;
	uint32_t s0;

	fill();
	sack_established(t);
	s0 = t->rnxt;
	tt_write(t->c, data, 4 * 1460);
	for (int i = 0; i < 4; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(0), .nsack = 1, .sack = {SEG(1), SEG(3)}));
	tt_expect_nothing(t);
	nt_advance(&t->nt, 200 * NS_MSEC); /* the RTO: rto_min after a near-zero RTT */
	tt_expect(t, TT_SEG(.seq = SEG(0), .len = 1460));
	tt_expect_nothing(t);
	/* Slow start from one segment: 0 is acknowledged, 1 and 2 are SACKed, so 3 is next
	 * (RFC 6675 5.1: the scoreboard survives one timeout). */
	tt_send(t, TT_SEG(.ack = SEG(1), .nsack = 1, .sack = {SEG(1), SEG(3)}));
	tt_expect(t, TT_SEG(.seq = SEG(3), .len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = SEG(4)));
	tt_finish(t);
}

static void limited_transmit_without_sack(void **state)
{
	ST;
	uint32_t s0;

	fill();
	tt_established(t);
	assert_int_equal(tcp_cc_select(tt_ep(t->c), TCP_CC_RENO), NS_OK);
	s0 = t->rnxt;
	tt_write(t->c, data, 14 * 1460);
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	tt_expect_nothing(t);
	/* RFC 3042: each of the first two duplicate ACKs lets one new segment out. */
	tt_send(t, TT_SEG(.ack = SEG(0)));
	tt_expect(t, TT_SEG(.seq = SEG(10), .len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = SEG(0)));
	tt_expect(t, TT_SEG(.seq = SEG(11), .len = 1460));
	tt_expect_nothing(t);
	/* The third: NewReno fast retransmit (RFC 6582), cwnd unchanged by the two. */
	tt_send(t, TT_SEG(.ack = SEG(0)));
	tt_expect(t, TT_SEG(.seq = SEG(0), .payload = data, .len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = SEG(12)));
	tt_finish(t);
}

static void duplicate_segment_reported_as_dsack(void **state)
{
	ST;
	uint32_t p;

	sack_established(t);
	tt_no_quickack(t); /* the delayed-ACK rules after the quick-ACK start */
	p = t->pseq;
	tt_send(t, TT_SEG(.seq = p, .payload = "abc"));
	tt_send(t, TT_SEG(.seq = p, .payload = "abc"));
	/* RFC 2883 4: the duplicate is the first (only) block, at once. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 3, .nsack = 1, .sack = {p, p + 3}));
	tt_expect_nothing(t);
	/* Reported once: the next ACK carries no block. */
	tt_send(t, TT_SEG(.seq = p + 3, .payload = "def"));
	nt_advance(&t->nt, 40 * NS_MSEC);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 6, .nsack = 0));
	/* A segment partly below RCV.NXT: only the repeated part is reported. */
	tt_send(t, TT_SEG(.seq = p + 4, .payload = "efgh"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p + 8, .nsack = 1, .sack = {p + 4, p + 6}));
	t->pseq = p + 8;
	tt_finish(t);
}

static void duplicate_out_of_order_segment_reported_with_its_block(void **state)
{
	ST;
	uint32_t p;

	sack_established(t);
	p = t->pseq;
	tt_send(t, TT_SEG(.seq = p + 10, .payload = "0123456789"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 1, .sack = {p + 10, p + 20}));
	tt_send(t, TT_SEG(.seq = p + 30, .payload = "abcde"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 2,
	                    .sack = {p + 30, p + 35, p + 10, p + 20}));
	/* RFC 2883 4.1.3-style: the D-SACK first, then the block holding it, then the rest. */
	tt_send(t, TT_SEG(.seq = p + 12, .payload = "234"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 3,
	                    .sack = {p + 12, p + 15, p + 10, p + 20, p + 30, p + 35}));
	t->pseq = p + 35;
	tt_finish(t);
}

static void dsack_with_timestamps_fits_three_blocks(void **state)
{
	ST;
	uint32_t p;

	tt_listen(t);
	tt_passive_open(
	    t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .sack_perm = 1, .ts = 1, .tsval = 100));
	p = t->pseq;
	tt_send(t, TT_SEG(.seq = p + 10, .payload = "aa", .ts = 1, .tsval = 101));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 1, .sack = {p + 10, p + 12}));
	tt_send(t, TT_SEG(.seq = p + 20, .payload = "bb", .ts = 1, .tsval = 101));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 2,
	                    .sack = {p + 20, p + 22, p + 10, p + 12}));
	tt_send(t, TT_SEG(.seq = p + 30, .payload = "cc", .ts = 1, .tsval = 101));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .nsack = 3,
	                    .sack = {p + 30, p + 32, p + 10, p + 12, p + 20, p + 22}));
	/* With the 12 bytes of timestamps only three blocks fit (RFC 2018 3): the D-SACK,
	 * the block holding it, then the most recent other one. */
	tt_send(t, TT_SEG(.seq = p + 20, .payload = "bb", .ts = 1, .tsval = 101));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = p, .ts = 1, .nsack = 3,
	                    .sack = {p + 20, p + 22, p + 20, p + 22, p + 10, p + 12}));
	tt_finish(t);
}

/* RFC 6937 proportional rate reduction, as Linux: with cwnd 20 segments and Reno's
 * ssthresh of half the flight, while pipe is above ssthresh the sender keeps sending
 * ssthresh / RecoverFS of what each ACK delivers (a segment on about every second ACK),
 * instead of RFC 6675's cwnd = ssthresh, which would send nothing at all until pipe had
 * drained below ssthresh and then a segment per ACK. */
static void prr_sends_in_proportion_while_pipe_exceeds_ssthresh(void **state)
{
	ST;
	static uint8_t big[64 * 1460];
	uint32_t s0, sent[12];
	struct tcp_ep *ep;

	sack_established(t);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, big, sizeof(big));
	/* Slow start to 20 segments: ten ACKs of one segment each. */
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	for (int i = 1; i <= 10; i++) {
		tt_send(t, TT_SEG(.ack = SEG(i)));
		tt_expect(t, TT_SEG(.seq = SEG(8 + 2 * i), .len = 1460));
		tt_expect(t, TT_SEG(.seq = SEG(9 + 2 * i), .len = 1460));
	}
	assert_int_equal(ep->cwnd, 20 * 1460);
	/* Segments 10..29 in flight; 10 is lost. The first two SACKs each let one new
	 * segment out (limited transmit: pipe fell), the third starts recovery. */
	tt_send(t, TT_SEG(.ack = SEG(10), .nsack = 1, .sack = {SEG(11), SEG(12)}));
	tt_expect(t, TT_SEG(.seq = SEG(30), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(10), .nsack = 1, .sack = {SEG(11), SEG(13)}));
	tt_expect(t, TT_SEG(.seq = SEG(31), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(10), .nsack = 1, .sack = {SEG(11), SEG(14)}));
	tt_expect(t, TT_SEG(.seq = SEG(10), .len = 1460)); /* the fast retransmit */
	tt_expect_nothing(t);
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(ep->ssthresh, 22 * 1460 / 2); /* Reno: half of 22 in flight */
	assert_int_equal(ep->prr_recover_fs, 20 * 1460);
	/* The next SACKs, one segment each. */
	for (int k = 0; k < 12; k++) {
		tt_send(t, TT_SEG(.ack = SEG(10), .nsack = 1, .sack = {SEG(11), SEG(15 + k)}));
		sent[k] = nt_pending(&t->nt);
		nt_discard(&t->nt);
	}
	/* In bytes (RFC 6937): after d segments delivered, ceil(1460 * 11 * d / 20) bytes
	 * may have gone, the fast retransmit's 1460 included, and a segment goes once a
	 * whole one fits: for d = 2..13 that is 1606 2409 3212 4015 4818 5621 6424 7227
	 * 8030 8833 9636 10439 bytes, so new segments at d = 4, 6, 8, 10, 11, 13: 7 of 13,
	 * the ssthresh / RecoverFS share. Pipe (19 segments at the start) stays above
	 * ssthresh all along. */
	{
		static const uint32_t want[12] = {0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1};

		for (int k = 0; k < 12; k++)
			if (sent[k] != want[k])
				fail_msg("after SACK %d: %u segments sent, want %u", k, sent[k],
				         want[k]);
	}
	tt_finish(t);
}

/* PRR without SACK (RFC 6937 3, as Linux): each duplicate ACK counts one segment
 * delivered and out of the network, so NewReno recovery reduces the window the same way
 * as SACK recovery above, instead of RFC 6582's inflation by a segment per duplicate. */
static void prr_without_sack_counts_a_segment_per_duplicate_ack(void **state)
{
	ST;
	static uint8_t big[64 * 1460];
	uint32_t s0, sent[12];
	struct tcp_ep *ep;

	tt_established(t);
	assert_int_equal(tcp_cc_select(tt_ep(t->c), TCP_CC_RENO), NS_OK);
	ep = tt_ep(t->c);
	s0 = t->rnxt;
	tt_write(t->c, big, sizeof(big));
	for (int i = 0; i < 10; i++)
		tt_expect(t, TT_SEG(.seq = SEG(i), .len = 1460));
	for (int i = 1; i <= 10; i++) {
		tt_send(t, TT_SEG(.ack = SEG(i)));
		tt_expect(t, TT_SEG(.seq = SEG(8 + 2 * i), .len = 1460));
		tt_expect(t, TT_SEG(.seq = SEG(9 + 2 * i), .len = 1460));
	}
	/* Segment 10 lost; limited transmit on the first two duplicates. */
	tt_send(t, TT_SEG(.ack = SEG(10)));
	tt_expect(t, TT_SEG(.seq = SEG(30), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(10)));
	tt_expect(t, TT_SEG(.seq = SEG(31), .len = 1460));
	tt_send(t, TT_SEG(.ack = SEG(10)));
	tt_expect(t, TT_SEG(.seq = SEG(10), .len = 1460));
	tt_expect_nothing(t);
	assert_true(ep->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(ep->ssthresh, 11 * 1460);
	assert_int_equal(tcp_pipe(ep), 19 * 1460); /* 22 out, 3 left with the duplicates */
	for (int k = 0; k < 12; k++) {
		tt_send(t, TT_SEG(.ack = SEG(10)));
		sent[k] = nt_pending(&t->nt);
		nt_discard(&t->nt);
	}
	{
		/* As with SACK: 7 of 13 delivered segments' worth sent (11/20). */
		static const uint32_t want[12] = {0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1};

		for (int k = 0; k < 12; k++)
			if (sent[k] != want[k])
				fail_msg("after duplicate %d: %u segments sent, want %u", k,
				         sent[k], want[k]);
	}
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(sack_recovery_retransmits_only_lost_holes),
	    T(sack_recovery_sends_new_data_when_pipe_allows),
	    T(prr_sends_in_proportion_while_pipe_exceeds_ssthresh),
	    T(prr_without_sack_counts_a_segment_per_duplicate_ack),
	    T(sack_blocks_outside_window_and_dsack_are_not_scored),
	    T(rto_resend_skips_sacked_ranges),
	    T(limited_transmit_without_sack),
	    T(duplicate_segment_reported_as_dsack),
	    T(duplicate_out_of_order_segment_reported_with_its_block),
	    T(dsack_with_timestamps_fits_three_blocks),
	};

	return cmocka_run_group_tests_name("tcp_sack", tests, NULL, NULL);
}
