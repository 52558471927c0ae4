/* SPDX-License-Identifier: MIT */
/*
 * TCP timers on the virtual clock: retransmission at exactly the RTO with exponential
 * backoff (RFC 6298), fast retransmit and NewReno recovery (RFC 5681 3.2, RFC 6582),
 * zero-window probes (RFC 9293 3.8.6.1), keepalive (RFC 1122 4.2.3.6), user timeout
 * (RFC 5482). The handshake's RTT sample is 0 on the virtual clock, so the RTO starts at
 * the 200 ms minimum.
 */
#include <string.h>

#include "tcp_test.h"

#define ST  struct tt *t = *state
#define RTO (200 * NS_MSEC)

static void retransmission_at_rto_with_backoff(void **state)
{
	ST;
	uint32_t seq;

	tt_established(t);
	tt_write(t->c, "data", 4);
	seq = tt_expect(t, TT_SEG(.payload = "data"))->h.seq;
	for (int i = 0; i < 4; i++) {
		nt_advance(&t->nt, (RTO << i) - 1);
		tt_expect_nothing(t);
		nt_advance(&t->nt, 1);
		tt_expect(t, TT_SEG(.seq = seq, .payload = "data", .flags = TCP_ACK | TCP_PSH));
	}
	/* The ACK stops the timer and resets the backoff. */
	tt_send(t, TT_SEG());
	nt_advance(&t->nt, 10 * NS_SEC);
	tt_expect_nothing(t);
	assert_int_equal(tt_ep(t->c)->backoff, 0);
	tt_finish(t);
}

static void tune_two_retries(struct tcp_config *c)
{
	c->retries2 = 2;
}

static void retransmissions_exhausted_abort_connection(void **state)
{
	ST;
	char b[4];

	tune_two_retries(tcp_config(t->nt.s)); /* before any endpoint exists */
	tt_established(t);
	tt_write(t->c, "data", 4);
	tt_expect(t, TT_SEG(.payload = "data"));
	nt_advance(&t->nt, RTO);
	tt_expect(t, TT_SEG(.payload = "data"));
	nt_advance(&t->nt, 2 * RTO);
	tt_expect(t, TT_SEG(.payload = "data"));
	nt_advance(&t->nt, 4 * RTO);
	tt_expect_nothing(t);
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	assert_int_equal(ns_ep_read(t->c, b, sizeof(b), 0, NULL), NS_ERR_TIMEOUT);
	tt_finish(t);
}

static void user_timeout_aborts_before_retries(void **state)
{
	ST;

	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_USER_TIMEOUT, 500), NS_OK);
	tt_write(t->c, "data", 4);
	tt_expect(t, TT_SEG(.payload = "data"));
	nt_advance(&t->nt, RTO);
	tt_expect(t, TT_SEG(.payload = "data")); /* at 200 ms; the next would be 600 */
	nt_advance(&t->nt, 300 * NS_MSEC - 1);
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	nt_advance(&t->nt, 1);
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void fast_retransmit_on_third_dup_ack(void **state)
{
	ST;
	static uint8_t data[5 * 1460];
	uint32_t s0;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_CONGESTION, 1), NS_OK); /* Reno: FlightSize/2 */
	s0 = t->rnxt;
	tt_write(t->c, data, sizeof(data));
	for (int i = 0; i < 5; i++)
		tt_expect(t, TT_SEG(.seq = s0 + 1460 * i, .len = 1460));
	/* The second segment is lost: the peer ACKs the first, then three duplicates. */
	tt_send(t, TT_SEG(.ack = s0 + 1460));
	tt_send(t, TT_SEG(.ack = s0 + 1460));
	tt_send(t, TT_SEG(.ack = s0 + 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = s0 + 1460));
	tt_expect(t, TT_SEG(.seq = s0 + 1460, .payload = data + 1460, .len = 1460));
	tt_expect_nothing(t);
	assert_true(tt_ep(t->c)->flags & TCP_F_IN_RECOVERY);
	/* RFC 6582: ssthresh = FlightSize / 2 (four segments out). RFC 6937 PRR: pipe is
	 * the four less the three the duplicates say left; one segment was delivered, so
	 * PRR-SSRB allows one more than pipe: cwnd = 2 SMSS (no new data to send). */
	assert_int_equal(tt_ep(t->c)->ssthresh, 2 * 1460);
	assert_int_equal(tt_ep(t->c)->cwnd, 2 * 1460);
	/* A partial ACK (up to the fourth segment, also lost) retransmits it at once. */
	tt_send(t, TT_SEG(.ack = s0 + 3 * 1460));
	tt_expect(t, TT_SEG(.seq = s0 + 3 * 1460, .len = 1460));
	/* The full ACK ends recovery: cwnd = ssthresh (as Linux). */
	tt_send(t, TT_SEG(.ack = s0 + 5 * 1460));
	assert_false(tt_ep(t->c)->flags & TCP_F_IN_RECOVERY);
	assert_int_equal(tt_ep(t->c)->cwnd, 1460 + 1460);
	tt_expect_nothing(t);
	tt_finish(t);
}

