/* SPDX-License-Identifier: MIT */
/*
 * Blind-attack defences and sequence validation on an established connection: RFC 5961
 * (exact RST, challenge ACKs for in-window RST and any SYN, ACK validation), RFC 9293
 * 3.10.7.4 acceptability, RFC 7323 5 PAWS.
 */
#include <string.h>

#include "tcp_test.h"

#define ST struct tt *t = *state

static void exact_sequence_rst_resets(void **state)
{
	ST;
	char b[4];

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq));
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	assert_true(t->cev & NS_EV_HUP);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CONNECTION_RESET);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_CLOSED_FOR_RECEIVE);
	assert_int_equal(ns_ep_write(t->c, "x", 1, NULL, NULL), NS_ERR_CONNECTION_RESET);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void in_window_rst_draws_challenge_ack(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq + 100));
	/* RFC 5961 3.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection stays. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

static void out_of_window_rst_ignored(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq + 1000000));
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq - 1));
	tt_expect_nothing(t);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

static void syn_in_established_draws_challenge_ack(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = t->pseq + 5, .mss = 1460));
	/* RFC 5961 4.2: whatever the sequence number. */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

/* RFC 5961 4.2, as Linux's tcp_validate_incoming(): a SYN in a synchronized state draws a
 * challenge ACK "irrespective of the sequence number" and is discarded. One that starts
 * just below RCV.NXT and carries data overlaps the window: trimming must not turn it into
 * an ordinary data segment by cutting its SYN off (its bytes would be delivered). */
static void syn_straddling_rcv_nxt_is_not_trimmed_into_data(void **state)
{
	ST;
	char b[8];

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .seq = t->pseq - 1, .payload = "evil"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_WOULD_BLOCK);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_SYN), 1);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_CHALLENGE_ACKS), 1);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

/* The same rule for a SYN outside the window: a challenge ACK, subject to the stack-wide
 * budget like every other (Linux: "if (th->syn) goto syn_challenge"), not a plain
 * duplicate ACK. */
static void out_of_window_syn_draws_budgeted_challenge_ack(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = t->pseq + 200000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_SYN), 1);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_CHALLENGE_ACKS), 1);
	nt_advance(&t->nt, NS_SEC);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = t->pseq - 70000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_CHALLENGE_ACKS), 2);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

static void ack_of_unsent_data_draws_ack_and_is_dropped(void **state)
{
	ST;
	char b[8];

	tt_established(t);
	tt_send(t, TT_SEG(.ack = t->rnxt + 1000, .payload = "evil"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq - 4));
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_WOULD_BLOCK);
	tt_finish(t);
}

static void too_old_ack_is_dropped(void **state)
{
	ST;
	char b[8];

	tt_established(t);
	/* RFC 5961 5.2: SEG.ACK below SND.UNA - MAX.SND.WND. */
	tt_send(t, TT_SEG(.ack = t->rnxt - 70000, .payload = "evil"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq - 4));
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_WOULD_BLOCK);
	tt_finish(t);
}

static void segment_outside_window_draws_ack(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.seq = t->pseq + 70000, .payload = "far"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	tt_send(t, TT_SEG(.seq = t->pseq - 10, .payload = "old"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	tt_finish(t);
}

/* RFC 9293 3.10.7.4 trimming, as Linux's tcp_sequence(): a segment that starts below
 * RCV.NXT and ends past the window overlaps it, so its new, in-window middle is taken and
 * both ends are cut (not the whole segment rejected). */
static void segment_below_rcv_nxt_and_past_window_is_trimmed(void **state)
{
	ST;
	static uint8_t data[1200], got[2100];
	uint32_t base;

	tt_listen(t);
	assert_int_equal(ns_ep_set_opt(t->l, NS_SO_RCVBUF, 2048), NS_OK);
	tt_passive_open(t, NULL);
	assert_int_equal(tt_ep(t->c)->rcv.limit, 2048);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	/* 1000 bytes in order, unread: 1048 bytes of window left. */
	tt_send(t, TT_SEG(.payload = data, .len = 1000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .window = 1048, .len = 0));
	base = t->pseq - 1000;
	/* Bytes 990..2190: 10 old, 1048 new, 142 past the window. */
	tt_send(t, TT_SEG(.seq = base + 990, .payload = data, .len = 1200));
	t->pseq = base + 2048;
	/* The ACK takes exactly the window, closing it, and reports the old part (D-SACK
	 * needs SACK, not negotiated here). */
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = base + 2048, .window = 0, .len = 0));
	assert_int_equal(tt_read(t->c, got, sizeof(got)), 2048);
	assert_memory_equal(got, data, 1000);
	for (unsigned i = 1000; i < 2048; i++)
		assert_int_equal(got[i], data[i - 990]);
	tt_finish(t);
}

