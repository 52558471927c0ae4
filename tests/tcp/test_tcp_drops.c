/* SPDX-License-Identifier: MIT */
/*
 * Every discard in the state machine is counted under its reason (NS_DROP_TCP_*), as
 * FreeBSD's tcp_input() counts each "goto drop"; and Linux's quick ACKs at the start of a
 * connection (the first 16 data segments are ACKed at once).
 */
#include <string.h>

#include "tcp_test.h"

#define ST struct tt *t = *state

static void first_data_segments_acked_at_once(void **state)
{
	ST;

	tt_established(t);
	/* Linux's tcp_incr_quickack() on the first data: 16 immediate ACKs... */
	for (int i = 0; i < TCP_QUICKACK_START; i++) {
		tt_send(t, TT_SEG(.payload = "x"));
		tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	}
	/* ...then RFC 1122 4.2.3.2 delayed ACKs. */
	tt_send(t, TT_SEG(.payload = "y"));
	tt_expect_nothing(t);
	nt_advance(&t->nt, 40 * NS_MSEC);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq, .len = 0));
	tt_finish(t);
}

static void out_of_window_segment_counted_and_acked(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.seq = t->pseq + 200000, .payload = "far"));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_OUT_OF_WINDOW), 1);
	tt_finish(t);
}

static void paws_reject_counted(void **state)
{
	ST;

	tt_listen(t);
	tt_passive_open(t, TT_SEG(.flags = TCP_SYN, .mss = 1460, .ts = 1, .tsval = 1000));
	tt_send(t, TT_SEG(.ts = 1, .tsval = 999, .tsecr = 0, .payload = "old"));
	t->pseq -= 3;
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_PAWS), 1);
	tt_finish(t);
}

static void ack_of_unsent_data_counted(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.ack = t->rnxt + 1000));
	tt_expect(t, TT_SEG(.flags = TCP_ACK)); /* RFC 5961 5.2 challenge ACK */
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_ACK), 1);
	tt_finish(t);
}

static void rst_and_syn_in_window_counted(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_RST, .seq = t->pseq + 1));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_RST), 1);
	nt_advance(&t->nt, 500 * NS_MSEC); /* past the connection's challenge-ACK limit */
	tt_send(t, TT_SEG(.flags = TCP_SYN, .seq = t->pseq));
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .ack = t->pseq));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_SYN), 1);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_finish(t);
}

static void segment_without_ack_counted(void **state)
{
	ST;

	tt_established(t);
	tt_send(t, TT_SEG(.flags = TCP_PSH, .payload = "noack"));
	t->pseq -= 5;
	tt_expect_nothing(t);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_NO_ACK), 1);
	tt_finish(t);
}

static void listener_overflow_counted(void **state)
{
	ST;
	struct ns_sockaddr a = {.addr = {.family = NS_AF_INET}, .port = TT_PORT};

	tcp_config(t->nt.s)->syncookies = false;
	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->lwq, &t->l), NS_OK);
	assert_int_equal(ns_ep_bind(t->l, &a), NS_OK);
	assert_int_equal(ns_ep_listen(t->l, 1), NS_OK);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1000, .seq = 1));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1000));
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = 1));
	tt_expect_nothing(t);
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_LISTEN_OVERFLOW), 1);
	/* A stray ACK to the listener: RST, counted. */
	tt_send(t, TT_SEG(.sport = 1002, .seq = 1, .ack = 77));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = 77, .dport = 1002));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_BAD_ACK), 1);
	tt_finish(t);
}

static void forged_cookie_counted(void **state)
{
	ST;
	struct ns_sockaddr a = {.addr = {.family = NS_AF_INET}, .port = TT_PORT};

	assert_int_equal(ns_ep_new(t->nt.s, NS_AF_INET, NS_IPPROTO_TCP, &t->lwq, &t->l), NS_OK);
	assert_int_equal(ns_ep_bind(t->l, &a), NS_OK);
	assert_int_equal(ns_ep_listen(t->l, 1), NS_OK);
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1000, .seq = 1));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1000));
	tt_send(t, TT_SEG(.flags = TCP_SYN, .sport = 1001, .seq = 1));
	tt_expect(t, TT_SEG(.flags = TCP_SYN | TCP_ACK, .dport = 1001)); /* a cookie */
	tt_send(t, TT_SEG(.sport = 1001, .seq = 2, .ack = 12345));
	tt_expect(t, TT_SEG(.flags = TCP_RST, .seq = 12345, .dport = 1001));
	assert_int_equal(nt_drops(&t->nt, NS_DROP_TCP_SYNCOOKIE_BAD), 1);
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(first_data_segments_acked_at_once),
	    T(out_of_window_segment_counted_and_acked),
	    T(paws_reject_counted),
	    T(ack_of_unsent_data_counted),
	    T(rst_and_syn_in_window_counted),
	    T(segment_without_ack_counted),
	    T(listener_overflow_counted),
	    T(forged_cookie_counted),
	};

	return cmocka_run_group_tests_name("tcp_drops", tests, NULL, NULL);
}