static void rto_resends_from_snd_una_with_one_segment_cwnd(void **state)
{
	ST;
	static uint8_t data[3 * 1460];
	uint32_t s0;

	tt_established(t);
	s0 = t->rnxt;
	tt_write(t->c, data, sizeof(data));
	for (int i = 0; i < 3; i++)
		tt_expect(t, TT_SEG(.seq = s0 + 1460 * i, .len = 1460));
	nt_advance(&t->nt, RTO);
	/* RFC 5681 3.1: cwnd = 1 SMSS after a timeout: one segment, then slow start. */
	tt_expect(t, TT_SEG(.seq = s0, .len = 1460));
	tt_expect_nothing(t);
	tt_send(t, TT_SEG(.ack = s0 + 1460));
	tt_expect(t, TT_SEG(.seq = s0 + 1460, .len = 1460));
	tt_expect(t, TT_SEG(.seq = s0 + 2 * 1460, .len = 1460));
	tt_send(t, TT_SEG(.ack = s0 + 3 * 1460));
	tt_expect_nothing(t);
	tt_finish(t);
}

static void zero_window_probes_back_off_until_window_opens(void **state)
{
	ST;
	uint32_t una;

	tt_established(t);
	tt_send(t, TT_SEG(.window = 0));
	tt_write(t->c, "data", 4);
	tt_expect_nothing(t);
	una = tt_ep(t->c)->snd_una;
	/* RFC 9293 3.8.6.1: probes after one RTO, backing off; as Linux, an old sequence
	 * number draws the peer's ACK without committing data. */
	for (int i = 0; i < 3; i++) {
		nt_advance(&t->nt, (RTO << i) - 1);
		tt_expect_nothing(t);
		nt_advance(&t->nt, 1);
		tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = una - 1, .len = 0));
		tt_send(t, TT_SEG(.window = 0));
	}
	assert_int_equal(tt_state(t->c), TCP_ESTABLISHED);
	tt_send(t, TT_SEG(.window = 1000));
	tt_expect(t, TT_SEG(.seq = una, .payload = "data"));
	tt_finish(t);
}

/* RFC 1122 4.2.2.17 keeps a connection open as long as the peer answers zero-window
 * probes, but only while an application holds it: an orphan (closed with data still
 * queued) that a peer pins behind a zero window would otherwise hold its buffers for
 * ever (the "persist timer" exhaustion attack). As Linux's tcp_probe_timer() for a dead
 * socket, it is aborted once its probe interval has backed off to the RTO maximum, even
 * though every probe is answered. */
static void orphan_pinned_by_zero_window_is_aborted(void **state)
{
	ST;
	static uint8_t big[8192];
	uint64_t waited = 0;

	tt_established(t);
	tt_send(t, TT_SEG(.window = 0));
	tt_write(t->c, big, sizeof(big));
	tt_expect_nothing(t);
	ns_ep_close(t->c);
	t->c = NULL;
	/* The peer answers every probe at once, still with a zero window. */
	while (ns_stack_endpoints_live(t->nt.s) > 1 && waited < 3600 * NS_SEC) {
		nt_advance(&t->nt, NS_SEC);
		waited += NS_SEC;
		while (nt_pending(&t->nt)) {
			tt_expect(t, TT_SEG(.flags = TCP_ACK, .len = 0));
			if (ns_stack_endpoints_live(t->nt.s) > 1)
				tt_send(t, TT_SEG(.window = 0));
		}
	}
	/* Linux: probes at 0.2, 0.4 ... 102.4 s, then the 120 s cap: gone in about 5 min. */
	assert_int_equal(ns_stack_endpoints_live(t->nt.s), 1); /* the listener */
	assert_true(waited <= 10 * 60 * NS_SEC);
	tt_finish(t);
}

static void keepalive_probes_then_reset(void **state)
{
	ST;
	uint32_t una;
	int64_t err;

	tt_established(t);
	assert_int_equal(ns_ep_set_opt(t->c, NS_SO_KEEPALIVE, 1), NS_OK);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_KEEPIDLE, 10), NS_OK);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_KEEPINTVL, 2), NS_OK);
	assert_int_equal(ns_ep_set_opt(t->c, NS_TCP_KEEPCNT, 3), NS_OK);
	una = tt_ep(t->c)->snd_una;
	nt_advance(&t->nt, 10 * NS_SEC - 1);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 1);
	tt_expect(t, TT_SEG(.flags = TCP_ACK, .seq = una - 1, .ack = t->pseq, .len = 0));
	/* An answer restarts the idle time. */
	nt_advance(&t->nt, NS_SEC);
	tt_send(t, TT_SEG());
	nt_advance(&t->nt, 10 * NS_SEC - 1);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 1);
	tt_expect(t, TT_SEG(.seq = una - 1));
	/* Unanswered: every 2 s, and after 3 the connection is reset. */
	nt_advance(&t->nt, 2 * NS_SEC);
	tt_expect(t, TT_SEG(.seq = una - 1));
	nt_advance(&t->nt, 2 * NS_SEC);
	tt_expect(t, TT_SEG(.seq = una - 1));
	nt_advance(&t->nt, 2 * NS_SEC);
	tt_expect(t, TT_SEG(.flags = TCP_RST | TCP_ACK, .seq = una));
	assert_int_equal(tt_state(t->c), TCP_CLOSED);
	assert_int_equal(ns_ep_get_opt(t->c, NS_SO_ERROR, &err), NS_OK);
	assert_int_equal(err, NS_ERR_TIMEOUT);
	tt_finish(t);
}