static void segment_without_ack_is_dropped(void **state)
{
	ST;
	char b[8];

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_PSH, .payload = "noack"));
	tt_expect_nothing(t);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_WOULD_BLOCK);
	tt_finish(t);
}

static void paws_drops_segment_with_old_timestamp(void **state)
{
	ST;
	char b[8];
	const struct tt_rx *sa;

	tt_listen(t);
	sa = tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 1000));
	(void)sa;
	tt_send(t, TT_SEG(.ts = 1, .tsval = 2000, .payload = "new"));
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 3);
	/* RFC 7323 5.3 R1: an older TSval is an old duplicate; ACK and drop. */
	tt_send(t, TT_SEG(.ts = 1, .tsval = 1500, .payload = "old"));
	t->pseq -= 3;
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .ts = 1, .tsecr = 2000));
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_WOULD_BLOCK);
	tt_finish(t);
}

/* Linux's tcp_send_challenge_ack(): one challenge ACK per connection per 500 ms
 * (tcp_invalid_ratelimit), whatever the stack-wide budget says. */
static void challenge_acks_limited_to_one_per_500ms_per_connection(void **state)
{
	ST;

	tt_established(t);
	for (int i = 0; i < 5; i++)
		tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq + 10));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	tt_expect_nothing(t);
	nt_advance(&t->nt, 499 * NS_MSEC);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = t->pseq + 10));
	tt_expect_nothing(t);
	nt_advance(&t->nt, NS_MSEC);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = t->pseq + 10));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = t->rnxt, .ack = t->pseq, .len = 0));
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_CHALLENGE_ACKS), 2);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_ACK_RATE_LIMITED), 5);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

static void tune_budget(struct tcp_config *c)
{
	c->challenge_ack_limit = 10;
	c->oow_ratelimit_ns = 0; /* the connection's own limit off: the stack's shows */
}

/* RFC 5961 7 with the CVE-2016-5696 fix: each second's stack-wide budget is drawn from
 * [limit/2, limit*3/2), so an attacker cannot learn from the count of suppressed challenge
 * ACKs how many went to a connection it is guessing. */
static void challenge_ack_budget_is_random_each_second(void **state)
{
	ST;
	unsigned seen[16] = {0}, distinct = 0, total = 0;

	tune_budget(tcp_config(t->nt.s)); /* before any endpoint exists */
	tt_established(t);
	for (int sec = 0; sec < 16; sec++) {
		unsigned n = 0;

		nt_advance(&t->nt, NS_SEC);
		for (int i = 0; i < 30; i++)
			tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq + 10));
		while (nt_pending(&t->nt)) {
			tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
			n++;
		}
		assert_in_range(n, 5, 14);
		seen[sec] = n;
		total += n;
		distinct += 1;
		for (int j = 0; j < sec; j++)
			if (seen[j] == n) {
				distinct--;
				break;
			}
	}
	/* Not one fixed value; on average near the limit (16 draws: 10 +- 3). */
	assert_true(distinct >= 3);
	assert_in_range(total, 16 * 7, 16 * 13);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_CHALLENGE_ACK_LIMITED), 16 * 30 - total);
	tt_finish(t);
}

