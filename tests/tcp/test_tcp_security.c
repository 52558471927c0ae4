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

static void tune_limit(struct tcp_config *c)
{
	c->challenge_ack_limit = 2;
}

static void challenge_acks_are_rate_limited(void **state)
{
	ST;

	tune_limit(tcp_config(t->nt.s)); /* before any endpoint exists */
	tt_established(t);
	for (int i = 0; i < 5; i++)
		tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq + 10));
	tt_expect(t, TT_SEG(.flags = TCP_ACK));
	tt_expect(t, TT_SEG(.flags = TCP_ACK));
	tt_expect_nothing(t);
	nt_advance(&t->nt, NS_SEC);
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq + 10));
	tt_expect(t, TT_SEG(.flags = TCP_ACK));
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
	    T(ack_of_unsent_data_draws_ack_and_is_dropped),
	    T(too_old_ack_is_dropped),
	    T(segment_outside_window_draws_ack),
	    T(segment_without_ack_is_dropped),
	    T(paws_drops_segment_with_old_timestamp),
	    T(challenge_acks_are_rate_limited),
	    T(blind_syn_does_not_move_ts_recent),
	    T(ackless_segment_does_not_move_ts_recent),
	};

	return cmocka_run_group_tests_name("tcp_security", tests, NULL, NULL);
}