static void tune_rto_bounds(struct tcp_config *c)
{
	c->rto_min_ns = 300 * NS_MSEC;
	c->rto_max_ns = 1 * NS_SEC;
}

/* RFC 6298 2.4/2.5 with the bounds configurable (Linux's TCP_RTO_MIN/MAX): the first RTO
 * is the floor, backoff doubles it and stops at the ceiling. */
static void rto_min_and_max_are_configurable(void **state)
{
	ST;
	static const uint64_t gaps[] = {300, 600, 1000, 1000, 1000};
	uint32_t seq;

	tune_rto_bounds(tcp_config(t->nt.s));
	tt_established(t);
	tt_write(t->c, "data", 4);
	seq = tt_expect(t, TT_SEG(.payload = "data"))->h.seq;
	for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		nt_advance(&t->nt, gaps[i] * NS_MSEC - 1);
		tt_expect_nothing(t);
		nt_advance(&t->nt, 1);
		tt_expect(t, TT_SEG(.seq = seq, .payload = "data"));
	}
	tt_finish(t);
}

/* Karn's rule (RFC 6298 3): the ACK of a retransmitted segment gives no RTT sample (it
 * may answer the original); the next segment sent once is timed again. */
static void karn_takes_no_sample_from_a_retransmission(void **state)
{
	ST;
	struct tcp_ep *ep;
	uint64_t srtt;
	uint32_t seq;

	tt_established(t);
	ep = tt_ep(t->c);
	srtt = ep->srtt; /* the handshake's sample */
	tt_write(t->c, "data", 4);
	seq = tt_expect(t, TT_SEG(.payload = "data"))->h.seq;
	nt_advance(&t->nt, RTO);
	tt_expect(t, TT_SEG(.seq = seq, .payload = "data"));
	nt_advance(&t->nt, 300 * NS_MSEC); /* before the next, at 400 ms */
	tt_send(t, TT_SEG(.ack = seq + 4));
	assert_int_equal(ep->srtt, srtt);
	assert_int_equal(ep->backoff, 0);
	tt_write(t->c, "more", 4);
	tt_expect(t, TT_SEG(.seq = seq + 4, .payload = "more"));
	nt_advance(&t->nt, 80 * NS_MSEC);
	tt_send(t, TT_SEG(.ack = seq + 8));
	/* RFC 6298 2.3: SRTT <- 7/8 SRTT + 1/8 R, with R = 80 ms. */
	assert_int_equal(ep->srtt, (7 * srtt + 80 * NS_MSEC) / 8);
	tt_finish(t);
}

/* RFC 9293 3.8.6.2.1: a window too small for a full segment (and under half the largest
 * the peer offered) holds the sender back, but not forever: when the persist timer fires
 * it sends what fits. */
static void small_window_is_filled_when_the_persist_timer_fires(void **state)
{
	ST;
	static uint8_t data[3000];
	uint32_t una;

	tt_established(t);
	tt_send(t, TT_SEG(.window = 1000));
	una = tt_ep(t->c)->snd_una;
	tt_write(t->c, data, sizeof(data));
	tt_expect_nothing(t);
	nt_advance(&t->nt, RTO - 1);
	tt_expect_nothing(t);
	nt_advance(&t->nt, 1);
	tt_expect(t, TT_SEG(.seq = una, .len = 1000));
	tt_expect_nothing(t);
	/* Then it is data in flight like any: the RTO resends it if nothing comes back. */
	tt_send(t, TT_SEG(.ack = una + 1000, .window = 65535));
	tt_expect(t, TT_SEG(.seq = una + 1000, .len = 1460));
	tt_expect(t, TT_SEG(.seq = una + 2460, .len = 540));
	tt_finish(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tt_cm_setup, tt_cm_teardown)
	    T(retransmission_at_rto_with_backoff),
	    T(retransmissions_exhausted_abort_connection),
	    T(user_timeout_aborts_before_retries),
	    T(fast_retransmit_on_third_dup_ack),
	    T(rto_resends_from_snd_una_with_one_segment_cwnd),
	    T(zero_window_probes_back_off_until_window_opens),
	    T(orphan_pinned_by_zero_window_is_aborted),
	    T(keepalive_probes_then_reset),
	    T(rto_min_and_max_are_configurable),
	    T(karn_takes_no_sample_from_a_retransmission),
	    T(small_window_is_filled_when_the_persist_timer_fires),
	};

	return cmocka_run_group_tests_name("tcp_timers", tests, NULL, NULL);
}