/* Linux's tcp_oow_rate_limited(): bare ACKs outside the window, PAWS-rejected ones and
 * too-old ACKs draw one ACK per 500 ms, not one each (100 in, 1 out); segments with data
 * are answered every time (they are retransmissions whose ACK may have been lost). */
static void acks_to_invalid_segments_rate_limited(void **state)
{
	ST;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 1000));
	tt_send(t, TT_SEG(.ts = 1, .tsval = 2000, .payload = "abc"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	for (int i = 0; i < 100; i++)
		tt_send(t, TT_SEG(.seq = t->pseq + 200000, .ts = 1, .tsval = 2000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	tt_expect_nothing(t);
	for (int i = 0; i < 100; i++) /* PAWS */
		tt_send(t, TT_SEG(.ts = 1, .tsval = 1500));
	for (int i = 0; i < 100; i++) /* RFC 5961 5.2: an ACK too old */
		tt_send(t, TT_SEG(.ack = t->rnxt - 100000, .ts = 1, .tsval = 2000));
	tt_expect_nothing(t);
	assert_int_equal(nt_stat(&t->nt, NS_STAT_TCP_ACK_RATE_LIMITED), 299);
	/* Retransmitted data below RCV.NXT: each one answered (with a D-SACK). */
	for (int i = 0; i < 3; i++) {
		tt_send(t, TT_SEG(.seq = t->pseq - 3, .ts = 1, .tsval = 2000, .payload = "abc"));
		tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	}
	nt_advance(&t->nt, 500 * NS_MSEC);
	tt_send(t, TT_SEG(.seq = t->pseq + 200000, .ts = 1, .tsval = 2000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

/* RFC 7323 4.3 with RFC 5961 4: a blind SYN at RCV.NXT draws a challenge ACK that echoes the
 * real peer's timestamp, and its TSval does not become TS.Recent (else PAWS would drop the
 * peer's next segment). */
static void blind_syn_does_not_move_ts_recent(void **state)
{
	struct tt *t = *state;
	char b[8];

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 1000));
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = t->pseq, .ts = 1, .tsval = 0x70000000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .ts = 1, .tsecr = 1000));
	tt_send(t, TT_SEG(.ts = 1, .tsval = 2000, .payload = "ok"));
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 2);
	tt_finish(t);
}

/* The same for a segment without the ACK bit: dropped, and its TSval forgotten. */
static void ackless_segment_does_not_move_ts_recent(void **state)
{
	struct tt *t = *state;
	char b[8];

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 1000));
	tt_send(t, TT_SEG(.flags = TCP_PSH, .seq = t->pseq, .ts = 1, .tsval = 0x70000000,
	                  .payload = "x"));
	tt_send(t, TT_SEG(.ts = 1, .tsval = 2000, .payload = "ok"));
	assert_int_equal(tt_read(t->c, b, sizeof(b)), 2);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(exact_sequence_rst_resets),
	    T(in_window_rst_draws_challenge_ack),
	    T(out_of_window_rst_ignored),
	    T(syn_in_established_draws_challenge_ack),
	    T(syn_straddling_rcv_nxt_is_not_trimmed_into_data),
	    T(out_of_window_syn_draws_budgeted_challenge_ack),
	    T(ack_of_unsent_data_draws_ack_and_is_dropped),
	    T(too_old_ack_is_dropped),
	    T(segment_outside_window_draws_ack),
	    T(segment_below_rcv_nxt_and_past_window_is_trimmed),
	    T(segment_without_ack_is_dropped),
	    T(paws_drops_segment_with_old_timestamp),
	    T(challenge_acks_limited_to_one_per_500ms_per_connection),
	    T(challenge_ack_budget_is_random_each_second),
	    T(acks_to_invalid_segments_rate_limited),
	    T(blind_syn_does_not_move_ts_recent),
	    T(ackless_segment_does_not_move_ts_recent),
	};

	return cmocka_run_group_tests_name("tcp_security", tests, NULL, NULL);
}
